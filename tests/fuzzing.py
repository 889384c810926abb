"""Shared fuzzing helpers: Hypothesis settings, hostile tokens, seed mutation (bytes and JSON
values), stream cutting.

Property tests over parsers of outside input import these from here (never from another test
module). `COVACTION_FUZZ_EXAMPLES` raises the number of examples for a run by hand.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from covaction.errors import CovactionError

__all__ = [
    "EDITS",
    "EXAMPLES",
    "JSON_VALUE",
    "NUMBERS",
    "TOKENS",
    "chunked",
    "edited_json",
    "fuzz",
    "mutated",
    "outcome",
    "shape",
]

EXAMPLES = int(os.environ.get("COVACTION_FUZZ_EXAMPLES", "") or 200)

fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis directory in the tree
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


# Bytes that make parsers trip: delimiters, XML/JSON syntax, numbers at their limits, odd text.
TOKENS = [
    b"<",
    b">",
    b"/>",
    b"</",
    b'"',
    b"'",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x110000;",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"<![CDATA[",
    b"]]>",
    b"<?xml version='1.0' encoding='latin-1'?>",
    b"<?pi?>",
    b"<!--",
    b"-->",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"-0",
    b"0.5",
    b"9" * 30,
    b"-1",
    b"0",
    b"2147483648",
    b"4294967296",
    b"18446744073709551616",
    b"\n",
    b"\r",
    b"\r\n",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf0\x9f\x92\xa9",
    b"\t",
    b" ",
    b"SF:",
    b"DA:",
    b"BRDA:",
    b"end_of_record",
    b"mode: set",
    b"mode: count",
    b".go:",
    b"1.1,2.2 1 1",
    b'number="',
    b'hits="',
    b'filename="',
    b'condition-coverage="50% (1/2)"',
    b'branch="true"',
    b'nr="',
    b'mi="',
    b'ci="',
    b'mb="',
    b'cb="',
    b'num="',
    b'count="',
    b'type="stmt"',
    b'type="cond"',
    b'truecount="',
    b'falsecount="',
    b"<line",
    b"<class",
    b"<sourcefile",
    b"<file",
    b"<package",
    b'"executed_lines"',
    b'"missing_lines"',
    b'"missing_joins"',
    b'"producers"',
    b'"coverage.py"',
    b'"executed_branches"',
    b'"files"',
    b'"meta"',
    b"\\u0000",
    b"\\ud800",
    b"\\",
    b"%",
    b"%0A",
    b"::error::x",
]


NUMBERS = [
    b"0",
    b"-1",
    b"1",
    b"2147483647",
    b"2147483648",
    b"9" * 25,
    b"1.5",
    b"1e9",
    b"-0",
    b"00",
    b"",
    b" 3 ",
]
# Edits weighted toward those that keep the document's shape, so parsers get past their syntax
# checks and meet wrong values in the middle of well-formed structure.
EDITS = (
    ["number"] * 4
    + ["dup"] * 2
    + ["token"] * 2
    + ["flip", "insert", "delete", "splice", "truncate"]
)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few random edits: the shape is right, something in it is wrong."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(EDITS))
        at = draw(st.integers(0, len(data)))
        if kind == "number":
            digits = [i for i in range(len(data)) if 48 <= data[i] <= 57]
            if digits:
                i = digits[draw(st.integers(0, len(digits) - 1))]
                j = i
                while j < len(data) and 48 <= data[j] <= 57:
                    j += 1
                data[i:j] = draw(st.sampled_from(NUMBERS))
        elif kind == "flip" and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif kind == "splice":
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start : start + draw(st.integers(1, 200))]
        elif kind == "dup" and data:
            # A whole line repeated: the same element or record twice, or many times.
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data[end:end] = data[start:end] * draw(st.integers(1, 20))
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at `cuts` (taken modulo its length): the pieces a stream could arrive in."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    out, last = [], 0
    for p in points:
        out.append(data[last:p])
        last = p
    out.append(data[last:])
    return out


def outcome(fn: Callable[[], Any]) -> Any:
    """The value, or the CovactionError class it raised; anything else fails the test."""
    try:
        return fn()
    except CovactionError as exc:
        assert str(exc), "an error must say what is wrong"
        return type(exc)


def shape(report: Any) -> list[tuple[Any, ...]]:
    """A parsed report's files as plain values (FileCoverage compares by identity)."""
    return [
        (
            f.path,
            list(f.lines),
            list(f.hits),
            list(f.branch_lines),
            list(f.branch_total),
            list(f.branch_covered),
        )
        for f in report.files
    ]


# Any JSON value, small: for documents whose every field may be of the wrong type.
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _slots(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every value inside a parsed JSON document, the document itself first."""
    out = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _slots(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _slots(item, (*at, i))
    return out


# Values that keep a document's shape plausible: counts, line lists, statuses, texts.
PLAUSIBLE = st.one_of(
    st.integers(-2, 12),
    st.sampled_from([0, 1, 10**9, 10**9 + 1, 10**8, 2**63, True, False, None, "", "1"]),
    st.lists(st.integers(0, 40), max_size=6),
    st.lists(st.integers(1, 40), max_size=6, unique=True).map(sorted),
    st.sampled_from(["changed", "new", "deleted", "added", "statements", "branches", "off",
                     "fail", "1-3, 7", "3, 1", "5-2", "100.00", "x/../y", "/abs", "a.py",
                     "101", "111", "0", "1", "coverage.py"]),
    st.sampled_from(["coverage.py", "LCOV"]).map(lambda p: [p]),  # a new list each time
    JSON_VALUE,
)  # fmt: skip


@st.composite
def edited_json(draw: st.DrawFn, seed: bytes) -> bytes:
    """A JSON seed with one to four values replaced or removed (lists appended to): a document
    of the right shape whose values are wrong, inconsistent or of the wrong type."""
    doc = json.loads(seed)
    for _ in range(draw(st.integers(1, 4))):
        slots = _slots(doc)[1:]
        if not slots:
            break
        at = draw(st.sampled_from(slots))
        parent = doc
        for key in at[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace"] * 4 + ["remove", "append"]))
        if action == "remove":
            del parent[at[-1]]
        elif action == "append" and isinstance(parent[at[-1]], list) and parent[at[-1]]:
            items = parent[at[-1]]
            items.append(json.loads(json.dumps(draw(st.sampled_from(items)))))
        else:
            parent[at[-1]] = draw(PLAUSIBLE)
    return json.dumps(doc).encode()
