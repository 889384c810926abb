"""The one strict JSON reader for covaction's documents, and the field checks they share.

Strict: UTF-8 only, no key twice in one object, no NaN or Infinity, optionally no fractional
number, a size cap, and nesting bounded. Field checks accept ASCII digits only: `\\d` in a
Python pattern also matches other scripts' digits, which no document of ours contains.
`Fields` reads a parsed document's values by type, failing with one line that names where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from covaction.errors import DocumentError

COMMIT = re.compile(r"(?:[0-9a-f]{40}|[0-9a-f]{64})?", re.ASCII)
FULL_SHA = re.compile(r"[0-9a-f]{40}", re.ASCII)
REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}", re.ASCII)
RUN_ID = re.compile(r"[0-9]{0,20}", re.ASCII)
TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# HTML that GitHub renders (or strips), comments, autolinks and inline links: covaction writes
# none of these in a string; in a document they mean someone edited it.
MARKUP = re.compile(
    r"(?i)<!--|<\s*/?\s*(?:a|abbr|b|blockquote|br|code|dd|del|details|div|dl|dt|em|embed|"
    r"form|h[1-6]|hr|i|iframe|img|input|ins|kbd|li|link|math|meta|object|ol|p|picture|pre|q|"
    r"s|samp|script|section|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|"
    r"td|textarea|th|thead|tr|tt|u|ul|var|video)\b|<(?:https?|mailto|ftp|javascript|data):|"
    r"\]\s*\("
)


def parse_time(text: str) -> datetime | None:
    """An ISO 8601 time with a zone, as covaction writes it; None for anything else."""
    if not TIME.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def loads(
    data: bytes,
    *,
    max_bytes: int,
    error: Callable[[str], DocumentError],
    noun: str = "the document",
    fractions: bool = True,
    bom: bool = False,
) -> Any:
    """The parsed document; `error(message)` builds the exception for each refusal, whose
    message names the document as `noun`. `bom`: a leading UTF-8 byte-order mark is allowed
    (files a person may have saved with an editor)."""
    if len(data) > max_bytes:
        raise error(f"{noun} is {len(data):,} bytes, over the {max_bytes:,} allowed")
    try:
        text = data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        raise error(f"{noun} is not UTF-8 text") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_refuse("NaN or Infinity"),
            parse_float=None if fractions else _refuse("a fractional number"),
        )
    except RecursionError:
        raise error(f"{noun} nests too deeply") from None
    except ValueError as exc:
        raise error(f"{noun} is not valid JSON ({str(exc)[:120]})") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = CONTROL.sub("?", key[:60]).replace("`", "'")
                raise ValueError(f"duplicate key `{shown}`")
            seen.add(key)
    return doc


def _refuse(what: str) -> Callable[[str], Any]:
    def refuse(_text: str) -> Any:
        raise ValueError(f"{what} where a count belongs")

    return refuse


class Fields:
    """Reads a parsed document's values by type; each refusal is `error("<where>: <what>")`,
    `where` naming the value as a path (`coverage.files[3].path`)."""

    def __init__(self, error: Callable[[str], DocumentError]) -> None:
        self.error = error

    def fail(self, where: str, what: str) -> DocumentError:
        return self.error(f"{where}: {what}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        return value

    def seq(self, value: Any, where: str, limit: int) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list")
        if len(value) > limit:
            raise self.fail(where, f"holds {len(value):,} entries, more than the {limit:,} allowed")
        return value

    def items(self, value: Any, where: str, limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """(where, object) for each entry of a list of objects."""
        for i, item in enumerate(self.seq(value, where, limit)):
            yield f"{where}[{i}]", self.obj(item, f"{where}[{i}]")

    def boolean(self, value: Any, where: str) -> bool:
        if type(value) is not bool:
            raise self.fail(where, "must be true or false")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if type(value) is not int or not low <= value <= high:
            raise self.fail(where, f"must be a whole number from {low:,} to {high:,}")
        return value

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(where, f"must be one of {', '.join(choices)}")
        return str(value)

    def text(
        self, value: Any, where: str, limit: int = 2000, pattern: re.Pattern[str] | None = None
    ) -> str:
        """A string of at most `limit` characters matching `pattern`; without one, free text
        that holds no control or bidirectional character, HTML or Markdown link."""
        if not isinstance(value, str):
            raise self.fail(where, "must be a string")
        if len(value) > limit:
            raise self.fail(
                where, f"is {len(value):,} characters long, more than the {limit:,} allowed"
            )
        if pattern is not None:
            if not pattern.fullmatch(value):
                raise self.fail(where, "is not of the expected form")
            return value
        if UNSAFE_CHARS.search(value):
            raise self.fail(where, "holds control or bidirectional characters")
        if MARKUP.search(value):
            raise self.fail(where, "holds HTML or a Markdown link, which covaction never writes")
        return value

    def texts(self, value: Any, where: str, limit: int) -> tuple[str, ...]:
        return tuple(
            self.text(v, f"{where}[{i}]") for i, v in enumerate(self.seq(value, where, limit))
        )

    def path(self, value: Any, where: str, limit: int, inside: bool = True) -> str:
        """A non-empty path; `inside`: relative, without `..` (one a link may point at)."""
        path = self.text(value, where, limit)
        if not path:
            raise self.fail(where, "is an empty path")
        if inside and (path.startswith("/") or ".." in path.split("/")):
            raise self.fail(where, "must be a path inside the repository")
        return path

    def lines(self, value: Any, where: str, limit: int, highest: int) -> tuple[int, ...]:
        """Line numbers, strictly ascending, from 1 to `highest`."""
        items = self.seq(value, where, limit)
        previous = 0
        for n in items:
            if type(n) is not int or not previous < n <= highest:
                raise self.fail(where, f"must hold ascending line numbers from 1 to {highest:,}")
            previous = n
        return tuple(items)
