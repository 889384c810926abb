"""Shared fixtures: the fake GitHub and results services, and the runner harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakegithub import fake_github  # noqa: F401  (fixture)
from tests.fakeresults import fake_results  # noqa: F401  (fixture)
from tests.harness import ActionRun


@pytest.fixture
def action(tmp_path: Path) -> ActionRun:
    """A container step laid out in tmp_path; set .inputs/.event and call .run()."""
    return ActionRun(tmp_path)
