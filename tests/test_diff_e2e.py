"""Diff coverage through `python entrypoint.py`: PR files from the fake API, git, a diff file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakegithub import WRITE_TOKEN, FakeGitHub, FileChange
from tests.harness import END_TO_END, ActionRun, Result
from tests.sample import git, make_project, measure

REPO = "octo-org/widget"

NEW_CODE = """

def shipping(weight, express=False):
    if weight <= 0:
        raise ValueError("weight")
    cost = 4.5 + weight
    if express:
        cost *= 2
    return cost
"""
NEW_TEST = """

def test_shipping():
    from sample.calc import shipping

    assert shipping(1) == 5.5
"""


def two_commits(root: Path) -> tuple[str, str, str]:
    """A real project: base commit, then a head commit adding `shipping`, half tested, measured
    by coverage.py at the head. Returns (base sha, head sha, `git diff base...head`)."""
    make_project(root, branch=True, measured=False)  # measured at the head below
    base = git(root, "rev-parse", "HEAD").strip()
    with open(root / "sample" / "calc.py", "a") as fh:
        fh.write(NEW_CODE)
    with open(root / "tests" / "test_calc.py", "a") as fh:
        fh.write(NEW_TEST)
    git(root, "add", "sample", "tests")
    git(root, "commit", "-qm", "shipping")
    head = git(root, "rev-parse", "HEAD").strip()
    measure(root)
    return base, head, git(root, "diff", "-U0", f"{base}...{head}")


def patches(diff_text: str) -> dict[str, str]:
    """GitHub's per-file `patch`: the hunks of each file, without the header lines."""
    out: dict[str, str] = {}
    current = None
    for line in diff_text.splitlines():
        if line.startswith("diff --git"):
            current = line.split(" b/", 1)[1]
            out[current] = ""
        elif current and (line.startswith("@@") or out[current]):
            out[current] += line + "\n"
    return {k: v.rstrip("\n") for k, v in out.items()}


def pr_run(
    action: ActionRun,
    fake: FakeGitHub,
    base: str,
    head: str,
    files: list[FileChange],
    **inputs: object,
) -> Result:
    changed = inputs.pop("changed", None)
    fake.add_repo(REPO)
    fake.add_pull(REPO, 42, head_sha=head, base_sha=base, files=files, changed_files=changed)
    action.api_url = fake.base_url
    action.token = WRITE_TOKEN
    action.event_name = "pull_request"
    repo = {"id": 111, "full_name": REPO, "default_branch": "main"}
    action.event = {
        "number": 42,
        "pull_request": {
            "number": 42,
            "changed_files": changed or len(files),
            "base": {"ref": "main", "sha": base, "repo": repo},
            "head": {"ref": "feature", "sha": head, "repo": repo},
        },
        "repository": repo,
    }
    action.inputs.update(
        {"pin-policy": "off", "report-json": "r.json", **{k: str(v) for k, v in inputs.items()}}
    )
    return action.run()


def uncovered_lines(root: Path) -> list[int]:
    """Where the two untested lines of `shipping` ended up in the head's calc.py."""
    text = (root / "sample" / "calc.py").read_text().splitlines()
    return [
        i for i, line in enumerate(text, 1) if "raise ValueError" in line or "cost *= 2" in line
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[str, str, str]]:
    """The two-commit project, built and measured once per module (relative_files: a copy
    reads the same)."""
    root = tmp_path_factory.mktemp("history")
    return root, two_commits(root)


@pytest.fixture
def history(action: ActionRun, built: tuple[Path, tuple[str, str, str]]) -> tuple[str, str, str]:
    """A copy of the built project as this step's workspace; returns (base, head, diff)."""
    root, shas = built
    shutil.copytree(root, action.workspace, symlinks=True, dirs_exist_ok=True)
    return shas


@END_TO_END
def test_pr_files_give_diff_coverage_and_gate(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    base, head, diff_text = history
    files = [FileChange(path, patch=patch) for path, patch in patches(diff_text).items()]
    r = pr_run(action, fake_github, base, head, files, **{"minimum-diff-coverage": "60"})
    # shipping(): 6 coverable changed lines (def, if, raise, cost, if, return) + 1 multiplied
    doc = json.loads((action.workspace / "r.json").read_text())
    calc = next(f for f in doc["diff"]["files"] if f["path"] == "sample/calc.py")
    assert calc["uncovered"] == uncovered_lines(action.workspace), calc  # raise, cost *= 2
    assert r.outputs["diff-coverage"] == doc["diff"]["percent"]
    assert r.code == 0 if float(doc["diff"]["percent"]) >= 60 else r.code == 1
    first, second = uncovered_lines(action.workspace)
    assert "sample/calc.py" in r.summary and str(first) in r.summary
    # The token may create check runs: every uncovered changed line is on the check run.
    [check] = fake_github.check_runs(REPO)
    annotated = [a for a in check.annotations if a["path"] == "sample/calc.py"]
    assert {a["start_line"] for a in annotated} == {first, second}
    assert not [c for c in r.of("warning") if c.props.get("file") == "sample/calc.py"]
    listed = fake_github.requests_for("list_pr_files")
    assert listed and all(req.params.get("per_page") == "100" for req in listed)


def test_missing_patch_is_filled_from_git_when_the_base_is_present(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    base, head, diff_text = history
    files = [FileChange(path) for path in patches(diff_text)]  # GitHub sent no patch at all
    pr_run(action, fake_github, base, head, files)
    doc = json.loads((action.workspace / "r.json").read_text())
    assert doc["diff"]["not_measured"] == []
    calc = next(f for f in doc["diff"]["files"] if f["path"] == "sample/calc.py")
    assert calc["uncovered"] == uncovered_lines(action.workspace)


def test_missing_patch_without_the_base_is_listed_not_counted(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    _, head, diff_text = history
    files = [FileChange(path) for path in patches(diff_text)]
    r = pr_run(action, fake_github, "f" * 40, head, files)  # a base this checkout does not hold
    doc = json.loads((action.workspace / "r.json").read_text())
    assert "sample/calc.py" in doc["diff"]["not_measured"]
    assert doc["diff"]["coverable_lines"] == 0
    assert "without a patch" in r.stdout or "no patch" in r.summary.lower()


def test_renamed_and_deleted_files(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    base, head, diff_text = history
    files = [
        FileChange(
            "sample/calc.py",
            "renamed",
            previous_filename="old/calc.py",
            patch=patches(diff_text)["sample/calc.py"],
        ),
        FileChange("gone.py", "removed", patch="@@ -1,2 +0,0 @@\n-x = 1\n-y = 2"),
    ]
    pr_run(action, fake_github, base, head, files)
    doc = json.loads((action.workspace / "r.json").read_text())
    paths = {f["path"]: f for f in doc["diff"]["files"]}
    assert paths["sample/calc.py"]["uncovered"] == uncovered_lines(action.workspace)
    assert "gone.py" not in paths


def test_many_pages_and_githubs_3000_file_cap(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    base, head, diff_text = history
    real = [FileChange(path, patch=patch) for path, patch in patches(diff_text).items()]
    filler = [
        FileChange(f"docs/page{i:04}.md", "added", patch="@@ -0,0 +1 @@\n+x") for i in range(2998)
    ]
    r = pr_run(action, fake_github, base, head, filler + real, changed=3500)
    doc = json.loads((action.workspace / "r.json").read_text())
    assert any(f["path"] == "sample/calc.py" for f in doc["diff"]["files"])
    assert len(fake_github.requests_for("list_pr_files")) == 30  # 3,000 files, 100 a page
    assert any("3,000" in w for w in r.warnings)


def test_no_coverable_changed_line_passes_the_gate_and_says_so(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    base, head, _ = history
    files = [FileChange("README.md", "added", patch="@@ -0,0 +1 @@\n+hello")]
    r = pr_run(action, fake_github, base, head, files, **{"minimum-diff-coverage": "100"})
    assert r.code == 0
    assert r.outputs["diff-coverage"] == ""
    assert (
        "no coverable line"
        in (
            r.summary + json.dumps(json.loads((action.workspace / "r.json").read_text())["gates"])
        ).lower()
    )


def test_diff_base_and_diff_file_on_a_laptop(
    tmp_path: Path, built: tuple[Path, tuple[str, str, str]]
) -> None:
    """`covaction --diff-base REF` (git, merge base) and `--diff-file` agree with each other."""
    root = tmp_path / "repo"
    shutil.copytree(built[0], root, symlinks=True)
    base, _, diff_text = built[1]
    (tmp_path / "changes.diff").write_text(diff_text)
    (root / "changes.diff").write_text(diff_text)
    entry = Path(__file__).resolve().parent.parent / "entrypoint.py"
    out = {}
    for flag, value in (("--diff-base", base), ("--diff-file", "changes.diff")):
        done = subprocess.run(
            [
                sys.executable,
                str(entry),
                flag,
                value,
                "--report-json",
                f"{flag[2:]}.json",
                "--pin-policy",
                "off",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
        out[flag] = json.loads((root / f"{flag[2:]}.json").read_text())["diff"]
    assert out["--diff-base"]["percent"] == out["--diff-file"]["percent"] is not None
    assert out["--diff-base"]["files"] == out["--diff-file"]["files"]


def test_patches_dropped_by_the_response_budget_are_read_again_in_small_pages(
    action: ActionRun, fake_github: FakeGitHub, history: tuple[str, str, str]
) -> None:
    """GitHub drops patches past ~20,000 lines a response (C.4.5): pages of 20 bring them back."""
    base, head, diff_text = history
    filler = [
        FileChange(f"docs/p{i:03}.md", "added", patch="@@ -0,0 +1,5 @@\n+a\n+b\n+c\n+d\n+e")
        for i in range(60)
    ]
    real = [FileChange(path, patch=patch) for path, patch in patches(diff_text).items()]
    fake_github.patch_line_budget = 120  # a page of 100 loses patches; a page of 20 does not
    pr_run(action, fake_github, base, head, filler + real)
    doc = json.loads((action.workspace / "r.json").read_text())
    assert doc["diff"]["not_measured"] == []
    calc = next(f for f in doc["diff"]["files"] if f["path"] == "sample/calc.py")
    assert calc["uncovered"] == uncovered_lines(action.workspace)
    sizes = [req.params.get("per_page") for req in fake_github.requests_for("list_pr_files")]
    assert sizes[0] == "100" and "20" in sizes and len(sizes) <= 6
