"""Cobertura XML (coverage.py, gcovr, Istanbul, coverlet, gocover-cobertura, ...) into the model.

Streamed with the hardened expat parser: only `<source>` text and `<class>`/`<line>` attributes
are kept. A file split over several `<class>` elements is one file; lines repeated under
`<methods>` are the class's own lines again and are not read. A line is coverable when it has a
`<line>` element; covered when `hits > 0`. Branches come from `condition-coverage="50% (1/2)"`
(covered/total); a `branch="true"` line without that attribute falls back to its
`<condition coverage="..">` children only when they state counts.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, islice, repeat
from operator import eq, itemgetter, lt

from covaction.errors import ReportError
from covaction.formats import xmlstream
from covaction.model import FileBuilder, ParsedReport

FORMAT = "cobertura"

_CONDITION = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_CONDITION_ALL = re.compile(r"^[^(\n]*\(\s*(\d+)\s*/\s*(\d+)\s*\)[^\n]*$", re.M)
_MAX_LINE = 10_000_000
_MAX_HITS = 2**63 - 1


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


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Stream a Cobertura document into a ParsedReport; one ReportError for anything wrong.

    `<line>` attribute lists are collected per `<class>` and converted in bulk when the class
    ends (C-level `map(int, ...)`), which keeps the per-element Python work to one append.
    """
    parser = xmlstream.make_parser()
    builders: dict[str, FileBuilder] = {}
    sources: list[str] = []
    text_parts: list[str] = []
    pending: list[list[str]] = []
    pending_append = pending.append
    state = _State()

    def flush() -> None:
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
        elif name == "methods":
            parser.StartElementHandler = in_methods
            parser.EndElementHandler = methods_end
        elif name == "source":
            text_parts.clear()
            parser.CharacterDataHandler = source_text
            parser.EndElementHandler = source_end
        elif name == "coverage":
            state.seen_root = True
        elif not state.seen_root:
            raise ReportError(
                f"{origin}: the root element is <{name[:40]}>, not Cobertura's <coverage>"
            )

    parser.StartElementHandler = start
    xmlstream.feed(parser, _flushing(chunks, pending, flush), origin, "Cobertura")
    flush()
    if not state.seen_root:
        raise ReportError(f"{origin}: no <coverage> element; this is not a Cobertura report")
    return ParsedReport(
        format=FORMAT,
        files=tuple(b.build() for b in builders.values()),
        has_branches=state.has_branches,
        roots=tuple(s for s in sources if s),
        origin=origin,
    )


class _State:
    __slots__ = ("current", "has_branches", "seen_root")

    def __init__(self) -> None:
        self.current: FileBuilder | None = None
        self.has_branches = False
        self.seen_root = False


def _flushing(
    chunks: Iterable[bytes], pending: list[list[str]], flush: Callable[[], None]
) -> Iterator[bytes]:
    """Bound the pending batch: a single huge <class> is converted every few chunks."""
    for chunk in chunks:
        yield chunk
        if len(pending) > 200_000:
            flush()


def _bulk_branches(builder: FileBuilder, batch: list[list[str]], state: _State) -> None:
    """coverage.py's shape (`number hits branch condition-coverage ...`) in bulk, else singly."""
    try:
        if set(map(_KEY2, batch)) == {"branch"} and set(map(_KEY3, batch)) == {
            "condition-coverage"
        }:
            taken = list(compress(batch, map(eq, map(_VAL2, batch), repeat("true"))))
            pairs = _CONDITION_ALL.findall("\n".join(map(_VAL3, taken)))
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
            return
    except (ValueError, IndexError, OverflowError):
        pass
    for attrs in batch:
        # The bulk path checked the shape: `number` is the first attribute, a valid line.
        _branches(builder, int(attrs[1]), attrs, state)


def _branches(builder: FileBuilder, number: int, attrs: list[str], state: _State) -> None:
    branch = condition = None
    for i in range(0, len(attrs) - 1, 2):
        key = attrs[i]
        if key == "branch":
            branch = attrs[i + 1]
        elif key == "condition-coverage":
            condition = attrs[i + 1]
    if condition is None or branch not in ("true", "True", "1"):
        return
    m = _CONDITION.search(condition)
    if m is None:
        return
    covered, total = int(m.group(1)), int(m.group(2))
    if 0 < total <= 1_000_000 and 0 <= covered <= total:
        builder.add_branches(number, covered, total)
        state.has_branches = True


def _line_slow(builder: FileBuilder, attrs: list[str], state: _State, origin: str) -> None:
    """Any attribute order, float hits ("1.0"), and one clear error for garbage."""
    values = dict(zip(attrs[::2], attrs[1::2], strict=False))
    number, hits = values.get("number"), values.get("hits")
    where = f"{origin}: in {builder.path[:200]!r}"
    if number is None or hits is None:
        raise ReportError(f"{where}, a <line> element lacks its number or hits attribute")
    try:
        n = int(number)
        h = int(hits) if hits.strip().lstrip("-").isdigit() else int(float(hits))
    except (ValueError, OverflowError):
        raise ReportError(
            f"{where}, line number {number[:20]!r} or hits {hits[:20]!r} is not a number"
        ) from None
    if n <= 0 or n > _MAX_LINE or h < 0:
        raise ReportError(f"{where}, line number {n} or hits {h} is out of range")
    # Only "covered or not" matters: a count past 64 bits is clamped, not an overflow.
    builder.add_line(n, min(h, _MAX_HITS))
    if len(attrs) > 4:
        _branches(builder, n, attrs, state)
