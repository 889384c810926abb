"""The in-process harness and the container agree, and a run takes its network settings from
its own environment: the two things that make running the action in the test's interpreter
(tests/harness.py) a faithful stand-in for `python entrypoint.py`."""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest
import requests.utils

from covaction.edges import artifact_download
from covaction.edges.artifact_upload import zip_single_file
from covaction.edges.github_rest import GitHubApi
from tests import forward_proxy
from tests.fakegithub import WRITE_TOKEN, FakeGitHub
from tests.harness import ActionRun, Result, process_state

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
REPO = "octo-org/widget"


def _demo(tmp: Path, process: bool) -> tuple[ActionRun, Result]:
    tmp.mkdir()
    action = ActionRun(tmp, process=process)
    shutil.copytree(DEMO, action.workspace, dirs_exist_ok=True)
    action.inputs.update(
        {
            "coverage-files": "coverage.xml",
            "diff-file": "changes.diff",
            "baseline-file": "baseline.json",
            "report-json": "out/report.json",
            "minimum-coverage": "80",
            "minimum-diff-coverage": "90",
            "pin-policy": "warn",
        }
    )
    return action, action.run()


def test_the_bundled_example_reads_the_same_in_process_and_in_a_process(tmp_path: Path) -> None:
    """Exit code, outputs, summary, report-json, every stdout line and stderr: identical
    whether the run is `cli.main` in this interpreter or `python entrypoint.py`."""
    inside, there = tmp_path / "a", tmp_path / "b"
    a_run, a = _demo(inside, process=False)
    b_run, b = _demo(there, process=True)

    def same(text: str, run: ActionRun) -> str:
        return text.replace(str(run.tmp), "<tmp>")

    assert (a.code, a.outputs) == (b.code, b.outputs)
    assert a.code == 1  # the demo's diff coverage is under 90%
    assert same(a.summary, a_run) == same(b.summary, b_run)
    assert same(a.stdout, a_run) == same(b.stdout, b_run)
    assert same(a.stderr, a_run) == same(b.stderr, b_run)
    docs = [json.loads((r.workspace / "out/report.json").read_text()) for r in (a_run, b_run)]
    assert docs[0] == docs[1]


def test_a_run_in_process_leaves_the_process_as_it_found_it(action: ActionRun) -> None:
    """Working directory, environment, umask, signal handlers, sys.path, streams, logging:
    the harness compares them around every in-process run; here once more from outside."""
    shutil.copytree(DEMO, action.workspace, dirs_exist_ok=True)
    action.inputs.update({"coverage-files": "coverage.xml", "pin-policy": "warn"})
    before = process_state()
    assert action.run().code == 0
    assert process_state() == before


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"HTTP_PROXY": "http://upper:1"},
        {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2"},
        {"HTTP_PROXY": "http://upper:1", "http_proxy": ""},
        {"HTTP_PROXY": "http://upper:1", "REQUEST_METHOD": "GET"},
        {"http_proxy": "http://lower:2", "REQUEST_METHOD": "GET"},
        {"HTTPS_PROXY": "http://s:3", "ALL_PROXY": "socks5://a:4"},
        {"http_proxy": "http://p:1", "no_proxy": "storage.example"},
        {"http_proxy": "http://p:1", "NO_PROXY": ".example"},
        {"http_proxy": "http://p:1", "no_proxy": "storage.example:8080"},
        {"http_proxy": "http://p:1", "no_proxy": "other.example, 10.0.0.0/8"},
        {"http_proxy": "http://p:1", "no_proxy": "*"},
        {"http_proxy": "http://p:1", "no_proxy": "", "NO_PROXY": "*"},
        {"http_proxy": "http://p:1", "no_proxy": "", "NO_PROXY": "STORAGE.example"},
        {"http_proxy": "http://p:1", "no_proxy": "10.1.2.3"},
    ],
)
@pytest.mark.parametrize(
    "url",
    [
        "http://storage.example:8080/blob?sig=x",
        "https://storage.example/blob",
        "http://10.1.2.3/blob",
        "http://[::1]:9/blob",
    ],
)
def test_proxies_are_the_ones_requests_takes_from_that_environment(
    environ: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests itself is the oracle: the process environment set to `environ`, its
    `get_environ_proxies(url)` is what the download must use when the run's environment is
    `environ` (and the process's is anything)."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    expected = requests.utils.get_environ_proxies(url)
    monkeypatch.setenv("HTTPS_PROXY", "http://process-only:9")  # never the run's
    monkeypatch.setenv("NO_PROXY", "process.only")
    assert artifact_download.environ_proxies(url, environ) == expected


def test_the_baseline_download_goes_through_the_proxy_the_runs_environment_names(
    fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A self-hosted runner's proxy reaches the container as the step's environment; the
    storage download honours it even where the process environment (here, the test's) has
    none, and sends the proxy no credentials."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    fake_github.add_repo(REPO)
    data = zip_single_file("baseline.json", b"{}")
    artifact = fake_github.add_artifact(
        REPO, "coverage-baseline", data, run_id=7, head_sha="a" * 40
    )
    with forward_proxy.running() as proxy:
        environ = {"HTTP_PROXY": forward_proxy.proxy_url(proxy), "NO_PROXY": ""}
        api = GitHubApi(WRITE_TOKEN, fake_github.base_url, REPO, timeout=5, environ=environ)
        [item] = [a for a in api_listing(fake_github) if a["id"] == artifact]
        got = artifact_download.download(api, REPO, item)
        api.close()
    assert got.is_zip and got.data == data
    [storage] = fake_github.requests_for(host="storage")
    relayed = [
        headers for _, uri, headers in proxy.seen if urllib.parse.urlsplit(uri).path == storage.path
    ]
    assert len(relayed) == 1
    assert {k.lower() for k in relayed[0]}.isdisjoint({"authorization", "proxy-authorization"})


def api_listing(fake: FakeGitHub) -> list[dict[str, object]]:
    """The artifacts listing as the API serves it (the entries `download` is given)."""
    reply = requests.get(
        f"{fake.base_url}/repos/{REPO}/actions/artifacts",
        headers={"Authorization": f"token {WRITE_TOKEN}", "User-Agent": "t"},
        timeout=5,
    )
    return list(reply.json()["artifacts"])
