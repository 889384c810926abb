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
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from covaction.errors import ReportError
from covaction.formats.xmlstream import feed, make_parser, utf8
from covaction.model import (
    BRANCHES,
    INSTRUCTIONS,
    LINES,
    LINES_AND_BRANCHES,
    FileBuilder,
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


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Stream a JaCoCo XML report into a ParsedReport; one ReportError for anything malformed."""
    parser = make_parser()
    files: dict[str, FileBuilder] = {}
    stack: list[str] = []
    package: list[str | None] = [None]
    current: list[FileBuilder | None] = [None]
    has_branches = [False]

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
        if not stack and name != "report":
            raise fail(f"the root element is <{name}>, not JaCoCo's <report>")
        stack.append(name)
        if name == "line":
            builder = current[0]
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
                                has_branches[0] = True
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
                has_branches[0] = True
        elif name == "sourcefile":
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            pkg = package[0]
            if pkg is None:
                raise fail("<sourcefile> outside a <package>")
            file_name = attrs.get("name")
            if not file_name:
                raise fail("<sourcefile> has no name= attribute")
            path = f"{pkg}/{file_name}" if pkg else file_name
            builder = files.get(path)
            if builder is None:
                builder = files[path] = FileBuilder(path)
                builder.units_exact = False  # per-line counts: a merge is a lower bound
            current[0] = builder
        elif name == "package":
            attrs = dict(zip(flat[::2], flat[1::2], strict=True))
            pkg_name = attrs.get("name")
            if pkg_name is None:
                raise fail("<package> has no name= attribute")
            package[0] = pkg_name.strip("/")

    def end(name: str) -> None:
        stack.pop()
        if name == "sourcefile":
            current[0] = None
        elif name == "package":
            package[0] = None

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    feed(parser, utf8(chunks), origin, "JaCoCo")  # unknown encodings are one ReportError there
    return ParsedReport(
        FORMAT,
        tuple(b.build() for b in files.values()),
        has_branches[0],
        (),
        origin,
        producer="JaCoCo",
        metric=INSTRUCTIONS,
        metrics=(INSTRUCTIONS, LINES, BRANCHES, LINES_AND_BRANCHES),
        rule="instructions, as JaCoCo's report totals them (its Total row)",
    )
