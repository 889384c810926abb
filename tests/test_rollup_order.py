"""The folder table's order: worst coverage first, then the largest drop, then the path, by exact
values. `compare.worst_first` sorts by floats made from the counts and checks ties with integer
products; these tests hold it to the order of the exact Fractions, including values whose floats
are equal though the values are not."""

from __future__ import annotations

import posixpath
from fractions import Fraction
from types import SimpleNamespace
from typing import Any, cast

from hypothesis import given
from hypothesis import strategies as st

from covaction import compare
from covaction.compare import DirRow, FileRow
from covaction.model import LINES, LINES_AND_BRANCHES, Counts
from covaction.render import parts


def exact_order(rows: list[DirRow]) -> list[DirRow]:
    return sorted(
        rows,
        key=lambda d: (
            d.counts.percent if d.files else Fraction(101),
            d.delta or Fraction(0),
            d.path,
        ),
    )


def counts(
    covered: int, total: int, branches: tuple[int, int] = (0, 0), metric: str = ""
) -> Counts:
    return Counts(
        total, min(covered, total), branches[1], min(branches[0], branches[1]), metric=metric
    )


@st.composite
def folders(draw: st.DrawFn, big: bool) -> list[DirRow]:
    # Small counts give many exactly equal values (ties broken by the delta, then the path);
    # huge ones give values a float cannot tell apart.
    size = st.integers(0, 2**70) if big else st.integers(0, 12)
    n = draw(st.integers(0, 30))
    rows = []
    for i in range(n):
        total, covered = draw(size), draw(size)
        branches = (draw(size), draw(size))
        metric = draw(st.sampled_from(["", LINES, LINES_AND_BRANCHES]))
        now = counts(covered, total, branches, metric)
        base = None
        if draw(st.booleans()):
            b_total, b_covered = draw(size), draw(size)
            base_metric = draw(st.sampled_from(["", LINES]))
            b_branches = (draw(size), draw(size)) if draw(st.booleans()) else (0, 0)
            base = counts(b_covered, b_total, b_branches, base_metric)
        files = draw(st.integers(0, 3))
        rows.append(DirRow(f"d{i:02d}", now, base, files))
    return rows


@given(folders(big=False))
def test_worst_first_is_the_exact_order_on_small_counts(rows: list[DirRow]) -> None:
    assert compare.worst_first(rows) == exact_order(rows)


@given(folders(big=True))
def test_worst_first_is_the_exact_order_on_huge_counts(rows: list[DirRow]) -> None:
    assert compare.worst_first(rows) == exact_order(rows)


def test_values_a_float_cannot_tell_apart_are_ordered_exactly() -> None:
    # 100 * (2**60 - 1) / 2**60 and 100 * (2**60 - 2) / 2**60 are the same float.
    d = 2**60
    close = [DirRow(f"d{i}", counts(d - 1 - i, d), None, 1) for i in range(3)]
    assert len({float(r.counts.percent) for r in close}) == 1
    assert [r.path for r in compare.worst_first(close)] == ["d2", "d1", "d0"]
    # Equal percentages whose deltas a float cannot tell apart: the smaller delta first.
    same = [
        DirRow("a", counts(3, 5), counts(d - 1, 2 * d, metric=LINES), 1),
        DirRow("b", counts(3, 5), counts(d - 2, 2 * d, metric=LINES), 1),
    ]
    assert float(same[0].delta or 0) == float(same[1].delta or 0)
    assert [r.path for r in compare.worst_first(same)] == ["a", "b"]


@given(folders(big=False), folders(big=True))
def test_the_sign_of_a_change_is_that_of_the_exact_difference(
    small: list[DirRow], huge: list[DirRow]
) -> None:
    # A table's Δ that rounds to 0.00 keeps the sign of the exact change (`parts.signed`).
    for row in small + huge:
        now, base = row.counts, row.base or row.counts
        exact = now.percent - base.percent
        sign = compare.exact_change(now, base)
        assert (sign > 0, sign < 0) == (exact > 0, exact < 0)


def reference_rollup(
    files: list[FileRow], deleted: list[FileRow], metric: str, depth: int
) -> list[DirRow]:
    """The folder rows as lists of each folder's Counts summed with `Counts.total`, and each
    file's folder from `posixpath.dirname` (what `parts._rollup` adds up as the rows come)."""
    all_rows = (*files, *deleted)
    common = parts._common_folder(r.path for r in all_rows)
    keep = len(common) + max(1, depth)
    dirs: dict[str, tuple[list[Counts], list[Counts]]] = {}
    for row in all_rows:
        parent = posixpath.dirname(row.path)
        key = ("/".join(parent.split("/")[:keep]) if "/" in row.path else "") or "."
        now, base = dirs.setdefault(key, ([], []))
        if row.base is not None:
            base.append(row.base)
        if row.status != "deleted":
            now.append(row.counts)
    return [
        DirRow(k, Counts.total(now, metric), Counts.total(base) if base else None, len(now))
        for k, (now, base) in dirs.items()
    ]


@st.composite
def file_rows(draw: st.DrawFn) -> tuple[list[FileRow], list[FileRow]]:
    part = st.sampled_from(["a", "b", "src", "", "x.py"])
    paths = draw(
        st.lists(st.lists(part, min_size=1, max_size=5).map("/".join), unique=True, max_size=25)
    )
    small = st.integers(0, 9)
    files, deleted = [], []
    for path in paths:
        status = draw(st.sampled_from(["", "", "new", "deleted"]))
        base = None
        if status != "new" and draw(st.integers(0, 3)):
            base = counts(
                draw(small), draw(small), (draw(small), draw(small)),
                draw(st.sampled_from(["", LINES, LINES_AND_BRANCHES])),
            )  # fmt: skip
        now = counts(draw(small), draw(small), (draw(small), draw(small)), LINES_AND_BRANCHES)
        row = FileRow(path, now, base, status, None)
        (deleted if status == "deleted" else files).append(row)
    return files, deleted


@given(file_rows(), st.integers(0, 3))
def test_the_folder_sums_are_those_of_the_files_counts(
    rows: tuple[list[FileRow], list[FileRow]], depth: int
) -> None:
    """`parts._rollup` adds each folder's counts up as its files come; its rows are those of
    the plain sums of each folder's Counts, for any paths (`a//b`, `/x`, `a/`, no folder),
    deleted files in the baseline's sums only, baseline counts of any metric."""
    files, deleted = rows
    c = cast(Any, SimpleNamespace(files=tuple(files), deleted=tuple(deleted), metric=LINES))
    got = parts._rollup(c, depth)
    expected = compare.worst_first(reference_rollup(files, deleted, LINES, depth))
    assert [(d.path, d.files) for d in got] == [(d.path, d.files) for d in expected]
    for a, b in zip(got, expected, strict=True):
        assert (a.counts, a.counts.metric) == (b.counts, b.counts.metric)
        assert (a.base, a.base and a.base.metric) == (b.base, b.base and b.base.metric)
