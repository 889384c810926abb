"""Mapping the paths a report names onto repository-relative paths.

Ground truth is the repository's file list (git-tracked files where there is a checkout, else
the files that exist in the workspace). A report path is tried, in order: as written (relative
to the workspace, or absolute inside it), joined to each of the report's source roots, and
finally by its longest unambiguous suffix among the repository's files (reports written on
another machine, `/home/runner/work/x/x/src/a.py` -> `src/a.py`). A path that matches nothing,
or matches several files equally well, is unmatched: it is counted and named, never dropped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Mapping

from covaction.model import CoverageReport, FileCoverage, ParsedReport, Unmatched, merge_files


def normalize(path: str) -> str:
    """Forward slashes, no `./` segments, no doubled slashes; Windows drives kept visible."""
    path = path.replace("\\", "/").strip()
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        path = "/" + path[0].lower() + path[2:]
    absolute = path.startswith("/")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    return ("/" if absolute else "") + "/".join(parts)


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
        # git lists clean POSIX paths; a backslash there is part of a file name.
        self._tracked = frozenset(tracked) if tracked is not None else None
        self._exists = exists
        self._listing = listing
        self._by_name: dict[str, list[str]] | None = None

    def _names(self) -> dict[str, list[str]]:
        if self._by_name is None:
            files = self._tracked
            if files is None and self._listing is not None:
                files = frozenset(self._listing())
            self._by_name = {}
            for p in files or ():
                self._by_name.setdefault(posixpath.basename(p), []).append(p)
        return self._by_name

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
        if "\\" in path:
            # A Linux file may have a backslash in its name: try it as written first.
            as_written = self._relative(path.strip())
            if as_written is not None and self._is_file(as_written):
                return as_written
        raw = normalize(path)
        if not raw:
            return Unmatched(path, "empty path")
        candidates = [raw] + [
            normalize(posixpath.join(normalize(root), raw))
            for root in roots
            if not raw.startswith("/")
        ]
        for candidate in candidates:
            rel = self._relative(candidate)
            if rel is not None and self._is_file(rel):
                return rel
        return self._by_suffix(path, candidates)

    def _by_suffix(self, original: str, candidates: list[str]) -> str | Unmatched:
        names = self._names()
        if not names:
            return Unmatched(original, "no file of that path in the workspace")
        best: set[str] = set()
        best_len = 0
        for candidate in candidates:
            parts = [p for p in candidate.split("/") if p and p != ".."]
            if not parts:
                continue
            for option in names.get(parts[-1], ()):
                opt_parts = option.split("/")
                n = 0
                while n < min(len(parts), len(opt_parts)) and parts[-1 - n] == opt_parts[-1 - n]:
                    n += 1
                if n > best_len:
                    best, best_len = {option}, n
                elif n == best_len and n:
                    best.add(option)
        if len(best) == 1:
            return next(iter(best))
        if len(best) > 1:
            shown = ", ".join(sorted(best)[:3])
            return Unmatched(original, f"matches several files equally well ({shown})")
        return Unmatched(original, "no file of that name in the repository")


def map_reports(reports: Iterable[ParsedReport], mapper: PathMapper) -> CoverageReport:
    """Map every report's paths and merge them: a line is covered if any report covers it."""
    by_path: dict[str, list[FileCoverage]] = {}
    unmatched: dict[str, Unmatched] = {}
    formats: list[str] = []
    sources: list[str] = []
    notices: list[str] = []
    has_branches = False
    for report in reports:
        formats.append(report.format)
        sources.append(report.origin)
        notices.extend(report.notices)
        has_branches = has_branches or report.has_branches
        for fc in report.files:
            target = mapper.map(fc.path, report.roots)
            if isinstance(target, Unmatched):
                unmatched.setdefault(target.path, target)
                continue
            by_path.setdefault(target, []).append(fc)
    files: Mapping[str, FileCoverage] = {
        path: (parts[0].with_path(path) if len(parts) == 1 else merge_files(path, parts))
        for path, parts in sorted(by_path.items())
    }
    return CoverageReport(
        files=files,
        has_branches=has_branches,
        formats=tuple(dict.fromkeys(formats)),
        sources=tuple(sources),
        unmatched=tuple(unmatched.values()),
        notices=tuple(dict.fromkeys(notices)),
    )
