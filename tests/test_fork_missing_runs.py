"""A fork's published comment shows missing lines exactly as the pull request's own run does.

coverage.py's `coverage report -m` joins missed statements across comments and blank lines
("4-8", not "4, 7-8"); the run's comment does the same (`FileCoverage.missed_runs`). A fork's
comment is rendered by the trusted `workflow_run` run from the stored result, which keeps each
file's plain ranges (`missing`) and, where the comment joins some of them, which ones
(`missing_joins`), with the producers of the reports. Joining whole ranges of missed lines
cannot hide one; the reader also refuses a join for another producer than coverage.py, and one
across a line the diff says is covered.
"""

from __future__ import annotations

import copy
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from covaction.documents import result, result_reader
from covaction.render import markdown
from tests.fakegithub import (
    READONLY_TOKEN,
    WRITE_TOKEN,
    FakeGitHub,
    FileChange,
    fake_github,  # noqa: F401  (fixture)
)
from tests.fakeresults import FakeResults, into_rest, runtime_environ
from tests.fork_results import (
    GAPS,
    GAPS_PLAIN,
    GAPS_RUNS,
    direct_context,
    doc_of,
    file_entry,
    joined_case,
    published_context,
    set_at,
)
from tests.harness import ActionRun, Result
from tests.sample import measured_gaps

# ----------------------------------------------------------------------------- end to end

REPO = "octo-org/widget"
FORK = "contrib/widget"
REPO_ID, FORK_ID = 111, 222
BASE_SHA, FORK_HEAD, SAME_HEAD = "a0" * 20, "b0" * 20, "b1" * 20
NAME = "covaction-result-coverage"
# The change adds lines 4-8 of sample/gaps.py (GitHub's patch of the pull request).
PATCH = (
    "@@ -3,1 +3,6 @@\n         return 1\n+    y = 2\n+\n"
    "+    # a comment between two missed statements\n+    z = 3\n+    return y + z"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The sample package with sample/gaps.py, measured once by coverage.py: its root and the
    Missing cell `coverage report -m` prints for sample/gaps.py."""
    return measured_gaps(tmp_path_factory.mktemp("p"))


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    fake_github.add_repo(REPO, id=REPO_ID)
    fake_github.add_repo(FORK, id=FORK_ID, fork=True)
    files = [FileChange("sample/gaps.py", patch=PATCH)]
    fake_github.add_pull(REPO, 42, head_sha=FORK_HEAD, base_sha=BASE_SHA, head_ref="gaps",
                         head_repo=FORK, files=files)  # fmt: skip
    fake_github.add_pull(REPO, 43, head_sha=SAME_HEAD, base_sha=BASE_SHA, head_ref="gaps",
                         files=files)  # fmt: skip
    return fake_github


@pytest.fixture
def results(github: FakeGitHub) -> Iterator[FakeResults]:
    with FakeResults(on_finalize=into_rest(github)) as fake:
        yield fake
        assert not fake.errors, fake.errors


def pull_request_run(
    tmp: Path, github: FakeGitHub, results: FakeResults, root: Path, report: str, *, fork: bool
) -> tuple[Result, int]:
    """The pull request's own run on `report`: #43 from a branch of the repository (a write
    token: it comments), or #42 from the fork (read-only: it stores its result)."""
    tmp.mkdir()
    action = ActionRun(tmp)
    for name in ("sample", "tests"):
        shutil.copytree(root / name, action.workspace / name)
    shutil.copy(root / report, action.workspace / report)
    number, head_sha, head, head_id = (
        (42, FORK_HEAD, FORK, FORK_ID) if fork else (43, SAME_HEAD, REPO, REPO_ID)
    )
    run = results.add_run(run_id=9_700_000_000 + number, head_sha=head_sha, head_branch="gaps",
                          event="pull_request", head_repository_id=head_id)  # fmt: skip
    base_repo = {"id": REPO_ID, "full_name": REPO, "fork": False, "default_branch": "main"}
    action.api_url = github.base_url
    action.event_name = "pull_request"
    action.event = {
        "action": "synchronize", "number": number,
        "pull_request": {
            "number": number, "changed_files": 1,
            "base": {"ref": "main", "sha": BASE_SHA, "repo": base_repo},
            "head": {"ref": "gaps", "sha": head_sha,
                     "repo": {"id": head_id, "full_name": head, "fork": fork, "default_branch": "main"}},
        },
        "repository": base_repo,
    }  # fmt: skip
    action.inputs = {
        "github-token": READONLY_TOKEN if fork else WRITE_TOKEN,
        "coverage-files": report,
        "pin-policy": "off",
    }
    runtime = runtime_environ(results, run=run)
    action.env = {k: v for k, v in runtime.items() if k.startswith("ACTIONS_")}
    action.env.update({"GITHUB_REPOSITORY_ID": str(REPO_ID), "GITHUB_RUN_ID": str(run.run_id)})
    return action.run(), run.run_id


def publish(tmp: Path, github: FakeGitHub, run_id: int) -> Result:
    """The trusted workflow_run run for the fork's run `run_id`."""
    tmp.mkdir()
    action = ActionRun(tmp)
    action.api_url = github.base_url
    action.event_name = "workflow_run"
    action.event = {
        "action": "completed",
        "workflow_run": {
            "id": run_id, "name": "CI", "head_branch": "gaps", "head_sha": FORK_HEAD,
            "path": ".github/workflows/ci.yml", "run_number": 1, "run_attempt": 1,
            "event": "pull_request", "status": "completed", "conclusion": "success",
            "workflow_id": 5555, "pull_requests": [],
            "head_repository": {"id": FORK_ID, "full_name": FORK, "fork": True},
            "repository": {"id": REPO_ID, "full_name": REPO, "fork": False},
        },
        "workflow": {"id": 5555, "name": "CI", "path": ".github/workflows/ci.yml"},
        "repository": {"id": REPO_ID, "full_name": REPO, "default_branch": "main"},
        "sender": {"login": "contrib", "id": 5001, "type": "User"},
    }  # fmt: skip
    action.inputs = {"github-token": WRITE_TOKEN, "mode": "publish"}
    action.env = {"GITHUB_REPOSITORY_ID": str(REPO_ID), "GITHUB_RUN_ID": "9799999999"}
    return action.run()


def missing_cells(markdown_text: str) -> dict[str, str]:
    """The per-file table's "Missing lines" cells, by file."""
    cells: dict[str, str] = {}
    in_table = False
    for line in markdown_text.splitlines():
        if line.startswith("| File |"):
            in_table = line.rstrip().endswith("| Missing lines |")
        elif in_table and line.startswith("| `"):
            cells[line.split("`")[1]] = line.strip()[1:-1].split(" | ")[-1].strip()
        elif not line.startswith("|"):
            in_table = False
    return cells


@pytest.mark.parametrize("report", ["coverage.xml", "coverage.json"])
def test_the_fork_comment_shows_missing_lines_as_the_runs_own_comment_and_coverage_report_m(
    tmp_path: Path,
    github: FakeGitHub,
    results: FakeResults,
    project: tuple[Path, str],
    report: str,
) -> None:
    root, expected = project
    assert expected == "4-8, 12-15"  # joined across the blank line and the comments

    own, _ = pull_request_run(tmp_path / "own", github, results, root, report, fork=False)
    assert own.code == 0, own.stdout + own.stderr
    [own_comment] = github.comments(REPO, 43)

    fork, run_id = pull_request_run(tmp_path / "fork", github, results, root, report, fork=True)
    assert fork.code == own.code, fork.stdout + fork.stderr
    [artifact] = [a for a in github.artifacts(REPO) if a.run_id == run_id and a.name == NAME]
    published = publish(tmp_path / "publish", github, run_id)
    assert published.code == 0 and published.warnings == [], published.stdout
    [fork_comment] = github.comments(REPO, 42)

    own_cells, fork_cells = missing_cells(own_comment.body), missing_cells(fork_comment.body)
    assert own_cells["sample/gaps.py"] == f"`{expected}`"  # coverage report -m's Missing
    assert fork_cells == own_cells  # every file's cell, as the run's own comment shows it
    assert missing_cells(published.summary) == missing_cells(own.summary) == own_cells
    assert published.summary == fork.summary
    assert artifact.data  # the stored result the publish run read


def test_the_stored_document_keeps_which_ranges_the_comment_joins(
    tmp_path: Path, github: FakeGitHub, results: FakeResults, project: tuple[Path, str]
) -> None:
    root, _ = project
    fork, run_id = pull_request_run(
        tmp_path / "fork", github, results, root, "coverage.xml", fork=True
    )
    assert fork.code == 0, fork.stdout
    doc = stored_doc(github, run_id)
    assert doc["coverage"]["producers"] == ["coverage.py"]
    entry = file_entry(doc, "sample/gaps.py")
    assert (entry["missing"], entry["missing_joins"]) == ("4, 7-8, 12, 14-15", "101")
    # calc.py's runs are its plain ranges: no `missing_joins`.
    assert "missing_joins" not in file_entry(doc, "sample/calc.py")


def stored_doc(github: FakeGitHub, run_id: int) -> dict[str, Any]:
    [artifact] = [a for a in github.artifacts(REPO) if a.run_id == run_id and a.name == NAME]
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as z:
        return json.loads(z.read("result.json"))  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- the document


def comment(doc: dict[str, Any]) -> str:
    return markdown.render_comment(published_context(doc))


@pytest.mark.parametrize(
    "producers, joins, shown",
    [(("coverage.py",), "101", GAPS_RUNS), (("LCOV",), None, GAPS_PLAIN), ((), None, GAPS_PLAIN)],
)
def test_the_joins_are_written_where_the_comment_joins_and_read_back(
    producers: tuple[str, ...], joins: str | None, shown: str
) -> None:
    case = joined_case(producers)
    doc = doc_of(case)
    assert doc["coverage"]["producers"] == list(producers)
    gaps = file_entry(doc, GAPS)
    assert (gaps["missing"], gaps.get("missing_joins")) == (GAPS_PLAIN, joins)
    assert all("missing_joins" not in f for f in doc["coverage"]["files"] if f["path"] != GAPS)
    assert missing_cells(comment(doc))[GAPS] == f"`{shown}`"
    assert comment(doc) == markdown.render_comment(direct_context(case))


def older(doc: dict[str, Any]) -> None:
    """The document as a covaction from before `producers` and `missing_joins` wrote it."""
    del doc["coverage"]["producers"]
    for f in doc["coverage"]["files"]:
        f.pop("missing_joins", None)


@pytest.mark.parametrize(
    "edit",
    [older, lambda d: file_entry(d, GAPS).pop("missing_joins")],
    ids=["written by an older covaction", "producers without joins"],
)
def test_a_document_without_joins_reads_with_the_plain_ranges(
    edit: Callable[[dict[str, Any]], None],
) -> None:
    doc = doc_of(joined_case())
    edit(doc)
    stored = result_reader.loads(result.dumps(doc))
    gaps = stored.comparison.report.files[GAPS]
    assert gaps.missed_runs() == ((4, 4), (7, 8), (11, 12), (14, 15))
    assert missing_cells(comment(doc))[GAPS] == f"`{GAPS_PLAIN}`"


def test_joins_that_join_nothing_are_read_as_the_plain_ranges() -> None:
    """A writer may give `missing_joins` for every file, and for any producer."""
    doc = doc_of(joined_case(("LCOV",)))
    for f in doc["coverage"]["files"]:
        f["missing_joins"] = "0" * f["missing"].count(",")
    assert missing_cells(comment(doc))[GAPS] == f"`{GAPS_PLAIN}`"


def joins(value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: file_entry(d, GAPS).update(missing_joins=value)


# coverage.files[1] is src/app/gaps.py (files sorted by path): missed 4, 7-8, 11-12, 14-15
# (three gaps), statement 9 covered and changed (diff.files[0]).
AT = "coverage.files[1].missing_joins"
GAPS_3 = f"{AT}: must hold a 0 or 1 for each of the 3 gaps between its ranges"
HOSTILE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "joins not a string": (joins(["101"]), f"{AT}: must be a string"),
    "joins null": (joins(None), f"{AT}: must be a string"),
    "joins as a number": (joins(101), f"{AT}: must be a string"),
    "joins with markup": (joins("1<b>0</b>1"), f"{AT}: is not of the expected form"),
    "joins not 0 or 1": (joins("102"), f"{AT}: is not of the expected form"),
    "joins as ranges": (joins("4-8, 11-15"), f"{AT}: is not of the expected form"),
    "joins in Arabic-Indic digits": (joins("\u0661\u0660\u0661"), f"{AT}: is not of the expected form"),
    "joins too long": (joins("1" * 9_000_000), f"{AT}: is 9,000,000 characters long, more than the 8,000,000 allowed"),
    "joins for fewer gaps": (joins("10"), GAPS_3),
    "joins for more gaps": (joins("1011"), GAPS_3),
    "no joins for the gaps": (joins(""), GAPS_3),
    "joins of a report coverage.py did not write": (
        lambda d: d["coverage"].update(producers=["LCOV"]),
        f"{AT}: joins missed lines, which only coverage.py's report does",
    ),
    "joins of a report that names no producer": (
        lambda d: d["coverage"].pop("producers"),
        f"{AT}: joins missed lines, which only coverage.py's report does",
    ),
    "a join across a covered changed line": (joins("111"), f"{AT}: joins across line 9, which diff.files[0].coverable says is covered"),
    "producers not a list": (set_at("coverage", "producers", value="coverage.py"), "coverage.producers: must be a list"),
    "producer with markup": (set_at("coverage", "producers", value=["<b>x</b>"]), "coverage.producers[0]: is not of the expected form"),
    "producer not a string": (set_at("coverage", "producers", value=[1]), "coverage.producers[0]: must be a string"),
    "producer named twice": (set_at("coverage", "producers", value=["coverage.py", "coverage.py"]), "coverage.producers: names a producer twice"),
    "too many producers": (set_at("coverage", "producers", value=[f"p{i}" for i in range(17)]), "coverage.producers: holds 17 entries, more than the 16 allowed"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_document_with_joins_that_are_not_coverage_pys_is_refused(name: str) -> None:
    edit, says = HOSTILE[name]
    doc = doc_of(joined_case())
    edit(doc)
    with pytest.raises(result.ResultError) as caught:
        result_reader.loads(result.dumps(doc))
    assert str(caught.value) == says


def test_joins_other_than_the_runs_but_hiding_nothing_are_shown() -> None:
    """Joins of whole ranges, across no line the document says is covered, hide no missed
    line: the comment shows more of a file as missing (or the plain ranges), never less."""
    doc = doc_of(joined_case())
    file_entry(doc, GAPS).update(missing_joins="100")  # joins less than the run did
    assert missing_cells(comment(doc))[GAPS] == "`4-8, 11-12, 14-15`"
    edited = copy.deepcopy(doc)
    file_entry(edited, "src/app/plain.py").update(missing_joins="1")  # line 3: not in the diff
    assert missing_cells(comment(edited))["src/app/plain.py"] == "`2-5`"
