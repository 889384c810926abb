"""Go coverprofiles (`go test -coverprofile`) into the model, and Go import paths onto directories.

How a Go coverprofile is counted
--------------------------------
A profile starts with `mode: set|count|atomic`; every other line is one block:
`<import path>/<file>.go:<startLine>.<startCol>,<endLine>.<endCol> <numStmt> <count>`.
Files are named as the profile names them (`example.com/mod/v2/pkg/file.go`); `module_roots`
and `map_import_path` turn those into repository paths. There are no branches in Go profiles.

* The same block (same file and start/end positions) may appear several times: merged unit and
  integration profiles, or `go test -coverpkg` where every test binary reports every covered
  package. It counts once, covered if any occurrence has `count > 0` (counts add in `count` and
  `atomic` mode, as `go tool cover` merges them). Two occurrences that disagree on `numStmt` come
  from different builds and are refused, as `go tool cover` refuses them.
* Lines: a block covers every line from its start line to its end line, inclusive. A line is
  coverable if at least one block with `numStmt > 0` covers it, and covered if at least one such
  block covering it has `count > 0`; its hit count is the highest count among those blocks.
  Blocks with no statements (`func f() {}`) add no lines, as they add nothing to Go's figure.
* Go's own number is different, because Go counts statements, not lines: `go test`'s
  "coverage: N% of statements" and the `total:` of `go tool cover -func` are
  (sum of `numStmt` of covered blocks) / (sum of `numStmt` of all blocks), blocks counted once.
  A line-based figure cannot equal it in general: a block spanning 3 lines may hold 1 statement
  or 5, and the line holding `func f() {` or a lone `}` belongs to a block but has no statement.
  `read_profile(...).statements` reproduces Go's figure exactly (as `Counts` whose
  `statements`/`covered_lines` are Go statements). `go tool cover -func` counts only blocks
  inside function declarations, so its total can differ by a little (encoding/json: `go test`
  92.1%, `-func` 92.0%). On real profiles the line figure stays close to Go's: go1.19's
  strings 97.80% of lines vs 97.98% of statements, encoding/json 91.67% vs 92.05%, bufio
  92.22% vs 93.44%, text/template 87.81% vs 87.65%.
* The headline counts statements (`metric` "statements"): every block is a unit of `numStmt`
  statements keyed by its position, so profiles merge block by block exactly as Go merges them.
  `in_functions(file, source)` keeps only the blocks `go tool cover -func` totals (those inside
  a function declaration of the source, found by `func_extents`); with it, the headline equals
  `-func`'s total (checked on Go's own packages: strings, encoding/json, text/template, bufio,
  go/ast, net/url). Without the source it equals `go test -cover`'s figure.
* Repeated `mode:` lines (profiles joined with `cat`) are accepted; blank lines are skipped.

Hostile input ends in one `ReportError`: a missing `mode:` line, a line that is not a block,
non-UTF-8 file names, a block that ends before it starts, a block spanning more than 100,000
lines (`1.1,999999999.1`), a profile whose blocks expand to more than 10,000,000 distinct
lines, line numbers above 2**31-1 and lines longer than 1 MiB. Counts above 2**63-1 are clamped.
"""

from __future__ import annotations

import heapq
import posixpath
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from covaction.errors import ReportError
from covaction.formats.lcov import show, text_lines
from covaction.model import (
    LINES,
    LINES_AND_BRANCHES,
    STATEMENTS,
    Counts,
    FileCoverage,
    ParsedReport,
    Units,
)

FORMAT = "go"

MAX_BLOCK_LINES = 100_000
MAX_TOTAL_LINES = 10_000_000
MAX_LINE_NUMBER = 2**31 - 1
MAX_COUNT = 2**63 - 1
MODES = ("set", "count", "atomic")

_SNIFF = re.compile(rb"\A(?:\xef\xbb\xbf)?mode:[ \t]*(?:set|count|atomic)[ \t]*\r?(?:\n|\Z)")
_MODE = re.compile(rb"mode:[ \t]*(\S+)[ \t]*\Z")
_BLOCK = re.compile(rb"(\d{1,12})\.(\d{1,12}),(\d{1,12})\.(\d{1,12}) (\d{1,12}) (\d{1,40})[ \t]*\Z")

_SHIFT = 64
_MASK = (1 << _SHIFT) - 1


def sniff(head: bytes) -> bool:
    """True when the data starts with a coverprofile's `mode: set|count|atomic` line."""
    return _SNIFF.match(head) is not None


@dataclass(frozen=True, slots=True)
class GoProfile:
    """A parsed profile: the line-based report, and Go's own statement figures.

    `statements` and `statements_by_file` are `Counts` whose `statements` and `covered_lines`
    are Go statements (not lines), so `statements.line_percent` is exactly the percentage
    `go test -cover` prints and `go tool cover -func` totals.
    """

    report: ParsedReport
    statements: Counts
    statements_by_file: Mapping[str, Counts]


class _File:
    __slots__ = ("blocks", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        # packed (startLine, startCol, endLine, endCol) -> packed (count, numStmt)
        self.blocks: dict[int, int] = {}


def read_profile(chunks: Iterable[bytes], origin: str) -> GoProfile:
    """Stream a coverprofile into the line-based report plus Go's statement counts."""
    mode: str | None = None
    files: dict[bytes, _File] = {}
    for number, line in text_lines(chunks, origin, "Go coverprofile"):
        if not line.strip():
            continue
        if line.startswith(b"mode:"):
            m = _MODE.match(line)
            if m is None or m.group(1).decode("ascii", "replace") not in MODES:
                raise ReportError(
                    f"{origin}: line {number}: {show(line)} is not mode: set, count or atomic"
                )
            mode = mode or m.group(1).decode("ascii")
            continue
        if mode is None:
            raise ReportError(
                f"{origin}: line {number}: a Go coverprofile starts with a 'mode:' line, "
                f"found {show(line)}"
            )
        _add_block(files, line, number, origin, mode == "set")
    if mode is None:
        raise ReportError(f"{origin}: empty; a Go coverprofile starts with a 'mode:' line")
    return _build(files, origin)


def parse(chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Stream a coverprofile into a ParsedReport (line-based; see the module docstring)."""
    return read_profile(chunks, origin).report


def _add_block(
    files: dict[bytes, _File], line: bytes, number: int, origin: str, set_mode: bool
) -> None:
    name, sep, tail = line.rpartition(b":")
    m = _BLOCK.match(tail)
    if not sep or not name or m is None:
        raise ReportError(
            f"{origin}: line {number}: {show(line)} is not a coverprofile block "
            "(file.go:line.col,line.col statements count)"
        )
    sl, sc, el, ec, stmts = (int(m.group(i)) for i in range(1, 6))
    count = min(int(m.group(6)), MAX_COUNT)
    if not (1 <= sl <= MAX_LINE_NUMBER and 1 <= el <= MAX_LINE_NUMBER):
        raise ReportError(f"{origin}: line {number}: line numbers outside 1..{MAX_LINE_NUMBER}")
    if (el, ec) < (sl, sc):
        raise ReportError(f"{origin}: line {number}: the block ends before it starts")
    if el - sl + 1 > MAX_BLOCK_LINES:
        raise ReportError(
            f"{origin}: line {number}: a block spanning {el - sl + 1} lines "
            f"(more than {MAX_BLOCK_LINES}) is not a real Go block"
        )
    if max(sc, ec, stmts) > MAX_LINE_NUMBER:
        raise ReportError(f"{origin}: line {number}: column or statement count out of range")
    entry = files.get(name)
    if entry is None:
        try:
            path = name.decode("utf-8")
        except UnicodeDecodeError:
            raise ReportError(f"{origin}: line {number}: the file name is not UTF-8") from None
        entry = files[name] = _File(path)
    key = (((((sl << 32) | sc) << 32) | el) << 32) | ec
    old = entry.blocks.get(key)
    if old is not None:
        old_stmts = old & _MASK
        if old_stmts != stmts:
            raise ReportError(
                f"{origin}: line {number}: block {sl}.{sc},{el}.{ec} of {entry.path} has "
                f"{old_stmts} statements earlier and {stmts} here; the merged profiles come "
                "from different builds"
            )
        old_count = old >> _SHIFT
        count = max(old_count, count) if set_mode else min(old_count + count, MAX_COUNT)
    entry.blocks[key] = (count << _SHIFT) | stmts


def _build(files: dict[bytes, _File], origin: str) -> GoProfile:
    out: list[FileCoverage] = []
    by_file: dict[str, Counts] = {}
    budget = MAX_TOTAL_LINES
    for entry in files.values():
        spans: list[tuple[int, int, int]] = []
        stmts = covered = 0
        for key, value in entry.blocks.items():
            n, count = value & _MASK, value >> _SHIFT
            stmts += n
            covered += n if count > 0 else 0
            if n > 0:
                spans.append((key >> 96, (key >> 32) & 0xFFFFFFFF, count))
        by_file[entry.path] = Counts(statements=stmts, covered_lines=covered)
        spans.sort()
        budget -= _union_size(spans)
        if budget < 0:
            raise ReportError(
                f"{origin}: the blocks cover more than {MAX_TOTAL_LINES} distinct lines; "
                "refused as not a real profile"
            )
        lines, hits = _sweep(spans)
        units = Units.from_mapping(
            {
                key: ((value & _MASK), (value & _MASK) if value >> _SHIFT else 0)
                for key, value in entry.blocks.items()
            }
        )
        out.append(FileCoverage(entry.path, lines, hits, units=units, metric=STATEMENTS))
    total = sum(by_file.values(), Counts())
    report = ParsedReport(
        FORMAT,
        tuple(out),
        False,
        (),
        origin,
        producer="Go",
        metric=STATEMENTS,
        metrics=(STATEMENTS, LINES, LINES_AND_BRANCHES),
        rule="statements, as `go test -cover` and `go tool cover` count them",
    )
    return GoProfile(report, total, by_file)


def _union_size(spans: list[tuple[int, int, int]]) -> int:
    """Distinct lines in the union of sorted [start, end] spans, without expanding them."""
    size, reach = 0, 0
    for start, end, _count in spans:
        if end > reach:
            size += end - max(start, reach + 1) + 1
            reach = end
    return size


def _sweep(spans: list[tuple[int, int, int]]) -> tuple[array[int], array[int]]:
    """Lines covered by the union of sorted [start, end] spans, each with its highest count.

    Costs O((distinct lines + spans) log spans), never the sum of span lengths.
    """
    lines: array[int] = array("q")
    hits: array[int] = array("q")
    active: list[tuple[int, int]] = []  # (-count, end), the highest count on top
    i, n, line = 0, len(spans), 0
    while True:
        while active and active[0][1] < line:
            heapq.heappop(active)
        if not active:
            if i >= n:
                break
            line = max(line, spans[i][0])
        while i < n and spans[i][0] <= line:
            _start, end, count = spans[i]
            if end >= line:
                heapq.heappush(active, (-count, end))
            i += 1
        while active and active[0][1] < line:
            heapq.heappop(active)
        if not active:
            continue
        lines.append(line)
        hits.append(-active[0][0])
        line += 1
    return lines, hits


# --- Go modules: import paths onto repository directories -------------------------------------

_COMMENT = re.compile(r"//.*")


def _directive_args(text: str, verb: str) -> list[str]:
    """Arguments of `verb x` lines and `verb ( ... )` blocks of a go.mod / go.work file."""
    args: list[str] = []
    in_block = False
    for raw in text.splitlines():
        line = _COMMENT.sub("", raw).strip()
        if in_block:
            if line == ")":
                in_block = False
            elif line:
                args.append(_unquote(line.split()[0]))
            continue
        words = line.split(None, 1)
        if not words or words[0] != verb:
            continue
        rest = words[1].strip() if len(words) > 1 else ""
        if rest == "(":
            in_block = True
        elif rest:
            args.append(_unquote(rest.split()[0]))
    return args


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in '"`':
        return word[1:-1]
    return word


def _clean_dir(path: str) -> str:
    cleaned = posixpath.normpath(path.replace("\\", "/"))
    return "" if cleaned in {".", "/"} else cleaned.removeprefix("./")


def module_roots(go_mod_files: Mapping[str, bytes], go_work: bytes | None) -> dict[str, str]:
    """Map each module path (with its `/vN` suffix) to the repository directory of its go.mod.

    `go_mod_files` maps repository-relative go.mod paths (`go.mod`, `lib/go.mod`) to their
    contents; the root module's directory is "". With a `go.work` (read as at the repository
    root) only the modules it `use`s count, as in Go's workspace mode. A go.mod without a
    `module` line is skipped; when two go.mod files declare the same module path, the one
    nearest the root wins (then the first in sorted order).
    """
    used: set[str] | None = None
    if go_work is not None:
        work = go_work.decode("utf-8", "replace")
        used = {_clean_dir(d) for d in _directive_args(work, "use")}
    roots: dict[str, str] = {}
    for mod_path in sorted(go_mod_files, key=lambda p: (_clean_dir(p).count("/"), p)):
        directory = posixpath.dirname(_clean_dir(mod_path))
        if used is not None and directory not in used:
            continue
        names = _directive_args(go_mod_files[mod_path].decode("utf-8", "replace"), "module")
        if names and names[0] and names[0] not in roots:
            roots[names[0]] = directory
    return roots


def map_import_path(path: str, roots: Mapping[str, str]) -> str | None:
    """The repository path of a profile's file name; the longest matching module path wins.

    `example.com/lib/v2/pkg/x.go` with `{"example.com/lib/v2": "lib"}` gives `lib/pkg/x.go`.
    A module path matches only at a `/` boundary (`.../v2` does not match `.../v2x/...`).
    None when no module matches (an absolute path, or a package outside the workspace).
    """
    best: str | None = None
    for module in roots:
        if path.startswith(module + "/") and (best is None or len(module) > len(best)):
            best = module
    if best is None:
        return None
    rest = path[len(best) + 1 :]
    directory = roots[best]
    return f"{directory}/{rest}" if directory else rest


# --- `go tool cover -func`: only blocks inside function declarations count -------------------

_SEMI_AFTER = frozenset({"break", "continue", "fallthrough", "return"})


def func_extents(source: bytes) -> list[tuple[int, int, int, int]]:
    """(startLine, startCol, endLine, endCol) of each top-level `func` declaration with a body.

    What `go tool cover -func` takes from go/parser (`ast.FuncDecl` from `Pos()` to `End()`,
    1-based byte columns, the end just past the closing brace); a declaration without a body
    (assembly) is skipped, as there. A light scanner: comments, strings, raw strings and runes
    are skipped, a `func` counts only where a declaration can start (depth 0, after a line
    that Go ends with a semicolon), and `struct{...}`/`interface{...}` in a signature are types.
    """
    tokens = list(_tokens(source))
    extents: list[tuple[int, int, int, int]] = []
    depth = 0
    starts_decl = True  # at the start of the file or after an (inserted) semicolon
    i = 0
    while i < len(tokens):
        text, line, col, newline_before, prev_ends = tokens[i]
        boundary = starts_decl or (newline_before and prev_ends)
        if text == "func" and depth == 0 and boundary:
            end = _func_body_end(tokens, i + 1)
            if end is not None:
                j, end_line, end_col = end
                extents.append((line, col, end_line, end_col))
                i = j + 1
                starts_decl = False
                continue
        if text in "({[" and len(text) == 1:
            depth += 1
        elif text in ")}]" and len(text) == 1:
            depth = max(0, depth - 1)
        starts_decl = text == ";"
        i += 1
    return extents


def _func_body_end(
    tokens: list[tuple[str, int, int, bool, bool]], i: int
) -> tuple[int, int, int] | None:
    """(index, line, column just past it) of the body's closing brace, None without a body."""
    depth = 0
    previous = ""
    while i < len(tokens):
        text, _line, _col, newline_before, prev_ends = tokens[i]
        if depth == 0 and (text == ";" or (newline_before and prev_ends and text != "{")):
            return None  # the declaration ended without a body
        if text in "([":
            depth += 1
        elif text in ")]":
            depth -= 1
        elif text == "{":
            if previous in {"struct", "interface"} or depth > 0:
                depth += 1
            else:
                level = 0
                for j in range(i, len(tokens)):
                    if tokens[j][0] == "{":
                        level += 1
                    elif tokens[j][0] == "}":
                        level -= 1
                        if level == 0:
                            return j, tokens[j][1], tokens[j][2] + 1
                return None
        elif text == "}":
            depth -= 1
        previous = text
        i += 1
    return None


_WORD = re.compile(rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*|[0-9][0-9A-Za-z_.]*")


def _tokens(source: bytes) -> Iterator[tuple[str, int, int, bool, bool]]:
    """(text, line, column, newline before it, the token before it ends a Go line) per token.

    Only what `func_extents` needs: words, numbers, brackets, `;`; literals and comments are
    one opaque token ("lit"), other operators their first byte.
    """
    n = len(source)
    i, line, line_start = 0, 1, 0
    newline = False
    prev_ends = False
    while i < n:
        c = source[i]
        if c == 0x0A:
            line += 1
            line_start = i + 1
            newline = True
            i += 1
            continue
        if c in b" \t\r":
            i += 1
            continue
        if source.startswith(b"//", i):
            j = source.find(b"\n", i)
            i = n if j < 0 else j
            continue
        if source.startswith(b"/*", i):
            j = source.find(b"*/", i + 2)
            j = n if j < 0 else j + 2
            breaks = source.count(b"\n", i, j)
            if breaks:
                line += breaks
                line_start = source.rfind(b"\n", i, j) + 1
                newline = True
            i = j
            continue
        col = i - line_start + 1
        start_line = line
        if c in b"\"'`":
            j = i + 1
            while j < n and source[j] != c:
                if c != 0x60 and source[j] == 0x5C:  # a backslash escape outside raw strings
                    j += 1
                elif source[j] == 0x0A:
                    if c != 0x60:
                        break  # an unterminated literal: stop at the line's end
                    line += 1
                    line_start = j + 1
                j += 1
            i = j + 1
            text = "lit"
        else:
            m = _WORD.match(source, i)
            if m is not None:
                text = m.group().decode("utf-8", "replace")
                i = m.end()
            else:
                text = chr(c)
                if source.startswith((b"++", b"--"), i):
                    text = "++"
                    i += 1
                i += 1
        yield text, start_line, col, newline, prev_ends
        newline = False
        prev_ends = (
            text == "lit"
            or text in ")]}"
            or text == "++"
            or (
                (text[:1].isalnum() or text[:1] == "_" or not text[:1].isascii())
                and (text not in _KEYWORDS or text in _SEMI_AFTER)
            )
        )


_KEYWORDS = frozenset(
    "break case chan const continue default defer else fallthrough for func go goto if import "
    "interface map package range return select struct switch type var".split()
)


def in_functions(fc: FileCoverage, source: bytes) -> FileCoverage:
    """The file with only the blocks `go tool cover -func` counts: those inside a function
    declaration of `source` (blocks of package-level function literals are left out)."""
    if fc.units is None:
        return fc
    extents = func_extents(source)
    kept: dict[int, tuple[int, int]] = {}
    for key, (total, covered) in fc.units.mapping().items():
        sl, sc = key >> 96, (key >> 64) & 0xFFFFFFFF
        el, ec = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
        for fsl, fsc, fel, fec in extents:
            if sl > fel or (sl == fel and sc >= fec):
                continue  # past the end of the function
            if el < fsl or (el == fsl and ec <= fsc):
                continue  # before its beginning
            kept[key] = (total, covered)
            break
    return replace(fc, units=Units.from_mapping(kept))


def in_functions_all(report: ParsedReport, source: Callable[[str], bytes | None]) -> ParsedReport:
    """`in_functions` for every file whose source `source(path)` returns (None: left whole).

    For the run stage, after import paths are mapped: `source` reads a repository file, so
    the headline equals `go tool cover -func`'s total wherever the checkout has the sources.
    """
    files = []
    for fc in report.files:
        data = source(fc.path)
        files.append(fc if data is None else in_functions(fc, data))
    return replace(report, files=tuple(files))
