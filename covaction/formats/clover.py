"""Clover XML reports (Istanbul/Jest/c8/nyc, PHPUnit, OpenClover, gcovr) into the model.

The producer is read from the root: Istanbul writes `clover="3.2.0"`, gcovr a timestamp there,
OpenClover its version, PHPUnit no `clover=` at all. The headline counts lines, the figure
Istanbul's text-summary ("Lines"), PHPUnit's "Lines" and gcovr's summary print; OpenClover's own
total (statements, branches and methods as elements) is not carried whole, so a notice says
lines were used.

How a Clover report is counted
------------------------------
Only `coverage > project > (package >) file > line` is read. `<testproject>` (OpenClover's and
gcovr's coverage of the test sources themselves) is skipped; `<class>` and `<metrics>` are
summaries and are ignored.

* File path: the `path=` attribute of `<file>` (Istanbul, OpenClover, gcovr write the full
  path there and a short name in `name=`), else `name=` (PHPUnit writes the full path there).
  There are no source roots.
* `<line type="stmt" count=N>`: a coverable line, covered when N > 0.
* `<line type="method">` with a `crap=` attribute (PHPUnit, php-code-coverage's Clover writer):
  the declaration of a method, counted apart by PHPUnit; not a line. PHPUnit's "Lines" are
  its executable lines only (`statements` in its `<metrics>`), which the `stmt` lines are.
* Any other `<line type="method" count=N>` (OpenClover writes the number of calls): the line
  declaring a function; a coverable line, covered when N > 0. Istanbul never writes method
  lines.
* `<line type="cond">` is a coverable line with branches, read the way its producer wrote it:
  - with a `count=` attribute (Istanbul, the commonest Clover producer since it is Jest's
    default): `truecount` is the number of the line's branches that were taken and `falsecount`
    the number never taken, so branches = `truecount + falsecount`, covered = `truecount`, and
    the line is covered when `count > 0`. This reproduces Istanbul's own `conditionals` and
    `coveredconditionals` metrics exactly.
  - without `count=` (OpenClover, Atlassian Clover): one two-way decision whose `truecount` and
    `falsecount` are how often it was true and false, so branches = 2, covered =
    `(truecount > 0) + (falsecount > 0)`, and the line is covered when either is > 0. This
    reproduces OpenClover's `conditionals` (two per decision) and `coveredconditionals`.
  Several decisions on one line add up.
* Several `<line>` elements for one line number (OpenClover writes one per statement) count as
  one line, covered if any is; the same file appearing twice merges the same way.
* Lines therefore equal Istanbul's lines (`getLineCoverage`, which its Clover writer lists) and
  PHPUnit's executable lines exactly; for OpenClover they are the distinct lines holding
  statements, methods or decisions.

The XML goes through the hardened streaming parser (`xmlstream`). Malformed XML, a root other
than `<coverage>`, Cobertura XML (a `<coverage>` root with `<sources>`/`<packages>`), a `<file>`
with no name, or a `<line>` with a missing, negative or non-numeric `num`/`count`/`truecount`/
`falsecount` or an unknown `type` ends in one ReportError. Counts above 2**63-1 are clamped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from covaction.errors import ReportError
from covaction.formats.builder import FileBuilder
from covaction.formats.xmlstream import feed, make_parser, utf8
from covaction.model import BRANCHES, LINES, LINES_AND_BRANCHES, ParsedReport

FORMAT = "clover"

MAX_LINE_NUMBER = 2**31 - 1
MAX_COUNT = 2**63 - 1

_ROOT = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?[^>]{0,500}\?>|<!--.{0,2000}?-->|<!DOCTYPE[^>]{0,500}>)\s*)*"
    rb"<coverage(\s[^>]{0,4000})?>\s*(?:<!--.{0,2000}?-->\s*)*(?:<([A-Za-z_][\w.:-]{0,100}))?",
    re.S,
)
_DIGITS = re.compile(r"\d{1,40}\Z")
_COBERTURA = {"sources", "packages"}


def sniff(head: bytes) -> bool:
    """True for a `<coverage>` root whose first child is `<project>`/`<testproject>`.

    Cobertura also has a `<coverage>` root, but with `<sources>`/`<packages>` children and
    `line-rate=` attributes; when the first child is beyond the head, Clover's `generated=`
    attribute decides.
    """
    m = _ROOT.match(head)
    if m is None:
        return False
    child = m.group(2)
    if child is not None:
        return child in {b"project", b"testproject"}
    attrs = m.group(1) or b""
    return b"generated=" in attrs and b"line-rate=" not in attrs


class _FileElement:
    """One `<file>` element: its builder, and branch counts summed per line within it."""

    __slots__ = ("branches", "builder")

    def __init__(self, builder: FileBuilder) -> None:
        self.builder = builder
        self.branches: dict[int, tuple[int, int]] = {}


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Stream a Clover XML report into a ParsedReport; one ReportError for anything malformed."""
    parser = make_parser()
    files: dict[str, FileBuilder] = {}
    depth = [0]
    test_depth = [0]  # > 0 while inside <testproject>
    current: list[_FileElement | None] = [None]
    has_branches = [False]
    producer = [""]

    def fail(what: str) -> ReportError:
        return ReportError(f"{origin}: XML line {parser.CurrentLineNumber}: {what}")

    def number(attrs: dict[str, str], name: str, low: int = 0) -> int:
        raw = attrs.get(name)
        if raw is None:
            raise fail(f'<line type="{attrs.get("type")}"> has no {name}= attribute')
        if _DIGITS.match(raw) is None:
            raise fail(f'<line> has {name}="{raw[:40]}"; expected a whole number >= {low}')
        value = int(raw)
        if value < low or (name == "num" and value > MAX_LINE_NUMBER):
            raise fail(f'<line> has {name}="{raw[:40]}", out of range')
        return min(value, MAX_COUNT)

    def line(element: _FileElement, attrs: dict[str, str]) -> None:
        num = number(attrs, "num", 1)
        kind = attrs.get("type")
        if kind == "method" and "crap" in attrs:
            # PHPUnit's method element: the declaration's line, not one of PHPUnit's "Lines"
            # (php-code-coverage counts executable lines only; the method is counted apart).
            number(attrs, "count")
            return
        if kind in {"stmt", "method"}:
            element.builder.add_line(num, number(attrs, "count"))
        elif kind == "cond":
            true, false = number(attrs, "truecount"), number(attrs, "falsecount")
            if "count" in attrs:
                hits = number(attrs, "count")
                covered, total = true, true + false
            else:
                hits = true + false
                covered, total = (true > 0) + (false > 0), 2
            element.builder.add_line(num, min(hits, MAX_COUNT))
            if total:
                old_covered, old_total = element.branches.get(num, (0, 0))
                element.branches[num] = (
                    min(old_covered + covered, MAX_COUNT),
                    min(old_total + total, MAX_COUNT),
                )
        else:
            raise fail(
                f'<line num="{num}"> has type="{str(kind)[:40]}"; expected stmt, cond or method'
            )

    def start(name: str, flat: list[str]) -> None:
        depth[0] += 1
        if depth[0] == 1:
            if name != "coverage":
                raise fail(f"the root element is <{name}>, not Clover's <coverage>")
            root = dict(zip(flat[::2], flat[1::2], strict=True))
            producer[0] = _producer(root.get("clover"))
            return
        if depth[0] == 2 and name in _COBERTURA:
            raise fail(f"<coverage> with <{name}> is Cobertura XML, not Clover")
        if test_depth[0]:
            test_depth[0] += 1
            return
        if name == "testproject":
            test_depth[0] = 1
        elif name == "line":
            element = current[0]
            if element is not None:
                line(element, dict(zip(flat[::2], flat[1::2], strict=True)))
        elif name == "file":
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            path = attrs.get("path") or attrs.get("name")
            if not path:
                raise fail("<file> has neither path= nor name=")
            builder = files.get(path)
            if builder is None:
                builder = files[path] = FileBuilder(path)
            current[0] = _FileElement(builder)

    def end(name: str) -> None:
        depth[0] -= 1
        if test_depth[0]:
            test_depth[0] -= 1
            return
        if name == "file" and current[0] is not None:
            element = current[0]
            for num in sorted(element.branches):
                covered, total = element.branches[num]
                element.builder.add_branches(num, covered, total)
            has_branches[0] = has_branches[0] or bool(element.branches)
            current[0] = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    feed(parser, utf8(chunks), origin, "Clover")  # unknown encodings are one ReportError there
    name = producer[0]
    rule, note = _RULES.get(name, _RULES[""])
    return ParsedReport(
        FORMAT,
        tuple(b.build(metric=LINES) for b in files.values()),
        has_branches[0],
        (),
        origin,
        producer=name,
        metric=LINES,
        metrics=(LINES, BRANCHES, LINES_AND_BRANCHES),
        rule=rule,
        rule_note=note.format(origin=origin) if note else "",
    )


_RULES = {
    "Istanbul": ('lines, as Istanbul\'s text-summary ("Lines")', ""),
    "PHPUnit": ('lines, as PHPUnit\'s "Lines" (method declarations are not lines)', ""),
    "gcovr": ("lines, as gcovr's summary", ""),
    "OpenClover": (
        "lines",
        "{origin}: OpenClover's own total counts statements, branches and methods together, "
        "which a Clover report does not fully carry; the headline counts lines",
    ),
    "": (
        "lines",
        "{origin}: the Clover report does not say which tool wrote it; the headline counts "
        "its lines",
    ),
}


def _producer(clover: str | None) -> str:
    """The tool that wrote a Clover report, from the root's `clover=` attribute.

    Istanbul writes `clover="3.2.0"` (istanbul-reports' clover writer), gcovr a timestamp,
    OpenClover its own version, PHPUnit (php-code-coverage) no `clover=` at all.
    """
    if clover is None:
        return "PHPUnit"
    if clover == "3.2.0":
        return "Istanbul"
    if clover.isdigit():
        return "gcovr"
    return "OpenClover"
