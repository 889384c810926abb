"""Runs the action as the runner starts a container action, and reads back what it wrote.

`ActionRun` builds the environment actions/runner gives a container step: a workspace as the
working directory, the five file-command files created empty, GITHUB_*/RUNNER_* variables with
container-style values, INPUT_* variables named as the runner names them (hyphens kept) with
action.yml's defaults, the event payload in a file. After the run it parses GITHUB_OUTPUT with
the runner's exact grammar (failing where the runner would fail the step), checks the summary's
size rule, and parses workflow commands from stdout.

Two ways to run, one `Result`:
- in process (the default): `covaction.cli.main([], environ)` in the test's own interpreter,
  with the workspace as the working directory and stdout/stderr captured as the container's
  pipes are (UTF-8 text, wrapped in `CommandGuard` as entrypoint.py wraps them in GitHub
  Actions). The edges get the run's environment as a mapping; the process environment is left
  as it is. Every piece of process-wide state a run could change (working directory,
  environment, umask, signal handlers and timers, sys.path, stdout/stderr, logging handlers,
  warning filters) is compared before and after, so a run that leaks fails its test.
- in a process: `python entrypoint.py` started as the runner starts it, for the container
  contract itself (the import path, `-I`, the stream guard, signals, hangs under a timeout,
  what libraries read from the process environment, lazy imports, memory). A test asks for it
  with `@pytest.mark.process("why")` or `ActionRun(..., process=True)`; the environment
  variable COVACTION_TEST_PROCESS=1 runs every test that way.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import io
import json
import logging
import os
import pkgutil
import re
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from covaction import cli
from covaction.edges.runner import CommandGuard

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
SUMMARY_LIMIT = 1024 * 1024
COMMAND = re.compile(r"^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$")
#: Set by conftest from the running test's `process` marker; `ActionRun.process` overrides it.
PROCESS_BY_DEFAULT = os.environ.get("COVACTION_TEST_PROCESS") == "1"
#: The mark of the few representative runs kept end to end through entrypoint.py.
END_TO_END = pytest.mark.process(
    "one of the true end-to-end runs: `python entrypoint.py` as the runner starts it"
)


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
    # True: `python entrypoint.py` in a process of its own; None: as the test's marker says.
    process: bool | None = None

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
        """One step: in a process when asked for (see the module docstring), else in process.

        `timeout` bounds the run either way: a process is killed (subprocess raises
        TimeoutExpired); an in-process run that hangs dumps every thread's stack and ends the
        test process (faulthandler), which pytest-xdist reports as a crashed test.
        """
        env = self.environ()
        code, stdout, stderr = self.launch(env, timeout)
        # Bytes, then decode: the runner keeps a CR as part of a line (no newline translation).
        output_text = Path(env["GITHUB_OUTPUT"]).read_bytes().decode("utf-8")
        summary = Path(env["GITHUB_STEP_SUMMARY"]).read_bytes().decode("utf-8")
        assert len(summary.encode("utf-8")) <= SUMMARY_LIMIT, "the runner would drop this summary"
        assert "Traceback" not in stdout + stderr, stdout + stderr
        return Result(
            code,
            stdout,
            stderr,
            parse_file_command(output_text),
            summary,
            parse_commands(stdout),
        )

    def launch(
        self, env: dict[str, str], timeout: float = 120, python_flags: tuple[str, ...] = ()
    ) -> tuple[int, str, str]:
        """Exit code, stdout and stderr of one run with exactly `env`, in this step's
        workspace; in a process when the test asks for one or passes interpreter flags."""
        process = PROCESS_BY_DEFAULT if self.process is None else self.process
        if process or python_flags:
            return _in_a_process(env, self.workspace, timeout, python_flags)
        return _in_process(env, self.workspace, timeout)


def _in_a_process(
    env: dict[str, str], workspace: Path, timeout: float, python_flags: tuple[str, ...] = ()
) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, *python_flags, str(ENTRYPOINT)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return proc.returncode, proc.stdout, proc.stderr


def _in_process(env: dict[str, str], workspace: Path, timeout: float) -> tuple[int, str, str]:
    """`covaction.cli.main([], env)` here, seen as the container's pipes would carry it."""
    # What a container's Python writes to pipes under LANG=C.UTF-8: UTF-8, stdout with
    # surrogateescape and stderr with backslashreplace (Python's own choice for those streams).
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="surrogateescape", newline="\n")
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace", newline="\n")
    streams: tuple[Any, Any] = (out, err)
    if env.get("GITHUB_ACTIONS") == "true":  # as entrypoint.py wraps them
        streams = (CommandGuard(out), CommandGuard(err))
    _import_once()
    before = process_state()
    try:
        with _inside(workspace, streams, timeout):
            code = cli.main([], env)
    finally:
        for stream in streams:
            stream.flush()
    after = process_state()
    assert after == before, _leaks(before, after)
    # Read back as subprocess.run(text=True) reads a pipe: strict UTF-8, universal newlines.
    return code, _read_pipe(out_bytes.getvalue()), _read_pipe(err_bytes.getvalue())


_IMPORTED: list[str] = []


def _import_once() -> None:
    """Every covaction module and what it imports lazily, before the first in-process run.

    Importing changes process-wide state once (urllib3 adds a warnings filter; PyGithub gives
    the `github` logger a StreamHandler on the stderr of the moment), so it happens here and
    not inside a run, where it would be taken for a leak or bind a handler to a run's capture.
    Whether the run itself imports lazily is checked in a process (test_architecture).
    """
    if _IMPORTED:
        return
    import covaction

    for module in pkgutil.walk_packages(covaction.__path__, "covaction."):
        if module.name.endswith(".__main__"):
            continue
        importlib.import_module(module.name)
        _IMPORTED.append(module.name)
    for name in ("github", "coverage", "requests", "urllib3"):
        importlib.import_module(name)


@contextlib.contextmanager
def _inside(workspace: Path, streams: tuple[Any, Any], timeout: float) -> Iterator[None]:
    home = os.getcwd()
    saved = sys.stdout, sys.stderr
    # A logging handler made on the stderr of its day (PyGithub's) writes to the run's stderr,
    # as in the container, where there is only the one.
    moved = [h for h in _stream_handlers() if h.stream is saved[1] or h.stream is sys.__stderr__]
    previous = [h.stream for h in moved]
    os.chdir(workspace)
    sys.stdout, sys.stderr = streams
    for handler in moved:
        handler.setStream(streams[1])
    faulthandler.dump_traceback_later(timeout, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        for handler, stream in zip(moved, previous, strict=True):
            handler.setStream(stream)
        sys.stdout, sys.stderr = saved
        os.chdir(home)


def _stream_handlers() -> list[logging.StreamHandler[Any]]:
    loggers = [
        logging.getLogger(),
        *(
            lg
            for lg in logging.Logger.manager.loggerDict.values()
            if isinstance(lg, logging.Logger)
        ),
    ]
    return [
        h
        for lg in loggers
        for h in lg.handlers
        if type(h) is logging.StreamHandler  # not pytest's capture handlers
    ]


def _read_pipe(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


def process_state() -> dict[str, object]:
    """The process-wide state one run must leave as it found it."""
    mask = os.umask(0o022)
    os.umask(mask)
    loggers = [logging.getLogger(), *map(logging.getLogger, ("urllib3", "github", "requests"))]
    return {
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "umask": mask,
        "signals": {
            s: signal.getsignal(s) for s in (signal.SIGALRM, signal.SIGINT, signal.SIGTERM)
        },
        "timer": signal.getitimer(signal.ITIMER_REAL),
        "sys.path": list(sys.path),
        "streams": (sys.stdout, sys.stderr, sys.stdin),
        "logging": [(lg.name, lg.level, list(lg.handlers), lg.propagate) for lg in loggers],
        "warnings": list(warnings.filters),
        "recursion": sys.getrecursionlimit(),
    }


def _leaks(before: dict[str, object], after: dict[str, object]) -> str:
    changed = [key for key in before if before[key] != after[key]]
    return "the run left process-wide state changed: " + ", ".join(
        f"{key}: {before[key]!r} -> {after[key]!r}"[:600] for key in changed
    )
