"""The process's garbage collector: young objects only (`cli.young_garbage_only`), so a run
must leave no old reference cycle behind."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from covaction import cli
from covaction.errors import ReportError
from covaction.formats import clover, cobertura, jacoco

REAL = Path(__file__).parent / "fixtures" / "real"


def test_the_command_collects_young_garbage_only() -> None:
    before = gc.get_threshold()
    try:
        cli.young_garbage_only()
        gen0, gen1, full = gc.get_threshold()
        assert (gen0, gen1) == before[:2]  # young cycles are collected as before
        assert full >= 1 << 30  # no full collection in a run's lifetime
    finally:
        gc.set_threshold(*before)


# A Cobertura report whose tool is not known to be coverage.py (its root element's attributes
# in another order) but whose lines carry `missing-branches`: the texts are gathered and
# never used (only coverage.py's are), so they must be let go with the rest.
UNKNOWN_WITH_MISSING = (
    b'<?xml version="1.0" ?>\n<coverage line-rate="0.5" version="7.4.0"><packages><package '
    b'name="p"><classes>'
    + b"".join(
        b'<class name="m%d.py" filename="m%d.py"><lines>'
        b'<line number="1" hits="1" branch="true" condition-coverage="50%% (1/2)" '
        b'missing-branches="3"/><line number="2" hits="0"/></lines></class>' % (n, n)
        for n in range(300)
    )
    + b"</classes></package></packages></coverage>"
)


def _garbage_of(read: Callable[[], object]) -> list[object]:
    """What `read()` leaves in reference cycles (only a full collection would free it)."""
    gc.collect()
    gc.disable()
    try:
        kept = read()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kept is not None
    return garbage


@pytest.mark.parametrize(
    ("reader", "name", "data"),
    [
        (cobertura, "py/cov1.xml", None),
        (cobertura, "c/gcovr-cobertura.xml", None),
        (cobertura, "js/nyc-run1-cobertura.xml", None),
        (cobertura, "unknown.xml", UNKNOWN_WITH_MISSING),
        (jacoco, "java/jacoco1.xml", None),
        (clover, "js/c8-run1-clover.xml", None),
    ],
)
def test_reading_a_report_leaves_nothing_in_a_reference_cycle(
    reader: ModuleType, name: str, data: bytes | None
) -> None:
    """What a reader built is freed by reference counting, never left to a full collection
    (which the command does not run): the parser's handlers, closures over the files being
    built, are dropped at the end, and none of them holds another in a cycle."""
    report = data if data is not None else (REAL / name).read_bytes()
    assert _garbage_of(lambda: reader.parse([report], name).files) == []


def test_a_report_refused_half_way_leaves_nothing_in_a_reference_cycle() -> None:
    broken = UNKNOWN_WITH_MISSING[: len(UNKNOWN_WITH_MISSING) // 2] + b"<oops"

    def refused() -> str:
        try:
            cobertura.parse([broken], "broken.xml")
        except ReportError as exc:
            return str(exc)
        raise AssertionError("read")

    assert _garbage_of(refused) == []
