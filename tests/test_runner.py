"""The runner edge: workflow-command escaping, the stdout/stderr guard, outputs, summary, secrets."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covaction.edges.runner import (
    Annotation,
    CommandGuard,
    Runner,
    defang,
    escape_data,
    escape_property,
)
from covaction.errors import CovactionError
from tests.harness import COMMAND, parse_commands, parse_file_command

ACTIONS = {"GITHUB_ACTIONS": "true"}
HOSTILE = st.text(alphabet=st.sampled_from(list(":%\r\n,= \tae\u2028\x00")), max_size=30)


def runner(tmp_path: Path, **env: str) -> tuple[Runner, io.StringIO]:
    out = io.StringIO()
    environ = {
        **ACTIONS,
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "sum"),
        **env,
    }
    (tmp_path / "out").touch()
    (tmp_path / "sum").touch()
    return Runner(environ, out), out


def command_lines(text: str) -> list[str]:
    """The lines the runner would parse as commands (.NET ReadLine splits at CR, LF, CRLF)."""
    return [line for line in re.split(r"\r\n|\r|\n", text) if COMMAND.match(line.lstrip())]


@pytest.mark.parametrize(
    "raw, data, prop",
    [
        ("a%b", "a%25b", "a%25b"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\rb", "a%0Db", "a%0Db"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_escaping_matches_the_toolkit(raw: str, data: str, prop: str) -> None:
    """actions/toolkit command.ts: escapeData and escapeProperty, `%` first."""
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


@settings(max_examples=300, deadline=None, database=None)
@given(message=HOSTILE, file=HOSTILE, title=HOSTILE)
def test_one_command_per_annotation_whatever_the_text(message: str, file: str, title: str) -> None:
    """Each annotation is exactly one command line, and its fields read back unchanged."""
    out = io.StringIO()
    Runner(ACTIONS, out).annotate([Annotation("warning", message, file=file, line=3, title=title)])
    text = out.getvalue()
    assert len(command_lines(text)) == 1
    [cmd] = parse_commands(text)
    assert cmd.name == "warning" and cmd.data == message
    if file:
        assert cmd.props["file"] == file
    if title:
        assert cmd.props["title"] == title


@settings(max_examples=300, deadline=None, database=None)
@given(HOSTILE)
def test_info_lines_are_never_commands(text: str) -> None:
    out = io.StringIO()
    Runner(ACTIONS, out).info(text)
    assert command_lines(out.getvalue()) == []


@pytest.mark.parametrize("line", ["::error::x", "  ::warning::y", "\t::notice file=a::z", "::"])
def test_defang_escapes_the_first_colon(line: str) -> None:
    assert not COMMAND.match(defang(line).lstrip())
    assert defang(line).replace("%3A", ":", 1) == line


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(HOSTILE, max_size=12))
def test_guard_lets_no_command_through_however_writes_are_split(pieces: list[str]) -> None:
    """Libraries write in arbitrary pieces; no line the guard emits is a command, and the text
    is kept apart from the defanging escape and line-break normalisation."""
    inner = io.StringIO()
    guard = CommandGuard(inner)
    for piece in pieces:
        guard.write(piece)
    guard.write("\n")
    emitted = inner.getvalue()
    assert command_lines(emitted) == []
    normal = re.sub(r"\r\n|\r", "\n", "".join(pieces) + "\n")
    assert emitted.replace("%3A", ":") == normal.replace("%3A", ":")


def test_runner_commands_pass_the_guard_on_a_line_of_their_own() -> None:
    inner = io.StringIO()
    guard = CommandGuard(inner)
    guard.write("partial ")
    Runner(ACTIONS, guard).error("boom")
    guard.write(":")
    Runner(ACTIONS, guard).notice("n")
    assert inner.getvalue() == "partial \n::error::boom\n:\n::notice::n\n"


def test_secrets_from_the_environment_are_scrubbed_everywhere(tmp_path: Path) -> None:
    secrets = {
        "INPUT_GITHUB-TOKEN": "ghs_" + "1" * 36,
        "GITHUB_TOKEN": "ghp_" + "2" * 36,
        "ACTIONS_RUNTIME_TOKEN": "eyJ" + "3" * 40,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc" + "4" * 30,
    }
    r, out = runner(tmp_path, **secrets)
    for value in secrets.values():
        r.error(f"failed with {value}")
        r.info(f"see {value}")
        r.annotate([Annotation("notice", value, file=value, title=value)])
        r.set_outputs({"x": value})
        r.write_summary(f"| {value} |")
    written = out.getvalue() + (tmp_path / "out").read_text() + (tmp_path / "sum").read_text()
    for value in secrets.values():
        assert value not in written
    assert "***" in written


def test_short_values_are_not_treated_as_secrets(tmp_path: Path) -> None:
    r, out = runner(tmp_path, GITHUB_TOKEN="true")
    r.info("true story")
    assert out.getvalue() == "true story\n"


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.dictionaries(
        st.sampled_from(["coverage", "report-json", "comment-url", "x"]), st.text(max_size=40)
    )
)
def test_outputs_read_back_exactly_with_the_runners_grammar(values: dict[str, str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out"
        path.touch()
        Runner({**ACTIONS, "GITHUB_OUTPUT": str(path)}).set_outputs(values)
        text = path.read_bytes().decode("utf-8")  # no universal newlines: CR stays CR
    parsed = parse_file_command(text)
    assert set(parsed) == set(values)
    for key, value in values.items():
        # The runner splits on LF only: a value reads back as written, CRs included.
        assert parsed[key] == value


@pytest.mark.parametrize("kind", ["directory", "fifo", "missing-parent", "dev-null"])
def test_unwritable_outputs_are_one_error_and_never_hang(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out"
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "missing-parent":
        target = tmp_path / "no" / "out"
    else:
        target = Path(os.devnull)
    r = Runner({**ACTIONS, "GITHUB_OUTPUT": str(target)}, io.StringIO())
    with pytest.raises(CovactionError, match="GITHUB_OUTPUT"):
        r.set_outputs({"coverage": "1"})


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-null"])
def test_unwritable_summary_is_a_warning(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "sum"
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = Path(os.devnull)
    out = io.StringIO()
    assert (
        Runner({**ACTIONS, "GITHUB_STEP_SUMMARY": str(target)}, out).write_summary("# hi") is False
    )
    [cmd] = parse_commands(out.getvalue())
    assert cmd.name == "warning" and "GITHUB_STEP_SUMMARY" in cmd.data


def test_summary_over_the_limit_is_not_written(tmp_path: Path) -> None:
    r, out = runner(tmp_path)
    assert r.write_summary("x" * (1024 * 1024 + 1)) is False
    assert (tmp_path / "sum").read_text() == ""
    assert "1 MiB" in out.getvalue()


def test_annotations_beyond_ten_per_level_are_left_out_with_a_note(tmp_path: Path) -> None:
    r, out = runner(tmp_path)
    notes = r.annotate([Annotation("warning", f"w{i}") for i in range(13)])
    assert len(parse_commands(out.getvalue())) == 10
    assert notes == [
        "3 more warning annotations left out (GitHub shows 10 per level per step); see the job summary"
    ]


def test_outside_actions_lines_are_plain(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    r = Runner({}, out)
    r.command("warning", "careful", file="a.py", line=3)
    r.info("::not a command here")
    assert out.getvalue() == "::not a command here\n"
    assert capsys.readouterr().err == "warning: a.py:3: careful\n"
