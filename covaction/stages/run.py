"""The run, in order: reports, changes, baseline, pins, gates, render, publish; nothing else.

Each step is a stage of its own module that takes the edges it uses and returns data; this
module only sequences them and hands what they return to the next.
"""

from __future__ import annotations

import contextlib

from covaction import compare, diff_coverage, gates, paths
from covaction.documents import result
from covaction.edges import Edges, git
from covaction.errors import ExitCode
from covaction.github_context import GitHubContext
from covaction.model import display_precision
from covaction.pins.workflows import PinSummary
from covaction.render import markdown, parts, text
from covaction.render.annotations import plan as plan_annotations
from covaction.settings import Output, Settings
from covaction.stages import (
    baseline_search,
    changes,
    check_run,
    pin_check,
    pr_comment,
    reports,
    uploads,
    workflow_run_comment,
)


def run(settings: Settings, edges: Edges, github: GitHubContext) -> ExitCode:
    """One run of the action (or of the `covaction` command); returns the gates' exit code."""
    if settings.mode == "publish" or github.event_name == "workflow_run":
        # A fork's result is posted from a trusted workflow: nothing of the checkout is read,
        # and no git runs.
        return workflow_run_comment.publish(settings, edges, github)
    with contextlib.ExitStack() as scope:
        return _run(settings, edges, github, scope)


def _run(
    settings: Settings, edges: Edges, github: GitHubContext, scope: contextlib.ExitStack
) -> ExitCode:
    runner, ws = edges.runner, edges.workspace
    # In a workflow, the files of the checkout's commit; on a laptop, new files not yet
    # added too.
    tracked = git.tracked_files(
        str(ws.root), edges.environ, runner.warning, untracked=not runner.actions
    )
    report_files = reports.find(settings, ws, runner)
    pin_only = not report_files
    report = (
        None
        if pin_only
        else reports.load(settings, ws, tracked, edges.scratch, report_files, edges.environ)
    )
    if report is not None and report.precision is not None:
        # Every percentage the run shows, logs or outputs, with the repository's decimals.
        scope.enter_context(display_precision(report.precision))
    changed = None if pin_only else changes.load(settings, edges, github.pull_request)
    lookup = (
        baseline_search.Lookup(None, "")
        if pin_only
        else baseline_search.load(settings, edges, github)
    )
    refs = pin_check.scan(settings, ws, tracked)

    diff = (
        diff_coverage.diff_coverage(report, changed)
        if (report is not None and changed is not None)
        else None
    )
    comparison = (
        compare.compare(report, lookup.baseline, diff, lookup.note) if report is not None else None
    )
    pin_summary = PinSummary.of(refs)
    suggestions, pin_notes = pin_check.suggest(edges, pin_summary.findings, refs)
    no_lookup = "" if edges.api is not None else edges.api_note
    verdict = gates.checks_for(
        comparison,
        minimum=settings.minimum_coverage,
        minimum_diff=settings.minimum_diff_coverage,
        maximum_drop=settings.maximum_coverage_drop,
        pin_policy=settings.pin_policy,
        pin_findings=len(pin_summary.findings),
    )

    planned = plan_annotations(settings.pin_policy, comparison, pin_summary.findings, suggestions)
    # Keep room for what the run prints later: one error per failed gate, and a warning or two
    # (a comment not written, API work skipped).
    later = {"error": len(verdict.failed), "warning": 2}
    annotation_notes = check_run.annotate(settings, edges, github, planned, later)

    notices = list(report.notices if report else ())
    placement = paths.placement_warning(report) if report else ""
    if placement:
        runner.warning(placement)
    elif report and report.unmatched:
        runner.warning(
            f"{len(report.unmatched)} report path(s) match no file in the repository: counted in "
            f"the totals, without links, e.g. {report.unmatched[0].path[:200]} "
            f"({report.unmatched[0].reason})" + ("; see the job summary" if runner.actions else "")
        )
    for note in notices:
        runner.notice(note)
    links = markdown.Links(
        server_url=github.server_url,
        repository=github.repository,
        head_sha=github.pull_request.head_sha if github.pull_request else github.sha,
        run_url=github.run_url,
        pull_request=github.pull_request.number if github.pull_request else 0,
    )
    pr = github.pull_request
    # The fork's token cannot comment: keep the result as data for a trusted workflow_run
    # workflow to render and post (mode: publish).
    store = pr is not None and pr.is_fork and comparison is not None
    if comparison is not None:
        if store or settings.report_json:
            # The document writes every file's missed lines: made first, the tables' cells
            # are cut from them.
            parts.make_missing(comparison)
        ctx = markdown.build_context(
            report_name=settings.report_name,
            comparison=comparison,
            verdict=verdict,
            thresholds={
                "minimum-coverage": settings.minimum_coverage,
                "minimum-diff-coverage": settings.minimum_diff_coverage,
                "maximum-coverage-drop": settings.maximum_coverage_drop,
            },
            links=links,
            findings=pin_summary.findings,
            suggestions=suggestions,
            pin_policy=settings.pin_policy,
            pin_counts=result.pin_counts(pin_summary),
            pin_notes=pin_notes,
            notices=notices,
            annotation_notes=annotation_notes,
            rollup_depth=settings.folder_depth,
            no_lookup=no_lookup,
        )
        comment = markdown.render_comment(ctx)
        summary = markdown.render_summary(ctx)
        terminal = text.render_text(ctx)
    else:
        comment = ""
        summary = markdown.render_pins_only(
            verdict,
            markdown.pin_rows(pin_summary.findings, suggestions, no_lookup),
            pin_summary,
            pin_notes,
        )
        terminal = summary
    # The summary and the outputs go out before the comment and the uploads: nothing GitHub
    # does afterwards (stalls, rate limits, the API deadline) can cost them.
    outputs = result.outputs(comparison, verdict, pin_summary, "", "", settings.pin_policy)
    if runner.actions:
        runner.write_summary(summary)
    elif settings.output == Output.MARKDOWN:
        runner.info(comment or summary)
    elif settings.output == Output.SUMMARY:
        runner.info(summary)
    else:
        runner.info(terminal)
    runner.set_outputs(outputs)

    comment_url = ""
    if runner.actions and comment:
        comment_url = pr_comment.post(settings, edges, github.pull_request, comment)
    baseline_path = ""
    if report is not None:
        baseline_path = uploads.store_baseline(settings, edges, github, report, lookup)
        if settings.write_baseline:
            uploads.write_baseline_file(settings, edges, github, report, lookup)

    late: dict[str, str] = {}
    if store or settings.report_json:
        # Built only when asked for: on a large report it is a second pass over every file.
        doc = result.document(
            settings=settings,
            comparison=comparison,
            verdict=verdict,
            refs=refs,
            suggestions=suggestions,
            github=github,
            comment_url=comment_url,
            pin_notes=tuple(pin_notes),
        )
        if store:
            uploads.store_result(settings, edges, doc)
        if settings.report_json:
            late["report-json"] = uploads.write_report_json(settings, ws, doc)
    if comment_url:
        late["comment-url"] = comment_url
    if baseline_path:
        late["baseline-path"] = baseline_path
    if late:
        runner.set_outputs(late)
    if edges.api is not None and edges.api.skipped_note():
        runner.warning(edges.api.skipped_note())
    for check in verdict.failed:
        runner.error(check.message)
    return verdict.exit_code
