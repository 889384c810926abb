"""The fork result's reader: inputs read strictly, every derived value recomputed.

The reader takes a stored document's inputs (counts, missed lines, the baseline's counts,
changed lines, findings, thresholds, context) and recomputes everything derived with the run's
own code. So an edited derived value changes nothing; inputs that contradict each other are
resolved as named below; malformed, unsafe or oversized inputs are refused with one line that
says where.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from covaction import gates
from covaction.documents import result, result_reader
from covaction.model import Counts
from covaction.render import markdown
from tests.fork_results import (
    PIN,
    covered_more,
    diff_entry,
    diff_file,
    direct_context,
    doc_of,
    each_gate,
    entry,
    file_entry,
    github,
    make_case,
    published_context,
    read_edited,
    rename,
    row,
    set_at,
)

# Derived values: written for tools downstream, never read. Editing one changes nothing.
DERIVED: dict[str, Callable[[dict[str, Any]], None]] = {
    "a file's percentages, missing_lines and metric": lambda d: file_entry(d, "src/util.py").update(
        percent="100.00", line_percent="100.00", branch_percent="50.00", missing_lines=0,
        metric="branches",
    ),
    "the totals": set_at("coverage", "totals", value=result.counts_doc(Counts(72, 60, 4, 3))),
    "every gate's result": each_gate(status="passed", actual="100.00", message="all good"),
    "every gate's name and threshold": each_gate(name="**total**", required="1"),
    "a gate left out": lambda d: d["gates"].pop(1),
    "the gates reordered": lambda d: d["gates"].reverse(),
    "the gates not a list": set_at("gates", value="passed"),
    "passed": lambda d: d.update(passed=not d["passed"]),
    "the delta": set_at("comparison", "delta", value="5.00"),
    "a compared file's percentages": lambda d: entry(d, "comparison", "src/util.py").update(
        percent="1.00", base_percent="99.00"
    ),
    "a file of this run called deleted": lambda d: entry(d, "comparison", "src/util.py").update(
        status="deleted"
    ),
    "the baseline's totals": set_at(
        "comparison", "baseline", "totals", value=result.counts_doc(Counts(1, 1))
    ),
    "a diff file's covered and uncovered lines": lambda d: diff_entry(d, "src/app/core.py").update(
        uncovered=[3, 5, 6], covered=[4, 8]
    ),
    "a diff file's covered lines overlapping its uncovered": lambda d: diff_entry(
        d, "src/app/core.py"
    ).update(covered=[3, 4, 5, 8]),
    "a diff file's percent": lambda d: diff_entry(d, "src/app/core.py").update(percent="1.00"),
    "the diff's totals": lambda d: d["diff"].update(covered_lines=0, coverable_lines=99),
    "the diff's percent": set_at("diff", "percent", value="100.00"),
    "the pin counts": lambda d: d["pinning"]["counts"].update(unpinned=0),
}  # fmt: skip


@pytest.mark.parametrize("name", list(DERIVED))
def test_a_derived_value_is_recomputed_from_the_inputs_never_read(name: str) -> None:
    case = make_case(minimum_coverage=Decimal("99.5"), pin_policy="fail")
    genuine = result_reader.loads(result.dumps(doc_of(case)))
    doc = doc_of(case)
    DERIVED[name](doc)
    edited = result_reader.loads(result.dumps(doc))
    assert edited.verdict == genuine.verdict == case.verdict and not edited.verdict.passed
    assert edited.comparison.delta == case.comparison.delta
    assert edited.pin_counts == genuine.pin_counts
    assert markdown.render_comment(published_context(doc)) == markdown.render_comment(
        direct_context(case)
    )
    assert markdown.render_summary(published_context(doc)) == markdown.render_summary(
        direct_context(case)
    )


def test_comparison_files_say_only_which_files_the_baseline_holds() -> None:
    """Each file's status is recomputed from the baseline's files: an entry not called new
    puts its file in the baseline (with no counts: an empty entry), a file without an entry
    is new; without a baseline the entries are not read."""
    entries = lambda d: d["comparison"]["files"]  # noqa: E731
    left_out = read_edited(lambda d: entries(d).remove(entry(d, "comparison", "src/util.py")))
    assert (row(left_out, "src/util.py").status, row(left_out, "src/util.py").base) == (
        "new",
        None,
    )
    no_counts = read_edited(
        lambda d: entry(d, "comparison", "src/app/new_mod.py").update(status="changed")
    )
    assert (
        row(no_counts, "src/app/new_mod.py").status,
        row(no_counts, "src/app/new_mod.py").base,
    ) == ("", Counts())
    no_baseline = read_edited(set_at("comparison", "baseline", value=None))
    assert no_baseline.comparison.baseline is None and no_baseline.comparison.deleted == ()
    assert {r.status for r in no_baseline.comparison.files} == {""}
    assert no_baseline.comparison.delta is None


def test_a_diff_file_keeps_what_its_lines_say_and_recomputes_the_rest() -> None:
    """Coverable lines are changed lines (others are dropped); covered and uncovered lines
    come from the file's missed lines; a partial line is a covered one."""
    not_changed = read_edited(lambda d: diff_entry(d, "src/app/core.py").update(changed=[3, 4]))
    f = diff_file(not_changed, "src/app/core.py")
    assert (f.changed, f.coverable, f.covered, f.uncovered, f.partial) == (
        (3, 4),
        (3, 4),
        (3, 4),
        (),
        (3,),
    )
    assert not_changed.comparison.diff is not None
    # core.py 2 of 2, new_mod.py 3 of 3, [id].py 1 of 2; core.py's branches as written
    assert not_changed.comparison.diff.counts == Counts(7, 6, 4, 3)
    uncovered_partial = read_edited(
        lambda d: diff_entry(d, "src/app/core.py").update(partial=[3, 5])
    )
    assert diff_file(uncovered_partial, "src/app/core.py").partial == (3,)


def test_references_of_a_pin_check_that_was_off_are_not_read() -> None:
    stored = read_edited(set_at("pinning", "policy", value="off"))
    assert stored.references == () and stored.pin_summary.findings == ()
    assert [c.name for c in stored.verdict.checks] == ["total", "diff", "drop"]


def test_the_note_keeps_what_compare_says_about_the_baseline() -> None:
    """The run's note is an input; compare's own words about reading the baseline are
    recomputed and added when the document lacks them."""
    genuine = read_edited(lambda d: None, base_branches=False)
    says = "compared on lines: the baseline measured no branches"
    assert (
        genuine.comparison.baseline_note == f"the pull request's base commit, 3 hours old; {says}"
    )
    edited = read_edited(set_at("comparison", "note", value="edited"), base_branches=False)
    assert edited.comparison.baseline_note == f"edited; {says}"


def test_missing_ranges_are_read_as_lines_and_written_as_the_run_writes_them() -> None:
    stored = read_edited(
        lambda d: file_entry(d, "src/app/core.py").update(missing="5-6, 7, 12, 30")
    )
    assert row(stored, "src/app/core.py").missing == "5-7, 12, 30"


# Inputs that are malformed, unsafe or contradict each other: refused, with what is wrong.
TAMPERED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "wrong schema": (set_at("schema", value="covaction-baseline"), 'not a covaction result (no "schema": "covaction-result")'),
    "newer version": (set_at("version", value=2), "result format version 2 is newer than covaction"),
    "version as text": (set_at("version", value="1"), "the document has no valid version"),
    "report name with markup": (set_at("report_name", value="<b>x</b>"), "report_name: is not of the expected form"),
    "covered more than total": (covered_more, "coverage.files[4]: covers more than it counts"),
    "negative count": (lambda d: file_entry(d, "setup.py").update(covered_lines=-1), "coverage.files[1].covered_lines: must be a whole number from 0 to 1,000,000,000"),
    "boolean as count": (lambda d: file_entry(d, "src/app/new_mod.py").update(branches=True), "coverage.files[3].branches: must be a whole number"),
    "count out of range": (lambda d: file_entry(d, "src/util.py").update(statements=10**12), "coverage.files[4].statements: must be a whole number"),
    "units covering more than they count": (lambda d: file_entry(d, "src/util.py").update(units=1, covered_units=2), "coverage.files[4]: covers more than it counts"),
    "precision over ten decimals": (set_at("coverage", "precision", value=11), "coverage.precision: must be a whole number from 0 to 10"),
    "precision as text": (set_at("coverage", "precision", value="1"), "coverage.precision: must be a whole number from 0 to 10"),
    "metric unknown": (set_at("coverage", "metric", value="vibes"), "coverage.metric: must be one of lines, lines-and-branches"),
    "missing lines not the count": (lambda d: file_entry(d, "src/util.py").update(missing="9-10"), "coverage.files[4].missing: does not list the lines the counts miss"),
    "missing lines with markup": (lambda d: file_entry(d, "src/util.py").update(missing="10 <img src=x>"), "coverage.files[4].missing: is not of the expected form"),
    "missing lines descending": (lambda d: file_entry(d, "setup.py").update(missing="3, 1-2"), "coverage.files[1].missing: ranges must ascend without overlapping"),
    "more missed lines than the reader expands": (lambda d: file_entry(d, "src/util.py").update(statements=5_000_001, missing="1-4999992"), "coverage.files[4]: the files miss more than 5,000,000 lines together"),
    "missing lines in Arabic-Indic digits": (lambda d: file_entry(d, "src/util.py").update(missing="\u0661\u0660"), "coverage.files[4].missing: is not of the expected form"),
    "html in a path": (lambda d: rename(d, "setup.py", "src/<img src=x onerror=alert(1)>.py"), "coverage.files[1].path: holds HTML or a Markdown link, which covaction never writes"),
    "markdown link in a path": (lambda d: rename(d, "setup.py", "[click](https://evil.example).py"), "coverage.files[1].path: holds HTML or a Markdown link"),
    "path leaving the repository": (lambda d: rename(d, "setup.py", "../../other/setup.py"), "coverage.files[1].path: must be a path inside the repository"),
    "absolute path": (lambda d: rename(d, "setup.py", "/etc/passwd"), "coverage.files[1].path: must be a path inside the repository"),
    "oversized path": (lambda d: rename(d, "setup.py", "a/" * 3000 + "x.py"), "coverage.files[1].path: is 6,004 characters long, more than the 4,096 allowed"),
    "duplicate file": (lambda d: d["coverage"]["files"].append(copy.deepcopy(d["coverage"]["files"][0])), "coverage.files[5]: repeats a path"),
    "no files": (set_at("coverage", "files", value=[]), "coverage.files: is empty"),
    "no coverage": (lambda d: d.pop("coverage"), "coverage: is missing: the run measured no coverage"),
    "notice with a link": (set_at("notices", value=["see [this](https://evil.example)"]), "notices[0]: holds HTML or a Markdown link"),
    "notice with an html comment": (set_at("notices", value=["<!-- covaction:report:coverage -->"]), "notices[0]: holds HTML or a Markdown link"),
    "notice with a control character": (set_at("notices", value=["line\nbreak"]), "notices[0]: holds control or bidirectional characters"),
    "notice with a bidi override": (set_at("notices", value=["safe\u202eyp.live"]), "notices[0]: holds control or bidirectional characters"),
    "too many notices": (set_at("notices", value=["n"] * 1000), "notices: holds 1,000 entries, more than the 200 allowed"),
    "oversized notice": (set_at("notices", value=["n" * 5000]), "notices[0]: is 5,000 characters long, more than the 2,000 allowed"),
    "unmatched reason with html": (lambda d: d["coverage"]["unmatched"][0].update(reason="<script>x</script>"), "coverage.unmatched[0].reason: holds HTML or a Markdown link"),
    "format with markup": (set_at("coverage", "formats", value=["<b>cobertura</b>"]), "coverage.formats[0]: is not of the expected form"),
    "threshold over 100": (set_at("thresholds", "minimum-coverage", value="101"), "thresholds.minimum-coverage: must be a percentage from 0 to 100"),
    "threshold as a number": (set_at("thresholds", "minimum-coverage", value=80), "thresholds.minimum-coverage: must be a string"),
    "threshold in Arabic-Indic digits": (set_at("thresholds", "minimum-coverage", value="\u0668\u0660"), "thresholds.minimum-coverage: is not of the expected form"),
    "compared file status unknown": (lambda d: entry(d, "comparison", "src/util.py").update(status="gone"), "comparison.files[3].status: must be one of changed, new, deleted"),
    "compared file repeated": (lambda d: d["comparison"]["files"].append(copy.deepcopy(d["comparison"]["files"][0])), "comparison.files[6]: repeats a path"),
    "base counts covering more than they count": (lambda d: entry(d, "comparison", "src/util.py").update(base=result.counts_doc(Counts(10, 10)) | {"covered_lines": 11}), "comparison.files[3].base: covers more than it counts"),
    "baseline commit not a sha": (set_at("comparison", "baseline", "commit", value="main; rm -rf /"), "comparison.baseline.commit: is not of the expected form"),
    "baseline time malformed": (set_at("comparison", "baseline", "created_at", value="yesterday"), "comparison.baseline.created_at: is not of the expected form"),
    "trend too long": (lambda d: d["comparison"]["baseline"]["trend"].extend(d["comparison"]["baseline"]["trend"] * 20), "comparison.baseline.trend: holds 84 entries, more than the 50 allowed"),
    "trend metric unknown": (lambda d: d["comparison"]["baseline"]["trend"][0]["counts"].update(metric="vibes"), "comparison.baseline.trend[0].counts.metric: must be one of"),
    "baseline branch with markup": (set_at("comparison", "baseline", "branch", value="<details>"), "comparison.baseline.branch: holds HTML or a Markdown link"),
    "diff lines descending": (lambda d: diff_entry(d, "src/app/core.py").update(changed=[8, 6, 5, 4, 3]), "diff.files[1].changed: must hold ascending line numbers from 1 to 100,000,000"),
    "diff line zero": (lambda d: diff_entry(d, "src/app/core.py").update(changed=[0, 3, 4, 5, 6, 8]), "diff.files[1].changed: must hold ascending line numbers"),
    "diff coverable lines repeated": (lambda d: diff_entry(d, "src/app/core.py").update(coverable=[3, 3, 4]), "diff.files[1].coverable: must hold ascending line numbers"),
    "diff file the report lacks": (lambda d: diff_entry(d, "src/app/core.py").update(path="src/ghost.py"), "diff.files[1]: repeats a path, or names a file the report lacks"),
    "diff status deleted": (lambda d: diff_entry(d, "src/app/core.py").update(status="deleted"), "diff.files[1].status: must be one of added, modified, renamed, copied, binary"),
    "diff branches covering more than they count": (lambda d: diff_entry(d, "src/app/core.py").update(covered_branches=5), "diff.files[1].covered_branches: must be a whole number from 0 to 4"),
    "diff too many lines": (lambda d: diff_entry(d, "src/app/core.py").update(changed=list(range(1, 5_000_002))), "diff.files[1].changed: holds 5,000,001 entries, more than the 5,000,000 allowed"),
    "diff file not in the report called not measured": (lambda d: d["diff"].update(not_measured=["docs/guide.md"]), "diff: not_in_report and not_measured contradict the report"),
    "pin verdict unknown": (lambda d: d["pinning"]["references"][0].update(verdict="fine"), "pinning.references[0].verdict: must be one of pinned, unpinned, local, unverifiable, parse-error"),
    "pin kind unknown": (lambda d: d["pinning"]["references"][0].update(kind="script"), "pinning.references[0].kind: must be one of action, reusable-workflow, docker, local"),
    "pin reason with a link": (lambda d: d["pinning"]["references"][0].update(reason="pin it [here](https://evil.example)"), "pinning.references[0].reason: holds HTML or a Markdown link"),
    "two pins suggested for one reference": (lambda d: d["pinning"]["references"].append(d["pinning"]["references"][0] | {"suggestion": PIN.replace("1", "2")}), "pinning.references[6]: suggests two pins for one reference"),
    "pin policy unknown": (set_at("pinning", "policy", value="maybe"), "pinning.policy: must be one of fail, warn, off"),
    "pull request number zero": (set_at("context", "pull_request", value=0), "context.pull_request: must be a whole number from 1 to 9,999,999,999"),
    "pull request number as text": (set_at("context", "pull_request", value="42"), "context.pull_request: must be a whole number"),
    "head sha malformed": (set_at("context", "head_sha", value="HEAD"), "context.head_sha: is not of the expected form"),
    "repository malformed": (set_at("context", "repository", value="octo-org/widget/../x"), "context.repository: is not of the expected form"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_document_is_refused(name: str) -> None:
    edit, says = TAMPERED[name]
    doc = doc_of(make_case())
    edit(doc)
    with pytest.raises(result.ResultError) as caught:
        result_reader.loads(result.dumps(doc))
    message = str(caught.value)
    assert message.startswith(says) and "\n" not in message and len(message) < 400, message


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\xff\xfe{}", "the document is not UTF-8 text"),
        (b"[]", 'not a covaction result (no "schema": "covaction-result")'),
        (b'{"schema": "covaction-result", "schema": "covaction-result", "version": 1}', "the document is not valid JSON (duplicate key `schema`)"),
        (b'{"schema": "covaction-result", "version": 1, "passed": NaN}', "the document is not valid JSON (NaN or Infinity where a count belongs)"),
        (b'{"schema": "covaction-result", "version": 1.0}', "the document is not valid JSON (a fractional number where a count belongs)"),
        (b"[" * 100_000 + b"]" * 100_000, "the document nests too deeply"),
        (b'{"schema": "covaction-result", "version": 1, "x": ' + b"1" * 5000 + b"}", "the document is not valid JSON (Exceeds the limit (4300 digits)"),
        (b"not json", "the document is not valid JSON (Expecting value: line 1 column 1"),
        ('{"schema": "covaction-result", "version": \u0661}'.encode(), "the document is not valid JSON (Expecting value: line 1 column 43"),  # an Arabic-Indic 1
    ],
)  # fmt: skip
def test_malformed_json_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(result.ResultError) as caught:
        result_reader.loads(data)
    assert str(caught.value).startswith(says), str(caught.value)


def test_an_oversized_document_is_refused_before_parsing() -> None:
    data = result.dumps(doc_of(make_case()))
    assert result_reader.loads(data, max_bytes=len(data)).report_name == "coverage"
    with pytest.raises(result.ResultError, match="over the"):
        result_reader.loads(data, max_bytes=len(data) - 1)


def test_a_pin_only_result_cannot_be_published() -> None:
    case = make_case()
    doc = result.document(
        settings=case.settings, comparison=None, verdict=gates.evaluate(), refs=(), suggestions={},
        github=github(), comment_url="",
    )  # fmt: skip
    with pytest.raises(result.ResultError, match="coverage: is missing"):
        result_reader.loads(result.dumps(doc))
