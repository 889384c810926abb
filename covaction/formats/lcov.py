"""LCOV tracefiles (`lcov`, `geninfo`, c8/nyc/Istanbul, grcov, cargo-llvm-cov) into the model.

The headline counts lines, as `lcov --summary` and genhtml do (and c8/nyc, whose LCOV lines
are Istanbul's "Lines"); branches are available through `coverage-metric`.

How an LCOV file is counted
---------------------------
* A record runs from `SF:<path>` to `end_of_record`; the file is named exactly as `SF:` names
  it (often absolute; `paths.py` maps it onto the repository later). There are no source roots.
* Lines come only from `DA:<line>,<hits>[,<checksum>]`. A `DA` line is a coverable line; it is
  covered when its hit count is above zero. The summary lines `LF:`/`LH:` (and `BRF:`/`BRH:`,
  `FNF:`/`FNH:`) are never used: totals are always recomputed from `DA` and `BRDA`, so a tracefile
  whose summary disagrees with its own data is counted by its data, as `lcov --summary` does.
* Branches come only from `BRDA:<line>,<block>,<branch>,<taken>`. Each distinct
  (line, block, branch) is one branch; it is covered when `taken` is a number above zero. `-`
  (the line never ran) and `0` are both "not taken". A line's branch total is the number of
  distinct (block, branch) pairs reported on it.
* Functions (`FN`, `FNDA`, `FNL`, `FNA`), test names (`TN`) and any other upper-case `KEY:`
  line are accepted and ignored: the model has no function metric.
* Several records for one file (one per test name, or concatenated tracefiles) are merged as
  `lcov -a` does: a line is covered if any record covers it (hits: the highest count), and a
  branch is covered if any record took it; branches are matched by (line, block, branch) (kept
  as `BranchIds`, so separate tracefiles merge in `paths.map_reports` the same way), so two
  records taking different arms of one `if` give 2 of 2. gcc/gcov block ids are stable between
  runs; c8 (V8) numbers its blocks per run, so tracefiles of different c8 runs merge into more
  branches than either has, exactly as `lcov -a` merges them.

Hostile input ends in one `ReportError`: a line that is not `KEY:value` or `end_of_record`, data
outside a record, a record left open at the end (a truncated file), negative or non-numeric
counts, line numbers outside 1..2**31-1, and lines longer than 1 MiB. Hit counts above 2**63-1
are clamped, since only "zero or not" matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from covaction.errors import ReportError
from covaction.formats.builder import FileBuilder
from covaction.model import (
    BRANCHES,
    LINES,
    LINES_AND_BRANCHES,
    BranchIds,
    ParsedReport,
)

FORMAT = "lcov"

MAX_LINE_BYTES = 1 << 20
MAX_LINE_NUMBER = 2**31 - 1
MAX_COUNT = 2**63 - 1

_BOM = b"\xef\xbb\xbf"
_SNIFF = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:TN|SF):")
_KEY = re.compile(rb"[A-Z][A-Z0-9_]{0,15}\Z")
_UINT = re.compile(rb"\s*(\d{1,40})\s*\Z")
_INT = re.compile(rb"\s*(-?\d{1,40})\s*\Z")


def sniff(head: bytes) -> bool:
    """True when the first non-blank line is an LCOV `TN:` or `SF:` line."""
    return _SNIFF.match(head) is not None


def text_lines(
    chunks: Iterable[bytes], origin: str, fmt: str, limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, bytes]]:
    """(1-based number, line without `\\n`/`\\r\\n`) from a byte stream; memory stays per line.

    A leading UTF-8 byte order mark is dropped. A line longer than `limit` bytes is refused with
    one ReportError, so a file with no newlines cannot make us buffer it whole.
    """
    pending = bytearray()
    number = 0
    for chunk in chunks:
        # bytes.split runs in C; only a line spanning chunks goes through `pending`.
        parts = chunk.split(b"\n")
        tail = parts.pop()
        if parts:
            if pending:
                pending += parts[0]
                parts[0] = bytes(pending)
                pending.clear()
            for line in parts:
                number += 1
                if len(line) > limit:
                    raise _too_long(origin, fmt, number, limit)
                if number == 1:
                    line = line.removeprefix(_BOM)
                yield number, line.removesuffix(b"\r")
        pending += tail
        if len(pending) > limit:
            raise _too_long(origin, fmt, number + 1, limit)
    if pending:
        number += 1
        line = bytes(pending)
        if number == 1:
            line = line.removeprefix(_BOM)
        yield number, line.removesuffix(b"\r")


def _too_long(origin: str, fmt: str, number: int, limit: int) -> ReportError:
    return ReportError(
        f"{origin}: line {number} is longer than {limit} bytes; this is not a {fmt} file"
    )


def show(raw: bytes, width: int = 60) -> str:
    """A short, single-line, quoted rendering of input bytes for an error message."""
    text = raw[:width].decode("utf-8", "replace")
    return repr(text + ("..." if len(raw) > width else ""))


class _Record:
    """One file's data, merged over all of its records."""

    __slots__ = ("branches", "builder")

    def __init__(self, path: str) -> None:
        self.builder = FileBuilder(path)
        # (line, block, branch) -> taken; branch ids stay bytes (lcov 2 allows expressions).
        self.branches: dict[tuple[int, bytes, bytes], int] = {}


class _Parser:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.files: dict[str, _Record] = {}
        self.current: _Record | None = None
        self.opened_at = 0
        self.number = 0
        self.seen_any = False

    def fail(self, what: str) -> ReportError:
        return ReportError(f"{self.origin}: line {self.number}: {what}")

    def record(self, key: str) -> _Record:
        if self.current is None:
            raise self.fail(f"{key} outside a record (no SF: line before it)")
        return self.current

    def line_number(self, raw: bytes, key: str) -> int:
        m = _UINT.match(raw)
        if m is None:
            raise self.fail(f"{key} line number {show(raw)} is not a whole number")
        value = int(m.group(1))
        if not 1 <= value <= MAX_LINE_NUMBER:
            raise self.fail(f"{key} line number {value} is outside 1..{MAX_LINE_NUMBER}")
        return value

    def count(self, raw: bytes, key: str) -> int:
        m = _INT.match(raw)
        if m is None:
            raise self.fail(f"{key} count {show(raw)} is not a whole number")
        value = int(m.group(1))
        if value < 0:
            raise self.fail(f"{key} count {value} is negative; regenerate the tracefile")
        return min(value, MAX_COUNT)

    def feed(self, number: int, line: bytes) -> None:
        self.number = number
        if line[:3] == b"DA:" and self.current is not None:
            # Fast path for the commonest line; anything unusual takes the checked path below.
            first, _, rest = line[3:].partition(b",")
            hits = rest.partition(b",")[0]
            if first.isdigit() and hits.isdigit() and len(first) <= 10 and len(hits) <= 18:
                nr = int(first)
                if 1 <= nr <= MAX_LINE_NUMBER:
                    self.current.builder.add_line(nr, int(hits))
                    return
        stripped = line.strip()
        if not stripped:
            return
        if stripped == b"end_of_record":
            if self.current is None:
                raise self.fail("end_of_record without a record (no SF: line before it)")
            self.current = None
            return
        key_raw, sep, value = stripped.partition(b":")
        if not sep or _KEY.match(key_raw) is None:
            raise self.fail(f"{show(stripped)} is not an LCOV record line (KEY:value)")
        key = key_raw.decode("ascii")
        if key in {"TN", "SF"}:
            self.seen_any = True
        if key == "SF":
            self.start_file(value)
        elif key == "DA":
            self.data_line(value)
        elif key == "BRDA":
            self.branch_line(value)
        elif key in {"LF", "LH", "BRF", "BRH", "FNF", "FNH"}:
            # Summary lines: checked to be numbers, never used (see the module docstring).
            self.record(key)
            self.count(value, key)
        # TN, FN, FNDA, FNL, FNA, VER and future keys carry nothing the model counts.

    def start_file(self, value: bytes) -> None:
        if self.current is not None:
            raise self.fail(
                f"SF: while the record opened on line {self.opened_at} has no end_of_record"
            )
        try:
            path = value.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise self.fail("the SF: path is not UTF-8") from None
        if not path:
            raise self.fail("SF: names no file")
        rec = self.files.get(path)
        if rec is None:
            rec = self.files[path] = _Record(path)
        self.current = rec
        self.opened_at = self.number

    def data_line(self, value: bytes) -> None:
        rec = self.record("DA")
        parts = value.split(b",")
        if len(parts) < 2:
            raise self.fail(f"DA:{show(value)} is not DA:<line>,<hits>[,<checksum>]")
        rec.builder.add_line(self.line_number(parts[0], "DA"), self.count(parts[1], "DA"))

    def branch_line(self, value: bytes) -> None:
        rec = self.record("BRDA")
        parts = value.split(b",")
        if len(parts) != 4:
            raise self.fail(f"BRDA:{show(value)} is not BRDA:<line>,<block>,<branch>,<taken>")
        line = self.line_number(parts[0], "BRDA")
        taken = 0 if parts[3].strip() == b"-" else self.count(parts[3], "BRDA")
        key = (line, parts[1].strip(), parts[2].strip())
        rec.branches[key] = max(rec.branches.get(key, 0), taken)

    def finish(self) -> ParsedReport:
        if self.current is not None:
            raise ReportError(
                f"{self.origin}: the record for {self.current.builder.path!r} opened on line "
                f"{self.opened_at} has no end_of_record; the file looks truncated"
            )
        if not self.seen_any:
            raise ReportError(f"{self.origin}: no LCOV TN: or SF: line; this is not an LCOV file")
        files = []
        has_branches = False
        for rec in self.files.values():
            per_line: dict[int, tuple[int, int]] = {}
            known: dict[int, set[str]] = {}
            missed: dict[int, set[str]] = {}
            for (line, block, branch), taken in rec.branches.items():
                covered, total = per_line.get(line, (0, 0))
                per_line[line] = (covered + (taken > 0), total + 1)
                name = f"{block.decode('utf-8', 'replace')},{branch.decode('utf-8', 'replace')}"
                known.setdefault(line, set()).add(name)
                if not taken:
                    missed.setdefault(line, set()).add(name)
            for line in sorted(per_line):
                covered, total = per_line[line]
                rec.builder.add_branches(line, covered, total)
            if per_line:
                rec.builder.branch_ids = {
                    line: BranchIds(frozenset(missed.get(line, ())), frozenset(ids))
                    for line, ids in known.items()
                }
            has_branches = has_branches or bool(per_line)
            files.append(rec.builder.build(metric=LINES))
        return ParsedReport(
            FORMAT,
            tuple(files),
            has_branches,
            (),
            self.origin,
            producer="LCOV",
            metric=LINES,
            metrics=(LINES, BRANCHES, LINES_AND_BRANCHES),
            rule="lines, as `lcov --summary` and genhtml count them",
        )


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Stream an LCOV tracefile into a ParsedReport; one ReportError for anything malformed."""
    parser = _Parser(origin)
    for number, line in text_lines(chunks, origin, "LCOV"):
        parser.feed(number, line)
    return parser.finish()
