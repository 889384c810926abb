"""The per-file and per-folder table rows of the comment and the summary, built in Python.

These tables are the bulk of a large report's summary (a row per file, 20,000 files and more).
Each row is formatted once per comparison and kept: the budget loop renders the summary at
several levels, and every level reuses the rows the last one built. A level whose rows alone
(those of all its tables together) are already over its budget stops as soon as they are
(`within_budget` gives None), without formatting the rest: the whole body could only be
longer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import TypeVar

from covaction.compare import Comparison, DirRow, FileRow
from covaction.render import escape, parts

_T = TypeVar("_T")


class _OverBudget(Exception):
    """The rows of one level already exceed the level's budget."""


# The characters of the rows the tables of the body being rendered have shown so far: the
# level is over its budget as soon as all its tables' rows together are.
_SHOWN: ContextVar[list[int] | None] = ContextVar("covaction_table_rows_shown", default=None)


def within_budget(render: Callable[[], str]) -> str | None:
    """`render()`, or None when the table rows it built were over their budget (the rows of
    all its tables together)."""
    token = _SHOWN.set([0])
    try:
        return render()
    except _OverBudget:
        return None
    finally:
        _SHOWN.reset(token)


def _file_row(c: Comparison, f: FileRow) -> str:
    new = " *(new)*" if f.status == "new" else ""
    missing = escape.code(parts.missing_cell(c, f, 80), 90) if f.counts.missing_lines else ""
    return (
        f"| {escape.code(f.path)}{new} | {f.counts.shown()}% | "
        f"{parts.counts_text(f.counts, c.report.has_branches)} | {parts.row_change(f)} | "
        f"{missing} |\n"
    )


def file_rows(c: Comparison, limit: int, budget: int = 0) -> str:
    """The first `limit` rows of the per-file table; stopped when they alone pass
    `budget` characters (0: no budget)."""
    done: list[str] = parts.memo("file-rows", c, 0, list)
    return _rows(done, c.files, limit, budget, lambda f: _file_row(c, f))


def dir_rows(c: Comparison, depth: int, limit: int, budget: int = 0) -> str:
    """The first `limit` rows of the per-folder table (see `file_rows`)."""
    done: list[str] = parts.memo("dir-rows", c, depth, list)
    has_branches = c.report.has_branches

    def row(d: DirRow) -> str:
        coverage = f"{d.counts.shown()}%" if d.files else "—"
        return (
            f"| {escape.code(d.path)} | {d.files:,} | {coverage} | "
            f"{parts.counts_text(d.counts, has_branches)} | {parts.row_change(d)} |\n"
        )

    return _rows(done, parts.rollup(c, depth), limit, budget, row)


def _rows(
    done: list[str], items: Sequence[_T], limit: int, budget: int, make: Callable[[_T], str]
) -> str:
    """Extend the kept rows `done` to `limit` (formatting only the ones not kept yet)."""
    want = min(limit, len(items))
    shown = _SHOWN.get() if budget else None
    size = (sum(map(len, done[:want])) + (shown[0] if shown else 0)) if budget else 0
    while len(done) < want:
        text = make(items[len(done)])
        done.append(text)
        size += len(text)
        if budget and size > budget:
            raise _OverBudget
    if budget and size > budget:
        raise _OverBudget
    if shown:
        shown[0] = size  # this table's rows and the earlier tables'
    return "".join(done[:want])
