"""Hostile inputs through `python entrypoint.py`, by threat class (see SECURITY.md).

A pull request's author controls every byte in the workspace: reports, configuration, file
names, workflow files, even file types (links, FIFOs). Each test plants one such thing and runs
the real entry point as the runner would; `ActionRun.run()` already fails on any traceback.
What every case must end in: exit 0/1 with the hostile part named or skipped, or exit 2 with
exactly one `::error::` line; never a hang, a leak, code from the workspace, or a forged
workflow command.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import COMMAND, ENTRYPOINT, ActionRun, Result, parse_commands

LINES = """<?xml version="1.0" ?>
<coverage version="7.6" line-rate="0.5">
  <sources><source>.</source></sources>
  <packages><package name="pkg"><classes>
    <class name="a.py" filename="{name}">
      <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines>
    </class>
  </classes></package></packages>
</coverage>
"""
BOUNDED = 60  # seconds: a case that hangs or blows up fails on this, not on the CI's job limit
COMMANDS_WE_WRITE = {"error", "warning", "notice", "add-mask", "debug", "group", "endgroup"}


def cobertura(name: str = "pkg/a.py") -> str:
    return LINES.format(name=name.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;"))


def project(action: ActionRun) -> ActionRun:
    """A workspace with pkg/a.py and a Cobertura report of it (1 of 2 lines covered)."""
    (action.workspace / "pkg").mkdir(exist_ok=True)
    (action.workspace / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (action.workspace / "coverage.xml").write_text(cobertura())
    action.inputs.setdefault("pin-policy", "off")
    return action


def one_error(r: Result, *needles: str) -> str:
    """Exit 2 and exactly one ::error:: line, containing every needle."""
    assert r.code == 2, r.stdout + r.stderr
    assert len(r.errors) == 1, r.errors
    for needle in needles:
        assert needle in r.errors[0], r.errors[0]
    return r.errors[0]


def no_forged_commands(text: str) -> None:
    """No line the runner would read as a command, other than the ones covaction writes."""
    for line in re.split(r"\r\n|\r|\n", text):
        m = COMMAND.match(line.lstrip())
        if m:
            assert m.group(1).lower() in COMMANDS_WE_WRITE, line
            assert "pwned" not in m.group(1) + (m.group(2) or ""), line
            assert not m.group(3).startswith("pwned"), line


@dataclass
class Raw:
    code: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return [c.data for c in parse_commands(self.stdout) if c.name == "error"]


def run_raw(action: ActionRun, *, python_flags: tuple[str, ...] = (), env: dict[str, str | None] | None = None, timeout: float = BOUNDED) -> Raw:
    """Like ActionRun.run, for environments the harness cannot read back (odd GITHUB_* files)."""
    environ = action.environ()
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    proc = subprocess.run(
        [sys.executable, *python_flags, str(ENTRYPOINT)],
        cwd=action.workspace, env=environ, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    no_forged_commands(proc.stdout)
    no_forged_commands(proc.stderr)
    return Raw(proc.returncode, proc.stdout, proc.stderr)


def coverage_data(path: Path, lines: dict[str, list[int]]) -> None:
    import coverage

    data = coverage.CoverageData(basename=str(path))
    data.add_lines({k: set(v) for k, v in lines.items()})
    data.write()


# =============================================================================================
# 1. Nothing from the workspace runs
# =============================================================================================

MODULES = {
    "covaction/__init__.py": "covaction",
    "covaction/main.py": "covaction.main",
    "sitecustomize.py": "sitecustomize",
    "usercustomize.py": "usercustomize",
    "github/__init__.py": "github",
    "coverage/__init__.py": "coverage",
    "yaml.py": "yaml",
    "jinja2.py": "jinja2",
    "requests.py": "requests",
    "defusedxml.py": "defusedxml",
    "markupsafe.py": "markupsafe",
    "evil_plugin.py": "evil_plugin",
}


def plant_modules(root: Path, markers: Path) -> None:
    for rel, name in MODULES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "import pathlib\n"
            f"pathlib.Path({str(markers)!r}, {name!r}).write_text('imported')\n"
            "raise SystemExit('workspace code ran')\n"
        )


@pytest.fixture
def booby_trapped(action: ActionRun) -> tuple[ActionRun, Path]:
    """A workspace whose every module name shadows one covaction imports, plus a .coverage,
    a workflow (YAML) and a .coveragerc naming a plugin, so every import path is exercised."""
    markers = action.tmp / "markers"
    markers.mkdir()
    ws = action.workspace
    plant_modules(ws, markers)
    (ws / "pkg").mkdir()
    (ws / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (ws / ".coveragerc").write_text("[run]\nrelative_files = true\nplugins = evil_plugin\n")
    coverage_data(ws / ".coverage", {"pkg/a.py": [1]})
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n")
    action.inputs.update({"coverage-files": ".coverage", "minimum-coverage": "10"})
    return action, markers


def test_workspace_modules_are_never_imported(booby_trapped: tuple[ActionRun, Path]) -> None:
    """covaction/, sitecustomize, github, coverage, yaml, jinja2 ... in the cwd stay data."""
    action, markers = booby_trapped
    r = action.run(timeout=BOUNDED)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == "50.00"
    notices = [c.data for c in r.of("notice")]
    assert any("plugins" in n and "evil_plugin" in n and "not loaded" in n for n in notices), notices


def test_isolated_mode_ignores_pythonpath_into_the_workspace(booby_trapped: tuple[ActionRun, Path]) -> None:
    """As the image runs it (`python -I`): even PYTHONPATH=. set by a workflow imports nothing."""
    action, markers = booby_trapped
    r = run_raw(action, python_flags=("-I",), env={"PYTHONPATH": str(action.workspace), "PYTHONSTARTUP": str(action.workspace / "yaml.py")})
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr


def test_entrypoint_drops_workspace_entries_from_sys_path(booby_trapped: tuple[ActionRun, Path]) -> None:
    """Without -I, a PYTHONPATH pointing into the workspace still cannot shadow a package
    (sitecustomize runs before any of our code can act, which is why the image uses -I)."""
    action, markers = booby_trapped
    for rel, _ in list(MODULES.items()):
        if rel.startswith(("sitecustomize", "usercustomize")):
            (action.workspace / rel).unlink()
    (action.workspace / "sub").mkdir()
    plant_modules(action.workspace / "sub", markers)
    for rel in ("sub/sitecustomize.py", "sub/usercustomize.py"):
        (action.workspace / rel).unlink()
    r = run_raw(action, env={"PYTHONPATH": os.pathsep.join([".", "", str(action.workspace / "sub")])})
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr


def test_coverage_config_cannot_read_secrets_from_the_environment(action: ActionRun) -> None:
    """coverage.py expands $VARS in its config: a `[paths]` entry naming a secret must not
    carry the secret into file names, the log or the comment; debug output is not written."""
    ws = project(action).workspace
    (ws / "coverage.xml").unlink()
    runtime = "rt_" + secrets.token_hex(20)
    extra = "sk_" + secrets.token_hex(20)
    (ws / ".coveragerc").write_text(
        "[run]\nrelative_files = true\ndebug = config,sys,trace\ndebug_file = debug.log\n"
        "[paths]\nsource =\n    $ACTIONS_RUNTIME_TOKEN/${AWS_SECRET_ACCESS_KEY}\n    pkg/\n"
        "[report]\nomit = ${ACTIONS_RUNTIME_TOKEN?}\n"
    )
    coverage_data(ws / ".coverage", {"pkg/a.py": [1], "elsewhere/b.py": [1]})
    action.inputs["coverage-files"] = ".coverage"
    action.env.update({"ACTIONS_RUNTIME_TOKEN": runtime, "AWS_SECRET_ACCESS_KEY": extra})
    r = action.run(timeout=BOUNDED)
    assert r.code in (0, 2), r.stdout
    everything = r.everything() + "".join(p.read_text(errors="replace") for p in action.tmp.rglob("*") if p.is_file() and p.name != "event.json")
    assert runtime not in everything and extra not in everything
    assert not (ws / "debug.log").exists()


@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "/dev/zero", "outside"])
def test_coverage_config_that_is_a_link_out_of_the_workspace_is_not_read(action: ActionRun, target: str) -> None:
    """A `.coveragerc` linking to /proc/self/environ would put the environment in a parse error."""
    ws = project(action).workspace
    (ws / "coverage.xml").unlink()
    coverage_data(ws / ".coverage", {"pkg/a.py": [1]})
    if target == "outside":
        outside = action.tmp / "outside.cfg"
        outside.write_text("[run]\nrelative_files = true\n[report]\nomit = secret_value_outside\n")
        target = str(outside)
    (ws / ".coveragerc").symlink_to(target)
    runtime = "rt_" + secrets.token_hex(20)
    action.env["ACTIONS_RUNTIME_TOKEN"] = runtime
    action.inputs["coverage-files"] = ".coverage"
    r = action.run(timeout=BOUNDED)
    one_error(r, ".coveragerc")
    assert runtime not in r.everything() and "root:" not in r.everything()
    assert "secret_value_outside" not in r.everything()


@pytest.mark.xfail(
    strict=True,
    reason="gitrepo._git does not pass -c core.fsmonitor=false: `git ls-files` runs the "
    "repository's core.fsmonitor program (reported, gitrepo.py is not ours)",
)
def test_git_config_in_the_workspace_runs_no_command(action: ActionRun) -> None:
    """A checkout's .git/config (writable by earlier steps) cannot make git run a program."""
    ws = project(action).workspace
    marker = action.tmp / "fsmonitor-ran"
    from tests.sample import git

    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "x")
    hook = ws / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    with open(ws / ".git" / "config", "a") as fh:
        fh.write(f"[core]\n\tfsmonitor = {hook}\n\tpager = {hook}\n[diff]\n\texternal = {hook}\n")
    action.inputs["pin-policy"] = "warn"
    action.inputs["diff-base"] = "HEAD"
    r = action.run(timeout=BOUNDED)
    assert r.code in (0, 1, 2)
    assert not marker.exists()


# =============================================================================================
# 2. Files: only regular files inside the workspace, within their size cap
# =============================================================================================


def _plant(action: ActionRun, kind: str, name: str) -> None:
    path = action.workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "passwd":
        path.symlink_to("/etc/passwd")
    elif kind == "outside":
        outside = action.tmp / "outside.xml"
        outside.write_text(cobertura())
        path.symlink_to(outside)
    elif kind == "dotdot":
        outside = action.tmp / "dotdot.xml"
        outside.write_text(cobertura())
        path.symlink_to(Path("..") / ".." / "dotdot.xml" if "/" in name else Path("..") / "dotdot.xml")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "loop":
        path.symlink_to(path.name)
    elif kind == "huge":
        with open(path, "wb") as fh:
            fh.truncate(1024 * 1024 * 1024 + 1)


FILE_KINDS = ["passwd", "outside", "dotdot", "fifo", "directory", "zero", "loop", "huge"]


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_report_that_is_not_a_regular_file_inside_is_one_error(action: ActionRun, kind: str) -> None:
    project(action)
    _plant(action, kind, "reports/coverage.xml")
    action.inputs["coverage-files"] = "reports/coverage.xml"
    r = action.run(timeout=BOUNDED)
    message = one_error(r, "reports/coverage.xml")
    assert "root:" not in r.everything()
    assert len(message) < 400


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_coverage_data_file_that_is_not_a_regular_file_inside_is_one_error(action: ActionRun, kind: str) -> None:
    project(action)
    _plant(action, kind, ".coverage")
    action.inputs.update({"coverage-files": ".coverage", "format": "coveragepy"})
    r = action.run(timeout=BOUNDED)
    one_error(r, ".coverage")


@pytest.mark.parametrize("kind", ["passwd", "fifo", "directory", "zero", "huge"])
@pytest.mark.parametrize("input_name", ["diff-file", "baseline-file"])
def test_diff_and_baseline_files_are_held_to_the_same_rules(action: ActionRun, kind: str, input_name: str) -> None:
    project(action)
    _plant(action, kind, "in/file")
    action.inputs[input_name] = "in/file"
    r = action.run(timeout=BOUNDED)
    one_error(r, "in/file")
    assert "root:" not in r.everything()


@pytest.mark.parametrize("kind", ["passwd", "fifo", "zero", "huge"])
def test_auto_detected_report_that_is_not_a_regular_file_is_not_used(action: ActionRun, kind: str) -> None:
    """Auto-detection skips what it may not read: the run ends cleanly, never reads it."""
    project(action)
    _plant(action, kind, "coverage.xml")
    action.inputs["minimum-coverage"] = "10"
    r = action.run(timeout=BOUNDED)
    assert r.code == 2 and len(r.errors) == 1, r.stdout
    assert "root:" not in r.everything()


@pytest.mark.parametrize("kind", ["passwd", "fifo", "zero", "huge"])
def test_workflow_file_that_is_not_a_regular_file_is_a_finding(action: ActionRun, kind: str) -> None:
    project(action)
    _plant(action, kind, ".github/workflows/ci.yml")
    action.inputs["pin-policy"] = "warn"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert "root:" not in r.everything()
    assert "ci.yml" in r.summary


def test_symlink_loops_in_globs_end_quickly(action: ActionRun) -> None:
    """`**` over directories that link to themselves neither hangs nor explodes."""
    ws = project(action).workspace
    for name in ("a", "b", "c"):
        (ws / name).symlink_to(".")
    (ws / "d").mkdir()
    (ws / "d" / "up").symlink_to("..")
    action.inputs["coverage-files"] = "**/coverage.xml"
    action.inputs["pin-policy"] = "warn"
    r = action.run(timeout=BOUNDED)
    assert r.code in (0, 2), r.stdout


def test_source_file_linked_out_of_the_workspace_is_not_read_by_coverage(action: ActionRun) -> None:
    """A .coverage naming pkg/a.py, where pkg/a.py links to /dev/zero: unmatched, no hang."""
    ws = project(action).workspace
    (ws / "coverage.xml").unlink()
    (ws / "pkg" / "b.py").symlink_to("/dev/zero")
    (ws / "pkg" / "c.py").symlink_to("/etc/passwd")
    os.mkfifo(ws / "pkg" / "d.py")
    (ws / ".coveragerc").write_text("[run]\nrelative_files = true\n")
    coverage_data(ws / ".coverage", {"pkg/a.py": [1], "pkg/b.py": [1], "pkg/c.py": [1], "pkg/d.py": [1]})
    from tests.sample import git

    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "x")
    action.inputs["coverage-files"] = ".coverage"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert r.outputs["coverage"] == "50.00"
