"""The fast paths of `covaction.paths` against the plain algorithm they shortcut.

`_Reference` below is the path mapper as it was before the fast paths (every path normalized
by splitting it, made workspace-relative with `posixpath.normpath`, joined to every root and
matched by suffix one component at a time), and `_reference_map_reports` is `map_reports` as it
was. Repositories and report paths drawn from seeded random generators (`..`, `./`, `//`,
backslashes, drive letters, absolute paths inside and outside the workspace, white space,
dotted names, several equally good matches, the root as workspace) must be placed, merged and
explained exactly as the reference does: same targets, prefixes, reasons and order.
"""

from __future__ import annotations

import posixpath
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import fields

import pytest

from covaction import paths
from covaction.model import CoverageReport, FileCoverage, ParsedReport, Unmatched, merge_files
from covaction.paths import PathMapper, Placement, choose_metric, map_reports


def _reference_normalize(path: str) -> str:
    """`normalize` without its fast path."""
    path = path.replace("\\", "/").strip()
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        path = "/" + path[0].lower() + path[2:]
    absolute = path.startswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if absolute else "") + "/".join(parts)


class _Reference:
    """`PathMapper` as it was before its fast paths: every step taken for every path."""

    def __init__(
        self,
        workspace: str,
        tracked: Iterable[str] | None,
        exists: Callable[[str], bool] | None = None,
        listing: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        """`tracked`: git's file list, or None without a checkout; then `exists` answers for
        one path and `listing` (called once, only if a suffix match is needed) lists them all."""
        self.workspace = _reference_normalize(workspace).rstrip("/") or "/"
        # git lists clean POSIX paths; a backslash there is part of a file name.
        self._tracked = frozenset(tracked) if tracked is not None else None
        self._exists = exists
        self._listing = listing
        self._by_pair: dict[str, list[str]] | None = None
        self._first_by_name: dict[str, str] | None = None

    def _index(self) -> None:
        """Index the repository's files by their last two components and by base name.

        A suffix match needs two components in common, so only files sharing the last two are
        compared (indexing by base name alone compared every `__init__.py` or `index.js` with
        every other: quadratic in a large monorepo). Per base name only the first path is kept,
        for the reason of a path that matches nothing.
        """
        files = self._tracked
        if files is None and self._listing is not None:
            files = frozenset(self._listing())
        self._by_pair = {}
        self._first_by_name = {}
        for p in files or ():
            cut = p.rsplit("/", 2)
            if len(cut) >= 2:
                self._by_pair.setdefault(cut[-2] + "/" + cut[-1], []).append(p)
            first = self._first_by_name.get(cut[-1])
            if first is None or p < first:
                self._first_by_name[cut[-1]] = p

    def _is_file(self, rel: str) -> bool:
        if not rel or rel.startswith("../") or rel == "..":
            return False
        if self._tracked is not None:
            return rel in self._tracked
        return self._exists is not None and self._exists(rel)

    def _relative(self, path: str) -> str | None:
        """A workspace-relative form of an absolute or relative path, None if it leaves it."""
        if path.startswith("/"):
            prefix = self.workspace + "/"
            if not path.startswith(prefix):
                return None
            path = path[len(prefix) :]
        rel = posixpath.normpath(path)
        if rel == "." or rel.startswith("../") or rel == ".." or rel.startswith("/"):
            return None
        return rel

    def map(self, path: str, roots: Iterable[str] = ()) -> str | Unmatched:
        """The repository path of a report path, or why there is none."""
        return self.place(path, roots).target

    def place(self, path: str, roots: Iterable[str] = ()) -> Placement:
        """`map`, plus the prefix pair a suffix match implies (for `map_reports`)."""
        if "\\" in path:
            # A Linux file may have a backslash in its name: try it as written first.
            as_written = self._relative(path.strip())
            if as_written is not None and self._is_file(as_written):
                return Placement(as_written)
        raw = _reference_normalize(path)
        if not raw:
            return Placement(Unmatched(path, "empty path"))
        rel = self._relative(raw)
        if rel is not None and self._is_file(rel):
            return Placement(rel)  # as written (the roots are joined only when it is not)
        candidates = self._candidates(raw, roots)
        for candidate in candidates[1:]:
            rel = self._relative(candidate)
            if rel is not None and self._is_file(rel):
                return Placement(rel)
        return self._by_suffix(path, candidates)

    def _candidates(self, raw: str, roots: Iterable[str]) -> list[str]:
        return [raw] + [
            _reference_normalize(posixpath.join(_reference_normalize(root), raw))
            for root in roots
            if not raw.startswith("/")
        ]

    def with_prefix(self, path: str, roots: Iterable[str], prefixes: tuple[str, str]) -> str | None:
        """The repository file `path` names under an inferred (report, repository) prefix."""
        old, new = prefixes
        for candidate in self._candidates(_reference_normalize(path), roots):
            if old and not candidate.startswith(old):
                continue
            rest = candidate[len(old) :]
            if not rest or rest.startswith("/"):
                continue
            rel = posixpath.normpath(new + rest)
            if self._is_file(rel):
                return rel
        return None

    def _by_suffix(self, original: str, candidates: list[str]) -> Placement:
        if self._by_pair is None or self._first_by_name is None:
            self._index()
        assert self._by_pair is not None and self._first_by_name is not None
        pairs, first_by_name = self._by_pair, self._first_by_name
        best: set[str] = set()
        best_len = 0
        best_candidate: dict[str, str] = {}
        same_name: list[str] = []
        for candidate in candidates:
            parts = [p for p in candidate.split("/") if p and p != ".."]
            if not parts:
                continue
            if parts[-1] in first_by_name:
                same_name.append(first_by_name[parts[-1]])
            if len(parts) < 2:
                continue  # a base name alone never places a file
            for option in pairs.get(parts[-2] + "/" + parts[-1], ()):
                opt_parts = option.split("/")
                n = 0
                while n < min(len(parts), len(opt_parts)) and parts[-1 - n] == opt_parts[-1 - n]:
                    n += 1
                if n < 2:
                    continue  # a base name alone never places a file
                if n > best_len:
                    best, best_len = {option}, n
                    best_candidate = {option: candidate}
                elif n == best_len:
                    best.add(option)
                    best_candidate.setdefault(option, candidate)
        if len(best) == 1:
            option = next(iter(best))
            candidate = best_candidate[option]
            cut = option.split("/")
            tail = "/".join(cut[len(cut) - best_len :])
            if not candidate.endswith(tail):
                return Placement(option)  # `..` parts in the way: no prefix to infer
            prefixes = (candidate[: len(candidate) - len(tail)], option[: len(option) - len(tail)])
            return Placement(option, prefixes)
        if len(best) > 1:
            shown = ", ".join(sorted(best)[:3])
            return Placement(Unmatched(original, f"matches several files equally well ({shown})"))
        return Placement(Unmatched(original, self._reason(candidates[0], sorted(set(same_name)))))

    def _reason(self, raw: str, same_name: list[str]) -> str:
        """Why a path is not a repository file, as far as covaction can tell without guessing."""
        rel = self._relative(raw)
        if rel is None:
            reason = "outside the repository"
        elif self._tracked is not None and self._exists is not None and self._exists(rel):
            reason = "on disk, not tracked by git"
        else:
            reason = "no such file"
        if same_name:
            reason += f" (the repository has {same_name[0]}, whose folders do not match)"
        return reason


def _reference_map_reports(
    reports: Iterable[ParsedReport], mapper: _Reference, metric: str = "auto"
) -> CoverageReport:
    """`map_reports` as it was, over the reference mapper."""
    reports = list(reports)
    choice = choose_metric(reports, metric)
    by_path: dict[str, list[FileCoverage]] = {}
    lost: dict[str, list[FileCoverage]] = {}
    unmatched: dict[str, Unmatched] = {}
    notices: list[str] = list(choice.notices)
    has_branches = False
    for report in reports:
        notices.extend(report.notices)
        has_branches = has_branches or report.has_branches
        placed: list[tuple[FileCoverage, Placement]] = [
            (fc, mapper.place(fc.path, report.roots)) for fc in report.files
        ]
        votes = Counter(p.prefixes for _fc, p in placed if p.prefixes is not None)
        prefixes = votes.most_common(1)[0][0] if votes else None
        for fc, placement in placed:
            target = placement.target
            if isinstance(target, Unmatched) and prefixes is not None:
                found = mapper.with_prefix(fc.path, report.roots, prefixes)
                if found is not None:
                    target = found
            if isinstance(target, Unmatched):
                unmatched.setdefault(target.path, target)
                lost.setdefault(target.path, []).append(fc)
                continue
            by_path.setdefault(target, []).append(fc)
    lower_bound = False

    def merged(path: str, parts: list[FileCoverage]) -> FileCoverage:
        nonlocal lower_bound
        if len(parts) == 1:
            return parts[0].placed(path, choice.metric)
        fc, bound = merge_files(path, parts)
        lower_bound = lower_bound or bound
        return fc.with_metric(choice.metric)

    files = {path: merged(path, parts) for path, parts in sorted(by_path.items())}
    unplaced = {path: merged(path, parts) for path, parts in sorted(lost.items())}
    if lower_bound:
        notices.append(
            "merged branch counts are a lower bound: where the reports carry counts only, not "
            "which branches ran (JaCoCo's mb/cb, gcovr's or Istanbul's Cobertura), a line's "
            "merged branches are those of the report that covered the most"
        )
    metrics = (
        [m for m in reports[0].metrics if all(m in r.metrics for r in reports)] if reports else []
    )
    return CoverageReport(
        files=files,
        has_branches=has_branches,
        formats=tuple(dict.fromkeys(r.format for r in reports)),
        sources=tuple(r.origin for r in reports),
        unmatched=tuple(unmatched.values()),
        notices=tuple(dict.fromkeys(notices)),
        metric=choice.metric,
        metric_note=choice.note,
        producers=tuple(dict.fromkeys(r.producer for r in reports if r.producer)),
        unplaced=unplaced,
        metrics=tuple(metrics),
    )


# Components a repository's paths are made of: few enough that base names, pairs of folders
# and whole suffixes repeat, with the awkward ones among them.
NAMES = [
    "a",
    "b",
    "src",
    "lib",
    "pkg",
    "main",
    "java",
    "com",
    "x",
    "util.py",
    "index.js",
    "A.java",
    "__init__.py",
    "a.py",
    ".hidden",
    ".github",
    "..x",
    "x..",
    "a b",
    " a",
    "a ",
    "é",
    "c:",
    "C:",
    "a\\b",
    "\u2028",
]
# Entries git would never list, which a caller may still hand over.
ODD_TRACKED = [
    "",
    ".",
    "..",
    "./a/b.py",
    "a//b.py",
    "/abs/x.py",
    "a/",
    "a/../b.py",
    "a\\b.py",
    " a/b.py",
    "a/b.py ",
    "../x/y.py",
    "c:/x/y.py",
    "a/./b.py",
]
JUNK = ["a", "b", "/", "/", ".", "..", "\\", ":", " ", "c", "\t"]
WORKSPACES = [
    *("/w", "/w", "/w/sub", "/w/", "/", "C:\\w", "/:w", "/w:", "/c:/w", "/w/.cache/x", "/w/../v"),
    *("/w x", "/ w", "/w ", "w", "/w/a:b", "//w", "/./w", "/w\\x"),
]
ROOTS = ["src", "/w/src", ".", "/elsewhere", "..", "", "lib/", "C:\\w\\src", "/w", "/", "x/y"]


def _repository(rnd: random.Random) -> list[str]:
    files = []
    for _ in range(rnd.randint(0, 14)):
        if rnd.random() < 0.1:
            files.append(rnd.choice(ODD_TRACKED))
        else:
            files.append("/".join(rnd.choice(NAMES) for _ in range(rnd.randint(1, 5))))
    if files and rnd.random() < 0.3:
        # The same tail under two folders: several files match a suffix equally well.
        tail = "/".join(files[0].split("/")[-2:])
        files.append(f"{rnd.choice(NAMES)}/{tail}")
    return files


def _report_path(rnd: random.Random, files: list[str], workspace: str) -> str:
    base = (
        rnd.choice(files)
        if files and rnd.random() < 0.8
        else "/".join(rnd.choice(NAMES) for _ in range(rnd.randint(1, 4)))
    )
    parts = base.split("/")
    ws = workspace.replace("\\", "/").rstrip("/")
    shapes: list[Callable[[], str]] = [
        lambda: base,
        lambda: base,
        lambda: "./" + base,
        lambda: ws + "/" + base,
        lambda: "/home/runner/work/r/r/" + base,
        lambda: "/".join(parts[rnd.randint(0, len(parts) - 1) :]),
        lambda: "com/" + "/".join(parts[rnd.randint(0, len(parts) - 1) :]),
        lambda: base.replace("/", "\\"),
        lambda: "C:\\build\\" + base.replace("/", "\\"),
        lambda: base.replace("/", "//", 1),
        lambda: base.replace("/", "/./", 1),
        lambda: "x/../" + base,
        lambda: "../" + base,
        lambda: " " + base + " ",
        lambda: base + "/",
        lambda: "".join(rnd.choice(JUNK) for _ in range(rnd.randint(0, 8))),
        lambda: rnd.choice(["", ".", "/", "..", "//", "./", ws, ws + "/", "\\", " "]),
    ]
    return rnd.choice(shapes)()


def _roots(rnd: random.Random) -> tuple[str, ...]:
    return tuple(rnd.sample(ROOTS, rnd.choice([0, 0, 1, 1, 2])))


def _mappers(
    rnd: random.Random, workspace: str, files: list[str]
) -> tuple[PathMapper, _Reference, list[int]]:
    """The mapper and the reference on one repository, in one of the three ways covaction
    builds them: git's list alone, git's list and the disk, or the disk alone."""
    on_disk = set(files) | {_reference_normalize(f) for f in files[:2]} | {"gen/_v.py"}
    listed = [0]

    def exists(rel: str) -> bool:
        return rel in on_disk

    def listing() -> list[str]:
        listed[0] += 1
        return sorted(on_disk)

    mode = rnd.randrange(3)
    if mode == 0:
        return PathMapper(workspace, files), _Reference(workspace, files), listed
    if mode == 1:
        return (
            PathMapper(workspace, files, exists=exists),
            _Reference(workspace, files, exists=exists),
            listed,
        )
    return (
        PathMapper(workspace, None, exists=exists, listing=listing),
        _Reference(workspace, None, exists=exists, listing=listing),
        listed,
    )


def _monorepo(rnd: random.Random) -> list[str]:
    """Many files under the same last two components (every package's `src/index.js`), the
    folders above them repeating too, and files that are the shared pair alone."""
    names = [f"p{i}" for i in range(rnd.randint(3, 40))]
    tails = ["src/index.js", "pkg/__init__.py", "migrations/__init__.py", "a/b/c.py"]
    files = {
        f"{rnd.choice(['packages', 'apps', 'x'])}/{rnd.choice(names)}/"
        f"{rnd.choice(['', 'sub/', 'a/', 'src/', 'b/a/'])}{rnd.choice(tails)}"
        for _ in range(rnd.randint(5, 150))
    }
    return sorted(files | set(rnd.sample(tails, 2)))


def _check_place(rnd: random.Random, repository: Callable[[random.Random], list[str]]) -> None:
    workspace = rnd.choice(WORKSPACES)
    files = repository(rnd)
    mapper, reference, listed = _mappers(rnd, workspace, files)
    for _ in range(30):
        path = _report_path(rnd, files, workspace)
        roots = _roots(rnd)
        expected = reference.place(path, roots)
        # A list of roots (not a tuple) takes the general route; both must agree.
        got = mapper.place(path, roots if rnd.random() < 0.8 else list(roots))
        assert got == expected, (workspace, files, path, roots)
        assert mapper.map(path, roots) == reference.map(path, roots)
        if expected.prefixes is not None:
            again = _report_path(rnd, files, workspace)
            assert mapper.with_prefix(again, roots, expected.prefixes) == (
                reference.with_prefix(again, roots, expected.prefixes)
            )
    assert listed[0] <= 2  # the listing read once per mapper at most


@pytest.mark.parametrize("seed", range(40))
def test_place_agrees_with_the_reference(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(40):
        _check_place(rnd, _repository)


@pytest.mark.parametrize("narrow_over", [0, 1, paths.NARROW_OVER])
@pytest.mark.parametrize("seed", range(10))
def test_place_agrees_where_many_files_share_their_last_components(
    seed: int, narrow_over: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The narrowing of files sharing a pair of last components (taken for every pair at 0)."""
    monkeypatch.setattr(paths, "NARROW_OVER", narrow_over)
    rnd = random.Random(500 + seed)
    for _ in range(15):
        _check_place(rnd, _monorepo)
        _check_place(rnd, _repository)


def test_a_report_path_is_compared_with_its_own_package_only() -> None:
    """A path from another machine in a monorepo of 2,000 `pkg/__init__.py`: compared with
    the one file under its package (a comparison with each was quadratic)."""
    tracked = [f"g{i}/pkg/__init__.py" for i in range(2000)]
    mapper = PathMapper("/w", tracked)
    parts = "/home/runner/work/r/r/g7/pkg/__init__.py".split("/")[1:]
    assert mapper._narrowed(mapper._pairs()["pkg/__init__.py"], parts) == ["g7/pkg/__init__.py"]
    for i in (7, 1999):
        assert mapper.place(f"/home/runner/work/r/r/g{i}/pkg/__init__.py") == Placement(
            f"g{i}/pkg/__init__.py", ("/home/runner/work/r/r/", "")
        )
    found = mapper.place("/elsewhere/pkg/__init__.py").target
    assert isinstance(found, Unmatched) and found.reason.startswith("matches several files")


def _content(fc: FileCoverage) -> tuple[object, ...]:
    """A FileCoverage's fields (its equality is identity) and its counts."""
    return (*(getattr(fc, f.name) for f in fields(fc) if f.name != "_counts"), fc.counts)


def _same_report(got: CoverageReport, expected: CoverageReport, given: set[int]) -> None:
    for f in fields(CoverageReport):
        if f.name not in ("files", "unplaced"):
            assert getattr(got, f.name) == getattr(expected, f.name), f.name
    for which in ("files", "unplaced"):
        mine, theirs = getattr(got, which), getattr(expected, which)
        assert list(mine) == list(theirs)  # the same paths in the same order
        for path, fc in mine.items():
            assert _content(fc) == _content(theirs[path]), path
            # The very FileCoverage the report gave where the reference kept it too.
            assert (id(fc) in given) == (id(theirs[path]) in given), path


@pytest.mark.parametrize("seed", range(40))
def test_map_reports_agrees_with_the_reference(seed: int) -> None:
    rnd = random.Random(1000 + seed)
    for _ in range(15):
        workspace = rnd.choice(WORKSPACES)
        files = _repository(rnd)
        reports = []
        for r in range(rnd.randint(1, 3)):
            measured = []
            for _ in range(rnd.randint(0, 12)):
                path = _report_path(rnd, files, workspace)
                hits = {line: rnd.randint(0, 2) for line in range(1, rnd.randint(1, 4))}
                branches = {1: (rnd.randint(0, 2), 2)} if rnd.random() < 0.3 else None
                measured.append(FileCoverage.from_mappings(path, hits, branches))
            if measured and rnd.random() < 0.2:
                measured.append(measured[0])  # the very same object twice
            reports.append(
                ParsedReport(
                    "cobertura", tuple(measured), True, origin=f"r{r}.xml", roots=_roots(rnd)
                )
            )
        given = {id(fc) for report in reports for fc in report.files}
        mapper, reference, _listed = _mappers(rnd, workspace, files)
        expected = _reference_map_reports(reports, reference)
        _same_report(map_reports(reports, mapper), expected, given)


BENCH_SHAPES = [
    # JaCoCo: package-relative paths under a Maven layout, placed by suffix.
    (
        [f"m{i}/src/main/java/com/x/p{i}/A{j}.java" for i in range(30) for j in range(3)],
        [f"com/x/p{i}/A{j}.java" for i in range(30) for j in range(3)] + ["com/x/Gone.java"],
        (),
    ),
    # coverage.py / Istanbul / gcovr: repository-relative paths, placed as written.
    (
        [f"g{i}/pkg/mod{j}.py" for i in range(30) for j in range(3)] + ["g0/.hidden/x.py"],
        [f"g{i}/pkg/mod{j}.py" for i in range(30) for j in range(3)] + ["g0/.hidden/x.py"],
        ("/w",),
    ),
    # Absolute paths from another machine, and a top-level file the inferred prefix places.
    (
        ["index.js", "lib/index.js", "lib/shapes/area.js", "lib/shapes/line.js"],
        [
            "/home/runner/work/app/app/index.js",
            "/home/runner/work/app/app/lib/index.js",
            "/home/runner/work/app/app/lib/shapes/area.js",
            "/home/runner/work/app/app/lib/shapes/line.js",
        ],
        (),
    ),
]


@pytest.mark.parametrize("tracked, measured, roots", BENCH_SHAPES)
def test_the_shapes_of_large_reports_agree_with_the_reference(
    tracked: list[str], measured: list[str], roots: tuple[str, ...]
) -> None:
    report = ParsedReport(
        "cobertura",
        tuple(FileCoverage.from_mappings(p, {1: 1, 2: 0}) for p in measured),
        False,
        roots=roots,
    )
    given = {id(fc) for fc in report.files}
    expected = _reference_map_reports([report], _Reference("/w", tracked))
    _same_report(map_reports([report], PathMapper("/w", tracked)), expected, given)


def test_a_plain_tracked_path_skips_place_and_a_package_path_skips_the_normpath(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast paths are taken (a guard on the speed of large reports, not on results)."""
    mapper = PathMapper("/w", ["g0/pkg/a.py", "src/main/java/com/x/A.java"])

    def refused(*_args: object) -> object:
        raise AssertionError("slow path taken")

    monkeypatch.setattr(mapper, "place", refused)
    report = ParsedReport("cobertura", (FileCoverage.from_mappings("g0/pkg/a.py", {1: 1}),), False)
    assert list(map_reports([report], mapper).files) == ["g0/pkg/a.py"]
    monkeypatch.undo()
    monkeypatch.setattr(mapper, "_relative", refused)
    monkeypatch.setattr(paths.posixpath, "normpath", refused)
    assert mapper.place("com/x/A.java") == Placement(
        "src/main/java/com/x/A.java", ("", "src/main/java/")
    )


HAND_PICKED = [
    *("a/b.py", "a", "a b/c", "é/x.py", "a..b/c", "x../y", "a/b:c", "a/b.c"),
    *("", ".", "..", "./a", "../a", "a/./b", "a/../b", "a//b", "/a", "a/", "a/.", "a/..", " a"),
    *("a ", "\ta", "a\u2028", "\u3000a", "a\\b", "c:x", "C:/x", ".a", "a/.b", "x/.."),
]


@pytest.mark.parametrize("path", HAND_PICKED)
def test_plain_means_normalize_and_normpath_leave_the_path_as_it_is(path: str) -> None:
    if paths._plain(path):
        assert _reference_normalize(path) == path
        assert posixpath.normpath(path) == path
        assert not path.startswith(("/", "../")) and path not in ("", ".", "..")
        assert "\\" not in path


@pytest.mark.parametrize("seed", range(5))
def test_plain_paths_are_fixed_points_of_the_reference_steps(seed: int) -> None:
    rnd = random.Random(seed)
    alphabet = ["a", "b", "/", ".", "\\", ":", " ", "\t", "é", "\u2028", "\u00a0", "C", ".."]
    for _ in range(3000):
        path = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8)))
        if paths._plain(path):
            assert _reference_normalize(path) == path
            assert posixpath.normpath(path) == path
            assert not path.startswith(("/", "../")) and path not in ("", ".", "..")
            assert "\\" not in path
