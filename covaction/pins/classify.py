"""One reference -> its verdict and why: `uses:` values, container images, and the pin to write."""

# How the runner splits a `uses:` value (actions/runner src/Sdk/DTPipelines/Pipelines/
# ObjectTemplating/PipelineTemplateConverter.cs ConvertToStep): `docker://` first, then a local
# `./` (or `.\`), then the self-repository prefix `$/` (PipelineConstants.TryParseSelfRepository:
# this repository at the running commit, a path after the prefix required), then
# `owner/repo[/path]@ref` split on `@` into exactly two parts and on `/` and `\` into names.
#
# Images: a job's `container:` and `services.<id>` (a string, or a mapping's `image:`) and a
# Docker action's `runs.image: docker://...` are pulled by the runner like a `docker://` step;
# they are pinned only by a `@sha256:` digest. A Docker action's `runs.image` naming a
# Dockerfile (actions/runner DockerUtil.IsDockerfile: the last path part starts with
# "Dockerfile." or ends with "Dockerfile") is built from the action's own directory: local.
#
# Upper-case SHAs: git reads a 40-digit hex name in either case as the object itself, so
# `@8F4B...` names one commit to git. GitHub documents and prints commit SHAs in lower case,
# and how its action resolver treats another spelling is not documented anywhere we can check;
# writing the SHA in lower case costs nothing, so an upper- or mixed-case SHA is flagged with
# the exact lower-case text to write.

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from covaction.pins.refs import ActionRef, Kind, Verdict

__all__ = [
    "Classified",
    "classify_image",
    "classify_uses",
    "image_parts",
    "is_dockerfile",
    "reference_names",
    "suggestion",
    "version_comment_mismatch",
]

FULL_SHA: Final = re.compile(r"[0-9a-f]{40}")
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")
_VERSION: Final = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]+)?", re.IGNORECASE)
_PATH_SEP: Final = re.compile(r"[/\\]")
SELF_REPOSITORY_PREFIX: Final = "$/"


@dataclass(frozen=True, slots=True)
class Classified:
    verdict: Verdict
    reason: str
    kind: Kind
    owner_repo: str | None = None
    ref: str | None = None


def reference_names(uses: str) -> list[str]:
    """`owner/repo/path@ref` -> ["owner", "repo", "path"], split as the runner splits."""
    return [n for n in _PATH_SEP.split(uses.partition("@")[0]) if n]


def image_parts(image: str) -> tuple[str, str | None, str | None]:
    """`name[:tag][@digest]` (no `docker://`) -> (name, tag, digest); a registry port is no tag."""
    name, at, digest = image.partition("@")
    base, colon, tag = name.rpartition(":")
    if colon and "/" not in tag:
        name = base
    else:
        tag = ""
    return name, tag or None, digest if at else None


def is_dockerfile(image: str) -> bool:
    """A Docker action's `runs.image` that names a Dockerfile to build (DockerUtil.IsDockerfile)."""
    last = image.split("/")[-1].lower()
    return last.startswith("dockerfile.") or last.endswith("dockerfile")


def classify_image(image: str) -> Classified:
    """An image the runner pulls, written without `docker://`: pinned only by a sha256 digest."""
    if "${{" in image:
        return Classified("unverifiable", "expression cannot be verified", "docker")
    name, tag, digest = image_parts(image)
    if digest is not None:
        if not name:
            return Classified("unpinned", "image reference without an image name", "docker")
        if _DIGEST.fullmatch(digest):
            return Classified("pinned", "pinned to an image digest", "docker", ref=digest)
        if _DIGEST.fullmatch(digest.lower()):
            reason = f"digest in upper case; write it in lower case: {digest.lower()}"
        else:
            reason = f"digest {digest[:80]} is not sha256: and 64 lowercase hex digits"
        return Classified("unpinned", reason, "docker", ref=digest)
    if tag is not None:
        reason = f"image tag {tag[:80]} can be moved; a digest (@sha256:…) cannot"
        return Classified("unpinned", reason, "docker")
    reason = "image without a tag or digest pulls latest; pin it to a digest (@sha256:…)"
    return Classified("unpinned", reason, "docker")


def _ref_problem(ref: str) -> str | None:
    """Why a git ref is not an immutable commit, or None for a full lowercase commit SHA."""
    if FULL_SHA.fullmatch(ref):
        return None
    shown = ref[:80]
    if _HEX.fullmatch(ref):
        if len(ref) == 40:
            return f"SHA in upper case; write it in lower case: {ref.lower()}"
        if 7 <= len(ref) < 40:
            return f"short SHA {shown} can be shadowed by a branch or tag of that name"
        if len(ref) > 40:
            return f"{len(ref)}-digit hex is not a 40-character commit SHA"
    if _VERSION.fullmatch(ref):
        return f"tag {shown} can be moved"
    return f"branch or tag {shown} can be moved"


def classify_uses(uses: str, job_level: bool) -> Classified:
    """A `uses:` value of a step (or, `job_level`, of a job calling a reusable workflow)."""
    if uses.startswith(("./", ".\\")):
        return Classified("local", "local action, not a reference to pin", "local")
    if uses.startswith(SELF_REPOSITORY_PREFIX) and uses[2:].lstrip("/"):
        return Classified("local", "this repository at the running commit ($/)", "local")
    docker = uses[:9].lower() == "docker://"
    default_kind: Kind = "docker" if docker else "reusable-workflow" if job_level else "action"
    if docker:
        return classify_image(uses[9:])
    if "${{" in uses:
        left, at, ref = uses.partition("@")
        names = reference_names(left) if "${{" not in left else []
        owner_repo = "/".join(names[:2]) if len(names) >= 2 else None
        return Classified(
            "unverifiable",
            "expression cannot be verified",
            default_kind,
            owner_repo=owner_repo,
            ref=ref if at else None,
        )
    segments = uses.split("@")
    if len(segments) == 1:
        return Classified("unpinned", "no @ref: expected owner/repo[/path]@<sha>", default_kind)
    if len(segments) > 2:
        return Classified("unpinned", "more than one @: not a valid reference", default_kind)
    left, ref = segments
    names = reference_names(left)
    if len(names) < 2 or not ref:
        reason = "not a valid reference: expected owner/repo[/path]@<sha>"
        return Classified("unpinned", reason, default_kind, ref=ref or None)
    kind: Kind = default_kind
    if len(names) > 3 and names[2:4] == [".github", "workflows"]:
        kind = "reusable-workflow"
    owner_repo = f"{names[0]}/{names[1]}"
    problem = _ref_problem(ref)
    if problem is None:
        return Classified("pinned", "pinned to a commit SHA", kind, owner_repo, ref)
    return Classified("unpinned", problem, kind, owner_repo, ref)


# --------------------------------------------------------------------------- for the API step


def version_comment_mismatch(ref: ActionRef, tag_sha: str) -> bool:
    """True when a pinned reference's version comment names a tag that is not its commit.

    `tag_sha` is the commit the tag in `ref.commented_version` resolves to (peel annotated
    tags to the commit first). False when there is nothing to compare: not pinned to a commit,
    or no version-like comment.
    """
    if not FULL_SHA.fullmatch(tag_sha.lower()):
        raise ValueError(f"not a 40-character commit SHA: {tag_sha[:80]!r}")
    if ref.verdict != "pinned" or ref.kind == "docker" or ref.ref is None:
        return False
    if ref.commented_version is None:
        return False
    return ref.ref.lower() != tag_sha.lower()


def suggestion(ref: ActionRef, sha: str, tag: str | None = None) -> str:
    """What to write instead: `owner/repo[/path]@<sha> # <tag>`; for an image `@sha256:<digest>`.

    `tag` defaults to the moving ref being replaced (`v4`) or the version comment. Raises
    ValueError for references that cannot be pinned (local, parse errors, expressions) or a
    `sha` of the wrong form.
    """
    if ref.kind == "docker":
        digest = sha if sha.startswith("sha256:") else f"sha256:{sha}"
        if not _DIGEST.fullmatch(digest):
            raise ValueError(f"not a sha256 image digest: {sha[:80]!r}")
        prefix = ref.uses[:9] if ref.uses[:9].lower() == "docker://" else ""
        image, image_tag, _ = image_parts(ref.uses[len(prefix) :])
        if "${{" in ref.uses or not image:
            raise ValueError(f"cannot pin {ref.uses[:80]!r}")
        label = tag or image_tag or ref.commented_version
        return f"{prefix}{image}@{digest}" + (f" # {label}" if label else "")
    name, _, current = ref.uses.partition("@")
    if ref.owner_repo is None or ref.kind == "local" or "${{" in name:
        raise ValueError(f"cannot pin {ref.uses[:80]!r}")
    if not FULL_SHA.fullmatch(sha.lower()):
        raise ValueError(f"not a 40-character commit SHA: {sha[:80]!r}")
    if tag is None:
        moving = current and "${{" not in current and not _HEX.fullmatch(current)
        tag = current if moving else ref.commented_version
    return f"{name}@{sha.lower()}" + (f" # {tag}" if tag else "")
