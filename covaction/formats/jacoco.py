"""JaCoCo XML reports (`jacoco:report`, Gradle `jacocoTestReport`, Kover) into the model.

The headline counts instructions, JaCoCo's own default: the INSTRUCTION counter is the first
column and the percentage of its HTML report's Total row, and the default counter of its check
rules. LINE and BRANCH are available through `coverage-metric` (lines, branches).

How a JaCoCo report is counted
------------------------------
Only `report > (group >)* package > sourcefile > line` is read; `<class>`, `<method>` and every
`<counter>` are ignored for line data (they summarise the same lines).

* File path: the package name, "/", the source file name (`com/example/Foo.java`); a file in
  the default package (`<package name="">`) is just its name. This is the path relative to a
  source directory (`src/main/java`, `src/main/kotlin`), which the report does not name, so
  there are no source roots. Groups (multi-module `report-aggregate` reports) do not change
  the path; the same package and file under two groups merge into one file.
* `<line nr mi ci mb cb>` (missed/covered instructions, missed/covered branches; an absent
  count is 0, as report.dtd says): the line is coverable when `mi + ci > 0` and covered when
  `ci > 0` (JaCoCo's "partly covered" lines count as covered). Its branches: total `mb + cb`,
  covered `cb`. This reproduces the report's own LINE and BRANCH counters of each
  `<sourcefile>` exactly. A `<line>` with neither `mi` nor `ci` carries no coverage at all
  (gcovr's JaCoCo output is like that) and is refused rather than read as "not coverable".
* Instructions: each line's `mi + ci`, covered `ci` (units keyed by line number); summed per
  `<sourcefile>` they equal its INSTRUCTION counter (JaCoCo attributes every instruction of a
  class compiled with line numbers, javac's default, to a line). Two reports of one file merge
  per line (the larger `ci`), which is a lower bound of what the merged execution data would
  say, as for branches: the XML carries counts, not which instructions ran.
* A line reported twice for one file (groups) counts once, covered if either covers it; for
  branches the larger covered and total counts win.
* `has_branches` is true when at least one line has `mb + cb > 0` (JaCoCo omits branch
  counters for code without branches).

The XML goes through the hardened streaming parser (`xmlstream`): JaCoCo's DOCTYPE line is
fine, entity declarations and external entities are refused. Malformed XML, a root other than
`<report>`, a `<sourcefile>` outside a `<package>`, or a missing, negative or non-numeric line
attribute ends in one ReportError naming the file and XML line. Counts above 2**63-1 are clamped.

Two readers share the one expat parser, which sees every byte the region reader has not proved
well-formed XML itself (so well-formedness and the protections above never depend on the reader):
the callback reader (`start`/`end`) understands any JaCoCo document; the region reader takes the
document in regions ending at a `</sourcefile>` and, when a region is provably plain markup (no
comment, CDATA or processing instruction; every `<line>` exactly `<line nr=".." mi=".." ci=".."
mb=".." cb=".."/>` with plain numbers in range, as JaCoCo's XMLFormatter writes it; `<sourcefile>`
and `<package>` tags with plain names), reads its lines with C-level byte operations while expat
runs with no element handler. Any region it cannot prove plain goes to the callbacks, so both give
the same result or the same error for every document (`tests/test_jacoco_regions.py`); the region
reader only makes a large report cheaper (`benchmarks/bench_jacoco.py`). Where the line tags are
also well-formed XML (XML whitespace before each), expat parses the region without them
(`_Read.feed`; 13 % of the bytes of the benchmark's 100 MB report): their line breaks stay, and
expat's errors get the document's columns back (`regions.Removed`;
`tests/test_jacoco_region_feed.py`).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator
from itertools import compress, repeat
from operator import add

import orjson

from covaction.errors import ReportError
from covaction.formats.builder import FileBuilder
from covaction.formats.regions import (
    EMPTY_VALUE,
    PASSED_ON,
    RegionStats,
    Removed,
    ascending_runs,
    cut,
    line_breaks,
)
from covaction.formats.xmlstream import feed, make_parser, utf8
from covaction.model import (
    BRANCHES,
    INSTRUCTIONS,
    LINES,
    LINES_AND_BRANCHES,
    ParsedReport,
)

FORMAT = "jacoco"

MAX_LINE_NUMBER = 2**31 - 1
MAX_COUNT = 2**63 - 1

# The prolog JaCoCo writes: XML declaration, then DOCTYPE (its public id names JaCoCo).
_ROOT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?[^>]{0,500}\?>|<!--.{0,2000}?-->|<!DOCTYPE[^>]{0,500}>)\s*)*"
    rb"<([A-Za-z_][\w.:-]{0,100})",
    re.S,
)
_CHILD = re.compile(rb"<(?:sessioninfo|package|group|counter)[\s/>]")
_DIGITS = re.compile(r"\d{1,40}\Z")
_ORDER = ["nr", "mi", "ci", "mb", "cb"]


def sniff(head: bytes) -> bool:
    """True for XML whose root is `<report>` with JaCoCo's DOCTYPE or JaCoCo child elements."""
    m = _ROOT.match(head)
    if m is None or m.group(1) != b"report":
        return False
    return b"-//JACOCO//DTD Report" in head[: m.start(1)] or _CHILD.search(head) is not None


MAX_REGION = 16 << 20  # bytes without a </sourcefile> before the callbacks take over (a
# 63 MB source file held whole peaked at 224 MB)
REGION = 256 << 10  # a region's size, about (the larger, the more is held at once)


def parse(
    chunks: Iterable[bytes],
    origin: str,
    *,
    regions: bool = True,
    stats: RegionStats | None = None,
    region_size: int = REGION,
    max_region: int = MAX_REGION,
) -> ParsedReport:
    """Stream a JaCoCo XML report into a ParsedReport; one ReportError for anything malformed.

    `regions=False` turns the region reader off (tests compare the two readers); `stats`, when
    given, counts the regions it read and declined. Regions are cut about `region_size` bytes
    apart; an element running `max_region` bytes without a `</sourcefile>` sends the rest of
    the document to the callbacks (what is held at once; the result never depends on either).
    """
    parser = make_parser()
    files: dict[str, FileBuilder] = {}
    state = _State()
    removed = Removed()  # what expat is not fed, for its errors' columns
    state.regions = regions

    def fail(what: str) -> ReportError:
        return ReportError(f"{origin}: XML line {parser.CurrentLineNumber}: {what}")

    def number(attrs: dict[str, str], name: str, low: int) -> int:
        raw = attrs.get(name)
        if raw is None:
            if name == "nr":
                raise fail("<line> has no nr= attribute")
            return 0  # report.dtd: mi, ci, mb and cb default to "0"
        if _DIGITS.match(raw) is None:
            raise fail(f'<line> has {name}="{raw[:40]}"; expected a whole number >= {low}')
        value = int(raw)
        if value < low or (name == "nr" and value > MAX_LINE_NUMBER):
            raise fail(f'<line> has {name}="{raw[:40]}", out of range')
        return min(value, MAX_COUNT)

    def start(name: str, flat: list[str]) -> None:
        if not state.root:
            # expat reports no element after the root's end ("junk after document element").
            if name != "report":
                raise fail(f"the root element is <{name}>, not JaCoCo's <report>")
            state.root = True
        if name == "line":
            builder = state.current
            if builder is None:
                return
            if flat[::2] == _ORDER:
                # Fast path: JaCoCo writes exactly nr, mi, ci, mb, cb, all plain numbers.
                values = flat[1::2]
                digits = "".join(values)
                if digits.isascii() and digits.isdigit() and max(map(len, values)) <= 18:
                    try:
                        nr, mi, ci, mb, cb = map(int, values)
                    except ValueError:  # an empty value; the checked path names it
                        pass
                    else:
                        if 1 <= nr <= MAX_LINE_NUMBER:
                            if mi + ci > 0:
                                builder.add_line(nr, ci)
                                builder.add_units(nr, mi + ci, ci)
                            if mb + cb > 0:
                                builder.add_branches(nr, cb, mb + cb)
                                state.has_branches = True
                            return
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            nr = number(attrs, "nr", 1)
            if "mi" not in attrs and "ci" not in attrs:
                raise fail(
                    f'<line nr="{nr}"> has neither mi= nor ci=, so whether it ran is unknown; '
                    "gcovr writes JaCoCo XML like this: give covaction gcovr's LCOV or "
                    "Cobertura report instead"
                )
            mi, ci = number(attrs, "mi", 0), number(attrs, "ci", 0)
            mb, cb = number(attrs, "mb", 0), number(attrs, "cb", 0)
            if mi + ci > 0:
                builder.add_line(nr, ci)
                builder.add_units(nr, min(mi + ci, MAX_COUNT), ci)
            if mb + cb > 0:
                builder.add_branches(nr, cb, min(mb + cb, MAX_COUNT))
                state.has_branches = True
        elif name == "sourcefile":
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            pkg = state.package
            if pkg is None:
                raise fail("<sourcefile> outside a <package>")
            file_name = attrs.get("name")
            if not file_name:
                raise fail("<sourcefile> has no name= attribute")
            state.current = _builder(files, f"{pkg}/{file_name}" if pkg else file_name)
        elif name == "package":
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            pkg_name = attrs.get("name")
            if pkg_name is None:
                raise fail("<package> has no name= attribute")
            state.package = pkg_name.strip("/")

    def end(name: str) -> None:
        if name == "sourcefile":
            state.current = None
            state.ended_at = parser.CurrentByteIndex + state.skipped
        elif name == "package":
            state.package = None

    def declaration(version: str | None, encoding: str | None, standalone: int) -> None:
        # The region reader reads bytes as UTF-8: any other declared encoding is for expat.
        if encoding is not None and encoding.lower() not in _UTF8:
            state.regions = False

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        # An internal subset can give attributes defaults (<!ATTLIST line mi CDATA "1">) that
        # expat reports and the region reader cannot see.
        if internal:
            state.regions = False

    def resume() -> None:
        parser.StartElementHandler = start
        parser.EndElementHandler = end

    def may_pause(region: bytes, offset: int) -> bool:
        """After the callbacks read `region`, may the region reader read on?

        Only when the `</sourcefile>` that ends the region is the end tag expat reported last
        (not text in a comment or CDATA), so the callbacks wait between two elements, with no
        source file open, for the next one.
        """
        return (
            state.regions
            and state.root
            and state.current is None
            and state.ended_at == offset + len(region) - len(_END)
        )

    def fed(chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield what expat parses next, choosing the reader for each region before it does."""
        for data, offset in cut(
            chunks,
            _END,
            state,
            region_size=region_size,
            max_region=max_region,
            # UTF-16/32 without a byte order mark: not UTF-8 bytes
            refuse_start=lambda first: b"\x00" in first[:4],
        ):
            if offset == PASSED_ON:
                resume()
                yield removed.passed(data)
                continue
            read = None
            if parser.StartElementHandler is None:
                read = _read_region(data, state.package)
                if stats is not None:
                    stats.count(read is not None)
            if read is None:
                resume()
                yield removed.passed(data)
                if may_pause(data, offset):
                    parser.StartElementHandler = parser.EndElementHandler = None
            elif read.feed is not None and removed.takes(read.feed):
                # Its line tags proved well-formed, expat parses the rest (`_Read.feed`).
                state.skipped += len(data) - len(read.feed)
                yield removed.passed(read.feed, read.cuts)
            else:
                yield removed.passed(data)
            if read is not None:
                state.has_branches = read.commit(files) or state.has_branches
                state.package = read.package
        resume()

    resume()
    parser.XmlDeclHandler = declaration
    parser.StartDoctypeDeclHandler = doctype
    # Unknown encodings are one ReportError there.
    feed(parser, fed(utf8(chunks)), origin, "JaCoCo", column=removed.column)
    return ParsedReport(
        FORMAT,
        tuple(b.build(metric=INSTRUCTIONS) for b in files.values()),
        state.has_branches,
        (),
        origin,
        producer="JaCoCo",
        metric=INSTRUCTIONS,
        metrics=(INSTRUCTIONS, LINES, BRANCHES, LINES_AND_BRANCHES),
        rule="instructions, as JaCoCo's report totals them (its Total row)",
    )


def _builder(files: dict[str, FileBuilder], path: str) -> FileBuilder:
    """The file's builder, opened by either reader before it adds the file's lines."""
    builder = files.get(path)
    if builder is None:
        builder = files[path] = FileBuilder(path)
        builder.units_exact = False  # per-line counts: a merge is a lower bound
    elif builder.ukeys is builder.lines:
        # The region reader's one array for the lines and the units' keys (and for hits and
        # covered units, `_Read.commit`): parted before either grows apart from the other.
        builder.ukeys, builder.ucovered = array("q", builder.lines), array("q", builder.hits)
    return builder


class _State:
    """What the callbacks know between elements, and what the region reader hands them."""

    __slots__ = ("current", "ended_at", "has_branches", "package", "regions", "root", "skipped")

    def __init__(self) -> None:
        self.root = False  # the <report> root has started
        self.package: str | None = None  # the open <package>'s name
        self.current: FileBuilder | None = None  # the open <sourcefile>
        self.has_branches = False
        self.regions = True  # the region reader may still read
        self.ended_at = -1  # byte index of the last </sourcefile> the callbacks saw
        self.skipped = 0  # bytes of the document expat did not parse (`_Read.feed`)


# ------------------------------------------------------------------------- the region reader

_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_END = b"</sourcefile>"
_START = b"<sourcefile "
_XML_SPACE = b" \t\r\n"
# The one <line> tag the region reader reads, with its digits taken out.
_LINE_TAG = b'<line nr="" mi="" ci="" mb="" cb=""/>'
_DIGIT_BYTES = b"0123456789"
# The stream of a region's values: digits, a comma for each "=" and a space for each quote
# (a digit outside the quotes then stands apart from the values: JSON refuses it). No value
# may be empty (`""`, refused first): a stray digit could fill it (`cb=""/>1`, `nr=3""`).
_STREAM = bytes.maketrans(b'="', b", ")
_NOT_STREAM = bytes(c for c in range(256) if c not in b'0123456789="')
_MAX_VALUE = 10**18 - 1  # the callbacks' fast path: at most 18 digits, no clamping needed
# What follows `<sourcefile `, and a package's start or end: names XML would not rewrite (no
# references; tab and newline become spaces in attribute values).
_SOURCEFILE = re.compile(rb'name="([^"<&\t\n\r]*)">')
_PACKAGE = re.compile(rb'<package name="([^"<&\t\n\r]*)">|</package>')


class _Read:
    """The source files of one region: paths and their lines' counts, in document order.

    The counts are the region's, file after file (`sizes` lines each): every line's number,
    `ci`, `mi + ci`; and the lines with branches (`bsizes` of them per file), their number,
    `cb` and `mb + cb`.
    """

    __slots__ = (
        "ascending",
        "bcovered",
        "blines",
        "bsizes",
        "btotal",
        "cuts",
        "every",
        "feed",
        "hits",
        "itotal",
        "lines",
        "package",
        "paths",
        "sizes",
    )

    def __init__(self, package: str | None) -> None:
        self.package = package  # the open <package> after the region
        self.paths: list[str] = []
        self.sizes: list[int] = []
        self.bsizes: list[int] = []
        self.ascending: list[bool] = []  # per file with lines: its lines strictly ascending
        self.every = True  # every line has instructions (so every line is coverable)
        self.lines = self.hits = self.itotal = array("q")
        self.blines = self.bcovered = self.btotal = array("q")
        # What expat parses in place of the region once its line tags are proved well-formed
        # XML, or None: the region itself; and where the tags it leaves out were (`Removed`).
        self.feed: bytes | None = None
        self.cuts: list[tuple[int, int]] = []

    def commit(self, files: dict[str, FileBuilder]) -> bool:
        """Add the lines to the files as the callbacks would have; True when any has branches."""
        end = bend = 0
        ascending = iter(self.ascending)
        for path, size, bsize in zip(self.paths, self.sizes, self.bsizes, strict=True):
            builder = _builder(files, path)
            if not size:
                continue
            at, end = end, end + size
            lines, hits, itotal = self.lines[at:end], self.hits[at:end], self.itotal[at:end]
            in_order = next(ascending)  # still so without the lines dropped here
            if not self.every and 0 in itotal:  # a line without instructions is not coverable
                keep = list(itotal)
                lines, hits, itotal = (array("q", compress(x, keep)) for x in (lines, hits, itotal))
            if lines:
                builder.take_lines(lines, hits, in_order)
                if builder.ukeys is None and builder.lines is lines:
                    # The units' keys and covered counts are the lines and their hits (`ci`):
                    # one array each, until the file is opened again (`_builder` parts them).
                    builder.ukeys, builder.utotal, builder.ucovered = lines, itotal, hits
                elif builder.ukeys is None:
                    builder.ukeys, builder.utotal = array("q", lines), itotal
                    builder.ucovered = array("q", hits)
                else:
                    builder.ukeys.extend(lines)
                    builder.utotal.extend(itotal)
                    builder.ucovered.extend(hits)
            if bsize:
                bat, bend = bend, bend + bsize
                builder.take_branches(
                    self.blines[bat:bend], self.btotal[bat:bend], self.bcovered[bat:bend]
                )
        return bend > 0


def _add_feed(
    feed: list[bytes], cuts: list[tuple[int, int]], fed: int, part: bytes, start: int, end: int
) -> int:
    """Add a source file's `part` to what expat parses in place of the region (`fed` bytes so
    far), leaving out its line tags (`start` to `end`): removed where they hold no line break
    (`cuts`: where, and how long), else reduced to their line breaks and what follows the
    last one. Returns the bytes of `feed`; `feed` is emptied (the region itself is fed) where
    a lone CR is among them (a line break to expat)."""
    if start == end:  # no line tags
        feed += (_START, part)
        return fed + len(_START) + len(part)
    last = part.rfind(b"\n", start, end)
    if last < 0:
        if part.find(b"\r", start, end) >= 0:
            feed.clear()
            return 0
        cuts.append((fed + len(_START) + start, end - start))
        pieces: tuple[bytes, ...] = (_START, part[:start], part[end:])
    else:
        breaks = line_breaks(part, start, last + 1)
        if breaks is None:
            feed.clear()
            return 0
        pieces = (_START, part[:start], breaks, part[last + 1 :])
    feed += pieces
    return fed + sum(map(len, pieces))


def _read_region(region: bytes, package: str | None) -> _Read | None:
    """The source files of a region of plain markup, or None to have the callbacks read it."""
    try:
        return _read_plain(region, package)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None  # a value that is no JSON integer or past 64 bits, a name not UTF-8, ...


def _read_plain(region: bytes, package: str | None) -> _Read | None:
    # Single bytes first: memchr is much faster than a two-byte search.
    if (b"!" in region and b"<!" in region) or (b"?" in region and b"<?" in region):
        return None  # a comment, CDATA or processing instruction: the callbacks read it
    parts = region.split(_START)
    read = _Read(package)
    blocks = []  # each source file's <line> tags
    rest = []  # everything else, but the <sourcefile ...> and </sourcefile> tags
    events = 0
    feed = [parts[0]]  # what expat parses in place of the region (emptied: the region)
    fed = len(parts[0])
    for i, part in enumerate(parts):
        between = part
        if i:
            tag = _SOURCEFILE.match(part)
            # Searched from the part's end, near which both are: another end tag is then left
            # in the lines (the tag shapes refuse it), another start was a part of its own.
            end = part.rfind(_END)
            if tag is None or end < 0 or not tag.group(1) or read.package is None:
                return None  # the callbacks raise the error, if any
            name = tag.group(1).decode("utf-8")
            read.paths.append(f"{read.package}/{name}" if read.package else name)
            # The lines come first, then the counters (JaCoCo's XMLFormatter): the first
            # counter after the last line (one among the lines is left there, and refused).
            counters = part.find(b"<counter", max(tag.end(), part.rfind(b"<line", 0, end)), end)
            if counters < 0:
                counters = end
            block = part[tag.end() : counters].rstrip()
            blocks.append(block)
            if feed:
                fed = _add_feed(feed, read.cuts, fed, part, tag.end(), tag.end() + len(block))
            rest.append(part[counters:end])
            between = part[end + len(_END) :]
        rest.append(between)
        if b"package" in between:
            for event in _PACKAGE.finditer(between):
                events += 1
                name_ = event.group(1)
                read.package = None if name_ is None else name_.decode("utf-8").strip("/")
    others = b"".join(rest)
    if (
        b"<line" in others
        or b"<sourcefile" in others
        or b"</sourcefile" in others
        or b"<report" in others
        or others.count(b"<package") + others.count(b"</package") != events
    ):
        return None  # a tag of another shape, or where the callbacks read it otherwise
    # Each block holds line tags only (proved below): one "<" each.
    read.sizes = sizes = list(map(bytes.count, blocks, repeat(b"<")))
    read.bsizes = [0] * len(sizes)
    total = sum(sizes)
    if not total:
        return read
    block = b"".join(blocks)
    del parts, blocks, rest, others  # only what is read stays (the peak memory)
    skeleton = block.translate(None, _DIGIT_BYTES)
    first = skeleton.find(_LINE_TAG)
    unit = skeleton[:first] + _LINE_TAG
    # Text before each tag (indentation) is the same everywhere and holds no markup, quote or
    # "=": the blocks hold nothing but the line tags counted.
    indent = unit[:first]
    if first < 0 or b"<" in indent or b'"' in indent or b"=" in indent or skeleton != unit * total:
        return None
    if EMPTY_VALUE.search(block):
        return None  # an empty value, or a value's digits outside its quotes
    if feed and not indent.strip(_XML_SPACE):  # well-formed XML too: XML's whitespace only
        read.feed = b"".join(feed)
    del feed
    # `, N , N , N , N , N , N ...`: five values a tag, each after its "=".
    stream = block.translate(_STREAM, _NOT_STREAM)
    del block, skeleton
    if stream[:1] != b",":
        return None  # a digit before the first "="
    # A list of plain integers, or a ValueError (JSON refuses leading zeros, empty values and
    # two numbers side by side, as a digit between two tags and a value's quote gives; orjson,
    # strict RFC 8259 and 3-4x faster than `json.loads` on such a list, also refuses an
    # integer past 64 bits).
    values: list[int] = orjson.loads(b"[" + stream[1:] + b"]")
    if len(values) != 5 * total:
        return None
    nr = values[0::5]
    ascending = ascending_runs(nr, sizes, MAX_LINE_NUMBER)
    if ascending is None:
        return None  # the callbacks raise the error
    ci, cb = values[2::5], values[4::5]
    read.ascending = ascending
    read.lines = array("q", nr)
    read.hits = array("q", ci)
    # No count is past 64 bits (else OverflowError here), so none would be clamped; the sums
    # are in range too, so no count alone is.
    itotal = list(map(add, values[1::5], ci))
    read.itotal = array("q", itotal)
    read.every = 0 not in itotal
    btotal = list(map(add, values[3::5], cb))
    if btotal.count(0) < total:
        read.blines = array("q", compress(nr, btotal))
        read.bcovered = array("q", compress(cb, btotal))
        read.btotal = array("q", filter(None, btotal))
        at = 0
        for i, size in enumerate(sizes):
            read.bsizes[i] = size - btotal[at : at + size].count(0)
            at += size
    return read
