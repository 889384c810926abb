"""report-json is written a piece at a time, its per-file lists a batch of entries at a time
(`result.Rows`): the bytes are those of the document dumped whole."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

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
    assert written == result.dumps(doc) + b"\n"
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
