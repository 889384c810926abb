"""Runs entrypoint.py exactly as the runner starts a container action, and reads back what it wrote.

`ActionRun` builds the environment of contract A.4/A.11: a workspace as the working directory,
the five file-command files created empty, GITHUB_*/RUNNER_* variables with container-style
values, INPUT_* variables named as the runner names them (hyphens kept) with action.yml's
defaults, the event payload in a file. After the run it parses GITHUB_OUTPUT with the runner's
exact grammar (failing where the runner would fail the step), checks the summary's size rule,
and parses workflow commands from stdout.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
SUMMARY_LIMIT = 1024 * 1024
COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")


def action_inputs() -> dict[str, str]:
    """action.yml's inputs with their defaults, as the runner would evaluate them."""
    doc = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    out = {}
    for name, spec in (doc.get("inputs") or {}).items():
        default = str(spec.get("default", "")) if spec else ""
        out[name] = default
    return out


def parse_file_command(text: str) -> dict[str, str]:
    """The runner's EnvFileKeyValuePairs grammar (contract A.5); raises where it fails the step."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line == "":
            i += 1
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (eq < 0 or heredoc < eq):
            name, delim = line[:heredoc], line[heredoc + 2 :]
            if not name or not delim:
                raise AssertionError(f"Invalid format {line!r}: empty name or delimiter")
            value_lines = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                value_lines.append(lines[i])
                i += 1
            if i >= len(lines):
                raise AssertionError(f"Matching delimiter not found {delim!r}")
            out[name] = "\n".join(value_lines)
            i += 1
        elif eq >= 0:
            out[line[:eq]] = line[eq + 1 :]
            i += 1
        else:
            raise AssertionError(f"Invalid format {line!r}")
    if text and not text.endswith("\n"):
        raise AssertionError("EOF marker missing new line")
    return out


@dataclass
class Command:
    name: str
    props: dict[str, str]
    data: str


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    commands: list[Command]

    def of(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]

    @property
    def errors(self) -> list[str]:
        return [c.data for c in self.of("error")]

    @property
    def warnings(self) -> list[str]:
        return [c.data for c in self.of("warning")]

    def everything(self) -> str:
        return self.stdout + self.stderr + self.summary + json.dumps(self.outputs)


def _unescape(s: str) -> str:
    return (
        s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_commands(stdout: str) -> list[Command]:
    out = []
    for line in stdout.split("\n"):
        m = COMMAND.match(line.lstrip())
        if not m:
            continue
        props = {}
        if m.group(2):
            for pair in m.group(2).split(","):
                k, _, v = pair.partition("=")
                props[k] = _unescape(v)
        out.append(Command(m.group(1).lower(), props, _unescape(m.group(3))))
    return out


def _id(doc: Any, *keys: str) -> str:
    """The integer at `keys` in a (possibly malformed) payload, as a string, or ""."""
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return str(doc) if type(doc) is int else ""


def _dig(event: Any, side: str) -> str:
    """pull_request.<side>.ref of a (possibly malformed) payload, or "" (GitHub's own ref names
    never hold a NUL, which no environment variable can carry)."""
    doc = event.get("pull_request") if isinstance(event, dict) else None
    doc = doc.get(side) if isinstance(doc, dict) else None
    ref = doc.get("ref") if isinstance(doc, dict) else None
    return ref if isinstance(ref, str) and "\0" not in ref else ""


@dataclass
class ActionRun:
    """One step's container, laid out in tmp_path."""

    tmp: Path
    api_url: str = "http://127.0.0.1:9"
    repository: str = "octo-org/widget"
    event_name: str = "push"
    event: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # What `${{ github.token }}` evaluates to in action.yml's default; tests against the fake
    # set one of its tokens.
    token: str = "ghs_" + "0" * 36
    # A runner configured with a proxy (self-hosted) passes it in both spellings
    # (actions/runner ContainerInfo.UpdateWebProxyEnv): {"http": ..., "https": ..., "no": ...}.
    proxy: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workspace = self.tmp / "workspace"
        self.workspace.mkdir(exist_ok=True)
        self.runner_temp = self.tmp / "runner_temp"
        self.runner_temp.mkdir(exist_ok=True)
        self.files = self.tmp / "file_commands"
        self.files.mkdir(exist_ok=True)
        self.home = self.tmp / "home"
        self.home.mkdir(exist_ok=True)

    def environ(self) -> dict[str, str]:
        event_path = self.tmp / "workflow" / "event.json"
        event_path.parent.mkdir(exist_ok=True)
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        names = {}
        for prefix, var in (
            ("set_output_", "GITHUB_OUTPUT"),
            ("set_env_", "GITHUB_ENV"),
            ("save_state_", "GITHUB_STATE"),
            ("add_path_", "GITHUB_PATH"),
            ("step_summary_", "GITHUB_STEP_SUMMARY"),
        ):
            path = self.files / f"{prefix}0001"
            path.write_text("", encoding="utf-8")
            names[var] = str(path)
        ref, head_ref, base_ref = "refs/heads/main", "", ""
        if self.event_name in ("pull_request", "pull_request_target"):
            ref = f"refs/pull/{self.event.get('number', 1)}/merge"
            head_ref, base_ref = _dig(self.event, "head"), _dig(self.event, "base")
        owner = self.repository.split("/")[0]
        # The runner takes the ids from the repository the event names (github context).
        repository_id = _id(self.event, "repository", "id") or "100001"
        owner_id = _id(self.event, "repository", "owner", "id") or "9001"
        # What actions/runner exports into a container action's `docker run` (ContainerActionHandler
        # .cs: the github context's allowlist of GitHubContext.cs as GITHUB_*, every runner
        # context key as RUNNER_*, HOME, ACTIONS_*; DockerCommandManager.cs: GITHUB_ACTIONS, CI;
        # ContainerInfo.cs: the proxy). Empty github-context values are exported empty
        # (`-e NAME` with an empty value), e.g. GITHUB_HEAD_REF on a push.
        env = {
            # From the image (python:3.12-slim's ENV), not from the runner.
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_ACTION": "__octo-org_covaction",
            "GITHUB_ACTION_REPOSITORY": "octo-org/covaction",
            "GITHUB_ACTION_REF": "v1",
            "GITHUB_ACTOR": "mona",
            "GITHUB_ACTOR_ID": "583231",
            "GITHUB_TRIGGERING_ACTOR": "mona",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_GRAPHQL_URL": self.api_url + "/graphql",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_ID": repository_id,
            "GITHUB_REPOSITORY_OWNER": owner,
            "GITHUB_REPOSITORY_OWNER_ID": owner_id,
            "GITHUB_SHA": "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
            "GITHUB_REF": ref,
            "GITHUB_REF_NAME": ref.split("/", 2)[2],
            "GITHUB_REF_TYPE": "branch",
            "GITHUB_REF_PROTECTED": "false",
            "GITHUB_HEAD_REF": head_ref,
            "GITHUB_BASE_REF": base_ref,
            "GITHUB_RUN_ID": "9000000001",
            "GITHUB_RUN_NUMBER": "7",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "test",
            "GITHUB_WORKFLOW": "CI",
            "GITHUB_WORKFLOW_REF": f"{self.repository}/.github/workflows/ci.yml@{ref}",
            "GITHUB_WORKFLOW_SHA": "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
            "GITHUB_RETENTION_DAYS": "90",
            "RUNNER_NAME": "GitHub Actions 1000000001",
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_TEMP": str(self.runner_temp),
            # Host paths, not mounted into the container (contract A.4).
            "RUNNER_TOOL_CACHE": "/opt/hostedtoolcache",
            "RUNNER_WORKSPACE": "/home/runner/work/widget",
            # Not a runner variable: bounds API retry waits so tests of failures stay fast.
            "COVACTION_MAX_RETRY_WAIT": "0",
            **names,
        }
        for scheme in ("http", "https", "no"):
            if scheme in self.proxy:
                env[f"{scheme.upper()}_PROXY"] = env[f"{scheme}_proxy"] = self.proxy[scheme]
        inputs = action_inputs()
        inputs.update(self.inputs)
        for name, value in inputs.items():
            value = value.replace("${{ github.token }}", self.token)
            env["INPUT_" + name.replace(" ", "_").upper()] = value
        env.update(self.env)
        return {k: v for k, v in env.items() if v is not None}

    def run(self, timeout: float = 120) -> Result:
        env = self.environ()
        proc = subprocess.run(
            [sys.executable, str(ENTRYPOINT)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        # Bytes, then decode: the runner keeps a CR as part of a line (no newline translation).
        output_text = Path(env["GITHUB_OUTPUT"]).read_bytes().decode("utf-8")
        summary = Path(env["GITHUB_STEP_SUMMARY"]).read_bytes().decode("utf-8")
        assert len(summary.encode("utf-8")) <= SUMMARY_LIMIT, "the runner would drop this summary"
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        return Result(
            proc.returncode,
            proc.stdout,
            proc.stderr,
            parse_file_command(output_text),
            summary,
            parse_commands(proc.stdout),
        )
