"""Every uncovered changed line annotated in "Files changed": on a check run when the token may
create one, as workflow commands (ten per type, the runner's limit) when it may not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakegithub import FakeGitHub, FileChange
from tests.harness import ActionRun

REPO = "octo-org/widget"
HEAD, BASE = "b0" * 20, "a0" * 20
TOKEN = "ghs_" + "CheckRuns0" * 4
LINES = 30  # every even line uncovered: 15 separate uncovered changed ranges


def _step(action: ActionRun, gh: FakeGitHub, checks: str) -> ActionRun:
    gh.add_repo(REPO)
    perms = {"contents": "read", "pull_requests": "write", "issues": "write", "checks": checks}
    gh.add_token(TOKEN, permissions=perms)  # type: ignore[arg-type]
    patch = f"@@ -0,0 +1,{LINES} @@\n" + "".join(f"+x{n} = {n}\n" for n in range(1, LINES + 1))
    gh.add_pull(REPO, 42, head_sha=HEAD, base_sha=BASE, head_ref="f",
                files=[FileChange("pkg/mod.py", patch=patch)])  # fmt: skip
    ws = action.workspace
    (ws / "pkg").mkdir()
    (ws / "pkg" / "mod.py").write_text("".join(f"x{n} = {n}\n" for n in range(1, LINES + 1)))
    lines = "".join(f'<line number="{n}" hits="{n % 2}"/>' for n in range(1, LINES + 1))
    (ws / "coverage.xml").write_text(
        '<?xml version="1.0" ?><coverage version="7.6"><sources><source>.</source></sources>'
        '<packages><package name="pkg"><classes><class name="mod.py" filename="pkg/mod.py">'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>"
    )
    repo: dict[str, Any] = {"id": 1, "full_name": REPO, "default_branch": "main"}
    action.event_name = "pull_request"
    action.event = {
        "number": 42,
        "pull_request": {"number": 42, "changed_files": 1,
                         "base": {"ref": "main", "sha": BASE, "repo": repo},
                         "head": {"ref": "f", "sha": HEAD, "repo": repo}},
        "repository": repo,
    }  # fmt: skip
    action.api_url = gh.base_url
    action.inputs.update({"github-token": TOKEN, "pin-policy": "off"})
    return action


def test_with_checks_write_every_uncovered_line_is_on_one_check_run(
    action: ActionRun, fake_github: FakeGitHub
) -> None:
    r = _step(action, fake_github, "write").run()
    assert r.code == 0, r.stdout + r.stderr
    [run] = fake_github.check_runs(REPO)
    assert (run.name, run.head_sha, run.conclusion) == ("covaction (coverage)", HEAD, "neutral")
    assert len(run.annotations) == 15  # all of them, not the runner's ten
    assert [a["start_line"] for a in run.annotations] == list(range(2, LINES + 1, 2))
    assert not [w for w in r.warnings if "not covered by tests" in w]  # no duplicates
    assert "All 15 annotations are on the check run covaction (coverage)" in r.summary


@pytest.mark.parametrize("checks", ["read", "none"])
def test_without_checks_write_the_runners_ten_and_a_true_note(
    action: ActionRun, fake_github: FakeGitHub, checks: str
) -> None:
    r = _step(action, fake_github, checks).run()
    assert r.code == 0, r.stdout + r.stderr
    assert fake_github.check_runs(REPO) == []
    assert len([w for w in r.warnings if "not covered by tests" in w]) == 8  # 10 less 2 kept
    assert "7 more warning annotations left out" in r.stdout
    assert "grant checks: write" in r.stdout
