"""Inputs (INPUT_* variables or command-line flags) into one frozen, validated Settings.

One converter per input; every error names the input and the accepted form. The runner passes
inputs as `INPUT_<NAME upper-cased, hyphens kept>`; an empty value means the default.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

from covaction import __version__
from covaction.errors import InputError

_THRESHOLD = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,6})?", re.ASCII)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
# A token is opaque: GitHub's Actions and App installation tokens became JWTs of ~520 characters
# and more in 2026 ("ghs_" then letters, digits, "." and "_", no fixed length). Refuse only what
# cannot travel as one HTTP header value: anything but printable ASCII, or an absurd size.
_TOKEN = re.compile(r"[\x21-\x7e]+", re.ASCII)
_TOKEN_MAX = 64 * 1024
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@{}~^-]{0,254}", re.ASCII)


class Mode(StrEnum):
    """`auto` chooses from the event; `publish` posts a fork's stored result."""

    AUTO = "auto"
    PUBLISH = "publish"


class CommentMode(StrEnum):
    UPDATE = "update"  # one comment, edited in place
    NEW = "new"  # a new comment each run
    OFF = "off"


class PinPolicy(StrEnum):
    FAIL = "fail"
    WARN = "warn"
    OFF = "off"


class Output(StrEnum):
    """What covaction prints outside GitHub Actions."""

    TEXT = "text"  # a terminal report
    MARKDOWN = "markdown"  # the pull request comment
    SUMMARY = "summary"  # the job summary


class Metric(StrEnum):
    """What the headline counts; AUTO is what the producer's own tool reports."""

    AUTO = "auto"
    LINES = "lines"
    LINES_AND_BRANCHES = "lines-and-branches"
    BRANCHES = "branches"
    STATEMENTS = "statements"
    INSTRUCTIONS = "instructions"


def _threshold(name: str, value: str) -> Decimal | None:
    if not value:
        return None
    if not _THRESHOLD.fullmatch(value) or not (0 <= Decimal(value) <= 100):
        raise InputError(
            f"input {name}: {value[:40]!r} is not a percentage; use a plain number from 0 to 100 "
            "with an optional decimal point, e.g. 80 or 79.95 (no % sign)"
        )
    return Decimal(value)


def _enum(kind: type[StrEnum]) -> Callable[[str, str], StrEnum]:
    options = tuple(member.value for member in kind)

    def convert(name: str, value: str) -> StrEnum:
        if value not in options:
            raise InputError(f"input {name}: {value[:40]!r} is not one of {', '.join(options)}")
        return kind(value)

    return convert


def _choice(options: tuple[str, ...]) -> Callable[[str, str], str]:
    def convert(name: str, value: str) -> str:
        if value not in options:
            raise InputError(f"input {name}: {value[:40]!r} is not one of {', '.join(options)}")
        return value

    return convert


def _boolean(name: str, value: str) -> bool:
    # Exactly the toolkit's getBooleanInput forms; anything else is an error, not "false".
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    raise InputError(f"input {name}: {value[:40]!r} is not a boolean; use true or false")


def _name(name: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise InputError(
            f"input {name}: {value[:40]!r} is not a valid name; use 1-64 letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    return value


def _workspace_path(name: str, value: str) -> str:
    """A path that must stay inside the workspace: relative, no `..`, no NUL."""
    if not value:
        return value
    if "\x00" in value or "\n" in value:
        raise InputError(f"input {name}: the path contains a NUL or newline character")
    pure = PurePosixPath(value.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise InputError(
            f"input {name}: {value[:80]!r} leaves the workspace; give a path relative to the "
            "repository root without '..'"
        )
    return value


def _depth(name: str, value: str) -> int:
    if not re.fullmatch(r"[1-9]", value):
        raise InputError(f"input {name}: {value[:40]!r} is not a folder depth; use 1 to 9")
    return int(value)


def _lines(name: str, value: str) -> tuple[str, ...]:
    """Non-blank lines, stripped; their form is checked by the module that reads them."""
    return tuple(line.strip() for line in value.splitlines() if line.strip())


def _pin_rules(name: str, value: str) -> tuple[str, ...]:
    """Checked here, so a bad line stops the run before any work; read again by the pin check."""
    lines = _lines(name, value)
    if lines:
        from covaction.pins.policy import parse_pin_rules  # imports YAML only when rules are set

        parse_pin_rules(lines)
    return lines


def _patterns(name: str, value: str) -> tuple[str, ...]:
    items = [p.strip() for p in re.split(r"[\n,]", value) if p.strip()]
    for item in items:
        _workspace_path(name, item)
    return tuple(items)


def _ref(name: str, value: str) -> str:
    if value and (not _REF.fullmatch(value) or ".." in value.replace("...", "")):
        raise InputError(
            f"input {name}: {value[:40]!r} is not a git ref; use a branch, tag or commit such as "
            "origin/main"
        )
    return value


def _token(name: str, value: str) -> str:
    if not value:
        return value
    # Never echo the value: it is a secret even when malformed.
    if len(value) > _TOKEN_MAX:
        raise InputError(
            f"input {name}: the token is over 64 KiB, which no GitHub token is; "
            "pass ${{ github.token }} or a personal access token"
        )
    if not _TOKEN.fullmatch(value):
        raise InputError(
            f"input {name}: the token contains a space, a line break, a control or a non-ASCII "
            "character, which no GitHub token does; pass ${{ github.token }} or a personal "
            "access token, without a 'Bearer' or 'token' prefix"
        )
    return value


def _allowlist(name: str, value: str) -> tuple[str, ...]:
    if not value:
        return ()
    from covaction.pins.workflows import parse_allowlist  # imports YAML only when a list is given

    return parse_allowlist(value)


def _format_choice(name: str, value: str) -> str:
    from covaction.formats import FORMATS

    return _choice(FORMATS)(name, value)


@dataclass(frozen=True, slots=True)
class InputSpec:
    name: str
    default: str
    help: str
    convert: Callable[[str, str], Any]
    secret: bool = False


INPUTS: tuple[InputSpec, ...] = (
    InputSpec(
        "coverage-files",
        "",
        "Newline- or comma-separated report paths or globs, relative to the workspace. "
        "Default: coverage.xml, .coverage, coverage.json at the root.",
        _patterns,
    ),
    InputSpec(
        "format",
        "auto",
        "Report format: auto, or one of the formats listed in the README.",
        _format_choice,
    ),
    InputSpec(
        "coverage-metric",
        "auto",
        "What the headline counts: auto (what the producer's own tool reports), lines, "
        "lines-and-branches, branches, statements or instructions.",
        _enum(Metric),
    ),
    InputSpec(
        "coverage-config",
        "",
        "coverage.py's configuration file when it is not at a default place "
        "(e.g. ci/coverage.cfg, as given to --cov-config).",
        _workspace_path,
    ),
    InputSpec(
        "github-token",
        "",
        "Token for the GitHub API (default in the action: ${{ github.token }}). Never printed.",
        _token,
        secret=True,
    ),
    InputSpec("minimum-coverage", "", "Fail below this total percentage (0-100).", _threshold),
    InputSpec(
        "minimum-diff-coverage",
        "",
        "Fail when coverage of the lines the change adds or modifies is below this (0-100).",
        _threshold,
    ),
    InputSpec(
        "maximum-coverage-drop",
        "",
        "Fail when total coverage drops more than this many points below the baseline.",
        _threshold,
    ),
    InputSpec(
        "baseline-artifact",
        "covaction-baseline",
        "Artifact name of the base branch's coverage.",
        _name,
    ),
    InputSpec(
        "baseline-file",
        "",
        "A local baseline JSON file instead of the artifact (on the command line: any path).",
        _workspace_path,
    ),
    InputSpec(
        "write-baseline",
        "",
        "Also write this run's baseline to this file (on the command line: any path), e.g. to "
        "compare a later run with --baseline-file.",
        _workspace_path,
    ),
    InputSpec("report-name", "coverage", "Names one report: its own comment and baseline.", _name),
    InputSpec(
        "comment",
        "update",
        "update one comment in place, new each run, or off.",
        _enum(CommentMode),
    ),
    InputSpec(
        "pin-policy",
        "warn",
        "fail, warn or off for actions not pinned to a full commit SHA or an image digest.",
        _enum(PinPolicy),
    ),
    InputSpec(
        "pin-allowlist",
        "",
        "Patterns of actions exempt from the pin check, e.g. my-org/*.",
        _allowlist,
    ),
    InputSpec(
        "pin-rules",
        "",
        "Pin policy per pattern, one 'PATTERN: hash-pin|ref-pin|any' per line (first match "
        "wins), e.g. 'actions/*: ref-pin'; references no rule matches need a full SHA.",
        _pin_rules,
    ),
    InputSpec(
        "annotations", "true", "Annotate uncovered changed lines and unpinned references.", _boolean
    ),
    InputSpec(
        "diff-base", "", "Changed lines from git against this ref (git diff REF...HEAD).", _ref
    ),
    InputSpec("diff-file", "", "Changed lines from this unified diff file.", _workspace_path),
    InputSpec(
        "report-json", "", "Write the whole result as versioned JSON to this path.", _workspace_path
    ),
    InputSpec(
        "folder-depth",
        "1",
        "How many folder levels below the folders every file shares the folder table groups by.",
        _depth,
    ),
    InputSpec(
        "output",
        "text",
        "What covaction prints outside GitHub Actions: text (a terminal report), markdown (the "
        "pull request comment) or summary (the job summary).",
        _enum(Output),
    ),
    InputSpec(
        "mode",
        "auto",
        "auto chooses from the event; publish posts, from a trusted workflow_run workflow, the "
        "result a fork's pull request run stored.",
        _enum(Mode),
    ),
)

SPECS = {spec.name: spec for spec in INPUTS}


def env_name(name: str) -> str:
    """The variable the runner sets for an input: spaces become '_', hyphens are kept."""
    return "INPUT_" + name.replace(" ", "_").upper()


@dataclass(frozen=True, slots=True)
class Settings:
    coverage_files: tuple[str, ...]
    format: str
    coverage_metric: Metric
    coverage_config: str
    token: str
    minimum_coverage: Decimal | None
    minimum_diff_coverage: Decimal | None
    maximum_coverage_drop: Decimal | None
    baseline_artifact: str
    baseline_file: str
    write_baseline: str
    report_name: str
    comment: CommentMode
    pin_policy: PinPolicy
    pin_allowlist: tuple[str, ...]
    pin_rules: tuple[str, ...]
    annotations: bool
    diff_base: str
    diff_file: str
    report_json: str
    folder_depth: int
    output: Output
    mode: Mode

    def __repr__(self) -> str:  # never show the token
        return f"Settings(report_name={self.report_name!r}, format={self.format!r}, ...)"


# Files a person names on the command line may be anywhere on their machine; in a workflow the
# same inputs must stay inside the workspace (everything there may come from a pull request).
LAPTOP_PATHS = frozenset({"baseline-file", "write-baseline"})


def _any_path(name: str, value: str) -> str:
    if "\x00" in value or "\n" in value:
        raise InputError(f"input {name}: the path contains a NUL or newline character")
    return value


def from_values(raw: Mapping[str, str], laptop: bool = False) -> Settings:
    """Convert raw strings (missing or empty = default); the first bad value raises InputError.

    `laptop`: the command run by a person (not in GitHub Actions): LAPTOP_PATHS may name any
    file."""
    values: dict[str, Any] = {}
    for spec in INPUTS:
        text = raw.get(spec.name, "")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            text = spec.default
        convert = _any_path if laptop and spec.name in LAPTOP_PATHS else spec.convert
        values[spec.name.replace("-", "_")] = convert(spec.name, text)
    values["token"] = values.pop("github_token")
    if values["diff_base"] and values["diff_file"]:
        raise InputError(
            "inputs diff-base and diff-file both name where the changed lines come from; set one"
        )
    return Settings(**values)


def from_environ(environ: Mapping[str, str]) -> Settings:
    raw = {spec.name: environ.get(env_name(spec.name), "") for spec in INPUTS}
    if not raw["github-token"].strip():
        raw["github-token"] = environ.get("GITHUB_TOKEN", "")
    return from_values(raw)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="covaction",
        description=(
            "Coverage gate for pull requests. Reads coverage reports, compares with a baseline, "
            "enforces thresholds, checks that workflow actions are pinned, and prints the comment "
            "and job summary it would post. Every option is also the action input of the same "
            "name (INPUT_<NAME> in GitHub Actions)."
        ),
        epilog=(
            "Exit codes: 0 all gates passed, 1 a gate failed, 2 the run could not be done as asked."
        ),
    )
    parser.add_argument("--version", action="version", version=f"covaction {__version__}")
    for spec in INPUTS:
        default = f" (default: {spec.default})" if spec.default else ""
        parser.add_argument(
            f"--{spec.name}",
            dest=spec.name,
            default=None,
            metavar="VALUE",
            help=spec.help + default,
        )
    return parser


def from_argv(argv: Sequence[str], environ: Mapping[str, str]) -> Settings:
    """Flags win over INPUT_* variables; both fall back to the defaults."""
    args = vars(build_parser().parse_args(list(argv)))
    raw = {spec.name: environ.get(env_name(spec.name), "") for spec in INPUTS}
    if not raw["github-token"].strip():
        raw["github-token"] = environ.get("GITHUB_TOKEN", "")
    for name, value in args.items():
        if value is not None:
            raw[name] = value
    # A command run by a person; in GitHub Actions the workspace rule holds for flags too.
    return from_values(raw, laptop=environ.get("GITHUB_ACTIONS") != "true")
