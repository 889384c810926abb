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
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

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
    assert c.files == original.files and c.deleted == original.deleted
    assert c.directories == original.directories and c.changed == original.changed
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


TAMPERED: dict[str, Callable[[dict[str, Any]], None]] = {
    "wrong schema": _set("schema", value="covaction-baseline"),
    "newer version": _set("version", value=2),
    "version as text": _set("version", value="1"),
    "report name with markup": _set("report_name", value="<b>x</b>"),
    "covered more than total": _covered_more,
    "negative count": lambda d: _file_entry(d, "setup.py").update(covered_lines=-1),
    "boolean as count": lambda d: _file_entry(d, "src/app/new_mod.py").update(branches=True),
    "count out of range": lambda d: _file_entry(d, "src/util.py").update(statements=10**12),
    "percent not from counts": lambda d: _file_entry(d, "src/util.py").update(percent="100.00"),
    "totals not the sum": _set("coverage", "totals", value=result.counts_doc(Counts(72, 60, 4, 3))),
    "missing lines not the count": lambda d: _file_entry(d, "src/util.py").update(missing="9-10"),
    "missing lines with markup": lambda d: _file_entry(d, "src/util.py").update(
        missing="10 <img src=x>"
    ),
    "missing lines descending": lambda d: _file_entry(d, "setup.py").update(missing="3, 1-2"),
    "html in a path": lambda d: _rename(d, "setup.py", "src/<img src=x onerror=alert(1)>.py"),
    "markdown link in a path": lambda d: _rename(d, "setup.py", "[click](https://evil.example).py"),
    "path leaving the repository": lambda d: _rename(d, "setup.py", "../../other/setup.py"),
    "absolute path": lambda d: _rename(d, "setup.py", "/etc/passwd"),
    "oversized path": lambda d: _rename(d, "setup.py", "a/" * 3000 + "x.py"),
    "duplicate file": lambda d: d["coverage"]["files"].append(
        copy.deepcopy(d["coverage"]["files"][0])
    ),
    "no files": _set("coverage", "files", value=[]),
    "no coverage": lambda d: d.pop("coverage"),
    "notice with a link": _set("notices", value=["see [this](https://evil.example)"]),
    "notice with an html comment": _set("notices", value=["<!-- covaction:report:coverage -->"]),
    "notice with a control character": _set("notices", value=["line\nbreak"]),
    "notice with a bidi override": _set("notices", value=["safe\u202eyp.live"]),
    "too many notices": _set("notices", value=["n"] * 1000),
    "oversized notice": _set("notices", value=["n" * 5000]),
    "unmatched reason with html": lambda d: d["coverage"]["unmatched"][0].update(
        reason="<script>x</script>"
    ),
    "format with markup": _set("coverage", "formats", value=["<b>cobertura</b>"]),
    "gate result flipped": lambda d: d["gates"][0].update(
        status="passed" if d["gates"][0]["status"] == "failed" else "failed"
    ),
    "gate actual edited": lambda d: d["gates"][0].update(actual="99.99"),
    "gate name unknown": lambda d: d["gates"][0].update(name="**total**"),
    "gate required not the threshold": lambda d: d["gates"][0].update(required="1"),
    "gate missing": lambda d: d["gates"].pop(1),
    "gates reordered": lambda d: d["gates"].reverse(),
    "passed flipped": lambda d: d.update(passed=not d["passed"]),
    "threshold over 100": _set("thresholds", "minimum-coverage", value="101"),
    "threshold as a number": _set("thresholds", "minimum-coverage", value=80),
    "delta edited": _set("comparison", "delta", value="5.00"),
    "new file with a baseline": lambda d: next(
        f for f in d["comparison"]["files"] if f["status"] == "new"
    ).update(status="changed"),
    "deleted file still present": lambda d: next(
        f for f in d["comparison"]["files"] if f["path"] == "src/util.py"
    ).update(status="deleted"),
    "baseline commit not a sha": _set("comparison", "baseline", "commit", value="main; rm -rf /"),
    "baseline time malformed": _set("comparison", "baseline", "created_at", value="yesterday"),
    "baseline totals not the sum": _set(
        "comparison", "baseline", "totals", value=result.counts_doc(Counts(1, 1))
    ),
    "trend too long": lambda d: d["comparison"]["baseline"]["trend"].extend(
        d["comparison"]["baseline"]["trend"] * 20
    ),
    "baseline branch with markup": _set("comparison", "baseline", "branch", value="<details>"),
    "diff uncovered line that is covered": lambda d: _diff_entry(d, "src/app/core.py").update(
        uncovered=[3, 5, 6], covered=[4, 8], partial=[]
    ),
    "diff covered and uncovered overlap": lambda d: _diff_entry(d, "src/app/core.py").update(
        covered=[3, 4, 5, 8]
    ),
    "diff coverable not changed": lambda d: _diff_entry(d, "src/app/core.py").update(
        changed=[3, 4]
    ),
    "diff lines descending": lambda d: _diff_entry(d, "src/app/core.py").update(
        changed=[8, 6, 5, 4, 3]
    ),
    "diff line zero": lambda d: _diff_entry(d, "src/app/core.py").update(
        changed=[0, 3, 4, 5, 6, 8]
    ),
    "diff file the report lacks": lambda d: _diff_entry(d, "src/app/core.py").update(
        path="src/ghost.py"
    ),
    "diff totals not the sum": _set("diff", "covered_lines", value=0),
    "diff status deleted": lambda d: _diff_entry(d, "src/app/core.py").update(status="deleted"),
    "diff percent edited": _set("diff", "percent", value="100.00"),
    "diff partial not covered": lambda d: _diff_entry(d, "src/app/core.py").update(partial=[5]),
    "diff too many lines": lambda d: _diff_entry(d, "src/app/core.py").update(
        changed=list(range(1, 5_000_002))
    ),
    "pin verdict unknown": lambda d: d["pinning"]["references"][0].update(verdict="fine"),
    "pin kind unknown": lambda d: d["pinning"]["references"][0].update(kind="script"),
    "pin counts edited": lambda d: d["pinning"]["counts"].update(unpinned=0),
    "pin reason with a link": lambda d: d["pinning"]["references"][0].update(
        reason="pin it [here](https://evil.example)"
    ),
    "pin policy unknown": _set("pinning", "policy", value="maybe"),
    "pull request number zero": _set("context", "pull_request", value=0),
    "pull request number as text": _set("context", "pull_request", value="42"),
    "head sha malformed": _set("context", "head_sha", value="HEAD"),
    "repository malformed": _set("context", "repository", value="octo-org/widget/../x"),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_document_is_refused(name: str) -> None:
    doc = doc_of(make_case())
    TAMPERED[name](doc)
    with pytest.raises(result.ResultError) as caught:
        result_reader.loads(result.dumps(doc))
    message = str(caught.value)
    assert "\n" not in message and len(message) < 400


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
