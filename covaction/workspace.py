"""The filesystem edge: reading files of the workspace safely, and finding them.

Everything in the workspace may have been written by a pull request's author. Only regular
files inside the workspace are read (the resolved path is checked, so no link can escape it),
FIFOs and devices are refused before opening (they would hang), and each read has a size cap
checked before reading and enforced while reading.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from covaction.errors import WorkspaceError

MiB = 1024 * 1024
REPORT_CAP = 1024 * MiB
CHUNK = 1 << 20


class Workspace:
    """The workspace root and the only way covaction reads files from it."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def relative(self, path: str | os.PathLike[str]) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def resolve(self, name: str, what: str) -> Path:
        """The real path of `name` (relative to the workspace), refusing escapes."""
        candidate = Path(name)
        if not candidate.is_absolute():
            candidate = self.root / candidate
        try:
            real = candidate.resolve(strict=True)
        except FileNotFoundError:
            raise WorkspaceError(f"{what}: {name} does not exist in the workspace") from None
        except (OSError, RuntimeError) as exc:
            raise WorkspaceError(
                f"{what}: {name} cannot be resolved ({exc.__class__.__name__})"
            ) from None
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
            raise WorkspaceError(
                f"{what}: {name} is {st.st_size / MiB:.1f} MiB, over the {cap / MiB:.0f} MiB cap"
            )
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
        """Workspace-relative matches of a glob (`**` allowed), files only, sorted."""
        if os.path.isabs(pattern) or ".." in Path(pattern).parts:
            return []
        found = []
        for match in glob.glob(pattern, root_dir=self.root, recursive=True, include_hidden=True):
            full = self.root / match
            if full.is_file():
                found.append(Path(match).as_posix())
        return sorted(found)

    def exists(self, rel: str) -> bool:
        """A regular file inside the workspace (links resolved and kept inside)."""
        try:
            real = (self.root / rel).resolve(strict=True)
        except (OSError, RuntimeError):
            return False
        return (self.root in real.parents) and real.is_file()
