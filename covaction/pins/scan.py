"""Workflow and action files -> every reference GitHub would fetch, each with its verdict and line.

What is read, and only there (the keys GitHub reads; everything else, `with:` inputs, `run:`
scripts and comments, is data):

* a workflow (`.github/workflows/*.yml|yaml`): `jobs.<id>.uses` (a reusable workflow),
  `jobs.<id>.steps[*].uses`, the job's `container` (a string or a mapping's `image`) and each
  `services.<id>` (the same two forms);
* an action (`action.yml|yaml`): `runs.steps[*].uses` of a composite action and `runs.image`
  of a Docker action (`using` compared ignoring case, as the runner does).

A node shared through an alias is read once: an aliased step is reported at the line where it
is written under its anchor, however many times it is aliased, since a finding is a place to
fix. GitHub has no merge keys (`<<:`): a job or step that uses one is a `parse-error` finding.
A file GitHub would refuse is a `parse-error` finding, never a silent skip; where the refusal
is local (a repeated key, a key that is not a string, an anchor in an action file, which the
runner's action reader refuses, a second document) the rest of the file is still read, every
document of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from covaction.pins import policy
from covaction.pins.classify import Classified, classify_image, classify_uses, is_dockerfile
from covaction.pins.github_yaml import (
    YAML_BREAK,
    Mapping,
    Mark,
    Node,
    Positions,
    Refusal,
    Scalar,
    Sequence,
    decode,
    read,
)
from covaction.pins.refs import ActionRef, Source, order

__all__ = ["is_action_path", "is_workflow_path", "scan", "scan_file", "workflow_paths"]

_DOCKER_PREFIX = "docker://"


def is_workflow_path(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    # GitHub runs only files directly in .github/workflows; the extension is matched without
    # regard to case so that a workflow GitHub might run is never skipped.
    return folder == ".github/workflows" and name.lower().endswith((".yml", ".yaml"))


def is_action_path(path: str) -> bool:
    return path.rpartition("/")[2] in ("action.yml", "action.yaml")


def workflow_paths(tracked: Iterable[str]) -> list[str]:
    """The repository-relative paths the pin check scans, sorted and without duplicates.

    Workflows are `.github/workflows/*.yml|yaml` (not subdirectories: GitHub ignores them);
    actions are every `action.yml`/`action.yaml` at any depth, the names the runner looks for.
    """
    selected: set[str] = set()
    for raw in tracked:
        path = raw.removeprefix("./")
        if path and (is_workflow_path(path) or is_action_path(path)):
            selected.add(path)
    return sorted(selected)


def _trailing_comment(text: str, node: Scalar) -> str | None:
    """The comment after a scalar on its last line: `uses: a/b@sha  # v4.1.1` -> "v4.1.1".

    Read from the source after the scalar's end. A `#` starts a comment only after a space or
    tab and outside quotes, so `{uses: a/b@sha, with: {x: "a # b"}}  # v1` gives "v1".
    """
    if node.style not in (None, "", "'", '"'):  # block scalars end on a later line
        return None
    i = node.end.index
    if i > len(text):
        return None
    stop = YAML_BREAK.search(text, i)
    end = stop.start() if stop else len(text)
    prev = text[i - 1] if 0 < i else " "
    if prev in "\r\n\x85\u2028\u2029":
        prev = " "
    quote = ""
    while i < end:
        ch = text[i]
        if quote:
            if quote == '"' and ch == "\\":
                i += 2
                prev = "x"
                continue
            if ch == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                quote = ""
        elif ch in "'\"" and prev in " \t[{,:":
            quote = ch
        elif ch == "#" and prev in " \t":
            return text[i + 1 : end].strip() or None
        prev = ch
        i += 1
    return None


class _Walker:
    """Collects a file's ActionRefs from the places GitHub reads them, each node once."""

    def __init__(self, path: str, text: str, positions: Positions) -> None:
        self.path = path
        self.text = text
        self.pos = positions
        self.seen: set[int] = set()
        self.found: list[ActionRef] = []

    def first_visit(self, node: Node) -> bool:
        if id(node) in self.seen:
            return False
        self.seen.add(id(node))
        return True

    # ----------------------------------------------------------------------- where to look

    def workflow(self, root: Node) -> None:
        jobs = root.get("jobs") if type(root) is Mapping else None
        if type(jobs) is not Mapping:
            return
        for _, job, _ in jobs.pairs:
            if type(job) is Mapping and self.first_visit(job):
                self.uses_in(job, job_level=True)
                self.container(job)
                self.services(job)
                self.steps(job.get("steps"))

    def action(self, root: Node) -> None:
        runs = root.get("runs") if type(root) is Mapping else None
        if type(runs) is not Mapping:
            return
        using = runs.get("using")
        kind = using.value.lower() if type(using) is Scalar else ""
        # The runner reads `runs.steps` only for composite actions, `runs.image` only for
        # Docker actions (ActionManifestManager.ConvertRuns).
        if kind == "composite":
            self.steps(runs.get("steps"))
        elif kind == "docker":
            self.runs_image(runs)

    def steps(self, steps: Node | None) -> None:
        if type(steps) is Sequence and self.first_visit(steps):
            for step in steps.items:
                if type(step) is Mapping and self.first_visit(step):
                    self.uses_in(step, job_level=False)

    # ----------------------------------------------------------------------- uses

    def uses_in(self, mapping: Mapping, job_level: bool) -> None:
        for key, _, at in mapping.pairs:
            if type(key) is Scalar and key.value == "<<" and key.plain:
                self.error(at, "merge keys (<<) are not supported by GitHub Actions")
                break
        found = mapping.item("uses")
        if found is None:
            return
        value, at = found
        if type(value) is not Scalar:
            shape = "a mapping" if type(value) is Mapping else "a sequence"
            self.error(at, f"uses must be a string, not {shape}")
            return
        if value.is_null or not value.value:
            self.error(at, "uses is empty")
            return
        self.add(at, value, classify_uses(value.value, job_level), "uses")

    # ----------------------------------------------------------------------- images

    def container(self, job: Mapping) -> None:
        found = job.item("container")
        if found is not None:
            self.container_value(*found, source="container")

    def services(self, job: Mapping) -> None:
        found = job.item("services")
        if found is None:
            return
        services, at = found
        if type(services) is Scalar and "${{" in services.value:
            self.add(at, services, classify_image(services.value), "service")
        elif type(services) is Mapping and self.first_visit(services):
            for _, service, service_at in services.pairs:
                self.container_value(service, service_at, source="service")

    def container_value(self, value: Node, at: Mark, source: Source) -> None:
        """`container:` or `services.<id>:`: an image name, or a mapping with `image:`
        (WorkflowTemplateConverter.ConvertToJobContainer)."""
        if type(value) is Mapping:
            if not self.first_visit(value):
                return
            found = value.item("image")
            if found is None:
                return
            value, at = found
        if type(value) is not Scalar:
            self.error(at, f"{source} must be an image name or a mapping with image")
            return
        if value.is_null:
            return
        self.image(at, value, source, empty_ok=source == "container")

    def image(self, at: Mark, value: Scalar, source: Source, empty_ok: bool) -> None:
        text = value.value
        # The runner trims a case-sensitive `docker://`; an image left empty means no container
        # for a job, and an error for a service or for `docker://` alone.
        image = text.removeprefix(_DOCKER_PREFIX)
        if not image:
            if text or not empty_ok:
                self.error(at, "container image cannot be empty; GitHub refuses the workflow")
            return
        self.add(at, value, classify_image(image), source)

    def runs_image(self, runs: Mapping) -> None:
        found = runs.item("image")
        if found is None:
            return
        value, at = found
        if type(value) is not Scalar or value.is_null or not value.value:
            self.error(at, "runs.image must name a Dockerfile or docker://image")
            return
        text = value.value
        if text[:9].lower() == _DOCKER_PREFIX and "${{" not in text:
            if not text[9:]:
                self.error(at, "runs.image docker:// names no image")
            else:
                self.add(at, value, classify_image(text[9:]), "runs-image")
        elif "${{" in text:
            self.add(at, value, classify_image(text), "runs-image")
        elif is_dockerfile(text):
            reason = "Dockerfile built from the action's own files, not an image to pin"
            self.add(at, value, Classified("local", reason, "local"), "runs-image")
        else:
            self.error(
                at,
                f"runs.image {text[:80]!r} is neither a Dockerfile nor docker://image; "
                "the runner refuses it",
            )

    # ----------------------------------------------------------------------- findings

    def add(self, at: Mark, value: Scalar, c: Classified, source: Source) -> None:
        line, column = self.pos.of(at)
        self.found.append(
            ActionRef(
                file=self.path,
                line=line,
                column=column,
                uses=value.value,
                verdict=c.verdict,
                reason=c.reason,
                kind=c.kind,
                owner_repo=c.owner_repo,
                ref=c.ref,
                version_comment=_trailing_comment(self.text, value),
                source=source,
            )
        )

    def error(self, at: Mark | tuple[int, int], reason: str, uses: str = "") -> None:
        line, column = at if isinstance(at, tuple) else self.pos.of(at)
        self.found.append(
            ActionRef(
                file=self.path,
                line=line,
                column=column,
                uses=uses,
                verdict="parse-error",
                reason=reason,
            )
        )


def _refused(path: str, refusal: Refusal) -> ActionRef:
    return ActionRef(path, refusal.line, "", "parse-error", refusal.reason, column=refusal.column)


def scan_file(path: str, data: bytes) -> list[ActionRef]:
    """Every reference GitHub would fetch for one workflow or action file, in line order.

    `path` is repository-relative and decides how the file is read: directly under
    `.github/workflows/` it is a workflow, else `action.yml`/`action.yaml` is an action, else
    a workflow. Never raises for any content: what cannot be read is a `parse-error` finding.
    """
    as_action = is_action_path(path) and not is_workflow_path(path)
    text = decode(data)
    if isinstance(text, Refusal):
        return [_refused(path, text)]
    parsed = read(text)
    if isinstance(parsed, Refusal):
        return [_refused(path, parsed)]
    walker = _Walker(path, text, parsed.positions)
    for problem in parsed.problems:
        uses = problem.value if problem.key == "uses" else ""
        walker.error((problem.line, problem.column), problem.reason, uses)
    if as_action and parsed.first_anchor is not None:
        # actions/runner ActionManifestManager reads action.yml without anchor support.
        walker.error(
            parsed.first_anchor,
            "anchors and aliases are not supported in an action file; the runner refuses it",
        )
    for root in parsed.roots:
        if as_action:
            walker.action(root)
        else:
            walker.workflow(root)
    return sorted(walker.found, key=order)


def scan(
    files: Iterable[tuple[str, bytes]],
    allowlist: tuple[str, ...] = (),
    rules: Iterable[str] = (),
) -> tuple[ActionRef, ...]:
    """Scan `(repo-relative path, content)` pairs and apply pin-allowlist and pin-rules.

    `allowlist` is the parsed `pin-allowlist` input; `rules` the `pin-rules` lines
    (`PATTERN: hash-pin|ref-pin|any`), parsed here: a bad line raises InputError before any
    file is read. See `policy.apply` for what each exempts. Sorted by file, line and column.
    """
    parsed_rules = policy.parse_pin_rules(rules.splitlines() if isinstance(rules, str) else rules)
    found = [ref for path, data in files for ref in scan_file(path, data)]
    return tuple(sorted(policy.apply(found, allowlist, parsed_rules), key=order))
