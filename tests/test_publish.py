"""The stored result: document -> strict reader -> the same comment; tampered documents refused.

A fork's run keeps its result as the `result` document; the trusted `workflow_run` run reads it
back and renders the comment anew. The round trip must give exactly the comment (and summary)
the run would have posted itself, and every edit of the numbers, strings or shapes that makes
the document inconsistent or unsafe must be refused with one line.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from covaction import diff_coverage, formats, gates, paths
from covaction.changed_lines import ChangedLines, FileChange
from covaction.compare import Comparison, FileRow, compare
from covaction.documents import result, result_reader
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.github_context import GitHubContext, PullRequest
from covaction.model import METRICS, Counts, CoverageReport, FileCoverage, Unmatched
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


def _file(
    path: str, lines: int, missed: set[int], branches: dict[int, tuple[int, int]] | None = None
) -> FileCoverage:
    return FileCoverage.from_mappings(
        path, {n: 0 if n in missed else 3 for n in range(1, lines + 1)}, branches
    )


def make_report(branches: bool = True) -> CoverageReport:
    files = [
        _file(
            "src/app/core.py", 30, {5, 6, 7, 12, 30}, {3: (1, 2), 8: (2, 2)} if branches else None
        ),
        _file("src/app/new_mod.py", 5, set()),
        _file("src/util.py", 10, {10}),
        _file("setup.py", 3, {1, 2, 3}),
        _file("pkg/@scope/[id].py", 4, {4}),  # brackets and @: legal paths, rendered inert
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
    """What the pull request's own run renders (pipeline._run)."""
    summary = PinSummary.of(case.refs)
    gh = github()
    return markdown.RenderContext(
        report_name=case.settings.report_name,
        comparison=case.comparison,
        verdict=case.verdict,
        thresholds={
            "minimum-coverage": case.settings.minimum_coverage,
            "minimum-diff-coverage": case.settings.minimum_diff_coverage,
            "maximum-coverage-drop": case.settings.maximum_coverage_drop,
        },
        links=markdown.Links(gh.server_url, gh.repository, HEAD, gh.run_url, pull_request=42),
        pins=tuple(
            markdown.PinRow(
                r.file, r.line, r.uses, r.verdict, r.reason, case.suggestions.get(r.uses, "")
            )
            for r in summary.findings
        ),
        pin_policy=case.settings.pin_policy,
        pin_counts=result.pin_counts(summary),
        pin_notes=case.notes,
        notices=case.comparison.report.notices,
    )


def doc_of(case: Case) -> dict[str, Any]:
    doc = result.document(
        settings=case.settings, comparison=case.comparison, verdict=case.verdict, refs=case.refs,
        suggestions=case.suggestions, github=github(), comment_url="", pin_notes=case.notes,
    )  # fmt: skip
    return json.loads(result.dumps(doc))


def published_context(doc: dict[str, Any], report_name: str = "coverage") -> markdown.RenderContext:
    """What the workflow_run run renders from the stored document."""
    stored = result_reader.loads(result.dumps(doc))
    gh = SimpleNamespace(server_url="https://github.com", repository=REPO)
    trigger = workflow_run_comment.Trigger(
        RUN_ID, HEAD, "contrib/widget", "pull_request", "success", ()
    )
    return workflow_run_comment.render_context(
        settings(report_name=report_name),
        gh,  # type: ignore[arg-type]
        stored,
        trigger,
    )


# ----------------------------------------------------------------------------- round trip

CASES: dict[str, Callable[[], Case]] = {
    "baseline, diff, branches, pins": lambda: make_case(),
    "no baseline, no diff": lambda: make_case(baseline=False, diff=False),
    "branch baseline read on lines": lambda: make_case(branches=False, base_branches=True),
    "baseline without branches": lambda: make_case(base_branches=False),
    "no coverable changed line": lambda: make_case(
        changes=ChangedLines(
            {"docs/guide.md": FileChange("docs/guide.md", None, "added", frozenset({1}))}
        )
    ),
    "gates failing, pin policy fail": lambda: make_case(
        minimum_coverage=Decimal("99.5"), pin_policy="fail"
    ),
    "no thresholds, pin check off": lambda: make_case(
        minimum_coverage=None,
        minimum_diff_coverage=None,
        maximum_coverage_drop=None,
        pin_policy="off",
    ),
    "every reference pinned": lambda: make_case(refs=make_refs()[1:2]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_stored_result_renders_the_same_comment_and_summary(name: str) -> None:
    case = CASES[name]()
    direct = direct_context(case)
    published = published_context(doc_of(case))
    assert markdown.render_comment(published) == markdown.render_comment(direct)
    assert markdown.render_summary(published) == markdown.render_summary(direct)


def test_the_round_trip_rebuilds_the_objects() -> None:
    case = make_case()
    stored = result_reader.loads(result.dumps(doc_of(case)))
    c, original = stored.comparison, case.comparison
    assert stored.verdict == case.verdict
    assert c.counts == original.counts and c.base_counts == original.base_counts

    def rows(rows: tuple[FileRow, ...]) -> list[tuple[object, ...]]:
        """What a row says (a row's measured file compares by identity)."""
        return [(r.path, r.counts, r.base, r.status, r.missing, r.diff, r.reason) for r in rows]

    assert rows(c.files) == rows(original.files) and rows(c.deleted) == rows(original.deleted)
    assert rows(c.changed) == rows(original.changed) and rows(c.unplaced) == rows(original.unplaced)
    assert c.directories == original.directories
    assert c.diff is not None and original.diff is not None
    assert dict(c.diff.files) == dict(original.diff.files) and c.diff.counts == original.diff.counts
    assert c.baseline is not None and c.baseline.trend == original.baseline.trend  # type: ignore[union-attr]

    def shown(refs: tuple[ActionRef, ...]) -> list[tuple[object, ...]]:
        return [
            (r.file, r.line, r.column, r.uses, r.verdict, r.reason, r.allowed, r.kind) for r in refs
        ]

    assert shown(stored.pin_summary.findings) == shown(PinSummary.of(case.refs).findings)
    assert stored.pin_counts == result.pin_counts(PinSummary.of(case.refs))
    assert (stored.pull_request, stored.head_sha, stored.repository) == (42, HEAD, REPO)
    assert stored.report_name == "coverage" and stored.pin_notes == case.notes


def test_the_document_is_numbers_not_markdown() -> None:
    doc = doc_of(make_case())
    text = json.dumps(doc)
    assert "<!--" not in text and "|---" not in text and "###" not in text
    [core] = [f for f in doc["diff"]["files"] if f["path"] == "src/app/core.py"]
    assert (
        core["changed"] == [3, 4, 5, 6, 8, 31]
        and core["coverable"] == [3, 4, 5, 6, 8]
        and core["uncovered"] == [5, 6]
    )
    assert (core["branches"], core["covered_branches"]) == (4, 3)
    base = {f["path"]: f for f in doc["comparison"]["files"]}
    assert (
        base["src/old.py"]["status"] == "deleted" and base["src/old.py"]["base"]["statements"] == 4
    )
    assert (
        base["src/app/new_mod.py"]["status"] == "new" and base["src/app/new_mod.py"]["base"] is None
    )
    assert len(doc["comparison"]["baseline"]["trend"]) == 4
    assert (
        doc["pinning"]["counts"]["unpinned"] == 2
        and doc["thresholds"]["maximum-coverage-drop"] == "0.5"
    )


def test_unknown_keys_are_ignored_within_a_version() -> None:
    doc = doc_of(make_case())
    doc["later"] = {"anything": [1, 2]}
    doc["coverage"]["files"][0]["more"] = "x"
    assert result_reader.loads(result.dumps(doc)).report_name == "coverage"


# ----------------------------------------------------------------------------- tampering


def _file_entry(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in doc["coverage"]["files"] if f["path"] == path)


def _diff_entry(doc: dict[str, Any], path: str) -> dict[str, Any]:
    return next(f for f in doc["diff"]["files"] if f["path"] == path)


def _set(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        target = doc
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _covered_more(doc: dict[str, Any]) -> None:
    f = _file_entry(doc, "src/util.py")
    f["covered_lines"] = f["statements"] + 1


def _rename(doc: dict[str, Any], old: str, new: str) -> None:
    for section in (doc["coverage"]["files"], doc["comparison"]["files"], doc["diff"]["files"]):
        for f in section:
            if f["path"] == old:
                f["path"] = new


def _entry(doc: dict[str, Any], section: str, path: str) -> dict[str, Any]:
    return next(f for f in doc[section]["files"] if f["path"] == path)


def _each_gate(**values: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: [g.update(values) for g in d["gates"]]


# Derived values: written for tools downstream, never read. Editing one changes nothing.
DERIVED: dict[str, Callable[[dict[str, Any]], None]] = {
    "a file's percentages, missing_lines and metric": lambda d: _file_entry(d, "src/util.py").update(
        percent="100.00", line_percent="100.00", branch_percent="50.00", missing_lines=0,
        metric="branches",
    ),
    "the totals": _set("coverage", "totals", value=result.counts_doc(Counts(72, 60, 4, 3))),
    "every gate's result": _each_gate(status="passed", actual="100.00", message="all good"),
    "every gate's name and threshold": _each_gate(name="**total**", required="1"),
    "a gate left out": lambda d: d["gates"].pop(1),
    "the gates reordered": lambda d: d["gates"].reverse(),
    "the gates not a list": _set("gates", value="passed"),
    "passed": lambda d: d.update(passed=not d["passed"]),
    "the delta": _set("comparison", "delta", value="5.00"),
    "a compared file's percentages": lambda d: _entry(d, "comparison", "src/util.py").update(
        percent="1.00", base_percent="99.00"
    ),
    "a file of this run called deleted": lambda d: _entry(d, "comparison", "src/util.py").update(
        status="deleted"
    ),
    "the baseline's totals": _set(
        "comparison", "baseline", "totals", value=result.counts_doc(Counts(1, 1))
    ),
    "a diff file's covered and uncovered lines": lambda d: _diff_entry(d, "src/app/core.py").update(
        uncovered=[3, 5, 6], covered=[4, 8]
    ),
    "a diff file's covered lines overlapping its uncovered": lambda d: _diff_entry(
        d, "src/app/core.py"
    ).update(covered=[3, 4, 5, 8]),
    "a diff file's percent": lambda d: _diff_entry(d, "src/app/core.py").update(percent="1.00"),
    "the diff's totals": lambda d: d["diff"].update(covered_lines=0, coverable_lines=99),
    "the diff's percent": _set("diff", "percent", value="100.00"),
    "the pin counts": lambda d: d["pinning"]["counts"].update(unpinned=0),
}  # fmt: skip


@pytest.mark.parametrize("name", list(DERIVED))
def test_a_derived_value_is_recomputed_from_the_inputs_never_read(name: str) -> None:
    case = make_case(minimum_coverage=Decimal("99.5"), pin_policy="fail")
    genuine = result_reader.loads(result.dumps(doc_of(case)))
    doc = doc_of(case)
    DERIVED[name](doc)
    edited = result_reader.loads(result.dumps(doc))
    assert edited.verdict == genuine.verdict == case.verdict and not edited.verdict.passed
    assert edited.comparison.delta == case.comparison.delta
    assert edited.pin_counts == genuine.pin_counts
    assert markdown.render_comment(published_context(doc)) == markdown.render_comment(
        direct_context(case)
    )
    assert markdown.render_summary(published_context(doc)) == markdown.render_summary(
        direct_context(case)
    )


def _read_edited(edit: Callable[[dict[str, Any]], None], **kw: Any) -> result_reader.Stored:
    doc = doc_of(make_case(**kw))
    edit(doc)
    return result_reader.loads(result.dumps(doc))


def _row(stored: result_reader.Stored, path: str) -> Any:
    return next(r for r in stored.comparison.files if r.path == path)


def _diff_file(stored: result_reader.Stored, path: str) -> Any:
    assert stored.comparison.diff is not None
    return stored.comparison.diff.files[path]


def test_comparison_files_say_only_which_files_the_baseline_holds() -> None:
    """Each file's status is recomputed from the baseline's files: an entry not called new
    puts its file in the baseline (with no counts: an empty entry), a file without an entry
    is new; without a baseline the entries are not read."""
    entries = lambda d: d["comparison"]["files"]  # noqa: E731
    left_out = _read_edited(lambda d: entries(d).remove(_entry(d, "comparison", "src/util.py")))
    assert (_row(left_out, "src/util.py").status, _row(left_out, "src/util.py").base) == (
        "new",
        None,
    )
    no_counts = _read_edited(
        lambda d: _entry(d, "comparison", "src/app/new_mod.py").update(status="changed")
    )
    assert (
        _row(no_counts, "src/app/new_mod.py").status,
        _row(no_counts, "src/app/new_mod.py").base,
    ) == ("", Counts())
    no_baseline = _read_edited(_set("comparison", "baseline", value=None))
    assert no_baseline.comparison.baseline is None and no_baseline.comparison.deleted == ()
    assert {r.status for r in no_baseline.comparison.files} == {""}
    assert no_baseline.comparison.delta is None


def test_a_diff_file_keeps_what_its_lines_say_and_recomputes_the_rest() -> None:
    """Coverable lines are changed lines (others are dropped); covered and uncovered lines
    come from the file's missed lines; a partial line is a covered one."""
    not_changed = _read_edited(lambda d: _diff_entry(d, "src/app/core.py").update(changed=[3, 4]))
    f = _diff_file(not_changed, "src/app/core.py")
    assert (f.changed, f.coverable, f.covered, f.uncovered, f.partial) == (
        (3, 4),
        (3, 4),
        (3, 4),
        (),
        (3,),
    )
    assert not_changed.comparison.diff is not None
    # core.py 2 of 2, new_mod.py 3 of 3, [id].py 1 of 2; core.py's branches as written
    assert not_changed.comparison.diff.counts == Counts(7, 6, 4, 3)
    uncovered_partial = _read_edited(
        lambda d: _diff_entry(d, "src/app/core.py").update(partial=[3, 5])
    )
    assert _diff_file(uncovered_partial, "src/app/core.py").partial == (3,)


def test_references_of_a_pin_check_that_was_off_are_not_read() -> None:
    stored = _read_edited(_set("pinning", "policy", value="off"))
    assert stored.references == () and stored.pin_summary.findings == ()
    assert [c.name for c in stored.verdict.checks] == ["total", "diff", "drop"]


def test_the_note_keeps_what_compare_says_about_the_baseline() -> None:
    """The run's note is an input; compare's own words about reading the baseline are
    recomputed and added when the document lacks them."""
    genuine = _read_edited(lambda d: None, base_branches=False)
    says = "compared on lines: the baseline measured no branches"
    assert (
        genuine.comparison.baseline_note == f"the pull request's base commit, 3 hours old; {says}"
    )
    edited = _read_edited(_set("comparison", "note", value="edited"), base_branches=False)
    assert edited.comparison.baseline_note == f"edited; {says}"


def test_missing_ranges_are_read_as_lines_and_written_as_the_run_writes_them() -> None:
    stored = _read_edited(
        lambda d: _file_entry(d, "src/app/core.py").update(missing="5-6, 7, 12, 30")
    )
    assert _row(stored, "src/app/core.py").missing == "5-7, 12, 30"


# Inputs that are malformed, unsafe or contradict each other: refused, with what is wrong.
TAMPERED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "wrong schema": (_set("schema", value="covaction-baseline"), 'not a covaction result (no "schema": "covaction-result")'),
    "newer version": (_set("version", value=2), "result format version 2 is newer than covaction"),
    "version as text": (_set("version", value="1"), "the document has no valid version"),
    "report name with markup": (_set("report_name", value="<b>x</b>"), "report_name: is not of the expected form"),
    "covered more than total": (_covered_more, "coverage.files[4]: covers more than it counts"),
    "negative count": (lambda d: _file_entry(d, "setup.py").update(covered_lines=-1), "coverage.files[1].covered_lines: must be a whole number from 0 to 1,000,000,000"),
    "boolean as count": (lambda d: _file_entry(d, "src/app/new_mod.py").update(branches=True), "coverage.files[3].branches: must be a whole number"),
    "count out of range": (lambda d: _file_entry(d, "src/util.py").update(statements=10**12), "coverage.files[4].statements: must be a whole number"),
    "units covering more than they count": (lambda d: _file_entry(d, "src/util.py").update(units=1, covered_units=2), "coverage.files[4]: covers more than it counts"),
    "metric unknown": (_set("coverage", "metric", value="vibes"), "coverage.metric: must be one of lines, lines-and-branches"),
    "missing lines not the count": (lambda d: _file_entry(d, "src/util.py").update(missing="9-10"), "coverage.files[4].missing: does not list the lines the counts miss"),
    "missing lines with markup": (lambda d: _file_entry(d, "src/util.py").update(missing="10 <img src=x>"), "coverage.files[4].missing: is not of the expected form"),
    "missing lines descending": (lambda d: _file_entry(d, "setup.py").update(missing="3, 1-2"), "coverage.files[1].missing: ranges must ascend without overlapping"),
    "more missed lines than the reader expands": (lambda d: _file_entry(d, "src/util.py").update(statements=5_000_001, missing="1-4999992"), "coverage.files[4]: the files miss more than 5,000,000 lines together"),
    "missing lines in Arabic-Indic digits": (lambda d: _file_entry(d, "src/util.py").update(missing="\u0661\u0660"), "coverage.files[4].missing: is not of the expected form"),
    "html in a path": (lambda d: _rename(d, "setup.py", "src/<img src=x onerror=alert(1)>.py"), "coverage.files[1].path: holds HTML or a Markdown link, which covaction never writes"),
    "markdown link in a path": (lambda d: _rename(d, "setup.py", "[click](https://evil.example).py"), "coverage.files[1].path: holds HTML or a Markdown link"),
    "path leaving the repository": (lambda d: _rename(d, "setup.py", "../../other/setup.py"), "coverage.files[1].path: must be a path inside the repository"),
    "absolute path": (lambda d: _rename(d, "setup.py", "/etc/passwd"), "coverage.files[1].path: must be a path inside the repository"),
    "oversized path": (lambda d: _rename(d, "setup.py", "a/" * 3000 + "x.py"), "coverage.files[1].path: is 6,004 characters long, more than the 4,096 allowed"),
    "duplicate file": (lambda d: d["coverage"]["files"].append(copy.deepcopy(d["coverage"]["files"][0])), "coverage.files[5]: repeats a path"),
    "no files": (_set("coverage", "files", value=[]), "coverage.files: is empty"),
    "no coverage": (lambda d: d.pop("coverage"), "coverage: is missing: the run measured no coverage"),
    "notice with a link": (_set("notices", value=["see [this](https://evil.example)"]), "notices[0]: holds HTML or a Markdown link"),
    "notice with an html comment": (_set("notices", value=["<!-- covaction:report:coverage -->"]), "notices[0]: holds HTML or a Markdown link"),
    "notice with a control character": (_set("notices", value=["line\nbreak"]), "notices[0]: holds control or bidirectional characters"),
    "notice with a bidi override": (_set("notices", value=["safe\u202eyp.live"]), "notices[0]: holds control or bidirectional characters"),
    "too many notices": (_set("notices", value=["n"] * 1000), "notices: holds 1,000 entries, more than the 200 allowed"),
    "oversized notice": (_set("notices", value=["n" * 5000]), "notices[0]: is 5,000 characters long, more than the 2,000 allowed"),
    "unmatched reason with html": (lambda d: d["coverage"]["unmatched"][0].update(reason="<script>x</script>"), "coverage.unmatched[0].reason: holds HTML or a Markdown link"),
    "format with markup": (_set("coverage", "formats", value=["<b>cobertura</b>"]), "coverage.formats[0]: is not of the expected form"),
    "threshold over 100": (_set("thresholds", "minimum-coverage", value="101"), "thresholds.minimum-coverage: must be a percentage from 0 to 100"),
    "threshold as a number": (_set("thresholds", "minimum-coverage", value=80), "thresholds.minimum-coverage: must be a string"),
    "threshold in Arabic-Indic digits": (_set("thresholds", "minimum-coverage", value="\u0668\u0660"), "thresholds.minimum-coverage: is not of the expected form"),
    "compared file status unknown": (lambda d: _entry(d, "comparison", "src/util.py").update(status="gone"), "comparison.files[3].status: must be one of changed, new, deleted"),
    "compared file repeated": (lambda d: d["comparison"]["files"].append(copy.deepcopy(d["comparison"]["files"][0])), "comparison.files[6]: repeats a path"),
    "base counts covering more than they count": (lambda d: _entry(d, "comparison", "src/util.py").update(base=result.counts_doc(Counts(10, 10)) | {"covered_lines": 11}), "comparison.files[3].base: covers more than it counts"),
    "baseline commit not a sha": (_set("comparison", "baseline", "commit", value="main; rm -rf /"), "comparison.baseline.commit: is not of the expected form"),
    "baseline time malformed": (_set("comparison", "baseline", "created_at", value="yesterday"), "comparison.baseline.created_at: is not of the expected form"),
    "trend too long": (lambda d: d["comparison"]["baseline"]["trend"].extend(d["comparison"]["baseline"]["trend"] * 20), "comparison.baseline.trend: holds 84 entries, more than the 50 allowed"),
    "trend metric unknown": (lambda d: d["comparison"]["baseline"]["trend"][0]["counts"].update(metric="vibes"), "comparison.baseline.trend[0].counts.metric: must be one of"),
    "baseline branch with markup": (_set("comparison", "baseline", "branch", value="<details>"), "comparison.baseline.branch: holds HTML or a Markdown link"),
    "diff lines descending": (lambda d: _diff_entry(d, "src/app/core.py").update(changed=[8, 6, 5, 4, 3]), "diff.files[1].changed: must hold ascending line numbers from 1 to 100,000,000"),
    "diff line zero": (lambda d: _diff_entry(d, "src/app/core.py").update(changed=[0, 3, 4, 5, 6, 8]), "diff.files[1].changed: must hold ascending line numbers"),
    "diff coverable lines repeated": (lambda d: _diff_entry(d, "src/app/core.py").update(coverable=[3, 3, 4]), "diff.files[1].coverable: must hold ascending line numbers"),
    "diff file the report lacks": (lambda d: _diff_entry(d, "src/app/core.py").update(path="src/ghost.py"), "diff.files[1]: repeats a path, or names a file the report lacks"),
    "diff status deleted": (lambda d: _diff_entry(d, "src/app/core.py").update(status="deleted"), "diff.files[1].status: must be one of added, modified, renamed, copied, binary"),
    "diff branches covering more than they count": (lambda d: _diff_entry(d, "src/app/core.py").update(covered_branches=5), "diff.files[1].covered_branches: must be a whole number from 0 to 4"),
    "diff too many lines": (lambda d: _diff_entry(d, "src/app/core.py").update(changed=list(range(1, 5_000_002))), "diff.files[1].changed: holds 5,000,001 entries, more than the 5,000,000 allowed"),
    "diff file not in the report called not measured": (lambda d: d["diff"].update(not_measured=["docs/guide.md"]), "diff: not_in_report and not_measured contradict the report"),
    "pin verdict unknown": (lambda d: d["pinning"]["references"][0].update(verdict="fine"), "pinning.references[0].verdict: must be one of pinned, unpinned, local, unverifiable, parse-error"),
    "pin kind unknown": (lambda d: d["pinning"]["references"][0].update(kind="script"), "pinning.references[0].kind: must be one of action, reusable-workflow, docker, local"),
    "pin reason with a link": (lambda d: d["pinning"]["references"][0].update(reason="pin it [here](https://evil.example)"), "pinning.references[0].reason: holds HTML or a Markdown link"),
    "two pins suggested for one reference": (lambda d: d["pinning"]["references"].append(d["pinning"]["references"][0] | {"suggestion": PIN.replace("1", "2")}), "pinning.references[6]: suggests two pins for one reference"),
    "pin policy unknown": (_set("pinning", "policy", value="maybe"), "pinning.policy: must be one of fail, warn, off"),
    "pull request number zero": (_set("context", "pull_request", value=0), "context.pull_request: must be a whole number from 1 to 9,999,999,999"),
    "pull request number as text": (_set("context", "pull_request", value="42"), "context.pull_request: must be a whole number"),
    "head sha malformed": (_set("context", "head_sha", value="HEAD"), "context.head_sha: is not of the expected form"),
    "repository malformed": (_set("context", "repository", value="octo-org/widget/../x"), "context.repository: is not of the expected form"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_document_is_refused(name: str) -> None:
    edit, says = TAMPERED[name]
    doc = doc_of(make_case())
    edit(doc)
    with pytest.raises(result.ResultError) as caught:
        result_reader.loads(result.dumps(doc))
    message = str(caught.value)
    assert message.startswith(says) and "\n" not in message and len(message) < 400, message


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe{}",  # not UTF-8
        b"[]",
        b'{"schema": "covaction-result", "schema": "covaction-result", "version": 1}',  # duplicate key
        b'{"schema": "covaction-result", "version": 1, "passed": NaN}',
        b'{"schema": "covaction-result", "version": 1.0}',
        b"[" * 100_000 + b"]" * 100_000,  # nests too deeply
        b'{"schema": "covaction-result", "version": 1, "x": ' + b"1" * 5000 + b"}",  # huge integer
        b"not json",
    ],
)
def test_malformed_json_is_refused(data: bytes) -> None:
    with pytest.raises(result.ResultError):
        result_reader.loads(data)


def test_an_oversized_document_is_refused_before_parsing() -> None:
    data = result.dumps(doc_of(make_case()))
    assert result_reader.loads(data, max_bytes=len(data)).report_name == "coverage"
    with pytest.raises(result.ResultError, match="over the"):
        result_reader.loads(data, max_bytes=len(data) - 1)


def test_a_pin_only_result_cannot_be_published() -> None:
    case = make_case()
    doc = result.document(
        settings=case.settings, comparison=None, verdict=gates.evaluate(), refs=(), suggestions={},
        github=github(), comment_url="",
    )  # fmt: skip
    with pytest.raises(result.ResultError, match="coverage: is missing"):
        result_reader.loads(result.dumps(doc))


# ----------------------------------------------------------------------------- the trigger


def _trigger(run: Any, environ: dict[str, str] | None = None) -> Any:
    """The trigger as `publish` reads it from a workflow_run event of this repository."""
    github = SimpleNamespace(workflow_run=run, repository=REPO, event_name="workflow_run")
    return workflow_run_comment.read_trigger(
        github,  # type: ignore[arg-type]
        environ if environ is not None else {"GITHUB_REPOSITORY_ID": "111"},
    )


def _run(**kw: Any) -> dict[str, Any]:
    run = {
        "id": RUN_ID, "event": "pull_request", "status": "completed", "conclusion": "failure",
        "head_sha": HEAD, "head_branch": "fix-parser", "pull_requests": [],
        "head_repository": {"id": 222, "full_name": "contrib/widget"},
        "repository": {"id": 111, "full_name": REPO},
    }  # fmt: skip
    run.update(kw)
    return run


def test_the_trigger_is_read_from_the_event() -> None:
    trigger = _trigger(_run())
    assert trigger == workflow_run_comment.Trigger(
        RUN_ID, HEAD, "contrib/widget", "pull_request", "failure", ()
    )
    same = _run(pull_requests=[
        {"number": 7, "head": {"sha": HEAD}, "base": {"repo": {"id": 999}}},  # into another repository
        {"number": 8, "head": {"sha": HEAD}, "base": {"repo": {"id": 111}}},
        {"number": 9, "head": {"sha": "c1" * 20}, "base": {"repo": {"id": 111}}},  # another commit
    ])  # fmt: skip
    assert _trigger(same).pull_requests == (8,)


@pytest.mark.parametrize(
    "run, why",
    [
        (None, "no usable workflow_run"),
        (_run(status="in_progress", conclusion=None), "has not completed"),
        (_run(conclusion=None), "has not completed"),
        (_run(event="push"), "not a pull request"),
        (_run(repository={"id": 333, "full_name": "someone/else"}), "another repository"),
        (_run(repository={"id": 333, "full_name": REPO}), "another repository"),
        (_run(head_sha="main"), "no head commit"),
        (_run(id="9000000001"), "no run id"),
    ],
)
def test_only_a_completed_pull_request_run_of_this_repository_is_published(
    run: Any, why: str
) -> None:
    with pytest.raises(workflow_run_comment.Refused, match=why):
        _trigger(run)


def test_the_result_artifact_is_named_after_the_report() -> None:
    assert result.artifact_name("coverage") == "covaction-result-coverage"
    assert len(result.artifact_name("x" * 64)) <= 100


def test_a_go_report_with_files_placed_nowhere_round_trips_through_the_document() -> None:
    """A fork's run of a Go project: the headline counts statements and includes files the
    checkout does not hold; the workflow_run run reads the same number and the same rows."""
    real = Path(__file__).resolve().parent / "fixtures" / "real" / "go"
    parsed = formats.parse("go", [(real / "set.out").read_bytes()], "set.out")
    report = paths.map_reports([parsed], paths.PathMapper("/nowhere", [], exists=lambda p: False))
    c = compare(report, None, None, "no baseline")
    s = settings(
        minimum_coverage=Decimal("50"), minimum_diff_coverage=None, maximum_coverage_drop=None
    )
    verdict = verdict_of(s, c, 0, "")
    doc = result.document(
        settings=s, comparison=c, verdict=verdict, refs=(), suggestions={}, github=github(),
        comment_url="",
    )  # fmt: skip
    stored = result_reader.loads(result.dumps(doc))
    assert stored.comparison.counts.metric == "statements"
    assert stored.comparison.counts.percent == c.counts.percent
    assert [(r.path, r.reason) for r in stored.comparison.unplaced] == [
        (r.path, r.reason) for r in c.unplaced
    ]
    assert [(k.name, k.status) for k in stored.verdict.checks] == [
        (k.name, k.status) for k in verdict.checks
    ]


def _case_of(c: Comparison, s: SimpleNamespace | None = None) -> Case:
    s = s or settings(minimum_coverage=Decimal("50"), minimum_diff_coverage=None)
    return Case(
        settings=s, comparison=c, verdict=verdict_of(s, c, 0, ""), refs=(), notes=(),
        suggestions={},
    )  # fmt: skip


def _go_report() -> CoverageReport:
    real = Path(__file__).resolve().parent / "fixtures" / "real" / "go"
    parsed = formats.parse("go", [(real / "set.out").read_bytes()], "set.out")
    return paths.map_reports([parsed], paths.PathMapper("/nowhere", [], exists=lambda p: False))


def test_a_baseline_holding_files_placed_nowhere_is_compared_as_the_run_compared_it() -> None:
    """The baseline's counts of a file placed nowhere are stored with it (`base`), so the
    total the drop gate compares is the run's (before: refused as "comparison.baseline.totals:
    is not the sum of the files' counts")."""
    report = _go_report()
    files = {
        p: Counts(
            c.statements, c.covered_lines - 1, units=c.units, covered_units=c.covered_units - 1
        )
        for p, c in ((p, fc.counts) for p, fc in report.unplaced.items())
    }
    base = Baseline(BASE, "main", "2026-11-20T08:00:00Z", "coverage", "0.1.0", False, files, (),
                    "9000000000", metric="statements")  # fmt: skip
    case = _case_of(compare(report, base, None, "the base"), settings(minimum_diff_coverage=None))
    doc = doc_of(case)
    assert [f["base"]["covered_units"] for f in doc["coverage"]["unplaced"]] == [
        c.covered_units for _, c in sorted(files.items())
    ]
    stored = result_reader.loads(result.dumps(doc))
    assert case.comparison.delta is not None and case.comparison.delta > 0
    assert stored.comparison.delta == case.comparison.delta
    assert stored.verdict == case.verdict
    assert markdown.render_comment(published_context(doc)) == markdown.render_comment(
        direct_context(case)
    )


def test_a_baseline_that_cannot_give_the_metric_is_published_as_not_compared() -> None:
    """Branch coverage against a baseline that measured no branches: the run says "not
    compared"; so does the stored result (before: refused as "a file is new exactly when the
    baseline lacks it")."""
    report = make_report()
    report = replace(
        report,
        metric="branches",
        files={p: f.with_metric("branches") for p, f in report.files.items()},
    )
    case = _case_of(compare(report, make_baseline(False), None, "the base"))
    assert not case.comparison.comparable
    stored = result_reader.loads(result.dumps(doc_of(case)))
    assert not stored.comparison.comparable and stored.comparison.delta is None
    assert stored.comparison.baseline_note == case.comparison.baseline_note
    assert [r.status for r in stored.comparison.deleted] == ["deleted"]
    assert markdown.render_comment(published_context(doc_of(case))) == markdown.render_comment(
        direct_context(case)
    )


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("base_branches", [True, False])
def test_a_result_compared_under_any_metric_renders_the_runs_comment(
    metric: str, base_branches: bool
) -> None:
    """Before, a baseline compared under another metric than lines and branches was refused
    ("comparison.delta: does not follow from the totals")."""
    report = make_report()
    report = replace(
        report, metric=metric, files={p: f.with_metric(metric) for p, f in report.files.items()}
    )
    c = compare(report, make_baseline(base_branches), diff_coverage.diff_coverage(report, make_changes()), "the base")  # fmt: skip
    case = _case_of(c, settings())
    published = published_context(doc_of(case))
    assert markdown.render_comment(published) == markdown.render_comment(direct_context(case))
    assert markdown.render_summary(published) == markdown.render_summary(direct_context(case))
