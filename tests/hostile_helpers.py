"""Shared helpers for the hostile-input tests: a small project, one-error checks, forged commands.

Test modules import these from here, never from another test module.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from tests.harness import COMMAND, ActionRun

LINES = """<?xml version="1.0" ?>
<coverage version="7.6" line-rate="0.5">
  <sources><source>.</source></sources>
  <packages><package name="pkg"><classes>
    <class name="a.py" filename="{name}">
      <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines>
    </class>
  </classes></package></packages>
</coverage>
"""
BOUNDED = 60  # seconds: a case that hangs or blows up fails on this, not on the CI's job limit
COMMANDS_WE_WRITE = {"error", "warning", "notice", "add-mask", "debug", "group", "endgroup"}


class Outcome(Protocol):
    """What a finished step shows: its exit code, streams and annotations."""

    @property
    def code(self) -> int: ...
    @property
    def stdout(self) -> str: ...
    @property
    def stderr(self) -> str: ...
    @property
    def errors(self) -> list[str]: ...


def cobertura(name: str = "pkg/a.py") -> str:
    """A Cobertura report of one file `name`: line 1 hit, line 2 not."""
    return LINES.format(
        name=name.replace("&", "&amp;")
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def project(action: ActionRun) -> ActionRun:
    """A workspace with pkg/a.py and a Cobertura report of it (1 of 2 lines covered)."""
    (action.workspace / "pkg").mkdir(exist_ok=True)
    (action.workspace / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (action.workspace / "coverage.xml").write_text(cobertura())
    action.inputs.setdefault("pin-policy", "off")
    return action


def one_error(r: Outcome, *needles: str) -> str:
    """Exit 2 and exactly one ::error:: line, containing every needle."""
    assert r.code == 2, r.stdout + r.stderr
    assert len(r.errors) == 1, r.errors
    for needle in needles:
        assert needle in r.errors[0], r.errors[0]
    return r.errors[0]


def no_forged_commands(text: str) -> None:
    """No line the runner would read as a command, other than the ones covaction writes."""
    for line in re.split(r"\r\n|\r|\n", text):
        m = COMMAND.match(line.lstrip())
        if m:
            assert m.group(1).lower() in COMMANDS_WE_WRITE, line
            assert not m.group(3).startswith("pwned"), line
            for pair in (m.group(2) or "").split(","):  # properties: known keys, values escaped
                assert pair.partition("=")[0] in ("", "file", "line", "endLine", "title", "col"), (
                    line
                )


def coverage_data(path: Path, lines: dict[str, list[int]]) -> None:
    """A coverage.py data file at `path` measuring `lines` (written by coverage.py itself)."""
    import coverage

    data = coverage.CoverageData(basename=str(path))
    data.add_lines({k: set(v) for k, v in lines.items()})
    data.write()
