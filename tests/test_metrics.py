"""The headline metric through the core: counts per metric, comparison with baselines, diff data."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from covaction import compare as cmp
from covaction.changed_lines import parse_unified_diff
from covaction.diff_coverage import diff_coverage
from covaction.documents import baseline as b
from covaction.model import (
    BranchIds,
    Counts,
    CoverageReport,
    FileCoverage,
    Units,
    Unmatched,
    merge_files,
)


@pytest.mark.parametrize(
    ("metric", "percent"),
    [
        ("", Fraction(100 * (6 + 1), 10 + 4)),  # older counts: lines and branches
        ("lines-and-branches", Fraction(100 * 7, 14)),
        ("lines", Fraction(60)),
        ("branches", Fraction(25)),
        ("statements", Fraction(100 * 5, 8)),
        ("instructions", Fraction(100 * 5, 8)),
    ],
)
def test_percent_counts_what_the_metric_names(metric: str, percent: Fraction) -> None:
    c = Counts(10, 6, 4, 1, 8, 5, metric)
    assert c.percent == percent
    assert Counts(10, 6, 4, 1, 8, 5) == c  # the metric is how to read counts, not counts


def test_sums_keep_the_metric_and_nothing_coverable_is_100() -> None:
    total = sum([Counts(2, 1, metric="lines"), Counts(2, 2)], Counts())
    assert total.metric == "lines" and total.percent == 75
    assert Counts(metric="statements").percent == 100


def go_file(path: str, blocks: dict[int, tuple[int, int]]) -> FileCoverage:
    return FileCoverage.from_mappings(path, {1: 1}, units=Units.from_mapping(blocks))


def test_go_blocks_merge_covered_if_any() -> None:
    a = go_file("a.go", {1: (3, 3), 2: (2, 0)})
    b2 = go_file("a.go", {1: (3, 0), 2: (2, 2), 3: (1, 0)})
    merged, lower = merge_files("a.go", [a, b2])
    assert (merged.counts.units, merged.counts.covered_units) == (6, 5) and not lower


def test_lcov_branches_union_by_id_and_counts_only_are_a_lower_bound() -> None:
    ids = frozenset({"0,0", "0,1"})
    left = FileCoverage.from_mappings(
        "a.c", {3: 1}, {3: (1, 2)}, branch_ids={3: BranchIds(frozenset({"0,1"}), ids)}
    )
    right = FileCoverage.from_mappings(
        "a.c", {3: 1}, {3: (1, 2)}, branch_ids={3: BranchIds(frozenset({"0,0"}), ids)}
    )
    merged, lower = merge_files("a.c", [left, right])
    assert merged.branch(3) == (2, 2) and not lower
    counts_only = [FileCoverage.from_mappings("a.java", {3: 1}, {3: (1, 2)})] * 2
    merged, lower = merge_files("a.java", counts_only)
    assert merged.branch(3) == (1, 2) and lower


def report(files: dict[str, Counts], metric: str, has_branches: bool = False) -> CoverageReport:
    out = {}
    for path, c in files.items():
        hits = {n: int(n <= c.covered_lines) for n in range(1, c.statements + 1)}
        units = Units.from_mapping({1: (c.units, c.covered_units)}) if c.units else None
        branches = {1: (c.covered_branches, c.branches)} if c.branches else None
        out[path] = FileCoverage.from_mappings(path, hits, branches, units=units).with_metric(
            metric
        )
    return CoverageReport(files=out, has_branches=has_branches, metric=metric)


def baseline(files: dict[str, Counts], has_branches: bool = False) -> b.Baseline:
    return b.Baseline(
        commit="a" * 40,
        branch="main",
        created_at="2026-12-01T00:00:00Z",
        report_name="coverage",
        covaction_version="0",
        has_branches=has_branches,
        files=files,
        trend=(),
    )


def test_an_older_baseline_compares_lines_like_with_like() -> None:
    """An LCOV run (headline: lines) against a baseline written as [s, c, b, cb] counts."""
    now = report({"a.c": Counts(10, 8, 4, 2)}, "lines", has_branches=True)
    base = baseline({"a.c": Counts(10, 6, 4, 1)}, has_branches=True)
    c = cmp.compare(now, base, None)
    assert c.comparable and c.delta == Fraction(80) - Fraction(60)
    assert c.files[0].delta == 20


def test_a_baseline_without_go_statements_is_not_compared_and_says_why() -> None:
    now = report({"a.go": Counts(10, 8, units=20, covered_units=15)}, "statements")
    base = baseline({"a.go": Counts(10, 6)})
    c = cmp.compare(now, base, None)
    assert not c.comparable and c.delta is None and c.base_counts is None
    assert "baseline stores no statements" in c.baseline_note
    assert c.files[0].base is None and c.files[0].status == ""


def test_a_statement_baseline_compares_statements() -> None:
    now = report({"a.go": Counts(10, 8, units=20, covered_units=15)}, "statements")
    base = baseline({"a.go": Counts(10, 6, units=20, covered_units=10)})
    c = cmp.compare(now, base, None)
    assert c.delta == Fraction(75) - Fraction(50)


def test_unplaced_files_are_rows_with_their_reason_and_count_in_totals() -> None:
    now = replace(
        report({"a.py": Counts(4, 3)}, "lines"),
        unplaced={"/opt/x/_version.py": FileCoverage.from_mappings("/opt/x/_version.py", {1: 1})},
        unmatched=(Unmatched("/opt/x/_version.py", "outside the repository"),),
    )
    c = cmp.compare(now, None, None)
    assert [(r.path, r.status, r.reason) for r in c.unplaced] == [
        ("/opt/x/_version.py", "unplaced", "outside the repository")
    ]
    assert c.counts == Counts(5, 4) and c.counts.percent == 80


def test_diff_names_changed_sources_the_report_does_not_measure() -> None:
    now = report({"pkg/a.py": Counts(4, 3)}, "lines")
    diff = parse_unified_diff(
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,0 +2,1 @@\n+x\n"
        "--- /dev/null\n+++ b/pkg/new.py\n@@ -0,0 +1,1 @@\n+y\n"
        "--- a/README.md\n+++ b/README.md\n@@ -1,0 +2,1 @@\n+z\n"
    )
    d = diff_coverage(now, diff)
    assert d.not_in_report == ("README.md", "pkg/new.py")
    assert d.unmeasured_sources == ("pkg/new.py",)
    assert d.counts.metric == "lines" and d.percent == 100
