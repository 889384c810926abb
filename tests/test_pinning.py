"""The pin check: which files, how each `uses:` is read and classified, hostile YAML, allowlist."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covaction.errors import InputError
from covaction.pins import github_yaml
from covaction.pins.workflows import (
    ActionRef,
    PinSummary,
    allowlist_matches,
    parse_allowlist,
    scan,
    scan_file,
    suggestion,
    version_comment_mismatch,
    workflow_paths,
)
from tests.yaml_loaders import LOADERS

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
SHA2 = "0123456789abcdef0123456789abcdef01234567"
DIGEST = "sha256:" + "ab" * 32
WF = ".github/workflows/ci.yml"


def y(text: str) -> bytes:
    """Dedented YAML text as the bytes a file holds."""
    return textwrap.dedent(text).encode()


def found(path: str, data: bytes) -> list[tuple[int, str, str]]:
    return [(r.line, r.verdict, r.uses) for r in scan_file(path, data)]


# --------------------------------------------------------------------------- table: forms

CASES: list[tuple[str, str, bytes, list[tuple[int, str, str]]]] = [
    (
        "tag-is-unpinned",
        WF,
        y("""\
            on: push
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/checkout@v4
            """),
        [(6, "unpinned", "actions/checkout@v4")],
    ),
    (
        "full-lowercase-sha-is-pinned-also-with-a-path",
        WF,
        y(f"""\
            jobs:
              build:
                steps:
                  - uses: actions/checkout@{SHA}
                  - name: sub-action
                    uses: github/codeql-action/init@{SHA}
            """),
        [
            (4, "pinned", f"actions/checkout@{SHA}"),
            (6, "pinned", f"github/codeql-action/init@{SHA}"),
        ],
    ),
    (
        "short-uppercase-odd-hex-branch-and-no-at-are-unpinned",
        WF,
        y(f"""\
            jobs:
              build:
                steps:
                  - uses: actions/checkout@8f4b7f8
                  - uses: actions/checkout@{SHA.upper()}
                  - uses: actions/checkout@{"g" * 40}
                  - uses: actions/checkout@main
                  - uses: actions/checkout
                  - uses: actions/checkout@{SHA}0
            """),
        [
            (4, "unpinned", "actions/checkout@8f4b7f8"),
            (5, "unpinned", f"actions/checkout@{SHA.upper()}"),
            (6, "unpinned", f"actions/checkout@{'g' * 40}"),
            (7, "unpinned", "actions/checkout@main"),
            (8, "unpinned", "actions/checkout"),
            (9, "unpinned", f"actions/checkout@{SHA}0"),
        ],
    ),
    (
        "docker-digest-is-pinned-tag-or-bare-image-is-not",
        WF,
        y(f"""\
            jobs:
              build:
                steps:
                  - uses: docker://alpine@{DIGEST}
                  - uses: docker://ghcr.io/o/img:1.2@{DIGEST}
                  - uses: docker://alpine:3.19
                  - uses: docker://alpine
                  - uses: docker://registry:5000/img
                  - uses: docker://alpine@sha256:{"AB" * 32}
            """),
        [
            (4, "pinned", f"docker://alpine@{DIGEST}"),
            (5, "pinned", f"docker://ghcr.io/o/img:1.2@{DIGEST}"),
            (6, "unpinned", "docker://alpine:3.19"),
            (7, "unpinned", "docker://alpine"),
            (8, "unpinned", "docker://registry:5000/img"),
            (9, "unpinned", f"docker://alpine@sha256:{'AB' * 32}"),
        ],
    ),
    (
        "local-and-expression-references",
        WF,
        y("""\
            jobs:
              build:
                steps:
                  - uses: ./.github/actions/setup
                  - uses: actions/checkout@${{ inputs.ref }}
                  - uses: ${{ matrix.action }}
            """),
        [
            (4, "local", "./.github/actions/setup"),
            (5, "unverifiable", "actions/checkout@${{ inputs.ref }}"),
            (6, "unverifiable", "${{ matrix.action }}"),
        ],
    ),
    (
        "job-level-reusable-workflows-remote-and-local",
        WF,
        y("""\
            jobs:
              call:
                uses: org/repo/.github/workflows/build.yml@v1
              local:
                uses: ./.github/workflows/build.yml
            """),
        [
            (3, "unpinned", "org/repo/.github/workflows/build.yml@v1"),
            (5, "local", "./.github/workflows/build.yml"),
        ],
    ),
    (
        "quoted-values-are-read-unquoted",
        WF,
        y("""\
            jobs:
              build:
                steps:
                  - uses: "actions/checkout@v4"
                  - 'uses': 'actions/setup-python@v5'
            """),
        [(4, "unpinned", "actions/checkout@v4"), (5, "unpinned", "actions/setup-python@v5")],
    ),
    (
        "flow-mapping-steps",
        WF,
        y(f"""\
            jobs:
              build:
                steps:
                  - {{uses: actions/checkout@v4}}
                  - {{name: x, uses: "actions/cache@{SHA}", with: {{path: a}}}}
                steps2: [{{uses: ignored/not-steps@v1}}]
            """),
        [(4, "unpinned", "actions/checkout@v4"), (5, "pinned", f"actions/cache@{SHA}")],
    ),
    (
        "uses-in-with-run-comments-and-other-keys-is-not-read",
        WF,
        y("""\
            # uses: commented/out@v1
            env:
              uses: env/var@v1
            jobs:
              build:
                steps:
                  - run: |
                      uses: in/script@v1
                  - uses: actions/checkout@v4  # uses: in/comment@v1
                    with:
                      uses: with/input@v1
                  # - uses: commented/step@v1
                outputs:
                  uses: not/a-step@v1
            """),
        [(9, "unpinned", "actions/checkout@v4")],
    ),
    (
        "aliased-step-is-reported-once-at-the-anchor",
        WF,
        y("""\
            jobs:
              a:
                steps:
                  - &checkout
                    uses: actions/checkout@v4
                  - *checkout
              b:
                steps:
                  - *checkout
                  - uses: actions/cache@v4
            """),
        [(5, "unpinned", "actions/checkout@v4"), (10, "unpinned", "actions/cache@v4")],
    ),
    (
        "aliased-job-and-steps-list-are-reported-once",
        WF,
        y("""\
            jobs:
              a: &job
                steps: &steps
                  - uses: actions/checkout@v4
              b: *job
              c:
                steps: *steps
            """),
        [(4, "unpinned", "actions/checkout@v4")],
    ),
    (
        "a-second-document-is-refused-as-github-does-and-every-document-is-scanned",
        WF,
        y("""\
            jobs:
              a:
                steps:
                  - uses: actions/checkout@v4
            ---
            jobs:
              b:
                steps:
                  - uses: actions/cache@v3
            """),
        [
            (4, "unpinned", "actions/checkout@v4"),
            (5, "parse-error", ""),
            (9, "unpinned", "actions/cache@v3"),
        ],
    ),
    (
        "crlf-line-endings-keep-line-numbers",
        WF,
        b"jobs:\r\n  a:\r\n    steps:\r\n      - run: x\r\n      - uses: actions/checkout@v4\r\n",
        [(5, "unpinned", "actions/checkout@v4")],
    ),
    (
        "utf8-byte-order-mark-is-skipped",
        WF,
        b"\xef\xbb\xbfjobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n",
        [(4, "unpinned", "actions/checkout@v4")],
    ),
    (
        "tab-in-indentation-is-a-parse-error-at-its-line",
        WF,
        b"jobs:\n  a:\n    steps:\n\t- uses: actions/checkout@v4\n",
        [(4, "parse-error", "")],
    ),
    (
        "duplicate-uses-key-is-a-parse-error-and-the-first-is-classified",
        WF,
        y(f"""\
            jobs:
              a:
                steps:
                  - uses: actions/checkout@{SHA}
                    uses: evil/action@main
            """),
        [(4, "pinned", f"actions/checkout@{SHA}"), (5, "parse-error", "evil/action@main")],
    ),
    (
        "duplicate-keys-anywhere-compare-ignoring-case",
        WF,
        y("""\
            env:
              TOKEN: a
              token: b
            jobs:
              a:
                steps:
                  - uses: actions/checkout@v4
            """),
        [(3, "parse-error", ""), (7, "unpinned", "actions/checkout@v4")],
    ),
    (
        "unparseable-file-is-one-parse-error-at-the-problem-line",
        WF,
        y("""\
            jobs:
              a:
                steps:
                  - uses: actions/checkout@v4
                  - name: "unclosed
            """),
        [(6, "parse-error", "")],
    ),
    (
        "composite-action-steps-are-read",
        "sub/dir/action.yml",
        y("""\
            name: composite
            runs:
              using: composite
              steps:
                - uses: actions/checkout@v4
                - run: echo
                  shell: bash
            """),
        [(5, "unpinned", "actions/checkout@v4")],
    ),
    (
        "non-composite-action-and-workflow-keys-in-an-action-are-not-read",
        "action.yaml",
        y("""\
            runs:
              using: node20
              main: index.js
              steps:
                - uses: not/read@v1
            jobs:
              a:
                steps:
                  - uses: not/read@v2
            """),
        [],
    ),
    (
        "action-keys-in-a-workflow-are-not-read",
        ".github/workflows/action.yml",
        y("""\
            runs:
              using: composite
              steps:
                - uses: not/read@v1
            """),
        [],
    ),
    (
        "merge-key-in-a-step-is-a-parse-error-github-has-no-merge-keys",
        WF,
        y("""\
            x: &base {uses: actions/checkout@v4}
            jobs:
              a:
                steps:
                  - <<: *base
                    name: merged
            """),
        [(5, "parse-error", "")],
    ),
    (
        "empty-null-and-non-string-uses-are-parse-errors",
        WF,
        y("""\
            jobs:
              a:
                steps:
                  - uses:
                  - uses: null
                  - uses: {a: b}
                  - uses: [a]
            """),
        [
            (4, "parse-error", ""),
            (5, "parse-error", ""),
            (6, "parse-error", ""),
            (7, "parse-error", ""),
        ],
    ),
    ("empty-file-has-no-references", WF, b"", []),
    ("non-mapping-document-has-no-references", WF, b"- just\n- a list\n", []),
    (
        "invalid-utf8-is-a-parse-error-at-its-line",
        WF,
        b"jobs:\n  a:\n    name: \xff\xfe\n",
        [(3, "parse-error", "")],
    ),
    (
        "control-character-is-a-parse-error-at-its-line",
        WF,
        b"jobs:\n  a:\n    name: bell\x07\n",
        [(3, "parse-error", "")],
    ),
    (
        "undefined-alias-is-a-parse-error",
        WF,
        b"jobs:\n  a:\n    steps:\n      - *nope\n",
        [(4, "parse-error", "")],
    ),
]


@pytest.mark.parametrize(
    ("path", "data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_scan_file_finds_each_reference_at_its_line_with_its_verdict(
    loader: str, path: str, data: bytes, expected: list[tuple[int, str, str]]
) -> None:
    assert found(path, data) == expected


REASONS = [
    ("actions/checkout@v4", "unpinned", "tag v4 can be moved", "action"),
    ("actions/checkout@release/v1", "unpinned", "branch or tag release/v1 can be moved", "action"),
    ("actions/checkout@8f4b7f8", "unpinned", "short SHA", "action"),
    (
        f"actions/checkout@{SHA.upper()}",
        "unpinned",
        f"upper case; write it in lower case: {SHA}",
        "action",
    ),
    ("actions/checkout", "unpinned", "no @ref", "action"),
    ("actions@v4", "unpinned", "not a valid reference", "action"),
    ("a/b@c@d", "unpinned", "more than one @", "action"),
    ("docker://alpine:3.19", "unpinned", "tag 3.19 can be moved; a digest (@sha256:…)", "docker"),
    ("docker://alpine", "unpinned", "without a tag or digest pulls latest", "docker"),
    ("docker://alpine@sha256:abc", "unpinned", "is not sha256", "docker"),
    (f"docker://alpine@{DIGEST}", "pinned", "digest", "docker"),
    ("a/b@${{ x }}", "unverifiable", "expression cannot be verified", "action"),
    ("docker://${{ x }}", "unverifiable", "expression cannot be verified", "docker"),
    ("./local", "local", "local action", "local"),
    (".\\windows\\local", "local", "local action", "local"),
    (f"o/r/.github/workflows/w.yml@{SHA}", "pinned", "commit SHA", "reusable-workflow"),
]


@pytest.mark.parametrize(("uses", "verdict", "reason_part", "kind"), REASONS)
def test_each_verdict_says_why_and_names_the_kind(
    uses: str, verdict: str, reason_part: str, kind: str
) -> None:
    data = f"jobs:\n  a:\n    steps:\n      - uses: '{uses}'\n".encode()
    [ref] = scan_file(WF, data)
    assert (ref.verdict, ref.kind) == (verdict, kind)
    assert reason_part in ref.reason


@pytest.mark.parametrize(
    ("uses", "owner_repo", "ref"),
    [
        (f"actions/checkout@{SHA}", "actions/checkout", SHA),
        ("github/codeql-action/init@v3", "github/codeql-action", "v3"),
        ("Org/Repo/.github/workflows/x.yml@main", "Org/Repo", "main"),
        ("a/b@${{ inputs.ref }}", "a/b", "${{ inputs.ref }}"),
        ("${{ matrix.action }}@v1", None, "v1"),
        (f"docker://alpine@{DIGEST}", None, DIGEST),
        ("docker://alpine:3", None, None),
        ("./x", None, None),
        ("actions/checkout", None, None),
    ],
)
def test_owner_repo_and_ref_are_split_from_the_reference(
    uses: str, owner_repo: str | None, ref: str | None
) -> None:
    [found_ref] = scan_file(WF, f"jobs:\n  a:\n    steps:\n      - uses: '{uses}'\n".encode())
    assert (found_ref.owner_repo, found_ref.ref) == (owner_repo, ref)


def test_job_level_uses_is_a_reusable_workflow_and_column_points_at_the_key() -> None:
    [ref] = scan_file(WF, b"jobs:\n  call:\n    uses: o/r/.github/workflows/x.yml@v1\n")
    assert (ref.kind, ref.line, ref.column) == ("reusable-workflow", 3, 5)


def test_parse_error_reason_is_one_short_line() -> None:
    [ref] = scan_file(WF, b"jobs:\n  a: [\n    b: 'c\n")
    assert ref.verdict == "parse-error" and ref.kind is None
    assert "\n" not in ref.reason and 0 < len(ref.reason) <= 200


def test_tab_reason_names_the_tab(loader: str) -> None:
    [ref] = scan_file(WF, b"jobs:\n  a:\n\tsteps: []\n")
    assert (ref.line, ref.verdict) == (3, "parse-error")
    assert "tab" in ref.reason


def test_duplicate_key_reason_names_the_first_line() -> None:
    refs = scan_file(WF, b"jobs:\n  a:\n    steps:\n      - uses: a/b@v1\n        Uses: c/d@v1\n")
    assert refs[1].verdict == "parse-error"
    assert "'Uses'" in refs[1].reason and "line 4" in refs[1].reason


# --------------------------------------------------------------------------- version comments

COMMENTS = [
    ("      - uses: a/b@{sha} # v4.1.1", "v4.1.1", "v4.1.1"),
    ("      - uses: a/b@{sha}    #v4", "v4", "v4"),
    ("      - uses: 'a/b@{sha}' # v4.1.1 (latest)", "v4.1.1 (latest)", "v4.1.1"),
    ('      - uses: "a/b@{sha}" # tag=v2.0.0', "tag=v2.0.0", "v2.0.0"),
    ("      - uses: a/b@{sha} # pin@v3", "pin@v3", "v3"),
    ("      - uses: a/b@{sha} # ratchet:a/b@v1.2", "ratchet:a/b@v1.2", "v1.2"),
    ("      - uses: a/b@{sha} # TODO bump", "TODO bump", None),
    ("      - uses: a/b@{sha}", None, None),
    ("      - {{uses: a/b@{sha}}}  # v5", "v5", "v5"),
    ('      - {{uses: a/b@{sha}, with: {{x: "a # b"}}}}  # v6', "v6", "v6"),
    ("      - {{name: 'it''s # x', uses: a/b@{sha}}} # v7", "v7", "v7"),
    ('      - {{name: "é", uses: a/b@{sha}}} # v8', "v8", "v8"),
]


@pytest.mark.parametrize(("line", "comment", "version"), COMMENTS)
def test_trailing_comment_on_the_value_line_is_captured(
    loader: str, line: str, comment: str | None, version: str | None
) -> None:
    data = ("jobs:\n  a:\n    steps:\n" + line.format(sha=SHA) + "\r\n").encode()
    [ref] = scan_file(WF, data)
    assert (ref.version_comment, ref.commented_version) == (comment, version)


def test_hash_without_a_space_is_part_of_the_value_not_a_comment() -> None:
    [ref] = scan_file(WF, b"jobs:\n  a:\n    steps:\n      - uses: a/b@v1#v2\n")
    assert (ref.uses, ref.version_comment) == ("a/b@v1#v2", None)


def test_comment_on_the_line_after_a_block_scalar_is_not_captured() -> None:
    data = b"jobs:\n  a:\n    steps:\n      - uses: >-\n          a/b@v1\n      # v9\n"
    [ref] = scan_file(WF, data)
    assert (ref.uses, ref.version_comment) == ("a/b@v1", None)


def test_aliased_step_keeps_the_anchor_lines_comment() -> None:
    data = y("""\
        jobs:
          a:
            steps:
              - &s {uses: a/b@v1}  # v1.0.0
              - *s  # v2.0.0
        """)
    [ref] = scan_file(WF, data)
    assert (ref.line, ref.version_comment) == (4, "v1.0.0")


# --------------------------------------------------------------------------- hostile input


def billion_laughs(levels: int = 9) -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("jobs: {x: {steps: *a9}}")
    return ("\n".join(lines) + "\n").encode()


HOSTILE = [
    ("billion-laughs-stops-at-the-alias-crossing-the-limit", billion_laughs(), 7),
    ("billion-laughs-as-steps", billion_laughs(12), 7),
    ("deep-flow-nesting", b"jobs: " + b"[" * 1_000_000, 1),
    ("deep-flow-mapping-nesting", b"{a: " * 200_000, 1),
    ("deep-block-nesting", b"".join(b" " * i + b"k:\n" for i in range(300)), 51),
    ("deep-sequence-nesting", b"- " * 100_000 + b"x\n", 1),
    ("recursive-alias-at-the-alias-line", b"jobs: &j\n  a: *j\n", 2),
    ("recursive-alias-in-steps", b"jobs:\n  a:\n    steps: &s [*s]\n", 3),
    (
        "alias-chain-deeper-than-the-limit",
        b"".join(f"a{i}: &a{i} [{'*a' + str(i - 1) if i else 'x'}]\n".encode() for i in range(60)),
        50,  # *a48 inside a49 reaches level 51 counting from the root
    ),
]


@pytest.mark.parametrize(("data", "line"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_yaml_is_one_parse_error_not_a_crash_or_a_hang(
    loader: str, data: bytes, line: int
) -> None:
    refs = scan_file(WF, data)
    assert [(r.verdict, r.uses) for r in refs] == [("parse-error", "")]
    assert refs[0].line == line


def test_wide_but_legitimate_alias_reuse_is_scanned() -> None:
    steps = "".join(f"      - uses: actions/s{i}@v1\n" for i in range(50))
    jobs = "".join(f"  j{i}: *job\n" for i in range(200))
    data = f"jobs:\n  j: &job\n    steps:\n{steps}{jobs}".encode()
    refs = scan_file(WF, data)
    assert len(refs) == 50 and {r.verdict for r in refs} == {"unpinned"}


TEMPLATE = y(f"""\
    name: CI
    on: [push, pull_request]
    x: &a {{uses: actions/cache@v4}}
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@{SHA} # v4.1.1
          - {{uses: "docker://alpine:3", with: {{a: 1}}}}
          - *a
          - run: |
              echo "uses: x@y"
          - uses: ./local
      call:
        uses: o/r/.github/workflows/w.yml@${{{{ inputs.ref }}}}
    ---
    runs: {{using: composite, steps: [{{uses: a/b@v1}}]}}
    """)


def check_never_raises(data: bytes) -> None:
    for path in (WF, "dir/action.yml"):
        for chosen in {v for v in LOADERS.values() if v is not None}:
            saved = github_yaml.LOADER
            github_yaml.LOADER = chosen
            try:
                refs = scan_file(path, data)
            finally:
                github_yaml.LOADER = saved
            assert isinstance(refs, list)
            for ref in refs:
                assert isinstance(ref, ActionRef)
                assert ref.line >= 1 and ref.column >= 1
                assert ref.verdict in ("pinned", "unpinned", "local", "unverifiable", "parse-error")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_workflow_text_never_raises_only_returns_findings(data: st.DataObject) -> None:
    text = bytearray(TEMPLATE)
    pieces = st.sampled_from(
        [b"\t", b"&a ", b"*a", b"<<: ", b"{", b"}", b"[", b"]", b"- ", b": ", b"'", b'"', b"#",
         b"\n", b"\r\n", b"\r", b"\xef\xbb\xbf", b"---\n", b"uses: ", b"${{", b"@", b"\x00",
         b"\xff", b"\xc2\x85", b"\xe2\x80\xa8", b"!!binary ", b"? ", b"|\n", b"%YAML 1.1\n"]
    )  # fmt: skip
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        if action == "insert":
            text[at:at] = data.draw(pieces)
        elif action == "delete":
            text[at : at + data.draw(st.integers(1, 20))] = b""
        else:
            text[at : at + 1] = data.draw(st.binary(min_size=1, max_size=3))
    check_never_raises(bytes(text))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("jobs:steps-uses@ab/./\t\n\r {}[],&*!|>'\"#%?~\\\x85é\ufeff$")
        ),
        max_size=200,
    )
)
def test_random_yaml_like_text_never_raises_only_returns_findings(text: str) -> None:
    check_never_raises(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_only_return_findings(data: bytes) -> None:
    check_never_raises(data)


# --------------------------------------------------------------------------- which files

PATHS = [
    (".github/workflows/ci.yml", True),
    (".github/workflows/release.yaml", True),
    (".github/workflows/Upper.YML", True),
    ("./.github/workflows/dot.yml", True),
    (".github/workflows/sub/nested.yml", False),
    (".github/workflows/readme.md", False),
    (".github/workflow/ci.yml", False),
    ("action.yml", True),
    ("action.yaml", True),
    ("actions/setup/action.yml", True),
    ("deep/er/action.yaml", True),
    ("my-action.yml", False),
    ("Action.yml", False),
    ("docs/ci.yml", False),
]


@pytest.mark.parametrize(("path", "scanned"), PATHS)
def test_workflow_paths_selects_workflows_and_action_files(path: str, scanned: bool) -> None:
    assert bool(workflow_paths([path])) is scanned


def test_workflow_paths_are_sorted_and_unique() -> None:
    tracked = ["b/action.yml", ".github/workflows/z.yml", "a.txt", ".github/workflows/a.yaml"]
    assert workflow_paths([*tracked, "./b/action.yml"]) == [
        ".github/workflows/a.yaml",
        ".github/workflows/z.yml",
        "b/action.yml",
    ]


# --------------------------------------------------------------------------- allowlist


@pytest.mark.parametrize(
    ("text", "patterns"),
    [
        ("", ()),
        ("  \n , \n", ()),
        ("my-org/*", ("my-org/*",)),
        ("actions/checkout, my-org/*", ("actions/checkout", "my-org/*")),
        ("actions/checkout\r\nmy-org/*\n", ("actions/checkout", "my-org/*")),
        ("actions/setup-*,*/cache, a/b.c_d-e", ("actions/setup-*", "*/cache", "a/b.c_d-e")),
        ("Actions/Checkout\nactions/checkout", ("Actions/Checkout",)),
        ("*/*", ("*/*",)),
    ],
)
def test_parse_allowlist_accepts_owner_repo_patterns(text: str, patterns: tuple[str, ...]) -> None:
    assert parse_allowlist(text) == patterns


@pytest.mark.parametrize(
    "text",
    [
        "actions",
        "actions/checkout@v4",
        "a/b/c",
        "a b/c",
        "actions/checkout my-org/*",
        "/checkout",
        "actions/",
        "own_er/repo",
        "a/..",
        "a/b?",
        "a/[bc]",
        "ünïcode/repo",
    ],
)
def test_parse_allowlist_rejects_garbage_naming_the_input_and_the_form(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_allowlist(text)
    assert caught.value.message.startswith("pin-allowlist: ")
    assert "accepted form" in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("owner_repo", "patterns", "matches"),
    [
        ("actions/checkout", ("actions/checkout",), True),
        ("Actions/CheckOut", ("actions/checkout",), True),
        ("actions/checkout", ("ACTIONS/*",), True),
        ("my-org/anything", ("my-org/*",), True),
        ("my-org-evil/x", ("my-org/*",), False),
        ("actions/checkout-evil", ("actions/checkout",), False),
        ("actions/setup-node", ("actions/setup-*",), True),
        ("a/b", ("*/*",), True),
        ("a/b", (), False),
        ("a.b/c", ("a*b/c",), True),
        ("axb/c", ("a.b/c",), False),
    ],
)
def test_allowlist_matches_ignoring_case_with_wildcards_inside_one_name(
    owner_repo: str, patterns: tuple[str, ...], matches: bool
) -> None:
    assert allowlist_matches(owner_repo, patterns) is matches


def test_scan_marks_allowlisted_references_and_sorts_across_files() -> None:
    wf = y(f"""\
        jobs:
          a:
            steps:
              - uses: My-Org/tool@main
              - uses: actions/checkout@v4
              - uses: my-org/other@${{{{ inputs.ref }}}}
              - uses: docker://my-org/img:1
              - uses: my-org/pinned@{SHA}
        """)
    action = b"runs:\n  using: composite\n  steps:\n    - uses: my-org/x@v1\n"
    allow = parse_allowlist("my-org/*")
    refs = scan([(WF, wf), ("a/action.yml", action)], allow)
    assert [(r.file, r.line, r.allowed) for r in refs] == [
        (WF, 4, True),
        (WF, 5, False),
        (WF, 6, True),
        (WF, 7, False),
        (WF, 8, True),
        ("a/action.yml", 4, True),
    ]


def test_parse_errors_and_local_actions_are_never_allowed() -> None:
    refs = scan(
        [(WF, b"jobs:\n  a:\n    steps:\n      - uses: ./x\n"), ("b.yml", b"a: [")], ("*/*",)
    )
    assert [r.allowed for r in refs] == [False, False]


def test_pin_summary_counts_verdicts_and_keeps_findings_that_matter() -> None:
    wf = y(f"""\
        jobs:
          a:
            steps:
              - uses: actions/checkout@{SHA}
              - uses: actions/cache@v4
              - uses: allowed/x@v1
              - uses: ./local
              - uses: a/b@${{{{ x }}}}
        """)
    refs = scan([(WF, wf), ("z.yml", b"a: 'unclosed")], ("allowed/*",))
    summary = PinSummary.of(refs)
    assert (summary.pinned, summary.unpinned, summary.local) == (1, 2, 1)
    assert (summary.unverifiable, summary.parse_errors, summary.allowed) == (1, 1, 1)
    assert summary.total == 6
    assert [(f.file, f.line) for f in summary.findings] == [(WF, 5), (WF, 8), ("z.yml", 1)]
    assert all(f.matters for f in summary.findings)


# --------------------------------------------------------------------------- for the API step


def ref_for(uses: str, comment: str = "") -> ActionRef:
    [ref] = scan_file(WF, f"jobs:\n  a:\n    steps:\n      - uses: '{uses}' {comment}\n".encode())
    return ref


@pytest.mark.parametrize(
    ("uses", "comment", "tag_sha", "mismatch"),
    [
        (f"a/b@{SHA}", "# v4.1.1", SHA, False),
        (f"a/b@{SHA}", "# v4.1.1", SHA.upper(), False),
        (f"a/b@{SHA}", "# v4.1.1", SHA2, True),
        (f"a/b@{SHA}", "", SHA2, False),
        (f"a/b@{SHA}", "# not a version", SHA2, False),
        ("a/b@v4", "# v4.1.1", SHA2, False),
    ],
)
def test_version_comment_mismatch_when_the_commented_tag_is_another_commit(
    uses: str, comment: str, tag_sha: str, mismatch: bool
) -> None:
    assert version_comment_mismatch(ref_for(uses, comment), tag_sha) is mismatch


def test_version_comment_mismatch_rejects_a_malformed_tag_sha() -> None:
    with pytest.raises(ValueError):
        version_comment_mismatch(ref_for(f"a/b@{SHA}", "# v1"), "v1")


@pytest.mark.parametrize(
    ("uses", "comment", "sha", "tag", "expected"),
    [
        ("actions/checkout@v4", "", SHA, None, f"actions/checkout@{SHA} # v4"),
        ("actions/checkout@v4", "", SHA.upper(), "v4.1.1", f"actions/checkout@{SHA} # v4.1.1"),
        ("github/codeql-action/init@v3", "", SHA, None, f"github/codeql-action/init@{SHA} # v3"),
        ("a/b@8f4b7f8", "# v2.0.0", SHA, None, f"a/b@{SHA} # v2.0.0"),
        ("a/b@8f4b7f8", "", SHA, None, f"a/b@{SHA}"),
        ("a/b@${{ x }}", "", SHA, "v1", f"a/b@{SHA} # v1"),
        ("docker://alpine:3.19", "", DIGEST, None, f"docker://alpine@{DIGEST} # 3.19"),
        ("docker://r:5000/img", "", DIGEST[7:], None, f"docker://r:5000/img@{DIGEST}"),
    ],
)
def test_suggestion_names_the_commit_and_the_tag_it_replaces(
    uses: str, comment: str, sha: str, tag: str | None, expected: str
) -> None:
    assert suggestion(ref_for(uses, comment), sha, tag) == expected


@pytest.mark.parametrize(
    ("uses", "sha"),
    [
        ("./local", SHA),
        ("${{ x }}", SHA),
        ("a/b@v1", "v1"),
        ("a/b@v1", SHA[:7]),
        ("docker://a", SHA),
    ],
)
def test_suggestion_refuses_what_cannot_be_pinned(uses: str, sha: str) -> None:
    with pytest.raises(ValueError):
        suggestion(ref_for(uses), sha)
