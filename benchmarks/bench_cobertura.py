"""Benchmark: covaction's Cobertura parse against a bare expat pass, plus peak memory.

Generates a Cobertura file of about 150 MB (override with --mb), then in fresh subprocesses,
interleaved for --rounds rounds so that both see the same machine:
1. a bare expat pass (a parser with no handlers set) over the file,
2. covaction's streaming parse (formats.cobertura.parse) of the same file,
   with the command's garbage collector setting (`covaction.cli.young_garbage_only`),
3. the same parse with the region reader off (the callback reader alone), for comparison,
and prints CPU times, the median ratio with its range, and each process's peak RSS. Run by hand:

    python benchmarks/bench_cobertura.py [--mb 150] [--rounds 3] [--keep]
    python benchmarks/bench_cobertura.py --file REPORT [--no-callbacks]

`--file` measures an existing report instead (e.g. the reports real tools wrote, scaled by
`bench_real_shapes.py`); `--no-callbacks` skips the callback reader's run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reader_runs import BARE, reader, run

ROOT = Path(__file__).resolve().parent.parent


def generate(path: Path, target_mb: int) -> tuple[int, int]:
    """Write a coverage.py-shaped Cobertura report; returns (files, lines)."""
    target = target_mb * 1024 * 1024
    files = lines = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" ?>\n<coverage version="7.6" timestamp="1" lines-valid="0" '
            'lines-covered="0" line-rate="0.5" branches-valid="0" branches-covered="0" '
            'branch-rate="0.5" complexity="0">\n\t<sources>\n\t\t<source>/src</source>\n'
            "\t</sources>\n\t<packages>\n"
        )
        pkg = 0
        while out.tell() < target:
            out.write(
                f'\t\t<package name="pkg{pkg}" line-rate="0.5" branch-rate="0.5" complexity="0">\n\t\t\t<classes>\n'
            )
            for f in range(50):
                out.write(
                    f'\t\t\t\t<class name="m{f}.py" filename="pkg{pkg}/m{f}.py" complexity="0" line-rate="0.5" branch-rate="0.5">\n'
                    "\t\t\t\t\t<methods/>\n\t\t\t\t\t<lines>\n"
                )
                for n in range(1, 401):
                    if n % 7 == 0:
                        out.write(
                            f'\t\t\t\t\t\t<line number="{n}" hits="{n % 3}" branch="true" condition-coverage="50% (1/2)" missing-branches="{n + 2}"/>\n'
                        )
                    else:
                        out.write(f'\t\t\t\t\t\t<line number="{n}" hits="{n % 3}"/>\n')
                lines += 400
                files += 1
                out.write("\t\t\t\t\t</lines>\n\t\t\t\t</class>\n")
            out.write("\t\t\t</classes>\n\t\t</package>\n")
            pkg += 1
        out.write("\t</packages>\n</coverage>\n")
    return files, lines


OURS = reader("cobertura")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--file", type=Path, help="an existing report to measure (nothing generated)")
    ap.add_argument("--no-callbacks", action="store_true", help="skip the callback reader's run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="covaction-bench-"))
    path = args.file or tmp / "coverage.xml"
    if args.file is None:
        t = time.perf_counter()
        files, lines = generate(path, args.mb)
        size = path.stat().st_size / 1e6
        print(
            f"generated {size:.0f} MB, {files} files, {lines:,} lines "
            f"in {time.perf_counter() - t:.1f}s"
        )
    bare, ours, callbacks = [], [], []
    for _ in range(args.rounds):
        bare.append(run(BARE, path))
        ours.append(run(OURS, path, "regions"))
        if not args.no_callbacks:
            callbacks.append(run(OURS, path, "callbacks"))
    for name, runs in (
        ("bare expat pass", bare),
        ("covaction parse", ours),
        ("callbacks only", callbacks),
    ):
        if not runs:
            continue
        times = ", ".join(f"{r[0]:.2f}" for r in runs)
        peak = max(r[1] for r in runs) / 1024
        print(
            f"{name:16}: {statistics.median(r[0] for r in runs):.2f}s CPU median ({times}), "
            f"peak RSS {peak:.0f} MB"
        )
    ratios = sorted(o[0] / b[0] for o, b in zip(ours, bare, strict=True))
    line = f"{statistics.median(ratios):.2f}x bare expat (rounds {ratios[0]:.2f}-{ratios[-1]:.2f})"
    if callbacks:
        plain = sorted(c[0] / b[0] for c, b in zip(callbacks, bare, strict=True))
        line += f"; callbacks only {statistics.median(plain):.2f}x"
    print(f"ratio           : {line}; {int(ours[0][2])} files")
    t = time.perf_counter()
    helped = subprocess.run(
        [sys.executable, "-m", "covaction.cli", "--help"],
        check=False,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.perf_counter() - t
    print(f"covaction --help: {elapsed:.3f}s (process start included, exit {helped.returncode})")
    if args.file is None and not args.keep:
        path.unlink()
    if not any(tmp.iterdir()):
        tmp.rmdir()


if __name__ == "__main__":
    main()
