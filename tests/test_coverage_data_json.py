"""Reading `.coverage` gives, file by file, exactly what coverage.py's own `coverage json` gives.

covaction takes each file's executed and missing lines and branch arcs from the Analysis objects
coverage.py's reporters walk (without the JSON reporter's function and class regions, which it
never reads); the real `coverage json` on the same data and configuration is the oracle.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from covaction import paths
from covaction.edges import coverage_data
from covaction.edges.workspace import Workspace
from covaction.formats import coverage_json
from tests.sample import coverage, git, make_project

EXTRA = """\
class Shape:
    def area(self, n):
        if n > 3:
            return n * 2
        return 0  # pragma: no cover


def never(x):
    return [i for i in range(x) if i % 2]
"""


@pytest.mark.parametrize("branch", [True, False])
def test_the_data_file_reads_as_coverage_json_reads_it(tmp_path: Path, branch: bool) -> None:
    root = make_project(tmp_path / "repo", branch, measured=False)  # measured below
    (root / "sample" / "extra.py").write_text(EXTRA)
    (root / "sample" / "omitted.py").write_text("x = 1\n")
    (root / ".coveragerc").write_text(
        textwrap.dedent("""\
            [run]
            source = sample
            [report]
            omit = */omitted.py
            """)
    )
    git(root, "add", "-A")
    args = ["run", "--branch"] if branch else ["run"]
    coverage(root, *args, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    coverage(root, "json", "-o", "truth.json")
    truth = coverage_json.parse([(root / "truth.json").read_bytes()], "truth.json")

    ws = Workspace(root)
    mapper = paths.PathMapper(str(ws.root), None, exists=ws.exists)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    ours, unmatched = coverage_data.parse_data_file(
        ws.resolve(".coverage", "test"), ".coverage", str(ws.root), mapper.map, scratch
    )
    assert not unmatched
    assert ours.has_branches is branch
    assert {f.path for f in ours.files} == {f.path for f in truth.files} >= {"sample/extra.py"}
    theirs = {f.path: f for f in truth.files}
    for f in ours.files:
        assert repr(f) == repr(theirs[f.path]), f.path
    assert list(scratch.iterdir()) == []  # nothing left in scratch space
