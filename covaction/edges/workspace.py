"""The filesystem edge: reading files of the workspace safely, and finding them.

Everything in the workspace may have been written by a pull request's author. Only regular
files inside the workspace are read (the resolved path is checked, so no link can escape it),
FIFOs and devices are refused before opening (they would hang), and each read has a size cap
checked before reading and enforced while reading.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from covaction.errors import WorkspaceError

MiB = 1024 * 1024
REPORT_CAP = 1024 * MiB
CHUNK = 1 << 20
MAX_WALK = 1_000_000  # entries a glob may visit


class Workspace:
    """The workspace root and the only way covaction reads files from it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()
        if self.root == Path(self.root.anchor):
            # Every path is "inside" the filesystem root: /etc/passwd would be a workspace file.
            raise WorkspaceError(
                "the workspace is the filesystem root; run covaction in the repository's folder"
            )

    def resolve(self, name: str, what: str) -> Path:
        """The real path of `name` (relative to the workspace), refusing escapes."""
        candidate = Path(name)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            real = candidate.resolve(strict=True)
        except FileNotFoundError:
            raise WorkspaceError(f"{what}: {name} does not exist in the workspace") from None
        except RuntimeError:  # Python's word for a symbolic link loop
            raise WorkspaceError(
                f"{what}: {name} is a symbolic link loop; name the report file itself"
            ) from None
        except OSError as exc:
            why = "a symbolic link loop" if exc.errno == errno.ELOOP else exc.strerror
            raise WorkspaceError(f"{what}: {name} cannot be resolved ({why})") from None
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError(
                f"{what}: {name} resolves outside the workspace; only files inside it are read"
            )
        return real

    def check_regular(self, path: Path, name: str, what: str, cap: int) -> int:
        try:
            st = path.stat()
        except OSError as exc:
            raise WorkspaceError(f"{what}: {name} cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(st.st_mode):
            raise WorkspaceError(f"{what}: {name} is not a regular file (a FIFO, device or folder)")
        if st.st_size > cap:
            over = st.st_size - cap
            # A size just over the cap would read "1024.0 MiB, over the 1024 MiB cap".
            size = (
                f"{st.st_size / MiB:.1f} MiB,"
                if over >= MiB // 10
                else f"{over:,} byte{'s' if over > 1 else ''}"
            )
            raise WorkspaceError(f"{what}: {name} is {size} over the {cap / MiB:.0f} MiB cap")
        return st.st_size

    def chunks(self, name: str, what: str, cap: int = REPORT_CAP) -> Iterator[bytes]:
        """Stream a regular file inside the workspace in 1 MiB chunks, at most `cap` bytes."""
        path = self.resolve(name, what)
        self.check_regular(path, name, what, cap)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise WorkspaceError(f"{what}: {name} cannot be opened ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise WorkspaceError(f"{what}: {name} is not a regular file")
            total = 0
            while chunk := fh.read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise WorkspaceError(f"{what}: {name} grew past the {cap / MiB:.0f} MiB cap")
                yield chunk

    def read(self, name: str, what: str, cap: int) -> bytes:
        return b"".join(self.chunks(name, what, cap))

    def head(self, name: str, what: str, size: int = 4096) -> bytes:
        for chunk in self.chunks(name, what):
            return chunk[:size]
        return b""

    def glob(self, pattern: str) -> list[str]:
        """Workspace-relative matches of a glob (`**` allowed, dotfiles included), sorted.

        Every entry that is not a directory is a match, links and FIFOs included, so that the
        reader names what it refuses instead of skipping it silently. Linked directories are
        followed only inside the workspace and each real directory is walked once: links that
        point at their own parents (`a -> .`) cannot make the walk loop or explode.
        """
        if os.path.isabs(pattern) or ".." in Path(pattern).parts:
            return []
        regex = _glob_regex(pattern)
        found = []
        for rel in self._walk(_fixed_prefix(pattern)):
            if regex.fullmatch(rel):
                found.append(rel)
        return sorted(found)

    def _walk(self, start: str) -> Iterator[str]:
        """Relative paths of the non-directory entries under `start`, each real dir once."""
        top = self.root / start if start else self.root
        try:
            real_top = top.resolve(strict=True)
        except (OSError, RuntimeError):
            return
        if not real_top.is_dir() or (real_top != self.root and self.root not in real_top.parents):
            return
        seen = {real_top}
        pending = [(top, start)]
        entries = 0
        while pending:
            directory, rel_dir = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    items = list(listing)
            except OSError:
                continue
            for entry in items:
                entries += 1
                if entries > MAX_WALK:
                    raise WorkspaceError(
                        f"the workspace holds over {MAX_WALK:,} entries; give coverage-files "
                        "without wildcards, or run in a git checkout"
                    )
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                try:
                    is_dir = entry.is_dir()  # follows links
                except OSError:
                    is_dir = False
                if not is_dir:
                    yield rel
                    continue
                try:
                    real = Path(entry.path).resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if real in seen or (real != self.root and self.root not in real.parents):
                    continue
                seen.add(real)
                pending.append((Path(entry.path), rel))

    def regular(self, rel: str, cap: int) -> Path | None:
        """The real path of `rel` when it is a regular file inside the workspace within `cap`."""
        try:
            real = (self.root / rel).resolve(strict=True)
            st = real.stat()
        except (OSError, RuntimeError, ValueError):
            return None
        if self.root not in real.parents or not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            return None
        return real

    def exists(self, rel: str) -> bool:
        """A regular file inside the workspace (links resolved and kept inside)."""
        try:
            real = (self.root / rel).resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return False
        return (self.root in real.parents) and real.is_file()


def _fixed_prefix(pattern: str) -> str:
    """The leading directories of a glob that hold no wildcard: where the walk can start."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    fixed = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        fixed.append(part)
    return "/".join(fixed)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """glob.glob's matching (recursive, hidden files included) as one regex over `a/b/c`."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    out = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]*/)*")
            continue
        out.append(_segment(part) + ("" if last else "/"))
    return re.compile("".join(out), re.S)


def _segment(part: str) -> str:
    """One path segment of a glob: `*`, `?` and `[...]` never match a slash."""
    out = []
    i, n = 0, len(part)
    while i < n:
        ch = part[i]
        i += 1
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            j = i
            if j < n and part[j] in "!":
                j += 1
            if j < n and part[j] == "]":
                j += 1
            while j < n and part[j] != "]":
                j += 1
            if j >= n:
                out.append("\\[")
                continue
            # fnmatch's own translation of the bracket expression, kept from matching "/".
            out.append("(?!/)" + fnmatch.translate(part[i - 1 : j + 1])[4:-3])
            i = j + 1
        else:
            out.append(re.escape(ch))
    return "".join(out)


def write_atomic(target: Path, data: bytes | Iterable[str]) -> None:
    """Write through a fresh temporary file and rename: never through a planted link.

    O_EXCL|O_NOFOLLOW refuse whatever sits at the temporary name; `os.replace` swaps a link at
    the target itself rather than writing where it points. Texts (`data` pieces of str) are
    written as UTF-8 a MiB at a time: a large document never exists twice in memory.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                for text in data:
                    for at in range(0, len(text), MiB):
                        fh.write(text[at : at + MiB].encode("utf-8"))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_named_file(root: Path, name: str, what: str, cap: int) -> bytes:
    """A file a person named on the command line (a laptop run), anywhere on their machine:
    relative to the workspace, a regular file, within `cap`. Never used in GitHub Actions."""
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = root / path
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise WorkspaceError(f"{what}: {name[:200]!r} is not a regular file")
        if st.st_size > cap:
            raise WorkspaceError(f"{what}: {name[:200]!r} is over {cap // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise WorkspaceError(f"{what}: cannot read {name[:200]!r} ({exc.strerror})") from None


def write_named_file(root: Path, name: str, what: str, data: bytes) -> str:
    """Write a file a person named on the command line (a laptop run); returns its path."""
    path = Path(name).expanduser()
    if not path.is_absolute():
        path = root / path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except OSError as exc:
        raise WorkspaceError(f"{what}: cannot write {name[:200]!r} ({exc.strerror})") from None
    return str(path)
