"""(current report, baseline, diff coverage) -> Comparison: totals, deltas, per file and directory."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from fractions import Fraction

from covaction.baseline import Baseline
from covaction.diffcov import DiffCoverage, FileDiffCoverage, format_ranges
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
        return None if self.base is None else self.counts.percent - self.base.percent


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
    def delta(self) -> Fraction | None:
        base = self.base_counts
        return None if base is None else self.counts.percent - base.percent

    @property
    def zero_files(self) -> tuple[FileRow, ...]:
        return tuple(r for r in self.files if r.counts.denominator and r.counts.numerator == 0)


def compare(
    report: CoverageReport,
    baseline: Baseline | None,
    diff: DiffCoverage | None,
    baseline_note: str = "",
) -> Comparison:
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
    dirs: dict[str, tuple[Counts, Counts | None, int]] = {}
    for row in rows:
        key = posixpath.dirname(row.path) or "."
        counts, base, n = dirs.get(key, (Counts(), None, 0))
        if baseline is not None:
            base = (base or Counts()) + (row.base or Counts())
        dirs[key] = (counts + row.counts, base, n + 1)
    if baseline is not None:
        for row in deleted:
            key = posixpath.dirname(row.path) or "."
            counts, base, n = dirs.get(key, (Counts(), Counts(), 0))
            dirs[key] = (counts, (base or Counts()) + (row.base or Counts()), n)
    directories = tuple(DirRow(k, c, b, n) for k, (c, b, n) in sorted(dirs.items()))
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
