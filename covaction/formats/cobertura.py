"""Cobertura XML (coverage.py, gcovr, Istanbul, coverlet, gocover-cobertura, ...) into the model.

Streamed with the hardened expat parser: only `<source>` text and `<class>`/`<line>` attributes
are kept. A file split over several `<class>` elements is one file; lines repeated under
`<methods>` are the class's own lines again and are not read. A line is coverable when it has a
`<line>` element; covered when `hits > 0`. Branches come from `condition-coverage="50% (1/2)"`
(covered/total); a `branch="true"` line without that attribute has no branch counts.

Two readers share one expat parser, which sees every byte of the document whichever reads it,
so well-formedness and defusedxml's protections never depend on the reader:

- the callback reader (`start` and friends) understands any Cobertura document;
- the region reader takes the document in regions that end at a `</class>` and, when a region
  is provably plain markup (no comment, CDATA, processing instruction or `<source>`, only
  double-quoted attribute values without references, every `<class>` and `<line>` tag in the
  shapes it reads), extracts its lines with C-level regular expressions while expat runs with
  no element handler. A region it cannot prove plain goes to the callback reader instead, so
  both give the same result for every document (`tests/test_cobertura_regions.py`); the region
  reader only makes a large report cheaper (`benchmarks/bench_cobertura.py`).
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from itertools import accumulate, compress, islice, repeat
from operator import gt, itemgetter, lt

from covaction.errors import ReportError
from covaction.formats import xmlstream
from covaction.model import (
    BRANCHES,
    LINES,
    LINES_AND_BRANCHES,
    BranchIds,
    FileBuilder,
    FileCoverage,
    ParsedReport,
)

FORMAT = "cobertura"

_CONDITION = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CONDITION_ALL = re.compile(r"^[^(\n]*\(\s*(\d+)\s*/\s*(\d+)\s*\)[^\n]*$", re.M)
_MAX_LINE = 10_000_000
_BRANCH_TRUE = frozenset({"true", "True", "1"})


def sniff(head: bytes) -> bool:
    """Cobertura has a `<coverage>` root with `<packages>` or `<sources>`, never `<project>`."""
    text = head.decode("utf-8", "replace")
    root = re.search(r"<([A-Za-z_][\w.-]*)[\s>/]", _strip_prolog(text))
    if not root or root.group(1) != "coverage":
        return False
    return ("<packages" in text or "<sources" in text or "line-rate" in text) and (
        "<project" not in text
    )


def _strip_prolog(text: str) -> str:
    """Drop the XML declaration, comments and DOCTYPE so the root element comes first."""
    return re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.S)


_KEY0, _VAL0, _KEY1, _VAL1 = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)
_KEY2, _VAL2, _KEY3, _VAL3 = itemgetter(4), itemgetter(5), itemgetter(6), itemgetter(7)
_FOUR = 4


def parse(chunks: Iterable[bytes], origin: str, *, regions: bool = True) -> ParsedReport:
    """Stream a Cobertura document into a ParsedReport; one ReportError for anything wrong.

    `<line>` attribute lists are collected per `<class>` and converted in bulk when the class
    ends (C-level `map(int, ...)`), which keeps the per-element Python work to one append.
    `regions=False` turns the region reader off (tests compare the two readers).
    """
    parser = xmlstream.make_parser()
    builders: dict[str, FileBuilder] = {}
    sources: list[str] = []
    text_parts: list[str] = []
    pending: list[list[str]] = []
    pending_append = pending.append
    state = _State()
    state.regions = regions
    doctype_seen = [False]

    def flush() -> None:
        if state.deferred is not None:
            raise state.deferred
        builder = state.current
        if not pending or builder is None:
            pending.clear()
            return
        batch = pending.copy()
        pending.clear()
        try:
            hit_text = list(map(_VAL1, batch))
            joined = "".join(hit_text)
            if (
                set(map(_KEY0, batch)) == {"number"}
                and set(map(_KEY1, batch)) == {"hits"}
                and joined.isascii()
                and joined.isdigit()
                and "" not in hit_text  # joined, an empty value would pass unseen
            ):
                numbers = array("q", map(int, map(_VAL0, batch)))
                # Only "covered or not" matters downstream: 1 for any positive count, without
                # converting every count (str.lstrip returns the same object when no "0" leads).
                hits = array("q", map(bool, map(str.lstrip, hit_text, repeat("0"))))
                if (
                    all(map(lt, numbers, islice(numbers, 1, None)))
                    and numbers[0] > 0
                    and numbers[-1] <= _MAX_LINE
                ):
                    builder.extend_sorted(numbers, hits)
                    with_branches = list(compress(batch, map(_FOUR.__lt__, map(len, batch))))
                    if with_branches:
                        _bulk_branches(builder, with_branches, state)
                    return
        except (ValueError, IndexError, OverflowError):
            pass
        for attrs in batch:
            _line_slow(builder, attrs, state, origin)

    def source_text(data: str) -> None:
        text_parts.append(data)

    def source_end(name: str) -> None:
        if name == "source":
            sources.append("".join(text_parts).strip())
            parser.CharacterDataHandler = None
            parser.EndElementHandler = None

    def methods_end(name: str) -> None:
        if name == "methods":
            parser.StartElementHandler = start
            parser.EndElementHandler = None

    def in_methods(name: str, attrs: list[str]) -> None:
        # Lines under <methods> repeat the class's own lines: skip until </methods>.
        return None

    def start(
        name: str, attrs: list[str], _append: Callable[[list[str]], None] = pending_append
    ) -> None:
        if name == "line":
            _append(attrs)
        elif name == "class":
            flush()
            filename = None
            for i in range(0, len(attrs) - 1, 2):
                if attrs[i] == "filename":
                    filename = attrs[i + 1]
                    break
            if not filename:
                raise ReportError(
                    f"{origin}: a <class> element has no filename attribute "
                    f"(line {parser.CurrentLineNumber})"
                )
            builder = builders.get(filename)
            if builder is None:
                builder = builders[filename] = FileBuilder(filename)
            state.current = builder
            state.class_at = parser.CurrentByteIndex
        elif name == "methods":
            parser.StartElementHandler = in_methods
            parser.EndElementHandler = methods_end
        elif name == "source":
            text_parts.clear()
            parser.CharacterDataHandler = source_text
            parser.EndElementHandler = source_end
        elif name == "coverage":
            state.seen_root = True
            state.producer = state.producer or _producer(attrs, doctype_seen[0])
        elif not state.seen_root:
            raise ReportError(
                f"{origin}: the root element is <{name[:40]}>, not Cobertura's <coverage>"
            )

    def declaration(version: str | None, encoding: str | None, standalone: int) -> None:
        # The region reader reads bytes as UTF-8: any other declared encoding is for expat.
        if encoding is not None and encoding.lower() not in _UTF8:
            state.regions = False

    def comment(data: str) -> None:
        if not state.producer and "Generated by coverage.py" in data:
            state.producer = COVERAGE_PY

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        doctype_seen[0] = True
        # An internal subset can give attributes defaults (<!ATTLIST line hits CDATA "1">)
        # that expat reports and the region reader cannot see.
        if internal:
            state.regions = False

    def callbacks_may_pause(region: bytes, offset: int) -> bool:
        """After the callback reader fed `region` (ending at a `</class>`), may regions read on?

        Only where expat is between tags (the region ends in a real `</class>`: from the last
        `<class` tag expat reported, nothing but tags follow) and the callbacks wait for the
        next element in their ordinary state (not inside <methods> or <source>).
        """
        at = state.class_at - offset
        return (
            state.regions
            and state.seen_root
            and parser.StartElementHandler is start
            and parser.EndElementHandler is None
            and parser.CharacterDataHandler is None
            and 0 <= at < len(region)
            and region.startswith(b"<class", at)
            and b"<!" not in region[at:]
            and b"<?" not in region[at:]
        )

    def resume() -> None:
        # Only where the region reader paused them: inside <methods> the callbacks skip on.
        if parser.StartElementHandler is None:
            parser.StartElementHandler = start

    def soft_flush() -> bool:
        """Flush early, keeping a bad line's error for where the callbacks alone raise it.

        The callbacks flush at the next `<class>` or the end, so an XML error before that point
        wins over the line's error; a flush between chunks must not change which comes first.
        """
        try:
            flush()
        except ReportError as error:
            state.deferred = error
            return False
        return True

    def fed(chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Yield what expat parses next, choosing the reader for each region before it does."""
        offset = 0
        buf = bytearray()
        for chunk in chunks:
            if not buf and offset == 0 and chunk[:1] in (b"\xff", b"\xfe", b"\x00"):
                state.regions = False  # UTF-16/32: the byte patterns below are UTF-8
            if not state.regions:
                resume()
                if buf:
                    yield bytes(buf)
                    buf.clear()
                yield chunk
                if len(pending) > 200_000:
                    soft_flush()
                continue
            seen = len(buf)
            buf += chunk
            cut = buf.rfind(b"</class>", max(0, seen - 7))
            if cut < 0:
                if len(buf) > _MAX_REGION:
                    # One <class> past the cap: the callbacks read the rest of the document.
                    state.regions = False
                    resume()
                    yield bytes(buf)
                    buf.clear()
                continue
            end = cut + len(b"</class>")
            region = bytes(memoryview(buf)[:end])
            del buf[:end]
            pieces = _read_region(region) if parser.StartElementHandler is None else None
            if pieces is None:
                resume()
                yield region
                if len(pending) > 200_000:
                    soft_flush()
                if callbacks_may_pause(region, offset) and soft_flush():
                    parser.StartElementHandler = None
            else:
                yield region
                _commit(pieces, builders, state)
            offset += end
        resume()
        if buf:
            yield bytes(buf)

    parser.StartElementHandler = start
    parser.CommentHandler = comment
    parser.XmlDeclHandler = declaration
    parser.StartDoctypeDeclHandler = doctype
    xmlstream.feed(parser, fed(xmlstream.utf8(chunks)), origin, "Cobertura")
    flush()
    if not state.seen_root:
        raise ReportError(f"{origin}: no <coverage> element; this is not a Cobertura report")
    files = tuple(b.build() for b in builders.values())
    producer = state.producer
    if producer == COVERAGE_PY and state.has_branches:
        files = tuple(_with_branch_ids(f, state.missing.get(f.path, {})) for f in files)
    metric, rule, note = _RULES.get(producer, _RULES[""])
    return ParsedReport(
        format=FORMAT,
        files=files,
        has_branches=state.has_branches,
        roots=tuple(s for s in sources if s),
        origin=origin,
        producer=producer,
        metric=metric,
        metrics=(LINES, BRANCHES, LINES_AND_BRANCHES),
        rule=rule,
        rule_note=note.format(origin=origin) if note else "",
    )


COVERAGE_PY = "coverage.py"
_RULES = {
    COVERAGE_PY: (
        LINES_AND_BRANCHES,
        "statements and branches together, as coverage.py's `coverage report`",
        "",
    ),
    "gcovr": (LINES, "lines, as gcovr's summary", ""),
    "Istanbul": (LINES, 'lines, as Istanbul\'s text-summary ("Lines")', ""),
    "": (
        LINES,
        "lines, Cobertura's line-rate",
        "{origin}: the Cobertura report does not say which tool wrote it; the headline counts "
        "its lines (Cobertura's line-rate); set coverage-metric to choose",
    ),
}
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?(?:[ab]\d+|\.?(?:dev|rc|a|b)\d*)?\Z")


def _producer(attrs: list[str], doctype: bool) -> str:
    """The tool that wrote a Cobertura report, from its root element.

    coverage.py writes `version` first (its own version) and no DOCTYPE (plus a "Generated by
    coverage.py" comment, read by the comment handler); gcovr writes `version="gcovr X"`;
    Istanbul (nyc, c8, Jest) a DOCTYPE, `lines-valid` first and `version="0.1"`.
    """
    values = dict(zip(attrs[::2], attrs[1::2], strict=False))
    version = values.get("version", "")
    if version.startswith("gcovr"):
        return "gcovr"
    if doctype and version == "0.1" and attrs[:1] == ["lines-valid"]:
        return "Istanbul"
    if not doctype and attrs[:1] == ["version"] and _VERSION.match(version):
        return COVERAGE_PY
    return ""


def _with_branch_ids(fc: FileCoverage, missing: dict[int, str]) -> FileCoverage:
    """coverage.py names the destinations of a line's missed branches; every other branch of
    the line was taken (a line without `missing-branches` took them all)."""
    ids = {
        n: BranchIds(frozenset(x.strip() for x in missing.get(n, "").split(",") if x.strip()))
        for n in fc.branch_lines
    }
    return replace(fc, branch_ids=ids)


class _State:
    __slots__ = (
        "class_at",
        "current",
        "deferred",
        "has_branches",
        "missing",
        "producer",
        "regions",
        "seen_root",
    )

    def __init__(self) -> None:
        self.producer = ""
        self.missing: dict[str, dict[int, str]] = {}  # file -> line -> missing-branches
        self.deferred: ReportError | None = None  # a line's error, raised at the next flush
        self.current: FileBuilder | None = None
        self.has_branches = False
        self.seen_root = False
        self.regions = True  # the region reader may still read
        self.class_at = -1  # byte index of the last <class> tag the callbacks saw


# ------------------------------------------------------------------------- the region reader

_UTF8 = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_MAX_REGION = 64 << 20  # bytes without a </class> before the callbacks take over

# The one <line> tag the region reader reads, with its digits taken out: what coverage.py,
# Istanbul and gcovr write for a line (`branch="false"` and branch counts taken off first).
_LINE_TAG = b'<line number="" hits=""/>'
_DIGITS = b"0123456789"
_NOT_DIGIT_OR_QUOTE = bytes(c for c in range(256) if c not in b'0123456789"')
_BRANCH_FALSE = b' branch="false"'
_MINUS_ONE = (-1).__add__
# Branch attributes after `hits`, as coverage.py writes them; cut out, counts kept.
_BRANCH_ATTRS = re.compile(
    rb' branch="true"(?<=" branch="true")'
    rb'(?: condition-coverage="[\d.]+% \((\d+)/(\d+)\)")?'
    rb'(?: missing-branches="([^"<&\t\n\r]*)")?'
    rb"(?=/>)"
)
# A <class> tag's attributes: double-quoted values with nothing XML would rewrite (references,
# or tab and newline normalised to spaces).
_CLASS_TAG = re.compile(rb'(?:\s*[A-Za-z_:][\w.:-]*="[^"<&\t\n\r]*")*\s*>')
_ATTR = re.compile(rb'\s*([A-Za-z_:][\w.:-]*)="([^"<&\t\n\r]*)"')


class _Piece:
    """The lines of one `<class>` (or, with `filename` None, of the class before the region)."""

    __slots__ = ("bcovered", "blines", "btotal", "filename", "hits", "lines", "missing", "ordered")

    def __init__(self, filename: str | None) -> None:
        self.filename = filename
        self.missing: list[tuple[int, str]] = []  # (line, coverage.py's missing-branches)
        self.ordered = True  # lines strictly ascending
        self.lines: array[int] = array("q")
        self.hits: array[int] = array("q")
        self.blines: array[int] = array("q")
        self.btotal: array[int] = array("q")
        self.bcovered: array[int] = array("q")


def _read_region(region: bytes) -> list[_Piece] | None:
    """The lines of a region of plain markup, or None to have the callbacks read it."""
    try:
        return _read_plain(region)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None  # a slot without digits, past 64 bits, a filename not UTF-8, ...


def _read_plain(region: bytes) -> list[_Piece] | None:
    # Single bytes first: memchr is much faster than a two-byte search.
    if (b"!" in region and b"<!" in region) or (b"?" in region and b"<?" in region):
        return None  # a comment, CDATA or processing instruction: the callbacks read it
    if b"<methods>" in region:
        cut = _without_methods(region)
        if cut is None:
            return None
        region = cut
    pieces = []
    for i, part in enumerate(region.split(b"<class ")):
        piece = _Piece(None)
        body = part
        if i:
            tag = _CLASS_TAG.match(part)
            if tag is None:
                return None
            filename = dict(_ATTR.findall(tag.group())).get(b"filename")
            if not filename:
                return None  # the callbacks raise the error
            piece.filename = filename.decode("utf-8")
            body = part[tag.end() :]
        if not _read_body(piece, body):
            return None
        pieces.append(piece)
    return pieces


def _without_methods(region: bytes) -> bytes | None:
    """The region with each `<methods>...</methods>` block cut out, as the callbacks skip it.

    The callbacks skip from `<methods>` to the first end of a `methods` element; a block with
    another `<methods` or `</methods` inside could end elsewhere, so it is not cut (None).
    """
    out = []
    pos = 0
    while (i := region.find(b"<methods>", pos)) >= 0:
        inner = i + len(b"<methods>")
        j = region.find(b"</methods>", inner)
        if (
            j < 0
            or region.find(b"<methods", inner, j) >= 0
            or region.find(b"</methods", inner, j) >= 0
        ):
            return None
        out.append(region[pos:i])
        pos = j + len(b"</methods>")
    out.append(region[pos:])
    return b"".join(out)


def _no_special_tags(text: bytes) -> bool:
    """Outside `<lines>`: no tag the callbacks act on but `<lines>`, `<classes>`, `<methods/>`."""
    return (
        text.count(b"<line") == text.count(b"<lines>")
        and text.count(b"<class") == text.count(b"<classes>")
        and text.count(b"<method") == text.count(b"<methods/>")
        and b"</method" not in text
        and b"<source" not in text
    )


def _read_body(piece: _Piece, body: bytes) -> bool:
    """A class's lines from what follows its tag, up to the next `<class `; False: give up.

    The `<lines>` block must be `<line number="N" hits="H"/>` tags, each after the same
    whitespace: its digits taken out, it is that tag again and again. The digits are then
    read in order, and must fill the tags' slots exactly, nothing between them.
    """
    start = body.find(b"<lines>")
    if start < 0:
        return _no_special_tags(body)
    end = body.find(b"</lines>", start)
    if end < 0 or not _no_special_tags(body[:start]) or not _no_special_tags(body[end:]):
        return False
    block = body[start + len(b"<lines>") : end]
    if b" branch=" in block:
        if _BRANCH_FALSE in block:
            block = block.replace(_BRANCH_FALSE, b"")  # no branch data, whatever the tag
        if b" branch=" in block:
            return _read_branch_block(piece, block)
    return _read_lines(piece, block)


def _read_lines(piece: _Piece, block: bytes) -> bool:
    skeleton = block.translate(None, _DIGITS)
    last = skeleton.rfind(_LINE_TAG)
    if last < 0:
        return b"<" not in skeleton and block == skeleton  # no tag, no digit
    first = skeleton.find(_LINE_TAG)
    unit = skeleton[:first] + _LINE_TAG
    last += len(_LINE_TAG)
    count, rest = divmod(last, len(unit))
    tail = skeleton[last:]
    if (
        rest
        or b"<" in unit[:first]
        or b'"' in unit[:first]
        or b"<" in tail
        or b'"' in tail
        or skeleton[:last] != unit * count
    ):
        return False
    # Only the tags' quotes are left: `"N""H""N""H"...`, when no digit stands between tags.
    stream = block.translate(None, _NOT_DIGIT_OR_QUOTE)
    if stream[:1] != b'"' or stream[-1:] != b'"':
        return False
    # A list of plain integers, or a ValueError (JSON refuses leading zeros too).
    values: list[int] = json.loads(b"[" + stream[1:-1].replace(b'""', b",") + b"]")
    if len(values) != 2 * count:
        return False
    numbers = values[0::2]
    piece.lines = array("q", numbers)
    # Counted only as covered or not, like the callbacks (no string can be left: the quotes
    # were all used up by the separators, or the length above would differ).
    piece.hits = array("q", map(bool, values[1::2]))
    # Checked on the list, whose integers exist already (an array would box each one again).
    piece.ordered = all(map(lt, numbers, islice(numbers, 1, None)))
    low, high = (numbers[0], numbers[-1]) if piece.ordered else (min(numbers), max(numbers))
    return bool(0 < low and high <= _MAX_LINE)  # else the callbacks raise the error


def _read_branch_block(piece: _Piece, block: bytes) -> bool:
    """Cut coverage.py's branch attributes out of the tags, keeping each one's counts.

    The pattern only cuts between a tag's `hits="N"` and its `/>`; anything left over fails
    `_read_lines`.
    """
    parts = _BRANCH_ATTRS.split(block)
    between = parts[0::4]
    if not _read_lines(piece, b"".join(between)):
        return False
    # The tag a cut belongs to is the last one begun before it (there is one: `_read_lines`
    # proved that the cut's `"` + `/>` junction is the end of a tag).
    tags = list(accumulate(map(bytes.count, between[:-1], repeat(b"<line"))))
    keep = list(map(bool, parts[2::4]))  # `branch="true"` without counts has no branch data
    lines = array("q", compress(map(piece.lines.__getitem__, map(_MINUS_ONE, tags)), keep))
    covered = array("q", map(int, compress(parts[1::4], keep)))
    total = array("q", map(int, compress(parts[2::4], keep)))
    missing = list(compress(parts[3::4], keep))
    piece.missing = [
        (n, m.decode("utf-8")) for n, m in zip(lines, missing, strict=True) if m is not None
    ]
    if total and (
        min(total) <= 0
        or max(total) > 1_000_000
        or min(covered) < 0
        or any(map(gt, covered, total))
    ):
        for n, c, t in zip(lines, covered, total, strict=True):
            _add_branch(piece, n, c, t)
    else:
        piece.blines, piece.btotal, piece.bcovered = lines, total, covered
    return True


def _add_branch(piece: _Piece, line: int, covered: int, total: int) -> None:
    # The callbacks' rule (`_branches`): counts out of range are not branch data.
    if 0 < total <= 1_000_000 and 0 <= covered <= total:
        piece.blines.append(line)
        piece.btotal.append(total)
        piece.bcovered.append(covered)


def _commit(pieces: list[_Piece], builders: dict[str, FileBuilder], state: _State) -> None:
    """Add a region's pieces to the files, as the callbacks would have in document order."""
    for piece in pieces:
        if piece.filename is not None:
            builder = builders.get(piece.filename)
            if builder is None:
                builder = builders[piece.filename] = FileBuilder(piece.filename)
            state.current = builder
        builder_or_none = state.current
        if builder_or_none is None:
            continue  # lines before any <class> belong to no file
        if piece.ordered:
            builder_or_none.extend_sorted(piece.lines, piece.hits)
        else:
            builder_or_none.extend(piece.lines, piece.hits)
        if piece.missing:
            state.missing.setdefault(builder_or_none.path, {}).update(piece.missing)
        if piece.blines:
            builder_or_none.blines.extend(piece.blines)
            builder_or_none.btotal.extend(piece.btotal)
            builder_or_none.bcovered.extend(piece.bcovered)
            state.has_branches = True


# ----------------------------------------------------------------------- the callback reader


def _bulk_branches(builder: FileBuilder, batch: list[list[str]], state: _State) -> None:
    """coverage.py's shape (`number hits branch condition-coverage ...`) in bulk, else singly."""
    try:
        if set(map(_KEY2, batch)) == {"branch"} and set(map(_KEY3, batch)) == {
            "condition-coverage"
        }:
            taken = list(compress(batch, map(_BRANCH_TRUE.__contains__, map(_VAL2, batch))))
            conditions = "\n".join(map(_VAL3, taken))
            if taken and conditions.count("\n") != len(taken) - 1:
                raise ValueError("a condition-coverage value with a newline (&#10;)")
            pairs = _CONDITION_ALL.findall(conditions)
            if len(pairs) != len(taken):
                raise ValueError("a condition-coverage value without (covered/total)")
            covered = array("q", map(int, map(_KEY0, pairs)))
            total = array("q", map(int, map(_VAL0, pairs)))
            if taken and (
                min(total) <= 0
                or max(total) > 1_000_000
                or min(covered) < 0
                or any(map(int.__gt__, covered, total))
            ):
                raise ValueError("branch counts out of range")
            builder.blines.extend(array("q", map(int, map(_VAL0, taken))))
            builder.btotal.extend(total)
            builder.bcovered.extend(covered)
            state.has_branches = state.has_branches or bool(taken)
            for attrs in taken:
                if len(attrs) > 9 and attrs[8] == "missing-branches":
                    state.missing.setdefault(builder.path, {})[int(attrs[1])] = attrs[9]
            return
    except (ValueError, IndexError, OverflowError):
        pass
    for attrs in batch:
        # The bulk path checked the shape: `number` is the first attribute, a valid line.
        _branches(builder, int(attrs[1]), attrs, state)


def _branches(builder: FileBuilder, number: int, attrs: list[str], state: _State) -> None:
    branch = condition = missing = None
    for i in range(0, len(attrs) - 1, 2):
        key = attrs[i]
        if key == "branch":
            branch = attrs[i + 1]
        elif key == "condition-coverage":
            condition = attrs[i + 1]
        elif key == "missing-branches":
            missing = attrs[i + 1]
    if condition is None or branch not in _BRANCH_TRUE:
        return
    m = _CONDITION.search(condition)
    if m is None:
        return
    covered, total = int(m.group(1)), int(m.group(2))
    if 0 < total <= 1_000_000 and 0 <= covered <= total:
        builder.add_branches(number, covered, total)
        state.has_branches = True
        if missing is not None:
            state.missing.setdefault(builder.path, {})[number] = missing


def _line_slow(builder: FileBuilder, attrs: list[str], state: _State, origin: str) -> None:
    """Any attribute order, float hits ("1.0"), and one clear error for garbage."""
    values = dict(zip(attrs[::2], attrs[1::2], strict=False))
    number, hits = values.get("number"), values.get("hits")
    where = f"{origin}: in {builder.path[:200]!r}"
    if number is None or hits is None:
        raise ReportError(f"{where}, a <line> element lacks its number or hits attribute")
    try:
        n = int(number)
        text = hits.strip()
        if text.isascii() and text.isdigit():
            h = 1 if text.lstrip("0") else 0  # as in bulk: any length of digits
        else:
            h = int(text) if text.lstrip("-").isdigit() else int(float(text))
    except (ValueError, OverflowError):
        raise ReportError(
            f"{where}, line number {number[:20]!r} or hits {hits[:20]!r} is not a number"
        ) from None
    if n <= 0 or n > _MAX_LINE or h < 0:
        raise ReportError(f"{where}, line number {n} or hits {h} is out of range")
    # Only "covered or not" matters (1 or 0, as in bulk): a count past 64 bits is no overflow.
    builder.add_line(n, 1 if h > 0 else 0)
    if len(attrs) > 4:
        _branches(builder, n, attrs, state)
