"""The fork result document read back as hostile input: every field checked, or one refusal.

Reading (`loads`, `from_document`) checks size, duplicate keys, non-integer numbers, schema and
version, every type, enum value, string length and list length; counts must hold together
(covered at most total, totals the sum of the files, percentages the ones the counts give,
changed lines split exactly into covered and uncovered, uncovered changed lines among the
file's missing lines, gate results the ones the thresholds give). Strings may not hold control
or bidirectional characters, HTML markup or a Markdown link, which covaction never writes (the
templates escape every string in any case). Anything else is a `ResultError` naming the first
problem.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from covaction import __version__, gates
from covaction.compare import Comparison, FileRow, rollup
from covaction.diff_coverage import DiffCoverage, FileDiffCoverage
from covaction.documents import strict_json
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.documents.result import (
    DIFF_STATUSES,
    FILE_STATUSES,
    GATE_ORDER,
    GATE_THRESHOLD,
    MAX_BYTES,
    MAX_COUNT,
    MAX_FILES,
    MAX_LINE,
    MAX_LINES,
    MAX_MISSING,
    MAX_NOTES,
    MAX_PATH,
    MAX_REFERENCES,
    MAX_TEXT,
    MAX_TREND,
    PIN_KINDS,
    PIN_POLICIES,
    PIN_VERDICTS,
    SCHEMA,
    THRESHOLDS,
    VERSION,
    ResultError,
    decimal_text,
    percent_text,
    pin_counts,
    signed_text,
)
from covaction.gates import Verdict
from covaction.model import METRICS, Counts, CoverageReport, Unmatched, display_percent
from covaction.pins.workflows import ActionRef, PinSummary

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_REPO = strict_json.REPOSITORY
_SHA = strict_json.FULL_SHA
_COMMIT = strict_json.COMMIT
_TIME = strict_json.TIME
_THRESHOLD = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_FORMAT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_EVENT = re.compile(r"[a-z_]{0,64}")
_RUN_ID = strict_json.RUN_ID
_VERSION_TEXT = re.compile(r"[0-9A-Za-z.+-]{0,40}")
_RANGE = r"[1-9][0-9]{0,8}(?:-[1-9][0-9]{0,8})?"
_MISSING = re.compile(rf"(?:{_RANGE}(?:, {_RANGE})*)?")
_UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# HTML that GitHub renders (or strips), comments, autolinks and inline links: covaction writes
# none of these in a string; in a document they mean someone edited it.
_MARKUP = re.compile(
    r"(?i)<!--|<\s*/?\s*(?:a|abbr|b|blockquote|br|code|dd|del|details|div|dl|dt|em|embed|"
    r"form|h[1-6]|hr|i|iframe|img|input|ins|kbd|li|link|math|meta|object|ol|p|picture|pre|q|"
    r"s|samp|script|section|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|"
    r"td|textarea|th|thead|tr|tt|u|ul|var|video)\b|<(?:https?|mailto|ftp|javascript|data):|"
    r"\]\s*\("
)


@dataclass(frozen=True, slots=True)
class Stored:
    """A validated result document as the objects the templates render."""

    report_name: str
    covaction_version: str
    comparison: Comparison
    verdict: Verdict
    thresholds: dict[str, Decimal | None]
    references: tuple[ActionRef, ...]
    pin_summary: PinSummary
    suggestions: Mapping[str, str]
    pin_policy: str
    pin_notes: tuple[str, ...]
    notices: tuple[str, ...]
    repository: str
    run_id: str
    pull_request: int | None
    head_sha: str
    event: str

    @property
    def pin_counts(self) -> dict[str, int]:
        return pin_counts(self.pin_summary)


def loads(data: bytes, max_bytes: int = MAX_BYTES) -> Stored:
    """Parse and validate a stored result document; ResultError says why it cannot be used."""
    doc = strict_json.loads(data, max_bytes=max_bytes, error=ResultError, fractions=False)
    return from_document(doc)


def from_document(doc: Any) -> Stored:
    """The objects a parsed result document stands for, after checking every field."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise ResultError(f'not a covaction result (no "schema": "{SCHEMA}")')
    version = doc.get("version")
    if type(version) is not int or version < 1:
        raise ResultError("the document has no valid version")
    if version > VERSION:
        raise ResultError(
            f"result format version {version} is newer than covaction {__version__} reads "
            f"(up to {VERSION}); update covaction in the workflow_run workflow"
        )
    return _Reader(doc).read()


class _Reader:
    """Version 1: one pass over the document, failing at the first problem."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.missing: dict[str, str] = {}  # each file's missing lines, for the diff's checks
        self.unplaced: list[tuple[str, Counts, str]] = []  # files placed nowhere, counted

    # -- primitives -----------------------------------------------------------------------

    @staticmethod
    def fail(where: str, what: str) -> ResultError:
        return ResultError(f"{where}: {what}")

    def obj(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        return value

    def seq(self, value: Any, where: str, limit: int) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list")
        if len(value) > limit:
            raise self.fail(where, f"holds {len(value):,} entries, more than the {limit:,} allowed")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if type(value) is not bool:
            raise self.fail(where, "must be true or false")
        return value

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if type(value) is not int or not low <= value <= high:
            raise self.fail(where, f"must be a whole number from {low:,} to {high:,}")
        return value

    def text(
        self, value: Any, where: str, limit: int = MAX_TEXT, pattern: re.Pattern[str] | None = None
    ) -> str:
        if not isinstance(value, str):
            raise self.fail(where, "must be a string")
        if len(value) > limit:
            raise self.fail(
                where, f"is {len(value):,} characters long, more than the {limit:,} allowed"
            )
        if pattern is not None:
            if not pattern.fullmatch(value):
                raise self.fail(where, "is not of the expected form")
            return value
        if _UNSAFE_CHARS.search(value):
            raise self.fail(where, "holds control or bidirectional characters")
        if _MARKUP.search(value):
            raise self.fail(where, "holds HTML or a Markdown link, which covaction never writes")
        return value

    def optional_text(self, value: Any, where: str, limit: int = MAX_TEXT) -> str | None:
        return None if value is None else self.text(value, where, limit)

    def texts(
        self, value: Any, where: str, limit: int = MAX_NOTES, length: int = MAX_TEXT
    ) -> tuple[str, ...]:
        return tuple(
            self.text(v, f"{where}[{i}]", length)
            for i, v in enumerate(self.seq(value, where, limit))
        )

    def path(self, value: Any, where: str, repository_relative: bool = True) -> str:
        path = self.text(value, where, MAX_PATH)
        if not path:
            raise self.fail(where, "is an empty path")
        if repository_relative and (path.startswith("/") or ".." in path.split("/")):
            raise self.fail(where, "must be a path inside the repository")
        return path

    def paths(self, value: Any, where: str, limit: int = MAX_FILES) -> tuple[str, ...]:
        found = tuple(
            self.path(v, f"{where}[{i}]") for i, v in enumerate(self.seq(value, where, limit))
        )
        if len(set(found)) != len(found):
            raise self.fail(where, "names a path twice")
        return found

    def lines(self, value: Any, where: str) -> tuple[int, ...]:
        items = self.seq(value, where, MAX_LINES)
        previous = 0
        for n in items:
            if type(n) is not int or not previous < n <= MAX_LINE:
                raise self.fail(where, f"must hold ascending line numbers from 1 to {MAX_LINE:,}")
            previous = n
        return tuple(items)

    def counts(self, value: Any, where: str) -> Counts:
        v = self.obj(value, where)
        s, cl, b, cb = (
            self.integer(v.get(k), f"{where}.{k}", 0, MAX_COUNT)
            for k in ("statements", "covered_lines", "branches", "covered_branches")
        )
        # Written since metrics exist; a document from before has neither (lines and branches).
        units = self.integer(v.get("units", 0), f"{where}.units", 0, MAX_COUNT)
        covered_units = self.integer(
            v.get("covered_units", 0), f"{where}.covered_units", 0, MAX_COUNT
        )
        metric = v.get("metric", "")
        if metric not in ("", *METRICS):
            raise self.fail(f"{where}.metric", f"must be one of {', '.join(METRICS)}")
        if cl > s or cb > b or covered_units > units:
            raise self.fail(where, "covers more than it counts")
        c = Counts(s, cl, b, cb, units, covered_units, metric=metric)
        if (
            v.get("percent") != display_percent(c.percent)
            or v.get("missing_lines") != c.missing_lines
            or v.get("line_percent") != display_percent(c.line_percent)
            or v.get("branch_percent") != percent_text(c.branch_percent)
        ):
            raise self.fail(where, "its percentages or missing lines do not follow from its counts")
        return c

    def threshold(self, value: Any, where: str) -> Decimal | None:
        if value is None:
            return None
        text = self.text(value, where, 12, _THRESHOLD)
        number = Decimal(text)
        if not 0 <= number <= 100:
            raise self.fail(where, "must be a percentage from 0 to 100")
        return number

    # -- the document ---------------------------------------------------------------------

    def read(self) -> Stored:
        doc = self.doc
        report_name = self.text(doc.get("report_name"), "report_name", 64, _NAME)
        writer = self.text(doc.get("covaction", ""), "covaction", 40, _VERSION_TEXT)
        passed = self.boolean(doc.get("passed"), "passed")
        thresholds_doc = self.obj(doc.get("thresholds"), "thresholds")
        thresholds = {
            k: self.threshold(thresholds_doc.get(k), f"thresholds.{k}") for k in THRESHOLDS
        }
        context = self.obj(doc.get("context"), "context")
        repository = self.text(context.get("repository"), "context.repository", 201, _REPO)
        run_id = self.text(context.get("run_id", ""), "context.run_id", 20, _RUN_ID)
        event = self.text(context.get("event", ""), "context.event", 64, _EVENT)
        number = context.get("pull_request")
        pull_request = (
            None
            if number is None
            else self.integer(number, "context.pull_request", 1, 9_999_999_999)
        )
        head_sha = context.get("head_sha")
        head_sha = "" if head_sha is None else self.text(head_sha, "context.head_sha", 40, _SHA)
        notices = self.texts(doc.get("notices", []), "notices")
        if "coverage" not in doc:
            raise self.fail("coverage", "is missing: the run measured no coverage")

        report, counts, rows = self.coverage(self.obj(doc["coverage"], "coverage"), notices)
        baseline, files, deleted, note = self.comparison(
            self.obj(doc.get("comparison"), "comparison"), rows, counts
        )
        diff = self.diff(doc.get("diff"), files)
        refs, suggestions, policy, pin_notes = self.pinning(self.obj(doc.get("pinning"), "pinning"))
        summary = PinSummary.of(refs)

        rows_ = []
        for path, c, missing in rows:
            base, status = files.get(path, (None, ""))
            rows_.append(
                FileRow(path, c, base, status, missing, diff.files.get(path) if diff else None)
            )
        rows_.sort(key=lambda r: (-r.counts.missing_lines - r.counts.missing_branches, r.path))
        reasons = {u.path: u.reason for u in report.unmatched}
        comparison = Comparison(
            report=report,
            counts=counts,
            baseline=baseline,
            baseline_note=note,
            files=tuple(rows_),
            deleted=deleted,
            directories=rollup(rows_, deleted),
            changed=tuple(sorted((r for r in rows_ if r.diff is not None), key=lambda r: r.path)),
            diff=diff,
            unplaced=tuple(
                FileRow(path, c, None, "unplaced", missing, reason=reasons.get(path, ""))
                for path, c, missing in self.unplaced
            ),
        )
        delta = self.doc["comparison"].get("delta")
        if delta != signed_text(comparison.delta):
            raise self.fail("comparison.delta", "does not follow from the totals")
        verdict = self.gates(
            self.seq(doc.get("gates"), "gates", len(GATE_ORDER)),
            comparison,
            thresholds,
            policy,
            summary,
        )
        if verdict.passed != passed:
            raise self.fail("passed", "does not follow from the gates")
        return Stored(
            report_name=report_name,
            covaction_version=writer,
            comparison=comparison,
            verdict=verdict,
            thresholds=thresholds,
            references=refs,
            pin_summary=summary,
            suggestions=MappingProxyType(suggestions),
            pin_policy=policy,
            pin_notes=pin_notes,
            notices=notices,
            repository=repository,
            run_id=run_id,
            pull_request=pull_request,
            head_sha=head_sha,
            event=event,
        )

    def coverage(
        self, cov: dict[str, Any], notices: tuple[str, ...]
    ) -> tuple[CoverageReport, Counts, list[tuple[str, Counts, str]]]:
        formats = tuple(
            self.text(v, f"coverage.formats[{i}]", 32, _FORMAT)
            for i, v in enumerate(self.seq(cov.get("formats", []), "coverage.formats", 16))
        )
        sources = tuple(
            self.path(v, f"coverage.sources[{i}]", repository_relative=False)
            for i, v in enumerate(self.seq(cov.get("sources", []), "coverage.sources", 256))
        )
        has_branches = self.boolean(cov.get("has_branches"), "coverage.has_branches")
        rows: list[tuple[str, Counts, str]] = []
        seen: set[str] = set()
        for i, item in enumerate(self.seq(cov.get("files"), "coverage.files", MAX_FILES)):
            where = f"coverage.files[{i}]"
            item = self.obj(item, where)
            path = self.path(item.get("path"), f"{where}.path")
            if path in seen:
                raise self.fail(where, "repeats a path")
            seen.add(path)
            c = self.counts(item, where)
            missing = self.text(item.get("missing"), f"{where}.missing", MAX_MISSING, _MISSING)
            if _range_total(missing, where) != c.missing_lines:
                raise self.fail(f"{where}.missing", "does not list the lines the counts miss")
            rows.append((path, c, missing))
            self.missing[path] = missing
        unplaced: list[tuple[str, Counts, str]] = []
        for i, item in enumerate(self.seq(cov.get("unplaced", []), "coverage.unplaced", MAX_FILES)):
            where = f"coverage.unplaced[{i}]"
            item = self.obj(item, where)
            path = self.path(item.get("path"), f"{where}.path", repository_relative=False)
            c = self.counts(item, where)
            missing = self.text(item.get("missing"), f"{where}.missing", MAX_MISSING, _MISSING)
            if _range_total(missing, where) != c.missing_lines:
                raise self.fail(f"{where}.missing", "does not list the lines the counts miss")
            unplaced.append((path, c, missing))
        if not rows and not unplaced:
            raise self.fail("coverage.files", "is empty")
        self.unplaced = unplaced
        counts = sum((c for _, c, _ in rows + unplaced), Counts())
        if self.counts(cov.get("totals"), "coverage.totals") != counts:
            raise self.fail("coverage.totals", "is not the sum of the files' counts")
        unmatched = []
        for i, item in enumerate(
            self.seq(cov.get("unmatched", []), "coverage.unmatched", MAX_FILES)
        ):
            where = f"coverage.unmatched[{i}]"
            item = self.obj(item, where)
            unmatched.append(
                Unmatched(
                    self.path(item.get("path"), f"{where}.path", repository_relative=False),
                    self.text(item.get("reason"), f"{where}.reason", 300),
                )
            )
        report = CoverageReport(
            files=MappingProxyType({}),  # the document keeps counts, not each line's hits
            has_branches=has_branches,
            formats=formats,
            sources=sources,
            unmatched=tuple(unmatched),
            notices=notices,
        )
        return report, counts, rows

    def comparison(
        self, comp: dict[str, Any], rows: list[tuple[str, Counts, str]], counts: Counts
    ) -> tuple[Baseline | None, dict[str, tuple[Counts | None, str]], tuple[FileRow, ...], str]:
        note = self.text(comp.get("note", ""), "comparison.note")
        current = {path: c for path, c, _ in rows}
        files: dict[str, tuple[Counts | None, str]] = {}
        deleted: list[FileRow] = []
        base_doc = comp.get("baseline")
        entries = self.seq(comp.get("files", []), "comparison.files", 2 * MAX_FILES)
        if base_doc is None:
            if entries:
                raise self.fail("comparison.files", "compares files without a baseline")
            return None, files, (), note
        b = self.obj(base_doc, "comparison.baseline")
        for i, item in enumerate(entries):
            where = f"comparison.files[{i}]"
            item = self.obj(item, where)
            path = self.path(item.get("path"), f"{where}.path")
            status = self.text(item.get("status"), f"{where}.status", 16)
            base = None if item.get("base") is None else self.counts(item["base"], f"{where}.base")
            if path in files:
                raise self.fail(where, "repeats a path")
            if status == "deleted":
                if path in current or base is None:
                    raise self.fail(where, "a deleted file must be in the baseline, not this run")
                deleted.append(FileRow(path, Counts(), base, "deleted", ""))
                continue
            if status not in FILE_STATUSES or path not in current:
                raise self.fail(where, "is not a file of this run with status changed or new")
            if (status == "new") != (base is None):
                raise self.fail(where, "a file is new exactly when the baseline lacks it")
            expected = (
                display_percent(current[path].percent),
                None if base is None else display_percent(base.percent),
            )
            if (item.get("percent"), item.get("base_percent")) != expected:
                raise self.fail(where, "its percentages do not follow from the counts")
            files[path] = (base, FILE_STATUSES[status])
        if len(files) != len(current):
            raise self.fail("comparison.files", "does not cover every file of this run")
        if len({r.path for r in deleted}) != len(deleted):
            raise self.fail("comparison.files", "repeats a deleted path")
        deleted.sort(key=lambda r: r.path)
        base_files = {p: base for p, (base, _) in files.items() if base is not None}
        base_files.update({r.path: r.base for r in deleted if r.base is not None})
        trend = []
        for i, point in enumerate(
            self.seq(b.get("trend", []), "comparison.baseline.trend", MAX_TREND)
        ):
            where = f"comparison.baseline.trend[{i}]"
            point = self.obj(point, where)
            trend.append(
                TrendPoint(
                    self.text(point.get("commit", ""), f"{where}.commit", 64, _COMMIT),
                    self.text(point.get("time"), f"{where}.time", 40, _TIME),
                    self.counts(point.get("counts"), f"{where}.counts"),
                )
            )
        baseline = Baseline(
            commit=self.text(b.get("commit", ""), "comparison.baseline.commit", 64, _COMMIT),
            branch=self.text(b.get("branch", ""), "comparison.baseline.branch", 255),
            created_at=self.text(b.get("created_at"), "comparison.baseline.created_at", 40, _TIME),
            report_name=self.text(b.get("report_name", ""), "comparison.baseline.report_name", 64),
            covaction_version=self.text(
                b.get("covaction", ""), "comparison.baseline.covaction", 40, _VERSION_TEXT
            ),
            has_branches=self.boolean(b.get("has_branches"), "comparison.baseline.has_branches"),
            files=MappingProxyType(base_files),
            trend=tuple(trend),
            run_id=self.text(b.get("run_id", ""), "comparison.baseline.run_id", 20, _RUN_ID),
        )
        if self.counts(b.get("totals"), "comparison.baseline.totals") != baseline.counts:
            raise self.fail("comparison.baseline.totals", "is not the sum of the files' counts")
        return baseline, files, tuple(deleted), note

    def diff(self, value: Any, files: Mapping[str, Any]) -> DiffCoverage | None:
        if value is None:
            return None
        d = self.obj(value, "diff")
        current = self.missing
        out: dict[str, FileDiffCoverage] = {}
        for i, item in enumerate(self.seq(d.get("files"), "diff.files", MAX_FILES)):
            where = f"diff.files[{i}]"
            item = self.obj(item, where)
            path = self.path(item.get("path"), f"{where}.path")
            if path in out or path not in current:
                raise self.fail(where, "repeats a path, or names a file the report lacks")
            status = self.text(item.get("status"), f"{where}.status", 16)
            if status not in DIFF_STATUSES:
                raise self.fail(f"{where}.status", f"must be one of {', '.join(DIFF_STATUSES)}")
            changed = self.lines(item.get("changed"), f"{where}.changed")
            coverable = self.lines(item.get("coverable"), f"{where}.coverable")
            covered = self.lines(item.get("covered"), f"{where}.covered")
            uncovered = self.lines(item.get("uncovered"), f"{where}.uncovered")
            partial = self.lines(item.get("partial"), f"{where}.partial")
            branches = self.integer(item.get("branches"), f"{where}.branches", 0, MAX_COUNT)
            covered_branches = self.integer(
                item.get("covered_branches"), f"{where}.covered_branches", 0, branches
            )
            if (
                not set(coverable) <= set(changed)
                or set(covered) & set(uncovered)
                or set(covered) | set(uncovered) != set(coverable)
                or not set(partial) <= set(covered)
            ):
                raise self.fail(
                    where,
                    "its coverable lines must be changed lines, split exactly into covered and "
                    "uncovered ones, with partial lines among the covered",
                )
            missing = _Ranges(self.missing[path])
            if any(not missing.has(n) for n in uncovered) or any(missing.has(n) for n in covered):
                raise self.fail(where, "its uncovered lines are not the file's missing lines")
            c = Counts(len(coverable), len(covered), branches, covered_branches)
            fd = FileDiffCoverage(path, status, changed, coverable, covered, uncovered, partial, c)  # type: ignore[arg-type]
            if item.get("percent") != percent_text(fd.percent):
                raise self.fail(f"{where}.percent", "does not follow from its lines")
            out[path] = fd
        not_in_report = self.paths(d.get("not_in_report", []), "diff.not_in_report")
        not_measured = self.paths(d.get("not_measured", []), "diff.not_measured")
        if any(p in current for p in not_in_report) or any(
            p not in current or p in out for p in not_measured
        ):
            raise self.fail("diff", "not_in_report and not_measured contradict the report")
        unmeasured = self.paths(d.get("unmeasured_sources", []), "diff.unmeasured_sources")
        if not set(unmeasured) <= set(not_in_report):
            raise self.fail("diff.unmeasured_sources", "names a file that is not in not_in_report")
        total = sum((f.counts for f in out.values()), Counts())
        given = (
            d.get("coverable_lines"),
            d.get("covered_lines"),
            d.get("branches"),
            d.get("covered_branches"),
        )
        if given != (total.statements, total.covered_lines, total.branches, total.covered_branches):
            raise self.fail("diff", "its totals are not the sum of its files")
        result = DiffCoverage(
            files=MappingProxyType(dict(sorted(out.items()))),
            not_in_report=not_in_report,
            not_measured=not_measured,
            counts=total,
            unmeasured_sources=unmeasured,
        )
        if d.get("percent") != percent_text(result.percent):
            raise self.fail("diff.percent", "does not follow from its lines")
        return result

    def pinning(
        self, p: dict[str, Any]
    ) -> tuple[tuple[ActionRef, ...], dict[str, str], str, tuple[str, ...]]:
        policy = self.text(p.get("policy"), "pinning.policy", 8)
        if policy not in PIN_POLICIES:
            raise self.fail("pinning.policy", f"must be one of {', '.join(PIN_POLICIES)}")
        notes = self.texts(p.get("notes", []), "pinning.notes")
        refs = []
        suggestions: dict[str, str] = {}
        for i, item in enumerate(
            self.seq(p.get("references"), "pinning.references", MAX_REFERENCES)
        ):
            where = f"pinning.references[{i}]"
            item = self.obj(item, where)
            verdict = self.text(item.get("verdict"), f"{where}.verdict", 16)
            if verdict not in PIN_VERDICTS:
                raise self.fail(f"{where}.verdict", f"must be one of {', '.join(PIN_VERDICTS)}")
            kind = item.get("kind")
            if kind is not None and kind not in PIN_KINDS:
                raise self.fail(f"{where}.kind", f"must be null or one of {', '.join(PIN_KINDS)}")
            uses = self.text(item.get("uses"), f"{where}.uses", 1000)
            suggestion = self.optional_text(item.get("suggestion"), f"{where}.suggestion", 300)
            if suggestion:
                if suggestions.get(uses, suggestion) != suggestion:
                    raise self.fail(where, "suggests two pins for one reference")
                suggestions[uses] = suggestion
            refs.append(
                ActionRef(
                    file=self.path(item.get("file"), f"{where}.file"),
                    line=self.integer(item.get("line"), f"{where}.line", 1, MAX_LINE),
                    uses=uses,
                    verdict=verdict,  # type: ignore[arg-type]
                    reason=self.text(item.get("reason"), f"{where}.reason", 1000),
                    kind=kind,
                    allowed=self.boolean(item.get("allowed"), f"{where}.allowed"),
                    column=self.integer(item.get("column", 1), f"{where}.column", 1, MAX_LINE),
                )
            )
        if policy == "off" and refs:
            raise self.fail("pinning", "lists references though the pin check was off")
        if p.get("counts") != pin_counts(PinSummary.of(refs)):
            raise self.fail("pinning.counts", "do not follow from the references")
        return tuple(refs), suggestions, policy, notes

    def gates(
        self,
        items: list[Any],
        c: Comparison,
        thresholds: Mapping[str, Decimal | None],
        policy: str,
        summary: PinSummary,
    ) -> Verdict:
        """Each gate recomputed from the numbers; the document's own result must agree."""
        expected = [
            n
            for n in GATE_ORDER
            if (
                thresholds[GATE_THRESHOLD[n]] is not None
                if n in GATE_THRESHOLD
                else policy != "off"
            )
        ]
        names = [self.obj(g, f"gates[{i}]").get("name") for i, g in enumerate(items)]
        if names != expected:
            raise self.fail("gates", "are not the ones the thresholds and the pin policy ask for")
        verdict = gates.checks_for(
            c,
            minimum=thresholds["minimum-coverage"],
            minimum_diff=thresholds["minimum-diff-coverage"],
            maximum_drop=thresholds["maximum-coverage-drop"],
            pin_policy=policy,
            pin_findings=len(summary.findings),
        )
        names = [self.obj(g, f"gates[{i}]").get("name") for i, g in enumerate(items)]
        if names != [c.name for c in verdict.checks]:
            raise self.fail("gates", "are not the ones the thresholds and the pin policy ask for")
        for i, (check, item) in enumerate(zip(verdict.checks, items, strict=True)):
            where = f"gates[{i}]"
            self.text(item.get("message"), f"{where}.message")
            if item.get("required") != decimal_text(check.required):
                raise self.fail(f"{where}.required", "is not the threshold")
            if (item.get("status"), item.get("actual")) != (
                check.status,
                percent_text(check.actual),
            ):
                raise self.fail(where, "its result does not follow from the numbers")
        return verdict


def _range_total(missing: str, where: str) -> int:
    """How many lines `12-18, 40` names; ranges must ascend without overlapping."""
    total = 0
    previous = 0
    for first, last in _Ranges(missing).pairs:
        if first <= previous or last < first or last > MAX_LINE:
            raise ResultError(f"{where}.missing: ranges must ascend without overlapping")
        total += last - first + 1
        previous = last
    return total


class _Ranges:
    """Missing-line ranges (`12-18, 40`) with a membership test."""

    def __init__(self, text: str) -> None:
        pairs = []
        for part in text.split(", ") if text else ():
            first, _, last = part.partition("-")
            pairs.append((int(first), int(last or first)))
        self.pairs = pairs
        self._firsts = [a for a, _ in pairs]

    def has(self, line: int) -> bool:
        i = bisect.bisect_right(self._firsts, line) - 1
        return i >= 0 and self.pairs[i][0] <= line <= self.pairs[i][1]
