"""Shared helpers for tests of the comment and the summary: report building, render contexts,
a GFM check of what a reviewer's browser gets (`check_markdown`), golden files, hostile names.

`check_markdown` renders with a GFM renderer (markdown-it-py, tables on) and checks that tables
are tables, `<details>` balance, and no HTML, link, image, mention or reference appears that did
not come from the template. Golden files (coverage.py's goldtest idea): on a mismatch the actual
output is written beside the gold file (`tests/golden/<name>.actual.md`) and the test fails with
a diff; `COVACTION_UPDATE_GOLDEN=1` rewrites the gold files after an intended change.
"""

from __future__ import annotations

import difflib
import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from covaction import __version__, changed_lines, diff_coverage, formats, gates, paths
from covaction.compare import compare
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.model import Counts, CoverageReport
from covaction.render import markdown

GOLDEN = Path(__file__).parent / "golden"
SERVER = "https://github.com"
REPO = "octo-org/widget"
HEAD_SHA = "b0" * 20
BASE_SHA = "a0" * 20
RUN_URL = f"{SERVER}/{REPO}/actions/runs/9000000001"
PR_NUMBER = 42
ALLOWED_LINKS = (f"{SERVER}/{REPO}/",)
COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1024 * 1024


# ---------------------------------------------------------------------------- report building


@dataclass(frozen=True)
class SourceFile:
    """One file of a test report: line -> hits, and line -> (covered, total) branches."""

    path: str
    hits: Mapping[int, int]
    branches: Mapping[int, tuple[int, int]] = ()  # type: ignore[assignment]


def cobertura_xml(files: Iterable[SourceFile]) -> bytes:
    """A Cobertura report as coverage.py writes it (attributes XML-escaped, `&#10;` for \\n)."""
    out = [
        '<?xml version="1.0" ?>',
        '<coverage version="7.6.0" timestamp="1" lines-valid="0" lines-covered="0" '
        'line-rate="0" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">',
        "<sources><source>.</source></sources>",
        '<packages><package name="." line-rate="0" branch-rate="0" complexity="0"><classes>',
    ]
    for f in files:
        name = quoteattr(f.path, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
        out.append(
            f'<class name="c" filename={name} line-rate="0" branch-rate="0" complexity="0">'
            "<methods/><lines>"
        )
        for line, hits in sorted(f.hits.items()):
            branch = dict(f.branches or {}).get(line)
            if branch:
                covered, total = branch
                pct = covered * 100 // total
                out.append(
                    f'<line number="{line}" hits="{hits}" branch="true" '
                    f'condition-coverage="{pct}% ({covered}/{total})"/>'
                )
            else:
                out.append(f'<line number="{line}" hits="{hits}"/>')
        out.append("</lines></class>")
    out.append("</classes></package></packages></coverage>")
    return "\n".join(out).encode("utf-8")


def parse_report(xml: bytes, exists: Any = lambda p: True) -> CoverageReport:
    """Parse and map a report as the pipeline does, against a workspace where `exists`."""
    parsed = formats.parse("cobertura", [xml], "coverage.xml")
    mapper = paths.PathMapper("/github/workspace", None, exists=exists)
    return paths.map_reports([parsed], mapper)


def patch_adding(lines: Sequence[int]) -> str:
    """A GitHub `patch` that adds exactly `lines` (each as its own hunk)."""
    hunks = []
    for n in lines:
        hunks.append(f"@@ -{n - 1},0 +{n},1 @@\n+changed line {n}")
    return "\n".join(hunks)


def long_path(i: int, length: int = 180) -> str:
    """A deep, long, unique repository path (the budget tests want wide tables)."""
    stem = f"services/team-{i % 37:02d}/component-{i % 23:03d}/src/main/python/package"
    padding = "x" * max(0, length - len(stem) - 20)
    return f"{stem}/{padding}/module_{i:05d}.py"


def many_files(n: int, length: int = 180) -> list[SourceFile]:
    return [
        SourceFile(long_path(i, length), {k: (0 if (k + i) % 3 == 0 else 1) for k in range(1, 30)})
        for i in range(n)
    ]


# ---------------------------------------------------------------------------- context building


def make_context(
    report: CoverageReport,
    *,
    baseline: Baseline | None = None,
    baseline_note: str = "",
    pr_files: Sequence[Mapping[str, object]] | None = None,
    minimum_coverage: str | None = None,
    minimum_diff: str | None = None,
    maximum_drop: str | None = None,
    pins: Sequence[markdown.PinRow] = (),
    pin_counts: Mapping[str, int] | None = None,
    pin_policy: str = "warn",
    pin_notes: Sequence[str] = (),
    notices: Sequence[str] = (),
    annotation_notes: Sequence[str] = (),
    report_name: str = "coverage",
    pull_request: int = 0,
) -> markdown.RenderContext:
    """A RenderContext built the way the pipeline builds it, from fixed inputs."""
    changes = changed_lines.from_github_files(pr_files) if pr_files is not None else None
    dc = diff_coverage.diff_coverage(report, changes) if changes is not None else None
    comparison = compare(report, baseline, dc, baseline_note)
    thresholds = {
        "minimum-coverage": Decimal(minimum_coverage) if minimum_coverage else None,
        "minimum-diff-coverage": Decimal(minimum_diff) if minimum_diff else None,
        "maximum-coverage-drop": Decimal(maximum_drop) if maximum_drop else None,
    }
    checks: list[gates.Check | None] = [
        gates.minimum_check(
            "total", "Total coverage", comparison.counts.percent, thresholds["minimum-coverage"]
        ),
        gates.minimum_check(
            "diff",
            "Diff coverage",
            dc.percent if dc else None,
            thresholds["minimum-diff-coverage"],
            "no changed lines are known (not a pull request; use diff-base or diff-file)",
        ),
        gates.drop_check(
            comparison.counts.percent,
            comparison.base_counts.percent if comparison.base_counts else None,
            thresholds["maximum-coverage-drop"],
            baseline_note,
        ),
        gates.pins_check(pin_policy, len(pins)),
    ]
    counts = dict(pin_counts or {})
    return markdown.RenderContext(
        report_name=report_name,
        comparison=comparison,
        verdict=gates.evaluate(*checks),
        thresholds=thresholds,
        links=markdown.Links(SERVER, REPO, HEAD_SHA, RUN_URL, pull_request),
        pins=tuple(pins),
        pin_policy=pin_policy,
        pin_counts=counts,
        pin_notes=tuple(pin_notes),
        notices=tuple(notices),
        annotation_notes=tuple(annotation_notes),
    )


def golden_context() -> markdown.RenderContext:
    """A pull request that fails one gate, with a baseline, trend, pins and an unmatched path."""
    files = [
        SourceFile(
            "src/widget/core.py",
            {n: (0 if n in (12, 13, 14, 30) else 3) for n in range(1, 41)},
            {10: (1, 2), 20: (2, 2)},
        ),
        SourceFile("src/widget/util.py", {n: 1 for n in range(1, 21)}),
        SourceFile("src/widget/new_feature.py", {n: (0 if n > 6 else 1) for n in range(1, 11)}),
        SourceFile("src/widget/dead.py", {1: 0, 2: 0, 3: 0}),
        SourceFile("src/widget/__init__.py", {}),
        SourceFile("tests/test_core.py", {n: 1 for n in range(1, 16)}),
        SourceFile("/home/runner/work/other/vendored.py", {1: 1}),
    ]
    report = parse_report(
        cobertura_xml(files), exists=lambda p: not p.startswith("/") and "vendored" not in p
    )
    base_files = {
        "src/widget/core.py": Counts(40, 38, 4, 4),
        "src/widget/util.py": Counts(20, 20, 0, 0),
        "src/widget/dead.py": Counts(3, 0, 0, 0),
        "src/widget/__init__.py": Counts(0, 0, 0, 0),
        "src/widget/old.py": Counts(12, 6, 0, 0),
        "tests/test_core.py": Counts(15, 15, 0, 0),
    }
    trend = tuple(
        TrendPoint(f"{i:x}" * 40, f"2026-11-1{i}T09:00:00Z", Counts(90, 80 + i, 4, 2))
        for i in range(1, 7)
    )
    baseline = Baseline(
        commit=BASE_SHA,
        branch="main",
        created_at="2026-11-20T09:00:00Z",
        report_name="coverage",
        covaction_version="0.1.0",
        has_branches=True,
        files=base_files,
        trend=trend,
    )
    pr_files = [
        {
            "filename": "src/widget/core.py",
            "status": "modified",
            "patch": patch_adding([10, 12, 13, 20, 25]),
        },
        {
            "filename": "src/widget/new_feature.py",
            "status": "added",
            "patch": patch_adding(range(1, 11)),
        },
        {"filename": "docs/logo.png", "status": "added"},
        {"filename": "src/widget/util.py", "status": "modified"},
        {"filename": ".github/workflows/ci.yml", "status": "modified", "patch": patch_adding([14])},
    ]
    pins = [
        markdown.PinRow(
            ".github/workflows/ci.yml",
            14,
            "actions/setup-python@v5",
            "unpinned",
            "a tag can be moved to another commit",
            "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5",
        ),
    ]
    return make_context(
        report,
        baseline=baseline,
        baseline_note="the pull request's base commit, 3 hours old",
        pr_files=pr_files,
        minimum_coverage="80",
        minimum_diff="90",
        maximum_drop="0.5",
        pins=pins,
        pin_counts={
            "pinned": 11,
            "unpinned": 1,
            "local": 1,
            "unverifiable": 0,
            "parse-error": 0,
            "allowed": 0,
        },
        pin_policy="warn",
        notices=["coverage.xml: 1 <line> element had no number and was skipped"],
        pull_request=PR_NUMBER,
    )


def first_run_context() -> markdown.RenderContext:
    """A first run on a repository without workflows: no baseline, no threshold, a small diff."""
    report = parse_report(
        cobertura_xml([SourceFile("app.py", {1: 1, 2: 1, 3: 0, 4: 1}, {2: (1, 2)})])
    )
    return make_context(
        report,
        baseline_note="no unexpired `covaction-baseline` artifact from a push to `main` (first run)",
        pr_files=[{"filename": "app.py", "status": "modified", "patch": patch_adding([3, 4])}],
        pin_counts={
            "pinned": 0,
            "unpinned": 0,
            "local": 0,
            "unverifiable": 0,
            "parse-error": 0,
            "allowed": 0,
        },
    )


# ---------------------------------------------------------------------------- GFM checks


def gfm() -> MarkdownIt:
    """GitHub-flavoured rendering: tables, strikethrough, raw HTML passed, URL autolinks.

    Fuzzy links (bare `example.com`) are off: GitHub does not link those, it links `www.` and
    schemes only, which `check_markdown` checks on the source instead. `text_join` is off so
    that backslash escapes stay tokens of their own (the HTML is the same).
    """
    try:
        import linkify_it  # noqa: F401

        md = MarkdownIt("gfm-like")
        md.linkify.set({"fuzzy_link": False})
    except ImportError:  # pragma: no cover - linkify-it-py not installed
        md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.disable("text_join")
    md.add_render_rule("text_special", _render_text_special)
    return md


def _render_text_special(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return escapeHtml(tokens[idx].content)


ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong",
    "em", "a", "ul", "li", "blockquote", "details", "summary", "sub",
}  # fmt: skip


def split_row(line: str) -> list[str]:
    """A GFM table row's cells: split on pipes not escaped by a backslash (as markdown-it)."""
    text = line.strip()
    cells: list[str] = []
    current = ""
    escaped = False
    for ch in text:
        if ch == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += ch
        escaped = ch == "\\"
    cells.append(current)
    if text.startswith("|"):
        cells = cells[1:]
    if cells and cells[-1].strip() == "" and text.endswith("|"):
        cells = cells[:-1]
    return cells


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # raw cells of each body row
    html_rows: int  # <tr> in the rendered <tbody>


@dataclass
class Rendered:
    markdown: str
    html: str
    tables: list[Table]

    def table(self, *columns: str) -> Table:
        """The one table whose header starts with these column names."""
        found = [
            t for t in self.tables if [h.strip() for h in t.header[: len(columns)]] == list(columns)
        ]
        assert len(found) == 1, f"{len(found)} tables headed {columns!r}"
        return found[0]

    @property
    def text_outside_code(self) -> str:
        outside = re.sub(r"<code[^>]*>.*?</code>", " ", self.html, flags=re.S)
        return html.unescape(re.sub(r"<[^>]+>", " ", outside))


def check_markdown(markdown: str, *, details: int | None = None) -> Rendered:
    """Render with GFM and check the structure; returns the tables for further assertions.

    - every table row has exactly as many cells as its header (in the source, since a GFM
      renderer pads or drops cells silently), and the HTML has one `<tr>` per source row;
    - `<details>` blocks are balanced (and number `details` when given);
    - only the template's tags appear, every link points into the repository, no image;
    - outside code spans no live @mention, #123 or GH-123 reference, and no `www.` autolink.
    """
    md = gfm()
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    rendered = md.renderer.render(tokens, md.options, env)
    lines = markdown.split("\n")
    tables: list[Table] = []
    for i, tok in enumerate(tokens):
        if tok.type != "table_open":
            continue
        assert tok.map is not None
        start, end = tok.map
        raw = lines[start:end]
        header = split_row(raw[0])
        body = [split_row(r) for r in raw[2:]]
        for r, cells in zip(raw[2:], body, strict=True):
            assert len(cells) == len(header), (
                f"row has {len(cells)} cells, header {len(header)}: {r[:300]!r}"
            )
        trs, in_body = 0, False
        for t in tokens[i:]:
            if t.type == "tbody_open":
                in_body = True
            elif t.type == "tr_open" and in_body:
                trs += 1
            elif t.type == "table_close":
                break
        assert trs == len(body), f"{trs} rendered rows for {len(body)} source rows"
        tables.append(Table(header, body, trs))

    opened = len(re.findall(r"<details>", rendered))
    closed = len(re.findall(r"</details>", rendered))
    assert opened == closed, f"{opened} <details> but {closed} </details>"
    # The blocks the templates open and close stand at the start of a line; `<details>` inside
    # a code span (a hostile name) is text, and the rendered count above already checks it.
    assert len(re.findall(r"^<details>", markdown, re.M)) == len(
        re.findall(r"^</details>", markdown, re.M)
    )
    if details is not None:
        assert opened == details

    tags = {t.lower() for t in re.findall(r"</?([a-zA-Z][a-zA-Z0-9-]*)", rendered)}
    assert tags <= ALLOWED_TAGS, f"unexpected HTML elements: {sorted(tags - ALLOWED_TAGS)}"
    assert "<img" not in rendered
    for href in re.findall(r'<a href="([^"]*)"', rendered):
        assert href.startswith(ALLOWED_LINKS), f"link out of the repository: {href[:200]}"

    outside = Rendered(markdown, rendered, tables).text_outside_code.replace("\u2060", "\x00")
    assert not re.search(r"(?<![\w/.-])@[A-Za-z0-9]", outside), "live @mention"
    assert not re.search(r"(?<![\w&])#\d", outside), "live #reference"
    assert not re.search(r"(?i)\bgh-\d", outside), "live GH- reference"

    # GitHub links `www.x` without a scheme; escapes stay tokens of their own (no text_join),
    # so a text token holding `www.` is one GitHub would link.
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "text":
                assert not re.search(r"(?i)\bwww\.", child.content), child.content[:200]
    return Rendered(markdown, rendered, tables)


# ---------------------------------------------------------------------------- golden files


def normalise(text: str) -> str:
    return text.replace(f"covaction {__version__}", "covaction X.Y.Z")


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/<name>; on mismatch write <stem>.actual.md and show a diff."""
    gold = GOLDEN / name
    actual = normalise(actual)
    stem = name.rsplit(".", 2)[0]
    actual_path = GOLDEN / f"{stem}.actual.md"
    if os.environ.get("COVACTION_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        gold.write_text(actual, encoding="utf-8", newline="\n")
    expected = gold.read_text(encoding="utf-8") if gold.exists() else ""
    if actual == expected:
        actual_path.unlink(missing_ok=True)
        return
    actual_path.write_text(actual, encoding="utf-8", newline="\n")
    delta = "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), str(gold), str(actual_path)
        )
    )
    pytest.fail(
        f"{name} differs from the gold file; the actual output is in {actual_path}. "
        f"If the change is intended, rerun with COVACTION_UPDATE_GOLDEN=1.\n{delta[:20000]}"
    )


# ---------------------------------------------------------------------------- hostile names

HOSTILE_NAMES = [
    "src/@octocat/mention.py",
    "src/fix #123 and GH-45.py",
    "src/`tick``s```.py",
    "src/a|b||c.py",
    "src/back\\|slash.py",
    "src/evil\u202egnp.py",
    "src/zero\u200bwidth\u2066iso.py",
    "src/new\nline\rreturn.py",
    "src/<img src=x onerror=alert(1)>.py",
    "src/<details><summary>x</summary>.py",
    "src/</details></table>.py",
    "src/[link](javascript:alert(1)).py",
    "src/![img](http:/x/y.png).py",
    "src/<https://evil.example>.py",
    "src/www.evil.example.py",
    "src/**bold** _em_ ~~s~~ $x$.py",
    "src/&lt;entity&gt;&#64;.py",
    "src/<!-- comment.py",
    "src/-->.py",
    "src/:shipit: @@ # ## ###.py",
    "src/" + "deep/" * 1000 + "long.py",
    "src/ leading and trailing .py ",
]
