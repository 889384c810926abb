"""Which references the pin policy exempts: the `pin-allowlist` and `pin-rules` inputs."""

# pin-rules follows zizmor's `unpinned-uses` policies (docs/audits.md "unpinned-uses",
# docs/configuration.md "Repository patterns"): `hash-pin` needs a full commit SHA, `ref-pin`
# any ref (a tag, a branch, a short SHA), `any` nothing. Two differences, both deliberate:
# the first matching line wins (the order a reader sees is the order applied; zizmor picks the
# most specific pattern), and `docker://IMAGE` patterns give images a policy too (`ref-pin`:
# a tag other than `latest`, or a digest). Names match ignoring case for owner and repository
# (GitHub resolves both ignoring case) and exactly for a path inside a repository.

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final, Literal

from covaction.errors import InputError
from covaction.pins.classify import image_parts, reference_names
from covaction.pins.refs import ActionRef

__all__ = [
    "PinRule",
    "Policy",
    "allowlist_matches",
    "apply",
    "compile_allowlist",
    "parse_allowlist",
    "parse_pin_rules",
]

Policy = Literal["hash-pin", "ref-pin", "any"]
POLICIES: Final[tuple[Policy, ...]] = ("hash-pin", "ref-pin", "any")

_OWNER_PATTERN: Final = re.compile(r"[A-Za-z0-9*-]+")
_REPO_PATTERN: Final = re.compile(r"[A-Za-z0-9._*-]+")
_PATH_PATTERN: Final = re.compile(r"[^\s@/\\]+")
_IMAGE_PATTERN: Final = re.compile(r"[A-Za-z0-9._/:*-]+")

_ALLOWLIST_FORM: Final = (
    "accepted form: owner/repo patterns with * wildcards, such as my-org/* or "
    "actions/checkout, separated by commas or newlines"
)
_RULES_FORM: Final = (
    "accepted form: one 'PATTERN: hash-pin|ref-pin|any' per line, where PATTERN is *, "
    "owner/*, owner/repo, owner/repo/path or docker://image (* matches any run of characters "
    "in a name), such as 'actions/*: ref-pin'"
)


# --------------------------------------------------------------------------- pin-allowlist


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


def _glob(name: str, within: str) -> str:
    """A name pattern as a regex: `*` is any run of characters other than `within`."""
    return f"[^{within}]*".join(map(re.escape, name.split("*")))


def compile_allowlist(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = ["/".join(_glob(name, "/") for name in p.split("/", 1)) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE) if parts else None


def allowlist_matches(owner_repo: str, patterns: Iterable[str]) -> bool:
    """Whether `owner/repo` matches one of the patterns, ignoring case as GitHub does."""
    compiled = compile_allowlist(patterns)
    return compiled is not None and compiled.fullmatch(owner_repo) is not None


# --------------------------------------------------------------------------- pin-rules


@dataclass(frozen=True, slots=True)
class PinRule:
    """One line of `pin-rules`: the pattern, its policy, and the line as written."""

    pattern: str
    policy: Policy
    text: str
    image: bool  # a docker:// pattern, matched against images only
    regex: re.Pattern[str]

    def matches(self, ref: ActionRef) -> bool:
        """Whether this rule speaks for `ref` (a repository reference, or an image)."""
        if self.image:
            name = _image_name(ref)
            return name is not None and self.regex.fullmatch(name) is not None
        if ref.owner_repo is None or ref.kind not in ("action", "reusable-workflow"):
            return False
        return self.regex.match("/".join(reference_names(ref.uses)) + "/") is not None

    def accepts(self, ref: ActionRef) -> bool:
        """Whether this rule's policy is met by `ref` (a pinned reference meets every policy)."""
        if ref.verdict == "pinned" or self.policy == "any":
            return ref.verdict in ("pinned", "unpinned", "unverifiable")
        if self.policy == "hash-pin":
            return False
        if self.image:  # ref-pin: a tag other than latest
            tag = image_parts(_strip_docker(ref.uses))[1]
            return ref.verdict == "unpinned" and ref.ref is None and tag not in (None, "latest")
        # ref-pin: any ref, even one from an expression, of a repository written out
        return ref.ref is not None and ref.owner_repo is not None


def _strip_docker(uses: str) -> str:
    return uses[9:] if uses[:9].lower() == "docker://" else uses


def _normal_image(name: str) -> str:
    """Docker Hub's spellings of one image as one: `docker.io/library/alpine` is `alpine`."""
    name = name.lower()
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return name.removeprefix("library/")


def _image_name(ref: ActionRef) -> str | None:
    if ref.kind != "docker" or "${{" in ref.uses:
        return None
    name = image_parts(_strip_docker(ref.uses))[0]
    return _normal_image(name) if name else None


def _rule_problem(pattern: str) -> str | None:
    if "@" in pattern:
        return "names a version; a rule covers every version of what it names"
    if pattern[:9].lower() == "docker://":
        image = pattern[9:]
        if not image or not _IMAGE_PATTERN.fullmatch(image):
            return "is not docker://image with characters image names use"
        return None
    if pattern == "*":
        return None
    names = pattern.split("/")
    if len(names) < 2:
        return "is not owner/repo (write owner/* for every repository of an owner)"
    if not _OWNER_PATTERN.fullmatch(names[0]):
        return "has an owner with characters GitHub does not allow"
    if not _REPO_PATTERN.fullmatch(names[1]) or names[1] in (".", ".."):
        return "has a repository name with characters GitHub does not allow"
    if any(not _PATH_PATTERN.fullmatch(n) or n in (".", "..") for n in names[2:]):
        return "has an empty or invalid path part"
    return None


def _compile(pattern: str) -> tuple[bool, re.Pattern[str]]:
    if pattern[:9].lower() == "docker://":
        image = _normal_image(pattern[9:])
        return True, re.compile(".*".join(map(re.escape, image.split("*"))), re.IGNORECASE)
    if pattern == "*":
        return False, re.compile("")
    owner, repo, *path = pattern.split("/")
    # Owner and repository ignore case (GitHub resolves them so); a path inside the repository
    # is a directory in the checkout and matches exactly. The pattern covers what is below it.
    parts = [f"(?i:{_glob(owner, '/')})", f"(?i:{_glob(repo, '/')})"]
    parts += [_glob(name, "/") for name in path]
    return False, re.compile("/".join(parts) + "/")


@lru_cache(maxsize=16)
def _parse(lines: tuple[str, ...]) -> tuple[PinRule, ...]:
    rules: list[PinRule] = []
    for raw in lines:
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        pattern, colon, policy = text.rpartition(":")
        pattern = pattern.strip()
        if len(pattern) >= 2 and pattern[0] == pattern[-1] and pattern[0] in "'\"":
            pattern = pattern[1:-1].strip()
        policy = policy.strip()
        if not colon or not pattern:
            problem: str | None = "is not 'PATTERN: POLICY'"
        elif policy not in POLICIES:
            problem = f"has the policy {policy[:40]!r}, not hash-pin, ref-pin or any"
        else:
            problem = _rule_problem(pattern)
        if problem is not None:
            raise InputError(f"pin-rules: the line {text[:100]!r} {problem}; {_RULES_FORM}")
        image, regex = _compile(pattern)
        rules.append(PinRule(pattern, policy, text, image, regex))  # type: ignore[arg-type]
    return tuple(rules)


def parse_pin_rules(lines: Iterable[str]) -> tuple[PinRule, ...]:
    """The `pin-rules` input, one `PATTERN: hash-pin|ref-pin|any` per line, in order.

    Blank lines and lines starting with `#` are skipped; a pattern may be quoted (`"*": any`,
    as zizmor's YAML configuration writes it). Raises InputError naming the input, the line and
    the accepted form for anything else.
    """
    return _parse(tuple(lines))


# --------------------------------------------------------------------------- both


def apply(
    refs: Iterable[ActionRef], allowlist: Iterable[str] = (), rules: Iterable[PinRule] = ()
) -> list[ActionRef]:
    """Mark what pin-allowlist exempts, then apply the first pin-rules line matching each
    reference. The allowlist exempts an action or reusable workflow whose `owner/repo` it
    matches, whatever its ref. A rule's policy met makes a reference `allowed`; a rule that
    requires more than the reference has says so in its reason. References no rule matches
    need a full commit SHA (or an image digest). Local references and parse errors are never
    exempt."""
    compiled = compile_allowlist(allowlist)
    ordered = tuple(rules)
    out: list[ActionRef] = []
    for ref in refs:
        if ref.verdict in ("local", "parse-error"):
            out.append(ref)
            continue
        if (
            compiled is not None
            and ref.owner_repo is not None
            and compiled.fullmatch(ref.owner_repo) is not None
        ):
            ref = replace(ref, allowed=True, allowed_by=f"pin-allowlist: {ref.owner_repo}")
        else:
            rule = next((r for r in ordered if r.matches(ref)), None)
            if rule is not None and ref.verdict != "pinned":
                if rule.accepts(ref):
                    ref = replace(ref, allowed=True, allowed_by=f"pin-rules: {rule.text[:100]}")
                elif rule.pattern != "*" or rule.policy != "hash-pin":
                    need = {
                        ("hash-pin", True): "an image digest",
                        ("hash-pin", False): "a full commit SHA",
                        ("ref-pin", True): "a tag other than latest, or a digest",
                    }.get((rule.policy, rule.image), "a ref")
                    reason = f"{ref.reason} (pin-rules '{rule.text[:80]}' requires {need})"
                    ref = replace(ref, reason=reason)
        out.append(ref)
    return out
