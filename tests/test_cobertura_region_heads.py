"""The Cobertura region reader searches a block's head for what it must cut; the rest agrees.

gcovr's `<conditions>` children and coverage.py's `missing-branches` are looked for in the
first `HEAD_SEARCH` bytes of a region's line tags only. A region whose first of them lies
further on must still be read as a region (cut, then read again), with exactly the callbacks'
result; one holding an unreadable shape there is still declined.
"""

from __future__ import annotations

import pytest

from covaction.formats._cobertura_regions import HEAD_SEARCH
from covaction.formats.regions import RegionStats
from tests.cobertura_documents import HEAD, PLAIN, TAIL, both, klass, lines

# Plain lines filling more than the searched head of the class's block.
FILLER = [b'<line number="%d" hits="%d"/>' % (n, n % 2) for n in range(1, HEAD_SEARCH // 20)]
LAST = len(FILLER) + 1
GCOVR_LINE = (
    b'<line number="%d" hits="2" branch="true" condition-coverage="75%% (3/4)">'
    b'<conditions><condition number="0" type="jump" coverage="75%%"/></conditions></line>' % LAST
)
MISSING_LINE = (
    b'<line number="%d" hits="1" branch="true" condition-coverage="50%% (1/2)" '
    b'missing-branches="7"/>' % LAST
)


def read_before() -> int:
    """Regions read in the document without the large class."""
    stats = RegionStats()
    both(HEAD + PLAIN + TAIL, stats=stats)
    return stats.read


@pytest.mark.parametrize("tail", [GCOVR_LINE, MISSING_LINE], ids=["conditions", "missing"])
def test_cut_past_the_head_is_read_as_a_region(tail: bytes) -> None:
    stats = RegionStats()
    doc = HEAD + PLAIN + klass(lines(*FILLER, tail), b"pkg/big.py") + TAIL
    assert len(lines(*FILLER)) > HEAD_SEARCH
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    big = next(f for f in regions[0] if f[0] == "pkg/big.py")
    assert big[1] == list(range(1, LAST + 1))
    assert big[3] == [LAST]  # the branch line past the head
    assert stats.read == read_before() + 1 and stats.declined == 0, (stats.read, stats.declined)


def test_an_unknown_shape_past_the_head_is_declined() -> None:
    stats = RegionStats()
    odd = b'<line number="%d" hits="1" branch="true" condition-coverage="50%% (1/2)" x="1"/>'
    doc = HEAD + PLAIN + klass(lines(*FILLER, odd % LAST), b"pkg/big.py") + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert stats.read == read_before() and stats.declined == 1, (stats.read, stats.declined)
