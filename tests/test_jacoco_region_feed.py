"""What expat parses of a JaCoCo region the region reader read: the region without its lines.

Once `_read_plain` has proved a region's `<line>` tags plain and well-formed XML (their one
shape, digits only in values, XML whitespace before each), expat parses the region without
them (`_Read.feed`). JaCoCo writes its report on one line, so expat's columns after a removal
are short by its length: `regions.Removed` keeps each removal and gives expat's errors the
document's columns. Everything here is checked against the callback reader, which feeds expat
every byte: every result, and every error with its line and column.
"""

from __future__ import annotations

import pytest

from covaction.formats import jacoco, regions
from covaction.formats.regions import RegionStats
from tests.test_jacoco_regions import HEAD, PLAIN, TAIL, both, by_sourcefile, line, outcome, source

LINES = (line(7, 0, 6, 2, 2), line(8, 0, 2), line(9, 3, 0, 2, 0), line(12, 2, 0))


def pretty(*tags: bytes, indent: bytes = b"\n      ", name: bytes = b"P.java") -> bytes:
    """A source file as a formatter rewrites JaCoCo's XML: each tag on a line of its own."""
    body = b"".join(indent + t for t in tags)
    return source(body + b"\n      ", name=name)


def test_a_plain_region_is_fed_without_its_line_tags() -> None:
    read = jacoco._read_region(PLAIN + source(line(1, 1, 0), name=b"B.java"), "com/ex")
    assert read is not None and read.feed is not None
    assert b"<line " not in read.feed
    cut = len(b"".join(LINES))
    assert read.cuts == [
        (len(b'<sourcefile name="A.java">'), cut),
        (read.cuts[1][0], len(line(1, 1, 0))),
    ]
    assert read.feed.startswith(b'<sourcefile name="A.java"><counter ')


# After each middle: markup expat refuses, on the same line, so that the error's column says
# whether the removals before it were added back.
AFTER = {
    "nothing": b"",
    "a repeated attribute": b'<counter type="LINE" type="LINE"/>',
    "a mismatched end tag": b"</package></sourcefile>",
    "an undefined entity": b"<x>&nope;</x>",
    "a broken tag on a later line": b"\n\n  <broken",
}

MIDDLES = {
    "plain source files": PLAIN
    + source(line(1, 1, 0), name=b"B.java")
    + PLAIN.replace(b"A.java", b"C.java"),
    "text between the line tags": source(*(t + b"x" for t in LINES)),
    "an entity between the line tags": source(*(t + b"&amp;" for t in LINES)),
    "an undefined entity between the line tags": source(LINES[0], b"&nope;", LINES[1]),
    "a vertical tab before each tag": source(*(b"\x0b" + t for t in LINES)),
    "a NUL before each tag": source(*(b"\x00" + t for t in LINES)),
    "pretty-printed": pretty(*LINES),
    "pretty-printed with CRLF": pretty(*LINES, indent=b"\r\n      "),
    "lone CRs before the tags": pretty(*LINES, indent=b"\r      "),
    "an LF and a lone CR before each tag": pretty(*LINES, indent=b"\n\r  "),
    "a lone CR, then an LF, before each tag": pretty(*LINES, indent=b"\r \n      "),
    "lone CRs, then an LF": pretty(*LINES, indent=b"\r  ") + pretty(line(1, 1, 0), name=b"Q.java"),
    "a CR before the source file's lines": b"\r" + PLAIN,
    "an error inside the region, after its lines": source(
        *LINES, counters=b'<counter a="1" a="2"/>'
    ),
}


@pytest.mark.parametrize("after", AFTER.values(), ids=AFTER.keys())
@pytest.mark.parametrize("middle", MIDDLES.values(), ids=MIDDLES.keys())
def test_results_and_errors_agree_with_the_callbacks(middle: bytes, after: bytes) -> None:
    doc = HEAD + middle + after + PLAIN.replace(b"A.java", b"Z.java") + TAIL
    regions_read, callbacks = both(doc)
    assert regions_read == callbacks
    assert both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


def test_an_error_after_many_removals_is_at_the_documents_column() -> None:
    files = b"".join(source(*LINES, name=b"F%d.java" % n) for n in range(50))
    doc = HEAD + files + b'<counter type="LINE" type="LINE"/>' + TAIL
    regions_read, callbacks = both(doc)
    assert regions_read == callbacks
    column = doc.index(b'type="LINE" type=') + len(b'type="LINE" ')
    assert f"duplicate attribute at line 1, column {column})" in callbacks[1]


def test_what_expat_parses_shrinks_and_the_callbacks_pause_again() -> None:
    stats = RegionStats()
    commented = source(*LINES, name=b"K.java").replace(b"<counter", b"<!-- c --><counter", 1)
    doc = HEAD + PLAIN + PLAIN + commented + PLAIN + PLAIN + TAIL
    regions_read, callbacks = both(doc, stats=stats)
    assert regions_read == callbacks
    # Without the bytes expat did not parse in the callbacks' index: (2, 1).
    assert (stats.read, stats.declined) == (4, 1)


def test_past_the_removals_kept_regions_are_fed_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    files = b"".join(source(*LINES, name=b"F%d.java" % n) for n in range(20))
    doc = HEAD + files + b"<broken a=>" + TAIL
    fast = both(doc)
    monkeypatch.setattr(regions, "MAX_REMOVALS", 3)
    assert both(doc) == fast
    assert fast[0] == fast[1]


def test_the_outcome_is_the_same_with_every_region_fed_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = HEAD + PLAIN + pretty(*LINES) + PLAIN.replace(b"A.java", b"C.java") + TAIL
    fast = outcome(lambda: jacoco.parse(by_sourcefile(doc), "j.xml"))
    monkeypatch.setattr(jacoco, "_add_feed", lambda feed, *args: feed.clear() or 0)
    assert outcome(lambda: jacoco.parse(by_sourcefile(doc), "j.xml")) == fast


def test_removed_columns_count_only_the_errors_line_and_what_came_before() -> None:
    removed = regions.Removed()
    removed.passed(b"<a>", [(1, 10)])  # 10 bytes removed after "<" on line 1
    removed.passed(b"<b>\n<c>", [(3, 5)])  # 5 after "<b>", still line 1
    removed.passed(b"<d>", [(0, 7)])  # line 2
    assert removed.column(0, 1, 0) == 0  # before the first removal
    assert removed.column(1, 1, 1) == 11
    assert removed.column(6, 1, 6) == 21
    assert removed.column(8, 2, 1) == 1  # line 2, before its removal
    assert removed.column(10, 2, 3) == 10
    removed.passed(b"\r")
    assert not removed.open
