"""A pull request step's shared inputs: PR #42 of octo-org/widget, the changed lines of the
sample project's calc.py, the checkout as the step sees it, and the `pull_request` payload."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.render_helpers import patch_adding

REPO = "octo-org/widget"
NUMBER = 42
HEAD = "b0" * 20
BASE = "a0" * 20

# The changed lines of the sample project's calc.py: some covered, some not (9, 16, 25-27).
CALC_PATCH = patch_adding([2, 6, 9, 14, 16, 25, 26, 27])


def copy_project(project: Path, workspace: Path) -> None:
    """The checkout as the step sees it: sources and coverage.xml (no .git: the shallow case)."""
    for name in ("sample", "tests"):
        shutil.copytree(project / name, workspace / name, dirs_exist_ok=True)
    shutil.copy(project / "coverage.xml", workspace / "coverage.xml")


def pr_event(number: int = NUMBER, head_repo: str = REPO) -> dict[str, Any]:
    """A `pull_request` webhook payload with the fields the action reads."""
    owner, name = head_repo.split("/")
    base_repo = {"id": 100001, "name": "widget", "full_name": REPO, "fork": False,
                 "private": False, "default_branch": "main",
                 "owner": {"login": "octo-org", "id": 9001, "type": "Organization"}}  # fmt: skip
    head = {"id": 222, "name": name, "full_name": head_repo, "fork": head_repo != REPO,
            "private": False, "default_branch": "main", "owner": {"login": owner, "id": 5001}}  # fmt: skip
    # fmt: off
    return {
        "action": "synchronize",
        "number": number,
        "before": "1" * 40,
        "after": HEAD,
        "pull_request": {
            "url": f"https://api.github.com/repos/{REPO}/pulls/{number}",
            "issue_url": f"https://api.github.com/repos/{REPO}/issues/{number}",
            "id": 2100000042, "number": number, "state": "open", "draft": False,
            "title": "Fix parser", "user": {"login": "contrib", "id": 5001, "type": "User"},
            "head": {"label": f"{owner}:fix-parser", "ref": "fix-parser", "sha": HEAD,
                     "user": {"login": owner, "id": 5001, "type": "User"}, "repo": head},
            "base": {"label": "octo-org:main", "ref": "main", "sha": BASE,
                     "user": {"login": "octo-org", "id": 9001, "type": "Organization"},
                     "repo": base_repo},
            "merged": False, "mergeable": None, "merge_commit_sha": None,
            "commits": 2, "additions": 8, "deletions": 0, "changed_files": 1,
        },
        "repository": base_repo,
        "sender": {"login": "contrib", "id": 5001, "type": "User"},
    }
    # fmt: on
