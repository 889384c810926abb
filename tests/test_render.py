"""The comment and the summary: golden files, budgets, GFM structure, hostile names.

Rendering is tested from a fixed context built here from the real pieces (a Cobertura report
parsed and mapped, a PR's files, a baseline, gates), so the golden files are deterministic.
`check_markdown` renders with a GFM renderer (markdown-it-py, tables on) and checks what a
reviewer's browser would get: tables that are tables, balanced `<details>`, no HTML, link,
image, mention or reference that did not come from the template.

Golden files (coverage.py's goldtest idea): on a mismatch the actual output is written beside
the gold file (`tests/golden/<name>.actual.md`) and the test fails with a diff. Set
`COVACTION_UPDATE_GOLDEN=1` to rewrite the gold files after an intended change.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from covaction import __version__, changed_lines, diff_coverage, formats, gates, paths
from covaction.compare import compare
from covaction.documents.baseline import Baseline, TrendPoint
from covaction.model import Counts, CoverageReport
from covaction.pins.refs import ActionRef
from covaction.render import markdown

GOLDEN = Path(__file__).parent / "golden"
SERVER = "https://github.com"
REPO = "octo-org/widget"
HEAD_SHA = "b0" * 20
BASE_SHA = "a0" * 20
RUN_URL = f"{SERVER}/{REPO}/actions/runs/9000000001"
PR_NUMBER = 42
ALLOWED_LINKS = (f"{SERVER}/{REPO}/",)
COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1024 * 1024


# ---------------------------------------------------------------------------- report building


@dataclass(frozen=True)
class SourceFile:
    """One file of a test report: line -> hits, and line -> (covered, total) branches."""

    path: str
    hits: Mapping[int, int]
    branches: Mapping[int, tuple[int, int]] = ()  # type: ignore[assignment]


def cobertura_xml(files: Iterable[SourceFile]) -> bytes:
    """A Cobertura report as coverage.py writes it (attributes XML-escaped, `&#10;` for \\n)."""
    out = [
        '<?xml version="1.0" ?>',
        '<coverage version="7.6.0" timestamp="1" lines-valid="0" lines-covered="0" '
        'line-rate="0" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">',
        "<sources><source>.</source></sources>",
        '<packages><package name="." line-rate="0" branch-rate="0" complexity="0"><classes>',
    ]
    for f in files:
        name = quoteattr(f.path, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
        out.append(
            f'<class name="c" filename={name} line-rate="0" branch-rate="0" complexity="0">'
            "<methods/><lines>"
        )
        for line, hits in sorted(f.hits.items()):
            branch = dict(f.branches or {}).get(line)
            if branch:
                covered, total = branch
                pct = covered * 100 // total
                out.append(
                    f'<line number="{line}" hits="{hits}" branch="true" '
                    f'condition-coverage="{pct}% ({covered}/{total})"/>'
                )
            else:
                out.append(f'<line number="{line}" hits="{hits}"/>')
        out.append("</lines></class>")
    out.append("</classes></package></packages></coverage>")
    return "\n".join(out).encode("utf-8")


def parse_report(xml: bytes, exists: Any = lambda p: True) -> CoverageReport:
    """Parse and map a report as the pipeline does, against a workspace where `exists`."""
    parsed = formats.parse("cobertura", [xml], "coverage.xml")
    mapper = paths.PathMapper("/github/workspace", None, exists=exists)
    return paths.map_reports([parsed], mapper)


def patch_adding(lines: Sequence[int]) -> str:
    """A GitHub `patch` that adds exactly `lines` (each as its own hunk)."""
    hunks = []
    for n in lines:
        hunks.append(f"@@ -{n - 1},0 +{n},1 @@\n+changed line {n}")
    return "\n".join(hunks)


def long_path(i: int, length: int = 180) -> str:
    """A deep, long, unique repository path (the budget tests want wide tables)."""
    stem = f"services/team-{i % 37:02d}/component-{i % 23:03d}/src/main/python/package"
    padding = "x" * max(0, length - len(stem) - 20)
    return f"{stem}/{padding}/module_{i:05d}.py"


def many_files(n: int, length: int = 180) -> list[SourceFile]:
    return [
        SourceFile(long_path(i, length), {k: (0 if (k + i) % 3 == 0 else 1) for k in range(1, 30)})
        for i in range(n)
    ]


# ---------------------------------------------------------------------------- context building


def make_context(
    report: CoverageReport,
    *,
    baseline: Baseline | None = None,
    baseline_note: str = "",
    pr_files: Sequence[Mapping[str, object]] | None = None,
    minimum_coverage: str | None = None,
    minimum_diff: str | None = None,
    maximum_drop: str | None = None,
    pins: Sequence[markdown.PinRow] = (),
    pin_counts: Mapping[str, int] | None = None,
    pin_policy: str = "warn",
    pin_notes: Sequence[str] = (),
    notices: Sequence[str] = (),
    annotation_notes: Sequence[str] = (),
    report_name: str = "coverage",
    pull_request: int = 0,
) -> markdown.RenderContext:
    """A RenderContext built the way the pipeline builds it, from fixed inputs."""
    changes = changed_lines.from_github_files(pr_files) if pr_files is not None else None
    dc = diff_coverage.diff_coverage(report, changes) if changes is not None else None
    comparison = compare(report, baseline, dc, baseline_note)
    thresholds = {
        "minimum-coverage": Decimal(minimum_coverage) if minimum_coverage else None,
        "minimum-diff-coverage": Decimal(minimum_diff) if minimum_diff else None,
        "maximum-coverage-drop": Decimal(maximum_drop) if maximum_drop else None,
    }
    checks: list[gates.Check | None] = [
        gates.minimum_check(
            "total", "Total coverage", comparison.counts.percent, thresholds["minimum-coverage"]
        ),
        gates.minimum_check(
            "diff",
            "Diff coverage",
            dc.percent if dc else None,
            thresholds["minimum-diff-coverage"],
            "no changed lines are known (not a pull request; use diff-base or diff-file)",
        ),
        gates.drop_check(
            comparison.counts.percent,
            comparison.base_counts.percent if comparison.base_counts else None,
            thresholds["maximum-coverage-drop"],
            baseline_note,
        ),
        gates.pins_check(pin_policy, len(pins)),
    ]
    counts = dict(pin_counts or {})
    return markdown.RenderContext(
        report_name=report_name,
        comparison=comparison,
        verdict=gates.evaluate(*checks),
        thresholds=thresholds,
        links=markdown.Links(SERVER, REPO, HEAD_SHA, RUN_URL, pull_request),
        pins=tuple(pins),
        pin_policy=pin_policy,
        pin_counts=counts,
        pin_notes=tuple(pin_notes),
        notices=tuple(notices),
        annotation_notes=tuple(annotation_notes),
    )


def golden_context() -> markdown.RenderContext:
    """A pull request that fails one gate, with a baseline, trend, pins and an unmatched path."""
    files = [
        SourceFile(
            "src/widget/core.py",
            {n: (0 if n in (12, 13, 14, 30) else 3) for n in range(1, 41)},
            {10: (1, 2), 20: (2, 2)},
        ),
        SourceFile("src/widget/util.py", {n: 1 for n in range(1, 21)}),
        SourceFile("src/widget/new_feature.py", {n: (0 if n > 6 else 1) for n in range(1, 11)}),
        SourceFile("src/widget/dead.py", {1: 0, 2: 0, 3: 0}),
        SourceFile("src/widget/__init__.py", {}),
        SourceFile("tests/test_core.py", {n: 1 for n in range(1, 16)}),
        SourceFile("/home/runner/work/other/vendored.py", {1: 1}),
    ]
    report = parse_report(
        cobertura_xml(files), exists=lambda p: not p.startswith("/") and "vendored" not in p
    )
    base_files = {
        "src/widget/core.py": Counts(40, 38, 4, 4),
        "src/widget/util.py": Counts(20, 20, 0, 0),
        "src/widget/dead.py": Counts(3, 0, 0, 0),
        "src/widget/__init__.py": Counts(0, 0, 0, 0),
        "src/widget/old.py": Counts(12, 6, 0, 0),
        "tests/test_core.py": Counts(15, 15, 0, 0),
    }
    trend = tuple(
        TrendPoint(f"{i:x}" * 40, f"2026-11-1{i}T09:00:00Z", Counts(90, 80 + i, 4, 2))
        for i in range(1, 7)
    )
    baseline = Baseline(
        commit=BASE_SHA,
        branch="main",
        created_at="2026-11-20T09:00:00Z",
        report_name="coverage",
        covaction_version="0.1.0",
        has_branches=True,
        files=base_files,
        trend=trend,
    )
    pr_files = [
        {
            "filename": "src/widget/core.py",
            "status": "modified",
            "patch": patch_adding([10, 12, 13, 20, 25]),
        },
        {
            "filename": "src/widget/new_feature.py",
            "status": "added",
            "patch": patch_adding(range(1, 11)),
        },
        {"filename": "docs/logo.png", "status": "added"},
        {"filename": "src/widget/util.py", "status": "modified"},
        {"filename": ".github/workflows/ci.yml", "status": "modified", "patch": patch_adding([14])},
    ]
    pins = [
        markdown.PinRow(
            ".github/workflows/ci.yml",
            14,
            "actions/setup-python@v5",
            "unpinned",
            "a tag can be moved to another commit",
            "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5",
        ),
    ]
    return make_context(
        report,
        baseline=baseline,
        baseline_note="the pull request's base commit, 3 hours old",
        pr_files=pr_files,
        minimum_coverage="80",
        minimum_diff="90",
        maximum_drop="0.5",
        pins=pins,
        pin_counts={
            "pinned": 11,
            "unpinned": 1,
            "local": 1,
            "unverifiable": 0,
            "parse-error": 0,
            "allowed": 0,
        },
        pin_policy="warn",
        notices=["coverage.xml: 1 <line> element had no number and was skipped"],
        pull_request=PR_NUMBER,
    )


def first_run_context() -> markdown.RenderContext:
    """A first run on a repository without workflows: no baseline, no threshold, a small diff."""
    report = parse_report(
        cobertura_xml([SourceFile("app.py", {1: 1, 2: 1, 3: 0, 4: 1}, {2: (1, 2)})])
    )
    return make_context(
        report,
        baseline_note="no unexpired `covaction-baseline` artifact from a push to `main` (first run)",
        pr_files=[{"filename": "app.py", "status": "modified", "patch": patch_adding([3, 4])}],
        pin_counts={
            "pinned": 0,
            "unpinned": 0,
            "local": 0,
            "unverifiable": 0,
            "parse-error": 0,
            "allowed": 0,
        },
    )


# ---------------------------------------------------------------------------- GFM checks


def gfm() -> MarkdownIt:
    """GitHub-flavoured rendering: tables, strikethrough, raw HTML passed, URL autolinks.

    Fuzzy links (bare `example.com`) are off: GitHub does not link those, it links `www.` and
    schemes only, which `check_markdown` checks on the source instead. `text_join` is off so
    that backslash escapes stay tokens of their own (the HTML is the same).
    """
    try:
        import linkify_it  # noqa: F401

        md = MarkdownIt("gfm-like")
        md.linkify.set({"fuzzy_link": False})
    except ImportError:  # pragma: no cover - linkify-it-py not installed
        md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.disable("text_join")
    md.add_render_rule("text_special", _render_text_special)
    return md


def _render_text_special(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return escapeHtml(tokens[idx].content)


ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong",
    "em", "a", "ul", "li", "blockquote", "details", "summary", "sub",
}  # fmt: skip


def split_row(line: str) -> list[str]:
    """A GFM table row's cells: split on pipes not escaped by a backslash (as markdown-it)."""
    text = line.strip()
    cells: list[str] = []
    current = ""
    escaped = False
    for ch in text:
        if ch == "|" and not escaped:
            cells.append(current)
            current = ""
        else:
            current += ch
        escaped = ch == "\\"
    cells.append(current)
    if text.startswith("|"):
        cells = cells[1:]
    if cells and cells[-1].strip() == "" and text.endswith("|"):
        cells = cells[:-1]
    return cells


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # raw cells of each body row
    html_rows: int  # <tr> in the rendered <tbody>


@dataclass
class Rendered:
    markdown: str
    html: str
    tables: list[Table]

    def table(self, *columns: str) -> Table:
        """The one table whose header starts with these column names."""
        found = [
            t for t in self.tables if [h.strip() for h in t.header[: len(columns)]] == list(columns)
        ]
        assert len(found) == 1, f"{len(found)} tables headed {columns!r}"
        return found[0]

    @property
    def text_outside_code(self) -> str:
        outside = re.sub(r"<code[^>]*>.*?</code>", " ", self.html, flags=re.S)
        return html.unescape(re.sub(r"<[^>]+>", " ", outside))


def check_markdown(markdown: str, *, details: int | None = None) -> Rendered:
    """Render with GFM and check the structure; returns the tables for further assertions.

    - every table row has exactly as many cells as its header (in the source, since a GFM
      renderer pads or drops cells silently), and the HTML has one `<tr>` per source row;
    - `<details>` blocks are balanced (and number `details` when given);
    - only the template's tags appear, every link points into the repository, no image;
    - outside code spans no live @mention, #123 or GH-123 reference, and no `www.` autolink.
    """
    md = gfm()
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    rendered = md.renderer.render(tokens, md.options, env)
    lines = markdown.split("\n")
    tables: list[Table] = []
    for i, tok in enumerate(tokens):
        if tok.type != "table_open":
            continue
        assert tok.map is not None
        start, end = tok.map
        raw = lines[start:end]
        header = split_row(raw[0])
        body = [split_row(r) for r in raw[2:]]
        for r, cells in zip(raw[2:], body, strict=True):
            assert len(cells) == len(header), (
                f"row has {len(cells)} cells, header {len(header)}: {r[:300]!r}"
            )
        trs, in_body = 0, False
        for t in tokens[i:]:
            if t.type == "tbody_open":
                in_body = True
            elif t.type == "tr_open" and in_body:
                trs += 1
            elif t.type == "table_close":
                break
        assert trs == len(body), f"{trs} rendered rows for {len(body)} source rows"
        tables.append(Table(header, body, trs))

    opened = len(re.findall(r"<details>", rendered))
    closed = len(re.findall(r"</details>", rendered))
    assert opened == closed, f"{opened} <details> but {closed} </details>"
    # The blocks the templates open and close stand at the start of a line; `<details>` inside
    # a code span (a hostile name) is text, and the rendered count above already checks it.
    assert len(re.findall(r"^<details>", markdown, re.M)) == len(
        re.findall(r"^</details>", markdown, re.M)
    )
    if details is not None:
        assert opened == details

    tags = {t.lower() for t in re.findall(r"</?([a-zA-Z][a-zA-Z0-9-]*)", rendered)}
    assert tags <= ALLOWED_TAGS, f"unexpected HTML elements: {sorted(tags - ALLOWED_TAGS)}"
    assert "<img" not in rendered
    for href in re.findall(r'<a href="([^"]*)"', rendered):
        assert href.startswith(ALLOWED_LINKS), f"link out of the repository: {href[:200]}"

    outside = Rendered(markdown, rendered, tables).text_outside_code.replace("\u2060", "\x00")
    assert not re.search(r"(?<![\w/.-])@[A-Za-z0-9]", outside), "live @mention"
    assert not re.search(r"(?<![\w&])#\d", outside), "live #reference"
    assert not re.search(r"(?i)\bgh-\d", outside), "live GH- reference"

    # GitHub links `www.x` without a scheme; escapes stay tokens of their own (no text_join),
    # so a text token holding `www.` is one GitHub would link.
    for tok in tokens:
        for child in tok.children or ():
            if child.type == "text":
                assert not re.search(r"(?i)\bwww\.", child.content), child.content[:200]
    return Rendered(markdown, rendered, tables)


# ---------------------------------------------------------------------------- golden files


def normalise(text: str) -> str:
    return text.replace(f"covaction {__version__}", "covaction X.Y.Z")


def assert_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/<name>; on mismatch write <stem>.actual.md and show a diff."""
    gold = GOLDEN / name
    actual = normalise(actual)
    stem = name.rsplit(".", 2)[0]
    actual_path = GOLDEN / f"{stem}.actual.md"
    if os.environ.get("COVACTION_UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        gold.write_text(actual, encoding="utf-8", newline="\n")
    expected = gold.read_text(encoding="utf-8") if gold.exists() else ""
    if actual == expected:
        actual_path.unlink(missing_ok=True)
        return
    actual_path.write_text(actual, encoding="utf-8", newline="\n")
    delta = "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), str(gold), str(actual_path)
        )
    )
    pytest.fail(
        f"{name} differs from the gold file; the actual output is in {actual_path}. "
        f"If the change is intended, rerun with COVACTION_UPDATE_GOLDEN=1.\n{delta[:20000]}"
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

HOSTILE_NAMES = [
    "src/@octocat/mention.py",
    "src/fix #123 and GH-45.py",
    "src/`tick``s```.py",
    "src/a|b||c.py",
    "src/back\\|slash.py",
    "src/evil\u202egnp.py",
    "src/zero\u200bwidth\u2066iso.py",
    "src/new\nline\rreturn.py",
    "src/<img src=x onerror=alert(1)>.py",
    "src/<details><summary>x</summary>.py",
    "src/</details></table>.py",
    "src/[link](javascript:alert(1)).py",
    "src/![img](http:/x/y.png).py",
    "src/<https://evil.example>.py",
    "src/www.evil.example.py",
    "src/**bold** _em_ ~~s~~ $x$.py",
    "src/&lt;entity&gt;&#64;.py",
    "src/<!-- comment.py",
    "src/-->.py",
    "src/:shipit: @@ # ## ###.py",
    "src/" + "deep/" * 1000 + "long.py",
    "src/ leading and trailing .py ",
]


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
