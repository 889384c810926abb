"""What the reader benchmarks (bench_cobertura.py, bench_jacoco.py) run in a fresh process per
measurement: a bare expat pass over a report, or one covaction reader over it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each prints: CPU seconds, peak RSS in KiB, files read (0 for the bare pass).
BARE = """
import sys, time, resource
from xml.parsers import expat
p = expat.ParserCreate()
t = time.process_time()
with open(sys.argv[1], 'rb') as f:
    while chunk := f.read(1 << 20):
        p.Parse(chunk, False)
p.Parse(b'', True)
print(time.process_time() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0)
"""

_READER = """
import sys, time, resource
from covaction.cli import young_garbage_only
from covaction.formats import {module}
young_garbage_only()  # as the command runs it: no full collections
def chunks():
    with open(sys.argv[1], 'rb') as f:
        while chunk := f.read(1 << 20):
            yield chunk
t = time.process_time()
r = {module}.parse(chunks(), 'bench.xml', regions=sys.argv[2] == 'regions')
elapsed = time.process_time() - t
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(r.files))
"""


def reader(module: str) -> str:
    """The code that times `covaction.formats.<module>.parse`; its argument after the report
    is `regions` (the production reader) or `callbacks` (`regions=False`)."""
    return _READER.format(module=module)


def run(code: str, path: Path, *args: str) -> list[float]:
    """[CPU seconds, peak RSS KiB, files] of `code` run on the report at `path`."""
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return [float(x) for x in out.stdout.split()]
