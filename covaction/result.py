"""The whole result as a versioned JSON document (`report-json`), and the step's outputs.

Schema "covaction-result", version 1. Percentages are strings with coverage.py's rounding (for
display) next to the exact counts they come from; tools downstream should compute from counts.
Fields are only ever added within a version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from covaction import __version__
from covaction.compare import Comparison
from covaction.context import GitHubContext
from covaction.gates import Verdict
from covaction.model import Counts, display_percent

SCHEMA = "covaction-result"
VERSION = 1


def _pct(value: Any) -> str | None:
    return None if value is None else display_percent(value)


def counts_doc(c: Counts) -> dict[str, Any]:
    return {
        "percent": display_percent(c.percent),
        "statements": c.statements,
        "covered_lines": c.covered_lines,
        "missing_lines": c.missing_lines,
        "branches": c.branches,
        "covered_branches": c.covered_branches,
        "line_percent": display_percent(c.line_percent),
        "branch_percent": _pct(c.branch_percent),
    }


def document(
    *,
    settings: Any,
    comparison: Comparison | None,
    verdict: Verdict,
    refs: Iterable[Any],
    suggestions: Mapping[str, str],
    github: GitHubContext,
    comment_url: str,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "covaction": __version__,
        "report_name": settings.report_name,
        "passed": verdict.passed,
        "gates": [
            {
                "name": c.name,
                "status": c.status,
                "actual": _pct(c.actual),
                "required": None if c.required is None else str(c.required),
                "message": c.message,
            }
            for c in verdict.checks
        ],
        "context": {
            "event": github.event_name,
            "repository": github.repository,
            "sha": github.sha,
            "pull_request": github.pull_request.number if github.pull_request else None,
            "head_sha": github.pull_request.head_sha if github.pull_request else None,
            "base_ref": github.pull_request.base_ref if github.pull_request else None,
        },
        "comment_url": comment_url or None,
    }
    if comparison is not None:
        report = comparison.report
        doc["coverage"] = {
            "formats": list(report.formats),
            "sources": list(report.sources),
            "has_branches": report.has_branches,
            "totals": counts_doc(comparison.counts),
            "files": [
                {"path": row.path, **counts_doc(row.counts), "missing": row.missing}
                for row in sorted(comparison.files, key=lambda r: r.path)
            ],
            "unmatched": [{"path": u.path, "reason": u.reason} for u in report.unmatched],
        }
        b = comparison.baseline
        doc["comparison"] = {
            "baseline": None
            if b is None
            else {
                "commit": b.commit,
                "branch": b.branch,
                "created_at": b.created_at,
                "totals": counts_doc(b.counts),
            },
            "note": comparison.baseline_note,
            "delta": _pct(comparison.delta) if comparison.delta is None or comparison.delta >= 0 else "-" + display_percent(-comparison.delta),
            "files": [
                {
                    "path": row.path,
                    "status": row.status or "changed",
                    "percent": display_percent(row.percent),
                    "base_percent": None if row.base is None else display_percent(row.base.percent),
                }
                for row in comparison.files
                if b is not None
            ]
            + [{"path": row.path, "status": "deleted", "percent": None,
                "base_percent": display_percent(row.base.percent) if row.base else None}
               for row in comparison.deleted],
        }
        d = comparison.diff
        doc["diff"] = None if d is None else {
            "percent": _pct(d.percent),
            "covered_lines": d.counts.covered_lines,
            "coverable_lines": d.counts.statements,
            "files": [
                {
                    "path": f.path,
                    "status": str(f.status),
                    "coverable": list(f.coverable),
                    "covered": list(f.covered),
                    "uncovered": list(f.uncovered),
                    "partial": list(f.partial),
                    "percent": _pct(f.percent),
                }
                for f in d.files.values()
            ],
            "not_in_report": list(d.not_in_report),
            "not_measured": list(d.not_measured),
        }
    doc["pinning"] = {
        "policy": settings.pin_policy,
        "references": [
            {
                "file": r.file,
                "line": r.line,
                "uses": r.uses,
                "verdict": r.verdict,
                "allowed": r.allowed,
                "reason": r.reason,
                "suggestion": suggestions.get(r.uses) or None,
            }
            for r in refs
        ],
    }
    return doc


def outputs(
    comparison: Comparison | None,
    verdict: Verdict,
    pins: Any,
    comment_url: str,
    baseline_path: str,
) -> dict[str, str]:
    out = {
        "coverage": "",
        "branch-coverage": "",
        "diff-coverage": "",
        "base-coverage": "",
        "coverage-delta": "",
        "unpinned-actions": str(len(pins.findings)),
        "passed": "true" if verdict.passed else "false",
        "comment-url": comment_url,
        "baseline-path": baseline_path,
    }
    if comparison is not None:
        out["coverage"] = display_percent(comparison.counts.percent)
        bp = comparison.counts.branch_percent
        out["branch-coverage"] = "" if bp is None else display_percent(bp)
        if comparison.diff is not None and comparison.diff.percent is not None:
            out["diff-coverage"] = display_percent(comparison.diff.percent)
        if comparison.base_counts is not None:
            out["base-coverage"] = display_percent(comparison.base_counts.percent)
        delta = comparison.delta
        if delta is not None:
            out["coverage-delta"] = ("-" if delta < 0 else "") + display_percent(abs(delta))
    return out
