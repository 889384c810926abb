"""How `cobertura.parse` and `jacoco.parse` cut a document into regions, check the order of
what they read in bulk, and count what they did with them.

Both parsers take a large XML report in regions (cut at `</class>` or `</sourcefile>`, `cut`)
and either read a region in bulk, when its bytes are provably plain markup, or hand it to the
per-element callback reader. The result is the same either way; only the cost differs. A
`RegionStats` passed as `parse(..., stats=RegionStats())` counts which way each region went,
so tests and benchmarks can see that the bulk path is taken where it should be and declined
where it must be. Without one the parsers count nothing.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from operator import lt
from typing import Protocol

# An empty value (`""`) in the line tags the region readers read: refused, since a stray digit
# could take its place in their JSON list (`number=3""`). A literal search: faster than `in`
# on these blocks.
EMPTY_VALUE = re.compile(b'""')
PASSED_ON = -1  # `cut`'s offset for bytes that are not a whole region


class Switch(Protocol):
    """A parser's state: `regions` False once the region reader may no longer be used."""

    regions: bool


def cut(
    chunks: Iterable[bytes],
    end: bytes,
    switch: Switch,
    *,
    region_size: int,
    max_region: int,
    refuse_start: Callable[[bytes], bool],
) -> Iterator[tuple[bytes, int]]:
    """The document's bytes in the order expat must parse them, as (bytes, offset).

    `offset` >= 0: a whole region ending with `end`, starting at that offset in the document,
    about `region_size` bytes (what is read of one is held at once). `PASSED_ON`: bytes passed
    on as they come, because `switch.regions` is False: set by the parser (a prolog the region
    reader cannot read), by `refuse_start` on the document's first bytes, or here when one
    element runs past `max_region` bytes without an `end` (the callbacks read the rest).
    """
    offset = 0
    buf = bytearray()
    for chunk in chunks:
        if offset == 0 and not buf and refuse_start(chunk):
            switch.regions = False
        if not switch.regions:
            if buf:
                yield bytes(buf), PASSED_ON
                buf.clear()
            yield chunk, PASSED_ON
            continue
        seen = len(buf)
        buf += chunk
        found = buf.rfind(end, max(0, seen - len(end) + 1))
        if found < 0:
            if len(buf) > max_region:
                switch.regions = False
                yield bytes(buf), PASSED_ON
                buf.clear()
            continue
        last = found + len(end)
        while last:
            size = last
            if last > region_size and (near := buf.rfind(end, 0, region_size)) >= 0:
                size = near + len(end)
            region = bytes(memoryview(buf)[:size])
            del buf[:size]
            last -= size
            yield region, offset
            offset += size
    if buf:
        yield bytes(buf), PASSED_ON


def ascending_runs(numbers: list[int], sizes: list[int], high: int) -> list[bool] | None:
    """Per run of `numbers` (`sizes`: each class's or source file's count, in order; runs of
    size 0 are skipped): whether it is strictly ascending; None if a number is out of range
    (below 1 or above `high`: the callbacks raise the error).

    One C-level pass over the whole region (a byte per neighbouring pair, 1 where the number
    rises) and a byte search per run, where a pass per run cost more; a run in order has its
    least and greatest number at its ends, so the range check needs no pass of its own.
    """
    rises = bytes(map(lt, numbers, islice(numbers, 1, None)))
    ascending = []
    at = 0
    for size in sizes:
        if not size:
            continue
        end = at + size
        if rises.find(0, at, end - 1) < 0:
            ascending.append(True)
            low, top = numbers[at], numbers[end - 1]
        else:
            ascending.append(False)
            run = numbers[at:end]
            low, top = min(run), max(run)
        if low < 1 or top > high:
            return None
        at = end
    return ascending


@dataclass(slots=True)
class RegionStats:
    """How a parse's regions were read; the one job: count them for tests and benchmarks.

    `read`: regions the region reader proved plain and read in bulk.
    `declined`: regions the region reader was asked to read and handed to the callback reader
    instead (a comment, CDATA, a tag of an unknown shape, a value out of range, ...).
    Regions the callbacks read without the region reader being asked (the first one, the
    rest of a document whose prolog or a too large element turned the region reader off, or
    the region after one the callbacks could not pause in) are in neither count.
    """

    read: int = 0
    declined: int = 0

    def count(self, read: bool) -> None:
        if read:
            self.read += 1
        else:
            self.declined += 1


def line_breaks(data: bytes, start: int, stop: int) -> bytes | None:
    """What expat is fed in place of `data[start:stop]` (ending in an LF) for its lines to
    count as in the document: one LF for each (expat counts CRLF as one line break); None
    where a lone CR is among them (a line break of its own to expat)."""
    cr = data.find(b"\r", start, stop)
    if cr >= 0 and data.count(b"\r", cr, stop) != data.count(b"\r\n", cr, stop):
        return None
    return b"\n" * data.count(b"\n", start, stop)


MAX_REMOVALS = 1 << 18  # removals kept for columns (6 MB); past them regions are fed whole


class Removed:
    """Line tags left out of what expat parses, where no line break was: their columns.

    A region reader that proved a run of line tags well-formed XML may leave the run out of
    what expat parses. Where the run held line breaks, they are fed in its place and every
    line and column after it stays the document's. Where it held none (JaCoCo writes its
    report on one line), expat's columns after it on that line are short by its length: each
    removal is kept, with where expat would have met it and on which line, so that an error
    of expat's is reported at the document's column (`column`).

    Lines are counted as expat counts them while no CR has been fed (expat counts a lone CR
    and CRLF as line breaks too): after one, nothing more is removed (`open` is False).
    """

    __slots__ = ("at", "fed", "line", "lines", "open", "sizes")

    def __init__(self) -> None:
        self.fed = 0  # bytes fed to expat so far
        self.line = 1  # the line expat is on after them
        self.open = True
        self.at = array("q")  # per removal: where expat would have met it (bytes fed before)
        self.lines = array("q")  # its line
        self.sizes = array("q")  # its length (ASCII: characters, as expat's columns count)

    def takes(self, feed: bytes) -> bool:
        """Whether a region's `feed` may be fed in its place (its removals kept)."""
        return self.open and b"\r" not in feed

    def passed(self, data: bytes, cuts: Iterable[tuple[int, int]] = ()) -> bytes:
        """`data` is fed to expat next; `cuts`: (offset in `data`, length) of each removal."""
        if self.open:
            at = 0
            for offset, size in cuts:
                self.line += data.count(b"\n", at, offset)
                at = offset
                self.at.append(self.fed + offset)
                self.lines.append(self.line)
                self.sizes.append(size)
            self.line += data.count(b"\n", at)
            self.open = b"\r" not in data and len(self.at) < MAX_REMOVALS
        self.fed += len(data)
        return data

    def column(self, index: int, line: int, column: int) -> int:
        """The document's column of expat's error at byte `index` (of what it was fed), on
        `line` at `column`: the removals on that line before it added back."""
        return column + sum(
            size
            for at, on, size in zip(self.at, self.lines, self.sizes, strict=True)
            if on == line and at <= index
        )
