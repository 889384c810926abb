"""The stages of one run, in order: reports, diff, baseline, pins, gates, render, publish."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from covaction import formats, gates
from covaction.documents import result
from covaction.edges import artifact_download, coverage_data
from covaction.edges import git as git_mod
from covaction.edges.runner import Annotation
from covaction.edges.workspace import REPORT_CAP, Workspace
from covaction.errors import DiffError, InputError, ReportError, WorkspaceError
from covaction.model import CoverageReport, ParsedReport, Unmatched
from covaction.pins import workflows as workflows_mod
from covaction.render import markdown
from covaction.settings import Settings
from covaction.stages import workflow_run_comment

if TYPE_CHECKING:
    from covaction.changed_lines import ChangedLines
    from covaction.cli import Edges
    from covaction.documents.baseline import Baseline
    from covaction.edges.github_rest import GitHubApi
    from covaction.github_context import GitHubContext
    from covaction.pins.workflows import ActionRef

AUTO_FILES = ("coverage.xml", ".coverage", "coverage.json")
_UNSET = object()
DIFF_CAP = 256 * 1024 * 1024
WORKFLOW_CAP = 1024 * 1024
BASELINE_CAP = 64 * 1024 * 1024
EVENT_CAP = 25 * 1024 * 1024


@dataclass
class Run:
    """What the stages share; built once per run."""

    settings: Settings
    edges: Edges
    workspace: Workspace
    github: GitHubContext
    tracked: list[str] | None
    scratch: Path
    api: GitHubApi | None = None
    api_note: str = ""
    previous_baseline: Any = _UNSET  # the branch's last baseline, once looked up on a push

    @property
    def runner(self):  # type: ignore[no-untyped-def]
        return self.edges.runner


def run(settings: Settings, edges: Edges) -> int:
    from covaction import github_context

    environ = edges.environ
    runner = edges.runner
    root = environ.get("GITHUB_WORKSPACE") or os.getcwd()
    if not os.path.isdir(root):
        raise InputError(f"GITHUB_WORKSPACE {root[:200]!r} is not a directory")
    workspace = Workspace(root)
    github = github_context.from_environ(environ, _event_bytes(environ))
    for note in github.notes:
        runner.warning(note)
    tracked = git_mod.tracked_files(str(workspace.root), environ)
    scratch_root = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    with tempfile.TemporaryDirectory(
        prefix="covaction-", dir=scratch_root if os.path.isdir(scratch_root) else None
    ) as tmp:
        state = Run(settings, edges, workspace, github, tracked, Path(tmp))
        return _run(state)


def _event_bytes(environ: Any) -> bytes | None:
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        return None
    # Only a regular file within the cap (a FIFO would hang); context.py then says the
    # payload could not be read, and the run degrades to "not a pull request".
    try:
        p = Path(path)
        if not p.is_file() or p.stat().st_size > EVENT_CAP:
            return None
        return p.read_bytes()
    except OSError:
        return None


def _run(state: Run) -> int:
    settings, runner = state.settings, state.runner
    _connect(state)
    if settings.mode == "publish" or state.github.event_name == "workflow_run":
        return workflow_run_comment.run_publish(state)
    report_files = find_reports(state)
    pin_only = not report_files
    report = None if pin_only else load_reports(state, report_files)
    changes = None if pin_only else load_changes(state)
    baseline, baseline_note = (None, "") if pin_only else load_baseline(state)
    refs = scan_pins(state)

    from covaction import compare, diff_coverage

    diff = (
        diff_coverage.diff_coverage(report, changes)
        if (report is not None and changes is not None)
        else None
    )
    comparison = (
        compare.compare(report, baseline, diff, baseline_note) if report is not None else None
    )
    pin_summary = workflows_mod.PinSummary.of(refs)
    suggestions, pin_notes = suggest_pins(state, pin_summary.findings, refs)
    checks: list[gates.Check | None] = []
    if comparison is not None:
        checks += gates.coverage_checks(
            total=comparison.counts.percent,
            diff_known=diff is not None,
            diff_percent=diff.percent if diff else None,
            compared_total=comparison.compared_counts.percent,
            base_total=comparison.base_counts.percent if comparison.base_counts else None,
            minimum=settings.minimum_coverage,
            minimum_diff=settings.minimum_diff_coverage,
            maximum_drop=settings.maximum_coverage_drop,
            baseline_note=baseline_note,
        )
    checks.append(gates.pins_check(settings.pin_policy, len(pin_summary.findings)))
    verdict = gates.evaluate(*checks)

    annotations = build_annotations(state, comparison, pin_summary.findings, suggestions)
    annotation_notes = tuple(runner.annotate(annotations)) if settings.annotations else ()

    rows = tuple(
        markdown.PinRow(r.file, r.line, r.uses, r.verdict, r.reason, suggestions.get(r.uses, ""))
        for r in pin_summary.findings
    )
    notices = list(report.notices if report else ())
    if report and report.unmatched:
        runner.warning(
            f"{len(report.unmatched)} report path(s) match no file in the repository and are not "
            f"counted, e.g. {report.unmatched[0].path[:200]} ({report.unmatched[0].reason}); "
            "see the job summary"
        )
    for note in notices:
        runner.notice(note)
    links = markdown.Links(
        server_url=state.github.server_url,
        repository=state.github.repository,
        head_sha=(
            state.github.pull_request.head_sha if state.github.pull_request else state.github.sha
        ),
        run_url=state.github.run_url,
    )
    outputs: dict[str, str] = {}
    comment_url = ""
    if comparison is not None:
        ctx = markdown.RenderContext(
            report_name=settings.report_name,
            comparison=comparison,
            verdict=verdict,
            thresholds={
                "minimum-coverage": settings.minimum_coverage,
                "minimum-diff-coverage": settings.minimum_diff_coverage,
                "maximum-coverage-drop": settings.maximum_coverage_drop,
            },
            links=links,
            pins=rows,
            pin_policy=settings.pin_policy,
            pin_counts=result.pin_counts(pin_summary),
            pin_notes=tuple(pin_notes),
            notices=tuple(notices),
            annotation_notes=annotation_notes,
        )
        comment = markdown.render_comment(ctx)
        summary = markdown.render_summary(ctx)
    else:
        comment = ""
        summary = markdown.render_pins_only(verdict, rows, pin_summary, pin_notes)
    if runner.actions:
        runner.write_summary(summary)
        comment_url = publish_comment(state, comment) if comment else ""
    else:
        runner.info(summary if not comment else comment + "\n\n---\n\n" + summary)
    baseline_path = ""
    if report is not None:
        baseline_path = store_baseline(state, report)

    doc = result.document(
        settings=settings,
        comparison=comparison,
        verdict=verdict,
        refs=refs,
        suggestions=suggestions,
        github=state.github,
        comment_url=comment_url,
        pin_notes=tuple(pin_notes),
    )
    pr = state.github.pull_request
    if pr is not None and pr.is_fork and comparison is not None:
        # The fork's token cannot comment: keep the result as data for a trusted workflow_run
        # workflow to render and post (mode: publish).

        workflow_run_comment.store_result(state, doc)
    if settings.report_json:
        path = write_report_json(state, doc)
        outputs["report-json"] = path
    outputs.update(result.outputs(comparison, verdict, pin_summary, comment_url, baseline_path))
    runner.set_outputs(outputs)
    for check in verdict.failed:
        runner.error(check.message)
    return verdict.exit_code


# ---------------------------------------------------------------------------- API


def _connect(state: Run) -> None:
    gh = state.github
    if not state.settings.token:
        state.api_note = "no token (laptop run, or github-token is empty)"
        return
    if not gh.actions:
        state.api_note = "not running in GitHub Actions"
        return
    if not gh.repository or not gh.api_url:
        state.api_note = "GITHUB_REPOSITORY or GITHUB_API_URL is missing or malformed"
        return
    from covaction.edges.github_rest import GitHubApi

    factory = state.edges.github_factory or GitHubApi
    max_wait = state.edges.environ.get("COVACTION_MAX_RETRY_WAIT", "")
    kwargs: dict[str, Any] = {}
    if re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,3})?", max_wait, re.ASCII):
        kwargs["max_wait"] = float(max_wait)
    state.api = factory(state.settings.token, gh.api_url, gh.repository, **kwargs)


# ---------------------------------------------------------------------------- reports


def find_reports(state: Run) -> list[str]:
    """Workspace-relative report paths; [] means "pin check alone" (issue: pin-only mode)."""
    settings, ws = state.settings, state.workspace
    if settings.coverage_files:
        found: list[str] = []
        for pattern in settings.coverage_files:
            matches = ws.glob(pattern) if any(ch in pattern for ch in "*?[") else [pattern]
            if not matches:
                raise ReportError(
                    f"coverage-files: {pattern!r} matches no file in the workspace; check the path "
                    "and that the tests wrote their report before this step"
                )
            for m in matches:
                if m not in found:
                    found.append(m)
        return found
    for name in AUTO_FILES:
        if ws.exists(name):
            state.runner.info(f"Using {name} (auto-detected; set coverage-files to choose)")
            return [name]
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
    state.runner.notice(
        "No coverage report found and no coverage gate set: running the pin check alone"
    )
    return []


def load_reports(state: Run, names: list[str]) -> CoverageReport:
    from covaction import paths

    ws = state.workspace
    mapper = paths.PathMapper(
        str(ws.root), state.tracked, exists=ws.exists, listing=lambda: ws.glob("**/*")
    )
    parsed: list[ParsedReport] = []
    extra_unmatched: list[Unmatched] = []
    for name in names:
        what = f"coverage report {name}"
        fmt = state.settings.format
        if fmt == "auto":
            fmt = formats.detect(ws.head(name, what), name)
        if fmt == "coveragepy":
            path = ws.resolve(name, what)
            ws.check_regular(path, name, what, REPORT_CAP)
            report, unmatched = coverage_data.parse_data_file(
                path, name, str(ws.root), lambda p: mapper.map(p), state.scratch
            )
            parsed.append(report)
            extra_unmatched.extend(unmatched)
        else:
            report = formats.parse(fmt, ws.chunks(name, what), name)
            if fmt == "go":
                report = _map_go_modules(state, report)
            parsed.append(report)
    merged = paths.map_reports(parsed, mapper)
    if extra_unmatched:
        from dataclasses import replace

        seen = {u.path for u in merged.unmatched}
        merged = replace(
            merged,
            unmatched=merged.unmatched + tuple(u for u in extra_unmatched if u.path not in seen),
        )
    if not merged.files and not merged.unmatched:
        raise ReportError(
            f"{', '.join(names)}: the report holds no file; check that the tests ran under coverage"
        )
    if not merged.files:
        raise ReportError(
            f"{', '.join(names)}: none of the {len(merged.unmatched)} paths in the report "
            f"matches a file in the repository (e.g. {merged.unmatched[0].path[:200]}); run "
            "covaction from the repository root, or use relative paths (coverage.py: "
            "relative_files = true)"
        )
    return merged


def _map_go_modules(state: Run, report: ParsedReport) -> ParsedReport:
    """Go profiles name files by import path: map them through the repository's go.mod/go.work."""
    from dataclasses import replace

    from covaction.formats import gocover

    ws = state.workspace
    candidates = state.tracked if state.tracked is not None else ws.glob("**/go.mod")
    mods = {}
    for rel in candidates:
        if rel == "go.mod" or rel.endswith("/go.mod"):
            try:
                mods[rel] = ws.read(rel, "go.mod", 1024 * 1024)
            except WorkspaceError:
                continue
    work = ws.read("go.work", "go.work", 1024 * 1024) if ws.exists("go.work") else None
    roots = gocover.module_roots(mods, work)
    files = []
    for fc in report.files:
        target = gocover.map_import_path(fc.path, roots)
        files.append(fc.with_path(target) if target else fc)
    return replace(report, files=tuple(files))


# ---------------------------------------------------------------------------- diff


def load_changes(state: Run) -> ChangedLines | None:
    from covaction import changed_lines

    settings, ws = state.settings, state.workspace
    if settings.diff_file:
        data = ws.read(settings.diff_file, "diff-file", DIFF_CAP)
        return changed_lines.parse_unified_diff(data)
    if settings.diff_base:
        return changed_lines.parse_unified_diff(
            git_mod.diff_against(str(ws.root), state.edges.environ, settings.diff_base)
        )
    pr = state.github.pull_request
    if pr is None or state.api is None:
        return None
    from covaction.edges.github_rest import ApiFailure

    try:
        entries = state.api.pr_files(pr.number)
    except ApiFailure as failure:
        state.runner.warning(f"diff coverage skipped: {failure.message}")
        return None
    changes = _fill_missing_patches(state, changed_lines.from_github_files(entries), pr.base_sha)
    if pr.changed_files and len(entries) < pr.changed_files:
        state.runner.warning(
            f"GitHub listed {len(entries)} of the pull request's {pr.changed_files} changed files "
            "(its API stops at 3,000); diff coverage covers those only"
        )
    return changes


def _fill_missing_patches(state: Run, changes: ChangedLines, base_sha: str) -> ChangedLines:
    """Files GitHub sent no patch for (large or binary): `git diff` when the base is here."""
    from dataclasses import replace

    from covaction import changed_lines

    missing = [p for p in changes.not_measured if changes.files[p].status != "binary"]
    if not missing:
        return changes
    root, environ = str(state.workspace.root), state.edges.environ
    if not git_mod.has_commit(root, environ, base_sha):
        state.runner.info(
            f"{len(missing)} changed file(s) came without a patch and the base commit is not in "
            "the checkout (actions/checkout fetch-depth: 0 fetches it): listed as not measured"
        )
        return changes
    try:
        local = changed_lines.parse_unified_diff(
            git_mod.diff_paths(root, environ, base_sha, "HEAD", missing)
        )
    except DiffError as exc:
        state.runner.info(f"Changed lines of files without a patch stay unknown: {exc}")
        return changes
    files = dict(changes.files)
    for path in missing:
        found = local.files.get(path)
        if found is not None and found.measured:
            files[path] = found
    return replace(changes, files=files)


# ---------------------------------------------------------------------------- baseline


def load_baseline(state: Run) -> tuple[Baseline | None, str]:
    from covaction.documents import baseline as baseline_module

    settings = state.settings
    if settings.baseline_file:
        data = state.workspace.read(settings.baseline_file, "baseline-file", BASELINE_CAP)
        try:
            return baseline_module.loads_baseline(
                data, settings.baseline_file
            ), f"from {settings.baseline_file}"
        except baseline_module.BaselineError as exc:
            raise InputError(f"baseline-file: {exc}") from None
    pr = state.github.pull_request
    if pr is None:
        if state.github.on_default_branch and state.api is not None:
            state.previous_baseline, note = artifact_download.previous_on_branch(state)
            return state.previous_baseline, note
        return None, "not a pull request"
    if state.api is None:
        return None, f"no API access ({state.api_note})"

    return artifact_download.find_baseline(state, pr)


def store_baseline(state: Run, report: CoverageReport) -> str:
    gh = state.github
    if not gh.on_default_branch:
        return ""

    if state.previous_baseline is not _UNSET:
        return artifact_download.store_baseline(state, report, state.previous_baseline)
    return artifact_download.store_baseline(state, report)


# ---------------------------------------------------------------------------- pins


def scan_pins(state: Run) -> tuple[ActionRef, ...]:

    settings, ws = state.settings, state.workspace
    if settings.pin_policy == "off":
        return ()
    allowlist = settings.pin_allowlist
    if state.tracked is not None:
        candidates = state.tracked
    else:
        # Without git: two walks (workflows, and both action file names in one pattern).
        candidates = ws.glob(".github/workflows/*") + ws.glob("**/action.y*ml")
    readable: list[tuple[str, bytes]] = []
    unreadable: list[ActionRef] = []
    for rel in workflows_mod.workflow_paths(candidates):
        try:
            readable.append((rel, ws.read(rel, "workflow", WORKFLOW_CAP)))
        except WorkspaceError as exc:
            # A workflow we cannot read (a link out of the workspace, over 1 MiB) is a finding.
            unreadable.append(
                workflows_mod.ActionRef(
                    file=rel, line=1, uses="", verdict="parse-error", reason=str(exc)[:200]
                )
            )
    refs = [*workflows_mod.scan(readable, allowlist), *unreadable]
    return tuple(refs)


def suggest_pins(
    state: Run, findings: tuple[ActionRef, ...], refs: tuple[ActionRef, ...] = ()
) -> tuple[dict[str, str], list[str]]:
    """With a token: resolve each unpinned tag or branch to its commit, and check that a pinned
    reference's `# vX.Y.Z` comment names the tag that points at its SHA (at most 50 lookups)."""

    todo = {r.uses: r for r in findings if r.verdict == "unpinned" and r.owner_repo and r.ref}
    commented = {
        r.uses: r
        for r in refs
        if r.verdict == "pinned" and r.kind == "action" and r.owner_repo and r.commented_version
    }
    if not todo and not commented:
        return {}, []
    if state.api is None:
        return {}, [f"Fix suggestions and version-comment checks were skipped: {state.api_note}."]
    from covaction.edges.github_rest import ApiFailure

    out: dict[str, str] = {}
    notes: list[str] = []
    budget = 50
    try:
        for uses, ref in todo.items():
            if budget == 0:
                break
            budget -= 1
            sha = state.api.resolve_ref(ref.owner_repo or "", ref.ref or "")
            if sha:
                out[uses] = workflows_mod.suggestion(ref, sha)
        for ref in commented.values():
            if budget == 0:
                break
            budget -= 1
            tag = ref.commented_version or ""
            sha = state.api.resolve_ref(ref.owner_repo or "", tag)
            if sha and workflows_mod.version_comment_mismatch(ref, sha):
                notes.append(
                    f"{ref.file}:{ref.line}: {ref.uses} says {tag} in its comment, but {tag} "
                    f"points at {sha[:12]}; update the SHA or the comment."
                )
                state.runner.warning(
                    f"{ref.uses} is commented {tag}, but {tag} points at another commit "
                    f"({sha[:12]})"
                )
    except ApiFailure as failure:
        notes.append(f"Could not resolve some references ({failure.message}).")
    if budget == 0:
        notes.append("Only the first 50 references were resolved.")
    return out, notes


# ---------------------------------------------------------------------------- annotations


def build_annotations(
    state: Run, comparison: Any, findings: tuple[ActionRef, ...], suggestions: dict[str, str]
) -> list[Annotation]:
    out: list[Annotation] = []
    level = "error" if state.settings.pin_policy == "fail" else "warning"
    for r in findings:
        fix = suggestions.get(r.uses, "")
        msg = f"{r.uses} is not pinned to a full commit SHA: {r.reason}" if r.uses else r.reason
        if fix:
            msg += f". Pin it: {fix}"
        out.append(Annotation(level, msg, file=r.file, line=r.line, title="Unpinned action"))
    if comparison is not None and comparison.diff is not None:
        ranges = []
        for row in comparison.changed:
            for first, last in row.diff.uncovered_ranges:
                ranges.append((last - first + 1, row.path, first, last))
        ranges.sort(key=lambda t: (-t[0], t[1], t[2]))
        for _size, path, first, last in ranges:
            what = f"Line {first}" if first == last else f"Lines {first}-{last}"
            verb = "is" if first == last else "are"
            out.append(
                Annotation(
                    "warning",
                    f"{what} {verb} added or changed but not covered by tests",
                    file=path,
                    line=first,
                    end_line=last,
                    title="Uncovered change",
                )
            )
    return out


# ---------------------------------------------------------------------------- publishing


def publish_comment(state: Run, body: str) -> str:
    settings, gh, runner = state.settings, state.github, state.runner
    if settings.comment == "off" or gh.pull_request is None:
        return ""
    if state.api is None:
        runner.warning(f"no pull request comment: {state.api_note}")
        return ""
    from covaction.edges.github_rest import ApiFailure

    try:
        result_ = state.api.upsert_comment(
            gh.pull_request.number, _marker(settings.report_name), body, settings.comment
        )
    except ApiFailure as failure:
        if failure.kind == "permission":
            fork = (
                " (a pull request from a fork gets a read-only token)"
                if gh.pull_request.is_fork
                else ""
            )
            runner.warning(
                f"could not write the pull request comment{fork}: the token lacks "
                "pull-requests: write. Grant it in the workflow's permissions, or post the "
                "comment from a workflow_run workflow (see the README, 'Pull requests from "
                "forks'); the job summary and outputs are written"
            )
        else:
            runner.warning(f"could not write the pull request comment: {failure.message}")
        return ""
    runner.info(f"Coverage comment {result_.action}: {result_.url}")
    return result_.url


def _marker(report_name: str) -> str:
    from covaction.render.markdown import marker

    return marker(report_name)


def write_report_json(state: Run, doc: dict[str, Any]) -> str:
    ws = state.workspace
    rel = state.settings.report_json
    target = ws.root / rel
    parent = target.parent.resolve()
    if parent != ws.root and ws.root not in parent.parents:
        raise InputError(f"report-json: {rel!r} leaves the workspace")
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise InputError(f"report-json: {rel!r} exists and is not a regular file")
    parent.mkdir(parents=True, exist_ok=True)
    from covaction.edges.workspace import write_atomic

    data = (json.dumps(doc, indent=2, sort_keys=False) + "\n").encode("utf-8")
    try:
        write_atomic(target, data)
    except OSError as exc:
        raise InputError(f"report-json: cannot write {rel!r} ({exc.strerror})") from None
    return rel
