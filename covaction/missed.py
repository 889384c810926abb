"""Which of a file's lines were missed, as a byte per line, from the counts' own bytes.

A large report's tables and document ask this of every file (two million lines and more):
these are C-level passes over the bytes of the counts' array (`model.FileCoverage.hits`), not
a test per line.
"""

from __future__ import annotations

import sys
from array import array


def missed_flags(hits: array[int]) -> bytes:
    """A byte per line: 1 where its count is 0 (missed), else 0. From the counts' bytes: their
    low bytes if all are below 256, else or-ed a byte place at a time (LCOV's, Go's counts)."""
    low = small_counts(hits)
    if low is not None:
        return low.translate(_SWAP_01)
    size, raw, nonzero = hits.itemsize, hits.tobytes(), 0
    for place in range(size):  # a count is 0 where all its bytes are
        nonzero |= int.from_bytes(raw[place::size], "little")
    return nonzero.to_bytes(len(hits), "little").translate(_SWAP_01)


def small_counts(counts: array[int]) -> bytes | None:
    """The counts as a byte each if all are 0 to 255 (then the array's bytes are these, spread)."""
    size, raw = counts.itemsize, counts.tobytes()
    low = raw[0 if sys.byteorder == "little" else size - 1 :: size]
    wide = bytearray(len(raw))
    wide[0 if sys.byteorder == "little" else size - 1 :: size] = low
    return low if raw == wide else None


_SWAP_01 = bytes((1, 0)) + bytes(254)  # of a count's low byte: 1 where it is 0 (missed)
