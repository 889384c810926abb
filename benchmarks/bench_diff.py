"""Time parse_unified_diff (and diff_coverage over it) on a generated ~50 MB diff of many files.

Run by hand: `python benchmarks/bench_diff.py [megabytes]`. Prints size, files, changed lines,
best-of-3 wall time, throughput and the peak memory traced during one parse.
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from covaction.changed_lines import parse_unified_diff
from covaction.diff_coverage import diff_coverage
from covaction.model import CoverageReport, FileCoverage


def generate(target_bytes: int, seed: int = 1) -> str:
    """A git diff of many files: modified files with several context hunks, added files."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    i = 0
    while size < target_bytes:
        name = f"src/pkg{i % 97}/module_{i}.py"
        if i % 10 == 0:
            n = rng.randint(50, 400)
            body = "".join(f"+    value_{k} = compute({k}, {i})  # added\n" for k in range(n))
            text = (
                f"diff --git a/{name} b/{name}\nnew file mode 100644\nindex 0000000..1234567\n"
                f"--- /dev/null\n+++ b/{name}\n@@ -0,0 +1,{n} @@\n{body}"
            )
        else:
            hunks = []
            old = new = 1
            for _ in range(rng.randint(3, 12)):
                gap = rng.randint(5, 60)
                old += gap
                new += gap
                removed, added = rng.randint(0, 6), rng.randint(1, 8)
                lines = [f"     context line {old + k} of {name}\n" for k in range(3)]
                lines += [f"-    old_value = legacy({old + 3 + k})\n" for k in range(removed)]
                lines += [f"+    new_value = modern({new + 3 + k})\n" for k in range(added)]
                lines += [f"     trailing context {k}\n" for k in range(3)]
                hunks.append(
                    f"@@ -{old},{6 + removed} +{new},{6 + added} @@ def f_{old}():\n"
                    + "".join(lines)
                )
                old += 6 + removed
                new += 6 + added
            text = (
                f"diff --git a/{name} b/{name}\nindex 89abcde..fedcba9 100644\n"
                f"--- a/{name}\n+++ b/{name}\n" + "".join(hunks)
            )
        parts.append(text)
        size += len(text)
        i += 1
    return "".join(parts)


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 50.0
    text = generate(int(megabytes * 1_000_000))
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        changes = parse_unified_diff(text)
        timings.append(time.perf_counter() - start)
    best = min(timings)

    tracemalloc.start()
    parse_unified_diff(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # A report that makes every other changed line coverable, half of them hit.
    report = CoverageReport(
        {
            c.path: FileCoverage.from_mappings(
                c.path, {n: n % 3 for n in c.added_lines if n % 2 == 0}
            )
            for c in changes
        },
        has_branches=False,
    )
    start = time.perf_counter()
    cov = diff_coverage(report, changes)
    cov_time = time.perf_counter() - start

    mb = len(text) / 1_000_000
    print(f"diff: {mb:.1f} MB, {text.count(chr(10)):,} lines, {len(changes):,} files")
    print(f"changed lines: {sum(len(c.added_lines) for c in changes.files.values()):,}")
    print(f"parse_unified_diff: best {best:.2f} s of {[round(t, 2) for t in timings]}")
    print(f"throughput: {mb / best:.1f} MB/s; peak traced memory {peak / 1e6:.0f} MB")
    print(f"diff_coverage: {cov_time:.2f} s ({cov.coverable:,} coverable changed lines)")


if __name__ == "__main__":
    main()
