"""Fake GitHub Results service (artifacts v4 Twirp API and SAS blob storage) for hermetic tests.

Use the ``fake_results`` fixture (import it explicitly into the test module) or ``FakeResults()``
as a context manager, and :func:`runtime_environ` for the environment a container step gets.
Coupling with the REST fake is a constructor callback, so this package never imports it::

    FakeResults(on_finalize=into_rest(rest))  # each finalized upload listed by the REST fake

An int returned by ``on_finalize`` becomes the artifact's ID, so Twirp and REST IDs agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest

from tests.fakeresults.server import (
    Artifact,
    FakeResults,
    Fault,
    FinalizedArtifact,
    Job,
    RecordedRequest,
    Run,
)
from tests.fakeresults.tokens import UNAVAILABLE_VARIANTS, mint_token, results_scope

__all__ = [
    "UNAVAILABLE_VARIANTS",
    "Artifact",
    "FakeResults",
    "Fault",
    "FinalizedArtifact",
    "Job",
    "RecordedRequest",
    "Run",
    "fake_results",
    "into_rest",
    "mint_token",
    "results_scope",
    "runtime_environ",
]


class _ArtifactList(Protocol):
    def add_artifact(self, repo: str, name: str, data: bytes, **fields: Any) -> int: ...


def into_rest(rest: _ArtifactList) -> Callable[[FinalizedArtifact], int]:
    """An ``on_finalize`` that stores each finalized upload as an artifact of the REST fake
    ``rest`` (its ``add_artifact``), under the same ID, as GitHub lists it once finalized."""

    def on_finalize(a: FinalizedArtifact) -> int:
        return rest.add_artifact(
            a.repo, a.name, a.data, run_id=a.run_id, head_branch=a.head_branch,
            head_sha=a.head_sha, event=a.event, head_repository_id=a.head_repository_id,
            created_at=a.created_at, content_type=a.content_type, filename=a.filename,
        )  # fmt: skip

    return on_finalize


def runtime_environ(
    fake: FakeResults,
    *,
    run: Run | None = None,
    job: Job | None = None,
    **overrides: str | None,
) -> dict[str, str]:
    """The variables a container action step sees (A.4) for ``job`` of ``run``.

    ``ACTIONS_RESULTS_URL`` is the fake's origin with a trailing slash, as the runner gives it.
    Keyword overrides replace variables; ``None`` removes one.
    """
    run = run or fake.default_run
    job = job or run.job
    environ = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_REPOSITORY": run.repo,
        "GITHUB_REPOSITORY_ID": str(run.repository_id),
        "GITHUB_REPOSITORY_OWNER": run.repo.split("/")[0],
        "GITHUB_EVENT_NAME": run.event,
        "GITHUB_SHA": run.head_sha,
        "GITHUB_REF": f"refs/heads/{run.head_branch}",
        "GITHUB_REF_NAME": run.head_branch,
        "GITHUB_RUN_ID": str(run.run_id),
        "GITHUB_RUN_NUMBER": "1",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_JOB": "test",
        "GITHUB_RETENTION_DAYS": str(run.retention_days),
        "GITHUB_WORKSPACE": "/github/workspace",
        "ACTIONS_RUNTIME_TOKEN": job.token,
        "ACTIONS_RUNTIME_URL": "https://pipelines.actions.githubusercontent.com/fake/",
        "ACTIONS_RESULTS_URL": fake.url,
    }
    for key, value in overrides.items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    return environ


@pytest.fixture
def fake_results() -> Iterator[FakeResults]:
    """A started fake with one run and one job (``fake.default_run``); stopped afterwards."""
    with FakeResults() as fake:
        yield fake
        assert not fake.errors, f"the fake recorded errors: {fake.errors!r}"
