"""The twelve comment scenarios of issue 18, rendered to Markdown and, with gh-render, to PNG.

Builds each scenario from the real pieces (a Cobertura report parsed and mapped, a PR's files,
a baseline, gates), the way tests/test_render.py builds its golden context, and writes
`<out>/<name>.comment.md` and `<name>.summary.md`, with the character counts. With `--png`,
renders each with the team's gh-render (GitHub's CSS, Mermaid, headless Chromium) in light
and dark: `<name>.comment.png`, `<name>.comment.dark.png`, and the same for the summary.
Run by hand from a checkout:

    python benchmarks/comment_scenarios.py [--out /tmp/scenarios] [--only demo,docs-only]
        [--png] [--gh-render /work/shared/tools/gh-render]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from render_helpers import (  # noqa: E402
    BASE_SHA,
    PR_NUMBER,
    SourceFile,
    cobertura_xml,
    first_run_context,
    golden_context,
    make_context,
    parse_report,
    patch_adding,
)

from covaction import gates  # noqa: E402
from covaction.documents.baseline import Baseline, TrendPoint  # noqa: E402
from covaction.model import Counts  # noqa: E402
from covaction.render import markdown  # noqa: E402

Ctx = markdown.RenderContext


def _baseline(files: dict[str, Counts], trend: tuple[TrendPoint, ...] = ()) -> Baseline:
    return Baseline(
        commit=BASE_SHA,
        branch="main",
        created_at="2026-11-20T09:00:00Z",
        report_name="coverage",
        covaction_version="0.1.0",
        has_branches=False,
        files=files,
        trend=trend,
    )


def demo() -> Ctx:
    """The README's demo: a large drop, no drop gate, a low diff coverage, all gates passed."""
    files = [
        SourceFile("src/app/core.py", {n: (1 if n <= 40 else 0) for n in range(1, 81)}),
        SourceFile("src/app/api.py", {n: (1 if n % 2 else 0) for n in range(1, 41)}),
        SourceFile("src/app/util.py", {n: 1 for n in range(1, 31)}),
    ]
    base = {
        "src/app/core.py": Counts(80, 76),
        "src/app/api.py": Counts(40, 32),
        "src/app/util.py": Counts(30, 30),
    }
    return make_context(
        parse_report(cobertura_xml(files)),
        baseline=_baseline(base),
        baseline_note="the pull request's base commit",
        pr_files=[
            {
                "filename": "src/app/api.py",
                "status": "modified",
                "patch": patch_adding(range(20, 31)),
            }
        ],
        minimum_coverage="50",
        pull_request=PR_NUMBER,
    )


def failing() -> Ctx:
    return golden_context()


def monorepo(n: int, changed: int) -> Callable[[], Ctx]:
    def build() -> Ctx:
        paths = [
            f"services/team-{i % 37:02d}/component-{i % 23:03d}/src/main/python/pkg/module_{i:05d}.py"
            for i in range(n)
        ]
        files = [
            SourceFile(p, {k: (0 if (k + i) % 3 == 0 else 1) for k in range(1, 30)})
            for i, p in enumerate(paths)
        ]
        base = {p: Counts(29, 20 if i % 5 else 25) for i, p in enumerate(paths)}
        pr = [
            {"filename": p, "status": "modified", "patch": patch_adding([3, 4, 5, 6, 9, 12, 15])}
            for p in paths[:changed]
        ]
        return make_context(
            parse_report(cobertura_xml(files)),
            baseline=_baseline(base),
            baseline_note="the newest baseline",
            pr_files=pr,
            minimum_coverage="50",
            minimum_diff="70",
            pull_request=PR_NUMBER,
        )

    return build


def first_run() -> Ctx:
    return first_run_context()


def docs_only() -> Ctx:
    report = parse_report(cobertura_xml([SourceFile("app.py", {1: 1, 2: 1, 5: 0})]))
    return make_context(
        report,
        baseline=_baseline({"app.py": Counts(3, 2)}),
        pr_files=[{"filename": "README.md", "status": "modified", "patch": patch_adding([3])}],
        minimum_diff="80",
        pull_request=PR_NUMBER,
    )


def unmatched() -> Ctx:
    files = [SourceFile("app.py", {1: 1, 2: 0})] + [
        SourceFile(f"/home/runner/work/other/vendored_{i}.py", {1: 1}) for i in range(40)
    ]
    report = parse_report(
        cobertura_xml(files), exists=lambda p: not p.startswith("/") and "vendored" not in p
    )
    return make_context(
        report,
        pr_files=[{"filename": "app.py", "status": "modified", "patch": patch_adding([2])}],
        pull_request=PR_NUMBER,
    )


def named(name: str) -> Callable[[], Ctx]:
    def build() -> Ctx:
        return replace(golden_context(), report_name=name)

    return build


def trend50() -> Ctx:
    ctx = golden_context()
    base = ctx.comparison.baseline
    assert base is not None
    points = tuple(
        TrendPoint(f"{i:040x}", "2026-11-01T09:00:00Z", Counts(1000, 870 + (i * 7) % 5))
        for i in range(1, 51)
    )
    return make_context(
        ctx.comparison.report,
        baseline=replace(base, trend=points),
        baseline_note="the newest baseline",
        minimum_coverage="80",
        pull_request=PR_NUMBER,
    )


def pins_fail() -> Ctx:
    ctx = golden_context()
    rows = tuple(
        markdown.PinRow(
            f".github/workflows/{w}.yml",
            10 + i,
            f"some-org/action-{i}@v{i % 3 + 1}",
            "unpinned",
            "a tag can be moved to another commit",
            f"some-org/action-{i}@{(i % 10) * 4:x}{'0' * 39}"[:60] + f" # v{i % 3 + 1}"
            if i % 4
            else "",
        )
        for w in ("ci", "release", "docs")
        for i in range(4)
    )
    checks = [c for c in ctx.verdict.checks if c.name != "pins"]
    verdict = gates.evaluate(*checks, gates.pins_check("fail", len(rows)))
    return replace(ctx, pins=rows, pin_policy="fail", verdict=verdict)


def indirect() -> Ctx:
    files = [
        SourceFile("src/a.py", {n: 1 for n in range(1, 11)}),
        SourceFile("src/b.py", {n: (1 if n <= 4 else 0) for n in range(1, 11)}),
        SourceFile("lib/c.py", {n: (1 if n <= 9 else 0) for n in range(1, 11)}),
    ]
    base = {"src/a.py": Counts(10, 9), "src/b.py": Counts(10, 10), "lib/c.py": Counts(10, 10)}
    return make_context(
        parse_report(cobertura_xml(files)),
        baseline=_baseline(base),
        pr_files=[{"filename": "src/a.py", "status": "modified", "patch": patch_adding([10])}],
        minimum_coverage="60",
        pull_request=PR_NUMBER,
    )


SCENARIOS: dict[str, Callable[[], Ctx]] = {
    "demo": demo,
    "failing": failing,
    "monorepo-3000": monorepo(3000, 150),
    "monorepo-5000": monorepo(5000, 400),
    "first-run": first_run,
    "docs-only": docs_only,
    "unmatched": unmatched,
    "name-unit": named("unit"),
    "name-integration": named("integration"),
    "trend-50": trend50,
    "pins-fail": pins_fail,
    "indirect": indirect,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", default="/tmp/covaction-scenarios")
    parser.add_argument("--only", default="")
    parser.add_argument("--png", action="store_true")
    parser.add_argument("--gh-render", default="/work/shared/tools/gh-render")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wanted = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    for name in wanted:
        ctx = SCENARIOS[name]()
        comment = markdown.render_comment(ctx)
        summary = markdown.render_summary(ctx)
        rows = comment.count("\n| `")
        print(
            f"{name:18} comment {len(comment):>6,} chars, {rows:>4,} table rows; "
            f"summary {len(summary.encode('utf-8')):>9,} bytes"
        )
        for kind, body in (("comment", comment), ("summary", summary)):
            md = out / f"{name}.{kind}.md"
            md.write_text(body, encoding="utf-8")
            if not args.png:
                continue
            for dark in (False, True):
                png = out / f"{name}.{kind}{'.dark' if dark else ''}.png"
                cmd = [args.gh_render, str(md), str(png), "--kind", kind]
                subprocess.run([*cmd, "--dark"] if dark else cmd, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
