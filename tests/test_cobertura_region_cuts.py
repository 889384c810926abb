"""The Cobertura region reader's cheaper cuts give what the callback reader gives.

gcovr's `<conditions>` children, Istanbul's `<methods>` blocks and coverage.py's
`missing-branches` are cut out of a region with byte searches and splits, and hit counts
become 0 or 1 without a Python object per line; each test here reads a document both ways
(`tests/cobertura_documents.py`) and counts the regions the region reader took, so that it fails
if a cut silently stops engaging or reads anything differently.
"""

from __future__ import annotations

import pytest

from covaction.formats.regions import RegionStats
from covaction.model import BranchIds
from tests.cobertura_documents import HEAD, PLAIN, TAIL, both, klass, lines


@pytest.fixture
def stats() -> RegionStats:
    """Counts the regions the region reader read and those it handed to the callbacks."""
    return RegionStats()


def test_a_methods_block_after_a_class_without_one_is_cut_too(stats: RegionStats) -> None:
    # The region reader looks for a <methods> block right after each class tag (Istanbul
    # writes one in every class, coverage.py `<methods/>`), not in the first class only.
    methods = (
        b'<methods><method name="f" signature="()V"><lines><line number="1" hits="9"/>'
        b'<line number="99" hits="1"/></lines></method></methods>'
    )
    tag = b'<class name="b" filename="pkg/b.py">'
    second = b"\t\t\t\t" + tag + methods + lines(b'<line number="1" hits="0"/>') + b"</class>\n"
    middle = PLAIN + second
    doc = HEAD + middle + TAIL
    regions, callbacks = both(doc, [HEAD, middle, TAIL], stats=stats)
    assert regions == callbacks
    assert [f[1] for f in regions[0] if f[0] == "pkg/b.py"] == [[1]]  # 99 is a method's line
    assert (stats.read, stats.declined) == (1, 0)


def test_a_methods_block_away_from_its_class_tag_is_read_by_the_callbacks(
    stats: RegionStats,
) -> None:
    methods = b'<methods><method name="f" signature="()V"><lines><line number="99" hits="1"/>'
    methods += b"</lines></method></methods>"
    tag = b'<class name="b" filename="pkg/b.py">'
    far = b"\t\t\t\t" + tag + b" " * 300 + methods + lines(b'<line number="1" hits="0"/>')
    middle = PLAIN + far + b"</class>\n"
    regions, callbacks = both(HEAD + middle + TAIL, [HEAD, middle, TAIL], stats=stats)
    assert regions == callbacks
    assert [f[1] for f in regions[0] if f[0] == "pkg/b.py"] == [[1]]
    assert (stats.read, stats.declined) == (0, 1)


def test_nested_methods_blocks_are_read_by_the_callbacks(stats: RegionStats) -> None:
    # The callbacks skip to the first end of a `methods` element: a block holding another
    # start could end elsewhere, so the region reader does not cut it.
    methods = b"<methods><method><methods></methods></method></methods>"
    tag = b'<class name="b" filename="pkg/b.py">'
    nested = b"\t\t\t\t" + tag + methods + lines(b'<line number="1" hits="0"/>')
    middle = PLAIN + nested + b"</class>\n"
    regions, callbacks = both(HEAD + middle + TAIL, [HEAD, middle, TAIL], stats=stats)
    assert regions == callbacks
    assert (stats.read, stats.declined) == (0, 1)


def test_gcovr_conditions_on_one_line_are_read_as_regions_and_agree(stats: RegionStats) -> None:
    # gcovr without --xml-pretty: no whitespace around the children.
    body = lines(
        b'<line number="5" hits="2" branch="true" condition-coverage="75% (3/4)"><conditions>'
        b'<condition number="0" type="jump" coverage="75%"/></conditions></line>',
        b'<line number="6" hits="0" branch="false"/>',
        b'<line number="7" hits="0" branch="true" condition-coverage="0% (0/2)"><conditions>'
        b'<condition number="0" type="jump" coverage="0%"/></conditions></line>',
    )
    regions, callbacks = both(HEAD + klass(body, b"src/main.c") + TAIL, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["src/main.c"][1:] == ([5, 6, 7], [1, 0, 0], [5, 7], [4, 2], [3, 0])
    assert stats.read == 1 and stats.declined == 0, (stats.read, stats.declined)


def test_hit_counts_past_one_byte_and_missing_branches_given_twice(stats: RegionStats) -> None:
    # Counts of 256 and more take another way to "covered" than coverage.py's 0 and 1; a line
    # whose missing-branches come twice (one file in two classes) keeps the later, as the
    # callbacks' dict does; a non-ASCII id keeps its characters.
    first = lines(
        b'<line number="1" hits="256"/>',
        b'<line number="2" hits="0" branch="true" condition-coverage="0% (0/2)" '
        b'missing-branches="3,\xc3\xa9"/>',
        b'<line number="3" hits="100000000000000000000"/>',
    )
    second = lines(
        b'<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)" '
        b'missing-branches="exit"/>',
        b'<line number="4" hits="300"/>',
    )
    doc = HEAD + klass(first) + klass(second) + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["pkg/a.py"][1:3] == ([1, 2, 3, 4], [1, 1, 1, 1])
    ids = dict(zip([f[0] for f in regions[0]], regions[1], strict=True))["pkg/a.py"]
    assert ids == {2: BranchIds(frozenset({"exit"}))}
    assert stats.read == 2 and stats.declined == 0, (stats.read, stats.declined)


BRANCH = b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>'
ODD_FLAGS = {
    # coverage.py's kinds (no branch="false"): a flag only in the branch lines
    "coverage.py, digit before the hyphen": [
        b'<line number="1" hits="1"/>',
        b'<line number="2" hits="1" branch="true" condition5-coverage="50% (1/2)"/>',
        BRANCH,
    ],
    # Istanbul's and gcovr's kinds (a branch attribute on every line): a flag on every line
    "Istanbul, digit before false": [
        b'<line number="1" hits="1" branch="9false"/>',
        b'<line number="2" hits="0" branch="false"/>',
        BRANCH,
    ],
    "Istanbul, digit before the hyphen": [
        b'<line number="1" hits="1" branch="false"/>',
        b'<line number="2" hits="1" branch="true" 7condition-coverage="50% (1/2)"/>',
        BRANCH,
    ],
    # both kinds together
    "mixed, digit before false": [
        b'<line number="1" hits="1"/>',
        b'<line number="2" hits="0" branch="9false"/>',
        BRANCH,
    ],
}


@pytest.mark.parametrize("tags", ODD_FLAGS.values(), ids=ODD_FLAGS.keys())
def test_a_digit_beside_a_flag_sends_the_region_to_the_callbacks(
    tags: list[bytes], stats: RegionStats
) -> None:
    # The branch attribute's value, or the hyphen of condition-coverage, is a 0 in the region
    # reader's integers; a digit just before it makes another number there, in every layout
    # (the region holds this class alone: its tags decide which layout is read).
    middle = klass(lines(*tags), b"pkg/b.py")
    regions, callbacks = both(HEAD + middle + TAIL, [HEAD, middle, TAIL], stats=stats)
    assert regions == callbacks
    assert (stats.read, stats.declined) == (0, 1)
