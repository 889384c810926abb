"""The annotations a run asks for, most useful first: data for the runner edge to print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covaction.compare import Comparison
    from covaction.pins.workflows import ActionRef


@dataclass(frozen=True, slots=True)
class Annotation:
    level: str  # error | warning | notice
    message: str
    file: str = ""
    line: int = 0
    end_line: int = 0
    title: str = ""


def plan(
    pin_policy: str,
    comparison: Comparison | None,
    findings: Sequence[ActionRef],
    suggestions: Mapping[str, str],
) -> list[Annotation]:
    """Pin findings, then uncovered changed ranges (the longest first)."""
    out: list[Annotation] = []
    level = "error" if pin_policy == "fail" else "warning"
    for r in findings:
        fix = suggestions.get(r.uses, "")
        msg = f"{r.uses} is not pinned to a full commit SHA: {r.reason}" if r.uses else r.reason
        if fix:
            msg += f". Pin it: {fix}"
        out.append(Annotation(level, msg, file=r.file, line=r.line, title="Unpinned action"))
    if comparison is not None and comparison.diff is not None:
        ranges = []
        for row in comparison.changed:
            if row.diff is None:
                continue
            for first, last in row.diff.uncovered_ranges:
                ranges.append((last - first + 1, row.path, first, last))
        ranges.sort(key=lambda t: (-t[0], t[1], t[2]))
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
