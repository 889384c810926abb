"""covaction's totals equal `coverage report --format=total` on real coverage.py output."""

from __future__ import annotations

from pathlib import Path

import pytest

from covaction import formats, paths
from covaction.edges import coverage_data, git
from covaction.edges.workspace import Workspace
from covaction.model import display_percent
from tests.sample import make_project, total


def _report(root: Path, name: str):
    ws = Workspace(root)
    mapper = paths.PathMapper(str(ws.root), None, exists=ws.exists)
    if name == ".coverage":
        parsed, unmatched = coverage_data.parse_data_file(
            ws.resolve(name, "t"), name, str(ws.root), mapper.map, root
        )
        assert unmatched == []
    else:
        fmt = formats.detect(ws.head(name, "t"), name)
        parsed = formats.parse(fmt, ws.chunks(name, "t"), name)
    return paths.map_reports([parsed], mapper)


@pytest.fixture(scope="module", params=[False, True], ids=["lines", "branches"])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("proj"), branch=request.param)


_PRINTED: dict[tuple[Path, int], str] = {}


def printed_total(root: Path, precision: int) -> str:
    """`coverage report --format=total --precision=N` of `root`, run once per precision (the
    three inputs compare with the same printed figure)."""
    if (root, precision) not in _PRINTED:
        _PRINTED[root, precision] = total(root, precision)
    return _PRINTED[root, precision]


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.json", ".coverage"])
@pytest.mark.parametrize("precision", [0, 1, 2, 4])
def test_total_equals_coverage_report(project: Path, name: str, precision: int) -> None:
    """Same digits as coverage.py prints, for each of the three inputs and several precisions."""
    report = _report(project, name)
    assert display_percent(report.counts.percent, precision) == printed_total(project, precision)


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.json", ".coverage"])
def test_three_inputs_agree_file_by_file(project: Path, name: str) -> None:
    """Per-file counts agree across formats (the Cobertura parse is the reference)."""
    reference = _report(project, "coverage.xml")
    report = _report(project, name)
    assert {p: f.counts for p, f in report.files.items()} == {
        p: f.counts for p, f in reference.files.items()
    }
    assert report.has_branches == reference.has_branches


def test_exclusions_from_repository_config_are_honoured(tmp_path: Path) -> None:
    """`exclude_lines` in .coveragerc shapes what the .coverage file reports."""
    root = make_project(
        tmp_path,
        branch=True,
        extra_config="[report]\nexclude_lines =\n    pragma: no cover\n    while x > 10",
    )
    report = _report(root, ".coverage")
    calc = report.files["sample/calc.py"]
    assert 25 not in calc.lines  # `while x > 10` excluded, as the config says
    assert display_percent(report.counts.percent) == total(root)


def test_data_file_with_absolute_paths_from_another_machine_maps_by_suffix(tmp_path: Path) -> None:
    """A .coverage written elsewhere (absolute paths) maps onto the workspace's files."""
    import coverage

    root = make_project(tmp_path / "repo", branch=False)
    data = coverage.CoverageData(basename=str(root / ".coverage"))
    data.read()
    moved = coverage.CoverageData(basename=str(tmp_path / "moved.coverage"))
    moved.add_lines(
        {
            "/home/runner/work/repo/repo/" + Path(f).relative_to(root).as_posix()
            if Path(f).is_absolute()
            else "/home/runner/work/repo/repo/" + f: data.lines(f)
            for f in data.measured_files()
        }
    )
    moved.write()
    (root / ".coverage").write_bytes((tmp_path / "moved.coverage").read_bytes())
    ws = Workspace(root)
    import os

    mapper = paths.PathMapper(
        str(ws.root), git.tracked_files(str(ws.root), os.environ), exists=ws.exists
    )
    parsed, unmatched = coverage_data.parse_data_file(
        ws.resolve(".coverage", "t"), ".coverage", str(ws.root), mapper.map, tmp_path
    )
    report = paths.map_reports([parsed], mapper)
    assert unmatched == []
    assert "sample/calc.py" in report.files
