"""The one exception tree of covaction; each error carries the exit code it ends the run with.

    CovactionError            exit 2: the run could not be done as asked
    ├── InputError            a workflow input or command-line flag has a bad value
    ├── ReportError           a coverage report is missing, unreadable or malformed
    ├── DiffError             a diff (file, git or API) cannot be read
    ├── WorkspaceError        a file outside the workspace, a link, a FIFO, a size cap
    └── GitHubError           the GitHub API refused or failed in a way we cannot degrade from

Messages are single lines meant for a `::error::` annotation: they say what is wrong and how to
fix it, and never contain a token.
"""

from __future__ import annotations


class CovactionError(Exception):
    """Base of every error covaction reports itself; never shown as a traceback."""

    exit_code = 2

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
