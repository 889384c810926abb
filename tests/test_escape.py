"""escape: outside strings shown exactly (as visible text) and never live, in GFM.

Each property renders with markdown-it-py in GFM mode (tables on) and reads the result back:
a code span holds exactly the visible form of the string, a table row keeps its cells, and
prose from outside yields no element, link, mention or reference.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from covaction.render import escape
from tests.render_helpers import check_markdown, gfm, split_row

# Characters that matter to Markdown, HTML, tables, GitHub's autolinks and to the runner.
NASTY = [
    *"`|\\*_[]()<>!#@&;:~$=-+.'\"{}^% \t\n\r/",
    "\u202e", "\u2066", "\u200b", "\u2028", "\u0085", "\ufeff", "\x00", "\x1b", "é", "🎉", "\uff57",
]  # fmt: skip
strings = st.text(alphabet=st.sampled_from(NASTY) | st.characters(), max_size=60)
WORDS = ["www.", "http://", "javascript:", "@user", "#12", "GH-3", "<img src=x>", "&amp;", "<!--"]
phrases = st.lists(st.sampled_from(WORDS) | strings, max_size=6).map("".join)


def _codes(rendered: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", rendered, flags=re.S)]


# ---------------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain.py", "`plain.py`"),
        ("a|b", "`a\\|b`"),
        ("`x`", "`` `x` ``"),
        ("a``b", "```a``b```"),
        ("new\nline", "`new\\u000aline`"),
        ("rtl\u202eyp.exe", "`rtl\\u202eyp.exe`"),
        (" both ", "`  both  `"),
        ("", "` `"),
    ],
)
def test_code_examples(value: str, expected: str) -> None:
    assert escape.code(value) == expected


@settings(max_examples=300, deadline=None)
@given(strings)
@example("a\\|b")
@example("\\")
@example("`")
@example(" ` ")
@example("  ")
@example("x\\`")
def test_a_code_cell_shows_the_visible_string_and_keeps_the_row(value: str) -> None:
    """Inside a table cell: one code span holding exactly `visible(value)`; 3 cells stay 3."""
    row = f"| {escape.code(value, 1000)} | 2 | {escape.code(value, 1000)} |"
    md = "| a | b | c |\n|---|---|---|\n" + row + "\n"
    assert len(split_row(row)) == 3
    doc = check_markdown(md)
    assert len(doc.tables) == 1 and len(doc.tables[0].rows) == 1
    codes = _codes(doc.html)
    assert codes == [escape.visible(value) or " "] * 2  # an empty name shows as one space


@settings(max_examples=300, deadline=None)
@given(strings)
def test_an_inline_code_span_shows_the_visible_string(value: str) -> None:
    md = f"- {escape.inline(value, 1000)}: a reason\n"
    doc = check_markdown(md)
    assert _codes(doc.html) == [escape.visible(value) or " "]


def test_code_never_contains_a_line_break() -> None:
    for ch in "\n\r\u2028\u2029\u0085\x0b\x0c":
        assert "\n" not in escape.code(f"a{ch}b") and "\r" not in escape.code(f"a{ch}b")
        assert ch not in escape.code(f"a{ch}b")


def test_long_strings_keep_their_start_and_end() -> None:
    value = "src/" + "deep/" * 1000 + "module.py"
    shown = escape.code(value)
    assert len(shown) <= 122 and shown.startswith("`src/deep") and shown.endswith("module.py`")


def test_lone_surrogates_and_private_use_become_escapes() -> None:
    assert escape.visible("a\udcff\ue000b") == "a\\udcff\\ue000b"


# ---------------------------------------------------------------------------- prose


@pytest.mark.parametrize(
    "value",
    [
        "@octocat please",
        "see #123 and GH-45",
        "<img src=x onerror=alert(1)>",
        "[link](javascript:alert(1))",
        "![img](http://x/y.png)",
        "visit www.evil.example or https://evil.example",
        "**bold** _em_ ~~gone~~ $x^2$",
        "# heading",
        "1. list",
        "- item",
        "> quote",
        "a | b",
        "&lt;entity&gt; &#64;",
        "<!-- hidden",
        "mail me at a@b.example",
    ],
)
def test_text_is_inert_and_reads_the_same(value: str) -> None:
    shown = escape.text(value)
    doc = check_markdown(f"Why: {shown}\n")
    assert re.fullmatch(r"<p>Why: [^<]*</p>\n", doc.html), doc.html
    assert (
        html.unescape(doc.html)[len("<p>Why: ") : -len("</p>\n")].replace(escape.WORD_JOINER, "")
        == value
    )


def test_text_at_the_start_of_a_line_starts_no_block() -> None:
    for value in ["# h", "## h", "1. one", "2) two", "- x", "+ x", "> q", "===", "---"]:
        doc = check_markdown(escape.text(value) + "\n")
        assert doc.html.startswith("<p>"), (value, doc.html)


@settings(max_examples=300, deadline=None)
@given(phrases)
def test_text_never_makes_an_element(value: str) -> None:
    shown = escape.text(value, 1000)
    assert "\n" not in shown and "\r" not in shown
    doc = check_markdown(f"Why: {shown}.\n\n| a |\n|---|\n| {shown} |\n")
    tags = set(re.findall(r"<(/?[a-z0-9]+)", doc.html))
    assert tags <= {"p", "/p", "table", "/table", "thead", "/thead", "tbody", "/tbody", "tr",
                    "/tr", "th", "/th", "td", "/td"}, doc.html  # fmt: skip
    assert len(doc.tables[0].rows) == 1


@settings(max_examples=200, deadline=None)
@given(phrases, phrases)
def test_a_note_quotes_values_as_code_and_escapes_the_rest(before: str, value: str) -> None:
    note = escape.note(f"{before} `{value.replace('`', '')}` after")
    doc = check_markdown(f"*{note}*\n")
    assert "<a " not in doc.html and "<img" not in doc.html


def test_note_examples() -> None:
    assert escape.note("no `covaction-baseline` artifact on `main`") == (
        "no `covaction-baseline` artifact on `main`"
    )
    assert escape.note("odd ` count <b>") == "odd \\` count \\<b\\>"
    assert escape.note("`@team #1` <img>") == "`@team #1` \\<img\\>"


def test_renderer_sees_tables() -> None:
    """The GFM renderer used by these tests has tables on (else every check above is void)."""
    assert "<table>" in gfm().render("| a |\n|---|\n| b |\n")


# Control, format, surrogate, private-use and unassigned characters, line and paragraph
# separators: the bidi overrides and zero-width characters are all among them.
HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def _shown_one_by_one(text: str) -> str:
    """What `visible` promises, character by character."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in HIDDEN else ch for ch in text)


@settings(max_examples=500, deadline=None)
@given(strings)
@example("5, 10-13, …")
@example("\u00a0\u3000 spaces other than space")
def test_visible_shows_each_hidden_character_and_nothing_else(text: str) -> None:
    assert escape.visible(text) == _shown_one_by_one(text)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_text_shows_every_control_character_and_nothing_else(text: str) -> None:
    # Printable ASCII (space to `~`) is shown as it is; every other ASCII character (the C0
    # controls and DEL) as its `\u` escape.
    expected = "".join(ch if " " <= ch <= "~" else f"\\u{ord(ch):04x}" for ch in text)
    assert escape.visible(text) == expected
