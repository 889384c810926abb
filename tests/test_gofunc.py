"""Go function extents as `go tool cover -func` finds them (go/parser's FuncDecl Pos..End)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covaction.formats.gocover import func_extents

SOURCE = b"""package p

import "fmt"

// f { is not a brace } in a comment
func f(x interface{}) struct{ a int } {
\ts := `raw { string
} with braces`
\tr := '{'
\t_ = "str}ing"
\t_ = r
\treturn struct{ a int }{len(s)}
}

var lit = func() int {
\treturn 1
}

func (t *T) Method(
\ta int,
\tb map[string]struct{},
) (int, error) {
\tif a > 0 { return a, nil }
\treturn 0, fmt.Errorf("x")
}

func Generic[T any](v T) T { return v }

func asm(x int) int

type T struct{}
/* func hidden() {} */
func last() {}
"""


def test_extents_of_a_tricky_file() -> None:
    assert func_extents(SOURCE) == [
        (6, 1, 13, 2),  # interface{} parameter and struct{...} result are types
        (19, 1, 25, 2),  # a method with a multi-line signature
        (27, 1, 27, 40),
        (33, 1, 33, 15),  # the body-less assembly declaration is skipped, as by -func
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_extents_or_none_never_an_error(data: bytes) -> None:
    for start_line, start_col, end_line, end_col in func_extents(data):
        assert (start_line, start_col) < (end_line, end_col)


@pytest.mark.parametrize(
    "data",
    [b"func(" * 5000, b"func a() {\n" * 5000, b"}" * 5000 + b"func", b"`" + b"{" * 5000],
)
def test_pathological_sources_end(data: bytes) -> None:
    func_extents(data)


@pytest.mark.skipif(shutil.which("go") is None, reason="needs go")
@pytest.mark.parametrize("package", ["strings", "text/template", "net/http"])
def test_live_extents_start_where_go_tool_cover_func_says(
    package: str, tmp_path: Path, go_cache: Path
) -> None:
    """Every function `go tool cover -func` lists starts where func_extents says one does."""
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOPATH": str(tmp_path / "gopath"),
        "GOCACHE": str(go_cache),
        "GOPROXY": "off",
    }
    root = subprocess.run(
        ["go", "env", "GOROOT"], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    profile = tmp_path / "c.out"
    subprocess.run(
        ["go", "test", "-run", "^$", f"-coverprofile={profile}", package],
        capture_output=True,
        env=env,
        check=True,
        timeout=600,
    )
    out = subprocess.run(
        ["go", "tool", "cover", f"-func={profile}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    listed: dict[str, set[int]] = {}
    for m in re.finditer(r"^(\S+\.go):(\d+):", out, re.M):
        listed.setdefault(m.group(1), set()).add(int(m.group(2)))
    assert listed
    for name, lines in listed.items():
        source = (Path(root) / "src" / name).read_bytes()
        assert {e[0] for e in func_extents(source)} == lines, name
