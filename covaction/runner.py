"""The Actions runner edge: outputs file, step summary, workflow commands and annotations.

Escaping follows actions/toolkit (`command.ts` escapeData/escapeProperty, `file-command.ts`
prepareKeyValueMessage): every string from outside is escaped so it can never start a
`::command::` line, and outputs always use the multi-line form with a random delimiter.
Outside GitHub Actions the same calls print plain lines for a person at a terminal.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

SUMMARY_BUDGET = 1_000_000  # bytes; the runner drops a summary over 1 MiB entirely
ANNOTATIONS_PER_LEVEL = 10  # the runner attaches at most 10 of each level per step


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True, slots=True)
class Annotation:
    level: str  # error | warning | notice
    message: str
    file: str = ""
    line: int = 0
    end_line: int = 0
    title: str = ""


class Runner:
    """Writes what the runner reads back; `actions` is False on a laptop."""

    def __init__(self, environ: Mapping[str, str], out: TextIO | None = None) -> None:
        self.environ = environ
        self.actions = environ.get("GITHUB_ACTIONS") == "true"
        self.out = out or sys.stdout
        self._secrets: list[str] = []

    # -- secrets -------------------------------------------------------------------------
    def mask(self, secret: str) -> None:
        """Register a secret: scrubbed from everything we print or write.

        No `::add-mask::` line: tokens reach us as `${{ github.token }}` or `${{ secrets.X }}`,
        which the runner masks already, and echoing one to stdout to mask it would put it in the
        log stream.
        """
        if secret:
            self._secrets.append(secret)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _print(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    # -- log lines and annotations ---------------------------------------------------------
    def command(self, level: str, message: str, **props: str | int) -> None:
        message = self.scrub(message)
        if not self.actions:
            where = f"{props['file']}:{props['line']}: " if props.get("file") and props.get("line") else ""
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
            text = escape_data(text)
            if text.lstrip().startswith("::"):
                text = " " + text
        self._print(text)

    def annotate(self, annotations: list[Annotation]) -> list[str]:
        """Emit at most 10 annotations per level, in the given (importance) order.

        Returns notes on what was left out, for the summary.
        """
        left: dict[str, int] = {}
        shown: dict[str, int] = {}
        for a in annotations:
            if shown.get(a.level, 0) >= ANNOTATIONS_PER_LEVEL:
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
            f"(GitHub shows {ANNOTATIONS_PER_LEVEL} per level per step); see the job summary"
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
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
            if delimiter in value or delimiter in name:
                raise ValueError("output delimiter collision")
            parts.append(f"{name}<<{delimiter}\n{self.scrub(value)}\n{delimiter}\n")
        with open(path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write("".join(parts))

    def write_summary(self, markdown: str) -> bool:
        """Append the job summary (within the 1 MiB budget); on a laptop, print it."""
        text = self.scrub(markdown)
        path = self.environ.get("GITHUB_STEP_SUMMARY", "")
        if not self.actions or not path:
            return False
        existing = os.path.getsize(path) if os.path.exists(path) else 0
        if existing + len(text.encode("utf-8")) > SUMMARY_BUDGET + (1024 * 1024 - SUMMARY_BUDGET):
            self.warning("the job summary would exceed GitHub's 1 MiB limit; it was not written")
            return False
        with open(path, "a", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return True
