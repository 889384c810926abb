"""Inputs: INPUT_* names as the runner writes them, strict converters, one error naming the input."""

from __future__ import annotations

from decimal import Decimal

import pytest

from covaction import settings
from covaction.errors import InputError


def env(**inputs: str) -> dict[str, str]:
    return {settings.env_name(k.replace("_", "-")): v for k, v in inputs.items()}


def test_env_name_keeps_hyphens_and_upper_cases() -> None:
    assert settings.env_name("minimum-coverage") == "INPUT_MINIMUM-COVERAGE"
    assert settings.env_name("artifact name") == "INPUT_ARTIFACT_NAME"


def test_empty_values_mean_the_defaults() -> None:
    s = settings.from_environ(env(format="", comment="  ", annotations=""))
    assert (s.format, s.comment, s.annotations, s.report_name) == (
        "auto",
        "update",
        True,
        "coverage",
    )
    assert s.minimum_coverage is None


@pytest.mark.parametrize(
    "value, expected",
    [
        ("80", Decimal("80")),
        ("79.95", Decimal("79.95")),
        ("0", Decimal(0)),
        ("100", Decimal(100)),
        ("100.0", Decimal("100.0")),
        (" 80 ", Decimal(80)),
    ],
)
def test_thresholds_accept_plain_numbers(value: str, expected: Decimal) -> None:
    assert settings.from_environ(env(minimum_coverage=value)).minimum_coverage == expected


@pytest.mark.parametrize(
    "value",
    [
        "80%",
        "abc",
        "150",
        "-5",
        "100.01",
        "NaN",
        "inf",
        "1e2",
        "+80",
        "80.",
        ".5",
        "8_0",
        "１２",  # noqa: RUF001 - fullwidth digits must be refused
        "٨٠",
        "0x50",
        "80,5",
        "80 5",
    ],
)
@pytest.mark.parametrize(
    "name", ["minimum-coverage", "minimum-diff-coverage", "maximum-coverage-drop"]
)
def test_thresholds_refuse_anything_else_naming_the_input(name: str, value: str) -> None:
    with pytest.raises(InputError) as err:
        settings.from_environ({settings.env_name(name): value})
    assert f"input {name}:" in str(err.value) and "0 to 100" in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    "value, expected",
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
    ],
)
def test_booleans_are_the_toolkit_forms(value: str, expected: bool) -> None:
    assert settings.from_environ(env(annotations=value)).annotations is expected


@pytest.mark.parametrize("value", ["yes", "1", "tRUE", "on", "no"])
def test_other_booleans_are_errors_not_false(value: str) -> None:
    with pytest.raises(InputError, match="input annotations"):
        settings.from_environ(env(annotations=value))


@pytest.mark.parametrize(
    "name, value",
    [
        ("coverage-files", "../outside.xml"),
        ("coverage-files", "/etc/passwd"),
        ("coverage-files", "ok.xml\n../../x"),
        ("report-json", "../result.json"),
        ("diff-file", "/tmp/x.diff"),
        ("baseline-file", "a/../../b.json"),
    ],
)
def test_paths_stay_inside_the_workspace(name: str, value: str) -> None:
    with pytest.raises(InputError, match=f"input {name}"):
        settings.from_environ({settings.env_name(name): value})


@pytest.mark.parametrize(
    "name, value",
    [
        ("comment", "sometimes"),
        ("pin-policy", "strict"),
        ("format", "xml"),
        ("report-name", "a b"),
        ("report-name", "-x"),
        ("baseline-artifact", "x" * 65),
        ("diff-base", "--output=/tmp/x"),
    ],
)
def test_choices_and_names_are_validated(name: str, value: str) -> None:
    with pytest.raises(InputError, match=f"input {name}"):
        settings.from_environ({settings.env_name(name): value})


def test_coverage_files_split_on_newlines_and_commas() -> None:
    s = settings.from_environ(env(coverage_files="a.xml, b.xml\n\nunit/*.xml\n"))
    assert s.coverage_files == ("a.xml", "b.xml", "unit/*.xml")


def test_a_malformed_token_is_refused_without_echoing_it() -> None:
    secret = "ghs_abc def\nxyz"
    with pytest.raises(InputError) as err:
        settings.from_environ({"INPUT_GITHUB-TOKEN": secret})
    assert "github-token" in str(err.value) and "abc" not in str(err.value)


JWT_TOKEN = "ghs_" + "eyJhbGciOiJSUzI1NiJ9." + "a1B2_c3D4." * 55 + "x_y.Z"


@pytest.mark.parametrize(
    "token",
    [
        "ghs_" + "a" * 36,  # installation token, opaque form (40 characters)
        JWT_TOKEN,  # installation token as a JWT since 2026 (~520 characters, dots, underscores)
        "ghs_" + "a.b_c" * 2000,  # longer JWTs: no length is assumed
        "ghp_" + "A1b2" * 9,  # classic personal access token
        "github_pat_11ABCDEFG0" + "x" * 72,  # fine-grained personal access token
        "short",  # opaque: GitHub's forms change, so only impossible values are refused
    ],
)
def test_every_token_form_github_issues_is_accepted(token: str) -> None:
    assert len(JWT_TOKEN) >= 520
    s = settings.from_environ({"INPUT_GITHUB-TOKEN": token})
    assert s.token == token
    assert token not in repr(s)


@pytest.mark.parametrize(
    "token",
    ["ghs_a b", "ghs_a\nb", "ghs_a\tb", "ghs_a\x7fb", "ghs_\u00e9", "Bearer ghs_ab", "x" * 65537],
)
def test_a_token_that_cannot_be_a_header_value_is_refused(token: str) -> None:
    with pytest.raises(InputError, match="input github-token") as err:
        settings.from_environ({"INPUT_GITHUB-TOKEN": token})
    assert token not in str(err.value)


def test_token_falls_back_to_github_token_env() -> None:
    s = settings.from_environ({"GITHUB_TOKEN": "ghs_" + "a" * 36})
    assert s.token == "ghs_" + "a" * 36
    assert "ghs_" not in repr(s)


def test_flags_win_over_environment() -> None:
    s = settings.from_argv(
        ["--minimum-coverage", "90", "--comment", "off"], env(minimum_coverage="50")
    )
    assert s.minimum_coverage == Decimal(90) and s.comment == "off"


def test_help_documents_every_input(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        settings.build_parser().parse_args(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for spec in settings.INPUTS:
        assert f"--{spec.name}" in text
    assert "Exit codes" in text
