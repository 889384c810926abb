"""JSON shapes of the REST objects (contract C.4), built from the fake's state.

Every absolute API URL starts with `base` (the fake's base URL, GHES prefix included) and uses
the `/repos/{owner}/{repo}/...` form; `html_url`s point at https://github.com.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.fakegithub.model import (
    Artifact,
    CheckRun,
    Comment,
    Commit,
    CommitStatus,
    FileChange,
    GitTag,
    Issue,
    PullRequest,
    Repository,
    User,
    Workflow,
    WorkflowRun,
    iso,
)

JSON = dict[str, Any]
HTML = "https://github.com"

#: Looks a repository up by full name (case-insensitive) or id; None when unknown.
RepoLookup = Callable[[str | int], Repository | None]


def repo_url(base: str, repo: Repository) -> str:
    return f"{base}/repos/{repo.full_name}"


def synthetic_repo_id(full_name: str) -> int:
    """A stable id for a repository the fake only knows by name (e.g. a fork)."""
    return 500_000 + zlib.crc32(full_name.lower().encode()) % 400_000


def repository(base: str, repo: Repository) -> JSON:
    url = repo_url(base, repo)
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "visibility": "private" if repo.private else "public",
        "fork": repo.fork,
        "default_branch": repo.default_branch,
        "owner": repo.owner.json(),
        "url": url,
        "html_url": f"{HTML}/{repo.full_name}",
        "pulls_url": f"{url}/pulls{{/number}}",
        "issues_url": f"{url}/issues{{/number}}",
        "issue_comment_url": f"{url}/issues/comments{{/number}}",
        "commits_url": f"{url}/commits{{/sha}}",
        "compare_url": f"{url}/compare/{{base}}...{{head}}",
        "git_refs_url": f"{url}/git/refs{{/sha}}",
        "git_tags_url": f"{url}/git/tags{{/sha}}",
        "statuses_url": f"{url}/statuses/{{sha}}",
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.created_at),
        "pushed_at": iso(repo.created_at),
        "archived": False,
        "disabled": False,
    }


def foreign_repository(base: str, full_name: str, *, fork: bool) -> JSON:
    """A minimal repository object for a repository the fake was not told about."""
    owner, _, name = full_name.partition("/")
    rid = synthetic_repo_id(full_name)
    return {
        "id": rid,
        "node_id": f"R_{rid}",
        "name": name,
        "full_name": full_name,
        "private": False,
        "fork": fork,
        "default_branch": "main",
        "owner": User(owner, synthetic_repo_id(owner)).json(),
        "url": f"{base}/repos/{full_name}",
        "html_url": f"{HTML}/{full_name}",
    }


def repo_ref(base: str, lookup: RepoLookup, full_name: str, *, fork: bool) -> JSON:
    found = lookup(full_name)
    return repository(base, found) if found else foreign_repository(base, full_name, fork=fork)


def file_change(repo: Repository, head: str, ref: str, change: FileChange, base: str) -> JSON:
    path = quote(change.filename)
    doc: JSON = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.changes,
        "blob_url": f"{HTML}/{head}/blob/{ref}/{path}",
        "raw_url": f"{HTML}/{head}/raw/{ref}/{path}",
        "contents_url": f"{repo_url(base, repo)}/contents/{path}?ref={ref}",
    }
    if change.patch is not None:
        doc["patch"] = change.patch
    if change.previous_filename is not None:
        doc["previous_filename"] = change.previous_filename
    return doc


def pull_request(
    base: str, repo: Repository, pr: PullRequest, lookup: RepoLookup, api_version: str
) -> JSON:
    url = repo_url(base, repo)
    head_owner = pr.head_repo.split("/")[0] if pr.head_repo else "ghost"
    head_repo = (
        repo_ref(base, lookup, pr.head_repo, fork=pr.head_repo.lower() != repo.key)
        if pr.head_repo
        else None
    )
    doc: JSON = {
        "url": f"{url}/pulls/{pr.number}",
        "id": pr.id,
        "node_id": f"PR_{pr.id}",
        "html_url": f"{HTML}/{repo.full_name}/pull/{pr.number}",
        "diff_url": f"{HTML}/{repo.full_name}/pull/{pr.number}.diff",
        "patch_url": f"{HTML}/{repo.full_name}/pull/{pr.number}.patch",
        "issue_url": f"{url}/issues/{pr.number}",
        "commits_url": f"{url}/pulls/{pr.number}/commits",
        "review_comments_url": f"{url}/pulls/{pr.number}/comments",
        "comments_url": f"{url}/issues/{pr.number}/comments",
        "statuses_url": f"{url}/statuses/{pr.head_sha}",
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": pr.user.json(),
        "body": pr.body,
        "labels": [],
        "created_at": iso(pr.created_at),
        "updated_at": iso(pr.updated_at),
        "closed_at": None if pr.state == "open" else iso(pr.updated_at),
        "merged_at": iso(pr.updated_at) if pr.merged else None,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "draft": pr.draft,
        "head": {
            "label": f"{head_owner}:{pr.head_ref}",
            "ref": pr.head_ref,
            "sha": pr.head_sha,
            "user": User(head_owner, synthetic_repo_id(head_owner)).json(),
            "repo": head_repo,
        },
        "base": {
            "label": f"{repo.owner.login}:{pr.base_ref}",
            "ref": pr.base_ref,
            "sha": pr.base_sha,
            "user": repo.owner.json(),
            "repo": repository(base, repo),
        },
        "author_association": "CONTRIBUTOR",
        "merged": pr.merged,
        "mergeable": pr.mergeable,
        "mergeable_state": "clean" if pr.mergeable else "unknown",
        "comments": 0,
        "review_comments": 0,
        "commits": pr.commits,
        "additions": pr.additions,
        "deletions": pr.deletions,
        "changed_files": pr.changed_files,
    }
    if api_version >= "2026-03-10":
        del doc["merge_commit_sha"], doc["assignee"]
    return doc


def issue(base: str, repo: Repository, item: Issue | PullRequest, comments: int) -> JSON:
    url = repo_url(base, repo)
    doc: JSON = {
        "url": f"{url}/issues/{item.number}",
        "repository_url": url,
        "comments_url": f"{url}/issues/{item.number}/comments",
        "html_url": f"{HTML}/{repo.full_name}/issues/{item.number}",
        "id": item.id,
        "node_id": f"I_{item.id}",
        "number": item.number,
        "title": item.title,
        "user": item.user.json(),
        "state": item.state,
        "locked": False,
        "labels": [],
        "assignees": [],
        "comments": comments,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.created_at),
    }
    if isinstance(item, PullRequest):
        doc["pull_request"] = {
            "url": f"{url}/pulls/{item.number}",
            "html_url": f"{HTML}/{repo.full_name}/pull/{item.number}",
        }
    return doc


def comment(base: str, repo: Repository, c: Comment) -> JSON:
    url = repo_url(base, repo)
    return {
        "id": c.id,
        "node_id": f"IC_{c.id}",
        "url": f"{url}/issues/comments/{c.id}",
        "html_url": f"{HTML}/{repo.full_name}/pull/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{url}/issues/{c.issue_number}",
        "body": c.body,
        "user": c.user.json(),
        "author_association": c.author_association,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "reactions": {"total_count": 0},
    }


def commit(base: str, repo: Repository, c: Commit, files: list[JSON] | None = None) -> JSON:
    url = repo_url(base, repo)
    author = {"name": c.author_name, "email": c.author_email, "date": iso(c.date)}
    changes = c.files
    additions = sum(f.additions or 0 for f in changes)
    deletions = sum(f.deletions or 0 for f in changes)
    doc: JSON = {
        "sha": c.sha,
        "node_id": f"C_{c.sha}",
        "url": f"{url}/commits/{c.sha}",
        "html_url": f"{HTML}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{url}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{url}/git/commits/{c.sha}",
            "author": author,
            "committer": author,
            "message": c.message,
            "tree": {"sha": c.sha[::-1], "url": f"{url}/git/trees/{c.sha[::-1]}"},
            "comment_count": 0,
            "verification": {"verified": False, "reason": "unsigned"},
        },
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": p,
                "url": f"{url}/commits/{p}",
                "html_url": f"{HTML}/{repo.full_name}/commit/{p}",
            }
            for p in c.parents
        ],
        "stats": {"total": additions + deletions, "additions": additions, "deletions": deletions},
    }
    if files is not None:
        doc["files"] = files
    return doc


def git_object_url(base: str, repo: Repository, kind: str, sha: str) -> str:
    return f"{repo_url(base, repo)}/git/{'tags' if kind == 'tag' else 'commits'}/{sha}"


def git_ref(base: str, repo: Repository, ref: str, sha: str, kind: str) -> JSON:
    return {
        "ref": f"refs/{ref}",
        "node_id": f"REF_{quote(ref, safe='')}",
        "url": f"{repo_url(base, repo)}/git/refs/{ref}",
        "object": {"type": kind, "sha": sha, "url": git_object_url(base, repo, kind, sha)},
    }


def git_tag(base: str, repo: Repository, t: GitTag) -> JSON:
    return {
        "node_id": f"TAG_{t.sha}",
        "tag": t.tag,
        "sha": t.sha,
        "url": git_object_url(base, repo, "tag", t.sha),
        "message": t.message,
        "tagger": {"name": "Mona Lisa", "email": "mona@example.com", "date": iso(t.date)},
        "object": {
            "type": t.object_type,
            "sha": t.object_sha,
            "url": git_object_url(base, repo, t.object_type, t.object_sha),
        },
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def workflow(base: str, repo: Repository, w: Workflow) -> JSON:
    url = repo_url(base, repo)
    return {
        "id": w.id,
        "node_id": f"W_{w.id}",
        "name": w.name,
        "path": w.path,
        "state": w.state,
        "created_at": iso(repo.created_at),
        "updated_at": iso(repo.created_at),
        "url": f"{url}/actions/workflows/{w.id}",
        "html_url": f"{HTML}/{repo.full_name}/blob/{repo.default_branch}/{w.path}",
        "badge_url": f"{HTML}/{repo.full_name}/workflows/{quote(w.name)}/badge.svg",
    }


def workflow_run(
    base: str, repo: Repository, run: WorkflowRun, lookup: RepoLookup, *, with_prs: bool = True
) -> JSON:
    url = repo_url(base, repo)
    run_url = f"{url}/actions/runs/{run.id}"
    head = lookup(run.head_repository_id) or lookup(run.head_repository)
    head_repo = (
        repository(base, head)
        if head
        else {
            **foreign_repository(base, run.head_repository, fork=True),
            "id": run.head_repository_id,
        }
    )
    prs = [
        {
            "url": f"{url}/pulls/{n}",
            "id": 2_100_000_000 + n,
            "number": n,
            "head": {"ref": run.head_branch, "sha": run.head_sha, "repo": {"id": repo.id}},
            "base": {"ref": repo.default_branch, "sha": run.head_sha, "repo": {"id": repo.id}},
        }
        for n in run.pull_requests
    ]
    return {
        "id": run.id,
        "name": run.name,
        "node_id": f"WFR_{run.id}",
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.path,
        "display_title": run.display_title or run.name,
        "run_number": run.run_number,
        "run_attempt": run.run_attempt,
        "event": run.event,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow_id,
        "check_suite_id": run.check_suite_id,
        "check_suite_node_id": f"CS_{run.check_suite_id}",
        "url": run_url,
        "html_url": f"{HTML}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": prs if with_prs else [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "run_started_at": iso(run.created_at),
        "actor": run.actor.json(),
        "triggering_actor": run.actor.json(),
        "jobs_url": f"{run_url}/jobs",
        "logs_url": f"{run_url}/logs",
        "check_suite_url": f"{url}/check-suites/{run.check_suite_id}",
        "artifacts_url": f"{run_url}/artifacts",
        "cancel_url": f"{run_url}/cancel",
        "rerun_url": f"{run_url}/rerun",
        "workflow_url": f"{url}/actions/workflows/{run.workflow_id}",
        "head_commit": {"id": run.head_sha, "tree_id": run.head_sha[::-1], "message": ""},
        "repository": repository(base, repo),
        "head_repository": head_repo,
    }


def artifact(base: str, repo: Repository, a: Artifact) -> JSON:
    url = f"{repo_url(base, repo)}/actions/artifacts/{a.id}"
    return {
        "id": a.id,
        "node_id": f"MDg6QXJ0aWZhY3Q{a.id}",
        "name": a.name,
        "size_in_bytes": a.size_in_bytes,
        "url": url,
        "archive_download_url": f"{url}/zip",
        "expired": a.expired,
        "created_at": iso(a.created_at),
        "updated_at": iso(a.created_at),
        "expires_at": iso(a.expires_at),
        "digest": a.digest,
        "workflow_run": {
            "id": a.run_id,
            "repository_id": repo.id,
            "head_repository_id": a.head_repository_id,
            "head_branch": a.head_branch,
            "head_sha": a.head_sha,
        },
    }


def check_run(base: str, repo: Repository, c: CheckRun) -> JSON:
    url = f"{repo_url(base, repo)}/check-runs/{c.id}"
    output = {
        "title": c.output.get("title"),
        "summary": c.output.get("summary"),
        "text": c.output.get("text"),
        "annotations_count": len(c.annotations),
        "annotations_url": f"{url}/annotations",
    }
    return {
        "id": c.id,
        "node_id": f"CR_{c.id}",
        "head_sha": c.head_sha,
        "external_id": c.external_id,
        "url": url,
        "html_url": f"{HTML}/{repo.full_name}/runs/{c.id}",
        "details_url": c.details_url,
        "status": c.status,
        "conclusion": c.conclusion,
        "started_at": iso(c.started_at) if c.started_at else None,
        "completed_at": iso(c.completed_at) if c.completed_at else None,
        "output": output,
        "name": c.name,
        "check_suite": {"id": 7_700_000_000 + c.id % 1000},
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
        "pull_requests": [],
    }


def commit_status(base: str, repo: Repository, s: CommitStatus) -> JSON:
    return {
        "url": f"{repo_url(base, repo)}/statuses/{s.sha}",
        "id": s.id,
        "node_id": f"SC_{s.id}",
        "state": s.state,
        "description": s.description,
        "target_url": s.target_url,
        "context": s.context,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.created_at),
        "creator": s.creator.json(),
    }
