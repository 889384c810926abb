"""The action's artifact upload against the fake Results service (artifact-upload.md I.4.7)."""

# The fixture is imported by name (no conftest.py), so each test's parameter shadows it.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import zipfile
from typing import Any

import pytest
import requests

from covaction import __version__
from covaction.edges.artifact_upload import (
    Timing,
    UploadResult,
    artifact_name_problem,
    availability,
    upload_artifact,
    zip_single_file,
)
from tests.fakeresults import (
    UNAVAILABLE_VARIANTS,
    FakeResults,
    Fault,
    FinalizedArtifact,
    fake_results,  # noqa: F401
    runtime_environ,
)

NAME = "covaction-baseline-coverage"
FILENAME = "baseline.json"
DATA = json.dumps({"version": 1, "totals": {"lines": [80, 100]}}).encode()
SERVICE = "/twirp/github.actions.results.api.v1.ArtifactService/"


class Clock:
    """Fake sleep: records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def timing(self, **overrides: Any) -> Timing:
        return Timing(sleep=self.sleeps.append, **overrides)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def upload(
    fake: FakeResults, clock: Clock, environ: dict[str, str] | None = None, **kwargs: Any
) -> UploadResult:
    return upload_artifact(
        NAME,
        FILENAME,
        DATA,
        environ=environ if environ is not None else runtime_environ(fake),
        timing=kwargs.pop("timing", None) or clock.timing(),
        **kwargs,
    )


def assert_no_secrets(result: UploadResult, fake: FakeResults, token: str | None = None) -> None:
    text = repr(result)
    assert (token or fake.default_run.job.token) not in text
    assert "sig=" not in text
    assert "sig%3D" not in text
    assert fake.blob_origin not in text


def twirp_bodies(fake: FakeResults, method: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in fake.requests if r.route == method]


# ---------------------------------------------------------------------------------------------
# 1-2. Happy path, reply spellings


def test_happy_path_sends_exactly_create_block_blocklist_finalize(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake = fake_results
    run, job = fake.default_run, fake.default_run.job
    result = upload(fake, clock)

    assert result.uploaded and not result.unavailable, result.reason
    assert fake.routes() == ["CreateArtifact", "blob:block", "blob:blocklist", "FinalizeArtifact"]
    assert clock.sleeps == []
    create, block, blocklist, finalize = fake.requests

    for twirp in (create, finalize):
        assert twirp.listener == "results" and twirp.method == "POST"
        assert twirp.headers["authorization"] == f"Bearer {job.token}"
        assert twirp.headers["content-type"] == "application/json"
        assert twirp.headers["user-agent"] == f"covaction/{__version__}"
    ids = {"workflow_run_backend_id": run.backend_id, "workflow_job_run_backend_id": job.backend_id}
    assert json.loads(create.body) == {**ids, "name": NAME, "version": 4}
    assert b'"version":4' in create.body and b"mime_type" not in create.body

    for blob in (block, blocklist):
        assert blob.listener == "blob" and blob.method == "PUT"
        assert "authorization" not in blob.headers
        assert job.token.encode() not in blob.body
    assert block.query.endswith("&comp=block&blockid=Y292YWN0aW9uLWJsb2NrLTAwMDAwMDAw")
    assert block.headers["content-type"] == "application/octet-stream"
    assert blocklist.query.endswith("&comp=blocklist")
    assert blocklist.headers["x-ms-blob-content-type"] == "application/zip"
    assert blocklist.headers["content-type"] == "application/xml"
    assert b"<Latest>Y292YWN0aW9uLWJsb2NrLTAwMDAwMDAw</Latest>" in blocklist.body

    uploaded = block.body
    assert json.loads(finalize.body) == {
        **ids,
        "name": NAME,
        "size": str(len(uploaded)),
        "hash": "sha256:" + hashlib.sha256(uploaded).hexdigest(),
    }
    with zipfile.ZipFile(io.BytesIO(uploaded)) as archive:
        assert archive.namelist() == [FILENAME]
        assert archive.read(FILENAME) == DATA
        assert archive.getinfo(FILENAME).compress_type == zipfile.ZIP_DEFLATED

    [artifact] = fake.finalized()
    assert result.artifact_id == artifact.id > 2**31
    assert result.size == len(uploaded) and result.digest == artifact.digest
    assert fake.blob_data(artifact) == uploaded
    assert result.artifact_url == (
        f"https://github.com/{run.repo}/actions/runs/{run.run_id}/artifacts/{artifact.id}"
    )
    assert result.warnings == () and result.replaced_artifact_id is None
    assert_no_secrets(result, fake)


def test_finalize_hands_the_artifact_to_the_rest_side_and_adopts_its_id(clock: Clock) -> None:
    received: list[FinalizedArtifact] = []

    def on_finalize(artifact: FinalizedArtifact) -> int:
        received.append(artifact)
        return 7_700_000_001

    with FakeResults(on_finalize=on_finalize) as fake:
        run = fake.default_run
        result = upload(fake, clock)
        assert result.uploaded and result.artifact_id == 7_700_000_001
        [artifact] = received
        assert (artifact.name, artifact.repo, artifact.run_id) == (NAME, run.repo, run.run_id)
        assert (artifact.head_branch, artifact.head_sha, artifact.event) == (
            run.head_branch,
            run.head_sha,
            "push",
        )
        assert artifact.content_type == "application/zip" and artifact.filename is None
        assert artifact.digest == result.digest and artifact.size == len(artifact.data)
        listed = fake._twirp_ListArtifacts(run, run.job.backend_id, {})["artifacts"]
        assert [item["database_id"] for item in listed] == ["7700000001"]


@pytest.mark.parametrize(("reply_keys", "emit_defaults"), [("camel", True), ("camel", False)])
def test_camel_case_replies_and_omitted_defaults_are_read(
    fake_results: FakeResults, clock: Clock, reply_keys: Any, emit_defaults: bool
) -> None:
    fake_results.reply_keys = reply_keys
    fake_results.emit_defaults = emit_defaults
    result = upload(fake_results, clock)
    assert result.uploaded and result.artifact_id == fake_results.finalized()[0].id


def test_a_zip_over_8_mib_goes_in_equal_length_blocks(
    fake_results: FakeResults, clock: Clock
) -> None:
    data = random.Random(7).randbytes(9_000_000)  # incompressible: the zip stays > 8 MiB
    result = upload_artifact(
        NAME, FILENAME, data, environ=runtime_environ(fake_results), timing=clock.timing()
    )
    assert result.uploaded, result.reason
    blocks = [r for r in fake_results.requests if r.route == "blob:block"]
    assert [len(r.body) for r in blocks] == [8 * 1024 * 1024, result.size - 8 * 1024 * 1024]
    assert fake_results.requests[-2].body.count(b"<Latest>") == 2
    assert fake_results.blob_data(fake_results.finalized()[0]) == b"".join(r.body for r in blocks)


def test_act_style_integer_backend_ids(fake_results: FakeResults, clock: Clock) -> None:
    run = fake_results.add_run(backend_id="42", job_backend_id="42")
    result = upload(fake_results, clock, runtime_environ(fake_results, run=run))
    assert result.uploaded
    body = twirp_bodies(fake_results, "CreateArtifact")[0]
    assert body["workflow_run_backend_id"] == body["workflow_job_run_backend_id"] == "42"


def test_results_url_path_and_query_are_dropped(fake_results: FakeResults, clock: Clock) -> None:
    environ = runtime_environ(
        fake_results, ACTIONS_RESULTS_URL=fake_results.url + "some/path/?x=1#frag"
    )
    assert upload(fake_results, clock, environ).uploaded
    assert fake_results.requests[0].path == SERVICE + "CreateArtifact"


def test_orchestration_id_is_appended_to_the_user_agent(
    fake_results: FakeResults, clock: Clock
) -> None:
    environ = runtime_environ(fake_results, ACTIONS_ORCHESTRATION_ID="abc-123")
    assert upload(fake_results, clock, environ).uploaded
    agent = fake_results.requests[0].headers["user-agent"]
    assert agent == f"covaction/{__version__} actions_orchestration_id/abc-123"


def test_retention_days_become_expires_at_capped_by_the_repository(
    fake_results: FakeResults, clock: Clock
) -> None:
    environ = runtime_environ(fake_results, GITHUB_RETENTION_DAYS="30")
    result = upload(fake_results, clock, environ, retention_days=400)
    assert result.uploaded
    assert any("30 days" in warning for warning in result.warnings)
    expires_at = twirp_bodies(fake_results, "CreateArtifact")[0]["expires_at"]
    assert expires_at.endswith("Z") and expires_at[:4].isdigit()
    [artifact] = fake_results.finalized()
    assert 29 < (artifact.expires_at - artifact.created_at).total_seconds() / 86400 <= 30.01


def test_a_session_with_credentials_sends_none_to_the_blob(
    fake_results: FakeResults, clock: Clock
) -> None:
    with requests.Session() as session:
        session.headers["Authorization"] = "token ghs_should_never_leave"
        session.auth = ("user", "password")
        result = upload(fake_results, clock, session=session)
    assert result.uploaded
    blob = [r for r in fake_results.requests if r.listener == "blob"]
    assert len(blob) == 2 and all("authorization" not in r.headers for r in blob)
    token = fake_results.default_run.job.token
    assert fake_results.requests[0].headers["authorization"] == f"Bearer {token}"


# ---------------------------------------------------------------------------------------------
# 3. Duplicate names


def test_409_lists_deletes_with_the_listed_ids_and_creates_again(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake = fake_results
    other_job = fake.add_job(fake.default_run)
    seeded = fake.seed_artifact(NAME, job=other_job)

    result = upload(fake, clock)

    assert result.uploaded, result.reason
    assert fake.routes() == [
        "CreateArtifact",
        "ListArtifacts",
        "DeleteArtifact",
        "CreateArtifact",
        "blob:block",
        "blob:blocklist",
        "FinalizeArtifact",
    ]
    assert twirp_bodies(fake, "ListArtifacts")[0]["name_filter"] == NAME
    delete = twirp_bodies(fake, "DeleteArtifact")[0]
    assert delete["workflow_job_run_backend_id"] == other_job.backend_id
    assert result.replaced_artifact_id == seeded.id != result.artifact_id
    assert any(str(seeded.id) in warning for warning in result.warnings)
    assert [a.id for a in fake.finalized()] == [result.artifact_id]


def test_409_again_after_the_delete_fails_without_blob_requests(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake = fake_results
    conflict = Fault.twirp("already_exists", "an artifact with this name already exists")
    fake.inject("CreateArtifact", conflict, conflict)
    result = upload(fake, clock)
    assert not result.uploaded and not result.unavailable
    assert "already exists" in result.reason and "409" in result.reason
    assert fake.routes() == ["CreateArtifact", "ListArtifacts", "DeleteArtifact", "CreateArtifact"]
    assert "upload-artifact@v4" in result.reason
    assert_no_secrets(result, fake)


def test_409_for_an_unfinalized_artifact_deletes_by_name(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake_results.seed_artifact(NAME, finalized=False)
    result = upload(fake_results, clock)
    assert result.uploaded, result.reason
    assert fake_results.routes()[:4] == [
        "CreateArtifact",
        "ListArtifacts",
        "DeleteArtifact",
        "CreateArtifact",
    ]


# ---------------------------------------------------------------------------------------------
# 4-5, 8. Tokens, environment, unavailability


@pytest.mark.parametrize("kind", ["bad_signature", "expired"])
def test_401_is_one_request_and_leaks_nothing(
    fake_results: FakeResults, clock: Clock, kind: str
) -> None:
    token = fake_results.token_variant(kind)
    result = upload(fake_results, clock, runtime_environ(fake_results, ACTIONS_RUNTIME_TOKEN=token))
    assert not result.uploaded and not result.unavailable
    assert fake_results.routes() == ["CreateArtifact"]
    assert "401" in result.reason and "unauthenticated" in result.reason
    assert clock.sleeps == []
    assert_no_secrets(result, fake_results, token)


@pytest.mark.parametrize("kind", UNAVAILABLE_VARIANTS)
def test_token_variants_are_unavailable_without_any_request(
    fake_results: FakeResults, clock: Clock, kind: str
) -> None:
    token = fake_results.token_variant(kind)
    environ = runtime_environ(fake_results, ACTIONS_RUNTIME_TOKEN=token)
    assert availability(environ) is not None
    result = upload(fake_results, clock, environ)
    assert not result.uploaded and result.unavailable
    assert fake_results.requests == []
    assert "token" in result.reason.lower() and "upload-artifact@v4" in result.reason
    assert_no_secrets(result, fake_results, token)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"GITHUB_ACTIONS": None}, "not running on a GitHub Actions runner"),
        ({"GITHUB_ACTIONS": "false"}, "not running on a GitHub Actions runner"),
        ({"GITHUB_SERVER_URL": "https://ghes.example.com"}, "Enterprise Server"),
        ({"GITHUB_SERVER_URL": "https://gitea.example.org"}, "another forge"),
        ({"ACTIONS_RUNTIME_TOKEN": None}, "ACTIONS_RUNTIME_TOKEN is not set"),
        ({"ACTIONS_RUNTIME_TOKEN": ""}, "ACTIONS_RUNTIME_TOKEN is not set"),
        ({"ACTIONS_RESULTS_URL": None}, "older than 2.308.0"),
        ({"ACTIONS_RESULTS_URL": "ftp://results/"}, "not an absolute http(s) URL"),
        ({"ACTIONS_RESULTS_URL": "/relative/"}, "not an absolute http(s) URL"),
    ],
)
def test_environment_without_the_service_is_unavailable(
    fake_results: FakeResults, clock: Clock, overrides: dict[str, str | None], expected: str
) -> None:
    environ = runtime_environ(fake_results, **overrides)
    reason = availability(environ)
    assert reason is not None and expected in reason
    result = upload(fake_results, clock, environ)
    assert not result.uploaded and result.unavailable and expected in result.reason
    assert fake_results.requests == []
    assert "\n" not in result.reason
    assert result.digest.startswith("sha256:") and result.size > 0


def test_ghes_fallback_points_at_upload_artifact_v3(fake_results: FakeResults) -> None:
    environ = runtime_environ(fake_results, GITHUB_SERVER_URL="https://ghes.example.com")
    result = upload_artifact(NAME, FILENAME, DATA, environ=environ)
    assert "upload-artifact@v3" in result.reason


@pytest.mark.parametrize(
    "server", ["https://octo.ghe.com", "https://GITHUB.COM", "http://x.localhost"]
)
def test_github_com_ghe_com_and_localhost_are_supported(
    fake_results: FakeResults, server: str
) -> None:
    assert availability(runtime_environ(fake_results, GITHUB_SERVER_URL=server)) is None


def test_connection_refused_on_the_first_create_is_unavailable(
    fake_results: FakeResults, clock: Clock
) -> None:
    environ = runtime_environ(fake_results, ACTIONS_RESULTS_URL=FakeResults.refused_url())
    result = upload(fake_results, clock, environ)
    assert not result.uploaded and result.unavailable
    assert "connection refused" in result.reason
    assert clock.sleeps == []
    assert_no_secrets(result, fake_results)


@pytest.mark.parametrize("mode", ["bad_route", "html_404"])
def test_no_artifact_service_at_the_url_is_unavailable(
    fake_results: FakeResults, clock: Clock, mode: Any
) -> None:
    fake_results.absent_mode = mode
    result = upload(fake_results, clock)
    assert not result.uploaded and result.unavailable and "404" in result.reason
    assert fake_results.routes() == ["CreateArtifact"]


def test_501_on_the_first_create_is_unavailable(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.inject("CreateArtifact", Fault.twirp("unimplemented", "not here"))
    result = upload(fake_results, clock)
    assert not result.uploaded and result.unavailable


# ---------------------------------------------------------------------------------------------
# 6-7. Twirp retries


def test_502_html_twice_then_ok_is_three_attempts_with_toolkit_waits(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake_results.inject("CreateArtifact", Fault.html(502, count=2))
    result = upload(fake_results, clock)
    assert result.uploaded
    assert fake_results.routes().count("CreateArtifact") == 3
    first, second = clock.sleeps
    assert first == 3.0 and 4.5 <= second < 6.75


def test_503_five_times_fails_after_five_attempts(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.inject("CreateArtifact", Fault.twirp("unavailable", "try later", count=9))
    result = upload(fake_results, clock)
    assert not result.uploaded and not result.unavailable
    assert fake_results.routes() == ["CreateArtifact"] * 5
    assert "5 attempts" in result.reason and "503" in result.reason
    assert len(clock.sleeps) == 4 and clock.sleeps[0] == 3.0
    for k, wait in enumerate(clock.sleeps[1:], start=1):
        assert 3 * 1.5**k <= wait < 3 * 1.5 ** (k + 1)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.html(400),
        Fault(status=200, content_type="text/plain", body=b"OK"),
        Fault.twirp("resource_exhausted", "slow down"),
        Fault.twirp("internal", "boom"),
        Fault.drop(),
    ],
    ids=["400-html", "200-not-json", "429", "500", "connection-reset"],
)
def test_transient_replies_are_retried(
    fake_results: FakeResults, clock: Clock, fault: Fault
) -> None:
    fake_results.inject("FinalizeArtifact", fault)
    result = upload(fake_results, clock)
    assert result.uploaded, result.reason
    assert fake_results.routes().count("FinalizeArtifact") == 2
    assert clock.sleeps == [3.0]


def test_a_read_timeout_is_retried(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.inject("CreateArtifact", Fault(delay=0.6, status=503))
    result = upload(fake_results, clock, timing=clock.timing(read_timeout=0.2))
    assert result.uploaded, result.reason
    assert fake_results.routes().count("CreateArtifact") == 2


@pytest.mark.parametrize(
    ("method", "fault", "expected"),
    [
        ("CreateArtifact", Fault.twirp("invalid_argument", "name is bad"), "invalid_argument"),
        ("FinalizeArtifact", Fault.intermediary_403(), "intermediary"),
        ("CreateArtifact", Fault.twirp("failed_precondition", "limit"), "412"),
        ("FinalizeArtifact", Fault.twirp("not_found", "artifact not found"), "404"),
    ],
)
def test_other_errors_are_not_retried(
    fake_results: FakeResults, clock: Clock, method: str, fault: Fault, expected: str
) -> None:
    fake_results.inject(method, fault)
    result = upload(fake_results, clock)
    assert not result.uploaded and not result.unavailable
    assert expected in result.reason
    assert fake_results.routes().count(method) == 1
    assert clock.sleeps == []
    assert_no_secrets(result, fake_results)


@pytest.mark.parametrize("emit_defaults", [True, False])
@pytest.mark.parametrize("method", ["CreateArtifact", "FinalizeArtifact"])
def test_a_reply_that_is_not_ok_fails(
    fake_results: FakeResults, clock: Clock, method: str, emit_defaults: bool
) -> None:
    fake_results.emit_defaults = emit_defaults
    fake_results.inject(method, Fault.not_ok())
    result = upload(fake_results, clock)
    assert not result.uploaded and "not ok" in result.reason
    assert fake_results.routes().count(method) == 1
    if method == "CreateArtifact":
        assert fake_results.routes() == ["CreateArtifact"]


def test_quota_exhausted_fails_without_retry(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.quota_exhausted = True
    result = upload(fake_results, clock)
    assert not result.uploaded and "quota" in result.reason
    assert fake_results.routes() == ["CreateArtifact"]
    assert clock.sleeps == []


# ---------------------------------------------------------------------------------------------
# 9-11. Blob storage, strictness, digest


def test_blob_500_once_is_retried_immediately(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.inject("blob:block", Fault.storage(500, "InternalError"))
    result = upload(fake_results, clock)
    assert result.uploaded, result.reason
    assert fake_results.routes().count("blob:block") == 2
    assert clock.sleeps == []


def test_blob_503_four_times_gives_up_with_storage_waits(
    fake_results: FakeResults, clock: Clock
) -> None:
    fake_results.inject("blob:blocklist", Fault.storage(503, "ServerBusy", count=9))
    result = upload(fake_results, clock)
    assert not result.uploaded and not result.unavailable
    assert fake_results.routes().count("blob:blocklist") == 4
    assert "FinalizeArtifact" not in fake_results.routes()
    assert clock.sleeps == [4.0, 12.0]
    assert "ServerBusy" in result.reason
    assert_no_secrets(result, fake_results)


def test_blob_connection_reset_is_retried(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.inject("blob", Fault.drop())
    assert upload(fake_results, clock).uploaded
    assert fake_results.routes().count("blob:block") == 2


def test_expired_signed_url_stops_before_finalize(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.sas_ttl = -60
    result = upload(fake_results, clock)
    assert not result.uploaded and not result.unavailable
    assert fake_results.routes() == ["CreateArtifact", "blob:block"]
    assert "403" in result.reason and "AuthenticationFailed" in result.reason
    assert_no_secrets(result, fake_results)


def test_act_put_blob_mode_does_not_matter(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.put_blob_act_mode = True
    assert upload(fake_results, clock).uploaded
    assert "blob:put" not in fake_results.routes()


def test_strict_unknown_fields_still_succeeds(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.strict_unknown_fields = True
    assert upload(fake_results, clock).uploaded


def test_corrupt_commit_surfaces_the_hash_mismatch(fake_results: FakeResults, clock: Clock) -> None:
    fake_results.corrupt_on_commit = True
    result = upload(fake_results, clock)
    assert not result.uploaded and "hash does not match" in result.reason
    assert fake_results.routes().count("FinalizeArtifact") == 1


# ---------------------------------------------------------------------------------------------
# 12. Secrets


def test_secrets_echoed_by_the_service_are_redacted(
    fake_results: FakeResults, clock: Clock, capsys: pytest.CaptureFixture[str], caplog: Any
) -> None:
    token = fake_results.default_run.job.token
    caplog.set_level(logging.DEBUG)
    fake_results.inject(
        "CreateArtifact", Fault.twirp("invalid_argument", f"bad token {token} here")
    )
    result = upload(fake_results, clock)
    assert not result.uploaded and "***" in result.reason
    assert_no_secrets(result, fake_results)
    captured = capsys.readouterr()
    for text in (captured.out, captured.err, caplog.text):
        assert token not in text and "sig=" not in text


def test_a_successful_upload_prints_and_logs_nothing(
    fake_results: FakeResults, clock: Clock, capsys: pytest.CaptureFixture[str], caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_results.inject("blob:block", Fault.storage(500, "InternalError"))
    assert upload(fake_results, clock).uploaded
    captured = capsys.readouterr()
    token = fake_results.default_run.job.token
    for text in (captured.out, captured.err, caplog.text):
        assert token not in text and "sig=" not in text


# ---------------------------------------------------------------------------------------------
# Argument checks and the pure helpers


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "empty"),
        ("a/b", "not allowed"),
        ('x"y', "not allowed"),
        ("x:y", "not allowed"),
        ("é", "ASCII"),
        ("x" * 101, "longer than 100"),
    ],
)
def test_bad_names_are_programming_errors(name: str, problem: str) -> None:
    found = artifact_name_problem(name)
    assert found is not None and problem in found
    with pytest.raises(ValueError, match=problem):
        upload_artifact(name, FILENAME, DATA, environ={})


@pytest.mark.parametrize("filename", ["", "dir/baseline.json", "..", "a\\b", "a:b"])
def test_bad_file_names_are_programming_errors(filename: str) -> None:
    with pytest.raises(ValueError):
        upload_artifact(NAME, filename, DATA, environ={})


def test_zip_is_reproducible() -> None:
    assert zip_single_file(FILENAME, DATA) == zip_single_file(FILENAME, DATA)


def test_laptop_gets_a_reason_without_any_service() -> None:
    result = upload_artifact(NAME, FILENAME, DATA, environ={})
    assert result == UploadResult(
        uploaded=False,
        artifact_id=None,
        reason='not running on a GitHub Actions runner (GITHUB_ACTIONS is not "true"); '
        "store the file with an actions/upload-artifact@v4 step instead",
        unavailable=True,
        size=result.size,
        digest=result.digest,
    )


# ---------------------------------------------------------------------------------------------
# The fake itself: the checks of I.4.2-I.4.4 that the action never trips


def post(fake: FakeResults, method: str, body: Any, **headers: str) -> requests.Response:
    token = fake.default_run.job.token
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(
        fake.url.rstrip("/") + SERVICE + method,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
        timeout=5,
    )


def ids(fake: FakeResults) -> dict[str, str]:
    run = fake.default_run
    return {
        "workflow_run_backend_id": run.backend_id,
        "workflow_job_run_backend_id": run.job.backend_id,
    }


def test_fake_routing_and_auth(fake_results: FakeResults) -> None:
    fake = fake_results
    reply = requests.post(fake.url + "twirp/nope", json={}, timeout=5)
    assert reply.status_code == 404 and reply.json()["code"] == "bad_route"
    assert reply.json()["meta"]["twirp_invalid_route"] == "POST /twirp/nope"
    reply = requests.get(fake.url.rstrip("/") + SERVICE + "CreateArtifact", timeout=5)
    assert reply.status_code == 404 and "only POST is allowed" in reply.json()["msg"]
    reply = post(fake, "CreateArtifact", {}, **{"Content-Type": "text/plain"})
    assert reply.status_code == 404 and "unexpected Content-Type" in reply.json()["msg"]
    reply = post(fake, "CreateArtifact", {}, Authorization="Bearer nope")
    assert reply.status_code == 401 and reply.json()["code"] == "unauthenticated"
    reply = post(fake, "CreateArtifact", b"[1]")
    assert reply.status_code == 400 and reply.json()["code"] == "malformed"
    reply = post(fake, "CreateArtifact", {"name": "x", "version": 4})
    assert reply.status_code == 400 and reply.json()["msg"] == "workflow_run_backend_id is required"
    other = fake.add_run()
    reply = post(
        fake,
        "CreateArtifact",
        {**ids(fake), "workflow_run_backend_id": other.backend_id, "name": "x", "version": 4},
    )
    assert reply.status_code == 403 and reply.json()["code"] == "permission_denied"


def test_fake_decodes_proto_json_strictly(fake_results: FakeResults) -> None:
    fake = fake_results
    wrapped = post(fake, "ListArtifacts", {**ids(fake), "name_filter": {"value": "x"}})
    assert wrapped.status_code == 400 and wrapped.json()["code"] == "malformed"
    camel = post(
        fake,
        "CreateArtifact",
        {
            "workflowRunBackendId": fake.default_run.backend_id,
            "workflowJobRunBackendId": fake.default_run.job.backend_id,
            "name": "camel",
            "version": "4",
            "unknownKey": 1,
        },
    )
    assert camel.status_code == 200 and camel.json()["ok"] is True
    v7 = post(fake, "CreateArtifact", {**ids(fake), "name": "seven", "version": 7})
    assert v7.status_code == 400 and v7.json()["meta"] == {"argument": "mime_type"}
    fake.strict_unknown_fields = True
    strict = post(
        fake, "CreateArtifact", {**ids(fake), "name": "s", "version": 7, "mimeType": "x", "x": 1}
    )
    assert strict.status_code == 500 and not strict.headers["Content-Type"].endswith("json")
    past = post(
        fake,
        "CreateArtifact",
        {**ids(fake), "name": "p", "version": 4, "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 400 and "future" in past.json()["msg"]


def test_fake_blob_storage_checks(fake_results: FakeResults) -> None:
    fake = fake_results
    url = post(fake, "CreateArtifact", {**ids(fake), "name": "b", "version": 4}).json()[
        "signed_upload_url"
    ]
    assert url.startswith(fake.blob_origin) and "sig=" in url and "%3D" in url
    block = url + "&comp=block&blockid=QUFBQQ%3D%3D"
    assert requests.put(block, data=b"abc", timeout=5).status_code == 201
    auth = requests.put(block, data=b"abc", headers={"Authorization": "Bearer x"}, timeout=5)
    assert (
        auth.status_code == 400 and auth.headers["x-ms-error-code"] == "InvalidAuthenticationInfo"
    )
    tampered = requests.put(
        url.replace("sp=cw", "sp=rcw") + "&comp=block&blockid=QUFBQQ%3D%3D", data=b"", timeout=5
    )
    assert (
        tampered.status_code == 403
        and tampered.headers["x-ms-error-code"] == "AuthenticationFailed"
    )
    decoded_sig = requests.put(
        url.replace("%2B", "+").replace("%2F", "/").replace("%3D", "=")
        + "&comp=block&blockid=QUFBQQ%3D%3D",
        data=b"abc",
        timeout=5,
    )
    if "%2B" in url:
        assert decoded_sig.status_code == 403
    bad_id = requests.put(url + "&comp=block&blockid=not*base64", data=b"x", timeout=5)
    assert bad_id.headers["x-ms-error-code"] == "InvalidQueryParameterValue"
    other_length = requests.put(url + "&comp=block&blockid=QkJCQkJCQkJC", data=b"x", timeout=5)
    assert other_length.headers["x-ms-error-code"] == "InvalidQueryParameterValue"
    unknown = requests.put(
        url + "&comp=blocklist", data=b"<BlockList><Latest>WldaWg==</Latest></BlockList>", timeout=5
    )
    assert unknown.status_code == 400 and unknown.headers["x-ms-error-code"] == "InvalidBlockList"
    put_blob = requests.put(url, data=b"raw", timeout=5)
    assert put_blob.headers["x-ms-error-code"] == "MissingRequiredHeader"
    committed = requests.put(
        url + "&comp=blocklist",
        data=b"<?xml version='1.0'?><BlockList><Latest>QUFBQQ==</Latest></BlockList>",
        headers={"x-ms-blob-content-type": "application/zip"},
        timeout=5,
    )
    assert committed.status_code == 201 and committed.headers["ETag"]
    size = post(
        fake, "FinalizeArtifact", {**ids(fake), "name": "b", "size": "4", "hash": "sha256:00"}
    )
    assert size.status_code == 400 and "size" in size.json()["msg"]
    digest = "sha256:" + hashlib.sha256(b"abc").hexdigest()
    done = post(fake, "FinalizeArtifact", {**ids(fake), "name": "b", "size": 3, "hash": digest})
    assert done.json() == {"ok": True, "artifact_id": done.json()["artifact_id"]}
    again = post(fake, "FinalizeArtifact", {**ids(fake), "name": "b", "size": "3", "hash": digest})
    assert again.status_code == 412
    read = post(fake, "GetSignedArtifactURL", {**ids(fake), "name": "b"}).json()["signed_url"]
    assert "sp=r&" in read
    download = requests.get(read, timeout=5)
    assert download.content == b"abc" and download.headers["Content-Type"] == "application/zip"
    assert (
        requests.put(read + "&comp=block&blockid=QUFBQQ%3D%3D", data=b"", timeout=5).status_code
        == 403
    )
    listed = post(
        fake, "ListArtifacts", {**ids(fake), "id_filter": done.json()["artifact_id"]}
    ).json()
    assert [a["digest"] for a in listed["artifacts"]] == [digest]


def test_fake_delete_frees_the_name_and_notifies(fake_results: FakeResults) -> None:
    deleted: list[FinalizedArtifact] = []
    fake_results.on_delete = deleted.append
    seeded = fake_results.seed_artifact("gone")
    reply = post(fake_results, "DeleteArtifact", {**ids(fake_results), "name": "gone"})
    assert reply.json() == {"ok": True, "artifact_id": str(seeded.id)}
    assert [a.id for a in deleted] == [seeded.id]
    assert (
        post(fake_results, "DeleteArtifact", {**ids(fake_results), "name": "gone"}).status_code
        == 404
    )
    again = post(
        fake_results, "CreateArtifact", {**ids(fake_results), "name": "gone", "version": 4}
    )
    assert again.status_code == 200
