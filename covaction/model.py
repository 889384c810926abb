"""The common coverage model every format parses into: Counts, FileCoverage, CoverageReport.

Counts add up like coverage.py's `Numbers`: per-file counts sum to the totals. Which fraction
of them is "the coverage" depends on the metric, chosen per report to be the figure the
producer's own tool prints (see `METRICS` and `covaction.paths.choose_metric`):

- `lines-and-branches`: (covered lines + covered branches) / (lines + branches), coverage.py's
  `coverage report` total (its "statements" are lines);
- `lines`: covered lines / lines (`lcov --summary`, gcovr, Istanbul's "Lines", PHPUnit's "Lines");
- `branches`: covered branches / branches;
- `statements`: Go statements (blocks weighted by their statement count, `go tool cover`);
- `instructions`: JaCoCo's INSTRUCTION counter.

The last two are "units", counted apart from lines (`Counts.units`). Percentages are exact
`Fraction`s for gates, 100 when there is nothing to cover; `display_percent` reproduces
coverage.py's own rounding for what people read.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import accumulate, compress, islice, repeat
from operator import lt, ne, not_, sub
from typing import Any

from covaction.missed import missed_flags, small_counts

HUNDRED = Fraction(100)

LINES, LINES_AND_BRANCHES, BRANCHES = "lines", "lines-and-branches", "branches"
STATEMENTS, INSTRUCTIONS = "statements", "instructions"
METRICS = (LINES, LINES_AND_BRANCHES, BRANCHES, STATEMENTS, INSTRUCTIONS)
UNIT_METRICS = frozenset({STATEMENTS, INSTRUCTIONS})
# How a metric reads in a sentence ("Coverage 81.2% of statements").
METRIC_LABELS = {
    LINES: "lines",
    LINES_AND_BRANCHES: "lines and branches",
    BRANCHES: "branches",
    STATEMENTS: "statements",
    INSTRUCTIONS: "instructions",
}


@dataclass(frozen=True, slots=True)
class Counts:
    """Coverable and covered lines, branches and units; adds with `+` and `sum()`.

    `statements` is the number of coverable lines (coverage.py's name for them), whatever the
    format; `units`/`covered_units` are the format's own smaller unit when it has one (Go
    statements, JaCoCo instructions), 0 otherwise. `metric` names what `percent` counts; ""
    (counts from before metrics existed, and `Counts()`) means `lines-and-branches`, the
    convention every earlier covaction figure used. A sum keeps the first non-empty metric.
    Equality compares the counts only.
    """

    statements: int = 0
    covered_lines: int = 0
    branches: int = 0
    covered_branches: int = 0
    units: int = 0
    covered_units: int = 0
    metric: str = field(default="", compare=False)  # how to read them, not part of them

    def __add__(self, other: Counts) -> Counts:
        return Counts.total((self, other), self.metric or other.metric)

    @staticmethod
    def total(counts: Iterable[Counts], metric: str = "") -> Counts:
        """The sum of many counts, column by column (what `sum()` gives, without building a
        Counts per addition); the metric is `metric`, else the first non-empty one."""
        items = counts if isinstance(counts, (list, tuple)) else list(counts)
        if not metric:
            metric = next((c.metric for c in items if c.metric), "")
        return Counts(
            sum([c.statements for c in items]),
            sum([c.covered_lines for c in items]),
            sum([c.branches for c in items]),
            sum([c.covered_branches for c in items]),
            sum([c.units for c in items]),
            sum([c.covered_units for c in items]),
            metric,
        )

    def __radd__(self, other: int | Counts) -> Counts:
        # sum() starts from 0.
        if other == 0:
            return self
        assert isinstance(other, Counts)
        return other + self

    def with_metric(self, metric: str) -> Counts:
        """The same counts, read as `metric`."""
        if metric == self.metric:
            return self
        return made_counts(
            metric,
            self.statements,
            self.covered_lines,
            self.branches,
            self.covered_branches,
            self.units,
            self.covered_units,
        )

    @property
    def effective_metric(self) -> str:
        return self.metric or LINES_AND_BRANCHES

    @property
    def missing_lines(self) -> int:
        return self.statements - self.covered_lines

    @property
    def missing_branches(self) -> int:
        return self.branches - self.covered_branches

    @property
    def missing_units(self) -> int:
        return self.units - self.covered_units

    @property
    def numerator(self) -> int:
        """What `percent` counts as covered, in the metric's own unit."""
        metric = self.effective_metric
        if metric == LINES:
            return self.covered_lines
        if metric == BRANCHES:
            return self.covered_branches
        if metric in UNIT_METRICS:
            return self.covered_units
        return self.covered_lines + self.covered_branches

    @property
    def denominator(self) -> int:
        """What `percent` counts as coverable, in the metric's own unit."""
        metric = self.effective_metric
        if metric == LINES:
            return self.statements
        if metric == BRANCHES:
            return self.branches
        if metric in UNIT_METRICS:
            return self.units
        return self.statements + self.branches

    @property
    def percent(self) -> Fraction:
        """Exact percentage of the metric; 100 when nothing is coverable."""
        return percent_of(self.numerator, self.denominator)

    def shown(self) -> str:
        """`display_percent(self.percent)`, computed from the counts directly."""
        metric = self.metric
        if not metric or metric == LINES_AND_BRANCHES:  # the usual cases, without the properties
            return display_ratio(
                self.covered_lines + self.covered_branches, self.statements + self.branches
            )
        if metric == LINES:
            return display_ratio(self.covered_lines, self.statements)
        return display_ratio(self.numerator, self.denominator)

    def shown_line_percent(self) -> str:
        return display_ratio(self.covered_lines, self.statements)

    def shown_branch_percent(self) -> str | None:
        """None when the data has no branches."""
        return display_ratio(self.covered_branches, self.branches) if self.branches else None

    @property
    def line_percent(self) -> Fraction:
        return percent_of(self.covered_lines, self.statements)

    @property
    def branch_percent(self) -> Fraction | None:
        """Exact branch percentage, None when the data has no branches."""
        if self.branches == 0:
            return None
        return percent_of(self.covered_branches, self.branches)


# Counts' slots, set as a plain object's, which is then made a Counts (their layout is one).
_CountsSlots = type("_CountsSlots", (), {"__slots__": Counts.__slots__})


def made_counts(
    metric: str,
    statements: int,
    covered_lines: int,
    branches: int,
    covered_branches: int,
    units: int,
    covered_units: int,
) -> Counts:
    """`Counts(statements, ..., covered_units, metric)` in a third of the time: the frozen
    dataclass's `__init__` sets each slot with `object.__setattr__` (a microsecond for the
    seven, and a run makes a Counts per file several times). The slots are set as a plain
    object's and the object made a Counts, whose layout it shares (a field added to Counts
    alone would make the assignment fail: "object layout differs")."""
    made: Any = _CountsSlots()
    made.statements, made.covered_lines, made.branches = statements, covered_lines, branches
    made.covered_branches, made.units = covered_branches, units
    made.covered_units, made.metric = covered_units, metric
    made.__class__ = Counts
    return made  # type: ignore[no-any-return]


def percent_of(numerator: int, denominator: int) -> Fraction:
    if denominator <= 0:
        return HUNDRED
    return Fraction(100 * numerator, denominator)


# Digits after the decimal point of every percentage shown (coverage.py's `[report] precision`
# when a coverage.py report's repository sets it, else two): set for a run by
# `display_precision`, read by `display_percent` and by every figure that must agree with it.
MAX_PRECISION = 10
_PRECISION: ContextVar[int] = ContextVar("covaction_display_precision", default=2)


@contextmanager
def display_precision(digits: int) -> Iterator[None]:
    """Percentages are shown with `digits` decimals inside the block."""
    token = _PRECISION.set(digits)
    try:
        yield
    finally:
        _PRECISION.reset(token)


def shown_precision() -> int:
    """The decimals percentages are shown with now (see `display_precision`)."""
    return _PRECISION.get()


def display_percent(value: Fraction | None, precision: int | None = None) -> str:
    """Format like coverage.py's `display_covered`: never "0" or "100" unless exactly so.

    `precision`: decimals; by default the run's (`display_precision`, else two)."""
    if value is None:
        return ""
    # coverage.py computes the percentage as a float and rounds that float; do the same so that
    # the digits we print are the digits `coverage report` prints.
    return _shown(float(value), _PRECISION.get() if precision is None else precision)


def display_ratio(numerator: int, denominator: int) -> str:
    """`display_percent(percent_of(numerator, denominator))`, without making the Fraction: an
    int divided by an int is correctly rounded, as a Fraction's float is (a report's tables
    and documents show tens of thousands of these)."""
    pc = 100.0 if denominator <= 0 else 100 * numerator / denominator
    return _shown(pc, _PRECISION.get())


def _shown(pc: float, precision: int) -> str:
    # coverage.py rounds with `round(pc, precision)` and then formats with "%.*f"; the format
    # alone rounds the same float to the same digits (both round its exact binary value half to
    # even), so it is not rounded twice here.
    near0 = _NEAR_ZERO[precision] if 0 <= precision <= MAX_PRECISION else 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    return f"{pc:.{precision}f}"


_NEAR_ZERO = tuple(1.0 / 10**digits for digits in range(MAX_PRECISION + 1))


def _typed(values: Iterable[int]) -> array[int]:
    return array("q", values)


@dataclass(frozen=True, slots=True, eq=False)
class Units:
    """A format's own units of one file (Go blocks, JaCoCo instructions), per key.

    A key names one unit across reports of one build: a Go block's packed start and end
    position, a JaCoCo line number. `total[i]` and `covered[i]` belong to `keys[i]`. Merging
    takes, per key, the larger total and covered count: exact for Go (a block is covered when
    any profile covered it, as `go tool cover` merges), a lower bound where a key groups several
    units that may have run in different reports (`exact` False: JaCoCo's per-line counts).
    """

    keys: Sequence[int]  # an array of line numbers (JaCoCo), a tuple of Go's 128-bit keys
    total: array[int]
    covered: array[int]
    exact: bool = True

    @classmethod
    def from_mapping(cls, units: Mapping[int, tuple[int, int]], exact: bool = True) -> Units:
        """From {key: (total, covered)}."""
        keys = tuple(sorted(units))
        return cls(
            keys, _typed(units[k][0] for k in keys), _typed(units[k][1] for k in keys), exact
        )

    def mapping(self) -> dict[int, tuple[int, int]]:
        return {k: (t, c) for k, t, c in zip(self.keys, self.total, self.covered, strict=True)}


@dataclass(frozen=True, slots=True)
class BranchIds:
    """Which branches of one line were not taken, named by the report's own branch ids.

    `missed`: the ids not taken (coverage.py's `missing-branches` destinations, `.coverage`
    arcs such as "12->15", LCOV's "block,branch"). `known`: every branch id of the line when
    the format lists them all (LCOV), None when it names only the missed ones. With ids, a
    merge is a union of taken branches, as `coverage combine` and `lcov -a` do: two runs that
    took the two sides of one `if` give 2 of 2.
    """

    missed: frozenset[str]
    known: frozenset[str] | None = None


class MissedBranches(Mapping[int, BranchIds]):
    """coverage.py's `missing-branches` as `BranchIds`, made only when a merge asks for them.

    `missing` holds the attribute's text for the lines that have it; every other branch line
    missed nothing. A large report keeps only those strings, not an object per branch line.
    """

    __slots__ = ("_lines", "_mlines", "_mstarts", "_mtext")

    def __init__(self, lines: array[int], missing: Mapping[int, str]) -> None:
        keys = sorted(missing)
        self._set(lines, array("q", keys), _NUL.join([missing[k] for k in keys]))

    @classmethod
    def from_texts(cls, lines: array[int], mlines: array[int], texts: str) -> MissedBranches:
        """From the lines with a text in document order and their texts joined by NUL (which
        no XML text holds); a line given twice has its later text, as `__init__`'s mapping."""
        if not all(map(lt, mlines, islice(mlines, 1, None))):
            return cls(lines, dict(zip(mlines, texts.split(_NUL), strict=True)))
        made = cls.__new__(cls)
        made._set(lines, mlines, texts)
        return made

    def _set(self, lines: array[int], mlines: array[int], texts: str) -> None:
        # Sorted line numbers and their texts in one string: 8 bytes a line and the characters,
        # where a dict of boxed ints took over 100 and a string object per line 50 more (a
        # 150 MB coverage.py report holds hundreds of thousands). Where each text starts is
        # found when a merge first asks (`_starts`).
        self._lines = lines
        self._mlines = mlines
        self._mtext = texts
        self._mstarts: array[int] | None = None

    def _starts(self) -> array[int]:
        if self._mstarts is None:
            pieces = self._mtext.split(_NUL) if self._mlines else []
            self._mstarts = array("q", accumulate((len(p) + 1 for p in pieces), initial=0))
        return self._mstarts

    def __getitem__(self, line: int) -> BranchIds:
        i = bisect_left(self._lines, line)
        if i == len(self._lines) or self._lines[i] != line:
            raise KeyError(line)
        j = bisect_left(self._mlines, line)
        text = ""
        if j < len(self._mlines) and self._mlines[j] == line:
            starts = self._starts()
            text = self._mtext[starts[j] : starts[j + 1] - 1]
        return BranchIds(frozenset(x.strip() for x in text.split(",") if x.strip()))

    def __iter__(self) -> Iterator[int]:
        return iter(self._lines)

    def __len__(self) -> int:
        return len(self._lines)


_NUL = "\0"


@dataclass(frozen=True, slots=True, eq=False)
class FileCoverage:
    """One source file: its coverable lines with hit counts, and branch counts per line.

    `lines` is sorted and unique; `hits[i]` belongs to `lines[i]` (0 means not covered).
    `branch_lines` is sorted; `branch_total[i]` and `branch_covered[i]` belong to it.
    `units`: Go statements or JaCoCo instructions, when the format counts them.
    `branch_ids`: per branch line, which branches were missed, when the format says so (used
    only to merge reports exactly). `metric`: what `counts.percent` counts (see `Counts`).
    """

    path: str
    lines: array[int] = field(default_factory=lambda: _typed(()))
    hits: array[int] = field(default_factory=lambda: _typed(()))
    branch_lines: array[int] = field(default_factory=lambda: _typed(()))
    branch_total: array[int] = field(default_factory=lambda: _typed(()))
    branch_covered: array[int] = field(default_factory=lambda: _typed(()))
    units: Units | None = None
    branch_ids: Mapping[int, BranchIds] | None = None
    metric: str = ""
    # `counts`, computed once (the comparison, totals and documents each ask for it; `replace`
    # makes a new object, which computes its own).
    _counts: Counts | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_mappings(
        cls,
        path: str,
        hits: Mapping[int, int],
        branches: Mapping[int, tuple[int, int]] | None = None,
        *,
        branch_ids: Mapping[int, BranchIds] | None = None,
        units: Units | None = None,
    ) -> FileCoverage:
        """Build from {line: hits} and {line: (covered, total)}.

        `branch_ids` ({line: BranchIds}) is the hook for formats that say which branches ran
        (the `.coverage` reader: missed arcs per line as "from->to"); the counts in
        `branches` stay authoritative for the file's own numbers.
        """
        lines = sorted(hits)
        blines = sorted(branches or {})
        return cls(
            path,
            _typed(lines),
            _typed(hits[n] for n in lines),
            _typed(blines),
            _typed((branches or {})[n][1] for n in blines),
            _typed((branches or {})[n][0] for n in blines),
            units,
            branch_ids or None,
        )

    def with_path(self, path: str) -> FileCoverage:
        return self.placed(path, self.metric)

    def with_metric(self, metric: str) -> FileCoverage:
        return self if metric == self.metric else self.placed(self.path, metric)

    def placed(self, path: str, metric: str) -> FileCoverage:
        """The same coverage under `path`, read as `metric` (the counts kept, if computed)."""
        if path == self.path and metric == self.metric:
            return self
        moved = FileCoverage(
            path,
            self.lines,
            self.hits,
            self.branch_lines,
            self.branch_total,
            self.branch_covered,
            self.units,
            self.branch_ids,
            metric,
        )
        if self._counts is not None:
            object.__setattr__(moved, "_counts", self._counts.with_metric(metric))
        return moved

    @property
    def counts(self) -> Counts:
        if self._counts is None:
            object.__setattr__(self, "_counts", self._count())
        assert self._counts is not None
        return self._counts

    def _count(self) -> Counts:
        low = small_counts(self.hits) if self.hits else b""
        covered = len(self.hits) - (self.hits.tolist().count(0) if low is None else low.count(0))
        return made_counts(
            self.metric,
            len(self.lines),
            covered,
            sum(self.branch_total),
            sum(self.branch_covered),
            sum(self.units.total) if self.units is not None else 0,
            sum(self.units.covered) if self.units is not None else 0,
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
        return list(compress(self.lines, map(not_, self.hits)))

    def missed_runs(self) -> tuple[tuple[int, int], ...]:
        """Missed lines as (first, last) runs of consecutive missed *statements*, as coverage.py's
        `coverage report -m` joins them (`coverage.results.format_lines`): "3-6" across a comment
        and a blank line, "3, 6" around a covered statement. Exact for a producer that lists
        every statement; the others' plain ranges are `compare.FileRow.missing`."""
        lines = self.lines
        at = list(compress(range(len(lines)), map(not_, self.hits)))  # missed positions
        cut = list(map(ne, at[1:], map((1).__add__, at)))  # a covered statement between
        firsts = [lines[i] for i in at[:1] + list(compress(at[1:], cut))]
        lasts = [lines[i] for i in list(compress(at, cut)) + at[-1:]]
        return tuple(zip(firsts, lasts, strict=True))

    def iter_missed_runs(self) -> Iterator[tuple[int, int]]:
        """`missed_runs` one at a time (a table cell shows the first few runs of thousands of
        files)."""
        lines = self.lines
        for at, end in self._missed_spans():
            yield lines[at], lines[end - 1]

    def iter_missed_ranges(self) -> Iterator[tuple[int, int]]:
        """`missed_ranges`' ranges one at a time, from the missed lines as they come."""
        missed = compress(self.lines, map(not_, self.hits))
        start = next(missed, None)
        if start is None:
            return
        first = last = start
        for line in missed:
            if line != last + 1:
                yield first, last
                first = line
            last = line
        yield first, last

    def _missed_spans(self) -> Iterator[tuple[int, int]]:
        """The positions [at, end) of each run of missed statements, found with C searches."""
        flags = missed_flags(self.hits)
        at = flags.find(1)
        while at >= 0:
            end = flags.find(0, at)
            if end < 0:
                end = len(flags)
            yield at, end
            at = flags.find(1, end)

    def missed_joins(self) -> str:
        """Which gaps between the ranges of consecutive missed line numbers `missed_runs`
        joins: per gap, in order, "1" where no statement between the two ranges ran (the runs
        join them) and "0" where one did (a run ends). All "0" when the runs are the ranges."""
        return self.missed_bounds()[2]

    def missed_ranges(self) -> tuple[tuple[tuple[int, int], ...], str]:
        """The missed lines as (first, last) ranges of consecutive numbers, and `missed_joins`."""
        firsts, lasts, joins = self.missed_bounds()
        return tuple(zip(firsts, lasts, strict=True)), joins

    def missed_bounds(self, joins: bool = True) -> tuple[list[int], list[int], str]:
        """`missed_ranges` as the ranges' firsts and lasts (a large report's document writes
        them for every file, a million ranges: no pair is made); `joins=False`: "" for the
        joins, which only coverage.py's files show."""
        flags = missed_flags(self.hits)
        missed = list(compress(self.lines, flags))
        if not missed:
            return [], [], ""
        try:  # between two ranges: where neighbours differ by other than 1 (mostly cached ints)
            gaps = bytes(map(sub, islice(missed, 1, None), missed)).translate(_BREAKS)
        except ValueError:  # a difference past a byte: a test per pair
            gaps = bytes(map(ne, map(sub, islice(missed, 1, None), missed), repeat(1)))
        firsts = list(compress(missed, b"\1" + gaps))
        lasts = list(compress(missed, gaps + b"\1"))
        # The runs of missed statements, each begun where one follows a statement that ran
        # (or the file's start). A statement that ran between two missed ones lies between
        # their numbers too: every run ends where a range ends.
        runs = flags.count(b"\0\1") + flags[0]
        if not joins or runs == len(firsts):  # nothing joined, as a rule
            return firsts, lasts, "0" * (len(firsts) - 1) if joins else ""
        # Joined: a gap after which the next statement is missed too. Per statement 2 if missed
        # + 1 if the next is (the flags as an int, shifted); with the gaps + 4, 7 is joined.
        bits = int.from_bytes(flags, "little")
        kept = ((bits << 1) | (bits >> 8)).to_bytes(len(flags), "little").translate(None, b"\0\1")
        marked = int.from_bytes(gaps, "little") << 2 | int.from_bytes(kept[:-1], "little")
        joined = marked.to_bytes(len(gaps), "little").translate(_JOINED, b"\2\3")
        return firsts, lasts, joined.decode()

    def hits_map(self) -> dict[int, int]:
        return dict(zip(self.lines, self.hits, strict=True))

    def branches_map(self) -> dict[int, tuple[int, int]]:
        return {
            n: (c, t)
            for n, t, c in zip(
                self.branch_lines, self.branch_total, self.branch_covered, strict=True
            )
        }


_BREAKS = b"\1\0" + b"\1" * 254  # of a difference: 0 where it is 1 (the range goes on)
_JOINED = bytes(6) + b"01" + bytes(248)  # a gap (6 or 7): "1" where the runs join it

MAX_HITS = 2**63 - 1


def merge_files(path: str, parts: Iterable[FileCoverage]) -> tuple[FileCoverage, bool]:
    """Union of several reports of one file, and whether some merged count is a lower bound.

    A line is covered if any report covers it (hits add up). A line's branches are a union
    where every report names them (`BranchIds`): with every id listed (LCOV), the union of
    all branches and of the taken ones; with only the missed ones listed and the same total
    (coverage.py), the branches missed by every report. Otherwise the best report wins (the
    most covered, the largest total), which is a lower bound: the reports carry counts, not
    which branches were taken (JaCoCo's `mb`/`cb`, gcovr's and Istanbul's Cobertura). Units
    merge per key (see `Units`).
    """
    parts = list(parts)
    hits: dict[int, int] = {}
    per_line: dict[int, list[tuple[int, int, BranchIds | None]]] = {}
    units: dict[int, tuple[int, int]] = {}
    has_units = False
    units_exact = True
    lower_bound = False
    for part in parts:
        for n, h in zip(part.lines, part.hits, strict=True):
            hits[n] = min(hits.get(n, 0) + h, MAX_HITS)
        ids = part.branch_ids or {}
        for n, (c, t) in part.branches_map().items():
            per_line.setdefault(n, []).append((c, t, ids.get(n)))
        if part.units is not None:
            has_units = True
            units_exact = units_exact and part.units.exact
            for k, (t, c) in part.units.mapping().items():
                old = units.get(k)
                if old is None:
                    units[k] = (t, c)
                else:
                    if not part.units.exact and c and old[1] and (t, c) != old:
                        lower_bound = True
                    units[k] = (max(old[0], t), max(old[1], c))
    branches: dict[int, tuple[int, int]] = {}
    merged_ids: dict[int, BranchIds] = {}
    for n, entries in per_line.items():
        result = _merge_line(entries)
        if result is None:
            covered = max(e[0] for e in entries)
            total = max(e[1] for e in entries)
            branches[n] = (covered, total)
            # Exact only when one report took every branch, or at most one took any.
            if len(entries) > 1 and covered < total and sum(e[0] > 0 for e in entries) > 1:
                lower_bound = True
        else:
            branches[n], merged_ids[n] = result
    merged = FileCoverage.from_mappings(
        path,
        hits,
        branches,
        branch_ids=merged_ids or None,
        units=Units.from_mapping(units, units_exact) if has_units else None,
    )
    return replace(merged, metric=parts[0].metric if parts else ""), lower_bound


def _merge_line(
    entries: list[tuple[int, int, BranchIds | None]],
) -> tuple[tuple[int, int], BranchIds] | None:
    """One line's branches merged by id, or None when some report does not name them."""
    ids = [e[2] for e in entries]
    if any(i is None for i in ids):
        return None
    named = [i for i in ids if i is not None]
    if len(entries) == 1:
        return (entries[0][0], entries[0][1]), named[0]
    if all(i.known is not None for i in named):
        every: frozenset[str] = frozenset().union(*(i.known or () for i in named))
        taken = frozenset().union(*((i.known or frozenset()) - i.missed for i in named))
        return (len(taken), len(every)), BranchIds(every - taken, every)
    totals = {e[1] for e in entries}
    if len(totals) != 1:
        return None
    total = totals.pop()
    missed = frozenset.intersection(*(i.missed for i in named))
    if len(missed) > total:
        return None
    return (total - len(missed), total), BranchIds(missed)


@dataclass(frozen=True, slots=True)
class ParsedReport:
    """What a format parser returns: files under the paths the report names, not yet mapped.

    `roots` are the report's source roots (Cobertura `<source>`, a Go module path, ...) that a
    report path may be relative to; `paths.py` tries them when mapping onto the repository.
    `producer` is the tool that wrote the report as the report says ("" when it does not say),
    `metric` the figure that tool calls "the coverage", `metrics` every metric the report can
    give, `rule` how the headline counts in a few words ("statements, as `go tool cover
    -func`"), and `rule_note` a notice saying which rule was used when the producer is unknown.
    """

    format: str
    files: tuple[FileCoverage, ...]
    has_branches: bool
    roots: tuple[str, ...] = ()
    origin: str = ""
    notices: tuple[str, ...] = ()
    producer: str = ""
    metric: str = LINES_AND_BRANCHES
    metrics: tuple[str, ...] = (LINES, LINES_AND_BRANCHES, BRANCHES)
    rule: str = ""
    rule_note: str = ""


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A report path that matched no repository file, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage mapped onto repository-relative paths, ready to compare and gate.

    `files` are the files placed in the repository (links, diff coverage, per-file rows);
    `unplaced` are the report's other files, by the path the report names, each with its
    reason in `unmatched`: they count in every total, as in the producer's own tool.
    `metric` is what every percentage of this report counts (see `Counts`); `metric_note`
    says, in one sentence, whose rule that is ("Go's statements, as `go tool cover -func`").
    """

    files: Mapping[str, FileCoverage]
    has_branches: bool
    formats: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    notices: tuple[str, ...] = ()
    metric: str = ""
    metric_note: str = ""
    producers: tuple[str, ...] = ()
    unplaced: Mapping[str, FileCoverage] = field(default_factory=dict)
    metrics: tuple[str, ...] = ()
    # Decimals of the percentages shown: coverage.py's `[report] precision` when the
    # repository sets it for a coverage.py report; None: covaction's two.
    precision: int | None = None

    # Totals of every measured file, placed or not, read as `metric` (computed once).
    counts: Counts = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        every = [f.counts for f in self.files.values()]
        every += [f.counts for f in self.unplaced.values()]
        object.__setattr__(self, "counts", Counts.total(every).with_metric(self.metric))

    @property
    def placed_counts(self) -> Counts:
        """Totals of the files placed in the repository only."""
        return Counts.total([f.counts for f in self.files.values()]).with_metric(self.metric)

    def __iter__(self) -> Iterator[FileCoverage]:
        return iter(self.files.values())
