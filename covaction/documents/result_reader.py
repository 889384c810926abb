"""The fork result document read back as hostile input: its inputs checked, the rest recomputed.

A fork's pull-request run stores its result (`covaction.documents.result`); the trusted
`workflow_run` run reads it here and renders the comment anew. Only the inputs are read: each
file's counts and missing lines (and which of their ranges a coverage.py report's comment joins
into one), the report's producers, the baseline's per-file counts and trend, the changed lines
the report knows, the pin check's references, the thresholds, the notes and the context.
Everything derived from them is recomputed with the code the run itself uses: `compare.compare`
(totals, each file's status, deltas, folders, whether the baseline can be compared),
`gates.checks_for` (the gates and whether they passed), `PinSummary.of` (the pin counts), and
the diff coverage's totals summed as `diff_coverage` sums them. The document's percentages,
`missing_lines`, totals, statuses, `delta`, gate results, `passed` and pin counts are never
read, so they can neither disagree with the numbers nor change what the comment says.

Reading is strict about what it reads: size, duplicate keys, fractional numbers, schema and
version, every type, enum value, string length and list length, ASCII digits, line lists
ascending, covered counts at most their totals, missing-line ranges ascending and naming
exactly the lines the counts miss, ranges joined only for coverage.py and never across a line
the diff says is covered. Strings may not hold control or bidirectional characters, HTML markup
or a Markdown link, which covaction never writes (the templates escape every string in any
case). Anything else is one `ResultError` naming the first problem.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import chain, compress
from operator import ge, gt
from types import MappingProxyType
from typing import Any, get_args

from covaction import __version__, gates
from covaction.changed_lines import Status
from covaction.compare import Comparison, compare
from covaction.diff_coverage import DiffCoverage, FileDiffCoverage, line_ranges
from covaction.documents import strict_json
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.documents.result import SCHEMA, VERSION, ResultError, pin_counts
from covaction.gates import Verdict
from covaction.model import (
    LINES,
    MAX_PRECISION,
    METRICS,
    Counts,
    CoverageReport,
    FileCoverage,
    Unmatched,
    display_precision,
)
from covaction.pins.refs import ActionRef, Kind, PinSummary
from covaction.pins.refs import Verdict as PinVerdict
from covaction.settings import PinPolicy

__all__ = ["MAX_BYTES", "ResultError", "Stored", "decimals", "from_document", "loads"]

MAX_BYTES = 64 * 1024 * 1024
MAX_FILES = 200_000
MAX_PATH = 4096
MAX_NOTES = 200
MAX_REFERENCES = 50_000
MAX_TREND = 50
MAX_COUNT = 10**9
MAX_LINE = 10**8
MAX_LINES = 5_000_000  # one list of line numbers
MAX_MISSED = 5_000_000  # the missed lines of every file together
MAX_MISSING = 8_000_000  # characters of one file's missing ranges

THRESHOLDS = ("minimum-coverage", "minimum-diff-coverage", "maximum-coverage-drop")
BASE_STATUSES = ("changed", "new", "deleted")  # `comparison.files[].status`
DIFF_STATUSES = tuple(s for s in get_args(Status) if s != "deleted")
PIN_VERDICTS: tuple[str, ...] = get_args(PinVerdict)
PIN_KINDS: tuple[str, ...] = get_args(Kind)
PIN_POLICIES = tuple(PinPolicy)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_THRESHOLD = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?")
_FORMAT = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
_PRODUCER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .+-]{0,31}")  # "coverage.py", "JaCoCo"
MAX_PRODUCERS = 16
_EVENT = re.compile(r"[a-z_]{0,64}")
_VERSION_TEXT = re.compile(r"[0-9A-Za-z.+-]{0,40}")
_RANGE = r"[1-9][0-9]{0,8}(?:-[1-9][0-9]{0,8})?"
_MISSING = re.compile(rf"(?:{_RANGE}(?:, {_RANGE})*)?")
_JOINS = re.compile(r"[01]*")
_FIRSTS = re.compile(r"(?:^|, )([0-9]+)")
_LASTS = re.compile(r"([0-9]+)(?:, |$)")
_PLUS_ONE = (1).__add__
_NONE: array[int] = array("q")


@dataclass(frozen=True, slots=True)
class Stored:
    """A read result document as the objects the templates render."""

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


def decimals(report: CoverageReport) -> AbstractContextManager[None]:
    """Percentages shown with the decimals the report's run showed them with."""
    return nullcontext() if report.precision is None else display_precision(report.precision)


def loads(data: bytes, max_bytes: int = MAX_BYTES) -> Stored:
    """Parse and read a stored result document; ResultError says why it cannot be used."""
    doc = strict_json.loads(data, max_bytes=max_bytes, error=ResultError, fractions=False)
    return from_document(doc)


def from_document(doc: Any) -> Stored:
    """The objects a parsed result document stands for."""
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
    return _Reader().read(doc)


@dataclass(frozen=True, slots=True, eq=False)
class _Measured(FileCoverage):
    """A file as the document keeps it: its counts and its missed lines (as ranges), not each
    line's hits. `compare` reads a file's `counts` and `missed_lines()`, `parts.missing_cell`
    its `missed_runs()` (for a coverage.py report); nothing reads the hits it does not have.
    `joins` has a "1" for each gap between two ranges of `missing` the run's comment joined."""

    stored: Counts = field(default_factory=Counts)
    missing: str = ""  # `12-18, 40`, checked by `_Reader.missing`
    joins: str = ""  # `0110`, checked by `_Reader.joins`; "" when nothing is joined

    @classmethod
    def of(cls, path: str, counts: Counts, missing: str, joins: str = "") -> _Measured:
        # One shared empty array for the per-line data it has none of, never written (a
        # document may name 200,000 files).
        none = _NONE
        return cls(
            path,
            lines=none,
            hits=none,
            branch_lines=none,
            branch_total=none,
            branch_covered=none,
            stored=counts,
            missing=missing,
            joins=joins,
        )

    @property
    def counts(self) -> Counts:
        return self.stored

    def missed_lines(self) -> list[int]:
        firsts, lasts = _bounds(self.missing)
        return list(chain.from_iterable(map(range, firsts, map(_PLUS_ONE, lasts))))

    def missed_runs(self) -> tuple[tuple[int, int], ...]:
        """The ranges of `missing`, those `joins` joins made one: each run begins where a range
        begins and ends where one ends, and every missed line is in one."""
        firsts, lasts = _bounds(self.missing)
        if self.joins:
            apart = [j == "0" for j in self.joins]  # gap k: between range k and k + 1
            firsts = [firsts[0], *compress(firsts[1:], apart)]
            lasts = [*compress(lasts, apart), lasts[-1]]
        return tuple(zip(firsts, lasts, strict=True))

    def iter_missed_runs(self) -> Iterator[tuple[int, int]]:
        return iter(self.missed_runs())

    def iter_missed_ranges(self) -> Iterator[tuple[int, int]]:
        return iter(self.missed_ranges()[0])

    def missed_ranges(self) -> tuple[tuple[tuple[int, int], ...], str]:
        """The ranges of the missed lines (`missing` as written may split one: `5-6, 7`), and
        the gaps between them that the runs join."""
        ranges = line_ranges(self.missed_lines(), presorted=True)
        starts = {first for first, _last in self.missed_runs()}
        return ranges, "".join("0" if first in starts else "1" for first, _last in ranges[1:])

    def missed_bounds(self, joins: bool = True) -> tuple[list[int], list[int], str]:
        ranges, made = self.missed_ranges()
        return [first for first, _ in ranges], [last for _, last in ranges], made if joins else ""

    def missed(self) -> Callable[[int], bool]:
        """Whether a line is one of the file's missed lines."""
        firsts, lasts = _bounds(self.missing)

        def missed(line: int) -> bool:
            i = bisect.bisect_right(firsts, line) - 1
            return i >= 0 and line <= lasts[i]

        return missed


class _Reader(strict_json.Fields):
    """Version 1: one pass over the document, failing at the first problem."""

    def __init__(self) -> None:
        super().__init__(ResultError)
        self.missed = 0  # missed lines of every file so far
        self.coverage_py = False  # a coverage.py report: its comment joins missed lines
        self.joins_at: dict[str, str] = {}  # where each file's `missing_joins` is, by path

    def path(self, value: Any, where: str, limit: int = MAX_PATH, inside: bool = True) -> str:
        return super().path(value, where, limit, inside)

    def paths(self, value: Any, where: str) -> tuple[str, ...]:
        found = tuple(
            self.path(v, f"{where}[{i}]") for i, v in enumerate(self.seq(value, where, MAX_FILES))
        )
        if len(set(found)) != len(found):
            raise self.fail(where, "names a path twice")
        return found

    def counts(self, value: Any, where: str, metric: str | None = "") -> Counts:
        """The six counts (units since metrics exist, 0 before), read as `metric` (None: as
        the object's own `metric` says, for a trend point); derived keys are not read."""
        v = self.obj(value, where)
        if metric is None:
            metric = self.metric(v.get("metric", ""), f"{where}.metric")
        s, cl, b, cb = (
            self.integer(v.get(k), f"{where}.{k}", 0, MAX_COUNT)
            for k in ("statements", "covered_lines", "branches", "covered_branches")
        )
        u, cu = (
            self.integer(v.get(k, 0), f"{where}.{k}", 0, MAX_COUNT)
            for k in ("units", "covered_units")
        )
        if cl > s or cb > b or cu > u:
            raise self.fail(where, "covers more than it counts")
        return Counts(s, cl, b, cb, u, cu, metric=metric)

    def metric(self, value: Any, where: str) -> str:
        """A `model.METRICS` name; "" (absent) in a document from before metrics existed."""
        return "" if value == "" else self.choice(value, where, METRICS)

    def missing(self, value: Any, where: str, counts: Counts) -> str:
        """Missed-line ranges (`12-18, 40`), ascending, naming exactly the lines the counts
        miss."""
        text = self.text(value, where, MAX_MISSING, _MISSING)
        firsts, lasts = _bounds(text)
        # Each range ascends (first <= last) and ends before the next begins.
        if any(map(gt, firsts, lasts)) or any(map(ge, lasts, firsts[1:])):
            raise self.fail(where, "ranges must ascend without overlapping")
        if lasts and lasts[-1] > MAX_LINE:
            raise self.fail(where, f"names a line over {MAX_LINE:,}")
        if sum(lasts) - sum(firsts) + len(firsts) != counts.missing_lines:
            raise self.fail(where, "does not list the lines the counts miss")
        return text

    def joins(self, value: Any, where: str, missing: str) -> str:
        """Which ranges of `missing` the run's comment joined: a "1" or a "0" for each gap
        between two ranges, "1" where coverage.py's `coverage report -m` makes them one run (no
        covered statement between them, only comments and blank lines). Joining whole ranges
        keeps every missed line inside a run; `apart` refuses a join across a line the diff
        says is covered. "" when nothing is joined."""
        gaps = missing.count(",")  # ranges - 1 (0 without any)
        text = self.text(value, where, MAX_MISSING, _JOINS)
        if len(text) != gaps:
            raise self.fail(
                where, f"must hold a 0 or 1 for each of the {gaps:,} gaps between its ranges"
            )
        if "1" not in text:
            return ""
        if not self.coverage_py:
            raise self.fail(where, "joins missed lines, which only coverage.py's report does")
        return text

    def threshold(self, value: Any, where: str) -> Decimal | None:
        if value is None:
            return None
        number = Decimal(self.text(value, where, 12, _THRESHOLD))
        if not 0 <= number <= 100:
            raise self.fail(where, "must be a percentage from 0 to 100")
        return number

    # -- the document ---------------------------------------------------------------------

    def read(self, doc: dict[str, Any]) -> Stored:
        report_name = self.text(doc.get("report_name"), "report_name", 64, _NAME)
        writer = self.text(doc.get("covaction", ""), "covaction", 40, _VERSION_TEXT)
        thresholds_doc = self.obj(doc.get("thresholds"), "thresholds")
        thresholds = {
            k: self.threshold(thresholds_doc.get(k), f"thresholds.{k}") for k in THRESHOLDS
        }
        context = self.obj(doc.get("context"), "context")
        repository = self.text(
            context.get("repository"), "context.repository", 201, strict_json.REPOSITORY
        )
        run_id = self.text(context.get("run_id", ""), "context.run_id", 20, strict_json.RUN_ID)
        event = self.text(context.get("event", ""), "context.event", 64, _EVENT)
        number = context.get("pull_request")
        pull_request = (
            None
            if number is None
            else self.integer(number, "context.pull_request", 1, 9_999_999_999)
        )
        head_sha = context.get("head_sha")
        head_sha = (
            ""
            if head_sha is None
            else self.text(head_sha, "context.head_sha", 40, strict_json.FULL_SHA)
        )
        notices = self.texts(doc.get("notices", []), "notices", MAX_NOTES)
        if "coverage" not in doc:
            raise self.fail("coverage", "is missing: the run measured no coverage")
        cov = self.obj(doc["coverage"], "coverage")
        metric = self.metric(cov.get("metric", ""), "coverage.metric")
        precision = cov.get("precision")
        if precision is not None:
            self.integer(precision, "coverage.precision", 0, MAX_PRECISION)
        producers = self.producers(cov.get("producers", []), "coverage.producers")
        self.coverage_py = "coverage.py" in producers
        files, _ = self.files(cov.get("files"), "coverage.files", metric, placed=True)
        unplaced, bases = self.files(
            cov.get("unplaced", []), "coverage.unplaced", metric, placed=False
        )
        if not files and not unplaced:
            raise self.fail("coverage.files", "is empty")
        comp = self.obj(doc.get("comparison"), "comparison")
        note = self.text(comp.get("note", ""), "comparison.note")
        baseline = self.baseline(comp, bases)
        diff = self.diff(doc.get("diff"), files)
        refs, suggestions, policy, pin_notes = self.pinning(self.obj(doc.get("pinning"), "pinning"))
        summary = PinSummary.of(refs)

        report = CoverageReport(
            files=files,
            has_branches=self.boolean(cov.get("has_branches"), "coverage.has_branches"),
            formats=tuple(
                self.text(v, f"coverage.formats[{i}]", 32, _FORMAT)
                for i, v in enumerate(self.seq(cov.get("formats", []), "coverage.formats", 16))
            ),
            sources=tuple(
                self.path(v, f"coverage.sources[{i}]", inside=False)
                for i, v in enumerate(self.seq(cov.get("sources", []), "coverage.sources", 256))
            ),
            unmatched=tuple(
                Unmatched(
                    self.path(item.get("path"), f"{where}.path", inside=False),
                    self.text(item.get("reason"), f"{where}.reason", 300),
                )
                for where, item in self.items(
                    cov.get("unmatched", []), "coverage.unmatched", MAX_FILES
                )
            ),
            notices=notices,
            metric=metric,
            unplaced=unplaced,
            precision=precision,
            producers=producers,
        )
        comparison = compare(report, baseline, diff)
        # compare's own words about the baseline (read on lines alone, or not compared) follow
        # the run's note; a genuine document's note holds them already.
        if comparison.baseline_note not in note:
            note = "; ".join(n for n in (note, comparison.baseline_note) if n)
        comparison = replace(comparison, baseline_note=note)
        with decimals(report):  # the gates' messages show percentages
            verdict = gates.checks_for(
                comparison,
                minimum=thresholds["minimum-coverage"],
                minimum_diff=thresholds["minimum-diff-coverage"],
                maximum_drop=thresholds["maximum-coverage-drop"],
                pin_policy=policy,
                pin_findings=len(summary.findings),
            )
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

    def files(
        self, value: Any, where: str, metric: str, placed: bool
    ) -> tuple[dict[str, _Measured], dict[str, Counts]]:
        """`coverage.files` (paths in the repository) or `coverage.unplaced` (as the report
        names them) by path, and the baseline's counts of those that have a `base`."""
        out: dict[str, _Measured] = {}
        bases: dict[str, Counts] = {}
        for at, item in self.items(value, where, MAX_FILES):
            path = self.path(item.get("path"), f"{at}.path", inside=placed)
            if path in out:
                raise self.fail(at, "repeats a path")
            counts = self.counts(item, at, metric)
            self.missed += counts.missing_lines
            if self.missed > MAX_MISSED:
                raise self.fail(at, f"the files miss more than {MAX_MISSED:,} lines together")
            missing = self.missing(item.get("missing"), f"{at}.missing", counts)
            joins = ""
            if placed and "missing_joins" in item:  # older covaction: absent, nothing joined
                joins = self.joins(item["missing_joins"], f"{at}.missing_joins", missing)
                self.joins_at[path] = f"{at}.missing_joins"
            out[path] = _Measured.of(path, counts, missing, joins)
            if not placed and item.get("base") is not None:
                bases[path] = self.counts(item["base"], f"{at}.base")
        return out, bases

    def producers(self, value: Any, where: str) -> tuple[str, ...]:
        """The tools that wrote the reports ("coverage.py", "gcovr"); none before they were
        written."""
        found = tuple(
            self.text(v, f"{where}[{i}]", 32, _PRODUCER)
            for i, v in enumerate(self.seq(value, where, MAX_PRODUCERS))
        )
        if len(set(found)) != len(found):
            raise self.fail(where, "names a producer twice")
        return found

    def baseline(self, comp: dict[str, Any], unplaced: Mapping[str, Counts]) -> Baseline | None:
        """The baseline as compared: its files are those `comparison.files` does not call new
        (counts 0 where the document has none: a baseline that could not be compared) and the
        unplaced files with a `base`."""
        b = comp.get("baseline")
        if b is None:
            return None
        b = self.obj(b, "comparison.baseline")
        files = dict(unplaced)
        seen: set[str] = set()
        for where, item in self.items(comp.get("files", []), "comparison.files", 2 * MAX_FILES):
            path = self.path(item.get("path"), f"{where}.path", inside=False)
            if path in seen:
                raise self.fail(where, "repeats a path")
            seen.add(path)
            status = self.choice(item.get("status"), f"{where}.status", BASE_STATUSES)
            base = item.get("base")
            if status != "new":
                files[path] = Counts() if base is None else self.counts(base, f"{where}.base")
        trend = tuple(
            TrendPoint(
                self.text(p.get("commit", ""), f"{at}.commit", 64, strict_json.COMMIT),
                self.text(p.get("time"), f"{at}.time", 40, strict_json.TIME),
                self.counts(p.get("counts"), f"{at}.counts", metric=None),
            )
            for at, p in self.items(b.get("trend", []), "comparison.baseline.trend", MAX_TREND)
        )
        at = "comparison.baseline"
        return Baseline(
            commit=self.text(b.get("commit", ""), f"{at}.commit", 64, strict_json.COMMIT),
            branch=self.text(b.get("branch", ""), f"{at}.branch", 255),
            created_at=self.text(b.get("created_at"), f"{at}.created_at", 40, strict_json.TIME),
            report_name=self.text(b.get("report_name", ""), f"{at}.report_name", 64),
            covaction_version=self.text(
                b.get("covaction", ""), f"{at}.covaction", 40, _VERSION_TEXT
            ),
            has_branches=self.boolean(b.get("has_branches"), f"{at}.has_branches"),
            files=MappingProxyType(files),
            trend=trend,
            run_id=self.text(b.get("run_id", ""), f"{at}.run_id", 20, strict_json.RUN_ID),
        )

    def diff(self, value: Any, files: Mapping[str, _Measured]) -> DiffCoverage | None:
        """The changed files of the report, and the changed files that could not count."""
        if value is None:
            return None
        d = self.obj(value, "diff")
        out: dict[str, FileDiffCoverage] = {}
        for where, item in self.items(d.get("files"), "diff.files", MAX_FILES):
            path = self.path(item.get("path"), f"{where}.path")
            if path in out or path not in files:
                raise self.fail(where, "repeats a path, or names a file the report lacks")
            out[path] = self.diff_file(where, item, files[path])
        not_in_report = self.paths(d.get("not_in_report", []), "diff.not_in_report")
        not_measured = self.paths(d.get("not_measured", []), "diff.not_measured")
        if any(p in files for p in not_in_report) or any(
            p not in files or p in out for p in not_measured
        ):
            raise self.fail("diff", "not_in_report and not_measured contradict the report")
        unmeasured = self.paths(d.get("unmeasured_sources", []), "diff.unmeasured_sources")
        if not set(unmeasured) <= set(not_in_report):
            raise self.fail("diff.unmeasured_sources", "names a file that is not in not_in_report")
        return DiffCoverage(
            files=MappingProxyType(dict(sorted(out.items()))),
            not_in_report=not_in_report,
            not_measured=not_measured,
            counts=Counts.total([f.counts for f in out.values()], LINES),  # as diff_coverage sums
            unmeasured_sources=unmeasured,
        )

    def diff_file(self, where: str, item: dict[str, Any], measured: _Measured) -> FileDiffCoverage:
        """A changed file: its changed lines, those the report knows (`coverable`, kept where
        they are changed), those with a branch not taken (`partial`, kept where covered) and
        the changed lines' branch counts. Covered and uncovered lines are recomputed from the
        file's missed lines."""
        changed, coverable, partial = (
            self.lines(item.get(key), f"{where}.{key}", MAX_LINES, MAX_LINE)
            for key in ("changed", "coverable", "partial")
        )
        coverable = _common(coverable, changed)
        missed = measured.missed()
        covered = tuple(n for n in coverable if not missed(n))
        if measured.joins:
            self.apart(measured, covered, f"{where}.coverable")
        branches = self.integer(item.get("branches"), f"{where}.branches", 0, MAX_COUNT)
        return FileDiffCoverage(
            measured.path,
            self.choice(item.get("status"), f"{where}.status", DIFF_STATUSES),  # type: ignore[arg-type]
            changed,
            coverable,
            covered,
            tuple(n for n in coverable if missed(n)),
            _common(partial, covered),
            Counts(
                len(coverable),
                len(covered),
                branches,
                self.integer(
                    item.get("covered_branches"), f"{where}.covered_branches", 0, branches
                ),
                metric=LINES,
            ),
        )

    def apart(self, measured: _Measured, covered: tuple[int, ...], where: str) -> None:
        """No run of a file joins its missed lines across a line the diff says is covered (a
        run joins missed statements across lines that are none: comments, blank lines)."""
        runs = measured.missed_runs()
        firsts = [first for first, _ in runs]
        for n in covered:
            i = bisect.bisect_right(firsts, n) - 1
            if i >= 0 and n <= runs[i][1]:
                raise self.fail(
                    self.joins_at[measured.path],
                    f"joins across line {n}, which {where} says is covered",
                )

    def pinning(
        self, p: dict[str, Any]
    ) -> tuple[tuple[ActionRef, ...], dict[str, str], str, tuple[str, ...]]:
        """The references found, unless the pin check was off (then there are none)."""
        policy = self.choice(p.get("policy"), "pinning.policy", PIN_POLICIES)
        notes = self.texts(p.get("notes", []), "pinning.notes", MAX_NOTES)
        refs = []
        suggestions: dict[str, str] = {}
        if policy == PinPolicy.OFF:
            return (), suggestions, policy, notes
        for where, item in self.items(p.get("references"), "pinning.references", MAX_REFERENCES):
            uses = self.text(item.get("uses"), f"{where}.uses", 1000)
            suggestion = item.get("suggestion")
            if suggestion is not None and self.text(suggestion, f"{where}.suggestion", 300):
                if suggestions.setdefault(uses, suggestion) != suggestion:
                    raise self.fail(where, "suggests two pins for one reference")
            kind = item.get("kind")
            refs.append(
                ActionRef(
                    file=self.path(item.get("file"), f"{where}.file"),
                    line=self.integer(item.get("line"), f"{where}.line", 1, MAX_LINE),
                    uses=uses,
                    verdict=self.choice(item.get("verdict"), f"{where}.verdict", PIN_VERDICTS),  # type: ignore[arg-type]
                    reason=self.text(item.get("reason"), f"{where}.reason", 1000),
                    kind=None if kind is None else self.choice(kind, f"{where}.kind", PIN_KINDS),  # type: ignore[arg-type]
                    allowed=self.boolean(item.get("allowed"), f"{where}.allowed"),
                    column=self.integer(item.get("column", 1), f"{where}.column", 1, MAX_LINE),
                )
            )
        return tuple(refs), suggestions, policy, notes


def _bounds(text: str) -> tuple[list[int], list[int]]:
    """The first and the last line of each range of a text `_MISSING` matched."""
    return list(map(int, _FIRSTS.findall(text))), list(map(int, _LASTS.findall(text)))


def _common(lines: tuple[int, ...], within: tuple[int, ...]) -> tuple[int, ...]:
    """The lines that are also in `within`, ascending."""
    keep = set(within)
    return tuple(n for n in lines if n in keep)
