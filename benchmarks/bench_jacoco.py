"""Benchmark: covaction's JaCoCo parse against a bare expat pass, both readers, peak memory.

Scales the report JaCoCo itself wrote (tests/fixtures/real/java/jacoco1.xml, one physical line
as JaCoCo writes it) to about --mb megabytes: each `<sourcefile>`'s line tags are repeated,
shifted past the last line, --repeat times, and every `<package>` is copied under new names.
Then in fresh subprocesses, interleaved for --rounds rounds so all see the same machine, it
times the CPU seconds (the machine may be shared) of:
1. a bare expat pass (a parser with no handlers set) over the file, 1 MiB chunks;
2. `jacoco.parse` (the region reader, the callbacks where a region is not plain);
   with the command's garbage collector setting (`covaction.cli.young_garbage_only`),
3. `jacoco.parse(..., regions=False)` (the callback reader alone), for comparison;
and prints the medians, the ratio to the bare pass and each process's peak RSS. Run by hand:

    python benchmarks/bench_jacoco.py [--mb 100] [--rounds 3] [--repeat 40] [--keep]
    python benchmarks/bench_jacoco.py --file REPORT [--no-callbacks]

`--file` measures an existing report instead (e.g. the one `bench_real_shapes.py` scales);
`--no-callbacks` skips the callback reader's run.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
from pathlib import Path

from reader_runs import BARE, reader, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "real" / "java" / "jacoco1.xml"
_NR = re.compile(rb'(<line nr=")(\d+)(")')


def _shifted(block: bytes, by: int) -> bytes:
    return _NR.sub(lambda m: m.group(1) + str(int(m.group(2)) + by).encode() + m.group(3), block)


def generate(path: Path, target_mb: int, repeat: int) -> int:
    """Write the scaled report; returns the number of source files."""
    data = FIXTURE.read_bytes()
    first = data.index(b"<package ")
    last = data.rindex(b"</package>") + len(b"</package>")
    head, packages, tail = data[:first], data[first:last], data[last:]

    def grow(m: re.Match[bytes]) -> bytes:
        body = m.group(2)
        cut = body.find(b"<counter ")
        own, counters = body[:cut], body[cut:]
        span = max(int(n) for _, n, _ in _NR.findall(own)) + 3
        copies = [_shifted(own, k * span) for k in range(repeat)]
        return m.group(1) + b"".join(copies) + counters + b"</sourcefile>"

    grown = re.sub(rb"(<sourcefile [^>]*>)(.*?)</sourcefile>", grow, packages, flags=re.S)
    files = 0
    with path.open("wb") as out:
        out.write(head)
        copy = 0
        while out.tell() < target_mb * 1_000_000:
            out.write(grown.replace(b'name="com/', b'name="g%d/com/' % copy))
            files += grown.count(b"<sourcefile ")
            copy += 1
        out.write(tail)
    return files


OURS = reader("jacoco")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--file", type=Path, help="an existing report to measure (nothing generated)")
    ap.add_argument("--no-callbacks", action="store_true", help="skip the callback reader's run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="covaction-bench-"))
    path = args.file or tmp / "jacoco.xml"
    if args.file is None:
        files = generate(path, args.mb, args.repeat)
        print(f"generated {path.stat().st_size / 1e6:.0f} MB, {files:,} source files")
    runs: dict[str, list[list[float]]] = {"bare expat pass": [], "regions": []}
    if not args.no_callbacks:
        runs["callbacks"] = []
    for _ in range(args.rounds):
        runs["bare expat pass"].append(run(BARE, path))
        runs["regions"].append(run(OURS, path, "regions"))
        if not args.no_callbacks:
            runs["callbacks"].append(run(OURS, path, "callbacks"))
    bare = statistics.median(r[0] for r in runs["bare expat pass"])
    for name, results in runs.items():
        cpu = statistics.median(r[0] for r in results)
        each = ", ".join(f"{r[0]:.2f}" for r in results)
        peak = max(r[1] for r in results) / 1024
        print(
            f"{name:16}: {cpu:.2f}s CPU median ({each}), {cpu / bare:.2f}x bare, "
            f"peak RSS {peak:.0f} MB"
        )
    if args.file is None and args.keep:
        print(f"kept {path}")
    elif args.file is None:
        path.unlink()
    if not any(tmp.iterdir()):
        tmp.rmdir()


if __name__ == "__main__":
    main()
