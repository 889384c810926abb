"""How the format parsers gather a file's data as they read: `FileBuilder`."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from operator import lt

from covaction.model import BranchIds, FileCoverage, Units


def _typed(values: Iterable[int]) -> array[int]:
    return array("q", values)


class FileBuilder:
    """Accumulates (line, hits) and branch counts in report order; dedupes on `build`.

    Parsers stream into this: appends are cheap, and a line reported twice (the same file in
    several `<class>` elements, methods repeating class lines) counts once, as covered if any
    occurrence is covered.
    """

    __slots__ = (
        "_ordered",
        "bcovered",
        "blines",
        "branch_ids",
        "btotal",
        "hits",
        "lines",
        "path",
        "ucovered",
        "ukeys",
        "units_exact",
        "utotal",
    )

    def __init__(self, path: str) -> None:
        self.path = path
        # Unit groups in report order (key, total, covered), as arrays: a dict of tuples per
        # JaCoCo line cost ~200 bytes a line (a 100 MB report: over 300 MB of memory).
        self.ukeys: array[int] | None = None
        self.utotal: array[int] = array("q")
        self.ucovered: array[int] = array("q")
        self.units_exact = True
        self.branch_ids: dict[int, BranchIds] | None = None
        self.lines: array[int] = array("q")
        self.hits: array[int] = array("q")
        self.blines: array[int] = array("q")
        self.btotal: array[int] = array("q")
        self.bcovered: array[int] = array("q")
        self._ordered = True  # lines so far strictly ascending: build() need not sort

    def add_line(self, line: int, hits: int) -> None:
        if self.lines and self.lines[-1] >= line:
            self._ordered = False
        self.lines.append(line)
        self.hits.append(hits)

    def extend_sorted(self, lines: array[int], hits: array[int]) -> None:
        """Append a run already known to be strictly ascending."""
        if self.lines and lines and self.lines[-1] >= lines[0]:
            self._ordered = False
        self.lines.extend(lines)
        self.hits.extend(hits)

    def extend(self, lines: array[int], hits: array[int]) -> None:
        """Append a run in any order."""
        if lines and (
            (self.lines and self.lines[-1] >= lines[0])
            or not all(map(lt, lines, islice(lines, 1, None)))
        ):
            self._ordered = False
        self.lines.extend(lines)
        self.hits.extend(hits)

    def take_lines(self, lines: array[int], hits: array[int], ascending: bool) -> None:
        """A run the region readers read in bulk (`ascending`: strictly, as checked). A file's
        first lines become its arrays, these new slices of their size (an array grown by
        appending holds up to 1/16 more); later runs are appended."""
        if not ascending:
            self.extend(lines, hits)
        elif self.lines:
            self.extend_sorted(lines, hits)
        else:
            self.lines, self.hits = lines, hits

    def take_branches(self, lines: array[int], total: array[int], covered: array[int]) -> None:
        """Branch counts read in bulk: the file's arrays when they are its first (`take_lines`)."""
        if self.blines:
            self.blines.extend(lines)
            self.btotal.extend(total)
            self.bcovered.extend(covered)
        else:
            self.blines, self.btotal, self.bcovered = lines, total, covered

    def add_branches(self, line: int, covered: int, total: int) -> None:
        self.blines.append(line)
        self.btotal.append(total)
        self.bcovered.append(covered)

    def build(
        self,
        ids_of: Callable[[array[int]], Mapping[int, BranchIds]] | None = None,
        metric: str = "",
    ) -> FileCoverage:
        """The file, its lines and branch lines sorted and unique. `ids_of` gives the branch
        ids from the file's branch lines (else the `branch_ids` the parser added, if any).
        `metric`: the report's (its files then need no copy to be read as it: path mapping
        reads every file as the headline's metric, as a rule the report's)."""
        lines, hits = self.lines, self.hits
        if not self._ordered:
            merged: dict[int, int] = {}
            for n, h in zip(lines, hits, strict=True):
                old = merged.get(n)
                merged[n] = h if old is None else max(old, h)
            order = sorted(merged)
            lines = _typed(order)
            hits = _typed(merged[n] for n in order)
        blines, btotal, bcovered = self.blines, self.btotal, self.bcovered
        if not all(map(lt, blines, islice(blines, 1, None))):
            bmerged: dict[int, tuple[int, int]] = {}
            for n, t, c in zip(blines, btotal, bcovered, strict=True):
                old_b = bmerged.get(n)
                bmerged[n] = (c, t) if old_b is None else (max(old_b[0], c), max(old_b[1], t))
            border = sorted(bmerged)
            blines = _typed(border)
            btotal = _typed(bmerged[n][1] for n in border)
            bcovered = _typed(bmerged[n][0] for n in border)
        units = self._units()
        ids = ids_of(blines) if ids_of is not None else self.branch_ids or None
        return FileCoverage(self.path, lines, hits, blines, btotal, bcovered, units, ids, metric)

    def add_units(self, key: int, total: int, covered: int) -> None:
        """One unit group (a JaCoCo line's instructions); a key seen twice keeps the larger."""
        if self.ukeys is None:
            self.ukeys = array("q")
        self.ukeys.append(key)
        self.utotal.append(total)
        self.ucovered.append(covered)

    def _units(self) -> Units | None:
        keys = self.ukeys
        if keys is None:
            return None
        if all(map(lt, keys, islice(keys, 1, None))):
            # The array itself: a tuple of 2,000,000 JaCoCo line numbers held 70 MB more.
            return Units(keys, self.utotal, self.ucovered, self.units_exact)
        merged: dict[int, tuple[int, int]] = {}
        for k, t, c in zip(keys, self.utotal, self.ucovered, strict=True):
            old = merged.get(k)
            merged[k] = (t, c) if old is None else (max(old[0], t), max(old[1], c))
        return Units.from_mapping(merged, self.units_exact)
