"""The project's contracts that no runtime test sees: action.yml, settings, Dockerfile, README."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from covaction import settings
from covaction.documents import result
from covaction.pins import workflows as workflows_mod

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

    class _Pins:
        findings = ()

    from covaction.gates import Verdict

    written = set(result.outputs(None, Verdict(()), _Pins(), "", "", "warn")) | {"report-json"}
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
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
    ]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(froms) == 1 and re.fullmatch(
        r"FROM python:3\.\d+-slim@sha256:[0-9a-f]{64}", froms[0]
    )
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


def test_container_entrypoint_imports_from_its_own_directory_in_isolated_mode(
    tmp_path: Path,
) -> None:
    """`python -I /app/entrypoint.py` from the workspace finds covaction next to itself."""
    proc = subprocess.run(
        [sys.executable, "-I", str(ROOT / "entrypoint.py"), "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    for spec in settings.INPUTS:
        assert f"--{spec.name}" in proc.stdout


def test_readme_workflow_examples_pin_every_action_and_pass_zizmor(tmp_path: Path) -> None:
    """The workflows we tell users to write follow our own pin policy and zizmor's audits."""
    import shutil

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    blocks_found = [b for b in blocks if b.lstrip().startswith("name:") or "\non:" in "\n" + b]
    assert blocks_found
    for i, block in enumerate(blocks_found):
        text = block.replace(
            "covaction/covaction@<full commit sha>", "covaction/covaction@" + "0" * 40
        )
        refs = workflows_mod.scan_file(f"readme-{i}.yml", text.encode())
        assert refs and all(r.verdict in ("pinned", "local") for r in refs), refs
        wf = tmp_path / ".github" / "workflows"
        wf.mkdir(parents=True, exist_ok=True)
        (wf / f"readme-{i}.yml").write_text(text)
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    if not Path(zizmor).exists():
        import pytest

        pytest.skip("zizmor is not installed (CI installs it from requirements-test.txt)")
    done = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_project_workflows_pin_every_action() -> None:

    for path in sorted((ROOT / ".github" / "workflows").glob("*.y*ml")):
        for ref in workflows_mod.scan_file(path.name, path.read_bytes()):
            assert ref.verdict in ("pinned", "local"), ref
