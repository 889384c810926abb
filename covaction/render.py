"""One render context -> the PR comment and the job summary (Jinja2 templates in the package).

Both always fit their budgets: the comment 65,536 characters (GitHub's limit; we aim at 65,000),
the summary 1 MiB (we aim at 1,000,000 bytes). Sections shrink in a fixed order (the full file
table, then directories, then changed files, then the pin table) and say where the rest is.
Every string from a report, path or workflow goes through `escape.code`/`escape.text`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache
from urllib.parse import quote

from covaction import __version__, escape
from covaction.compare import Comparison
from covaction.gates import Verdict
from covaction.model import Counts, display_percent

COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 65_000
SUMMARY_BUDGET = 1_000_000

SPARKS = "▁▂▃▄▅▆▇█"


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
    Limits(changed=1000, directories=1000, files=3000, pins=500, unmatched=200),
    Limits(changed=300, directories=300, files=500, pins=200, unmatched=50),
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
        """A link to lines of the head commit, or "" when there is no commit to link to."""
        if not (self.server_url and self.repository and self.head_sha):
            return ""
        anchor = f"#L{first}" if first == last else f"#L{first}-L{last}"
        return (
            f"{self.server_url}/{quote(self.repository)}/blob/{self.head_sha}/"
            f"{quote(path, safe='/')}{anchor}"
        )


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
    event_note: str = ""
    limits: Limits = COMMENT_LEVELS[0]

    @property
    def marker(self) -> str:
        return marker(self.report_name)


def marker(report_name: str) -> str:
    """The hidden marker that finds our comment for this report again."""
    return f"<!-- covaction:report:{report_name} -->"


# ---------------------------------------------------------------- filters used by templates


def pct(value: Fraction | None) -> str:
    return "n/a" if value is None else display_percent(value) + "%"


def delta(value: Fraction | None) -> str:
    if value is None:
        return ""
    shown = display_percent(abs(value))
    if value == 0:
        return "±0.00"
    if float(shown) == 0:
        return "+0.00" if value > 0 else "−0.00"
    return ("+" if value > 0 else "−") + shown


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
    return "".join(
        SPARKS[0 if span == 0 else min(len(SPARKS) - 1, int((v - lo) / span * (len(SPARKS) - 1) + 0.5))]
        for v in values
    )


def range_links(ctx: RenderContext, path: str, ranges: Sequence[tuple[int, int]], limit: int = 12) -> str:
    parts = []
    for first, last in ranges[:limit]:
        label = str(first) if first == last else f"{first}-{last}"
        url = ctx.links.lines(path, first, last)
        parts.append(f"[{label}]({url})" if url else label)
    if len(ranges) > limit:
        parts.append(f"… {len(ranges) - limit} more")
    return ", ".join(parts)


def short_sha(sha: str) -> str:
    return sha[:7] if all(c in "0123456789abcdef" for c in sha) else escape.code(sha[:12])


@cache
def _environment():  # type: ignore[no-untyped-def]
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("covaction", "templates"),
        autoescape=False,  # Markdown, not HTML: every outside string is escaped by a filter
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        code=escape.code,
        text=escape.text,
        pct=pct,
        delta=delta,
        num=num,
        short_sha=short_sha,
    )
    env.globals.update(
        counts_text=counts_text,
        range_links=range_links,
        sparkline=sparkline,
        display_percent=display_percent,
        version=__version__,
    )
    return env


def _render(template: str, ctx: RenderContext) -> str:
    text: str = _environment().get_template(template).render(ctx=ctx, c=ctx.comparison)
    return text


def render_comment(ctx: RenderContext) -> str:
    """The PR comment, within 65,536 characters whatever the report holds."""
    for limits in COMMENT_LEVELS:
        body = _render("comment.md.j2", replace(ctx, limits=limits))
        if len(body) <= COMMENT_BUDGET:
            return body
    return _truncate(body, COMMENT_BUDGET, ctx.marker)


def render_summary(ctx: RenderContext) -> str:
    """The job summary, within 1,000,000 UTF-8 bytes whatever the report holds."""
    for limits in SUMMARY_LEVELS:
        body = _render("summary.md.j2", replace(ctx, limits=limits))
        if len(body.encode("utf-8")) <= SUMMARY_BUDGET:
            return body
    data = body.encode("utf-8")[: SUMMARY_BUDGET - 200].decode("utf-8", "ignore")
    return data + "\n\n*(truncated to fit GitHub's 1 MiB summary limit)*\n"


def _truncate(body: str, budget: int, keep_first: str) -> str:
    note = "\n\n*(truncated to fit GitHub's comment limit; the job summary has everything)*\n"
    cut = body[: budget - len(note)]
    # Never leave half a surrogate pair or an open code fence behind.
    if cut.count("```") % 2:
        cut = cut[: cut.rfind("```")]
    if not cut.startswith(keep_first):
        cut = keep_first + "\n" + cut
    return cut + note
