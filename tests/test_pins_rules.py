"""`pin-rules`: a pin policy per pattern (hash-pin, ref-pin, any), first matching line wins."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

import pytest

from covaction.errors import InputError
from covaction.pins.workflows import PinSummary, parse_pin_rules, scan

SHA = "8f4b7f84864484a7bf31766abe9204da3cbe65b3"
DIGEST = "sha256:" + "4b" * 32
WF = ".github/workflows/ci.yml"

WORKFLOW = textwrap.dedent(f"""\
    name: CI
    on: [push, pull_request]
    jobs:
      test:
        runs-on: ubuntu-latest
        services:
          postgres:
            image: postgres:16
          cache:
            image: redis
        steps:
          - uses: actions/checkout@v4
          - uses: actions/setup-python@{SHA} # v5.6.0
          - uses: acme-corp/setup-toolchain@main
          - uses: acme-corp/deploy/preview@v2
          - uses: github/codeql-action/init@v3
          - uses: codecov/codecov-action@v5
          - uses: acme-corp/ci-tools@${{{{ inputs.tools-ref }}}}
          - uses: docker://ghcr.io/acme-corp/linter:1.2
      release:
        uses: acme-corp/workflows/.github/workflows/release.yml@v1
    """).encode()


def findings(rules: list[str], allowlist: tuple[str, ...] = ()) -> dict[int, str]:
    refs = scan([(WF, WORKFLOW)], allowlist, rules)
    return {r.line: r.uses for r in PinSummary.of(refs).findings}


def allowed(rules: list[str], allowlist: tuple[str, ...] = ()) -> dict[int, str | None]:
    return {r.line: r.allowed_by for r in scan([(WF, WORKFLOW)], allowlist, rules) if r.allowed}


def test_without_rules_every_reference_needs_a_sha_or_a_digest() -> None:
    assert sorted(findings([])) == [8, 10, 12, 14, 15, 16, 17, 18, 19, 21]


def test_a_team_trusting_github_and_its_own_organisation() -> None:
    """The README example: version tags for actions/*, github/* and the team's own
    organisation; everything else pinned to a commit."""
    rules = ["actions/*: ref-pin", "github/*: ref-pin", "acme-corp/*: ref-pin"]
    assert findings(rules) == {
        8: "postgres:16",
        10: "redis",
        17: "codecov/codecov-action@v5",
        19: "docker://ghcr.io/acme-corp/linter:1.2",
    }
    assert allowed(rules)[12] == "pin-rules: actions/*: ref-pin"
    assert allowed(rules)[21] == "pin-rules: acme-corp/*: ref-pin"
    # an expression as the ref of a named repository is a ref: ref-pin accepts it
    assert allowed(rules)[18] == "pin-rules: acme-corp/*: ref-pin"


def test_the_first_matching_line_wins() -> None:
    strict_first = ["acme-corp/deploy: hash-pin", "acme-corp/*: ref-pin"]
    assert 15 in findings(strict_first) and 14 not in findings(strict_first)
    loose_first = ["acme-corp/*: ref-pin", "acme-corp/deploy: hash-pin"]
    assert 15 not in findings(loose_first)


def test_an_explicit_hash_pin_rule_is_named_in_the_reason() -> None:
    refs = scan([(WF, WORKFLOW)], (), ["acme-corp/deploy: hash-pin", "*: ref-pin"])
    deploy = next(r for r in refs if r.line == 15)
    assert deploy.matters
    assert deploy.reason == (
        "tag v2 can be moved (pin-rules 'acme-corp/deploy: hash-pin' requires a full commit SHA)"
    )


def test_a_pattern_covers_the_paths_below_it_and_paths_match_exactly() -> None:
    assert 16 not in findings(["github/codeql-action: ref-pin"])
    assert 16 not in findings(["github/codeql-action/init: ref-pin"])
    assert 16 in findings(["github/codeql-action/analyze: ref-pin"])
    assert 16 in findings(["github/codeql-action/Init: ref-pin"])  # a directory: exact case
    assert 16 not in findings(["GitHub/CodeQL-Action: ref-pin"])  # owner and repo: any case


def test_any_accepts_a_reference_without_a_pin_and_star_matches_every_repository() -> None:
    assert sorted(findings(["*: any"])) == [8, 10, 19]  # images need docker:// patterns
    assert sorted(findings(["*: ref-pin"])) == [8, 10, 19]


def test_a_branch_is_a_ref_for_ref_pin() -> None:
    assert 14 not in findings(["acme-corp/setup-toolchain: ref-pin"])


def test_image_rules_need_a_docker_pattern_and_ref_pin_needs_a_real_tag() -> None:
    rules = [
        "docker://postgres: ref-pin",
        "docker://redis: ref-pin",
        "docker://ghcr.io/acme-corp/*: any",
    ]
    result = findings(rules)
    assert 8 not in result and 19 not in result
    assert result[10] == "redis"  # no tag: latest
    refs = scan([(WF, WORKFLOW)], (), rules)
    redis = next(r for r in refs if r.line == 10)
    assert redis.reason.endswith(
        "(pin-rules 'docker://redis: ref-pin' requires a tag other than latest, or a digest)"
    )


@pytest.mark.parametrize(
    ("image", "pattern", "accepted"),
    [
        ("postgres:16", "docker://docker.io/library/postgres", True),
        ("docker.io/library/postgres:16", "docker://postgres", True),
        ("postgres:latest", "docker://postgres", False),
        ("postgres", "docker://postgres", False),
        ("postgresql:16", "docker://postgres", False),
        ("ghcr.io/acme-corp/tools/lint:3", "docker://ghcr.io/acme-corp/*", True),
        (f"redis@sha256:{'AB' * 32}", "docker://redis", False),  # a broken digest is no tag
    ],
)
def test_image_patterns(image: str, pattern: str, accepted: bool) -> None:
    refs = scan(
        [(WF, f"jobs:\n  a:\n    container: {image}\n".encode())], (), [f"{pattern}: ref-pin"]
    )
    assert refs[0].allowed is accepted


def test_pin_allowlist_still_exempts_first_and_is_named() -> None:
    result = allowed(["acme-corp/*: hash-pin"], ("acme-corp/*",))
    assert result[14] == "pin-allowlist: acme-corp/setup-toolchain"


def test_rules_given_as_one_text_are_read_line_by_line() -> None:
    as_text = scan([(WF, WORKFLOW)], (), "actions/*: ref-pin\n*: any")
    as_lines = scan([(WF, WORKFLOW)], (), ["actions/*: ref-pin", "*: any"])
    assert as_text == as_lines


def test_allowed_references_are_counted_as_allowed() -> None:
    summary = PinSummary.of(scan([(WF, WORKFLOW)], (), ["actions/*: ref-pin", "*: any"]))
    assert (summary.pinned, summary.unpinned, summary.unverifiable, summary.allowed) == (
        1,
        9,
        1,
        7,
    )


def test_local_references_and_parse_errors_are_never_exempt() -> None:
    text = b"jobs:\n  a:\n    steps:\n      - uses: ./x\n      - uses: [bad]\n"
    refs = scan([(WF, text)], (), ["*: any"])
    assert [(r.verdict, r.allowed) for r in refs] == [("local", False), ("parse-error", False)]


# --------------------------------------------------------------------------- parsing the input


def test_parse_pin_rules_reads_comments_quotes_and_spacing() -> None:
    rules = parse_pin_rules(
        [
            "# trusted publishers",
            "actions/*: ref-pin",
            '"*": hash-pin',
            "'github/codeql-action/*'  :   any",
            "docker://ghcr.io/acme-corp/*: ref-pin",
            "",
        ]
    )
    assert [(r.pattern, r.policy, r.image) for r in rules] == [
        ("actions/*", "ref-pin", False),
        ("*", "hash-pin", False),
        ("github/codeql-action/*", "any", False),
        ("docker://ghcr.io/acme-corp/*", "ref-pin", True),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("actions/*", "is not 'PATTERN: POLICY'"),
        (": ref-pin", "is not 'PATTERN: POLICY'"),
        ("actions/*: pinned", "has the policy 'pinned', not hash-pin, ref-pin or any"),
        ("actions/*: Ref-Pin", "has the policy 'Ref-Pin'"),
        ("actions/checkout@v4: ref-pin", "names a version"),
        ("actions: ref-pin", "is not owner/repo (write owner/* for every repository"),
        ("my org/*: any", "has an owner with characters GitHub does not allow"),
        ("acme/re po: any", "has a repository name with characters"),
        ("acme/repo//path: any", "has an empty or invalid path part"),
        ("docker://: any", "is not docker://image"),
        ("docker://alpine@sha256:x: any", "names a version"),
    ],
)
def test_a_bad_rule_is_an_input_error_naming_the_input_the_line_and_the_form(
    line: str, problem: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_pin_rules(["actions/*: ref-pin", line])
    message = str(caught.value)
    assert message.startswith(f"pin-rules: the line {line.strip()!r} {problem}")
    assert "accepted form: one 'PATTERN: hash-pin|ref-pin|any' per line" in message
    assert "\n" not in message


def test_scan_refuses_bad_rules_before_reading_any_file() -> None:
    def files() -> Iterator[tuple[str, bytes]]:
        raise AssertionError("read a file before checking pin-rules")
        yield (WF, b"")  # pragma: no cover

    with pytest.raises(InputError, match="pin-rules: the line 'nonsense'"):
        scan(files(), (), ["nonsense"])


README_RULES = """\
# our release tooling must name a commit ...
my-org/release-tools: hash-pin
# ... GitHub's own actions and the rest of ours may use version tags
actions/*: ref-pin
github/*: ref-pin
my-org/*: ref-pin
# the database the integration tests start needs at least a version tag
docker://postgres: ref-pin
"""


def test_the_readme_example_does_what_the_readme_says() -> None:
    text = textwrap.dedent("""\
        jobs:
          test:
            services:
              db: {image: postgres}
              db16: {image: postgres:16}
            steps:
              - uses: actions/checkout@v4
              - uses: my-org/setup@main
              - uses: my-org/release-tools@v2
              - uses: codecov/codecov-action@v5
        """).encode()
    refs = scan([(WF, text)], (), README_RULES.splitlines())
    assert [r.uses for r in PinSummary.of(refs).findings] == [
        "postgres",
        "my-org/release-tools@v2",
        "codecov/codecov-action@v5",
    ]
    release = next(r for r in refs if r.uses == "my-org/release-tools@v2")
    assert "pin-rules 'my-org/release-tools: hash-pin' requires a full commit SHA" in release.reason
