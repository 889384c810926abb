"""Every format through `python entrypoint.py`: paths mapped, reports merged, gates applied."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.harness import ActionRun
from tests.sample import git

MORE = Path(__file__).resolve().parent / "fixtures" / "more"


def test_go_workspace_with_a_v2_module_maps_and_merges(action: ActionRun) -> None:
    """Import paths map through go.work/go.mod (lib is `.../lib/v2`); unit + integration merge."""
    shutil.copytree(MORE / "go" / "workspace", action.workspace, dirs_exist_ok=True)
    for name in ("unit.out", "integration.out"):
        shutil.copy(MORE / "go" / name, action.workspace / name)
    git(action.workspace, "init", "-q", "-b", "main")
    git(action.workspace, "add", "-A")
    git(action.workspace, "commit", "-qm", "go")
    action.inputs.update(
        {
            "coverage-files": "unit.out\nintegration.out",
            "pin-policy": "off",
            "report-json": "r.json",
        }
    )
    r = action.run()
    assert r.code == 0, r.stdout + r.stderr
    doc = json.loads((action.workspace / "r.json").read_text())
    paths = {f["path"] for f in doc["coverage"]["files"]}
    assert {"app/main.go", "lib/calc.go"} <= paths, paths
    assert all(not p.startswith("example.com") for p in paths)
    assert doc["coverage"]["unmatched"] == []
    merged = {f["path"]: f["covered_lines"] for f in doc["coverage"]["files"]}
    for single in ("unit.out", "integration.out"):
        action.inputs["coverage-files"] = single
        alone = (
            json.loads((action.workspace / "r.json").read_text())
            if action.run().code == 0
            else None
        )
        assert alone is not None
        for f in alone["coverage"]["files"]:
            assert merged[f["path"]] >= f["covered_lines"]  # the union covers at least each part


@pytest.mark.parametrize(
    "files, fmt",
    [
        ("unit.info", "lcov"),
        ("unit.info\nintegration.info", "lcov"),
        ("clover.xml", "clover"),
    ],
)
def test_javascript_reports_gate_and_detect(action: ActionRun, files: str, fmt: str) -> None:
    shutil.copytree(MORE / "js", action.workspace, dirs_exist_ok=True)
    action.inputs.update(
        {
            "coverage-files": files,
            "pin-policy": "off",
            "report-json": "r.json",
            "minimum-coverage": "99.9",
        }
    )
    r = action.run()
    assert r.code == 1, r.stdout  # the fixtures are not fully covered: the gate fails
    doc = json.loads((action.workspace / "r.json").read_text())
    assert doc["coverage"]["formats"] == [fmt]
    assert {f["path"] for f in doc["coverage"]["files"]} == {"src/grade.js", "src/util.js"}
    assert len(r.errors) == 1 and "below the minimum 99.9%" in r.errors[0]


def test_jacoco_package_paths_map_by_suffix_onto_a_maven_layout(action: ActionRun) -> None:
    report = (MORE / "jacoco" / "report.xml").read_bytes()
    (action.workspace / "report.xml").write_bytes(report)
    import re

    for pkg, name in re.findall(
        rb'<package name="([^"]+)".*?<sourcefile name="([^"]+)"', report, re.S
    ):
        target = action.workspace / "src" / "main" / "java" / pkg.decode() / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("class X {}\n")
    git(action.workspace, "init", "-q", "-b", "main")
    git(action.workspace, "add", "-A")
    git(action.workspace, "commit", "-qm", "java")
    action.inputs.update(
        {"coverage-files": "report.xml", "pin-policy": "off", "report-json": "r.json"}
    )
    r = action.run()
    assert r.code == 0, r.stdout
    doc = json.loads((action.workspace / "r.json").read_text())
    assert doc["coverage"]["formats"] == ["jacoco"]
    assert all(f["path"].startswith("src/main/java/") for f in doc["coverage"]["files"])


REAL = Path(__file__).resolve().parent / "fixtures" / "real"


@pytest.mark.parametrize(
    ("tool", "report", "metric", "coverage"),
    [
        # lcov --summary run1.info: lines......: 60.0% (15 of 25 lines)
        ("c", "run1.info", "auto", "60.00"),
        # gcovr --print-summary: lines: 64.0% (16 out of 25)
        ("c", "gcovr-cobertura.xml", "auto", "64.00"),
        # JaCoCo HTML Total row: 27 of 52 instructions missed -> 25/52
        ("java", "jacoco1.xml", "auto", "48.08"),
        ("java", "jacoco1.xml", "lines", "46.15"),  # LINE counter: 7 of 13 missed
        # PHPUnit --coverage-text: Lines: 60.00% (9/15)
        ("php", "clover.xml", "auto", "60.00"),
        # Istanbul text-summary: Lines : 71.42% ( 35/49 ) (Istanbul truncates, 71.428...)
        ("js", "c8-run1-clover.xml", "auto", "71.43"),
        # coverage report: TOTAL 11 5 8 1 47% -> (6 + 3) / (11 + 8)
        ("py", "cov1.xml", "auto", "47.37"),
    ],
)
def test_the_headline_output_is_the_producers_own_figure(
    action: ActionRun, tool: str, report: str, metric: str, coverage: str
) -> None:
    """The whole action on reports the real tools wrote (paths from another machine)."""
    shutil.copytree(REAL / tool / "project", action.workspace, dirs_exist_ok=True)
    shutil.copy(REAL / tool / report, action.workspace / report)
    git(action.workspace, "init", "-q", "-b", "main")
    git(action.workspace, "add", "-A")
    git(action.workspace, "commit", "-qm", tool)
    action.inputs.update(
        {
            "coverage-files": report,
            "coverage-metric": metric,
            "pin-policy": "off",
            "report-json": "r.json",
        }
    )
    r = action.run()
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == coverage, r.outputs
    doc = json.loads((action.workspace / "r.json").read_text())
    assert doc["coverage"]["unmatched"] == []


def test_go_headline_output_is_go_tool_cover_func_total(action: ActionRun) -> None:
    """go tool cover -func=set.out: total: (statements) 59.1% (13 of 22 statements)."""
    shutil.copytree(REAL / "go" / "project", action.workspace, dirs_exist_ok=True)
    shutil.copy(REAL / "go" / "set.out", action.workspace / "set.out")
    git(action.workspace, "init", "-q", "-b", "main")
    git(action.workspace, "add", "-A")
    git(action.workspace, "commit", "-qm", "go")
    action.inputs.update({"coverage-files": "set.out", "pin-policy": "off"})
    r = action.run()
    assert r.code == 0, r.stdout + r.stderr
    assert r.outputs["coverage"] == "59.09", r.outputs
