"""The run's GitHub context from GITHUB_* variables and the event payload.

Pure: takes the environment mapping and the payload bytes. Malformed values degrade to "not a
pull request" with a reason rather than failing; only what the run cannot do without is an
error, and the caller decides that.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_SHA = re.compile(r"[0-9a-f]{40}")
# owner/name as GitHub allows them (an owner has no dot; `_` for managed users' logins, as
# edges/github_rest.py), ASCII only: the value goes into every API path unquoted.
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}/[A-Za-z0-9_.-]{1,100}", re.ASCII)
_URL = re.compile(r"(https?)://([A-Za-z0-9.\-\[\]:]+)(/[A-Za-z0-9._~/%-]*)?", re.ASCII)
_LOOPBACK = re.compile(r"(?:localhost|127(?:\.[0-9]{1,3}){3}|\[::1\])(?::[0-9]{1,5})?", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
MAX_EVENT_BYTES = 25 * 1024 * 1024
KNOWN_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "push", "workflow_dispatch", "schedule", "workflow_run"}
)


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    base_ref: str
    base_sha: str
    head_sha: str
    head_ref: str
    head_repo: str  # "" when the head repository was deleted
    is_fork: bool
    changed_files: int


@dataclass(frozen=True, slots=True)
class GitHubContext:
    actions: bool
    event_name: str
    repository: str
    api_url: str
    server_url: str
    run_id: str
    sha: str
    default_branch: str
    push_branch: str  # the branch a push / dispatch / schedule ran on, "" otherwise
    pull_request: PullRequest | None
    workflow_run: Mapping[str, Any] | None
    notes: tuple[str, ...] = ()

    @property
    def run_url(self) -> str:
        if not (self.server_url and self.repository and self.run_id.isdigit()):
            return ""
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    @property
    def on_default_branch(self) -> bool:
        return bool(self.push_branch) and self.push_branch == self.default_branch


def _sha(value: Any) -> str:
    return value if isinstance(value, str) and _SHA.fullmatch(value) else ""


def _str(value: Any, limit: int = 255) -> str:
    """A short single-line string, else "": refs and names never hold control characters."""
    if not isinstance(value, str) or len(value) > limit or _CONTROL.search(value):
        return ""
    return value


def _digits(value: str, limit: int = 24) -> str:
    return value if value.isascii() and value.isdigit() and len(value) < limit else ""


def _api_url(value: str, notes: list[str]) -> str:
    """GITHUB_API_URL if it is a plain https URL (http only on loopback, for tests), else ""."""
    url = value.rstrip("/")
    m = _URL.fullmatch(url)
    if m is None:
        notes.append("GITHUB_API_URL is malformed; API calls are skipped")
        return ""
    if m.group(1) == "http" and not _LOOPBACK.fullmatch(m.group(2)):
        notes.append(
            "GITHUB_API_URL is not https; API calls are skipped so the token is never sent "
            "unencrypted"
        )
        return ""
    return url


def _repository(value: str, actions: bool, notes: list[str]) -> str:
    """GITHUB_REPOSITORY if it is an owner/name GitHub could have, else "" and a note why."""
    if not value:
        if actions:
            notes.append(
                "GITHUB_REPOSITORY is not set (the runner sets it to owner/name): API calls are "
                "skipped"
            )
        return ""
    if _REPO.fullmatch(value) and value.partition("/")[2] not in (".", ".."):
        return value
    shown = ascii(value[:100]) + ("..." if len(value) > 100 else "")
    notes.append(
        f"GITHUB_REPOSITORY {shown} is not owner/name (an owner of letters, digits, '-' or '_', "
        "a name of letters, digits, '-', '_' or '.', at most 100 characters each): API calls "
        "are skipped"
    )
    return ""


def _dig(doc: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc


def load_event(data: bytes | None, unread: str = "") -> tuple[dict[str, Any], str]:
    """The payload as a dict, or {} and why it could not be read (`unread`: why the file gave
    no bytes, when it exists)."""
    if data is None:
        return {}, unread or "no event payload (GITHUB_EVENT_PATH is unset or missing)"
    if len(data) > MAX_EVENT_BYTES:
        return {}, "the event payload is too large to read"
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return {}, "the event payload is not valid JSON"
    if not isinstance(doc, dict):
        return {}, "the event payload is not a JSON object"
    return doc, ""


def from_environ(
    environ: Mapping[str, str], event_data: bytes | None, unread: str = ""
) -> GitHubContext:
    notes = []
    actions = environ.get("GITHUB_ACTIONS") == "true"
    event, why = load_event(event_data, unread)
    if why and actions:
        notes.append(why)
    raw_name = environ.get("GITHUB_EVENT_NAME", "")
    name = _str(raw_name, 64)
    if actions and raw_name and not name:
        notes.append(
            f"GITHUB_EVENT_NAME {raw_name[:40]!r} is not an event name (a line break, a control "
            "character or over 64 characters): coverage is reported in the job summary, with no "
            "comment and no baseline"
        )
    if actions and name == "pull_request_target":
        notes.append(
            "pull_request_target runs with a write token and the repository's secrets: covaction "
            "reads the workspace as data only, but a workflow that checks out the pull "
            "request's code here runs it with those secrets; use pull_request, and a "
            "workflow_run workflow for the comment (see SECURITY.md)"
        )
    elif actions and name and name not in KNOWN_EVENTS:
        notes.append(
            f"event {name!r} is neither a pull request nor a push: coverage is reported in the "
            "job summary, with no comment and no baseline"
        )
    repository = _repository(environ.get("GITHUB_REPOSITORY", ""), actions, notes)
    api_url = _api_url(environ.get("GITHUB_API_URL", "https://api.github.com"), notes)
    server_url = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    if not _URL.fullmatch(server_url):
        server_url = ""
    run_id = _digits(environ.get("GITHUB_RUN_ID", ""))
    default_branch = _str(_dig(event, "repository", "default_branch"))
    pr = None
    push_branch = ""
    workflow_run = None
    if name in ("pull_request", "pull_request_target"):
        pr = _pull_request(event)
        if pr is None:
            notes.append(f"the {name} payload has no usable pull_request")
    elif name in ("push", "workflow_dispatch", "schedule"):
        ref = _str(environ.get("GITHUB_REF", "")) or _str(event.get("ref"))
        if ref.startswith("refs/heads/") and not event.get("deleted"):
            push_branch = ref[len("refs/heads/") :]
    elif name == "workflow_run":
        run = event.get("workflow_run")
        workflow_run = run if isinstance(run, dict) else None
    # A push's `after` is its commit, except on a push that deletes a branch or tag: then it is
    # 40 zeros (GitHub's push webhook example) and GITHUB_SHA names the run's commit.
    after = _sha(event.get("after")) if name == "push" and event.get("deleted") is not True else ""
    sha = (after if after.strip("0") else "") or _sha(environ.get("GITHUB_SHA", ""))
    sha = sha if sha.strip("0") else ""  # 40 zeros names no commit
    return GitHubContext(
        actions=actions,
        event_name=name,
        repository=repository,
        api_url=api_url,
        server_url=server_url,
        run_id=run_id,
        sha=sha,
        default_branch=default_branch,
        push_branch=push_branch,
        pull_request=pr,
        workflow_run=workflow_run,
        notes=tuple(notes),
    )


def _pull_request(event: Mapping[str, Any]) -> PullRequest | None:
    pr = event.get("pull_request")
    number = event.get("number", _dig(pr, "number"))
    # GitHub's pull request numbers are 32-bit integers (int in the REST API's schema).
    if not isinstance(pr, dict) or type(number) is not int or not 0 < number < 2**31:
        return None
    base_repo = _str(_dig(pr, "base", "repo", "full_name"))
    head_repo_obj = _dig(pr, "head", "repo")
    head_repo = _str(_dig(head_repo_obj, "full_name")) if isinstance(head_repo_obj, dict) else ""
    # A deleted head repo, or another full name, is a fork; head.repo.fork alone is not trusted
    # (it is the head repository's own flag, see GitHub's pull_request webhook payload).
    is_fork = not head_repo or head_repo.lower() != base_repo.lower()
    changed = pr.get("changed_files")
    return PullRequest(
        number=number,
        base_ref=_str(_dig(pr, "base", "ref")),
        base_sha=_sha(_dig(pr, "base", "sha")),
        head_sha=_sha(_dig(pr, "head", "sha")),
        head_ref=_str(_dig(pr, "head", "ref")),
        head_repo=head_repo,
        is_fork=is_fork,
        changed_files=changed if type(changed) is int and changed >= 0 else 0,
    )
