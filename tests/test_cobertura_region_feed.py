"""What expat parses of a region the region reader read: the region with its line tags left out.

Once `_read_tags` has proved a region's line tags plain, they are also proved well-formed XML
(their shapes, digits, XML whitespace, coverage.py's `missing-branches` texts of XML
characters, gcovr's condition tags), and expat parses the region without them: each `<lines>`
block's content as its line breaks and the indentation of its end tag (`Region.feed`). Expat
then parses about 5 % of a large report (the benchmarks: coverage.py's 150 MB, 7.9 MB fed).

What stays the same, checked here against the callback reader, which feeds expat every byte:
every result, and every error, with its line and column; a region whose tags are plain but not
provably well-formed (a vertical tab, a control character in a text, an ampersand among the
conditions, lone CRs) is fed whole.
"""

from __future__ import annotations

import pytest

from covaction.formats import _cobertura_regions as regions_module
from covaction.formats import cobertura
from covaction.formats.regions import RegionStats
from tests.cobertura_documents import HEAD, PLAIN, TAIL, both, by_class, klass, lines, outcome

GCOVR_LINE = (
    b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)">\n'
    b"\t\t\t\t\t\t\t<conditions>\n"
    b'\t\t\t\t\t\t\t\t<condition number="0" type="jump" coverage="50%"/>\n'
    b"\t\t\t\t\t\t\t</conditions>\n"
    b"\t\t\t\t\t\t</line>"
)


def test_a_plain_region_is_fed_as_its_line_breaks() -> None:
    read = regions_module.read_region(PLAIN)
    assert read is not None and read.feed is not None
    start, end = PLAIN.index(b"<lines>") + 7, PLAIN.index(b"</lines>")
    assert read.feed == PLAIN[:start] + b"\n" * 6 + b"\t" * 5 + PLAIN[end:]
    assert read.feed.count(b"\n") == PLAIN.count(b"\n")
    assert read.feed.endswith(b"\t\t\t\t\t</lines>\n\t\t\t\t</class>\n")


def test_gcovr_conditions_are_fed_as_line_breaks_too() -> None:
    middle = klass(lines(b'<line number="1" hits="1" branch="false"/>', GCOVR_LINE))
    read = regions_module.read_region(middle)
    assert read is not None and read.feed is not None
    assert b"<condition " not in read.feed
    assert read.feed.count(b"\n") == middle.count(b"\n")


CRLF = klass(lines(b'<line number="1" hits="1"/>', b'<line number="2" hits="0"/>')).replace(
    b"\n", b"\r\n"
)


def with_missing(text: bytes) -> bytes:
    """A class whose one line names coverage.py's missed branches `text`."""
    return klass(
        lines(
            b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)" '
            b'missing-branches="' + text + b'"/>'
        )
    )


def gcovr_with(old: bytes, new: bytes) -> bytes:
    """A class whose one line is gcovr's, with `old` made `new`."""
    return klass(lines(GCOVR_LINE.replace(old, new)))


# Each: fed as line breaks (True) or whole; the outcome is the callbacks' either way.
HAZARDS: dict[str, tuple[bytes, bool]] = {
    "a vertical tab before each tag": (
        klass(lines(b'<line number="1" hits="1"/>').replace(b"\t<line", b"\x0b<line")),
        False,
    ),
    "a form feed after the last tag": (
        klass(lines(b'<line number="1" hits="1"/>').replace(b"/>\n", b"/>\x0c\n")),
        False,
    ),
    "a control character in missing-branches": (with_missing(b"5\x01"), False),
    "U+FFFF in missing-branches": (with_missing(b"\xef\xbf\xbf"), False),
    "U+FFFE in missing-branches": (with_missing(b"\xef\xbf\xbe"), False),
    "non-ASCII in missing-branches": (with_missing(b"\xc3\xa9,exit"), True),
    "an ampersand among the conditions": (gcovr_with(b"<condition ", b"&<condition "), False),
    "a digit starting a condition's attribute": (gcovr_with(b" type=", b" 1type="), False),
    "a condition's attribute twice": (gcovr_with(b' type="jump"', b' number="0"'), False),
    "text among the conditions": (gcovr_with(b"<condition ", b"x<condition "), False),
    "a NUL between the tags (the blocks' separator)": (
        klass(lines(b'<line number="1" hits="1"/>', b'<line number="2" hits="0"/>')).replace(
            b'hits="1"/>\n', b'hits="1"/>\x00\n'
        ),
        False,
    ),
    "lone CRs": (CRLF.replace(b"\r\n", b"\r"), False),
    "lone CRs before the tags, an LF after": (
        klass(
            b"\t\t\t\t\t<lines>\r"
            + b'\t\t\t\t\t\t<line number="1" hits="1"/>\r'
            + b'\t\t\t\t\t\t<line number="2" hits="0"/>\n'
            + b"\t\t\t\t\t</lines>\n"
        ),
        False,
    ),
    "a line's end tag on the line of </lines>": (
        klass(b"\t\t\t\t\t<lines>\n\t\t\t\t\t\t" + GCOVR_LINE + b"</lines>\n"),
        False,
    ),
    "CRLF": (CRLF, True),
    "CRLF and a lone LF": (CRLF.replace(b'hits="1"/>\r\n', b'hits="1"/>\n'), False),
    "every tag on one line": (
        klass(
            b"\t\t\t\t\t<lines>"
            + b'<line number="1" hits="1"/><line number="2" hits="0"/>'
            + b"</lines>\n"
        ),
        False,  # as it is: no line break to keep
    ),
}

# After each: markup expat refuses, on the line of `</lines>` and later, so that the error's
# line and column say whether expat saw the document's lines and columns.
AFTER = {
    "nothing": b"",
    "a broken tag after the class": b"<broken",
    "an unclosed tag": b"\t\t\t\t<class filename='z.py'><lines><line number='1' hits='1'/>",
}


@pytest.mark.parametrize("after", AFTER.values(), ids=AFTER.keys())
@pytest.mark.parametrize("key", HAZARDS)
def test_hazards_agree_with_the_callbacks(key: str, after: bytes) -> None:
    middle, fed_as_breaks = HAZARDS[key]
    read = regions_module.read_region(middle)
    shorter = read is not None and read.feed is not None and len(read.feed) < len(middle)
    assert shorter == fed_as_breaks
    doc = HEAD + middle + after + PLAIN + TAIL
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


def test_an_error_on_the_end_tags_line_keeps_its_column() -> None:
    middle = klass(lines(b'<line number="1" hits="1"/>')).replace(
        b"</lines>", b"</lines><b a='1' a='2'/>"
    )
    regions, callbacks = both(HEAD + middle + TAIL)
    assert regions == callbacks
    assert "duplicate attribute at line 20, column 22" in callbacks[1]


def test_the_callbacks_pause_again_after_regions_expat_did_not_parse_whole() -> None:
    """The callbacks hand back to the region reader where their last <class> tag is: a byte
    index of the document, which expat's index plus the bytes it did not parse gives."""
    commented = klass(lines(b'<line number="7" hits="1"/>')).replace(
        b"<methods/>", b"<methods/><!-- read by the callbacks -->"
    )
    doc = HEAD + PLAIN + PLAIN + commented + PLAIN + PLAIN + TAIL
    stats = RegionStats()
    regions, callbacks = both(doc, list(by_class(doc)), stats=stats)
    assert regions == callbacks
    # The first region and the one after the comment's are the callbacks' (without the
    # skipped bytes, the one after that too: (2, 1)).
    assert (stats.read, stats.declined) == (3, 1)


def test_the_outcome_is_the_same_with_every_region_fed_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = HEAD + PLAIN + klass(lines(GCOVR_LINE)) + CRLF + TAIL
    fast = outcome(lambda: cobertura.parse(by_class(doc), "c.xml"))
    monkeypatch.setattr(regions_module, "_add_feed", lambda *args: False)
    assert outcome(lambda: cobertura.parse(by_class(doc), "c.xml")) == fast
