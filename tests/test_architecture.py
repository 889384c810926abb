"""The layout as a contract: three layers, no import cycle, one exception tree, small modules.

Imports are read from the source (every import statement, function-local and TYPE_CHECKING ones
included), so a cycle hidden inside a function still counts.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import covaction
from covaction import errors

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "covaction"
CORE = (
    "settings", "github_context", "model", "missed", "paths", "formats", "changed_lines",
    "diff_coverage", "compare", "gates", "pins", "documents", "render", "errors",
)  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every covaction module `path` imports, wherever the import statement stands."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m == "covaction" or m.startswith("covaction.")}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports_of(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def test_no_module_imports_itself_back_through_any_path(graph: dict[str, set[str]]) -> None:
    """Tarjan's strongly connected components: every component is a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


@pytest.mark.parametrize("layer", CORE)
def test_the_core_imports_no_edge_stage_or_command(graph: dict[str, set[str]], layer: str) -> None:
    prefix = f"covaction.{layer}"
    for module, targets in graph.items():
        if module == prefix or module.startswith(prefix + "."):
            bad = {
                t
                for t in targets
                if t.split(".")[1:2] in (["edges"], ["stages"], ["cli"], ["__main__"])
            }
            assert bad == set(), module


def test_edges_import_no_stage_and_stages_not_the_sequencer(graph: dict[str, set[str]]) -> None:
    for module, targets in graph.items():
        if module.startswith("covaction.edges"):
            assert not {t for t in targets if t.startswith(("covaction.stages", "covaction.cli"))}
        if module.startswith("covaction.stages.") and module != "covaction.stages.run":
            assert "covaction.stages.run" not in targets, module
            assert "covaction.cli" not in targets, module


def test_only_the_rest_edge_imports_pygithub() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        if any(n == "github" or n.startswith("github.") for n in names):
            assert path == PACKAGE / "edges" / "github_rest.py", path


def test_every_exception_joins_the_one_tree() -> None:
    """Every exception class defined in the package derives from CovactionError, except the
    private control-flow signals that never leave their module (named with a leading `_`)."""
    import importlib

    outside = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        module = importlib.import_module(module_name(path))
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and not issubclass(value, errors.CovactionError)
            ):
                outside.append(f"{module.__name__}.{name}")
    assert outside == []


def test_exit_codes_are_decided_by_the_enum() -> None:
    assert [int(c) for c in errors.ExitCode] == [0, 1, 2]
    assert errors.CovactionError.exit_code is errors.ExitCode.CANNOT_RUN


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_modules_are_small_and_say_their_one_job(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 760, f"{path} has {text.count(chr(10))} lines"
    doc = ast.get_docstring(ast.parse(text))
    assert doc, f"{path} has no module docstring"


def test_import_linter_contracts_hold() -> None:
    """The same layering as the contracts in pyproject.toml, checked by import-linter."""
    lint = Path(sys.executable).with_name("lint-imports")
    if not lint.exists():
        pytest.skip("import-linter is not installed")
    proc = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_the_package_has_no_module_named_like_a_library() -> None:
    names = {p.stem for p in PACKAGE.rglob("*.py")}
    assert not names & {"github", "coverage", "json", "yaml", "requests", "jinja2"}
    assert covaction.__version__
