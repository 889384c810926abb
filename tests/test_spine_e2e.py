"""The spine through `python entrypoint.py`, as the runner starts the container."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import END_TO_END, ENTRYPOINT, ActionRun
from tests.sample import make_project, total

COBERTURA = """<?xml version="1.0" ?>
<coverage version="7.6" line-rate="0.5" branch-rate="0" lines-valid="4" lines-covered="2">
  <sources><source>{root}</source></sources>
  <packages><package name="pkg">
    <classes>
      <class name="a.py" filename="pkg/a.py">
        <methods/>
        <lines>
          <line number="1" hits="1"/>
          <line number="2" hits="0"/>
        </lines>
      </class>
      <class name="b.py" filename="pkg/b.py">
        <lines>
          <line number="1" hits="3"/>
          <line number="2" hits="0"/>
        </lines>
      </class>
    </classes>
  </package></packages>
</coverage>
"""


def _files(ws: Path) -> None:
    (ws / "pkg").mkdir()
    (ws / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (ws / "pkg" / "b.py").write_text("x = 1\ny = 2\n")


@pytest.fixture
def simple(action: ActionRun) -> ActionRun:
    _files(action.workspace)
    (action.workspace / "coverage.xml").write_text(COBERTURA.format(root=action.workspace))
    return action


@END_TO_END
def test_push_writes_outputs_summary_and_report_json(simple: ActionRun) -> None:
    simple.inputs.update(
        {"minimum-coverage": "50", "report-json": "out/result.json", "pin-policy": "off"}
    )
    r = simple.run()
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == "50.00"
    assert r.outputs["passed"] == "true"
    assert r.outputs["branch-coverage"] == ""
    assert r.outputs["unpinned-actions"] == ""  # pin-policy: off checked nothing, so no count
    assert r.outputs["report-json"] == "out/result.json"
    assert "50.00%" in r.summary and "2 / 4 lines" in r.summary
    doc = json.loads((simple.workspace / "out" / "result.json").read_text())
    assert doc["schema"] == "covaction-result" and doc["version"] == 1
    assert doc["coverage"]["totals"]["statements"] == 4
    assert doc["gates"][0] == {
        "name": "total",
        "status": "passed",
        "actual": "50.00",
        "required": "50",
        "message": doc["gates"][0]["message"],
    }
    assert r.errors == []


@END_TO_END
def test_failed_gate_exits_1_with_one_error_per_failed_gate(simple: ActionRun) -> None:
    simple.inputs.update({"minimum-coverage": "50.01", "pin-policy": "off"})
    r = simple.run()
    assert r.code == 1
    assert r.errors == ["Total coverage 50.00% of lines and branches is below the minimum 50.01%"]
    assert r.outputs["passed"] == "false"
    assert "❌" in r.summary


@END_TO_END
@pytest.mark.parametrize(
    "name, value",
    [
        ("minimum-coverage", "80%"),
        ("minimum-coverage", "abc"),
        ("minimum-coverage", "150"),
        ("minimum-coverage", "-5"),
        ("annotations", "yes"),
        ("comment", "always"),
        ("coverage-files", "../x.xml"),
        ("format", "nope"),
    ],
)
def test_bad_input_is_one_error_exit_2_before_any_work(
    simple: ActionRun, name: str, value: str
) -> None:
    simple.inputs[name] = value
    r = simple.run()
    assert r.code == 2
    assert len(r.errors) == 1 and name in r.errors[0]
    assert r.summary == "" and r.outputs == {}


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"<coverage><packages><package", "not well-formed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><coverage>&b;</coverage>',
            "entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><coverage>&x;</coverage>',
            "entit",
        ),
        (b'{"meta": {}, "files": {"a.py": {"executed_lines": "all"}}}', "executed_lines"),
        (b'{"meta": {}, "files": []}', "files"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "coverage.py data file"),
        (b"hello world", "not a coverage report"),
    ],
)
def test_bad_report_is_one_clear_line_exit_2(
    simple: ActionRun, content: bytes, needle: str
) -> None:
    (simple.workspace / "coverage.xml").unlink()
    (simple.workspace / "report.dat").write_bytes(content)
    simple.inputs["coverage-files"] = "report.dat"
    r = simple.run(timeout=60)
    assert r.code == 2, r.stdout
    assert len(r.errors) == 1 and needle in r.errors[0], r.errors


def test_sqlite_with_another_schema_is_refused(simple: ActionRun) -> None:
    db = simple.workspace / ".coverage"
    con = sqlite3.connect(db)
    con.execute("create table notes (x)")
    con.commit()
    con.close()
    simple.inputs["coverage-files"] = ".coverage"
    r = simple.run()
    assert r.code == 2 and len(r.errors) == 1 and "missing tables" in r.errors[0]


def test_missing_report_with_a_gate_is_exit_2(action: ActionRun) -> None:
    action.inputs["minimum-coverage"] = "80"
    r = action.run()
    assert r.code == 2 and len(r.errors) == 1 and "no coverage report found" in r.errors[0]


def test_explicit_missing_file_is_exit_2(action: ActionRun) -> None:
    action.inputs["coverage-files"] = "build/coverage.xml"
    r = action.run()
    assert r.code == 2 and "build/coverage.xml" in r.errors[0]


def test_unmatched_paths_are_counted_and_named(simple: ActionRun) -> None:
    text = COBERTURA.format(root=simple.workspace).replace("pkg/b.py", "gone/zzz.py")
    (simple.workspace / "coverage.xml").write_text(text)
    simple.inputs["pin-policy"] = "off"
    r = simple.run()
    assert r.code == 0
    assert "gone/zzz.py" in r.summary
    [warning] = [w for w in r.warnings if "match no file" in w]
    assert warning.startswith(
        "1 report path(s) match no file in the repository: counted in the totals, without links"
    )
    assert r.outputs["coverage"] == "50.00"  # counted as coverage.py counts it: 2 of 4


def test_several_reports_merge_a_line_covered_if_any_covers_it(simple: ActionRun) -> None:
    other = COBERTURA.format(root=simple.workspace).replace(
        'number="2" hits="0"', 'number="2" hits="1"', 1
    )
    (simple.workspace / "integration.xml").write_text(other)
    simple.inputs.update({"coverage-files": "coverage.xml\nintegration.xml", "pin-policy": "off"})
    r = simple.run()
    assert r.outputs["coverage"] == "75.00"


def test_glob_patterns(simple: ActionRun) -> None:
    (simple.workspace / "reports").mkdir()
    (simple.workspace / "coverage.xml").rename(simple.workspace / "reports" / "unit.xml")
    simple.inputs.update({"coverage-files": "reports/**/*.xml", "pin-policy": "off"})
    assert simple.run().outputs["coverage"] == "50.00"


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample project with branch coverage, measured once: its root and `coverage report`'s
    total."""
    root = make_project(tmp_path_factory.mktemp("project"), branch=True)
    return root, total(root)


@pytest.mark.parametrize("report", ["coverage.xml", "coverage.json", ".coverage"])
def test_real_coverage_py_project_equals_coverage_report(
    action: ActionRun, measured: tuple[Path, str], report: str
) -> None:
    root, printed = measured
    shutil.copytree(root, action.workspace, symlinks=True, dirs_exist_ok=True)
    action.inputs.update({"coverage-files": report, "pin-policy": "off"})
    r = action.run()
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == printed
    assert r.outputs["branch-coverage"] != ""


@pytest.mark.parametrize(
    "output, shows, hides",
    [
        ("", "covaction: PASSED", "<!-- covaction:report:coverage -->"),
        ("text", "covaction: PASSED", "## Coverage report"),
        ("markdown", "<!-- covaction:report:coverage -->", "## Coverage report"),
        ("summary", "## Coverage report", "<!-- covaction:report:coverage -->"),
    ],
)
def test_outside_actions_prints_the_report_asked_for(
    tmp_path: Path, output: str, shows: str, hides: str
) -> None:
    """On a laptop: a terminal report by default, the comment or the summary on request."""
    _files(tmp_path)
    (tmp_path / "coverage.xml").write_text(COBERTURA.format(root=tmp_path))
    flags = ["--output", output] if output else []
    proc = subprocess.run(
        [sys.executable, str(ENTRYPOINT), "--minimum-coverage", "40", *flags],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr
    assert shows in proc.stdout and hides not in proc.stdout
    assert "::" not in proc.stdout and "see the job summary" not in proc.stdout


def test_help_is_fast_and_lists_options() -> None:
    proc = subprocess.run(
        [sys.executable, str(ENTRYPOINT), "--help"], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0 and "--minimum-diff-coverage" in proc.stdout
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv=['x','--help']\nfrom covaction import cli\ntry:\n cli.cli()\nexcept SystemExit: pass\nprint(sorted(m for m in ('github','coverage','jinja2','requests','yaml') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert probe.stdout.strip().endswith("[]"), probe.stdout  # heavy modules stay unimported


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root, as in the container"
)
def test_files_written_into_the_workspace_belong_to_the_workspace_owner(simple: ActionRun) -> None:
    """The container runs as root; on a self-hosted runner the next job's checkout (as the
    runner's user) must be able to delete what covaction wrote: report-json, its folders, and
    the .covaction folder with the baseline."""
    ws = simple.workspace
    os.chown(ws, 4321, 4321)
    simple.event_name = "push"
    simple.event = {"ref": "refs/heads/main", "repository": {"default_branch": "main"}}
    simple.inputs.update({"report-json": "out/deep/result.json", "pin-policy": "off"})
    r = simple.run()
    assert r.code == 0, r.stdout + r.stderr
    written = [ws / "out", ws / "out" / "deep", ws / "out" / "deep" / "result.json"]
    written += [ws / ".covaction", ws / ".covaction" / "coverage"]
    written.append(ws / ".covaction" / "coverage" / "baseline.json")
    for path in written:
        st = path.lstat()
        assert (st.st_uid, st.st_gid) == (4321, 4321), path


@pytest.mark.parametrize("case", ["symlink-loop", "file-as-folder"])
def test_a_report_json_path_that_cannot_be_written_is_one_error_after_the_outputs(
    simple: ActionRun, case: str
) -> None:
    """The report-json folder is a symbolic link loop, or a regular file: one ::error:: naming
    the input, exit 2, and the summary and outputs the run computed are still written."""
    ws = simple.workspace
    if case == "symlink-loop":
        (ws / "loop").symlink_to(ws / "loop")
        path = "loop/result.json"
    else:
        (ws / "out").write_text("a file, not a folder\n")
        path = "out/result.json"
    simple.inputs.update({"report-json": path, "pin-policy": "off", "minimum-coverage": "10"})
    r = simple.run()
    assert r.code == 2, r.stdout + r.stderr
    [error] = r.errors
    assert error.startswith("report-json: ") and repr(path) in error
    assert r.outputs["coverage"] == "50.00" and r.outputs["passed"] == "true"
    assert r.summary.startswith("## Coverage report")
