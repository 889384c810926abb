"""The Cobertura region reader: the lines of a region of plain markup, read in bulk.

`cobertura.parse` hands this module a region of the document that ends at a `</class>`, and
expat checks it with no element handler. `read_region` either proves the region plain and
returns its classes' lines (and, where the line tags are well-formed XML too, the region without
them for expat, `Region.feed`), or returns None and the callback reader reads it. Plain
means: no comment, CDATA or processing instruction, no `<source>` or `<coverage>`, `<methods>`
blocks without nesting (cut out, as the callbacks skip them), and every `<line>` one of the
tags coverage.py, gcovr and Istanbul write, with plain numbers:

    <line number="N" hits="H"/>                                   coverage.py
    <line number="N" hits="H" branch="false"/>                    Istanbul, gcovr
    <line number="N" hits="H" branch="true" condition-coverage="P% (C/T)"/>
    ... condition-coverage="P% (C/T)" missing-branches="..."/>    coverage.py --branch
    ... condition-coverage="P% (C/T)"><conditions>...</conditions></line>   gcovr

All of a region's line tags are read at once, with C-level byte operations: the tags with
their digits taken out must be exactly those shapes, each after the same indentation; the
digits, with every other byte but a few separators deleted, are one JSON list of integers.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable
from itertools import compress, islice, repeat
from operator import itemgetter, le
from typing import Any

import orjson

from covaction.formats.builder import FileBuilder
from covaction.formats.regions import EMPTY_VALUE, ascending_runs, line_breaks

MAX_LINE = 10_000_000
MAX_REGION = 16 << 20  # bytes without a </class> before the callbacks take over (a 63 MB
# class held whole peaked at 480 MB)
REGION = 256 << 10  # a region's size, about (the larger, the more is held at once)

_DIGITS = b"0123456789"
# A <class> tag's attributes: double-quoted values with nothing XML would rewrite (references,
# or tab and newline normalised to spaces). The first pattern is what the producers write.
_VALUE = rb'"[^"<&\t\n\r]*"'
_CLASS_USUAL = re.compile(
    rb"name=" + _VALUE + rb' filename="([^"<&\t\n\r]*)"(?: [A-Za-z_:][\w.:-]*=' + _VALUE + rb")*>"
)
_CLASS_TAG = re.compile(rb"(?:\s*[A-Za-z_:][\w.:-]*=" + _VALUE + rb")*\s*>")
_ATTR = re.compile(rb'\s*([A-Za-z_:][\w.:-]*)="([^"<&\t\n\r]*)"')
_XML_SPACE = b" \t\r\n"
_NOT_MARKUP = bytes(c for c in range(256) if c not in b"</>\0")
_CONTROLS = bytes(range(32))
_NUL = "\0"
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_NONZERO = bytes([0] + [1] * 255)
_LOW_BYTE = 0 if sys.byteorder == "little" else 7  # of an 8-byte array item
_MISSING = re.compile(rb' missing-branches="([^"<&\t\n\r]*)"')
_MISSING_MARK = b" x"  # where a missing-branches attribute was cut out: the kind "%x"
_NEAR = 256  # bytes after a <class> tag searched for its <methods> block (indentation)
HEAD_SEARCH = 16 << 10  # of a block, searched for `<conditions>` and `missing-branches` first

# The line tags with their digits taken out, by kind: the bytes of the tag among "f%x" (its
# one "f" is in "false", its one "%" in the condition, "x" marks a cut missing-branches).
_KINDS = {
    b"": b'<line number="" hits=""/>',
    b"f": b'<line number="" hits="" branch="false"/>',
    b"%": b'<line number="" hits="" branch="true" condition-coverage="% (/)"/>',
    b"%x": b'<line number="" hits="" branch="true" condition-coverage="% (/)" x/>',
}
_NOT_KIND = bytes(c for c in range(256) if c not in b"<f%x\0")
_SEPARATOR = b"\0"  # between two classes' blocks: XML holds no NUL
# What each value of the stream below is, by kind (one byte per value, in order): for a line
# without branches its number (1), hits (2) and a flag (3, must be 0); for a line with
# branches its number (8; 7 with missing-branches), hits (9), a flag (10), the percentage (11)
# and the pair [covered, total] of its branches (12).
_ROLES = (
    (b"<%x", b"\7\11\12\13\14"),
    (b"<%", b"\10\11\12\13\14"),
    (b"<f", b"\1\2\3"),
    (b"<", b"\1\2"),
)
_ROLE_BYTES = bytes(range(1, 13))


def _role(*codes: int) -> bytes:
    """A translation table: 1 for the roles `codes`, 0 for the others."""
    return bytes(1 if c in codes else 0 for c in range(256))


_LINE, _FLAG, _BRANCH = _role(1, 2, 7, 8, 9), _role(3, 10), _role(7, 8, 12)
_LINE_FLAG = _role(1, 2, 3, 7, 8, 9, 10)  # number, hits, flag: every line of a kind with flags
_BRANCH_TAG = _role(7, 8, 9, 10, 11, 12)  # all five values of a branch line
_NOT_BRANCH_LINE = bytes(c for c in range(256) if c not in (7, 8))
_MARKS = bytes(1 if c == 7 else 0 for c in range(256))  # among branch lines' numbers (7, 8)
# The stream: digits; a comma for each "=" and "/" (before a value, the total branches, at a
# tag's end) and for the "%" after the percentage; "(" and ")" as "[" and "]", so the covered
# and total branches are a pair, which JSON refuses empty or with a digit beside it (`(/2)`,
# `(1/)7`); the "f" of "false" and the "-" of "condition-coverage" as a 0, so `branch="false"`
# and `branch="true"` hold one value each (its "flag"); quotes as spaces, so that a digit
# anywhere else (in a name, in text) stands apart from the values: JSON refuses it, or it is
# one value too many, or a flag that is not 0. Anything else is deleted. The tags' shapes hold
# no empty value (`""`, refused first: a stray digit could fill it). `<line number="6"
# hits="1" branch="true" condition-coverage="50% (1/2)"/>` becomes `, 6 , 1 ,  0, 50,[1,2]  ,`.
_STREAM = bytes.maketrans(b'=(/f-"%)', b",[,00 ,]")
_NO_PERCENT = re.compile(b'"%')  # `condition-coverage=7"% (1/2)"` reads 7 as the percentage
_NOT_STREAM = bytes(c for c in range(256) if c not in b'0123456789=(/f-"%)')


class MissingTexts:
    """coverage.py's `missing-branches` texts, per file, held compactly until the files are built.

    Filled by both readers (`Region.commit`, the callbacks) and emptied file by file when the
    files are built. A 150 MB report holds hundreds of thousands of texts: a dict per file of
    a boxed line number and a string per line held about 55 MB more at the peak. Here a file
    holds its line numbers in an array and its texts joined by NUL, which no XML text holds
    (not even as a character reference), in document order.
    """

    __slots__ = ("_files",)

    def __init__(self) -> None:
        self._files: dict[str, tuple[array[int], list[str]]] = {}

    def add(self, path: str, lines: Iterable[int], texts: str) -> None:
        """The texts of `lines`, joined by NUL."""
        held = self._files.get(path)
        if held is None:
            held = self._files[path] = (array("q"), [])
        held[0].extend(lines)
        held[1].append(texts)

    def pop(self, path: str) -> tuple[array[int], str]:
        """One file's lines with a text, in document order, and their texts joined by NUL."""
        held = self._files.pop(path, None)
        if held is None:
            return array("q"), ""
        lines, parts = held
        return lines, _NUL.join(parts)


class Region:
    """The classes of one region, in document order, and their lines, class after class."""

    __slots__ = (
        "ascending",
        "bcovered",
        "blines",
        "bsizes",
        "btotal",
        "feed",
        "filenames",
        "hits",
        "lines",
        "mlines",
        "msizes",
        "mtexts",
        "plain_xml",
        "sizes",
    )

    def __init__(self) -> None:
        self.filenames: list[str] = []
        self.sizes: list[int] = []  # lines per class
        self.bsizes: list[int] = []  # branch lines per class
        self.msizes: list[int] = []  # lines with coverage.py's missing-branches per class
        self.ascending: list[bool] = []  # per class with lines: its lines strictly ascending
        self.lines = self.hits = array("q")
        self.blines = self.btotal = self.bcovered = array("q")
        self.mlines: list[int] = []
        self.mtexts: list[str] = []  # their missing-branches texts
        # The line tags are well-formed XML too (`_read_tags`), and what expat parses in place
        # of the region (`_add_feed`), or None: the region itself.
        self.plain_xml = False
        self.feed: bytes | None = None

    def commit(
        self, builders: dict[str, FileBuilder], missing: MissingTexts
    ) -> tuple[FileBuilder | None, bool]:
        """Add the lines to the files as the callbacks would have: (the last class's file,
        whether any line has branches)."""
        builder = None
        at = bat = mat = 0
        ascending = iter(self.ascending)
        for filename, size, bsize, msize in zip(
            self.filenames, self.sizes, self.bsizes, self.msizes, strict=True
        ):
            builder = builders.get(filename)
            if builder is None:
                builder = builders[filename] = FileBuilder(filename)
            if size:
                end = at + size
                builder.take_lines(self.lines[at:end], self.hits[at:end], next(ascending))
                at = end
            if bsize:
                end = bat + bsize
                builder.take_branches(
                    self.blines[bat:end], self.btotal[bat:end], self.bcovered[bat:end]
                )
                bat = end
            if msize:
                end = mat + msize
                texts = _NUL.join(self.mtexts[mat:end])
                missing.add(filename, self.mlines[mat:end], texts)
                mat = end
        return builder, bat > 0


def read_region(region: bytes) -> Region | None:
    """The lines of a region of plain markup, or None to have the callbacks read it."""
    try:
        return _read_plain(region)
    except (ValueError, TypeError, IndexError, KeyError, OverflowError):
        return None  # a value that is no JSON integer, a filename not UTF-8, ...


def _read_plain(region: bytes) -> Region | None:
    # Single bytes first: memchr is much faster than a two-byte search.
    if (b"!" in region and b"<!" in region) or (b"?" in region and b"<?" in region):
        return None  # a comment, CDATA or processing instruction: the callbacks read it
    if b"\0" in region:
        return None  # not XML (the separator between blocks below): expat must refuse it
    parts = region.split(b"<class ")
    read = Region()
    others = [parts[0]]  # everything but the class tags and the <lines> blocks
    blocks = []
    feed = [parts[0]]  # what expat parses in place of the region (emptied: the region)
    for part in islice(parts, 1, None):
        tag = _CLASS_USUAL.match(part)
        if tag is not None:
            filename = tag.group(1)
        else:
            tag = _CLASS_TAG.match(part)
            if tag is None:
                return None
            filename = dict(_ATTR.findall(tag.group())).get(b"filename", b"")
        if not filename:
            return None  # the callbacks raise the error
        read.filenames.append(filename.decode("utf-8"))
        # Istanbul writes a <methods> block first in every class (coverage.py and gcovr
        # `<methods/>`): cut out, as the callbacks skip it. One anywhere else is left among
        # the tags `_only_ignored_tags` refuses.
        body = 0
        methods = part.find(b"<methods>", tag.end(), tag.end() + _NEAR)
        if methods >= 0:
            body = methods_end(part, methods)
            if body < 0:
                return None
            others.append(part[:methods])
        start = part.find(b"<lines>", body or tag.end())
        if start < 0:
            others.append(part[body:])
            blocks.append(b"")
            if feed:
                feed += (b"<class ", part)
            continue
        end = part.rfind(b"</lines>")
        if end < start:
            return None
        others.append(part[body:start])
        others.append(part[end + 8 :])
        block = part[start + 7 : end].rstrip()
        blocks.append(block)
        if feed and not _add_feed(feed, part, start + 7, start + 7 + len(block), end):
            feed.clear()
    if not _only_ignored_tags(b"".join(others)):
        return None
    if not any(blocks):
        read.sizes = read.bsizes = read.msizes = [0] * len(blocks)
        return read
    joined = _SEPARATOR.join(blocks)
    del parts, blocks, others, region  # only what is read stays (the peak memory)
    if not _read_lines(read, joined):
        return None
    if read.plain_xml and feed:
        read.feed = b"".join(feed)
    return read


def _add_feed(feed: list[bytes], part: bytes, start: int, trailing: int, end: int) -> bool:
    """Add a class's `part` to what expat parses in place of the region: its `<lines>` content
    (`start` to `end`; the line tags end at `trailing`) as its line breaks only, then what
    follows the last one (the indentation of `</lines>`). Lines, columns and the nesting expat
    reports stay those of the document. False: the region itself is fed (whitespace XML does
    not allow after the tags, or a lone CR)."""
    if part.find(b"\x0b", trailing, end) >= 0 or part.find(b"\x0c", trailing, end) >= 0:
        return False
    last = part.rfind(b"\n", start, end)
    if last < 0:
        feed += (b"<class ", part)  # on one line: as it is
        return True
    if last < trailing:
        return False  # a tag's end on the line of `</lines>` (`...</line></lines>`)
    breaks = line_breaks(part, start, last + 1)
    if breaks is None:
        return False
    feed += (b"<class ", part[:start], breaks, part[last + 1 :])
    return True


def _only_ignored_tags(text: bytes) -> bool:
    """Outside the `<lines>` blocks read: no tag the callbacks act on.

    `<lines/>` (coverage.py's class without executable lines, e.g. an empty `__init__.py`)
    and `<methods/>` are ignored by the callbacks; `<classes>` is not a `<class>`.
    """
    return (
        text.count(b"<line") == text.count(b"<lines/>")
        and b"</line" not in text
        and text.count(b"<class") == text.count(b"<classes>")
        and text.count(b"<method") == text.count(b"<methods/>")
        and b"</method" not in text
        and b"<source" not in text
        and b"<coverage" not in text
    )


def methods_end(part: bytes, start: int) -> int:
    """Where the `<methods>...</methods>` block at `start` ends, after its end tag; -1: unsure.

    The callbacks skip from `<methods>` to the first end of a `methods` element; a block with
    another `<methods` or `</methods` inside could end elsewhere, so it is not cut (-1).
    Anything else naming methods (`<methods a="b">`, a stray end tag) is left for
    `_only_ignored_tags` and the tag shapes to refuse.
    """
    # Usually the next "methods" is the block's end tag: one search over the block.
    end = part.find(b"methods", start + 9) - 2
    if not part.startswith(b"</methods>", end):
        end = part.find(b"</methods>", start)
        if (
            end < 0
            or part.find(b"<methods", start + 9, end) >= 0
            or part.find(b"</methods", start, end) >= 0
        ):
            return -1
    return end + 10


def without_conditions(block: bytes) -> tuple[bytes, bool] | None:
    """gcovr's per-line `<conditions>` children cut out, as the callbacks ignore them, and
    whether they are well-formed XML (`_conditions_plain`).

    `<line ...">WS<conditions>...</conditions>WS</line>` becomes the empty tag it is to the
    callbacks, `<line ..."/>` (the skeleton in `_read_lines` then checks every tag's shape).
    A block holds only `<condition .../>` tags (and text without markup, which the callbacks
    ignore too), and each WS is the same whitespace everywhere (as gcovr writes it,
    pretty-printed or not). Anything else: None, and the callbacks read the region.
    """
    # Split at each start: a piece is the block's content, its end, the line's end tag, and
    # what follows up to the next line's start tag, which ends in `">` WS.
    pieces = block.split(b"<conditions>")
    first = pieces[0]
    tail = first[first.rfind(b'">') :]
    split = list(map(bytes.partition, islice(pieces, 1, None), repeat(b"</line>")))
    rests = [first, *map(_THIRD, split)]
    inside = list(map(_FIRST, split))
    end = inside[0][inside[0].rfind(b"</conditions>") :]
    if (
        tail[:2] != b'">'
        or tail[2:].strip(_XML_SPACE)
        or end[:13] != b"</conditions>"
        or end[13:].strip(_XML_SPACE)
        or split[-1][1] != b"</line>"
        or not all(map(bytes.endswith, islice(rests, 0, len(split)), repeat(tail)))
        or not all(map(bytes.endswith, inside, repeat(end)))
    ):
        return None
    # Between the start and the end: nothing but `<condition .../>` tags (and whitespace): each
    # tag and each end leaves `</>` of its markup, and each `<` starts one or the other.
    joined = b"".join(inside)
    markup = joined.translate(None, _NOT_MARKUP)
    units = len(markup) // 3
    if (
        markup != b"</>" * units
        or units != joined.count(b"<condition ") + len(inside)
        or joined.count(b"</conditions>") != len(inside)
    ):
        return None
    trim = itemgetter(slice(0, -len(tail)))
    return b'"/>'.join([*map(trim, islice(rests, 0, len(split))), rests[-1]]), _conditions_plain(
        joined, units - len(inside)
    )


_CONDITION = b'<condition number="0" type="jump" coverage="0%"/>'  # gcovr's, digits as one 0
_CONDITIONS_END = b"</conditions>"


def _conditions_plain(joined: bytes, tags: int) -> bool:
    """Whether the `<conditions>` blocks' content (`joined`, holding `tags` condition tags and
    an end tag each) is well-formed XML: gcovr's condition tags, XML whitespace between them.

    Each run of digits becomes one 0, so a digit anywhere but in a value (a name, the text
    between tags) breaks the tag's shape or is text other than whitespace.
    """
    canonical = joined.translate(_ONE_DIGIT)
    while b"00" in canonical:
        canonical = canonical.replace(b"00", b"0")
    ends = joined.count(_CONDITIONS_END)
    if canonical.count(_CONDITION) != tags:
        return False
    # Outside the tags and the end tags, nothing but XML whitespace: the bytes they cover and
    # the whitespace outside them add up to the whole (no tag overlaps another: one "<" each).
    covered = tags * len(_CONDITION) + ends * len(_CONDITIONS_END)
    spaces = len(canonical) - len(canonical.translate(None, _XML_SPACE))
    return len(canonical) - covered == spaces - tags * _CONDITION.count(b" ")


_ONE_DIGIT = bytes.maketrans(_DIGITS, b"0" * 10)


def _read_lines(read: Region, block: bytes) -> bool:
    """Every class's line tags, the classes' blocks joined by `_SEPARATOR`; False: give up.

    gcovr writes `<conditions>` and coverage.py `missing-branches` on most branch lines, so
    the block's head says whether to cut them (searching it, not the whole block each time).
    A block holding them only past its head fails the tag shapes and is read again, cut.
    """
    head = block[:HEAD_SEARCH]
    conditions = b"<conditions>" in head
    missing = b" missing-branches=" in head
    if _read_tags(read, block, conditions=conditions, missing=missing):
        return True
    more_conditions = not conditions and b"<conditions>" in block
    more_missing = not missing and b" missing-branches=" in block
    if not (more_conditions or more_missing):
        return False
    return _read_tags(
        read, block, conditions=conditions or more_conditions, missing=missing or more_missing
    )


def _read_tags(read: Region, block: bytes, *, conditions: bool, missing: bool) -> bool:
    """`_read_lines` with `<conditions>` and `missing-branches` cut first when so told."""
    plain_xml = True  # what is cut is well-formed XML too (the tags' shapes are, below)
    if conditions:
        cut = without_conditions(block)
        if cut is None:
            return False
        block, plain_xml = cut
    if missing:
        split = _MISSING.split(block)
        block = _MISSING_MARK.join(split[0::2])
        # Texts joined by NUL, which XML never holds: a NUL in the region (expat refuses it)
        # gives one text too many, and the count check at the end declines the region.
        raw = b"\0".join(split[1::2])
        del split
        texts = raw.decode("utf-8")
        read.mtexts = texts.split(_NUL)
        # XML characters only: no control character (the NULs are the joins), no U+FFFE or
        # U+FFFF (UTF-8 holds no surrogate).
        plain_xml = (
            plain_xml
            and len(raw) - len(raw.translate(None, _CONTROLS)) == len(read.mtexts) - 1
            and "\ufffe" not in texts
            and "\uffff" not in texts
        )
    skeleton = block.translate(None, _DIGITS)
    indent = skeleton[: skeleton.find(b"<")].lstrip(_SEPARATOR)
    if indent.strip():
        return False  # text before the tags (whitespace is what the producers write)
    # XML's whitespace only (not Python's vertical tab and form feed)
    read.plain_xml = plain_xml and not indent.strip(_XML_SPACE)
    # Nothing but the known tags, each after the same indentation, and the separators: they
    # tile the skeleton (each tag holds one "<", so no two overlap).
    kinds = skeleton.translate(None, _NOT_KIND)
    tiles = kinds.count(_SEPARATOR)
    tags = kinds.count(b"<")
    plain = 0  # tags without a branch attribute (coverage.py's `<line number hits/>`)
    for kind in (b"f", b"%", b"%x", b""):
        tag = _KINDS[kind]
        if tags and (not kind or kind in kinds):  # only the kinds present are counted
            found = skeleton.count(indent + tag)
            tiles += found * (len(indent) + len(tag))
            tags -= found
            if not kind:
                plain = found
    if tiles != len(skeleton):
        return False
    roles = kinds
    for kind, role in _ROLES:
        if kind[-1:] in kinds:  # only the kinds present (a search of the small `kinds`)
            roles = roles.replace(kind, role)
    roles = roles.replace(_SEPARATOR, b"")
    if roles.translate(None, _ROLE_BYTES):
        return False  # a mark the kinds do not know
    if not missing and b"x" in kinds:
        return False  # the mark of a cut missing-branches, where none was cut: an " x" of its own
    if EMPTY_VALUE.search(block) or (b"%" in kinds and _NO_PERCENT.search(block)):
        return False  # an empty value, or a value's digits outside its quotes (`number=3""`)
    stream = block.translate(_STREAM, _NOT_STREAM).replace(b",,", b",")
    del block, skeleton
    if stream[:1] != b"," or stream.rstrip()[-1:] != b",":
        return False
    # A list of plain integers and [covered, total] pairs, or a ValueError (JSON refuses
    # leading zeros, empty values and two numbers side by side; orjson, strict RFC 8259 and 3-4x
    # faster than `json.loads` on such a list, also refuses an integer past 64 bits). The
    # tags' shapes put the pairs where the roles say (their only "(" and ")").
    values: list[Any] = orjson.loads(b"[" + stream[1:].rstrip()[:-1] + b"]")
    del stream
    if len(values) != len(roles):
        return False  # a digit where no value is: one integer too many
    # Line numbers and hits of every line; a branch line's number and pair of branch counts;
    # each line's flag, which must be 0 (a digit beside "f" or "-" makes it another number).
    # Where the kinds allow, the flags come with other values in one pass over `values`.
    blines: list[int] = []
    covered: list[int] = []
    total: list[int] = []
    if b"f" not in kinds and b"%" not in kinds:
        numbers, hits = values[0::2], values[1::2]  # coverage.py without branches
    elif b"f" not in kinds:
        # coverage.py with branches: a flag only in a branch line, the third of its five values
        both = list(compress(values, roles.translate(_LINE)))  # number, hits, number, ...
        numbers, hits = both[0::2], both[1::2]
        five = list(compress(values, roles.translate(_BRANCH_TAG)))
        if any(five[2::5]):
            return False
        blines = five[0::5]
        covered, total = _split(five[4::5])
    elif not plain:
        # Istanbul, gcovr: every line has a flag, its third value
        three = list(compress(values, roles.translate(_LINE_FLAG)))
        if any(three[2::3]):
            return False
        numbers, hits = three[0::3], three[1::3]
    else:
        # plain tags and tags with a flag together: the flags picked out on their own
        if any(compress(values, roles.translate(_FLAG))):
            return False
        both = list(compress(values, roles.translate(_LINE)))
        numbers, hits = both[0::2], both[1::2]
    if b"%" in kinds and not blines:
        branch = list(compress(values, roles.translate(_BRANCH)))  # number and pair a line
        blines = branch[0::2]
        covered, total = _split(branch[1::2])
    del values
    # Per class: its lines, branch lines and lines with coverage.py's missing-branches.
    per_class = kinds.split(_SEPARATOR)
    read.sizes = list(map(bytes.count, per_class, repeat(b"<")))
    read.bsizes = list(map(bytes.count, per_class, repeat(b"<%")))
    read.msizes = list(map(bytes.count, per_class, repeat(b"<%x")))
    ascending = ascending_runs(numbers, read.sizes, MAX_LINE)
    if ascending is None:
        return False  # the callbacks raise the error
    read.ascending = ascending
    read.lines = array("q", numbers)
    read.hits = _covered(hits)
    if blines:
        # The callbacks' rule: counts out of range are no branch data (then they read it).
        if min(total) <= 0 or max(total) > 1_000_000 or not all(map(le, covered, total)):
            return False
        read.blines = array("q", blines)
        read.bcovered = array("q", covered)
        read.btotal = array("q", total)
        if read.mtexts:
            marks = roles.translate(None, _NOT_BRANCH_LINE).translate(_MARKS)
            read.mlines = list(compress(blines, marks))
    return len(read.mlines) == len(read.mtexts)


def _split(pairs: list[list[int]]) -> tuple[list[int], list[int]]:
    """The [covered, total] pairs as the covered counts and the totals."""
    return list(map(_FIRST, pairs)), list(map(_SECOND, pairs))


def _covered(hits: list[int]) -> array[int]:
    """1 for each count above 0, else 0 (only "covered or not" matters, as in the callbacks)."""
    try:
        small = bytes(hits).translate(_NONZERO)  # counts below 256, as coverage.py's (0 or 1)
    except ValueError:
        small = bytes(map(bool, hits))
    # Each 0 or 1 as the low byte of an 8-byte integer: no Python object per line.
    wide = bytearray(8 * len(small))
    wide[_LOW_BYTE::8] = small
    return array("q", wide)
