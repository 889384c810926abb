"""What the comment, the summary and the terminal report say, as data and short sentences.

Numbers shown are rounded like coverage.py (`display_percent`); a Δ shown is the difference of
the two rounded figures beside it, so that 86.96% against 88.30% always reads -1.34 (written
with a real minus sign). Gates still judge the exact values (`covaction.gates`). "—" is the
one mark for "not available".
"""

from __future__ import annotations

import hashlib
import math
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from covaction import compare
from covaction.compare import Comparison, DirRow, FileRow
from covaction.diff_coverage import line_ranges
from covaction.gates import FAILED, PASSED, SKIPPED, Check
from covaction.model import Counts, FileCoverage, display_percent, shown_precision
from covaction.render import escape

if TYPE_CHECKING:
    from covaction.gates import Verdict

NA = "—"  # the one mark for "not available"
MINUS = "\u2212"  # a real minus sign: it lines up with "+" and cannot start a Markdown list
DEFAULT_REPORT = "coverage"
# A drop or a diff coverage worth a ⚠️ in the headline when no gate judges it.
ATTENTION_DROP = Decimal("1.00")  # points
ATTENTION_DIFF = Fraction(80)  # percent
# The changed-lines metric has one name everywhere (diff-cover's, and the input's).
DIFF_NAME = "diff coverage"
NO_COVERABLE = "no coverable line changed"
_WORKFLOW = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$|(^|/)action\.ya?ml$", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]{40,64}")


@dataclass(frozen=True, slots=True)
class PinRow:
    """A pin finding as the comment shows it, with its suggested fix ("" when none)."""

    file: str
    line: int
    uses: str
    verdict: str
    reason: str
    suggestion: str = ""
    no_lookup: str = ""  # why no commit was looked up for a fix ("no token ..."), "" when one was


class RenderContext(Protocol):
    """What these helpers read of `markdown.RenderContext`."""

    @property
    def comparison(self) -> Comparison: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def pins(self) -> tuple[PinRow, ...]: ...
    @property
    def pin_counts(self) -> dict[str, int]: ...


# ---------------------------------------------------------------- numbers


def pct(value: Fraction | None) -> str:
    return NA if value is None else display_percent(value) + "%"


def num(value: int) -> str:
    return f"{value:,}"


def plural(n: int, noun: str, nouns: str = "") -> str:
    """`1 file`, `3,000 files`, `2 directories` (pass the plural when it is not noun + s)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def fixed(value: Decimal | float | int) -> str:
    """A figure in points or percent with the decimals percentages are shown with."""
    return f"{value:.{shown_precision()}f}"


def signed(value: Decimal, exact: Fraction | int | None = None) -> str:
    """`+1.50`, `-2.25` (a real minus), `±0.00`; a zero hiding a change keeps its sign (that
    of `exact`, the change or a number with its sign)."""
    if value == 0:
        if exact:
            return ("+" if exact > 0 else MINUS) + fixed(0)
        return "±" + fixed(0)
    return ("+" if value > 0 else MINUS) + fixed(abs(value))


def rounded(value: Fraction) -> Decimal:
    return Decimal(display_percent(value))


def change(now: Fraction | None, base: Fraction | None) -> str:
    """The Δ between two percentages as shown: the difference of their rounded figures."""
    if now is None or base is None:
        return NA
    return signed(rounded(now) - rounded(base), now - base)


def delta(value: Fraction | None) -> str:
    """A signed difference in points on its own (no figures beside it to agree with)."""
    if value is None:
        return NA
    return signed(rounded(abs(value)) * (1 if value >= 0 else -1), value)


def total_change(c: Comparison) -> str:
    base = c.base_counts
    return change(c.compared_counts.percent, base.percent if base else None)


def total_drop(c: Comparison) -> Decimal | None:
    """The drop as the figures show it, in points (positive: coverage went down)."""
    base = c.base_counts
    if base is None:
        return None
    return rounded(base.percent) - rounded(c.compared_counts.percent)


def row_change(row: FileRow | DirRow) -> str:
    """`change` of a row's coverage against its base, read in the base's metric (the figures
    from the counts: a table has thousands of rows)."""
    base = row.base
    if base is None or (row.files == 0 if isinstance(row, DirRow) else row.status == "deleted"):
        return NA  # new, or deleted: nothing to compare
    now = row.counts.with_metric(base.effective_metric)
    if now == base:  # the same counts (most files of a change): no figure moved
        return signed(Decimal(0))
    shown = Decimal(now.shown()) - Decimal(base.shown())
    return signed(shown, compare.exact_change(now, base) if shown == 0 else None)


def counts_text(c: Counts, has_branches: bool) -> str:
    text = f"{c.covered_lines:,} / {c.statements:,} lines"
    if has_branches:
        text += f", {c.covered_branches:,} / {c.branches:,} branches"
    return text


# ---------------------------------------------------------------- the pull request's files


def touched(c: Comparison) -> frozenset[str]:
    """Every file the change touches (that still exists), as far as the diff says."""
    if c.diff is None:
        return frozenset()
    return frozenset((*c.diff.files, *c.diff.not_in_report, *c.diff.not_measured))


def is_workflow(path: str) -> bool:
    """A workflow (`.github/workflows/*.yml`) or an action's metadata (`action.yml`)."""
    return bool(_WORKFLOW.search(path))


def no_coverable_change(c: Comparison) -> bool:
    """The change is known and touches no coverable line (a docs-only PR)."""
    return c.diff is not None and c.diff.counts.statements == 0


_T = TypeVar("_T")
_MEMO: dict[tuple[str, int, int], tuple[Comparison, object]] = {}


def memo(name: str, c: Comparison, arg: int, make: Callable[[], _T]) -> _T:
    """One computation per comparison: the budget loop renders the same context many times."""
    key = (name, id(c), arg)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is c:
        return hit[1]  # type: ignore[return-value]
    if len(_MEMO) > 32:
        _MEMO.clear()
    value = make()
    _MEMO[key] = (c, value)
    return value


def changed_rows(c: Comparison) -> list[FileRow]:
    """Changed files, those with the most uncovered changed lines first, then by path."""
    return memo(
        "changed",
        c,
        0,
        lambda: sorted(
            c.changed, key=lambda r: (-(len(r.diff.uncovered) if r.diff else 0), r.path)
        ),
    )


def indirect_rows(c: Comparison) -> list[FileRow]:
    """Files the change did not touch whose shown coverage changed, the largest |Δ| first."""
    return memo("indirect", c, 0, lambda: _indirect_rows(c))


def _indirect_rows(c: Comparison) -> list[FileRow]:
    if c.diff is None or c.baseline is None:
        return []
    mine = touched(c)
    out = []
    for row in c.files:
        if row.path in mine or row.base is None or row.status or row.counts == row.base:
            continue  # (the same counts: no change to show)
        # The figures as shown (from the counts, no Fraction): equal text, no change shown.
        now, then = row.counts.with_metric(row.base.effective_metric).shown(), row.base.shown()
        if now != then:
            out.append((abs(Decimal(now) - Decimal(then)), row))
    out.sort(key=lambda t: (-t[0], t[1].path))
    return [row for _, row in out]


def ranges(lines: Iterable[int]) -> tuple[tuple[int, int], ...]:
    return line_ranges(lines)


def diff_cell(row: FileRow) -> str:
    """`60.00% (6 / 10)`: covered of coverable changed lines of one file."""
    d = row.diff
    if d is None or not d.coverable:
        return NA
    return f"{pct(d.percent)} ({len(d.covered):,} / {len(d.coverable):,})"


# ---------------------------------------------------------------- links


def diff_anchor(path: str) -> str:
    """GitHub's anchor of a file in a pull request's "Files changed": sha256 of its path."""
    return "diff-" + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------- gates and the headline


def gate_status(ctx: RenderContext, check: Check) -> str:
    """passed | failed | skipped | warned, as a reader should see it.

    A diff gate over a change with no coverable line judged nothing: it reads "skipped".
    """
    if check.name == "diff" and check.actual is None:
        return SKIPPED
    if check.name == "pins" and check.status == PASSED and ctx.pins:
        return "warned"
    return check.status


STATUS_MARK = {PASSED: "✅", FAILED: "❌", SKIPPED: "⏭️", "warned": "⚠️"}
STATUS_WORD = {PASSED: "passed", FAILED: "failed", SKIPPED: "skipped", "warned": "warned"}


def skip_reason(ctx: RenderContext, check: Check) -> str:
    if check.name == "diff" and check.actual is None and ctx.comparison.diff is not None:
        return NO_COVERABLE
    return check.message


def gate_name(check: Check) -> str:
    return {"total": "total", "diff": DIFF_NAME, "drop": "drop", "pins": "pins"}.get(
        check.name, check.title.lower()
    )


def gate_item(ctx: RenderContext, check: Check) -> str:
    """One gate in a few words for the comment's gate line."""
    status = gate_status(ctx, check)
    mark = STATUS_MARK.get(status, "")
    if check.name == "pins":
        unpinned = len(ctx.pins)
        if not unpinned:
            n = ctx.pin_counts.get("pinned", 0)
            return f"{mark} {'the' if n == 1 else 'all'} {plural(n, 'action')} pinned"
        if status == FAILED:
            return f"❌ {plural(unpinned, 'action')} not pinned"
        return f"⚠️ {plural(unpinned, 'action')} not pinned (warn)"
    name = gate_name(check)
    if status == SKIPPED:
        return f"{mark} {name} skipped"
    if check.name == "drop":
        return f"{mark} change {total_change(ctx.comparison)} (allowed drop {check.required})"
    op = "<" if status == FAILED else "≥"
    return f"{mark} {name} {pct(check.actual)} {op} {check.required}%"


def failed_item(ctx: RenderContext, check: Check) -> str:
    """A failed gate in a few words for the headline (the log has the full sentence)."""
    if check.name == "pins":
        return f"{plural(len(ctx.pins), 'action')} not pinned"
    if check.name == "drop" and check.actual is not None:
        drop = total_drop(ctx.comparison)
        shown = (
            f"less than {fixed(Decimal(1).scaleb(-shown_precision()))}" if not drop else fixed(drop)
        )
        return f"dropped {shown} points (allowed {check.required})"
    if check.name in ("total", "diff") and check.actual is not None:
        return f"{gate_name(check)} {pct(check.actual)} < {check.required}%"
    return escape.note(check.message)


def attention(ctx: RenderContext) -> list[str]:
    """A large drop or a low diff coverage that no gate judges, with its number."""
    c = ctx.comparison
    judged = {check.name for check in ctx.verdict.checks}
    out = []
    drop = total_drop(c)
    if "drop" not in judged and drop is not None and drop >= ATTENTION_DROP:
        out.append(f"⚠️ dropped {fixed(drop)} points (no gate set)")
    diff = c.diff.percent if c.diff else None
    if "diff" not in judged and diff is not None and diff < ATTENTION_DIFF:
        out.append(f"⚠️ {DIFF_NAME} below {ATTENTION_DIFF}% (no gate set)")
    return out


def headline_figures(ctx: RenderContext) -> str:
    """`Coverage 86.96% (-1.34) · diff coverage 60.00%`, the report's name first when set."""
    c = ctx.comparison
    head = f"Coverage {pct(c.counts.percent)}"
    if c.base_counts is not None:
        head += f" ({total_change(c)})"
    if c.diff is not None:
        head += f" · {DIFF_NAME} {pct(c.diff.percent)}" if c.diff.percent is not None else ""
        head += f" · {NO_COVERABLE}" if no_coverable_change(c) else ""
    return head


def headline_words(ctx: RenderContext) -> tuple[bool, str]:
    """(passed, what the gates say), with the ⚠️ of `attention` and of unpinned actions."""
    if not ctx.verdict.passed:
        failed = ", ".join(failed_item(ctx, check) for check in ctx.verdict.failed)
        words = f"failed: {failed}"
    else:
        shown = [gate_status(ctx, g) for g in ctx.verdict.checks if g.name != "pins"]
        checked = shown.count(PASSED)
        skipped = len(shown) - checked
        if checked:
            words = "all gates passed" + (f" ({skipped:,} skipped)" if skipped else "")
        elif skipped:
            words = "passed; no gate could be checked"
        else:
            words = "passed (no coverage threshold set)"
    extra = attention(ctx)
    if ctx.pins and ctx.verdict.passed:
        extra.append(f"⚠️ {plural(len(ctx.pins), 'action')} not pinned")
    if extra:
        words += " · " + " · ".join(extra)
    return ctx.verdict.passed, words


# ---------------------------------------------------------------- directories, pins, trend


def rollup(c: Comparison, depth: int) -> list[DirRow]:
    """Folders `depth` levels below the folders every file shares (files above that depth
    under their own folder), worst coverage first, then the largest drop, then by name;
    deleted files count in a folder's baseline only."""
    return memo("rollup", c, depth, lambda: _rollup(c, depth))


def _rollup(c: Comparison, depth: int) -> list[DirRow]:
    depth = max(1, depth)
    all_rows = (*c.files, *c.deleted)
    common = _common_folder(r.path for r in all_rows)
    keep = len(common) + depth
    # Per folder, the sums of this run's counts of its files and of the baseline's (deleted
    # files too), added as the rows come: six numbers each, then the files and the baseline's
    # files counted, and the first metric a baseline file has (as `Counts.total` takes it).
    # No list of Counts per folder: a large report has thousands of folders.
    sums: dict[str, list[Any]] = {}
    by_parent: dict[str, list[Any]] = {}  # the sums of the folder a file's own folder is in
    for row in all_rows:
        path = row.path
        parent = path.rpartition("/")[0]
        if not parent or parent[-1] == "/":  # no folder, the root, or `a//b`: as dirname says
            parent = posixpath.dirname(path)
        s = by_parent.get(parent)
        if s is None:
            key = ("/".join(parent.split("/")[:keep]) if "/" in path else "") or "."
            s = sums.get(key)
            if s is None:
                s = sums[key] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ""]
            by_parent[parent] = s
        base = row.base
        if base is not None:
            s[6] += base.statements
            s[7] += base.covered_lines
            s[8] += base.branches
            s[9] += base.covered_branches
            s[10] += base.units
            s[11] += base.covered_units
            s[13] += 1
            s[14] = s[14] or base.metric
        if row.status != "deleted":
            now = row.counts
            s[0] += now.statements
            s[1] += now.covered_lines
            s[2] += now.branches
            s[3] += now.covered_branches
            s[4] += now.units
            s[5] += now.covered_units
            s[12] += 1
    metric = c.metric
    rows = [
        DirRow(
            key,
            Counts(s[0], s[1], s[2], s[3], s[4], s[5], metric),
            Counts(s[6], s[7], s[8], s[9], s[10], s[11], s[14]) if s[13] else None,
            s[12],
        )
        for key, s in sums.items()
    ]
    return compare.worst_first(rows)


def _common_folder(paths: Iterable[str]) -> list[str]:
    """The folders every path lies under (a monorepo's `services/`), so that a rollup by
    top-level folder does not show one row."""
    common: list[str] | None = None
    for path in paths:
        folder = posixpath.dirname(path).split("/") if "/" in path else []
        if common is None:
            common = folder
            continue
        n = 0
        while n < min(len(common), len(folder)) and common[n] == folder[n]:
            n += 1
        common = common[:n]
        if not common:
            return []
    return common or []


@dataclass(frozen=True, slots=True)
class PinGroup:
    file: str
    rows: tuple[PinRow, ...]


def pin_groups(rows: Iterable[PinRow], limit: int | None = None) -> list[PinGroup]:
    """Findings grouped by file, in the order of the first finding of each; at most `limit`
    findings in all."""
    groups: dict[str, list[PinRow]] = {}
    for i, r in enumerate(rows):
        if limit is not None and i >= limit:
            break
        groups.setdefault(r.file, []).append(r)
    return [PinGroup(f, tuple(rs)) for f, rs in groups.items()]


def missing_fix(row: PinRow) -> str:
    """Why a finding has no suggested fix."""
    if row.verdict == "unverifiable":
        return "built from an expression: pin what it resolves to"
    if row.verdict == "parse-error":
        return "the file could not be read as GitHub reads it"
    if not row.uses:
        return "nothing to pin"
    if row.no_lookup:
        return f"its commit was not looked up: {row.no_lookup}"
    return "its commit could not be looked up"


def pins_in_comment(ctx: RenderContext) -> bool:
    """Unpinned actions are listed in the comment when the pin gate fails or the change
    touches a workflow or action file; otherwise one line points to the summary."""
    if any(c.name == "pins" and c.status == FAILED for c in ctx.verdict.checks):
        return True
    if ctx.comparison.diff is None:
        return True
    return any(is_workflow(p) for p in touched(ctx.comparison))


@dataclass(frozen=True, slots=True)
class Trend:
    values: tuple[float, ...]  # the baseline's runs, then this run
    labels: tuple[str, ...]  # short SHAs, "this run" last
    low: float
    high: float

    @property
    def axis(self) -> tuple[int, int]:
        """A y-axis fitted to the data, at least `AXIS_MIN_SPAN` points tall (a wobble of a
        few tenths stays a wobble), within 0-100."""
        lo, hi = math.floor(self.low) - 1, math.ceil(self.high) + 1
        if hi - lo < AXIS_MIN_SPAN:
            pad = AXIS_MIN_SPAN - (hi - lo)
            lo, hi = lo - pad // 2, hi + pad - pad // 2
        if lo < 0:
            lo, hi = 0, hi - lo
        if hi > 100:
            lo, hi = max(0, lo - (hi - 100)), 100
        return lo, hi


AXIS_MIN_SPAN = 6


def trend(c: Comparison) -> Trend | None:
    """The base branch's runs and this run last; None with fewer than two points."""
    if c.baseline is None or not c.baseline.trend:
        return None
    values = [float(p.percent) for p in c.baseline.trend]
    labels = [p.commit[:7] if _HEX.fullmatch(p.commit) else "?" for p in c.baseline.trend]
    values.append(float(display_percent(c.counts.percent)))
    labels.append("this run")
    return Trend(tuple(values), tuple(labels), min(values), max(values))


SPARKS = "▁▂▃▄▅▆▇█"
SPARK_MIN_SPAN = 2.0  # points: a smaller wobble draws as the small step it is


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    if span < SPARK_MIN_SPAN:
        lo -= (SPARK_MIN_SPAN - span) / 2
        span = SPARK_MIN_SPAN
    top = len(SPARKS) - 1
    return "".join(SPARKS[min(top, max(0, int((v - lo) / span * top + 0.5)))] for v in values)


def joined_file(c: Comparison, row: FileRow) -> FileCoverage | None:
    """The measured file whose missed lines are shown joined as coverage.py's `coverage report
    -m` joins them, or None where the producer's plain ranges (`row.missing`) are shown.

    coverage.py joins missing statements into one range when no executed statement lies
    between them, across comments and blank lines: `3-6`, not `3, 6`
    (`FileCoverage.missed_runs`; a stored result's files give the runs its run showed)."""
    if "coverage.py" not in c.report.producers:
        return None
    return c.report.files.get(row.path)


def missing_cell(c: Comparison, row: FileRow, limit: int) -> str:
    """A file's missing lines as the producer's own report writes them (`joined_file`), within
    `limit` characters, cut as `shortened_ranges` cuts them.

    Only the runs or ranges a cell can show become text: a large report's tables show
    thousands of files, each with a hundred runs and more."""
    done: dict[str, str] = memo("missing-cell", c, limit, dict)
    text = done.get(row.path)
    if text is None:
        measured = joined_file(c, row)
        made = row.missing_made()  # by the document, when one is written (`make_missing`)
        if made is not None and (measured is None or made[1] is not None):
            text = (
                shortened_ranges(made[0], limit)
                if measured is None
                else runs_cell(joined_ranges(made[0], made[1] or ""), limit)
            )
        elif measured is not None:
            text = runs_cell(measured.iter_missed_runs(), limit)
        elif row.file is not None and row.counts.missing_lines:
            text = runs_cell(row.file.iter_missed_ranges(), limit)
        else:
            text = shortened_ranges(row.missing, limit)
        done[row.path] = text
    return text


def make_missing(c: Comparison) -> None:
    """Make every file's `missing` (and, where the comment joins them, `missing_joins`) at
    once, before the tables: a run that writes the result document makes them for every
    file anyway, and the tables' cells are then cut from them (`missing_cell`)."""
    for row in c.files:
        _ = row.missing_joins if joined_file(c, row) is not None else row.missing


def joined_ranges(text: str, joins: str) -> Iterator[tuple[str, str]]:
    """The runs of `text`'s ranges (`4, 7-8, 11`) that `joins` joins ("1" per gap it joins:
    "10" gives `4-8, 11`), as the (first, last) texts of each, made one at a time."""
    pieces = iter(text.split(", ") if text else ())
    first, last = _bounds(next(pieces, ""))
    if not first:
        return
    gaps = iter(joins)
    for piece in pieces:
        a, b = _bounds(piece)
        if next(gaps, "0") != "1":
            yield first, last
            first = a
        last = b
    yield first, last


def _bounds(piece: str) -> tuple[str, str]:
    """`7-8` as ("7", "8"), `4` as ("4", "4") (a line number may be negative: `-3--1`)."""
    cut = piece.find("-", 1)
    return (piece, piece) if cut < 0 else (piece[:cut], piece[cut + 1 :])


def runs_cell(runs: Iterable[tuple[int, int]] | Iterable[tuple[str, str]], limit: int) -> str:
    """`shortened_ranges` of the runs as text (`3-6, 9`), making text of only those it keeps
    (their (first, last) numbers, or their texts)."""
    pieces = []
    size = -2
    for a, b in runs:
        piece = str(a) if a == b else f"{a}-{b}"
        pieces.append(piece)
        size += len(piece) + 2
        if size > limit and len(pieces) > 1:
            break  # the rest is cut: the cut falls within the first `limit` characters
    return shortened_ranges(", ".join(pieces), limit)


def shortened_ranges(text: str, limit: int) -> str:
    """Missing lines (`9, 13-17, 40`) within `limit` characters, cut only between ranges, so a
    shortened cell never shows half a number ("124, 1…" would read as a range)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(", ", 0, max(limit - 3, 0))
    if cut <= 0:  # one range longer than the cell: shown whole
        return text.split(", ", 1)[0] + (", …" if ", " in text else "")
    return text[:cut] + ", …"
