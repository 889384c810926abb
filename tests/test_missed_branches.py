"""coverage.py's `missing-branches` held as one string per file (`model.MissedBranches`)."""

from __future__ import annotations

from array import array

from hypothesis import given
from hypothesis import strategies as st

from covaction.model import MissedBranches

TEXTS = st.sampled_from(["", "5", "11,13", "-1", "12, 40", "exit"])


@given(st.lists(st.tuples(st.integers(1, 30), TEXTS), max_size=25))
def test_texts_in_document_order_read_as_the_mapping_of_them(
    given_texts: list[tuple[int, str]],
) -> None:
    """From the lines in document order and their texts joined by NUL (lines out of order,
    a line given twice: its later text) the same branch ids as from the {line: text}."""
    lines = array("q", range(1, 31))
    mlines = array("q", [line for line, _text in given_texts])
    joined = "\0".join(text for _line, text in given_texts)
    made = MissedBranches.from_texts(lines, mlines, joined)
    expected = MissedBranches(lines, dict(given_texts))
    assert dict(made.items()) == dict(expected.items())
    assert made[7].missed == frozenset(
        x.strip() for x in dict(given_texts).get(7, "").split(",") if x.strip()
    )
