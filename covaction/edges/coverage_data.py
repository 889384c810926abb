"""coverage.py's `.coverage` data file, reported through coverage.py's own API.

The data file comes from the pull request, so it is opened read-only and immutable, its schema
checked (coverage.py's tables, no views or triggers) before any query, and every query bounded
in time. Its paths are mapped onto the workspace once (the repository's `[paths]` aliases as
coverage.py applies them, then the usual path mapping), written to a fresh data file in scratch
space, and coverage.py itself produces the numbers with the repository's configuration (the
file named by `coverage-config`, else `.coveragerc`, `.coveragerc.toml`, `setup.cfg`,
`tox.ini`, `pyproject.toml` in coverage.py's order: exclusions, `[report] omit/include`) from the
workspace's sources, with no plugin loaded. Totals are therefore the ones `coverage report`
prints, files under `source` that no test imported included.

What the workspace may hold is hostile, so coverage.py gets only data from it:

* its configuration files are copied out through the workspace's safe reader (regular files
  inside the workspace, size-capped) and read from that copy, so a `.coveragerc` linking to
  `/proc/self/environ` or a FIFO is refused, never parsed into an error message; a setting it
  cannot read, or would fail on while reporting, is one error naming the file and the setting;
* while coverage.py runs, the process environment holds only harmless variables: its config
  expands `$VARS`, and `[paths] source = $ACTIONS_RUNTIME_TOKEN` would otherwise turn a secret
  into a file name; plugins, debug output, debug files and its test hooks are switched off;
* it reads exactly the files covaction checked: regular files inside the workspace (outside
  `.git`) under a size cap, named in the data by the path it opens (a `.pyc` would make it read
  the `.py` beside it), with `[paths]` not applied a second time at report time (it would map a
  checked file onto any file outside), and the files it reports must be the ones it was given;
* the whole reporting is bounded in time (a `[report] exclude_lines` regex can backtrack
  forever);
* its warnings (which quote file names from the data) become notices, never raw stderr lines.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import stat
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote

from covaction.edges.coverage_config import (
    Config,
    check_settings,
    copy_config,
    path_aliases,
    precision,
    read_config,
)
from covaction.edges.workspace import MiB, Workspace
from covaction.errors import CovactionError, ReportError
from covaction.formats import coverage_json
from covaction.model import ParsedReport, Unmatched

FORMAT = "coveragepy"
QUERY_SECONDS = 10.0
REPORT_SECONDS = 300.0
MAX_LINE = 10_000_000
MAX_NUMBITS = MAX_LINE // 8 + 1  # a numbits blob for line numbers up to MAX_LINE
MAX_MEASURED = 20_000_000  # lines or arcs over all files
MAX_PATH = 4096
SOURCE_CAP = 64 * MiB
# The variables coverage.py may see while it reads the repository's configuration and sources.
SAFE_VARIABLES = frozenset(
    {"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "GITHUB_WORKSPACE", "RUNNER_TEMP"}
)

_TABLES = {
    "coverage_schema": {"version"},
    "meta": {"key", "value"},
    "file": {"id", "path"},
    "context": {"id", "context"},
    "line_bits": {"file_id", "context_id", "numbits"},
    "arc": {"file_id", "context_id", "fromno", "tono"},
    "tracer": {"file_id", "tracer"},
}


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
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
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

    def malformed(table: str) -> ReportError:
        return ReportError(
            f"{origin}: the data file's {table} table holds a malformed row; regenerate it with "
            "`coverage run`"
        )

    budget = MAX_MEASURED
    with _readonly(path, origin) as conn:
        _check_schema(conn, origin)
        # Sizes are checked in SQL, so a giant value is never copied into Python.
        meta = dict(
            conn.execute(
                "SELECT key, CASE WHEN length(value) <= 64 THEN value END FROM meta "
                "WHERE key = 'has_arcs' LIMIT 1"
            ).fetchall()
        )
        has_arcs = str(meta.get("has_arcs", ""))[:10].lower() in ("1", "true")
        files: dict[int, str] = {}
        for fid, name in conn.execute(
            f"SELECT id, CASE WHEN length(path) <= {MAX_PATH} THEN path END FROM file"  # noqa: S608
        ):
            if type(fid) is not int or not isinstance(name, str):
                raise malformed("file")
            if not 0 < len(name) <= MAX_PATH or "\x00" in name:
                raise malformed("file")
            files[fid] = name
        traced = set()
        for fid, tracer in conn.execute(
            "SELECT file_id, CASE WHEN tracer IS NULL OR length(tracer) <= 256 THEN tracer "
            "ELSE x'' END FROM tracer"
        ):
            if tracer is not None and not isinstance(tracer, str):
                raise malformed("tracer")
            if tracer and fid in files:
                traced.add(files[fid])
        measured: dict[str, Any] = {}
        if has_arcs:
            for fid, a, b in conn.execute("SELECT file_id, fromno, tono FROM arc"):
                if type(a) is not int or type(b) is not int or max(abs(a), abs(b)) > MAX_LINE:
                    raise malformed("arc")
                if fid in files:
                    budget -= 1
                    measured.setdefault(files[fid], set()).add((a, b))
                if budget < 0:
                    raise _too_much(origin)
        else:
            for fid, bits in conn.execute(
                "SELECT file_id, CASE WHEN length(numbits) <= ? THEN numbits END FROM line_bits",
                (MAX_NUMBITS,),
            ):
                if not isinstance(bits, bytes) or len(bits) > MAX_NUMBITS:
                    raise malformed("line_bits")
                if fid in files:
                    nums = numbits_to_nums(bits)
                    budget -= len(nums)
                    if budget < 0:
                        raise _too_much(origin)
                    measured.setdefault(files[fid], set()).update(nums)
        for fid in files:
            measured.setdefault(files[fid], set())
    return has_arcs, measured, sorted(traced)


def _too_much(origin: str) -> ReportError:
    return ReportError(
        f"{origin}: the data file measures over {MAX_MEASURED:,} lines or arcs; refused"
    )


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


class _OverTime(BaseException):
    """Raised by the reporting timer; a BaseException so no `except Exception` swallows it."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread only; elsewhere it is not bounded)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _OverTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def _harmless_environ(environ: Mapping[str, str] | None) -> Iterator[None]:
    """os.environ holds only the run's SAFE_VARIABLES (and LC_*) for the block (coverage.py
    reads the process environment); restored afterwards. `environ`: the run's environment
    (None: the process's own)."""
    saved = dict(os.environ)
    source = saved if environ is None else dict(environ)
    try:
        os.environ.clear()
        os.environ.update(
            {k: v for k, v in source.items() if k in SAFE_VARIABLES or k.startswith("LC_")}
        )
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split())[:300]


# ---------------------------------------------------------------------------- reporting


def parse_data_file(
    path: Path,
    origin: str,
    workspace: str,
    map_path: Callable[[str], str | Unmatched],
    scratch: Path,
    config_file: str = "",
    environ: Mapping[str, str] | None = None,
) -> tuple[ParsedReport, list[Unmatched]]:
    """Report a `.coverage` file with coverage.py; returns the report and unmatched paths.

    `config_file` is the `coverage-config` input: a workspace-relative configuration file that
    replaces coverage.py's default lookup, as `coverage report --rcfile` or `--cov-config` do.
    `environ` is the run's environment, whose harmless variables coverage.py may expand in its
    settings (None: the process's own).
    """
    has_arcs, measured, traced = read_measured(path, origin)
    ws = Workspace(workspace)
    config_dir = scratch / "covaction-coverage-config"
    specified, copies = copy_config(ws, config_dir, config_file)
    notices: list[str] = []
    try:
        with (
            _harmless_environ(environ),
            _time_limit(REPORT_SECONDS),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            config: Config | None = None
            try:
                with _cwd(str(config_dir)):
                    config = read_config(config_dir, specified, copies)
                result = _report(
                    ws, config, has_arcs, measured, traced, origin, map_path, scratch, notices
                )
            finally:
                texts = (_one_line(w.message) for w in caught)
                if config is not None:
                    texts = (config.relabel(t) for t in texts)
                shown = list(dict.fromkeys(texts))
                notices.extend(f"coverage.py: {text}" for text in shown[:5])
    except _OverTime:
        raise ReportError(
            f"{origin}: coverage.py took over {REPORT_SECONDS:.0f}s to report this data (a "
            "slow `exclude_lines` pattern, or very large sources); refused"
        ) from None
    except RecursionError:
        raise ReportError(
            "coverage.py configuration in the workspace nests too deeply to be read"
        ) from None
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)
    parsed, unmatched = result
    return (
        replace(parsed, format=FORMAT, has_branches=has_arcs, notices=tuple(notices)),
        unmatched,
    )


def display_precision(
    ws: Workspace, scratch: Path, config_file: str = "", environ: Mapping[str, str] | None = None
) -> tuple[int | None, str]:
    """The repository's `[report] precision` for a coverage.py report (`.coverage`, JSON or
    Cobertura): (decimals or None when not set, a note for the job summary).

    Read with coverage.py's own lookup, as `parse_data_file` reads the rest. Showing figures is
    not worth stopping a run over: a configuration coverage.py cannot read is a note here, and
    two decimals are shown (a `.coverage` file's reading names the error itself).
    """
    config_dir = scratch / "covaction-coverage-precision"
    try:
        specified, copies = copy_config(ws, config_dir, config_file)
        with _harmless_environ(environ), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with _cwd(str(config_dir)):
                config = read_config(config_dir, specified, copies)
            return precision(config)
    except CovactionError as exc:
        return None, f"[report] precision not read ({exc.message}): two decimals are shown"
    except RecursionError:
        return None, "[report] precision not read (the configuration nests too deeply)"
    finally:
        shutil.rmtree(config_dir, ignore_errors=True)


def _inside(ws: Workspace, name: str) -> bool:
    """`name` (relative to the workspace, or absolute) is a regular file inside the workspace."""
    try:
        real = (ws.root / name).resolve(strict=True)
        return ws.root in real.parents and stat.S_ISREG(real.stat().st_mode)
    except (OSError, RuntimeError, ValueError):
        return False


def _report(
    ws: Workspace,
    config: Config,
    has_arcs: bool,
    measured: dict[str, Any],
    traced: list[str],
    origin: str,
    map_path: Callable[[str], str | Unmatched],
    scratch: Path,
    notices: list[str],
) -> tuple[ParsedReport, list[Unmatched]]:
    import coverage
    from coverage.exceptions import CoverageException
    from coverage.python import source_for_file

    workspace = str(ws.root)
    settings = config.settings
    relative = bool(settings.relative_files)
    check_settings(config)
    if settings.plugins:
        notices.append(
            "coverage.py plugins named in the repository's configuration "
            f"({', '.join(map(str, settings.plugins))[:200]}) were not loaded: covaction runs no "
            "code from the workspace; files measured by a plugin are listed as unmatched"
        )
    if settings.report_contexts:
        notices.append(
            f"{config.setting('report', 'contexts')} is not applied: covaction reports every "
            "context's lines together"
        )
    unmatched: list[Unmatched] = []
    # key in the data coverage.py reports -> the workspace path it must report it under
    mapped: dict[str, Any] = {}
    expected: dict[str, str] = {}
    with _cwd(workspace):
        # PathAliases makes relative patterns absolute against the cwd, as `coverage report`
        # run at the repository root does; a mapping is taken only when its result is a file of
        # the workspace (coverage.py takes it when the file exists: outside is never looked at).
        aliases = path_aliases(config)
        for name, data in measured.items():
            if name in traced:
                unmatched.append(Unmatched(name, "measured by a coverage.py plugin, not loaded"))
                continue
            target = map_path(aliases.map(name, exists=lambda p: _inside(ws, p)))
            if isinstance(target, Unmatched):
                unmatched.append(Unmatched(name, target.reason))
                continue
            real = ws.regular(target, SOURCE_CAP)
            if real is not None and ".git" in real.relative_to(ws.root).parts:
                # Never Python, and where a checkout keeps its credentials.
                unmatched.append(Unmatched(name, f"{target} is inside .git; not read"))
                continue
            if real is None:
                # coverage.py reads the source: never a link out, a FIFO, a device or a giant.
                unmatched.append(
                    Unmatched(
                        name,
                        f"{target} is not a regular file inside the workspace of at most "
                        f"{SOURCE_CAP // MiB} MiB",
                    )
                )
                continue
            # The file coverage.py opens is the key itself (relative to this cwd, or the real
            # path): python.source_for_file would read `x.py` for a measured `x.pyc`.
            key = target if relative else str(real)
            if source_for_file(key) != key:
                unmatched.append(
                    Unmatched(name, f"coverage.py would read {source_for_file(key)} for {target}")
                )
                continue
            mapped.setdefault(key, set()).update(data)
            expected[target if relative else real.relative_to(ws.root).as_posix()] = target
    data_path = scratch / "covaction-remapped.coverage"
    data_path.unlink(missing_ok=True)
    try:
        fresh = coverage.CoverageData(basename=str(data_path))
        if has_arcs:
            fresh.add_arcs(mapped)
        else:
            fresh.add_lines(mapped)
        # coverage.py's data holds files under `source` that no test imported with no arcs;
        # add_arcs skips empty sets, so they are touched as `coverage run` touched them.
        fresh.touch_files([key for key, data in mapped.items() if not data])
        fresh.write()
        with _cwd(str(config.folder)):
            cov = coverage.Coverage(data_file=str(data_path), config_file=config.specified or True)
        for option, value in (
            # The paths were mapped and checked above: coverage.py must not map them again
            # (Coverage._prepare_data_for_reporting applies [paths] at report time).
            ("paths", {}),
            ("run:plugins", []),
            ("run:debug", []),
            ("run:debug_file", None),
            ("run:_crash", None),
            ("run:parallel", False),
            ("run:concurrency", []),
            ("run:data_file", str(data_path)),
            ("report:contexts", None),
            ("report:precision", 0),
            ("json:show_contexts", False),
        ):
            cov.set_option(option, value)
        cov.set_option("report:ignore_errors", True)
        with _cwd(workspace):
            cov.load()
            doc = _json_document(cov) if mapped else None
    except (CovactionError, _OverTime):
        raise
    except (CoverageException, ValueError, UnicodeError, OSError) as exc:
        raise ReportError(
            f"{origin}: coverage.py could not report this data ({config.relabel(_one_line(exc))})"
        ) from None
    finally:
        data_path.unlink(missing_ok=True)
    if doc is None:
        return ParsedReport(FORMAT, (), has_arcs, origin=origin), unmatched
    # Files the configuration omits (`[report] omit`) are left out, as `coverage report` does.
    parsed = coverage_json.from_document(doc, origin)
    files = []
    for fc in parsed.files:
        if fc.path not in expected:
            raise ReportError(
                f"{origin}: coverage.py reported {fc.path[:200]!r}, a file covaction did not "
                "give it; refused"
            )
        files.append(fc if expected[fc.path] == fc.path else fc.with_path(expected[fc.path]))
    return replace(parsed, files=tuple(files)), unmatched


def _json_document(cov: Any) -> dict[str, Any]:
    """What `coverage json` writes, minus what covaction never reads, without the file.

    coverage.py's JSON reporter (jsonreport.JsonReporter.report) walks the same
    `report_core.get_analysis_to_report` as `coverage report` and writes each file's executed
    and missing lines and branch arcs, but also computes every function's and class's region
    (`code_regions`) and serialises it all with the pure-Python JSON encoder: on a large
    project that was a third of the reading. The lines and arcs are taken from the same
    Analysis objects here, so the numbers are the ones `coverage report` prints.
    """
    from coverage.report_core import get_analysis_to_report

    has_arcs = bool(cov.get_data().has_arcs())
    files: dict[str, Any] = {}
    for reporter, analysis in get_analysis_to_report(cov, None):
        entry: dict[str, Any] = {
            "executed_lines": sorted(analysis.executed),
            "missing_lines": sorted(analysis.missing),
        }
        if has_arcs:
            entry["executed_branches"] = [
                [a, b] for a, targets in analysis.executed_branch_arcs().items() for b in targets
            ]
            entry["missing_branches"] = [
                [a, b] for a, targets in analysis.missing_branch_arcs().items() for b in targets
            ]
        files[reporter.relative_filename()] = entry
    return {"meta": {"branch_coverage": has_arcs}, "files": files}


# ---------------------------------------------------------------------------- auto-detection


@dataclass(frozen=True)
class AutoChoice:
    """The report auto-detection took, and what to tell the user about it."""

    name: str
    info: str
    warning: str = ""


STALE_SECONDS = 1.0


def choose_auto_report(ws: Workspace, candidates: Sequence[str]) -> AutoChoice | None:
    """The first of `candidates` at the workspace root (a regular file, or anything else there
    whose reading will say what is wrong); warns when another candidate was written later (a
    report left from an earlier run beside fresh data).
    """
    found: list[tuple[str, float]] = []
    for name in candidates:
        try:
            if ws.exists(name):
                found.append((name, (ws.root / name).stat().st_mtime))
            elif os.path.lexists(ws.root / name):
                # There, but not a file inside the workspace (a link out, a folder, a FIFO):
                # chosen all the same, so that reading it names what is wrong with it rather
                # than "no coverage report found" or another candidate taken silently.
                found.append((name, (ws.root / name).lstat().st_mtime))
        except OSError:
            continue
    if not found:
        return None
    name, mtime = found[0]
    info = (
        f"Using {name} (auto-detected at the workspace root, the first of "
        f"{', '.join(candidates)}; set coverage-files to choose)"
    )
    newer = [(n, t) for n, t in found[1:] if t - mtime > STALE_SECONDS]
    if not newer:
        return AutoChoice(name, info)
    other, when = max(newer, key=lambda item: item[1])
    age = _duration(when - mtime)
    warning = (
        f"{name} was auto-detected, but {other} at the workspace root was written {age} later: "
        f"{name} may be left from an earlier run. Regenerate it after the tests (e.g. "
        f"`coverage xml`), delete it, or set coverage-files: {other}"
    )
    return AutoChoice(name, info, warning)


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size * (2 if unit == "days" else 1):
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.0f} s"
