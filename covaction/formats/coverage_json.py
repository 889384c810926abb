"""coverage.py's JSON report (`coverage json`) into the model.

Coverable lines are `executed_lines` + `missing_lines` (excluded lines are not coverable), covered
lines are `executed_lines`. Branches are counted per source line from `executed_branches` and
`missing_branches` (arcs `[from, to]`): a line's total is the number of arcs leaving it, its
covered count the executed ones, exactly as coverage.py's own totals count them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from covaction.errors import ReportError
from covaction.model import (
    BRANCHES,
    LINES,
    LINES_AND_BRANCHES,
    BranchIds,
    FileCoverage,
    ParsedReport,
)

FORMAT = "coverage-json"
_MAX_LINE = 10_000_000
# json.loads holds the whole document as Python objects, several times its size: a cap keeps
# a hostile file from exhausting the runner's memory (real reports of big monorepos stay far
# below it).
MAX_BYTES = 256 * 1024 * 1024


def sniff(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{") and b'"meta"' in head and b'"files"' in head


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a coverage report may hold")


def loads(data: bytes, origin: str) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, bounded nesting; one ReportError otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportError(f"{origin}: not UTF-8 text; expected a JSON document") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ReportError(f"{origin}: the JSON nests too deeply to be a coverage report") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            raise ReportError(
                f"{origin}: the JSON holds a number with thousands of digits"
            ) from None
        raise ReportError(f"{origin}: not valid JSON ({str(exc)[:200]})") from None


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    parts = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_BYTES:
            raise ReportError(
                f"{origin}: the JSON report is over {MAX_BYTES // (1024 * 1024)} MiB; use the "
                "Cobertura XML or the .coverage data file for a project this large"
            )
        parts.append(chunk)
    return from_document(loads(b"".join(parts), origin), origin)


def _lines(value: Any, origin: str, path: str, key: str) -> list[int]:
    if not isinstance(value, list) or not all(type(n) is int and 0 < n <= _MAX_LINE for n in value):
        raise ReportError(
            f"{origin}: files[{path[:200]!r}].{key} must be a list of line numbers "
            "(is this coverage.py's `coverage json` output?)"
        )
    return value


def _arcs(value: Any, origin: str, path: str, key: str) -> list[list[int]]:
    if not isinstance(value, list) or not all(
        isinstance(a, list)
        and len(a) == 2
        and type(a[0]) is int
        and type(a[1]) is int
        and 0 < a[0] <= _MAX_LINE
        and abs(a[1]) <= _MAX_LINE
        for a in value
    ):
        raise ReportError(
            f"{origin}: files[{path[:200]!r}].{key} must be a list of [from, to] arcs"
        )
    return value


def from_document(doc: Any, origin: str) -> ParsedReport:
    """Validate the shape of a coverage.py JSON report and convert it."""
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        raise ReportError(
            f'{origin}: a JSON object with a "files" mapping was expected '
            "(produce it with `coverage json`)"
        )
    meta = doc.get("meta")
    branch_data = isinstance(meta, dict) and meta.get("branch_coverage") is True
    files = []
    for path, entry in doc["files"].items():
        if not isinstance(entry, dict):
            raise ReportError(f"{origin}: files[{path[:200]!r}] must be an object")
        executed = _lines(entry.get("executed_lines", []), origin, path, "executed_lines")
        missing = _lines(entry.get("missing_lines", []), origin, path, "missing_lines")
        hits = dict.fromkeys(missing, 0)
        hits.update(dict.fromkeys(executed, 1))
        branches: dict[int, tuple[int, int]] = {}
        known: dict[int, set[str]] = {}
        missed: dict[int, set[str]] = {}
        if "executed_branches" in entry or "missing_branches" in entry:
            branch_data = True
            for arc in _arcs(entry.get("executed_branches", []), origin, path, "executed_branches"):
                c, t = branches.get(arc[0], (0, 0))
                branches[arc[0]] = (c + 1, t + 1)
                known.setdefault(arc[0], set()).add(f"{arc[0]}->{arc[1]}")
            for arc in _arcs(entry.get("missing_branches", []), origin, path, "missing_branches"):
                c, t = branches.get(arc[0], (0, 0))
                branches[arc[0]] = (c, t + 1)
                known.setdefault(arc[0], set()).add(f"{arc[0]}->{arc[1]}")
                missed.setdefault(arc[0], set()).add(f"{arc[0]}->{arc[1]}")
        # Arcs name every branch, so reports merge as `coverage combine` unions them.
        ids = {
            n: BranchIds(frozenset(missed.get(n, ())), frozenset(arcs)) for n, arcs in known.items()
        }
        files.append(FileCoverage.from_mappings(path, hits, branches, branch_ids=ids))
    return ParsedReport(
        format=FORMAT,
        files=tuple(files),
        has_branches=branch_data,
        origin=origin,
        producer="coverage.py",
        metric=LINES_AND_BRANCHES,
        metrics=(LINES, BRANCHES, LINES_AND_BRANCHES),
        rule="statements and branches together, as coverage.py's `coverage report`",
    )
