"""The baseline format, the comparison against it, and the artifact unpacking rules (pure)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from covaction import formats, paths
from covaction.compare import compare
from covaction.documents import baseline as b
from covaction.documents.baseline import artifact_name, member_names
from covaction.edges.artifact_download import Download, UnpackError, unpack
from covaction.model import Counts, CoverageReport, FileCoverage

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SHA = "a0" * 20
REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def report(
    files: dict[str, tuple[int, int]], branches: dict[str, tuple[int, int]] | None = None
) -> CoverageReport:
    """Files as (statements, covered); optional (branches, covered branches) on line 1."""
    out = {}
    for path, (statements, covered) in files.items():
        hits = {n: (1 if n <= covered else 0) for n in range(1, statements + 1)}
        br = None
        if branches and path in branches:
            total, hit = branches[path]
            br = {1: (hit, total)}
        out[path] = FileCoverage.from_mappings(path, hits, br)
    return CoverageReport(files=out, has_branches=bool(branches))


def made(
    files: dict[str, tuple[int, int]],
    *,
    previous: b.Baseline | None = None,
    commit: str = SHA,
    **kw: Any,
) -> b.Baseline:
    return b.build(
        report(files, **kw),
        commit=commit,
        branch="main",
        report_name="coverage",
        now=NOW,
        previous=previous,
        run_id="42",
    )


def doc(**changes: Any) -> bytes:
    """A valid v1 document with some keys replaced (None removes one)."""
    base = json.loads(b.dumps(made({"a.py": (10, 7)})))
    for key, value in changes.items():
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return json.dumps(base).encode()


# ----------------------------------------------------------------------------- the format


def test_round_trip_keeps_everything() -> None:
    first = made({"src/a.py": (10, 7), "src/b.py": (3, 3)}, branches={"src/a.py": (4, 1)})
    again = b.loads_baseline(b.dumps(first), "t")
    assert again == first
    assert again.counts == Counts(13, 10, 4, 1) and again.has_branches
    assert again.trend == (b.TrendPoint(SHA, "2026-11-21T12:00:00Z", Counts(13, 10, 4, 1)),)


def test_units_metric_and_unplaced_files_are_kept_so_every_metric_compares() -> None:
    """A real Go profile counts statements (units): the baseline stores them with the metric,
    and keeps files placed nowhere in the repository, which count in the producer's total."""
    profile = (REAL / "go" / "set.out").read_bytes()
    parsed = formats.parse("go", [profile], "set.out")
    rep = paths.map_reports([parsed], paths.PathMapper("/nowhere", [], exists=lambda p: False))
    assert rep.metric == "statements" and not rep.files and rep.unplaced
    base = b.build(rep, commit=SHA, branch="main", report_name="coverage", now=NOW, previous=None)
    back = b.loads_baseline(b.dumps(base), "baseline.json")
    assert back.metric == "statements" and set(back.files) == set(rep.unplaced)
    assert back.counts.with_metric("statements").percent == rep.counts.percent
    assert back.counts.units > 0 and all(
        len(v) == 6 for v in json.loads(b.dumps(base))["files"].values()
    )


def test_a_baseline_with_four_counts_from_before_units_reads_as_lines_and_branches() -> None:
    data = doc(files={"a.py": [10, 7, 0, 0]}, totals=[10, 7, 0, 0], trend=[])
    loaded = b.loads_baseline(data, "old.json")
    assert loaded.metric == "" and loaded.files["a.py"] == Counts(10, 7)


def test_dumps_is_deterministic_and_ascii() -> None:
    x = made({"z/ü.py": (2, 1), "a.py": (1, 1)})
    data = b.dumps(x)
    assert data == b.dumps(b.loads_baseline(data, "t"))
    assert data.isascii()
    assert list(json.loads(data)["files"]) == ["a.py", "z/ü.py"]


def test_a_document_from_an_older_writer_with_only_the_required_keys_loads() -> None:
    minimal = {"schema": "covaction-baseline", "version": 1, "created_at": "2026-01-02T03:04:05Z",
               "files": {"a.py": [4, 2, 0, 0]}}  # fmt: skip
    loaded = b.loads_baseline(json.dumps(minimal).encode(), "old")
    assert loaded.counts == Counts(4, 2) and loaded.trend == () and loaded.commit == ""
    assert loaded.has_branches is False and loaded.run_id == ""


def test_keys_a_later_writer_adds_are_ignored() -> None:
    loaded = b.loads_baseline(doc(future={"anything": [1, 2]}, sources=["x"]), "t")
    assert loaded.counts == Counts(10, 7)


def test_a_newer_version_is_refused_with_the_way_out() -> None:
    with pytest.raises(
        b.BaselineError, match=r"version 2 is newer than covaction .* update covaction"
    ):
        b.loads_baseline(doc(version=2), "artifact 1")


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xff\xfe{", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b'{"schema": "covaction-baseline", "version": NaN}', "not valid JSON"),
        (
            b'{"schema": "covaction-baseline", "schema": "covaction-baseline", "version": 1}',
            "duplicate key",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "not a covaction baseline|nests too deeply"),
        (b"[]", "not a covaction baseline"),
        (doc(schema="coverage"), "not a covaction baseline"),
        (doc(version=None), "no valid version"),
        (doc(version="1"), "no valid version"),
        (doc(version=0), "no valid version"),
        (doc(version=True), "no valid version"),
        (doc(files=[]), "files must be an object"),
        (doc(files={"a.py": [1, 2, 3]}), "the counts of `a.py` must be six counts"),
        (doc(files={"a.py": [1, -1, 0, 0]}), "six counts"),
        (doc(files={"a.py": [1, 2, 0, 0]}), "six counts"),  # more covered than coverable
        (doc(files={"a.py": [4, 2, 1, 3]}), "six counts"),
        (doc(files={"a.py": [4, 2.0, 0, 0]}), "six counts"),
        (doc(files={"a.py": [4, True, 0, 0]}), "six counts"),
        (doc(files={"a.py": [10**12, 1, 0, 0]}), "six counts"),
        (doc(files={"a.py": [4, 2, 0, 0, 3, 4]}), "six counts"),  # more covered units
        (doc(files={"a.py": [4, 2, 0, 0, 3]}), "six counts"),
        (doc(metric="lines-only"), "metric must be one of"),
        (doc(files={"": [1, 1, 0, 0]}), "file path is empty"),
        (doc(files={"a\u0000.py": [1, 1, 0, 0]}), "NUL"),
        (doc(totals=[11, 7, 0, 0]), "totals do not add up"),
        (doc(totals=[11, 7, 0]), "totals must be six counts"),
        (doc(commit="main"), "full lowercase commit SHA"),
        (doc(commit="A0" * 20), "full lowercase commit SHA"),
        (doc(created_at=None), "has no created_at"),
        (doc(created_at="yesterday"), "ISO 8601"),
        (doc(created_at="2026-11-21T12:00:00"), "ISO 8601"),  # no zone
        (doc(branch="main\n::error::x"), "one-line string"),
        (doc(branch=["main"]), "one-line string"),
        (doc(has_branches="yes"), "has_branches"),
        (doc(run_id={"id": 1}), "run_id"),
        (doc(run_id="12; rm"), "run_id"),
        (doc(trend={}), "trend must be a list"),
        (doc(trend=[[1]]), "trend point must be an object"),
        (doc(trend=[{"commit": SHA, "time": "noon", "counts": [1, 1, 0, 0]}]), "ISO 8601"),
        (
            doc(trend=[{"commit": "x", "time": "2026-11-21T12:00:00Z", "counts": [1, 1, 0, 0]}]),
            "commit SHA",
        ),
        (
            doc(trend=[{"commit": SHA, "time": "2026-11-21T12:00:00Z", "counts": [1, 2, 0, 0]}]),
            "six counts",
        ),
    ],
)
def test_strict_validation_refuses_with_one_line(data: bytes, fragment: str) -> None:
    with pytest.raises(b.BaselineError, match=fragment) as caught:
        b.loads_baseline(data, "artifact 7")
    assert "\n" not in str(caught.value) and str(caught.value).startswith("artifact 7: ")


def test_an_oversized_document_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(b, "MAX_BYTES", 100)
    with pytest.raises(b.BaselineError, match="over 0 MiB"):
        b.loads_baseline(b" " * 101, "t")


def test_an_integer_run_id_from_another_writer_is_read_as_text() -> None:
    assert b.loads_baseline(doc(run_id=9000000001), "t").run_id == "9000000001"


@pytest.mark.parametrize(
    ("age", "text"),
    [(timedelta(seconds=30), "just made"), (timedelta(minutes=1), "1 minute old"), (timedelta(hours=3, minutes=59), "3 hours old"),
     (timedelta(days=1, hours=23), "1 day old"), (timedelta(days=40), "40 days old"), (-timedelta(hours=1), "just made")],
)  # fmt: skip
def test_age_is_the_largest_whole_unit(age: timedelta, text: str) -> None:
    x = made({"a.py": (1, 1)})
    assert x.age(NOW + age) == text


# ----------------------------------------------------------------------------- the trend


def test_the_trend_is_carried_forward_and_ends_with_this_run() -> None:
    first = made({"a.py": (10, 5)}, commit="01" * 20)
    second = made({"a.py": (10, 6)}, commit="02" * 20, previous=first)
    third = made(
        {"a.py": (10, 7)}, commit="03" * 20, previous=b.loads_baseline(b.dumps(second), "t")
    )
    assert [p.commit for p in third.trend] == ["01" * 20, "02" * 20, "03" * 20]
    assert [p.percent for p in third.trend] == ["50.00", "60.00", "70.00"]


def test_the_trend_keeps_the_last_50_points() -> None:
    x = made({"a.py": (10, 5)}, commit=f"{0:040x}")
    for i in range(1, 60):
        x = made({"a.py": (10, 5)}, commit=f"{i:040x}", previous=x)
    assert len(x.trend) == b.TREND_POINTS == 50
    assert x.trend[0].commit == f"{10:040x}" and x.trend[-1].commit == f"{59:040x}"


def test_a_rerun_of_the_same_commit_replaces_its_point() -> None:
    first = made({"a.py": (10, 5)}, commit="01" * 20)
    rerun = made({"a.py": (10, 6)}, commit="01" * 20, previous=first)
    assert [(p.commit, p.percent) for p in rerun.trend] == [("01" * 20, "60.00")]


def test_a_long_trend_from_elsewhere_is_read_to_its_last_50() -> None:
    points = [
        {"commit": f"{i:040x}", "time": "2026-11-21T12:00:00Z", "counts": [10, i % 10, 0, 0]}
        for i in range(80)
    ]
    loaded = b.loads_baseline(doc(trend=points), "t")
    assert len(loaded.trend) == 50 and loaded.trend[0].commit == f"{30:040x}"


# ----------------------------------------------------------------------------- comparing


def test_deltas_per_file_with_new_and_deleted_files() -> None:
    base = made({"pkg/a.py": (10, 5), "pkg/gone.py": (4, 4), "old/x.py": (2, 1)})
    now = report({"pkg/a.py": (10, 8), "new/b.py": (5, 0)})
    c = compare(now, base, None, "note")
    rows = {r.path: r for r in c.files}
    assert rows["pkg/a.py"].status == "" and rows["pkg/a.py"].delta == Fraction(30)
    assert rows["new/b.py"].status == "new" and rows["new/b.py"].delta is None
    assert [(r.path, r.status, r.delta) for r in c.deleted] == [
        ("old/x.py", "deleted", None),
        ("pkg/gone.py", "deleted", None),
    ]
    # Totals, exactly: 8/15 now against 10/16 before.
    assert c.delta == Fraction(800, 15) - Fraction(1000, 16)
    assert c.baseline_note == "note"


def test_folder_deltas_count_deleted_files_and_leave_new_or_emptied_folders_blank() -> None:
    base = made({"pkg/a.py": (10, 5), "pkg/gone.py": (10, 10), "old/x.py": (2, 1)})
    now = report({"pkg/a.py": (10, 8), "new/b.py": (5, 0)})
    dirs = {d.path: d for d in compare(now, base, None).directories}
    assert dirs["pkg"].base == Counts(20, 15) and dirs["pkg"].delta == Fraction(80) - Fraction(75)
    assert dirs["new"].base is None and dirs["new"].delta is None  # not an empty "100%" before
    assert dirs["old"].files == 0 and dirs["old"].delta is None  # all its files were deleted


def test_without_a_baseline_nothing_is_new_and_nothing_has_a_delta() -> None:
    c = compare(report({"a.py": (4, 2)}), None, None, "no baseline")
    assert c.delta is None and c.base_counts is None and c.deleted == ()
    assert [(r.status, r.delta) for r in c.files] == [("", None)]
    assert [d.delta for d in c.directories] == [None]


def test_a_baseline_with_branches_is_read_on_lines_for_a_run_without_them() -> None:
    base = made({"a.py": (10, 8)}, branches={"a.py": (10, 0)})  # 8/20 = 40% with branches
    c = compare(report({"a.py": (10, 8)}), base, None, "the base commit")
    assert c.base_counts == Counts(10, 8) and c.delta == 0
    assert c.baseline_note == "the base commit; compared on lines: this run measured no branches"


# ----------------------------------------------------------------------------- artifact names and zips


def test_artifact_names_per_report_fit_the_service_limit() -> None:
    assert artifact_name("covaction-baseline", "coverage") == "covaction-baseline"
    assert artifact_name("covaction-baseline", "api") == "covaction-baseline-api"
    long = artifact_name("b" * 64, "r" * 64)
    assert len(long) == 100 and long == artifact_name("b" * 64, "r" * 64)
    assert long != artifact_name("b" * 64, "r" * 63 + "s")


def _zip(*entries: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ((("baseline.json", b"1"), ("api/baseline.json", b"2")), b"1"),
        (
            (("api/baseline.json", b"2"), ("web/baseline.json", b"3")),
            b"2",
        ),  # the whole .covaction folder
        ((("covaction-baseline-api.json", b"4"),), b"4"),
        ((("renamed.json", b"5"), ("README.txt", b"")), b"5"),
    ],
)
def test_the_expected_member_is_chosen(
    entries: tuple[tuple[str, bytes], ...], expected: bytes
) -> None:
    assert unpack(Download(_zip(*entries), True), member_names("api")) == expected


def test_two_candidate_files_and_no_expected_name_are_refused() -> None:
    with pytest.raises(UnpackError, match=r"does not hold one baseline\.json"):
        unpack(Download(_zip(("a.json", b"1"), ("b.json", b"2")), True), member_names("coverage"))


def test_an_unarchived_file_is_the_document_itself() -> None:
    assert (
        unpack(Download(b'{"x": 1}', False, "baseline.json"), member_names("coverage"))
        == b'{"x": 1}'
    )


def test_too_many_entries_are_refused() -> None:
    entries = tuple((f"f{i}.txt", b"") for i in range(17))
    with pytest.raises(UnpackError, match="17 entries"):
        unpack(Download(_zip(*entries), True), member_names("coverage"))


def test_unsupported_compression_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("baseline.json", b"{}")
    with pytest.raises(UnpackError, match="unsupported compression"):
        unpack(Download(buffer.getvalue(), True), member_names("coverage"))


def test_a_run_with_branches_is_read_on_lines_against_a_baseline_without_them() -> None:
    base = made({"a.py": (10, 8)})
    now = report({"a.py": (10, 8)}, branches={"a.py": (10, 0)})  # 8/20 = 40% with branches
    c = compare(now, base, None, "")
    assert c.counts == Counts(10, 8, 10, 0)  # the total gate still sees everything
    assert c.compared_counts == Counts(10, 8) and c.delta == 0
    assert c.baseline_note == "compared on lines: the baseline measured no branches"
