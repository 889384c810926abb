"""One render context -> the PR comment and the job summary (Jinja2 templates in the package).

The comment answers a reviewer in seconds, top to bottom: the headline (verdict, totals, diff
coverage, the head commit, and a ⚠️ for what no gate judges), the totals against the baseline,
the gates, the changed files with their diff coverage, the files the change moved without
touching them, the trend, unpinned actions where the change makes them relevant, and the rest
collapsed in `<details>`. The summary holds the full detail.

Both always fit their budgets: the comment 65,536 characters (GitHub's limit; we aim at 65,000),
the summary 1 MiB (we aim at 1,000,000 bytes). Rows come before links: the full file table goes
first, then directories, pins and extra line ranges, and only then are changed-file rows cut,
as few as the budget needs (a binary search), with a note saying where the rest is.
Every string from a report, path, workflow or server goes through the `escape` filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from covaction import __version__
from covaction.compare import Comparison
from covaction.gates import Check, Verdict
from covaction.render import escape, parts, tables
from covaction.render.parts import (
    MINUS,
    PinRow,
    change,
    counts_text,
    delta,
    num,
    pct,
    plural,
    sparkline,
)

if TYPE_CHECKING:
    import jinja2

    from covaction.pins.workflows import ActionRef, PinSummary

__all__ = [
    "MINUS",
    "PinRow",
    "change",
    "counts_text",
    "delta",
    "num",
    "pct",
    "plural",
    "sparkline",
]

COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 65_000
SUMMARY_LIMIT = 1024 * 1024
SUMMARY_BUDGET = 1_000_000

MAX_LINKED_PATH = 500
PINS_ONLY_ROWS = 2000
COMMENT_PATH = 90  # characters of a path in a comment row; longer ones lose their middle
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_HEX = re.compile(r"[0-9a-f]{7,64}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]|-(?=-)")
COMMENT_NOTE = "\n\n*(Truncated to fit GitHub's comment limit; the job summary has everything.)*\n"
SUMMARY_NOTE = "\n\n*(Truncated to fit GitHub's 1 MiB job summary limit.)*\n"


@dataclass(frozen=True, slots=True)
class Limits:
    """How many rows each section may show; the budget loop walks down these levels.

    `ranges`: uncovered line ranges linked per changed file; `indirect`: files changed
    without being touched.
    """

    changed: int
    directories: int
    files: int
    pins: int
    unmatched: int
    ranges: int = 12
    indirect: int = 10
    budget: int = 0  # the level's size budget in characters, for the table rows (0: none)


COMMENT_LEVELS = (
    Limits(changed=1000, directories=50, files=300, pins=50, unmatched=20),
    Limits(changed=1000, directories=50, files=50, pins=50, unmatched=20),
    Limits(changed=1000, directories=20, files=0, pins=30, unmatched=10),
    Limits(changed=1000, directories=0, files=0, pins=20, unmatched=5, ranges=6),
    Limits(changed=1000, directories=0, files=0, pins=10, unmatched=3, ranges=2, indirect=5),
    Limits(changed=1000, directories=0, files=0, pins=5, unmatched=0, ranges=1, indirect=5),
    # The last level: changed-file rows are cut, as few as the budget needs.
    Limits(changed=1000, directories=0, files=0, pins=5, unmatched=0, ranges=1, indirect=3),
)
SUMMARY_LEVELS = (
    Limits(changed=3000, directories=5000, files=20000, pins=2000, unmatched=1000, indirect=50),
    Limits(changed=1000, directories=1000, files=5000, pins=500, unmatched=200, indirect=50),
    Limits(changed=1000, directories=500, files=3000, pins=500, unmatched=200, indirect=50),
    Limits(changed=500, directories=300, files=2000, pins=300, unmatched=100, indirect=20),
    Limits(changed=300, directories=200, files=1000, pins=200, unmatched=50, indirect=20),
    Limits(changed=300, directories=100, files=500, pins=200, unmatched=50, ranges=6),
    Limits(changed=50, directories=50, files=50, pins=50, unmatched=10, ranges=3),
    Limits(changed=0, directories=0, files=0, pins=0, unmatched=0, ranges=0, indirect=0),
)


@dataclass(frozen=True, slots=True)
class Links:
    """Where links point. With a pull request number, changed lines link into the pull
    request's "Files changed" (short, and a reviewer can comment there); else into the head
    commit's blob."""

    server_url: str = ""
    repository: str = ""
    head_sha: str = ""
    run_url: str = ""
    pull_request: int = 0

    def lines(self, path: str, first: int, last: int) -> str:
        """A link to changed lines, or "" when there is nothing to link to.

        A path too long for a sensible URL gets no blob link: a dozen copies of it would eat
        the comment's budget for nothing (a diff anchor is a hash, always short).
        """
        if not (self.server_url and self.repository):
            return ""
        if self.pull_request > 0:
            anchor = f"R{first}" if first == last else f"R{first}-R{last}"
            return (
                f"{self.server_url}/{quote(self.repository)}/pull/{self.pull_request}/files"
                f"#{parts.diff_anchor(path)}{anchor}"
            )
        if not self.head_sha or len(path) > MAX_LINKED_PATH:
            return ""
        anchor = f"#L{first}" if first == last else f"#L{first}-L{last}"
        return (
            f"{self.server_url}/{quote(self.repository)}/blob/{self.head_sha}/"
            f"{quote(path, safe='/')}{anchor}"
        )

    def commit(self, sha: str) -> str:
        """A link to a commit of the repository, "" unless `sha` is a full hex SHA."""
        if not (self.server_url and self.repository and _HEX.fullmatch(sha) and len(sha) >= 40):
            return ""
        return f"{self.server_url}/{quote(self.repository)}/commit/{sha}"


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Everything the templates show; built once, rendered for the comment and the summary.

    `rollup_depth`: how many folder levels the directory table groups by (1: top-level).
    """

    report_name: str
    comparison: Comparison
    verdict: Verdict
    thresholds: dict[str, Decimal | None]
    links: Links = field(default_factory=Links)
    pins: tuple[PinRow, ...] = ()
    pin_policy: str = "off"
    pin_counts: dict[str, int] = field(default_factory=dict)
    pin_notes: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    annotation_notes: tuple[str, ...] = ()
    limits: Limits = COMMENT_LEVELS[0]
    rollup_depth: int = 1

    @property
    def marker(self) -> str:
        return marker(self.report_name)

    @property
    def pins_checked(self) -> int:
        """How many `uses:` references the pin check judged (0: no workflow to check).

        Local actions (`./x`) are not references to pin and do not count.
        """
        if not self.pin_counts:
            return len(self.pins)
        return sum(n for kind, n in self.pin_counts.items() if kind != "local")

    @property
    def gates(self) -> tuple[Check, ...]:
        """The checks worth showing: a pin gate over no reference at all says nothing."""
        return tuple(
            c
            for c in self.verdict.checks
            if not (c.name == "pins" and c.status == "passed" and not self.pins_checked)
        )


def pin_rows(
    findings: Sequence[ActionRef], suggestions: Mapping[str, str], no_lookup: str = ""
) -> tuple[PinRow, ...]:
    """The pin findings as the templates show them, each with its suggested fix; `no_lookup`:
    why no commit was looked up at all (no token), "" when lookups were made."""
    return tuple(
        PinRow(r.file, r.line, r.uses, r.verdict, r.reason, suggestions.get(r.uses, ""), no_lookup)
        for r in findings
    )


def build_context(
    *,
    report_name: str,
    comparison: Comparison,
    verdict: Verdict,
    thresholds: Mapping[str, Decimal | None],
    links: Links,
    findings: Sequence[ActionRef],
    suggestions: Mapping[str, str],
    pin_policy: str,
    pin_counts: Mapping[str, int],
    pin_notes: Sequence[str],
    notices: Sequence[str],
    annotation_notes: Sequence[str] = (),
    rollup_depth: int = 1,
    no_lookup: str = "",
) -> RenderContext:
    """The one render context, for a run's own comment and for a fork's stored result."""
    return RenderContext(
        report_name=report_name,
        comparison=comparison,
        verdict=verdict,
        thresholds=dict(thresholds),
        links=links,
        pins=pin_rows(findings, suggestions, no_lookup),
        pin_policy=pin_policy,
        pin_counts=dict(pin_counts),
        pin_notes=tuple(pin_notes),
        notices=tuple(notices),
        annotation_notes=tuple(annotation_notes),
        rollup_depth=rollup_depth,
    )


def marker(report_name: str) -> str:
    """The hidden marker that finds our comment for this report again.

    Settings allow only letters, digits, `.`, `_`, `-` in a name; anything else is replaced
    here too, so that no name could ever close the HTML comment early.
    """
    return f"<!-- covaction:report:{_UNSAFE_NAME.sub('_', report_name)} -->"


# ---------------------------------------------------------------- filters used by templates


def link_list(
    ctx: RenderContext, path: str, lines: Sequence[tuple[int, int]], linked: int, shown: int = 12
) -> str:
    """`[7-10](…), [12](…), 30, … 3 more`: the first `linked` ranges as links to the change, up
    to `shown` in all (plain numbers cost a few characters, a link about 130)."""
    out = []
    shown = max(shown, linked, 0)
    for i, (first, last) in enumerate(lines[:shown]):
        label = f"{first:,}" if first == last else f"{first:,}-{last:,}"
        url = ctx.links.lines(path, first, last) if i < linked else ""
        out.append(f"[{label}]({url})" if url else label)
    if len(lines) > shown:
        out.append(f"… {len(lines) - shown:,} more")
    return ", ".join(out)


def range_links(
    ctx: RenderContext, path: str, ranges: Sequence[tuple[int, int]], limit: int = 12
) -> str:
    return link_list(ctx, path, ranges, limit, limit)


def short_sha(sha: str) -> str:
    return sha[:7] if _HEX.fullmatch(sha) else escape.inline(sha[:12])


def commit_link(ctx: RenderContext, sha: str) -> str:
    """`abc1234` linked to the commit when it is a full SHA, else shown inert."""
    url = ctx.links.commit(sha)
    return f"[`{sha[:7]}`]({url})" if url else short_sha(sha)


def summary_link(ctx: RenderContext, words: str = "in the job summary") -> str:
    """`[in the job summary](run url)`; "" where there is no run (a laptop)."""
    return f"[{words}]({ctx.links.run_url})" if ctx.links.run_url else ""


def verdict_line(ctx: RenderContext) -> str:
    """The first line a reviewer reads: the report (when named), the figures, the verdict with
    a ⚠️ for what no gate judged, and the head commit the comment reflects."""
    passed, words = parts.headline_words(ctx)
    name = (
        f"{escape.inline(ctx.report_name, 60)}: " if ctx.report_name != parts.DEFAULT_REPORT else ""
    )
    head = (
        f" · {commit_link(ctx, ctx.links.head_sha)}" if ctx.links.commit(ctx.links.head_sha) else ""
    )
    mark = "✅" if passed else "❌"
    return f"{mark} {name}{parts.headline_figures(ctx)} — {words}{head}"


def code_block(lines: Sequence[str]) -> str:
    """A fenced code block whose lines stay inside it whatever they hold."""
    shown = [escape.visible(line) for line in lines]
    longest = max((len(r) for line in shown for r in re.findall(r"`+|~+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join([fence, *shown, fence])


def pin_block(group: parts.PinGroup) -> str:
    """One file's findings: the line, the reference and why, then the line to paste."""
    lines = []
    for r in group.rows:
        lines.append(f"# line {r.line:,}: {r.uses or '(unreadable)'}: {r.reason}")
        lines.append(
            r.suggestion if r.suggestion else f"# no fix suggested: {parts.missing_fix(r)}"
        )
    return code_block(lines)


# The filter `ranges`: missing lines within a cell, cut only between ranges.
line_ranges = parts.shortened_ranges


def _filters() -> dict[str, object]:
    return {
        "ranges": line_ranges,
        "code": escape.code,
        "inline": escape.inline,
        "text": escape.text,
        "note": escape.note,
        "pct": pct,
        "delta": delta,
        "num": num,
        "short_sha": short_sha,
    }


# The templates compiled when the image was built (`compile_templates`): a run then loads
# them instead of compiling them again, ~0.07 s of every run's start. Only the image has this
# folder; without it (a laptop, the tests) the templates are compiled as they load.
TEMPLATE_CACHE = Path(__file__).with_name("templates-cache")


@cache
def _environment() -> jinja2.Environment:
    return environment(TEMPLATE_CACHE if TEMPLATE_CACHE.is_dir() else None)


def environment(cache_dir: Path | None = None, store: bool = False) -> jinja2.Environment:
    """The templates' environment; with `cache_dir`, templates compiled earlier are loaded from
    it (Jinja's bytecode cache, which recompiles a template whose source changed), and stored
    there only with `store` (a run never writes the image's folder)."""
    import jinja2

    bytecode_cache = None
    if cache_dir is not None:
        kind = jinja2.FileSystemBytecodeCache if store else _load_only()
        bytecode_cache = kind(str(cache_dir))
    # Markdown, not HTML: HTML escaping would garble it; the filters make outside strings inert.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("covaction.render", "templates"),
        autoescape=False,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=bytecode_cache,
    )
    env.filters.update(_filters())
    env.globals.update(
        counts_text=counts_text,
        range_links=range_links,
        link_list=link_list,
        sparkline=sparkline,
        commit_link=commit_link,
        summary_link=summary_link,
        change=change,
        plural=plural,
        verdict_line=verdict_line,
        pin_block=pin_block,
        code_block=code_block,
        p=parts,
        t=tables,
        version=__version__,
        COMMENT_PATH=COMMENT_PATH,
    )
    return env


def compile_templates(cache_dir: Path = TEMPLATE_CACHE) -> list[str]:
    """Compile every template into `cache_dir` (made if missing); returns their names. The
    image's build runs this once (see the Dockerfile)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = environment(cache_dir, store=True)
    names = env.list_templates()
    for name in names:
        env.get_template(name)
    return names


@cache
def _load_only() -> type[jinja2.FileSystemBytecodeCache]:
    import jinja2

    class LoadOnly(jinja2.FileSystemBytecodeCache):
        """Loads compiled templates; stores none (the image's folder stays as it was built)."""

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            return None

    return LoadOnly


def tidy(text: str) -> str:
    """No trailing blanks, no run of blank lines, one final newline; never a lone surrogate."""
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    text = _SURROGATE.sub("\ufffd", text)
    return text.strip("\n") + "\n"


def _render(template: str, ctx: RenderContext) -> str:
    text: str = _environment().get_template(template).render(ctx=ctx, c=ctx.comparison)
    return tidy(text)


def _fits(template: str, ctx: RenderContext, limits: Limits, budget: int) -> str | None:
    """The body at `limits`, or None when its table rows alone are over `budget` (the body
    could only be longer)."""
    at_level = replace(ctx, limits=replace(limits, budget=budget))
    return tables.within_budget(lambda: _render(template, at_level))


def render_comment(ctx: RenderContext) -> str:
    """The PR comment, within 65,536 characters whatever the report holds.

    Lower-priority sections shrink first; at the last level, changed-file rows are cut to the
    most that fit (a binary search), so that no row is dropped while the budget has room.
    """
    for limits in COMMENT_LEVELS:
        body = _fits("comment.md.j2", ctx, limits, COMMENT_BUDGET)
        if body is not None and len(body) <= COMMENT_BUDGET:
            return body
    last = COMMENT_LEVELS[-1]
    lo, hi = 0, min(last.changed, len(ctx.comparison.changed))
    best = _render("comment.md.j2", replace(ctx, limits=replace(last, changed=0)))
    if len(best) > COMMENT_BUDGET:
        return truncate(best, COMMENT_BUDGET, ctx.marker, len, COMMENT_NOTE)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        body = _render("comment.md.j2", replace(ctx, limits=replace(last, changed=mid)))
        if len(body) <= COMMENT_BUDGET:
            lo, best = mid, body
        else:
            hi = mid - 1
    return best


def render_summary(ctx: RenderContext) -> str:
    """The job summary, within 1,000,000 UTF-8 bytes whatever the report holds."""
    for limits in SUMMARY_LEVELS[:-1]:
        # Characters never outnumber UTF-8 bytes: rows over the budget in characters are over
        # it in bytes.
        body = _fits("summary.md.j2", ctx, limits, SUMMARY_BUDGET)
        if body is not None and _utf8_len(body) <= SUMMARY_BUDGET:
            return body
    body = _render("summary.md.j2", replace(ctx, limits=SUMMARY_LEVELS[-1]))
    if _utf8_len(body) <= SUMMARY_BUDGET:
        return body
    return truncate(body, SUMMARY_BUDGET, "", _utf8_len, SUMMARY_NOTE)


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "replace"))


def truncate(
    body: str,
    budget: int,
    keep_first: str = "",
    measure: Callable[[str], int] = len,
    note: str = "",
) -> str:
    """Cut at a line boundary to fit `budget`, closing what the cut left open.

    A half table row, an open code fence or `<details>` would garble everything after them;
    the marker, when given, stays the first line so the comment is found again.
    """
    note = note or COMMENT_NOTE
    reserve = measure(note) + measure(keep_first) + 64
    lines = body.split("\n")
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = measure(line) + 1
        if used + cost > budget - reserve:
            break
        kept.append(line)
        used += cost
    text = "\n".join(kept)
    if text.count("```") % 2:
        text = text[: text.rfind("```")]
    open_details = text.count("<details>") - text.count("</details>")
    text = text.rstrip("\n") + "\n\n</details>" * max(0, open_details)
    if keep_first and not text.startswith(keep_first):
        text = keep_first + "\n" + text
    return tidy(text + note)


def render_pins_only(
    verdict: Verdict, rows: Sequence[PinRow], summary: PinSummary, notes: Sequence[str]
) -> str:
    """The job summary of a run without coverage: the pin check alone."""
    mark = "❌" if not verdict.passed else "⚠️"
    lines = [
        "## Pin check",
        "",
        "✅ every action is pinned to a full commit SHA"
        if not rows
        else f"{mark} {plural(len(rows), 'reference')} not pinned to a full commit SHA",
        "",
        f"{summary.pinned:,} pinned, {summary.unpinned:,} unpinned, {summary.unverifiable:,} "
        f"unverifiable, {summary.local:,} local, {summary.parse_errors:,} unreadable, "
        f"{summary.allowed:,} allowed by pin-allowlist or pin-rules.",
    ]
    for group in parts.pin_groups(rows, PINS_ONLY_ROWS):
        lines += ["", escape.inline(group.file, 200), "", pin_block(group)]
    if len(rows) > PINS_ONLY_ROWS:
        lines += ["", f"*{len(rows) - PINS_ONLY_ROWS:,} more; `report-json` lists them all.*"]
    for note in notes:
        lines += ["", f"*{escape.text(note, 500)}*"]
    return "\n".join(lines) + "\n"


def baseline_not_stored(reason: str, name: str, major: str) -> str:
    """The job summary's section when the step could not upload the baseline itself."""
    return (
        "\n#### Baseline not stored\n\n"
        f"The step could not upload the baseline ({escape.text(reason)}). Store it with a "
        "step after this one (give this step an `id`, and pin the action to a full commit SHA):\n\n"
        "```yaml\n"
        f"- uses: actions/upload-artifact@{major}\n"
        "  with:\n"
        f"    name: {name}\n"
        "    path: ${{ steps.<id>.outputs.baseline-path }}\n"
        "```\n"
    )
