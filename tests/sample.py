"""Real coverage.py fixtures: a small package run under `coverage run`, then its three reports."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

CALC = """\
def add(a, b):
    return a + b


def classify(n):
    if n < 0:
        return "negative"
    elif n == 0:
        return "zero"
    return "positive"


def parity(n):
    kind = "even" if n % 2 == 0 else "odd"
    for _ in range(0):
        kind = "never"
    return kind


def unused():  # pragma: no cover
    return 1


def untested(x):
    while x > 10:
        x -= 3
    return x
"""

TEST = """\
from sample.calc import add, classify, parity


def test_it():
    assert add(1, 2) == 3
    assert classify(5) == "positive"
    assert classify(-1) == "negative"
    assert parity(2) == "even"
"""

# A module whose missed statements have comments and blank lines between them: `coverage
# report -m` joins them ("4-8, 12-15" where the missed line numbers are "4, 7-8, 12, 14-15").
GAPS_MODULE = """\
def f(x):
    if x:
        return 1
    y = 2

    # a comment between two missed statements
    z = 3
    return y + z


def g():
    a = 1
    # another comment
    b = 2
    return a + b
"""
GAPS_TEST = "from sample.gaps import f\n\n\ndef test_f():\n    assert f(1) == 1\n"


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def coverage(cwd: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def make_project(root: Path, branch: bool, extra_config: str = "", measured: bool = True) -> Path:
    """A git repository with a package and a test, measured by coverage.py (unless `measured`
    is False: the caller measures it its own way); returns root."""
    (root / "sample").mkdir(parents=True, exist_ok=True)
    (root / "sample" / "__init__.py").write_text("")
    (root / "sample" / "calc.py").write_text(CALC)
    (root / "tests").mkdir(exist_ok=True)
    (root / "tests" / "test_calc.py").write_text(TEST)
    (root / ".coveragerc").write_text(
        textwrap.dedent(f"""\
        [run]
        branch = {str(branch).lower()}
        relative_files = true
        {extra_config}
        """)
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first")
    if measured:
        measure(root)
    return root


def measure(root: Path) -> None:
    """Run the project's tests under coverage.py and write coverage.xml and coverage.json."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coverage",
            "run",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    coverage(root, "xml", "-o", "coverage.xml")
    coverage(root, "json", "-o", "coverage.json")


def measured_gaps(folder: Path) -> tuple[Path, str]:
    """The sample package with sample/gaps.py, committed and measured: its root and the Missing
    cell `coverage report -m` prints for sample/gaps.py."""
    root = make_project(folder, branch=False, measured=False)
    (root / "sample" / "gaps.py").write_text(GAPS_MODULE)
    (root / "tests" / "test_gaps.py").write_text(GAPS_TEST)
    git(root, "add", "-A")  # a file git does not track is measured but placed nowhere
    git(root, "commit", "-qm", "gaps")
    measure(root)
    printed = coverage(root, "report", "-m", "--include=sample/gaps.py")
    # sample/gaps.py      13      7    46%   4-8, 12-15
    [row] = [line for line in printed.splitlines() if line.startswith("sample/gaps.py")]
    return root, re.split(r"\s{2,}|%\s+", row.strip())[-1]


def total(root: Path, precision: int = 2) -> str:
    return coverage(root, "report", "--format=total", f"--precision={precision}").strip()
