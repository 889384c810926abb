"""A fork's result built through the run's own code, and the two renderings to compare.

A synthetic report, baseline, change and pin findings go through `compare`, `diff_coverage`
and `gates.checks_for` as in a run; `direct_context` is what the pull request's run renders,
`published_context` what the `workflow_run` run renders from the stored document. Shared by
the tests of the document and of its reader (test modules import helpers only from here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from covaction import diff_coverage, formats, gates, paths
from covaction.changed_lines import ChangedLines, FileChange
from covaction.compare import Comparison, compare
from covaction.documents import result, result_reader
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.github_context import GitHubContext, PullRequest
from covaction.model import Counts, CoverageReport, FileCoverage, Unmatched
from covaction.pins.workflows import ActionRef, PinSummary
from covaction.render import markdown
from covaction.stages import workflow_run_comment

REPO = "octo-org/widget"
HEAD = "b0" * 20
BASE = "a0" * 20
RUN_ID = 9_000_000_001
PIN = "actions/checkout@" + "1" * 40 + " # v4.2.2"
NO_DIFF = "no changed lines are known (not a pull request; use diff-base or diff-file)"


# ----------------------------------------------------------------------------- a result


def measured_file(
    path: str, lines: int, missed: set[int], branches: dict[int, tuple[int, int]] | None = None
) -> FileCoverage:
    return FileCoverage.from_mappings(
        path, {n: 0 if n in missed else 3 for n in range(1, lines + 1)}, branches
    )


def make_report(branches: bool = True) -> CoverageReport:
    files = [
        measured_file(
            "src/app/core.py", 30, {5, 6, 7, 12, 30}, {3: (1, 2), 8: (2, 2)} if branches else None
        ),
        measured_file("src/app/new_mod.py", 5, set()),
        measured_file("src/util.py", 10, {10}),
        measured_file("setup.py", 3, {1, 2, 3}),
        measured_file("pkg/@scope/[id].py", 4, {4}),  # brackets and @: legal paths, rendered inert
    ]
    return CoverageReport(
        files={f.path: f for f in files},
        has_branches=branches,
        formats=("cobertura",),
        sources=("coverage.xml",),
        unmatched=(Unmatched("/home/runner/other/x.py", "outside the repository"),),
        notices=("coverage.xml: `2` classes of one file were merged",),
    )


def make_baseline(branches: bool = True) -> Baseline:
    files = {
        "src/app/core.py": Counts(30, 26, 4, 3) if branches else Counts(30, 26),
        "src/util.py": Counts(10, 10),
        "setup.py": Counts(3, 0),
        "src/old.py": Counts(4, 2),  # deleted since
        "pkg/@scope/[id].py": Counts(4, 4),
    }
    trend = tuple(
        TrendPoint(f"{i:040x}", f"2026-11-{10 + i:02d}T10:00:00Z", Counts(50, 40 + i))
        for i in range(4)
    )
    return Baseline(
        BASE,
        "main",
        "2026-11-20T08:00:00Z",
        "coverage",
        "0.1.0",
        branches,
        files,
        trend,
        "9000000000",
    )


def make_changes() -> ChangedLines:
    changes = {
        "src/app/core.py": FileChange(
            "src/app/core.py", "src/app/core.py", "modified", frozenset({3, 4, 5, 6, 8, 31})
        ),
        "src/app/new_mod.py": FileChange("src/app/new_mod.py", None, "added", frozenset({1, 2, 3})),
        "docs/guide.md": FileChange("docs/guide.md", "docs/guide.md", "modified", frozenset({1})),
        "src/util.py": FileChange("src/util.py", "src/util.py", "modified", measured=False),
        "pkg/@scope/[id].py": FileChange("pkg/@scope/[id].py", None, "renamed", frozenset({1, 4})),
    }
    return ChangedLines(changes)


def make_refs() -> tuple[ActionRef, ...]:
    wf = ".github/workflows/ci.yml"
    return (
        ActionRef(wf, 12, "actions/checkout@v4", "unpinned", "`v4` is a tag, not a full commit SHA",
                  "action", "actions/checkout", "v4", None, False, 15),
        ActionRef(wf, 14, "actions/setup-python@" + "2" * 40, "pinned", "", "action",
                  "actions/setup-python", "2" * 40, "v5", False, 15),
        ActionRef(wf, 16, "my-org/tool@main", "unpinned", "`main` is a branch", "action",
                  "my-org/tool", "main", None, True, 15),
        ActionRef(wf, 18, "./local", "local", "", "local", None, None, None, False, 15),
        ActionRef(".github/workflows/bad.yml", 3, "", "parse-error",
                  "not a valid reference: expected owner/repo[/path]@<sha>", None),
        ActionRef(wf, 20, "${{ matrix.action }}", "unverifiable", "built from an expression", "action"),
    )  # fmt: skip


def settings(**kw: Any) -> SimpleNamespace:
    base = {
        "report_name": "coverage",
        "minimum_coverage": Decimal("80"),
        "minimum_diff_coverage": Decimal("90"),
        "maximum_coverage_drop": Decimal("0.5"),
        "pin_policy": "warn",
        "comment": "update",
        "folder_depth": 1,
    }
    base.update(kw)
    return SimpleNamespace(**base)


def github() -> GitHubContext:
    pr = PullRequest(42, "main", BASE, HEAD, "fix-parser", "contrib/widget", True, 5)
    return GitHubContext(True, "pull_request", REPO, "https://api.github.com", "https://github.com",
                         str(RUN_ID), "c0" * 20, "main", "", pr, None)  # fmt: skip


def verdict_of(
    s: SimpleNamespace, c: Comparison, findings: int, baseline_note: str
) -> gates.Verdict:
    """The gates through the one wiring the run uses."""
    return gates.checks_for(
        c,
        minimum=s.minimum_coverage,
        minimum_diff=s.minimum_diff_coverage,
        maximum_drop=s.maximum_coverage_drop,
        pin_policy=s.pin_policy,
        pin_findings=findings,
    )


class Case(SimpleNamespace):
    settings: SimpleNamespace
    comparison: Comparison
    verdict: gates.Verdict
    refs: tuple[ActionRef, ...]
    notes: tuple[str, ...]
    suggestions: dict[str, str]


def make_case(
    *, baseline: bool = True, diff: bool = True, branches: bool = True, base_branches: bool = True,
    changes: ChangedLines | None = None, refs: tuple[ActionRef, ...] | None = None, **kw: Any,
) -> Case:  # fmt: skip
    s = settings(**kw)
    report = make_report(branches)
    note = (
        "the pull request's base commit, 3 hours old"
        if baseline
        else "no unexpired `covaction-baseline` artifact"
    )
    dc = diff_coverage.diff_coverage(report, changes or make_changes()) if diff else None
    c = compare(report, make_baseline(base_branches) if baseline else None, dc, note)
    refs = (make_refs() if refs is None else refs) if s.pin_policy != "off" else ()
    findings = PinSummary.of(refs).findings
    return Case(
        settings=s, comparison=c, verdict=verdict_of(s, c, len(findings), note), refs=refs,
        notes=("Only the first 50 references were resolved.",), suggestions={"actions/checkout@v4": PIN},
    )  # fmt: skip


def direct_context(case: Case) -> markdown.RenderContext:
    """What the pull request's own run renders (`stages.run`: the one context builder)."""
    summary = PinSummary.of(case.refs)
    gh = github()
    return markdown.build_context(
        report_name=case.settings.report_name,
        comparison=case.comparison,
        verdict=case.verdict,
        thresholds={
            "minimum-coverage": case.settings.minimum_coverage,
            "minimum-diff-coverage": case.settings.minimum_diff_coverage,
            "maximum-coverage-drop": case.settings.maximum_coverage_drop,
        },
        links=markdown.Links(gh.server_url, gh.repository, HEAD, gh.run_url, pull_request=42),
        findings=summary.findings,
        suggestions=case.suggestions,
        pin_policy=case.settings.pin_policy,
        pin_counts=result.pin_counts(summary),
        pin_notes=case.notes,
        notices=case.comparison.report.notices,
        rollup_depth=case.settings.folder_depth,
    )


def doc_of(case: Case) -> dict[str, Any]:
    doc = result.document(
        settings=case.settings, comparison=case.comparison, verdict=case.verdict, refs=case.refs,
        suggestions=case.suggestions, github=github(), comment_url="", pin_notes=case.notes,
    )  # fmt: skip
    return json.loads(result.dumps(doc))


def published_context(doc: dict[str, Any], **kw: Any) -> markdown.RenderContext:
    """What the workflow_run run renders from the stored document (`kw`: its settings)."""
    stored = result_reader.loads(result.dumps(doc))
    gh = SimpleNamespace(server_url="https://github.com", repository=REPO)
    trigger = workflow_run_comment.Trigger(
        RUN_ID, HEAD, "contrib/widget", "pull_request", "success", ()
    )
    return workflow_run_comment.render_context(
        settings(**kw),
        gh,  # type: ignore[arg-type]
        stored,
        trigger,
    )


def case_of(c: Comparison, s: SimpleNamespace | None = None) -> Case:
    s = s or settings(minimum_coverage=Decimal("50"), minimum_diff_coverage=None)
    return Case(
        settings=s, comparison=c, verdict=verdict_of(s, c, 0, ""), refs=(), notes=(),
        suggestions={},
    )  # fmt: skip


# A file whose statements have gaps (comments, blank lines) between them: coverage.py's
# `coverage report -m` joins its missed statements 4, 7, 8 into "4-8" and 11, 12, 14, 15 into
# "11-15"; the covered statement 9 (a changed line) keeps the two runs apart.
GAPS = "src/app/gaps.py"
GAPS_HITS = {1: 1, 2: 1, 3: 1, 4: 0, 7: 0, 8: 0, 9: 2, 11: 0, 12: 0, 14: 0, 15: 0}
GAPS_RUNS = "4-8, 11-15"
GAPS_PLAIN = "4, 7-8, 11-12, 14-15"


def joined_case(producers: tuple[str, ...] = ("coverage.py",), **kw: Any) -> Case:
    """A report (as `producers` wrote it) with a file whose missed lines a coverage.py comment
    joins (`GAPS`), one whose runs are its plain ranges, and one with nothing missed; the change
    touches the gaps, covered line 9 among them."""
    files = [
        FileCoverage.from_mappings(GAPS, GAPS_HITS),
        FileCoverage.from_mappings("src/app/plain.py", {1: 1, 2: 0, 3: 1, 4: 0, 5: 0}),
        FileCoverage.from_mappings("src/app/done.py", {1: 1, 3: 1}),
    ]
    report = CoverageReport(
        files={f.path: f for f in files},
        has_branches=False,
        formats=("cobertura",),
        sources=("coverage.xml",),
        producers=producers,
    )
    changes = ChangedLines({GAPS: FileChange(GAPS, GAPS, "modified", frozenset(range(2, 13)))})
    c = compare(report, None, diff_coverage.diff_coverage(report, changes), "no baseline")
    return case_of(c, settings(minimum_diff_coverage=None, **kw))


def go_report() -> CoverageReport:
    real = Path(__file__).resolve().parent / "fixtures" / "real" / "go"
    parsed = formats.parse("go", [(real / "set.out").read_bytes()], "set.out")
    return paths.map_reports([parsed], paths.PathMapper("/nowhere", [], exists=lambda p: False))


# ----------------------------------------------------------------------------- editing


def file_entry(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in doc["coverage"]["files"] if f["path"] == path)


def diff_entry(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in doc["diff"]["files"] if f["path"] == path)


def set_at(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def covered_more(doc: dict[str, Any]) -> None:
    f = file_entry(doc, "src/util.py")
    f["covered_lines"] = f["statements"] + 1


def rename(doc: dict[str, Any], old: str, new: str) -> None:
    for section in (doc["coverage"]["files"], doc["comparison"]["files"], doc["diff"]["files"]):
        for f in section:
            if f["path"] == old:
                f["path"] = new


def entry(doc: dict[str, Any], section: str, path: str) -> dict[str, Any]:
    return next(f for f in doc[section]["files"] if f["path"] == path)


def each_gate(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: [g.update(values) for g in d["gates"]]


def read_edited(edit: Callable[[dict[str, Any]], None], **kw: Any) -> result_reader.Stored:
    doc = doc_of(make_case(**kw))
    edit(doc)
    return result_reader.loads(result.dumps(doc))


def row(stored: result_reader.Stored, path: str) -> Any:
    return next(r for r in stored.comparison.files if r.path == path)


def diff_file(stored: result_reader.Stored, path: str) -> Any:
    assert stored.comparison.diff is not None
    return stored.comparison.diff.files[path]
