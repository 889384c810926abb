"""State of the fake GitHub: plain dataclasses, owned and locked by `FakeGitHub`.

Tests build these through `FakeGitHub`'s arranging methods and read copies back through its
inspection methods; they never mutate the live objects directly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282

#: A token permission level; `write` implies `read`.
Level = Literal["none", "read", "write"]

#: Scopes use the header's underscore spelling (`pull_requests`, not `pull-requests`).
SCOPES = (
    "actions",
    "checks",
    "contents",
    "issues",
    "metadata",
    "pull_requests",
    "statuses",
)

#: What a default `GITHUB_TOKEN` of a same-repository run holds (permissive default).
WRITE_PERMISSIONS: Mapping[str, Level] = {
    "actions": "write",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}

#: What a fork `pull_request` run's `GITHUB_TOKEN` holds: every write downgraded to read.
READ_PERMISSIONS: Mapping[str, Level] = {scope: "read" for scope in SCOPES}


def iso(moment: datetime) -> str:
    """GitHub's timestamp format: ISO-8601 UTC, whole seconds, `Z` suffix."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 timestamp or date as GitHub accepts it; naive values are UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class FakeClock:
    """Time as the fake sees it: real time plus an offset, or frozen.

    Drives `created_at`/`updated_at`, the rate-limit reset and the expiry of signed storage URLs.
    Header values that clients compare with their own clock (`X-RateLimit-Reset` of an injected
    rate-limit fault) use real time instead.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen: float | None = None

    def time(self) -> float:
        with self._lock:
            return self._frozen if self._frozen is not None else time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.time()), UTC)

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock, at `at` or at the current fake time."""
        moment = at.timestamp() if at is not None else self.time()
        with self._lock:
            self._frozen = moment

    def unfreeze(self) -> None:
        """Resume running from the frozen moment."""
        with self._lock:
            if self._frozen is not None:
                self._offset = self._frozen - time.time()
                self._frozen = None

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen is not None:
                self._frozen += seconds
            else:
                self._offset += seconds


@dataclass(slots=True)
class User:
    login: str
    id: int
    type: Literal["User", "Bot", "Organization"] = "User"

    def json(self) -> dict[str, object]:
        return {
            "login": self.login,
            "id": self.id,
            "node_id": f"U_{self.id}",
            "type": self.type,
            "site_admin": False,
        }


BOT_USER = User(BOT_LOGIN, BOT_ID, "Bot")


@dataclass(slots=True)
class Token:
    """An API credential: who it acts as, what it may do, and its primary rate budget.

    `repos` limits the token to those repositories (lower-case `owner/name`), like a
    `GITHUB_TOKEN`; other private repositories answer 404, other public ones are read-only.
    `None` means every repository.
    """

    value: str
    user: User
    permissions: dict[str, Level]
    repos: frozenset[str] | None = None
    rate_limit: int = 1000
    rate_used: int = 0
    rate_reset: float = 0.0

    def level(self, scope: str) -> Level:
        if scope == "metadata":
            return "read"
        return self.permissions.get(scope, "none")


@dataclass(slots=True)
class FileChange:
    """One diff entry (PR files, commit files, compare files).

    `patch=None` means the `patch` key is absent (binary file or diff too large). When
    `additions`/`deletions` are left `None` they are counted from the patch's `+`/`-` lines.
    """

    filename: str
    status: Literal["added", "removed", "modified", "renamed", "copied", "changed", "unchanged"] = (
        "modified"
    )
    patch: str | None = None
    additions: int | None = None
    deletions: int | None = None
    changes: int | None = None
    previous_filename: str | None = None
    sha: str | None = "bbcd538c8e72b8c175046e27cc8f907076331401"

    def __post_init__(self) -> None:
        lines = self.patch.split("\n") if self.patch else []
        if self.additions is None:
            self.additions = sum(1 for ln in lines if ln.startswith("+"))
        if self.deletions is None:
            self.deletions = sum(1 for ln in lines if ln.startswith("-"))
        if self.changes is None:
            self.changes = self.additions + self.deletions

    @property
    def patch_lines(self) -> int:
        return 0 if not self.patch else self.patch.count("\n") + 1


@dataclass(slots=True)
class Repository:
    id: int
    owner: User
    name: str
    private: bool = False
    fork: bool = False
    default_branch: str = "main"
    created_at: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def key(self) -> str:
        return self.full_name.lower()


@dataclass(slots=True)
class PullRequest:
    number: int
    id: int
    title: str
    user: User
    head_ref: str
    head_sha: str
    head_repo: str | None  # full name; None = the fork was deleted
    base_ref: str
    base_sha: str
    files: list[FileChange]
    state: Literal["open", "closed"] = "open"
    draft: bool = False
    merged: bool = False
    mergeable: bool | None = True
    merge_commit_sha: str | None = None
    changed_files: int = 0
    additions: int = 0
    deletions: int = 0
    commits: int = 1
    body: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    updated_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))


@dataclass(slots=True)
class Issue:
    """A plain issue (not a pull request): comments work, `get_pull` answers 404."""

    number: int
    id: int
    title: str
    user: User
    state: Literal["open", "closed"] = "open"
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))


@dataclass(slots=True)
class Comment:
    id: int
    repo: str  # repository key (lower-case full name)
    issue_number: int
    body: str
    user: User
    created_at: datetime
    updated_at: datetime
    author_association: str = "NONE"


@dataclass(slots=True)
class Commit:
    sha: str
    message: str = "commit"
    parents: tuple[str, ...] = ()
    files: list[FileChange] = field(default_factory=list)
    date: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    author_name: str = "Mona Lisa"
    author_email: str = "mona@example.com"
    seq: int = 0  # insertion order, breaks date ties


@dataclass(slots=True)
class GitTag:
    """An annotated tag object; `object_type` is `commit` or `tag` (nested tags)."""

    sha: str
    tag: str
    object_sha: str
    object_type: Literal["commit", "tag"] = "commit"
    message: str = ""
    date: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))


@dataclass(slots=True)
class Workflow:
    id: int
    name: str
    path: str
    state: str = "active"


@dataclass(slots=True)
class WorkflowRun:
    id: int
    repo: str
    workflow_id: int
    name: str
    path: str
    head_branch: str | None
    head_sha: str
    head_repository_id: int
    head_repository: str  # full name
    event: str
    status: str
    conclusion: str | None
    run_number: int
    run_attempt: int
    actor: User
    created_at: datetime
    updated_at: datetime
    display_title: str = ""
    pull_requests: tuple[int, ...] = ()
    check_suite_id: int = 0


@dataclass(slots=True)
class Artifact:
    id: int
    repo: str
    name: str
    data: bytes
    digest: str | None
    run_id: int
    head_branch: str | None
    head_sha: str
    head_repository_id: int
    created_at: datetime
    expires_at: datetime
    content_type: str = "application/zip"
    filename: str | None = None  # un-archived artifacts: the file's name
    expired: bool = False
    blob_path: str = ""

    @property
    def size_in_bytes(self) -> int:
        return len(self.data)

    @property
    def is_zip(self) -> bool:
        return self.content_type in {
            "application/zip",
            "application/x-zip-compressed",
            "application/zip-compressed",
        }


@dataclass(slots=True)
class CheckRun:
    id: int
    repo: str
    name: str
    head_sha: str
    status: str = "queued"
    conclusion: str | None = None
    details_url: str | None = None
    external_id: str | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    output: dict[str, object] = field(default_factory=dict)
    annotations: list[dict[str, object]] = field(default_factory=list)


@dataclass(slots=True)
class CommitStatus:
    id: int
    repo: str
    sha: str
    state: str
    context: str = "default"
    description: str | None = None
    target_url: str | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    creator: User = field(default_factory=lambda: BOT_USER)


@dataclass(slots=True)
class RepoState:
    """Everything the fake knows about one repository."""

    repo: Repository
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> sha (commit or tag)
    tags: dict[str, GitTag] = field(default_factory=dict)  # tag object sha -> tag
    workflows: dict[int, Workflow] = field(default_factory=dict)
    runs: dict[int, WorkflowRun] = field(default_factory=dict)
    artifacts: dict[int, Artifact] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    statuses: list[CommitStatus] = field(default_factory=list)


def days(n: float) -> timedelta:
    return timedelta(days=n)
