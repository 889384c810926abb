"""coverage.py's `[report] precision`: a coverage.py report is shown with the repository's decimals.

The oracle is coverage.py itself: `coverage report --format=total` (run in the project, so it
reads the same configuration) prints the total with the configured precision, and covaction's
headline must print the same digits for the `.coverage` file, the JSON and the Cobertura report.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from covaction import cli
from covaction.model import display_percent, display_precision, shown_precision
from tests.sample import coverage, make_project

TOTAL = re.compile(r"^  Total\s+(\S+)%", re.M)


def run(root: Path, *args: str) -> tuple[int, str]:
    """The `covaction` command on a laptop, in-process, in `root`; (exit code, what it printed)."""
    out = io.StringIO()
    environ = {"PATH": os.environ.get("PATH", ""), "HOME": str(root), "GITHUB_WORKSPACE": str(root)}
    code = cli.main(["--pin-policy", "off", *args], environ, out=out)
    return code, out.getvalue()


def shown_total(printed: str) -> str:
    m = TOTAL.search(printed)
    assert m, printed
    return m.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("precision"), branch=True)


def configure(root: Path, name: str, text: str) -> None:
    for old in (".coveragerc", "setup.cfg", "pyproject.toml", "ci"):
        path = root / old
        if path.is_dir():
            for f in path.iterdir():
                f.unlink()
            path.rmdir()
        elif path.exists():
            path.unlink()
    target = root / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("digits", [0, 1, 3])
@pytest.mark.parametrize("report", [".coverage", "coverage.json", "coverage.xml"])
def test_headline_has_the_repositorys_decimals_as_coverage_report_prints(
    project: Path, digits: int, report: str
) -> None:
    configure(
        project,
        ".coveragerc",
        f"[run]\nbranch = true\nrelative_files = true\n[report]\nprecision = {digits}\n",
    )
    expected = coverage(project, "report", "--format=total").strip()  # coverage.py's own digits
    code, printed = run(project, "--coverage-files", report)
    assert code == 0, printed
    assert shown_total(printed) == expected
    assert len(expected.partition(".")[2]) == digits


@pytest.mark.parametrize(
    ("name", "text", "flags"),
    [
        (
            "setup.cfg",
            "[coverage:run]\nbranch = true\nrelative_files = true\n[coverage:report]\nprecision = 1\n",
            (),
        ),
        (
            "pyproject.toml",
            "[tool.coverage.run]\nbranch = true\nrelative_files = true\n[tool.coverage.report]\nprecision = 1\n",
            (),
        ),
        (
            "ci/coverage.cfg",
            "[run]\nbranch = true\nrelative_files = true\n[report]\nprecision = 1\n",
            ("--coverage-config", "ci/coverage.cfg"),
        ),
    ],
)
def test_precision_is_found_where_coverage_py_finds_it(
    project: Path, name: str, text: str, flags: tuple[str, ...]
) -> None:
    configure(project, name, text)
    rcfile = ("--rcfile", name) if flags else ()
    expected = coverage(project, "report", "--format=total", *rcfile).strip()
    code, printed = run(project, "--coverage-files", "coverage.xml", *flags)
    assert code == 0, printed
    assert shown_total(printed) == expected
    assert re.fullmatch(r"\d+\.\d", expected)


def test_without_the_setting_two_decimals_are_shown(project: Path) -> None:
    """coverage.py's default is 0 decimals; covaction keeps its 2 unless the repository chose."""
    configure(project, ".coveragerc", "[run]\nbranch = true\nrelative_files = true\n")
    expected = coverage(project, "report", "--format=total", "--precision=2").strip()
    code, printed = run(project, "--coverage-files", "coverage.xml")
    assert code == 0
    assert shown_total(printed) == expected


def test_every_figure_follows_the_decimals(project: Path) -> None:
    """Gates, deltas and the comment's headline use the same decimals as the total."""
    configure(
        project,
        ".coveragerc",
        "[run]\nbranch = true\nrelative_files = true\n[report]\nprecision = 1\n",
    )
    code, printed = run(
        project,
        "--coverage-files",
        "coverage.xml",
        "--minimum-coverage",
        "10",
        "--output",
        "markdown",
    )
    assert code == 0
    total = coverage(project, "report", "--format=total").strip()
    assert f"### ✅ Coverage {total}% — all gates passed" in printed
    assert f"| **Total** | **{total}%** |" in printed
    assert f"✅ total {total}% ≥ 10%" in printed


def test_a_precision_coverage_py_cannot_print_with_is_a_note(project: Path) -> None:
    configure(
        project,
        ".coveragerc",
        "[run]\nbranch = true\nrelative_files = true\n[report]\nprecision = -1\n",
    )
    code, printed = run(project, "--coverage-files", "coverage.xml")
    assert code == 0
    assert (
        "note: .coveragerc: [report] precision is '-1', not a number of decimals from 0 to 10: "
        "percentages are shown with two" in printed
    )
    assert re.fullmatch(r"\d+\.\d\d", shown_total(printed))


def test_other_producers_ignore_coverage_py_settings(tmp_path: Path) -> None:
    """An LCOV report is not coverage.py's: a stray .coveragerc does not change its figures."""
    (tmp_path / "a.c").write_text("int main() {}\n" * 3)
    (tmp_path / "lcov.info").write_text("SF:a.c\nDA:1,1\nDA:2,0\nDA:3,0\nend_of_record\n")
    (tmp_path / ".coveragerc").write_text("[report]\nprecision = 0\n")
    code, printed = run(tmp_path, "--coverage-files", "lcov.info")
    assert code == 0, printed
    assert shown_total(printed) == "33.33"


def test_display_precision_is_scoped() -> None:
    assert shown_precision() == 2
    with display_precision(0):
        assert display_percent(None) == ""
        assert shown_precision() == 0
    assert shown_precision() == 2


def test_the_delta_output_is_the_difference_of_the_figures_shown() -> None:
    """`coverage-delta` agrees with `coverage` and `base-coverage` as the comment's Δ does:
    24/41 against 23/27 is 58.5 and 85.2 with one decimal, so -26.7 (the exact -26.65 rounds
    to -26.6); with two decimals 58.54 and 85.19, -26.65."""
    from covaction import gates
    from covaction.compare import compare
    from covaction.documents.baseline import Baseline
    from covaction.documents.result import outputs
    from covaction.model import Counts, CoverageReport, FileCoverage
    from covaction.pins.workflows import PinSummary

    fc = FileCoverage.from_mappings("a.py", {n: int(n <= 24) for n in range(1, 42)})
    report = CoverageReport({"a.py": fc.with_metric("lines")}, False, metric="lines")
    base = Baseline(
        "a" * 40, "main", "2026-12-01T00:00:00Z", "coverage", "0.1.0", False,
        {"a.py": Counts(27, 23, metric="lines")}, (),
    )  # fmt: skip
    comparison = compare(report, base, None)
    verdict = gates.checks_for(
        comparison, minimum=None, minimum_diff=None, maximum_drop=None, pin_policy="off",
        pin_findings=0,
    )  # fmt: skip
    shown = {}
    for digits in (1, 2):
        with display_precision(digits):
            out = outputs(comparison, verdict, PinSummary.of([]), "", "", "off")
        shown[digits] = (out["coverage"], out["base-coverage"], out["coverage-delta"])
    assert shown == {1: ("58.5", "85.2", "-26.7"), 2: ("58.54", "85.19", "-26.65")}
