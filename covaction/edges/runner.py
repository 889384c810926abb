"""The Actions runner edge: outputs file, step summary, workflow commands and annotations.

Escaping follows actions/toolkit (`command.ts` escapeData/escapeProperty, `file-command.ts`
prepareKeyValueMessage): every string from outside is escaped so that no line it is printed on
can be read as a workflow command, in either syntax the runner obeys (actions/runner
`ActionCommand.TryParseV2`: `::name::` at the start of a line; `ActionCommand.TryParse`: the
legacy `##[name]` anywhere in a line), and outputs always use the multi-line form with a random
delimiter. Outside GitHub Actions the same calls print plain lines for a person at a terminal.
"""

from __future__ import annotations

import io
import os
import re
import stat
import sys
import uuid
from collections.abc import Mapping
from typing import TextIO

from covaction.errors import CovactionError
from covaction.render.annotations import Annotation

SUMMARY_BUDGET = 1_000_000  # bytes; the runner drops a summary over 1 MiB entirely
ANNOTATIONS_PER_LEVEL = 10  # the runner attaches at most 10 of each level per step
ANNOTATION_LEVELS = ("error", "warning", "notice")
# Secrets the runner hands a container step besides the token input; scrubbed from all we write.
SECRET_VARIABLES = (
    "INPUT_GITHUB-TOKEN",
    "GITHUB_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
# The runner reads its output with .NET ReadLine, which ends a line at CR, LF or CRLF.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


# The legacy prefix (actions/runner ActionCommand.Prefix), found by IndexOf anywhere in a line.
LEGACY_PREFIX = "##["
_LEGACY_SAFE = "##%5B"  # printed as is: the runner unescapes only inside a command


def defang(line: str) -> str:
    """One log line that the runner cannot read as a workflow command.

    `TryParseV2` strips leading whitespace and looks for `::`: a line that would start so gets
    its first colon escaped (`%3A`). `TryParse` finds `##[` anywhere: each gets its bracket
    escaped (`%5B`). The runner prints both escapes as they are. (Its culture-sensitive IndexOf
    and StartsWith skip ignorable characters such as U+00AD, but it then cuts the command name
    at a fixed offset, which lands on `[` or `:`, never on a command's name, unless the prefix is
    literal.)
    """
    line = line.replace(LEGACY_PREFIX, _LEGACY_SAFE)
    stripped = line.lstrip()
    if stripped.startswith("::"):
        return line[: len(line) - len(stripped)] + "%3A" + stripped[1:]
    return line


def _hold(text: str) -> tuple[str, str]:
    """`text` less its trailing `#` (two at most), which the next write could turn into `##[`."""
    keep = min(2, len(text) - len(text.rstrip("#")))
    return (text[:-keep], text[-keep:]) if keep else (text, "")


def defang_text(text: str) -> str:
    """Every line of `text` defanged, line breaks normalised to LF."""
    return "\n".join(defang(line) for line in _LINE_BREAK.split(text))


class CommandGuard(io.TextIOBase):
    """A text stream for stdout/stderr in which nothing but the Runner can write a command.

    Libraries print warnings (coverage.py names files from the report in them) and Python
    prints tracebacks; each line written here is defanged. Partial lines are held until they
    can no longer turn into `::` at their start, and a trailing `#` or `##` until the next
    write shows whether `[` follows. The Runner writes its commands through `write_command`,
    which bypasses the guard.
    """

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner
        # Held back: the start of the current line, while it might still become `::`; or,
        # once the start is out, a trailing `#`/`##` that might still become `##[`.
        self._pending = ""
        self._mid_line = False  # the current line's start is already out (and was vetted)
        self._after_cr = False  # the last write ended in CR: an LF next completes that CRLF

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.inner, "encoding", "utf-8"))

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.inner.fileno()

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        size = len(text)
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
            self._after_cr = False  # that CRLF is complete; a further LF is a line of its own
        if text:
            self._after_cr = text.endswith("\r")
        *lines, tail = _LINE_BREAK.split(self._pending + text)
        self._pending = ""
        out = []
        for line in lines:
            # Mid-line, what went out never ended in `#`, so a `##[` lies wholly in `line`;
            # defang's `::` check looks at the start of the text only, and that is not a
            # line start here, so only the legacy prefix is escaped.
            out.append(
                (line.replace(LEGACY_PREFIX, _LEGACY_SAFE) if self._mid_line else defang(line))
                + "\n"
            )
            self._mid_line = False
        if self._mid_line:
            head, self._pending = _hold(tail)
            out.append(head.replace(LEGACY_PREFIX, _LEGACY_SAFE))
        elif tail.lstrip() in ("", ":"):
            self._pending = tail
        else:
            head, self._pending = _hold(tail)
            out.append(defang(head))
            self._mid_line = True
        if out:
            self.inner.write("".join(out))
        return size

    def flush(self) -> None:
        self.inner.flush()

    def write_command(self, line: str) -> None:
        """A line the Runner vouches for (already escaped), always on a line of its own."""
        if self._pending or self._mid_line:
            self.inner.write(defang(self._pending) + "\n")
            self._pending, self._mid_line = "", False
        self._after_cr = False
        self.inner.write(line + "\n")
        self.inner.flush()


class Runner:
    """Writes what the runner reads back; `actions` is False on a laptop."""

    def __init__(self, environ: Mapping[str, str], out: TextIO | None = None) -> None:
        self.environ = environ
        self.actions = environ.get("GITHUB_ACTIONS") == "true"
        self.out = out or sys.stdout
        self._secrets: list[str] = []
        self.emitted: dict[str, int] = {}  # annotation lines printed, per level
        for name in SECRET_VARIABLES:
            # Scrubbed, not echoed: the runner masks its own tokens in the log, but not in what
            # we write to the summary, outputs, files or the pull request comment.
            self.mask(environ.get(name, "").strip())

    # -- secrets -------------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Register a secret: scrubbed from everything we print or write.

        No `::add-mask::` line: tokens reach us as `${{ github.token }}` or `${{ secrets.X }}`,
        which the runner masks already, and echoing one to stdout to mask it would put it in the
        log stream.
        """
        # Shorter values are not tokens (settings refuses them) and would scrub ordinary words.
        if len(secret) >= 8 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _print(self, line: str) -> None:
        if isinstance(self.out, CommandGuard):
            self.out.write_command(line)
            return
        self.out.write(line + "\n")
        self.out.flush()

    # -- log lines and annotations ---------------------------------------------------------
    def command(self, level: str, message: str, **props: str | int) -> None:
        """One annotation line. The runner keeps the first 10 of each level a step prints and
        drops the rest without a word; past that count, the line is printed as a plain log line
        (`Warning (not annotated): ...`) so that nothing is lost silently."""
        message = self.scrub(message)
        if level in ANNOTATION_LEVELS:
            if self.actions and self.emitted.get(level, 0) >= ANNOTATIONS_PER_LEVEL:
                self.info(f"{level.capitalize()} (not annotated, over GitHub's 10): {message}")
                return
            self.emitted[level] = self.emitted.get(level, 0) + 1
        if not self.actions:
            where = ""
            if props.get("file") and props.get("line"):
                where = f"{props['file']}:{props['line']}: "
            stream = sys.stderr if level in ("error", "warning") else self.out
            stream.write(f"{level}: {where}{message}\n")
            stream.flush()
            return
        shown = ",".join(
            f"{key}={escape_property(self.scrub(str(value)))}"
            for key, value in props.items()
            if value not in ("", 0, None)
        )
        self._print(f"::{level}{' ' + shown if shown else ''}::{escape_data(message)}")

    def error(self, message: str) -> None:
        self.command("error", message)

    def warning(self, message: str) -> None:
        self.command("warning", message)

    def notice(self, message: str) -> None:
        self.command("notice", message)

    def info(self, message: str) -> None:
        """A plain log line; escaped so it can never be read as a workflow command."""
        text = self.scrub(message)
        if self.actions:
            text = defang_text(text)
        self._print(text)

    def annotate(
        self, annotations: list[Annotation], reserve: Mapping[str, int] | None = None
    ) -> list[str]:
        """Emit annotations in the given (importance) order, within what is left of the runner's
        10 per level after every annotation line the step already printed, less `reserve` (the
        lines the caller will still print, such as one error per failed gate).

        Returns notes on what was left out, for the summary.
        """
        left: dict[str, int] = {}
        shown: dict[str, int] = {}
        reserve = reserve or {}
        for a in annotations:
            room = ANNOTATIONS_PER_LEVEL - self.emitted.get(a.level, 0) - reserve.get(a.level, 0)
            if room <= 0:
                left[a.level] = left.get(a.level, 0) + 1
                continue
            shown[a.level] = shown.get(a.level, 0) + 1
            props: dict[str, str | int] = {}
            if a.title:
                props["title"] = a.title
            if a.file:
                props["file"] = a.file
                if a.line:
                    props["line"] = a.line
                    if a.end_line and a.end_line > a.line:
                        props["endLine"] = a.end_line
            self.command(a.level, a.message, **props)
        notes = [
            f"{count} more {level} annotation{'s' if count != 1 else ''} left out "
            f"(GitHub shows {ANNOTATIONS_PER_LEVEL} per level per step)"
            + ("; see the job summary" if self.actions else "")
            for level, count in left.items()
        ]
        for note in notes:
            self.info(note)
        return notes

    # -- file commands -----------------------------------------------------------------------
    def set_outputs(self, outputs: Mapping[str, str]) -> None:
        """All outputs in one append, each in the multi-line form with a fresh delimiter."""
        path = self.environ.get("GITHUB_OUTPUT", "")
        if not self.actions or not path:
            return
        parts = []
        for name, value in outputs.items():
            value = self.scrub(value)
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            if delimiter in value or delimiter in name:
                raise CovactionError("output delimiter collision; run the step again")
            parts.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
        try:
            _append(path, "".join(parts))
        except OSError as exc:
            raise CovactionError(
                f"GITHUB_OUTPUT ({path[:200]}) cannot be written ({exc.strerror or exc}); the "
                "step's outputs are lost"
            ) from None

    def write_summary(self, markdown: str) -> bool:
        """Append the job summary (within the 1 MiB budget); on a laptop, print it."""
        text = self.scrub(markdown)
        path = self.environ.get("GITHUB_STEP_SUMMARY", "")
        if not self.actions or not path:
            return False
        try:
            st = os.stat(path)
            existing = st.st_size if stat.S_ISREG(st.st_mode) else 0
        except OSError:
            existing = 0
        if existing + len(text.encode("utf-8")) > SUMMARY_BUDGET + (1024 * 1024 - SUMMARY_BUDGET):
            self.warning("the job summary would exceed GitHub's 1 MiB limit; it was not written")
            return False
        try:
            _append(path, text)
        except OSError as exc:
            self.warning(
                f"the job summary could not be written to GITHUB_STEP_SUMMARY ({path[:200]}: "
                f"{exc.strerror or exc}); the comment and outputs carry the result"
            )
            return False
        return True


def _append(path: str, text: str) -> None:
    """Append to a runner file command file, which must be a regular file.

    Opened non-blocking, so a FIFO without a reader fails at once instead of hanging the step.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fd = -1
            fh.write(text)
    finally:
        if fd >= 0:
            os.close(fd)
