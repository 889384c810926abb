"""A hostile `.git` (or home, or environment) cannot make covaction's git run a program.

Each case builds a real repository in a temporary directory whose configuration starts a payload
script that creates a marker file, shows with a plain `git` that the payload is live (the
control), then runs covaction's git edge and asserts the marker never appears and the exact
outcome: git's data, or a refusal with its warning.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from covaction.edges import git
from covaction.errors import DiffError
from tests.harness import END_TO_END, ActionRun
from tests.hostile_helpers import project

pytestmark = pytest.mark.skipif(git.git_program({}) is None, reason="git is not installed")

SECRETS = {
    "INPUT_GITHUB-TOKEN": "ghs_" + "s" * 36,
    "ACTIONS_RUNTIME_TOKEN": "runtime-" + "r" * 40,
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-" + "o" * 40,
    "GITHUB_TOKEN": "ghp_" + "p" * 36,
}
FILES = ["a/x.py", "b/y.py"]


class Box:
    """A hostile workspace: a repository, a payload that creates `marker`, a runner environ."""

    def __init__(self, tmp: Path, ws: Path | None = None) -> None:
        self.tmp = tmp
        self.ws = ws or tmp / "ws"
        self.marker = tmp / "marker"
        self.payload = tmp / "payload.sh"
        self.payload.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{self.marker}'\nexit 1\n")
        self.payload.chmod(0o755)
        self.home = tmp / "home"
        self.home.mkdir(exist_ok=True)
        self.environ = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(self.home)}
        self.environ.update(SECRETS)
        self.ws.mkdir(exist_ok=True)
        self.sh("init", "-q")
        for name in FILES:
            (self.ws / name).parent.mkdir(exist_ok=True)
            (self.ws / name).write_text("one = 1\n")
        self.sh("add", ".")
        self.sh("commit", "-qm", "base")
        self.base = self.sh("rev-parse", "HEAD").strip()
        (self.ws / "a/x.py").write_text("one = 1\ntwo = 2\n")
        self.sh("commit", "-qam", "head")

    def sh(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Plain git, as a developer (or the old covaction) would run it."""
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=self.ws,
            capture_output=True,
            text=True,
            env=env or {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(self.home)},
        )
        return done.stdout

    def config(self, *pairs: str) -> None:
        for pair in pairs:
            key, _, value = pair.partition("=")
            self.sh("config", "--add", key, value)

    def sparse_without(self, folder: str) -> str:
        """Sparse index with `folder` outside the cone, its tree object deleted (as the issue)."""
        kept = sorted(p.name for p in self.ws.iterdir() if p.is_dir() and p.name != ".git")
        self.sh("sparse-checkout", "init", "--cone", "--sparse-index")
        self.sh("sparse-checkout", "set", *(name for name in kept if name != folder))
        tree = self.sh("rev-parse", f"HEAD:{folder}").strip()
        assert f"{tree} 0\t{folder}/" in self.sh("ls-files", "--sparse", "-s")
        (self.ws / ".git/objects" / tree[:2] / tree[2:]).unlink()
        return tree

    def control(self, *args: str) -> None:
        """The payload is live: plain git starts it. Then the marker is cleared again."""
        self.sh(*args)
        assert self.marker.exists(), "the hostile setup did not start its payload under plain git"
        self.marker.unlink()

    def run_all(self) -> dict[str, object]:
        """Every git call covaction makes, with their outcomes; warnings collected."""
        warnings: list[str] = []
        out: dict[str, object] = {"warnings": warnings}
        out["tracked"] = git.tracked_files(str(self.ws), self.environ, warnings.append)
        for name, call in (
            ("diff", lambda: git.diff_against(str(self.ws), self.environ, self.base)),
            ("paths", lambda: git.diff_paths(str(self.ws), self.environ, self.base, "HEAD", FILES)),
        ):
            try:
                out[name] = call()
            except DiffError as exc:
                out[name] = exc
        out["has_base"] = git.has_commit(str(self.ws), self.environ, self.base)
        assert not self.marker.exists(), self.marker.read_text()
        return out


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path)


def assert_git_data(out: dict[str, object], tracked: list[str] = FILES) -> None:
    assert out["warnings"] == []
    assert out["tracked"] == tracked
    hunk = "+++ b/a/x.py\n@@ -1,0 +2 @@ one = 1\n+two = 2\n"
    assert isinstance(out["diff"], str) and hunk in out["diff"]
    assert isinstance(out["paths"], str) and out["paths"].endswith(hunk)
    assert out["paths"].count("diff --git") == 1
    assert out["has_base"] is True


def assert_refused(out: dict[str, object], why: str) -> None:
    assert out["tracked"] is None
    assert out["warnings"] == [why + git.NOT_USED]
    assert isinstance(out["diff"], DiffError) and str(out["diff"]) == f"diff-base: {why}"
    assert isinstance(out["paths"], DiffError) and str(out["paths"]) == why
    assert out["has_base"] is False


def partial(setting: str) -> str:
    return (
        f"the checkout is a partial clone ({setting} in its git configuration): covaction runs "
        "no git in it, because git would fetch missing objects through a remote the repository "
        "configures (check out without `filter:` to use git)"
    )


# -- lazy fetching through a promisor remote: every transport -----------------------------------


def test_the_issues_uploadpack_attack_is_refused(box: Box) -> None:
    """Partial clone + local-path remote with `uploadpack` + sparse index + a deleted tree."""
    box.sparse_without("b")
    box.config(
        "extensions.partialClone=origin",
        f"remote.origin.url={box.tmp}",
        "remote.origin.promisor=true",
        f"remote.origin.uploadpack={box.payload}",
    )
    box.control("ls-files")
    assert_refused(box.run_all(), partial("extensions.partialclone"))


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param(("ssh://git.example.invalid/x.git", "core.sshCommand={p}"), id="sshCommand"),
        pytest.param(("ext::{p}", "protocol.ext.allow=always"), id="ext-transport"),
        pytest.param(("{t}", "remote.origin.uploadpack={p}"), id="uploadpack-only-promisor"),
    ],
)
def test_a_promisor_remote_is_refused_whatever_its_transport(
    box: Box, setup: tuple[str, str]
) -> None:
    """`remote.<name>.promisor` alone makes git fetch lazily (no extensions.partialClone)."""
    url, extra = (s.format(p=box.payload, t=box.tmp) for s in setup)
    box.sparse_without("b")
    box.config(f"remote.origin.url={url}", "remote.origin.promisor=true", extra)
    box.control("ls-files")
    assert_refused(box.run_all(), partial("remote.origin.promisor"))


class _Needs401(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="x"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Needs401)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Needs401.hits = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/r.git"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_credential_helper_never_runs_and_the_network_is_never_reached(
    box: Box, server: str
) -> None:
    """An http promisor that answers 401 makes plain git start the credential helper."""
    box.sparse_without("b")
    box.config(
        "extensions.partialClone=origin",
        f"remote.origin.url={server}",
        f"credential.helper={box.payload}",
        f"credential.{server}.helper={box.payload}",
        "protocol.http.allow=always",
    )
    box.control("ls-files")
    _Needs401.hits.clear()
    assert_refused(box.run_all(), partial("extensions.partialclone"))
    assert _Needs401.hits == []


@pytest.mark.parametrize("transport", ["file", "ssh", "ext", "http"])
def test_no_transport_runs_even_past_the_refusal(box: Box, server: str, transport: str) -> None:
    """The second layer on its own: git with covaction's environment and overrides never
    connects, even in a promisor repository that `protocol.<name>.allow=always` opens."""
    box.sparse_without("b")
    url = {"file": str(box.tmp), "ssh": "ssh://h.invalid/r", "ext": f"ext::{box.payload}"}
    box.config(
        "extensions.partialClone=origin",
        f"remote.origin.url={url.get(transport, server)}",
        f"remote.origin.uploadpack={box.payload}",
        f"core.sshCommand={box.payload}",
        f"credential.helper={box.payload}",
        f"core.askPass={box.payload}",
        f"protocol.{transport}.allow=always",
    )
    box.control("ls-files")
    _Needs401.hits.clear()
    program = git.git_program(box.environ) or "git"
    overrides = [item for value in git.OVERRIDES for item in ("-c", value)]
    env = git.git_environment(str(box.ws), program)
    lazy = subprocess.run(
        [program, "-C", str(box.ws), *overrides, "ls-files"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert not box.marker.exists()
    # A git without GIT_NO_LAZY_FETCH (before 2.45 and its 2024 maintenance releases) goes
    # on to fetch; GIT_ALLOW_PROTOCOL stops every transport before it starts.
    del env["GIT_NO_LAZY_FETCH"]
    old = subprocess.run(
        [program, "-C", str(box.ws), *overrides, "ls-files"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert not box.marker.exists()
    assert _Needs401.hits == []
    assert f"fatal: transport '{transport}' not allowed" in old.stderr
    assert (
        "lazy fetching disabled" in lazy.stderr
        or f"fatal: transport '{transport}' not allowed" in lazy.stderr
    )


@pytest.mark.parametrize("transport", ["file", "ext"])
def test_command_line_protocol_allow_never_alone_loses_to_the_repository(
    box: Box, transport: str
) -> None:
    """Why the environment carries GIT_ALLOW_PROTOCOL: `-c protocol.allow=never` is outranked by
    the repository's more specific `protocol.<name>.allow=always` (git-config(1)), as the issue
    found. Without GIT_ALLOW_PROTOCOL and GIT_NO_LAZY_FETCH the payload runs despite every
    other layer; this is the control for the test above."""
    box.sparse_without("b")
    url = str(box.tmp) if transport == "file" else f"ext::{box.payload}"
    box.config(
        "extensions.partialClone=origin",
        f"remote.origin.url={url}",
        f"remote.origin.uploadpack={box.payload}",
        f"protocol.{transport}.allow=always",
    )
    program = git.git_program(box.environ) or "git"
    env = git.git_environment(str(box.ws), program)
    del env["GIT_ALLOW_PROTOCOL"], env["GIT_NO_LAZY_FETCH"]
    overrides = [item for value in git.OVERRIDES for item in ("-c", value)]
    assert "protocol.allow=never" in git.OVERRIDES
    subprocess.run(
        [program, "-C", str(box.ws), *overrides, "ls-files"],
        capture_output=True, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert box.marker.exists()


def test_a_partial_clone_filter_alone_makes_a_promisor_and_is_refused(box: Box) -> None:
    """What a lazy fetch leaves in .git/config: no `promisor`, no extension, still a promisor."""
    box.sparse_without("b")
    box.config(
        f"remote.origin.url={box.tmp}",
        "remote.origin.partialCloneFilter=blob:none",
        f"remote.origin.uploadpack={box.payload}",
    )
    box.control("ls-files")
    assert_refused(box.run_all(), partial("remote.origin.partialclonefilter"))


def test_a_promisor_remote_set_to_false_is_an_ordinary_checkout(box: Box) -> None:
    box.config(f"remote.origin.url={box.tmp}", "remote.origin.promisor=false")
    assert_git_data(box.run_all())


def test_a_tree_git_cannot_read_is_a_warning_not_a_short_list(box: Box) -> None:
    """`git ls-files` prints `error:` yet exits 0 with the files it could read; covaction
    used to take that short list."""
    tree = box.sparse_without("b")
    out = box.run_all()
    assert out["tracked"] is None
    assert out["warnings"] == [
        f"git ls-files failed (error: invalid object 040000 {tree} for 'b')" + git.NOT_USED
    ]
    assert isinstance(out["diff"], str) and "+two = 2" in out["diff"]
    assert out["has_base"] is True


# -- configuration read from elsewhere ----------------------------------------------------------


def test_include_and_include_if_are_read_and_still_refused(box: Box) -> None:
    """The promisor settings come through `include.path` and `includeIf "gitdir:"`."""
    box.sparse_without("b")
    (box.tmp / "one.cfg").write_text(f'[remote "origin"]\n\turl = {box.tmp}\n\tpromisor = true\n')
    (box.tmp / "two.cfg").write_text(f'[remote "origin"]\n\tuploadpack = {box.payload}\n')
    box.config(f"include.path={box.tmp / 'one.cfg'}", f"includeIf.gitdir:/.path={box.tmp}/two.cfg")
    box.control("ls-files")
    assert_refused(box.run_all(), partial("remote.origin.promisor"))


@pytest.mark.parametrize("where", ["home", "xdg", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_PARAMETERS"])
def test_home_and_environment_configuration_is_ignored(box: Box, where: str) -> None:
    """/github/home/.gitconfig is writable by earlier steps, and GITHUB_ENV reaches the step."""
    tree = box.sparse_without("b")
    hostile = (
        f'[remote "origin"]\n\turl = {box.tmp}\n\tpromisor = true\n\tuploadpack = {box.payload}\n'
        f"[core]\n\tfsmonitor = {box.payload}\n\thooksPath = {box.tmp}\n"
    )
    path = {
        "home": box.home / ".gitconfig",
        "xdg": box.home / ".config/git/config",
        "GIT_CONFIG_GLOBAL": box.tmp / "global.cfg",
    }.get(where, box.tmp / "unused.cfg")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(hostile)
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(box.home)}
    if where == "GIT_CONFIG_GLOBAL":
        box.environ[where] = env[where] = str(path)
    if where == "GIT_CONFIG_PARAMETERS":
        value = f"'remote.origin.url'='{box.tmp}' 'remote.origin.promisor'='true' "
        value += f"'remote.origin.uploadpack'='{box.payload}'"
        box.environ[where] = env[where] = value
    box.sh("ls-files", env=env)
    assert box.marker.exists()
    box.marker.unlink()
    # That lazy fetch wrote remote.origin.partialclonefilter into .git/config, which alone makes
    # a promisor (see the next test); removed, so that only the home or environment is hostile.
    box.sh("config", "--unset", "remote.origin.partialclonefilter")
    out = box.run_all()
    assert out["tracked"] is None
    assert out["warnings"] == [
        f"git ls-files failed (error: invalid object 040000 {tree} for 'b')" + git.NOT_USED
    ]


def test_hostile_git_variables_and_secrets_never_reach_git(box: Box) -> None:
    """Only the variables covaction sets reach git: no token, no GIT_* from outside."""
    evil = box.tmp / "evil"
    evil.mkdir()
    for name in ("git-remote-ext", "git-upload-pack", "git-ls-files"):
        (evil / name).write_text(box.payload.read_text())
        (evil / name).chmod(0o755)
    box.environ.update(
        GIT_EXEC_PATH=str(evil),
        GIT_DIR=str(box.tmp),
        GIT_INDEX_FILE=str(box.tmp / "index"),
        GIT_ALTERNATE_OBJECT_DIRECTORIES=str(box.tmp),
        GIT_EXTERNAL_DIFF=str(box.payload),
        GIT_SSH_COMMAND=str(box.payload),
        GIT_TRACE=str(box.tmp / "trace"),
        GIT_ALLOW_PROTOCOL="file:ext:ssh",
    )
    assert_git_data(box.run_all())
    assert not (box.tmp / "trace").exists()
    program = git.git_program(box.environ) or "git"
    env = git.git_environment(str(box.ws), program)
    assert not set(env) & set(SECRETS)
    assert not any(secret in value for value in env.values() for secret in SECRETS.values())
    assert sorted(env) == sorted(
        "PATH LC_ALL HOME XDG_CONFIG_HOME GIT_CONFIG_NOSYSTEM GIT_CONFIG_SYSTEM GIT_CONFIG_GLOBAL "
        "GIT_ATTR_NOSYSTEM GIT_CONFIG_COUNT GIT_CONFIG_KEY_0 GIT_CONFIG_VALUE_0 GIT_NO_LAZY_FETCH "
        "GIT_ALLOW_PROTOCOL GIT_PROTOCOL_FROM_USER GIT_TERMINAL_PROMPT GIT_ASKPASS SSH_ASKPASS "
        "GIT_SSH_COMMAND GIT_OPTIONAL_LOCKS GIT_PAGER".split()
    )


def test_a_git_planted_on_path_is_not_the_one_that_runs(box: Box) -> None:
    """An earlier step can set PATH for the container through GITHUB_ENV."""
    fake = box.tmp / "bin"
    fake.mkdir()
    (fake / "git").write_text(box.payload.read_text())
    (fake / "git").chmod(0o755)
    box.environ["PATH"] = f"{fake}:{box.environ['PATH']}"
    assert_git_data(box.run_all())


# -- programs the repository configures for local commands --------------------------------------

HOOKS = (
    "applypatch-msg pre-applypatch post-applypatch pre-commit pre-merge-commit prepare-commit-msg "
    "commit-msg post-commit pre-rebase post-checkout post-merge pre-push pre-receive update "
    "proc-receive post-receive post-update reference-transaction push-to-checkout pre-auto-gc "
    "post-rewrite sendemail-validate fsmonitor-watchman p4-changelist p4-prepare-changelist "
    "p4-post-changelist p4-pre-submit post-index-change"
).split()


def test_hooks_and_hooks_path_never_run(box: Box) -> None:
    hooks = box.tmp / "hooks"
    hooks.mkdir()
    for folder in (hooks, box.ws / ".git/hooks"):
        for name in HOOKS:
            (folder / name).write_text(box.payload.read_text())
            (folder / name).chmod(0o755)
    box.control("commit", "--allow-empty", "-qm", "control")  # .git/hooks run
    box.sh("reset", "-q", "--soft", "HEAD~1")
    box.config(f"core.hooksPath={hooks}")
    box.control("commit", "--allow-empty", "-qm", "control")  # core.hooksPath runs
    box.sh("reset", "-q", "--soft", "HEAD~1")
    box.marker.unlink(missing_ok=True)
    assert_git_data(box.run_all())


def test_fsmonitor_never_runs(box: Box) -> None:
    box.config(f"core.fsmonitor={box.payload}", "core.untrackedCache=true")
    box.control("status")
    assert_git_data(box.run_all())


def test_filters_textconv_and_diff_drivers_never_run(box: Box) -> None:
    (box.ws / ".gitattributes").write_text("* filter=evil diff=evil\n")
    box.sh("add", ".gitattributes")
    box.sh("commit", "-qm", "attributes")
    box.sh("tag", "attrs")
    p = box.payload
    box.config(
        f"filter.evil.clean={p}",
        f"filter.evil.smudge={p}",
        f"filter.evil.process={p}",
        "filter.evil.required=true",
        f"diff.evil.textconv={p}",
        f"diff.evil.command={p}",
        f"diff.external={p}",
        "diff.submodule=diff",
    )
    (box.ws / "a/x.py").write_text("one = 1\ntwo = 2\nthree = 3\n")  # the worktree differs
    box.control("diff", "HEAD")
    box.control("add", "-n", "--renormalize", ".")
    box.marker.unlink(missing_ok=True)
    assert_git_data(box.run_all(), [".gitattributes", *FILES])


# -- objects borrowed from outside ---------------------------------------------------------------


def test_alternates_outside_the_workspace_are_refused(box: Box) -> None:
    """The objects come from a store outside the workspace (another checkout on the machine)."""
    store = box.tmp / "elsewhere"
    subprocess.run(["cp", "-r", str(box.ws / ".git/objects"), str(store)], check=True)
    for loose in (box.ws / ".git/objects").glob("??/*"):
        loose.unlink()
    alternates = box.ws / ".git/objects/info/alternates"
    alternates.write_text(f"# borrowed\n{store}\n")
    assert box.sh("ls-files") == "a/x.py\nb/y.py\n"  # plain git reads them
    why = (
        f"the checkout's objects/info/alternates names an object store outside the workspace "
        f"({str(store)!r}): covaction runs no git in it"
    )
    assert_refused(box.run_all(), why)
    alternates.write_text("../../../elsewhere\n")  # relative to .git/objects
    assert_refused(box.run_all(), why.replace(repr(str(store)), "'../../../elsewhere'"))


def test_alternates_inside_the_workspace_are_data(box: Box) -> None:
    store = box.ws / "vendor-objects"
    subprocess.run(["cp", "-r", str(box.ws / ".git/objects"), str(store)], check=True)
    (box.ws / ".git/objects/info/alternates").write_text(f"{store}\n")
    out = box.run_all()
    assert out["warnings"] == [] and out["has_base"] is True
    assert isinstance(out["tracked"], list) and set(FILES) <= set(out["tracked"])


def test_a_fifo_for_git_to_read_costs_one_timeout_per_run(
    box: Box, monkeypatch: pytest.MonkeyPatch
) -> None:
    """.git/config as a FIFO makes every git block on open(): the first call times out, and
    every later call in that workspace is refused without running git again."""
    monkeypatch.setattr(git, "TIMEOUT", 1)
    config = box.ws / ".git/config"
    config.unlink()
    os.mkfifo(config)
    assert_refused(box.run_all(), "git took over 1s to open the checkout")


@END_TO_END
@pytest.mark.parametrize("diff_base", ["", "HEAD~1"])
def test_the_whole_step_in_the_issues_hostile_checkout(action: ActionRun, diff_base: str) -> None:
    """The action end to end (entrypoint, as the runner starts it) in the checkout of issue 16
    B.1: the payload never runs; the report is read against the workspace's files; a diff
    asked of git is one error naming the refusal."""
    project(action)
    box = Box(action.tmp, ws=action.workspace)
    box.sparse_without("b")
    box.config(
        "extensions.partialClone=origin",
        f"remote.origin.url={box.tmp}",
        f"remote.origin.uploadpack={box.payload}",
    )
    box.control("ls-files")
    assert (action.workspace / "pkg/a.py").exists()
    action.inputs.update({"github-token": "", "diff-base": diff_base})
    result = action.run()
    assert not box.marker.exists()
    if diff_base:
        assert result.code == 2, result.stdout + result.stderr
        assert result.errors == [f"diff-base: {partial('extensions.partialclone')}"]
    else:
        assert result.code == 0, result.stdout + result.stderr
        assert result.errors == []
        assert result.outputs["coverage"] == "50.00"
