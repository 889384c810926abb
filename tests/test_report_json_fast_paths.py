"""The report-json writer's batched fast paths write what the plain per-entry code writes.

Each fast path (percentages a batch at a time, missed lines from bytes, document entries a
batch at a time) is compared, on seeded random cases and on the edge cases, with a plain
implementation kept here: the one it replaced, or the per-entry function it batches.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
import random
from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import compress, islice
from operator import ne, not_
from typing import Any

import pytest

from covaction import model
from covaction.compare import Comparison, compare
from covaction.diff_coverage import bounds_text, ranges_text
from covaction.documents import result
from covaction.documents.baseline import Baseline
from covaction.documents.result import display_ratios, shown_percents
from covaction.missed import missed_flags, small_counts
from covaction.model import (
    BRANCHES,
    INSTRUCTIONS,
    LINES,
    LINES_AND_BRANCHES,
    STATEMENTS,
    Counts,
    CoverageReport,
    FileCoverage,
    display_precision,
    display_ratio,
)
from tests.fork_results import doc_of, joined_case, make_case

# ------------------------------------------------------------------ percentages


def near_edges(rng: random.Random) -> Iterator[tuple[int, int]]:
    """Ratios whose percentage `_shown` moves off 0 or 100 at some precision, and around."""
    for digits in range(0, 13):
        big = 10**digits
        for den in (big, 3 * big + 1, 7 * big - 1, 2**53 + 1, 10**20 + 7):
            yield 1, den * 100  # just above 0 at this precision
            yield den * 100 - 1, den * 100  # just below 100
            yield 5, den * 1000  # half a unit of the last digit, around it
            yield den * 1000 - 5, den * 1000
            yield rng.randrange(0, den + 1), den


RATIOS: list[tuple[int, int]] = [
    (0, 0),
    (5, 0),
    (0, -3),
    (7, -1),
    (0, 1),
    (1, 1),
    (3, 2),  # 150: above 100 is shown as computed
    (-1, 3),  # below 0 too
    (-1, 10**9),
    (-1, 10**400),  # -0.0, shown "-0.00"
    (0, 10**400),
    (1, 10**400),  # 0.0 (the float of a positive ratio), shown "0.00"
    (2**70, 2**70 + 1),
    (1, 2**70),
    (2**63 - 1, 2**63),
    (1, 3),
    (2, 3),
    (1, 8),
    (1, 80_000),
    (79_999, 80_000),
    (99_995, 100_000),
    (99_994, 100_000),
    (5, 100_000),
    (4, 100_000),
]


def ratio_batches() -> Iterator[list[tuple[int, int]]]:
    rng = random.Random(20261208)
    edges = list(near_edges(rng))
    yield []
    yield RATIOS
    yield edges
    yield RATIOS + edges
    for size in (1, 2, 3, 50, 2000):
        # Mostly distinct (each formatted) and mostly repeated (formatted once, mapped back).
        yield [(n, d + n) for n, d in ((rng.randrange(0, 10**6), rng.randrange(0, 10**6)),)] * (
            size
        )
        yield [
            (n, n + rng.randrange(0, 10**6)) for n in (rng.randrange(0, 10**6) for _ in range(size))
        ]
        pool = RATIOS + rng.sample(edges, 20)
        yield [rng.choice(pool) for _ in range(size)]
        yield [(rng.randrange(0, 4), rng.randrange(-1, 4)) for _ in range(size)]


@pytest.mark.parametrize("digits", range(0, model.MAX_PRECISION + 1))
def test_display_ratios_are_display_ratio_of_each(digits: int) -> None:
    with display_precision(digits):
        for batch in ratio_batches():
            nums, dens = [n for n, _ in batch], [d for _, d in batch]
            assert display_ratios(nums, dens) == [display_ratio(n, d) for n, d in batch]
            assert display_ratios(tuple(nums), tuple(dens)) == display_ratios(nums, dens)


@pytest.mark.parametrize("digits", [11, 15])
def test_display_ratios_past_the_precisions_known_are_display_ratio_of_each(digits: int) -> None:
    with display_precision(digits):
        for batch in list(ratio_batches())[:6]:
            nums, dens = [n for n, _ in batch], [d for _, d in batch]
            assert display_ratios(nums, dens) == [display_ratio(n, d) for n, d in batch]


def test_display_ratios_of_a_precision_that_is_no_precision_fail_as_display_ratio() -> None:
    with display_precision(-1):
        with pytest.raises(ValueError):
            display_ratio(1, 3)
        with pytest.raises(ValueError):
            display_ratios([1], [3])


def test_the_percent_format_writes_what_the_f_string_writes() -> None:
    rng = random.Random(7)
    values = [100 * n / d for n, d in RATIOS if d > 0]
    values += [rng.uniform(0, 100) for _ in range(5000)] + [0.0, 100.0, 1e-300, 99.999999999999]
    for digits in range(0, model.MAX_PRECISION + 1):
        for pc in values:
            assert result._FORMATS[digits] % pc == f"{pc:.{digits}f}"


def random_counts(rng: random.Random, metric: str) -> Counts:
    statements = rng.choice([0, 1, 2, 3, 10, rng.randrange(0, 10**5)])
    branches = rng.choice([0, 0, 2, 4, rng.randrange(0, 10**4)])
    units = rng.choice([0, 5, rng.randrange(0, 10**6)])
    return Counts(
        statements,
        rng.randrange(0, statements + 1),
        branches,
        rng.randrange(0, branches + 1),
        units,
        rng.randrange(0, units + 1),
        metric,
    )


METRIC_CHOICES = ["", LINES, LINES_AND_BRANCHES, BRANCHES, STATEMENTS, INSTRUCTIONS, "unknown"]


def counts_batches() -> Iterator[list[Counts]]:
    rng = random.Random(99)
    yield []
    for metric in METRIC_CHOICES:
        yield [random_counts(rng, metric) for _ in range(300)]
        yield [
            Counts(metric=metric),
            Counts(3, 3, metric=metric),
            Counts(0, 0, 2, 1, metric=metric),
        ]
    yield [random_counts(rng, rng.choice(METRIC_CHOICES)) for _ in range(500)]  # mixed
    yield [Counts(n, n - 1, 2, 1) for n in (1, 10**3, 10**5, 10**7, 10**11)]  # near 100
    yield [Counts(n, 1, 0, 0, metric=LINES) for n in (10**3, 10**5, 10**7)]  # near 0
    yield [Counts(5, 6, -2, 1, 3, 4, BRANCHES), Counts(-1, 0, 0, 3)]  # nonsense counts too
    for metric in ("", LINES_AND_BRANCHES):  # without branches: the line percent
        yield [Counts(n, n // 3, metric=metric) for n in range(0, 60)]
        yield [Counts(n, n // 3, 0, n % 2, metric=metric) for n in range(0, 60)]


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 10])
def test_shown_percents_are_each_counts_shown(digits: int) -> None:
    with display_precision(digits):
        for batch in counts_batches():
            shown = [c.shown() for c in batch]
            assert shown_percents(batch) == shown
            lines = [c.shown_line_percent() for c in batch]
            assert shown_percents(batch, lines) == shown


def entries(docs: Iterable[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """The entries as lists of their items: keys in order, and the values (a dict's `==`
    ignores the order, which the written document does not)."""
    return [
        [(k, entries([v])[0] if isinstance(v, dict) else v) for k, v in d.items()] for d in docs
    ]


@pytest.mark.parametrize("digits", [0, 2, 5, 10])
def test_counts_docs_are_each_counts_doc(digits: int) -> None:
    with display_precision(digits):
        for batch in counts_batches():
            assert entries(result.counts_docs(batch)) == entries(map(result.counts_doc, batch))


def test_file_and_compared_entries_are_made_as_one_at_a_time() -> None:
    """The per-file lists of the documents of several cases: a batch of entries is what the
    per-entry functions make of each (the rows' missed lines made either way first)."""
    comparisons = [case.comparison for case in (make_case(), joined_case())]
    comparisons += [make_case(baseline=False).comparison, large_comparison()]
    for c in comparisons:
        rows = sorted(c.files, key=lambda r: r.path)
        assert entries(result.file_docs(c, rows)) == entries([result.file_doc(c, r) for r in rows])
        listed = [*c.files, *c.deleted]
        assert entries(result.compared_docs(listed)) == entries(map(result.compared_doc, listed))


def large_comparison() -> Comparison:
    """A coverage.py report of files of all kinds of counts, against a baseline holding some
    of them (under other counts) and files deleted since."""
    rng = random.Random(5)
    files = []
    for n in range(900):
        lines = sorted(rng.sample(range(1, 400), rng.randrange(0, 60)))
        hits = {line: rng.choice([0, 0, 1, 2, 300]) for line in lines}
        branch_lines = rng.sample(lines, min(len(lines), rng.randrange(0, 4)))
        branches = {b: (rng.randrange(0, 3), 2) for b in branch_lines}
        files.append(FileCoverage.from_mappings(f"pkg{n % 7}/m{n}.py", hits, branches))
    report = CoverageReport(
        files={f.path: f for f in files},
        has_branches=True,
        formats=("cobertura",),
        sources=("coverage.xml",),
        producers=("coverage.py",),
        metric=LINES_AND_BRANCHES,
    )
    base = {f.path: random_counts(rng, "") for f in files[::2]}
    base |= {f"gone{n}.py": random_counts(rng, "") for n in range(30)}
    baseline = Baseline(
        "b" * 40, "main", "2026-11-20T08:00:00Z", "coverage", "0.1", True, base, (), "1"
    )
    return compare(report, baseline, None, "the base commit")


@pytest.mark.parametrize("digits", [1, 2, 4])
def test_documents_written_in_batches_are_those_written_an_entry_at_a_time(
    digits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole document, its per-file lists read a batch at a time (`Rows` with a batch maker)
    and an entry at a time (without): the same bytes, in every precision."""
    cases = [make_case(), make_case(baseline=False), joined_case(), joined_case(("gcovr",))]
    with display_precision(digits):
        batched = [result.dumps(doc_of(case)) for case in cases]
        monkeypatch.setattr(result.Rows, "__init__", _one_at_a_time)
        single = [result.dumps(doc_of(case)) for case in cases]
    assert batched == single
    assert all(json.loads(b) for b in batched)


def _one_at_a_time(
    self: result.Rows, items: Sequence[Any], make: Any, make_batch: Any = None
) -> None:
    self._items = items
    self._make = make
    self._make_batch = None


# ------------------------------------------------------------------ missed lines


def plain_missed_flags(hits: Sequence[int]) -> bytes:
    return bytes(h == 0 for h in hits)


def plain_missed_bounds(
    lines: Sequence[int], hits: Sequence[int], joins: bool
) -> tuple[list[int], list[int], str]:
    """`FileCoverage.missed_bounds` as it was: ints compared a pair at a time."""
    flags = bytes(map(not_, hits))
    missed = list(compress(lines, flags))
    if not missed:
        return [], [], ""
    gaps = list(map(ne, missed[1:], map((1).__add__, missed)))
    firsts = [missed[0], *compress(islice(missed, 1, None), gaps)]
    lasts = [*compress(missed, gaps), missed[-1]]
    if not joins:
        return firsts, lasts, ""
    # A gap is joined when no statement between the two ranges ran.
    at = {line: i for i, line in enumerate(lines)}
    joined = []
    for last, first in zip(lasts, firsts[1:], strict=False):
        between = hits[at[last] + 1 : at[first]]
        joined.append("0" if any(between) else "1")
    return firsts, lasts, "".join(joined)


HIT_CHOICES = [0, 1, 2, 9, 255, 256, 257, 65_536, 2**40, 2**63 - 1, -1, -256, -(2**63)]


def hit_cases() -> Iterator[tuple[list[int], list[int]]]:
    rng = random.Random(1234)
    yield [], []
    yield [5], [0]
    yield [5], [3]
    yield [0, 1, 3, 4, 5], [0, 0, 0, 1, 0]
    yield list(range(-20, 20)), [0] * 40
    yield [-(2**63), -5, 0, 2**63 - 2, 2**63 - 1], [0, 0, 0, 0, 0]
    for _ in range(400):
        size = rng.randrange(0, 120)
        start = rng.choice([1, 1, 0, -50, 2**62, 2**63 - 2000])
        step = rng.choice([1, 2, 3, 300, 10**6])  # 300 and more: gaps past a byte
        lines = sorted(set(start + rng.randrange(0, size * step + 1) for _ in range(size)))
        lines = [n for n in lines if n < 2**63]
        kind = rng.randrange(4)
        if kind == 0:
            hits = [rng.choice([0, 1]) for _ in lines]
        elif kind == 1:
            hits = [rng.choice([0, 0, 1, 2, 200, 255]) for _ in lines]
        elif kind == 2:
            hits = [rng.choice(HIT_CHOICES) for _ in lines]
        else:
            hits = [0 if rng.random() < 0.7 else rng.randrange(1, 5) for _ in lines]
        yield lines, hits


def test_missed_flags_and_small_counts_are_a_test_per_count() -> None:
    for _lines, hits in hit_cases():
        typed = array("q", hits)
        assert missed_flags(typed) == plain_missed_flags(hits)
        small = small_counts(typed)
        if all(0 <= h <= 255 for h in hits):
            assert small == bytes(hits)
        else:
            assert small is None


def test_missed_bounds_are_the_pairwise_ranges_and_joins() -> None:
    for lines, hits in hit_cases():
        fc = FileCoverage("f.py", array("q", lines), array("q", hits))
        for joins in (True, False):
            assert fc.missed_bounds(joins) == plain_missed_bounds(lines, hits, joins)


def test_ranges_of_every_line_missed_are_a_test_per_pair() -> None:
    """The breaks between ranges come from the differences of neighbouring missed lines as
    bytes; a difference past a byte (a gap of 256 lines and more) takes a test per pair."""
    rng = random.Random(3)
    cases: list[list[int]] = [[4], [4, 5], [4, 6], [0, 300], [-3, -2, 2**62], [0, 255, 256, 511]]
    cases.append([-(2**63), 2**63 - 1])
    for _ in range(300):
        cases.append(sorted(rng.sample(range(-500, 2000), rng.randrange(1, 50))))
        cases.append(sorted(rng.sample(range(0, 60), rng.randrange(1, 40))))
    for numbers in cases:
        fc = FileCoverage("f.py", array("q", numbers), array("q", [0] * len(numbers)))
        assert fc.missed_bounds(False) == plain_missed_bounds(numbers, [0] * len(numbers), False)


def test_bounds_text_is_the_ranges_text() -> None:
    rng = random.Random(11)
    cases = [
        [(0, 0)],
        [(0, 1), (3, 3)],
        [(1, 1), (3, 4), (6, 6)],
        [(-5, -3), (-1, 2), (4, 4)],
        [(-1, -1)],
        [(2**63 - 3, 2**63 - 1), (2**64 - 1, 2**64 - 1)],  # unsigned 64 bits: orjson's
        [(5, 5), (2**64, 2**64 + 3)],  # past 64 bits: a range at a time
        [(1, 10**18)],
    ]
    for _ in range(300):
        numbers = sorted(rng.sample(range(0, rng.choice([40, 100, 10**6])), rng.randrange(0, 40)))
        firsts = [n for i, n in enumerate(numbers) if i == 0 or numbers[i - 1] != n - 1]
        lasts = [
            n for i, n in enumerate(numbers) if i == len(numbers) - 1 or numbers[i + 1] != n + 1
        ]
        cases.append(list(zip(firsts, lasts, strict=True)))
    for ranges in cases:
        firsts, lasts = [a for a, _ in ranges], [b for _, b in ranges]
        assert bounds_text(firsts, lasts) == ranges_text(ranges)


# ------------------------------------------------------------------ counts


def plain_count(fc: FileCoverage) -> Counts:
    units = fc.units
    return Counts(
        statements=len(fc.lines),
        covered_lines=len(fc.hits) - fc.hits.tolist().count(0),
        branches=sum(fc.branch_total),
        covered_branches=sum(fc.branch_covered),
        units=sum(units.total) if units is not None else 0,
        covered_units=sum(units.covered) if units is not None else 0,
        metric=fc.metric,
    )


def test_a_files_counts_are_the_plain_sums() -> None:
    for lines, hits in hit_cases():
        rng = random.Random(len(lines))
        blines = array("q", lines[::3])
        total = array("q", [rng.randrange(0, 5) for _ in blines])
        units = model.Units(
            array("q", lines), array("q", [5] * len(lines)), array("q", [h % 7 for h in hits])
        )
        for metric in ("", LINES, INSTRUCTIONS):
            fc = FileCoverage(
                "f.py",
                array("q", lines),
                array("q", hits),
                blines,
                total,
                array("q", [t // 2 for t in total]),
                units if metric == INSTRUCTIONS else None,
                None,
                metric,
            )
            made, plain = fc._count(), plain_count(fc)
            assert made == plain
            assert made.metric == plain.metric


def test_made_counts_are_counts() -> None:
    """`made_counts` (a plain object of the same slots, made a Counts) is what `Counts(...)`
    makes: its type, fields, equality, hash, repr, frozenness, copies and pickles."""
    rng = random.Random(8)
    for _ in range(200):
        v1, v2, v3, v4, v5, v6 = (rng.choice([0, 1, 7, 2**40, 2**70, -3]) for _ in range(6))
        values = [v1, v2, v3, v4, v5, v6]
        metric = rng.choice(METRIC_CHOICES)
        made = model.made_counts(metric, v1, v2, v3, v4, v5, v6)
        plain = Counts(v1, v2, v3, v4, v5, v6, metric)
        assert type(made) is Counts
        assert made == plain
        assert hash(made) == hash(plain)
        assert repr(made) == repr(plain)
        assert [getattr(made, f.name) for f in dataclasses.fields(Counts)] == [*values, metric]
        assert pickle.loads(pickle.dumps(made)) == plain
        assert dataclasses.replace(made, units=5) == dataclasses.replace(plain, units=5)
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.statements = 1  # type: ignore[misc]
    a, b, c = (
        Counts(10, 5, 4, 2, 7, 3, ""),
        Counts(3, 2, 1, 0, 8, 1, LINES),
        Counts(metric=BRANCHES),
    )
    assert repr(a + b) == repr(Counts(13, 7, 5, 2, 15, 4, LINES))
    assert repr(b + c) == repr(Counts(3, 2, 1, 0, 8, 1, LINES))  # the first metric that is one
    assert repr(c + b) == repr(Counts(3, 2, 1, 0, 8, 1, BRANCHES))
    assert repr(a.with_metric(BRANCHES)) == repr(Counts(10, 5, 4, 2, 7, 3, BRANCHES))
    assert repr(Counts.total([a, b])) == repr(Counts(13, 7, 5, 2, 15, 4, LINES))
    assert repr(Counts.total([a, b], STATEMENTS)) == repr(Counts(13, 7, 5, 2, 15, 4, STATEMENTS))
