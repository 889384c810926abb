"""One render context -> a plain-text report for a terminal (`covaction` run on a laptop).

The same figures as the comment, in the same order, as aligned text: no Markdown, no links, no
"see the job summary" (there is none). Every string from a report, path or workflow is shown
through `escape.visible`, so no control character (a terminal escape sequence, a carriage
return, a bidi override) from a file name reaches the terminal.
"""

from __future__ import annotations

from covaction.gates import FAILED, PASSED, SKIPPED
from covaction.render import escape, parts
from covaction.render.markdown import RenderContext

MARKS = {PASSED: "ok  ", FAILED: "FAIL", SKIPPED: "skip", "warned": "warn"}
FILES_SHOWN = 20
PATH_WIDTH = 60


def _v(value: str, limit: int = 200) -> str:
    return escape.shorten(escape.visible(value), limit)


def _path(value: str) -> str:
    return _v(value, PATH_WIDTH).ljust(PATH_WIDTH)


def render_text(ctx: RenderContext) -> str:
    """The terminal report (what `covaction` prints by default outside GitHub Actions)."""
    c = ctx.comparison
    out: list[str] = []
    name = "" if ctx.report_name == parts.DEFAULT_REPORT else f" {_v(ctx.report_name, 60)}"
    head = f" at {ctx.links.head_sha[:12]}" if ctx.links.head_sha else ""
    passed, _ = parts.headline_words(ctx)
    out.append(f"covaction{name}: {'PASSED' if passed else 'FAILED'}{head}")
    if not passed:
        for check in ctx.verdict.failed:
            out.append(f"  failed: {_v(check.message, 500)}")
    for extra in parts.attention(ctx):
        out.append(f"  {extra.replace('⚠️ ', 'warning: ')}")
    out.append("")

    base = c.base_counts
    total = f"  Total          {parts.pct(c.counts.percent):>8}   "
    total += parts.counts_text(c.counts, c.report.has_branches)
    if base is not None:
        total += f"   baseline {parts.pct(base.percent)}   change {parts.total_change(c)}"
    out.append(total)
    if c.diff is not None:
        if parts.no_coverable_change(c):
            out.append(f"  Diff coverage  {parts.NA:>8}   {parts.NO_COVERABLE}")
        else:
            out.append(
                f"  Diff coverage  {parts.pct(c.diff.percent):>8}   "
                f"{c.diff.covered:,} / {c.diff.coverable:,} changed lines (lines only)"
            )
    if c.baseline is not None:
        note = f" ({_v(c.baseline_note, 300)})" if c.baseline_note else ""
        out.append(f"  Compared with {c.baseline.commit[:7]} on {_v(c.baseline.branch, 80)}{note}")
    else:
        out.append(f"  No baseline: {_v(c.baseline_note or 'none was found', 300)}")

    if ctx.gates:
        out += ["", "Gates"]
        for check in ctx.gates:
            status = parts.gate_status(ctx, check)
            words = parts.gate_item(ctx, check).split(" ", 1)[1]
            line = f"  {MARKS.get(status, status)}  {words}"
            if status == SKIPPED:
                line += f": {_v(parts.skip_reason(ctx, check), 300)}"
            out.append(line)

    rows = parts.changed_rows(c) if c.diff is not None else []
    if rows and not parts.no_coverable_change(c):
        out += ["", f"Changed files ({len(rows):,})   diff coverage, uncovered changed lines"]
        for row in rows:
            d = row.diff
            if d is None:
                continue
            new = " (new)" if row.status == "new" else ""
            line = f"  {_path(row.path + new)}  {parts.diff_cell(row):>16}"
            if d.uncovered:
                line += f"  {d.uncovered_text}"
            if d.partial:
                line += f"  partial branches: {', '.join(f'{n:,}' for n in d.partial)}"
            out.append(line)
    if c.diff is not None and c.diff.not_measured:
        out.append(
            f"  changed lines unknown for {parts.plural(len(c.diff.not_measured), 'file')}: "
            + ", ".join(_v(p, 120) for p in c.diff.not_measured[:10])
        )

    indirect = parts.indirect_rows(c)
    if indirect:
        out += ["", f"Indirect changes ({len(indirect):,}): untouched files whose coverage changed"]
        for row in indirect[:FILES_SHOWN]:
            out.append(f"  {_path(row.path)}  {parts.pct(row.percent):>8}  {parts.row_change(row)}")
        if len(indirect) > FILES_SHOWN:
            out.append(f"  … {len(indirect) - FILES_SHOWN:,} more")

    t = parts.trend(c)
    if t is not None:
        out += [
            "",
            f"Trend: {parts.sparkline(t.values)}  min {parts.fixed(t.low)}% · max "
            f"{parts.fixed(t.high)}% · now {parts.fixed(t.values[-1])}%",
        ]

    if ctx.pin_policy != "off" and ctx.pins:
        out += [
            "",
            "References not pinned: actions to a commit SHA, images to a digest "
            f"({len(ctx.pins):,})",
        ]
        for group in parts.pin_groups(ctx.pins):
            out.append(f"  {_v(group.file, 200)}")
            for r in group.rows:
                out.append(f"    line {r.line:,}: {_v(r.uses, 200)} ({_v(r.reason, 200)})")
                fix = _v(r.suggestion, 200) if r.suggestion else parts.missing_fix(r)
                out.append(f"      {'pin to: ' if r.suggestion else 'no fix: '}{fix}")
    for note in ctx.pin_notes:
        out.append(f"  {_v(note, 500)}")

    if c.report.unmatched:
        out += [
            "",
            f"{parts.plural(len(c.report.unmatched), 'report path')} outside the repository "
            "(counted in the totals):",
        ]
        for u in c.report.unmatched[:FILES_SHOWN]:
            out.append(f"  {_v(u.path, 200)}: {_v(u.reason, 200)}")

    dirs = parts.rollup(c, ctx.rollup_depth)
    if len(dirs) > 1:
        out += ["", "Folders (worst coverage first)"]
        for folder in dirs[:FILES_SHOWN]:
            cov = parts.pct(folder.counts.percent) if folder.files else parts.NA
            files = parts.plural(folder.files, "file")
            out.append(f"  {_path(folder.path)}  {cov:>8}  {files:>12}  {parts.row_change(folder)}")
    missing = [f for f in c.files if f.counts.missing_lines]
    if missing:
        shown = min(len(missing), FILES_SHOWN)
        out += ["", f"Most missing lines (the first {shown:,} of {len(missing):,} files)"]
        for f in missing[:shown]:
            lines = parts.missing_cell(c, f, 80)
            out.append(f"  {_path(f.path)}  {parts.pct(f.percent):>8}  {_v(lines, 90)}")
    for note in ctx.notices:
        out += ["", f"note: {_v(note, 500)}"]
    return "\n".join(out).rstrip("\n") + "\n"
