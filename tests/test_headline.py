"""The headline is the figure the producer's own tool prints, on reports the real tools wrote.

Fixtures: tests/fixtures/real/<tool>/ holds a small program of ours (`project/`), the reports
the tool wrote for it, and COMMANDS.txt: every command `regenerate.sh` ran with what it printed.
Each expected number here is read from those printed lines (never typed in), and covaction's
headline must equal it: the exact counts where the tool prints them, else the percentage at the
tool's own precision and rounding.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from covaction import formats
from covaction.errors import InputError
from covaction.formats import gocover
from covaction.model import Counts, CoverageReport, ParsedReport, display_percent
from covaction.paths import PathMapper, map_reports

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def printed(tool: str, command: str, root: Path | None = None) -> str:
    """What the command (a substring of its `$ ...` line) printed, from COMMANDS.txt."""
    text = ((root or REAL) / tool / "COMMANDS.txt").read_text()
    blocks = re.split(r"^\$ ", text, flags=re.M)[1:]
    found = [b.split("\n", 1)[1] for b in blocks if command in b.split("\n", 1)[0]]
    assert len(found) == 1, (command, len(found))
    return found[0]


def tracked(tool: str, root: Path | None = None) -> list[str]:
    project = (root or REAL) / tool / "project"
    return sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())


def parsed(tool: str, name: str, root: Path | None = None) -> ParsedReport:
    data = ((root or REAL) / tool / name).read_bytes()
    fmt = formats.detect(data[:4096], name)
    report = formats.parse(fmt, [data[i : i + 977] for i in range(0, len(data), 977)], name)
    if fmt == "go":
        report = go_in_repository(report, root)
    return report


def go_in_repository(report: ParsedReport, real: Path | None = None) -> ParsedReport:
    """As the run stage does: import paths through go.mod, then -func's function extents."""
    root = (real or REAL) / "go" / "project"
    roots = gocover.module_roots({"go.mod": (root / "go.mod").read_bytes()}, None)
    files = []
    for fc in report.files:
        path = gocover.map_import_path(fc.path, roots)
        assert path is not None
        files.append(gocover.in_functions(fc.with_path(path), (root / path).read_bytes()))
    return ParsedReport(
        report.format,
        tuple(files),
        report.has_branches,
        origin=report.origin,
        producer=report.producer,
        metric=report.metric,
        metrics=report.metrics,
        rule=report.rule,
    )


def headline(
    tool: str, names: Sequence[str], metric: str = "auto", root: Path | None = None
) -> CoverageReport:
    mapper = PathMapper("/nowhere/checkout", tracked(tool, root))
    report = map_reports([parsed(tool, n, root) for n in names], mapper, metric)
    assert report.unmatched == (), report.unmatched  # every file placed in the project
    return report


def floor_percent(value: Fraction, digits: int) -> str:
    """Istanbul and JaCoCo truncate: Math.floor(pct * 10**d) / 10**d."""
    scaled = math.floor(value * 10**digits)
    if not digits:
        return str(scaled)
    whole, part = divmod(scaled, 10**digits)
    return f"{whole}.{part:0{digits}d}"


# --- Go -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["set", "count", "coverpkg", "area", "classify"])
def test_go_headline_is_go_tool_cover_func_total(profile: str) -> None:
    out = printed("go", f"go tool cover -func={profile}.out")
    total = re.search(r"^total:\s+\(statements\)\s+([\d.]+)%$", out, re.M)
    assert total is not None
    report = headline("go", [f"{profile}.out"])
    assert report.metric == "statements" and report.producers == ("Go",)
    assert display_percent(report.counts.percent, 1) == total.group(1)
    # Per function line of -func, the same rule per file: the file's statements as Go counts.
    assert report.counts.units == sum(f.counts.units for f in report.files.values())


def test_go_without_sources_is_go_test_cover_and_the_package_literal_is_the_difference() -> None:
    """`go test -cover` counts every block, -func only those in function declarations: the
    fixture's package-level `var Double = func...` is the one block between 62.5% and 66.7%."""
    out = printed("go", "go test -run TestClassify")
    shown = re.search(r"coverage: ([\d.]+)% of statements", out)
    assert shown is not None
    report = formats.parse("go", [(REAL / "go" / "classify.out").read_bytes()], "classify.out")
    counts = sum((f.counts for f in report.files), Counts()).with_metric("statements")
    assert display_percent(counts.percent, 1) == shown.group(1) == "62.5"
    assert display_percent(headline("go", ["classify.out"]).counts.percent, 1) == "66.7"


def test_go_two_profiles_merge_block_by_block() -> None:
    """area.out and classify.out are disjoint packages: their union is -func of both."""
    report = headline("go", ["area.out", "classify.out"])
    assert display_percent(report.counts.percent, 1) == "59.1"


def test_go_metric_can_be_forced_to_lines_but_not_branches() -> None:
    lines = headline("go", ["set.out"], "lines")
    assert lines.metric == "lines" and lines.counts.percent == lines.counts.line_percent
    with pytest.raises(InputError, match=r"coverage-metric: branches is not measured by set\.out"):
        headline("go", ["set.out"], "branches")


# --- LCOV: gcc + lcov, c8, nyc ------------------------------------------------------------------

LCOV_SUMMARY = re.compile(r"lines\.+: ([\d.]+)% \((\d+) of (\d+) lines\)")
LCOV_BRANCHES = re.compile(r"branches\.+: ([\d.]+)% \((\d+) of (\d+) branches\)")


@pytest.mark.parametrize("name", ["run1.info", "run2.info", "merged.info"])
def test_lcov_headline_is_lcov_summary_lines(name: str) -> None:
    out = printed("c", f"lcov --summary {name}")
    lines, branches = LCOV_SUMMARY.search(out), LCOV_BRANCHES.search(out)
    assert lines is not None and branches is not None
    report = headline("c", [name])
    c = report.counts
    assert (c.covered_lines, c.statements) == (int(lines.group(2)), int(lines.group(3)))
    assert (c.covered_branches, c.branches) == (int(branches.group(2)), int(branches.group(3)))
    assert report.metric == "lines" and display_percent(c.percent, 1) == lines.group(1)


def test_lcov_two_runs_merge_like_lcov_add() -> None:
    """run1 and run2 took different sides of the same ifs: branches are a union by BRDA ids."""
    out = printed("c", "lcov --summary merged.info")
    lines, branches = LCOV_SUMMARY.search(out), LCOV_BRANCHES.search(out)
    assert lines is not None and branches is not None
    c = headline("c", ["run1.info", "run2.info"]).counts
    assert (c.covered_lines, c.statements) == (int(lines.group(2)), int(lines.group(3)))
    assert (c.covered_branches, c.branches) == (int(branches.group(2)), int(branches.group(3)))


def test_gcovr_cobertura_headline_is_gcovr_summary_lines() -> None:
    out = printed("c", "gcovr -r . --cobertura-pretty")
    lines = re.search(r"^lines: ([\d.]+)% \((\d+) out of (\d+)\)", out, re.M)
    branches = re.search(r"^branches: ([\d.]+)% \((\d+) out of (\d+)\)", out, re.M)
    assert lines is not None and branches is not None
    report = headline("c", ["gcovr-cobertura.xml"])
    c = report.counts
    assert report.producers == ("gcovr",) and report.metric == "lines"
    assert (c.covered_lines, c.statements) == (int(lines.group(2)), int(lines.group(3)))
    assert (c.covered_branches, c.branches) == (int(branches.group(2)), int(branches.group(3)))
    assert display_percent(c.percent, 1) == lines.group(1)


ISTANBUL_LINES = re.compile(r"^Lines\s+: ([\d.]+)% \( (\d+)/(\d+) \)", re.M)


@pytest.mark.parametrize("tool", ["c8", "nyc"])
@pytest.mark.parametrize("run", ["run1", "run2"])
@pytest.mark.parametrize("kind", [".info", "-clover.xml", "-cobertura.xml"])
def test_istanbul_headline_is_its_text_summary_lines(tool: str, run: str, kind: str) -> None:
    found = ISTANBUL_LINES.search(printed("js", f"--report-dir={tool}-{run} "))
    assert found is not None
    report = headline("js", [f"{tool}-{run}{kind}"])
    c = report.counts
    assert report.metric == "lines"
    assert (c.covered_lines, c.statements) == (int(found.group(2)), int(found.group(3)))
    # Istanbul truncates to two decimals and drops trailing zeros ("71.42", "75").
    assert Fraction(floor_percent(c.percent, 2)) == Fraction(found.group(1))
    if kind != ".info":
        assert report.producers == ("Istanbul",)


def test_nyc_two_runs_merge_like_nyc_report() -> None:
    found = ISTANBUL_LINES.search(printed("js", "npx nyc report --temp-dir=.nyc-all"))
    assert found is not None
    c = headline("js", ["nyc-run1.info", "nyc-run2.info"]).counts
    assert (c.covered_lines, c.statements) == (int(found.group(2)), int(found.group(3)))


# --- JaCoCo -------------------------------------------------------------------------------------

JACOCO_TOTAL = re.compile(r"^Total \| (\d+) of (\d+) \| (\d+)% \| (\d+) of (\d+) \| (\d+)%", re.M)


@pytest.mark.parametrize(("name", "html"), [("jacoco1.xml", "html1"), ("jacoco2.xml", "html2")])
def test_jacoco_headline_is_the_html_total_row_instructions(name: str, html: str) -> None:
    row = JACOCO_TOTAL.search(printed("java", f"{html}/index.html"))
    assert row is not None
    missed, total, percent = (int(row.group(i)) for i in (1, 2, 3))
    report = headline("java", [name])
    c = report.counts
    assert report.metric == "instructions" and report.producers == ("JaCoCo",)
    assert (c.missing_units, c.units) == (missed, total)
    assert floor_percent(c.percent, 0) == str(percent)  # JaCoCo floors to a whole percent
    assert (c.missing_branches, c.branches) == (int(row.group(4)), int(row.group(5)))


def test_jacoco_other_counters_on_request() -> None:
    lines = headline("java", ["jacoco1.xml"], "lines")
    assert lines.counts.percent == Fraction(6 * 100, 13)  # LINE counter: 7 of 13 missed
    branches = headline("java", ["jacoco1.xml"], "branches")
    assert branches.counts.percent == Fraction(4 * 100, 12)


def test_jacoco_merged_reports_are_a_lower_bound_and_say_so() -> None:
    """The merged exec data says 22 of 52 missed; two XML reports carry counts per line only."""
    row = JACOCO_TOTAL.search(printed("java", "htmlm/index.html"))
    assert row is not None
    report = headline("java", ["jacoco1.xml", "jacoco2.xml"])
    assert report.counts.covered_units <= int(row.group(2)) - int(row.group(1))
    assert any("lower bound" in n for n in report.notices)


# --- PHPUnit (pcov) -----------------------------------------------------------------------------


def test_phpunit_clover_headline_is_phpunit_lines() -> None:
    out = printed("php", "--coverage-clover clover.xml --coverage-text")
    summary = re.search(r"Summary:.*?Lines:\s+([\d.]+)% \((\d+)/(\d+)\)", out, re.S)
    assert summary is not None
    report = headline("php", ["clover.xml"])
    c = report.counts
    assert report.producers == ("PHPUnit",) and report.metric == "lines"
    assert (c.covered_lines, c.statements) == (int(summary.group(2)), int(summary.group(3)))
    assert display_percent(c.percent) == summary.group(1)
    per_class = re.findall(r"Lines:\s+([\d.]+)% \(\s*(\d+)/\s*(\d+)\)", out)[1:]
    got = sorted((f.counts.covered_lines, f.counts.statements) for f in report.files.values())
    assert got == sorted((int(a), int(b)) for _p, a, b in per_class)


# --- coverage.py --------------------------------------------------------------------------------


def coverage_total(out: str) -> tuple[int, int, int, int, str]:
    m = re.search(r"^TOTAL\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%", out, re.M)
    assert m is not None
    stmts, miss, branches, _partial, pct = (m.group(i) for i in range(1, 6))
    return int(stmts), int(miss), int(branches), 0, pct


@pytest.mark.parametrize(("name", "data"), [("cov1.xml", ".cov1"), ("cov2.xml", ".cov2")])
def test_coverage_py_cobertura_headline_is_coverage_report(name: str, data: str) -> None:
    stmts, miss, branches, _, pct = coverage_total(
        printed("py", f"coverage report --data-file={data} ")
    )
    report = headline("py", [name])
    c = report.counts
    assert report.producers == ("coverage.py",) and report.metric == "lines-and-branches"
    assert (c.statements, c.missing_lines, c.branches) == (stmts, miss, branches)
    assert display_percent(c.percent, 0) == pct


def test_coverage_py_two_runs_taking_both_sides_of_an_if_merge_to_all_branches() -> None:
    """`coverage combine` of the two runs: line 4's `if` went one way in each run -> 2/2."""
    stmts, miss, branches, _, pct = coverage_total(
        printed("py", "coverage report --data-file=.covm")
    )
    report = headline("py", ["cov1.xml", "cov2.xml"])
    c = report.counts
    assert (c.statements, c.missing_lines, c.branches) == (stmts, miss, branches)
    assert display_percent(c.percent, 0) == pct == "58"
    assert report.files["pkg/sub/logic.py"].branch(4) == (2, 2)
    assert not any("lower bound" in n for n in report.notices)


# --- several producers at once ------------------------------------------------------------------


def test_reports_of_different_producers_are_read_on_lines_with_a_notice() -> None:
    mapper = PathMapper("/w", [*tracked("c"), *("js/" + p for p in tracked("js"))])
    report = map_reports([parsed("c", "run1.info"), parsed("java", "jacoco1.xml")], mapper)
    assert report.metric == "lines"
    assert any("count coverage differently" in n for n in report.notices)


# --- live: rebuild a tool's fixtures with the real tool, then the same checks -------------------

LIVE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # tool: (programs on PATH, files that must exist)
    "go": (("go",), ()),
    "c": (("gcc", "gcov", "lcov", "genhtml", "gcovr"), ()),
    "java": (("java", "javac", "ant"), ("/usr/share/java/org.jacoco.ant.jar",)),
    "php": (("php", "phpunit"), ()),
    "py": ((), ()),
}


@pytest.mark.parametrize("tool", sorted(LIVE))
def test_live_rebuilt_fixtures_keep_the_tools_headline(
    tool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """regenerate.sh with the tools installed here; skipped for a tool that is absent."""
    programs, files = LIVE[tool]
    missing = [p for p in programs if shutil.which(p) is None]
    missing += [f for f in files if not Path(f).exists()]
    if (
        tool == "php"
        and "pcov"
        not in subprocess.run(["php", "-m"], capture_output=True, text=True, check=False).stdout
    ):
        missing.append("php-pcov")
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    copy = tmp_path / "real"
    copy.mkdir()
    shutil.copy(REAL / "regenerate.sh", copy / "regenerate.sh")
    shutil.copytree(REAL / tool / "project", copy / tool / "project")
    env = {**os.environ, "COVACTION_VENV": str(Path(sys.executable).parent)}
    done = subprocess.run(
        ["sh", str(copy / "regenerate.sh"), tool], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.setattr(sys.modules[__name__], "REAL", copy)
    checks = {
        "go": lambda: [
            test_go_headline_is_go_tool_cover_func_total(p) for p in ("set", "coverpkg")
        ],
        "c": lambda: [
            test_lcov_headline_is_lcov_summary_lines("merged.info"),
            test_lcov_two_runs_merge_like_lcov_add(),
            test_gcovr_cobertura_headline_is_gcovr_summary_lines(),
        ],
        "java": lambda: [
            test_jacoco_headline_is_the_html_total_row_instructions("jacoco1.xml", "html1"),
            test_jacoco_merged_reports_are_a_lower_bound_and_say_so(),
        ],
        "php": lambda: [test_phpunit_clover_headline_is_phpunit_lines()],
        "py": lambda: [
            test_coverage_py_cobertura_headline_is_coverage_report("cov1.xml", ".cov1"),
            test_coverage_py_two_runs_taking_both_sides_of_an_if_merge_to_all_branches(),
        ],
    }
    checks[tool]()


def test_go_in_functions_all_leaves_files_without_source_whole() -> None:
    report = parsed("go", "classify.out")  # already restricted by go_in_repository
    raw = formats.parse("go", [(REAL / "go" / "classify.out").read_bytes()], "classify.out")
    root = REAL / "go" / "project"
    roots = gocover.module_roots({"go.mod": (root / "go.mod").read_bytes()}, None)
    mapped = ParsedReport(
        "go",
        tuple(f.with_path(gocover.map_import_path(f.path, roots) or f.path) for f in raw.files),
        False,
    )
    whole = gocover.in_functions_all(mapped, lambda path: None)
    scoped = gocover.in_functions_all(mapped, lambda path: (root / path).read_bytes())
    units = [sum((f.counts for f in r.files), Counts()).units for r in (whole, scoped, report)]
    assert units == [16, 15, 15]  # the package-level func literal's one statement
