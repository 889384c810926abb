"""One render context -> the PR comment and the job summary (Jinja2 templates in the package).

The comment answers a reviewer in seconds, top to bottom: the verdict, the totals with their
counts against the baseline, diff coverage, the changed files, the trend, the pin check, and
everything else collapsed in `<details>`. The summary holds the full detail.

Both always fit their budgets: the comment 65,536 characters (GitHub's limit; we aim at 65,000),
the summary 1 MiB (we aim at 1,000,000 bytes). Sections shrink in a fixed order (the full file
table, then directories, then changed files, then the pin table) and say where the rest is.
Every string from a report, path, workflow or server goes through the `escape` filters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import quote

from covaction import __version__
from covaction.compare import Comparison, FileRow
from covaction.gates import FAILED, PASSED, SKIPPED, Check, Verdict
from covaction.model import Counts, display_percent
from covaction.render import escape

if TYPE_CHECKING:
    import jinja2

    from covaction.pins.workflows import ActionRef, PinSummary

COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 65_000
SUMMARY_LIMIT = 1024 * 1024
SUMMARY_BUDGET = 1_000_000

SPARKS = "▁▂▃▄▅▆▇█"
MAX_LINKED_PATH = 500
MINUS = "\u2212"  # a real minus sign: it lines up with "+" and cannot start a Markdown list
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_SURROGATE = re.compile("[\ud800-\udfff]")
_HEX = re.compile(r"[0-9a-f]{7,64}")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]|-(?=-)")
COMMENT_NOTE = "\n\n*(Truncated to fit GitHub's comment limit; the job summary has everything.)*\n"
SUMMARY_NOTE = "\n\n*(Truncated to fit GitHub's 1 MiB job summary limit.)*\n"


@dataclass(frozen=True, slots=True)
class Limits:
    """How many rows each section may show; the budget loop walks down these levels."""

    changed: int
    directories: int
    files: int
    pins: int
    unmatched: int


COMMENT_LEVELS = (
    Limits(changed=100, directories=200, files=300, pins=50, unmatched=20),
    Limits(changed=100, directories=50, files=50, pins=30, unmatched=10),
    Limits(changed=50, directories=20, files=0, pins=20, unmatched=5),
    Limits(changed=20, directories=0, files=0, pins=10, unmatched=3),
    Limits(changed=5, directories=0, files=0, pins=5, unmatched=0),
    Limits(changed=0, directories=0, files=0, pins=0, unmatched=0),
)
SUMMARY_LEVELS = (
    Limits(changed=3000, directories=5000, files=20000, pins=2000, unmatched=1000),
    Limits(changed=1000, directories=1000, files=5000, pins=500, unmatched=200),
    Limits(changed=1000, directories=500, files=3000, pins=500, unmatched=200),
    Limits(changed=500, directories=300, files=2000, pins=300, unmatched=100),
    Limits(changed=300, directories=200, files=1000, pins=200, unmatched=50),
    Limits(changed=300, directories=100, files=500, pins=200, unmatched=50),
    Limits(changed=50, directories=50, files=50, pins=50, unmatched=10),
    Limits(changed=0, directories=0, files=0, pins=0, unmatched=0),
)


@dataclass(frozen=True, slots=True)
class PinRow:
    file: str
    line: int
    uses: str
    verdict: str
    reason: str
    suggestion: str = ""


@dataclass(frozen=True, slots=True)
class Links:
    server_url: str = ""
    repository: str = ""
    head_sha: str = ""
    run_url: str = ""

    def lines(self, path: str, first: int, last: int) -> str:
        """A link to lines of the head commit, or "" when there is no commit to link to.

        A path too long for a sensible URL gets no link: a dozen copies of it would eat the
        comment's budget for nothing.
        """
        if not (self.server_url and self.repository and self.head_sha):
            return ""
        if len(path) > MAX_LINKED_PATH:
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
    """Everything the templates show; built once, rendered for the comment and the summary."""

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
            if not (c.name == "pins" and c.status == PASSED and not self.pins_checked)
        )


def pin_rows(findings: Sequence[ActionRef], suggestions: Mapping[str, str]) -> tuple[PinRow, ...]:
    """The pin findings as the templates show them, each with its suggested fix."""
    return tuple(
        PinRow(r.file, r.line, r.uses, r.verdict, r.reason, suggestions.get(r.uses, ""))
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
) -> RenderContext:
    """The one render context, for a run's own comment and for a fork's stored result."""
    return RenderContext(
        report_name=report_name,
        comparison=comparison,
        verdict=verdict,
        thresholds=dict(thresholds),
        links=links,
        pins=pin_rows(findings, suggestions),
        pin_policy=pin_policy,
        pin_counts=dict(pin_counts),
        pin_notes=tuple(pin_notes),
        notices=tuple(notices),
        annotation_notes=tuple(annotation_notes),
    )


def marker(report_name: str) -> str:
    """The hidden marker that finds our comment for this report again.

    Settings allow only letters, digits, `.`, `_`, `-` in a name; anything else is replaced
    here too, so that no name could ever close the HTML comment early.
    """
    return f"<!-- covaction:report:{_UNSAFE_NAME.sub('_', report_name)} -->"


# ---------------------------------------------------------------- filters used by templates


def pct(value: Fraction | None) -> str:
    return "n/a" if value is None else display_percent(value) + "%"


def delta(value: Fraction | None) -> str:
    """A signed difference in points, `—` when there is nothing to compare with."""
    if value is None:
        return "—"
    shown = display_percent(abs(value))
    if value == 0:
        return "±0.00"
    if float(shown) == 0:
        return "+0.00" if value > 0 else MINUS + "0.00"
    return ("+" if value > 0 else MINUS) + shown


def num(value: int) -> str:
    return f"{value:,}"


def counts_text(c: Counts, has_branches: bool) -> str:
    text = f"{c.covered_lines:,} / {c.statements:,} lines"
    if has_branches:
        text += f", {c.covered_branches:,} / {c.branches:,} branches"
    return text


def sparkline(values: Sequence[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = hi - lo
    top = len(SPARKS) - 1
    return "".join(
        SPARKS[0 if span == 0 else min(top, int((v - lo) / span * top + 0.5))] for v in values
    )


def range_links(
    ctx: RenderContext, path: str, ranges: Sequence[tuple[int, int]], limit: int = 12
) -> str:
    parts = []
    for first, last in ranges[:limit]:
        label = str(first) if first == last else f"{first}-{last}"
        url = ctx.links.lines(path, first, last)
        parts.append(f"[{label}]({url})" if url else label)
    if len(ranges) > limit:
        parts.append(f"… {len(ranges) - limit} more")
    return ", ".join(parts)


def short_sha(sha: str) -> str:
    return sha[:7] if _HEX.fullmatch(sha) else escape.inline(sha[:12])


def commit_link(ctx: RenderContext, sha: str) -> str:
    """`abc1234` linked to the commit when it is a full SHA, else shown inert."""
    url = ctx.links.commit(sha)
    return f"[`{sha[:7]}`]({url})" if url else short_sha(sha)


def changed_rows(c: Comparison) -> list[FileRow]:
    """Changed files, those with the most uncovered changed lines first, then by path."""
    return sorted(
        c.changed,
        key=lambda r: (-(len(r.diff.uncovered) if r.diff else 0), r.path),
    )


def gate_item(ctx: RenderContext, check: Check) -> str:
    """One gate in a few words for the comment's gate line."""
    mark = {PASSED: "✅", FAILED: "❌", SKIPPED: "⏭️"}.get(check.status, "")
    if check.name == "pins":
        unpinned = len(ctx.pins)
        if not unpinned:
            n = ctx.pin_counts.get("pinned", 0)
            return f"{mark} {'the' if n == 1 else 'all'} {n:,} action{'' if n == 1 else 's'} pinned"
        if check.status == FAILED:
            return f"❌ {plural(unpinned, 'action')} not pinned"
        return f"⚠️ {plural(unpinned, 'action')} not pinned (warn)"
    name = {"total": "total", "diff": "diff", "drop": "drop"}.get(check.name, check.title.lower())
    if check.status == SKIPPED or check.actual is None:
        return f"{mark} {name} skipped"
    if check.name == "drop":
        # `actual` is current minus base: negative when coverage dropped.
        return f"{mark} change {delta(check.actual)} (allowed drop {check.required})"
    op = "<" if check.status == FAILED else "≥"
    return f"{mark} {name} {pct(check.actual)} {op} {check.required}%"


def failed_item(ctx: RenderContext, check: Check) -> str:
    """A failed gate in a few words for the verdict line (the log has the full sentence)."""
    if check.name == "pins":
        return f"{plural(len(ctx.pins), 'action')} not pinned"
    if check.name == "drop" and check.actual is not None:
        return f"dropped {display_percent(abs(check.actual))} points (allowed {check.required})"
    if check.name in ("total", "diff") and check.actual is not None:
        return f"{check.name} {pct(check.actual)} < {check.required}%"
    return escape.note(check.message)


def plural(n: int, noun: str, nouns: str = "") -> str:
    """`1 file`, `3 files`, `2 directories` (pass the plural when it is not noun + s)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def verdict_line(ctx: RenderContext) -> str:
    """The first line a reviewer reads: the totals, then passed, or which gates failed."""
    c = ctx.comparison
    head = f"Coverage {pct(c.counts.percent)}"
    if c.delta is not None:
        head += f" ({delta(c.delta)})"
    if c.diff is not None and c.diff.percent is not None:
        head += f" · diff {pct(c.diff.percent)}"
    if not ctx.verdict.passed:
        failed = ", ".join(failed_item(ctx, check) for check in ctx.verdict.failed)
        return f"❌ {head} — failed: {failed}"
    coverage_gates = [g for g in ctx.verdict.checks if g.name != "pins"]
    checked = [g for g in coverage_gates if g.status == PASSED]
    skipped = len(coverage_gates) - len(checked)
    if checked:
        words = "all gates passed" + (f" ({skipped} skipped)" if skipped else "")
    elif skipped:
        words = "passed; no gate could be checked"
    else:
        words = "passed (no coverage threshold set)"
    if ctx.pins:
        words += f" · ⚠️ {plural(len(ctx.pins), 'action')} not pinned"
    return f"✅ {head} — {words}"


def _filters() -> dict[str, object]:
    return {
        "code": escape.code,
        "inline": escape.inline,
        "text": escape.text,
        "note": escape.note,
        "pct": pct,
        "delta": delta,
        "num": num,
        "short_sha": short_sha,
    }


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    # Markdown, not HTML: HTML escaping would garble it; the filters make outside strings inert.
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("covaction.render", "templates"),
        autoescape=False,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_filters())
    env.globals.update(
        counts_text=counts_text,
        range_links=range_links,
        sparkline=sparkline,
        display_percent=display_percent,
        commit_link=commit_link,
        changed_rows=changed_rows,
        gate_item=gate_item,
        plural=plural,
        verdict_line=verdict_line,
        version=__version__,
    )
    return env


def tidy(text: str) -> str:
    """No trailing blanks, no run of blank lines, one final newline; never a lone surrogate."""
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    text = _SURROGATE.sub("\ufffd", text)
    return text.strip("\n") + "\n"


def _render(template: str, ctx: RenderContext) -> str:
    text: str = _environment().get_template(template).render(ctx=ctx, c=ctx.comparison)
    return tidy(text)


def render_comment(ctx: RenderContext) -> str:
    """The PR comment, within 65,536 characters whatever the report holds."""
    body = ""
    for limits in COMMENT_LEVELS:
        body = _render("comment.md.j2", replace(ctx, limits=limits))
        if len(body) <= COMMENT_BUDGET:
            return body
    return truncate(body, COMMENT_BUDGET, ctx.marker, len, COMMENT_NOTE)


def render_summary(ctx: RenderContext) -> str:
    """The job summary, within 1,000,000 UTF-8 bytes whatever the report holds."""
    body = ""
    for limits in SUMMARY_LEVELS:
        body = _render("summary.md.j2", replace(ctx, limits=limits))
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
        else f"{mark} {len(rows)} reference(s) not pinned to a full commit SHA",
        "",
        f"{summary.pinned} pinned, {summary.unpinned} unpinned, {summary.unverifiable} "
        f"unverifiable, {summary.local} local, {summary.parse_errors} unreadable, "
        f"{summary.allowed} allowed by pin-allowlist.",
    ]
    if rows:
        lines += ["", "| File | Line | Reference | Why | Pin to |", "|---|---:|---|---|---|"]
        for r in rows[:2000]:
            fix = escape.code(r.suggestion, 200) if r.suggestion else ""
            lines.append(
                f"| {escape.code(r.file)} | {r.line} | {escape.code(r.uses)} | "
                f"{escape.text(r.reason)} | {fix} |"
            )
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
