"""Container entrypoint: runs covaction with the workspace kept off the import path.

The runner makes the workspace (the pull request's files) the working directory. Python must
never import from there, so before anything else is imported every sys.path entry that is empty
(the current directory) or lies inside the working directory or GITHUB_WORKSPACE is removed,
except this file's own directory and the interpreter's installation. The image also starts this
file with `python -I`, which additionally ignores PYTHONPATH, PYTHONSTARTUP and user
site-packages, and never imports a `sitecustomize` from the workspace (it would run before this
file could act).

In GitHub Actions, stdout and stderr are then wrapped so that only covaction's runner edge can
write a workflow command: a library's warning or a traceback naming a file called
`x\n::error::pwned` is printed as text.
"""

import os
import sys


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _clean_sys_path() -> None:
    here = os.path.dirname(os.path.realpath(__file__))
    untrusted = [os.path.realpath(os.getcwd())]
    if os.environ.get("GITHUB_WORKSPACE"):
        untrusted.append(os.path.realpath(os.environ["GITHUB_WORKSPACE"]))
    # A virtualenv inside a laptop checkout is the interpreter's own, not the workspace's.
    installed = [os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    kept = []
    for entry in sys.path:
        if not entry:
            continue
        real = os.path.realpath(entry)
        holders = [root for root in untrusted if _inside(real, [root])]
        # Kept when inside an installation that itself lies deeper than every untrusted root.
        own = any(
            _inside(real, [p]) and all(p != h and _inside(p, [h]) for h in holders)
            for p in installed
        )
        if real == here or not holders or own:
            kept.append(entry)
    if here not in kept:
        kept.insert(0, here)
    sys.path[:] = kept


_clean_sys_path()

from covaction.cli import cli  # noqa: E402
from covaction.edges.runner import CommandGuard  # noqa: E402

if __name__ == "__main__":
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout = CommandGuard(sys.stdout)
        sys.stderr = CommandGuard(sys.stderr)
    cli()
