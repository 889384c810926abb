"""Empty values, and digits beside a value's quotes, are for the callbacks to read.

The region readers delete every digit from a region's line tags and compare what is left with
the tags' shapes; the digits, with a few separators, are then one JSON list of integers. A digit
out of place (in a name, in text, outside a value's quotes) stands beside a value in that list,
which JSON refuses, or is one value too many: unless a value is empty, when the stray digit
takes its place and the counts agree. So no value may be empty (`""`), and coverage.py's
`(covered/total)` is a JSON pair (`[1,2]`), which JSON refuses empty or with a digit beside it.
Found by an independent review's differential fuzzing: each case below was read as a region and
either accepted malformed XML (where expat was spared the line tags) or read numbers the
callbacks do not.
"""

from __future__ import annotations

import pytest

from covaction.errors import ReportError
from covaction.formats import _cobertura_regions as cobertura_regions
from covaction.formats import jacoco
from tests import cobertura_documents as cob
from tests import test_jacoco_regions as jac

COBERTURA = {
    "a value's digits before its quotes": b'<line number=3"" hits="1"/>',
    "an empty value and a digit in the next name": b'<line number="" h3its="1"/>',
    "an empty value and a digit in the text after the tag": b'<line number="5" hits=""/>7',
    "an empty covered count and a digit after the tag": (
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (/2)"/>7'
    ),
    "an empty total and a digit after the pair": (
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/)7"/>'
    ),
    "an empty percentage and a digit before the pair": (
        b'<line number="5" hits="1" branch="true" condition-coverage="% 3(1/2)"/>'
    ),
    "an empty percentage and a digit before its quote": (
        b'<line number="5" hits="1" branch="true" condition-coverage=7"% (1/2)"/>'
    ),
    "a digit between the percentage and the pair": (
        b'<line number="5" hits="1" branch="true" condition-coverage="50% 3(1/2)"/>'
    ),
    "a digit after the pair": (
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)3"/>'
    ),
    "an attribute named x where no missing-branches was cut": (
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)" x/>'
    ),
}


def cobertura_class(tag: bytes) -> bytes:
    return cob.klass(cob.lines(b'<line number="1" hits="1"/>', tag, b'<line number="9" hits="0"/>'))


@pytest.mark.parametrize("tag", COBERTURA.values(), ids=COBERTURA.keys())
def test_cobertura_leaves_them_to_the_callbacks(tag: bytes) -> None:
    middle = cobertura_class(tag)
    assert cobertura_regions.read_region(middle) is None
    doc = cob.HEAD + middle + cob.PLAIN + cob.TAIL
    regions, callbacks = cob.both(doc)
    assert regions == callbacks
    assert cob.both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


@pytest.mark.parametrize("tag", COBERTURA.values(), ids=COBERTURA.keys())
def test_cobertura_agrees_with_the_callbacks_in_a_large_report(tag: bytes) -> None:
    """As a real run reads it: 1 MiB chunks, the case in the region after a large class."""
    big = cob.klass(cob.lines(*(b'<line number="%d" hits="1"/>' % n for n in range(1, 9001))))
    doc = cob.HEAD + big + cobertura_class(tag) + big.replace(b"pkg/a.py", b"pkg/c.py") + cob.TAIL
    chunks = [doc[i : i + (1 << 20)] for i in range(0, len(doc), 1 << 20)]
    regions, callbacks = cob.both(doc, chunks)
    assert regions == callbacks


MISSING = (
    b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)" '
    b'missing-branches="\xc3\xa9"/>'
)


@pytest.mark.parametrize("encoding", [b"US-ASCII", b"ascii", b"utf8", b"UTF-8"])
def test_expat_parses_non_ascii_itself_unless_the_document_says_utf_8(encoding: bytes) -> None:
    """Expat refuses every byte past ASCII under "US-ASCII", "ascii" and "utf8" (its fallback
    for a name it does not know): the region reader's proof of UTF-8 is not expat's."""
    head = cob.HEAD.replace(b"?>", b' encoding="' + encoding + b'"?>', 1)
    doc = (
        head + cob.PLAIN + cobertura_class(MISSING) + cob.PLAIN.replace(b"a.py", b"c.py") + cob.TAIL
    )
    regions, callbacks = cob.both(doc)
    assert regions == callbacks
    assert (regions[0] is ReportError) == (encoding != b"UTF-8")


JACOCO = {
    "a value's digits before its quotes": b'<line nr=3"" mi="0" ci="1" mb="0" cb="0"/>',
    "an empty value and a digit in the text after the tag": (
        b'<line nr="3" mi="0" ci="1" mb="2" cb=""/>1'
    ),
    "an empty value and a digit in the next name": b'<line nr="3" mi="0" ci="1" mb="" c2b="1"/>',
    "an empty line number and a digit before the tag": b'1<line nr="" mi="0" ci="1" mb="0" cb="0"/>',
}


@pytest.mark.parametrize("tag", JACOCO.values(), ids=JACOCO.keys())
def test_jacoco_leaves_them_to_the_callbacks(tag: bytes) -> None:
    middle = jac.source(jac.line(1, 0, 1), tag, jac.line(9, 1, 0), name=b"B.java")
    assert jacoco._read_region(middle, "com/ex") is None
    doc = jac.HEAD + jac.PLAIN + middle + jac.PLAIN.replace(b"A.java", b"Z.java") + jac.TAIL
    regions, callbacks = jac.both(doc)
    assert regions == callbacks
    assert jac.both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


def test_missing_branches_anywhere_among_the_attributes_whatever_the_batch() -> None:
    """The callbacks read `missing-branches` in bulk where coverage.py writes it (fifth) and one
    line at a time elsewhere; where the batch is cut (the pause after a `</class>`) must not
    decide whether it is read (found by the second review)."""
    doc = (
        b'<coverage version="7.6.1">\n<class filename="a.py"><lines>\n'
        b'<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)" x="y" '
        b'missing-branches="7"/>\n</lines></class>\n<line number="1" hits="1"/>\n'
        b'<class filename="b.py"></class>\n</coverage>'
    )
    regions, callbacks = cob.both(doc)
    assert regions == callbacks
    assert callbacks[1][0] is not None and callbacks[1][0][2].missed == frozenset({"7"})


@pytest.mark.parametrize("digits", [4300, 4301, 10_000])
def test_a_branch_count_past_pythons_digit_limit_is_out_of_range_in_every_chunking(
    digits: int,
) -> None:
    """`int()` refuses more than 4,300 digits: such a count is out of range like any count past
    10**6 (no branch data), not an error escaping `parse` or one read as an encoding's (found by
    the third review)."""
    tag = (
        b'<line number="5" hits="1" branch="true" condition-coverage="(' + b"9" * digits + b'/2)"/>'
    )
    doc = cob.HEAD + cob.klass(cob.lines(tag)) + cob.PLAIN.replace(b"a.py", b"c.py") + cob.TAIL
    regions, callbacks = cob.both(doc)
    assert regions == callbacks
    files = {entry[0]: entry for entry in callbacks[0]}
    assert files["pkg/a.py"][1] == [5] and files["pkg/a.py"][3] == []  # no branch data
    for size in (7, 97, 1 << 20):
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        assert cob.both(doc, chunks)[0] == callbacks
