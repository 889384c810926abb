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
# Single characters, plus registered command names so that `##[add-mask]` can appear.
HOSTILE = st.lists(
    st.sampled_from([*":%\r\n,= \tae\u2028\x00#[]", "##[", "add-mask", "error"]), max_size=30
).map("".join)
# actions/runner ActionCommandManager: stop-commands plus every registered extension's name
# (internal-set-repo-path only for the runner's own plugins), compared ignoring case.
REGISTERED = frozenset(
    "stop-commands set-env set-output save-state add-mask add-path add-matcher remove-matcher "
    "debug warning error notice group endgroup echo".split()
)
# .NET char.IsWhiteSpace, which String.TrimStart() strips.
NET_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
NET_SPACE += "\u2028\u2029\u202f\u205f\u3000"


def runner_parse(line: str) -> tuple[str, dict[str, str], str] | None:
    """What actions/runner makes of one line: `ActionCommand.TryParseV2(line) ||
    ActionCommand.TryParse(line)` (src/Runner.Common/ActionCommand.cs), name, properties, data."""

    def unescape(text: str, table: tuple[tuple[str, str], ...]) -> str:
        for escaped, plain in table:
            text = text.replace(escaped, plain)
        return text

    data_table = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
    message = line.lstrip(NET_SPACE)
    if message.startswith("::"):
        end = message.find("::", 2)
        info = message[2:end] if end >= 0 else ""
        name = info.split(" ", 1)[0]
        if end >= 0 and name.lower() in REGISTERED:
            props = {}
            for pair in info[len(name) + 1 :].strip(NET_SPACE).split(","):
                key, sep, value = pair.partition("=")
                if sep and key and value:
                    props[key] = unescape(
                        value, (*data_table[:2], ("%3A", ":"), ("%2C", ","), data_table[2])
                    )
            return name.lower(), props, unescape(message[end + 2 :], data_table)
    start = line.find("##[")
    end = line.find("]", start) if start >= 0 else -1
    if end < 0:
        return None
    info = line[start + 3 : end]
    name = info.split(" ", 1)[0]
    if name.lower() not in REGISTERED:
        return None
    legacy = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%25", "%"))
    props = {}
    for pair in info[len(name) + 1 :].split(";"):
        key, sep, value = pair.partition("=")
        if sep and key and value:
            props[key] = unescape(value, legacy)
    return name.lower(), props, unescape(line[end + 1 :], legacy)


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
    return [line for line in re.split(r"\r\n|\r|\n", text) if runner_parse(line)]


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
    assert emitted.replace("%3A", ":").replace("##%5B", "##[") == normal


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


@pytest.mark.parametrize(
    "line, parsed",
    [
        ("::error::x", ("error", {}, "x")),
        ("  ::Warning file=a%2Cb::y", ("warning", {"file": "a,b"}, "y")),
        ("##[add-mask]s3cret", ("add-mask", {}, "s3cret")),
        ("log text ##[set-output name=x;]v%5D", ("set-output", {"name": "x"}, "v]")),
        ("###[stop-commands]tok", ("stop-commands", {}, "tok")),
        ("::nope::x ##[error]boom", ("error", {}, "boom")),
        ("##[nope]x ##[error]y", None),
        ("#[error]x", None),
    ],
)
def test_the_parser_replica_reads_lines_as_the_runner(
    line: str, parsed: tuple[str, dict[str, str], str] | None
) -> None:
    """Worked through ActionCommand.cs by hand: V2 first, then the legacy prefix anywhere."""
    assert runner_parse(line) == parsed


@pytest.mark.parametrize(
    "line",
    [
        "##[add-mask]s3cret",
        "coverage.py: could not read x##[set-output name=passed]true",
        "###[stop-commands]tok",
        "  ##[group]fake group",
        "a ##[error]one ##[warning]two",
        "::error::x ##[add-mask]y",
        "##[##[error]x",
    ],
)
def test_legacy_commands_anywhere_in_a_line_are_defanged(line: str) -> None:
    """actions/runner's TryParse finds `##[` anywhere in a line (issue 16 B.5)."""
    out = io.StringIO()
    Runner(ACTIONS, out).info(line)
    assert command_lines(out.getvalue()) == []
    assert runner_parse(defang(line)) is None
    assert defang(line).replace("%3A", ":", 1).replace("##%5B", "##[") == line


@pytest.mark.parametrize("split", range(1, 18))
def test_the_guard_catches_a_legacy_prefix_split_across_writes(split: int) -> None:
    text = "text ##[add-mask]x\n"
    inner = io.StringIO()
    guard = CommandGuard(inner)
    for piece in (text[:split], text[split:]):
        guard.write(piece)
    assert inner.getvalue() == "text ##%5Badd-mask]x\n"


@pytest.mark.parametrize("text", ["x #", "x ##", "x #[add-mask]y", "##", "#"])
def test_held_hashes_come_out_before_a_runner_command(text: str) -> None:
    inner = io.StringIO()
    guard = CommandGuard(inner)
    guard.write(text)
    Runner(ACTIONS, guard).error("boom")
    assert inner.getvalue() == f"{text}\n::error::boom\n"


@settings(max_examples=300, deadline=None, database=None)
@given(message=HOSTILE, file=HOSTILE, title=HOSTILE)
def test_our_commands_keep_outside_text_whole_whatever_it_holds(
    message: str, file: str, title: str
) -> None:
    """The runner reads our line as the command we meant (V2 wins over the legacy syntax), with
    the message, file and title exactly as given: a `##[add-mask]` inside is data."""
    out = io.StringIO()
    Runner(ACTIONS, out).annotate([Annotation("warning", message, file=file, line=3, title=title)])
    [line, end] = re.split(r"\r\n|\r|\n", out.getvalue())
    assert end == ""
    # The runner trims the property list (`.Trim()`), so a last property loses trailing spaces.
    escaped = escape_property(title)
    trimmed = len(escaped) - len(escaped.rstrip(NET_SPACE))  # spaces are not escaped
    shown = title if file or not trimmed else title[:-trimmed]
    props = {"title": shown} if shown else {}
    if file:
        props.update(file=file, line="3")
    assert runner_parse(line) == ("warning", props, message)


def test_the_annotation_budget_counts_every_annotation_line_the_step_prints() -> None:
    """The runner keeps 10 of each level per step, whoever printed them: covaction's own
    warnings count, the "N more" note is true, and a warning past 10 is still in the log."""
    out = io.StringIO()
    runner = Runner({"GITHUB_ACTIONS": "true"}, out)
    for i in range(7):
        runner.warning(f"earlier warning {i}")
    planned = [Annotation("warning", f"line {i}", file="a.py", line=i + 1) for i in range(6)]
    notes = runner.annotate(planned, {"warning": 1, "error": 2})
    assert notes == [
        "4 more warning annotations left out (GitHub shows 10 per level per step); "
        "see the job summary"
    ]
    runner.warning("the reserved one")
    runner.warning("one too many")
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("::warning") for line in lines) == 10
    assert "Warning (not annotated, over GitHub's 10): one too many" in lines
