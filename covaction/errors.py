"""The one exception tree of covaction, and the exit codes a run ends with.

    CovactionError              exit 2: the run could not be done as asked
    ├── InputError              a workflow input or command-line flag has a bad value
    ├── ReportError             a coverage report is missing, unreadable or malformed
    ├── DiffError               a diff (file, git or API) cannot be read
    ├── WorkspaceError          a file outside the workspace, a link, a FIFO, a size cap
    ├── GitHubError             the GitHub API failed in a way the run cannot degrade from
    │   └── ApiError            one API call failed; `kind` says how (the REST edge's ApiFailure)
    ├── DocumentError           a versioned JSON document (baseline, fork result) is refused
    ├── ArtifactError           an artifact cannot be downloaded or is unsafe to unpack
    ├── UploadError             the Results service refused or failed an upload
    └── NothingToPublish        mode: publish has nothing to post, and why (a notice, exit 0)

Messages are single lines meant for a `::error::` annotation: they say what is wrong and how to
fix it, and never contain a token. Errors the run degrades from (an artifact rejected, a comment
not written) are caught by the stage that can degrade and become a warning or a note; the rest
reach `cli`, the one place that turns them into an exit code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The step's exit status: the gates' verdict, or why the run could not be done."""

    PASSED = 0  # every gate passed (or there was nothing to gate)
    GATE_FAILED = 1  # a gate failed
    CANNOT_RUN = 2  # the run could not be done as asked (bad input, unreadable report, ...)


class CovactionError(Exception):
    """Base of every error covaction reports itself; never shown as a traceback."""

    exit_code: ExitCode = ExitCode.CANNOT_RUN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(CovactionError):
    """A workflow input or flag is malformed; names the input and the accepted form."""


class ReportError(CovactionError):
    """A coverage report cannot be found, read or parsed."""


class DiffError(CovactionError):
    """Changed lines cannot be determined from the diff source asked for."""


class WorkspaceError(CovactionError):
    """A path escapes the workspace, is not a regular file, or exceeds its size cap."""


class GitHubError(CovactionError):
    """The GitHub API failed in a way the run cannot degrade from."""


class ApiError(GitHubError):
    """One API call failed; `kind` is one of the REST edge's failure kinds."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class DocumentError(CovactionError):
    """A versioned JSON document (baseline, fork result) fails a check; one line why."""


class ArtifactError(CovactionError):
    """An artifact that cannot be downloaded, or is not safe or not usable; one line why."""


class UploadError(CovactionError):
    """An artifact upload the Results service refused or that failed; one line why."""


class NothingToPublish(CovactionError):
    """mode: publish finds nothing to post; the message is a `::notice`, the run exits 0."""

    exit_code = ExitCode.PASSED
