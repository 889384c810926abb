"""Shared fixtures: the fake GitHub and results services, and the runner harness."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from covaction.pins import github_yaml
from tests import harness
from tests.fakegithub import fake_github  # noqa: F401  (fixture)
from tests.fakeresults import fake_results  # noqa: F401  (fixture)
from tests.harness import ActionRun
from tests.yaml_loaders import LOADERS

# CI explores the same examples every run (a failure there is reproducible from its log); by
# hand, hypothesis explores anew each time (`COVACTION_FUZZ_EXAMPLES` raises the fuzz counts).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "process(why): the test's action runs start `python entrypoint.py` in a process of their "
        "own (the container contract), not in process; `why` says what needs the process",
    )


@pytest.fixture(autouse=True)
def _run_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """ActionRun.run in a process for tests marked `process`, in process for the rest."""
    marker = request.node.get_closest_marker("process")
    if marker is not None:
        assert marker.args and isinstance(marker.args[0], str), "say why it needs a process"
        monkeypatch.setattr(harness, "PROCESS_BY_DEFAULT", True)


@pytest.fixture(scope="session")
def go_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Go build cache per test process: the live Go tests compile the standard library's
    shared packages once, not once per test (a fresh cache each session, as before)."""
    return tmp_path_factory.mktemp("gocache")


@pytest.fixture
def action(tmp_path: Path) -> ActionRun:
    """A container step laid out in tmp_path; set .inputs/.event and call .run()."""
    return ActionRun(tmp_path)


@pytest.fixture(params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run a pin-check test with libyaml's loader and with PyYAML's pure-Python fallback."""
    chosen = LOADERS[request.param]
    if chosen is None:
        pytest.skip("PyYAML built without libyaml")
    monkeypatch.setattr(github_yaml, "LOADER", chosen)
    yield request.param
