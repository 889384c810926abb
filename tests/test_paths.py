"""Report paths onto repository files: as written, via source roots, by unique suffix, or named."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from covaction.model import FileCoverage, ParsedReport, Unmatched
from covaction.paths import PathMapper, map_reports, normalize, placement_warning

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
        ("/elsewhere/pkg/a.py", (), "src/pkg/a.py"),  # one folder beyond the name suffices
    ],
)
def test_mapped(path: str, roots: tuple[str, ...], expected: str) -> None:
    assert PathMapper("/work/repo", TRACKED).map(path, roots) == expected


@pytest.mark.parametrize(
    "path, reason",
    [
        ("nowhere/missing.py", "no such file"),
        ("../../etc/passwd", "outside the repository"),
        ("/etc/passwd", "outside the repository"),
        ("a.py", "no such file (the repository has src/pkg/a.py, whose folders do not match)"),
        ("", "empty path"),
    ],
)
def test_unmatched_with_a_reason(path: str, reason: str) -> None:
    result = PathMapper("/work/repo", TRACKED).map(path)
    assert isinstance(result, Unmatched) and result.reason.startswith(reason)


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
    assert list(r.unplaced) == ["gone.py"]  # counted all the same
    assert (r.counts.statements, r.counts.covered_lines) == (4, 3)
    assert r.sources == ("u.xml", "i.xml")


def test_a_backslash_in_a_linux_file_name_is_tried_as_written() -> None:
    assert PathMapper("/w", ["src/a\\b.py", "src/a/b.py"]).map("src/a\\b.py") == "src/a\\b.py"
    assert PathMapper("/w", ["src/a/b.py"]).map("src\\a\\b.py") == "src/a/b.py"


def fc(path: str, hits: dict[int, int]) -> FileCoverage:
    return FileCoverage.from_mappings(path, hits)


def test_a_base_name_alone_never_merges_unrelated_files() -> None:
    """helpers/util.py measured on PYTHONPATH is not the repository's pkg/util.py."""
    mapper = PathMapper("/w", ["pkg/util.py", "docs/_version.py"], exists=lambda rel: True)
    outside = mapper.map("/opt/helpers/util.py")
    assert outside == Unmatched(
        "/opt/helpers/util.py",
        "outside the repository (the repository has pkg/util.py, whose folders do not match)",
    )
    ignored = mapper.map("pkg/_version.py")  # git-ignored, generated, on disk
    assert isinstance(ignored, Unmatched)
    assert ignored.reason.startswith("on disk, not tracked by git")


def test_unplaced_files_count_in_totals_like_the_producer() -> None:
    """A git-ignored generated module still counts (setuptools-scm's _version.py case)."""
    mapper = PathMapper("/w", ["pkg/a.py"], exists=lambda rel: rel in {"pkg/a.py", "pkg/_v.py"})
    report = ParsedReport(
        "cobertura",
        (fc("pkg/a.py", {1: 1, 2: 1, 3: 1, 4: 0}), fc("pkg/_v.py", {1: 1, 2: 1, 3: 1, 4: 1})),
        False,
    )
    r = map_reports([report], mapper)
    assert list(r.files) == ["pkg/a.py"] and list(r.unplaced) == ["pkg/_v.py"]
    assert r.unmatched[0].reason == "on disk, not tracked by git"
    assert r.counts.percent == Fraction(7 * 100, 8)  # 87.50%, not 75.00%
    assert r.placed_counts.percent == 75
    assert placement_warning(r) == ""


def test_no_path_matches_totals_still_work_with_one_warning() -> None:
    mapper = PathMapper("/w", ["src/a.py"])
    report = ParsedReport("lcov", (fc("/elsewhere/b.py", {1: 1, 2: 0}),), False)
    r = map_reports([report], mapper)
    assert r.files == {} and r.counts.percent == 50
    warning = placement_warning(r)
    assert warning.startswith("none of the 1 paths in the report matches a file")
    assert "/elsewhere/b.py: outside the repository" in warning


def test_root_prefix_inferred_from_unambiguous_matches_places_top_level_files() -> None:
    """An absolute /…/index.js beside /…/lib/index.js is index.js, not ambiguous."""
    mapper = PathMapper("/w", ["index.js", "lib/index.js", "lib/shapes/area.js"])
    report = ParsedReport(
        "clover",
        (
            fc("/home/runner/work/app/app/index.js", {1: 1}),
            fc("/home/runner/work/app/app/lib/index.js", {1: 0}),
            fc("/home/runner/work/app/app/lib/shapes/area.js", {1: 1}),
        ),
        False,
    )
    r = map_reports([report], mapper)
    assert sorted(r.files) == ["index.js", "lib/index.js", "lib/shapes/area.js"]
    assert r.files["index.js"].hits_map() == {1: 1}
    assert r.unmatched == ()


def test_inferred_prefix_maps_a_relative_report_root_too() -> None:
    """JaCoCo names `com/x/A.java`; a default-package `Main.java` follows the inferred root."""
    mapper = PathMapper("/w", ["src/main/java/com/x/A.java", "src/main/java/Main.java"])
    report = ParsedReport("jacoco", (fc("com/x/A.java", {1: 1}), fc("Main.java", {1: 1})), False)
    r = map_reports([report], mapper)
    assert sorted(r.files) == ["src/main/java/Main.java", "src/main/java/com/x/A.java"]


def test_only_files_git_tracks_are_placed(tmp_path: Path) -> None:
    """In a workflow, a file on disk that git does not track (ignored or not) is in no
    repository on GitHub: git's list is the index alone, and such a file counts unplaced, with
    its reason."""
    import subprocess

    from covaction.edges import git as git_edge

    for name, text in (
        ("a.py", "x = 1\n"),
        (".gitignore", "c.py\n"),
        ("b.py", "y\n"),
        ("c.py", "z\n"),
    ):
        (tmp_path / name).write_text(text)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, env=env, check=True)
    subprocess.run(["git", "add", "a.py", ".gitignore"], cwd=tmp_path, env=env, check=True)
    tracked = git_edge.tracked_files(str(tmp_path), env)
    assert tracked is not None and sorted(tracked) == [".gitignore", "a.py"]
    mapper = PathMapper(str(tmp_path), tracked, exists=lambda rel: (tmp_path / rel).exists())
    assert mapper.map("a.py") == "a.py"
    for name in ("b.py", "c.py"):
        assert mapper.map(name) == Unmatched(name, "on disk, not tracked by git")
    # On a laptop, a new file not yet added is the repository's; an ignored one is not.
    laptop = git_edge.tracked_files(str(tmp_path), env, untracked=True)
    assert laptop is not None and sorted(laptop) == [".gitignore", "a.py", "b.py"]


def _split_normalize(path: str) -> str:
    """The rule `normalize` implements, applied to every path (its fast path skips the work
    for paths already normal)."""
    path = path.replace("\\", "/").strip()
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        path = "/" + path[0].lower() + path[2:]
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if path.startswith("/") else "") + "/".join(parts)


@given(
    st.lists(
        st.sampled_from(["a", "b.py", ".", "..", "", " ", "\t", "C:", "c:\\x", "é", "\u2028"])
    ).map("/".join)
    | st.text(alphabet=["a", "b", "/", ".", "\\", ":", " ", "\t", "é", "\u2028", "C"])
)
@example("a/./b.py")
@example("./a")
@example("a/.")
@example("a//b")
@example("/")
@example(".")
@example("")
@example(" a")
@example("a\u2028")
@example("C:\\x")
@example("c:/x")
@example("a\\b")
@example("/x/../y")
def test_normalize_takes_its_fast_path_only_for_paths_already_normal(path: str) -> None:
    assert normalize(path) == _split_normalize(path)
