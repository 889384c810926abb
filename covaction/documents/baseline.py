"""CoverageReport <-> the versioned baseline JSON that a push to the default branch stores.

Version 1 keeps what a later comparison needs: per-file counts, the totals, where and when it
was measured, and a trend of the branch's last runs (at most 50, oldest first). Reading is
strict, since a baseline may come from an artifact: a wrong schema, duplicate keys, wrong
shapes, negative or inconsistent counts, malformed commits or times, and oversized documents are
refused with one line. Keys this version does not know are ignored, so a later writer may add
some without a new version; a newer version than this covaction reads is reported, not guessed
at. Each version has its own reader in `_READERS`, so an old baseline keeps loading after the
format moves on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from covaction import __version__
from covaction.documents import strict_json
from covaction.errors import DocumentError
from covaction.model import METRICS, Counts, CoverageReport, display_percent
from covaction.render import escape

SCHEMA = "covaction-baseline"
VERSION = 1
TREND_POINTS = 50
MAX_BYTES = 64 * 1024 * 1024
MAX_FILES = 200_000
MAX_PATH = 4096
MAX_COUNT = 10**9

_COMMIT = strict_json.COMMIT
_RUN_ID = strict_json.RUN_ID
_CONTROL = strict_json.CONTROL


class BaselineError(DocumentError):
    """A baseline that cannot be used; the run goes on without one."""


BASELINE_FILE = "baseline.json"
MAX_ARTIFACT_NAME = 100


def artifact_name(base: str, report_name: str) -> str:
    """The artifact of one report: `base` for the default report, `base-report` otherwise.

    Both parts may be 64 characters, the service takes 100: a longer name keeps its start and a
    hash of the whole, so that it stays unique and the finder computes the same one.
    """
    name = base if report_name == "coverage" else f"{base}-{report_name}"
    if len(name) <= MAX_ARTIFACT_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"{name[: MAX_ARTIFACT_NAME - 13]}-{digest}"


def member_names(report_name: str) -> tuple[str, ...]:
    """Names the baseline may have inside the artifact's zip, most expected first."""
    return (
        BASELINE_FILE,  # this action's own upload, or upload-artifact of baseline-path
        f"{report_name}/{BASELINE_FILE}",  # upload-artifact of the whole .covaction folder
        f"covaction-baseline-{report_name}.json",  # earlier development builds
    )


def quoted(value: str, limit: int = 80) -> str:
    """An outside value inside one of our sentences: between single backticks, made inert.

    The comment prints such sentences with outside values as code spans; a value that held a
    backtick could end its span early, so backticks become quotes, and control characters are
    shown as escapes so that a message stays one line.
    """
    return "`" + escape.shorten(escape.visible(value), limit).replace("`", "'") + "`"


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
    metric: str = ""  # what the headline counted ("" before metrics existed: lines and branches)
    # The files' counts summed, once (every comparison reads them).
    counts: Counts = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "counts", Counts.total(self.files.values()))

    def age(self, now: datetime) -> str:
        """`3 hours old`, `just made`; the largest whole unit, for the comment."""
        then = _parse_time(self.created_at)
        if then is None:
            return "of unknown age"
        seconds = max(0, int((now - then).total_seconds()))
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                n = seconds // size
                return f"{n} {unit}{'s' if n != 1 else ''} old"
        return "just made"


def _parse_time(text: str) -> datetime | None:
    return strict_json.parse_time(text)


def _counts_list(c: Counts) -> list[int]:
    """Six counts: lines, covered lines, branches, covered branches, and the format's own units
    (Go statements, JaCoCo instructions) and covered units, so every metric can be compared."""
    return [
        c.statements, c.covered_lines, c.branches, c.covered_branches, c.units, c.covered_units
    ]  # fmt: skip


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
    """A new baseline of this run, carrying the previous baseline's trend forward.

    The trend ends with this run; a point of the same commit (a re-run) is replaced, and only
    the last `TREND_POINTS` are kept.
    """
    created = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Files the report measures but that sit nowhere in the repository count in the totals
    # (as in the producer's tool), so they are kept too, under the report's own path.
    files = {path: fc.counts for path, fc in report.unplaced.items()}
    files.update({path: fc.counts for path, fc in report.files.items()})
    point = TrendPoint(commit, created, Counts.total(files.values()))
    history = [p for p in (previous.trend if previous else ()) if not commit or p.commit != commit]
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
        metric=report.metric,
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
        "metric": baseline.metric,
        "totals": _counts_list(baseline.counts),
        "files": {path: _counts_list(c) for path, c in sorted(baseline.files.items())},
        "trend": [
            {"commit": p.commit, "time": p.time, "counts": _counts_list(p.counts)}
            for p in baseline.trend
        ],
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True).encode()


# ---------------------------------------------------------------------------- reading


_INT = {int}


def _counts_of(path: str) -> str:
    return f"the counts of {quoted(path)}"


def _counts(value: Any, origin: str, where: str | Callable[[], str], metric: str = "") -> Counts:
    """Six counts, or four from a baseline written before units existed (then no units).
    `where` names them in the error (a callable: named only then, a baseline has 20,000)."""
    if (
        not isinstance(value, list)
        or len(value) not in (4, 6)
        or set(map(type, value)) != _INT  # not a bool, a float, ...
        or min(value) < 0
        or max(value) > MAX_COUNT
        or value[1] > value[0]
        or value[3] > value[2]
        or (len(value) == 6 and value[5] > value[4])
    ):
        named = where if isinstance(where, str) else where()
        raise BaselineError(
            f"{origin}: {named} must be six counts [lines, covered lines, branches, covered "
            "branches, units, covered units] (or the first four), each covered count at most "
            "its total"
        )
    units, covered_units = (value[4], value[5]) if len(value) == 6 else (0, 0)
    return Counts(value[0], value[1], value[2], value[3], units, covered_units, metric=metric)


def _string(
    doc: Mapping[str, Any], key: str, origin: str, limit: int, *, required: bool = False
) -> str:
    if key not in doc:
        if required:
            raise BaselineError(f"{origin}: the baseline has no {key}")
        return ""
    value = doc[key]
    if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
        raise BaselineError(
            f"{origin}: {key} must be a one-line string of at most {limit} characters"
        )
    return value


def _commit(value: str, origin: str, where: str) -> str:
    if not _COMMIT.fullmatch(value):
        raise BaselineError(f"{origin}: {where} must be a full lowercase commit SHA")
    return value


def _time(value: str, origin: str, where: str) -> str:
    if _parse_time(value) is None:
        raise BaselineError(f"{origin}: {where} must be an ISO 8601 time with a zone")
    return value


def _read_v1(doc: Mapping[str, Any], origin: str) -> Baseline:
    files_doc = doc.get("files")
    if not isinstance(files_doc, dict) or len(files_doc) > MAX_FILES:
        raise BaselineError(f"{origin}: files must be an object of at most {MAX_FILES:,} entries")
    metric = doc.get("metric", "")
    if metric not in ("", *METRICS):
        raise BaselineError(f"{origin}: metric must be one of {', '.join(METRICS)}")
    files = {}
    for path, value in files_doc.items():
        if not path or len(path) > MAX_PATH or "\0" in path:
            raise BaselineError(f"{origin}: a file path is empty, too long or holds NUL")
        files[path] = _counts(value, origin, partial(_counts_of, path), metric)
    total = Counts.total(files.values())
    if "totals" in doc and _counts(doc["totals"], origin, "totals") != total:
        raise BaselineError(
            f"{origin}: totals do not add up to the files' counts (corrupt baseline)"
        )
    trend_doc = doc.get("trend", [])
    if not isinstance(trend_doc, list) or len(trend_doc) > 10 * TREND_POINTS:
        raise BaselineError(f"{origin}: trend must be a list of at most {TREND_POINTS} points")
    trend = []
    for item in trend_doc[-TREND_POINTS:]:
        if not isinstance(item, dict):
            raise BaselineError(f"{origin}: a trend point must be an object")
        trend.append(
            TrendPoint(
                _commit(_string(item, "commit", origin, 64), origin, "a trend point's commit"),
                _time(
                    _string(item, "time", origin, 40, required=True), origin, "a trend point's time"
                ),
                _counts(item.get("counts"), origin, "a trend point's counts", metric),
            )
        )
    has_branches = doc.get("has_branches", False)
    if type(has_branches) is not bool:
        raise BaselineError(f"{origin}: has_branches must be true or false")
    run_id = doc.get("run_id", "")
    if type(run_id) is int and run_id >= 0:
        run_id = str(run_id)
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise BaselineError(f"{origin}: run_id must be a run's number")
    return Baseline(
        commit=_commit(_string(doc, "commit", origin, 64), origin, "commit"),
        branch=_string(doc, "branch", origin, 255),
        created_at=_time(
            _string(doc, "created_at", origin, 40, required=True), origin, "created_at"
        ),
        report_name=_string(doc, "report_name", origin, 64),
        covaction_version=_string(doc, "covaction", origin, 40),
        has_branches=has_branches,
        files=files,
        trend=tuple(trend),
        run_id=run_id,
        metric=metric,
    )


_READERS: Mapping[int, Callable[[Mapping[str, Any], str], Baseline]] = {1: _read_v1}


def loads_baseline(data: bytes, origin: str) -> Baseline:
    """Parse and validate a baseline document; BaselineError says why it cannot be used."""
    if len(data) > MAX_BYTES:
        raise BaselineError(f"{origin}: the baseline is over {MAX_BYTES // (1024 * 1024)} MiB")
    doc = strict_json.loads(
        data,
        max_bytes=MAX_BYTES,
        error=lambda message: BaselineError(f"{origin}: {message}"),
        noun="the baseline",
        bom=True,
    )
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise BaselineError(f'{origin}: not a covaction baseline (no "schema": "{SCHEMA}")')
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise BaselineError(f"{origin}: the baseline has no valid version")
    if version > VERSION:
        raise BaselineError(
            f"{origin}: baseline format version {version} is newer than covaction "
            f"{__version__} reads (up to version {VERSION}); update covaction"
        )
    reader = _READERS.get(version)
    if reader is None:  # pragma: no cover - every version up to VERSION has a reader
        raise BaselineError(f"{origin}: baseline format version {version} is not supported")
    return reader(doc, origin)
