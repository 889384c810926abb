"""The project's contracts that no runtime test sees: action.yml, settings, Dockerfile, README."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from covaction import settings

ROOT = Path(__file__).resolve().parent.parent


def _action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_action_inputs_are_exactly_the_settings_inputs_with_the_same_defaults() -> None:
    inputs = _action()["inputs"]
    assert list(inputs) == [spec.name for spec in settings.INPUTS]
    for spec in settings.INPUTS:
        expected = "${{ github.token }}" if spec.name == "github-token" else spec.default
        assert str(inputs[spec.name].get("default", "")) == expected, spec.name
        assert inputs[spec.name].get("description"), spec.name


def test_action_outputs_are_the_ones_the_run_writes() -> None:
    from covaction import result

    class _Pins:
        findings = ()

    from covaction.gates import Verdict

    written = set(result.outputs(None, Verdict(()), _Pins(), "", "")) | {"report-json"}
    assert set(_action()["outputs"]) == written


def test_action_runs_the_dockerfile() -> None:
    assert _action()["runs"] == {"using": "docker", "image": "Dockerfile"}


def test_every_input_and_output_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    action = _action()
    for name in [*action["inputs"], *action["outputs"]]:
        assert f"`{name}`" in readme, name


def test_dockerfile_is_pinned_hashed_exec_form_and_root() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(froms) == 1 and re.fullmatch(r"FROM python:3\.\d+-slim@sha256:[0-9a-f]{64}", froms[0])
    assert any("--require-hashes" in ln and "requirements.txt" in ln for ln in lines)
    assert not any(ln.startswith("USER") for ln in lines)
    entry = [ln for ln in lines if ln.startswith("ENTRYPOINT")]
    assert entry == ['ENTRYPOINT ["python", "-I", "/app/entrypoint.py"]']


def test_lock_file_pins_every_runtime_dependency_with_hashes() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "requirements.txt").read_text()
    for dep in deps:
        name = re.split(r"[<>=\[ ]", dep)[0].lower()
        assert re.search(rf"^{re.escape(name)}==\S+ \\$", lock, re.M | re.I), name
    blocks = re.split(r"\n(?=\S)", lock)
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_readme_quick_start_uses_the_lock_files() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.txt" in readme
    assert "--require-hashes -r requirements-test.txt" in readme
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_container_entrypoint_imports_from_its_own_directory_in_isolated_mode(tmp_path: Path) -> None:
    """`python -I /app/entrypoint.py` from the workspace finds covaction next to itself."""
    proc = subprocess.run(
        [sys.executable, "-I", str(ROOT / "entrypoint.py"), "--help"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    for spec in settings.INPUTS:
        assert f"--{spec.name}" in proc.stdout
