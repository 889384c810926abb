"""An in-process fake of the GitHub REST API and artifact blob storage (contract C, E, F).

    from tests.fakegithub import FakeGitHub, Fault, FileChange, WRITE_TOKEN, fake_github

`fake_github` is a function-scoped pytest fixture: a started `FakeGitHub` (stopped afterwards,
and the test fails if the fake itself crashed). Parametrise it indirectly to pass constructor
arguments, e.g. `@pytest.mark.parametrize("fake_github", [{"path_prefix": "/api/v3"}],
indirect=True)`. It also sets `NO_PROXY=127.0.0.1,localhost` so proxies never see the traffic.
At teardown every exchange the fake saw is judged by GitHub's OpenAPI description (`openapi.py`;
when `node_modules` is installed) and the test fails on any disagreement.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakegithub import openapi
from tests.fakegithub.faults import Fault, FaultRule
from tests.fakegithub.model import (
    BOT_ID,
    BOT_LOGIN,
    READ_PERMISSIONS,
    WRITE_PERMISSIONS,
    Artifact,
    CheckRun,
    Comment,
    CommitStatus,
    FileChange,
    PullRequest,
    Repository,
    WorkflowRun,
)
from tests.fakegithub.requestlog import RecordedRequest
from tests.fakegithub.server import (
    BAD_TOKEN,
    READONLY_TOKEN,
    SAME_REPO,
    WRITE_TOKEN,
    FakeGitHub,
    fake_sha,
)


@pytest.fixture
def fake_github(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeGitHub]:
    """A running FakeGitHub for one test (indirect parameter: constructor kwargs)."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    kwargs = getattr(request, "param", None) or {}
    with FakeGitHub(**kwargs) as fake:
        yield fake
    if fake.internal_errors:
        pytest.fail("the fake GitHub server crashed:\n" + "\n".join(fake.internal_errors))
    if openapi.available():
        problems = openapi.judge(fake.log.all(), fake.path_prefix, fake.default_api_version)
        if problems:
            pytest.fail("GitHub's OpenAPI description disagrees:\n" + "\n".join(problems[:40]))


__all__ = [
    "BAD_TOKEN",
    "BOT_ID",
    "BOT_LOGIN",
    "READONLY_TOKEN",
    "READ_PERMISSIONS",
    "SAME_REPO",
    "WRITE_PERMISSIONS",
    "WRITE_TOKEN",
    "Artifact",
    "CheckRun",
    "Comment",
    "CommitStatus",
    "FakeGitHub",
    "Fault",
    "FaultRule",
    "FileChange",
    "PullRequest",
    "RecordedRequest",
    "Repository",
    "WorkflowRun",
    "fake_github",
    "fake_sha",
]
