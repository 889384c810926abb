"""The JaCoCo region reader gives exactly what the callback reader gives, for every document.

`jacoco.parse` reads most of a large report in regions ending at `</sourcefile>` (C-level byte
operations while expat validates with no element handler) and hands any region it cannot prove
plain to the callbacks. Each test parses a document twice, once chunked so that regions are
read (`regions=True`) and once by the callbacks alone (`regions=False`), and compares every
file's lines, hits, branches and instruction units, or the error. A `RegionStats` passed to
`parse` counts the regions the region reader took, so a test of the fast path fails if the fast
path silently stops being used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covaction.errors import CovactionError
from covaction.formats import jacoco
from covaction.formats.regions import RegionStats
from tests.cobertura_documents import ending_at
from tests.fuzzing import chunked, fuzz, mutated

REAL = Path(__file__).parent / "fixtures" / "real" / "java"
MORE = Path(__file__).parent / "fixtures" / "more" / "jacoco"


@pytest.fixture
def stats() -> RegionStats:
    """Counts the regions the region reader read and those it handed to the callbacks."""
    return RegionStats()


def shape(report: Any) -> list[tuple[Any, ...]]:
    """Every file as plain values, its instruction units included."""
    out = []
    for f in report.files:
        units = f.units
        out.append(
            (
                f.path,
                list(f.lines),
                list(f.hits),
                list(f.branch_lines),
                list(f.branch_total),
                list(f.branch_covered),
                None
                if units is None
                else (list(units.keys), list(units.total), list(units.covered), units.exact),
            )
        )
    return out


def outcome(fn: Any) -> Any:
    try:
        report = fn()
    except CovactionError as exc:
        return type(exc), str(exc)
    return shape(report), report.has_branches, report.roots, report.metric


def by_sourcefile(doc: bytes) -> Iterator[bytes]:
    """Chunks ending at each `</sourcefile>`: every source file after the first is a region."""
    return ending_at(b"</sourcefile>", doc)


def both(doc: bytes, chunks: list[bytes] | None = None, **keywords: Any) -> tuple[Any, Any]:
    """Read in regions (`chunks`, else `by_sourcefile`; `keywords` to `parse`); by the callbacks."""
    regions = outcome(
        lambda: jacoco.parse(iter(chunks or list(by_sourcefile(doc))), "j.xml", **keywords)
    )
    callbacks = outcome(lambda: jacoco.parse([doc], "j.xml", regions=False))
    return regions, callbacks


HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC '
    b'"-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="r">'
    b'<sessioninfo id="s" start="1" dump="2"/><package name="com/ex">'
    b'<class name="com/ex/First" sourcefilename="First.java"><method name="&lt;init&gt;" '
    b'desc="()V" line="3"><counter type="INSTRUCTION" missed="0" covered="3"/></method>'
    b'<counter type="INSTRUCTION" missed="0" covered="3"/></class>'
    b'<sourcefile name="First.java"><line nr="3" mi="0" ci="3" mb="0" cb="0"/>'
    b'<counter type="INSTRUCTION" missed="0" covered="3"/></sourcefile>'
)
TAIL = b'<counter type="INSTRUCTION" missed="0" covered="3"/></package></report>'
COUNTERS = (
    b'<counter type="INSTRUCTION" missed="13" covered="8"/><counter type="BRANCH" '
    b'missed="4" covered="2"/><counter type="LINE" missed="4" covered="2"/>'
)


def line(nr: int, mi: int, ci: int, mb: int = 0, cb: int = 0) -> bytes:
    return b'<line nr="%d" mi="%d" ci="%d" mb="%d" cb="%d"/>' % (nr, mi, ci, mb, cb)


def source(*tags: bytes, name: bytes = b"A.java", counters: bytes = COUNTERS) -> bytes:
    return b'<sourcefile name="' + name + b'">' + b"".join(tags) + counters + b"</sourcefile>"


PLAIN = source(line(7, 0, 6, 2, 2), line(8, 0, 2), line(9, 3, 0, 2, 0), line(12, 2, 0))


def test_plain_source_files_are_read_as_regions_and_agree(stats: RegionStats) -> None:
    doc = HEAD + PLAIN + source(line(1, 1, 0), name=b"B.java") + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["com/ex/A.java"][1:] == (
        [7, 8, 9, 12],
        [6, 2, 0, 0],
        [7, 9],
        [4, 2],
        [2, 0],
        ([7, 8, 9, 12], [6, 2, 3, 2], [6, 2, 0, 0], False),
    )
    assert regions[1] is True
    assert stats.read == 2 and stats.declined == 0, (stats.read, stats.declined)


def test_a_source_file_read_again_by_either_reader_keeps_its_units_apart(
    stats: RegionStats,
) -> None:
    # The region reader gives a file's lines and its units' keys one array; reading the file
    # again (the callbacks, a region, as under two groups) must not grow both at once.
    again = PLAIN.replace(b'nr="7"', b'nr="70"')
    doc = HEAD + PLAIN + b"<!-- c -->" + again + PLAIN.replace(b'nr="7"', b'nr="71"')
    doc += source(line(2, 1, 0), name=b"B.java") + b"<!-- c -->" + PLAIN + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["com/ex/A.java"][1] == [7, 8, 9, 12, 70, 71]
    assert files["com/ex/A.java"][6][:3] == (
        [7, 8, 9, 12, 70, 71],
        [6, 2, 3, 2, 6, 6],
        [6, 2, 0, 0, 6, 6],
    )
    assert (stats.read, stats.declined) == (3, 2)


@pytest.mark.parametrize(
    "path",
    [
        REAL / "jacoco1.xml",
        REAL / "jacoco2.xml",
        REAL / "jacoco-merged.xml",
        MORE / "report.xml",
        MORE / "aggregate.xml",
    ],
    ids=lambda p: p.name,
)
def test_reports_jacoco_wrote_are_read_as_regions(path: Path, stats: RegionStats) -> None:
    """JaCoCo's own one-line output, and the newline-separated fixtures of its layout."""
    doc = path.read_bytes()
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert not isinstance(regions[0], type)
    # Every source file after the first is a region of its own (`by_sourcefile`).
    assert stats.read == doc.count(b"</sourcefile>") - 1 and stats.declined == 0, (
        stats.read,
        stats.declined,
    )


def test_indented_lines_are_read_as_regions(stats: RegionStats) -> None:
    """Kover and pretty-printers indent: the same indentation before every line tag."""
    tags = [b"\n      " + line(n, 1, n % 2, n % 3, 0) for n in range(1, 40)]
    body = source(*tags, counters=b"\n      " + COUNTERS + b"\n    ")
    doc = HEAD + body + body.replace(b"A.java", b"B.java") + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert stats.read == 2 and stats.declined == 0


# Documents a byte-pattern reader would read differently from XML: each must agree with the
# callbacks, because the region reader declines the region or reads it as XML would.
TRICKY = {
    "comment hiding a source file": b'<!-- <sourcefile name="E.java">'
    + line(1, 0, 1)
    + b"</sourcefile> -->"
    + PLAIN,
    "a comment with an end tag, then a source file": b"<!-- </sourcefile> "
    + source(line(1, 0, 1), name=b"E.java")
    + b" -->"
    + PLAIN,
    "CDATA with an end tag, then a source file": b"<x><![CDATA[ </sourcefile> "
    + source(line(1, 0, 1), name=b"E.java")
    + b" ]]></x>"
    + PLAIN,
    "an attribute value with an end tag": b'<x a="</sourcefile>"/>' + PLAIN,
    "comment inside the lines": source(line(1, 0, 1), b"<!-- " + line(2, 0, 1) + b" -->"),
    "CDATA with tags": source(line(1, 0, 1), b"<![CDATA[" + line(2, 0, 1) + b"]]>"),
    "processing instruction": source(b"<?pi " + line(2, 0, 1) + b"?>", line(1, 1, 0)),
    "attributes in another order": source(b'<line mi="0" nr="1" ci="1" mb="0" cb="0"/>'),
    "absent counts are 0": source(b'<line nr="1" ci="3"/>', line(2, 1, 0)),
    "neither mi nor ci": source(line(1, 1, 0), b'<line nr="2" mb="0" cb="0"/>'),
    "no nr": source(b'<line mi="0" ci="1" mb="0" cb="0"/>'),
    "nr zero": source(line(0, 1, 0)),
    "nr past 2**31-1": source(line(2**31, 1, 0)),
    "nr at 2**31-1": source(line(2**31 - 1, 1, 0)),
    "leading zeros": source(b'<line nr="007" mi="00" ci="01" mb="0" cb="0"/>'),
    "an empty value": source(b'<line nr="1" mi="" ci="1" mb="0" cb="0"/>'),
    "a negative count": source(b'<line nr="1" mi="-1" ci="1" mb="0" cb="0"/>'),
    "a float count": source(b'<line nr="1" mi="1.0" ci="1" mb="0" cb="0"/>'),
    "18 digits": source(b'<line nr="1" mi="999999999999999999" ci="1" mb="0" cb="0"/>'),
    "19 digits": source(b'<line nr="1" mi="9999999999999999999" ci="1" mb="0" cb="0"/>'),
    "past 64 bits": source(b'<line nr="1" mi="1" ci="99999999999999999999999" mb="1" cb="0"/>'),
    "sums past 64 bits": source(
        b'<line nr="1" mi="999999999999999999" ci="999999999999999999" '
        b'mb="999999999999999999" cb="999999999999999999"/>'
    ),
    "a line without instructions": source(line(1, 0, 0, 2, 1), line(2, 1, 0), line(3, 0, 0)),
    "a digit in an attribute name": source(b'<line nr="1" m1i="0" ci="1" mb="0" cb="0"/>'),
    "a digit in the tag name": source(
        line(1, 0, 1), b'<li1ne nr="2" mi="0" ci="1" mb="0" cb="0"/>'
    ),
    "a digit in the first tag's name": source(
        b'<li1ne nr="2" mi="0" ci="1" mb="0" cb="0"/>', line(3, 0, 1)
    ),
    "a digit in the first attribute's name": source(
        b'<line n1r="2" mi="0" ci="1" mb="0" cb="0"/>', line(3, 0, 1)
    ),
    "a digit before the first tag": source(b"5" + line(1, 0, 1), b"5" + line(2, 1, 0)),
    "digits between tags": source(line(1, 0, 1) + b"7", line(2, 1, 0) + b"7"),
    "text between tags": source(b"x" + line(1, 0, 1), b"x" + line(2, 1, 0)),
    "a reference between tags": source(b"&amp;" + line(1, 0, 1), b"&amp;" + line(2, 1, 0)),
    "an element between tags": source(line(1, 0, 1) + b"<b/>", line(2, 1, 0) + b"<b/>"),
    "a line tag with a newline inside": source(b'<line\nnr="1" mi="0" ci="1" mb="0" cb="0"/>'),
    "a line tag written open and closed": source(
        b'<line nr="1" mi="0" ci="1" mb="0" cb="0"></line>'
    ),
    "spaces around equals": source(b'<line nr = "1" mi="0" ci="1" mb="0" cb="0"/>'),
    "single quotes": source(b"<line nr='1' mi='0' ci='1' mb='0' cb='0'/>"),
    "a line after the counters": source(line(1, 0, 1), counters=COUNTERS + line(5, 1, 0)),
    "a line outside any source file": line(9, 1, 0) + PLAIN,
    "a bad line outside any source file": b'<line nr="x"/>' + PLAIN,
    "a namespaced line": source(b'<x:line xmlns:x="u" nr="1" mi="0" ci="1" mb="0" cb="0"/>'),
    "lines out of order and repeated": source(line(5, 1, 0), line(2, 0, 1), line(5, 0, 3, 1, 1)),
    "a source file twice": PLAIN + PLAIN.replace(b'nr="7"', b'nr="70"'),
    "a source file without lines": source() + PLAIN,
    "a self-closing source file": b'<sourcefile name="Z.java"/>' + PLAIN,
    "a source file without name": b"<sourcefile>" + line(1, 0, 1) + b"</sourcefile>",
    "an empty name": source(line(1, 0, 1), name=b""),
    "a reference in a name": source(line(1, 0, 1), name=b"A&amp;B.java"),
    "a tab in a name": source(line(1, 0, 1), name=b"A\tB.java"),
    "a non-ASCII name": source(line(1, 0, 1), name="Ä漢.java".encode()),
    "another attribute on the source file": b'<sourcefile name="S.java" x="1">'
    + line(1, 0, 1)
    + b"</sourcefile>",
    "a nested source file": b'<sourcefile name="O.java">'
    + source(line(1, 0, 1))
    + line(2, 0, 1)
    + b"</sourcefile>",
    "the end tag with a space": source(line(1, 0, 1))[:-1] + b" >" + PLAIN,
    "a source file outside a package": b"</package>" + PLAIN + b'<package name="com/ex">',
    "a new package": b'</package><package name="/org/x/">' + PLAIN,
    "the default package": b'</package><package name="">' + PLAIN,
    "a package without name": b"</package><package>" + PLAIN,
    "a package with another attribute": b'</package><package name="q" a="b">' + PLAIN,
    "a self-closing package": b'<package name="q"/>' + PLAIN,
    "a nested package": b'<package name="in">' + PLAIN + b"</package>" + PLAIN,
    "a package inside a source file": b'<sourcefile name="P.java"><package name="q">'
    + line(1, 0, 1)
    + b"</package></sourcefile>"
    + PLAIN,
    "groups": b'</package><group name="g"><package name="com/ex">'
    + PLAIN
    + b'</package></group><group name="h"><package name="com/ex">'
    + PLAIN.replace(b'ci="6"', b'ci="9"'),
    "a nested report": b'<report name="x">' + PLAIN + b"</report>",
    "malformed after a plain source file": PLAIN + b"<broken",
    "a mismatched end tag": PLAIN + b"</sourcefile>",
    "a duplicate attribute": source(b'<line nr="1" nr="2" mi="0" ci="1" mb="0" cb="0"/>'),
}


@pytest.mark.parametrize("middle", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_regions_agree_with_the_callbacks(middle: bytes) -> None:
    doc = HEAD + middle + TAIL
    regions, callbacks = both(doc)
    assert regions == callbacks
    # Also cut at every 7th byte: regions then end wherever a chunk's last </sourcefile> is.
    assert both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


# A document of TRICKY for each guard of the region reader, which a reading of the bytes alone
# gets wrong (as the comment says): the region reader declines the region, the callbacks read
# it as XML means it, and the files are those expat's reading gives (First.java left out).
A = ("com/ex/A.java", [7, 8, 9, 12], [6, 2, 0, 0], [7, 9], [4, 2], [2, 0])
GUARDED: dict[str, list[tuple[Any, ...]]] = {
    "comment hiding a source file": [A],  # E.java read
    "CDATA with an end tag, then a source file": [A],  # E.java read
    "processing instruction": [(A[0], [1], [0], [], [], [])],  # line 2 read
    "a line after the counters": [(A[0], [1, 5], [1, 0], [], [], [])],  # line 5 lost
    "a nested report": [A],  # read as JaCoCo's
    "a reference in a name": [("com/ex/A&B.java", [1], [1], [], [], [])],  # A&amp;B.java
    "another attribute on the source file": [("com/ex/S.java", [1], [1], [], [], [])],  # S lost
    "a package with another attribute": [("q/A.java", *A[1:])],  # the package lost
    "absent counts are 0": [(A[0], [1, 2], [3, 0], [], [], [])],  # values shifted
    "a digit before the first tag": [(A[0], [1, 2], [1, 0], [], [], [])],  # values shifted
    "19 digits": [(A[0], [1], [1], [], [], [])],  # not clamped as the callbacks clamp
    "past 64 bits": [(A[0], [1], [2**63 - 1], [1], [1], [0])],  # not clamped
}


@pytest.mark.parametrize("key", GUARDED)
def test_each_guard_hands_what_only_xml_reads_right_to_the_callbacks(
    key: str, stats: RegionStats
) -> None:
    regions, callbacks = both(HEAD + TRICKY[key] + TAIL, stats=stats)
    assert regions == callbacks
    assert (stats.read, stats.declined) == (0, 1)
    assert [f[:6] for f in regions[0] if f[0] != "com/ex/First.java"] == GUARDED[key]


PROLOGS = {
    "internal subset with attribute defaults": (
        b'<?xml version="1.0"?><!DOCTYPE report [<!ATTLIST line mb CDATA "4">]>'
    ),
    "Latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?>',
}


@pytest.mark.parametrize("prolog", PROLOGS.values(), ids=PROLOGS.keys())
def test_prologs_that_change_meaning_turn_regions_off(prolog: bytes, stats: RegionStats) -> None:
    name = b"\xe9.java" if b"ISO" in prolog else b"A.java"
    tags = b'<line nr="1" mi="0" ci="1"/>'
    doc = prolog + HEAD[HEAD.index(b"<report") :] + source(tags, name=name) + PLAIN + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert not isinstance(regions[0], type), regions
    assert stats.read == 0
    if b"ATTLIST" in prolog:
        assert regions[1] is True  # the default made every line a branch line


def test_utf16_documents_are_transcoded_and_read_by_regions_too(stats: RegionStats) -> None:
    doc = (HEAD + PLAIN + PLAIN + TAIL).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = doc.encode("utf-16")
    regions, callbacks = both(
        data, [data[i : i + 64] for i in range(0, len(data), 64)], stats=stats
    )
    assert regions == callbacks and not isinstance(regions[0], type)
    assert stats.read > 0


def test_utf16_without_a_byte_order_mark_is_streamed_not_held() -> None:
    """No byte `</sourcefile>` to cut at: it goes to expat chunk by chunk at once."""
    data = (HEAD + b"<broken" + PLAIN * 50 + TAIL).decode().encode("utf-16-le")
    pulled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal pulled
        for i in range(0, len(data), 64):
            pulled += 1
            yield data[i : i + 64]

    with pytest.raises(CovactionError, match="not well-formed"):
        jacoco.parse(chunks(), "j.xml")
    assert pulled < len(data) // 64 // 2, pulled


def test_a_source_file_past_the_region_cap_goes_to_the_callbacks(stats: RegionStats) -> None:
    big = source(*(line(n, 1, n % 2) for n in range(1, 90)), name=b"Big.java")
    doc = HEAD + PLAIN + big + PLAIN + TAIL
    regions, callbacks = both(
        doc,
        [doc[i : i + 50] for i in range(0, len(doc), 50)],
        stats=stats,
        max_region=len(HEAD) + len(PLAIN),
    )
    assert regions == callbacks
    assert stats.read == 1  # the first PLAIN; then the callbacks read on to the end


# ----------------------------------------------------------------------------- properties

PARTS = st.sampled_from(
    [
        line(1, 0, 1),
        line(2, 3, 0, 1, 1),
        line(3, 0, 0),
        line(3, 0, 0, 2, 0),
        line(2**31 - 1, 1, 1),
        b'<line nr="0" mi="1" ci="0" mb="0" cb="0"/>',
        b'<line nr="05" mi="1" ci="0" mb="0" cb="0"/>',
        b'<line nr="6" ci="1"/>',
        b'<line nr="6" mi="1.5" ci="1" mb="0" cb="0"/>',
        b'<line nr="7" mi="1" ci="1" mb="0" cb="99999999999999999999"/>',
        b"<line/>",
        b'<line mi="1" nr="8" ci="0" mb="0" cb="0"/>',
        b"<!-- x -->",
        b"<!-- " + line(9, 0, 1) + b" -->",
        b"<![CDATA[<line>]]>",
        b"<?p?>",
        COUNTERS,
        b'<counter type="LINE" missed="1" covered="0"/>',
        b'<sourcefile name="C.java">',
        b'<sourcefile name="A.java">',
        b"<sourcefile>",
        b"</sourcefile>",
        b'<package name="com/ex">',
        b'<package name="">',
        b"<package>",
        b"</package>",
        b'<group name="g">',
        b"</group>",
        b'<class name="x">',
        b"</class>",
        b" ",
        b"\n  ",
        b"7",
        b"x",
        b'"',
        b"&amp;",
        b"<b/>",
        # What expat must see for itself (tests/test_jacoco_region_feed.py)
        b"\r",
        b"\r\n",
        b"\x0b",
        b"\x00",
        b"&nope;",
        b'<b a="1" a="2"/>',
        # Empty values and digits beside them (tests/test_region_values.py)
        b'<line nr="" mi="1" ci="0" mb="0" cb="0"/>',
        b'<line nr=3"" mi="0" ci="1" mb="0" cb="0"/>',
        b'<line nr="3" mi="0" ci="1" mb="2" cb=""/>',
        b'<line nr="3" mi="0" ci="1" mb="" c2b="1"/>',
        b"1",
    ]
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    files = []
    for _ in range(draw(st.integers(1, 4))):
        inner = b"".join(draw(st.lists(PARTS, max_size=12)))
        name = draw(st.sampled_from([b"A.java", b"B.java", b"A.java", b"a&amp;.java", b""]))
        files.append(source(inner, name=name, counters=draw(st.sampled_from([b"", COUNTERS]))))
    return HEAD + b"".join(files) + TAIL


@fuzz
@given(doc=documents(), cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_regions_and_callbacks_agree_on_generated_documents(doc: bytes, cuts: list[int]) -> None:
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert both(doc, chunked(doc, cuts))[0] == callbacks


SEEDS = [
    (REAL / "jacoco1.xml").read_bytes(),
    (MORE / "aggregate.xml").read_bytes(),
    HEAD + PLAIN + source(line(1, 0, 1), name=b"B.java") + TAIL,
]


@fuzz
@given(doc=mutated(SEEDS), cuts=st.lists(st.integers(0, 10**6), max_size=4))
def test_regions_and_callbacks_agree_on_mutated_reports(doc: bytes, cuts: list[int]) -> None:
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert both(doc, chunked(doc, cuts))[0] == callbacks


def test_a_large_chunk_is_read_in_several_regions(stats: RegionStats) -> None:
    """A chunk holding many source files is cut at `</sourcefile>`s about `region_size` apart."""
    files = [source(line(n, 1, n % 2, n % 3, 1), name=b"F%d.java" % n) for n in range(1, 30)]
    doc = HEAD + b"".join(files) + TAIL
    regions, callbacks = both(doc, [HEAD, doc[len(HEAD) :]], stats=stats, region_size=1000)
    assert regions == callbacks
    assert stats.read > 5 and stats.declined == 0, (stats.read, stats.declined)
