"""The one strict JSON reader for covaction's documents, and the field checks they share.

Strict: UTF-8 only, no key twice in one object, no NaN or Infinity, optionally no fractional
number, a size cap, and nesting bounded. Field checks accept ASCII digits only: `\\d` in a
Python pattern also matches other scripts' digits, which no document of ours contains.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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
