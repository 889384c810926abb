"""coverage.py's `.coverage` data file, reported through coverage.py's own API.

The data file comes from the pull request, so it is opened read-only and immutable, its schema
checked (coverage.py's tables, no views or triggers) before any query, and every query bounded
in time. Its paths are mapped onto the workspace (the repository's `[paths]` aliases first, then
the usual path mapping), written to a fresh data file in scratch space, and coverage.py itself
produces the numbers with the repository's configuration (`.coveragerc`, `setup.cfg`,
`tox.ini`, `pyproject.toml`: exclusions, `[report] omit/include`) from the workspace's sources,
with no plugin loaded. Totals are therefore the ones `coverage report` prints.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from covaction.errors import ReportError
from covaction.formats import coverage_json
from covaction.model import ParsedReport, Unmatched

FORMAT = "coveragepy"
SQLITE_MAGIC = b"SQLite format 3\x00"
QUERY_SECONDS = 10.0

_TABLES = {
    "coverage_schema": {"version"},
    "meta": {"key", "value"},
    "file": {"id", "path"},
    "context": {"id", "context"},
    "line_bits": {"file_id", "context_id", "numbits"},
    "arc": {"file_id", "context_id", "fromno", "tono"},
    "tracer": {"file_id", "tracer"},
}


def sniff(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


@contextlib.contextmanager
def _readonly(path: Path, origin: str) -> Iterator[sqlite3.Connection]:
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=1.0)
    except sqlite3.Error as exc:
        raise ReportError(f"{origin}: cannot open the coverage data file ({exc})") from None
    deadline = time.monotonic() + QUERY_SECONDS

    def over_time() -> int:
        return 1 if time.monotonic() > deadline else 0

    conn.set_progress_handler(over_time, 10_000)
    try:
        yield conn
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise ReportError(
                f"{origin}: reading the coverage data took over {QUERY_SECONDS:.0f}s; refused"
            ) from None
        raise ReportError(f"{origin}: not a readable coverage.py data file ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise ReportError(f"{origin}: not a readable coverage.py data file ({exc})") from None
    finally:
        conn.close()


def _check_schema(conn: sqlite3.Connection, origin: str) -> None:
    objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
    odd = sorted(f"{t} {n}" for t, n in objects if t in ("view", "trigger"))
    if odd:
        raise ReportError(
            f"{origin}: the data file holds {', '.join(odd[:3])}; a coverage.py data file has "
            "only tables, so it is refused"
        )
    tables = {n for t, n in objects if t == "table"}
    missing = sorted(set(_TABLES) - tables)
    if missing:
        raise ReportError(
            f"{origin}: not a coverage.py data file (missing tables: {', '.join(missing)}); "
            "produce it with `coverage run` (coverage.py 5 or later)"
        )
    for table, columns in _TABLES.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}  # noqa: S608
        if not columns <= have:
            raise ReportError(f"{origin}: table {table} lacks columns {sorted(columns - have)}")
    row = conn.execute("SELECT version FROM coverage_schema").fetchone()
    if row is None or row[0] != 7:
        version = row[0] if row else "none"
        raise ReportError(
            f"{origin}: coverage.py data schema version {str(version)[:20]} is not supported "
            "(expected 7, coverage.py 5.0 or later)"
        )


def read_measured(
    path: Path, origin: str
) -> tuple[bool, dict[str, set[int] | set[tuple[int, int]]], list[str]]:
    """(has_arcs, {measured path: lines or arcs}, paths measured by a plugin's file tracer)."""
    from coverage.numbits import numbits_to_nums

    with _readonly(path, origin) as conn:
        _check_schema(conn, origin)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        has_arcs = str(meta.get("has_arcs", "")).lower() in ("1", "true")
        files = dict(conn.execute("SELECT id, path FROM file").fetchall())
        traced = {
            files[fid]
            for fid, tracer in conn.execute("SELECT file_id, tracer FROM tracer")
            if tracer and fid in files
        }
        measured: dict[str, Any] = {}
        if has_arcs:
            for fid, a, b in conn.execute("SELECT file_id, fromno, tono FROM arc"):
                if fid in files:
                    measured.setdefault(files[fid], set()).add((int(a), int(b)))
        else:
            for fid, bits in conn.execute("SELECT file_id, numbits FROM line_bits"):
                if fid in files and isinstance(bits, bytes):
                    measured.setdefault(files[fid], set()).update(numbits_to_nums(bits))
        for fid in files:
            measured.setdefault(files[fid], set())
    return has_arcs, measured, sorted(traced)


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def parse_data_file(
    path: Path,
    origin: str,
    workspace: str,
    map_path: Callable[[str], str | Unmatched],
    scratch: Path,
) -> tuple[ParsedReport, list[Unmatched]]:
    """Report a `.coverage` file with coverage.py; returns the report and unmatched paths."""
    import coverage
    from coverage.exceptions import CoverageException
    from coverage.files import PathAliases

    has_arcs, measured, traced = read_measured(path, origin)
    notices: list[str] = []
    unmatched: list[Unmatched] = []
    with _cwd(workspace):
        try:
            cov = coverage.Coverage(data_file=None, config_file=True)
            config = cov.config
        except CoverageException as exc:
            raise ReportError(f"coverage.py configuration in the workspace: {exc}") from None
        if config.plugins:
            notices.append(
                "coverage.py plugins named in the repository's configuration "
                f"({', '.join(config.plugins)[:200]}) were not loaded: covaction runs no code "
                "from the workspace; files measured by a plugin are listed as unmatched"
            )
        aliases = PathAliases(relative=config.relative_files)
        for canonical, patterns in config.paths.items():
            values = list(patterns) if isinstance(patterns, list) else []
            if not values:
                continue
            for pattern in values[1:]:
                with contextlib.suppress(CoverageException):
                    aliases.add(pattern, values[0])
        mapped: dict[str, Any] = {}
        for name, data in measured.items():
            if name in traced:
                unmatched.append(Unmatched(name, "measured by a coverage.py plugin, not loaded"))
                continue
            target = map_path(aliases.map(name, exists=lambda _p: True))
            if isinstance(target, Unmatched):
                unmatched.append(Unmatched(name, target.reason))
                continue
            # With relative_files coverage.py looks data up by relative path, else absolute.
            key = target if config.relative_files else os.path.join(workspace, target)
            mapped.setdefault(key, set()).update(data)
        data_path = scratch / "covaction-remapped.coverage"
        json_path = scratch / "covaction-remapped.json"
        for stale in (data_path, json_path):
            stale.unlink(missing_ok=True)
        try:
            fresh = coverage.CoverageData(basename=str(data_path))
            if has_arcs:
                fresh.add_arcs(mapped)
            else:
                fresh.add_lines(mapped)
            fresh.write()
            cov = coverage.Coverage(data_file=str(data_path), config_file=True)
            cov.set_option("run:plugins", [])
            cov.load()
            if mapped:
                cov.json_report(outfile=str(json_path), ignore_errors=True)
        except CoverageException as exc:
            raise ReportError(f"{origin}: coverage.py could not report this data ({exc})") from None
        finally:
            data_path.unlink(missing_ok=True)
    if not json_path.exists():
        return ParsedReport(FORMAT, (), has_arcs, origin=origin, notices=tuple(notices)), unmatched
    try:
        doc = coverage_json.loads(json_path.read_bytes(), origin)
    finally:
        json_path.unlink(missing_ok=True)
    # Files the configuration omits (`[report] omit`) are left out, as `coverage report` does.
    report = coverage_json.from_document(doc, origin)
    return (
        ParsedReport(FORMAT, report.files, has_arcs, origin=origin, notices=tuple(notices)),
        unmatched,
    )
