"""The common coverage model every format parses into: Counts, FileCoverage, CoverageReport.

Counts add up like coverage.py's `Numbers`: per-file counts sum to the totals, and the total
percentage is (covered lines + covered branches) / (statements + branches), 100 when there is
nothing to cover. Percentages are exact `Fraction`s for gates; `display_percent` reproduces
coverage.py's own rounding for what people read.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import islice
from operator import lt

HUNDRED = Fraction(100)


@dataclass(frozen=True, slots=True)
class Counts:
    """Coverable and covered lines and branches; adds with `+` and `sum()`."""

    statements: int = 0
    covered_lines: int = 0
    branches: int = 0
    covered_branches: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.statements + other.statements,
            self.covered_lines + other.covered_lines,
            self.branches + other.branches,
            self.covered_branches + other.covered_branches,
        )

    def __radd__(self, other: int | Counts) -> Counts:
        # sum() starts from 0.
        if other == 0:
            return self
        assert isinstance(other, Counts)
        return other + self

    @property
    def missing_lines(self) -> int:
        return self.statements - self.covered_lines

    @property
    def missing_branches(self) -> int:
        return self.branches - self.covered_branches

    @property
    def numerator(self) -> int:
        return self.covered_lines + self.covered_branches

    @property
    def denominator(self) -> int:
        return self.statements + self.branches

    @property
    def percent(self) -> Fraction:
        """Exact total percentage as coverage.py defines it; 100 when nothing is coverable."""
        return percent_of(self.numerator, self.denominator)

    @property
    def line_percent(self) -> Fraction:
        return percent_of(self.covered_lines, self.statements)

    @property
    def branch_percent(self) -> Fraction | None:
        """Exact branch percentage, None when the data has no branches."""
        if self.branches == 0:
            return None
        return percent_of(self.covered_branches, self.branches)


def percent_of(numerator: int, denominator: int) -> Fraction:
    if denominator <= 0:
        return HUNDRED
    return Fraction(100 * numerator, denominator)


def display_percent(value: Fraction | None, precision: int = 2) -> str:
    """Format like coverage.py's `display_covered`: never "0" or "100" unless exactly so."""
    if value is None:
        return ""
    # coverage.py computes the percentage as a float and rounds that float; do the same so that
    # the digits we print are the digits `coverage report` prints.
    pc = float(value)
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def _typed(values: Iterable[int]) -> array[int]:
    return array("q", values)


@dataclass(frozen=True, slots=True, eq=False)
class FileCoverage:
    """One source file: its coverable lines with hit counts, and branch counts per line.

    `lines` is sorted and unique; `hits[i]` belongs to `lines[i]` (0 means not covered).
    `branch_lines` is sorted; `branch_total[i]` and `branch_covered[i]` belong to it.
    """

    path: str
    lines: array[int] = field(default_factory=lambda: _typed(()))
    hits: array[int] = field(default_factory=lambda: _typed(()))
    branch_lines: array[int] = field(default_factory=lambda: _typed(()))
    branch_total: array[int] = field(default_factory=lambda: _typed(()))
    branch_covered: array[int] = field(default_factory=lambda: _typed(()))

    @classmethod
    def from_mappings(
        cls,
        path: str,
        hits: Mapping[int, int],
        branches: Mapping[int, tuple[int, int]] | None = None,
    ) -> FileCoverage:
        """Build from {line: hits} and {line: (covered, total)}."""
        lines = sorted(hits)
        blines = sorted(branches or {})
        return cls(
            path,
            _typed(lines),
            _typed(hits[n] for n in lines),
            _typed(blines),
            _typed((branches or {})[n][1] for n in blines),
            _typed((branches or {})[n][0] for n in blines),
        )

    def with_path(self, path: str) -> FileCoverage:
        return FileCoverage(
            path, self.lines, self.hits, self.branch_lines, self.branch_total, self.branch_covered
        )

    @property
    def counts(self) -> Counts:
        covered = len(self.hits) - self.hits.tolist().count(0)
        return Counts(
            statements=len(self.lines),
            covered_lines=covered,
            branches=sum(self.branch_total),
            covered_branches=sum(self.branch_covered),
        )

    def hit(self, line: int) -> int | None:
        """Hit count of a coverable line, None when the line is not coverable."""
        i = bisect_left(self.lines, line)
        if i < len(self.lines) and self.lines[i] == line:
            return self.hits[i]
        return None

    def branch(self, line: int) -> tuple[int, int] | None:
        """(covered, total) branches of a line, None when it has none."""
        i = bisect_left(self.branch_lines, line)
        if i < len(self.branch_lines) and self.branch_lines[i] == line:
            return self.branch_covered[i], self.branch_total[i]
        return None

    def missed_lines(self) -> list[int]:
        return [n for n, h in zip(self.lines, self.hits, strict=True) if h == 0]

    def partial_lines(self) -> list[int]:
        """Covered lines with at least one branch not taken."""
        out = []
        for n, total, covered in zip(
            self.branch_lines, self.branch_total, self.branch_covered, strict=True
        ):
            if covered < total and (self.hit(n) or 0) > 0:
                out.append(n)
        return out

    def hits_map(self) -> dict[int, int]:
        return dict(zip(self.lines, self.hits, strict=True))

    def branches_map(self) -> dict[int, tuple[int, int]]:
        return {
            n: (c, t)
            for n, t, c in zip(
                self.branch_lines, self.branch_total, self.branch_covered, strict=True
            )
        }


def merge_files(path: str, parts: Iterable[FileCoverage]) -> FileCoverage:
    """Union of several reports of one file: a line is covered if any report covers it.

    Hits add up; for a line's branches the best report wins (the most covered, the largest
    total), since reports carry counts, not which branches were taken.
    """
    hits: dict[int, int] = {}
    branches: dict[int, tuple[int, int]] = {}
    for part in parts:
        for n, h in zip(part.lines, part.hits, strict=True):
            hits[n] = hits.get(n, 0) + h
        for n, (c, t) in part.branches_map().items():
            old = branches.get(n)
            branches[n] = (c, t) if old is None else (max(old[0], c), max(old[1], t))
    return FileCoverage.from_mappings(path, hits, branches)


class FileBuilder:
    """Accumulates (line, hits) and branch counts in report order; dedupes on `build`.

    Parsers stream into this: appends are cheap, and a line reported twice (the same file in
    several `<class>` elements, methods repeating class lines) counts once, as covered if any
    occurrence is covered.
    """

    __slots__ = ("_ordered", "bcovered", "blines", "btotal", "hits", "lines", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: array[int] = array("q")
        self.hits: array[int] = array("q")
        self.blines: array[int] = array("q")
        self.btotal: array[int] = array("q")
        self.bcovered: array[int] = array("q")
        self._ordered = True  # lines so far strictly ascending: build() need not sort

    def add_line(self, line: int, hits: int) -> None:
        if self.lines and self.lines[-1] >= line:
            self._ordered = False
        self.lines.append(line)
        self.hits.append(hits)

    def extend_sorted(self, lines: array[int], hits: array[int]) -> None:
        """Append a run already known to be strictly ascending."""
        if self.lines and lines and self.lines[-1] >= lines[0]:
            self._ordered = False
        self.lines.extend(lines)
        self.hits.extend(hits)

    def extend(self, lines: array[int], hits: array[int]) -> None:
        """Append a run in any order."""
        if lines and (
            (self.lines and self.lines[-1] >= lines[0])
            or not all(map(lt, lines, islice(lines, 1, None)))
        ):
            self._ordered = False
        self.lines.extend(lines)
        self.hits.extend(hits)

    def add_branches(self, line: int, covered: int, total: int) -> None:
        self.blines.append(line)
        self.btotal.append(total)
        self.bcovered.append(covered)

    def build(self) -> FileCoverage:
        lines, hits = self.lines, self.hits
        if not self._ordered:
            merged: dict[int, int] = {}
            for n, h in zip(lines, hits, strict=True):
                old = merged.get(n)
                merged[n] = h if old is None else max(old, h)
            order = sorted(merged)
            lines = _typed(order)
            hits = _typed(merged[n] for n in order)
        blines, btotal, bcovered = self.blines, self.btotal, self.bcovered
        if not all(map(lt, blines, islice(blines, 1, None))):
            bmerged: dict[int, tuple[int, int]] = {}
            for n, t, c in zip(blines, btotal, bcovered, strict=True):
                old_b = bmerged.get(n)
                bmerged[n] = (c, t) if old_b is None else (max(old_b[0], c), max(old_b[1], t))
            border = sorted(bmerged)
            blines = _typed(border)
            btotal = _typed(bmerged[n][1] for n in border)
            bcovered = _typed(bmerged[n][0] for n in border)
        return FileCoverage(self.path, lines, hits, blines, btotal, bcovered)


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """What a format parser returns: files under the paths the report names, not yet mapped.

    `roots` are the report's source roots (Cobertura `<source>`, a Go module path, ...) that a
    report path may be relative to; `paths.py` tries them when mapping onto the repository.
    """

    format: str
    files: tuple[FileCoverage, ...]
    has_branches: bool
    roots: tuple[str, ...] = ()
    origin: str = ""
    notices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A report path that matched no repository file, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage mapped onto repository-relative paths, ready to compare and gate."""

    files: Mapping[str, FileCoverage]
    has_branches: bool
    formats: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def counts(self) -> Counts:
        return sum((f.counts for f in self.files.values()), Counts())

    def __iter__(self) -> Iterator[FileCoverage]:
        return iter(self.files.values())
