"""The edges: the only modules with I/O, each the sole owner of its outside thing.

- `runner`: the runner protocol (workflow commands, outputs file, job summary);
- `workspace`: files under the workspace (no link, FIFO or size cap escapes it);
- `git`: the repository's tracked files and diffs;
- `github_rest`: GitHub's REST API, the only importer of PyGithub;
- `artifact_download`: an artifact's zip, fetched and unpacked safely;
- `artifact_upload`: an artifact stored through the Results service, as the toolkit does;
- `coverage_data`: coverage.py's `.coverage` data file, read by running coverage.py.

`Edges` is what `cli` built for one run, frozen; stages take it (or the parts they use).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covaction.edges.github_rest import GitHubApi
    from covaction.edges.runner import Runner
    from covaction.edges.workspace import Workspace


@dataclass(frozen=True)
class Edges:
    """The outside world of one run; tests build it with fakes behind the same interfaces."""

    environ: Mapping[str, str]
    runner: Runner
    workspace: Workspace
    scratch: Path  # a private temporary folder, removed when the run ends
    api: GitHubApi | None  # None: no token, not in Actions, or no usable API URL
    api_note: str  # why there is no API ("" when there is one)
    now: Callable[[], datetime]
