"""Property tests over every parser of outside input: nothing but covaction's own errors escape.

Each parser takes bytes a pull request's author controls. For random bytes, for structured
documents of the right shape with hostile values, and for real reports mutated byte by byte
(flips, insertions, deletions, splices, duplicated spans), the parser either returns its value
or raises a `CovactionError` subclass, the one-line errors `main` turns into `::error::` and
exit 2. Anything else (IndexError, KeyError, RecursionError, UnicodeError, ...) would reach the
log as an "internal error". The streaming parsers also must not depend on where the stream is
cut into chunks.

`max_examples` stays moderate so the file runs in CI in well under a minute; run more by hand:

    COVACTION_FUZZ_EXAMPLES=5000 python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covaction import changed_lines, github_context
from covaction.documents import baseline, result, result_reader
from covaction.errors import CovactionError
from covaction.formats import clover, cobertura, coverage_json, gocover, jacoco, lcov
from covaction.pins import workflows
from covaction.render import markdown
from covaction.stages import workflow_run_comment
from tests.fork_results import doc_of, joined_case
from tests.fuzzing import (
    JSON_VALUE,
    TOKENS,
    chunked,
    edited_json,
    fuzz,
    mutated,
    outcome,
    shape,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "more"


def _read(rel: str) -> bytes:
    return (FIXTURES / rel).read_bytes()


COBERTURA_SEED = b"""<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage version="7.6" line-rate="0.5" branch-rate="0.5" lines-valid="4" lines-covered="2">
  <sources><source>/home/runner/work/x/x</source><source>src</source></sources>
  <packages><package name="pkg" line-rate="0.5">
    <classes>
      <class name="a.py" filename="pkg/a.py" line-rate="0.5">
        <methods><method name="f"><lines><line number="1" hits="1"/></lines></method></methods>
        <lines>
          <line number="1" hits="1"/>
          <line number="2" hits="0" branch="true" condition-coverage="50% (1/2)" missing-branches="4"/>
          <line number="3" hits="2.0"/>
        </lines>
      </class>
      <class name="a2" filename="pkg/a.py"><lines><line number="2" hits="5"/></lines></class>
    </classes>
  </package></packages>
</coverage>
"""
JSON_SEED = json.dumps(
    {
        "meta": {"version": "7.6.1", "branch_coverage": True, "show_contexts": False},
        "files": {
            "pkg/a.py": {
                "executed_lines": [1, 2, 4],
                "missing_lines": [3],
                "excluded_lines": [],
                "executed_branches": [[2, 3], [4, -1]],
                "missing_branches": [[2, 4]],
                "summary": {"covered_lines": 3, "num_statements": 4},
            },
        },
        "totals": {"covered_lines": 3, "num_statements": 4, "percent_covered": 75.0},
    }
).encode()
LCOV_SEED = b"TN:unit\nSF:/src/a.c\nFN:1,main\nFNDA:1,main\nDA:1,1\nDA:2,0,abcd\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nLF:2\nLH:1\nend_of_record\nSF:b.c\nDA:3,5\nend_of_record\n"
GO_SEED = b"mode: atomic\nexample.com/m/a.go:3.14,5.2 2 1\nexample.com/m/a.go:5.2,7.3 1 0\nexample.com/m/b/b.go:1.1,1.30 1 3\n"
SEEDS: dict[str, list[bytes]] = {
    "cobertura": [COBERTURA_SEED],
    "coverage-json": [JSON_SEED],
    "lcov": [LCOV_SEED, _read("c/unit.info"), _read("js/unit.info")],
    "go": [GO_SEED, _read("go/unit.out")],
    "jacoco": [_read("jacoco/report.xml")[:20_000]],
    "clover": [
        _read("clover/openclover.xml")[:20_000],
        _read("clover/phpunit.xml")[:20_000],
        _read("js/clover.xml")[:20_000],
    ],
}
PARSERS: dict[str, Callable[[Iterable[bytes], str], Any]] = {
    "cobertura": cobertura.parse,
    "coverage-json": coverage_json.parse,
    "lcov": lcov.parse,
    "go": gocover.parse,
    "jacoco": jacoco.parse,
    "clover": clover.parse,
}
STREAMING = ("cobertura", "lcov", "go", "jacoco", "clover")


def report_inputs(fmt: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=2000),
        mutated(SEEDS[fmt]),
        st.lists(st.sampled_from(TOKENS), max_size=60).map(b"".join),
    )


# ---------------------------------------------------------------------------------- reports


@pytest.mark.parametrize("fmt", sorted(PARSERS))
@fuzz
@given(draw=st.data(), cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_report_parsers_raise_only_their_own_errors(
    fmt: str, draw: st.DataObject, cuts: list[int]
) -> None:
    parse = PARSERS[fmt]
    data = draw.draw(report_inputs(fmt), label="data")
    whole = outcome(lambda: parse([data], "fuzz.report"))
    if fmt in STREAMING:
        # Where the stream is cut must not matter to the result.
        pieces = outcome(lambda: parse(iter(chunked(data, cuts)), "fuzz.report"))
        if isinstance(whole, type) or isinstance(pieces, type):
            assert isinstance(whole, type) and isinstance(pieces, type), (whole, pieces)
        else:
            assert shape(whole) == shape(pieces)


def test_seeds_parse() -> None:
    """The unmutated seeds are valid, so mutations start from the parsers' happy path."""
    for fmt, seeds in SEEDS.items():
        for seed in seeds:
            if fmt in ("jacoco", "clover") and len(seed) == 20_000:
                continue  # truncated to keep mutations fast
            assert PARSERS[fmt]([seed], "seed").files, fmt


COBERTURA_FOUND = [
    # Found by this file with 20,000 examples: hits past 64 bits overflowed the line array,
    # and an attribute *value* "number" was taken for the `number` key.
    (b'<line number="1" hits=" 9999999999999999999    "/>', [(1, True)], []),
    (
        b'<line foo="number" number="5" hits="1" branch="true" condition-coverage="50% (1/2)"/>',
        [(5, True)],
        [5],
    ),
    (
        b'<line number="5" hits="99999999999999999999999" branch="true" condition-coverage="(1/2)"/>',
        [(5, True)],
        [5],
    ),
]


@pytest.mark.parametrize("line, lines, branch_lines", COBERTURA_FOUND)
def test_cobertura_regressions(
    line: bytes, lines: list[tuple[int, bool]], branch_lines: list[int]
) -> None:
    doc = (
        b'<coverage><packages><package><classes><class filename="a.py"><lines>'
        + line
        + b"</lines></class></classes></package></packages></coverage>"
    )
    [f] = cobertura.parse([doc], "coverage.xml").files
    assert [(n, h > 0) for n, h in zip(f.lines, f.hits, strict=True)] == lines
    assert list(f.branch_lines) == branch_lines


LINE_LIST = st.lists(
    st.one_of(st.integers(-5, 2**40), st.floats(), st.text(max_size=2), st.none()), max_size=6
)
ARC_LIST = st.lists(
    st.lists(st.one_of(st.integers(-(2**40), 2**40), st.none()), max_size=3), max_size=6
)


@st.composite
def coverage_json_document(draw: st.DrawFn) -> bytes:
    """The right keys with hostile values (types, ranges, NaN, huge numbers)."""
    files = draw(
        st.dictionaries(
            st.text(max_size=10),
            st.one_of(
                JSON_VALUE,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "executed_lines": st.one_of(LINE_LIST, JSON_VALUE),
                        "missing_lines": LINE_LIST,
                        "executed_branches": st.one_of(ARC_LIST, JSON_VALUE),
                        "missing_branches": ARC_LIST,
                    },
                ),
            ),
            max_size=4,
        )
    )
    doc: dict[str, Any] = {
        "meta": draw(st.one_of(JSON_VALUE, st.just({"branch_coverage": True}))),
        "files": files,
    }
    return json.dumps(doc, allow_nan=True).encode()


@fuzz
@given(coverage_json_document())
def test_coverage_json_structured(data: bytes) -> None:
    outcome(lambda: coverage_json.parse([data], "coverage.json"))


@st.composite
def cobertura_document(draw: st.DrawFn) -> bytes:
    """Cobertura's elements with hostile attribute values."""
    value = st.one_of(
        st.sampled_from(
            [
                "0",
                "1",
                "-1",
                "1.5",
                "1e3",
                "nan",
                "inf",
                "",
                " 7 ",
                "2147483648",
                "9" * 40,
                "50% (1/2)",
                "(3/0)",
                "x",
            ]
        ),
        st.text(max_size=6),
    )
    attr_name = st.sampled_from(
        ["number", "hits", "branch", "condition-coverage", "filename", "name", "x"]
    )
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        attrs = draw(st.dictionaries(attr_name, value, max_size=5))
        body = " ".join(f'{k}="{_xml_attr(v)}"' for k, v in attrs.items())
        lines.append(f"<line {body}/>")
    classes = []
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.one_of(st.none(), st.text(max_size=8)))
        fn = "" if name is None else f' filename="{_xml_attr(name)}"'
        methods = (
            "<methods><method><lines><line number='1' hits='1'/></lines></method></methods>"
            if draw(st.booleans())
            else ""
        )
        classes.append(f"<class{fn}>{methods}<lines>{''.join(lines)}</lines></class>")
    root = draw(st.sampled_from(["coverage", "coverage", "report", "x"]))
    text = f"<{root}><sources><source>{_xml_attr(draw(st.text(max_size=8)))}</source></sources><packages><package><classes>{''.join(classes)}</classes></package></packages></{root}>"
    return text.encode("utf-8", "surrogatepass")


def _xml_attr(v: str) -> str:
    return "".join(c if c.isprintable() and c not in '<&"' else f"&#{ord(c)};" for c in v)


@fuzz
@given(cobertura_document())
def test_cobertura_structured(data: bytes) -> None:
    outcome(lambda: cobertura.parse([data], "coverage.xml"))


# ---------------------------------------------------------------------------------- diffs

DIFF_SEED = (
    b"diff --git a/pkg/a.py b/pkg/a.py\nindex 1111111..2222222 100644\n--- a/pkg/a.py\n+++ b/pkg/a.py\n"
    b"@@ -1,3 +1,4 @@\n x = 1\n-y = 2\n+y = 3\n+z = 4\n w = 5\n"
    b"diff --git a/old.py b/new.py\nsimilarity index 90%\nrename from old.py\nrename to new.py\n"
    b'diff --git "a/sp ace\\t.py" "b/sp ace\\t.py"\nnew file mode 100644\n--- /dev/null\n+++ "b/sp ace\\t.py"\n@@ -0,0 +1 @@\n+q\n'
    b"diff --git a/bin.png b/bin.png\nBinary files a/bin.png and b/bin.png differ\n"
    b"--- a/plain.c\n+++ b/plain.c\n@@ -10 +10,2 @@ ctx\n-a\n+b\n+c\n\\ No newline at end of file\n"
)


@fuzz
@given(st.one_of(st.binary(max_size=1500), mutated([DIFF_SEED]), st.text(max_size=300)))
def test_unified_diff_raises_only_diff_errors(data: bytes | str) -> None:
    outcome(lambda: changed_lines.parse_unified_diff(data))


@fuzz
@given(
    hunks=st.lists(
        st.tuples(
            st.integers(0, 2**64),
            st.integers(0, 2**64),
            st.integers(0, 2**64),
            st.integers(0, 2**64),
        ),
        max_size=4,
    ),
    body=st.lists(
        st.sampled_from([" x", "+y", "-z", "\\ No newline at end of file", "", "@@", "+", "diff"]),
        max_size=20,
    ),
)
def test_unified_diff_absurd_hunks(hunks: list[tuple[int, int, int, int]], body: list[str]) -> None:
    text = "--- a/f.py\n+++ b/f.py\n" + "".join(
        f"@@ -{a},{b} +{c},{d} @@\n" + "\n".join(body) + "\n" for a, b, c, d in hunks
    )
    outcome(lambda: changed_lines.parse_unified_diff(text))


# ---------------------------------------------------------------------------------- workflows

WORKFLOW_SEED = b"""name: CI
on: [push, pull_request]
env: &env {A: 1}
jobs:
  test: &job
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4 # v4.1.1
      - uses: actions/setup-python@0a5c61591373683505ea898e09a3ea4f39ef2b9c
      - uses: ./local
      - uses: docker://alpine:3
      - uses: ${{ matrix.action }}
      - run: echo hi
  other:
    <<: *job
    uses: org/repo/.github/workflows/x.yml@main
"""
ACTION_SEED = b"""name: x
runs:
  using: composite
  steps:
    - uses: owner/repo/path@v1
    - uses: "owner/repo@'quoted'"
"""
YAML_TOKENS = [
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"? ",
    b"- ",
    b": ",
    b"|\n",
    b">-\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b"'",
    b'"',
    b"#",
    b"\t",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"%TAG ! x\n",
    b"uses: ",
    b"steps:\n",
    b"jobs:\n",
    b"@",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xff",
    b"\r",
]


@fuzz
@given(
    path=st.sampled_from([".github/workflows/ci.yml", "action.yml", "sub/action.yaml"]),
    data=st.one_of(
        st.binary(max_size=1000),
        mutated([WORKFLOW_SEED, ACTION_SEED]),
        st.lists(st.sampled_from([*YAML_TOKENS, b"x", b"\n", b"  "]), max_size=50).map(b"".join),
    ),
)
def test_pin_scan_never_raises(path: str, data: bytes) -> None:
    """A workflow that cannot be read is a finding; scan_file itself never raises."""
    refs = workflows.scan_file(path, data)
    assert all(r.file == path for r in refs)


# ---------------------------------------------------------------------------------- baselines

BASELINE_SEED = json.dumps(
    {
        "schema": "covaction-baseline",
        "version": 1,
        "commit": "a0" * 20,
        "branch": "main",
        "created_at": "2026-11-20T10:00:00Z",
        "report_name": "coverage",
        "covaction_version": "0.1.0",
        "has_branches": False,
        "totals": [4, 2, 0, 0],
        "files": {"pkg/a.py": [4, 2, 0, 0]},
        "trend": [{"commit": "b0" * 20, "time": "2026-11-19T10:00:00Z", "counts": [4, 1, 0, 0]}],
    }
).encode()


@fuzz
@given(
    st.one_of(
        st.binary(max_size=800),
        mutated([BASELINE_SEED]),
        st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join),
        JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    )
)
def test_baseline_raises_only_its_own_error(data: bytes) -> None:
    outcome(lambda: baseline.loads_baseline(data, "baseline.json"))


def test_baseline_seed_loads() -> None:
    """The seed is valid: mutations start from a real baseline (skipped if the format moved)."""
    try:
        baseline.loads_baseline(BASELINE_SEED, "seed")
    except CovactionError as exc:  # pragma: no cover - the format has moved on; fuzzing still runs
        pytest.skip(f"seed out of date: {exc}")


# ------------------------------------------------------------------------- the fork result

# A real result document: the bundled example's report-json (its quick-start run: diff,
# baseline, pin findings), with the context of a fork's pull-request run.
RESULT_SEED = (Path(__file__).resolve().parent / "fixtures" / "result-seed.json").read_bytes()


def _published(data: bytes) -> Any:
    """`mode: publish` on a stored document: read it, then render the comment, the summary and
    the outputs from what was read. A ResultError, or everything rendered."""
    got = outcome(lambda: result_reader.loads(data))
    if got is result_reader.ResultError:
        return got
    assert isinstance(got, result_reader.Stored)
    context = workflow_run_comment.render_context(
        SimpleNamespace(report_name="coverage", folder_depth=1),  # type: ignore[arg-type]
        SimpleNamespace(server_url="https://github.com", repository="o/r"),  # type: ignore[arg-type]
        got,
        workflow_run_comment.Trigger(1, "b0" * 20, "c/r", "pull_request", "success", ()),
    )
    markdown.render_comment(context)
    markdown.render_summary(context)
    result.outputs(got.comparison, got.verdict, got.pin_summary, "", "", got.pin_policy)
    return got


@fuzz
@given(
    st.one_of(
        st.binary(max_size=800),
        mutated([RESULT_SEED]),
        st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join),
        JSON_VALUE.map(lambda v: json.dumps(v).encode()),
    )
)
def test_the_fork_result_reader_raises_only_its_own_error(data: bytes) -> None:
    """`mode: publish` reads a document a fork's run wrote: hostile input, like every report."""
    _published(data)


@fuzz
@given(edited_json(RESULT_SEED))
def test_a_fork_result_with_wrong_values_is_refused_or_rendered(data: bytes) -> None:
    """Values of the right shape but wrong, inconsistent or of another type: the reader
    recomputes everything derived from what it reads, so whatever it accepts renders."""
    _published(data)


# A document whose file's missed lines a coverage.py comment joins (`producers`, `missing_joins`):
# the joins edited, mutated or moved are refused or rendered, never another error.
JOINED_SEED = result.dumps(doc_of(joined_case()))


@fuzz
@given(st.one_of(mutated([JOINED_SEED]), edited_json(JOINED_SEED)))
def test_a_fork_result_with_joined_runs_is_refused_or_rendered(data: bytes) -> None:
    _published(data)


def test_the_joined_seed_loads() -> None:
    """The seed's joins are read, so the mutations start from joined runs."""
    files = result_reader.loads(JOINED_SEED).comparison.report.files
    assert files["src/app/gaps.py"].missed_runs() == ((4, 8), (11, 15))


def test_the_result_seed_loads() -> None:
    """The seed is valid, so the mutations start from a real document."""
    stored = result_reader.loads(RESULT_SEED)
    assert stored.comparison.diff is not None and stored.comparison.baseline is not None


# ---------------------------------------------------------------------------------- context

ENV_KEYS = [
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_NAME",
    "GITHUB_REPOSITORY",
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_RUN_ID",
    "GITHUB_SHA",
    "GITHUB_REF",
]
ENV_VALUES = st.one_of(
    st.sampled_from(
        [
            "true",
            "pull_request",
            "pull_request_target",
            "push",
            "workflow_run",
            "schedule",
            "octo/widget",
            "https://api.github.com",
            "http://127.0.0.1:1",
            "refs/heads/main",
            "a0" * 20,
            "1",
        ]
    ),
    st.text(max_size=30),
)
PR_EVENT = {
    "number": 42,
    "pull_request": {
        "number": 42,
        "changed_files": 3,
        "base": {"ref": "main", "sha": "a0" * 20, "repo": {"full_name": "o/r"}},
        "head": {"ref": "f", "sha": "b0" * 20, "repo": {"full_name": "c/r", "fork": True}},
    },
    "repository": {"default_branch": "main"},
    "ref": "refs/heads/main",
    "after": "c0" * 20,
    "workflow_run": {"id": 1, "head_sha": "b0" * 20, "pull_requests": []},
}


@fuzz
@given(
    environ=st.dictionaries(st.sampled_from(ENV_KEYS), ENV_VALUES, max_size=len(ENV_KEYS)),
    event=st.one_of(
        st.none(),
        st.binary(max_size=300),
        mutated([json.dumps(PR_EVENT).encode()]),
        JSON_VALUE.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries({}, optional={k: JSON_VALUE for k in PR_EVENT}).map(
            lambda d: json.dumps(d).encode()
        ),
    ),
)
def test_context_never_raises(environ: dict[str, str], event: bytes | None) -> None:
    """Malformed runner values degrade to "not a pull request" with a note; never an exception."""
    ctx = github_context.from_environ(environ, event)
    if ctx.pull_request is not None:
        assert type(ctx.pull_request.number) is int and ctx.pull_request.number > 0
    for value in (ctx.repository, ctx.api_url, ctx.sha, ctx.push_branch, ctx.event_name):
        assert "\n" not in value and "\r" not in value
