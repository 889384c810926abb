"""Missing lines are shown as the producer's own report writes them: coverage.py's
`coverage report -m` joins missing statements across comments and blank lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TypeVar

import pytest
from coverage.results import format_lines
from hypothesis import given
from hypothesis import strategies as st

from covaction.diff_coverage import bounds_text, line_ranges, ranges_text
from covaction.missed import missed_flags
from covaction.model import FileCoverage
from covaction.render import parts
from tests.sample import measured_gaps

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The project with gaps, measured once: its root and the Missing cell `coverage report -m`
    prints for sample/gaps.py."""
    return measured_gaps(tmp_path_factory.mktemp("p"))


@pytest.mark.parametrize("report", ["coverage.xml", "coverage.json", ".coverage"])
def test_missing_lines_equal_coverage_report_m(
    tmp_path: Path, measured: tuple[Path, str], report: str
) -> None:
    root, expected = measured
    assert expected == "4-8, 12-15"  # joined across the blank line and the comments
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "--coverage-files", report,
         "--output", "summary", "--pin-policy", "off"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    [cell] = [line for line in r.stdout.splitlines() if line.startswith("| `sample/gaps.py`")]
    assert cell.rstrip(" |").endswith(f"`{expected}`"), cell


@pytest.mark.parametrize("producer", ["coverage.py", "unnamed"])
def test_the_tables_are_the_same_with_a_result_document_to_write(
    tmp_path: Path, measured: tuple[Path, str], producer: str
) -> None:
    """With report-json, the tables' Missing cells are cut from the document's missed lines
    (made first); they read as without it: coverage.py's runs, or a Cobertura whose producer
    is not named (its comment taken out), the plain ranges."""
    root, _ = measured
    xml = (root / "coverage.xml").read_text()
    if producer != "coverage.py":
        xml = re.sub(r"<!--.*?-->", "", xml, flags=re.S).replace(
            "<coverage version=", '<coverage version="unnamed" v='
        )
    (root / "plain.xml").write_text(xml)
    outputs = []
    for extra in ([], ["--report-json", "out.json"]):
        r = subprocess.run(
            [sys.executable, str(ROOT / "entrypoint.py"), "--coverage-files", "plain.xml",
             "--output", "summary", "--pin-policy", "off", *extra],
            cwd=root, capture_output=True, text=True, timeout=120,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )  # fmt: skip
        assert r.returncode == 0, r.stdout + r.stderr
        outputs.append(r.stdout)
    [cell] = [line for line in outputs[0].splitlines() if line.startswith("| `sample/gaps.py`")]
    assert cell.rstrip(" |").endswith(
        "`4-8, 12-15`" if producer == "coverage.py" else "`4, 7-8, 12, 14-15`"
    ), cell
    assert outputs[0] == outputs[1]


def statements_and(values: st.SearchStrategy[T]) -> st.SearchStrategy[tuple[list[int], list[T]]]:
    """Sorted statements (line numbers with gaps between some) and a value drawn for each."""
    return st.lists(st.integers(1, 60), unique=True, max_size=40).flatmap(
        lambda statements: st.tuples(
            st.just(sorted(statements)),
            st.lists(values, min_size=len(statements), max_size=len(statements)),
        )
    )


@given(statements_and(st.booleans()))
def test_missed_runs_are_coverage_pys_format_lines(case: tuple[list[int], list[bool]]) -> None:
    """`FileCoverage.missed_runs` joins missed statements as coverage.py's own
    `coverage.results.format_lines` (what `coverage report -m` prints) does, for any statements
    and any of them missed."""
    statements, covered = case
    fc = FileCoverage.from_mappings("m.py", {n: int(c) for n, c in zip(statements, covered)})
    missed = [n for n, c in zip(statements, covered) if not c]
    runs = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in fc.missed_runs())
    assert runs == format_lines(statements, missed)


@given(statements_and(st.booleans()))
def test_missed_joins_make_the_runs_of_the_plain_ranges(case: tuple[list[int], list[bool]]) -> None:
    """`FileCoverage.missed_joins` (report-json's `missing_joins`) says, per gap between two
    ranges of consecutive missed line numbers, whether `missed_runs` joins them: joining the
    ranges where it says "1" gives the runs."""
    statements, covered = case
    fc = FileCoverage.from_mappings("m.py", {n: int(c) for n, c in zip(statements, covered)})
    ranges = list(line_ranges(fc.missed_lines(), presorted=True))
    joins = fc.missed_joins()
    assert fc.missed_ranges() == (tuple(ranges), joins)
    assert len(joins) == max(len(ranges) - 1, 0)
    runs = ranges[:1]
    for join, (first, last) in zip(joins, ranges[1:]):
        runs[-1:] = [(runs[-1][0], last)] if join == "1" else [runs[-1], (first, last)]
    assert tuple(runs) == fc.missed_runs()


@given(
    st.lists(st.integers(1, 10_000_000), unique=True, max_size=60).map(sorted),
    st.integers(0, 120),
)
def test_a_cell_joins_only_the_runs_it_shows(ends: list[int], limit: int) -> None:
    """A table cell makes text of the first runs only, and shows what the whole text cut to
    `limit` characters shows."""
    runs = [(a, b) for a, b in zip(ends[0::2], ends[1::2])] + [(n, n) for n in ends[-1:]]
    whole = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
    assert parts.runs_cell(runs, limit) == parts.shortened_ranges(whole, limit)


@given(
    st.lists(st.integers(-30, 60), unique=True, max_size=40).flatmap(
        lambda ns: st.tuples(
            st.just(sorted(ns)), st.lists(st.booleans(), min_size=len(ns), max_size=len(ns))
        )
    ),
    st.integers(0, 120),
)
def test_a_cell_cut_from_the_documents_missing_text_is_the_cell_of_the_runs(
    case: tuple[list[int], list[bool]], limit: int
) -> None:
    """With a result document to write, every file's `missing` and `missing_joins` are made
    first (`parts.make_missing`), and a table cell is cut from them: the runs they give are
    `missed_runs`, negative and zero line numbers too, and the cell is the one made from the
    file's runs."""
    statements, covered = case
    fc = FileCoverage.from_mappings("m.py", {n: int(c) for n, c in zip(statements, covered)})
    text = bounds_text(*fc.missed_bounds(False)[:2])
    joins = fc.missed_joins()
    runs = list(parts.joined_ranges(text, joins))
    assert runs == [(str(a), str(b)) for a, b in fc.missed_runs()]
    assert parts.runs_cell(runs, limit) == parts.runs_cell(fc.iter_missed_runs(), limit)
    plain = list(parts.joined_ranges(text, "0" * len(joins)))
    assert plain == [(str(a), str(b)) for a, b in fc.missed_ranges()[0]]


@given(statements_and(st.sampled_from([0, 1, 2, 255, 256, 2**40, 2**63 - 1, -1])))
def test_missed_runs_found_one_at_a_time_are_the_runs(case: tuple[list[int], list[int]]) -> None:
    """`iter_missed_runs` and `iter_missed_ranges` (a table cell's few runs or ranges, found
    with byte searches) give exactly `missed_runs` and `missed_ranges`, whatever the counts: 0/1
    as the XML readers keep them (read from the counts' bytes), or any count (a 256 has a zero
    low byte, a -1 no zero byte)."""
    statements, hits = case
    fc = FileCoverage.from_mappings("m.py", dict(zip(statements, hits)))
    assert missed_flags(fc.hits) == bytes(h == 0 for h in hits)
    assert tuple(fc.iter_missed_runs()) == fc.missed_runs()
    assert tuple(fc.iter_missed_ranges()) == fc.missed_ranges()[0]


def test_a_missed_line_zero_is_a_range_like_any_other() -> None:
    # Line numbers start at 1 in every producer covaction reads, but a table cell must not
    # drop a range whatever the first missed line is.
    fc = FileCoverage.from_mappings("z.py", {0: 0, 1: 0, 3: 0, 4: 1, 5: 0})
    assert tuple(fc.iter_missed_ranges()) == fc.missed_ranges()[0] == ((0, 1), (3, 3), (5, 5))


@given(
    st.lists(
        st.one_of(
            st.integers(0, 50),
            st.integers(-5, 5),
            st.integers(2**63 - 3, 2**63 + 3),
            st.integers(0, 10_000_000),
        ),
        unique=True,
        max_size=40,
    )
)
def test_report_jsons_missing_text_is_the_ranges_text(lines: list[int]) -> None:
    """`bounds_text` (orjson and two replacements) writes what a range at a time writes."""
    ranges = line_ranges(sorted(lines), True)
    firsts, lasts = [a for a, _ in ranges], [b for _, b in ranges]
    assert bounds_text(firsts, lasts) == ranges_text(ranges)


def test_missing_text_of_a_file_is_written_from_its_bounds() -> None:
    f = FileCoverage.from_mappings("a.py", {n: n % 3 == 0 for n in range(0, 40)})
    firsts, lasts, _ = f.missed_bounds()
    assert (
        bounds_text(firsts, lasts)
        == "1-2, 4-5, 7-8, 10-11, 13-14, 16-17, 19-20, 22-23, 25-26, 28-29, 31-32, 34-35, 37-38"
    )
