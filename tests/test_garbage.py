"""The process's garbage collector: young objects only (`cli.young_garbage_only`), so a run
must leave no old reference cycle behind."""

from __future__ import annotations

import gc

from covaction import cli


def test_the_command_collects_young_garbage_only() -> None:
    before = gc.get_threshold()
    try:
        cli.young_garbage_only()
        gen0, gen1, full = gc.get_threshold()
        assert (gen0, gen1) == before[:2]  # young cycles are collected as before
        assert full >= 1 << 30  # no full collection in a run's lifetime
    finally:
        gc.set_threshold(*before)
