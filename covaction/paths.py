"""Mapping the paths a report names onto repository-relative paths, and merging the reports.

Ground truth is the repository's file list (git-tracked files where there is a checkout, else
the files that exist in the workspace). A report path is tried, in order: as written (relative
to the workspace, or absolute inside it), joined to each of the report's source roots, and
by its longest unambiguous suffix among the repository's files (reports written on another
machine, `/home/runner/work/x/x/src/a.py` -> `src/a.py`). A suffix match needs at least one
directory beyond the base name: a base name alone never places a file (`helpers/util.py`
measured on PYTHONPATH is not the repository's `pkg/util.py`).

Then, once per report, the report's root prefix is inferred from its unambiguous suffix
matches (`/home/runner/work/x/x/` -> ``) and applied to the paths still unplaced, so a
top-level `/…/index.js` beside `/…/lib/index.js` lands on `index.js`.

A path that matches nothing, or several files equally well, is unplaced: it still counts in
every total (as in the producer's own tool) and is named with its true reason ("on disk, not
tracked by git", "outside the repository", "no such file"); only links and diff coverage need
placed paths.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

from covaction.errors import InputError
from covaction.model import (
    LINES,
    LINES_AND_BRANCHES,
    METRIC_LABELS,
    CoverageReport,
    FileCoverage,
    ParsedReport,
    Unmatched,
    merge_files,
)


class Placement(NamedTuple):
    """Where a report path landed: the repository path or why not, and for a suffix match
    the (report prefix, repository prefix) pair it implies."""

    target: str | Unmatched
    prefixes: tuple[str, str] | None = None


def normalize(path: str) -> str:
    """Forward slashes, no `./` segments, no doubled slashes; Windows drives kept visible."""
    if (
        path
        and "\\" not in path
        and "//" not in path
        and "/./" not in path
        and not path.startswith("./")
        and not path.endswith(("/", "/."))
        and path != "."
        and path[1:2] != ":"
        and not path[0].isspace()
        and not path[-1].isspace()
    ):
        return path  # already normal (every path of a large report, as a rule): no split
    path = path.replace("\\", "/").strip()
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        path = "/" + path[0].lower() + path[2:]
    absolute = path.startswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if absolute else "") + "/".join(parts)


def _plain(path: str) -> bool:
    """Whether `path` is already a clean workspace-relative path: `normalize` and
    `PathMapper._relative` would both return it unchanged, and `place` would test it as it is.

    No backslash (so no as-written try first), no doubled slash, no component starting with a
    dot (so no `.` or `..` component for `posixpath.normpath` to fold), no leading slash, dot or
    white space, no trailing slash or white space, no drive letter. Names such as `.github/x`
    or `a/.hidden` fail the test and take the full route, which is merely slower.
    """
    return (
        path != ""
        and path[0] not in "./"  # first: an absolute path fails here, without a scan
        and path[-1] != "/"
        and path[1:2] != ":"
        and "\\" not in path
        and "//" not in path
        and "/." not in path
        and path.strip() == path
    )


# More repository files than this under one pair of last components (`pkg/__init__.py` in a
# monorepo's every package) are narrowed by the components above before they are compared.
NARROW_OVER = 8


class PathMapper:
    """Maps report paths onto the repository's files; see the module docstring for the rules."""

    def __init__(
        self,
        workspace: str,
        tracked: Iterable[str] | None,
        exists: Callable[[str], bool] | None = None,
        listing: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        """`tracked`: git's file list, or None without a checkout; then `exists` answers for
        one path and `listing` (called once, only if a suffix match is needed) lists them all."""
        self.workspace = normalize(workspace).rstrip("/") or "/"
        # `workspace/` when any absolute path under it that ends in a `_plain` path passes the
        # quick test at the top of `normalize` (the workspace absolute, plain after its slash,
        # not `/:…`), so `normalize` returns the path as it is and `_relative` its plain end.
        inside = self.workspace[1:]
        self._inside = (
            self.workspace + "/"
            if self.workspace.startswith("/") and _plain(inside) and inside[:1] != ":"
            else None
        )
        # git lists clean POSIX paths; a backslash there is part of a file name.
        self._tracked = frozenset(tracked) if tracked is not None else None
        self._exists = exists
        self._listing = listing
        self._files: frozenset[str] | None = None
        self._by_pair: dict[str, list[str]] | None = None
        self._first_by_name: dict[str, str] | None = None
        # Per shared suffix (of two components or more), its files by the component above it.
        self._above: dict[str, dict[str, list[str]]] = {}

    def _all_files(self) -> frozenset[str]:
        """The repository's files for a suffix match: git's list, or the listing (called once)."""
        if self._files is None:
            files = self._tracked
            if files is None and self._listing is not None:
                files = frozenset(self._listing())
            self._files = files or frozenset()
        return self._files

    def _pairs(self) -> dict[str, list[str]]:
        """The repository's files by their last two components.

        A suffix match needs two components in common, so only files sharing the last two are
        compared (indexing by base name alone compared every `__init__.py` or `index.js` with
        every other: quadratic in a large monorepo).
        """
        if self._by_pair is None:
            by_pair: dict[str, list[str]] = {}
            for p in self._all_files():
                last = p.rfind("/")
                if last >= 0:
                    # What follows the last slash but one (all of `p` if it has one slash).
                    by_pair.setdefault(p[p.rfind("/", 0, last) + 1 :], []).append(p)
            self._by_pair = by_pair
        return self._by_pair

    def _names(self) -> dict[str, str]:
        """The first repository path (in sorted order) per base name, for the reason of a path
        that matches nothing; built only when one does."""
        if self._first_by_name is None:
            first_by_name: dict[str, str] = {}
            for p in self._all_files():
                name = p[p.rfind("/") + 1 :]
                first = first_by_name.get(name)
                if first is None or p < first:
                    first_by_name[name] = p
            self._first_by_name = first_by_name
        return self._first_by_name

    def as_written(self, path: str) -> bool:
        """Whether `place(path)` places `path` as it is written, known without placing it: a
        plain path git tracks (`map_reports` asks this of every path first, and makes no
        Placement for most of a large report's)."""
        return self._tracked is not None and path in self._tracked and _plain(path)

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
        rel: str | None
        plain = _plain(path)
        inside = self._inside
        if plain:
            raw = rel = path  # what `normalize` and `_relative` would return, without their work
        elif inside is not None and path.startswith(inside) and _plain(path[len(inside) :]):
            raw, rel = path, path[len(inside) :]  # the same, for an absolute path in the workspace
        else:
            if "\\" in path:
                # A Linux file may have a backslash in its name: try it as written first.
                as_written = self._relative(path.strip())
                if as_written is not None and self._is_file(as_written):
                    return Placement(as_written)
            raw = normalize(path)
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
        return self._by_suffix(path, candidates, plain)

    def _candidates(self, raw: str, roots: Iterable[str]) -> list[str]:
        if type(roots) is tuple and (not roots or raw.startswith("/")):
            return [raw]  # no root to join (a tuple: nothing else to read from it)
        return [raw] + [
            normalize(posixpath.join(normalize(root), raw))
            for root in roots
            if not raw.startswith("/")
        ]

    def with_prefix(self, path: str, roots: Iterable[str], prefixes: tuple[str, str]) -> str | None:
        """The repository file `path` names under an inferred (report, repository) prefix."""
        old, new = prefixes
        for candidate in self._candidates(normalize(path), roots):
            if old and not candidate.startswith(old):
                continue
            rest = candidate[len(old) :]
            if not rest or rest.startswith("/"):
                continue
            rel = posixpath.normpath(new + rest)
            if self._is_file(rel):
                return rel
        return None

    def _by_suffix(
        self, original: str, candidates: list[str], first_plain: bool = False
    ) -> Placement:
        """The repository file whose last components match a candidate's the furthest, alone.

        `first_plain`: the caller knows `candidates[0]` passes `_plain`.
        """
        pairs = self._by_pair if self._by_pair is not None else self._pairs()
        if len(candidates) == 1 and (first_plain or _plain(candidates[0])):
            # As a rule (JaCoCo's package paths): one plain relative candidate, and one
            # repository file under its last two components, which ends in the whole candidate.
            # The loop below would find that file alone, at the candidate's full length, and
            # infer (``, the file's folders above the candidate) as the prefixes.
            candidate = candidates[0]
            last = candidate.rfind("/")
            if last > 0:
                options = pairs.get(candidate[candidate.rfind("/", 0, last) + 1 :], ())
                if len(options) == 1:
                    option = options[0]
                    if option == candidate or option.endswith("/" + candidate):
                        return Placement(option, ("", option[: len(option) - len(candidate)]))
        best: set[str] = set()
        best_len = 0
        best_candidate: dict[str, str] = {}
        for candidate in candidates:
            parts = candidate.split("/")
            if "" in parts or ".." in parts:
                parts = [p for p in parts if p and p != ".."]
                joined = "/".join(parts)
            else:
                joined = candidate
            if len(parts) < 2:
                continue  # a base name alone never places a file
            whole = "/" + joined
            compared: Sequence[str] = pairs.get(parts[-2] + "/" + parts[-1], ())
            if len(compared) > NARROW_OVER:
                compared = self._narrowed(compared, parts)
            for option in compared:
                if option == joined or option.endswith(whole):
                    # The option's last components are `parts`, every one of them: the most
                    # the comparison below could count.
                    n = len(parts)
                elif joined.endswith("/" + option):
                    # The option whole is the candidate's last components (an absolute path
                    # from another machine): again the most the comparison could count.
                    n = option.count("/") + 1
                else:
                    opt_parts = option.split("/")
                    most = min(len(parts), len(opt_parts))
                    n = 0
                    while n < most and parts[-1 - n] == opt_parts[-1 - n]:
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
        first_by_name = self._names()
        same_name: list[str] = []
        for candidate in candidates:
            parts = [p for p in candidate.split("/") if p and p != ".."]
            if parts and parts[-1] in first_by_name:
                same_name.append(first_by_name[parts[-1]])
        return Placement(Unmatched(original, self._reason(candidates[0], sorted(set(same_name)))))

    def _narrowed(self, options: Sequence[str], parts: list[str]) -> Sequence[str]:
        """Of `options` (the files whose last two components are those of `parts`), a part
        holding every file that matches `parts` the furthest: the loop in `_by_suffix` keeps
        only those, so it finds the same files and length among fewer (comparing each report
        path with every `pkg/__init__.py` of a large monorepo was quadratic).

        The files sharing the last `depth` components with `parts` are grouped by the component
        above them (once per suffix, for every later path); the group of `parts`' own component
        above holds every file matching further. No such group: every file matches exactly
        `depth` components, so all of them are the furthest.
        """
        depth = 2
        suffix = parts[-2] + "/" + parts[-1]
        while len(options) > NARROW_OVER and depth < len(parts):
            groups = self._above.get(suffix)
            if groups is None:
                groups = {}
                for option in options:
                    # `option` is `suffix` itself (no component above) or ends in `/suffix`.
                    cut = len(option) - len(suffix) - 1
                    if cut >= 0:
                        above = option[option.rfind("/", 0, cut) + 1 : cut]
                        groups.setdefault(above, []).append(option)
                self._above[suffix] = groups
            deeper = groups.get(parts[-1 - depth])
            if deeper is None:
                break
            options = deeper
            suffix = parts[-1 - depth] + "/" + suffix
            depth += 1
        return options

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


class MetricChoice(NamedTuple):
    metric: str
    note: str
    notices: tuple[str, ...]


def choose_metric(reports: Sequence[ParsedReport], requested: str = "auto") -> MetricChoice:
    """The metric of the headline: the producers' own (`auto`), or the one asked for.

    Reports whose producers count differently (a Go profile and an LCOV file) are read on
    lines, which every format has, with a notice. A metric a report cannot give is an
    InputError naming the report and what it can give.
    """
    notices = [r.rule_note for r in reports if r.rule_note]
    if requested != "auto":
        for r in reports:
            if requested not in r.metrics:
                raise InputError(
                    f"coverage-metric: {requested} is not measured by {r.origin or r.format} "
                    f"({r.producer or r.format}); it measures {', '.join(r.metrics)}"
                )
        return MetricChoice(
            requested, f"{METRIC_LABELS[requested]} (coverage-metric: {requested})", tuple(notices)
        )
    if not reports:
        return MetricChoice(LINES_AND_BRANCHES, "", ())
    defaults = {r.metric for r in reports}
    if len(defaults) == 1:
        rules = list(dict.fromkeys(r.rule for r in reports if r.rule))
        note = "; ".join(rules) if rules else METRIC_LABELS[reports[0].metric]
        return MetricChoice(reports[0].metric, note, tuple(notices))
    who = ", ".join(
        dict.fromkeys(f"{r.producer or r.format}: {METRIC_LABELS[r.metric]}" for r in reports)
    )
    notices.append(
        f"the reports' tools count coverage differently ({who}); the headline counts lines, "
        "which every report measures (set coverage-metric to choose)"
    )
    return MetricChoice(LINES, "lines, which every report measures", tuple(notices))


def map_reports(
    reports: Iterable[ParsedReport], mapper: PathMapper, metric: str = "auto"
) -> CoverageReport:
    """Map every report's paths and merge them: a line is covered if any report covers it.

    `metric` is the coverage-metric input (see `choose_metric`). Files whose path cannot be
    placed are kept in `unplaced` under the path the report names (merged the same way) and
    count in every total.
    """
    reports = list(reports)
    choice = choose_metric(reports, metric)
    # The first file placed at each repository path, and any placed there after it (a path
    # that several reports measure): no list per path for the one file most paths have.
    by_path: dict[str, FileCoverage] = {}
    more: dict[str, list[FileCoverage]] = {}
    lost: dict[str, list[FileCoverage]] = {}
    unmatched: dict[str, Unmatched] = {}
    notices: list[str] = list(choice.notices)
    has_branches = False
    for report in reports:
        notices.extend(report.notices)
        has_branches = has_branches or report.has_branches
        report_files = tuple(report.files)
        roots = report.roots
        # A path placed as written skips `place` (and its Placement): most of a large report's.
        as_written = mapper.as_written
        placed: list[str | Placement] = [
            path if as_written(path) else mapper.place(path, roots)
            for path in [fc.path for fc in report_files]
        ]
        votes = Counter(
            p.prefixes for p in placed if not isinstance(p, str) and p.prefixes is not None
        )
        prefixes = votes.most_common(1)[0][0] if votes else None
        for fc, placement in zip(report_files, placed, strict=True):
            target: str | Unmatched
            if isinstance(placement, str):
                target = placement
            else:
                target = placement.target
                if isinstance(target, Unmatched) and prefixes is not None:
                    found = mapper.with_prefix(fc.path, report.roots, prefixes)
                    if found is not None:
                        target = found
                if isinstance(target, Unmatched):
                    unmatched.setdefault(target.path, target)
                    lost.setdefault(target.path, []).append(fc)
                    continue
            if target in by_path:
                more.setdefault(target, []).append(fc)
            else:
                by_path[target] = fc
    lower_bound = False

    def merged(path: str, parts: list[FileCoverage]) -> FileCoverage:
        nonlocal lower_bound
        if len(parts) == 1:
            return parts[0].placed(path, choice.metric)
        fc, bound = merge_files(path, parts)
        lower_bound = lower_bound or bound
        return fc.with_metric(choice.metric)

    files = {
        path: by_path[path].placed(path, choice.metric)
        if path not in more
        else merged(path, [by_path[path], *more[path]])
        for path in sorted(by_path)
    }
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


def placement_warning(report: CoverageReport) -> str:
    """One warning when no report path could be placed in the repository, else ""."""
    if report.files or not report.unmatched:
        return ""
    first = report.unmatched[0]
    return (
        f"none of the {len(report.unmatched)} paths in the report matches a file in the "
        f"repository (e.g. {first.path[:200]}: {first.reason}); totals and gates count every "
        "file, but diff coverage and links need paths that match: run covaction from the "
        "repository root, or have the tool write relative paths (coverage.py: relative_files "
        "= true)"
    )
