"""Container entrypoint: runs covaction with the workspace kept off the import path.

The runner makes the workspace (the pull request's files) the working directory. Python must
never import from there, so the current directory and empty entries are removed from sys.path
before anything is imported; the image starts this file with `python -I` as well, which also
ignores PYTHON* variables a workflow could set.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_cwd = os.path.abspath(os.getcwd())
sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != _cwd or os.path.abspath(p) == _here]
if _here not in sys.path:
    sys.path.append(_here)

from covaction.main import cli  # noqa: E402

if __name__ == "__main__":
    cli()
