"""The git edge: tracked files and diffs from the workspace's checkout, never shell-expanded.

The container runs as root over a checkout owned by the runner user, so every call allows the
workspace as a safe.directory for that process only (GIT_CONFIG_* variables), as the contract
(A.9) asks, without touching global configuration.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping

from covaction.errors import DiffError

TIMEOUT = 60


def _env(workspace: str, environ: Mapping[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    keep.update(
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="safe.directory",
        GIT_CONFIG_VALUE_0=workspace,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_PAGER="cat",
        GIT_EXTERNAL_DIFF="",
    )
    keep.setdefault("PATH", os.defpath)
    return keep


def _git(
    workspace: str, environ: Mapping[str, str], *args: str
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [
            "git",
            "-C",
            workspace,
            # The repository's own config comes from the pull request: never let it run a
            # program (fsmonitor hooks run on ls-files/diff), a pager or an external diff.
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.pager=cat",
            "-c",
            "core.untrackedCache=false",
            "-c",
            "core.quotePath=false",
            *args,
        ],
        capture_output=True,
        env=_env(workspace, environ),
        timeout=TIMEOUT,
        check=False,
    )


def tracked_files(workspace: str, environ: Mapping[str, str]) -> list[str] | None:
    """Repository-relative paths git tracks, or None when the workspace is not a checkout."""
    try:
        top = _git(workspace, environ, "rev-parse", "--show-toplevel")
        if top.returncode != 0:
            return None
        if os.path.realpath(top.stdout.decode().strip()) != os.path.realpath(workspace):
            prefix = os.path.relpath(
                os.path.realpath(workspace), os.path.realpath(top.stdout.decode().strip())
            )
            if prefix.startswith(".."):
                return None
        done = _git(
            workspace, environ, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def diff_against(workspace: str, environ: Mapping[str, str], base: str) -> str:
    """`git diff BASE...HEAD` (changes since the merge base), as text."""
    if base.startswith("-"):
        raise DiffError(f"diff-base: {base[:40]!r} is not a ref")
    try:
        done = _git(
            workspace,
            environ,
            "-c",
            "diff.noprefix=false",
            "-c",
            "diff.mnemonicPrefix=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "--no-relative",
            "--find-renames",
            "-U0",
            f"{base}...HEAD",
            "--",
        )
    except subprocess.TimeoutExpired:
        raise DiffError(f"git diff {base}...HEAD took over {TIMEOUT}s") from None
    except OSError as exc:
        raise DiffError(f"git is not available to compute the diff ({exc.strerror})") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise DiffError(
            f"diff-base: git diff {base[:60]}...HEAD failed ({' '.join(detail)[:200]}); fetch the "
            "base with actions/checkout fetch-depth: 0, or pass an existing ref"
        )
    return done.stdout.decode("utf-8", "surrogateescape")


def has_commit(workspace: str, environ: Mapping[str, str], sha: str) -> bool:
    """True when the checkout holds that commit (shallow checkouts usually lack the base)."""
    if not sha or sha.startswith("-"):
        return False
    try:
        done = _git(workspace, environ, "cat-file", "-e", f"{sha}^{{commit}}")
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def diff_paths(
    workspace: str, environ: Mapping[str, str], base: str, head: str, paths: list[str]
) -> str:
    """`git diff BASE HEAD -- paths` for files whose patch the API did not send."""
    if base.startswith("-") or head.startswith("-"):
        raise DiffError("not a commit")
    try:
        done = _git(
            workspace, environ, "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false",
            "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/",
            "--dst-prefix=b/", "--no-relative", "--find-renames", "-U0", base, head, "--",
            *paths,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(
            f"git diff for files without a patch failed ({type(exc).__name__})"
        ) from None
    if done.returncode != 0:
        raise DiffError("git diff for files without a patch failed")
    return done.stdout.decode("utf-8", "surrogateescape")
