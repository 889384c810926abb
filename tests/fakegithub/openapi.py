"""Judges recorded exchanges with the fake against GitHub's published OpenAPI description.

The description is npm `@octokit/openapi` (`generated/api.github.com.json`, OpenAPI 3.0.3; the
fake in GHES mode is judged by `ghes-3.19.json`), which `.ci/run` installs from package-lock.json
into `node_modules/`. It is loaded and indexed once per process. `check()` returns what GitHub's description says is wrong with one exchange:

* the request (only for requests covaction sent, `User-Agent: covaction/...`): the method and
  path must be a documented operation, every query parameter must be declared by it and match
  its schema, required ones present, and a JSON body must match the request body schema;
* the response (every API request whose operation is documented): a documented status must
  carry a body that matches that status's schema (the fake may leave out optional fields, never a
  required one, and never send a value of the wrong type); a status the operation does not
  document is allowed only from the statuses GitHub returns for any operation (GENERIC_STATUSES)
  with GitHub's error object `{"message": ...}`.

Deliberate, listed exceptions (EXCEPTIONS) are where GitHub's real behaviour differs from its
description. Responses of injected faults are the test's deliberate misbehaviour and are not
judged; their requests are.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fakegithub.requestlog import RecordedRequest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
GENERATED = NODE_MODULES / "@octokit" / "openapi" / "generated"
SPEC_PATH = GENERATED / "api.github.com.json"
#: The description of the newest GitHub Enterprise Server release in the package: the fake in
#: GHES mode (`path_prefix="/api/v3"`) is judged by it.
GHES_PLAN = "ghes-3.19"
SPEC_URI = "urn:github:api.github.com"

#: Statuses GitHub answers on any operation, documented or not: 304 (conditional GET, no
#: body), 400 (unsupported X-GitHub-Api-Version), 401 (bad credentials), 403 and 429 (rate
#: limits, docs "Rate limits for the REST API"), 404 (a resource that does not exist or that
#: the token may not see, docs "Troubleshooting the REST API"), 5xx (outages).
GENERIC_STATUSES = frozenset({304, 400, 401, 403, 404, 429, 500, 502, 503, 504})
#: GitHub's custom media types (docs "Media types"): asked for with `Accept`, answered in kind,
#: and not in the description's `content`; the body is then not judged as JSON.
_CUSTOM_MEDIA = re.compile(r"application/vnd\.github(\.v3)?\.(sha|diff|patch|raw)\b")

#: The API versions GitHub serves (docs "API Versions"); the newer one is the description with
#: its `x-github-breaking-changes` patches applied.
BASE_VERSION = "2022-11-28"
VERSIONS = (BASE_VERSION, "2026-03-10")

#: Where GitHub's real behaviour is not in its description. Each is a deliberate, listed
#: exception; nothing else is excused.
EXCEPTIONS = {
    "repositories-alias": (
        "GitHub's pagination Link headers address repository lists as /repositories/{id}/..., "
        "a path the description does not list; it is judged as /repos/{owner}/{repo}/..."
    ),
    "custom-media-types": (
        "an Accept of application/vnd.github.{sha,diff,patch,raw} is answered in that media type "
        '(docs "Media types"); the description lists only application/json'
    ),
    "deleted-head-repo": (
        "a pull request whose head repository was deleted has `head.repo: null` (GitHub docs, "
        '"Get a pull request"; PyGithub ReplayData), though the description types it as a '
        "non-nullable repository"
    ),
}
#: (operation template, path of the value in the response) where `null` is excused, by exception.
_NULL_ALLOWED = (
    (
        re.compile(r"/repos/\{owner\}/\{repo\}/pulls(/\{pull_number\})?"),
        re.compile(r"(\d+/)?head/repo"),
    ),
)

#: Path parameters whose values may hold slashes (a ref `heads/main`, a branch `feature/x`).
_SLASHED = frozenset({"ref", "basehead", "head", "path", "branch"})
_REPOSITORIES = re.compile(r"/repositories/(?P<id>\d+)(?P<rest>/.*)?")
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")


def available() -> bool:
    """True when the description is installed (`npm ci` at the repository root) and so is the
    validator (`jsonschema`, from requirements-test.txt)."""
    return SPEC_PATH.is_file() and importlib.util.find_spec("jsonschema") is not None


def _patched(doc: dict[str, Any], version: str) -> None:
    """Apply the description's `x-github-breaking-changes` up to `version`, in place.

    A patch is an RFC 6902 JSON Patch (a list of operations) or an RFC 7386 merge patch.
    """
    stack: list[Any] = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for change in item.pop("x-github-breaking-changes", None) or []:
                if change.get("version", "") <= version:
                    if isinstance(change["patch"], list):
                        _json_patch(item, change["patch"])
                    else:
                        _merge_patch(item, change["patch"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_patch(target[key], value)
        else:
            target[key] = value


def _json_patch(target: dict[str, Any], operations: list[dict[str, Any]]) -> None:
    for operation in operations:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in operation["path"].split("/")[1:]]
        parent: Any = target
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        if operation["op"] == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                parent.pop(last, None)
        elif operation["op"] in ("add", "replace"):
            if isinstance(parent, list):
                if operation["op"] == "add":
                    parent.insert(len(parent) if last == "-" else int(last), operation["value"])
                else:
                    parent[int(last)] = operation["value"]
            else:
                parent[last] = operation["value"]


def _nullable(node: Any) -> None:
    """OpenAPI 3.0's `nullable: true` as JSON Schema: null joins the allowed types."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("nullable") is True:
                kind = item.get("type")
                if isinstance(kind, str):
                    item["type"] = [kind, "null"]
                if isinstance(item.get("enum"), list) and None not in item["enum"]:
                    item["enum"].append(None)
                if "type" not in item:
                    for key in ("allOf", "anyOf", "oneOf"):
                        if key in item:
                            item[key] = [{"anyOf": [{"type": "null"}, {key: item.pop(key)}]}]
                            break
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


@dataclass(frozen=True, slots=True)
class Operation:
    template: str
    method: str
    pattern: re.Pattern[str]
    literal: int  # literal characters in the template: the most specific match wins
    node: dict[str, Any]


class Spec:
    """The description, indexed: path templates as patterns, one validator per schema."""

    def __init__(self, path: Path = SPEC_PATH, version: str = BASE_VERSION) -> None:
        from jsonschema import Draft4Validator, FormatChecker
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT4

        self.doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        self.package_version = str(self.doc["info"].get("version"))
        self.api_version = version
        _patched(self.doc, version)
        _nullable(self.doc["components"])
        _nullable(self.doc["paths"])
        resource = Resource(contents=self.doc, specification=DRAFT4)
        self._registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._validator_class = Draft4Validator
        checker = FormatChecker(())
        checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(_DATE_TIME.match(v)))
        self._formats = checker
        self._validators: dict[str, Any] = {}
        self.operations: list[Operation] = []
        for template, item in self.doc["paths"].items():
            for method in _METHODS:
                if method in item:
                    self.operations.append(self._operation(template, method, item[method]))

    @staticmethod
    def _operation(template: str, method: str, node: dict[str, Any]) -> Operation:
        parts = re.split(r"(\{[^}]+\})", template)
        regex = "".join(
            rf"(?P<{p[1:-1].replace('-', '_')}>[^/]+)" if p.startswith("{") else re.escape(p)
            for p in parts
        )
        literal = sum(len(p) for p in parts if not p.startswith("{"))
        return Operation(template, method.upper(), re.compile(regex), literal, node)

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The most specific documented operation for `method path`, with its path parameters.

        A parameter stands for one path segment, except that a template's last parameter, when it
        is a ref, branch or path, may span slashes if nothing else matches (`git/ref/{ref}` with
        `heads/main`).
        """
        best: tuple[Operation, dict[str, str]] | None = None
        for op in self.operations:
            if op.method != method:
                continue
            m = op.pattern.fullmatch(path)
            if m and (best is None or op.literal > best[0].literal):
                best = (op, m.groupdict())
        if best is not None:
            return best
        for op in self.operations:
            if op.method != method or not op.template.endswith("}"):
                continue
            if op.template.rsplit("{", 1)[1].rstrip("}") not in _SLASHED:
                continue
            greedy = re.compile(op.pattern.pattern[: -len("[^/]+)")] + ".+)")
            m = greedy.fullmatch(path)
            if m and (best is None or op.literal > best[0].literal):
                best = (op, m.groupdict())
        return best

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local `$ref` (parameters, responses, request bodies) to its target."""
        while "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def errors(self, pointer: str, instance: Any, template: str = "") -> list[str]:
        """JSON Schema errors of `instance` against the schema at `pointer` in the description
        (less the `null`s excused by EXCEPTIONS for operation `template`)."""
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validator_class(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self._registry,
                format_checker=self._formats,
            )
            self._validators[pointer] = validator
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        out = []
        for e in found:
            where = "/".join(map(str, e.absolute_path))
            if e.instance is None and any(
                t.fullmatch(template) and p.fullmatch(where) for t, p in _NULL_ALLOWED
            ):
                continue
            out.append(f"{where or '(root)'}: {e.message[:300]}")
        return out

    def _pointer(self, op: Operation, *parts: str) -> str:
        escaped = [
            p.replace("~", "~0").replace("/", "~1") for p in (op.template, op.method.lower())
        ]
        return "/" + "/".join(["paths", *escaped, *(p.replace("/", "~1") for p in parts)])

    # ---- requests ----------------------------------------------------------------------------

    def request_problems(
        self,
        op: Operation,
        path_params: dict[str, str],
        query: tuple[tuple[str, str], ...],
        content_type: str | None,
        body: bytes,
    ) -> Iterator[str]:
        params = [self.resolve(p) for p in op.node.get("parameters", [])]
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        for p in params:
            if p.get("in") == "path":
                value = path_params.get(p["name"].replace("-", "_"))
                yield from self._value_problems(p, value, "path parameter")
        seen = set()
        for name, value in query:
            seen.add(name)
            if name not in declared:
                yield f"query parameter {name!r} is not a parameter of this operation"
                continue
            yield from self._value_problems(declared[name], value, "query parameter")
        for name, p in declared.items():
            if p.get("required") and name not in seen:
                yield f"required query parameter {name!r} is missing"
        request_body = op.node.get("requestBody")
        if request_body is None:
            if body.strip():
                yield "the operation takes no request body, but one was sent"
            return
        request_body = self.resolve(request_body)
        if not body.strip():
            if request_body.get("required"):
                yield "the request body is required but none was sent"
            return
        if "application/json" not in request_body.get("content", {}):
            return
        if not (content_type or "").lower().startswith("application/json"):
            yield f"the request body is JSON but Content-Type is {content_type!r}"
        try:
            doc = json.loads(body)
        except ValueError:
            yield "the request body is not JSON"
            return
        schema = request_body["content"]["application/json"].get("schema")
        if schema is None:
            return
        pointer = self._pointer(op, "requestBody", "content", "application/json", "schema")
        if "$ref" in op.node["requestBody"]:
            ref = op.node["requestBody"]["$ref"].removeprefix("#")
            pointer = ref + "/content/application~1json/schema"
        for problem in self.errors(pointer, doc):
            yield f"request body {problem}"

    def _value_problems(self, param: dict[str, Any], value: str | None, what: str) -> Iterator[str]:
        name = param["name"]
        if value is None:
            if param.get("required"):
                yield f"{what} {name!r} is missing"
            return
        schema = param.get("schema") or {}
        kind = schema.get("type")
        typed: Any = value
        if kind == "integer":
            if not re.fullmatch(r"-?\d+", value):
                yield f"{what} {name}={value!r} is not an integer"
                return
            typed = int(value)
        elif kind == "boolean":
            if value not in ("true", "false"):
                yield f"{what} {name}={value!r} is not true/false"
                return
            typed = value == "true"
        elif kind == "array":
            return
        from jsonschema import Draft4Validator

        for err in Draft4Validator(schema, format_checker=self._formats).iter_errors(typed):
            yield f"{what} {name}={value!r}: {err.message[:200]}"

    # ---- responses ---------------------------------------------------------------------------

    def response_problems(
        self, op: Operation, status: int, content_type: str | None, body: bytes, accept: str = ""
    ) -> Iterator[str]:
        responses = op.node.get("responses", {})
        key = str(status) if str(status) in responses else None
        if key is None and "default" in responses:
            key = "default"
        if key is None:
            if status not in GENERIC_STATUSES:
                documented = ", ".join(sorted(responses))
                yield f"status {status} is not documented for this operation (documented: {documented})"
                return
            if status != 304 and body.strip():
                yield from self._generic_error(content_type, body)
            return
        response = self.resolve(responses[key])
        content = response.get("content") or {}
        if not content:
            if body.strip() and status == 204:
                yield f"status {status} documents no body, but one was sent"
            return
        media = next((m for m in content if m.startswith("application/json")), None)
        if media is None:
            return  # e.g. a download's redirect or octet-stream: nothing to judge here
        kind = _CUSTOM_MEDIA.match(accept)
        if kind is not None and 200 <= status < 300:  # errors still come as JSON
            if not (content_type or "").startswith(f"application/vnd.github.{kind[2]}"):
                yield f"Accept {accept!r} was answered with Content-Type {content_type!r}"
            return
        if not (content_type or "").lower().startswith("application/json"):
            yield f"status {status} answers JSON, but Content-Type is {content_type!r}"
            return
        try:
            doc = json.loads(body)
        except ValueError:
            yield f"status {status}: the body is not JSON"
            return
        if content[media].get("schema") is None:
            return
        ref = responses[key].get("$ref")
        media_escaped = media.replace("/", "~1")
        if ref:
            pointer = ref.removeprefix("#") + f"/content/{media_escaped}/schema"
        else:
            pointer = self._pointer(op, "responses", key, "content", media, "schema")
        for problem in self.errors(pointer, doc, op.template):
            yield f"response {status} {problem}"

    @staticmethod
    def _generic_error(content_type: str | None, body: bytes) -> Iterator[str]:
        if not (content_type or "").lower().startswith("application/json"):
            return
        try:
            doc = json.loads(body)
        except ValueError:
            yield "an error body with Content-Type JSON is not JSON"
            return
        if not isinstance(doc, dict) or not isinstance(doc.get("message"), str):
            yield "an error body must be GitHub's error object with a string 'message'"


@functools.cache
def spec(version: str = BASE_VERSION, plan: str = "api.github.com") -> Spec:
    """The description of one API version of one plan, loaded and indexed once per process."""
    return Spec(GENERATED / f"{plan}.json", version)


def covaction_sent(headers: tuple[tuple[str, str], ...]) -> bool:
    agent = next((v for k, v in headers if k.lower() == "user-agent"), "")
    return agent.startswith("covaction/")


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def check(
    method: str,
    path: str,
    query: tuple[tuple[str, str], ...],
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    status: int | None,
    response_headers: tuple[tuple[str, str], ...],
    response_body: bytes,
    *,
    judge_request: bool,
    judge_response: bool,
    default_version: str = BASE_VERSION,
    plan: str = "api.github.com",
) -> list[str]:
    """What GitHub's description finds wrong with one API exchange (path without GHES prefix)."""
    version = _header(headers, "X-GitHub-Api-Version") or default_version
    description = spec(version if version in VERSIONS else BASE_VERSION, plan)
    if m := _REPOSITORIES.fullmatch(path):
        path = f"/repos/{{owner}}/{{repo}}{m['rest'] or ''}".replace("{owner}", "o", 1)
        path = path.replace("{repo}", "r", 1)
    found = description.find(method, path)
    problems: list[str] = []
    if found is None:
        if judge_request:
            problems.append(f"{method} {path} is not an operation of GitHub's REST API")
        return problems
    op, params = found
    where = f"{op.method} {op.template}"
    if judge_request:
        content_type = _header(headers, "Content-Type")
        for problem in description.request_problems(op, params, query, content_type, body):
            problems.append(f"{where}: request {problem}")
    if judge_response and status:
        content_type = _header(response_headers, "Content-Type")
        accept = _header(headers, "Accept") or ""
        for problem in description.response_problems(
            op, status, content_type, response_body, accept
        ):
            problems.append(f"{where}: {problem}")
    return problems


def judge(
    records: Iterable[RecordedRequest], path_prefix: str = "", default_version: str = BASE_VERSION
) -> list[str]:
    """Problems of every API exchange in `records` (see the module docstring for what is judged);
    with a GHES `path_prefix`, by the GHES description."""
    plan = GHES_PLAN if path_prefix else "api.github.com"
    problems: list[str] = []
    for record in records:
        if record.host != "api":
            continue
        path = record.path
        if path_prefix:
            if not path.startswith(path_prefix + "/"):
                continue
            path = path[len(path_prefix) :]
        found = check(
            record.method,
            path,
            record.query,
            record.headers,
            record.body,
            record.status,
            record.response_headers,
            record.response_body,
            judge_request=covaction_sent(record.headers),
            judge_response=record.fault is None,
            default_version=default_version,
            plan=plan,
        )
        problems.extend(f"#{record.seq} {p}" for p in found)
    return problems
