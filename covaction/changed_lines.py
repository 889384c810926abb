"""Unified diffs (git, generic, GitHub per-file patches) -> the changed lines of each file.

A changed line is the number, in the NEW file, of a `+` line of a hunk: an added or modified
line, as diff-cover counts them. Line numbers come only from lines actually present in the
diff; header counts are used to know where a hunk ends, never to build a range.

How malformed input is treated (the diff is untrusted: a fork's branch, a user's file):

- text outside hunks (commit messages, `index` lines, diffstat, `Only in ...`, `-- ` email
  signatures, lines past the end of a hunk as its header counts it) is commentary, ignored, as
  `git apply` and GNU `patch` read it;
- a hunk whose body ends before its header's counts are used up (a truncated or hand-edited
  hunk, or an absurd `@@ -1,999999999 +1,999999999 @@`), a hunk header that does not parse or
  has numbers of more than ten digits, a hunk before any file header, a combined (merge) diff,
  or one file named twice is one `DiffError` naming the line;
- for a GitHub `patch` the same errors make that file "diff unknown" (not measured): GitHub
  wrote the patch, the user cannot fix it.

Time is linear in the size of the text and memory in the number of changed lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from covaction.errors import DiffError

Status = Literal["added", "modified", "renamed", "deleted", "copied", "binary"]

DEV_NULL: Final = "/dev/null"

# `@@ -start[,count] +start[,count] @@ section heading`; ten digits bound the integers we make.
_HUNK_RE: Final = re.compile(r"@@ -(\d{1,10})(?:,(\d{1,10}))? \+(\d{1,10})(?:,(\d{1,10}))? @@")
_BINARY_RE: Final = re.compile(r"Binary files (.+) and (.+) differ")

# Git's C-style quoting of paths (`quote_c_style` in git's quote.c).
_ESCAPES: Final = {
    "a": 7,
    "b": 8,
    "t": 9,
    "n": 10,
    "v": 11,
    "f": 12,
    "r": 13,
    '"': 34,
    "\\": 92,
}

_CHUNK: Final = 1 << 20  # split the text a megabyte at a time: memory tracks a chunk, not the text
_SHOWN: Final = 80  # characters of an offending line quoted in an error message
_SPLITS: Final = 64  # spaces tried when splitting an unquoted `diff --git` line


@dataclass(frozen=True, slots=True)
class FileChange:
    """One file of a diff, under its new repository-relative path (the old one if deleted).

    `added_lines` are NEW-file line numbers of `+` lines. `measured` is False when the diff does
    not tell which lines changed (binary file, GitHub sent no patch): that is "unknown", never
    "no changes". `note` says why a file is not measured.
    """

    path: str
    old_path: str | None
    status: Status
    added_lines: frozenset[int] = frozenset()
    measured: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChangedLines:
    """The files of a diff keyed by new repository-relative path (deleted files by old path)."""

    files: Mapping[str, FileChange] = field(default_factory=lambda: MappingProxyType({}))

    def lines(self, path: str) -> frozenset[int]:
        """Changed lines of `path`; empty for a file the diff does not change or does not know."""
        change = self.files.get(path)
        return change.added_lines if change is not None else frozenset()

    @property
    def not_measured(self) -> tuple[str, ...]:
        """Paths whose changed lines are unknown, sorted."""
        return tuple(sorted(p for p, c in self.files.items() if not c.measured))

    def __iter__(self) -> Iterator[FileChange]:
        return iter(self.files.values())

    def __len__(self) -> int:
        return len(self.files)


# --------------------------------------------------------------------------- lines and paths


def _lines(text: str) -> Iterator[str]:
    """Yield the lines of `text` split on "\\n" only, a megabyte at a time.

    `str.splitlines` would also split on form feeds, \\x1c-\\x1e and U+2028 inside source lines.
    """
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start + _CHUNK)
        if end < 0:
            parts = text[start:].split("\n")
            if not parts[-1]:
                parts.pop()  # the text ends with a newline: no line after it
            yield from parts
            return
        yield from text[start:end].split("\n")
        start = end + 1


def _shown(line: str) -> str:
    return repr(line[:_SHOWN] + ("..." if len(line) > _SHOWN else ""))


def _unquote(text: str) -> tuple[str, str]:
    """Decode a git C-quoted name at the start of `text`; return (name, text after the quote)."""
    out = bytearray()
    i, size = 1, len(text)
    while i < size:
        ch = text[i]
        if ch == '"':
            return out.decode("utf-8", "replace"), text[i + 1 :]
        if ch == "\\" and i + 1 < size:
            nxt = text[i + 1]
            octal = text[i + 1 : i + 4]
            if len(octal) == 3 and octal[0] in "0123" and all(c in "01234567" for c in octal):
                out.append(int(octal, 8))
                i += 4
                continue
            code = _ESCAPES.get(nxt)
            out.extend(bytes([code]) if code is not None else nxt.encode("utf-8", "surrogatepass"))
            i += 2
            continue
        out.extend(ch.encode("utf-8", "surrogatepass"))
        i += 1
    raise DiffError(f"unterminated quoted file name {_shown(text)}")


def _header_name(rest: str) -> str:
    """The name on a `---`/`+++` line: quoted, or up to the tab before a timestamp."""
    if rest.startswith('"'):
        return _unquote(rest)[0]
    return rest.split("\t", 1)[0]


def _plain_name(rest: str) -> str:
    """The name on a `rename from`/`copy to` line (no prefix, maybe quoted)."""
    return _unquote(rest)[0] if rest.startswith('"') else rest


def _tail(name: str) -> str | None:
    """`name` without its first path component, None when it has only one."""
    slash = name.find("/")
    return name[slash + 1 :] if slash > 0 else None


def _git_names(rest: str) -> tuple[str, str] | None:
    """The two names of a `diff --git` line, as git's own `git_header_name` splits them."""
    if rest.startswith('"'):
        first, after = _unquote(rest)
        if not after.startswith(" "):
            return None
        after = after[1:]
        return first, (_unquote(after)[0] if after.startswith('"') else after)
    if rest.endswith('"'):
        at = rest.find(' "')
        if at < 0:
            return None
        return rest[:at], _unquote(rest[at + 1 :])[0]
    # Unquoted names may hold spaces: the split is where both sides name the same file. The
    # middle is that place for equal prefixes (`a/` `b/`, none); other prefixes are looked for
    # at the first spaces only, which keeps a hostile line linear.
    mid = len(rest) // 2
    if len(rest) % 2 and rest[mid] == " ":
        old, new = rest[:mid], rest[mid + 1 :]
        if old == new or (_tail(old) is not None and _tail(old) == _tail(new)):
            return old, new
    at = rest.find(" ")
    for _ in range(_SPLITS):
        if at < 0:
            break
        old, new = rest[:at], rest[at + 1 :]
        told = _tail(old)
        if told is not None and told == _tail(new):
            return old, new
        at = rest.find(" ", at + 1)
    at = rest.rfind(" b/")
    return (rest[:at], rest[at + 1 :]) if at > 0 else None


def _strip_pair(old: str, new: str) -> tuple[str, str]:
    """Drop `a/`-`b/` style prefixes from a pair of names (`patch -p1` when both carry one).

    A prefix is recognised when both names agree after their first component (`a/x` `b/x`,
    `orig/x` `new/x`, git's mnemonic `c/x` `w/x`); one side `/dev/null` strips a lone `a/`/`b/`.
    Identical names are taken to have no prefix (`diff.noprefix`).
    """
    if old == DEV_NULL or new == DEV_NULL:
        if old.startswith("a/"):
            old = old[2:]
        if new.startswith("b/"):
            new = new[2:]
        return old, new
    if old != new:
        told, tnew = _tail(old), _tail(new)
        if (
            told is not None
            and tnew is not None
            and (told == tnew or (old.startswith("a/") and new.startswith("b/")))
        ):
            return told, tnew
    return old, new


def _clean(path: str) -> str:
    """Drop `./`; bytes that are not UTF-8 (surrogate-escaped by a caller) become U+FFFD."""
    while path.startswith("./"):
        path = path[2:]
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = path.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = path.encode("utf-8", "surrogatepass")
        path = raw.decode("utf-8", "replace")
    return path


# --------------------------------------------------------------------------- one file section


class _Section:
    """What has been read about one file so far; becomes a FileChange when the next begins."""

    __slots__ = (
        "added",
        "all_new_empty",
        "all_old_empty",
        "binary",
        "copy",
        "created",
        "deleted",
        "git",
        "git_new",
        "git_old",
        "has_names",
        "header",
        "hunks",
        "lineno",
        "moved_from",
        "moved_to",
        "new",
        "old",
    )

    def __init__(self, lineno: int, header: str, *, git: bool) -> None:
        self.git = git
        self.lineno = lineno
        self.header = header
        self.git_old: str | None = None
        self.git_new: str | None = None
        self.old: str | None = None
        self.new: str | None = None
        self.moved_from: str | None = None
        self.moved_to: str | None = None
        self.copy = False
        self.created = False
        self.deleted = False
        self.binary = False
        self.has_names = False  # a `---`/`+++` pair or `Binary files` line was read
        self.hunks = 0
        self.all_old_empty = True  # every hunk is `-0,0`: GNU `diff -N` writes new files so
        self.all_new_empty = True
        self.added: list[int] = []

    def change(self) -> FileChange:
        if self.git:
            old, new = self._git_paths()
        else:
            assert self.old is not None and self.new is not None
            old, new = _strip_pair(self.old, self.new)
        if self.created or old == DEV_NULL or (not self.git and self.hunks and self.all_old_empty):
            status: Status = "added"
        elif (
            self.deleted or new == DEV_NULL or (not self.git and self.hunks and self.all_new_empty)
        ):
            status = "deleted"
        elif self.moved_from is not None:
            status = "copied" if self.copy else "renamed"
        else:
            status = "modified"
        path = _clean(old if status == "deleted" or new == DEV_NULL else new)
        old_path = None if status == "added" or old == DEV_NULL else _clean(old)
        if not path or path == DEV_NULL:
            raise DiffError(f"diff line {self.lineno}: no file name in {_shown(self.header)}")
        if status == "deleted":
            return FileChange(path, old_path, status)
        if self.binary:
            return FileChange(path, old_path, "binary", measured=False, note="binary file")
        return FileChange(path, old_path, status, frozenset(self.added))

    def _git_paths(self) -> tuple[str, str]:
        if self.moved_from is not None and self.moved_to is not None:
            old, new = self.moved_from, self.moved_to
            return (DEV_NULL if self.created else old), (DEV_NULL if self.deleted else new)
        if self.git_old is None or self.git_new is None:
            if self.old is None or self.new is None:
                raise DiffError(
                    f"diff line {self.lineno}: cannot tell the file names in {_shown(self.header)}"
                )
            return _strip_pair(self.old, self.new)
        old_name, new_name = _strip_pair(self.git_old, self.git_new)
        if self.old is None or self.new is None:
            return old_name, new_name
        # Names on `---`/`+++` carry the same prefixes as the `diff --git` line: strip those.
        old_prefix = self.git_old[: len(self.git_old) - len(old_name)]
        new_prefix = self.git_new[: len(self.git_new) - len(new_name)]
        old = self.old
        new = self.new
        if old != DEV_NULL and old.startswith(old_prefix):
            old = old[len(old_prefix) :]
        if new != DEV_NULL and new.startswith(new_prefix):
            new = new[len(new_prefix) :]
        return old, new


# --------------------------------------------------------------------------- the parser


def _hunk_header(line: str, lineno: int) -> tuple[int, int, int]:
    """(old count, new start, new count) of a hunk header; DiffError if it does not parse."""
    if line.startswith("@@@"):
        raise DiffError(
            f"diff line {lineno}: combined (merge) diffs are not supported; "
            "diff the merge against one parent, e.g. `git diff BASE...HEAD`"
        )
    m = _HUNK_RE.match(line)
    if m is None:
        raise DiffError(f"diff line {lineno}: malformed hunk header {_shown(line)}")
    old_count = 1 if m.group(2) is None else int(m.group(2))
    new_start = int(m.group(3))
    new_count = 1 if m.group(4) is None else int(m.group(4))
    if (old_count and not int(m.group(1))) or (new_count and not new_start):
        raise DiffError(f"diff line {lineno}: hunk header {_shown(line)} starts at line 0")
    return old_count, new_start, new_count


class _Hunks:
    """Reads hunk bodies from a shared line iterator, counting lines as the header says."""

    __slots__ = ("it", "lineno", "pending")

    def __init__(self, lines: Iterable[str]) -> None:
        self.it = iter(lines)
        self.lineno = 0
        self.pending: str | None = None  # a line read past a hunk's end, to be read again

    def next_line(self) -> str | None:
        line = self.pending
        if line is not None:
            self.pending = None
            return line
        read = next(self.it, None)
        if read is not None:
            self.lineno += 1
        return read

    def body(self, header: str, added: list[int]) -> tuple[bool, bool]:
        """Read the hunk `header` opened; append new-file numbers of `+` lines to `added`.

        Returns whether the hunk's old side and new side are empty (`-0,0`, `+0,0`).
        """
        start = self.lineno
        old_left, new_no, new_left = _hunk_header(header, start)
        old_empty, new_empty = old_left == 0, new_left == 0
        append = added.append
        lineno = self.lineno
        for line in self.it:
            lineno += 1
            if not old_left and not new_left:
                self.pending = line
                break
            first = line[:1]
            if first == "+" and new_left:
                append(new_no)
                new_no += 1
                new_left -= 1
            elif first == "-" and old_left:
                old_left -= 1
            elif (first == " " or line in ("", "\r")) and old_left and new_left:
                # An empty line is a context line whose blank was stripped (git apply agrees).
                new_no += 1
                old_left -= 1
                new_left -= 1
            elif first != "\\":  # "\\ No newline at end of file" is a line of neither file
                self.pending = line
                break
        self.lineno = lineno
        if old_left or new_left:
            last = lineno - (self.pending is not None)
            raise DiffError(
                f"diff line {start}: hunk {_shown(header)} ends at line {last} with "
                f"{old_left} old and {new_left} new lines missing (truncated or corrupt diff)"
            )
        return old_empty, new_empty


def parse_unified_diff(text: str | bytes) -> ChangedLines:
    """Changed lines per file of a `git diff` or generic unified diff (a `--diff-file`).

    Bytes are decoded as UTF-8, undecodable bytes replaced (they can only be in line content or
    names, never in the markers that matter). Raises DiffError as the module docstring says.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    reader = _Hunks(_lines(text))
    files: dict[str, FileChange] = {}
    section: _Section | None = None
    saw_text = False

    def close(current: _Section | None) -> None:
        if current is None:
            return
        change = current.change()
        earlier = files.get(change.path)
        if earlier is not None and change.status != "deleted":
            if earlier.status != "deleted":
                raise DiffError(
                    f"diff line {current.lineno}: {change.path!r} appears twice in the diff; "
                    "give one diff between two trees (e.g. `git diff BASE...HEAD`)"
                )
        if earlier is None or earlier.status == "deleted":
            files[change.path] = change

    while True:
        raw = reader.next_line()
        if raw is None:
            break
        line = raw[:-1] if raw.endswith("\r") else raw
        lineno = reader.lineno
        if line.strip():
            saw_text = True
        if line.startswith("diff --git "):
            close(section)
            section = _Section(lineno, line, git=True)
            names = _git_names(line[len("diff --git ") :])
            if names is not None:
                section.git_old, section.git_new = names
        elif line.startswith(("diff --cc ", "diff --combined ")):
            raise DiffError(
                f"diff line {lineno}: combined (merge) diffs are not supported; "
                "diff the merge against one parent, e.g. `git diff BASE...HEAD`"
            )
        elif line.startswith("@@"):
            if section is None or (not section.git and not section.has_names):
                raise DiffError(f"diff line {lineno}: hunk {_shown(line)} has no file header")
            if section.binary:
                continue
            old_empty, new_empty = reader.body(line, section.added)
            section.hunks += 1
            section.all_old_empty &= old_empty
            section.all_new_empty &= new_empty
        elif line.startswith("--- "):
            nxt = reader.next_line()
            if nxt is None or not nxt.startswith("+++ "):
                reader.pending = nxt  # a lone `---` is commentary (format-patch's separator)
                continue
            nxt = nxt[:-1] if nxt.endswith("\r") else nxt
            old, new = _header_name(line[4:]), _header_name(nxt[4:])
            if section is None or not section.git or section.has_names or section.hunks:
                close(section)
                section = _Section(lineno, line, git=False)
            section.old, section.new, section.has_names = old, new, True
        elif section is not None and section.git and not section.hunks and not section.has_names:
            _git_extended_header(section, line)
        elif line.startswith("Binary files ") and line.endswith(" differ"):
            m = _BINARY_RE.fullmatch(line)
            if m is not None:
                close(section)
                section = _Section(lineno, line, git=False)
                section.old, section.new = _header_name(m.group(1)), _header_name(m.group(2))
                section.has_names = section.binary = True
        # Anything else is commentary between files.
    close(section)
    if not files and saw_text:
        colored = " with colors (use --no-color)" if "\x1b[" in text else ""
        raise DiffError(
            f"the diff has text but no file header or hunk: is it a unified diff{colored} "
            "(`git diff`, `diff -u`)?"
        )
    return ChangedLines(MappingProxyType(dict(sorted(files.items()))))


def _git_extended_header(section: _Section, line: str) -> None:
    """Apply one line of git's extended header (between `diff --git` and the hunks)."""
    if line.startswith("new file mode "):
        section.created = True
    elif line.startswith("deleted file mode "):
        section.deleted = True
    elif line.startswith(("rename from ", "copy from ")):
        section.moved_from = _plain_name(line.split(" ", 2)[2])
        section.copy = line.startswith("copy")
    elif line.startswith(("rename to ", "copy to ")):
        section.moved_to = _plain_name(line.split(" ", 2)[2])
    elif line.startswith("Binary files ") or line == "GIT binary patch":
        # The base85 data after `GIT binary patch` is skipped with the rest of the section:
        # its lines start with a length letter, never `@@`, `---` or `diff --git`.
        section.binary = True
    # `index`, `old mode`, `new mode`, `similarity index`, ... change no line.


# --------------------------------------------------------------------------- GitHub patches


def parse_patch(path: str, patch: str) -> frozenset[int]:
    """Changed lines of one GitHub PR-file `patch`: hunks only, no file headers.

    Stricter than a diff file: text outside a hunk is an error, since GitHub writes none.
    """
    reader = _Hunks(_lines(patch))
    added: list[int] = []
    while True:
        raw = reader.next_line()
        if raw is None:
            break
        if raw.startswith("@@"):
            try:
                reader.body(raw, added)
            except DiffError as exc:
                raise DiffError(f"patch of {path!r}: {exc}") from None
        elif raw not in ("", "\r") and not raw.startswith("\\"):
            raise DiffError(
                f"patch of {path!r}: diff line {reader.lineno}: {_shown(raw)} is outside any hunk"
            )
    return frozenset(added)


_GITHUB_STATUS: Final[Mapping[str, Status]] = {
    "added": "added",
    "removed": "deleted",
    "modified": "modified",
    "renamed": "renamed",
    "copied": "copied",
    "changed": "modified",  # mode or type change
    "unchanged": "modified",
}


def from_github_files(entries: Iterable[Mapping[str, object]]) -> ChangedLines:
    """ChangedLines from the entries of `GET /pulls/{n}/files`, given as plain dicts.

    A missing `patch` (binary, too large, past GitHub's per-response budget) or one that does
    not parse makes the file "not measured": its changed lines are unknown, never "none".
    """
    files: dict[str, FileChange] = {}
    for number, entry in enumerate(entries, 1):
        filename = entry.get("filename")
        if not isinstance(filename, str) or not filename:
            raise DiffError(f"pull request file entry {number} has no file name")
        filename = _clean(filename)
        raw_status = entry.get("status")
        status = _GITHUB_STATUS.get(raw_status if isinstance(raw_status, str) else "", "modified")
        previous = entry.get("previous_filename")
        old_path = _clean(previous) if isinstance(previous, str) and previous else None
        if old_path is None and status not in ("added", "renamed", "copied"):
            old_path = filename
        if status == "added":
            old_path = None
        patch = entry.get("patch")
        if status == "deleted":
            change = FileChange(filename, old_path, status)
        elif not isinstance(patch, str):
            change = FileChange(
                filename, old_path, status, measured=False, note="GitHub sent no patch"
            )
        else:
            try:
                change = FileChange(filename, old_path, status, parse_patch(filename, patch))
            except DiffError as exc:
                change = FileChange(filename, old_path, status, measured=False, note=str(exc))
        earlier = files.get(filename)
        if earlier is None or earlier.status == "deleted":
            files[filename] = change
    return ChangedLines(MappingProxyType(dict(sorted(files.items()))))
