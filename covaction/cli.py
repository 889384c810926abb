"""The orchestrator: builds the edges, runs the stages, maps errors to exit codes.

Exit codes: 0 all gates passed, 1 a gate failed, 2 the run could not be done as asked. Every
error the user can cause is one `::error::` line; no traceback reaches the log.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, TextIO

from covaction import __version__
from covaction.edges.runner import Runner
from covaction.errors import CovactionError


@dataclass
class Edges:
    """The outside world, built by `main` and replaceable in tests."""

    environ: Mapping[str, str]
    runner: Runner
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    github_factory: Callable[..., Any] | None = None


def cli(argv: Sequence[str] | None = None) -> NoReturn:
    """The `covaction` command and the container entrypoint."""
    sys.exit(main(sys.argv[1:] if argv is None else argv, os.environ))


def main(argv: Sequence[str], environ: Mapping[str, str], out: TextIO | None = None) -> int:
    runner = Runner(environ, out)
    try:
        from covaction import settings as settings_module

        if argv:
            settings = settings_module.from_argv(argv, environ)
        else:
            settings = settings_module.from_environ(environ)
    except CovactionError as exc:
        runner.error(str(exc))
        return exc.exit_code
    runner.mask(settings.token)
    try:
        from covaction.stages.run import run

        return run(settings, Edges(environ=environ, runner=runner))
    except CovactionError as exc:
        runner.error(runner.scrub(str(exc)))
        return exc.exit_code
    except KeyboardInterrupt:
        runner.error("interrupted")
        return 2
    except Exception as exc:
        detail = runner.scrub(str(exc))[:300].replace("\n", " ")
        runner.error(
            f"covaction {__version__} hit an internal error ({type(exc).__name__}: {detail}); "
            "please report it with this line"
        )
        if environ.get("RUNNER_DEBUG") == "1":
            import traceback

            runner.info(runner.scrub("".join(traceback.format_exc())))
        return 2


if __name__ == "__main__":
    cli()
