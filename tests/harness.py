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
        ref = "refs/heads/main"
        if self.event_name in ("pull_request", "pull_request_target"):
            ref = f"refs/pull/{self.event.get('number', 1)}/merge"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_REPOSITORY_OWNER": self.repository.split("/")[0],
            "GITHUB_API_URL": self.api_url,
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_GRAPHQL_URL": self.api_url + "/graphql",
            "GITHUB_SHA": "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
            "GITHUB_REF": ref,
            "GITHUB_RUN_ID": "9000000001",
            "GITHUB_RUN_NUMBER": "7",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_JOB": "test",
            "GITHUB_WORKFLOW": "CI",
            "GITHUB_ACTOR": "mona",
            "GITHUB_RETENTION_DAYS": "90",
            "RUNNER_TEMP": str(self.runner_temp),
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "NO_PROXY": "127.0.0.1,localhost",
            # Not a runner variable: bounds API retry waits so tests of failures stay fast.
            "COVACTION_MAX_RETRY_WAIT": "0",
            **names,
        }
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
