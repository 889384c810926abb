"""The whole result as a versioned JSON document (`report-json`), and the step's outputs.

Schema "covaction-result", version 1. Percentages are strings with coverage.py's rounding (for
display) next to the exact counts they come from; tools downstream should compute from counts.
Fields are only ever added within a version; a reader ignores keys it does not know.

The document carries everything the pull-request comment shows, as numbers and findings, never
as Markdown: a fork's pull-request run stores it as an artifact, and a trusted `workflow_run`
run reads it back with `result_reader.loads` and renders the comment anew. That reader takes the
inputs only and recomputes every derived value (marked "derived" below) with the run's own
code, so a derived value is written for tools downstream and never trusted.

Fields (`counts` below is an object `{percent, metric, statements, covered_lines,
missing_lines, branches, covered_branches, units, covered_units, line_percent,
branch_percent}`: `percent` counts `metric`, `units` are Go statements or JaCoCo instructions
(0 without), `branch_percent` is null without branches; the percentages and `missing_lines` are
derived; lines are 1-based, line lists sorted and unique):

- `schema`, `version`, `covaction` (the writer's version), `report_name`, `passed` (derived).
- `thresholds`: `{minimum-coverage, minimum-diff-coverage, maximum-coverage-drop}`, each a
  decimal string as given, or null when not set.
- `gates[]` (derived): `{name (total|diff|drop|pins), status (passed|failed|skipped), actual
  (rounded percent or points, null when not measured), required (decimal string or null),
  message}`, in that order.
- `context`: `{event, repository, sha, run_id, pull_request (number or null), head_sha,
  base_ref}` of the run that wrote the document.
- `comment_url`: the comment this run wrote, or null.
- `notices[]`: the report parsers' notes (shown in the job summary).
- `coverage` (absent when there was no coverage report: pin check alone):
  `{formats[], sources[], has_branches, metric, precision (decimals shown, null for two),
  producers[], totals: counts (derived), files[]: {path, ...counts, missing ("12-18, 40"),
  missing_joins}, unmatched[]: {path, reason}, unplaced[]: {path, ...counts, missing, base:
  counts or null}}`; files sorted by path. `producers` are the tools that wrote the reports, as
  the reports say ("coverage.py", "gcovr", "Go", ...). `missing` is the missed lines as ranges
  of consecutive line numbers. `missing_joins`, present only where the comment joins some of
  those ranges (coverage.py's `coverage report -m` joins missed statements across comments and
  blank lines), has a "1" for each gap between two ranges of `missing` that the comment joins
  and a "0" for each it keeps: "101" shows "4, 7-8, 11-12, 14-15" as "4-8, 11-15". `unplaced`
  are the files measured but placed nowhere in the repository, under the path the report
  names: they count in every total; `base` is the baseline's counts of the file.
- `comparison`: `{baseline, note, delta (derived), files[]}`. `baseline` is null or `{commit,
  branch, created_at, run_id, report_name, covaction, has_branches, totals: counts (derived),
  trend[]: {commit, time, counts}}` (the baseline as compared: read on lines alone when this
  run measured no branches). `files[]` is empty without a baseline, else one entry per file of
  this run and per file deleted since the baseline: `{path, status (changed|new|deleted),
  percent, base_percent (both derived), base: counts or null}`; `base` is null for a new file,
  and for every file when the baseline cannot give this run's metric. `delta` is the signed
  total change in points.
- `diff`: null (changed lines unknown) or `{percent, covered_lines, coverable_lines, branches,
  covered_branches (these five derived), files[]: {path, status, changed[], coverable[],
  covered[], uncovered[] (both derived from `coverable` and the file's missing lines),
  partial[], branches, covered_branches, percent (derived)}, not_in_report[], not_measured[],
  unmeasured_sources[]}`; `unmeasured_sources` are the files of `not_in_report` that look like
  sources the report would measure.
- `pinning`: `{policy, counts (derived): {pinned, unpinned, local, unverifiable, parse-error,
  allowed}, notes[], references[]: {file, line, column, uses, kind, verdict (pinned|unpinned|
  local|unverifiable|parse-error), allowed, reason, suggestion}}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import partial
from itertools import repeat
from operator import sub
from typing import Any, overload

import orjson

from covaction import __version__
from covaction.compare import Comparison, FileRow
from covaction.documents.baseline import Baseline
from covaction.errors import DocumentError
from covaction.gates import Verdict
from covaction.github_context import GitHubContext
from covaction.model import (
    BRANCHES,
    LINES,
    LINES_AND_BRANCHES,
    MAX_PRECISION,
    UNIT_METRICS,
    Counts,
    display_percent,
    display_ratio,
    shown_precision,
)
from covaction.pins.workflows import ActionRef, PinSummary
from covaction.render import parts

SCHEMA = "covaction-result"
VERSION = 1


class ResultError(DocumentError):
    """A result document that cannot be used; the message is one line naming the problem."""


class Rows(Sequence[dict[str, Any]]):
    """One of a document's per-file lists, each entry made when it is read (`dumps` and the
    report-json writer take them a batch at a time): a large report's document held a dict per
    file in two lists, 36 MB of a 150 MB report's run. Its percentages are formatted when it
    is read, with the `display_precision` then in force: the run writes inside its own.

    `make` makes one entry; `make_batch`, where given, the entries of a slice at once (what
    `make` makes of each, with the batch's percentages formatted together)."""

    __slots__ = ("_items", "_make", "_make_batch")

    def __init__(
        self,
        items: Sequence[Any],
        make: Callable[[Any], dict[str, Any]],
        make_batch: Callable[[Sequence[Any]], list[dict[str, Any]]] | None = None,
    ) -> None:
        self._items = items
        self._make = make
        self._make_batch = make_batch

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            if self._make_batch is not None:
                return self._make_batch(self._items[index])
            return list(map(self._make, self._items[index]))
        return self._make(self._items[index])


def listed(value: Any) -> list[dict[str, Any]]:
    """`json.dumps`'s `default`: a `Rows` as the list it stands for."""
    if isinstance(value, Rows):
        return value[:]
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


ARTIFACT_PREFIX = "covaction-result-"
RESULT_FILE = "result.json"


def artifact_name(report_name: str) -> str:
    """The artifact that holds one report's result (report names are at most 64 characters)."""
    return ARTIFACT_PREFIX + report_name


# ---------------------------------------------------------------------------- writing


def percent_text(value: Any) -> str | None:
    return None if value is None else display_percent(value)


def signed_text(value: Fraction | None) -> str | None:
    if value is None or value >= 0:
        return percent_text(value)
    return "-" + display_percent(-value)


def counts_doc(c: Counts) -> dict[str, Any]:
    """`percent` is read as `metric` (lines, lines-and-branches, statements, ...); `units` and
    `covered_units` are the format's own units (Go statements, JaCoCo instructions), 0 without."""
    line_percent = c.shown_line_percent()
    return {
        "percent": line_percent if c.metric == LINES else c.shown(),
        "metric": c.effective_metric,
        "statements": c.statements,
        "covered_lines": c.covered_lines,
        "missing_lines": c.missing_lines,
        "branches": c.branches,
        "covered_branches": c.covered_branches,
        "units": c.units,
        "covered_units": c.covered_units,
        "line_percent": line_percent,
        "branch_percent": c.shown_branch_percent(),
    }


def file_doc(comparison: Comparison, row: FileRow) -> dict[str, Any]:
    """A measured file: its counts, its missed lines as ranges of consecutive line numbers
    (`missing`) and, where the comment joins some of those ranges (coverage.py's `coverage
    report -m` joins missed statements across comments and blank lines: "4-8" where `missing`
    says "4, 7-8"), which ones (`missing_joins`: a "1" for each gap between two ranges it
    joins, a "0" for each it keeps)."""
    # The joins first where they are shown: made with `missing` in one pass.
    joins = row.missing_joins if parts.joined_file(comparison, row) is not None else ""
    doc = {"path": row.path, **counts_doc(row.counts), "missing": row.missing}
    if "1" in joins:
        doc["missing_joins"] = joins
    return doc


def compared_doc(row: FileRow) -> dict[str, Any]:
    """A file against the baseline: measured now (and maybe then), or deleted since."""
    deleted = row.status == "deleted"
    base = None if row.base is None else counts_doc(row.base)
    return {
        "path": row.path,
        "status": row.status or "changed",
        "percent": None if deleted else row.counts.shown(),
        "base_percent": None if base is None else base["percent"],
        "base": base,
    }


def display_ratios(numerators: Sequence[int], denominators: Sequence[int]) -> list[str]:
    """`[display_ratio(n, d) for n, d in zip(numerators, denominators)]`, a batch at a time:
    report-json writes three of these per file and per baseline file (a large report's
    document, 60,000 and more).

    The precision is read once, each distinct percentage formatted once (a report's files
    share most of theirs: 100, 0, one half, ...) and all of them by one `%` of a format
    string. Only a percentage `display_ratio` moves (above 0 but shown as 0, below 100 but
    shown as 100) is written differently by the plain format, and only as the zero or the
    hundred: where these texts outnumber the exact 0 and 100, the batch is shown by
    `display_ratio` itself.
    """
    precision = shown_precision()
    if type(precision) is not int or not 0 <= precision <= MAX_PRECISION:
        return list(map(display_ratio, numerators, denominators))
    pcs = [100.0 if d <= 0 else 100 * n / d for n, d in zip(numerators, denominators, strict=True)]
    if not pcs:
        return []
    if min(pcs) <= 0 and min(numerators) < 0:
        # Below 0 (and -0.0, which equals 0.0 as a key and a count but is shown "-0.00"):
        # only from a negative count, which no report gives.
        return list(map(display_ratio, numerators, denominators))
    distinct = dict.fromkeys(pcs)
    # Format the distinct values where they are at most half (then map back), else all.
    keys = list(distinct) if 2 * len(distinct) <= len(pcs) else pcs
    texts = ("\n".join(repeat(_FORMATS[precision], len(keys))) % tuple(keys)).split("\n")
    if texts.count(_ZERO_TEXTS[precision]) > keys.count(0.0) or texts.count(
        _HUNDRED_TEXTS[precision]
    ) > keys.count(100.0):
        return list(map(display_ratio, numerators, denominators))
    if keys is pcs:
        return texts
    return list(map(dict(zip(keys, texts, strict=True)).__getitem__, pcs))


# "%.2f" % pc writes what f"{pc:.2f}" writes (both C's `PyOS_double_to_string` of 'f').
_FORMATS = tuple(f"%.{digits}f" for digits in range(MAX_PRECISION + 1))
_ZERO_TEXTS = tuple(f"{0.0:.{digits}f}" for digits in range(MAX_PRECISION + 1))
_HUNDRED_TEXTS = tuple(f"{100.0:.{digits}f}" for digits in range(MAX_PRECISION + 1))


def shown_percents(counts: Sequence[Counts], line_percents: list[str] | None = None) -> list[str]:
    """`[c.shown() for c in counts]`, a batch at a time (`display_ratios`); `line_percents`:
    their `shown_line_percent()`, where the caller has them (the percent of `lines`)."""
    metrics = [c.metric for c in counts]
    metric = metrics[0] if metrics else ""
    if metrics.count(metric) != len(metrics):  # a batch of several metrics: one at a time
        return [c.shown() for c in counts]
    if metric == LINES:
        if line_percents is not None:
            return line_percents
        return display_ratios([c.covered_lines for c in counts], [c.statements for c in counts])
    if metric == BRANCHES:
        return display_ratios([c.covered_branches for c in counts], [c.branches for c in counts])
    if metric in UNIT_METRICS:
        return display_ratios([c.covered_units for c in counts], [c.units for c in counts])
    # "" and lines-and-branches (and a metric this version does not know, as `numerator`);
    # without branches, the line percent's own two counts.
    if line_percents is not None and not any(c.branches or c.covered_branches for c in counts):
        return line_percents
    return display_ratios(
        [c.covered_lines + c.covered_branches for c in counts],
        [c.statements + c.branches for c in counts],
    )


# A batch of entries, as `counts_doc`, `file_doc` and `compared_doc` make each: the same
# keys in the same order, with the batch's percentages formatted together (`display_ratios`).
# The values are read a list per attribute (a comprehension reads a slot fastest).


def _counts_columns(counts: Sequence[Counts]) -> list[Sequence[Any]]:
    """`counts_doc`'s values for each of `counts`: a list per key, in the order of its keys."""
    if not counts:
        return [()] * 11
    statements = [c.statements for c in counts]
    covered_lines = [c.covered_lines for c in counts]
    branches = [c.branches for c in counts]
    covered_branches = [c.covered_branches for c in counts]
    line_percent = display_ratios(covered_lines, statements)
    branch_percent: list[str | None]
    if not any(branches):  # a report without branches
        branch_percent = [None] * len(counts)
    else:
        branch_percent = list(display_ratios(covered_branches, branches))
        if 0 in branches:  # None without branches (any other count is shown: `if branches`)
            branch_percent = [
                p if b else None for p, b in zip(branch_percent, branches, strict=True)
            ]
    metrics = [c.metric for c in counts]
    if metrics.count(metrics[0]) == len(metrics):
        metric = [metrics[0] or LINES_AND_BRANCHES] * len(metrics)
    else:
        metric = [m or LINES_AND_BRANCHES for m in metrics]  # `effective_metric`
    return [
        # `shown()` of `lines` is the line percent, which `counts_doc` writes as it is.
        shown_percents(counts, line_percent),
        metric,
        statements,
        covered_lines,
        list(map(sub, statements, covered_lines)),  # `missing_lines`
        branches,
        covered_branches,
        [c.units for c in counts],
        [c.covered_units for c in counts],
        line_percent,
        branch_percent,
    ]


def counts_docs(counts: Sequence[Counts]) -> list[dict[str, Any]]:
    """`[counts_doc(c) for c in counts]`."""
    return _counts_dicts(_counts_columns(counts))


def _counts_dicts(columns: list[Sequence[Any]]) -> list[dict[str, Any]]:
    return [
        {
            "percent": percent,
            "metric": metric,
            "statements": statements,
            "covered_lines": covered_lines,
            "missing_lines": missing_lines,
            "branches": branches,
            "covered_branches": covered_branches,
            "units": units,
            "covered_units": covered_units,
            "line_percent": line_percent,
            "branch_percent": branch_percent,
        }
        for (
            percent,
            metric,
            statements,
            covered_lines,
            missing_lines,
            branches,
            covered_branches,
            units,
            covered_units,
            line_percent,
            branch_percent,
        ) in zip(*columns, strict=True)
    ]


def file_docs(comparison: Comparison, rows: Sequence[FileRow]) -> list[dict[str, Any]]:
    """`[file_doc(comparison, row) for row in rows]`."""
    joins = [
        row.missing_joins if parts.joined_file(comparison, row) is not None else "" for row in rows
    ]
    docs = [
        {
            "path": path,
            "percent": percent,
            "metric": metric,
            "statements": statements,
            "covered_lines": covered_lines,
            "missing_lines": missing_lines,
            "branches": branches,
            "covered_branches": covered_branches,
            "units": units,
            "covered_units": covered_units,
            "line_percent": line_percent,
            "branch_percent": branch_percent,
            "missing": missing,
        }
        for (
            path,
            percent,
            metric,
            statements,
            covered_lines,
            missing_lines,
            branches,
            covered_branches,
            units,
            covered_units,
            line_percent,
            branch_percent,
            missing,
        ) in zip(
            [row.path for row in rows],
            *_counts_columns([row.counts for row in rows]),
            [row.missing for row in rows],
            strict=True,
        )
    ]
    for doc, joined in zip(docs, joins, strict=True):
        if "1" in joined:
            doc["missing_joins"] = joined
    return docs


def compared_docs(rows: Sequence[FileRow]) -> list[dict[str, Any]]:
    """`[compared_doc(row) for row in rows]`."""
    if not rows:
        return []
    statuses = [row.status for row in rows]
    counts = [row.counts for row in rows]
    bases = [row.base for row in rows]
    present = [b for b in bases if b is not None]
    columns = _counts_columns(present)
    base_docs: Sequence[dict[str, Any] | None] = _counts_dicts(columns)
    base_percents: Sequence[str | None] = columns[0]
    if len(present) < len(bases):  # None where there is no base
        made, shown = iter(base_docs), iter(base_percents)
        base_docs = [None if b is None else next(made) for b in bases]
        base_percents = [None if b is None else next(shown) for b in bases]
    percents: Sequence[str | None]
    if "deleted" in statuses:  # a deleted file has no percent now
        now = iter(
            shown_percents([c for c, s in zip(counts, statuses, strict=True) if s != "deleted"])
        )
        percents = [None if s == "deleted" else next(now) for s in statuses]
    else:
        percents = shown_percents(counts)
    return [
        {
            "path": path,
            "status": status or "changed",
            "percent": percent,
            "base_percent": base_percent,
            "base": base,
        }
        for path, status, percent, base_percent, base in zip(
            [row.path for row in rows], statuses, percents, base_percents, base_docs, strict=True
        )
    ]


def document(
    *,
    settings: Any,
    comparison: Comparison | None,
    verdict: Verdict,
    refs: Iterable[ActionRef],
    suggestions: Mapping[str, str],
    github: GitHubContext,
    comment_url: str,
    pin_notes: Sequence[str] = (),
) -> dict[str, Any]:
    refs = tuple(refs)
    pr = github.pull_request
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "version": VERSION,
        "covaction": __version__,
        "report_name": settings.report_name,
        "passed": verdict.passed,
        "thresholds": {
            "minimum-coverage": decimal_text(settings.minimum_coverage),
            "minimum-diff-coverage": decimal_text(settings.minimum_diff_coverage),
            "maximum-coverage-drop": decimal_text(settings.maximum_coverage_drop),
        },
        "gates": [
            {
                "name": c.name,
                "status": c.status,
                "actual": percent_text(c.actual),
                "required": decimal_text(c.required),
                "message": c.message,
            }
            for c in verdict.checks
        ],
        "context": {
            "event": github.event_name,
            "repository": github.repository,
            "sha": github.sha,
            "run_id": github.run_id,
            "pull_request": pr.number if pr else None,
            "head_sha": pr.head_sha if pr else None,
            "base_ref": pr.base_ref if pr else None,
        },
        "comment_url": comment_url or None,
        "notices": list(comparison.report.notices) if comparison is not None else [],
    }
    if comparison is not None:
        report = comparison.report
        doc["coverage"] = {
            "formats": list(report.formats),
            "sources": list(report.sources),
            "has_branches": report.has_branches,
            "totals": counts_doc(comparison.counts),
            "files": Rows(
                sorted(comparison.files, key=lambda r: r.path),
                partial(file_doc, comparison),
                partial(file_docs, comparison),
            ),
            "unmatched": [{"path": u.path, "reason": u.reason} for u in report.unmatched],
            # Files measured but placed nowhere in the repository: counted in the totals.
            "unplaced": [
                {
                    "path": row.path,
                    **counts_doc(row.counts),
                    "missing": row.missing,
                    "base": None if row.base is None else counts_doc(row.base),
                }
                for row in sorted(comparison.unplaced, key=lambda r: r.path)
            ],
            "metric": report.metric,
            # coverage.py's `[report] precision` when the repository sets it: the decimals
            # every percentage of this document (and of the run's comment) is shown with.
            "precision": report.precision,
            # The tools that wrote the reports, as the reports say: whether the comment shows
            # a file's missing lines as coverage.py's `coverage report -m` joins them.
            "producers": list(report.producers),
        }
        b = comparison.baseline
        doc["comparison"] = {
            "baseline": None if b is None else _baseline_doc(b),
            "note": comparison.baseline_note,
            "delta": signed_text(comparison.delta),
            "files": Rows(
                [*(comparison.files if b is not None else ()), *comparison.deleted],
                compared_doc,
                compared_docs,
            ),
        }
        d = comparison.diff
        doc["diff"] = (
            None
            if d is None
            else {
                "percent": percent_text(d.percent),
                "covered_lines": d.counts.covered_lines,
                "coverable_lines": d.counts.statements,
                "branches": d.counts.branches,
                "covered_branches": d.counts.covered_branches,
                "files": [
                    {
                        "path": f.path,
                        "status": str(f.status),
                        "changed": list(f.changed),
                        "coverable": list(f.coverable),
                        "covered": list(f.covered),
                        "uncovered": list(f.uncovered),
                        "partial": list(f.partial),
                        "branches": f.counts.branches,
                        "covered_branches": f.counts.covered_branches,
                        "percent": percent_text(f.percent),
                    }
                    for f in d.files.values()
                ],
                "not_in_report": list(d.not_in_report),
                "not_measured": list(d.not_measured),
                "unmeasured_sources": list(d.unmeasured_sources),
            }
        )
    summary = PinSummary.of(refs)
    doc["pinning"] = {
        "policy": settings.pin_policy,
        "counts": pin_counts(summary),
        "notes": list(pin_notes),
        "references": [
            {
                "file": r.file,
                "line": r.line,
                "column": r.column,
                "uses": r.uses,
                "kind": r.kind,
                "verdict": r.verdict,
                "allowed": r.allowed,
                "reason": r.reason,
                "suggestion": suggestions.get(r.uses) or None,
            }
            for r in refs
        ],
    }
    return doc


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _baseline_doc(b: Baseline) -> dict[str, Any]:
    return {
        "commit": b.commit,
        "branch": b.branch,
        "created_at": b.created_at,
        "run_id": b.run_id,
        "report_name": b.report_name,
        "covaction": b.covaction_version,
        "has_branches": b.has_branches,
        "totals": counts_doc(b.counts),
        "trend": [
            {"commit": p.commit, "time": p.time, "counts": counts_doc(p.counts)} for p in b.trend
        ],
    }


def pin_counts(summary: PinSummary) -> dict[str, int]:
    """The pin check's counts by verdict, keyed as the templates and the document name them."""
    return {
        "pinned": summary.pinned,
        "unpinned": summary.unpinned,
        "local": summary.local,
        "unverifiable": summary.unverifiable,
        "parse-error": summary.parse_errors,
        "allowed": summary.allowed,
    }


def dumps(doc: Mapping[str, Any]) -> bytes:
    """The document as compact ASCII JSON (what is stored as an artifact): `json.dumps(doc,
    separators=(",", ":"), default=listed)`."""
    return "".join(json_pieces(doc)).encode("ascii")


_COMPACT = (",", ":")


def compact(value: Any) -> str:
    """`json.dumps(value, separators=(",", ":"), default=listed)`, made by orjson where that
    gives the same text: about 4x faster on a batch of entries.

    orjson writes the same compact JSON for text, integers, None, booleans, lists and objects
    of text keys. Where it would write something else it raises (an integer past 64 bits, a
    lone surrogate, a key that is not text) or writes non-ASCII characters and DEL as they are
    (where `json.dumps` escapes them): then `json.dumps` writes the value. Floats are the
    exception: orjson writes `1e16` and `0.00001` where `json.dumps` writes `1e+16` and `1e-05`
    (the same numbers); a result document holds none (its percentages are text).
    """
    try:
        data = orjson.dumps(value, default=listed)
    except TypeError:  # orjson.JSONEncodeError
        pass
    else:
        if data.isascii() and b"\x7f" not in data:
            return data.decode("ascii")
    return json.dumps(value, separators=_COMPACT, default=listed)


def json_pieces(value: Any, batch: int = 2000) -> Iterator[str]:
    """`compact(value)` in pieces: an object key by key, a list of more than `batch` items
    `batch` items at a time, so that a report's per-file list (`Rows`, each entry made as it
    is written) never exists as one string, neither as objects nor as text."""
    if isinstance(value, (list, Rows)) and len(value) > batch:
        yield "["
        for at in range(0, len(value), batch):
            yield ("," if at else "") + compact(value[at : at + batch])[1:-1]
        yield "]"
    elif isinstance(value, dict) and value:
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ("," if i else "") + json.dumps(key) + ":"
            yield from json_pieces(item, batch)
        yield "}"
    else:
        yield compact(value)


def outputs(
    comparison: Comparison | None,
    verdict: Verdict,
    pins: Any,
    comment_url: str,
    baseline_path: str,
    pin_policy: str,
) -> dict[str, str]:
    """The step's outputs; "" where a value is not known (`unpinned-actions` with
    pin-policy: off, since no workflow was checked)."""
    out = {
        "coverage": "",
        "branch-coverage": "",
        "diff-coverage": "",
        "base-coverage": "",
        "coverage-delta": "",
        "unpinned-actions": "" if pin_policy == "off" else str(len(pins.findings)),
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
        base = comparison.base_counts
        if base is not None:
            # As the comment shows it: the difference of the two figures as shown (so that it
            # agrees with `coverage` and `base-coverage`); a change the rounding hides keeps
            # its sign.
            now = comparison.compared_counts.percent
            shown = parts.rounded(now) - parts.rounded(base.percent)
            minus = shown < 0 or (shown == 0 and now < base.percent)
            out["coverage-delta"] = ("-" if minus else "") + parts.fixed(abs(shown))
    return out
