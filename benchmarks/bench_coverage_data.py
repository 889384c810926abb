"""Benchmark: reading a `.coverage` data file against `coverage report` on the same data.

Generates a package of --modules modules (each about 300 lines: functions with branches, some
never called), measures it with the real `coverage run --branch` (the data file is coverage.py's
own), then, in fresh processes interleaved for --rounds rounds:
1. `python -m coverage report` in the project (coverage.py's own reading and analysis);
2. covaction's reader (`edges.coverage_data.parse_data_file`, the whole `.coverage` path:
   read, map onto the workspace, report through coverage.py's API, back into the model);
and prints the median ratio 2 / 1 of CPU time (user + system, from wait4: the machine may be
shared) with its range, the wall-time ratio, and each one's peak RSS. Run by hand:

    python benchmarks/bench_coverage_data.py [--modules 400] [--rounds 3] [--no-branch]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def module(n: int) -> str:
    out = []
    for f in range(30):
        out.append(
            f"def f{f}(x):\n"
            f"    total = 0\n"
            f"    for i in range(x):\n"
            f"        if i % {f + 2} == 0:\n"
            f"            total += i\n"
            f"        elif i > {n % 7 + f}:\n"
            f"            total -= 1\n"
            f"        else:\n"
            f"            total *= 2\n"
            f"    return total\n\n"
        )
    return "".join(out)


def generate(root: Path, modules: int, branch: bool) -> None:
    pkg = root / "bigpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for n in range(modules):
        (pkg / f"m{n}.py").write_text(module(n))
    calls = "\n".join(
        f"import bigpkg.m{n} as m\n" + "".join(f"m.f{f}({(n + f) % 9})\n" for f in range(0, 30, 2))
        for n in range(modules)
    )
    (root / "run.py").write_text(calls)
    args = ["-m", "coverage", "run", "--source=bigpkg"] + (["--branch"] if branch else [])
    subprocess.run([PYTHON, *args, "run.py"], cwd=root, check=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)


OURS = """
import sys
from pathlib import Path
from covaction.edges.coverage_data import parse_data_file
root = Path(sys.argv[1])
report, unmatched = parse_data_file(
    root / ".coverage", ".coverage", str(root), lambda p: Path(p).relative_to(root).as_posix()
    if p.startswith(str(root)) else p, Path(sys.argv[2]))
assert report.files and not unmatched, unmatched[:3]
"""


def timed(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    child = subprocess.Popen([PYTHON, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{args[:2]} failed")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--modules", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-branch", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="covaction-data-"))
    root, scratch = tmp / "repo", tmp / "scratch"
    scratch.mkdir()
    t = time.perf_counter()
    generate(root, args.modules, not args.no_branch)
    size = (root / ".coverage").stat().st_size / 1e6
    print(
        f"{args.modules} modules, .coverage {size:.1f} MB (built in {time.perf_counter() - t:.0f}s)"
    )
    report: list[tuple[float, float, float]] = []
    ours: list[tuple[float, float, float]] = []
    for _ in range(args.rounds):
        report.append(timed(["-m", "coverage", "report"], root))
        ours.append(timed(["-c", OURS, str(root), str(scratch)], root))
    ratios = sorted(o[2] / r[2] for o, r in zip(ours, report, strict=True))
    walls = sorted(o[0] / r[0] for o, r in zip(ours, report, strict=True))
    print(
        f"coverage report {statistics.median(r[2] for r in report):.2f}s CPU "
        f"(peak RSS {max(r[1] for r in report):.0f} MB); covaction's reader "
        f"{statistics.median(o[2] for o in ours):.2f}s CPU (peak RSS {max(o[1] for o in ours):.0f} MB); "
        f"ratio {statistics.median(ratios):.2f}x CPU (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}), "
        f"{statistics.median(walls):.2f}x wall"
    )
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
