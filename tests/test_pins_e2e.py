"""The pin check through `python entrypoint.py`: findings, annotations, outputs, fix suggestions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakegithub import WRITE_TOKEN, FakeGitHub
from tests.harness import END_TO_END, ActionRun

SHA_CHECKOUT = "08eba0b27e820071cde6df949e0beb9ba4906955"
SHA_OTHER = "1111111111111111111111111111111111111111"

WORKFLOW = f"""\
name: CI
on: [push]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA_CHECKOUT} # v4.3.0
      - uses: actions/setup-python@v5
      - uses: ./local-action
      - uses: docker://alpine:3.20
      - uses: my-org/helper@main
      - run: 'echo "uses: evil/thing@v1"'
        with:
          note: "uses: not/a-step@v1"
  reuse:
    uses: other/repo/.github/workflows/x.yml@v2
"""


def _repo(ws: Path, workflow: str = WORKFLOW) -> None:
    (ws / ".github" / "workflows").mkdir(parents=True)
    (ws / ".github" / "workflows" / "ci.yml").write_text(workflow)
    (ws / "local-action").mkdir()
    (ws / "local-action" / "action.yml").write_text(
        "name: l\nruns:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n"
    )


def test_pin_check_alone_when_no_report_and_no_gate(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs.update({"report-json": "result.json"})
    r = action.run()
    assert r.code == 0, r.stdout + r.stderr  # warn policy
    assert r.outputs["unpinned-actions"] == "5"
    assert r.outputs["coverage"] == ""
    assert "Pin check" in r.summary
    annotated = {
        (c.props.get("file"), c.props.get("line")) for c in r.of("warning") if c.props.get("file")
    }
    assert (".github/workflows/ci.yml", "8") in annotated  # setup-python@v5
    assert ("local-action/action.yml", "5") in annotated  # composite step
    doc = json.loads((action.workspace / "result.json").read_text())
    refs = {(x["file"], x["line"]): x for x in doc["pinning"]["references"]}
    assert refs[(".github/workflows/ci.yml", 7)]["verdict"] == "pinned"
    assert refs[(".github/workflows/ci.yml", 8)]["verdict"] == "unpinned"
    assert refs[(".github/workflows/ci.yml", 9)]["verdict"] == "local"
    assert refs[(".github/workflows/ci.yml", 10)]["verdict"] == "unpinned"  # docker tag
    assert refs[(".github/workflows/ci.yml", 16)]["uses"] == "other/repo/.github/workflows/x.yml@v2"
    assert not any(
        "evil" in x["uses"] or "not/a-step" in x["uses"] for x in doc["pinning"]["references"]
    )
    assert all(
        set(x) >= {"file", "line", "uses", "verdict", "allowed"}
        for x in doc["pinning"]["references"]
    )


def test_fail_policy_exits_1_and_allowlist_exempts(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs.update(
        {
            "pin-policy": "fail",
            "pin-allowlist": "My-Org/*\nactions/setup-python, actions/cache, other/repo",
        }
    )
    r = action.run()
    assert r.code == 1
    assert r.outputs["unpinned-actions"] == "1"  # only the docker image is left
    assert any("not pinned" in e for e in r.errors)


def test_off_policy_skips_the_check(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs["pin-policy"] = "off"
    r = action.run()
    assert r.code == 0 and r.outputs["unpinned-actions"] == ""  # no check, no count


def test_unparsable_workflow_is_a_finding_with_its_line(action: ActionRun) -> None:
    _repo(action.workspace, "jobs:\n  a:\n    steps:\n      - uses: a/b@v1\n     bad: [\n")
    r = action.run()
    assert any(c.props.get("file") == ".github/workflows/ci.yml" for c in r.of("warning"))
    assert "ci.yml" in r.summary


def test_a_missing_report_with_explicit_coverage_files_stays_an_error(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs["coverage-files"] = "coverage.xml"
    assert action.run().code == 2


@END_TO_END
def test_tags_resolved_to_commits_through_the_api(
    action: ActionRun, fake_github: FakeGitHub
) -> None:
    _repo(action.workspace)
    fake_github.add_repo("octo-org/widget")
    fake_github.add_repo("actions/setup-python")
    fake_github.add_tag(
        "actions/setup-python", "v5", "a26af69be951a213d495a4c3e4e4022e16d87065", annotated=True
    )
    fake_github.add_repo("actions/checkout")
    fake_github.add_tag("actions/checkout", "v4.3.0", SHA_OTHER)  # the comment lies
    fake_github.add_repo("my-org/helper")
    fake_github.add_branch("my-org/helper", "main", "2" * 40)
    action.api_url = fake_github.base_url
    action.token = WRITE_TOKEN
    action.inputs["report-json"] = "r.json"
    r = action.run()
    assert r.code == 0, r.stdout
    assert "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5" in r.summary
    assert "my-org/helper@" + "2" * 40 + " # main" in r.summary
    assert any("v4.3.0" in w and "another commit" in w for w in r.warnings)
    doc = json.loads((action.workspace / "r.json").read_text())
    sugg = {x["uses"]: x["suggestion"] for x in doc["pinning"]["references"]}
    assert (
        sugg["actions/setup-python@v5"]
        == "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5"
    )
    assert WRITE_TOKEN not in r.everything()


def test_without_a_token_suggestions_are_skipped_with_a_note(action: ActionRun) -> None:
    _repo(action.workspace)
    action.token = ""
    r = action.run()
    assert "skipped" in r.summary


@pytest.mark.parametrize("policy", ["warn", "fail"])
def test_annotations_can_be_turned_off(action: ActionRun, policy: str) -> None:
    _repo(action.workspace)
    action.inputs.update({"annotations": "false", "pin-policy": policy})
    r = action.run()
    assert not [c for c in r.commands if c.props.get("file")]


IMAGES_WORKFLOW = f"""\
name: integration
on: [pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    container: python:3.12-slim
    services:
      postgres:
        image: postgres:16
      redis:
        image: redis@sha256:{"4b" * 32}
    steps:
      - uses: actions/checkout@{SHA_CHECKOUT} # v4.3.0
      - uses: $/.github/actions/setup
      - run: pytest
"""


def test_images_are_findings_and_self_repository_steps_are_not(action: ActionRun) -> None:
    (action.workspace / ".github" / "workflows").mkdir(parents=True)
    (action.workspace / ".github" / "workflows" / "it.yml").write_text(IMAGES_WORKFLOW)
    (action.workspace / ".github" / "actions" / "setup").mkdir(parents=True)
    (action.workspace / ".github" / "actions" / "setup" / "action.yml").write_text(
        "runs:\n  using: docker\n  image: docker://ghcr.io/acme/setup:1\n"
    )
    action.inputs.update({"report-json": "result.json", "pin-policy": "fail"})
    r = action.run()
    assert r.code == 1, r.stdout + r.stderr
    assert r.outputs["unpinned-actions"] == "3"
    annotated = {(c.props.get("file"), c.props.get("line")) for c in r.of("error")}
    assert annotated >= {
        (".github/workflows/it.yml", "6"),  # container
        (".github/workflows/it.yml", "9"),  # service
        (".github/actions/setup/action.yml", "3"),  # the Docker action's image
    }
    doc = json.loads((action.workspace / "result.json").read_text())
    refs = {(x["file"], x["line"]): x for x in doc["pinning"]["references"]}
    assert refs[(".github/workflows/it.yml", 11)]["verdict"] == "pinned"  # redis by digest
    assert refs[(".github/workflows/it.yml", 14)]["verdict"] == "local"  # $/
    assert refs[(".github/workflows/it.yml", 6)]["kind"] == "docker"
    assert "digest" in refs[(".github/workflows/it.yml", 9)]["reason"]


def test_pin_rules_let_trusted_owners_use_tags(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs.update(
        {"pin-policy": "fail", "pin-rules": "actions/*: ref-pin\nmy-org/*: any\nother/*: ref-pin"}
    )
    r = action.run()
    assert r.code == 1
    assert r.outputs["unpinned-actions"] == "1"  # docker://alpine:3.20 needs a digest


def test_a_bad_pin_rules_line_stops_the_run_naming_the_input(action: ActionRun) -> None:
    _repo(action.workspace)
    action.inputs["pin-rules"] = "actions/*: pinned"
    r = action.run()
    assert r.code == 2
    assert any(e.startswith("pin-rules: the line 'actions/*: pinned'") for e in r.errors)
