"""Hostile inputs through `python entrypoint.py`, by threat class (see SECURITY.md).

A pull request's author controls every byte in the workspace: reports, configuration, file
names, workflow files, even file types (links, FIFOs). Each test plants one such thing and runs
the real entry point as the runner would; `ActionRun.run()` already fails on any traceback.
Every case names its one expected outcome: exit 0/1 with the hostile part named or skipped,
or exit 2 with exactly one `::error::` line saying what is wrong; never a hang, a leak, code
from the workspace, or a forged workflow command. A case whose outcome today is not the right
one is marked `xfail(strict=True)` with the right outcome asserted, so fixing it is noticed.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from covaction.edges import coverage_data as coverage_data_mod
from tests.fakegithub import FakeGitHub
from tests.harness import ActionRun, Result, parse_commands, parse_file_command
from tests.hostile_helpers import (
    BOUNDED,
    cobertura,
    coverage_data,
    no_forged_commands,
    one_error,
    project,
)


@dataclass
class Raw:
    code: int
    stdout: str
    stderr: str

    @property
    def errors(self) -> list[str]:
        return [c.data for c in parse_commands(self.stdout) if c.name == "error"]

    @property
    def warnings(self) -> list[str]:
        return [c.data for c in parse_commands(self.stdout) if c.name == "warning"]


def run_raw(
    action: ActionRun,
    *,
    python_flags: tuple[str, ...] = (),
    env: dict[str, str | None] | None = None,
    timeout: float = BOUNDED,
) -> Raw:
    """Like ActionRun.run, for environments the harness cannot read back (odd GITHUB_* files)."""
    environ = action.environ()
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    code, stdout, stderr = action.launch(environ, timeout, python_flags)
    assert "Traceback" not in stdout + stderr, stdout + stderr
    no_forged_commands(stdout)
    no_forged_commands(stderr)
    return Raw(code, stdout, stderr)


# =============================================================================================
# 1. Nothing from the workspace runs
# =============================================================================================

MODULES = {
    "covaction/__init__.py": "covaction",
    "covaction/cli.py": "covaction.cli",
    "sitecustomize.py": "sitecustomize",
    "usercustomize.py": "usercustomize",
    "github/__init__.py": "github",
    "coverage/__init__.py": "coverage",
    "yaml.py": "yaml",
    "jinja2.py": "jinja2",
    "requests.py": "requests",
    "defusedxml.py": "defusedxml",
    "orjson.py": "orjson",
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
    (ws / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
    )
    action.inputs.update({"coverage-files": ".coverage", "minimum-coverage": "10"})
    return action, markers


@pytest.mark.process(
    "entrypoint.py keeps the workspace off sys.path; only a fresh interpreter shows what it imports"
)
def test_workspace_modules_are_never_imported(booby_trapped: tuple[ActionRun, Path]) -> None:
    """covaction/, sitecustomize, github, coverage, yaml, jinja2 ... in the cwd stay data."""
    action, markers = booby_trapped
    r = action.run(timeout=BOUNDED)
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == "50.00"
    notices = [c.data for c in r.of("notice")]
    assert any("plugins" in n and "evil_plugin" in n and "not loaded" in n for n in notices), (
        notices
    )


@pytest.mark.process("`python -I` and PYTHONPATH act on a fresh interpreter")
def test_isolated_mode_ignores_pythonpath_into_the_workspace(
    booby_trapped: tuple[ActionRun, Path],
) -> None:
    """As the image runs it (`python -I`): even PYTHONPATH=. set by a workflow imports nothing."""
    action, markers = booby_trapped
    r = run_raw(
        action,
        python_flags=("-I",),
        env={
            "PYTHONPATH": str(action.workspace),
            "PYTHONSTARTUP": str(action.workspace / "yaml.py"),
        },
    )
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr


@pytest.mark.process("entrypoint.py's sys.path cleaning acts on a fresh interpreter")
def test_entrypoint_drops_workspace_entries_from_sys_path(
    booby_trapped: tuple[ActionRun, Path],
) -> None:
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
    r = run_raw(
        action, env={"PYTHONPATH": os.pathsep.join([".", "", str(action.workspace / "sub")])}
    )
    assert sorted(p.name for p in markers.iterdir()) == []
    assert r.code == 0, r.stdout + r.stderr


SECRET_CONFIGS = {
    # id: (what follows [paths], the one error it ends in or None for a clean run)
    "required-variable": (
        "[report]\nomit = ${ACTIONS_RUNTIME_TOKEN?}\n",
        "Variable ACTIONS_RUNTIME_TOKEN is undefined",
    ),
    "paths-only": ("", None),
}


@pytest.mark.process(
    "coverage.py expands variables from the process environment, which is the step's only in a container"
)
@pytest.mark.parametrize("case", sorted(SECRET_CONFIGS))
def test_coverage_config_cannot_read_secrets_from_the_environment(
    action: ActionRun, case: str
) -> None:
    """coverage.py expands $VARS in its config: a `[paths]` entry naming a secret must not
    carry the secret into file names, the log or the comment; debug output is not written.
    The secrets are not in coverage.py's environment, so `${VAR?}` naming one is an error."""
    tail, error = SECRET_CONFIGS[case]
    ws = project(action).workspace
    (ws / "coverage.xml").unlink()
    runtime = "rt_" + secrets.token_hex(20)
    extra = "sk_" + secrets.token_hex(20)
    (ws / ".coveragerc").write_text(
        "[run]\nrelative_files = true\ndebug = config,sys,trace\ndebug_file = debug.log\n"
        "[paths]\nsource =\n    $ACTIONS_RUNTIME_TOKEN/${AWS_SECRET_ACCESS_KEY}\n    pkg/\n" + tail
    )
    coverage_data(ws / ".coverage", {"pkg/a.py": [1], "elsewhere/b.py": [1]})
    action.inputs["coverage-files"] = ".coverage"
    action.env.update({"ACTIONS_RUNTIME_TOKEN": runtime, "AWS_SECRET_ACCESS_KEY": extra})
    r = action.run(timeout=BOUNDED)
    if error is None:
        assert r.code == 0 and r.errors == [], r.stdout
        assert r.outputs["coverage"] == "50.00", r.outputs
    else:
        one_error(r, ".coveragerc", error)
    everything = r.everything() + "".join(
        p.read_text(errors="replace")
        for p in action.tmp.rglob("*")
        if p.is_file() and p.name != "event.json"
    )
    assert runtime not in everything and extra not in everything
    assert not (ws / "debug.log").exists()


@pytest.mark.process("/proc/self/environ must be the step's own environment")
@pytest.mark.parametrize("target", ["/proc/self/environ", "/etc/passwd", "/dev/zero", "outside"])
def test_coverage_config_that_is_a_link_out_of_the_workspace_is_not_read(
    action: ActionRun, target: str
) -> None:
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
    assert r.code == 0 and r.errors == [], r.stdout
    assert r.outputs["coverage"] == "50.00", r.outputs
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
        path.symlink_to(
            Path("..") / ".." / "dotdot.xml" if "/" in name else Path("..") / "dotdot.xml"
        )
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
OUTSIDE = "resolves outside the workspace; only files inside it are read"
NOT_REGULAR = "is not a regular file (a FIFO, device or folder)"
OVER_CAP = "is 1 byte over the 1024 MiB cap"
FILE_KIND_ERRORS = {
    "passwd": OUTSIDE,
    "outside": OUTSIDE,
    "dotdot": OUTSIDE,
    "fifo": NOT_REGULAR,
    "directory": NOT_REGULAR,
    "zero": OUTSIDE,
    "loop": "symbolic link",
    "huge": OVER_CAP,
}


@pytest.mark.parametrize(
    "kind",
    [k for k in FILE_KINDS],
)
def test_report_that_is_not_a_regular_file_inside_is_one_error(
    action: ActionRun, kind: str
) -> None:
    project(action)
    _plant(action, kind, "reports/coverage.xml")
    action.inputs["coverage-files"] = "reports/coverage.xml"
    r = action.run(timeout=BOUNDED)
    message = one_error(r, "coverage report reports/coverage.xml: ", FILE_KIND_ERRORS[kind])
    assert "root:" not in r.everything()
    assert len(message) < 400


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_coverage_data_file_that_is_not_a_regular_file_inside_is_one_error(
    action: ActionRun, kind: str
) -> None:
    project(action)
    _plant(action, kind, ".coverage")
    action.inputs.update({"coverage-files": ".coverage", "format": "coveragepy"})
    r = action.run(timeout=BOUNDED)
    one_error(r, ".coverage")


@pytest.mark.parametrize("kind", ["passwd", "fifo", "directory", "zero", "huge"])
@pytest.mark.parametrize("input_name", ["diff-file", "baseline-file"])
def test_diff_and_baseline_files_are_held_to_the_same_rules(
    action: ActionRun, kind: str, input_name: str
) -> None:
    project(action)
    _plant(action, kind, "in/file")
    action.inputs[input_name] = "in/file"
    r = action.run(timeout=BOUNDED)
    one_error(r, "in/file")
    assert "root:" not in r.everything()


@pytest.mark.parametrize("kind", ["passwd", "fifo", "zero", "huge"])
def test_auto_detected_report_that_is_not_a_regular_file_is_not_used(
    action: ActionRun, kind: str
) -> None:
    """Auto-detection takes what stands at the root under a report's name, and reading it
    names what is wrong (never "no report found", never another report taken silently); what
    it may not read is never read."""
    project(action)
    _plant(action, kind, "coverage.xml")
    action.inputs["minimum-coverage"] = "10"
    r = action.run(timeout=BOUNDED)
    one_error(r, "coverage report coverage.xml: ", FILE_KIND_ERRORS[kind])
    assert "root:" not in r.everything()


@pytest.mark.parametrize("kind", ["passwd", "fifo", "zero", "huge"])
def test_workflow_file_that_is_not_a_regular_file_is_a_finding(
    action: ActionRun, kind: str
) -> None:
    project(action)
    _plant(action, kind, ".github/workflows/ci.yml")
    action.inputs["pin-policy"] = "warn"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert "root:" not in r.everything()
    assert "ci.yml" in r.summary


def test_json_report_over_its_cap_is_refused_before_parsing(action: ActionRun) -> None:
    project(action)
    with open(action.workspace / "coverage.json", "wb") as fh:
        fh.truncate(300 * 1024 * 1024)  # sparse: costs no disk
    action.inputs.update({"coverage-files": "coverage.json", "format": "coverage-json"})
    one_error(action.run(timeout=BOUNDED), "coverage.json", "256 MiB")


def test_coveragerc_plugins_are_named_and_not_loaded(action: ActionRun) -> None:
    ws = project(action).workspace
    marker = action.tmp / "plugin-ran"
    (ws / "evil_plugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef coverage_init(reg, options): pass\n"
    )
    (ws / ".coveragerc").write_text("[run]\nrelative_files = true\nplugins =\n    evil_plugin\n")
    coverage_data(ws / ".coverage", {"pkg/a.py": [1]})
    action.inputs["coverage-files"] = ".coverage"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0 and not marker.exists(), r.stdout
    assert any("evil_plugin" in c.data and "were not loaded" in c.data for c in r.of("notice")), (
        r.stdout
    )


def test_files_covaction_writes_never_follow_a_planted_link(action: ActionRun) -> None:
    ws = project(action).workspace
    outside = action.tmp / "outside.txt"
    outside.write_text("untouched")
    (ws / "out").mkdir()
    (ws / "out" / ".result.json.covaction-tmp").symlink_to(outside)
    action.inputs["report-json"] = "out/result.json"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0 and r.errors == [], r.stdout
    assert outside.read_text() == "untouched"
    written = ws / "out" / "result.json"
    assert written.is_file() and not written.is_symlink()
    assert json.loads(written.read_bytes())


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
    assert r.code == 0 and r.errors == [], r.stdout
    assert r.outputs["coverage"] == "50.00", r.outputs


def test_source_file_linked_out_of_the_workspace_is_not_read_by_coverage(action: ActionRun) -> None:
    """A .coverage naming pkg/a.py, where pkg/a.py links to /dev/zero: unmatched, no hang."""
    ws = project(action).workspace
    (ws / "coverage.xml").unlink()
    (ws / "pkg" / "b.py").symlink_to("/dev/zero")
    (ws / "pkg" / "c.py").symlink_to("/etc/passwd")
    os.mkfifo(ws / "pkg" / "d.py")
    (ws / ".coveragerc").write_text("[run]\nrelative_files = true\n")
    coverage_data(
        ws / ".coverage", {"pkg/a.py": [1], "pkg/b.py": [1], "pkg/c.py": [1], "pkg/d.py": [1]}
    )
    from tests.sample import git

    git(ws, "init", "-q", "-b", "main")
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "x")
    action.inputs["coverage-files"] = ".coverage"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert r.outputs["coverage"] == "50.00"


# =============================================================================================
# 3. Every parser survives its worst input: bounded time and memory, one clear line
# =============================================================================================

DEEP = 100_000
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + ']><coverage line-rate="1"><sources><source>&j;</source></sources></coverage>'
)
QUADRATIC = (
    '<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY a "' + "x" * 100_000 + '">]>'
    '<coverage line-rate="1"><sources><source>' + "&a;" * 10_000 + "</source></sources></coverage>"
)

HOSTILE_REPORTS: dict[str, tuple[str, bytes, str]] = {
    # id: (format input, content, what the one error line says); every case is exit 2
    "xml-billion-laughs": ("auto", BILLION_LAUGHS.encode(), "entit"),
    "xml-quadratic-blowup": ("cobertura", QUADRATIC.encode(), "entit"),
    "xml-xxe-local-file": (
        "cobertura",
        b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY x SYSTEM "file:///etc/passwd">]><coverage><sources><source>&x;</source></sources></coverage>',
        "entit",
    ),
    "xml-parameter-entity": (
        "cobertura",
        b'<?xml version="1.0"?><!DOCTYPE coverage [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><coverage><packages/></coverage>',
        "declares entities",
    ),
    "xml-deep-cobertura": (
        "cobertura",
        b"<coverage><packages>" + b"<x>" * DEEP + b"</x>" * DEEP + b"</packages></coverage>",
        "the report holds no file",
    ),
    "xml-deep-unclosed": ("cobertura", b"<coverage>" + b"<packages>" * DEEP, "not well-formed"),
    "xml-deep-jacoco": (
        "jacoco",
        b'<report name="r">' + b"<group name='g'>" * DEEP + b"</group>" * DEEP + b"</report>",
        "the report holds no file",
    ),
    "xml-deep-clover": (
        "clover",
        b'<coverage clover="4"><project>'
        + b"<package name='p'>" * DEEP
        + b"</package>" * DEEP
        + b"</project></coverage>",
        "the report holds no file",
    ),
    "xml-utf7-encoding": (
        "cobertura",
        b'<?xml version="1.0" encoding="UTF-7"?><coverage/>',
        "encoding",
    ),
    "xml-binary": ("cobertura", bytes(range(256)) * 100, "not well-formed"),
    "json-deep-array": ("coverage-json", b"[" * DEEP + b"]" * DEEP, "nests too deeply"),
    "json-deep-object": (
        "coverage-json",
        b'{"meta":{},"files":' + b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"}",
        "nests too deeply",
    ),
    "json-nan": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [NaN]}}}',
        "NaN",
    ),
    "json-infinity": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [-Infinity]}}}',
        "Infinity",
    ),
    "json-1e999": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [1e999]}}}',
        "executed_lines",
    ),
    "json-float-lines": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [1.0, true]}}}',
        "executed_lines",
    ),
    "json-huge-integer": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [' + b"9" * 100_000 + b"]}}}",
        "JSON",
    ),
    "json-not-utf8": ("coverage-json", b'{"meta": {}, "files": {"\xff\xfe": {}}}', "UTF-8"),
    "json-huge-line-number": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_lines": [4294967296]}}}',
        "executed_lines",
    ),
    "json-arc-bomb": (
        "coverage-json",
        b'{"meta": {}, "files": {"a.py": {"executed_branches": [[1, 2, 3]]}}}',
        "arcs",
    ),
    "lcov-endless-line": ("lcov", b"SF:" + b"a" * (4 * 1024 * 1024), "longer than"),
    "lcov-huge-line-number": (
        "lcov",
        b"SF:a.py\nDA:99999999999999999999999,1\nend_of_record\n",
        "DA",
    ),
    "go-garbage": ("go", b"mode: set\n" + b"\x00\xff" * 1000, "line 2"),
    "go-absurd-block": (
        "go",
        b"mode: set\na.go:1.1,4294967296.1 1 1\n",
        "line numbers outside 1..2147483647",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_REPORTS))
def test_hostile_report_is_one_clear_line(action: ActionRun, case: str) -> None:
    fmt, content, needle = HOSTILE_REPORTS[case]
    project(action)
    (action.workspace / "evil.report").write_bytes(content)
    action.inputs.update({"coverage-files": "evil.report", "format": fmt})
    r = action.run(timeout=BOUNDED)
    message = one_error(r, "evil.report", needle)
    assert "root:" not in r.everything() and len(message) < 600


def _db(path: Path, *statements: str, params: tuple[object, ...] = ()) -> None:
    """A .coverage file with coverage.py's schema (7) plus `statements`."""
    coverage_data(path, {"pkg/a.py": [1]})
    con = sqlite3.connect(path)
    for statement in statements:
        con.execute(statement, params if "?" in statement else ())
    con.commit()
    con.close()


DATA_FILES: dict[str, tuple[tuple[str, ...], tuple[object, ...], str | None]] = {
    # id: (statements, parameters, what the one error says; None: read as `coverage report`
    # reads it, exit 0 and 1 of 2 lines covered)
    "view": (("create view sneaky as select * from file",), (), "view sneaky"),
    "trigger": (
        ("create trigger t after insert on file begin delete from file; end",),
        (),
        "trigger t",
    ),
    "text-in-arcs": (
        (
            "update meta set value='1' where key='has_arcs'",
            "insert into arc values (1, 1, 'x', 'y')",
        ),
        (),
        "malformed",
    ),
    "blob-path": (("update file set path=x'00ff00'",), (), "malformed"),
    "giant-numbits": (
        ("update line_bits set numbits=?",),
        (b"\xff" * (3 * 1024 * 1024),),
        "malformed",
    ),
    "giant-meta": (
        ("insert into meta values ('junk', ?)",),
        (b"\x00" * (32 * 1024 * 1024),),
        None,  # coverage.py reads only the meta keys it knows
    ),
    "old-schema": (("update coverage_schema set version=3",), (), "schema version"),
    "no-such-file-id": (
        ("insert into line_bits values (999, 0, x'ff')",),
        (),
        None,  # coverage.py asks line_bits per measured file: a row of no file is never read
    ),
}


@pytest.mark.parametrize("case", sorted(DATA_FILES))
def test_hostile_coverage_data_file_is_one_clear_line(action: ActionRun, case: str) -> None:
    statements, params, needle = DATA_FILES[case]
    project(action)
    (action.workspace / ".coveragerc").write_text("[run]\nrelative_files = true\n")
    _db(action.workspace / ".coverage", *statements, params=params)
    action.inputs["coverage-files"] = ".coverage"
    r = action.run(timeout=BOUNDED)
    if needle is None:
        assert r.code == 0 and r.errors == [] and r.warnings == [], r.stdout
        assert r.outputs["coverage"] == "50.00", r.outputs
    else:
        one_error(r, ".coverage", needle)


def test_data_file_that_is_not_sqlite_is_one_clear_line(action: ActionRun) -> None:
    project(action)
    (action.workspace / ".coverage").write_text(
        "!coverage.py: This is a private format, don't read it directly!{}"
    )
    action.inputs.update({"coverage-files": ".coverage", "format": "coveragepy"})
    one_error(action.run(timeout=BOUNDED), ".coverage")


def test_data_file_whose_queries_would_run_long_is_cut_off(
    action: ActionRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress handler bounds every query; with a tiny budget a big table is refused."""

    path = action.tmp / "big.coverage"
    coverage_data(path, {f"pkg/m{i}.py": list(range(1, 200)) for i in range(3000)})
    monkeypatch.setattr(coverage_data_mod, "QUERY_SECONDS", 0.0)
    from covaction.errors import ReportError

    with pytest.raises(ReportError, match="took over"):
        coverage_data_mod.read_measured(path, "big.coverage")


def test_coverage_reporting_is_bounded_in_time(
    action: ActionRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catastrophic `exclude_lines` regex (backtracking forever) ends in one ReportError."""
    from covaction import paths
    from covaction.edges.workspace import Workspace
    from covaction.errors import ReportError

    ws = action.workspace
    (ws / "a.py").write_text("x = '" + "a" * 40 + "!'\n")
    (ws / ".coveragerc").write_text(
        "[run]\nrelative_files = true\n[report]\nexclude_lines =\n    (a+)+$\n"
    )
    coverage_data(ws / ".coverage", {"a.py": [1]})
    monkeypatch.setattr(coverage_data_mod, "REPORT_SECONDS", 1.0)
    w = Workspace(ws)
    mapper = paths.PathMapper(str(w.root), None, exists=w.exists)
    with pytest.raises(ReportError, match="took over"):
        coverage_data_mod.parse_data_file(
            ws / ".coverage", ".coverage", str(w.root), mapper.map, action.tmp
        )


COVERAGE_CONFIGS: dict[str, tuple[str, str, str]] = {
    # id: (file, content, what the one error line says after the file's name)
    "toml-deep": (
        "pyproject.toml",
        "[tool.coverage.run]\nx = " + "[" * DEEP + "]" * DEEP + "\n",
        "nests too deeply",
    ),
    "not-a-boolean": ("setup.cfg", "[coverage:run]\nbranch = maybe\n", "Not a boolean: maybe"),
    "broken-section": (".coveragerc", "[run\nbroken", "no section headers"),
    "bad-regex": (
        ".coveragerc",
        "[report]\nexclude_lines = (unclosed\n",
        "Invalid [report].exclude_lines value",
    ),
    "toml-unclosed-string": (".coveragerc.toml", "[run]\nplugins = 'x\n", "end of document"),
    "binary": ("tox.ini", "\xff\xfe\x00garbage", "no section headers"),
}


@pytest.mark.parametrize("case", sorted(COVERAGE_CONFIGS))
def test_hostile_coverage_config_is_one_clear_line(action: ActionRun, case: str) -> None:
    name, text, needle = COVERAGE_CONFIGS[case]
    project(action)
    (action.workspace / "coverage.xml").unlink()
    (action.workspace / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    coverage_data(
        action.workspace / ".coverage", {os.path.join(str(action.workspace), "pkg/a.py"): [1]}
    )
    action.inputs["coverage-files"] = ".coverage"
    one_error(action.run(timeout=BOUNDED), f"{name}: ", needle)


NOT_A_DIFF = "the diff has text but no file header or hunk"
DIFFS: dict[str, tuple[str, str | None]] = {
    # id: (diff-file, what the one error line says; None: read, exit 0, nothing forged)
    "absurd-hunk-count": (
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +1,2000000000 @@\n+x\n",
        "1999999999 new lines missing (truncated or corrupt diff)",
    ),
    "absurd-hunk-start": (
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1 +99999999999999999999999,1 @@\n+x\n",
        "malformed hunk header",
    ),
    "many-hunks": (
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n" + "@@ -1 +1 @@\n-x\n+y\n" * 200_000,
        None,  # every hunk is well-formed and names line 1 again: read in bounded time
    ),
    "endless-header": ("--- a/" + "x" * 5_000_000 + "\n", NOT_A_DIFF),
    "nul-name": (
        "--- a/pkg/a.py\n+++ b/pkg/\x00a.py\n@@ -1 +1 @@\n+x\n",
        "1 old and 0 new lines missing (truncated or corrupt diff)",
    ),
    "binary": ("\x00\xff" * 10_000, NOT_A_DIFF),
    "quoted-newline": (
        '--- "a/x\\n::error::pwned"\n+++ "b/x\\n::error::pwned"\n@@ -0,0 +1 @@\n+x\n',
        None,  # a new file the report does not know: nothing to count, nothing forged
    ),
}


@pytest.mark.parametrize("case", sorted(DIFFS))
def test_hostile_diff_file(action: ActionRun, case: str) -> None:
    text, error = DIFFS[case]
    project(action)
    (action.workspace / "change.diff").write_bytes(text.encode("utf-8", "surrogateescape"))
    action.inputs.update({"diff-file": "change.diff", "minimum-diff-coverage": "0"})
    r = action.run(timeout=BOUNDED)
    if error is None:
        assert r.code == 0 and r.errors == [], r.stdout
        assert r.outputs["coverage"] == "50.00", r.outputs
    else:
        one_error(r, "diff", error)
    no_forged_commands(r.stdout + r.stderr)


ALIAS_BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)
    )
    + "jobs:\n  t:\n    runs-on: x\n    steps: *j\n"
)
WORKFLOWS = {
    "alias-bomb": ALIAS_BOMB,
    "deep-flow": "jobs: " + "[" * DEEP + "]" * DEEP + "\n",
    "deep-block": "".join("  " * i + f"k{i}:\n" for i in range(2000)),
    "recursive-merge": "a: &a\n  <<: *a\n",
    "binary": "\x00\xff\xfe" * 1000,
    "tabs-and-garbage": "jobs:\n\tt: [\n",
}


@pytest.mark.parametrize("case", sorted(WORKFLOWS))
def test_hostile_workflow_is_a_finding_not_a_crash(action: ActionRun, case: str) -> None:
    project(action)
    wf = action.workspace / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "evil.yml").write_bytes(WORKFLOWS[case].encode("utf-8", "surrogateescape"))
    action.inputs["pin-policy"] = "warn"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert "evil.yml" in r.summary


# =============================================================================================
# 4. Numbers: plain decimals in range only; a line reported twice counts once
# =============================================================================================


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        "inf",
        "Infinity",
        "-inf",
        "-1",
        "-0",
        "101",
        "100.0000001",
        "1e2",
        "1E1",
        "0x50",
        "\uff11\uff12",
        "\u0668\u0660",
        "8_0",
        "+80",
        "80.",
        ".5",
        "80%",
        "8 0",
        "80,5",
        "0b1",
        "1" * 5000,
        "eighty",
        "True",
        "[80]",
        "80\n90",
    ],
)
@pytest.mark.parametrize(
    "name", ["minimum-coverage", "minimum-diff-coverage", "maximum-coverage-drop"]
)
def test_threshold_that_is_not_a_plain_decimal_is_refused(
    action: ActionRun, name: str, value: str
) -> None:
    project(action)
    action.inputs[name] = value
    message = one_error(action.run(timeout=BOUNDED), name)
    assert len(message) < 400


@pytest.mark.parametrize(
    "value, code",
    [
        ("0", 0),
        ("50", 0),
        ("50.00", 0),
        ("50.01", 1),
        ("80", 1),
        ("79.95", 1),
        ("100", 1),
        ("100.0", 1),
        (" 80 ", 1),
        ("000", 0),
    ],
)
def test_threshold_plain_decimals_are_accepted(action: ActionRun, value: str, code: int) -> None:
    """The project covers 50.00%: a minimum at or below passes (0), above fails the gate (1)."""
    project(action)
    action.inputs["minimum-coverage"] = value
    r = action.run(timeout=BOUNDED)
    assert r.code == code, r.stdout
    if code == 0:
        assert r.errors == [], r.stdout
    else:
        one_gate = [e for e in r.errors if f"is below the minimum {value.strip()}%" in e]
        assert one_gate == r.errors and len(r.errors) == 1, r.errors
    assert r.outputs["coverage"] == "50.00", r.outputs


@pytest.mark.parametrize("hits", [("0", "1"), ("1", "1"), ("0", "0"), ("3", "0")])
def test_a_line_reported_twice_counts_once(action: ActionRun, hits: tuple[str, str]) -> None:
    """Cobertura with one file split over two <class> elements naming line 1 in both."""
    project(action)
    (action.workspace / "coverage.xml").write_text(f"""<?xml version="1.0" ?>
<coverage><sources><source>.</source></sources><packages><package name="p"><classes>
  <class name="A" filename="pkg/a.py"><lines><line number="1" hits="{hits[0]}"/><line number="2" hits="0"/></lines></class>
  <class name="B" filename="pkg/a.py"><lines><line number="1" hits="{hits[1]}"/></lines></class>
  <class name="C" filename="./pkg//a.py"><lines><line number="2" hits="0"/><line number="1" hits="0"/></lines></class>
</classes></package></packages></coverage>""")
    r = action.run(timeout=BOUNDED)
    covered = any(h != "0" for h in hits)
    assert r.code == 0 and r.errors == [], r.stdout
    assert r.outputs["coverage"] == ("50.00" if covered else "0.00"), r.outputs


# =============================================================================================
# 5. Logs: nothing from outside can start a workflow command or spoof an annotation
# =============================================================================================

INJECTIONS = [
    "x\n::error::pwned",
    "x\r::error::pwned",
    "x\r\n::warning file=a.py,line=1::pwned",
    "%0A::warning::pwned",
    "::error::pwned",
    "  ::notice::pwned",
    "x\u2028::error::pwned",
]


@pytest.mark.process(
    "the real stdout/stderr wrapped by entrypoint.py's CommandGuard, as the runner reads them"
)
@pytest.mark.parametrize("name", INJECTIONS)
def test_file_names_in_a_report_cannot_forge_commands(action: ActionRun, name: str) -> None:
    project(action)
    (action.workspace / "coverage.xml").write_text(
        cobertura("pkg/a.py").replace(
            "</classes>",
            f"""
      <class name="evil" filename="{cobertura(name).split('filename="')[1].split('"')[0]}">
        <lines><line number="1" hits="0"/></lines></class></classes>""",
        )
    )
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    no_forged_commands(r.stdout)
    no_forged_commands(r.stderr)
    assert not [
        c
        for c in r.commands
        if c.data.startswith("pwned") or "pwned" in c.props.get("file", "")[:1]
    ]


@pytest.mark.parametrize(
    "name", ["a\n::error::pwned.py", "b\r::warning::pwned.py", "%0A::error::pwned.py"]
)
def test_matched_file_names_and_diff_paths_cannot_forge_commands(
    action: ActionRun, name: str
) -> None:
    """A real file with a newline in its name, changed by the diff and uncovered: its
    annotation carries the name escaped as a property."""
    project(action)
    (action.workspace / name).write_text("x = 1\n")
    (action.workspace / "coverage.xml").write_text(cobertura(name))
    quoted = json.dumps("b/" + name)
    (action.workspace / "change.diff").write_text(
        f"--- /dev/null\n+++ {quoted}\n@@ -0,0 +1,2 @@\n+x = 1\n+y = 2\n"
    )
    action.inputs.update({"diff-file": "change.diff", "annotations": "true"})
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    no_forged_commands(r.stdout)
    files = [c.props.get("file") for c in r.of("warning") if "file" in c.props]
    assert name in files, r.stdout


def test_workflow_file_names_and_contents_cannot_forge_commands(action: ActionRun) -> None:
    project(action)
    wf = action.workspace / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a\n::error::pwned.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: evil/x@main\n"
    )
    (wf / "b.yml").write_text(
        'on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: "evil/y@v1\\n::error::pwned"\n      - uses: "evil/z@%0A::error::pwned"\n'
    )
    action.inputs["pin-policy"] = "warn"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    no_forged_commands(r.stdout)
    assert any(
        c.props.get("file") == ".github/workflows/a\n::error::pwned.yml" for c in r.of("warning")
    ), r.stdout


def test_outputs_use_random_delimiters_the_runner_parses(action: ActionRun) -> None:
    """report-json paths and every other output parse back exactly with the runner's grammar."""
    project(action)
    action.inputs["report-json"] = "out/ghadelimiter_x<<EOF=.json"
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert r.outputs["report-json"] == "out/ghadelimiter_x<<EOF=.json"
    assert r.outputs["coverage"] == "50.00"
    raw = (action.files / "set_output_0001").read_text()
    assert parse_file_command(raw) == r.outputs
    heads = [line for line in raw.split("\n") if "<<ghadelimiter_" in line]
    assert len(heads) == len(r.outputs)
    delimiters = [h.split("<<", 1)[1] for h in heads]
    assert len(set(delimiters)) == len(delimiters)
    assert all(re.fullmatch(r"ghadelimiter_[0-9a-f-]{36}", d) for d in delimiters)


# =============================================================================================
# 6. Tokens: a sane form, sent to the API host only, never written anywhere
# =============================================================================================

REPO = "octo-org/widget"
BASE_SHA = "a0" * 20
HEAD_SHA = "b0" * 20


def _written(action: ActionRun, r: Result) -> str:
    """Everything the step wrote: streams, summary, outputs, and every file it left behind."""
    parts = [r.everything()]
    for path in action.tmp.rglob("*"):
        if path.is_file() and path.name != "event.json":
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_tokens_never_leave_the_api(action: ActionRun, fake_github, event: str) -> None:
    from tests.fakegithub import FileChange
    from tests.fakeresults import FakeResults, runtime_environ

    token = "ghs_" + secrets.token_urlsafe(27).replace("-", "x")
    fake_github.add_repo(REPO, id=111)
    fake_github.add_token(token)
    fake_github.add_pull(
        REPO,
        42,
        head_sha=HEAD_SHA,
        base_sha=BASE_SHA,
        files=[
            FileChange("pkg/a.py", patch="@@ -0,0 +1,2 @@\n+x = 1\n+y = 2"),
        ],
    )
    project(action)
    (action.workspace / "coverage.xml").write_text(cobertura("pkg/a.py"))
    repo = {"id": 111, "full_name": REPO, "default_branch": "main"}
    action.api_url = fake_github.base_url
    action.event_name = event
    if event == "pull_request":
        action.event = {
            "action": "synchronize",
            "number": 42,
            "repository": repo,
            "pull_request": {
                "number": 42,
                "changed_files": 1,
                "base": {"ref": "main", "sha": BASE_SHA, "repo": repo},
                "head": {"ref": "feature", "sha": HEAD_SHA, "repo": repo},
            },
        }
    else:
        action.event = {"ref": "refs/heads/main", "after": HEAD_SHA, "repository": repo}
    action.inputs.update(
        {"github-token": token, "report-json": "result.json", "pin-policy": "warn"}
    )
    wf = action.workspace / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "ci.yml").write_text(
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"
    )
    with FakeResults() as results:
        runtime = runtime_environ(results)
        action.env.update({k: v for k, v in runtime.items() if k.startswith("ACTIONS_")})
        action.env.update(
            {
                "GITHUB_TOKEN": token,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc_" + secrets.token_hex(20),
            }
        )
        r = action.run(timeout=BOUNDED)
        results_requests = list(results.requests)
    assert r.code == 0, r.stdout + r.stderr
    written = _written(action, r)
    for name in ("ACTIONS_RUNTIME_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        assert action.env[name] not in written, name
    assert token not in written
    for comment in fake_github.comments(REPO, 42):
        assert token not in comment.body and action.env["ACTIONS_RUNTIME_TOKEN"] not in comment.body
    seen = fake_github.requests
    assert seen, "the run made no API request"
    for request in seen:
        if request.host != "api":
            assert request.header("Authorization") is None, request
            assert token not in request.path + str(request.query)
    for request in results_requests:
        assert token not in str(request), request
    if event == "pull_request":
        assert fake_github.comments(REPO, 42), r.stdout


@pytest.mark.parametrize(
    "token",
    [
        "ghs_ with space 0123456789",
        "ghs_0123456789\nabcdef",
        "ghs_01234\t56789abcdef",
        "ghs_0123456789\x7fabcdef",
        "ghs_" + "x" * (64 * 1024),
        "ghs_\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
        "Bearer ghs_0123456789abcdef",
        "ghs_0123456789abcdef\n::error::x",
    ],
)
def test_token_of_an_odd_form_is_refused_without_echoing_it(action: ActionRun, token: str) -> None:
    project(action)
    action.inputs["github-token"] = token
    r = action.run(timeout=BOUNDED)
    one_error(r, "github-token")
    assert token.strip() not in r.everything()


def test_api_url_without_tls_is_never_sent_the_token(action: ActionRun) -> None:
    project(action)
    action.api_url = "http://api.example.invalid"
    action.event_name = "pull_request"
    action.event = {"number": 1, "pull_request": {"number": 1, "base": {"ref": "main"}, "head": {}}}
    r = action.run(timeout=BOUNDED)
    assert r.code == 0, r.stdout
    assert any("GITHUB_API_URL is not https" in w for w in r.warnings), r.warnings


# =============================================================================================
# 7. Odd runner environments: one clear line, or graceful degradation
# =============================================================================================


def _fifo(action: ActionRun, name: str) -> str:
    path = action.tmp / name
    os.mkfifo(path)
    return str(path)


def _dir(action: ActionRun, name: str) -> str:
    path = action.tmp / name
    path.mkdir()
    return str(path)


def _file(action: ActionRun, name: str, data: bytes) -> str:
    path = action.tmp / name
    path.write_bytes(data)
    return str(path)


ENVIRONMENTS = {
    "no-workspace": lambda a: {"GITHUB_WORKSPACE": None},
    "workspace-missing": lambda a: {"GITHUB_WORKSPACE": str(a.tmp / "nowhere")},
    "workspace-is-a-file": lambda a: {"GITHUB_WORKSPACE": _file(a, "ws-file", b"")},
    "workspace-is-root": lambda a: {"GITHUB_WORKSPACE": "/"},
    "event-path-missing": lambda a: {"GITHUB_EVENT_PATH": str(a.tmp / "no-event.json")},
    "event-path-unset": lambda a: {"GITHUB_EVENT_PATH": None},
    "event-garbage": lambda a: {
        "GITHUB_EVENT_PATH": _file(a, "garbage.json", b"\x00\xff{not json")
    },
    "event-deep": lambda a: {"GITHUB_EVENT_PATH": _file(a, "deep.json", b"[" * DEEP + b"]" * DEEP)},
    "event-a-list": lambda a: {"GITHUB_EVENT_PATH": _file(a, "list.json", b"[1, 2]")},
    "event-fifo": lambda a: {"GITHUB_EVENT_PATH": _fifo(a, "event.fifo")},
    "event-dir": lambda a: {"GITHUB_EVENT_PATH": _dir(a, "event.dir")},
    "event-dev-zero": lambda a: {"GITHUB_EVENT_PATH": "/dev/zero"},
    "output-dir": lambda a: {"GITHUB_OUTPUT": _dir(a, "out.dir")},
    "output-fifo": lambda a: {"GITHUB_OUTPUT": _fifo(a, "out.fifo")},
    "output-missing-dir": lambda a: {"GITHUB_OUTPUT": str(a.tmp / "nowhere" / "out")},
    "summary-dir": lambda a: {"GITHUB_STEP_SUMMARY": _dir(a, "summary.dir")},
    "summary-fifo": lambda a: {"GITHUB_STEP_SUMMARY": _fifo(a, "summary.fifo")},
    "summary-dev-full": lambda a: {"GITHUB_STEP_SUMMARY": "/dev/full"},
    "event-name-unknown": lambda a: {"GITHUB_EVENT_NAME": "issue_comment"},
    "event-name-odd": lambda a: {"GITHUB_EVENT_NAME": "pull_request\n::error::pwned"},
    "event-name-target": lambda a: {"GITHUB_EVENT_NAME": "pull_request_target"},
    "api-url-malformed": lambda a: {"GITHUB_API_URL": "not a url"},
    "api-url-userinfo": lambda a: {"GITHUB_API_URL": "https://user:pass@api.github.com"},
    "api-url-file": lambda a: {"GITHUB_API_URL": "file:///etc/passwd"},
    "repository-no-slash": lambda a: {"GITHUB_REPOSITORY": "widget"},
    "repository-dots": lambda a: {"GITHUB_REPOSITORY": "../.."},
    "repository-newline": lambda a: {"GITHUB_REPOSITORY": "a/b\n::error::pwned"},
    "run-id-unicode-digits": lambda a: {"GITHUB_RUN_ID": "\u0661\u0662\u0663"},
    "ref-odd": lambda a: {"GITHUB_REF": "refs/heads/\n::error::pwned"},
    "sha-odd": lambda a: {"GITHUB_SHA": "zz" * 20},
    "runner-temp-missing": lambda a: {"RUNNER_TEMP": str(a.tmp / "nowhere")},
    "runner-temp-a-file": lambda a: {"RUNNER_TEMP": _file(a, "rt-file", b"")},
    "home-missing": lambda a: {"HOME": None},
    "no-actions": lambda a: {"GITHUB_ACTIONS": None},
    "actions-true-nothing-else": lambda a: {
        k: None
        for k in (
            "GITHUB_EVENT_PATH",
            "GITHUB_EVENT_NAME",
            "GITHUB_REPOSITORY",
            "GITHUB_API_URL",
            "GITHUB_OUTPUT",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_RUN_ID",
            "GITHUB_SHA",
            "GITHUB_REF",
            "RUNNER_TEMP",
        )
    },
}


# What each odd environment ends in, per event: (exit code, what the one error says, or what a
# warning says; None: no warning at all). On a pull request the API (nothing listens at the
# harness's URL) is unreachable, which the run reports as warnings and carries on.
API_DOWN = "cannot reach the GitHub API"
NO_EVENT = "no event payload (GITHUB_EVENT_PATH is unset or missing)"
NO_FILE = "no event payload (GITHUB_EVENT_PATH names no file)"
NOT_REGULAR_EVENT = "the event payload is not a regular file (GITHUB_EVENT_PATH)"
NOT_A_DIR = "is not a directory"
OUTPUT = "GITHUB_OUTPUT"
SUMMARY = "the job summary could not be written to GITHUB_STEP_SUMMARY"
MALFORMED_API = "GITHUB_API_URL is malformed; API calls are skipped"
NOT_OWNER_NAME = "is not owner/name"
Expected = tuple[int, str | None]
ENVIRONMENT_OUTCOMES: dict[str, tuple[Expected, Expected]] = {
    # id: (on push, on pull_request)
    "no-workspace": ((0, None), (0, API_DOWN)),  # the cwd is the workspace, as the runner sets it
    "workspace-missing": ((2, NOT_A_DIR), (2, NOT_A_DIR)),
    "workspace-is-a-file": ((2, NOT_A_DIR), (2, NOT_A_DIR)),
    "workspace-is-root": ((2, "the workspace is the filesystem root"),) * 2,
    "event-path-missing": ((0, NO_FILE), (0, NO_FILE)),
    "event-path-unset": ((0, NO_EVENT), (0, NO_EVENT)),
    "event-garbage": ((0, "the event payload is not valid JSON"),) * 2,
    "event-deep": ((0, "the event payload is not valid JSON"),) * 2,
    "event-a-list": ((0, "the event payload is not a JSON object"),) * 2,
    "event-fifo": ((0, NOT_REGULAR_EVENT), (0, NOT_REGULAR_EVENT)),
    "event-dir": ((0, NOT_REGULAR_EVENT), (0, NOT_REGULAR_EVENT)),
    "event-dev-zero": ((0, NOT_REGULAR_EVENT), (0, NOT_REGULAR_EVENT)),
    "output-dir": ((2, OUTPUT), (2, OUTPUT)),  # later steps read the outputs: not optional
    "output-fifo": ((2, OUTPUT), (2, OUTPUT)),
    "output-missing-dir": ((2, OUTPUT), (2, OUTPUT)),
    "summary-dir": ((0, SUMMARY), (0, SUMMARY)),  # the log and the comment still carry it
    "summary-fifo": ((0, SUMMARY), (0, SUMMARY)),
    "summary-dev-full": ((0, SUMMARY), (0, SUMMARY)),
    "event-name-unknown": ((0, "'issue_comment' is neither a pull request nor a push"),) * 2,
    "event-name-odd": ((0, "GITHUB_EVENT_NAME"), (0, "GITHUB_EVENT_NAME")),
    "event-name-target": ((0, "pull_request_target runs with a write token"),) * 2,
    "api-url-malformed": ((0, MALFORMED_API), (0, MALFORMED_API)),
    "api-url-userinfo": ((0, MALFORMED_API), (0, MALFORMED_API)),
    "api-url-file": ((0, MALFORMED_API), (0, MALFORMED_API)),
    "repository-no-slash": ((0, NOT_OWNER_NAME), (0, NOT_OWNER_NAME)),
    "repository-dots": ((0, NOT_OWNER_NAME), (0, NOT_OWNER_NAME)),
    "repository-newline": ((0, NOT_OWNER_NAME), (0, NOT_OWNER_NAME)),
    # Values nothing on these events uses (the push event is not of the default branch):
    # ignored without a word on push; on a pull request only the unreachable API speaks.
    "run-id-unicode-digits": ((0, None), (0, API_DOWN)),
    "ref-odd": ((0, None), (0, API_DOWN)),
    "sha-odd": ((0, None), (0, API_DOWN)),
    "runner-temp-missing": ((0, None), (0, API_DOWN)),
    "runner-temp-a-file": ((0, None), (0, API_DOWN)),
    "home-missing": ((0, None), (0, API_DOWN)),
    "no-actions": ((0, None), (0, None)),  # not on a runner: a local run, no API calls
    "actions-true-nothing-else": ((0, "GITHUB_REPOSITORY is not set"),) * 2,
}
# Cases whose right outcome is asserted while today's behaviour is wrong (none left).
WRONG_TODAY: dict[str, str] = {}


def _environment_cases() -> list[object]:
    cases = []
    for case in sorted(ENVIRONMENTS):
        for event_name, expected in zip(("push", "pull_request"), ENVIRONMENT_OUTCOMES[case]):
            marks = (
                [pytest.mark.xfail(strict=True, reason=WRONG_TODAY[case])]
                if case in WRONG_TODAY
                else []
            )
            cases.append(
                pytest.param(case, event_name, *expected, marks=marks, id=f"{event_name}-{case}")
            )
    return cases


def test_every_odd_environment_names_its_outcome() -> None:
    assert sorted(ENVIRONMENT_OUTCOMES) == sorted(ENVIRONMENTS)


@pytest.mark.parametrize("case, event_name, code, says", _environment_cases())
def test_odd_runner_environment_degrades_or_is_one_clear_line(
    action: ActionRun, case: str, event_name: str, code: int, says: str | None
) -> None:
    project(action)
    action.event_name = event_name
    if event_name == "pull_request":
        action.event = {
            "number": 7,
            "pull_request": {
                "number": 7,
                "base": {"ref": "main", "sha": BASE_SHA},
                "head": {"ref": "x", "sha": HEAD_SHA},
            },
        }
    r = run_raw(action, env=ENVIRONMENTS[case](action))
    if code == 2:
        one_error(r, says or "")
    else:
        assert r.code == code and r.errors == [], r.stdout + r.stderr
        if says is None:
            assert r.warnings == [], r.warnings
        else:
            assert any(says in w for w in r.warnings), r.warnings


NO_PR = "the pull_request payload has no usable pull_request"


@pytest.mark.parametrize(
    "event, says",
    [
        ({"number": "7", "pull_request": {"number": "7"}}, NO_PR),
        ({"number": -1, "pull_request": {}}, NO_PR),
        pytest.param(
            {"number": 10**30, "pull_request": {"number": 10**30}}, NO_PR, id="number-10**30"
        ),
        ({"number": 7, "pull_request": None}, NO_PR),
        # The number is good: the pull request is used, its malformed fields dropped one by
        # one (here the API behind it is unreachable, which is what the warning says).
        ({"number": 7, "pull_request": {"base": "main", "head": [1, 2]}}, API_DOWN),
        (
            {
                "number": 7,
                "pull_request": {
                    "base": {"ref": "m\u0000ain", "sha": "A0" * 20},
                    "head": {"repo": "x"},
                },
            },
            API_DOWN,
        ),
        ({"number": True, "pull_request": {"number": True}}, NO_PR),
        ({"number": 7.5, "pull_request": {"number": 7.5}}, NO_PR),
    ],
)
def test_malformed_pull_request_payload_degrades(
    action: ActionRun, event: dict[str, object], says: str
) -> None:
    project(action)
    action.event_name = "pull_request"
    action.event = event
    r = action.run(timeout=BOUNDED)
    assert r.code == 0 and r.errors == [], r.stdout
    assert any(says in w for w in r.warnings), r.warnings
    if says == NO_PR:
        assert not any(API_DOWN in w for w in r.warnings), r.warnings
    assert r.outputs["coverage"] == "50.00"


def test_retry_wait_variable_with_unicode_digits_is_not_an_internal_error(
    action: ActionRun, fake_github: FakeGitHub
) -> None:
    project(action)
    action.api_url = fake_github.base_url  # answers at once: the knob is what is under test
    action.inputs["github-token"] = "ghs_0123456789abcdef"
    action.event_name = "pull_request"
    action.event = {"number": 7, "pull_request": {"number": 7, "base": {"ref": "main"}, "head": {}}}
    r = run_raw(action, env={"COVACTION_MAX_RETRY_WAIT": "\u00b2"})
    assert r.code == 0 and r.errors == [], r.stdout + r.stderr
    # the fake knows no token: the API answers 401, which the run reports and carries on
    assert any("the token was refused (401 Bad credentials)" in w for w in r.warnings), r.warnings


@pytest.mark.parametrize("name", ["COVACTION_MAX_RETRY_WAIT", "COVACTION_API_DEADLINE"])
def test_a_knob_that_is_not_a_plain_decimal_is_named(action: ActionRun, name: str) -> None:
    project(action)
    r = run_raw(action, env={name: "\u00b2"})
    assert r.code == 0 and r.errors == [], r.stdout + r.stderr
    assert any(name in w for w in r.warnings), r.warnings


def test_bad_pin_allowlist_is_refused_before_any_work(action: ActionRun) -> None:
    project(action)
    action.inputs.update({"pin-allowlist": "a/b/c", "pin-policy": "warn"})
    r = action.run(timeout=BOUNDED)
    one_error(r, "pin-allowlist")
    assert r.stdout.startswith("::error::"), r.stdout
