"""The comment and the summary: golden files, budgets, GFM structure, hostile names.

Rendering is tested from a fixed context built in tests/render_helpers.py from the real pieces
(a Cobertura report parsed and mapped, a PR's files, a baseline, gates), so the golden files are
deterministic. Its `check_markdown` (a GFM renderer) and golden files are described there;
`COVACTION_UPDATE_GOLDEN=1` rewrites the gold files after an intended change.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from decimal import Decimal

import pytest

from covaction import changed_lines, diff_coverage, gates, paths
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.model import Counts
from covaction.pins.refs import ActionRef
from covaction.render import markdown
from tests.render_helpers import (
    BASE_SHA,
    COMMENT_LIMIT,
    HEAD_SHA,
    HOSTILE_NAMES,
    PR_NUMBER,
    REPO,
    RUN_URL,
    SERVER,
    SUMMARY_LIMIT,
    SourceFile,
    assert_golden,
    check_markdown,
    cobertura_xml,
    first_run_context,
    golden_context,
    make_context,
    many_files,
    parse_report,
    patch_adding,
)


def test_golden_comment() -> None:
    """The comment of a PR that fails the diff gate, with baseline, trend, pins."""
    body = markdown.render_comment(golden_context())
    check_markdown(body, details=1)
    assert_golden("comment.md", body)


def test_golden_summary() -> None:
    body = markdown.render_summary(golden_context())
    check_markdown(body, details=0)
    assert_golden("summary.md", body)


def test_golden_first_run_comment() -> None:
    """No baseline, no threshold, no workflow: short, and no "all 0 references are pinned"."""
    body = markdown.render_comment(first_run_context())
    check_markdown(body, details=1)
    assert "0 references" not in body and "Pinned actions" not in body
    assert_golden("comment-first-run.md", body)


# ---------------------------------------------------------------------------- reading order


def _visible_lines(body: str) -> list[str]:
    return [ln for ln in body.split("\n") if ln.strip() and not ln.startswith("<!--")]


def test_the_verdict_is_the_first_visible_line_and_says_what_failed() -> None:
    body = markdown.render_comment(golden_context())
    assert body.startswith(markdown.marker("coverage") + "\n")
    first = _visible_lines(body)[0]
    assert first.startswith("### ❌ Coverage ")
    assert "failed: diff coverage 60.00% < 90%, dropped 1.20 points (allowed 0.5)" in first
    # The head commit the comment reflects ends the headline.
    assert first.endswith(f"· [`{HEAD_SHA[:7]}`]({SERVER}/{REPO}/commit/{HEAD_SHA})")


def test_sections_come_in_the_reviewers_order() -> None:
    """Verdict, totals, diff, changed files, trend, pins, then the collapsed rest."""
    body = markdown.render_comment(golden_context())
    order = [
        "### ",
        "| **Total** |",
        "| **Diff coverage** |",
        "Compared with",
        "**Gates:**",
        "#### Changed files",
        "**Trend on",
        "#### References not pinned",
        "no file in the repository**",
        "<details>",
        "</details>",
        "<sub>",
    ]
    positions = [body.index(marker) for marker in order]
    assert positions == sorted(positions), list(zip(order, positions, strict=True))


def test_passing_comment_counts_and_delta() -> None:
    ctx = golden_context()
    ctx = replace(
        ctx, verdict=gates.evaluate(*(c for c in ctx.verdict.checks if c.status != "failed"))
    )
    body = markdown.render_comment(ctx)
    first = _visible_lines(body)[0]
    assert first.startswith("### ✅ Coverage ") and "all gates passed" in first
    assert "⚠️ 1 action not pinned" in first
    totals = check_markdown(body).table("")
    # The vendored file outside the repository counts in the totals, as in coverage.py's own.
    assert totals.rows[0][2].strip() == "78 / 89 lines, 3 / 4 branches"
    # With the failing gates gone, nothing judges the drop or the diff coverage: the headline
    # says so with the numbers.
    assert "⚠️ dropped 1.20 points (no gate set)" in first
    assert "⚠️ diff coverage below 80% (no gate set)" in first


def test_changed_files_with_most_uncovered_lines_come_first() -> None:
    body = markdown.render_comment(golden_context())
    table = check_markdown(body).table("File", "Diff coverage", "Uncovered changed lines")
    first_column = [r[0].strip() for r in table.rows]
    assert first_column[0].startswith("`src/widget/new_feature.py`")
    assert first_column[1] == "`src/widget/core.py`"


def test_uncovered_changed_lines_link_into_the_pull_request_diff() -> None:
    """With a PR number, a range links to "Files changed": #diff-<sha256 of the path>R12-R13."""
    body = markdown.render_comment(golden_context())
    digest = hashlib.sha256(b"src/widget/core.py").hexdigest()
    url = f"{SERVER}/{REPO}/pull/{PR_NUMBER}/files#diff-{digest}R12-R13"
    assert f"[12-13]({url})" in body
    # Partial-branch lines are links too.
    assert (
        f"partial branches: [10]({SERVER}/{REPO}/pull/{PR_NUMBER}/files#diff-{digest}R10)" in body
    )


def test_without_a_pull_request_number_lines_link_to_the_head_commit() -> None:
    ctx = golden_context()
    ctx = replace(ctx, links=replace(ctx.links, pull_request=0))
    body = markdown.render_comment(ctx)
    url = f"{SERVER}/{REPO}/blob/{HEAD_SHA}/src/widget/core.py#L12-L13"
    assert f"[12-13]({url})" in body


def test_no_pin_line_without_workflows_and_no_pin_gate() -> None:
    ctx = first_run_context()
    assert ctx.pins_checked == 0 and ctx.gates == ()
    summary = markdown.render_summary(ctx)
    assert "no `uses:` reference found" in summary
    assert "all 0" not in summary and "Pinned actions |" not in summary


def test_all_pinned_says_how_many() -> None:
    ctx = replace(first_run_context(), pin_counts={"pinned": 1, "local": 2})
    body = markdown.render_comment(ctx)
    assert "**Pinned actions:** the 1 reference is pinned to a full commit SHA." in body
    ctx = replace(ctx, pin_counts={"pinned": 7, "allowed": 2})
    body = markdown.render_comment(ctx)
    assert (
        "all 7 references are pinned to a full commit SHA (2 more allowed by pin-allowlist or pin-rules)."
        in body
    )


@pytest.mark.parametrize("which", ["comment", "summary"])
def test_no_run_of_blank_lines_and_no_trailing_spaces(which: str) -> None:
    ctx = golden_context()
    body = markdown.render_comment(ctx) if which == "comment" else markdown.render_summary(ctx)
    assert "\n\n\n" not in body
    assert not re.search(r"[ \t]+\n", body)
    assert body.endswith("\n") and not body.endswith("\n\n")


def test_rendering_is_deterministic() -> None:
    assert markdown.render_comment(golden_context()) == markdown.render_comment(golden_context())
    assert markdown.render_summary(golden_context()) == markdown.render_summary(golden_context())


# ---------------------------------------------------------------------------- budgets


@pytest.fixture(scope="module")
def big_context() -> markdown.RenderContext:
    """5,000 files with long paths, 600 of them changed, a baseline for all."""
    files = many_files(5000, length=220)
    report = parse_report(cobertura_xml(files))
    baseline = Baseline(
        commit=BASE_SHA, branch="main", created_at="2026-11-20T09:00:00Z", report_name="coverage",
        covaction_version="0.1.0", has_branches=False,
        files={f.path: Counts(29, 20, 0, 0) for f in files}, trend=(),
    )  # fmt: skip
    pr_files = [
        {"filename": f.path, "status": "modified", "patch": patch_adding([3, 4, 5, 6, 9])}
        for f in files[:600]
    ]
    pins = [
        markdown.PinRow(f".github/workflows/w{i}.yml", i, f"some-org/action-{i}@main", "unpinned",
                      "a branch moves with every push")
        for i in range(300)
    ]  # fmt: skip
    return make_context(
        report, baseline=baseline, baseline_note="the newest baseline", pr_files=pr_files,
        minimum_coverage="50", pins=pins, pin_counts={"pinned": 3, "unpinned": 300},
    )  # fmt: skip


def test_big_report_comment_fits_and_stays_well_formed(big_context: markdown.RenderContext) -> None:
    body = markdown.render_comment(big_context)
    assert len(body) <= markdown.COMMENT_BUDGET <= COMMENT_LIMIT
    doc = check_markdown(body, details=1 if "<details>" in body else 0)
    changed = doc.table("File", "Diff coverage", "Uncovered changed lines")
    assert 100 <= len(changed.rows) < 600 and len(changed.header) == 5
    # Rows before links: a row is cut only when the next one would not fit (a row here is
    # well under 1,000 characters).
    assert len(body) > markdown.COMMENT_BUDGET - 1000
    n = len(changed.rows)
    assert f"*{600 - n:,} more changed files [in the job summary]" in body
    assert f"more changed files [in the job summary]({RUN_URL})." in body


def test_big_report_summary_fits_and_keeps_most_rows(big_context: markdown.RenderContext) -> None:
    body = markdown.render_summary(big_context)
    assert len(body.encode("utf-8")) <= markdown.SUMMARY_BUDGET <= SUMMARY_LIMIT
    doc = check_markdown(body, details=0)
    per_file = doc.table("File", "Coverage", "Covered")
    assert len(per_file.rows) >= 1000
    assert doc.table("File", "Diff coverage", "Uncovered changed lines").rows


def test_a_level_is_over_its_budget_when_its_tables_rows_together_are(
    big_context: markdown.RenderContext,
) -> None:
    """The folder table's rows and the file table's each fit a budget their sum is over: the
    level stops at the second table (the body, holding both, could not fit), and the
    rows made so far are kept for the next level."""
    from covaction.render import tables

    c = big_context.comparison
    folders = tables.dir_rows(c, 1, 10_000)
    files = tables.file_rows(c, 10_000)
    budget = max(len(folders), len(files)) + 1
    assert budget < len(folders) + len(files)
    assert tables.within_budget(lambda: tables.dir_rows(c, 1, 10_000, budget)) == folders
    assert tables.within_budget(lambda: tables.file_rows(c, 10_000, budget)) == files
    both = tables.within_budget(
        lambda: tables.dir_rows(c, 1, 10_000, budget) + tables.file_rows(c, 10_000, budget)
    )
    assert both is None
    assert tables.file_rows(c, 10_000) == files  # without a budget, outside a level


def test_huge_unbreakable_content_is_truncated_cleanly() -> None:
    """When even the smallest level does not fit, the cut keeps the marker and closes blocks."""
    text = (
        "<!-- covaction:report:x -->\n### ✅ ok\n\n<details><summary>s</summary>\n\n"
        + ("| a | b |\n|---|---|\n" + "| `x` | y |\n" * 20000)
        + "\n</details>\n"
    )
    cut = markdown.truncate(text, 10_000, "<!-- covaction:report:x -->", len, markdown.COMMENT_NOTE)
    assert len(cut) <= 10_000
    assert cut.startswith("<!-- covaction:report:x -->\n")
    check_markdown(cut, details=1)
    assert "Truncated" in cut


def test_summary_truncation_counts_utf8_bytes() -> None:
    text = "## s\n\n" + "é" * 100 + "\n" + ("| a |\n|---|\n" + "| 🎉🎉🎉 |\n" * 200_000)
    cut = markdown.truncate(
        text, 1_000_000, "", lambda s: len(s.encode("utf-8")), markdown.SUMMARY_NOTE
    )
    assert len(cut.encode("utf-8")) <= 1_000_000
    check_markdown(cut[:50_000].rsplit("\n", 1)[0] + "\n")


# ---------------------------------------------------------------------------- hostile names


def hostile_context() -> markdown.RenderContext:
    files = [SourceFile(name, {1: 1, 2: 0, 3: 1}, {1: (1, 2)}) for name in HOSTILE_NAMES] + [
        SourceFile("src/zero @team.py", {1: 0, 2: 0})
    ]
    report = parse_report(cobertura_xml(files))
    pr_files = [
        # GitHub names files as they are; a backslash is part of a Linux file name (paths.py
        # maps report paths with one as written).
        {
            "filename": name.strip() if "\\" in name else paths.normalize(name),
            "status": "modified",
            "patch": patch_adding([1, 2]),
        }
        for name in HOSTILE_NAMES
    ] + [{"filename": "src/no patch @x #1 <b>.bin", "status": "modified"}]
    baseline = Baseline(
        commit=BASE_SHA, branch="main<img src=x>@x#1", created_at="2026-11-20T09:00:00Z",
        report_name="coverage", covaction_version="0.1.0", has_branches=True,
        files={"src/@octocat/mention.py": Counts(3, 3, 2, 2)},
        trend=(TrendPoint(BASE_SHA, "2026-11-19T09:00:00Z", Counts(3, 3, 0, 0)),
               TrendPoint(HEAD_SHA, "2026-11-20T09:00:00Z", Counts(3, 2, 0, 0))),
    )  # fmt: skip
    pins = [
        markdown.PinRow(
            ".github/workflows/<img src=x>.yml",
            3,
            "evil/@octocat#12|<b>x</b>@`v1`",
            "unpinned",
            "a tag @octocat #12 <img src=x> [x](javascript:1) can move",
            "evil/x@" + "c" * 40 + " # @v1 #12 <img>",
        )
    ]
    return make_context(
        report, baseline=baseline,
        baseline_note="artifact `x@y #1 <img src=x>` of branch `a|b`, [x](javascript:1) @team #9",
        pr_files=pr_files, minimum_coverage="99", maximum_drop="0", pins=pins,
        pin_counts={"pinned": 0, "unpinned": 1},
        pin_notes=["Could not resolve some references (resolving evil/@x#1@<img src=x>: 404)."],
        notices=["coverage.xml: path <img src=x> @x #4 was skipped"],
        annotation_notes=["3 more warning annotations for @x #5"],
    )  # fmt: skip


@pytest.mark.parametrize("which", ["comment", "summary"])
def test_hostile_names_render_inert(which: str) -> None:
    """No mention, reference, link, image or HTML element comes from a name; rows stay whole."""
    ctx = hostile_context()
    body = markdown.render_comment(ctx) if which == "comment" else markdown.render_summary(ctx)
    doc = check_markdown(body, details=1 if which == "comment" else 0)
    assert body.count("<sub>") == 1
    assert "\u202e" not in body and "\\u202e" in body
    assert "\u200b" not in body and "\u2066" not in body
    assert not re.search("[\ud800-\udfff]", body)
    # Every hostile name that the report kept appears in a table row of its own.
    changed = doc.table("File", "Diff coverage", "Uncovered changed lines")
    assert len(changed.rows) == len(HOSTILE_NAMES)
    # @mentions and #refs of names survive only as code.
    code_text = " ".join(re.findall(r"<code>(.*?)</code>", doc.html, flags=re.S))
    assert "@octocat" in code_text and "#123" in code_text


def test_hostile_names_never_break_a_line_or_bloat_one() -> None:
    """A name cannot end a row early; a 5,000-character path is shortened and not linked."""
    body = markdown.render_comment(hostile_context())
    rows = [line for line in body.split("\n") if line.startswith("| `src/")]
    assert len(rows) >= len(HOSTILE_NAMES)
    for line in rows:
        assert line.endswith("|") and len(line) < 2000, line[:200]


# ---------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (0, "±0.00"),
        (Decimal("0.001"), "+0.01"),  # never shown as 0 (coverage.py rounding)
        (Decimal("-0.001"), "\u22120.01"),
        (Decimal("1.5"), "+1.50"),
        (Decimal("-2.25"), "\u22122.25"),
    ],
)
def test_delta(value: Decimal | None, shown: str) -> None:
    from fractions import Fraction

    assert markdown.delta(None if value is None else Fraction(value)) == shown


def test_sparkline_spans_the_range() -> None:
    assert markdown.sparkline([1.0, 2.0, 3.0]) == "▁▅█"
    assert markdown.sparkline([5.0, 5.0]) == "▅▅"
    # A wobble smaller than two points draws as the small step it is, not as a cliff.
    assert markdown.sparkline([80.0, 80.3]) == "▄▅"
    assert markdown.sparkline([]) == ""


def test_commit_links_only_full_shas() -> None:
    links = markdown.Links(SERVER, REPO, HEAD_SHA, RUN_URL)
    assert links.commit(BASE_SHA) == f"{SERVER}/{REPO}/commit/{BASE_SHA}"
    assert links.commit("abc") == "" and links.commit("z" * 40) == ""
    assert markdown.short_sha("a0a0a0a0a0a0") == "a0a0a0a"
    assert markdown.short_sha("<b>x</b>").startswith("`")


@pytest.mark.parametrize("name", ["coverage", "unit-tests", "py3.12_linux", "a--b", "x-->y", "é"])
def test_the_marker_is_one_closed_html_comment(name: str) -> None:
    mark = markdown.marker(name)
    assert mark.startswith("<!-- covaction:report:") and mark.endswith(" -->")
    assert "--" not in mark[4:-3] and ">" not in mark[4:-3]
    if name in ("coverage", "unit-tests", "py3.12_linux"):
        assert mark == f"<!-- covaction:report:{name} -->"


def test_a_baseline_without_branches_is_compared_like_with_like() -> None:
    """The Δ of a branch-measured run against a lines-only baseline says what it compares."""
    ctx = golden_context()
    base = ctx.comparison.baseline
    assert base is not None
    ctx = make_context(
        ctx.comparison.report, baseline=replace(base, has_branches=False), baseline_note="x"
    )
    body = markdown.render_comment(ctx)
    lines_now = markdown.pct(ctx.comparison.compared_counts.percent)
    assert f"Δ compares line coverage ({lines_now} now)" in body
    total = check_markdown(body).table("", "Coverage").rows[0]
    assert total[4].strip() == markdown.change(
        ctx.comparison.compared_counts.percent, ctx.comparison.base_counts.percent
    )


# ---------------------------------------------------------------------------- issue 18


def test_the_headline_names_a_report_that_has_a_name() -> None:
    """Two reports' comments differ in their first line, not only in a footer."""
    ctx = replace(golden_context(), report_name="unit-tests")
    first = _visible_lines(markdown.render_comment(ctx))[0]
    assert first.startswith("### ❌ `unit-tests`: Coverage 87.10% (\u22121.20)")
    default = _visible_lines(markdown.render_comment(golden_context()))[0]
    assert default.startswith("### ❌ Coverage 87.10%")


def docs_only_context() -> markdown.RenderContext:
    """A pull request that changes the README and a comment line of a measured file."""
    report = parse_report(cobertura_xml([SourceFile("app.py", {1: 1, 2: 1, 5: 0})]))
    return make_context(
        report,
        pr_files=[
            {"filename": "README.md", "status": "modified", "patch": patch_adding([3])},
            {"filename": "app.py", "status": "modified", "patch": patch_adding([3])},
        ],
        minimum_diff="80",
    )


@pytest.mark.parametrize("which", ["comment", "summary"])
def test_a_docs_only_change_gets_one_line_and_its_diff_gate_reads_skipped(which: str) -> None:
    ctx = docs_only_context()
    body = markdown.render_comment(ctx) if which == "comment" else markdown.render_summary(ctx)
    assert body.count("no coverable line changed") >= 2  # the headline, then one line
    assert "**Diff coverage:** no coverable line changed" in body
    assert "#### Changed files" not in body and "| **Diff coverage** |" not in body
    assert "passed" not in body.split("Diff coverage", 1)[1].split("\n", 1)[0]
    if which == "comment":
        assert "⏭️ diff coverage skipped" in body
    else:
        row = check_markdown(body).table("Gate", "Result").rows[0]
        assert row[1].strip() == "⏭️ skipped"
    assert "*Diff coverage skipped: no coverable line changed.*" in body


def indirect_context() -> markdown.RenderContext:
    """The change edits a.py; b.py lost coverage without being touched (a deleted test)."""
    files = [
        SourceFile("src/a.py", {n: 1 for n in range(1, 11)}),
        SourceFile("src/b.py", {n: (1 if n <= 4 else 0) for n in range(1, 11)}),
        SourceFile("lib/c.py", {n: (1 if n <= 9 else 0) for n in range(1, 11)}),
        SourceFile("lib/d.py", {n: 1 for n in range(1, 11)}),
    ]
    baseline = Baseline(
        commit=BASE_SHA, branch="main", created_at="2026-11-20T09:00:00Z",
        report_name="coverage", covaction_version="0.1.0", has_branches=False,
        files={"src/a.py": Counts(10, 9), "src/b.py": Counts(10, 10), "lib/c.py": Counts(10, 10),
               "lib/d.py": Counts(10, 10)}, trend=(),
    )  # fmt: skip
    return make_context(
        parse_report(cobertura_xml(files)),
        baseline=baseline,
        pr_files=[{"filename": "src/a.py", "status": "modified", "patch": patch_adding([10])}],
        pull_request=PR_NUMBER,
    )


def test_indirect_changes_show_outside_details_the_largest_first() -> None:
    body = markdown.render_comment(indirect_context())
    before_details = body.split("<details>", 1)[0]
    assert "#### Indirect changes (2)" in before_details
    rows = check_markdown(body).table("File", "Coverage", "Baseline", "Δ").rows
    assert [r[0].strip() for r in rows[:2]] == ["`src/b.py`", "`lib/c.py`"]
    assert [r[3].strip() for r in rows[:2]] == ["\u221260.00", "\u221210.00"]
    # The touched file is a changed file, not an indirect change.
    assert "`src/a.py`" not in before_details.split("#### Indirect changes", 1)[1]


def test_the_folder_rollup_is_by_top_level_folder_worst_first() -> None:
    ctx = indirect_context()
    body = markdown.render_summary(ctx)
    rows = check_markdown(body).table("Folder", "Files").rows
    assert [(r[0].strip(), r[2].strip()) for r in rows] == [
        ("`src`", "70.00%"),
        ("`lib`", "95.00%"),
    ]


def test_deltas_agree_with_the_rounded_figures_shown() -> None:
    """88.64% against 95.45% reads -6.81 (the exact difference, -6.818…, would say -6.82)."""
    body = markdown.render_summary(golden_context())
    row = next(r for r in check_markdown(body).table("File", "Coverage", "Covered").rows
               if r[0].strip() == "`src/widget/core.py`")  # fmt: skip
    assert (row[1].strip(), row[3].strip()) == ("88.64%", "\u22126.81")


def test_pins_in_untouched_workflows_are_one_line_pointing_to_the_summary() -> None:
    ctx = golden_context()
    changes = changed_lines.from_github_files(
        [{"filename": "src/widget/core.py", "status": "modified", "patch": patch_adding([12])}]
    )
    dc = diff_coverage.diff_coverage(ctx.comparison.report, changes)
    ctx = replace(ctx, comparison=replace(ctx.comparison, diff=dc))
    body = markdown.render_comment(ctx)
    assert "#### Actions not pinned" not in body
    assert (
        "⚠️ **1 action not pinned (actions to a commit SHA, images to a digest)** in workflows this change does not touch: "
        f"[see the job summary]({RUN_URL})." in body
    )
    # The summary still lists it, as a copyable fix.
    summary = markdown.render_summary(ctx)
    assert "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5\n```" in summary


def test_pins_are_grouped_by_file_with_a_copyable_fix_or_why_not() -> None:
    ctx = golden_context()
    rows = (
        markdown.PinRow(".github/workflows/ci.yml", 14, "a/b@v1", "unpinned", "a tag moves", "a/b@" + "1" * 40 + " # v1"),
        markdown.PinRow(".github/workflows/ci.yml", 30, "c/d@main", "unpinned", "a branch moves"),
        markdown.PinRow(".github/workflows/ci.yml", 40, "${{ x }}", "unverifiable", "an expression"),
    )  # fmt: skip
    body = markdown.render_comment(replace(ctx, pins=rows))
    assert body.count("`.github/workflows/ci.yml`") == 1
    block = body.split("`.github/workflows/ci.yml`\n\n```\n", 1)[1].split("\n```", 1)[0]
    assert block.split("\n") == [
        "# line 14: a/b@v1: a tag moves",
        "a/b@" + "1" * 40 + " # v1",
        "# line 30: c/d@main: a branch moves",
        "# no fix suggested: its commit could not be looked up",
        "# line 40: ${{ x }}: an expression",
        "# no fix suggested: built from an expression: pin what it resolves to",
    ]


def test_a_run_without_a_token_says_so_instead_of_a_failed_lookup() -> None:
    """No token: no commit was looked up, which the row says (not "could not be looked up")."""
    ctx = golden_context()
    finding = ActionRef(".github/workflows/ci.yml", 30, "c/d@main", "unpinned", "a branch moves")
    rows = markdown.pin_rows([finding], {}, "no token (laptop run, or github-token is empty)")
    body = markdown.render_summary(replace(ctx, pins=rows))
    assert (
        "# no fix suggested: its commit was not looked up: no token (laptop run, or "
        "github-token is empty)" in body
    )


def test_a_fix_line_cannot_close_its_code_block() -> None:
    row = markdown.PinRow("w.yml", 1, "a/b@v1", "unpinned", "x\n```\n<img src=x>", "a/b@```` # x")
    block = markdown.pin_block(markdown.parts.PinGroup("w.yml", (row,)))
    lines = block.split("\n")
    assert len(lines) == 4 and lines[0] == lines[-1] == "`````"


def test_no_job_summary_is_mentioned_where_there_is_none() -> None:
    """On a laptop (no run URL) the comment never says "in the job summary"."""
    ctx = golden_context()
    ctx = replace(ctx, links=replace(ctx.links, run_url=""), limits=markdown.COMMENT_LEVELS[-1])
    body = markdown.render_comment(replace(ctx, pins=ctx.pins * 20))
    assert "job summary" not in body.lower()


def test_the_trend_chart_is_fitted_labelled_sparingly_and_ends_with_this_run() -> None:
    ctx = golden_context()
    base = ctx.comparison.baseline
    assert base is not None
    points = tuple(
        TrendPoint(f"{i:040x}", "2026-11-01T09:00:00Z", Counts(1000, 870 + i % 4))
        for i in range(1, 51)
    )
    ctx = make_context(ctx.comparison.report, baseline=replace(base, trend=points))
    summary = markdown.render_summary(ctx)
    chart = summary.split("```mermaid\n", 1)[1].split("```", 1)[0]
    # A numeric x-axis (a handful of ticks, not 51 SHAs), a fitted y-axis, a colour that
    # reads on white and on GitHub's dark background, this run last.
    assert 'x-axis "runs, oldest first' in chart and "1 --> 51" in chart
    assert 'y-axis "Coverage (%)" 85 --> 91' in chart
    assert 'plotColorPalette: "#1f77d4"' in chart
    assert chart.rstrip().endswith("87.10]")
    comment = markdown.render_comment(ctx)
    assert "min 87.00% · max 87.30% · now 87.10%" in comment


# ---------------------------------------------------------------------------- terminal report


def test_the_terminal_report_is_plain_text_with_the_same_figures() -> None:
    from covaction.render import text

    report = text.render_text(golden_context())
    assert report.startswith(f"covaction: FAILED at {HEAD_SHA[:12]}\n")
    assert "  failed: Diff coverage 60.00% is below the minimum 90%\n" in report
    assert "Diff coverage    60.00%   9 / 15 changed lines (lines only)" in report
    assert "  FAIL  diff coverage 60.00% < 90%" in report
    assert "pin to: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5" in report
    # Not Markdown, and no job summary on a laptop.
    assert "|---" not in report and "](" not in report and "<details>" not in report
    assert "job summary" not in report.lower()


def test_the_terminal_report_lets_no_control_character_through() -> None:
    from covaction.render import text

    ctx = replace(
        hostile_context(),
        notices=("coverage.xml: \x1b]8;;http://x\x07link\x1b]8;;\x07 \x1b[2J\r",),
        pin_notes=("resolving \x1b[31mred\x1b[0m failed",),
    )
    for ctx_ in (ctx, hostile_context()):  # names with \u202e, \n, \r, zero-width marks
        out = text.render_text(ctx_)
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\u2066]", out), out[:300]


def test_the_pin_only_summary_groups_fixes_by_file() -> None:
    from covaction.pins.workflows import PinSummary

    rows = [
        markdown.PinRow(".github/workflows/ci.yml", 8, "a/b@v1", "unpinned", "a tag moves", "a/b@" + "1" * 40 + " # v1"),
        markdown.PinRow(".github/workflows/ci.yml", 9, "c/d@main", "unpinned", "a branch moves"),
    ]  # fmt: skip
    verdict = gates.evaluate(gates.pins_check("warn", 2))
    body = markdown.render_pins_only(verdict, rows, PinSummary.of([]), ["one lookup failed"])
    check_markdown(body, details=0)
    assert "⚠️ 2 references not pinned to a full commit SHA" in body
    assert body.count("`.github/workflows/ci.yml`") == 1
    assert "\na/b@" + "1" * 40 + " # v1\n" in body


@pytest.mark.parametrize(
    "text, shown",
    [
        ("9, 13-17", "9, 13-17"),
        (
            ", ".join(str(n) for n in range(100, 160, 2)),
            "100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, …",
        ),
        ("1-" + "9" * 100, "1-" + "9" * 100),
        ("1-" + "9" * 100 + ", 7", "1-" + "9" * 100 + ", …"),
    ],
)
def test_a_shortened_missing_lines_cell_never_cuts_a_number(text: str, shown: str) -> None:
    """ "124, 1…" would read as a range: a cell is cut between ranges only."""
    from covaction.render.markdown import line_ranges

    assert line_ranges(text, 60) == shown
