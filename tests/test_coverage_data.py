"""coverage.py's `.coverage` as `coverage report` reads it, and nothing else read on the way.

Every expected number comes from the real `coverage report` (this venv's coverage.py) printed on
the same data in a temporary project; the hostile cases name the exact outcome: the counts of the
workspace file, an unmatched path with its reason, or one error line naming file and setting.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import coverage
import pytest

from covaction import paths
from covaction.edges import coverage_data
from covaction.edges.workspace import Workspace
from covaction.errors import InputError, ReportError
from covaction.model import Counts, ParsedReport, Unmatched, display_percent
from tests.harness import ActionRun
from tests.sample import make_project

# ---------------------------------------------------------------------------- helpers


def run_coverage(root: Path, *args: str) -> str:
    """`python -m coverage ARGS` in `root`, with no COVERAGE_* variable from this process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


_ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)(?:\s+(\d+)\s+(\d+))?\s+(\d+(?:\.\d+)?)%$")


def printed_report(root: Path, *args: str) -> tuple[dict[str, tuple[int, ...]], str]:
    """`coverage report --precision=2 ARGS` as printed: {name: (Stmts, Miss[, Branch, BrPart])},
    and the TOTAL row's percentage."""
    rows: dict[str, tuple[int, ...]] = {}
    total = ""
    for line in run_coverage(root, "report", "--precision=2", *args).splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        numbers = tuple(int(g) for g in m.groups()[1:5] if g is not None)
        if m.group(1) == "TOTAL":
            total = m.group(6)
        else:
            rows[m.group(1)] = numbers
    assert rows and total, "coverage report printed no table"
    return rows, total


def covaction_report(
    root: Path, config_file: str = "", name: str = ".coverage"
) -> tuple[ParsedReport, list[Unmatched]]:
    ws = Workspace(root)
    mapper = paths.PathMapper(str(ws.root), None, exists=ws.exists)
    scratch = root.parent / f"{root.name}-scratch"
    scratch.mkdir(exist_ok=True)
    return coverage_data.parse_data_file(
        ws.resolve(name, "test"), name, str(ws.root), mapper.map, scratch, config_file=config_file
    )


def rows_of(report: ParsedReport, branch: bool) -> dict[str, tuple[int, ...]]:
    """covaction's per-file counts in `coverage report`'s columns (Stmts, Miss[, Branch])."""
    out: dict[str, tuple[int, ...]] = {}
    for f in report.files:
        c = f.counts
        out[f.path] = (c.statements, c.statements - c.covered_lines) + (
            (c.branches,) if branch else ()
        )
    return out


def total_of(report: ParsedReport, root: Path) -> str:
    ws = Workspace(root)
    merged = paths.map_reports([report], paths.PathMapper(str(ws.root), None, exists=ws.exists))
    return display_percent(merged.counts.percent, 2)


def write_data(path: Path, lines: dict[str, list[int]]) -> None:
    """A `.coverage` written by coverage.py's own data API."""
    data = coverage.CoverageData(basename=str(path))
    data.add_lines({k: set(v) for k, v in lines.items()})
    data.write()


def counts(statements: int, covered: int) -> Counts:
    return Counts(statements=statements, covered_lines=covered)


# ---------------------------------------------------------------------------- 17.7: unimported


USED = """\
def sign(n):
    if n < 0:
        return -1
    return 1
"""
UNUSED = """\
def never(x):
    if x:
        return 1
    for i in range(x):
        x += i
    return x


VALUE = 3
"""
TEST_USED = """\
from pkg.used import sign


def test_sign():
    assert sign(5) == 1
"""


def measured_project(root: Path, config: str, config_name: str = ".coveragerc") -> Path:
    """pkg/used.py (imported by the test), pkg/unused.py (imported by nothing), run under
    `coverage run` with `config` written to `config_name`."""
    (root / "pkg").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "used.py").write_text(USED)
    (root / "pkg" / "unused.py").write_text(UNUSED)
    (root / "tests" / "test_used.py").write_text(TEST_USED)
    (root / config_name).parent.mkdir(parents=True, exist_ok=True)
    (root / config_name).write_text(textwrap.dedent(config))
    rcfile = () if config_name == ".coveragerc" else (f"--rcfile={config_name}",)
    run_coverage(root, "run", *rcfile, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    return root


@pytest.mark.parametrize("branch", [True, False], ids=["branches", "lines"])
def test_files_under_source_no_test_imported_count_as_coverage_report_counts_them(
    tmp_path: Path, branch: bool
) -> None:
    """Branch mode: the unimported pkg/unused.py is in the data with no arcs; it used to vanish
    (covaction said 66.67% where `coverage report` says 23.53%)."""
    root = measured_project(
        tmp_path / "proj",
        f"[run]\nbranch = {str(branch).lower()}\nsource = pkg\nrelative_files = true\n",
    )
    rows, total = printed_report(root)
    # `coverage report --precision=2` printed, branch mode:
    #   pkg/__init__.py 0 0 0 0 100.00% | pkg/unused.py 7 7 4 0 0.00% |
    #   pkg/used.py 4 1 2 1 66.67% | TOTAL 11 8 6 1 23.53%
    # line mode: pkg/unused.py 7 7 0.00% | pkg/used.py 4 1 75.00% | TOTAL 11 8 27.27%
    assert total == ("23.53" if branch else "27.27")
    assert rows["pkg/unused.py"][:2] == (7, 7)
    report, unmatched = covaction_report(root)
    assert unmatched == []
    assert rows_of(report, branch) == {
        name: row[: 3 if branch else 2] for name, row in rows.items()
    }
    assert total_of(report, root) == total


# ---------------------------------------------------------------------------- 17.7: coverage-config

NAMED_CONFIG = """\
    [run]
    branch = true
    relative_files = true
    source = pkg
    [report]
    exclude_also =
        for i in range
    omit = pkg/__init__.py
"""
NAMED_TOML = """\
    [run]
    branch = true
    relative_files = true
    source = ["pkg"]
    [report]
    exclude_also = ["for i in range"]
    omit = ["pkg/__init__.py"]
"""


@pytest.mark.parametrize(
    ("name", "text"), [("ci/coverage.cfg", NAMED_CONFIG), ("ci/coverage.toml", NAMED_TOML)]
)
def test_a_configuration_file_named_by_coverage_config_is_the_one_read(
    tmp_path: Path, name: str, text: str
) -> None:
    """`coverage run/report --rcfile=ci/coverage.cfg` (what pytest-cov's --cov-config passes):
    the same file named by the input gives `coverage report --rcfile`'s numbers."""
    root = measured_project(tmp_path / "proj", text, config_name=name)
    rows, total = printed_report(root, f"--rcfile={name}")
    # `coverage report --precision=2 --rcfile=ci/coverage.cfg` printed (both files):
    #   pkg/unused.py 5 5 0 0 0.00% | pkg/used.py 4 1 2 1 66.67% | TOTAL 9 6 2 1 36.36%
    assert total == "36.36"
    assert rows == {"pkg/unused.py": (5, 5, 0, 0), "pkg/used.py": (4, 1, 2, 1)}
    report, unmatched = covaction_report(root, config_file=name)
    assert unmatched == []
    assert rows_of(report, True) == {k: v[:3] for k, v in rows.items()}
    assert total_of(report, root) == total
    # Without the input coverage.py's default lookup finds no configuration: no exclusion, no
    # omit, so the numbers differ (the unimported file counts 7 statements, as measured).
    plain, _ = covaction_report(root)
    assert rows_of(plain, True)["pkg/unused.py"] == (7, 7, 4)


def test_coverage_config_names_its_file_in_coverage_py_messages(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "ci").mkdir(parents=True)
    (root / "a.py").write_text("x = 1\n")
    write_data(root / ".coverage", {"a.py": [1]})
    (root / "ci" / "coverage.cfg").write_text("[run]\nrelative_files = true\nbogus = 1\n")
    report, _ = covaction_report(root, config_file="ci/coverage.cfg")
    assert report.notices == (
        "coverage.py: Unrecognized option '[run] bogus=' in config file ci/coverage.cfg",
    )
    (root / "ci" / "coverage.cfg").write_text("[run]\nbranch = maybe\n")
    with pytest.raises(ReportError) as info:
        covaction_report(root, config_file="ci/coverage.cfg")
    assert info.value.message == "ci/coverage.cfg: [run] branch: Not a boolean: maybe"


def test_coverage_config_that_cannot_be_read_is_one_input_error(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "a.py").write_text("x = 1\n")
    write_data(root / ".coverage", {"a.py": [1]})
    (tmp_path / "outside.cfg").write_text("[run]\n")
    (root / "evil.cfg").symlink_to(tmp_path / "outside.cfg")
    (root / "folder.cfg").mkdir()
    expected = {
        "ci/missing.cfg": "coverage-config: ci/missing.cfg does not exist in the workspace",
        "evil.cfg": "coverage-config: evil.cfg resolves outside the workspace; only files "
        "inside it are read",
        "folder.cfg": "coverage-config: folder.cfg is not a regular file (a FIFO, device or "
        "folder)",
    }
    for name, message in expected.items():
        with pytest.raises(InputError) as info:
            covaction_report(root, config_file=name)
        assert info.value.message == message


# ---------------------------------------------------------------------------- 16 B.2: [paths]

SECRET = 'A = 1\nB = 2\nTOKEN = "hunter2"\nD = 4\n'


@pytest.fixture
def attacked(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with pkg/a.py (2 statements) and a secret of 4 statements outside it."""
    root = tmp_path / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "a.py").write_text(SECRET)
    return root, secret


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative_files"])
def test_paths_aliases_are_not_applied_again_when_coverage_py_reports(
    attacked: tuple[Path, Path], relative: bool
) -> None:
    """Data measured under lib/; `[paths] source` maps lib/ onto pkg/ (a workspace file, which
    covaction checked), and a second entry maps pkg/ onto a folder outside. coverage.py applies
    [paths] again when it reports, so it used to read the secret as the source of pkg/a.py
    (4 statements, and `exclude_lines` guesses an oracle on its text). It must read exactly
    pkg/a.py."""
    root, secret = attacked
    ws = f"{root.resolve()}/" if not relative else ""
    write_data(root / ".coverage", {f"{ws}lib/a.py": [1]})
    head = f"[run]\nrelative_files = {str(relative).lower()}\n"
    source = f"[paths]\nsource =\n    {ws}pkg/\n    {ws}lib/\n"
    (root / ".coveragerc").write_text(head + source)
    rows, total = printed_report(root)
    # `coverage report --precision=2` on the same data without the hostile entry printed:
    #   pkg/a.py 2 1 50.00%
    assert (rows, total) == ({"pkg/a.py": (2, 1)}, "50.00")
    (root / ".coveragerc").write_text(
        head + source + f"secret =\n    {secret}/\n    {ws}pkg/\n"
        "[report]\nexclude_lines =\n    hunter2\n"
    )
    report, unmatched = covaction_report(root)
    assert [(f.path, f.counts) for f in report.files] == [("pkg/a.py", counts(2, 1))]
    assert unmatched == []


def test_a_measured_pyc_whose_py_links_out_is_not_read(attacked: tuple[Path, Path]) -> None:
    """coverage.py reads `x.py` for a measured `x.pyc` (python.source_for_file): the `.pyc` is a
    regular workspace file, its `.py` a link to the secret. Refused, with coverage.py's reason."""
    root, secret = attacked
    (root / "pkg" / "b.pyc").write_text("not read\n")
    (root / "pkg" / "b.py").symlink_to(secret / "a.py")
    (root / ".coveragerc").write_text("[run]\nrelative_files = true\n")
    write_data(root / ".coverage", {"pkg/a.py": [1], "pkg/b.pyc": [1]})
    report, unmatched = covaction_report(root)
    assert [(f.path, f.counts) for f in report.files] == [("pkg/a.py", counts(2, 1))]
    assert unmatched == [Unmatched("pkg/b.pyc", "coverage.py would read pkg/b.py for pkg/b.pyc")]


def test_a_measured_file_inside_git_is_not_read(attacked: tuple[Path, Path]) -> None:
    """`.git/config` holds the checkout's credentials (actions/checkout's extraheader): a data
    file naming it gets no parse of it, and no `exclude_lines` oracle on it."""
    root, _ = attacked
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text('TOKEN = "hunter2"\n')
    (root / ".coveragerc").write_text("[run]\nrelative_files = true\n")
    write_data(root / ".coverage", {"pkg/a.py": [1], ".git/config": [1]})
    report, unmatched = covaction_report(root)
    assert [(f.path, f.counts) for f in report.files] == [("pkg/a.py", counts(2, 1))]
    assert unmatched == [Unmatched(".git/config", ".git/config is inside .git; not read")]


def test_an_alias_whose_result_is_outside_the_workspace_is_not_taken(
    attacked: tuple[Path, Path],
) -> None:
    """coverage.py takes an alias only when its result exists; covaction only when the result is
    a file inside the workspace, so a folder outside is never looked at and the next rule
    applies (here the second alias, onto pkg/)."""
    root, secret = attacked
    (root / ".coveragerc").write_text(
        f"[run]\nrelative_files = true\n[paths]\nsecret =\n    {secret}/\n    src/\n"
        "inside =\n    pkg/\n    src/\n"
    )
    write_data(root / ".coverage", {"src/a.py": [1]})
    report, unmatched = covaction_report(root)
    assert [(f.path, f.counts) for f in report.files] == [("pkg/a.py", counts(2, 1))]
    assert unmatched == []


# ---------------------------------------------------------------------------- 16 B.4: config

HOSTILE_CONFIGS = {
    # id: (file, text, the one error line)
    "report-include-bad-range": (
        ".coveragerc",
        "[run]\nrelative_files = true\n[report]\ninclude = [z-a]\n",
        ".coveragerc: [report] include: '[z-a]' is not a valid file pattern "
        "(bad character range z-a)",
    ),
    "report-omit-bad-range-setup-cfg": (
        "setup.cfg",
        "[coverage:report]\nomit =\n    pkg/*\n    [z-a]\n",
        "setup.cfg: [coverage:report] omit: '[z-a]' is not a valid file pattern "
        "(bad character range z-a)",
    ),
    "paths-source-empty": (
        ".coveragerc",
        "[run]\nrelative_files = true\n[paths]\nsource =\n",
        ".coveragerc: [paths] source is empty; list the path to report files under first, then "
        "the paths to map onto it",
    ),
    "paths-source-empty-toml": (
        "pyproject.toml",
        "[tool.coverage.paths]\nsource = []\n",
        "pyproject.toml: [tool.coverage.paths] source is empty; list the path to report files "
        "under first, then the paths to map onto it",
    ),
    "tool-coverage-run-5": (
        "pyproject.toml",
        "[tool.coverage]\nrun = 5\n",
        "pyproject.toml: [tool.coverage] run = 5 (an integer) where coverage.py expects the "
        "table [tool.coverage.run]",
    ),
    "tool-5": (
        "pyproject.toml",
        "tool = 5\n",
        "pyproject.toml: tool = 5 (an integer) where coverage.py expects the table [tool]",
    ),
    "tool-coverage-report-list": (
        "pyproject.toml",
        "[tool.coverage]\nreport = [1]\n",
        "pyproject.toml: [tool.coverage] report = [1] (a list) where coverage.py expects the "
        "table [tool.coverage.report]",
    ),
    "paths-alias-bad-range": (
        ".coveragerc",
        "[run]\nrelative_files = true\n[paths]\nsource =\n    pkg/\n    [z-a]/\n",
        ".coveragerc: [paths] source: '[z-a]/' is not a valid path pattern "
        "(bad character range z-a)",
    ),
    "paths-alias-ends-in-wildcard": (
        ".coveragerc",
        "[run]\nrelative_files = true\n[paths]\nsource =\n    pkg/\n    build/*\n",
        ".coveragerc: [paths] source: 'build/*' is not a valid path pattern "
        "(Pattern must not end with wildcards.)",
    ),
    "paths-not-a-list-toml": (
        "pyproject.toml",
        "[tool.coverage.paths]\nsource = 5\n",
        "pyproject.toml: Option [tool.coverage.paths]source is not a list: 5",
    ),
    "branch-not-a-boolean": (
        "setup.cfg",
        "[coverage:run]\nbranch = maybe\n",
        "setup.cfg: [coverage:run] branch: Not a boolean: maybe",
    ),
    "precision-not-an-integer": (
        "tox.ini",
        "[coverage:report]\nprecision = x\n",
        "tox.ini: [coverage:report] precision: invalid literal for int() with base 10: 'x'",
    ),
    "unknown-concurrency": (
        ".coveragerc",
        "[run]\nconcurrency = bogus\n",
        ".coveragerc: [run] concurrency: Unknown concurrency choices: bogus",
    ),
}


def _hostile_workspace(root: Path, name: str, text: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "a.py").write_text("x = 1\ny = 2\n")
    (root / name).write_text(text)
    write_data(root / ".coverage", {"pkg/a.py": [1]})
    return root


@pytest.mark.parametrize("case", sorted(HOSTILE_CONFIGS))
def test_hostile_configuration_is_one_error_naming_file_and_setting(
    tmp_path: Path, case: str
) -> None:
    name, text, message = HOSTILE_CONFIGS[case]
    root = _hostile_workspace(tmp_path / "ws", name, text)
    with pytest.raises(ReportError) as info:
        covaction_report(root)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("config", "notices"),
    [
        # coverage.py's test hook: raises RuntimeError when the named function runs.
        ("_crash = load\n", ()),
        # 10**100000000 is computed before any report: minutes of CPU, then an OverflowError.
        ("[report]\nprecision = 100000000\n", ()),
        ("[report]\nprecision = -1\n", ()),
        ("concurrency = multiprocessing\n", ()),
        (
            "[report]\ncontexts = [z-a]\n",
            (
                ".coveragerc: [report] contexts is not applied: covaction reports every context's "
                "lines together",
            ),
        ),
    ],
    ids=["crash-hook", "huge-precision", "negative-precision", "multiprocessing", "contexts"],
)
def test_settings_covaction_does_not_report_with_are_neutralised(
    tmp_path: Path, config: str, notices: tuple[str, ...]
) -> None:
    """Settings that only shape coverage.py's own text report or its test hooks cannot stop the
    counts: pkg/a.py is reported as `coverage report` counts it (2 statements, 1 run)."""
    root = _hostile_workspace(tmp_path / "ws", ".coveragerc", "[run]\nrelative_files = true\n")
    rows, _ = printed_report(root)
    assert rows == {"pkg/a.py": (2, 1)}
    (root / ".coveragerc").write_text("[run]\nrelative_files = true\n" + config)
    report, unmatched = covaction_report(root)
    assert [(f.path, f.counts) for f in report.files] == [("pkg/a.py", counts(2, 1))]
    assert (unmatched, report.notices) == ([], notices)


@pytest.mark.parametrize(
    "case",
    [
        "report-include-bad-range",
        "paths-source-empty",
        "tool-coverage-run-5",
        "paths-alias-bad-range",
    ],
)
def test_hostile_configuration_through_the_entry_point(action: ActionRun, case: str) -> None:
    """The four configurations of the report: exit 2, one `::error::` naming file and setting,
    no traceback (they used to end as an internal error)."""
    name, text, message = HOSTILE_CONFIGS[case]
    _hostile_workspace(action.workspace, name, text)
    action.inputs.update({"coverage-files": ".coverage", "pin-policy": "off"})
    r = action.run(timeout=120)
    assert r.code == 2, r.stdout
    assert len(r.errors) == 1 and message in r.errors[0], r.errors
    assert "Traceback" not in r.everything() and "internal error" not in r.everything()


# ---------------------------------------------------------------------------- auto-detection


def _files(root: Path, ages: dict[str, float]) -> Workspace:
    root.mkdir(exist_ok=True)
    base = 1_700_000_000.0
    for name, age in ages.items():
        (root / name).write_text("x")
        os.utime(root / name, (base - age, base - age))
    return Workspace(root)


CANDIDATES = ("coverage.xml", ".coverage", "coverage.json")


def test_auto_detection_names_the_report_it_took(tmp_path: Path) -> None:
    ws = _files(tmp_path / "ws", {"coverage.xml": 0, ".coverage": 0.5})
    assert coverage_data.choose_auto_report(ws, CANDIDATES) == coverage_data.AutoChoice(
        "coverage.xml",
        "Using coverage.xml (auto-detected at the workspace root, the first of coverage.xml, "
        ".coverage, coverage.json; set coverage-files to choose)",
    )
    assert coverage_data.choose_auto_report(_files(tmp_path / "empty", {}), CANDIDATES) is None


def test_auto_detection_warns_when_another_candidate_is_newer(tmp_path: Path) -> None:
    """A coverage.xml left from an earlier run beside a fresh .coverage (written 5 minutes later)
    and coverage.json (2 minutes later): the newest is named."""
    ws = _files(tmp_path / "ws", {"coverage.xml": 300, ".coverage": 0, "coverage.json": 180})
    choice = coverage_data.choose_auto_report(ws, CANDIDATES)
    assert choice is not None and choice.name == "coverage.xml"
    assert choice.warning == (
        "coverage.xml was auto-detected, but .coverage at the workspace root was written 5 min "
        "later: coverage.xml may be left from an earlier run. Regenerate it after the tests "
        "(e.g. `coverage xml`), delete it, or set coverage-files: .coverage"
    )


def test_auto_detection_takes_a_candidate_that_is_not_a_regular_file_inside(
    tmp_path: Path,
) -> None:
    """A link out named coverage.xml is taken (its reading refuses it by name), not skipped
    for the next candidate: a report the user did not mean is never used silently."""
    ws = _files(tmp_path / "ws", {".coverage": 0})
    (tmp_path / "outside.xml").write_text("x")
    (ws.root / "coverage.xml").symlink_to(tmp_path / "outside.xml")
    choice = coverage_data.choose_auto_report(ws, CANDIDATES)
    assert choice is not None and choice.name == "coverage.xml"


def test_settings_expand_the_runs_variables_not_the_test_process(tmp_path: Path) -> None:
    """coverage.py expands `$VARS` in its settings from os.environ: covaction hands it the
    harmless variables of the run's own environment (the container's, or the mapping an
    in-process run is given), never the process's."""
    root = make_project(tmp_path / "p", branch=False)
    (root / ".coveragerc").write_text("[run]\nrelative_files = true\n[report]\nomit = ${TZ}/*\n")
    # TZ is one of the harmless variables; `TZ=tests coverage report` omits tests/*.
    assert os.environ.get("TZ") != "tests"
    ws = Workspace(root)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    mapper = paths.PathMapper(str(ws.root), None, exists=ws.exists)
    environ = {"PATH": os.environ.get("PATH", ""), "TZ": "tests"}
    before = dict(os.environ)
    parsed, _ = coverage_data.parse_data_file(
        ws.resolve(".coverage", "test"),
        ".coverage",
        str(ws.root),
        mapper.map,
        scratch,
        environ=environ,
    )
    assert dict(os.environ) == before
    assert sorted(f.path for f in parsed.files) == ["sample/__init__.py", "sample/calc.py"]
