"""covaction run by a person on a laptop: baselines written and read anywhere, a diff against
the working tree, and one source of changed lines at a time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from covaction import settings
from covaction.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"


def covaction(cwd: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *flags],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_diff_base_and_diff_file_together_are_refused() -> None:
    with pytest.raises(InputError, match="diff-base and diff-file"):
        settings.from_argv(["--diff-base", "main", "--diff-file", "x.diff"], {})


def test_in_actions_a_baseline_path_outside_the_workspace_is_still_refused() -> None:
    with pytest.raises(InputError, match="leaves the workspace"):
        settings.from_argv(["--baseline-file", "/tmp/base.json"], {"GITHUB_ACTIONS": "true"})


def test_a_baseline_written_anywhere_is_read_back_by_a_later_run(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    shutil.copytree(DEMO, ws)
    store = tmp_path / "elsewhere" / "base.json"
    first = covaction(ws, "--write-baseline", str(store), "--pin-policy", "off")
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"Baseline written to {store}" in first.stdout
    doc = json.loads(store.read_text())
    assert doc["schema"] == "covaction-baseline" and doc["metric"] == "lines-and-branches"
    again = covaction(
        ws, "--baseline-file", str(store), "--maximum-coverage-drop", "0", "--pin-policy", "off"
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Compared with" in again.stdout and "change ±0.00" in again.stdout


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_diff_base_counts_uncommitted_changes_with_the_working_trees_line_numbers(
    tmp_path: Path,
) -> None:
    """Coverage is measured on the working tree: an uncommitted line shifts every later line,
    and the changed lines must be the working tree's, not HEAD's."""
    ws = tmp_path / "repo"
    (ws / "pkg").mkdir(parents=True)
    _git(ws, "init", "-q", "-b", "main")
    _git(ws, "config", "user.email", "dev@example.com")
    _git(ws, "config", "user.name", "dev")
    (ws / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    _git(ws, "add", ".")
    _git(ws, "commit", "-qm", "base")
    _git(ws, "checkout", "-qb", "feature")
    (ws / "pkg" / "a.py").write_text("x = 1\ny = 2\nz = 3\n")
    _git(ws, "commit", "-qam", "add z")
    # Uncommitted: one line inserted at the top; z = 3 is now line 4 in the working tree.
    (ws / "pkg" / "a.py").write_text("import os\nx = 1\ny = 2\nz = 3\n")
    lines = "".join(f'<line number="{n}" hits="{h}"/>' for n, h in ((1, 0), (2, 1), (3, 1), (4, 0)))
    (ws / "coverage.xml").write_text(
        '<?xml version="1.0" ?><coverage version="7.6"><sources><source>.</source></sources>'
        '<packages><package name="pkg"><classes><class name="a.py" filename="pkg/a.py">'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>"
    )
    r = covaction(ws, "--diff-base", "main", "--report-json", "r.json", "--pin-policy", "off")
    assert r.returncode == 0, r.stdout + r.stderr
    diff = json.loads((ws / "r.json").read_text())["diff"]
    [f] = diff["files"]
    assert f["path"] == "pkg/a.py" and f["changed"] == [1, 4]  # import os, z = 3
    assert (diff["covered_lines"], diff["coverable_lines"]) == (0, 2)


def test_a_changed_source_file_the_report_does_not_measure_is_named_in_the_comment(
    tmp_path: Path,
) -> None:
    """A new module no test imports: not in the report at all, named in the comment (and in
    report-json), not only counted as "not in the report"."""
    ws = tmp_path / "demo"
    shutil.copytree(DEMO, ws)
    (ws / "demo" / "untested.py").write_text("def f():\n    return 1\n")
    new_file = (
        "diff --git a/demo/untested.py b/demo/untested.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/demo/untested.py\n@@ -0,0 +1,2 @@\n+def f():\n+    return 1\n"
    )
    (ws / "changes.diff").write_text((ws / "changes.diff").read_text() + new_file)
    r = covaction(
        ws, "--diff-file", "changes.diff", "--output", "markdown", "--report-json", "r.json",
        "--pin-policy", "off",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    assert "**Not measured at all:** 1 changed source file the report does not cover" in r.stdout
    assert "`demo/untested.py`" in r.stdout
    doc = json.loads((ws / "r.json").read_text())
    assert doc["diff"]["unmeasured_sources"] == ["demo/untested.py"]
