"""Pagination exactly as contract C.1: `per_page`/`page` parsing and the `Link` header."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    link: str | None


def _int(value: str | None, default: int) -> int:
    try:
        parsed = int(value) if value is not None else default
    except ValueError:
        return default
    return parsed if parsed >= 1 else default


def paginate(
    items: Sequence[T],
    query: Sequence[tuple[str, str]],
    link_base: str,
    *,
    default_per_page: int = 30,
    max_per_page: int = 100,
) -> Page[T]:
    """Cut one page out of `items` and build its `Link` header.

    `link_base` is the absolute URL without query (`BASE/repositories/{id}/...`). The original
    query parameters are kept in order (including `per_page` as given); `page=` goes last.
    """
    params = dict(query)
    per_page = min(_int(params.get("per_page"), default_per_page), max_per_page)
    page = _int(params.get("page"), 1)
    last = max(1, math.ceil(len(items) / per_page))
    start = (page - 1) * per_page
    chunk = list(items[start : start + per_page])

    kept = [(k, v) for k, v in query if k != "page"]

    def url(n: int) -> str:
        return f"{link_base}?{urlencode([*kept, ('page', str(n))])}"

    rels: list[tuple[str, int]] = []
    if page > 1:
        rels.append(("prev", min(page - 1, last)))
    if page < last:
        rels += [("next", page + 1), ("last", last)]
    if page > 1:
        rels.append(("first", 1))
    if not rels and "page" in params:
        rels.append(("first", 1))
    link = ", ".join(f'<{url(n)}>; rel="{rel}"' for rel, n in rels) or None
    return Page(chunk, link)
