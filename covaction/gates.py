"""Thresholds into a Verdict: pure predicates over exact values, never rounded ones.

"100 means exactly 100" falls out of exact arithmetic: totals are Fractions of integer counts
and thresholds are Decimals, so 99.999% never passes a 100 gate and display rounding can never
turn a fail into a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from covaction.errors import ExitCode
from covaction.model import METRIC_LABELS, display_percent

if TYPE_CHECKING:
    from covaction.compare import Comparison


class GateStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to measure (no changed line, no baseline)


class GateName(StrEnum):
    TOTAL = "total"
    DIFF = "diff"
    DROP = "drop"
    PINS = "pins"


PASSED, FAILED, SKIPPED = GateStatus.PASSED, GateStatus.FAILED, GateStatus.SKIPPED
TITLES: dict[str, str] = {
    GateName.TOTAL: "Total coverage",
    GateName.DIFF: "Diff coverage",
    GateName.DROP: "Coverage drop",
    GateName.PINS: "Pinned actions",
}
NO_DIFF_REASON = "no changed lines are known (not a pull request; use diff-base or diff-file)"
NO_COVERABLE_CHANGE = "no coverable line was added or changed"


@dataclass(frozen=True, slots=True)
class Check:
    """One gate: its status, the actual value and the required one (both unrounded)."""

    name: str  # total | diff | drop | pins
    title: str
    status: str
    actual: Fraction | None
    required: Decimal | None
    message: str


@dataclass(frozen=True, slots=True)
class Verdict:
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        return all(c.status != FAILED for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.status == FAILED)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.PASSED if self.passed else ExitCode.GATE_FAILED


def below(actual: Fraction, minimum: Decimal) -> bool:
    """True when actual < minimum, compared exactly."""
    return actual < Fraction(minimum)


def minimum_check(
    name: str,
    title: str,
    actual: Fraction | None,
    minimum: Decimal | None,
    skip_reason: str = "",
    metric: str = "",
) -> Check | None:
    """`metric` (a `model.METRICS` name) is said after the figure: "81.25% of statements"."""
    if minimum is None:
        return None
    if actual is None:
        return Check(name, title, SKIPPED, None, minimum, skip_reason or "not measured")
    shown = display_percent(actual) + "%"
    if metric:
        shown += f" of {METRIC_LABELS.get(metric, metric)}"
    if below(actual, minimum):
        return Check(
            name,
            title,
            FAILED,
            actual,
            minimum,
            f"{title} {shown} is below the minimum {minimum}%",
        )
    return Check(
        name, title, PASSED, actual, minimum, f"{title} {shown} meets the minimum {minimum}%"
    )


def drop_check(
    current: Fraction, base: Fraction | None, maximum_drop: Decimal | None, skip_reason: str
) -> Check | None:
    if maximum_drop is None:
        return None
    title = "Coverage drop"
    if base is None:
        return Check("drop", title, SKIPPED, None, maximum_drop, skip_reason or "no baseline")
    delta = current - base  # negative when coverage dropped; `actual` keeps this sign
    drop = -delta
    shown = f"{display_percent(abs(delta))} points"
    if drop > Fraction(maximum_drop):
        return Check(
            "drop",
            title,
            FAILED,
            delta,
            maximum_drop,
            f"coverage dropped {shown} (from {display_percent(base)}% to "
            f"{display_percent(current)}%), more than the {maximum_drop} points allowed",
        )
    verb = "rose" if delta > 0 else "dropped"
    return Check(
        "drop",
        title,
        PASSED,
        delta,
        maximum_drop,
        f"coverage {verb} {shown}, within the {maximum_drop} allowed",
    )


def diff_check(
    known: bool,
    actual: Fraction | None,
    minimum: Decimal | None,
    skip_reason: str = NO_DIFF_REASON,
) -> Check | None:
    """The diff gate: skipped without changed lines, and when none of them is coverable (a
    docs-only change): there is nothing to judge, and every output says "skipped"."""
    if minimum is None:
        return None
    if known and actual is None:
        return Check("diff", TITLES["diff"], SKIPPED, None, minimum, NO_COVERABLE_CHANGE)
    return minimum_check("diff", TITLES["diff"], actual, minimum, skip_reason)


def coverage_checks(
    *,
    total: Fraction,
    diff_known: bool,
    diff_percent: Fraction | None,
    compared_total: Fraction,
    base_total: Fraction | None,
    minimum: Decimal | None,
    minimum_diff: Decimal | None,
    maximum_drop: Decimal | None,
    baseline_note: str,
    metric: str = "",
) -> list[Check | None]:
    """The three coverage gates, built the same way wherever a verdict is made or re-checked.

    `compared_total` is this run's total measured like the baseline (lines only when the
    baseline had no branches), so the drop gate compares like with like. `metric` (the
    report's `metric`) names what the total counts in its message; "" leaves it unsaid.
    """
    return [
        minimum_check("total", TITLES["total"], total, minimum, metric=metric),
        diff_check(diff_known, diff_percent, minimum_diff),
        drop_check(compared_total, base_total, maximum_drop, baseline_note),
    ]


def pins_check(policy: str, findings: int) -> Check | None:
    if policy == "off":
        return None
    title = "Pinned actions"
    if findings == 0:
        return Check(
            "pins", title, PASSED, None, None, "every action is pinned to a full commit SHA"
        )
    noun = "reference is" if findings == 1 else "references are"
    message = f"{findings} action {noun} not pinned to a full commit SHA"
    if policy == "fail":
        return Check("pins", title, FAILED, None, None, message)
    return Check("pins", title, PASSED, None, None, message + " (pin-policy: warn)")


def evaluate(*checks: Check | None) -> Verdict:
    return Verdict(tuple(c for c in checks if c is not None))


def checks_for(
    comparison: Comparison | None,
    *,
    minimum: Decimal | None,
    minimum_diff: Decimal | None,
    maximum_drop: Decimal | None,
    pin_policy: str,
    pin_findings: int,
) -> Verdict:
    """The one gate wiring: every gate of a run from its comparison (None: the pin check
    alone) and its thresholds. The run and the fork-result reader both decide through it."""
    checks: list[Check | None] = []
    if comparison is not None:
        diff = comparison.diff
        base = comparison.base_counts
        checks += coverage_checks(
            total=comparison.counts.percent,
            diff_known=diff is not None,
            diff_percent=diff.percent if diff is not None else None,
            compared_total=comparison.compared_counts.percent,
            base_total=base.percent if base is not None else None,
            minimum=minimum,
            minimum_diff=minimum_diff,
            maximum_drop=maximum_drop,
            baseline_note=comparison.baseline_note,
            metric=comparison.metric,
        )
    checks.append(pins_check(pin_policy, pin_findings))
    return evaluate(*checks)
