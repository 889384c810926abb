"""What the region readers of `cobertura.parse` and `jacoco.parse` did with one document.

Both parsers take a large XML report in regions (cut at `</class>` or `</sourcefile>`) and
either read a region in bulk, when its bytes are provably plain markup, or hand it to the
per-element callback reader. The result is the same either way; only the cost differs. A
`RegionStats` passed as `parse(..., stats=RegionStats())` counts which way each region went,
so tests and benchmarks can see that the bulk path is taken where it should be and declined
where it must be. Without one the parsers count nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


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
