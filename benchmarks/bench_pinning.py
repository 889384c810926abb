"""Benchmark: the pin check's scan() over 300 real-world-sized workflows, and hostile YAML.

Generates --files workflow files (default 300) of about 150 lines with 10-20 steps each, in the
shapes real repositories use (matrix, `with:` inputs, `run: |` scripts, version comments, an
anchor now and then, a job with a container, service images and a `$/` step in every fourth
file) and a composite action.yml per ten workflows, in a temporary directory.
Reads them back as the filesystem edge would, then times `workflow_paths` + `scan` (best of
--repeat) with libyaml's loader and with PyYAML's pure-Python fallback, and times one scan of
each hostile file (billion laughs, 1 MB of nesting, a recursive alias). Run by hand:

    python benchmarks/bench_pinning.py [--files 300] [--repeat 5] [--keep]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from covaction.pins import github_yaml, workflows

ACTIONS = [
    "actions/checkout",
    "actions/setup-python",
    "actions/setup-node",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "docker/login-action",
    "docker/build-push-action",
    "github/codeql-action/init",
    "github/codeql-action/analyze",
    "codecov/codecov-action",
    "softprops/action-gh-release",
]


def sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def step(rng: random.Random, i: int) -> list[str]:
    action = rng.choice(ACTIONS)
    roll = rng.random()
    if roll < 0.35:
        return [
            f"      - name: Run part {i}",
            "        run: |",
            f"          echo 'step {i}'  # uses: not/this@v1",
            "          python -m pip install --upgrade pip",
            f"          make test-{i} PYTHON=${{{{ matrix.python }}}}",
            "        env:",
            "          PIP_DISABLE_PIP_VERSION_CHECK: '1'",
        ]
    if roll < 0.70:
        uses = f"{action}@{sha(rng)} # v{rng.randint(1, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}"
    elif roll < 0.90:
        uses = f"{action}@v{rng.randint(1, 5)}"
    elif roll < 0.95:
        uses = f"docker://alpine:3.{rng.randint(10, 20)}"
    else:
        uses = "./.github/actions/setup"
    return [
        f"      - name: Use {action} ({i})",
        f"        id: s{i}",
        f"        uses: {uses}",
        "        with:",
        f"          key: ${{{{ runner.os }}}}-{i}-${{{{ hashFiles('**/requirements*.txt') }}}}",
        "          token: ${{ secrets.GITHUB_TOKEN }}",
        "          uses: not/an-input@v1",
        "        if: github.event_name == 'push'",
    ]


def workflow(rng: random.Random, n: int) -> str:
    lines = [
        f"name: CI {n}",
        "on:",
        "  push:",
        "    branches: [main]",
        "  pull_request:",
        "    paths-ignore: ['docs/**', '*.md']",
        "permissions:",
        "  contents: read",
        "concurrency:",
        "  group: ${{ github.workflow }}-${{ github.ref }}",
        "  cancel-in-progress: true",
        "env: &env",
        "  FORCE_COLOR: '1'",
        "jobs:",
    ]
    for job in range(rng.randint(1, 2)):
        lines += [
            f"  job{job}:",
            f"    name: Job {job} (${{{{ matrix.os }}}}, ${{{{ matrix.python }}}})",
            "    runs-on: ${{ matrix.os }}",
            "    timeout-minutes: 30",
            "    env: *env",
            "    strategy:",
            "      fail-fast: false",
            "      matrix:",
            "        os: [ubuntu-latest, macos-latest, windows-latest]",
            "        python: ['3.10', '3.11', '3.12', '3.13']",
            "    steps:",
        ]
        for i in range(rng.randint(5, 10)):
            lines += step(rng, i)
    if n % 4 == 0:  # no random draws here: the other files stay as they were
        image = f"postgres:16@sha256:{n:064x}" if n % 8 == 0 else "postgres:16"
        lines += [
            "  integration:",
            "    runs-on: ubuntu-latest",
            f"    container: python:3.{10 + n % 4}-slim",
            "    services:",
            "      postgres:",
            f"        image: {image}",
            "        env: {POSTGRES_PASSWORD: postgres}",
            "        ports: ['5432:5432']",
            "      redis: redis:7",
            "    steps:",
            "      - uses: $/.github/actions/setup",
            "      - run: python -m pytest -m integration",
        ]
    lines += [
        "  release:",
        "    needs: [job0]",
        f"    uses: my-org/workflows/.github/workflows/release.yml@{sha(rng)} # v2.1.0",
        "    secrets: inherit",
    ]
    return "\n".join(lines) + "\n"


def composite(rng: random.Random) -> str:
    lines = ["name: setup", "runs:", "  using: composite", "  steps:"]
    for i in range(rng.randint(3, 6)):
        uses = f"{rng.choice(ACTIONS)}@{sha(rng) if rng.random() < 0.6 else 'v4'}"
        lines += [f"    - uses: {uses}", "      with:", f"        key: k{i}"]
    return "\n".join(lines) + "\n"


def generate(root: Path, count: int) -> None:
    rng = random.Random(20261121)
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for n in range(count):
        (workflows / f"ci-{n:03}.yml").write_text(workflow(rng, n), encoding="utf-8")
        if n % 10 == 0:
            action = root / "actions" / f"a{n}"
            action.mkdir(parents=True)
            (action / "action.yml").write_text(composite(rng), encoding="utf-8")


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated directory")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="bench-pinning-"))
    try:
        generate(root, args.files)
        tracked = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        paths = workflows.workflow_paths(tracked)
        files = [(p, (root / p).read_bytes()) for p in paths]
        lines = sum(data.count(b"\n") for _, data in files)
        size = sum(len(data) for _, data in files)
        refs = workflows.scan(files, ("my-org/*",))
        summary = workflows.PinSummary.of(refs)
        print(
            f"{len(files)} files ({args.files} workflows + {len(files) - args.files} actions), "
            f"{lines:,} lines, {size / 1e6:.2f} MB, {summary.total:,} references "
            f"({summary.pinned} pinned, {summary.unpinned} unpinned, {summary.local} local, "
            f"{summary.parse_errors} parse errors)"
        )
        loaders = {"libyaml (CSafeLoader)": getattr(yaml, "CSafeLoader", None)}
        loaders["pure Python (SafeLoader)"] = yaml.SafeLoader
        saved = github_yaml.LOADER
        try:
            for name, loader in loaders.items():
                if loader is None:
                    print(f"{name}: not available")
                    continue
                github_yaml.LOADER = loader
                seconds = best_of(
                    args.repeat,
                    lambda: workflows.scan(files, ("my-org/*",)),
                )
                print(
                    f"{name}: scan() {seconds:.3f} s total, {len(files) / seconds:,.0f} files/s, "
                    f"{lines / seconds:,.0f} lines/s (best of {args.repeat})"
                )
        finally:
            github_yaml.LOADER = saved

        laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        laughs += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
        hostile = {
            "billion laughs (9 levels)": "\n".join(laughs).encode(),
            "1 MB of [ nesting": b"[" * (1 << 20),
            "1 MB of - nesting": b"- " * (1 << 19),
            "recursive alias": b"jobs: &j {a: *j}\n",
            "1 MB of aliases of one step": b"s: &s {uses: a/b@v1}\njobs: {a: {steps: ["
            + b"*s, " * (1 << 18)
            + b"]}}\n",
        }
        for name, data in hostile.items():
            start = time.perf_counter()
            found = workflows.scan_file(".github/workflows/x.yml", data)
            seconds = time.perf_counter() - start
            verdicts = ", ".join(sorted({r.verdict for r in found}))
            print(
                f"hostile: {name}: {seconds * 1000:.1f} ms -> {len(found)} finding(s): {verdicts}"
            )
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
