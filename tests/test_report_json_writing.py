"""report-json is written a piece at a time, its per-file lists a batch of entries at a time
(`result.Rows`), each batch by orjson where it writes what `json.dumps` writes: the bytes are
those of the document dumped whole by `json.dumps`."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covaction.compare import compare
from covaction.documents import result
from covaction.documents.baseline import Baseline
from covaction.edges.workspace import Workspace
from covaction.model import Counts, CoverageReport, FileCoverage
from covaction.stages import uploads
from tests.fork_results import (
    GAPS_HITS,
    doc_of,
    github,
    joined_case,
    make_case,
    settings,
    verdict_of,
)

FILES = 4_321  # more than two batches of the writer's 2,000 entries


def large_case() -> tuple[dict[str, object], int]:
    """A document of a coverage.py report with FILES files (some with missed lines the comment
    joins), a baseline missing some of them and holding one deleted file."""
    files = [
        FileCoverage.from_mappings(
            f"pkg{n % 17}/mod_{n}.py", GAPS_HITS if n % 5 == 0 else {1: 1, 2: n % 3, 3: 0}
        )
        for n in range(FILES)
    ]
    report = CoverageReport(
        files={f.path: f for f in files},
        has_branches=False,
        formats=("cobertura",),
        sources=("coverage.xml",),
        producers=("coverage.py",),
    )
    base_files = {f.path: Counts(3, 2) for f in files[::3]} | {"gone.py": Counts(4, 4)}
    baseline = Baseline(
        "b" * 40, "main", "2026-11-20T08:00:00Z", "coverage", "0.1.0", False, base_files, (), "1"
    )
    c = compare(report, baseline, None, "the base commit")
    s = settings()
    doc = result.document(
        settings=s, comparison=c, verdict=verdict_of(s, c, 0, ""), refs=(), suggestions={},
        github=github(), comment_url="",
    )  # fmt: skip
    return doc, len(base_files)


def test_report_json_is_the_document_dumped_whole(tmp_path: Path) -> None:
    doc, _ = large_case()
    rel = uploads.write_report_json(
        SimpleNamespace(report_json="out/result.json"),  # type: ignore[arg-type]
        Workspace(tmp_path),
        doc,
    )
    written = (tmp_path / rel).read_bytes()
    oracle = json.dumps(doc, separators=(",", ":"), default=result.listed).encode("ascii")
    assert written == oracle + b"\n"
    assert result.dumps(doc) == oracle
    data = json.loads(written)
    files = data["coverage"]["files"]
    assert [f["path"] for f in files] == sorted(f["path"] for f in files)
    assert len(files) == FILES
    joined = [f for f in files if "missing_joins" in f]
    assert len(joined) == len(range(0, FILES, 5))
    assert {(f["missing"], f["missing_joins"]) for f in joined} == {("4, 7-8, 11-12, 14-15", "101")}
    compared = data["comparison"]["files"]
    assert len(compared) == FILES + 1
    assert compared[-1]["path"] == "gone.py"
    assert (compared[-1]["status"], compared[-1]["percent"]) == ("deleted", None)
    assert compared[-1]["base"]["covered_lines"] == 4
    assert sum(f["status"] == "new" for f in compared) == FILES - len(range(0, FILES, 3))


GOLDEN = Path(__file__).parent / "fixtures" / "documents" / "result-before-streaming.json"


def test_the_documents_are_those_written_before_they_were_streamed() -> None:
    """The result documents of three cases, each entry made as it is written (`result.Rows`),
    hold what covaction wrote before (commit d0b7f25, which built every entry at once): the
    golden file is that commit's `doc_of` of the same cases, its version left out."""
    cases = {
        "make_case": make_case(),
        "no_baseline": make_case(baseline=False),
        "joined": joined_case(),
    }
    now = {}
    for name, case in cases.items():
        doc = doc_of(case)
        doc.pop("covaction")
        now[name] = doc
    assert now == json.loads(GOLDEN.read_text())


# Every value a result document can hold, and some it cannot (keys that are not text, integers
# past 64 bits): text with any character (non-ASCII, controls, lone surrogates), integers of any
# size, None, booleans, nested lists and objects.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(),
    st.text(alphabet=st.characters(codec="ascii")),
    st.sampled_from(["\ud800", "a\udcff/b", "\u2028", "\x7f", "\x00\x1f", "é/ß.py", "💥"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(st.text(max_size=8), inner, max_size=6),
        st.dictionaries(st.integers(0, 9), inner, min_size=1, max_size=3),
    ),
    max_leaves=30,
)


@given(VALUES)
def test_compact_writes_what_json_dumps_writes(value: Any) -> None:
    assert result.compact(value) == json.dumps(value, separators=(",", ":"))


@given(st.lists(VALUES, max_size=12), st.integers(1, 5))
def test_the_pieces_join_to_what_json_dumps_writes(items: list[Any], batch: int) -> None:
    doc = {"a": items, "b": {"c": items, "d": None}, "e": []}
    joined = "".join(result.json_pieces(doc, batch))
    assert joined == json.dumps(doc, separators=(",", ":"))


def test_a_result_document_holds_no_float() -> None:
    """The one kind of value orjson writes otherwise (`1e16` for `1e+16`) never occurs."""
    doc, _ = large_case()
    seen = json.loads(result.dumps(doc), parse_float=lambda text: pytest.fail(text))
    assert seen["coverage"]["files"]
    for case in (make_case(), make_case(baseline=False), joined_case()):
        json.loads(result.dumps(doc_of(case)), parse_float=lambda text: pytest.fail(text))
