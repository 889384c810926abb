"""CoverageReport <-> the versioned baseline JSON that a push to the default branch stores.

Version 1 keeps what a later comparison needs: per-file counts, the totals, where and when it
was measured, and a trend of the branch's last runs. Reading is strict (a baseline may come from
an artifact): wrong shapes, negative or inconsistent counts and oversized documents are refused
with one line; a newer version than this covaction knows is reported, not guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from covaction import __version__
from covaction.errors import CovactionError
from covaction.formats.coverage_json import loads
from covaction.model import Counts, CoverageReport, display_percent

SCHEMA = "covaction-baseline"
VERSION = 1
TREND_POINTS = 50
MAX_BYTES = 64 * 1024 * 1024
MAX_FILES = 200_000
MAX_COUNT = 10**9


class BaselineError(CovactionError):
    """A baseline that cannot be used; the run goes on without one."""


@dataclass(frozen=True, slots=True)
class TrendPoint:
    commit: str
    time: str
    counts: Counts

    @property
    def percent(self) -> str:
        return display_percent(self.counts.percent)


@dataclass(frozen=True, slots=True)
class Baseline:
    commit: str
    branch: str
    created_at: str
    report_name: str
    covaction_version: str
    has_branches: bool
    files: Mapping[str, Counts]
    trend: tuple[TrendPoint, ...]
    run_id: str = ""

    @property
    def counts(self) -> Counts:
        return sum(self.files.values(), Counts())

    def age(self, now: datetime) -> str:
        try:
            then = datetime.fromisoformat(self.created_at.replace("Z", "+00:00"))
        except ValueError:
            return "of unknown age"
        seconds = max(0, int((now - then).total_seconds()))
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                n = seconds // size
                return f"{n} {unit}{'s' if n != 1 else ''} old"
        return "just made"


def _counts_list(c: Counts) -> list[int]:
    return [c.statements, c.covered_lines, c.branches, c.covered_branches]


def build(
    report: CoverageReport,
    *,
    commit: str,
    branch: str,
    report_name: str,
    now: datetime,
    previous: Baseline | None,
    run_id: str = "",
) -> Baseline:
    """A new baseline of this run, carrying the previous baseline's trend forward."""
    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    files = {path: fc.counts for path, fc in report.files.items()}
    point = TrendPoint(commit, created, sum(files.values(), Counts()))
    history = [p for p in (previous.trend if previous else ()) if p.commit != commit]
    trend = tuple([*history, point][-TREND_POINTS:])
    return Baseline(
        commit=commit,
        branch=branch,
        created_at=created,
        report_name=report_name,
        covaction_version=__version__,
        has_branches=report.has_branches,
        files=files,
        trend=trend,
        run_id=run_id,
    )


def dumps(baseline: Baseline) -> bytes:
    doc = {
        "schema": SCHEMA,
        "version": VERSION,
        "covaction": baseline.covaction_version,
        "report_name": baseline.report_name,
        "commit": baseline.commit,
        "branch": baseline.branch,
        "created_at": baseline.created_at,
        "run_id": baseline.run_id,
        "has_branches": baseline.has_branches,
        "totals": _counts_list(baseline.counts),
        "files": {path: _counts_list(c) for path, c in sorted(baseline.files.items())},
        "trend": [
            {"commit": p.commit, "time": p.time, "counts": _counts_list(p.counts)}
            for p in baseline.trend
        ],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode()


def _counts(value: Any, where: str) -> Counts:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(type(v) is int and 0 <= v <= MAX_COUNT for v in value)
        or value[1] > value[0]
        or value[3] > value[2]
    ):
        raise BaselineError(f"baseline: {where} must be four counts [statements, covered, branches, covered branches]")
    return Counts(*value)


def _string(doc: Mapping[str, Any], key: str, limit: int = 200) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise BaselineError(f"baseline: {key} must be a string of at most {limit} characters")
    return value


def loads_baseline(data: bytes, origin: str) -> Baseline:
    """Parse and validate a baseline document; BaselineError says why it cannot be used."""
    if len(data) > MAX_BYTES:
        raise BaselineError(f"{origin}: the baseline is over {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        doc = loads(data, origin)
    except CovactionError as exc:
        raise BaselineError(str(exc)) from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BaselineError(f"{origin}: not a covaction baseline (no \"schema\": \"{SCHEMA}\")")
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise BaselineError(f"{origin}: the baseline has no valid version")
    if version > VERSION:
        raise BaselineError(
            f"{origin}: baseline format version {version} is newer than this covaction "
            f"{__version__} reads (version {VERSION}); update covaction"
        )
    files_doc = doc.get("files")
    if not isinstance(files_doc, dict) or len(files_doc) > MAX_FILES:
        raise BaselineError(f"{origin}: files must be an object of at most {MAX_FILES} entries")
    files = {}
    for path, value in files_doc.items():
        if not isinstance(path, str) or not path or len(path) > 4096:
            raise BaselineError(f"{origin}: a file path is empty or too long")
        files[path] = _counts(value, f"files[{path[:100]!r}]")
    trend_doc = doc.get("trend", [])
    if not isinstance(trend_doc, list):
        raise BaselineError(f"{origin}: trend must be a list")
    trend = []
    for item in trend_doc[-TREND_POINTS:]:
        if not isinstance(item, dict):
            raise BaselineError(f"{origin}: a trend point must be an object")
        trend.append(
            TrendPoint(
                _string(item, "commit", 64), _string(item, "time", 40), _counts(item.get("counts"), "trend counts")
            )
        )
    has_branches = doc.get("has_branches", False)
    return Baseline(
        commit=_string(doc, "commit", 64),
        branch=_string(doc, "branch", 255),
        created_at=_string(doc, "created_at", 40),
        report_name=_string(doc, "report_name", 64),
        covaction_version=_string(doc, "covaction", 40),
        has_branches=has_branches is True,
        files=files,
        trend=tuple(trend),
        run_id=str(doc.get("run_id", ""))[:32],
    )
