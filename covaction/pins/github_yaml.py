"""Workflow YAML read the way GitHub reads it: nodes with their source positions, or a rejection.

GitHub parses workflows with YamlDotNet's event parser and builds its own tree from the events
(actions/runner src/Sdk/WorkflowParser/Conversion/YamlObjectReader.cs, TemplateReader.cs). This
module does the same with PyYAML's event parser (libyaml's `CSafeLoader` where PyYAML was built
with it, else the pure-Python `SafeLoader`; both follow YAML 1.1 as YamlDotNet does) and never
uses PyYAML's composer, whose rules differ from GitHub's:

* An anchor may be defined again; an alias names the latest definition before it
  (YamlObjectReader stores `m_anchors[anchor] = index` for each definition). PyYAML's composer
  refuses the file ("found duplicate anchor").
* An alias shares its anchor's node, so an aliased step is one node, read once. Where an alias
  is a mapping key, the pair records the alias's own position: the place to fix is where the
  key is used, not where its text was anchored.
* Keys are compared ignoring case in every mapping, as TemplateReader does
  (HashSet(StringComparer.OrdinalIgnoreCase)), including keys that arrive through an alias. A
  repeated key is reported (GitHub: "'x' is already defined") and, as GitHub does, its value is
  skipped. A key that is not a string (a mapping or a sequence) is reported too.
* GitHub's parser limits (actions/runner src/Sdk/WorkflowParser/ParseOptions.cs: MaxDepth 50,
  MaxParseEvents 1,000,000, aliases counted as expanded) are enforced while the events stream
  by: the reader stops at the first level beyond MAX_DEPTH, counts each alias by its anchor's
  expanded size (so an alias bomb stops at the alias that crosses MAX_EVENTS having read only
  what is written), and refuses an alias to a node still open (a node that contains itself,
  which GitHub would replay until its node limit).

Line numbers are counted as git and GitHub's file view count them: a line ends at `\\n`. The
YAML parsers (libyaml, PyYAML, YamlDotNet alike) also break lines at a lone `\\r`, U+0085,
U+2028 and U+2029 when they count; positions are converted from the parser's character index
so a finding after one of those still names the line a reviewer sees.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_EVENTS",
    "Mapping",
    "Node",
    "Parsed",
    "Positions",
    "Problem",
    "Refusal",
    "Scalar",
    "Sequence",
    "decode",
    "read",
]

MAX_DEPTH: Final = 50
MAX_EVENTS: Final = 1_000_000

# libyaml when PyYAML was built with it, else the pure-Python loader: same events, same marks.
LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

NULL_TAG: Final = "tag:yaml.org,2002:null"
_NULLS: Final = frozenset(("", "~", "null", "Null", "NULL"))  # YAML core schema, as GitHub
# A YAML line break (YAML 1.1, as the parsers read): ends a comment or a line of source.
YAML_BREAK: Final = re.compile("[\r\n\x85\u2028\u2029]")
MAX_REASON: Final = 200


class Mark(Protocol):
    """A parser position; libyaml's and PyYAML's marks are different classes."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...
    @property
    def index(self) -> int: ...


class Scalar:
    """A scalar as written: its text, explicit tag (None if none), style and positions."""

    __slots__ = ("end", "start", "style", "tag", "value")

    def __init__(self, value: str, tag: str | None, style: str | None, start: Mark, end: Mark):
        self.value = value
        self.tag = tag
        self.style = style
        self.start = start
        self.end = end

    @property
    def plain(self) -> bool:
        """Written without quotes, block indicator or tag."""
        return not self.style and self.tag is None

    @property
    def is_null(self) -> bool:
        """`~`, `null`, nothing at all, or `!!null`: no value (GitHub's YAML core schema)."""
        return self.tag == NULL_TAG or (self.plain and self.value in _NULLS)


class Mapping:
    """A mapping's pairs in written order: (key, value, where the key is written)."""

    __slots__ = ("closed", "depth", "pairs", "size", "start")

    def __init__(self, start: Mark) -> None:
        self.pairs: list[tuple[Node, Node, Mark]] = []
        self.start = start
        self.closed = False
        self.size = 0
        self.depth = 0

    def get(self, name: str) -> Node | None:
        """The value of the first key written exactly `name`, or None."""
        for key, value, _ in self.pairs:
            if type(key) is Scalar and key.value == name:
                return value
        return None

    def item(self, name: str) -> tuple[Node, Mark] | None:
        """The value of the key `name` and where the key is written, or None."""
        for key, value, at in self.pairs:
            if type(key) is Scalar and key.value == name:
                return value, at
        return None


class Sequence:
    """A sequence's items in written order."""

    __slots__ = ("closed", "depth", "items", "size", "start")

    def __init__(self, start: Mark) -> None:
        self.items: list[Node] = []
        self.start = start
        self.closed = False
        self.size = 0
        self.depth = 0


Node = Scalar | Mapping | Sequence


class Positions:
    """Parser marks -> 1-based (line, column) as git counts lines (a line ends at `\\n`)."""

    __slots__ = ("_newlines", "_text", "exact")

    def __init__(self, text: str) -> None:
        self._text = text
        self._newlines: list[int] | None = None
        # Without a lone CR, NEL, LS or PS the parser's own count is git's. (Plain substring
        # scans: a regex alternation over every character is ten times slower on 1 MB.)
        self.exact = not (
            "\x85" in text
            or "\u2028" in text
            or "\u2029" in text
            or text.count("\r") != text.count("\r\n")
        )

    def at_index(self, index: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self._text)]
        before = bisect_left(self._newlines, index)
        start = self._newlines[before - 1] + 1 if before else 0
        return before + 1, index - start + 1

    def of(self, mark: Mark) -> tuple[int, int]:
        if self.exact:
            return mark.line + 1, mark.column + 1
        return self.at_index(mark.index)


@dataclass(frozen=True, slots=True)
class Refusal:
    """GitHub would refuse the whole file: where (1-based) and why, on one line."""

    line: int
    column: int
    reason: str


class _Reject(Exception):
    """Stops the reading at the first thing that makes GitHub refuse the whole file."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(reason)
        self.refusal = Refusal(line, column, one_line(reason))


@dataclass(frozen=True, slots=True)
class Problem:
    """Something GitHub refuses the file for, found while reading it: a repeated key, a key
    that is not a string. `line`/`column` are 1-based; `key` is the key's text and `value`
    the repeated key's value where it is a scalar."""

    line: int
    column: int
    reason: str
    key: str = ""
    value: str = ""


@dataclass(frozen=True, slots=True)
class Parsed:
    """The documents of one file, the problems found reading them, and where the first anchor
    or alias is written (for files whose reader refuses anchors)."""

    roots: list[Node]
    problems: list[Problem]
    first_anchor: tuple[int, int] | None
    positions: Positions


def one_line(text: str) -> str:
    """A reason on one line, at most MAX_REASON characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def decode(data: bytes) -> str | Refusal:
    """UTF-8 text without a byte-order mark, or a Refusal at the line of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return Refusal(line, 1, f"not valid UTF-8 (byte {exc.start + 1})")
    return text.removeprefix("\ufeff")


class _Frame:
    """One open collection while the events stream by."""

    __slots__ = ("before", "deepest", "dup", "key", "key_at", "keys", "level", "node", "skip")

    def __init__(self, node: Mapping | Sequence, level: int, before: int) -> None:
        self.node = node
        self.level = level  # 1 for a document's top collection
        self.deepest = level  # deepest level reached inside, aliases expanded
        self.before = before  # events counted before this collection started
        self.keys: dict[str, Mark] | None = {} if type(node) is Mapping else None
        self.key: Node | None = None  # the key waiting for its value
        self.key_at: Mark | None = None
        self.skip = False  # the waiting key is refused: its value is not kept
        self.dup: tuple[Mark, str, Mark] | None = None  # (where, key text, first definition)


def read(text: str) -> Parsed | Refusal:
    """Every document of `text` as GitHub would build it, or a Refusal where GitHub would
    refuse the whole file (not YAML, over GitHub's limits, an undefined or recursive alias)."""
    try:
        return _read(text, Positions(text))
    except _Reject as exc:
        return exc.refusal


def _read(text: str, pos: Positions) -> Parsed:
    roots: list[Node] = []
    problems: list[Problem] = []
    stack: list[_Frame] = []
    anchors: dict[str, Node] = {}
    first_anchor: Mark | None = None
    total = 0
    documents = 0
    try:
        loader = LOADER(text)
    except yaml.YAMLError as exc:  # the pure-Python reader checks characters up front
        raise _yaml_reject(exc, text, pos) from None

    def reject(mark: Mark, reason: str) -> _Reject:
        line, column = pos.of(mark)
        return _Reject(line, column, reason)

    # PyYAML's event classes do not type their attributes.
    next_event: Callable[[], Any] = loader.get_event
    try:
        while (event := next_event()) is not None:
            kind = type(event)
            node: Node
            if kind is ScalarEvent:
                total += 1
                node = Scalar(event.value, event.tag, event.style, event.start_mark, event.end_mark)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    first_anchor = first_anchor or event.start_mark
            elif kind is AliasEvent:
                name = str(event.anchor)
                found = anchors.get(name)
                if found is None:
                    raise reject(event.start_mark, f"alias *{name[:80]} names no anchor before it")
                size, depth = 1, 0
                if not isinstance(found, Scalar):
                    if not found.closed:
                        raise reject(event.start_mark, "recursive alias: a node contains itself")
                    size, depth = found.size, found.depth
                node = found
                total += size
                if total > MAX_EVENTS:
                    raise reject(
                        event.start_mark,
                        f"more than {MAX_EVENTS:,} nodes once aliases are expanded "
                        "(GitHub's limit; an alias bomb?)",
                    )
                if depth and stack:
                    top = stack[-1]
                    top.deepest = max(top.deepest, top.level + depth)
                    if top.deepest > MAX_DEPTH:
                        raise reject(
                            event.start_mark,
                            f"nested deeper than {MAX_DEPTH} levels once aliases are expanded "
                            "(GitHub's limit)",
                        )
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise reject(
                        event.start_mark, f"nested deeper than {MAX_DEPTH} levels (GitHub's limit)"
                    )
                opened = (
                    Mapping(event.start_mark)
                    if kind is MappingStartEvent
                    else Sequence(event.start_mark)
                )
                if event.anchor is not None:
                    anchors[event.anchor] = opened
                    first_anchor = first_anchor or event.start_mark
                stack.append(_Frame(opened, len(stack) + 1, total))
                total += 2
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                frame = stack.pop()
                node = frame.node
                node.closed = True
                node.size = total - frame.before
                node.depth = frame.deepest - frame.level + 1
                if stack:
                    top = stack[-1]
                    top.deepest = max(top.deepest, frame.deepest)
            else:
                if kind is DocumentStartEvent:
                    anchors.clear()  # anchors are per document
                    documents += 1
                    if documents == 2:
                        # YamlObjectReader.ValidateEnd: after the first document GitHub
                        # expects the end of the stream ("Expected stream end parse event").
                        line, column = pos.of(event.start_mark)
                        reason = "a second YAML document: GitHub reads one and refuses the file"
                        problems.append(Problem(line, column, reason))
                continue
            at = event.start_mark
            if not stack:
                roots.append(node)
                continue
            top = stack[-1]
            if top.keys is None:
                top.node.items.append(node)  # type: ignore[union-attr]
            elif top.key is None:
                top.key, top.key_at, top.skip, top.dup = node, at, False, None
                if type(node) is not Scalar:
                    line, column = pos.of(at)
                    problems.append(
                        Problem(line, column, "a mapping key must be a string; GitHub refuses it")
                    )
                    top.skip = True
                else:
                    folded = node.value.lower()
                    first = top.keys.get(folded)
                    if first is None:
                        top.keys[folded] = at
                    else:
                        top.skip, top.dup = True, (at, node.value, first)
            else:
                if not top.skip:
                    top.node.pairs.append((top.key, node, top.key_at))  # type: ignore[union-attr,arg-type]
                elif top.dup is not None:
                    where, key, first = top.dup
                    line, column = pos.of(where)
                    reason = (
                        f"duplicate key {key[:80]!r} (first at line {pos.of(first)[0]}); "
                        "GitHub refuses the file"
                    )
                    value = node.value if type(node) is Scalar else ""
                    problems.append(Problem(line, column, one_line(reason), key, value))
                top.key = None
    except yaml.YAMLError as exc:
        raise _yaml_reject(exc, text, pos) from None
    finally:
        loader.dispose()
    anchor_at = pos.of(first_anchor) if first_anchor is not None else None
    return Parsed(roots, problems, anchor_at, pos)


def _line_around(text: str, index: int) -> str:
    start = max(text.rfind(c, 0, index) for c in "\r\n\x85\u2028\u2029") + 1
    end = YAML_BREAK.search(text, index)
    return text[start : end.start() if end else len(text)]


def _yaml_reject(exc: yaml.YAMLError, text: str, pos: Positions) -> _Reject:
    line = column = 1
    reason = "not valid YAML"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        reason = "; ".join(p for p in (exc.problem, exc.context) if p) or reason
        if mark is not None:
            line, column = pos.of(mark)
            src = _line_around(text, min(mark.index, len(text)))
            indent = src[: len(src) - len(src.lstrip(" \t"))]
            if "\t" in indent or (exc.problem and "\t" in exc.problem):
                reason = "tab in indentation: YAML forbids tabs there"
    elif isinstance(exc, yaml.reader.ReaderError):
        character = exc.character
        if isinstance(character, int) and 0 <= character < 0x110000:
            reason = f"character #x{character:04x} is not allowed in YAML"
            found = text.find(chr(character))
            if found >= 0:
                line, column = pos.at_index(found)
    return _Reject(line, column, reason)
