"""Finding the coverage reports in the workspace and reading them into one mapped report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from covaction import formats, paths
from covaction.edges import coverage_data
from covaction.edges.runner import Runner
from covaction.edges.workspace import REPORT_CAP, Workspace
from covaction.errors import ReportError, WorkspaceError
from covaction.formats import gocover
from covaction.model import CoverageReport, ParsedReport, Unmatched
from covaction.settings import Settings

AUTO_FILES = ("coverage.xml", ".coverage", "coverage.json")
GO_MOD_CAP = 1024 * 1024
GO_SOURCE_CAP = 16 * 1024 * 1024


def find(settings: Settings, workspace: Workspace, runner: Runner) -> list[str]:
    """Workspace-relative report paths; [] means "the pin check alone"."""
    if settings.coverage_files:
        found: list[str] = []
        for pattern in settings.coverage_files:
            matches = workspace.glob(pattern) if any(ch in pattern for ch in "*?[") else [pattern]
            if not matches:
                raise ReportError(
                    f"coverage-files: {pattern!r} matches no file in the workspace; check the path "
                    "and that the tests wrote their report before this step"
                )
            for m in matches:
                if m not in found:
                    found.append(m)
        return found
    choice = coverage_data.choose_auto_report(workspace, AUTO_FILES)
    if choice is not None:
        runner.info(choice.info)
        if choice.warning:
            runner.warning(choice.warning)
        return [choice.name]
    gated = (
        settings.minimum_coverage is not None
        or settings.minimum_diff_coverage is not None
        or settings.maximum_coverage_drop is not None
    )
    if gated:
        raise ReportError(
            "no coverage report found: looked for coverage.xml, .coverage and coverage.json at the "
            "workspace root; run the tests with coverage first, or set coverage-files"
        )
    runner.notice("No coverage report found and no coverage gate set: running the pin check alone")
    return []


def load(
    settings: Settings,
    workspace: Workspace,
    tracked: Sequence[str] | None,
    scratch: Path,
    names: list[str],
    environ: Mapping[str, str] | None = None,
) -> CoverageReport:
    """Every report parsed, mapped onto the repository's paths and merged (`environ`: the
    run's environment, for coverage.py's reading of a `.coverage` file and its settings)."""
    ws = workspace
    mapper = paths.PathMapper(
        str(ws.root), tracked, exists=ws.exists, listing=lambda: ws.glob("**/*")
    )
    parsed: list[ParsedReport] = []
    extra_unmatched: list[Unmatched] = []
    for name in names:
        what = f"coverage report {name}"
        fmt = settings.format
        if fmt == "auto":
            fmt = formats.detect(ws.head(name, what), name)
        if fmt == "coveragepy":
            path = ws.resolve(name, what)
            ws.check_regular(path, name, what, REPORT_CAP)
            report, unmatched = coverage_data.parse_data_file(
                path,
                name,
                str(ws.root),
                lambda p: mapper.map(p),
                scratch,
                config_file=settings.coverage_config,
                environ=environ,
            )
            parsed.append(report)
            extra_unmatched.extend(unmatched)
        else:
            report = formats.parse(fmt, ws.chunks(name, what), name)
            if fmt == "go":
                report = _map_go_modules(ws, tracked, report)
            parsed.append(report)
    merged = paths.map_reports(parsed, mapper, settings.coverage_metric)
    if extra_unmatched:
        seen = {u.path for u in merged.unmatched}
        merged = replace(
            merged,
            unmatched=merged.unmatched + tuple(u for u in extra_unmatched if u.path not in seen),
        )
    if "coverage.py" in merged.producers:
        digits, note = coverage_data.display_precision(
            ws, scratch, settings.coverage_config, environ
        )
        merged = replace(
            merged, precision=digits, notices=merged.notices + ((note,) if note else ())
        )
    if not merged.files and not merged.unplaced:
        raise ReportError(
            f"{', '.join(names)}: the report holds no file; check that the tests ran under coverage"
        )
    return merged


def _map_go_modules(
    ws: Workspace, tracked: Sequence[str] | None, report: ParsedReport
) -> ParsedReport:
    """Go profiles name files by import path: map them through the repository's go.mod/go.work."""
    candidates = tracked if tracked is not None else ws.glob("**/go.mod")
    mods = {}
    for rel in candidates:
        if rel == "go.mod" or rel.endswith("/go.mod"):
            try:
                mods[rel] = ws.read(rel, "go.mod", GO_MOD_CAP)
            except WorkspaceError:
                continue
    work = ws.read("go.work", "go.work", GO_MOD_CAP) if ws.exists("go.work") else None
    roots = gocover.module_roots(mods, work)
    files = []
    for fc in report.files:
        target = gocover.map_import_path(fc.path, roots)
        files.append(fc.with_path(target) if target else fc)

    def source(path: str) -> bytes | None:
        """A Go file's source, to count statements per function as `go tool cover -func`."""
        if not path.endswith(".go") or not ws.exists(path):
            return None
        try:
            return ws.read(path, "Go source", GO_SOURCE_CAP)
        except WorkspaceError:
            return None

    return gocover.in_functions_all(replace(report, files=tuple(files)), source)
