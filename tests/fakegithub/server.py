"""`FakeGitHub`: an in-process GitHub REST API plus artifact blob storage, for hermetic tests.

Two loopback listeners (standard library only): the API at `base_url`
(`http://127.0.0.1:<port>`, plus `/api/v3` in GHES mode) and blob storage at `storage_url`
(another port), which artifact downloads redirect to. Tests arrange state with the `add_*`
methods, inject faults with `inject()`, and inspect state and the request log afterwards.
Everything is thread-safe: one re-entrant lock guards all state, so other fakes (e.g. the
artifact upload service) may call `add_artifact()`/`remove_artifact()` from their own threads.

    with FakeGitHub() as fake:
        fake.add_repo("octo-org/widget")
        fake.add_pull("octo-org/widget", 42, head_sha="b0" * 20, base_sha="a0" * 20)
        gh = Github(auth=Auth.Token(WRITE_TOKEN), base_url=fake.base_url, ...)
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from tests.fakegithub.api import ROUTE_NAMES, ApiApp
from tests.fakegithub.faults import Fault, FaultRule, FaultTable
from tests.fakegithub.listener import Listener
from tests.fakegithub.model import (
    BOT_ID,
    BOT_LOGIN,
    READ_PERMISSIONS,
    WRITE_PERMISSIONS,
    Artifact,
    CheckRun,
    Comment,
    Commit,
    CommitStatus,
    FakeClock,
    FileChange,
    GitTag,
    Issue,
    Level,
    PullRequest,
    Repository,
    RepoState,
    Token,
    User,
    Workflow,
    WorkflowRun,
    iso,
)
from tests.fakegithub.render import synthetic_repo_id
from tests.fakegithub.requestlog import RecordedRequest, RequestLog
from tests.fakegithub.storage import ROUTE as STORAGE_ROUTE
from tests.fakegithub.storage import StorageApp, blob_path, signed_query

#: Registered by default: a same-repository `GITHUB_TOKEN` (github-actions[bot], write).
WRITE_TOKEN = "write-token"
#: Registered by default: a fork PR's read-only `GITHUB_TOKEN`.
READONLY_TOKEN = "fork-readonly-token"
#: Never registered: answers 401 `Bad credentials`.
BAD_TOKEN = "bad-token"
#: `add_pull(head_repo=SAME_REPO)`: the head branch lives in the base repository.
SAME_REPO = ""

BodyLimit = Literal["measured", "documented"]
_HEX40 = re.compile(r"[0-9a-f]{40}")
_FIRST_IDS = {
    "repo": 100_001,
    "owner": 9_001,
    "pull": 2_100_000_001,
    "comment": 3_000_000_001,
    "artifact": 4_400_000_001,
    "workflow": 5_555,
    "check_run": 6_600_000_001,
    "check_suite": 7_700_000_001,
    "status": 8_800_000_001,
    "run": 9_000_000_001,
    "commit": 1,
}


def fake_sha(*parts: object) -> str:
    """A deterministic 40-hex SHA for test fixtures."""
    return hashlib.sha1("\0".join(map(str, parts)).encode()).hexdigest()


class FakeGitHub:
    """The fake GitHub server. Start/stop with `start()`/`stop()` or as a context manager.

    Knobs (plain attributes, may be changed at any time):
      * `comment_body_limit`: `"measured"` (reject > 262,144 UTF-8 bytes, default) or
        `"documented"` (reject > 65,536 code points) — contract C.4.3;
      * `patch_line_budget`: None (off) or the number of patch lines one PR-files response may
        carry; entries past it get zero counts and no `patch` (C.4.5);
      * `storage_url_ttl`: lifetime in seconds of minted storage URLs (negative → already expired);
      * `default_api_version`: the version used when a request sends no `X-GitHub-Api-Version`;
      * `rate_limit_status`: 403 or 429, the status of a naturally exhausted primary budget.
    """

    def __init__(
        self,
        *,
        path_prefix: str = "",
        comment_body_limit: BodyLimit = "measured",
        patch_line_budget: int | None = None,
        storage_url_ttl: float = 60.0,
        default_api_version: str = "2022-11-28",
        rate_limit_status: int = 403,
    ) -> None:
        if path_prefix and (not path_prefix.startswith("/") or path_prefix.endswith("/")):
            raise ValueError("path_prefix must look like '/api/v3'")
        self.path_prefix = path_prefix
        self.comment_body_limit: BodyLimit = comment_body_limit
        self.patch_line_budget = patch_line_budget
        self.storage_url_ttl = storage_url_ttl
        self.default_api_version = default_api_version
        self.rate_limit_status = rate_limit_status

        self.clock = FakeClock()
        self.log = RequestLog()
        self.faults = FaultTable(known_routes=ROUTE_NAMES | {STORAGE_ROUTE})
        #: Tracebacks of exceptions raised inside the fake while handling requests.
        self.internal_errors: list[str] = []

        self._lock = threading.RLock()
        self._repos: dict[str, RepoState] = {}
        self._repo_ids: dict[int, str] = {}
        self._tokens: dict[str, Token] = {}
        self._counters = {kind: itertools.count(first) for kind, first in _FIRST_IDS.items()}
        self._used_ids: dict[str, set[int]] = {kind: set() for kind in _FIRST_IDS}
        self._blobs: dict[str, tuple[str, int]] = {}
        self._violations: list[RecordedRequest] = []
        self._storage_secret = os.urandom(32)
        self._anonymous = Token("", User("anonymous", 0), {}, rate_limit=60)
        self._anonymous.rate_reset = self.clock.time() + 3600

        self.add_token(WRITE_TOKEN)
        self.add_token(READONLY_TOKEN, permissions=READ_PERMISSIONS)

        self._api = Listener(ApiApp(self), "api", self.log, self.internal_errors)
        self._storage = Listener(StorageApp(self), "storage", self.log, self.internal_errors)

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        self._api.start()
        self._storage.start()
        return self

    def stop(self) -> None:
        self._api.stop()
        self._storage.stop()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` plus the GHES prefix; use as `GITHUB_API_URL`."""
        return self._api.url + self.path_prefix

    @property
    def storage_url(self) -> str:
        """`http://127.0.0.1:<port2>`: the blob storage host (a different port)."""
        return self._storage.url

    # ---- identities and rate limits -------------------------------------------------------------

    def add_token(
        self,
        value: str,
        *,
        login: str = BOT_LOGIN,
        user_id: int | None = None,
        user_type: Literal["User", "Bot"] = "Bot",
        permissions: Mapping[str, Level] = WRITE_PERMISSIONS,
        repos: Iterable[str] | None = None,
        rate_limit: int = 1000,
    ) -> Token:
        """Register a credential. Comments it writes are authored by `login`.

        `permissions` maps scopes (`issues`, `pull_requests`, `contents`, `actions`, `checks`,
        `statuses`; underscores) to `none|read|write`. `repos` restricts it to those
        repositories (`owner/name`): other private ones answer 404, other public ones are
        read-only. The budget starts full and resets an hour later (fake clock).
        """
        uid = user_id if user_id is not None else (BOT_ID if login == BOT_LOGIN else None)
        with self._lock:
            if uid is None:
                uid = self._next_id("owner")
            token = Token(
                value=value,
                user=User(login, uid, user_type),
                permissions=dict(permissions),
                repos=frozenset(r.lower() for r in repos) if repos is not None else None,
                rate_limit=rate_limit,
                rate_reset=self.clock.time() + 3600,
            )
            self._tokens[value] = token
            return copy.deepcopy(token)

    def set_rate_limit(
        self,
        token: str | None,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        reset_in: float | None = None,
    ) -> None:
        """Adjust a token's primary budget (`None` token = unauthenticated requests)."""
        with self._lock:
            bucket = self._bucket(token)
            if limit is not None:
                bucket.rate_limit = limit
            if remaining is not None:
                bucket.rate_used = bucket.rate_limit - remaining
            if reset_in is not None:
                bucket.rate_reset = self.clock.time() + reset_in

    def rate_remaining(self, token: str | None) -> int:
        with self._lock:
            bucket = self._bucket(token)
            return max(0, bucket.rate_limit - bucket.rate_used)

    # ---- repositories, pull requests, issues -------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        id: int | None = None,
        private: bool = False,
        default_branch: str = "main",
        fork: bool = False,
        owner_type: Literal["User", "Organization"] = "Organization",
        owner_id: int | None = None,
    ) -> Repository:
        """Register a repository (e.g. `octo-org/widget`, or `actions/checkout` for pin checks)."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"expected owner/name, got {full_name!r}")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"repository {full_name} already exists")
            rid = self._claim("repo", id)
            oid = owner_id if owner_id is not None else self._owner_id(owner)
            repo = Repository(
                rid, User(owner, oid, owner_type), name, private, fork, default_branch
            )
            self._repos[repo.key] = RepoState(repo)
            self._repo_ids[rid] = repo.key
            return copy.deepcopy(repo)

    def add_pull(
        self,
        repo: str,
        number: int,
        *,
        head_sha: str,
        base_sha: str,
        head_ref: str = "feature",
        base_ref: str | None = None,
        head_repo: str | None = SAME_REPO,
        files: Sequence[FileChange] = (),
        title: str = "Change things",
        user: str = "contrib",
        state: Literal["open", "closed"] = "open",
        draft: bool = False,
        merged: bool = False,
        mergeable: bool | None = True,
        merge_commit_sha: str | None = None,
        changed_files: int | None = None,
        additions: int | None = None,
        deletions: int | None = None,
        commits: int = 1,
        body: str | None = None,
        created_at: datetime | None = None,
    ) -> PullRequest:
        """Register PR `number`. `head_repo`: `SAME_REPO` (default), a fork's `owner/name`, or
        None for a deleted fork. `files` are served by list-files in the given order (at most
        3,000); `changed_files`/`additions`/`deletions` default to what `files` add up to, and
        may be set higher to model truncated file lists. Head and base commits are registered.
        """
        with self._lock:
            st = self._require(repo)
            if number in st.pulls or number in st.issues:
                raise ValueError(f"#{number} already exists in {repo}")
            now = created_at or self.clock.now()
            files = [copy.copy(f) for f in files]
            pr = PullRequest(
                number=number,
                id=self._next_id("pull"),
                title=title,
                user=User(user, self._owner_id(user)),
                head_ref=head_ref,
                head_sha=head_sha,
                head_repo=st.repo.full_name if head_repo == SAME_REPO else head_repo,
                base_ref=base_ref or st.repo.default_branch,
                base_sha=base_sha,
                files=files,
                state=state,
                draft=draft,
                merged=merged,
                mergeable=mergeable,
                merge_commit_sha=merge_commit_sha or fake_sha("merge", number, head_sha, base_sha),
                changed_files=len(files) if changed_files is None else changed_files,
                additions=sum(f.additions or 0 for f in files) if additions is None else additions,
                deletions=sum(f.deletions or 0 for f in files) if deletions is None else deletions,
                commits=commits,
                body=body,
                created_at=now,
                updated_at=now,
            )
            st.pulls[number] = pr
            for sha in (base_sha, head_sha):
                self._ensure_commit(st, sha)
            st.refs[f"pull/{number}/head"] = head_sha
            return copy.deepcopy(pr)

    def set_pull_files(self, repo: str, number: int, files: Sequence[FileChange]) -> None:
        """Replace a PR's file list (counts on the PR object are left as they are)."""
        with self._lock:
            self._pull(repo, number).files = [copy.copy(f) for f in files]

    def pull(self, repo: str, number: int) -> PullRequest:
        with self._lock:
            return copy.deepcopy(self._pull(repo, number))

    def add_issue(
        self, repo: str, number: int, *, title: str = "An issue", user: str = "mona"
    ) -> None:
        """Register a plain issue: comments work on it, `GET pulls/{number}` answers 404."""
        with self._lock:
            st = self._require(repo)
            if number in st.pulls or number in st.issues:
                raise ValueError(f"#{number} already exists in {repo}")
            st.issues[number] = Issue(
                number, self._next_id("pull"), title, User(user, self._owner_id(user)),
                created_at=self.clock.now(),
            )  # fmt: skip

    # ---- comments -------------------------------------------------------------------------------

    def add_comment(
        self,
        repo: str,
        issue_number: int,
        body: str,
        *,
        login: str = "octocat",
        user_type: Literal["User", "Bot"] = "User",
        user_id: int | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> int:
        """Arrange an existing comment (no length check); returns its id (> 2^31)."""
        with self._lock:
            st = self._require(repo)
            if issue_number not in st.pulls and issue_number not in st.issues:
                raise ValueError(f"#{issue_number} does not exist in {repo}")
            uid = user_id if user_id is not None else (
                BOT_ID if login == BOT_LOGIN else self._owner_id(login)
            )  # fmt: skip
            created = created_at or self.clock.now()
            cm = Comment(
                id=self._next_id("comment"),
                repo=st.repo.key,
                issue_number=issue_number,
                body=body,
                user=User(login, uid, user_type),
                created_at=created,
                updated_at=updated_at or created,
                author_association="NONE" if user_type == "Bot" else "MEMBER",
            )
            st.comments[cm.id] = cm
            return cm.id

    def comments(self, repo: str, issue_number: int | None = None) -> list[Comment]:
        """Snapshot of the comments (ascending id), optionally of one issue/PR."""
        with self._lock:
            st = self._require(repo)
            found = [
                c
                for c in st.comments.values()
                if issue_number is None or c.issue_number == issue_number
            ]
            return copy.deepcopy(sorted(found, key=lambda c: c.id))

    def comment(self, repo: str, comment_id: int) -> Comment | None:
        with self._lock:
            return copy.deepcopy(self._require(repo).comments.get(comment_id))

    # ---- git: commits, branches, tags ------------------------------------------------------------

    def add_commit(
        self,
        repo: str,
        sha: str | None = None,
        *,
        parents: Sequence[str] = (),
        message: str = "commit",
        files: Sequence[FileChange] = (),
        date: datetime | None = None,
        branch: str | None = None,
    ) -> str:
        """Register a commit (and move `branch` to it); returns its SHA."""
        with self._lock:
            st = self._require(repo)
            seq = self._next_id("commit")
            sha = (sha or fake_sha("commit", repo, seq)).lower()
            if not _HEX40.fullmatch(sha):
                raise ValueError(f"not a 40-hex SHA: {sha!r}")
            st.commits[sha] = Commit(
                sha, message, tuple(p.lower() for p in parents), [copy.copy(f) for f in files],
                date or self.clock.now(), seq=seq,
            )  # fmt: skip
            if branch is not None:
                st.refs[f"heads/{branch}"] = sha
            return sha

    def add_branch(self, repo: str, name: str, sha: str) -> None:
        """Point `refs/heads/<name>` at commit `sha` (registered if unknown)."""
        self.set_ref(repo, f"heads/{name}", sha)

    def add_tag(
        self,
        repo: str,
        name: str,
        commit_sha: str,
        *,
        annotated: bool = False,
        message: str = "",
        tag_sha: str | None = None,
    ) -> str:
        """Create tag `name` on a commit (registered if unknown): lightweight, or annotated
        (a tag object the ref points at). Returns the SHA the ref points at."""
        with self._lock:
            st = self._require(repo)
            self._ensure_commit(st, commit_sha)
            target = commit_sha.lower()
            if annotated:
                target = self.add_tag_object(repo, name, target, sha=tag_sha, message=message)
            st.refs[f"tags/{name}"] = target
            return target

    def add_tag_object(
        self,
        repo: str,
        tag: str,
        object_sha: str,
        *,
        object_type: Literal["commit", "tag"] = "commit",
        sha: str | None = None,
        message: str = "",
    ) -> str:
        """Low level: an annotated tag object (tags of tags allowed); returns its SHA."""
        with self._lock:
            st = self._require(repo)
            sha = (sha or fake_sha("tag", repo, tag, object_sha)).lower()
            st.tags[sha] = GitTag(
                sha, tag, object_sha.lower(), object_type, message, self.clock.now()
            )
            return sha

    def set_ref(self, repo: str, ref: str, sha: str) -> None:
        """Point `ref` (`heads/x` or `tags/x`, `refs/` optional) at a commit or tag object."""
        with self._lock:
            st = self._require(repo)
            if sha.lower() not in st.tags:
                self._ensure_commit(st, sha)
            st.refs[ref.removeprefix("refs/")] = sha.lower()

    # ---- actions: workflows, runs, artifacts ------------------------------------------------------

    def add_workflow(
        self,
        repo: str,
        path: str = ".github/workflows/ci.yml",
        *,
        name: str | None = None,
        workflow_id: int | None = None,
    ) -> int:
        """Register a workflow file (runs register theirs automatically); returns its id."""
        with self._lock:
            st = self._require(repo)
            for w in st.workflows.values():
                if w.path == path:
                    return w.id
            wid = self._claim("workflow", workflow_id)
            default_name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].upper()
            st.workflows[wid] = Workflow(wid, name or default_name, path)
            return wid

    def add_run(
        self,
        repo: str,
        *,
        head_sha: str,
        head_branch: str | None = None,
        run_id: int | None = None,
        event: str = "push",
        status: str = "completed",
        conclusion: str | None = "success",
        workflow: str = ".github/workflows/ci.yml",
        name: str | None = None,
        head_repository: str | None = None,
        head_repository_id: int | None = None,
        actor: str = "mona",
        run_number: int | None = None,
        run_attempt: int = 1,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        pull_requests: Sequence[int] = (),
        display_title: str = "",
        check_suite_id: int | None = None,
    ) -> int:
        """Register a workflow run (newest-first order follows `created_at`, then id).

        `head_repository` (`owner/name`) or `head_repository_id` mark a fork's run; default is
        the repository itself. Returns the run id (> 2^31).
        """
        with self._lock:
            st = self._require(repo)
            rid = self._claim("run", run_id)
            wid = self.add_workflow(repo, workflow, name=name)
            wf = st.workflows[wid]
            head_name, head_id = self._head_repo(st, head_repository, head_repository_id)
            created = created_at or self.clock.now()
            number = run_number or 1 + sum(1 for r in st.runs.values() if r.workflow_id == wid)
            st.runs[rid] = WorkflowRun(
                id=rid,
                repo=st.repo.key,
                workflow_id=wid,
                name=wf.name,
                path=wf.path,
                head_branch=head_branch if head_branch is not None else st.repo.default_branch,
                head_sha=head_sha.lower(),
                head_repository_id=head_id,
                head_repository=head_name,
                event=event,
                status=status,
                conclusion=conclusion if status == "completed" else None,
                run_number=number,
                run_attempt=run_attempt,
                actor=User(actor, self._owner_id(actor)),
                created_at=created,
                updated_at=updated_at or created,
                display_title=display_title,
                pull_requests=tuple(pull_requests),
                check_suite_id=check_suite_id or self._next_id("check_suite"),
            )
            if head_id == st.repo.id:
                self._ensure_commit(st, head_sha)
            return rid

    def update_run(self, run_id: int, **fields: Any) -> None:
        """Change fields of a run, e.g. `update_run(rid, status="completed", conclusion="failure")`."""
        with self._lock:
            run = self._run(run_id)
            for key, value in fields.items():
                if not hasattr(run, key):
                    raise AttributeError(f"WorkflowRun has no field {key!r}")
                setattr(run, key, value)

    def run(self, run_id: int) -> WorkflowRun:
        with self._lock:
            return copy.deepcopy(self._run(run_id))

    def runs(self, repo: str) -> list[WorkflowRun]:
        with self._lock:
            return copy.deepcopy(list(self._require(repo).runs.values()))

    def add_artifact(
        self,
        repo: str,
        name: str,
        data: bytes,
        *,
        run_id: int,
        head_branch: str | None = None,
        head_sha: str | None = None,
        event: str | None = None,
        head_repository_id: int | None = None,
        expired: bool = False,
        created_at: datetime | None = None,
        content_type: str = "application/zip",
        filename: str | None = None,
        conclusion: str | None = None,
        artifact_id: int | None = None,
        digest: str | None = "auto",
        expires_at: datetime | None = None,
        retention_days: float = 90,
    ) -> int:
        """Store an artifact with exactly `data`; returns its id (> 2^31).

        The run `run_id` is created when missing (then `head_sha` is required; `head_branch`
        defaults to the default branch, `event` to push, `conclusion` to success). For an
        existing run, `head_*` arguments must match it and `event`/`conclusion`, when given,
        update it. `digest="auto"` stores `sha256:<hex>` of `data`; pass None for a v3-style
        artifact. Un-archived artifacts (upload-artifact v7 `archive: false`) use the file's
        `content_type` and `filename` (default: `name`). Thread-safe.
        """
        with self._lock:
            st = self._require(repo)
            run = st.runs.get(run_id)
            if run is None:
                if run_id in self._used_ids["run"]:
                    raise ValueError(f"run {run_id} belongs to another repository")
                if head_sha is None:
                    raise ValueError(f"run {run_id} does not exist; pass head_sha to create it")
                self.add_run(
                    repo,
                    run_id=run_id,
                    head_sha=head_sha,
                    head_branch=head_branch,
                    event=event or "push",
                    conclusion=conclusion or "success",
                    head_repository_id=head_repository_id,
                    created_at=created_at,
                )
                run = st.runs[run_id]
            else:
                given = {"head_sha": head_sha, "head_branch": head_branch,
                         "head_repository_id": head_repository_id}  # fmt: skip
                for key, value in given.items():
                    if value is not None and value != getattr(run, key):
                        raise ValueError(f"{key}={value!r} differs from run {run_id}'s")
                if event is not None:
                    run.event = event
                if conclusion is not None:
                    run.conclusion, run.status = conclusion, "completed"
            created = created_at or self.clock.now()
            run.updated_at = max(run.updated_at, created)
            aid = self._claim("artifact", artifact_id)
            art = Artifact(
                id=aid,
                repo=st.repo.key,
                name=name,
                data=bytes(data),
                digest=(
                    f"sha256:{hashlib.sha256(data).hexdigest()}" if digest == "auto" else digest
                ),
                run_id=run_id,
                head_branch=run.head_branch,
                head_sha=run.head_sha,
                head_repository_id=run.head_repository_id,
                created_at=created,
                expires_at=expires_at or created + timedelta(days=retention_days),
                content_type=content_type,
                filename=filename,
                expired=expired,
            )
            art.blob_path = blob_path(art)
            st.artifacts[aid] = art
            self._blobs[art.blob_path] = (st.repo.key, aid)
            return aid

    def remove_artifact(self, artifact_id: int) -> bool:
        """Delete an artifact and its blob (later REST GET → 404); False if unknown."""
        with self._lock:
            for st in self._repos.values():
                art = st.artifacts.pop(artifact_id, None)
                if art is not None:
                    self._blobs.pop(art.blob_path, None)
                    return True
            return False

    def expire_artifact(self, artifact_id: int) -> None:
        """Mark an artifact expired: still listed with `expired: true`, download → 410."""
        with self._lock:
            self._artifact(artifact_id).expired = True

    def artifact(self, artifact_id: int) -> Artifact | None:
        with self._lock:
            for st in self._repos.values():
                if artifact_id in st.artifacts:
                    return copy.deepcopy(st.artifacts[artifact_id])
            return None

    def artifacts(self, repo: str) -> list[Artifact]:
        with self._lock:
            return copy.deepcopy(list(self._require(repo).artifacts.values()))

    def check_runs(self, repo: str) -> list[CheckRun]:
        with self._lock:
            return copy.deepcopy(list(self._require(repo).check_runs.values()))

    def statuses(self, repo: str) -> list[CommitStatus]:
        with self._lock:
            return copy.deepcopy(self._require(repo).statuses)

    # ---- faults, request log ----------------------------------------------------------------------

    def inject(self, target: str, *faults: Fault, persistent: bool = False) -> FaultRule:
        """Arm faults for a route name (`"create_comment"`, `"storage_download"`, ...) or a
        `"METHOD regex"` target; queued faults fire one per request, in order. See `faults`."""
        return self.faults.inject(target, *faults, persistent=persistent)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far (API and storage), in arrival order."""
        return self.log.all()

    def requests_for(
        self, route: str | None = None, *, method: str | None = None, host: str | None = None
    ) -> list[RecordedRequest]:
        """Recorded requests filtered by route name, method and/or host (`api`/`storage`)."""
        return [
            r
            for r in self.log.all()
            if (route is None or r.route == route)
            and (method is None or r.method == method.upper())
            and (host is None or r.host == host)
        ]

    def clear_requests(self) -> None:
        self.log.clear()

    def record_request(
        self,
        host: str,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        route: str | None = None,
    ) -> RecordedRequest:
        """Append to the shared log (for other fakes, e.g. the artifact upload service)."""
        return self.log.record(host, method, path, tuple(query), tuple(headers), body, route)

    @property
    def storage_violations(self) -> list[RecordedRequest]:
        """Storage requests that carried an `Authorization` header (must stay empty)."""
        with self._lock:
            return list(self._violations)

    # ---- internals used by the apps -----------------------------------------------------------

    def _next_id(self, kind: str) -> int:
        with self._lock:
            while True:
                value = next(self._counters[kind])
                if value not in self._used_ids[kind]:
                    self._used_ids[kind].add(value)
                    return value

    def _claim(self, kind: str, wanted: int | None) -> int:
        if wanted is None:
            return self._next_id(kind)
        with self._lock:
            if wanted in self._used_ids[kind]:
                raise ValueError(f"{kind} id {wanted} is already used")
            self._used_ids[kind].add(wanted)
            return wanted

    def _owner_id(self, login: str) -> int:
        with self._lock:
            for st in self._repos.values():
                if st.repo.owner.login.lower() == login.lower():
                    return st.repo.owner.id
            return synthetic_repo_id(f"user:{login}")

    def _bucket(self, token: str | None) -> Token:
        if token is None:
            return self._anonymous
        if token not in self._tokens:
            raise KeyError(f"unknown token {token!r}")
        return self._tokens[token]

    def _identify(self, authorization: str | None) -> tuple[Token | None, bool]:
        """(token, bad): the registered token, or None; `bad` for unknown/malformed ones."""
        if not authorization:
            return None, False
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() not in {"token", "bearer"} or not value.strip():
            return None, True
        with self._lock:
            token = self._tokens.get(value.strip())
        return token, token is None

    def _consume(self, bucket: Token) -> bool:
        """Count one request; True when the budget was already exhausted (nothing counted)."""
        with self._lock:
            now = self.clock.time()
            if now >= bucket.rate_reset:
                bucket.rate_used, bucket.rate_reset = 0, now + 3600
            if bucket.rate_used >= bucket.rate_limit:
                return True
            bucket.rate_used += 1
            return False

    def _refund(self, bucket: Token) -> None:
        with self._lock:
            bucket.rate_used = max(0, bucket.rate_used - 1)

    def _state(self, key: str | int) -> RepoState | None:
        with self._lock:
            if isinstance(key, int):
                name = self._repo_ids.get(key)
                return self._repos.get(name) if name else None
            return self._repos.get(key.lower())

    def _lookup(self, key: str | int) -> Repository | None:
        st = self._state(key)
        return st.repo if st else None

    def _require(self, repo: str) -> RepoState:
        st = self._state(repo)
        if st is None:
            raise KeyError(f"unknown repository {repo!r}; call add_repo() first")
        return st

    def _pull(self, repo: str, number: int) -> PullRequest:
        st = self._require(repo)
        if number not in st.pulls:
            raise KeyError(f"unknown pull request {repo}#{number}")
        return st.pulls[number]

    def _run(self, run_id: int) -> WorkflowRun:
        for st in self._repos.values():
            if run_id in st.runs:
                return st.runs[run_id]
        raise KeyError(f"unknown run {run_id}")

    def _artifact(self, artifact_id: int) -> Artifact:
        for st in self._repos.values():
            if artifact_id in st.artifacts:
                return st.artifacts[artifact_id]
        raise KeyError(f"unknown artifact {artifact_id}")

    def _head_repo(self, st: RepoState, name: str | None, rid: int | None) -> tuple[str, int]:
        if name is None and rid is None:
            return st.repo.full_name, st.repo.id
        if name is not None:
            found = self._lookup(name)
            return (found.full_name, found.id) if found else (name, rid or synthetic_repo_id(name))
        assert rid is not None
        found = self._lookup(rid)
        return (found.full_name, rid) if found else (f"fork-{rid}/{st.repo.name}", rid)

    def _ensure_commit(self, st: RepoState, sha: str) -> None:
        sha = sha.lower()
        if sha not in st.commits and _HEX40.fullmatch(sha):
            st.commits[sha] = Commit(sha, seq=self._next_id("commit"), date=self.clock.now())

    def _all_commits(self) -> dict[str, Commit]:
        merged: dict[str, Commit] = {}
        for st in self._repos.values():
            merged.update(st.commits)
        return merged

    def _ancestors(self, sha: str) -> list[str]:
        """`sha` and its ancestors, breadth-first (nearest first)."""
        commits = self._all_commits()
        order, seen, queue = [], {sha}, [sha]
        while queue:
            current = queue.pop(0)
            order.append(current)
            for parent in commits[current].parents if current in commits else ():
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return order

    def _resolve(self, st: RepoState, ref: str) -> str | None:
        """A ref, tag, branch or (abbreviated) SHA → commit SHA, peeling annotated tags."""

        def peel(sha: str) -> str | None:
            for _ in range(10):
                if sha not in st.tags:
                    break
                sha = st.tags[sha].object_sha
            return sha if sha in st.commits else None

        name = ref.removeprefix("refs/")
        for candidate in (name, f"heads/{name}", f"tags/{name}"):
            if candidate in st.refs:
                return peel(st.refs[candidate])
        low = ref.lower()
        if low in st.commits:
            return low
        if re.fullmatch(r"[0-9a-f]{4,39}", low):
            hits = [sha for sha in st.commits if sha.startswith(low)]
            if len(hits) == 1:
                return hits[0]
        return None

    def _storage_url_for(self, artifact: Artifact) -> str:
        expiry = iso(self.clock.now() + timedelta(seconds=self.storage_url_ttl))
        query = signed_query(self._storage_secret, artifact.blob_path, expiry)
        return f"{self.storage_url}{artifact.blob_path}?{query}"

    def _blob(self, path: str) -> Artifact | None:
        with self._lock:
            key = self._blobs.get(path)
            if key is None:
                return None
            return self._repos[key[0]].artifacts.get(key[1])

    def _storage_violation(self, record: RecordedRequest) -> None:
        with self._lock:
            self._violations.append(record)
