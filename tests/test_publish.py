"""The stored result: a run's result -> the document -> the reader -> the same comment.

A fork's run keeps its result as the `result` document; the trusted `workflow_run` run reads it
back and renders the comment anew. The round trip must give exactly the comment (and summary)
the run would have posted itself, whatever the report measured and however the baseline was
compared. The publishing trigger is read from the event alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from covaction import diff_coverage
from covaction.changed_lines import ChangedLines, FileChange
from covaction.compare import FileRow, compare
from covaction.documents import result, result_reader
from covaction.documents.baseline import Baseline
from covaction.model import METRICS, Counts, display_precision
from covaction.pins.workflows import ActionRef, PinSummary
from covaction.render import markdown
from covaction.stages import workflow_run_comment
from tests.fork_results import (
    BASE,
    HEAD,
    REPO,
    RUN_ID,
    Case,
    case_of,
    direct_context,
    doc_of,
    github,
    go_report,
    joined_case,
    make_baseline,
    make_case,
    make_changes,
    make_refs,
    make_report,
    published_context,
    settings,
    verdict_of,
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
    # coverage.py's missed statements joined across comments and blank lines ("4-8"), and the
    # same lines from another producer, shown as plain ranges ("4, 7-8").
    "coverage.py report with gaps between statements": lambda: joined_case(),
    "LCOV report with gaps between lines": lambda: joined_case(("LCOV",)),
    "no producer named": lambda: joined_case(()),
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
    c = compare(go_report(), None, None, "no baseline")
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


def test_a_baseline_holding_files_placed_nowhere_is_compared_as_the_run_compared_it() -> None:
    """The baseline's counts of a file placed nowhere are stored with it (`base`), so the
    total the drop gate compares is the run's (before: refused as "comparison.baseline.totals:
    is not the sum of the files' counts")."""
    report = go_report()
    files = {
        p: Counts(
            c.statements, c.covered_lines - 1, units=c.units, covered_units=c.covered_units - 1
        )
        for p, c in ((p, fc.counts) for p, fc in report.unplaced.items())
    }
    base = Baseline(BASE, "main", "2026-11-20T08:00:00Z", "coverage", "0.1.0", False, files, (),
                    "9000000000", metric="statements")  # fmt: skip
    case = case_of(compare(report, base, None, "the base"), settings(minimum_diff_coverage=None))
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
    case = case_of(compare(report, make_baseline(False), None, "the base"))
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
    case = case_of(c, settings())
    published = published_context(doc_of(case))
    assert markdown.render_comment(published) == markdown.render_comment(direct_context(case))
    assert markdown.render_summary(published) == markdown.render_summary(direct_context(case))


def test_the_published_comment_groups_folders_as_the_publishing_workflow_asks() -> None:
    """`folder-depth` of the workflow_run workflow applies to the comment it posts, as the
    pull request's own run applies its own (before: always one level)."""
    case = make_case(folder_depth=2)
    published = published_context(doc_of(case), folder_depth=2)
    assert markdown.render_comment(published) == markdown.render_comment(direct_context(case))
    assert "`src/app`" in markdown.render_comment(published)


def test_the_stored_result_keeps_the_repositorys_decimals() -> None:
    """coverage.py's `[report] precision`, which the fork's run showed every percentage with,
    travels in the document (`coverage.precision`); the gates are recomputed with it (before:
    not stored, so the published comment showed two decimals)."""
    report = replace(make_report(), precision=1)
    c = compare(report, make_baseline(), diff_coverage.diff_coverage(report, make_changes()), "b")
    with display_precision(1):
        case = case_of(c, settings())
        direct = markdown.render_comment(direct_context(case))
        doc = doc_of(case)
    assert doc["coverage"]["precision"] == 1 and doc["coverage"]["totals"]["percent"] == "80.4"
    stored = result_reader.loads(result.dumps(doc))
    assert stored.comparison.report.precision == 1
    assert stored.verdict == case.verdict
    assert stored.verdict.checks[0].message == (
        "Total coverage 80.4% of lines and branches meets the minimum 80%"
    )
    with result_reader.decimals(stored.comparison.report):  # as publish renders
        assert markdown.render_comment(published_context(doc)) == direct
