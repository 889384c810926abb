"""The pin check reads YAML as GitHub does, and puts each finding on the line a reviewer sees.

Every line asserted here is also checked against a second YAML reading: ruamel.yaml's parser
events, whose character index is turned into a line by counting `\\n` (git's and GitHub's file
view's count). The finding's position must be where ruamel sees a mapping key of the expected
name written (an alias key counts where the alias is written).
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covaction.pins.workflows import ActionRef, scan_file

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
SHA_PY = "a26af69be951a213d495a4c3e4e4022e16d87065"
WF = ".github/workflows/ci.yml"


def y(text: str) -> str:
    return textwrap.dedent(text)


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index, lines ending at `\\n` only."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def ruamel_keys(text: str) -> dict[tuple[int, int], str]:
    """Every mapping key ruamel.yaml's parser sees: (line, column) -> the key's text (an alias
    key: its anchor's text), positions from the event's character index."""
    ruamel = pytest.importorskip("ruamel.yaml")
    events = ruamel.YAML(typ="safe", pure=True).parse(text)
    anchors: dict[str, str] = {}
    stack: list[list[bool]] = []  # per open collection: [is_mapping, next node is a key]
    keys: dict[tuple[int, int], str] = {}
    for event in events:
        name = type(event).__name__
        if name in ("MappingEndEvent", "SequenceEndEvent"):
            stack.pop()
            if stack and stack[-1][0]:
                stack[-1][1] = not stack[-1][1]
            continue
        if name not in ("ScalarEvent", "AliasEvent", "MappingStartEvent", "SequenceStartEvent"):
            continue
        if name == "ScalarEvent" and event.anchor is not None:
            anchors[event.anchor] = event.value
        if stack and stack[-1][0] and stack[-1][1]:
            text_of = event.value if name == "ScalarEvent" else anchors.get(event.anchor, "")
            if name in ("ScalarEvent", "AliasEvent"):
                keys[line_col(text, event.start_mark.index)] = text_of
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            stack.append([name == "MappingStartEvent", True])
        elif stack and stack[-1][0]:
            stack[-1][1] = not stack[-1][1]
    return keys


def check_lines_against_ruamel(text: str, refs: list[ActionRef], key: str = "uses") -> None:
    keys = ruamel_keys(text)
    for ref in refs:
        if ref.verdict == "parse-error" and not ref.uses:
            continue
        assert keys.get((ref.line, ref.column)) == key, (ref, sorted(keys))


def found(text: str, path: str = WF) -> list[tuple[int, str, str]]:
    return [(r.line, r.verdict, r.uses) for r in scan_file(path, text.encode())]


# --------------------------------------------------------------------------- anchors


REDEFINED = y(f"""\
    name: CI
    on: [push, pull_request]
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - &checkout
            uses: actions/checkout@v4
          - &setup
            uses: actions/setup-python@v5
            with:
              python-version: "3.12"
          - run: pipx run ruff check .
      test:
        runs-on: ubuntu-latest
        steps:
          - *checkout
          - *setup
          - &setup
            uses: actions/setup-python@{SHA_PY} # v5.6.0
            with:
              python-version: ${{{{ matrix.python }}}}
          - run: python -m pytest
      docs:
        runs-on: ubuntu-latest
        steps:
          - *checkout
          - *setup
          - run: make -C docs html
    """)


def test_a_redefined_anchor_is_valid_and_each_alias_names_the_latest_definition(
    loader: str,
) -> None:
    """GitHub keeps the last definition of an anchor (YamlObjectReader's m_anchors[anchor] =
    index); PyYAML's composer refuses the file, which used to hide all three findings."""
    assert found(REDEFINED) == [
        (8, "unpinned", "actions/checkout@v4"),
        (10, "unpinned", "actions/setup-python@v5"),
        (20, "pinned", f"actions/setup-python@{SHA_PY}"),
    ]
    check_lines_against_ruamel(REDEFINED, scan_file(WF, REDEFINED.encode()))


def test_an_alias_before_the_redefinition_still_names_the_first_definition() -> None:
    text = y(f"""\
        jobs:
          a:
            steps:
              - &step {{uses: actions/cache@v3}}
          b:
            steps:
              - *step
              - &step {{uses: actions/cache@{SHA}}}
          c:
            steps: [*step]
        """)
    refs = scan_file(WF, text.encode())
    assert [(r.line, r.verdict) for r in refs] == [(4, "unpinned"), (8, "pinned")]
    check_lines_against_ruamel(text, refs)


ALIAS_KEY = y("""\
    # One spelling of the step key for every job, kept in one place.
    x-keys:
      uses: &uses uses
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - *uses : actions/checkout@v4
          - name: Cache
            *uses : actions/cache@v4
          - {*uses : actions/upload-artifact@v4, with: {name: dist}}
    """)


def test_an_alias_used_as_a_key_reports_the_aliass_line(loader: str) -> None:
    assert found(ALIAS_KEY) == [
        (8, "unpinned", "actions/checkout@v4"),
        (10, "unpinned", "actions/cache@v4"),
        (11, "unpinned", "actions/upload-artifact@v4"),
    ]
    refs = scan_file(WF, ALIAS_KEY.encode())
    assert [r.column for r in refs] == [9, 9, 10]
    check_lines_against_ruamel(ALIAS_KEY, refs)


DUPLICATE_THROUGH_ALIAS = y(f"""\
    x-keys:
      - &uses uses
      - &name Name
    jobs:
      release:
        runs-on: ubuntu-latest
        steps:
          - name: Publish
            uses: pypa/gh-action-pypi-publish@{SHA}
            *uses : attacker/action@main
          - *name : Build
            name: build twice
            run: python -m build
    """)


def test_a_duplicate_key_through_an_alias_is_refused_as_github_refuses_it(loader: str) -> None:
    """TemplateReader compares keys ignoring case after the alias is replayed: 'uses' is
    already defined. The first `uses` is still classified; the second is a parse error."""
    refs = scan_file(WF, DUPLICATE_THROUGH_ALIAS.encode())
    assert [(r.line, r.column, r.verdict, r.uses) for r in refs] == [
        (9, 9, "pinned", f"pypa/gh-action-pypi-publish@{SHA}"),
        (10, 9, "parse-error", "attacker/action@main"),
        (12, 9, "parse-error", ""),
    ]
    assert "duplicate key 'uses' (first at line 9)" in refs[1].reason
    assert "duplicate key 'name' (first at line 11)" in refs[2].reason
    keys = ruamel_keys(DUPLICATE_THROUGH_ALIAS)
    assert keys[(10, 9)] == "uses" and keys[(12, 9)] == "name"


def test_a_mapping_used_as_a_key_is_refused() -> None:
    text = "jobs:\n  a:\n    steps:\n      - ? {uses: x/y@v1}\n        : z\n"
    [ref] = scan_file(WF, text.encode())
    assert (ref.line, ref.verdict) == (4, "parse-error")
    assert "key must be a string" in ref.reason


def test_an_anchor_in_an_action_file_is_refused_and_its_steps_still_read(loader: str) -> None:
    """The runner reads action.yml without anchor support (ActionManifestManager builds its
    YamlObjectReader without allowAnchors: "Anchors are not currently supported")."""
    text = y("""\
        name: setup
        runs:
          using: composite
          steps:
            - &checkout
              uses: actions/checkout@v4
            - *checkout
        """)
    assert found(text, "setup/action.yml") == [
        (5, "parse-error", ""),
        (6, "unpinned", "actions/checkout@v4"),
    ]


def test_one_document_may_start_with_dashes_but_a_second_one_is_refused() -> None:
    """GitHub reads one document (YamlObjectReader.ValidateEnd expects the stream to end)."""
    one = "---\njobs:\n  a:\n    steps:\n      - uses: actions/cache@v4\n...\n"
    assert found(one) == [(5, "unpinned", "actions/cache@v4")]
    two = one + "---\njobs:\n  b:\n    steps:\n      - uses: actions/cache@v3\n"
    refs = scan_file(WF, two.encode())
    assert [(r.line, r.verdict) for r in refs] == [
        (5, "unpinned"),
        (7, "parse-error"),
        (11, "unpinned"),
    ]
    assert "second YAML document" in refs[1].reason


# --------------------------------------------------------------------------- lines


ODD_BREAKS = y(f"""\
    name: "Release notes\u2028(generated)"
    on:
      push:
        tags: ["v*"]
    jobs:
      notes:
        name: "Notes \u2029 for \x85 the release"
        runs-on: ubuntu-latest
        steps:
          - name: "Say\u2029hello\x85world"
            run: "echo first\u2028second"
          - uses: actions/checkout@v4
          - uses: softprops/action-gh-release@{SHA} # v2.2.1
            with:
              body: "Changes:\u2028- fixes"
          - uses: actions/upload-artifact@v4
    """)


def test_nel_ls_and_ps_are_not_line_breaks_when_counting_lines(loader: str) -> None:
    """YAML parsers count U+0085, U+2028 and U+2029 as line breaks; git, editors and
    GitHub's diff view do not, and annotations must land on the line they show."""
    refs = scan_file(WF, ODD_BREAKS.encode())
    assert [(r.line, r.column, r.verdict) for r in refs] == [
        (12, 9, "unpinned"),
        (13, 9, "pinned"),
        (16, 9, "unpinned"),
    ]
    assert refs[1].version_comment == "v2.2.1"
    check_lines_against_ruamel(ODD_BREAKS, refs)


def test_a_line_break_character_on_the_line_of_a_finding_keeps_its_column() -> None:
    text = 'jobs:\n  a:\n    steps:\n      - {name: "x\u2028y", uses: actions/cache@v4}\n'
    [ref] = scan_file(WF, text.encode())
    assert (ref.line, ref.column) == (4, 23)
    check_lines_against_ruamel(text, [ref])


def test_a_lone_carriage_return_is_not_a_line_break_either() -> None:
    """git splits lines at `\\n` only; `\\r\\n` stays one break and a lone `\\r` none."""
    text = 'jobs:\r\n  a:\r\n    steps:\n      - name: "a\rb"\n        uses: actions/cache@v4\n'
    [ref] = scan_file(WF, text.encode())
    assert (ref.line, ref.column) == (5, 9)


def test_a_parse_error_after_a_separator_names_gits_line() -> None:
    text = 'name: "a\u2028b"\njobs:\n  a:\n    steps:\n      - name: "unclosed\n'
    [ref] = scan_file(WF, text.encode())
    assert ref.verdict == "parse-error"
    assert ref.line == 6  # the end of the file, where the parser stopped


# --------------------------------------------------------------------------- limits still hold


def test_an_alias_bomb_of_redefined_anchors_is_still_stopped() -> None:
    """Two anchor names, each defined again from the other: every alias counts as expanded."""
    lines = ['l0: &p ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        name, previous = ("q", "p") if i % 2 else ("p", "q")
        lines.append(f"l{i}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    [ref] = scan_file(WF, "\n".join(lines).encode())
    assert (ref.line, ref.verdict) == (7, "parse-error")
    assert "alias bomb" in ref.reason


def test_an_alias_inside_the_definition_it_names_is_recursive() -> None:
    """GitHub stores an anchor when its node starts, so `&a [*a]` replays itself forever."""
    [ref] = scan_file(WF, b"jobs: &a\n  build: *a\n")
    assert (ref.line, ref.column, ref.verdict) == (2, 10, "parse-error")
    assert "recursive alias" in ref.reason


def test_an_anchor_redefined_inside_itself_is_not_recursive() -> None:
    """The inner definition closes first; an alias after it names the inner node, as
    GitHub's reader (the latest definition by position) would."""
    text = y("""\
        x: &a
          y: &a {uses: actions/cache@v4}
          z: *a
        jobs:
          build:
            steps: [*a]
        """)
    assert found(text) == [(2, "unpinned", "actions/cache@v4")]


# --------------------------------------------------------------------------- generated workflows


@st.composite
def generated_workflow(draw: st.DrawFn) -> tuple[str, int]:
    """A workflow in the shapes projects write (block and flow steps, anchors, aliased steps,
    alias keys, containers) with NEL/LS/PS/CR inside quoted names; and how many references
    are written in it (an aliased step is not written again)."""
    label = st.text(alphabet="ab é\u2028\u2029\x85\r", max_size=6)
    lines = ["x-keys: {uses: &u uses}", "on: [push]", "jobs:"]
    anchors: list[str] = []
    written = 0
    for j in range(draw(st.integers(1, 3))):
        lines += [f"  job{j}:", f'    name: "{draw(label)}"', "    runs-on: ubuntu-latest"]
        if draw(st.booleans()):
            lines.append(f"    container: node:{j + 18}")
            written += 1
        lines.append("    steps:")
        for s in range(draw(st.integers(1, 4))):
            form = draw(st.sampled_from(["block", "flow", "anchored", "alias", "alias-key"]))
            uses = f"o{j}/r{s}@v{s}"
            if form == "alias" and anchors:
                lines.append(f"      - *{draw(st.sampled_from(anchors))}")
                continue
            written += 1
            if form == "flow":
                lines.append(f'      - {{name: "{draw(label)}", uses: {uses}}}')
            elif form == "anchored":
                name = draw(st.sampled_from(["a", "b", "c"]))  # redefined now and then
                anchors.append(name)
                lines += [
                    f"      - &{name}",
                    f'        name: "{draw(label)}"',
                    f"        uses: {uses}",
                ]
            elif form == "alias-key":
                lines += [f'      - name: "{draw(label)}"', f"        *u : {uses}"]
            else:
                lines += [f'      - name: "{draw(label)}"', f"        uses: {uses}"]
    return "\n".join(lines) + "\n", written


@settings(max_examples=150, deadline=None)
@given(generated_workflow())
def test_generated_workflows_put_every_finding_where_ruamel_sees_its_key(
    case: tuple[str, int],
) -> None:
    text, written = case
    refs = scan_file(WF, text.encode())
    assert all(r.verdict != "parse-error" for r in refs), refs
    assert len(refs) == written
    keys = ruamel_keys(text)
    for ref in refs:
        assert keys.get((ref.line, ref.column)) == ref.source.replace("-", "."), (ref, text)
