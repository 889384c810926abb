"""Workflow and action YAML -> ActionRef findings: is every `uses:` pinned to a full commit SHA."""

# How it reads a file (design.md "The pin check"):
#
# * YAML is parsed by PyYAML's libyaml loader (`yaml.CSafeLoader`, or `yaml.SafeLoader` where
#   PyYAML was built without libyaml) through `yaml.compose_all`, which keeps every node's line
#   and column. `uses:` is read only where GitHub reads it: `jobs.<id>.steps[*].uses` and the
#   job-level reusable-workflow `jobs.<id>.uses` in a workflow, `runs.steps[*].uses` in a
#   composite `action.yml`. Keys inside `with:`, text in `run:` scripts and comments are data.
# * Hostile input finishes fast with a `parse-error` finding. One streaming pass over the
#   parser's events runs *before* compose (libyaml's C composer recurses once per level and
#   crashes the interpreter at ~100,000 levels): it stops at the first level beyond MAX_DEPTH,
#   records each anchor's expanded size and depth when its node closes, and so stops an alias
#   bomb ("billion laughs") at the alias that crosses MAX_EVENTS, having read only what is
#   written; an alias to a node still open (a node containing itself) is refused. The limits are
#   GitHub's own (actions/runner `ParseOptions`: MaxDepth 50, MaxParseEvents 1,000,000), so a
#   file refused here is one GitHub's parser refuses as well. File size is capped by the caller.
# * Anchors and aliases: compose shares the anchored node, so an aliased step's `uses` is the
#   anchor's node. It is reported ONCE, at the line where `uses:` is written under the anchor,
#   however many times it is aliased: a finding is a place in the source to fix.
# * GitHub supports anchors but not merge keys (`<<:`); a job or step that uses one is a
#   `parse-error` finding, and the merged keys are not read.
# * Duplicate keys: compose keeps them, GitHub refuses the file ("'x' is already defined",
#   compared case-insensitively, in any mapping). Each duplicate is a `parse-error` finding at its
#   own line; a step's first `uses` is still classified.
# * Several documents in one file are all scanned.
# * Allowlist matching is case-insensitive on owner AND repo: GitHub resolves both names
#   case-insensitively (`Actions/Checkout@...` runs actions/checkout), so an exemption written
#   in any case must match a reference written in any case.

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final, Literal, Protocol

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from covaction.errors import InputError

__all__ = [
    "MAX_DEPTH",
    "MAX_EVENTS",
    "ActionRef",
    "Kind",
    "PinSummary",
    "Verdict",
    "allowlist_matches",
    "parse_allowlist",
    "scan",
    "scan_file",
    "suggestion",
    "version_comment_mismatch",
    "workflow_paths",
]

Verdict = Literal["pinned", "unpinned", "local", "unverifiable", "parse-error"]
Kind = Literal["action", "reusable-workflow", "docker", "local"]

# GitHub's parser limits (actions/runner src/Sdk/DTPipelines/Pipelines/ObjectTemplating/
# ParseOptions.cs): nesting depth and parse events, aliases expanded.
MAX_DEPTH: Final = 50
MAX_EVENTS: Final = 1_000_000

# libyaml when PyYAML was built with it, else the pure-Python loader; same nodes, same marks.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

_FULL_SHA = re.compile(r"[0-9a-f]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_VERSION = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]+)?", re.IGNORECASE)
# YAML's line breaks (YAML 1.1, as both loaders count lines); str.splitlines() knows more.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_PATH_SEP = re.compile(r"[/\\]")
_OWNER_PATTERN = re.compile(r"[A-Za-z0-9*-]+")
_REPO_PATTERN = re.compile(r"[A-Za-z0-9._*-]+")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_MAX_REASON = 200

_ALLOWLIST_FORM = (
    "accepted form: owner/repo patterns with * wildcards, such as my-org/* or "
    "actions/checkout, separated by commas or newlines"
)


@dataclass(frozen=True, slots=True)
class ActionRef:
    """One `uses:` reference (or one reason a file cannot be read) at a file and line.

    `line` and `column` are 1-based and point at the `uses` key (for a parse error: where the
    parser stopped). `uses` is the value as written ("" for a file-level parse error); `ref` is
    the part after `@` (a docker digest for docker images) and `owner_repo` is `owner/repo` as
    written, both None where they do not apply. `version_comment` is the text of a comment on
    the value's line (`# v4.1.1` gives "v4.1.1"). `kind` is None for a parse error that is not
    about one reference.
    """

    file: str
    line: int
    uses: str
    verdict: Verdict
    reason: str
    kind: Kind | None = None
    owner_repo: str | None = None
    ref: str | None = None
    version_comment: str | None = None
    allowed: bool = False
    column: int = 1

    @property
    def matters(self) -> bool:
        """True for a finding the pin policy acts on: unpinned, unverifiable or unreadable."""
        return self.verdict in ("unpinned", "unverifiable", "parse-error") and not self.allowed

    @property
    def commented_version(self) -> str | None:
        """The version the trailing comment names (`# v4.1.1`, `# tag=v4`, `# pin@v4`), if any.

        Only version-like words count (`v4`, `4.1.1`, `v1.2.3-rc.1`), so a free-text comment
        never sends the API step looking for a tag called "TODO".
        """
        if not self.version_comment:
            return None
        token = self.version_comment.split()[0]
        for prefix in ("tag=", "tag:", "version=", "version:"):
            if token.lower().startswith(prefix):
                token = token[len(prefix) :]
                break
        # `pin@v4`, `@v4`, ratchet's `ratchet:actions/checkout@v4`
        token = token.rpartition("@")[2]
        return token if _VERSION.fullmatch(token) else None


@dataclass(frozen=True, slots=True)
class PinSummary:
    """Counts by verdict and the findings the pin policy acts on, in file and line order.

    `unpinned` and `unverifiable` count every such reference, allowed or not; `allowed` counts
    those the allowlist exempts; `findings` holds those that matter (`ActionRef.matters`).
    """

    pinned: int = 0
    unpinned: int = 0
    local: int = 0
    unverifiable: int = 0
    parse_errors: int = 0
    allowed: int = 0
    findings: tuple[ActionRef, ...] = ()

    @classmethod
    def of(cls, refs: Iterable[ActionRef]) -> PinSummary:
        counts = dict.fromkeys(("pinned", "unpinned", "local", "unverifiable", "parse-error"), 0)
        allowed = 0
        findings: list[ActionRef] = []
        for ref in refs:
            counts[ref.verdict] += 1
            if ref.allowed and ref.verdict in ("unpinned", "unverifiable"):
                allowed += 1
            if ref.matters:
                findings.append(ref)
        return cls(
            pinned=counts["pinned"],
            unpinned=counts["unpinned"],
            local=counts["local"],
            unverifiable=counts["unverifiable"],
            parse_errors=counts["parse-error"],
            allowed=allowed,
            findings=tuple(sorted(findings, key=_order)),
        )

    @property
    def total(self) -> int:
        return self.pinned + self.unpinned + self.local + self.unverifiable + self.parse_errors


# --------------------------------------------------------------------------- which files


def _is_workflow_path(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    # GitHub runs only files directly in .github/workflows; the extension is matched without
    # regard to case so that a workflow GitHub might run is never skipped.
    return folder == ".github/workflows" and name.lower().endswith((".yml", ".yaml"))


def _is_action_path(path: str) -> bool:
    return path.rpartition("/")[2] in ("action.yml", "action.yaml")


def workflow_paths(tracked: Iterable[str]) -> list[str]:
    """The repository-relative paths the pin check scans, sorted and without duplicates.

    Workflows are `.github/workflows/*.yml|yaml` (not subdirectories: GitHub ignores them);
    actions are every `action.yml`/`action.yaml` at any depth, the names the runner looks for.
    """
    selected: set[str] = set()
    for raw in tracked:
        path = raw.removeprefix("./")
        if path and (_is_workflow_path(path) or _is_action_path(path)):
            selected.add(path)
    return sorted(selected)


# --------------------------------------------------------------------------- allowlist


def parse_allowlist(text: str) -> tuple[str, ...]:
    """The `pin-allowlist` input as patterns on `owner/repo`; raises InputError on garbage.

    Patterns are separated by commas or newlines; `*` matches any run of characters within one
    name (`my-org/*`, `*/checkout`, `actions/setup-*`). Duplicates (ignoring case) are dropped.
    """
    patterns: list[str] = []
    seen: set[str] = set()
    for item in re.split(r"[,\n\r]", text):
        pattern = item.strip()
        if not pattern:
            continue
        owner, slash, repo = pattern.partition("/")
        if "@" in pattern:
            problem = "names a version; the allowlist exempts a whole repository"
        elif not slash or "/" in repo:
            problem = "is not owner/repo"
        elif not _OWNER_PATTERN.fullmatch(owner):
            problem = "has an owner with characters GitHub does not allow"
        elif not _REPO_PATTERN.fullmatch(repo) or repo in (".", ".."):
            problem = "has a repository name with characters GitHub does not allow"
        else:
            if pattern.lower() not in seen:
                seen.add(pattern.lower())
                patterns.append(pattern)
            continue
        raise InputError(f"pin-allowlist: {pattern[:80]!r} {problem}; {_ALLOWLIST_FORM}")
    return tuple(patterns)


def _compile_allowlist(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [
        "/".join("[^/]*".join(map(re.escape, name.split("*"))) for name in p.split("/", 1))
        for p in patterns
    ]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE) if parts else None


def allowlist_matches(owner_repo: str, patterns: Iterable[str]) -> bool:
    """Whether `owner/repo` matches one of the patterns, ignoring case as GitHub does."""
    compiled = _compile_allowlist(patterns)
    return compiled is not None and compiled.fullmatch(owner_repo) is not None


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True, slots=True)
class _Classified:
    verdict: Verdict
    reason: str
    kind: Kind
    owner_repo: str | None = None
    ref: str | None = None


def _docker_parts(uses: str) -> tuple[str, str | None, str | None]:
    """`docker://image[:tag][@digest]` -> (image, tag, digest); a registry port is no tag."""
    image, at, digest = uses[len("docker://") :].partition("@")
    name, colon, tag = image.rpartition(":")
    if colon and "/" not in tag:
        image = name
    else:
        tag = ""
    return image, tag or None, digest if at else None


def _classify_docker(uses: str) -> _Classified:
    image, tag, digest = _docker_parts(uses)
    if digest is not None:
        if not image:
            return _Classified("unpinned", "docker reference without an image name", "docker")
        if _DIGEST.fullmatch(digest):
            return _Classified("pinned", "pinned to an image digest", "docker", ref=digest)
        reason = f"digest {digest[:80]} is not sha256: and 64 lowercase hex digits"
        return _Classified("unpinned", reason, "docker", ref=digest)
    if tag is not None:
        reason = f"docker image without digest: tag {tag[:80]} can be moved"
        return _Classified("unpinned", reason, "docker")
    return _Classified("unpinned", "docker image without digest or tag (pulls latest)", "docker")


def _ref_problem(ref: str) -> str | None:
    """Why a git ref is not an immutable commit, or None for a full lowercase commit SHA."""
    if _FULL_SHA.fullmatch(ref):
        return None
    shown = ref[:80]
    if _HEX.fullmatch(ref):
        if len(ref) == 40:
            return "SHA in uppercase hex; write the 40-character SHA in lowercase"
        if 7 <= len(ref) < 40:
            return f"short SHA {shown} can be shadowed by a branch or tag of that name"
        if len(ref) > 40:
            return f"{len(ref)}-digit hex is not a 40-character commit SHA"
    if _VERSION.fullmatch(ref):
        return f"tag {shown} can be moved"
    return f"branch or tag {shown} can be moved"


def _classify(uses: str, job_level: bool) -> _Classified:
    # The runner's order: docker://, then ./ (or .\), then owner/repo[/path]@ref split on '@'
    # into exactly two parts (actions/runner PipelineTemplateConverter).
    if uses.startswith(("./", ".\\")):
        return _Classified("local", "local action, not a reference to pin", "local")
    docker = uses[:9].lower() == "docker://"
    default_kind: Kind = "docker" if docker else "reusable-workflow" if job_level else "action"
    if "${{" in uses:
        left, at, ref = uses.partition("@")
        owner_repo = None
        if not docker and "${{" not in left:
            names = [n for n in _PATH_SEP.split(left) if n]
            owner_repo = "/".join(names[:2]) if len(names) >= 2 else None
        return _Classified(
            "unverifiable",
            "expression cannot be verified",
            default_kind,
            owner_repo=owner_repo,
            ref=ref if at else None,
        )
    if docker:
        return _classify_docker(uses)
    segments = uses.split("@")
    if len(segments) == 1:
        return _Classified("unpinned", "no @ref: expected owner/repo[/path]@<sha>", default_kind)
    if len(segments) > 2:
        return _Classified("unpinned", "more than one @: not a valid reference", default_kind)
    left, ref = segments
    names = [n for n in _PATH_SEP.split(left) if n]
    if len(names) < 2 or not ref:
        reason = "not a valid reference: expected owner/repo[/path]@<sha>"
        return _Classified("unpinned", reason, default_kind, ref=ref or None)
    kind: Kind = default_kind
    if len(names) > 3 and names[2:4] == [".github", "workflows"]:
        kind = "reusable-workflow"
    owner_repo = f"{names[0]}/{names[1]}"
    problem = _ref_problem(ref)
    if problem is None:
        return _Classified("pinned", "pinned to a commit SHA", kind, owner_repo, ref)
    return _Classified("unpinned", problem, kind, owner_repo, ref)


# --------------------------------------------------------------------------- parsing


class _Reject(Exception):
    """The file cannot be read as GitHub would; carries the 0-based position and the reason."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.column = column
        self.reason = reason


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n")
        raise _Reject(line, 0, f"not valid UTF-8 (byte {exc.start + 1})") from None
    return text.removeprefix("\ufeff")


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _yaml_reject(exc: yaml.YAMLError, text: str) -> _Reject:
    line = column = 0
    reason = "not valid YAML"
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line, column = mark.line, mark.column
        reason = "; ".join(p for p in (exc.problem, exc.context) if p) or reason
        source = _LINE_BREAK.split(text, maxsplit=line + 1)
        if line < len(source):
            src = source[line]
            indent = src[: len(src) - len(src.lstrip(" \t"))]
            if "\t" in indent or (exc.problem and "\t" in exc.problem):
                reason = "tab in indentation: YAML forbids tabs there"
    elif isinstance(exc, yaml.reader.ReaderError):
        character = exc.character
        found = -1
        if isinstance(character, int) and 0 <= character < 0x110000:
            found = text.find(chr(character))
            reason = f"character #x{character:04x} is not allowed in YAML"
        if found >= 0:
            line = len(_LINE_BREAK.findall(text, 0, found))
    return _Reject(line, column, _one_line(reason))


class _Mark(Protocol):
    """A parser position; libyaml's and PyYAML's marks are different classes."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


def _position(mark: _Mark | None) -> tuple[int, int]:
    return (mark.line, mark.column) if mark is not None else (0, 0)


@dataclass(slots=True)
class _Duplicate:
    """A key already defined in its mapping; `value` is filled when the value is a scalar."""

    line: int
    column: int
    key: str
    first_line: int
    value: str = ""


@dataclass(slots=True)
class _Open:
    """One open collection in the event stream, with what the checks need to know of it."""

    keys: dict[str, int] | None  # a mapping's keys so far (folded -> line); None: a sequence
    level: int  # 1 for a document's top collection
    deepest: int  # deepest level reached inside, aliases expanded
    anchor: str | None
    events_before: int
    at_key: bool = True
    pending: _Duplicate | None = None


def _preflight(text: str) -> list[_Duplicate]:
    """One streaming pass over the parser's events; returns the duplicate keys.

    Runs before compose, so hostile input never reaches it: libyaml's composer recurses per
    level in C and overflows the stack on very deep input, while the event parser keeps its own
    stack and this pass stops at the first level beyond MAX_DEPTH. Aliases are measured as they
    come: each anchor's expanded size and depth is recorded when its node closes, so an alias
    bomb is stopped at the alias that crosses MAX_EVENTS after reading only what is written,
    and an alias to a node still open (a node containing itself) is refused. Duplicate keys
    are found once per written mapping; GitHub compares keys ignoring case (TemplateReader's
    HashSet(OrdinalIgnoreCase)).
    """
    duplicates: list[_Duplicate] = []
    stack: list[_Open] = []
    anchors: dict[str, tuple[int, int]] = {}  # name -> (expanded events, depth)
    open_anchors: set[str] = set()
    total = 0
    loader = _LOADER(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, ScalarEvent | AliasEvent):
                if isinstance(event, ScalarEvent):
                    total += 1
                    if event.anchor is not None:
                        anchors[event.anchor] = (1, 0)
                else:
                    name = str(event.anchor)
                    if name in open_anchors:
                        line, column = _position(event.start_mark)
                        raise _Reject(line, column, "recursive alias: a node contains itself")
                    size, depth = anchors.get(name, (1, 0))  # undefined: compose reports it
                    total += size
                    if total > MAX_EVENTS:
                        line, column = _position(event.start_mark)
                        reason = (
                            f"more than {MAX_EVENTS:,} nodes once aliases are expanded "
                            "(GitHub's limit; an alias bomb?)"
                        )
                        raise _Reject(line, column, reason)
                    if depth and stack:
                        top = stack[-1]
                        top.deepest = max(top.deepest, top.level + depth)
                        if top.deepest > MAX_DEPTH:
                            line, column = _position(event.start_mark)
                            reason = (
                                f"nested deeper than {MAX_DEPTH} levels once aliases are "
                                "expanded (GitHub's limit)"
                            )
                            raise _Reject(line, column, reason)
                if not stack or (top := stack[-1]).keys is None:
                    continue
                if top.at_key:
                    top.at_key = False
                    if isinstance(event, ScalarEvent):
                        key = str(event.value)
                        folded = key.lower()
                        line, column = _position(event.start_mark)
                        first = top.keys.get(folded)
                        if first is None:
                            top.keys[folded] = line
                        else:
                            top.pending = _Duplicate(line, column, key, first)
                            duplicates.append(top.pending)
                else:
                    top.at_key = True
                    if top.pending is not None and isinstance(event, ScalarEvent):
                        top.pending.value = str(event.value)
                    top.pending = None
            elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    line, column = _position(event.start_mark)
                    reason = f"nested deeper than {MAX_DEPTH} levels (GitHub's limit)"
                    raise _Reject(line, column, reason)
                level = len(stack) + 1
                keys: dict[str, int] | None = {} if isinstance(event, MappingStartEvent) else None
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append(_Open(keys, level, level, event.anchor, total))
                total += 2
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                done = stack.pop()
                if done.anchor is not None:
                    open_anchors.discard(done.anchor)
                    size = total - done.events_before
                    anchors[done.anchor] = (size, done.deepest - done.level + 1)
                if stack:
                    top = stack[-1]
                    top.deepest = max(top.deepest, done.deepest)
                    if top.keys is not None:
                        top.at_key = not top.at_key
                        top.pending = None
            elif isinstance(event, DocumentStartEvent):
                anchors.clear()  # anchors are per document, as in PyYAML's composer
    finally:
        loader.dispose()
    return duplicates


def _compose(text: str) -> tuple[list[_Duplicate], list[Node]]:
    try:
        duplicates = _preflight(text)
        return duplicates, list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise _yaml_reject(exc, text) from None
    except RecursionError:  # the pure-Python composer, should the preflight ever miss a level
        raise _Reject(0, 0, "nested too deeply") from None


def _get(mapping: Node | None, name: str) -> Node | None:
    if isinstance(mapping, MappingNode):
        for key, value in mapping.value:
            if isinstance(key, ScalarNode) and key.value == name:
                return value  # type: ignore[no-any-return]
    return None


def _uses_key(mapping: MappingNode) -> tuple[ScalarNode, Node] | None:
    for key, value in mapping.value:
        if isinstance(key, ScalarNode) and key.value == "uses":
            return key, value
    return None


def _has_merge_key(mapping: MappingNode) -> ScalarNode | None:
    for key, _ in mapping.value:
        if isinstance(key, ScalarNode) and key.tag == _MERGE_TAG:
            return key
    return None


def _trailing_comment(lines: list[str], node: ScalarNode) -> str | None:
    """The comment after a scalar on its last line: `uses: a/b@sha  # v4.1.1` -> "v4.1.1".

    Read from the source line at the scalar's end mark. A `#` starts a comment only after a
    space or tab and outside quotes, so `{uses: a/b@sha, with: {x: "a # b"}}  # v1` gives "v1".
    """
    if node.style not in (None, "", "'", '"'):  # block scalars end on a later line
        return None
    mark = node.end_mark
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    i = mark.column
    prev = line[i - 1] if 0 < i <= len(line) else " "
    quote = ""
    while i < len(line):
        ch = line[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                prev = "x"
                continue
            if ch == quote:
                if quote == "'" and line[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = ""
        elif ch in "'\"" and prev in " \t[{,:":
            quote = ch
        elif ch == "#" and prev in " \t":
            return line[i + 1 :].strip() or None
        prev = ch
        i += 1
    return None


class _Walker:
    """Collects a file's ActionRefs from the places GitHub reads `uses`, each node once."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self._lines: list[str] | None = None
        self.seen: set[int] = set()
        self.found: list[ActionRef] = []

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = _LINE_BREAK.split(self.text)
        return self._lines

    def first_visit(self, node: Node) -> bool:
        if id(node) in self.seen:
            return False
        self.seen.add(id(node))
        return True

    def workflow(self, root: Node) -> None:
        jobs = _get(root, "jobs")
        if not isinstance(jobs, MappingNode):
            return
        for _, job in jobs.value:
            if isinstance(job, MappingNode) and self.first_visit(job):
                self.mapping(job, job_level=True)
                self.steps(_get(job, "steps"))

    def action(self, root: Node) -> None:
        runs = _get(root, "runs")
        using = _get(runs, "using")
        # The runner reads `runs.steps` only for composite actions (`using` ignores case).
        if isinstance(using, ScalarNode) and str(using.value).lower() == "composite":
            self.steps(_get(runs, "steps"))

    def steps(self, steps: Node | None) -> None:
        if isinstance(steps, SequenceNode) and self.first_visit(steps):
            for step in steps.value:
                if isinstance(step, MappingNode) and self.first_visit(step):
                    self.mapping(step, job_level=False)

    def mapping(self, mapping: MappingNode, job_level: bool) -> None:
        merge = _has_merge_key(mapping)
        if merge is not None:
            self.error(merge, "merge keys (<<) are not supported by GitHub Actions")
        found = _uses_key(mapping)
        if found is None:
            return
        key, value = found
        if not isinstance(value, ScalarNode):
            shape = "a mapping" if isinstance(value, MappingNode) else "a sequence"
            self.error(key, f"uses must be a string, not {shape}")
            return
        uses = str(value.value)
        if value.tag == _NULL_TAG or not uses:
            self.error(key, "uses is empty")
            return
        c = _classify(uses, job_level)
        self.found.append(
            ActionRef(
                file=self.path,
                line=key.start_mark.line + 1,
                column=key.start_mark.column + 1,
                uses=uses,
                verdict=c.verdict,
                reason=c.reason,
                kind=c.kind,
                owner_repo=c.owner_repo,
                ref=c.ref,
                version_comment=_trailing_comment(self.lines, value),
            )
        )

    def error(self, node: Node, reason: str) -> None:
        self.found.append(
            ActionRef(
                file=self.path,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                uses="",
                verdict="parse-error",
                reason=reason,
            )
        )


def _order(ref: ActionRef) -> tuple[str, int, int, str]:
    return (ref.file, ref.line, ref.column, ref.uses)


def scan_file(path: str, data: bytes) -> list[ActionRef]:
    """Every `uses:` GitHub would read in one workflow or action file, in line order.

    `path` is repository-relative and decides how the file is read: directly under
    `.github/workflows/` it is a workflow, else `action.yml`/`action.yaml` is an action, else
    a workflow. Never raises for any content: what cannot be read is a `parse-error` finding.
    """
    as_action = _is_action_path(path) and not _is_workflow_path(path)
    try:
        text = _decode(data)
        duplicates, documents = _compose(text)
        walker = _Walker(path, text)
        for dup in duplicates:
            reason = (
                f"duplicate key {dup.key[:80]!r} (first at line {dup.first_line + 1}); "
                "GitHub refuses the file"
            )
            walker.found.append(
                ActionRef(
                    file=path,
                    line=dup.line + 1,
                    column=dup.column + 1,
                    uses=dup.value if dup.key == "uses" else "",
                    verdict="parse-error",
                    reason=_one_line(reason),
                )
            )
        for root in documents:
            if as_action:
                walker.action(root)
            else:
                walker.workflow(root)
    except _Reject as exc:
        return [ActionRef(path, exc.line + 1, "", "parse-error", exc.reason, column=exc.column + 1)]
    return sorted(walker.found, key=_order)


def scan(
    files: Iterable[tuple[str, bytes]], allowlist: tuple[str, ...] = ()
) -> tuple[ActionRef, ...]:
    """Scan `(repo-relative path, content)` pairs; mark references the allowlist exempts.

    A reference is `allowed` when its `owner/repo` is known (an action or reusable workflow,
    even one whose ref is an expression) and matches a pattern. Docker images, local actions and
    parse errors are never allowed. Sorted by file, line and column.
    """
    compiled = _compile_allowlist(allowlist)
    results: list[ActionRef] = []
    for path, data in files:
        for ref in scan_file(path, data):
            if (
                compiled is not None
                and ref.owner_repo is not None
                and ref.verdict in ("pinned", "unpinned", "unverifiable")
                and compiled.fullmatch(ref.owner_repo)
            ):
                ref = replace(ref, allowed=True)
            results.append(ref)
    return tuple(sorted(results, key=_order))


# --------------------------------------------------------------------------- for the API step


def version_comment_mismatch(ref: ActionRef, tag_sha: str) -> bool:
    """True when a pinned reference's version comment names a tag that is not its commit.

    `tag_sha` is the commit the tag in `ref.commented_version` resolves to (peel annotated
    tags to the commit first). False when there is nothing to compare: not pinned to a commit,
    or no version-like comment.
    """
    if not _FULL_SHA.fullmatch(tag_sha.lower()):
        raise ValueError(f"not a 40-character commit SHA: {tag_sha[:80]!r}")
    if ref.verdict != "pinned" or ref.kind == "docker" or ref.ref is None:
        return False
    if ref.commented_version is None:
        return False
    return ref.ref != tag_sha.lower()


def suggestion(ref: ActionRef, sha: str, tag: str | None = None) -> str:
    """What to write instead: `owner/repo[/path]@<sha> # <tag>` (docker: `@sha256:<digest>`).

    `tag` defaults to the moving ref being replaced (`v4`) or the version comment. Raises
    ValueError for references that cannot be pinned (local, parse errors, expressions) or a
    `sha` of the wrong form.
    """
    if ref.kind == "docker":
        digest = sha if sha.startswith("sha256:") else f"sha256:{sha}"
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a sha256 image digest: {sha[:80]!r}")
        image, docker_tag, _ = _docker_parts(ref.uses)
        if "${{" in ref.uses or not image:
            raise ValueError(f"cannot pin {ref.uses[:80]!r}")
        label = tag or docker_tag or ref.commented_version
        return f"docker://{image}@{digest}" + (f" # {label}" if label else "")
    name, _, current = ref.uses.partition("@")
    if ref.owner_repo is None or ref.kind == "local" or "${{" in name:
        raise ValueError(f"cannot pin {ref.uses[:80]!r}")
    if not _FULL_SHA.fullmatch(sha.lower()):
        raise ValueError(f"not a 40-character commit SHA: {sha[:80]!r}")
    if tag is None:
        moving = current and "${{" not in current and not _HEX.fullmatch(current)
        tag = current if moving else ref.commented_version
    return f"{name}@{sha.lower()}" + (f" # {tag}" if tag else "")
