"""Gates compare exact values: display rounding never turns a fail into a pass."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covaction import gates
from covaction.model import METRICS, Counts, display_percent, display_precision, display_ratio


@pytest.mark.parametrize(
    "covered, total, minimum, fails",
    [
        (80, 100, "80", False),
        (7999, 10000, "80", True),  # 79.99 < 80
        (799999, 1000000, "80", True),  # shows as 80.00 but is below
        (99999, 100000, "100", True),  # 100 means exactly 100
        (100, 100, "100", False),
        (0, 0, "100", False),  # nothing to cover counts as 100%
        (1, 3, "33.33", False),
        (1, 3, "33.34", True),
        (0, 10, "0", False),
    ],
)
def test_minimum_gate_is_exact(covered: int, total: int, minimum: str, fails: bool) -> None:
    actual = Counts(total, covered).percent
    check = gates.minimum_check("total", "Total coverage", actual, Decimal(minimum))
    assert check is not None
    assert (check.status == gates.FAILED) is fails


def test_shown_value_can_equal_threshold_yet_fail() -> None:
    actual = Fraction(799999, 10000)  # 79.9999
    assert display_percent(actual) == "80.00"
    check = gates.minimum_check("total", "Total coverage", actual, Decimal(80))
    assert check is not None and check.status == gates.FAILED


@pytest.mark.parametrize(
    "current, base, allowed, status",
    [
        (Fraction(80), Fraction(81), "1", gates.PASSED),
        (Fraction(80), Fraction(81) + Fraction(1, 10**9), "1", gates.FAILED),
        (Fraction(85), Fraction(80), "0", gates.PASSED),
        (Fraction(80), None, "0.5", gates.SKIPPED),
    ],
)
def test_drop_gate_in_points_unrounded(
    current: Fraction, base: Fraction | None, allowed: str, status: str
) -> None:
    check = gates.drop_check(current, base, Decimal(allowed), "no baseline")
    assert check is not None and check.status == status


def test_no_threshold_no_check() -> None:
    assert gates.minimum_check("total", "t", Fraction(1), None) is None
    assert gates.drop_check(Fraction(1), Fraction(2), None, "") is None


@pytest.mark.parametrize(
    "policy, findings, status",
    [
        ("fail", 1, gates.FAILED),
        ("warn", 1, gates.PASSED),
        ("fail", 0, gates.PASSED),
        ("off", 3, None),
    ],
)
def test_pin_policy(policy: str, findings: int, status: str | None) -> None:
    check = gates.pins_check(policy, findings)
    assert (check.status if check else None) == status


def test_verdict_exit_code() -> None:
    ok = gates.evaluate(gates.pins_check("warn", 2))
    bad = gates.evaluate(gates.pins_check("fail", 2), None)
    assert (ok.exit_code, bad.exit_code) == (0, 1)
    assert len(bad.failed) == 1


def test_counts_add_like_coverage_numbers() -> None:
    a, b = Counts(10, 5, 4, 2), Counts(6, 6, 0, 0)
    assert a + b == Counts(16, 11, 4, 2) == sum([a, b])
    assert (a + b).percent == Fraction(100 * 13, 20)
    assert Counts().percent == 100


@pytest.mark.parametrize(
    "value, precision, shown",
    [
        (Fraction(1, 1000), 2, "0.01"),
        (Fraction(99999, 1000), 2, "99.99"),
        (Fraction(100), 2, "100.00"),
        (Fraction(0), 0, "0"),
        (Fraction(2, 3) * 100, 2, "66.67"),
        (Fraction(1, 8) * 100, 1, "12.5"),
    ],
)
def test_display_matches_coverage_py(value: Fraction, precision: int, shown: str) -> None:
    from coverage.results import display_covered

    assert display_percent(value, precision) == shown == display_covered(float(value), precision)


def test_the_total_gate_says_what_the_metric_counts() -> None:
    from covaction.gates import coverage_checks

    checks = coverage_checks(
        total=Fraction(1300, 22),
        diff_known=False,
        diff_percent=None,
        compared_total=Fraction(1300, 22),
        base_total=None,
        minimum=Decimal("60"),
        minimum_diff=None,
        maximum_drop=None,
        baseline_note="",
        metric="statements",
    )
    total = checks[0]
    assert total is not None and total.status == "failed"
    assert total.message == "Total coverage 59.09% of statements is below the minimum 60%"


@given(
    st.integers(0, 10**7).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))),
    st.integers(0, 10),
)
def test_every_percentage_is_shown_as_coverage_py_shows_it(
    counts: tuple[int, int], precision: int
) -> None:
    """coverage.py's own `display_covered` (round, then format) for any covered/total and any
    precision covaction accepts; covaction formats once (the same digits)."""
    from coverage.results import display_covered

    covered, total = counts
    exact = Fraction(100 * covered, total) if total else Fraction(100)
    expected = display_covered(float(exact), precision)
    assert display_percent(exact, precision) == expected
    with display_precision(precision):
        assert display_ratio(covered, total) == expected


@given(
    st.sampled_from(["", *METRICS]),
    st.lists(st.integers(0, 10**6), min_size=6, max_size=6),
)
def test_a_figure_shown_from_the_counts_is_its_exact_percentage_shown(
    metric: str, values: list[int]
) -> None:
    """`Counts.shown` (formatted from the counts, with shortcuts for the usual metrics) is
    `display_percent` of the exact percentage, for every metric."""
    lines, branches, units = sorted(values[0:2]), sorted(values[2:4]), sorted(values[4:6])
    c = Counts(lines[1], lines[0], branches[1], branches[0], units[1], units[0], metric=metric)
    assert c.shown() == display_percent(c.percent)
