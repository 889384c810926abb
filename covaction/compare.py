"""(report, baseline, diff coverage) -> Comparison: totals, deltas, per file and per folder.

Deltas compare like with like, in the report's metric (`CoverageReport.metric`):

- the baseline's counts are read in this run's metric: they store lines and branches (and Go
  statements / JaCoCo instructions since metrics exist), so a baseline written by an older
  covaction, or under another metric, is compared on the same fraction of its counts;
- a baseline that lacks what the metric counts (no units for `statements`/`instructions`,
  no branches for `branches`) is not compared: `comparable` is False, `delta` None, and the
  note says why (the drop gate is then skipped with that reason);
- under `lines-and-branches`, a baseline measured with branches, compared with a run measured
  without them (or the reverse), is read on lines alone, and the note says so.

Files the report measures but that could not be placed in the repository are rows of
`unplaced` (no links, with the reason); they count in every total.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from itertools import pairwise

from covaction.diff_coverage import DiffCoverage, FileDiffCoverage, bounds_text
from covaction.documents.baseline import Baseline
from covaction.model import (
    BRANCHES,
    LINES,
    LINES_AND_BRANCHES,
    METRIC_LABELS,
    UNIT_METRICS,
    Counts,
    CoverageReport,
    FileCoverage,
)


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    counts: Counts
    base: Counts | None
    status: str  # "" | "new" | "deleted" | "unplaced"
    file: FileCoverage | None  # what the report measured (None for a deleted file)
    diff: FileDiffCoverage | None = None
    reason: str = ""  # why an unplaced file is not in the repository ("outside the repository")
    # `missing` and `missing_joins` (None until asked for)
    _missing: tuple[str, str | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def missing(self) -> str:
        """Uncovered lines as ranges, `12-18, 40` (formatted when first asked, then kept: a
        large report's tables show a few thousand of its files, its document all of them)."""
        return self._missed(False)[0]

    @property
    def missing_joins(self) -> str:
        """`FileCoverage.missed_joins` of the measured file, "" without missed lines (made
        with `missing` when asked first; only coverage.py's files show them)."""
        joins = self._missed(True)[1]
        assert joins is not None
        return joins

    def missing_made(self) -> tuple[str, str | None] | None:
        """`missing` and, if made too, `missing_joins` (None for them until then), or None when
        neither was asked for yet: a table cell reuses what the document made."""
        return self._missing

    def _missed(self, joins: bool) -> tuple[str, str | None]:
        held = self._missing
        if held is None or (joins and held[1] is None):
            text, made = "", ""
            if self.file is not None and self.counts.missing_lines:
                firsts, lasts, made = self.file.missed_bounds(joins)
                text = bounds_text(firsts, lasts)
            held = (text, made if joins else None)
            object.__setattr__(self, "_missing", held)
        return held

    @property
    def percent(self) -> Fraction:
        return self.counts.percent

    @property
    def delta(self) -> Fraction | None:
        if self.base is None or self.status == "deleted":
            return None
        return _delta(self.counts, self.base)

    @property
    def compared(self) -> tuple[Fraction, Fraction] | None:
        """(this run's percent, the base's percent), both in the metric compared; None when
        there is no base. What `delta` subtracts, for callers that round each side first."""
        if self.base is None or self.status == "deleted":
            return None
        return _compared(self.counts, self.base)


@dataclass(frozen=True, slots=True)
class DirRow:
    path: str
    counts: Counts
    base: Counts | None
    files: int

    @property
    def delta(self) -> Fraction | None:
        """None for a folder new since the baseline, or one whose files were all deleted."""
        if self.base is None or self.files == 0:
            return None
        return _delta(self.counts, self.base)


@dataclass(frozen=True, slots=True)
class Comparison:
    report: CoverageReport
    counts: Counts
    baseline: Baseline | None
    baseline_note: str
    files: tuple[FileRow, ...]  # most missing lines first
    deleted: tuple[FileRow, ...]
    changed: tuple[FileRow, ...]  # files of the change that the report measures
    diff: DiffCoverage | None
    unplaced: tuple[FileRow, ...] = ()  # measured, counted, not placed in the repository
    comparable: bool = True  # False: the baseline cannot give this run's metric

    @property
    def metric(self) -> str:
        return self.counts.effective_metric

    @property
    def directories(self) -> tuple[DirRow, ...]:
        """Per folder (each file's own folder), with what the baseline measured there."""
        return rollup(self.files, self.deleted)

    @property
    def base_counts(self) -> Counts | None:
        """The baseline's totals in this run's metric; None without a comparable baseline."""
        if self.baseline is None or not self.comparable:
            return None
        return self.baseline.counts.with_metric(self.compared_counts.effective_metric)

    @property
    def compared_counts(self) -> Counts:
        """This run's totals as the baseline measured them: under `lines-and-branches`, on
        lines alone when either side measured no branches."""
        if (
            self.baseline is not None
            and self.counts.effective_metric == LINES_AND_BRANCHES
            and not (self.baseline.has_branches and self.report.has_branches)
        ):
            c = self.counts
            return Counts(
                c.statements,
                c.covered_lines,
                units=c.units,
                covered_units=c.covered_units,
                metric=LINES,
            )
        return self.counts

    @property
    def delta(self) -> Fraction | None:
        """Exact change against the baseline, like with like (see `compared_counts`)."""
        base = self.base_counts
        return None if base is None else self.compared_counts.percent - base.percent

    @property
    def zero_files(self) -> tuple[FileRow, ...]:
        return tuple(r for r in self.files if r.counts.denominator and r.counts.numerator == 0)


def _delta(counts: Counts, base: Counts) -> Fraction:
    """Change from `base`, like with like.

    `compare` stamps the base with the metric compared (lines alone when one side measured no
    branches). A base without a metric (rebuilt from a stored document) is read the same way
    from its data: under lines-and-branches, lines alone when it has no branches and the run
    has some.
    """
    now, then = _compared(counts, base)
    return now - then


def _compared(counts: Counts, base: Counts) -> tuple[Fraction, Fraction]:
    now, then = _like_with_like(counts, base)
    return now.percent, then.percent


def _like_with_like(counts: Counts, base: Counts) -> tuple[Counts, Counts]:
    metric = base.metric or counts.effective_metric
    if not base.metric and metric == LINES_AND_BRANCHES and base.branches == 0 < counts.branches:
        metric = LINES
    return counts.with_metric(metric), base.with_metric(metric)


def _ratio(c: Counts) -> tuple[int, int]:
    """`c.percent` is 100 times this fraction (1/1 when nothing is coverable)."""
    denominator = c.denominator
    return (c.numerator, denominator) if denominator > 0 else (1, 1)


def _change(now: Counts, base: Counts) -> tuple[int, int]:
    """`now.percent - base.percent` is 100 times this fraction (from the counts, no Fraction)."""
    (n1, d1), (n2, d2) = _ratio(now), _ratio(base)
    return n1 * d2 - n2 * d1, d1 * d2


def exact_change(now: Counts, base: Counts) -> int:
    """A number with the sign of `now.percent - base.percent`, from the counts (no Fraction)."""
    return _change(now, base)[0]


def worst_first(rows: Iterable[DirRow]) -> list[DirRow]:
    """Folders by coverage (folders whose files were all deleted last), then by delta (none
    counts as 0), then by path, comparing exact values.

    The rows are sorted by the values' floats, made from the counts without a Fraction (an
    int divided by an int is correctly rounded, as a Fraction's float is, so the floats never
    reverse an order); where two floats are equal, integer products check that the exact
    values are too, and only if some are not do the Fractions order the rows.
    """
    keyed = []
    for d in rows:
        # percent 100 * n / den (101 for a folder whose files were all deleted); delta 100 * dn / dd
        n, den, dn, dd = 101, 100, 0, 1
        if d.files:
            n, den = _ratio(d.counts)
            if d.base is not None:
                dn, dd = _change(*_like_with_like(d.counts, d.base))
        keyed.append((100 * n / den, 100 * dn / dd, d.path, n, den, dn, dd, d))
    keyed.sort()  # (the paths differ: nothing after them is compared)
    for a, b in pairwise(keyed):
        if a[0] == b[0] and (
            a[3] * b[4] != b[3] * a[4] or (a[1] == b[1] and a[5] * b[6] != b[5] * a[6])
        ):
            return sorted((k[7] for k in keyed), key=_exact_order)
    return [k[7] for k in keyed]


def _exact_order(d: DirRow) -> tuple[Fraction, Fraction, str]:
    return (d.counts.percent if d.files else Fraction(101), d.delta or Fraction(0), d.path)


def rollup(rows: Sequence[FileRow], deleted: Sequence[FileRow]) -> tuple[DirRow, ...]:
    """Per folder: this run's counts and files, and what the baseline measured there.

    A folder's baseline includes its deleted files; a folder with no file in the baseline has
    none, rather than an empty 100% one.
    """
    dirs: dict[str, tuple[Counts, Counts | None, int]] = {}
    for row in [*rows, *deleted]:
        key = posixpath.dirname(row.path) or "."
        counts, base, n = dirs.get(key, (Counts(), None, 0))
        if row.base is not None:
            base = (base or Counts()) + row.base
        if row.status == "deleted":
            dirs[key] = (counts, base, n)
        else:
            dirs[key] = (counts + row.counts, base, n + 1)
    return tuple(DirRow(k, c, b, n) for k, (c, b, n) in sorted(dirs.items()))


def comparable(report: CoverageReport, baseline: Baseline) -> str:
    """ "" when the baseline can give the report's metric, else why not (for the note)."""
    metric = report.counts.effective_metric
    base = baseline.counts
    if metric in UNIT_METRICS and base.units == 0 and report.counts.units > 0:
        return (
            f"not compared: the baseline stores no {METRIC_LABELS[metric]} (written by an "
            "older covaction or under another metric); the next baseline from the base branch "
            "will"
        )
    if metric == BRANCHES and not baseline.has_branches and report.has_branches:
        return "not compared: the baseline measured no branches"
    return ""


def compare(
    report: CoverageReport,
    baseline: Baseline | None,
    diff: DiffCoverage | None,
    baseline_note: str = "",
) -> Comparison:
    metric = report.counts.effective_metric
    ok = True
    if baseline is not None:
        why = comparable(report, baseline)
        if why:
            ok = False
            baseline_note = _join(baseline_note, why)
        elif metric == LINES_AND_BRANCHES and baseline.has_branches and not report.has_branches:
            baseline = lines_only(baseline)
            baseline_note = _join(baseline_note, "compared on lines: this run measured no branches")
        elif metric == LINES_AND_BRANCHES and report.has_branches and not baseline.has_branches:
            baseline_note = _join(
                baseline_note, "compared on lines: the baseline measured no branches"
            )
    row_metric = metric
    if (
        baseline is not None
        and metric == LINES_AND_BRANCHES
        and not (baseline.has_branches and report.has_branches)
    ):
        row_metric = LINES
    base_files = baseline.files if baseline else {}

    def base_of(path: str) -> Counts | None:
        base = base_files.get(path)
        return base.with_metric(row_metric) if base is not None and ok else None

    rows = []
    for path, fc in report.files.items():
        status = "new" if baseline is not None and path not in base_files else ""
        rows.append(
            FileRow(
                path,
                fc.counts,
                base_of(path),
                status,
                fc,
                diff.files.get(path) if diff else None,
            )
        )
    rows.sort(key=lambda r: (-r.counts.missing_lines - r.counts.missing_branches, r.path))
    reasons = {u.path: u.reason for u in report.unmatched}
    unplaced = tuple(
        FileRow(
            path,
            fc.counts,
            base_of(path),
            "unplaced",
            fc,
            reason=reasons.get(path, ""),
        )
        for path, fc in report.unplaced.items()
    )
    deleted = tuple(
        FileRow(path, Counts(metric=metric), base_of(path), "deleted", None)
        for path, counts in sorted(base_files.items())
        if path not in report.files and path not in report.unplaced
    )
    changed = tuple(sorted((r for r in rows if r.diff is not None), key=lambda r: r.path))
    return Comparison(
        report=report,
        counts=report.counts,
        baseline=baseline,
        baseline_note=baseline_note,
        files=tuple(rows),
        deleted=deleted,
        changed=changed,
        diff=diff,
        unplaced=unplaced,
        comparable=ok,
    )


def lines_only(baseline: Baseline) -> Baseline:
    """The baseline with its branch counts dropped, for a run that measured no branches."""
    files = {
        path: Counts(c.statements, c.covered_lines, units=c.units, covered_units=c.covered_units)
        for path, c in baseline.files.items()
    }
    return replace(baseline, files=files, has_branches=False)


def _join(note: str, extra: str) -> str:
    return f"{note}; {extra}" if note else extra
