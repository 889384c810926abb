"""The `covaction` command and the container's entry: inputs into Settings, the real edges
built, the run started, and the one place where errors become exit codes.

Exit codes (`errors.ExitCode`): 0 all gates passed, 1 a gate failed, 2 the run could not be done
as asked. Every error the user can cause is one `::error::` line; no traceback reaches the log.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from covaction import __version__
from covaction.edges.runner import Runner
from covaction.errors import CovactionError, ExitCode, InputError

if TYPE_CHECKING:
    from covaction.edges.github_rest import GitHubApi
    from covaction.github_context import GitHubContext
    from covaction.settings import Settings

EVENT_CAP = 25 * 1024 * 1024


def cli(argv: Sequence[str] | None = None) -> NoReturn:
    """The `covaction` command and the container entrypoint."""
    young_garbage_only()
    sys.exit(main(sys.argv[1:] if argv is None else argv, os.environ))


def young_garbage_only() -> None:
    """The process's garbage collector keeps to young objects (generations 0 and 1).

    A run builds its data once and keeps it to the end: arrays of line numbers, counts and rows
    per file, which hold no reference cycle. CPython's full collection visits every object
    each time the heap grows by a quarter: on a 150 MB coverage.py report, 7 of them visited
    400,000 objects each to free nothing covaction made, 0.5 s of a 7 s run. Young objects
    are still collected, which is where a short-lived cycle (an exception's traceback, a
    parser and its handlers) dies; the process ends minutes later at most.
    """
    gen0, gen1, _full = gc.get_threshold()
    gc.set_threshold(gen0, gen1, 1 << 30)


def main(
    argv: Sequence[str],
    environ: Mapping[str, str],
    out: TextIO | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    runner = Runner(environ, out)
    try:
        from covaction import settings as settings_module

        if argv:
            settings = settings_module.from_argv(argv, environ)
        else:
            settings = settings_module.from_environ(environ)
    except CovactionError as exc:
        runner.error(str(exc))
        return int(exc.exit_code)
    runner.mask(settings.token)
    try:
        return int(_run(settings, environ, runner, now))
    except CovactionError as exc:
        runner.error(runner.scrub(str(exc)))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        runner.error("interrupted")
        return int(ExitCode.CANNOT_RUN)
    except Exception as exc:
        detail = runner.scrub(str(exc))[:300].replace("\n", " ")
        runner.error(
            f"covaction {__version__} hit an internal error ({type(exc).__name__}: {detail}); "
            "please report it with this line"
        )
        if environ.get("RUNNER_DEBUG") == "1":
            import traceback

            runner.info(runner.scrub("".join(traceback.format_exc())))
        return int(ExitCode.CANNOT_RUN)


def _run(
    settings: Settings, environ: Mapping[str, str], runner: Runner, now: Callable[[], datetime]
) -> ExitCode:
    """Build the real edges for one run, and run it."""
    from covaction import github_context
    from covaction.edges import Edges
    from covaction.edges.workspace import Workspace
    from covaction.stages.run import run

    root = environ.get("GITHUB_WORKSPACE") or os.getcwd()
    if not os.path.isdir(root):
        raise InputError(f"GITHUB_WORKSPACE {root[:200]!r} is not a directory")
    workspace = Workspace(root)
    github = github_context.from_environ(environ, *_event_bytes(environ))
    for note in github.notes:
        runner.warning(note)
    scratch_root = environ.get("RUNNER_TEMP") or tempfile.gettempdir()
    with tempfile.TemporaryDirectory(
        prefix="covaction-", dir=scratch_root if os.path.isdir(scratch_root) else None
    ) as tmp:
        api, api_note = _connect(settings, environ, github, runner)
        edges = Edges(
            environ=environ,
            runner=runner,
            workspace=workspace,
            scratch=Path(tmp),
            api=api,
            api_note=api_note,
            now=now,
        )
        return run(settings, edges, github)


def _event_bytes(environ: Mapping[str, str]) -> tuple[bytes | None, str]:
    """The event payload's bytes, or None and why not ("" when the variable is unset)."""
    path = environ.get("GITHUB_EVENT_PATH", "")
    if not path:
        return None, ""
    # Only a regular file within the cap (a FIFO would hang); github_context then says the
    # payload could not be read, and the run degrades to "not a pull request".
    try:
        p = Path(path)
        if not p.exists():
            return None, "no event payload (GITHUB_EVENT_PATH names no file)"
        if not p.is_file():
            return None, "the event payload is not a regular file (GITHUB_EVENT_PATH)"
        if p.stat().st_size > EVENT_CAP:
            return None, "the event payload is too large to read"
        return p.read_bytes(), ""
    except OSError as exc:
        return None, f"the event payload cannot be read ({exc.strerror or type(exc).__name__})"


def _connect(
    settings: Settings, environ: Mapping[str, str], github: GitHubContext, runner: Runner
) -> tuple[GitHubApi | None, str]:
    """The REST edge, or None and why there is none."""
    if not settings.token:
        return None, "no token (laptop run, or github-token is empty)"
    if not github.actions:
        return None, "not running in GitHub Actions"
    if not github.repository or not github.api_url:
        return None, "GITHUB_REPOSITORY or GITHUB_API_URL is missing or malformed (see above)"
    from covaction.edges import github_rest

    options = github_rest.options_from_environ(environ)
    for name, key in (
        ("COVACTION_API_DEADLINE", "deadline"),
        ("COVACTION_MAX_RETRY_WAIT", "max_wait"),
    ):
        if environ.get(name) and key not in options:
            runner.warning(
                f"{name} {environ[name][:40]!r} is not a plain number of seconds (e.g. 300): "
                "the default is used"
            )
    api = github_rest.GitHubApi(
        settings.token,
        github.api_url,
        github.repository,
        deadline=options.get("deadline", github_rest.DEFAULT_DEADLINE),
        max_wait=options.get("max_wait"),
        environ=environ,
    )
    return api, ""


if __name__ == "__main__":
    cli()
