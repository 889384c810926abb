"""The pin check's values: one reference found in a file (ActionRef) and the counts (PinSummary)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ActionRef", "Kind", "PinSummary", "Source", "Verdict", "order"]

Verdict = Literal["pinned", "unpinned", "local", "unverifiable", "parse-error"]
# What the reference names. Images pulled by a job (`container:`, `services:`) or a Docker action
# (`runs.image`) are "docker" like `uses: docker://...`; `source` says where they were written.
Kind = Literal["action", "reusable-workflow", "docker", "local"]
# The key that holds the reference: a step's or job's `uses`, a job's `container` (or its
# `image`), a service container's image, a Docker action's `runs.image`.
Source = Literal["uses", "container", "service", "runs-image"]

_VERSION: Final = re.compile(r"v?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]+)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ActionRef:
    """One reference (or one reason a file cannot be read) at a file and line.

    `line` and `column` are 1-based, counted as git and GitHub's file view count them (a line
    ends at `\\n`), and point at the key that holds the reference (`uses`, `container`,
    `image`, a service's name); for a parse error, where the parser stopped. `uses` is the
    value as written ("" for a file-level parse error); `ref` is the part after `@` (a
    `sha256:` digest for an image) and `owner_repo` is `owner/repo` as written, both None where
    they do not apply. `version_comment` is the text of a comment on the value's line
    (`# v4.1.1` gives "v4.1.1"). `kind` is None for a parse error that is not about one
    reference. `allowed_by` names what exempts a reference the policy would otherwise act on
    (`pin-allowlist: my-org/*`, `pin-rules: actions/*: ref-pin`).
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
    source: Source = "uses"
    allowed_by: str | None = None

    @property
    def matters(self) -> bool:
        """True for a finding the pin policy acts on: unpinned, unverifiable or unreadable."""
        return self.verdict in ("unpinned", "unverifiable", "parse-error") and not self.allowed

    @property
    def is_image(self) -> bool:
        """A container image (pinned by digest), not a repository (pinned by commit SHA)."""
        return self.kind == "docker"

    @property
    def title(self) -> str:
        """A short title for an annotation about this finding."""
        if self.verdict == "parse-error":
            return "Unreadable workflow"
        return "Unpinned image" if self.is_image else "Unpinned action"

    @property
    def message(self) -> str:
        """One line saying what is wrong: an image lacks a digest, an action a commit SHA."""
        if not self.uses or self.verdict == "parse-error":
            return self.reason
        if self.is_image:
            return f"{self.uses} is not pinned to an image digest (@sha256:…): {self.reason}"
        return f"{self.uses} is not pinned to a full commit SHA: {self.reason}"

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


def order(ref: ActionRef) -> tuple[str, int, int, str]:
    """Sort key: file, line, column, then the reference."""
    return (ref.file, ref.line, ref.column, ref.uses)


@dataclass(frozen=True, slots=True)
class PinSummary:
    """Counts by verdict and the findings the pin policy acts on, in file and line order.

    `unpinned` and `unverifiable` count every such reference, allowed or not; `allowed` counts
    those that pin-allowlist or pin-rules exempt; `findings` holds those that matter
    (`ActionRef.matters`).
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
            findings=tuple(sorted(findings, key=order)),
        )

    @property
    def total(self) -> int:
        return self.pinned + self.unpinned + self.local + self.unverifiable + self.parse_errors
