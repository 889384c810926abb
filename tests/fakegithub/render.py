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


def user(base: str, u: User) -> JSON:
    """A `simple-user` with every field GitHub's description marks required."""
    url = f"{base}/users/{quote(u.login)}"
    return {
        "login": u.login,
        "id": u.id,
        "node_id": f"U_{u.id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{u.id}?v=4",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{HTML}/{quote(u.login)}",
        "followers_url": f"{url}/followers",
        "following_url": f"{url}/following{{/other_user}}",
        "gists_url": f"{url}/gists{{/gist_id}}",
        "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{url}/subscriptions",
        "organizations_url": f"{url}/orgs",
        "repos_url": f"{url}/repos",
        "events_url": f"{url}/events{{/privacy}}",
        "received_events_url": f"{url}/received_events",
        "type": u.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def reactions(url: str) -> JSON:
    """A `reaction-rollup` with no reactions."""
    counts = dict.fromkeys(
        ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket"), 0
    )
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


#: The `{...}` URL templates of `repository` / `minimal-repository` (suffix after the repo URL).
_REPO_URLS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def _repository(
    base: str, rid: int, full_name: str, owner: User, *, private: bool, fork: bool, branch: str,
    created: str,
) -> JSON:  # fmt: skip
    url = f"{base}/repos/{full_name}"
    html = f"{HTML}/{full_name}"
    return {
        "id": rid,
        "node_id": f"R_{rid}",
        "name": full_name.partition("/")[2],
        "full_name": full_name,
        "private": private,
        "visibility": "private" if private else "public",
        "fork": fork,
        "default_branch": branch,
        "owner": user(base, owner),
        "description": None,
        "homepage": None,
        "language": None,
        "license": None,
        "mirror_url": None,
        "url": url,
        "html_url": html,
        "clone_url": f"{html}.git",
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "svn_url": html,
        **{key: url + suffix for key, suffix in _REPO_URLS.items()},
        "created_at": created,
        "updated_at": created,
        "pushed_at": created,
        "size": 0,
        "forks": 0,
        "forks_count": 0,
        "open_issues": 0,
        "open_issues_count": 0,
        "stargazers_count": 0,
        "watchers": 0,
        "watchers_count": 0,
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
    }


def repository(base: str, repo: Repository) -> JSON:
    """A `repository` (also valid as `minimal-repository`)."""
    return _repository(
        base, repo.id, repo.full_name, repo.owner, private=repo.private, fork=repo.fork,
        branch=repo.default_branch, created=iso(repo.created_at),
    )  # fmt: skip


def full_repository(base: str, repo: Repository) -> JSON:
    """`GET /repos/{owner}/{repo}`: a `full-repository`."""
    return {**repository(base, repo), "network_count": 0, "subscribers_count": 0}


def foreign_repository(base: str, full_name: str, *, fork: bool) -> JSON:
    """A repository object for a repository the fake was not told about."""
    owner = full_name.partition("/")[0]
    return _repository(
        base, synthetic_repo_id(full_name), full_name, User(owner, synthetic_repo_id(owner)),
        private=False, fork=fork, branch="main", created="2020-01-01T00:00:00Z",
    )  # fmt: skip


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
        "review_comment_url": f"{url}/pulls/comments{{/number}}",
        "statuses_url": f"{url}/statuses/{pr.head_sha}",
        "number": pr.number,
        "state": pr.state,
        "locked": False,
        "title": pr.title,
        "user": user(base, pr.user),
        "body": pr.body,
        "labels": [],
        "created_at": iso(pr.created_at),
        "updated_at": iso(pr.updated_at),
        "closed_at": None if pr.state == "open" else iso(pr.updated_at),
        "merged_at": iso(pr.updated_at) if pr.merged else None,
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "requested_reviewers": [],
        "requested_teams": [],
        "draft": pr.draft,
        "head": {
            "label": f"{head_owner}:{pr.head_ref}",
            "ref": pr.head_ref,
            "sha": pr.head_sha,
            "user": user(base, User(head_owner, synthetic_repo_id(head_owner))),
            "repo": head_repo,
        },
        "base": {
            "label": f"{repo.owner.login}:{pr.base_ref}",
            "ref": pr.base_ref,
            "sha": pr.base_sha,
            "user": user(base, repo.owner),
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
        "auto_merge": None,
        "merged_by": None,
        "maintainer_can_modify": False,
        "_links": {
            "self": {"href": f"{url}/pulls/{pr.number}"},
            "html": {"href": f"{HTML}/{repo.full_name}/pull/{pr.number}"},
            "issue": {"href": f"{url}/issues/{pr.number}"},
            "comments": {"href": f"{url}/issues/{pr.number}/comments"},
            "review_comments": {"href": f"{url}/pulls/{pr.number}/comments"},
            "review_comment": {"href": f"{url}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/pulls/{pr.number}/commits"},
            "statuses": {"href": f"{url}/statuses/{pr.head_sha}"},
        },
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
        "events_url": f"{url}/issues/{item.number}/events",
        "labels_url": f"{url}/issues/{item.number}/labels{{/name}}",
        "html_url": f"{HTML}/{repo.full_name}/issues/{item.number}",
        "id": item.id,
        "node_id": f"I_{item.id}",
        "number": item.number,
        "title": item.title,
        "user": user(base, item.user),
        "state": item.state,
        "locked": False,
        "labels": [],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": comments,
        "created_at": iso(item.created_at),
        "updated_at": iso(item.created_at),
        "closed_at": None if item.state == "open" else iso(item.created_at),
    }
    if isinstance(item, PullRequest):
        doc["pull_request"] = {
            "url": f"{url}/pulls/{item.number}",
            "html_url": f"{HTML}/{repo.full_name}/pull/{item.number}",
            "diff_url": f"{HTML}/{repo.full_name}/pull/{item.number}.diff",
            "patch_url": f"{HTML}/{repo.full_name}/pull/{item.number}.patch",
            "merged_at": iso(item.updated_at) if item.merged else None,
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
        "user": user(base, c.user),
        "author_association": c.author_association,
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "reactions": reactions(f"{url}/issues/comments/{c.id}"),
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
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
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
    minimal = {"id": repo.id, "url": url, "name": repo.name}
    prs = [
        {
            "url": f"{url}/pulls/{n}",
            "id": 2_100_000_000 + n,
            "number": n,
            "head": {"ref": run.head_branch, "sha": run.head_sha, "repo": minimal},
            "base": {"ref": repo.default_branch, "sha": run.head_sha, "repo": minimal},
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
        "actor": user(base, run.actor),
        "triggering_actor": user(base, run.actor),
        "jobs_url": f"{run_url}/jobs",
        "logs_url": f"{run_url}/logs",
        "check_suite_url": f"{url}/check-suites/{run.check_suite_id}",
        "artifacts_url": f"{run_url}/artifacts",
        "cancel_url": f"{run_url}/cancel",
        "rerun_url": f"{run_url}/rerun",
        "workflow_url": f"{url}/actions/workflows/{run.workflow_id}",
        "head_commit": {
            "id": run.head_sha,
            "tree_id": run.head_sha[::-1],
            "message": "",
            "timestamp": iso(run.created_at),
            "author": {"name": "Mona Lisa", "email": "mona@example.com"},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
        },
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


def github_actions_app(base: str) -> JSON:
    """The `integration` that owns checks created with a GITHUB_TOKEN."""
    return {
        "id": 15368,
        "client_id": "Iv1.05c79e9ad1f6bdfa",
        "slug": "github-actions",
        "node_id": "MDM6QXBwMTUzNjg=",
        "owner": {**user(base, User("github", 9919, "Organization"))},
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": "https://help.github.com/en/actions",
        "html_url": "https://github.com/apps/github-actions",
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "permissions": {"checks": "write", "metadata": "read", "statuses": "write"},
        "events": ["check_run", "check_suite", "pull_request", "push"],
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
        "app": github_actions_app(base),
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
        "creator": user(base, s.creator),
        "avatar_url": None,
    }
