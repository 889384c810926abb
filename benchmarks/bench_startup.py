"""Benchmark: what the image's compile step saves at the start of every run.

A container starts from the image's files every time, so whatever Python or Jinja compiles at
start-up is compiled again on every run. This lays covaction out twice as the image has it in
/app: once as the files are copied, once after the Dockerfile's compile step (its RUN line,
run here with this interpreter). Then, in fresh processes interleaved for --rounds rounds, it
runs the bundled example (`examples/demo`, the comment as Markdown) with `python -I` from
each: the plain copy with `-B` (a fresh container writes no bytecode that a later run could
use) and the compiled one. It prints the CPU time (user + system) of each, min and median.

    python benchmarks/bench_startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
ARGS = ["--minimum-coverage", "50", "--diff-file", "changes.diff", "--baseline-file",
        "baseline.json", "--output", "markdown"]  # fmt: skip


def compile_step() -> str:
    """The Dockerfile's compile RUN line, its continuations joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    kept = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    (run,) = [
        ln.strip().removeprefix("RUN ")
        for ln in re.sub(r"\\\n", "", kept).splitlines()
        if "compileall" in ln
    ]
    return run


def lay_out(app: Path, compiled: bool) -> None:
    app.mkdir(parents=True)
    shutil.copy(ROOT / "entrypoint.py", app / "entrypoint.py")
    shutil.copytree(
        ROOT / "covaction",
        app / "covaction",
        ignore=shutil.ignore_patterns("__pycache__", "templates-cache"),
    )
    if compiled:
        bin_dir = app.parent / "bin"
        bin_dir.mkdir()
        (bin_dir / "python").symlink_to(sys.executable)
        subprocess.run(
            ["bash", "-o", "pipefail", "-c", compile_step().replace("/app", str(app))],
            check=True,
            env={"PATH": f"{bin_dir}:{os.environ['PATH']}"},
        )


def cpu(args: list[str]) -> float:
    env = {"PATH": os.environ["PATH"]}
    child = subprocess.Popen(args, cwd=DEMO, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{' '.join(args)} failed")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="covaction-startup-") as tmp:
        plain, compiled = Path(tmp) / "plain" / "app", Path(tmp) / "compiled" / "app"
        lay_out(plain, compiled=False)
        lay_out(compiled, compiled=True)
        runs: dict[str, list[float]] = {"as copied": [], "compiled": []}
        for _ in range(args.rounds):
            runs["as copied"].append(
                cpu([sys.executable, "-I", "-B", str(plain / "entrypoint.py"), *ARGS])
            )
            runs["compiled"].append(
                cpu([sys.executable, "-I", str(compiled / "entrypoint.py"), *ARGS])
            )
        for name, times in runs.items():
            print(
                f"{name:10} CPU min {min(times):.3f}s, median {statistics.median(times):.3f}s "
                f"({args.rounds} runs of the bundled example, comment as Markdown)"
            )


if __name__ == "__main__":
    main()
