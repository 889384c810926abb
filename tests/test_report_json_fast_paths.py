"""The report-json writer's batched fast paths write what the plain per-entry code writes.

Each fast path (percentages a batch at a time, missed lines from bytes, document entries a
batch at a time) is compared, on seeded random cases and on the edge cases, with a plain
implementation kept here: the one it replaced, or the per-entry function it batches.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator, Sequence
from itertools import compress, islice
from operator import ne, not_

from covaction.diff_coverage import bounds_text, ranges_text
from covaction.model import (
    FileCoverage,
    missed_flags,
    range_breaks,
    small_counts,
)

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


def test_range_breaks_are_a_test_per_pair() -> None:
    rng = random.Random(3)
    cases: list[list[int]] = [[], [4], [4, 5], [4, 6], [5, 4], [4, 4], [0, 300], [-3, -2, 2**70]]
    for _ in range(300):
        n = rng.randrange(0, 50)
        cases.append(sorted(rng.sample(range(-500, 2000), n)))
        cases.append([rng.randrange(-5, 5) for _ in range(n)])  # not ascending: any order
    for numbers in cases:
        assert range_breaks(numbers) == bytes(map(ne, numbers[1:], map((1).__add__, numbers)))


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
