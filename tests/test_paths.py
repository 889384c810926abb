"""Report paths onto repository files: as written, via source roots, by unique suffix, or named."""

from __future__ import annotations

import pytest

from covaction.model import FileCoverage, ParsedReport, Unmatched
from covaction.paths import PathMapper, map_reports, normalize

TRACKED = [
    "src/pkg/a.py",
    "src/pkg/b.py",
    "tests/test_a.py",
    "lib/util.py",
    "other/util.py",
    "x/y/z.go",
]


@pytest.mark.parametrize(
    "path, roots, expected",
    [
        ("src/pkg/a.py", (), "src/pkg/a.py"),
        ("./src/pkg/a.py", (), "src/pkg/a.py"),
        ("/work/repo/src/pkg/a.py", (), "src/pkg/a.py"),  # absolute inside the workspace
        ("pkg/a.py", ("/work/repo/src",), "src/pkg/a.py"),  # Cobertura <source> root
        ("pkg/a.py", ("src",), "src/pkg/a.py"),
        ("/home/runner/work/repo/repo/src/pkg/a.py", (), "src/pkg/a.py"),  # another machine
        ("C:\\build\\repo\\src\\pkg\\b.py", (), "src/pkg/b.py"),  # Windows
        ("a.py", (), "src/pkg/a.py"),  # unique by name
    ],
)
def test_mapped(path: str, roots: tuple[str, ...], expected: str) -> None:
    assert PathMapper("/work/repo", TRACKED).map(path, roots) == expected


@pytest.mark.parametrize(
    "path, reason",
    [
        ("util.py", "matches several files equally well"),
        ("nowhere/missing.py", "no file of that name"),
        ("../../etc/passwd", "no file of that name"),
        ("", "empty path"),
    ],
)
def test_unmatched_with_a_reason(path: str, reason: str) -> None:
    result = PathMapper("/work/repo", TRACKED).map(path)
    assert isinstance(result, Unmatched) and reason in result.reason


def test_longer_suffix_wins_over_ambiguity() -> None:
    assert PathMapper("/w", TRACKED).map("/elsewhere/lib/util.py") == "lib/util.py"


def test_relative_path_cannot_escape_even_if_it_exists() -> None:
    mapper = PathMapper("/work/repo", None, exists=lambda rel: True)
    assert isinstance(mapper.map("../outside.py"), Unmatched)
    assert mapper.map("inside.py") == "inside.py"


def test_normalize() -> None:
    assert normalize("a//b/./c.py") == "a/b/c.py"
    assert normalize("D:\\x\\y.py") == "/d/x/y.py"


def test_map_reports_merges_and_keeps_unmatched() -> None:
    a = FileCoverage.from_mappings("src/pkg/a.py", {1: 1, 2: 0})
    a2 = FileCoverage.from_mappings("/home/runner/x/src/pkg/a.py", {2: 4, 3: 0})
    gone = FileCoverage.from_mappings("gone.py", {1: 1})
    r = map_reports(
        [
            ParsedReport("cobertura", (a, gone), False, origin="u.xml"),
            ParsedReport("cobertura", (a2,), False, origin="i.xml"),
        ],
        PathMapper("/work/repo", TRACKED),
    )
    assert list(r.files) == ["src/pkg/a.py"]
    assert r.files["src/pkg/a.py"].hits_map() == {1: 1, 2: 4, 3: 0}
    assert [u.path for u in r.unmatched] == ["gone.py"]
    assert r.sources == ("u.xml", "i.xml")


def test_a_backslash_in_a_linux_file_name_is_tried_as_written() -> None:
    assert PathMapper("/w", ["src/a\\b.py", "src/a/b.py"]).map("src/a\\b.py") == "src/a\\b.py"
    assert PathMapper("/w", ["src/a/b.py"]).map("src\\a\\b.py") == "src/a/b.py"
