"""LCOV, Go coverprofile, JaCoCo and Clover parsers: real-tool fixtures, semantics, hostile input.

Fixtures under tests/fixtures/more/ were produced by the real tools where they run offline
(go 1.19, gcc + lcov 1.16, c8 10 / Istanbul, gcovr 8.8) and committed together with the totals
those tools printed (`expected.json`), so the fixture tests need no tool. The `live_*` tests run
the tools again in a temporary directory and compare against their output of the moment; they
skip when a tool is missing. JaCoCo and OpenClover/PHPUnit Clover fixtures are written from each
format's specification and checked against their own `<counter>` / `<metrics>` elements.

Regenerate the tool fixtures with `python -m tests.test_formats_more --regenerate`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from defusedxml import ElementTree
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covaction.errors import ReportError
from covaction.formats import clover, gocover, jacoco, lcov
from covaction.model import Counts, FileCoverage, ParsedReport

MORE = Path(__file__).parent / "fixtures" / "more"
EXPECTED = MORE / "expected.json"
PARSERS = {"lcov": lcov, "go": gocover, "jacoco": jacoco, "clover": clover}


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def parse(module: object, data: bytes, size: int = 1 << 16, origin: str = "r") -> ParsedReport:
    result: ParsedReport = module.parse(chunked(data, size), origin)  # type: ignore[attr-defined]
    return result


def totals(report: ParsedReport) -> Counts:
    return sum((f.counts for f in report.files), Counts())


def by_path(report: ParsedReport) -> dict[str, FileCoverage]:
    return {f.path: f for f in report.files}


def expected() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text())
    return data


def same(a: FileCoverage, b: FileCoverage) -> bool:
    return (a.path, a.hits_map(), a.branches_map()) == (b.path, b.hits_map(), b.branches_map())


# --- Go -------------------------------------------------------------------------------------


def go_percent(counts: Counts) -> str:
    """Go prints statements percentages as %.1f of a float64."""
    return f"{100 * counts.covered_lines / counts.statements:.1f}%"


@pytest.mark.parametrize("name", ["unit.out", "integration.out", "merged.out"])
def test_go_statements_equal_go_tool_cover_func_total(name: str) -> None:
    """read_profile().statements reproduces `go tool cover -func`'s total, recorded from go."""
    profile = gocover.read_profile([(MORE / "go" / name).read_bytes()], name)
    assert go_percent(profile.statements) == expected()["go"][name]


def test_go_line_totals_of_the_recorded_profiles() -> None:
    """Pins the line semantics on real profiles: lines covered by any counted block."""
    lines = {
        name: totals(gocover.parse([(MORE / "go" / name).read_bytes()], name))
        for name in ("unit.out", "integration.out", "merged.out")
    }
    assert {k: (v.covered_lines, v.statements) for k, v in lines.items()} == {
        "unit.out": (17, 44),
        "integration.out": (20, 50),
        "merged.out": (32, 50),
    }


def test_go_concatenated_profiles_are_the_union() -> None:
    """unit + integration joined with `cat` (two mode lines) = go's merge of both, per line."""
    unit = (MORE / "go" / "unit.out").read_bytes()
    integ = (MORE / "go" / "integration.out").read_bytes()
    joined = gocover.read_profile(chunked(unit + integ, 97), "joined")
    merged = gocover.read_profile([(MORE / "go" / "merged.out").read_bytes()], "merged")
    assert joined.statements == merged.statements
    assert go_percent(joined.statements) == expected()["go"]["merged.out"]
    a, b = by_path(gocover.parse([unit], "u")), by_path(gocover.parse([integ], "i"))
    for path, f in by_path(joined.report).items():
        for line, hits in f.hits_map().items():
            either = (a[path].hit(line) or 0) if path in a else 0
            either += b[path].hit(line) or 0
            assert (hits > 0) == (either > 0), (path, line)


def test_go_coverpkg_duplicates_count_once() -> None:
    """-coverpkg: every test binary reports every package; each block still counts once."""
    raw = (MORE / "go" / "integration.out").read_bytes()
    blocks = [ln for ln in raw.splitlines()[1:] if ln.strip()]
    assert len(blocks) > len(set(blocks)) or len({b.rsplit(b" ", 1)[0] for b in blocks}) < len(
        blocks
    )
    doubled = gocover.read_profile([raw, raw.split(b"\n", 1)[1]], "doubled")
    single = gocover.read_profile([raw], "single")
    assert doubled.statements.statements == single.statements.statements
    assert {f.path: f.counts for f in doubled.report.files} == {
        f.path: f.counts for f in single.report.files
    }


GO_CASES = [
    # (profile body, {path: {line: hits}}, (covered stmts, stmts))
    ("a.go:3.20,6.2 3 1\n", {"a.go": {3: 1, 4: 1, 5: 1, 6: 1}}, (3, 3)),
    # a line shared by a covered and an uncovered block is covered
    ("a.go:3.20,5.10 1 0\na.go:5.10,7.2 1 4\n", {"a.go": {3: 0, 4: 0, 5: 4, 6: 4, 7: 4}}, (1, 2)),
    # zero-statement blocks add no lines and nothing to go's figure
    ("a.go:1.10,1.12 0 0\na.go:2.1,2.9 1 0\n", {"a.go": {2: 0}}, (0, 1)),
    # the same block twice: counted once, counts add (count mode)
    ("a.go:2.1,3.9 2 0\na.go:2.1,3.9 2 5\n", {"a.go": {2: 5, 3: 5}}, (2, 2)),
    # paths with colons (Windows drives) split at the last colon
    ("C:/src/a.go:2.1,2.9 1 1\n", {"C:/src/a.go": {2: 1}}, (1, 1)),
]


@pytest.mark.parametrize(("body", "lines", "stmts"), GO_CASES)
def test_go_block_semantics(
    body: str, lines: dict[str, dict[int, int]], stmts: tuple[int, int]
) -> None:
    profile = gocover.read_profile([f"mode: count\n{body}".encode()], "p")
    assert {f.path: f.hits_map() for f in profile.report.files} == lines
    assert (profile.statements.covered_lines, profile.statements.statements) == stmts
    assert profile.report.format == "go" and not profile.report.has_branches


def test_go_set_mode_duplicates_keep_hit_one() -> None:
    profile = gocover.read_profile([b"mode: set\na.go:1.1,1.5 1 1\na.go:1.1,1.5 1 1\n"], "p")
    assert profile.report.files[0].hits_map() == {1: 1}


GO_ERRORS = [
    (b"", "starts with a 'mode:' line"),
    (b"a.go:1.1,2.1 1 1\n", "starts with a 'mode:' line"),
    (b"mode: sometimes\n", "not mode: set, count or atomic"),
    (b"mode: set\na.go:1.1,999999999.1 1 1\n", "spanning 999999999 lines"),
    (b"mode: set\na.go:9.1,2.1 1 1\n", "ends before it starts"),
    (b"mode: set\na.go:-1.1,2.1 1 1\n", "is not a coverprofile block"),
    (b"mode: set\na.go:1.1,2.1 1 -3\n", "is not a coverprofile block"),
    (b"mode: set\na.go:0.1,2.1 1 1\n", "outside 1.."),
    (b"mode: set\na.go:1.1,2.1 1\n", "is not a coverprofile block"),
    (b"mode: set\na.go:1.1,2.1 1 1\na.go:1.1,2.1 2 1\n", "different builds"),
    (b"mode: set\n\xff\xfe.go:1.1,2.1 1 1\n", "not UTF-8"),
    (b"mode: set\n" + b"x" * (2 << 20), "longer than"),
]


@pytest.mark.parametrize(("data", "message"), GO_ERRORS)
def test_go_hostile_input_is_one_report_error(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as err:
        parse(gocover, data, 4096, "cover.out")
    assert message in str(err.value) and str(err.value).startswith("cover.out")
    assert "\n" not in str(err.value)


def test_go_total_expansion_is_bounded_before_expanding() -> None:
    """101 files of 100,000-line blocks would be 10.1M lines: refused without building them."""
    body = b"".join(b"f%d.go:1.1,100000.1 1 1\n" % i for i in range(101))
    with pytest.raises(ReportError, match="more than 10000000 distinct lines"):
        gocover.parse([b"mode: set\n", body], "big.out")


def test_go_huge_counts_are_clamped() -> None:
    report = gocover.parse([b"mode: count\na.go:1.1,1.2 1 99999999999999999999999\n"], "p")
    assert report.files[0].hits_map() == {1: 2**63 - 1}


WORKSPACE = MORE / "go" / "workspace"


def workspace_go_mods() -> dict[str, bytes]:
    return {
        str(p.relative_to(WORKSPACE)): p.read_bytes() for p in sorted(WORKSPACE.rglob("go.mod"))
    }


def test_module_roots_two_module_workspace_with_v2() -> None:
    roots = gocover.module_roots(workspace_go_mods(), (WORKSPACE / "go.work").read_bytes())
    assert roots == {"example.com/covdemo/app": "app", "example.com/covdemo/lib/v2": "lib"}
    report = gocover.parse([(MORE / "go" / "merged.out").read_bytes()], "merged.out")
    mapped = {f.path: gocover.map_import_path(f.path, roots) for f in report.files}
    assert mapped == {
        "example.com/covdemo/app/main.go": "app/main.go",
        "example.com/covdemo/lib/v2/calc.go": "lib/calc.go",
        "example.com/covdemo/lib/v2/shapes/shapes.go": "lib/shapes/shapes.go",
    }
    assert all((WORKSPACE / str(p)).is_file() for p in mapped.values())


def test_module_roots_go_work_limits_to_used_modules() -> None:
    mods = {
        "go.mod": b"module example.com/root\n",
        "tools/go.mod": b"module example.com/root/tools // tools\n",
        "testdata/go.mod": b"module example.com/root\n",
    }
    work = b'go 1.21\n\nuse (\n\t.\n\t"./tools" // the tools\n)\n'
    assert gocover.module_roots(mods, work) == {
        "example.com/root": "",
        "example.com/root/tools": "tools",
    }
    assert gocover.module_roots(mods, b"use ./tools\n") == {"example.com/root/tools": "tools"}


def test_module_roots_without_go_work_nearest_root_wins() -> None:
    mods = {
        "testdata/go.mod": b"module example.com/m\n",
        "go.mod": b'// comment\nmodule "example.com/m"\n\ngo 1.21\n',
        "v2/go.mod": b"module example.com/m/v2\n",
        "broken/go.mod": b"go 1.21\n",
    }
    roots = gocover.module_roots(mods, None)
    assert roots == {"example.com/m": "", "example.com/m/v2": "v2"}


MAP_CASES = [
    ("example.com/m/a/b.go", "a/b.go"),
    ("example.com/m/v2/a/b.go", "v2/a/b.go"),  # longest module prefix wins
    ("example.com/m/v2x/b.go", "v2x/b.go"),  # /v2 matches only at a path boundary
    ("example.com/other/b.go", None),
    ("/abs/path/b.go", None),
    ("example.com/mm/b.go", None),
]


@pytest.mark.parametrize(("path", "mapped"), MAP_CASES)
def test_map_import_path(path: str, mapped: str | None) -> None:
    roots = {"example.com/m": "", "example.com/m/v2": "v2"}
    assert gocover.map_import_path(path, roots) == mapped


def test_map_import_path_v2_at_the_root_of_its_repository() -> None:
    """A major-branch /v2 module whose go.mod is at the repository root."""
    roots = gocover.module_roots({"go.mod": b"module github.com/o/r/v2\n"}, None)
    assert gocover.map_import_path("github.com/o/r/v2/pkg/x.go", roots) == "pkg/x.go"


# --- LCOV -----------------------------------------------------------------------------------


LCOV_FIXTURES = ["c/unit.info", "c/integration.info", "js/unit.info", "js/integration.info"]


def lcov_summary_counts(recorded: object) -> tuple[int, int, int, int]:
    assert isinstance(recorded, dict)
    return (
        recorded["lines_hit"],
        recorded["lines_found"],
        recorded["branches_hit"],
        recorded["branches_found"],
    )


def counts_tuple(c: Counts) -> tuple[int, int, int, int]:
    return (c.covered_lines, c.statements, c.covered_branches, c.branches)


@pytest.mark.parametrize("name", LCOV_FIXTURES)
def test_lcov_totals_equal_lcov_summary(name: str) -> None:
    """Lines and branches recomputed from DA/BRDA equal `lcov --summary`, recorded from lcov."""
    report = parse(lcov, (MORE / name).read_bytes(), 313, name)
    assert counts_tuple(totals(report)) == lcov_summary_counts(expected()["lcov"][name])
    assert report.format == "lcov" and report.has_branches and report.roots == ()


@pytest.mark.parametrize("tool", ["c", "js"])
def test_lcov_concatenated_records_merge_like_lcov_add(tool: str) -> None:
    """unit + integration concatenated = `lcov -a unit -a integration` then `--summary`."""
    data = (MORE / tool / "unit.info").read_bytes() + (
        MORE / tool / "integration.info"
    ).read_bytes()
    report = parse(lcov, data, 1000, "both.info")
    assert counts_tuple(totals(report)) == lcov_summary_counts(expected()["lcov"][f"{tool}/merged"])


def test_lcov_c8_branch_ids_differ_between_runs() -> None:
    """c8 numbers V8 blocks per run, so merged c8 branch totals grow exactly as `lcov -a`'s do."""
    unit = totals(parse(lcov, (MORE / "js" / "unit.info").read_bytes()))
    both = expected()["lcov"]["js/merged"]
    assert isinstance(both, dict) and both["branches_found"] > unit.branches


LCOV_TEXT = """TN:unit
SF:src/a.c
FN:1,main
FNDA:1,main
DA:1,1
DA:2,0
DA:3,5,abcdef
BRDA:2,0,0,1
BRDA:2,0,1,-
BRDA:3,0,0,0
LF:99
LH:99
BRF:1
BRH:0
end_of_record
TN:integration
SF:src/a.c
DA:2,3
DA:4,0
BRDA:2,0,1,2
end_of_record
"""


def test_lcov_records_merge_and_summaries_are_ignored() -> None:
    report = lcov.parse([LCOV_TEXT.encode()], "t.info")
    (f,) = report.files
    assert f.path == "src/a.c"
    assert f.hits_map() == {1: 1, 2: 3, 3: 5, 4: 0}
    # line 2: branch (0,0) taken in unit, (0,1) only in integration -> 2 of 2
    assert f.branches_map() == {2: (2, 2), 3: (0, 1)}
    assert counts_tuple(f.counts) == (3, 4, 2, 3)


LCOV_ERRORS = [
    (b"", "no LCOV TN: or SF: line"),
    (b"hello world\n", "is not an LCOV record line"),
    (b"DA:1,1\n", "outside a record"),
    (b"SF:a\nDA:1,1\n", "looks truncated"),
    (b"SF:a\nSF:b\nend_of_record\n", "has no end_of_record"),
    (b"end_of_record\n", "without a record"),
    (b"SF:a\nDA:1,-1\nend_of_record\n", "negative"),
    (b"SF:a\nDA:0,1\nend_of_record\n", "outside 1.."),
    (b"SF:a\nDA:99999999999,1\nend_of_record\n", "outside 1.."),
    (b"SF:a\nDA:x,1\nend_of_record\n", "not a whole number"),
    (b"SF:a\nDA:1\nend_of_record\n", "is not DA:"),
    (b"SF:a\nBRDA:1,0,0\nend_of_record\n", "is not BRDA:"),
    (b"SF:a\nBRDA:1,0,0,x\nend_of_record\n", "not a whole number"),
    (b"SF:a\nLF:abc\nend_of_record\n", "not a whole number"),
    (b"SF:\xff\nend_of_record\n", "not UTF-8"),
    (b"SF:\nend_of_record\n", "names no file"),
    (b"SF:a\nDA:1," + b"9" * 5000 + b"\nend_of_record\n", "not a whole number"),
    (b"TN:" + b"x" * (2 << 20), "longer than"),
]


@pytest.mark.parametrize(("data", "message"), LCOV_ERRORS)
def test_lcov_hostile_input_is_one_report_error(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as err:
        parse(lcov, data, 7, "cov.info")
    assert message in str(err.value) and str(err.value).startswith("cov.info")
    assert "\n" not in str(err.value)


def test_lcov_crlf_bom_and_huge_hits() -> None:
    data = b"\xef\xbb\xbfTN:\r\nSF:a.js\r\nDA:1,99999999999999999999999\r\nend_of_record\r\n"
    (f,) = parse(lcov, data, 3).files
    assert f.path == "a.js" and f.hits_map() == {1: 2**63 - 1}


# --- JaCoCo ---------------------------------------------------------------------------------


def jacoco_counters(path: Path) -> tuple[dict[str, Counts], Counts]:
    """Per-sourcefile and report LINE/BRANCH/INSTRUCTION counters, read with ElementTree."""

    def counts(element: Element) -> Counts:
        found = {c.get("type"): c for c in element.findall("counter")}
        got = {}
        for kind in ("LINE", "BRANCH", "INSTRUCTION"):
            c = found.get(kind)
            got[kind] = (0, 0) if c is None else (int(c.get("missed", 0)), int(c.get("covered", 0)))
        (lm, lc), (bm, bc), (im, ic) = got["LINE"], got["BRANCH"], got["INSTRUCTION"]
        return Counts(lm + lc, lc, bm + bc, bc, im + ic, ic)

    root = ElementTree.parse(path).getroot()
    assert root is not None
    files = {}
    for package in root.iter("package"):
        for sf in package.findall("sourcefile"):
            pkg, name = package.get("name", ""), sf.get("name", "")
            files[f"{pkg}/{name}" if pkg else name] = counts(sf)
    return files, counts(root)


@pytest.mark.parametrize("name", ["jacoco/report.xml", "jacoco/aggregate.xml"])
def test_jacoco_lines_and_branches_equal_its_own_counters(name: str) -> None:
    files, report_total = jacoco_counters(MORE / name)
    report = parse(jacoco, (MORE / name).read_bytes(), 211, name)
    assert {f.path: f.counts for f in report.files} == files
    assert totals(report) == report_total
    assert report.format == "jacoco" and report.has_branches and report.roots == ()


def test_jacoco_paths_and_line_semantics() -> None:
    report = parse(jacoco, (MORE / "jacoco" / "report.xml").read_bytes())
    files = by_path(report)
    assert sorted(files) == [
        "Main.java",
        "com/example/shop/Cart.java",
        "com/example/shop/Discount.kt",
        "com/example/util/Strings.java",
    ]
    cart = files["com/example/shop/Cart.java"]
    assert cart.hit(20) == 2 and cart.branch(20) == (2, 4)  # partly covered line: covered
    assert cart.hit(23) == 0 and cart.branch(23) == (0, 2)
    assert cart.hit(10) is None


JACOCO_SMALL = (
    '<report name="r"><group name="a"><package name="p"><sourcefile name="F.java">'
    '<line nr="1" mi="1" ci="0" mb="1" cb="1"/><line nr="2" ci="3"/><line nr="3" mi="0" ci="0"/>'
    '</sourcefile></package></group><group name="b"><package name="p"><sourcefile name="F.java">'
    '<line nr="1" mi="0" ci="2" mb="2" cb="0"/></sourcefile></package></group></report>'
)


def test_jacoco_groups_merge_and_dtd_defaults() -> None:
    """Absent counts are 0 (report.dtd); the same file in two groups merges (covered if any)."""
    (f,) = jacoco.parse([JACOCO_SMALL.encode()], "j.xml").files
    assert f.path == "p/F.java"
    assert f.hits_map() == {1: 2, 2: 3}
    assert f.branches_map() == {1: (1, 2)}


def test_jacoco_attribute_order_does_not_matter() -> None:
    """JaCoCo's own nr/mi/ci/mb/cb order takes a fast path; any other order means the same."""
    a = '<line nr="7" mi="1" ci="2" mb="1" cb="3"/><line nr="8" mi="0" ci="0" mb="0" cb="0"/>'
    b = '<line cb="3" mb="1" ci="2" mi="1" nr="7"/><line ci="0" nr="8" mi="0"/>'
    doc = (
        '<report name="r"><package name="p"><sourcefile name="F">{}</sourcefile></package></report>'
    )
    fa, fb = (jacoco.parse([doc.format(x).encode()], "j").files[0] for x in (a, b))
    assert same(fa, fb) and fa.hits_map() == {7: 2} and fa.branches_map() == {7: (3, 4)}


JACOCO_ERRORS = [
    (b"", "not well-formed JaCoCo XML"),
    (b"<report><package name='p'><sourcefile name='F'><line nr='1' mi='1'", "not well-formed"),
    (b"<coverage/>", "not JaCoCo's <report>"),
    (b"<report><sourcefile name='F'/></report>", "outside a <package>"),
    (b"<report><package><sourcefile name='F'/></package></report>", "no name="),
    (b"<report><package name='p'><sourcefile/></package></report>", "no name="),
    (
        b"<report><package name='p'><sourcefile name='F'><line mi='1'/></sourcefile></package></report>",
        "no nr=",
    ),
    (
        b"<report><package name='p'><sourcefile name='F'><line nr='1' mi='-1'/></sourcefile></package></report>",
        "expected a whole number",
    ),
    (
        b"<report><package name='p'><sourcefile name='F'><line nr='0' mi='1'/></sourcefile></package></report>",
        "out of range",
    ),
    (
        b"<report><package name='p'><sourcefile name='F'><line nr='1' ci='1.5'/></sourcefile></package></report>",
        "expected a whole number",
    ),
    (
        b"<report><package name=''><sourcefile name='c.c'><line nr='4'/></sourcefile></package></report>",
        "gcovr",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><report>&b;</report>',
        "declares entities",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><report>&x;</report>',
        "entities",
    ),
]


@pytest.mark.parametrize(("data", "message"), JACOCO_ERRORS)
def test_jacoco_hostile_input_is_one_report_error(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as err:
        parse(jacoco, data, 5, "jacoco.xml")
    assert message in str(err.value) and str(err.value).startswith("jacoco.xml")
    assert "\n" not in str(err.value)


# --- Clover ---------------------------------------------------------------------------------


def clover_metrics(path: Path) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """Per-file and project `<metrics>` of the `<project>`, read with ElementTree."""
    root = ElementTree.parse(path).getroot()
    assert root is not None
    project = root.find("project")
    assert project is not None
    files = {}
    for f in project.iter("file"):
        m = f.find("metrics")
        assert m is not None
        files[f.get("path") or f.get("name") or ""] = {k: int(v) for k, v in m.attrib.items()}
    pm = project.find("metrics")
    assert pm is not None
    return files, {k: int(v) for k, v in pm.attrib.items()}


def metric_counts(m: dict[str, int]) -> Counts:
    return Counts(
        m["statements"], m["coveredstatements"], m["conditionals"], m["coveredconditionals"]
    )


@pytest.mark.parametrize("name", ["js/clover.xml", "clover/gcovr.xml"])
def test_clover_from_real_tools_equals_its_own_metrics(name: str) -> None:
    """Istanbul (c8) and gcovr Clover: lines and branches equal each file's and the project's
    statements/coveredstatements/conditionals/coveredconditionals exactly."""
    files, project = clover_metrics(MORE / name)
    report = parse(clover, (MORE / name).read_bytes(), 509, name)
    assert {f.path: f.counts for f in report.files} == {
        p: metric_counts(m) for p, m in files.items()
    }
    assert totals(report) == metric_counts(project)


def test_clover_istanbul_agrees_with_lcov_of_the_same_run() -> None:
    """c8 wrote clover.xml and unit.info from one run: per file, the same lines and branches."""
    from_clover = {
        f.path.rsplit("/src/", 1)[1]: f
        for f in parse(clover, (MORE / "js" / "clover.xml").read_bytes()).files
    }
    from_lcov = {
        f.path.removeprefix("src/"): f
        for f in parse(lcov, (MORE / "js" / "unit.info").read_bytes()).files
    }
    assert from_clover.keys() == from_lcov.keys()
    for name, f in from_clover.items():
        assert f.hits_map() == from_lcov[name].hits_map()
        assert f.counts == from_lcov[name].counts


def test_clover_openclover_conditionals_and_lines() -> None:
    """OpenClover: 2 branches per decision (metrics match); lines = distinct stmt/method/cond
    lines, which differs from its statement count (two statements share line 16)."""
    name = MORE / "clover" / "openclover.xml"
    files, project = clover_metrics(name)
    report = parse(clover, name.read_bytes(), 100)
    got = by_path(report)
    assert sorted(got) == sorted(files)  # the <testproject> file is not counted
    for path, m in files.items():
        c = got[path].counts
        assert (c.branches, c.covered_branches) == (m["conditionals"], m["coveredconditionals"])
    cart = got["/home/runner/work/shop/shop/src/main/java/com/example/Cart.java"]
    assert cart.hits_map() == {
        8: 3,
        9: 3,
        12: 5,
        13: 5,
        14: 4,
        16: 1,
        20: 0,
        21: 0,
        22: 0,
        25: 2,
        26: 2,
    }
    assert cart.branches_map() == {13: (2, 2), 21: (0, 2), 26: (2, 4)}
    assert counts_tuple(totals(report)) == (
        12,
        15,
        project["coveredconditionals"],
        project["conditionals"],
    )


def test_clover_phpunit_lines_are_its_statements_not_method_lines() -> None:
    """PHPUnit: name= is the path; its "Lines" are the executable lines (`statements` in its
    metrics), a method's declaration line is not one of them."""
    name = MORE / "clover" / "phpunit.xml"
    files, project = clover_metrics(name)
    report = parse(clover, name.read_bytes(), 64)
    got = by_path(report)
    for path, m in files.items():
        assert got[path].counts.statements == m["statements"]
        assert got[path].counts.covered_lines == m["coveredstatements"]
    assert totals(report) == Counts(project["statements"], project["coveredstatements"])
    assert report.producer == "PHPUnit" and report.metric == "lines" and not report.has_branches


CLOVER_LINES = [
    # Istanbul: count= present -> truecount/falsecount are taken/untaken branch counts
    ('<line num="3" count="1" type="cond" truecount="3" falsecount="1"/>', {3: 1}, {3: (3, 4)}),
    ('<line num="3" count="2" type="cond" truecount="0" falsecount="2"/>', {3: 2}, {3: (0, 2)}),
    # OpenClover: no count= -> one two-way decision
    ('<line num="3" type="cond" truecount="7" falsecount="0"/>', {3: 7}, {3: (1, 2)}),
    ('<line num="3" type="cond" truecount="0" falsecount="0"/>', {3: 0}, {3: (0, 2)}),
    ('<line num="3" type="method" count="0"/><line num="3" type="stmt" count="2"/>', {3: 2}, {}),
]


@pytest.mark.parametrize(("lines", "hits", "branches"), CLOVER_LINES)
def test_clover_line_types(
    lines: str, hits: dict[int, int], branches: dict[int, tuple[int, int]]
) -> None:
    doc = f'<coverage generated="1"><project><file name="a.js">{lines}</file></project></coverage>'
    (f,) = clover.parse([doc.encode()], "c.xml").files
    assert f.hits_map() == hits and f.branches_map() == branches


CLOVER_ERRORS = [
    (b"", "not well-formed Clover XML"),
    (b"<report/>", "not Clover's <coverage>"),
    (b"<coverage line-rate='1'><sources/></coverage>", "Cobertura"),
    (
        b"<coverage><project><file><line num='1' type='stmt' count='1'/></file></project></coverage>",
        "neither path= nor name=",
    ),
    (
        b"<coverage><project><file name='a'><line num='1' type='stmt'/></file></project></coverage>",
        "no count=",
    ),
    (
        b"<coverage><project><file name='a'><line num='1' type='weird' count='1'/></file></project></coverage>",
        "expected stmt, cond or method",
    ),
    (
        b"<coverage><project><file name='a'><line num='x' type='stmt' count='1'/></file></project></coverage>",
        "expected a whole number",
    ),
    (
        b"<coverage><project><file name='a'><line num='1' type='stmt' count='-1'/></file></project></coverage>",
        "expected a whole number",
    ),
    (
        b"<coverage><project><file name='a'><line num='1' type='cond' truecount='1'/></file></project></coverage>",
        "no falsecount=",
    ),
    (
        b"<coverage><project><file name='a'><line num='0' type='stmt' count='1'/></file></project></coverage>",
        "out of range",
    ),
    (b'<!DOCTYPE c [<!ENTITY a "x">]><coverage>&a;</coverage>', "declares entities"),
]


@pytest.mark.parametrize(("data", "message"), CLOVER_ERRORS)
def test_clover_hostile_input_is_one_report_error(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as err:
        parse(clover, data, 5, "clover.xml")
    assert message in str(err.value) and str(err.value).startswith("clover.xml")
    assert "\n" not in str(err.value)


def test_clover_huge_counts_are_clamped() -> None:
    doc = b"<coverage><project><file name='a'><line num='1' type='stmt' count='" + b"9" * 30
    doc += b"'/></file></project></coverage>"
    assert clover.parse([doc], "c").files[0].hits_map() == {1: 2**63 - 1}


# --- detection ------------------------------------------------------------------------------


FIXTURE_FORMATS = {
    "go/unit.out": "go",
    "go/merged.out": "go",
    "c/unit.info": "lcov",
    "js/unit.info": "lcov",
    "jacoco/report.xml": "jacoco",
    "jacoco/aggregate.xml": "jacoco",
    "js/clover.xml": "clover",
    "clover/gcovr.xml": "clover",
    "clover/openclover.xml": "clover",
    "clover/phpunit.xml": "clover",
}


@pytest.mark.parametrize(("name", "fmt"), sorted(FIXTURE_FORMATS.items()))
def test_each_sniffer_claims_only_its_own_fixtures(name: str, fmt: str) -> None:
    head = (MORE / name).read_bytes()[:4096]
    assert {f for f, m in PARSERS.items() if m.sniff(head)} == {fmt}


def foreign_heads(tmp: Path) -> dict[str, bytes]:
    """Cobertura XML and JSON written by coverage.py itself, and a SQLite .coverage file."""
    (tmp / "m.py").write_text("def f(x):\n    return 1 if x else 2\n\nf(1)\n")
    env = {**os.environ, "COVERAGE_FILE": str(tmp / ".coverage")}
    run = [sys.executable, "-m", "coverage"]
    subprocess.run([*run, "run", "--branch", "m.py"], cwd=tmp, env=env, check=True)
    subprocess.run([*run, "xml", "-o", "cov.xml"], cwd=tmp, env=env, check=True)
    subprocess.run([*run, "json", "-o", "cov.json"], cwd=tmp, env=env, check=True)
    with sqlite3.connect(tmp / "plain.db") as db:
        db.execute("create table t (x)")
    return {
        "cobertura": (tmp / "cov.xml").read_bytes()[:4096],
        "coverage-json": (tmp / "cov.json").read_bytes()[:4096],
        "sqlite": (tmp / ".coverage").read_bytes()[:4096],
        "sqlite-plain": (tmp / "plain.db").read_bytes()[:4096],
        "empty": b"",
        "cobertura-handwritten": b'<?xml version="1.0"?>\n<coverage line-rate="0.5" version="1">'
        b"<sources><source>/src</source></sources><packages/></coverage>",
    }


def test_sniffers_refuse_cobertura_json_and_sqlite(tmp_path: Path) -> None:
    for name, head in foreign_heads(tmp_path).items():
        claimed = [f for f, m in PARSERS.items() if m.sniff(head)]
        assert claimed == [], name


@pytest.mark.parametrize(("name", "fmt"), sorted(FIXTURE_FORMATS.items()))
def test_format_detection_of_the_package_picks_the_right_parser(name: str, fmt: str) -> None:
    from covaction import formats

    assert formats.detect((MORE / name).read_bytes()[:4096], name) == fmt


# --- chunking and fuzzing -------------------------------------------------------------------


ALL_FIXTURES = [(PARSERS[fmt], name) for name, fmt in FIXTURE_FORMATS.items()]


@pytest.mark.parametrize(("module", "name"), ALL_FIXTURES)
@pytest.mark.parametrize("size", [1, 2, 7, 4096])
def test_chunk_boundaries_do_not_change_the_result(module: object, name: str, size: int) -> None:
    data = (MORE / name).read_bytes()
    whole, pieces = parse(module, data, 1 << 20), parse(module, data, size)
    assert len(whole.files) == len(pieces.files)
    assert all(same(a, b) for a, b in zip(whole.files, pieces.files, strict=True))


EXTRA_SEEDS = {"lcov": [LCOV_TEXT.encode()], "jacoco": [JACOCO_SMALL.encode()]}


def fuzz_seeds(fmt: str) -> list[bytes]:
    names = [n for n, f in FIXTURE_FORMATS.items() if f == fmt]
    return [(MORE / n).read_bytes() for n in names] + EXTRA_SEEDS.get(fmt, [])


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 8))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "number"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=12))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(
                st.sampled_from([b"-1", b"999999999999999999999", b"0", b"1.5", b","])
            )
    return bytes(data)


def survives(module: object, data: bytes, size: int) -> None:
    try:
        report = parse(module, data, size)
    except ReportError as err:
        assert "\n" not in str(err)
        return
    for f in report.files:
        assert list(f.lines) == sorted(set(f.lines)) and all(h >= 0 for h in f.hits)
        assert all(0 <= c <= t for c, t in zip(f.branch_covered, f.branch_total, strict=True))


@pytest.mark.parametrize("fmt", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_fuzz_mutated_reports_only_raise_report_error(fmt: str, data: st.DataObject) -> None:
    blob = data.draw(mutated(fuzz_seeds(fmt)))
    survives(PARSERS[fmt], blob, data.draw(st.integers(1, 300)))


@pytest.mark.parametrize("fmt", sorted(PARSERS))
@FUZZ
@given(blob=st.binary(max_size=600), size=st.integers(1, 64))
def test_fuzz_random_bytes_only_raise_report_error(fmt: str, blob: bytes, size: int) -> None:
    survives(PARSERS[fmt], blob, size)
    PARSERS[fmt].sniff(blob)


@FUZZ
@given(text=st.text(alphabet="SFDABRTN:,0123456789-_end_of_record\n", max_size=400))
def test_fuzz_lcov_shaped_text(text: str) -> None:
    survives(lcov, text.encode(), 5)


@FUZZ
@given(text=st.text(alphabet="mode: setcount\nab/.go:,0123456789 ", max_size=400))
def test_fuzz_go_shaped_text(text: str) -> None:
    survives(gocover, text.encode(), 5)


# --- the real tools, live (skipped when missing) ----------------------------------------------


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")


def go_env(home: Path, cache: Path | None = None) -> dict[str, str]:
    """Go's environment for a run in `home`; `cache`: a build cache shared with other runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        GOPROXY="off",
        GOFLAGS="",  # -mod=mod is refused in workspace mode; nothing needs downloading anyway
        GOTOOLCHAIN="local",
        GOSUMDB="off",
        GOCACHE=str(cache or home / "gocache"),
        GOPATH=str(home / "gopath"),
        HOME=str(home),
    )
    return env


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def func_total(out: str) -> str:
    match = re.search(r"^total:\s+\(statements\)\s+(\S+)$", out, re.M)
    assert match, out
    return match.group(1)


def run_go(work: Path, cache: Path | None = None) -> dict[str, str]:
    """Build unit, integration (-coverpkg, duplicated blocks) and merged profiles in `work`."""
    shutil.copytree(WORKSPACE, work / "workspace")
    ws, env = work / "workspace", go_env(work, cache)
    pkgs = ["./app/...", "./lib/..."]
    sh(["go", "test", "-covermode=count", f"-coverprofile={work / 'unit.out'}", *pkgs], ws, env)
    sh(
        [
            "go",
            "test",
            "-tags",
            "integration",
            "-run",
            "Integration|Negative",
            "-covermode=count",
            "-coverpkg=example.com/covdemo/...",
            f"-coverprofile={work / 'integration.out'}",
            *pkgs,
        ],
        ws,
        env,
    )
    unit, integ = (work / "unit.out").read_bytes(), (work / "integration.out").read_bytes()
    (work / "merged.out").write_bytes(unit + integ.split(b"\n", 1)[1])
    return {
        name: func_total(sh(["go", "tool", "cover", f"-func={work / name}"], ws, env))
        for name in ("unit.out", "integration.out", "merged.out")
    }


SUMMARY = re.compile(r"(lines|branches)\.+: [\d.]+% \((\d+) of (\d+)")


def lcov_summary(path: Path) -> dict[str, int]:
    out = sh(["lcov", "--summary", str(path), "--rc", "lcov_branch_coverage=1"], path.parent)
    found = {kind: (int(hit), int(total)) for kind, hit, total in SUMMARY.findall(out)}
    lines, branches = found["lines"], found.get("branches", (0, 0))
    return {
        "lines_hit": lines[0],
        "lines_found": lines[1],
        "branches_hit": branches[0],
        "branches_found": branches[1],
    }


def lcov_add(work: Path, parts: Iterable[Path], out: Path) -> None:
    args = ["lcov", "--rc", "lcov_branch_coverage=1", "-o", str(out)]
    for p in parts:
        args += ["-a", str(p)]
    sh(args, work)


def run_c(work: Path, gcovr: str | None = None) -> dict[str, dict[str, int]]:
    """gcc --coverage, two runs captured separately by `lcov --capture -t`, and their merge."""
    src = work / "c"
    shutil.copytree(MORE / "c", src, ignore=shutil.ignore_patterns("*.info"))
    sh(["gcc", "--coverage", "-O0", "-o", "calc", "calc.c"], src)
    cap = ["lcov", "--rc", "lcov_branch_coverage=1", "--capture", "--directory", "."]
    sh(["./calc"], src)
    if gcovr:
        sh([gcovr, "-r", ".", "--clover-pretty", "--clover", str(work / "gcovr.xml")], src)
    sh([*cap, "-t", "unit", "-o", str(work / "unit.info")], src)
    sh(["lcov", "--zerocounters", "--directory", "."], src)
    sh(["./calc", "-3", "x"], src)
    sh([*cap, "-t", "integration", "-o", str(work / "integration.info")], src)
    lcov_add(work, [work / "unit.info", work / "integration.info"], work / "merged.info")
    return {
        "c/unit.info": lcov_summary(work / "unit.info"),
        "c/integration.info": lcov_summary(work / "integration.info"),
        "c/merged": lcov_summary(work / "merged.info"),
    }


def run_js(work: Path, c8: str) -> dict[str, dict[str, int]]:
    """c8 over two test scripts: lcov + Istanbul clover for the unit run, lcov for the other."""
    src = work / "js"
    shutil.copytree(MORE / "js", src, ignore=shutil.ignore_patterns("*.info", "*.xml"))
    base = [c8, "--include", "src/**", "--all", "--reporter", "lcovonly"]
    sh([*base, "--reporter", "clover", "--report-dir", "cov-unit", "node", "test_unit.js"], src)
    sh([*base, "--report-dir", "cov-int", "node", "test_integration.js"], src)
    shutil.copy(src / "cov-unit" / "lcov.info", work / "js-unit.info")
    shutil.copy(src / "cov-int" / "lcov.info", work / "js-integration.info")
    shutil.copy(src / "cov-unit" / "clover.xml", work / "js-clover.xml")
    lcov_add(work, [work / "js-unit.info", work / "js-integration.info"], work / "js-merged.info")
    return {
        "js/unit.info": lcov_summary(work / "js-unit.info"),
        "js/integration.info": lcov_summary(work / "js-integration.info"),
        "js/merged": lcov_summary(work / "js-merged.info"),
    }


@pytest.mark.slow
def test_live_go_statements_equal_go_tool_cover(tmp_path: Path, go_cache: Path) -> None:
    need("go")
    recorded = run_go(tmp_path, go_cache)
    for name, total in recorded.items():
        assert (
            go_percent(gocover.read_profile([(tmp_path / name).read_bytes()], name).statements)
            == total
        )


@pytest.mark.slow
@pytest.mark.parametrize("package", ["strings", "encoding/json"])
def test_live_go_stdlib_profile_equals_go_test_percentage(
    tmp_path: Path, go_cache: Path, package: str
) -> None:
    """A real profile of size: our statements equal the percentage `go test -cover` prints."""
    need("go")
    out = sh(
        ["go", "test", "-short", f"-coverprofile={tmp_path / 'p.out'}", package],
        tmp_path,
        go_env(tmp_path, go_cache),
    )
    printed = re.search(r"coverage: ([\d.]+)% of statements", out)
    assert printed, out
    profile = gocover.read_profile(chunked((tmp_path / "p.out").read_bytes(), 65536), "p.out")
    assert go_percent(profile.statements) == printed.group(1) + "%"
    lines = totals(profile.report)
    assert abs(float(lines.line_percent) - float(profile.statements.line_percent)) < 3


@pytest.mark.slow
def test_live_lcov_capture_equals_lcov_summary(tmp_path: Path) -> None:
    need("gcc", "lcov", "gcov")
    summaries = run_c(tmp_path)
    for name, file in [("c/unit.info", "unit.info"), ("c/integration.info", "integration.info")]:
        got = totals(parse(lcov, (tmp_path / file).read_bytes(), 100, file))
        assert counts_tuple(got) == lcov_summary_counts(summaries[name])
    both = (tmp_path / "unit.info").read_bytes() + (tmp_path / "integration.info").read_bytes()
    assert counts_tuple(totals(parse(lcov, both))) == lcov_summary_counts(summaries["c/merged"])


@pytest.mark.slow
def test_live_c8_lcov_and_clover(tmp_path: Path) -> None:
    need("node", "lcov")
    c8 = shutil.which("c8") or os.environ.get("COVACTION_C8")
    if not c8:
        pytest.skip("needs c8 on PATH (npm install -g c8) or COVACTION_C8=/path/to/c8")
    summaries = run_js(tmp_path, c8)
    for name, file in [
        ("js/unit.info", "js-unit.info"),
        ("js/integration.info", "js-integration.info"),
    ]:
        got = totals(parse(lcov, (tmp_path / file).read_bytes()))
        assert counts_tuple(got) == lcov_summary_counts(summaries[name])
    both = (tmp_path / "js-unit.info").read_bytes() + (
        tmp_path / "js-integration.info"
    ).read_bytes()
    assert counts_tuple(totals(parse(lcov, both))) == lcov_summary_counts(summaries["js/merged"])
    _files, project = clover_metrics(tmp_path / "js-clover.xml")
    assert totals(parse(clover, (tmp_path / "js-clover.xml").read_bytes())) == metric_counts(
        project
    )


@pytest.mark.slow
def test_live_gcovr_clover_equals_its_metrics_and_gcovr_jacoco_is_refused(tmp_path: Path) -> None:
    need("gcc", "lcov", "gcov", "gcovr")
    gcovr = shutil.which("gcovr")
    assert gcovr
    if "--clover" not in sh([gcovr, "--help"], tmp_path):
        pytest.skip("this gcovr has no Clover or JaCoCo output (gcovr 7 and later do)")
    run_c(tmp_path, gcovr)
    _files, project = clover_metrics(tmp_path / "gcovr.xml")
    assert totals(parse(clover, (tmp_path / "gcovr.xml").read_bytes())) == metric_counts(project)
    src = tmp_path / "c"
    sh(["./calc"], src)
    sh([gcovr, "-r", ".", "--jacoco", str(tmp_path / "gj.xml")], src)
    with pytest.raises(ReportError, match="gcovr"):
        parse(jacoco, (tmp_path / "gj.xml").read_bytes())


# --- regeneration -----------------------------------------------------------------------------


def regenerate() -> None:
    """Run the real tools and rewrite the committed fixtures and expected.json."""
    gcovr = shutil.which("gcovr") or os.environ.get("COVACTION_GCOVR")
    c8 = shutil.which("c8") or os.environ.get("COVACTION_C8")
    if not gcovr or not c8:
        raise SystemExit(
            "needs go, gcc, lcov, node, c8 (or COVACTION_C8) and gcovr (or COVACTION_GCOVR)"
        )
    # A fixed directory keeps the absolute paths the tools write stable between regenerations.
    work = Path(tempfile.gettempdir()) / "covaction-more"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    record: dict[str, dict[str, object]] = {"go": {}, "lcov": {}, "tools": {}}
    record["go"].update(run_go(work / "go"))
    for name in ("unit.out", "integration.out", "merged.out"):
        shutil.copy(work / "go" / name, MORE / "go" / name)
    record["lcov"].update(run_c(work / "c", gcovr))
    for name in ("unit.info", "integration.info"):
        shutil.copy(work / "c" / name, MORE / "c" / name)
    shutil.copy(work / "c" / "gcovr.xml", MORE / "clover" / "gcovr.xml")
    record["lcov"].update(run_js(work / "js", c8))
    shutil.copy(work / "js" / "js-unit.info", MORE / "js" / "unit.info")
    shutil.copy(work / "js" / "js-integration.info", MORE / "js" / "integration.info")
    shutil.copy(work / "js" / "js-clover.xml", MORE / "js" / "clover.xml")
    record["tools"] = {
        "go": sh(["go", "version"], work).strip(),
        "lcov": sh(["lcov", "--version"], work).strip(),
        "gcc": sh(["gcc", "--version"], work).splitlines()[0],
        "c8": json.loads((Path(c8).resolve().parents[1] / "package.json").read_text())["version"],
        "gcovr": sh([gcovr, "--version"], work).splitlines()[0],
        "node": sh(["node", "--version"], work).strip(),
    }
    EXPECTED.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate"]:
        regenerate()
    else:
        raise SystemExit("usage: python -m tests.test_formats_more --regenerate")
