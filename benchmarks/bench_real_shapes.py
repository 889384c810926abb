"""Benchmark: the whole `covaction` run on large reports scaled from what the real tools wrote.

For each producer (coverage.py, gcovr and Istanbul's Cobertura, JaCoCo's XML) a report the real
tool wrote (tests/fixtures/real/) is scaled to about --mb megabytes (JaCoCo: two thirds of it,
its lines are shorter) by replicating, in the producer's exact markup:
- each `<class>`'s (JaCoCo: `<sourcefile>`'s) line elements, shifted past the last line, so a
  file has a few hundred lines as real modules do;
- each `<package>` under new names (a `gN/` folder before every file name).
Everything else (the XML declaration, coverage.py's two comments, DOCTYPEs, indentation,
`<methods/>`, gcovr's `<conditions>`) is the tool's own bytes.

A temporary git checkout then holds every file the report names (two commits: the second
changes a few hundred files, the pull request's diff) and a baseline with per-file counts
(some different, so the comparison has rows). In fresh processes, interleaved for --rounds
rounds so both see the same machine, it times:
1. a bare expat pass (a parser with no handlers set) over the report, 1 MiB chunks;
2. `python entrypoint.py` in the checkout (covaction laid out as the image has it, compiled by
   the Dockerfile's step; --from-checkout: this checkout's), with --diff-base, --baseline-file,
   --pin-policy off and --report-json (not with --no-report-json): the whole command,
   interpreter start included, as a workflow's step runs it (GITHUB_ACTIONS=true, the job
   summary and outputs files; no token);
and prints per producer the median ratio run / bare pass of CPU time (user + system, from
wait4: the machine may be shared) with its range, the wall-time ratio, and each run's peak
RSS. --profile runs the command once more per producer under cProfile and prints the share of
the run spent reading the report; --stages times each stage's CPU instead (no profiler
overhead), and what the stages after reading the report cost together. Run by hand:

    python benchmarks/bench_real_shapes.py [--mb 150] [--rounds 3] [--only coverage.py,jacoco]
        [--profile] [--stages] [--keep] [--reuse DIR] [--no-report-json]

--keep keeps the checkouts and prints where; --reuse DIR times those again without building.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench_startup import lay_out

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"
PYTHON = sys.executable

_LINE_NUMBER = re.compile(rb'(<line number=")(\d+)(")')
_JACOCO_NR = re.compile(rb'(<line nr=")(\d+)(")')


@dataclass
class Scaled:
    """A generated report and what the checkout must hold."""

    name: str
    report: Path
    files: dict[str, int] = field(default_factory=dict)  # repo path -> number of lines
    counts: dict[str, list[int]] = field(default_factory=dict)  # repo path -> baseline counts


def _cobertura_lines(body: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(before, the class's own `<lines>` content, after) or None for `<lines/>`."""
    start = body.rfind(b"<lines>")
    if start < 0:
        return None
    start += len(b"<lines>")
    end = body.rfind(b"</lines>")
    return body[:start], body[start:end], body[end:]


def _shifted(block: bytes, pattern: re.Pattern[bytes], by: int) -> bytes:
    return pattern.sub(
        lambda m: m.group(1) + str(int(m.group(2)) + by).encode() + m.group(3), block
    )


def scale_cobertura(
    name: str, fixture: Path, out: Path, checkout: Path, target: int, repeat: int
) -> Scaled:
    """Replicate a real Cobertura report's packages (renamed) and each class's lines."""
    data = fixture.read_bytes()
    # <source> as on a runner: the checkout (coverage.py and Istanbul write absolute paths).
    data = re.sub(
        rb"<source>([^<]*)</source>",
        lambda m: (
            b"<source>"
            + (m.group(1) if m.group(1) == b"." else str(checkout).encode())
            + b"</source>"
        ),
        data,
    )
    first = data.index(b"<package ")
    first = data.rindex(b"\n", 0, first) + 1
    last = data.rindex(b"</package>") + len(b"</package>\n")
    head, packages, tail = data[:first], data[first:last], data[last:]
    classes = list(re.finditer(rb"<class [^>]*>.*?</class>", packages, re.S))
    scaled = Scaled(name, out)
    # One copy of every package, its classes' lines replicated `repeat` times.
    pieces: list[bytes] = []
    at = 0
    info: list[tuple[bytes, int, int, int]] = []  # filename, lines in file, coverable, covered
    for m in classes:
        pieces.append(packages[at : m.start()])
        cls = m.group()
        filename = re.search(rb'filename="([^"]*)"', cls)
        assert filename is not None
        split = _cobertura_lines(cls)
        span = 1
        if split is not None:
            before, lines, after = split
            numbers = [int(n) for _, n, _ in _LINE_NUMBER.findall(lines)]
            span = max(numbers) + 3
            core = lines.rstrip()  # the whitespace before </lines> once, after the last copy
            copies = [_shifted(core, _LINE_NUMBER, k * span) for k in range(repeat)]
            indent = lines[len(core) :]
            cls = before + b"".join(copies) + indent + after
            hits = re.findall(rb'<line number="\d+" hits="(\d+)"', lines)
            # Counted from the class's own lines (not the <methods> ones).
            info.append(
                (
                    filename.group(1),
                    span * repeat,
                    len(hits) * repeat,
                    sum(1 for h in hits if h != b"0") * repeat,
                )
            )
        else:
            info.append((filename.group(1), 1, 0, 0))
        pieces.append(cls)
        at = m.end()
    pieces.append(packages[at:])
    template = b"".join(pieces)
    with out.open("wb") as f:
        f.write(head)
        copy = 0
        while f.tell() < target:
            prefix = f"g{copy}/".encode()
            block = re.sub(rb'filename="', b'filename="' + prefix, template)
            block = re.sub(
                rb'(<package name=")([^"]*)"',
                rb"\1" + prefix.rstrip(b"/") + rb'.\2"',
                block,
            )
            f.write(block)
            for filename, nlines, coverable, covered in info:
                path = (prefix + filename).decode()
                scaled.files[path] = nlines
                # Every fifth file had one more line covered on the base branch.
                base_cov = covered + (1 if copy % 5 == 0 and covered < coverable else 0)
                scaled.counts[path] = [coverable, base_cov, 0, 0]
            copy += 1
        f.write(tail)
    return scaled


def scale_jacoco(fixture: Path, out: Path, target: int, repeat: int) -> Scaled:
    """Replicate a real JaCoCo report's packages (renamed) and each source file's lines."""
    data = fixture.read_bytes()
    first = data.index(b"<package ")
    last = data.rindex(b"</package>") + len(b"</package>")
    head, packages, tail = data[:first], data[first:last], data[last:]
    scaled = Scaled("jacoco", out)
    blocks = list(re.finditer(rb'<package name="([^"]*)">(.*?)</package>', packages, re.S))

    def grow(body: bytes) -> bytes:
        def lines(m: re.Match[bytes]) -> bytes:
            inner = m.group(2)
            nrs = [int(n) for _, n, _ in _JACOCO_NR.findall(inner)]
            span = max(nrs) + 3
            cut = inner.find(b"<counter ")
            own, counters = inner[:cut], inner[cut:]
            grown = b"".join(_shifted(own, _JACOCO_NR, k * span) for k in range(repeat))
            return m.group(1) + grown + counters + b"</sourcefile>"

        return re.sub(rb"(<sourcefile [^>]*>)(.*?)</sourcefile>", lines, body, flags=re.S)

    grown = [(m.group(1), grow(m.group(2))) for m in blocks]
    with out.open("wb") as f:
        f.write(head)
        copy = 0
        while f.tell() < target:
            for pkg, body in grown:
                new = pkg + f"/g{copy}".encode()
                f.write(b'<package name="' + new + b'">')
                f.write(body.replace(b'name="' + pkg + b"/", b'name="' + new + b"/"))
                f.write(b"</package>")
                for sf in re.finditer(
                    rb'<sourcefile name="([^"]*)">(.*?)</sourcefile>', body, re.S
                ):
                    nrs = re.findall(rb'<line nr="(\d+)" mi="(\d+)" ci="(\d+)"', sf.group(2))
                    path = f"src/main/java/{new.decode()}/{sf.group(1).decode()}"
                    scaled.files[path] = max(int(n) for n, _, _ in nrs) + 1
                    covered = sum(1 for _, _, ci in nrs if ci != b"0")
                    scaled.counts[path] = [len(nrs), covered - (copy % 5 == 0), 0, 0]
            copy += 1
        f.write(tail)
    return scaled


def make_checkout(scaled: Scaled, checkout: Path) -> None:
    """A git repository holding every file the report names; HEAD changes some of them."""
    text = "".join(f"value_{n} = {n}\n" for n in range(1, 2001))
    lines = text.splitlines(keepends=True)
    for path, nlines in scaled.files.items():
        target = checkout / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join(lines[: max(nlines, 1)]))
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
    }
    env["GIT_COMMITTER_EMAIL"] = "b@b"

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=checkout, check=True, env=env, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A", ".")
    git("commit", "-q", "-m", "base")
    # The pull request: 300 files, ten lines each rewritten (files with lines to change: a
    # stride over all files could meet only the one-line `__init__.py` of every package).
    sources = [path for path, nlines in scaled.files.items() if nlines > 1]
    for path in sources[:: max(1, len(sources) // 300)]:
        target = checkout / path
        body = target.read_text().splitlines(keepends=True)
        for i in range(1, min(len(body), 11)):
            body[i] = body[i].replace("= ", "= 1 + ")
        target.write_text("".join(body))
    git("commit", "-q", "-a", "-m", "change")
    baseline = {
        "schema": "covaction-baseline",
        "version": 1,
        "covaction": "0.1.0",
        "report_name": "coverage",
        "commit": "4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70",
        "branch": "main",
        "created_at": "2026-11-20T10:00:00Z",
        "run_id": "",
        "has_branches": False,
        "totals": [sum(c[i] for c in scaled.counts.values()) for i in range(4)],
        "files": scaled.counts,
        "trend": [],
    }
    (checkout / "baseline.json").write_text(json.dumps(baseline))


BARE = """
import sys
from xml.parsers import expat
p = expat.ParserCreate()
with open(sys.argv[1], 'rb') as f:
    while chunk := f.read(1 << 20):
        p.Parse(chunk, False)
p.Parse(b'', True)
"""


REPORT_JSON = ["--report-json", "result.json"]  # emptied by --no-report-json


# Where the command runs from: covaction laid out as the image has it in /app, compiled by the
# Dockerfile's step (`bench_startup.lay_out`), or this checkout with --from-checkout.
APP = [ROOT]


def command(scaled: Scaled, checkout: Path) -> list[str]:
    return [
        str(APP[0] / "entrypoint.py"),
        "--coverage-files",
        str(scaled.report.relative_to(checkout)),
        "--diff-base",
        "HEAD~1",
        "--baseline-file",
        "baseline.json",
        "--pin-policy",
        "off",
        *REPORT_JSON,
    ]


def runner_env(cwd: Path) -> dict[str, str]:
    """This process's environment as a runner's step sees it: GITHUB_ACTIONS=true, and the job
    summary and outputs files (fresh and empty), so that the run is the workflow's (the summary
    written, the checkout's files being what git tracks). No token: no API call."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.pop("CI", None)
    files = cwd.parent / "runner-files"
    files.mkdir(exist_ok=True)
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        (files / name).write_bytes(b"")
        env[name] = str(files / name)
    env["GITHUB_ACTIONS"] = "true"
    env["GITHUB_WORKSPACE"] = str(cwd)
    return env


def timed(args: list[str], cwd: Path, runner: bool = False) -> tuple[float, float, float, int]:
    """(wall seconds, peak RSS in MB, CPU seconds, exit code) of one child process (`runner`:
    as a workflow's step, see `runner_env`)."""
    if runner:
        env = runner_env(cwd)
    else:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
        env.pop("CI", None)
    t = time.perf_counter()
    child = subprocess.Popen(
        [PYTHON, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - t
    assert child.stderr is not None
    err = child.stderr.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        sys.exit(f"{' '.join(args[:1])} exited {child.returncode}: {err.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, child.returncode


def profile(scaled: Scaled, checkout: Path, tmp: Path) -> str:
    """The share of one run under cProfile spent in the report reader (formats.*.parse)."""
    out = tmp / f"{scaled.name}.prof"
    timed(["-m", "cProfile", "-o", str(out), *command(scaled, checkout)], checkout)
    stats = pstats.Stats(str(out))
    total = stats.total_tt  # type: ignore[attr-defined]
    raw = stats.stats  # type: ignore[attr-defined]
    parse = max(
        (
            ct
            for (file, _, func), (_, _, _, ct, _) in raw.items()
            if func == "parse" and "formats" in file
        ),
        default=0.0,
    )
    heavy = sorted(
        (
            (ct, f"{Path(file).name}:{func}")
            for (file, _, func), (_, _, _, ct, _) in raw.items()
            if "covaction" in file and func not in ("parse", "main", "run", "<module>")
        ),
        reverse=True,
    )[:6]
    top = ", ".join(f"{name} {ct / total:.0%}" for ct, name in heavy)
    return f"reader {parse / total:.0%} of {total:.1f}s profiled; {top}"


STAGES = """
ROOT = '__ROOT__'
import sys, time, runpy, importlib
sys.path.insert(0, ROOT)
T = {}
def wrap(modname, fname, label):
    m = importlib.import_module(modname)
    f = getattr(m, fname)
    def w(*a, **k):
        t = time.process_time()
        try:
            return f(*a, **k)
        finally:
            T[label] = T.get(label, 0) + time.process_time() - t
    setattr(m, fname, w)
t0 = time.process_time()
for mod, fn, label in [
    ('covaction.formats', 'parse', 'parse'),
    ('covaction.stages.reports', 'load', 'reports.load (parse + map)'),
    ('covaction.paths', 'map_reports', 'paths.map_reports'),
    ('covaction.compare', 'compare', 'compare'),
    ('covaction.diff_coverage', 'diff_coverage', 'diff_coverage'),
    ('covaction.render.parts', 'make_missing', 'parts.make_missing'),
    ('covaction.render.markdown', 'render_comment', 'render_comment'),
    ('covaction.render.markdown', 'render_summary', 'render_summary'),
    ('covaction.render.text', 'render_text', 'render_text'),
    ('covaction.documents.result', 'document', 'result.document'),
    ('covaction.stages.uploads', 'write_report_json', 'write_report_json'),
    ('covaction.edges.git', 'tracked_files', 'git.tracked_files'),
    ('covaction.stages.changes', 'load', 'changes.load (git diff)'),
]:
    wrap(mod, fn, label)
imports = time.process_time() - t0
AFTER_EXCLUDES = ('parse', 'reports.load (parse + map)', 'git.tracked_files', 'changes.load (git diff)')
sys.argv = [ROOT + '/entrypoint.py'] + sys.argv[1:]
try:
    runpy.run_path(ROOT + '/entrypoint.py', run_name='__main__')
except SystemExit:
    pass
total = time.process_time()
print(f"total CPU {total:.2f}s (of it importing covaction's modules {imports:.2f}s)", file=sys.stderr)
for k, v in T.items():
    print(f"  {k:28} {v:6.2f}s {v / total:5.0%}", file=sys.stderr)
after = sum(v for k, v in T.items() if k not in AFTER_EXCLUDES)
print(f"  {'after reading the report':28} {after:6.2f}s {after / total:5.0%}", file=sys.stderr)
"""


def stages(scaled: Scaled, checkout: Path) -> str:
    """CPU seconds per stage of one run (functions wrapped with timers; no profiler)."""
    code = STAGES.replace("__ROOT__", str(APP[0]))
    args = command(scaled, checkout)[1:]
    done = subprocess.run(
        [PYTHON, "-c", code, *args],
        cwd=checkout,
        env=runner_env(checkout),
        capture_output=True,
        text=True,
    )
    return "\n".join(line for line in done.stderr.splitlines() if not line.startswith("warning"))


PRODUCERS = {
    "coverage.py": ("cobertura", REAL / "py" / "cov1.xml", 30),
    "gcovr": ("cobertura", REAL / "c" / "gcovr-cobertura.xml", 12),
    "istanbul": ("cobertura", REAL / "js" / "nyc-run1-cobertura.xml", 20),
    "jacoco": ("jacoco", REAL / "java" / "jacoco1.xml", 40),
}


def build(name: str, tmp: Path, mb: int) -> tuple[Scaled, Path]:
    kind, fixture, repeat = PRODUCERS[name]
    checkout = tmp / name / "repo"
    checkout.mkdir(parents=True)
    target = mb * 1_000_000
    if kind == "jacoco":
        scaled = scale_jacoco(fixture, checkout / "jacoco.xml", target * 2 // 3, repeat)
    else:
        scaled = scale_cobertura(name, fixture, checkout / "coverage.xml", checkout, target, repeat)
    make_checkout(scaled, checkout)
    return scaled, checkout


def rounds(n: int, names: list[str]) -> Iterator[str]:
    for _ in range(n):
        yield from names


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default=",".join(PRODUCERS))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--stages", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument(
        "--reuse", type=Path, help="a folder --keep printed: time its checkouts, build nothing"
    )
    ap.add_argument(
        "--from-checkout",
        action="store_true",
        help="run this checkout's entrypoint.py, not a copy compiled as the image's build does",
    )
    ap.add_argument(
        "--no-report-json", action="store_true", help="run without --report-json (no document)"
    )
    args = ap.parse_args()
    if args.no_report_json:
        REPORT_JSON.clear()
    names = args.only.split(",")
    tmp = args.reuse or Path(tempfile.mkdtemp(prefix="covaction-shapes-"))
    image = Path(tempfile.mkdtemp(prefix="covaction-image-"))
    if not args.from_checkout:
        lay_out(image / "app", compiled=True)
        APP[0] = image / "app"
    built = {}
    for name in names:
        if args.reuse:
            checkout = tmp / name / "repo"
            report = checkout / ("jacoco.xml" if PRODUCERS[name][0] == "jacoco" else "coverage.xml")
            built[name] = (Scaled(name, report), checkout)
            print(f"{name:12} {report.stat().st_size / 1e6:6.0f} MB, reused {checkout}", flush=True)
            continue
        t = time.perf_counter()
        scaled, checkout = build(name, tmp, args.mb)
        built[name] = (scaled, checkout)
        size = scaled.report.stat().st_size / 1e6
        print(
            f"{name:12} {size:6.0f} MB, {len(scaled.files):,} files, "
            f"{sum(scaled.files.values()):,} source lines (built in {time.perf_counter() - t:.0f}s)",
            flush=True,
        )
    bare: dict[str, list[tuple[float, float, float, int]]] = {n: [] for n in names}
    runs: dict[str, list[tuple[float, float, float, int]]] = {n: [] for n in names}
    for name in rounds(args.rounds, names):
        scaled, checkout = built[name]
        bare[name].append(timed(["-c", BARE, str(scaled.report)], checkout))
        runs[name].append(timed(command(scaled, checkout), checkout, runner=True))
    print()
    for name in names:
        ratios = sorted(r[2] / b[2] for r, b in zip(runs[name], bare[name], strict=True))
        walls = sorted(r[0] / b[0] for r, b in zip(runs[name], bare[name], strict=True))
        cpu = ", ".join(f"{r[2]:.1f}" for r in runs[name])
        print(
            f"{name:12} run {statistics.median(r[2] for r in runs[name]):5.1f}s CPU ({cpu}), "
            f"bare expat {statistics.median(b[2] for b in bare[name]):4.1f}s; "
            f"ratio {statistics.median(ratios):.2f}x CPU (rounds {ratios[0]:.2f}-{ratios[-1]:.2f}), "
            f"{statistics.median(walls):.2f}x wall; "
            f"peak RSS {max(r[1] for r in runs[name]):.0f} MB (bare {max(b[1] for b in bare[name]):.0f} MB); "
            f"exit {runs[name][0][3]}",
            flush=True,
        )
    if args.profile:
        for name in names:
            print(f"{name:12} {profile(*built[name], tmp)}", flush=True)
    if args.stages:
        for name in names:
            print(f"{name}: {stages(*built[name])}", flush=True)
    shutil.rmtree(image)
    if args.keep or args.reuse:
        print(f"kept in {tmp}")
    else:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
