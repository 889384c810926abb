"""The git edge: tracked files and diffs from the workspace's checkout, read as data only.

Everything in the checkout may come from the pull request: an earlier step (the PR's own tests)
can rewrite `.git/config`, hooks, alternates, and the home directory's `.gitconfig`. So every git
covaction runs here is boxed in, in layers, whatever those files say:

- the git program is looked up in the system directories first, never first in a PATH that an
  earlier step could have changed (GITHUB_ENV reaches a container step);
- git gets an environment built from scratch: no token, no runner variable, no GIT_* variable
  from outside; HOME and XDG_CONFIG_HOME point at /dev/null and GIT_CONFIG_GLOBAL/SYSTEM at
  /dev/null, so no global or system configuration is read (git-config(1) "ENVIRONMENT");
- no transport can run: `GIT_ALLOW_PROTOCOL` set to the empty list (git(1): only the listed
  protocols may be used, whatever any `protocol.*` configuration says; transport.c checks it
  before any transport starts) stops ssh (so `core.sshCommand`), file (so `uploadpack`), ext::,
  http (so credential helpers) and every remote helper; the repository's own
  `protocol.<name>.allow=always` outranks a command-line `-c protocol.allow=never`, but not this;
- lazy fetching is off: `GIT_NO_LAZY_FETCH=1` (git 2.45.1 and the May 2024 security releases of
  older series; Debian 12's 2.39.5 honours it, older gits ignore it), and for every version a
  partial-clone or promisor repository is refused before any command that could want an object,
  since there git would fetch it through a remote the repository configures;
- `objects/info/alternates` that reach outside the workspace and the git directory are refused;
- command-line `-c` values (which outrank every configuration file, git-config(1) "FILES") turn
  off fsmonitor, hooks, the pager, credential helpers and the untracked cache; diffs run with
  `--no-ext-diff --no-textconv` and never descend into submodules;
- git's own errors count: `ls-files` that could not read a tree prints `error:` yet exits 0.

The container runs as root over a checkout owned by the runner user, so the workspace is a
safe.directory for each call only (GIT_CONFIG_* variables), without touching global config.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from covaction.errors import DiffError

TIMEOUT = 60
# Where a system's git lives; searched before the PATH the step was given.
TRUSTED_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ALTERNATES_CAP = 64 * 1024
ALTERNATES_DEPTH = 5  # git follows alternates of alternates five deep (object-file.c)
_FALSE = frozenset({"false", "no", "off", "0"})
# Outrank the repository's configuration for these keys (command-line scope is read last).
OVERRIDES = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.quotePath=false",
    "core.sshCommand=false",
    "core.askPass=",
    "credential.helper=",
    "protocol.allow=never",
    "submodule.recurse=false",
)
NOT_USED = "; files are matched against the workspace's files instead"
# Workspaces where git ran out of time once (a FIFO for .git/config or HEAD, an include of
# one): every later call there fails at once, so one run waits TIMEOUT at most once.
_STUCK: set[str] = set()


@dataclass(frozen=True, slots=True)
class Checkout:
    """The repository git finds at the workspace (absolute, resolved paths)."""

    top: str
    git_dir: str
    common_dir: str


def git_program(environ: Mapping[str, str]) -> str | None:
    """The git to run: the system's, else the first on the step's PATH (a laptop's own git)."""
    return shutil.which("git", path=TRUSTED_PATH) or shutil.which(
        "git", path=environ.get("PATH") or os.defpath
    )


def git_environment(workspace: str, program: str) -> dict[str, str]:
    """The whole environment git runs with; nothing from the step's environment is passed."""
    path = TRUSTED_PATH
    where = os.path.dirname(program)
    if where and where not in path.split(":"):
        path = f"{where}:{path}"
    return {
        "PATH": path,
        "LC_ALL": "C",  # git's own "error:" and "fatal:" prefixes, untranslated
        "HOME": os.devnull,
        "XDG_CONFIG_HOME": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_SYSTEM": os.devnull,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_ATTR_NOSYSTEM": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": workspace,
        "GIT_NO_LAZY_FETCH": "1",
        "GIT_ALLOW_PROTOCOL": "",
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_SSH_COMMAND": "false",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_PAGER": "cat",
    }


def _git(
    workspace: str, environ: Mapping[str, str], *args: str
) -> subprocess.CompletedProcess[bytes]:
    program = git_program(environ)
    if program is None:
        raise FileNotFoundError(2, "git is not installed")
    command = [program, "-C", workspace, *(i for v in OVERRIDES for i in ("-c", v)), *args]
    where = os.path.realpath(workspace)
    if where in _STUCK:
        raise subprocess.TimeoutExpired(command, 0)
    try:
        return subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=git_environment(workspace, program),
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        _STUCK.add(where)
        raise


def _complaint(done: subprocess.CompletedProcess[bytes]) -> str:
    """git's first `error:` or `fatal:` line, "" when it printed none and succeeded."""
    lines = done.stderr.decode("utf-8", "replace").splitlines()
    bad = [line for line in lines if line.startswith(("error:", "fatal:"))]
    if bad:
        return bad[0][:200]
    if done.returncode != 0:
        return (lines[0][:200] if lines else "") or f"exit code {done.returncode}"
    return ""


def inspect(workspace: str, environ: Mapping[str, str]) -> tuple[Checkout | None, str]:
    """The checkout at `workspace`, or None and why covaction runs no git in it.

    The reason is "" when there is simply no checkout (no `.git`, git not installed).
    """
    has_git = os.path.lexists(os.path.join(workspace, ".git"))
    try:
        done = _git(
            workspace,
            environ,
            "rev-parse",
            "--path-format=absolute",
            "--show-toplevel",
            "--git-dir",
            "--git-common-dir",
        )
        listing = None if done.returncode else _git(workspace, environ, "config", "-z", "--list")
    except FileNotFoundError:
        return None, ""
    except subprocess.TimeoutExpired:
        return None, f"git took over {TIMEOUT}s to open the checkout" if has_git else ""
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"git could not run ({type(exc).__name__})" if has_git else ""
    if listing is None:
        return None, f"git cannot read the checkout ({_complaint(done)})" if has_git else ""
    paths = done.stdout.decode("utf-8", "surrogateescape").split("\n")
    if len(paths) != 4 or paths[3] or not all(os.path.isabs(p) for p in paths[:3]):
        return None, "git named the checkout's directories in a form covaction cannot read"
    checkout = Checkout(*(os.path.realpath(p) for p in paths[:3]))
    if listing.returncode != 0:
        return None, f"git cannot read the checkout's configuration ({_complaint(listing)})"
    why = _promisor(listing.stdout) or _alternates(workspace, checkout)
    return (None, why) if why else (checkout, "")


def _promisor(config: bytes) -> str:
    """Why the configuration makes this a partial clone (git would fetch missing objects)."""
    for entry in config.split(b"\0"):
        name, _, value = entry.decode("utf-8", "replace").partition("\n")
        key = name.lower()
        # git's promisor-remote.c: extensions.partialClone names one; `remote.<name>.promisor`
        # (a valueless one is true) or any `remote.<name>.partialCloneFilter` makes one (a
        # lazy fetch writes the latter into .git/config); older gits read
        # core.partialCloneFilter too.
        remote = key.startswith("remote.")
        if not (
            (key == "extensions.partialclone" and value)
            or (remote and key.endswith(".promisor") and value.lower() not in _FALSE)
            or (remote and key.endswith(".partialclonefilter"))
            or key == "core.partialclonefilter"
        ):
            continue
        setting = name[:100]
        return (
            f"the checkout is a partial clone ({setting} in its git configuration): covaction "
            "runs no git in it, because git would fetch missing objects through a remote the "
            "repository configures (check out without `filter:` to use git)"
        )
    return ""


def _alternates(workspace: str, checkout: Checkout) -> str:
    """Why the object store borrows objects from outside the workspace, "" when it does not."""
    roots = [os.path.realpath(workspace), checkout.common_dir]
    todo = [(os.path.join(checkout.common_dir, "objects"), 0)]
    seen: set[str] = set()
    while todo:
        objects, depth = todo.pop()
        path = os.path.join(objects, "info", "alternates")
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size > ALTERNATES_CAP:
                raise OSError(0, "not a small regular file")
            with open(path, "rb") as fh:
                text = fh.read(ALTERNATES_CAP).decode("utf-8", "surrogateescape")
        except FileNotFoundError:
            continue
        except OSError:
            return _borrowed("objects/info/alternates cannot be read as a small regular file")
        for line in text.split("\n"):
            if not line or line.startswith("#"):
                continue
            target = os.path.realpath(os.path.join(objects, line))
            if line.startswith('"') or not any(
                target == root or target.startswith(root.rstrip(os.sep) + os.sep) for root in roots
            ):
                return _borrowed(
                    f"objects/info/alternates names an object store outside the workspace "
                    f"({line[:100]!r})"
                )
            if depth + 1 < ALTERNATES_DEPTH and target not in seen:
                seen.add(target)
                todo.append((target, depth + 1))
    return ""


def _borrowed(what: str) -> str:
    return f"the checkout's {what}: covaction runs no git in it"


def tracked_files(
    workspace: str,
    environ: Mapping[str, str],
    warn: Callable[[str], None] | None = None,
    untracked: bool = False,
) -> list[str] | None:
    """Repository-relative paths git tracks, or None when the workspace is not a checkout.

    `untracked` adds the files git does not track and does not ignore (a laptop's new files
    not yet added); in a workflow's checkout they are in no repository on GitHub, and listing
    them walks the whole working tree. `warn` hears why git's list is not used when there is a
    checkout (refused, or git failed).
    """

    def refuse(why: str) -> None:
        if why and warn is not None:
            warn(why + NOT_USED)

    checkout, why = inspect(workspace, environ)
    if checkout is None:
        refuse(why)
        return None
    prefix = os.path.relpath(os.path.realpath(workspace), checkout.top)
    if prefix.startswith(".."):
        return None
    try:
        # `--others` walks the whole working tree (0.9 s CPU in a 22,000-file checkout).
        others = ("--others", "--exclude-standard") if untracked else ()
        done = _git(workspace, environ, "ls-files", "-z", "--cached", *others)
    except (OSError, subprocess.SubprocessError) as exc:
        refuse(f"git ls-files could not run ({type(exc).__name__})")
        return None
    complaint = _complaint(done)
    if complaint:
        refuse(f"git ls-files failed ({complaint})")
        return None
    return [p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def _diff_options() -> tuple[str, ...]:
    return (
        "-c", "diff.noprefix=false", "-c", "diff.mnemonicPrefix=false", "-c",
        "diff.submodule=short", "diff", "--no-color", "--no-ext-diff", "--no-textconv",
        "--ignore-submodules=all", "--submodule=short", f"-O{os.devnull}", "--src-prefix=a/",
        "--dst-prefix=b/", "--no-relative", "--find-renames", "-U0",
    )  # fmt: skip


def diff_against(
    workspace: str, environ: Mapping[str, str], base: str, worktree: bool = False
) -> str:
    """`git diff BASE...HEAD` (changes since the merge base), as text.

    `worktree`: the merge base against the working tree instead of HEAD, so that uncommitted
    changes count and the line numbers are those of the files coverage measured. Only for a
    laptop run in the user's own checkout: comparing with the working tree makes git read file
    contents, through whatever filters the repository configures, which a pull request's
    checkout must never get to choose.
    """
    if base.startswith("-"):
        raise DiffError(f"diff-base: {base[:40]!r} is not a ref")
    checkout, why = inspect(workspace, environ)
    if checkout is None:
        raise DiffError(f"diff-base: {why or 'the workspace is not a git checkout'}")
    shown = f"{base[:60]}...HEAD"
    try:
        if worktree:
            found = _git(workspace, environ, "merge-base", base, "HEAD")
            complaint = _complaint(found)
            if complaint:
                raise DiffError(
                    f"diff-base: git merge-base {base[:60]} HEAD failed ({complaint}); pass an "
                    "existing ref that shares history with HEAD"
                )
            merge_base = found.stdout.decode("ascii", "replace").strip()
            shown = f"{base[:60]} (merge base {merge_base[:12]}) against the working tree"
            done = _git(workspace, environ, *_diff_options(), merge_base, "--")
        else:
            done = _git(workspace, environ, *_diff_options(), f"{base}...HEAD", "--")
    except subprocess.TimeoutExpired:
        raise DiffError(f"git diff {shown} took over {TIMEOUT}s") from None
    except OSError as exc:
        raise DiffError(f"git is not available to compute the diff ({exc.strerror})") from None
    complaint = _complaint(done)
    if complaint:
        raise DiffError(
            f"diff-base: git diff {shown} failed ({complaint}); fetch the base "
            "with actions/checkout fetch-depth: 0, or pass an existing ref"
        )
    return done.stdout.decode("utf-8", "surrogateescape")


def has_commit(workspace: str, environ: Mapping[str, str], sha: str) -> bool:
    """True when the checkout holds that commit (shallow checkouts usually lack the base)."""
    if not sha or sha.startswith("-"):
        return False
    if inspect(workspace, environ)[0] is None:
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
    checkout, why = inspect(workspace, environ)
    if checkout is None:
        raise DiffError(why or "the workspace is not a git checkout")
    try:
        done = _git(workspace, environ, *_diff_options(), base, head, "--", *paths)
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(
            f"git diff for files without a patch failed ({type(exc).__name__})"
        ) from None
    if _complaint(done):
        raise DiffError("git diff for files without a patch failed")
    return done.stdout.decode("utf-8", "surrogateescape")
