"""Making strings from reports, paths and workflows inert in GitHub Markdown.

An untrusted string is shown as a code span: inside one GitHub renders no emphasis, link, image,
HTML, @mention or #reference. Around that: control and bidirectional-override characters become
visible escapes (a right-to-left override could disguise a path), newlines cannot end a table
row, `|` is escaped in table cells (GFM splits table cells even inside code spans), the fence is
longer than any backtick run inside, and very long strings are shortened in the middle.

Prose from outside (a reason, a server's message) goes through `text`: every Markdown and HTML
character is backslash-escaped, and `@`/`#` are kept from forming a mention or reference.
`note` is for our own sentences that quote outside values between backticks.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_NON_ASCII = re.compile("[^\x00-\x7f]")
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
# Characters that start an inline construct anywhere: code, emphasis, links and images (`[`),
# HTML and autolinks (`<`, `:` of a scheme), strikethrough, table cells, math, entities.
_TEXT_SPECIAL = re.compile(r"([\\`*_\[\]<>~|$&:])")
# Characters that start a block at the beginning of a line: heading, list, quote, rule, setext.
_LINE_START = re.compile(r"^([#+\-=>]|\d{1,9}(?=[.)]))")
_WWW = re.compile(r"(?i)(?<![a-z0-9])(www)\.")  # GFM links `www.` after `_`, `*`, `~`, `(` too
_GH_REF = re.compile(r"(?i)\b(gh)-(?=\d)")
_BACKTICKS = re.compile(r"`+")
# Joined after `@` and `#` so that GitHub links no mention or issue reference; it is invisible.
WORD_JOINER = "\u2060"


def _show(ch: str) -> str:
    return f"\\u{ord(ch):04x}"


def visible(text: str) -> str:
    """Control, format, private-use and bidi characters as `\\u202e`-style escapes.

    Unassigned code points are shown too: a renderer newer than this Python may give them a
    meaning (a new bidi control, say).
    """
    if text.isprintable():
        # Every character this shows is one Python does not call printable (control, format,
        # surrogate, private use, unassigned, line and paragraph separators): nothing to show
        # (a path or a cell of line numbers ending in "…", as a rule).
        return text
    text = _INVISIBLE.sub(lambda m: _show(m.group(0)), text)
    if text.isascii():
        return text
    return _NON_ASCII.sub(_hidden, text)  # the categories of the other characters only


def _hidden(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _show(ch) if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, keeping the start and the (more telling) end of a path."""
    if len(text) <= limit:
        return text
    keep = max(limit - 1, 2)
    head = keep // 3
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def code(text: str, limit: int = 120, table: bool = True) -> str:
    """An inert inline code span for any untrusted string.

    `table=True` (the default) escapes `|` as GFM table cells need; outside a table pass False,
    or the backslash would show.
    """
    body = shorten(visible(text), limit)
    if table:
        body = body.replace("|", "\\|")
    longest = max(map(len, _BACKTICKS.findall(body)), default=0) if "`" in body else 0
    fence = "`" * (longest + 1)
    if not body:
        body = " "
    elif (
        body.startswith("`")
        or body.endswith("`")
        or (body.startswith(" ") and body.endswith(" ") and body.strip(" "))
    ):
        # CommonMark strips one space at each end when both are present (and the span is not
        # all spaces): pad so that it strips ours and shows the string as it is.
        body = f" {body} "
    return f"{fence}{body}{fence}"


def inline(text: str, limit: int = 120) -> str:
    """`code` for use outside a table (in prose, lists, headings)."""
    return code(text, limit, table=False)


def text(value: str, limit: int = 300) -> str:
    """Plain prose from outside, inert: every character that could open Markdown or HTML is
    backslash-escaped (block markers only at the start, where they act), `www.` and `GH-1`
    cannot autolink, and `@` and `#` are followed by a word joiner so GitHub links no mention
    or reference.
    """
    out = _TEXT_SPECIAL.sub(r"\\\1", shorten(visible(value), limit))
    out = _LINE_START.sub(_escape_line_start, out)
    out = _WWW.sub(r"\1\\.", out)  # GitHub links `www.` even without a scheme
    out = _GH_REF.sub(r"\1-" + WORD_JOINER, out)  # `GH-123` is an issue reference
    return out.replace("@", "@" + WORD_JOINER).replace("#", "#" + WORD_JOINER)


def _escape_line_start(m: re.Match[str]) -> str:
    lead = m.group(1)
    # `1.` starts an ordered list: the escape goes on the punctuation after the digits.
    return lead + "\\" if lead[0].isdigit() else "\\" + lead


def note(value: str, limit: int = 1000, table: bool = False) -> str:
    """One of our sentences that may quote outside values between single backticks.

    The quoted parts become code spans and the rest is escaped like `text`, so the sentence
    reads as intended and stays inert whatever the quoted values hold. An odd number of
    backticks (a value that itself held one) makes the whole sentence plain escaped text.
    """
    value = shorten(value, limit)
    parts = value.split("`")
    if len(parts) % 2 == 0:
        return text(value, limit)
    return "".join(
        code(part, limit, table=table) if i % 2 else text(part, limit)
        for i, part in enumerate(parts)
    )
