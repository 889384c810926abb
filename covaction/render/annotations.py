"""The annotations a run asks for, where reviewers look first: data for the runner edge to print
as workflow commands, or for a check run to carry.

Order: uncovered changed lines (the largest range first), then pin findings, and of those only
the ones in files the change touches (a pull request that edits no workflow gets no pin
annotation; the summary lists them all). The runner shows 10 annotations per level per step
(actions/runner counts them per type and step), so the order decides what
survives. A check run carries every one: GitHub's Checks API takes at most 50 annotations per
request ("Update a check run": `output.annotations`, "a maximum of 50"), so `check_run_batches`
cuts them in batches of 50, in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covaction.compare import Comparison
    from covaction.pins.workflows import ActionRef

CHECK_RUN_BATCH = 50
# A check run's annotation_level: notice | warning | failure (no "error").
CHECK_RUN_LEVELS = {"notice": "notice", "warning": "warning", "error": "failure"}


@dataclass(frozen=True, slots=True)
class Annotation:
    level: str  # error | warning | notice
    message: str
    file: str = ""
    line: int = 0
    end_line: int = 0
    title: str = ""


def touched_files(comparison: Comparison | None) -> frozenset[str] | None:
    """The files the change touches, None when no change is known (every file counts)."""
    if comparison is None or comparison.diff is None:
        return None
    d = comparison.diff
    return frozenset((*d.files, *d.not_in_report, *d.not_measured))


def uncovered(comparison: Comparison | None) -> list[Annotation]:
    """One warning per uncovered range of changed lines, the largest first, then by path."""
    if comparison is None or comparison.diff is None:
        return []
    ranges = []
    for row in comparison.changed:
        if row.diff is None:
            continue
        for first, last in row.diff.uncovered_ranges:
            ranges.append((last - first + 1, row.path, first, last))
    ranges.sort(key=lambda t: (-t[0], t[1], t[2]))
    out = []
    for _size, path, first, last in ranges:
        what = f"Line {first}" if first == last else f"Lines {first}-{last}"
        verb = "is" if first == last else "are"
        out.append(
            Annotation(
                "warning",
                f"{what} {verb} added or changed but not covered by tests",
                file=path,
                line=first,
                end_line=last,
                title="Uncovered change",
            )
        )
    return out


def plan(
    pin_policy: str,
    comparison: Comparison | None,
    findings: Sequence[ActionRef],
    suggestions: Mapping[str, str],
) -> list[Annotation]:
    """Uncovered changed lines first, then pin findings in the files the change touches."""
    out = uncovered(comparison)
    level = "error" if pin_policy == "fail" else "warning"
    touched = touched_files(comparison)
    for r in findings:
        if touched is not None and r.file not in touched:
            continue
        fix = suggestions.get(r.uses, "")
        msg = r.message + (f". Pin it: {fix}" if fix else "")
        out.append(Annotation(level, msg, file=r.file, line=r.line, title=r.title))
    return out


def check_run_batches(annotations: Sequence[Annotation]) -> list[list[dict[str, object]]]:
    """The annotations as a check run's `output.annotations`, 50 per request, in order.

    Only annotations on a file and line can be sent (the API requires path and start_line).
    """
    items: list[dict[str, object]] = []
    for a in annotations:
        if not (a.file and a.line):
            continue
        item: dict[str, object] = {
            "path": a.file,
            "start_line": a.line,
            "end_line": max(a.end_line, a.line),
            "annotation_level": CHECK_RUN_LEVELS.get(a.level, "warning"),
            "message": a.message[: 64 * 1024],
        }
        if a.title:
            item["title"] = a.title[:255]
        items.append(item)
    return [items[i : i + CHECK_RUN_BATCH] for i in range(0, len(items), CHECK_RUN_BATCH)]
