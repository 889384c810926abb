"""Annotations where reviewers look: uncovered changed lines first, pin findings only in files
the change touches, and check-run batches of 50 (GitHub's limit per request)."""

from __future__ import annotations

from dataclasses import replace

from covaction.edges.runner import ANNOTATIONS_PER_LEVEL
from covaction.pins.refs import ActionRef
from covaction.render import annotations
from tests.render_helpers import golden_context


def finding(file: str, line: int) -> ActionRef:
    return ActionRef(file, line, "some/action@v1", "unpinned", "a tag can be moved")


def test_uncovered_changed_lines_come_before_pin_findings() -> None:
    comparison = golden_context().comparison
    findings = [finding(".github/workflows/ci.yml", n) for n in range(1, 20)]
    planned = annotations.plan("warn", comparison, findings, {})
    titles = [a.title for a in planned]
    assert titles[:2] == ["Uncovered change", "Uncovered change"]
    # The first ten warnings, all the runner shows, hold every uncovered range.
    first_ten = planned[:ANNOTATIONS_PER_LEVEL]
    assert [(a.file, a.line, a.end_line) for a in first_ten[:2]] == [
        ("src/widget/new_feature.py", 7, 10),
        ("src/widget/core.py", 12, 13),
    ]


def test_pin_findings_only_in_files_the_change_touches() -> None:
    comparison = golden_context().comparison  # the change edits .github/workflows/ci.yml
    findings = [
        finding(".github/workflows/ci.yml", 14),
        finding(".github/workflows/release.yml", 3),
        finding("action.yml", 9),
    ]
    planned = annotations.plan("fail", comparison, findings, {})
    pins = [(a.file, a.level) for a in planned if a.title == "Unpinned action"]
    assert pins == [(".github/workflows/ci.yml", "error")]
    # Without a known change (a push), every finding is annotated.
    planned = annotations.plan("warn", replace(comparison, diff=None), findings, {})
    assert len([a for a in planned if a.title == "Unpinned action"]) == 3
    assert all(a.title == "Unpinned action" for a in planned)


def test_check_run_batches_hold_50_each_in_order() -> None:
    many = [
        annotations.Annotation("warning", f"m{i}", file="a.py", line=i + 1, end_line=i + 3)
        for i in range(120)
    ] + [annotations.Annotation("error", "x", file="w.yml", line=2, title="t" * 300)]
    batches = annotations.check_run_batches([annotations.Annotation("notice", "no file"), *many])
    assert [len(b) for b in batches] == [50, 50, 21]
    assert batches[0][0] == {
        "path": "a.py",
        "start_line": 1,
        "end_line": 3,
        "annotation_level": "warning",
        "message": "m0",
    }
    last = batches[-1][-1]
    assert last["annotation_level"] == "failure" and len(str(last["title"])) == 255
