"""(CoverageReport, ChangedLines) -> DiffCoverage: which changed lines are covered, as diff-cover.

Definitions, chosen to equal diff-cover's JSON report on the same report and diff:

- changed: a `+` line of the diff (`covaction.diff`), in the new file;
- coverable: a changed line that is a line of that file in the report (a Cobertura `<line>`,
  coverage.py's statements); diff-cover's "measured" lines, summed as `total_num_lines`;
- uncovered: a coverable changed line with 0 hits; diff-cover's `violation_lines`;
- covered: coverable and not uncovered;
- partial: a covered changed line with a branch not taken (branch data `covered < total`).
  diff-cover counts these only with `--branch-coverage` (then its violations are
  uncovered + partial); here they stay a separate list and do not lower the percentage;
- ranges: uncovered lines joined when their numbers are consecutive (`12-18, 40`), exactly
  diff-cover's `combine_adjacent_lines`; a non-coverable line between two uncovered lines
  breaks the range, so every line in a range is an uncovered changed line.

A changed file the report does not know (README, a file outside the measured sources) is
listed in `not_in_report` and counts nowhere; those of them that look like source files the
report would measure (the same extension as a file it measures: a new module no test imports)
are also listed in `unmeasured_sources`, for the comment to name. A changed file the report
knows but whose
changed lines are unknown (GitHub sent no patch, binary) is listed in `not_measured`, and the
totals are then a lower bound of the work, not the whole of it. Deleted files count nowhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress
from operator import ne
from types import MappingProxyType

import orjson

from covaction.changed_lines import ChangedLines, Status
from covaction.model import LINES, Counts, CoverageReport, percent_of


def line_ranges(lines: Iterable[int], presorted: bool = False) -> tuple[tuple[int, int], ...]:
    """Line numbers -> (first, last) runs of consecutive numbers, in order (`presorted`: the
    numbers are already ascending and unique, a list or an array)."""
    nums = lines if presorted and isinstance(lines, Sequence) else sorted(set(lines))
    if not nums:
        return ()
    rest = nums[1:]
    # A run breaks where a number is not its predecessor + 1 (compared in C, not per line).
    breaks = list(map(ne, rest, map(_PLUS_ONE, nums)))
    firsts = [nums[0], *compress(rest, breaks)]
    lasts = [*compress(nums, breaks), nums[-1]]
    return tuple(zip(firsts, lasts, strict=True))


_PLUS_ONE = (1).__add__


def format_ranges(lines: Iterable[int], presorted: bool = False) -> str:
    """`12-18, 40`: consecutive numbers joined, as diff-cover's reports show missing lines."""
    return ranges_text(line_ranges(lines, presorted))


def ranges_text(ranges: Iterable[tuple[int, int]]) -> str:
    """(first, last) ranges as `12-18, 40`."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def bounds_text(firsts: list[int], lasts: list[int]) -> str:
    """`ranges_text` of the ranges whose firsts and lasts these are (ascending).

    With C-level passes only (report-json writes this for every file, a million ranges): one
    list of each range's first and, for a range of several lines, a -1 and its last, written
    by orjson (`[4,-1,8,12]`), whose `,-1,` becomes `-` and `,` becomes `, ` (`4-8, 12`). A
    negative line number, or one past 64 bits, is written by `ranges_text`.
    """
    if not firsts:
        return ""
    if firsts[0] < 0:
        return ranges_text(zip(firsts, lasts, strict=True))
    single = firsts == lasts  # every range one line (sparse misses): the firsts alone
    if single:
        values = firsts
    else:
        # The -1 is a cached int, where a negated last was a new one per range; no line
        # number is negative here (ascending from the first), so `,-1,` is only the marker.
        count = 3 * len(firsts)
        both = [-1] * count
        both[0::3] = firsts
        both[2::3] = lasts
        keep = bytearray(b"\1") * count
        keep[1::3] = keep[2::3] = bytes(map(ne, firsts, lasts))
        values = list(compress(both, keep))
    try:
        data = orjson.dumps(values)[1:-1]
    except TypeError:  # orjson.JSONEncodeError: past 64 bits
        return ranges_text(zip(firsts, lasts, strict=True))
    if not single:
        data = data.replace(b",-1,", b"-")
    return data.replace(b",", b", ").decode("ascii")


@dataclass(frozen=True, slots=True)
class FileDiffCoverage:
    """One changed file the report knows. Line tuples are sorted."""

    path: str
    status: Status
    changed: tuple[int, ...]
    coverable: tuple[int, ...]
    covered: tuple[int, ...]
    uncovered: tuple[int, ...]
    partial: tuple[int, ...]
    counts: Counts  # statements/covered_lines: coverable/covered; branches of changed lines

    @property
    def percent(self) -> Fraction | None:
        """Exact covered / coverable changed lines in percent, None when none is coverable."""
        if not self.coverable:
            return None
        return percent_of(len(self.covered), len(self.coverable))

    @property
    def uncovered_ranges(self) -> tuple[tuple[int, int], ...]:
        return line_ranges(self.uncovered)

    @property
    def uncovered_text(self) -> str:
        return format_ranges(self.uncovered)


@dataclass(frozen=True, slots=True)
class DiffCoverage:
    """Coverage of the changed lines: per file, totals, and the files that could not count."""

    files: Mapping[str, FileDiffCoverage] = field(default_factory=lambda: MappingProxyType({}))
    not_in_report: tuple[str, ...] = ()
    not_measured: tuple[str, ...] = ()
    counts: Counts = field(default_factory=lambda: Counts(metric=LINES))
    unmeasured_sources: tuple[str, ...] = ()  # in not_in_report, with a measured extension

    @property
    def coverable(self) -> int:
        """diff-cover's `total_num_lines`."""
        return self.counts.statements

    @property
    def covered(self) -> int:
        return self.counts.covered_lines

    @property
    def uncovered(self) -> int:
        """diff-cover's `total_num_violations`."""
        return self.counts.missing_lines

    @property
    def partial(self) -> int:
        return sum(len(f.partial) for f in self.files.values())

    @property
    def percent(self) -> Fraction | None:
        """Exact covered / coverable changed lines in percent, None when none is coverable.

        None, not 100: a PR that changes no coverable line has no diff coverage to gate.
        """
        if self.counts.statements == 0:
            return None
        return percent_of(self.counts.covered_lines, self.counts.statements)

    @property
    def complete(self) -> bool:
        """False when some changed file of the report has changed lines we do not know."""
        return not self.not_measured

    def __iter__(self) -> Iterator[FileDiffCoverage]:
        return iter(self.files.values())


def diff_coverage(report: CoverageReport, changes: ChangedLines) -> DiffCoverage:
    """Intersect the report with the changed lines, file by file (exact path match)."""
    files: dict[str, FileDiffCoverage] = {}
    not_in_report: list[str] = []
    not_measured: list[str] = []
    for path, change in sorted(changes.files.items()):
        if change.status == "deleted":
            continue
        cov = report.files.get(path)
        if cov is None:
            not_in_report.append(path)
            continue
        if not change.measured:
            not_measured.append(path)
            continue
        changed = tuple(sorted(change.added_lines))
        coverable: list[int] = []
        covered: list[int] = []
        uncovered: list[int] = []
        partial: list[int] = []
        branches = covered_branches = 0
        for n in changed:
            hits = cov.hit(n)
            if hits is None:
                continue
            coverable.append(n)
            branch = cov.branch(n)
            if branch is not None:
                covered_branches += branch[0]
                branches += branch[1]
            if hits == 0:
                uncovered.append(n)
                continue
            covered.append(n)
            if branch is not None and branch[0] < branch[1]:
                partial.append(n)
        files[path] = FileDiffCoverage(
            path=path,
            status=change.status,
            changed=changed,
            coverable=tuple(coverable),
            covered=tuple(covered),
            uncovered=tuple(uncovered),
            partial=tuple(partial),
            counts=Counts(len(coverable), len(covered), branches, covered_branches, metric=LINES),
        )
    measured = {_extension(p) for p in report.files} | {_extension(p) for p in report.unplaced}
    measured.discard("")
    return DiffCoverage(
        files=MappingProxyType(files),
        not_in_report=tuple(not_in_report),
        not_measured=tuple(not_measured),
        counts=Counts.total([f.counts for f in files.values()], LINES),
        unmeasured_sources=tuple(p for p in not_in_report if _extension(p) in measured),
    )


def _extension(path: str) -> str:
    """`.py` of `pkg/a.py`, "" without one (`Makefile`, `.gitignore`)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""
