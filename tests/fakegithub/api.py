"""The REST side of the fake: route table, request pipeline and one handler per route.

Pipeline for every request (contract C.0 to C.3):
User-Agent check → route match → rate budget → armed fault → 401 → API version → exhausted
budget → repository and token access → JSON body → handler → ETag / 304.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.fakegithub import render
from tests.fakegithub.faults import PRIMARY_MESSAGE, Fault
from tests.fakegithub.listener import Request, Response
from tests.fakegithub.model import (
    CheckRun,
    Comment,
    CommitStatus,
    FileChange,
    RepoState,
    Token,
    parse_iso,
)
from tests.fakegithub.pagination import paginate

if TYPE_CHECKING:
    from tests.fakegithub.server import FakeGitHub

DOCS = "https://docs.github.com/rest"
API_VERSIONS = ("2022-11-28", "2026-03-10")
COMMENT_BYTES_LIMIT = 262_144
COMMENT_CHARS_LIMIT = 65_536
MAX_PR_FILES = 3_000
NOT_ACCESSIBLE = "Resource not accessible by integration"
UA_MESSAGE = (
    "Request forbidden by administrative rules. Please make sure your request has a User-Agent "
    "header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required)."
    " Check https://developer.github.com for other possible causes."
)

READ_COMMENTS = "issues=read; pull_requests=read"
WRITE_COMMENTS = "issues=write; pull_requests=write"
READ_PULLS = "pull_requests=read; contents=read"
CONTENTS = "contents=read"
ACTIONS = "actions=read"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: Sequence[tuple[str, str]] = (),
        doc: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.headers = list(headers)
        self.doc = doc


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


@dataclass(slots=True)
class Reply:
    status: int = 200
    json: Any = None
    raw: bytes | None = None
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    link: str | None = None


@dataclass(slots=True)
class Ctx:
    req: Request
    route: Route
    params: dict[str, str]
    query: list[tuple[str, str]]
    state: RepoState | None
    rest: str
    token: Token | None
    api_version: str
    body: dict[str, Any] | None = None

    @property
    def q(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def st(self) -> RepoState:
        assert self.state is not None
        return self.state


Handler = Callable[["ApiApp", Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    permissions: str
    doc: str
    write: bool = False
    repo: bool = True
    has_body: bool = False


def _r(
    name: str,
    method: str,
    pattern: str,
    permissions: str,
    doc: str,
    *,
    write: bool = False,
    repo: bool = True,
) -> Route:
    return Route(
        name,
        method,
        re.compile(pattern),
        permissions,
        f"{DOCS}/{doc}",
        write,
        repo,
        method in {"POST", "PATCH", "PUT"},
    )


N = r"(?P<number>\d+)"
ROUTES: tuple[Route, ...] = (
    _r("get_rate_limit", "GET", r"/rate_limit", "", "rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user", repo=False),
    _r("get_repo", "GET", r"", "metadata=read", "repos/repos#get-a-repository"),
    _r("list_pulls", "GET", r"/pulls", READ_PULLS, "pulls/pulls#list-pull-requests"),
    _r("get_pull", "GET", rf"/pulls/{N}", READ_PULLS, "pulls/pulls#get-a-pull-request"),
    _r("list_pr_files", "GET", rf"/pulls/{N}/files", READ_PULLS, "pulls/pulls#list-pull-requests-files"),
    _r("get_issue", "GET", rf"/issues/{N}", "issues=read", "issues/issues#get-an-issue"),
    _r("list_comments", "GET", rf"/issues/{N}/comments", READ_COMMENTS, "issues/comments#list-issue-comments"),
    _r("create_comment", "POST", rf"/issues/{N}/comments", WRITE_COMMENTS, "issues/comments#create-an-issue-comment", write=True),
    _r("get_comment", "GET", r"/issues/comments/(?P<comment_id>\d+)", READ_COMMENTS, "issues/comments#get-an-issue-comment"),
    _r("update_comment", "PATCH", r"/issues/comments/(?P<comment_id>\d+)", WRITE_COMMENTS, "issues/comments#update-an-issue-comment", write=True),
    _r("delete_comment", "DELETE", r"/issues/comments/(?P<comment_id>\d+)", WRITE_COMMENTS, "issues/comments#delete-an-issue-comment", write=True),
    _r("compare", "GET", r"/compare/(?P<basehead>.+)", CONTENTS, "commits/commits#compare-two-commits"),
    _r("get_commit", "GET", r"/commits/(?P<ref>.+)", CONTENTS, "commits/commits#get-a-commit"),
    _r("get_git_ref", "GET", r"/git/ref/(?P<ref>.+)", CONTENTS, "git/refs#get-a-reference"),
    _r("get_git_tag", "GET", r"/git/tags/(?P<sha>[^/]+)", CONTENTS, "git/tags#get-a-tag"),
    _r("list_runs", "GET", r"/actions/runs", ACTIONS, "actions/workflow-runs#list-workflow-runs-for-a-repository"),
    _r("get_run", "GET", r"/actions/runs/(?P<run_id>\d+)", ACTIONS, "actions/workflow-runs#get-a-workflow-run"),
    _r("list_run_artifacts", "GET", r"/actions/runs/(?P<run_id>\d+)/artifacts", ACTIONS, "actions/artifacts#list-workflow-run-artifacts"),
    _r("get_workflow", "GET", r"/actions/workflows/(?P<workflow_id>[^/]+)", ACTIONS, "actions/workflows#get-a-workflow"),
    _r("list_workflow_runs", "GET", r"/actions/workflows/(?P<workflow_id>[^/]+)/runs", ACTIONS, "actions/workflow-runs#list-workflow-runs-for-a-workflow"),
    _r("list_artifacts", "GET", r"/actions/artifacts", ACTIONS, "actions/artifacts#list-artifacts-for-a-repository"),
    _r("get_artifact", "GET", r"/actions/artifacts/(?P<artifact_id>\d+)", ACTIONS, "actions/artifacts#get-an-artifact"),
    _r("download_artifact", "GET", r"/actions/artifacts/(?P<artifact_id>\d+)/(?P<archive_format>[^/]+)", ACTIONS, "actions/artifacts#download-an-artifact"),
    _r("create_check_run", "POST", r"/check-runs", "checks=write", "checks/runs#create-a-check-run", write=True),
    _r("get_check_run", "GET", r"/check-runs/(?P<check_run_id>\d+)", "checks=read", "checks/runs#get-a-check-run"),
    _r("update_check_run", "PATCH", r"/check-runs/(?P<check_run_id>\d+)", "checks=write", "checks/runs#update-a-check-run", write=True),
    _r("create_status", "POST", r"/statuses/(?P<sha>[^/]+)", "statuses=write", "commits/statuses#create-a-commit-status", write=True),
)  # fmt: skip

ROUTE_NAMES = frozenset(r.name for r in ROUTES)

_REPO_PATH = re.compile(r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)(?P<rest>/.*)?")
_REPO_ID_PATH = re.compile(r"/repositories/(?P<repo_id>\d+)(?P<rest>/.*)?")


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    params: dict[str, str]
    repo: str | int | None  # full name or id
    rest: str


def match(method: str, path: str | None) -> Match | None:
    """The route for `method path` (path without GHES prefix), or None (→ 404)."""
    if path is None or path.endswith("/"):
        return None
    repo: str | int | None = None
    rest = path
    if m := _REPO_PATH.fullmatch(path):
        repo = f"{unquote(m['owner'])}/{unquote(m['repo'])}"
        rest = m["rest"] or ""
    elif m := _REPO_ID_PATH.fullmatch(path):
        repo = int(m["repo_id"])
        rest = m["rest"] or ""
    for route in ROUTES:
        if route.repo != (repo is not None) or route.method != method:
            continue
        if pm := route.pattern.fullmatch(rest):
            params = {k: unquote(v) for k, v in pm.groupdict().items()}
            return Match(route, params, repo, rest)
    return None


def _satisfies(required: str, token: Token) -> bool:
    if not required:
        return True
    rank = {"none": 0, "read": 1, "write": 2}
    for alternative in required.split(";"):
        needs = [part.strip().split("=") for part in alternative.split(",") if part.strip()]
        if all(rank[token.level(scope)] >= rank[level] for scope, level in needs):
            return True
    return False


def _bool(value: str | None) -> bool:
    return (value or "").lower() in {"true", "1"}


class ApiApp:
    """Callable app for the API listener; reads and mutates `fake`'s state under its lock."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.fake = fake

    # ---- pipeline -------------------------------------------------------------------------

    def __call__(self, req: Request) -> Response:
        fake = self.fake
        prefix = fake.path_prefix
        path: str | None = req.path
        if prefix:
            path = req.path[len(prefix) :] if req.path.startswith(prefix + "/") else None
        found = match(req.method, path)
        route = found.route if found else None
        req.record.route = route.name if route else None
        version = req.headers.get("X-GitHub-Api-Version") or fake.default_api_version
        token, bad_token = fake._identify(req.headers.get("Authorization"))
        bucket = token or fake._anonymous
        counted = route is None or route.name != "get_rate_limit"
        exhausted = fake._consume(bucket) if counted else False

        base_headers = self._headers(bucket, version, route)
        if not req.headers.get("User-Agent"):
            return self._error(ApiError(403, UA_MESSAGE), route, base_headers)

        fault = fake.faults.take(route.name if route else None, req.method, path or req.path)
        if fault is not None and fault.kind in {"respond", "reset"}:
            req.record.fault = fault.kind
            return self._fault_response(fault, route, base_headers)

        try:
            if bad_token:
                raise ApiError(401, "Bad credentials")
            if version not in API_VERSIONS:
                raise ApiError(400, f"Unsupported 'X-GitHub-Api-Version': {version}")
            if exhausted:
                raise ApiError(
                    fake.rate_limit_status,
                    PRIMARY_MESSAGE,
                    headers=[("X-RateLimit-Remaining", "0")],
                )
            if found is None:
                raise ApiError(404, "Not Found", doc=DOCS)
            reply = self._handle(req, found, token, version)
        except ApiError as err:
            response = self._error(err, route, base_headers)
        else:
            response = self._reply(req, reply, base_headers, bucket)

        if fault is not None:
            response.delay = fault.delay
            if fault.kind == "store_then_fail" and 200 <= response.status < 300:
                req.record.fault = fault.kind
                failed = self._fault_response(fault, route, base_headers)
                failed.delay = fault.delay
                return failed
            if fault.kind == "truncate":
                req.record.fault = fault.kind
                response.abort = "truncate"
        return response

    def _handle(self, req: Request, found: Match, token: Token | None, version: str) -> Reply:
        fake = self.fake
        route = found.route
        with fake._lock:
            state = None
            if found.repo is not None:
                state = fake._state(found.repo)
                if state is None:
                    raise not_found()
                self._check_access(route, state, token)
            body = self._parse_body(req) if route.has_body else None
            ctx = Ctx(req, route, found.params, req.query, state, found.rest, token, version, body)
            handler: Handler = getattr(type(self), route.name)
            return handler(self, ctx)

    def _check_access(self, route: Route, state: RepoState, token: Token | None) -> None:
        repo = state.repo
        in_scope = token is not None and (token.repos is None or repo.key in token.repos)
        if repo.private and not in_scope:
            raise not_found()
        if route.write:
            if token is None:
                raise ApiError(401, "Requires authentication")
            if not in_scope:
                raise ApiError(403, NOT_ACCESSIBLE)
        elif not in_scope:
            return
        assert token is not None
        if not _satisfies(route.permissions, token):
            raise ApiError(403, NOT_ACCESSIBLE)

    @staticmethod
    def _parse_body(req: Request) -> dict[str, Any]:
        if not req.body.strip():
            return {}
        try:
            doc = json.loads(req.body)
        except ValueError:
            raise ApiError(400, "Problems parsing JSON") from None
        if not isinstance(doc, dict):
            raise ApiError(400, "Body should be a JSON object")
        return doc

    @staticmethod
    def _rate_headers(bucket: Token) -> list[tuple[str, str]]:
        limit = bucket.rate_limit
        return [
            ("X-RateLimit-Limit", str(limit)),
            ("X-RateLimit-Remaining", str(max(0, limit - bucket.rate_used))),
            ("X-RateLimit-Reset", str(int(bucket.rate_reset))),
            ("X-RateLimit-Used", str(bucket.rate_used)),
            ("X-RateLimit-Resource", "core"),
        ]

    def _headers(self, bucket: Token, version: str, route: Route | None) -> list[tuple[str, str]]:
        selected = version if version in API_VERSIONS else API_VERSIONS[0]
        return [
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("x-github-api-version-selected", selected),
            ("X-GitHub-Request-Id", uuid.uuid4().hex[:20].upper()),
            *self._rate_headers(bucket),
            ("x-accepted-github-permissions", route.permissions if route else ""),
        ]

    @staticmethod
    def _merge(
        base: list[tuple[str, str]], extra: Sequence[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        names = {k.lower() for k, _ in extra}
        return [(k, v) for k, v in base if k.lower() not in names] + list(extra)

    def _error(
        self, err: ApiError, route: Route | None, headers: list[tuple[str, str]]
    ) -> Response:
        doc: dict[str, Any] = {"message": err.message}
        if err.errors is not None:
            doc["errors"] = err.errors
        doc["documentation_url"] = err.doc or (route.doc if route else DOCS)
        doc["status"] = str(err.status)
        return Response(err.status, self._merge(headers, err.headers), json.dumps(doc).encode())

    def _fault_response(
        self, fault: Fault, route: Route | None, headers: list[tuple[str, str]]
    ) -> Response:
        if fault.kind == "reset":
            return Response(0, abort="reset", delay=fault.delay)
        extra = [("Content-Type", fault.content_type), *fault.render_headers()]
        body = fault.render_body(route.doc if route else DOCS)
        return Response(fault.status, self._merge(headers, extra), body, delay=fault.delay)

    def _reply(
        self, req: Request, reply: Reply, headers: list[tuple[str, str]], bucket: Token
    ) -> Response:
        extra = list(reply.headers)
        if reply.content_type:
            extra.append(("Content-Type", reply.content_type))
        if reply.link:
            extra.append(("Link", reply.link))
        if reply.raw is not None:
            body = reply.raw
        elif reply.json is not None:
            body = json.dumps(reply.json, ensure_ascii=False).encode()
        else:
            body = b""
        if req.method == "GET" and reply.status == 200:
            etag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'
            extra.append(("ETag", etag))
            if req.headers.get("If-None-Match") == etag:
                self.fake._refund(bucket)  # 304s do not count against the rate limit
                kept = [h for h in self._merge(headers, extra) if h[0] != "Content-Type"]
                return Response(304, self._merge(kept, self._rate_headers(bucket)))
        return Response(reply.status, self._merge(headers, extra), body)

    # ---- helpers ---------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return self.fake.base_url

    def _link_base(self, c: Ctx) -> str:
        return f"{self.base}/repositories/{c.st.repo.id}{c.rest}"

    def _issue_exists(self, c: Ctx, number: int) -> bool:
        return number in c.st.pulls or number in c.st.issues

    def _comment_body(self, c: Ctx, anchor: str) -> str:
        doc = f"{DOCS}/issues/comments#{anchor}"
        assert c.body is not None
        if c.body.get("body") is None:
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
                doc=doc,
            )
        body = c.body["body"]
        if not isinstance(body, str):
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "IssueComment", "code": "invalid", "field": "body"}],
                doc=doc,
            )
        if self.fake.comment_body_limit == "documented":
            too_long = len(body) > COMMENT_CHARS_LIMIT
        else:
            too_long = len(body.encode("utf-8")) > COMMENT_BYTES_LIMIT
        if too_long:
            raise ApiError(
                422,
                "Validation Failed",
                errors=[
                    {
                        "resource": "IssueComment",
                        "code": "unprocessable",
                        "field": "data",
                        "message": "Body is too long (maximum is 65536 characters)",
                    }
                ],
                doc=doc,
            )
        return body

    def _comment(self, c: Ctx) -> Comment:
        found = c.st.comments.get(int(c.params["comment_id"]))
        if found is None:
            raise not_found()
        return found

    # ---- repository, pulls, issues -------------------------------------------------------

    def get_rate_limit(self, c: Ctx) -> Reply:
        bucket = c.token or self.fake._anonymous
        core = {
            "limit": bucket.rate_limit,
            "used": bucket.rate_used,
            "remaining": max(0, bucket.rate_limit - bucket.rate_used),
            "reset": int(bucket.rate_reset),
            "resource": "core",
        }
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": int(bucket.rate_reset)}
        doc: dict[str, Any] = {
            "resources": {"core": core, "search": {**search, "resource": "search"}}
        }
        if c.api_version < "2026-03-10":
            doc["rate"] = core
        return Reply(json=doc)

    def get_repo(self, c: Ctx) -> Reply:
        return Reply(json=render.full_repository(self.base, c.st.repo))

    def list_pulls(self, c: Ctx) -> Reply:
        q = c.q
        state = q.get("state", "open")
        pulls = [
            p
            for p in c.st.pulls.values()
            if (state == "all" or p.state == state)
            and ("base" not in q or p.base_ref == q["base"])
            and (
                "head" not in q
                or f"{(p.head_repo or 'ghost/x').split('/')[0]}:{p.head_ref}".lower()
                == q["head"].lower()
            )
        ]
        pulls.sort(key=lambda p: p.number, reverse=q.get("direction", "desc") == "desc")
        page = paginate(pulls, c.query, self._link_base(c))
        lookup = self.fake._lookup
        items = [
            render.pull_request(self.base, c.st.repo, p, lookup, c.api_version) for p in page.items
        ]
        return Reply(json=items, link=page.link)

    def get_pull(self, c: Ctx) -> Reply:
        pr = c.st.pulls.get(int(c.params["number"]))
        if pr is None:
            raise not_found()
        accept = c.req.headers.get("Accept") or ""
        if "vnd.github" in accept and (".diff" in accept or ".patch" in accept):
            return self._pull_diff(pr.files, "patch" if ".patch" in accept else "diff")
        return Reply(
            json=render.pull_request(self.base, c.st.repo, pr, self.fake._lookup, c.api_version)
        )

    def _pull_diff(self, files: list[FileChange], kind: str) -> Reply:
        too_large = {"resource": "PullRequest", "field": "diff", "code": "too_large"}
        doc = f"{DOCS}/pulls/pulls#list-pull-requests-files"
        if len(files) > 300:
            raise ApiError(
                406,
                "Sorry, the diff exceeded the maximum number of files (300). Consider using "
                "'List pull requests files' API or locally cloning the repository instead.",
                errors=[too_large],
                doc=doc,
            )
        if sum(f.patch_lines for f in files) > 20_000:
            raise ApiError(
                406,
                "Sorry, the diff exceeded the maximum number of lines (20000)",
                errors=[too_large],
                doc=doc,
            )
        parts = []
        for f in files:
            old = f.previous_filename or f.filename
            parts.append(f"diff --git a/{old} b/{f.filename}\n--- a/{old}\n+++ b/{f.filename}\n")
            if f.patch:
                parts.append(f.patch + "\n")
        return Reply(
            raw="".join(parts).encode(),
            content_type=f"application/vnd.github.{kind}; charset=utf-8",
        )

    def list_pr_files(self, c: Ctx) -> Reply:
        pr = c.st.pulls.get(int(c.params["number"]))
        if pr is None:
            raise not_found()
        page = paginate(pr.files[:MAX_PR_FILES], c.query, self._link_base(c))
        head = pr.head_repo or c.st.repo.full_name
        items = [render.file_change(c.st.repo, head, pr.head_sha, f, self.base) for f in page.items]
        budget = self.fake.patch_line_budget
        if budget is not None:
            used = 0
            for change, item in zip(page.items, items, strict=True):
                used += change.patch_lines
                if used > budget:
                    item.update(additions=0, deletions=0, changes=0)
                    item.pop("patch", None)
        return Reply(json=items, link=page.link)

    def get_issue(self, c: Ctx) -> Reply:
        number = int(c.params["number"])
        item = c.st.pulls.get(number) or c.st.issues.get(number)
        if item is None:
            raise not_found()
        count = sum(1 for cm in c.st.comments.values() if cm.issue_number == number)
        return Reply(json=render.issue(self.base, c.st.repo, item, count))

    # ---- comments ---------------------------------------------------------------------------

    def list_comments(self, c: Ctx) -> Reply:
        number = int(c.params["number"])
        if not self._issue_exists(c, number):
            raise not_found()
        items = sorted(
            (cm for cm in c.st.comments.values() if cm.issue_number == number), key=lambda x: x.id
        )
        if since := c.q.get("since"):
            try:
                cutoff = parse_iso(since)
            except ValueError:
                raise ApiError(422, f"Invalid value for 'since': {since}") from None
            items = [cm for cm in items if cm.updated_at >= cutoff]
        page = paginate(items, c.query, self._link_base(c))
        return Reply(
            json=[render.comment(self.base, c.st.repo, cm) for cm in page.items], link=page.link
        )

    def create_comment(self, c: Ctx) -> Reply:
        number = int(c.params["number"])
        if not self._issue_exists(c, number):
            raise not_found()
        body = self._comment_body(c, "create-an-issue-comment")
        assert c.token is not None
        now = self.fake.clock.now()
        cm = Comment(
            id=self.fake._next_id("comment"),
            repo=c.st.repo.key,
            issue_number=number,
            body=body,
            user=c.token.user,
            created_at=now,
            updated_at=now,
        )
        c.st.comments[cm.id] = cm
        doc = render.comment(self.base, c.st.repo, cm)
        return Reply(201, json=doc, headers=[("Location", doc["url"])])

    def get_comment(self, c: Ctx) -> Reply:
        return Reply(json=render.comment(self.base, c.st.repo, self._comment(c)))

    def update_comment(self, c: Ctx) -> Reply:
        cm = self._comment(c)
        cm.body = self._comment_body(c, "update-an-issue-comment")
        cm.updated_at = max(self.fake.clock.now(), cm.updated_at + timedelta(seconds=1))
        return Reply(json=render.comment(self.base, c.st.repo, cm))

    def delete_comment(self, c: Ctx) -> Reply:
        cm = self._comment(c)
        del c.st.comments[cm.id]
        return Reply(204)

    # ---- commits, refs, tags, compare -------------------------------------------------------

    def _require_nonempty(self, c: Ctx) -> None:
        if not c.st.commits and not c.st.refs:
            raise ApiError(409, "Git Repository is empty.")

    def get_commit(self, c: Ctx) -> Reply:
        self._require_nonempty(c)
        ref = c.params["ref"]
        sha = self.fake._resolve(c.st, ref)
        if sha is None:
            raise ApiError(422, f"No commit found for SHA: {ref}")
        accept = c.req.headers.get("Accept") or ""
        if "application/vnd.github.sha" in accept:
            return Reply(raw=sha.encode(), content_type="application/vnd.github.sha; charset=utf-8")
        commit = c.st.commits[sha]
        page = paginate(
            commit.files, c.query, self._link_base(c), default_per_page=300, max_per_page=300
        )
        files = [
            render.file_change(c.st.repo, c.st.repo.full_name, sha, f, self.base)
            for f in page.items
        ]
        return Reply(json=render.commit(self.base, c.st.repo, commit, files), link=page.link)

    def get_git_ref(self, c: Ctx) -> Reply:
        self._require_nonempty(c)
        ref = c.params["ref"]
        sha = c.st.refs.get(ref)
        if sha is None:
            raise not_found()
        kind = "tag" if sha in c.st.tags else "commit"
        return Reply(json=render.git_ref(self.base, c.st.repo, ref, sha, kind))

    def get_git_tag(self, c: Ctx) -> Reply:
        tag = c.st.tags.get(c.params["sha"].lower())
        if tag is None:
            raise not_found()
        return Reply(json=render.git_tag(self.base, c.st.repo, tag))

    def compare(self, c: Ctx) -> Reply:
        basehead = c.params["basehead"]
        if "..." not in basehead:
            raise not_found()
        base_ref, head_ref = basehead.split("...", 1)
        base_sha = self._compare_side(c, base_ref)
        head_sha = self._compare_side(c, head_ref)
        commits = self.fake._all_commits()
        base_anc = self.fake._ancestors(base_sha)
        head_anc = self.fake._ancestors(head_sha)
        merge_base = next((s for s in head_anc if s in set(base_anc)), None)
        if merge_base is None:
            raise not_found()
        ahead = [commits[s] for s in head_anc if s not in set(base_anc)]
        behind = [s for s in base_anc if s not in set(head_anc)]
        ahead.sort(key=lambda x: (x.date, x.seq))
        status = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else "behind"
            if not ahead
            else "diverged"
        )
        by_name: dict[str, FileChange] = {}
        for commit in ahead:
            for f in commit.files:
                by_name.pop(f.filename, None)
                by_name[f.filename] = f
        repo = c.st.repo
        files = [
            render.file_change(repo, repo.full_name, head_sha, f, self.base)
            for f in list(by_name.values())[:300]
        ]
        url = render.repo_url(self.base, repo)
        return Reply(
            json={
                "url": f"{url}/compare/{basehead}",
                "html_url": f"{render.HTML}/{repo.full_name}/compare/{basehead}",
                "permalink_url": f"{render.HTML}/{repo.full_name}/compare/{base_sha}...{head_sha}",
                "diff_url": f"{render.HTML}/{repo.full_name}/compare/{basehead}.diff",
                "patch_url": f"{render.HTML}/{repo.full_name}/compare/{basehead}.patch",
                "base_commit": render.commit(self.base, repo, commits[base_sha]),
                "merge_base_commit": render.commit(self.base, repo, commits[merge_base]),
                "status": status,
                "ahead_by": len(ahead),
                "behind_by": len(behind),
                "total_commits": len(ahead),
                "commits": [render.commit(self.base, repo, x) for x in ahead[-250:]],
                "files": files,
            }
        )

    def _compare_side(self, c: Ctx, ref: str) -> str:
        state = c.st
        if ":" in ref:
            owner, ref = ref.split(":", 1)
            other = self.fake._state(f"{owner}/{c.st.repo.name}")
            if other is None:
                raise not_found()
            state = other
        sha = self.fake._resolve(state, ref)
        if sha is None:
            raise not_found()
        return sha

    # ---- actions: workflows, runs, artifacts ------------------------------------------------

    def _workflow_id(self, c: Ctx) -> int:
        key = c.params["workflow_id"]
        for w in c.st.workflows.values():
            if key == str(w.id) or key == w.path.rsplit("/", 1)[-1] or key == w.path:
                return w.id
        raise not_found()

    def get_workflow(self, c: Ctx) -> Reply:
        wid = self._workflow_id(c)
        return Reply(json=render.workflow(self.base, c.st.repo, c.st.workflows[wid]))

    def list_runs(self, c: Ctx) -> Reply:
        return self._runs(c, None)

    def list_workflow_runs(self, c: Ctx) -> Reply:
        return self._runs(c, self._workflow_id(c))

    def _runs(self, c: Ctx, workflow_id: int | None) -> Reply:
        q = c.q
        runs = list(c.st.runs.values())
        if workflow_id is not None:
            runs = [r for r in runs if r.workflow_id == workflow_id]
        filters: dict[str, Callable[[Any, str], bool]] = {
            "actor": lambda r, v: r.actor.login == v,
            "branch": lambda r, v: r.head_branch == v,
            "event": lambda r, v: r.event == v,
            "status": lambda r, v: v in (r.status, r.conclusion),
            "head_sha": lambda r, v: r.head_sha == v,
            "check_suite_id": lambda r, v: str(r.check_suite_id) == v,
            "created": lambda r, v: _created_matches(v, r.created_at),
        }
        for key, test in filters.items():
            if key in q:
                runs = [r for r in runs if test(r, q[key])]
        runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
        page = paginate(runs, c.query, self._link_base(c))
        with_prs = not _bool(q.get("exclude_pull_requests"))
        items = [
            render.workflow_run(self.base, c.st.repo, r, self.fake._lookup, with_prs=with_prs)
            for r in page.items
        ]
        return Reply(json={"total_count": len(runs), "workflow_runs": items}, link=page.link)

    def get_run(self, c: Ctx) -> Reply:
        run = c.st.runs.get(int(c.params["run_id"]))
        if run is None:
            raise not_found()
        return Reply(json=render.workflow_run(self.base, c.st.repo, run, self.fake._lookup))

    def _artifact_page(self, c: Ctx, artifacts: list[Any], *, ascending: bool = False) -> Reply:
        if "name" in c.q:
            artifacts = [a for a in artifacts if a.name == c.q["name"]]
        artifacts.sort(key=lambda a: (a.created_at, a.id), reverse=not ascending)
        page = paginate(artifacts, c.query, self._link_base(c))
        items = [render.artifact(self.base, c.st.repo, a) for a in page.items]
        return Reply(json={"total_count": len(artifacts), "artifacts": items}, link=page.link)

    def list_artifacts(self, c: Ctx) -> Reply:
        return self._artifact_page(c, list(c.st.artifacts.values()))

    def list_run_artifacts(self, c: Ctx) -> Reply:
        run_id = int(c.params["run_id"])
        if run_id not in c.st.runs:
            raise not_found()
        artifacts = [a for a in c.st.artifacts.values() if a.run_id == run_id]
        return self._artifact_page(c, artifacts, ascending=c.q.get("direction") == "asc")

    def get_artifact(self, c: Ctx) -> Reply:
        found = c.st.artifacts.get(int(c.params["artifact_id"]))
        if found is None:
            raise not_found()
        return Reply(json=render.artifact(self.base, c.st.repo, found))

    def download_artifact(self, c: Ctx) -> Reply:
        found = c.st.artifacts.get(int(c.params["artifact_id"]))
        if found is None or c.params["archive_format"] != "zip":
            raise not_found()
        if found.expired:
            raise ApiError(410, "Artifact has expired")
        return Reply(302, headers=[("Location", self.fake._storage_url_for(found))])

    # ---- checks and statuses ----------------------------------------------------------------

    def _check_run_fields(self, c: Ctx, run: CheckRun) -> None:
        assert c.body is not None
        body = c.body
        statuses = {"queued", "in_progress", "completed"}
        conclusions = {
            "action_required", "cancelled", "failure", "neutral",
            "success", "skipped", "stale", "timed_out",
        }  # fmt: skip
        if "status" in body and body["status"] not in statuses:
            raise ApiError(422, "Invalid request.\n\nstatus is not a member of the enum.")
        if "conclusion" in body and body["conclusion"] not in conclusions:
            raise ApiError(422, "Invalid request.\n\nconclusion is not a member of the enum.")
        output = body.get("output") or {}
        for key in ("summary", "text"):
            if len(str(output.get(key) or "")) > 65_535:
                raise ApiError(422, f"Invalid request.\n\nOnly 65535 characters are allowed; {key} is too long.")  # fmt: skip
        annotations = output.get("annotations") or []
        if len(annotations) > 50:
            raise ApiError(422, "Invalid request.\n\nOnly 50 annotations are allowed per request.")
        now = self.fake.clock.now()
        for key in ("details_url", "external_id", "name"):
            if key in body:
                setattr(run, key, body[key])
        if "status" in body:
            run.status = body["status"]
        if body.get("conclusion"):
            run.conclusion, run.status = body["conclusion"], "completed"
        if run.status == "completed" and run.completed_at is None:
            run.completed_at = now
        if run.status == "completed" and run.conclusion is None:
            raise ApiError(422, "Invalid request.\n\nconclusion is required when status is completed.")  # fmt: skip
        if run.started_at is None:
            run.started_at = now
        run.output.update({k: v for k, v in output.items() if k in {"title", "summary", "text"}})
        run.annotations.extend(annotations)

    def create_check_run(self, c: Ctx) -> Reply:
        assert c.body is not None
        missing = [k for k in ("name", "head_sha") if not c.body.get(k)]
        if missing:
            raise ApiError(422, f'Invalid request.\n\n"{missing[0]}" wasn\'t supplied.')
        run = CheckRun(
            id=self.fake._next_id("check_run"),
            repo=c.st.repo.key,
            name=str(c.body["name"]),
            head_sha=str(c.body["head_sha"]),
        )
        self._check_run_fields(c, run)
        c.st.check_runs[run.id] = run
        return Reply(201, json=render.check_run(self.base, c.st.repo, run))

    def get_check_run(self, c: Ctx) -> Reply:
        run = c.st.check_runs.get(int(c.params["check_run_id"]))
        if run is None:
            raise not_found()
        return Reply(json=render.check_run(self.base, c.st.repo, run))

    def update_check_run(self, c: Ctx) -> Reply:
        run = c.st.check_runs.get(int(c.params["check_run_id"]))
        if run is None:
            raise not_found()
        self._check_run_fields(c, run)
        return Reply(json=render.check_run(self.base, c.st.repo, run))

    def create_status(self, c: Ctx) -> Reply:
        assert c.body is not None and c.token is not None
        sha = c.params["sha"]
        if self.fake._resolve(c.st, sha) is None:
            raise ApiError(422, f"No commit found for SHA: {sha}")
        if c.body.get("state") not in {"error", "failure", "pending", "success"}:
            raise ApiError(
                422,
                "Validation Failed",
                errors=[{"resource": "Status", "code": "custom", "field": "state",
                         "message": "state is not included in the list"}],
            )  # fmt: skip
        status = CommitStatus(
            id=self.fake._next_id("status"),
            repo=c.st.repo.key,
            sha=sha,
            state=c.body["state"],
            context=c.body.get("context") or "default",
            description=c.body.get("description"),
            target_url=c.body.get("target_url"),
            created_at=self.fake.clock.now(),
            creator=c.token.user,
        )
        c.st.statuses.append(status)
        url = f"{render.repo_url(self.base, c.st.repo)}/statuses/{sha}"
        return Reply(
            201,
            json=render.commit_status(self.base, c.st.repo, status),
            headers=[("Location", url)],
        )


def _bound(text: str, *, upper: bool) -> datetime:
    moment = parse_iso(text)
    if len(text.strip()) == 10 and upper:  # a date: the whole day is included
        return moment + timedelta(days=1, seconds=-1)
    return moment


def _created_matches(expr: str, moment: datetime) -> bool:
    """GitHub search date syntax: `a..b`, `>=a`, `>a`, `<=a`, `<a`, or a single date."""
    try:
        expr = expr.strip()
        if ".." in expr:
            lo, hi = expr.split("..", 1)
            return (lo in {"", "*"} or moment >= _bound(lo, upper=False)) and (
                hi in {"", "*"} or moment <= _bound(hi, upper=True)
            )
        for op in (">=", "<=", ">", "<"):
            if expr.startswith(op):
                value = expr[len(op) :]
                return {
                    ">=": lambda: moment >= _bound(value, upper=False),
                    "<=": lambda: moment <= _bound(value, upper=True),
                    ">": lambda: moment > _bound(value, upper=True),
                    "<": lambda: moment < _bound(value, upper=False),
                }[op]()
        return _bound(expr, upper=False) <= moment <= _bound(expr, upper=True)
    except ValueError:
        raise ApiError(422, f"Invalid value for 'created': {expr}") from None
