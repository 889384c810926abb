"""(report, baseline, diff coverage) -> Comparison: totals, deltas, per file and per folder.

Deltas compare like with like: a baseline measured with branches, compared with a run measured
without them, is read on lines alone (and the note says so).
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction

from covaction.diff_coverage import DiffCoverage, FileDiffCoverage, format_ranges
from covaction.documents.baseline import Baseline
from covaction.model import Counts, CoverageReport


@dataclass(frozen=True, slots=True)
class FileRow:
    path: str
    counts: Counts
    base: Counts | None
    status: str  # "" | "new" | "deleted"
    missing: str  # uncovered lines as ranges, `12-18, 40`
    diff: FileDiffCoverage | None = None

    @property
    def percent(self) -> Fraction:
        return self.counts.percent

    @property
    def delta(self) -> Fraction | None:
        if self.base is None or self.status == "deleted":
            return None
        return self.counts.percent - self.base.percent


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
        return self.counts.percent - self.base.percent


@dataclass(frozen=True, slots=True)
class Comparison:
    report: CoverageReport
    counts: Counts
    baseline: Baseline | None
    baseline_note: str
    files: tuple[FileRow, ...]  # most missing lines first
    deleted: tuple[FileRow, ...]
    directories: tuple[DirRow, ...]
    changed: tuple[FileRow, ...]  # files of the change that the report measures
    diff: DiffCoverage | None

    @property
    def base_counts(self) -> Counts | None:
        return self.baseline.counts if self.baseline else None

    @property
    def compared_counts(self) -> Counts:
        """This run's totals as the baseline measured them: without branches if it had none."""
        if self.baseline is not None and not self.baseline.has_branches:
            return Counts(self.counts.statements, self.counts.covered_lines)
        return self.counts

    @property
    def delta(self) -> Fraction | None:
        """Exact change against the baseline, like with like (see `compared_counts`)."""
        base = self.base_counts
        return None if base is None else self.compared_counts.percent - base.percent

    @property
    def zero_files(self) -> tuple[FileRow, ...]:
        return tuple(r for r in self.files if r.counts.denominator and r.counts.numerator == 0)


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


def compare(
    report: CoverageReport,
    baseline: Baseline | None,
    diff: DiffCoverage | None,
    baseline_note: str = "",
) -> Comparison:
    if baseline is not None and baseline.has_branches and not report.has_branches:
        baseline = lines_only(baseline)
        baseline_note = _join(baseline_note, "compared on lines: this run measured no branches")
    elif baseline is not None and report.has_branches and not baseline.has_branches:
        baseline_note = _join(baseline_note, "compared on lines: the baseline measured no branches")
    base_files = baseline.files if baseline else {}
    rows = []
    for path, fc in report.files.items():
        base = base_files.get(path)
        status = "new" if baseline is not None and base is None else ""
        rows.append(
            FileRow(
                path,
                fc.counts,
                base,
                status,
                format_ranges(fc.missed_lines()),
                diff.files.get(path) if diff else None,
            )
        )
    rows.sort(key=lambda r: (-r.counts.missing_lines - r.counts.missing_branches, r.path))
    deleted = tuple(
        FileRow(path, Counts(), counts, "deleted", "")
        for path, counts in sorted(base_files.items())
        if path not in report.files
    )
    directories = rollup(rows, deleted)
    changed = tuple(sorted((r for r in rows if r.diff is not None), key=lambda r: r.path))
    return Comparison(
        report=report,
        counts=report.counts,
        baseline=baseline,
        baseline_note=baseline_note,
        files=tuple(rows),
        deleted=deleted,
        directories=directories,
        changed=changed,
        diff=diff,
    )


def lines_only(baseline: Baseline) -> Baseline:
    """The baseline with its branch counts dropped, for a run that measured no branches."""
    files = {path: Counts(c.statements, c.covered_lines) for path, c in baseline.files.items()}
    return replace(baseline, files=files, has_branches=False)


def _join(note: str, extra: str) -> str:
    return f"{note}; {extra}" if note else extra
