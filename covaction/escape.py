"""Making strings from reports, paths and workflows inert in GitHub Markdown.

An untrusted string is shown as a code span: inside one GitHub renders no emphasis, link, image,
HTML, @mention or #reference. Around that: control and bidirectional-override characters become
visible escapes (a right-to-left override could disguise a path), newlines cannot end a table
row, `|` is escaped (GFM splits table cells even inside code spans), the fence is longer than any
backtick run inside, and very long strings are shortened in the middle.
"""

from __future__ import annotations

import re
import unicodedata

_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_TEXT_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~@&:=\"'$])")


def visible(text: str) -> str:
    """Control, format and bidi characters as `\\u202e`-style escapes."""

    def show(m: re.Match[str]) -> str:
        ch = m.group(0)
        return f"\\u{ord(ch):04x}"

    text = _INVISIBLE.sub(show, text)
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else c
        for c in text
    )


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = max(limit - 1, 2)
    head = keep // 3
    return text[:head] + "…" + text[len(text) - (keep - head) :]


def code(text: str, limit: int = 120, table: bool = True) -> str:
    """An inert inline code span for any untrusted string."""
    body = shorten(visible(text), limit)
    if table:
        body = body.replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return f"{fence}{body}{fence}"


def text(value: str, limit: int = 300) -> str:
    """Plain prose from outside, with every Markdown and HTML character backslash-escaped.

    `@` and `#` are followed by a zero-width joiner so GitHub links no mention or reference.
    """
    out = _TEXT_SPECIAL.sub(r"\\\1", shorten(visible(value), limit))
    return out.replace("@", "@\u2060").replace("#", "#\u2060")
