"""The process's garbage collector: young objects only (`cli.young_garbage_only`), so a run
must leave no old reference cycle behind."""

from __future__ import annotations

import gc
from array import array
from pathlib import Path
from types import ModuleType

import pytest

from covaction import cli
from covaction.formats import clover, cobertura, jacoco
from covaction.formats.builder import FileBuilder

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


@pytest.mark.parametrize(
    ("reader", "fixture"),
    [
        (cobertura, "py/cov1.xml"),
        (cobertura, "c/gcovr-cobertura.xml"),
        (cobertura, "js/nyc-run1-cobertura.xml"),
        (jacoco, "java/jacoco1.xml"),
        (clover, "js/c8-run1-clover.xml"),
    ],
)
def test_reading_a_report_leaves_none_of_its_data_in_a_reference_cycle(
    reader: ModuleType, fixture: str
) -> None:
    """What a reader built is freed by reference counting, never left to a full collection:
    the parser's handlers (closures over the files being built) are dropped at the end."""
    data = (REAL / fixture).read_bytes()
    gc.collect()
    gc.disable()
    try:
        parsed = reader.parse([data], fixture)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert parsed.files
    assert not [o for o in garbage if isinstance(o, FileBuilder)]
    assert not [o for o in garbage if isinstance(o, array) and len(o)]  # no line data
    assert len(garbage) < 100  # a few of the reader's own closures, whatever the report's size
