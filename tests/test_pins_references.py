"""What the pin check counts as a reference: `$/` self-repository paths, container images,
service images, Docker actions' images, and 40-digit SHAs written in upper case."""

from __future__ import annotations

import textwrap

import pytest

from covaction.pins.workflows import ActionRef, PinSummary, scan, scan_file, suggestion

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
DIGEST = "sha256:" + "4b" * 32
WF = ".github/workflows/ci.yml"


def y(text: str) -> bytes:
    return textwrap.dedent(text).encode()


def rows(refs: list[ActionRef]) -> list[tuple[int, str, str | None, str, str]]:
    return [(r.line, r.verdict, r.kind, r.source, r.uses) for r in refs]


# --------------------------------------------------------------------------- $/ self-repository


SELF_REPOSITORY = y(f"""\
    name: CI
    on: [push, pull_request]
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@{SHA} # v4.2.2
          - uses: $/.github/actions/setup-rust
            with:
              toolchain: stable
          - uses: $//.github/actions/cache
          - uses: ./.github/actions/local
      docs:
        uses: $/.github/workflows/docs.yml
        secrets: inherit
    """)


def test_self_repository_references_are_local_never_a_finding() -> None:
    """`$/path` is this repository at the running commit (actions/runner
    PipelineConstants.SelfRepositoryPrefix, TryParseSelfRepository trims extra slashes)."""
    refs = scan_file(WF, SELF_REPOSITORY)
    assert rows(refs) == [
        (7, "pinned", "action", "uses", f"actions/checkout@{SHA}"),
        (8, "local", "local", "uses", "$/.github/actions/setup-rust"),
        (11, "local", "local", "uses", "$//.github/actions/cache"),
        (12, "local", "local", "uses", "./.github/actions/local"),
        (14, "local", "local", "uses", "$/.github/workflows/docs.yml"),
    ]
    assert "this repository at the running commit" in refs[1].reason
    summary = PinSummary.of(refs)
    assert (summary.local, summary.findings) == (4, ())


def test_self_repository_prefix_without_a_path_is_not_a_reference() -> None:
    """The runner's TryParseSelfRepository refuses an empty path; `$/` alone is then parsed
    as owner/repo@ref and refused ("Expected format {org}/{repo}[/path]@ref")."""
    [ref] = scan_file(WF, b"jobs:\n  a:\n    steps:\n      - uses: $/\n")
    assert (ref.verdict, ref.kind) == ("unpinned", "action")
    assert "no @ref" in ref.reason


def test_a_self_repository_composite_step_is_local() -> None:
    text = y("""\
        runs:
          using: composite
          steps:
            - uses: $/.github/actions/install
            - uses: actions/cache@v4
        """)
    assert [(r.verdict, r.uses) for r in scan_file("tools/action.yml", text)] == [
        ("local", "$/.github/actions/install"),
        ("unpinned", "actions/cache@v4"),
    ]


# --------------------------------------------------------------------------- images


SERVICES = y(f"""\
    name: tests
    on: pull_request
    jobs:
      integration:
        runs-on: ubuntu-latest
        container: python:3.12-slim
        services:
          postgres:
            image: postgres:16
            env:
              POSTGRES_PASSWORD: postgres
            ports: ["5432:5432"]
            options: >-
              --health-cmd pg_isready --health-interval 10s
          redis:
            image: redis@{DIGEST}
          mailhog: mailhog/mailhog
        steps:
          - uses: actions/checkout@{SHA}
          - run: pytest -m integration
      e2e:
        runs-on: ubuntu-latest
        container:
          image: ghcr.io/acme/e2e-runner:2024.06@{DIGEST}
          credentials:
            username: ${{{{ github.actor }}}}
            password: ${{{{ secrets.GITHUB_TOKEN }}}}
        steps:
          - run: ./run-e2e.sh
      matrix:
        runs-on: ubuntu-latest
        strategy:
          matrix:
            image: ["node:20", "node:22"]
        container: ${{{{ matrix.image }}}}
        steps:
          - run: npm test
      prefixed:
        runs-on: ubuntu-latest
        container: docker://alpine:3.20
        steps:
          - run: apk add git
    """)


def test_job_containers_and_service_images_are_checked_by_digest() -> None:
    refs = scan_file(WF, SERVICES)
    assert rows(refs) == [
        (6, "unpinned", "docker", "container", "python:3.12-slim"),
        (9, "unpinned", "docker", "service", "postgres:16"),
        (16, "pinned", "docker", "service", f"redis@{DIGEST}"),
        (17, "unpinned", "docker", "service", "mailhog/mailhog"),
        (19, "pinned", "action", "uses", f"actions/checkout@{SHA}"),
        (24, "pinned", "docker", "container", f"ghcr.io/acme/e2e-runner:2024.06@{DIGEST}"),
        (35, "unverifiable", "docker", "container", "${{ matrix.image }}"),
        (40, "unpinned", "docker", "container", "docker://alpine:3.20"),
    ]
    by_line = {r.line: r for r in refs}
    assert "tag 3.12-slim can be moved" in by_line[6].reason
    assert "pulls latest" in by_line[17].reason
    assert by_line[16].ref == DIGEST


def test_a_container_is_judged_like_the_same_docker_step() -> None:
    """`container: alpine:3.20` and `uses: docker://alpine:3.20` pull the same image."""
    [step] = scan_file(WF, b"jobs:\n  a:\n    steps:\n      - uses: docker://alpine:3.20\n")
    [job] = scan_file(WF, b"jobs:\n  a:\n    container: alpine:3.20\n")
    assert (job.verdict, job.kind, job.reason) == (step.verdict, step.kind, step.reason)


def test_image_findings_speak_of_a_digest_not_a_commit_sha() -> None:
    refs = scan_file(WF, SERVICES)
    image = next(r for r in refs if r.uses == "postgres:16")
    assert image.message == (
        "postgres:16 is not pinned to an image digest (@sha256:…): "
        "image tag 16 can be moved; a digest (@sha256:…) cannot"
    )
    assert image.title == "Unpinned image"
    assert "commit" not in image.message
    action = scan_file(WF, b"jobs:\n  a:\n    steps:\n      - uses: actions/cache@v4\n")[0]
    assert action.message.startswith("actions/cache@v4 is not pinned to a full commit SHA")
    assert action.title == "Unpinned action"


def test_a_parse_error_about_a_reference_says_what_is_wrong_not_that_it_is_unpinned() -> None:
    text = f"jobs:\n  a:\n    steps:\n      - uses: a/b@{SHA}\n        uses: evil/x@main\n"
    error = scan_file(WF, text.encode())[1]
    assert error.uses == "evil/x@main"
    assert error.message == error.reason
    assert error.message.startswith("duplicate key 'uses' (first at line 4)")
    assert error.title == "Unreadable workflow"


def test_an_empty_container_means_none_but_an_empty_service_is_refused() -> None:
    """WorkflowTemplateConverter.ConvertToJobContainer: `container: ''` is no container; an
    empty service image, or `docker://` alone, is "Container image cannot be empty"."""
    text = y("""\
        jobs:
          a:
            container: ''
            services:
              db: ''
              cache:
                image: docker://
          b:
            container: docker://
          c:
            container:
              image: ''
            services:
              empty: {image: ''}
        """)
    refs = scan_file(WF, text)
    assert [(r.line, r.verdict) for r in refs] == [
        (5, "parse-error"),
        (7, "parse-error"),
        (9, "parse-error"),
        (14, "parse-error"),
    ]
    assert all("cannot be empty" in r.reason for r in refs)


def test_a_shared_service_definition_is_reported_once() -> None:
    text = y("""\
        jobs:
          unit:
            services: &services
              postgres:
                image: postgres:16
          integration:
            services: *services
        """)
    assert [(r.line, r.uses) for r in scan_file(WF, text)] == [(5, "postgres:16")]


def test_an_expression_for_all_services_cannot_be_verified() -> None:
    text = b"jobs:\n  a:\n    services: ${{ fromJSON(inputs.services) }}\n"
    [ref] = scan_file(WF, text)
    assert (ref.line, ref.verdict, ref.kind, ref.source) == (3, "unverifiable", "docker", "service")


@pytest.mark.parametrize(
    ("image", "verdict", "kind", "reason_part"),
    [
        ("Dockerfile", "local", "local", "Dockerfile built from the action's own files"),
        ("docker/Dockerfile.release", "local", "local", "Dockerfile"),
        ("build/ci.dockerfile", "local", "local", "Dockerfile"),
        ("docker://ghcr.io/acme/lint:1.4", "unpinned", "docker", "tag 1.4 can be moved"),
        (f"docker://ghcr.io/acme/lint@{DIGEST}", "pinned", "docker", "digest"),
        ("DOCKER://alpine", "unpinned", "docker", "pulls latest"),
        ("alpine:3.20", "parse-error", None, "neither a Dockerfile nor docker://image"),
        ("docker://", "parse-error", None, "names no image"),
    ],
)
def test_a_docker_actions_image(
    image: str, verdict: str, kind: str | None, reason_part: str
) -> None:
    """actions/runner ActionManager: a Dockerfile path is built, `docker://` is pulled (prefix
    compared ignoring case), anything else is refused."""
    text = f"name: lint\nruns:\n  using: Docker\n  image: '{image}'\n  args: [--strict]\n"
    [ref] = scan_file("lint/action.yml", text.encode())
    assert (ref.line, ref.verdict, ref.kind) == (4, verdict, kind)
    assert reason_part in ref.reason
    if kind is not None:
        assert ref.source == "runs-image"


def test_a_node_actions_image_key_is_not_read() -> None:
    text = b"runs:\n  using: node20\n  main: dist/index.js\n  image: alpine\n"
    assert scan_file("action.yml", text) == []


def test_the_suggestion_for_an_image_keeps_how_it_was_written() -> None:
    refs = {r.uses: r for r in scan_file(WF, SERVICES)}
    assert suggestion(refs["postgres:16"], DIGEST) == f"postgres@{DIGEST} # 16"
    assert suggestion(refs["docker://alpine:3.20"], DIGEST) == f"docker://alpine@{DIGEST} # 3.20"
    with pytest.raises(ValueError, match="cannot pin"):
        suggestion(refs["${{ matrix.image }}"], DIGEST)


def test_images_are_never_exempted_by_the_allowlist() -> None:
    text = b"jobs:\n  a:\n    container: acme/builder:1\n"
    [ref] = scan([(WF, text)], ("acme/*", "*/*"))
    assert (ref.verdict, ref.allowed) == ("unpinned", False)


# --------------------------------------------------------------------------- upper-case SHAs


@pytest.mark.parametrize(
    "written",
    [SHA.upper(), SHA[:20].upper() + SHA[20:], "8F4b7f84864484a7bf31766abe9204da3cbe65b3"],
    ids=["upper", "half", "one-letter"],
)
def test_an_upper_case_sha_is_flagged_with_the_lower_case_text_to_write(written: str) -> None:
    """git reads 40 hex digits in either case as the commit, but GitHub documents SHAs in lower
    case and how its resolver treats another spelling is not documented; lower case is free."""
    data = f"jobs:\n  a:\n    steps:\n      - uses: actions/checkout@{written} # v4.2.2\n"
    [ref] = scan_file(WF, data.encode())
    assert (ref.verdict, ref.ref) == ("unpinned", written)
    assert ref.reason == f"SHA in upper case; write it in lower case: {SHA}"
    assert suggestion(ref, written) == f"actions/checkout@{SHA} # v4.2.2"


def test_an_upper_case_image_digest_is_flagged_with_the_lower_case_digest() -> None:
    """The OCI image spec allows only lower-case hex in a sha256 digest."""
    upper = "sha256:" + "4B" * 32
    [ref] = scan_file(WF, f"jobs:\n  a:\n    container: redis@{upper}\n".encode())
    assert ref.verdict == "unpinned"
    assert ref.reason == f"digest in upper case; write it in lower case: {DIGEST}"
