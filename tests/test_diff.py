"""Changed lines from diffs and diff coverage: tables, fuzzing, and real git + coverage.py + diff-cover."""

from __future__ import annotations

import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import textwrap
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covaction.changed_lines import (
    ChangedLines,
    FileChange,
    from_github_files,
    parse_patch,
    parse_unified_diff,
)
from covaction.diff_coverage import DiffCoverage, diff_coverage, format_ranges, line_ranges
from covaction.errors import DiffError
from covaction.model import Counts, CoverageReport, FileCoverage


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def summary(changes: ChangedLines) -> dict[str, tuple[str | None, str, list[int], bool]]:
    return {
        p: (c.old_path, c.status, sorted(c.added_lines), c.measured)
        for p, c in changes.files.items()
    }


# ----------------------------------------------------------------------------- diff forms

GIT_MODIFIED = d("""
    diff --git a/pkg/mod.py b/pkg/mod.py
    index 83db48f..bf269f4 100644
    --- a/pkg/mod.py
    +++ b/pkg/mod.py
    @@ -1,4 +1,5 @@
     import os
    -x = 1
    +x = 2
    +y = 3
     z = 4
     w = 5
    @@ -20,3 +21,4 @@ def f():
     a
     b
    +c
     d
""")

GIT_U0 = d("""
    diff --git a/pkg/mod.py b/pkg/mod.py
    index 83db48f..bf269f4 100644
    --- a/pkg/mod.py
    +++ b/pkg/mod.py
    @@ -2 +2,2 @@
    -x = 1
    +x = 2
    +y = 3
    @@ -3,0 +4,2 @@ z = 4
    +p
    +q
    @@ -10,2 +11,0 @@
    -gone
    -gone
    @@ -22,0 +22 @@
    +c
""")

GIT_ADDED_DELETED = d("""
    diff --git a/new.py b/new.py
    new file mode 100644
    index 0000000..8ba3a16
    --- /dev/null
    +++ b/new.py
    @@ -0,0 +1,2 @@
    +a
    +b
    diff --git a/old.py b/old.py
    deleted file mode 100644
    index 286c5f5..0000000
    --- a/old.py
    +++ /dev/null
    @@ -1,2 +0,0 @@
    -a
    -b
    diff --git a/empty.py b/empty.py
    new file mode 100644
    index 0000000..e69de29
    diff --git a/was_empty.py b/was_empty.py
    deleted file mode 100644
    index e69de29..0000000
""")

GIT_RENAMES = d("""
    diff --git a/pkg/a.py b/pkg/b.py
    similarity index 100%
    rename from pkg/a.py
    rename to pkg/b.py
    diff --git a/old name.py b/new name.py
    similarity index 83%
    rename from old name.py
    rename to new name.py
    index 0ec1772..edb6c6a 100644
    --- a/old name.py\t
    +++ b/new name.py\t
    @@ -3,3 +3,4 @@ r2
     r3
     r4
     r5
    +r6
    diff --git a/src/x.py b/src/y.py
    similarity index 90%
    copy from src/x.py
    copy to src/y.py
    index 0ec1772..edb6c6a 100644
    --- a/src/x.py
    +++ b/src/y.py
    @@ -1 +1 @@
    -one
    +uno
    diff --git a/run.sh b/run.sh
    old mode 100644
    new mode 100755
""")

GIT_BINARY = d("""
    diff --git a/img.png b/img.png
    index bdc955b..8835708 100644
    Binary files a/img.png and b/img.png differ
    diff --git a/logo.png b/logo.png
    new file mode 100644
    index 0000000000000000000000000000000000000000..f1c7a2b3c4d5e6f708192a3b4c5d6e7f80911a2b
    GIT binary patch
    literal 12
    TcmZ?wbhEHbRA6LaWME(b0P+9=

    literal 0
    HcmV?d00001

    diff --git a/x.py b/x.py
    --- a/x.py
    +++ b/x.py
    @@ -1 +1 @@
    -a
    +b
""")

GIT_QUOTED = d(r"""
    diff --git "a/sp\303\251cial name.py" "b/sp\303\251cial name.py"
    index 2fa992c..fe5841d 100644
    --- "a/sp\303\251cial name.py"
    +++ "b/sp\303\251cial name.py"
    @@ -1 +1,2 @@
     keep
    +more
    diff --git "a/tab\there.py" "b/quote\"d.py"
    similarity index 90%
    rename from "tab\there.py"
    rename to "quote\"d.py"
    --- "a/tab\there.py"
    +++ "b/quote\"d.py"
    @@ -1 +1 @@
    -a
    +b
""")

NO_NEWLINE = d("""
    diff --git a/t.txt b/t.txt
    --- a/t.txt
    +++ b/t.txt
    @@ -1,2 +1,3 @@
     a
    -b
    \\ No newline at end of file
    +b
    +c
    diff --git a/u.txt b/u.txt
    --- a/u.txt
    +++ b/u.txt
    @@ -1 +1 @@
    -x
    +y
    \\ No newline at end of file
""")

GENERIC_DIFF_U = d("""
    --- src/app.py\t2024-01-01 10:00:00.000000000 +0100
    +++ src/app.py\t2024-01-02 10:00:00.000000000 +0100
    @@ -1,3 +1,3 @@
     a
    -b
    +B
     c
""")

GENERIC_DIFF_RUN = d("""
    Only in new/docs: extra.txt
    diff -ruN orig/lib/a.py new/lib/a.py
    --- orig/lib/a.py\t2024-01-01 10:00:00.000000000 +0100
    +++ new/lib/a.py\t2024-01-02 10:00:00.000000000 +0100
    @@ -1 +1,2 @@
     a
    +b
    diff -ruN orig/lib/n.py new/lib/n.py
    --- orig/lib/n.py\t1970-01-01 01:00:00.000000000 +0100
    +++ new/lib/n.py\t2024-01-02 10:00:00.000000000 +0100
    @@ -0,0 +1,2 @@
    +x
    +y
    Binary files orig/lib/i.png and new/lib/i.png differ
""")

SVN_DIFF = d("""
    Index: trunk/m.py
    ===================================================================
    --- trunk/m.py\t(revision 10)
    +++ trunk/m.py\t(working copy)
    @@ -5,2 +5,3 @@
     a
    +b
     c
""")

NOPREFIX_AND_MNEMONIC = d("""
    diff --git src/a.py src/a.py
    index 1..2 100644
    --- src/a.py
    +++ src/a.py
    @@ -1 +1 @@
    -a
    +b
    diff --git c/src/b.py w/src/b.py
    index 1..2 100644
    --- c/src/b.py
    +++ w/src/b.py
    @@ -1 +1 @@
    -a
    +b
""")

FORMAT_PATCH = d("""
    From 1e6afd9 Mon Sep 17 00:00:00 2001
    From: Dev <dev@example.com>
    Subject: [PATCH] change

    A commit message; a lone line below is not a file header:
    --- not a header
    ---
     m.py | 2 +-
     1 file changed, 1 insertion(+), 1 deletion(-)

    diff --git a/m.py b/m.py
    index 1..2 100644
    --- a/m.py
    +++ b/m.py
    @@ -1,3 +1,3 @@
     a
    --- removed sql comment
    +++ added counter
     c
    --\x20
    2.39.5

""")

CONTENT_LOOKALIKES = d("""
    diff --git a/m.py b/m.py
    --- a/m.py
    +++ b/m.py
    @@ -1,4 +1,5 @@
    ---- a/fake
    ++++ b/fake
    +@@ -1 +1 @@
    +diff --git a/q b/q
    -\\ not a marker
    +\x0cform feed\x0cline\u2028sep
     z
    -last
""")

EMPTY_CONTEXT = "diff --git a/e.py b/e.py\n--- a/e.py\n+++ b/e.py\n@@ -1,3 +1,4 @@\n a\n\n+b\n c\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            GIT_MODIFIED, {"pkg/mod.py": ("pkg/mod.py", "modified", [2, 3, 23], True)}, id="git"
        ),
        pytest.param(
            GIT_U0, {"pkg/mod.py": ("pkg/mod.py", "modified", [2, 3, 4, 5, 22], True)}, id="U0"
        ),
        pytest.param(
            GIT_ADDED_DELETED,
            {
                "new.py": (None, "added", [1, 2], True),
                "old.py": ("old.py", "deleted", [], True),
                "empty.py": (None, "added", [], True),
                "was_empty.py": ("was_empty.py", "deleted", [], True),
            },
            id="added-deleted",
        ),
        pytest.param(
            GIT_RENAMES,
            {
                "pkg/b.py": ("pkg/a.py", "renamed", [], True),
                "new name.py": ("old name.py", "renamed", [6], True),
                "src/y.py": ("src/x.py", "copied", [1], True),
                "run.sh": ("run.sh", "modified", [], True),
            },
            id="rename-copy-mode",
        ),
        pytest.param(
            GIT_BINARY,
            {
                "img.png": ("img.png", "binary", [], False),
                "logo.png": (None, "binary", [], False),
                "x.py": ("x.py", "modified", [1], True),
            },
            id="binary",
        ),
        pytest.param(
            GIT_QUOTED,
            {
                "spécial name.py": ("spécial name.py", "modified", [2], True),
                'quote"d.py': ("tab\there.py", "renamed", [1], True),
            },
            id="quoted",
        ),
        pytest.param(
            NO_NEWLINE,
            {
                "t.txt": ("t.txt", "modified", [2, 3], True),
                "u.txt": ("u.txt", "modified", [1], True),
            },
            id="no-newline",
        ),
        pytest.param(
            GIT_MODIFIED.replace("\n", "\r\n"),
            {"pkg/mod.py": ("pkg/mod.py", "modified", [2, 3, 23], True)},
            id="crlf",
        ),
        pytest.param(
            GENERIC_DIFF_U, {"src/app.py": ("src/app.py", "modified", [2], True)}, id="diff-u"
        ),
        pytest.param(
            GENERIC_DIFF_RUN,
            {
                "lib/a.py": ("lib/a.py", "modified", [2], True),
                "lib/n.py": (None, "added", [1, 2], True),
                "lib/i.png": ("lib/i.png", "binary", [], False),
            },
            id="diff-ruN",
        ),
        pytest.param(SVN_DIFF, {"trunk/m.py": ("trunk/m.py", "modified", [6], True)}, id="svn"),
        pytest.param(
            NOPREFIX_AND_MNEMONIC,
            {
                "src/a.py": ("src/a.py", "modified", [1], True),
                "src/b.py": ("src/b.py", "modified", [1], True),
            },
            id="noprefix-mnemonic",
        ),
        pytest.param(FORMAT_PATCH, {"m.py": ("m.py", "modified", [2], True)}, id="format-patch"),
        pytest.param(
            CONTENT_LOOKALIKES,
            {"m.py": ("m.py", "modified", [1, 2, 3, 4], True)},
            id="content-that-looks-like-headers",
        ),
        pytest.param(EMPTY_CONTEXT, {"e.py": ("e.py", "modified", [3], True)}, id="blank-context"),
        pytest.param("", {}, id="empty"),
        pytest.param("\n\n", {}, id="blank"),
    ],
)
def test_diff_forms(text: str, expected: dict[str, Any]) -> None:
    """Each diff form yields the NEW-file numbers of its `+` lines, keyed by new path."""
    assert summary(parse_unified_diff(text)) == expected


def test_diff_bytes_with_invalid_utf8() -> None:
    """Bytes are accepted; bytes that are not UTF-8 only ever sit in content or names."""
    raw = GIT_MODIFIED.encode().replace(b"+y = 3", b"+y = \xff\xfe")
    assert parse_unified_diff(raw).lines("pkg/mod.py") == {2, 3, 23}


def test_diff_surrogate_escaped_names_become_text() -> None:
    """A caller's `surrogateescape` decoding of non-UTF-8 names never leaks lone surrogates."""
    raw = b"--- a/caf\xe9.py\n+++ b/caf\xe9.py\n@@ -1 +1 @@\n-a\n+b\n"
    changes = parse_unified_diff(raw.decode("utf-8", "surrogateescape"))
    assert list(changes.files) == ["caf\ufffd.py"]


def test_diff_unquoted_spaces_in_git_header() -> None:
    """`diff --git a/x y b/x y` splits where both sides name the same file, as git does."""
    text = "diff --git a/a b/c b/d b/a b/c b/d\nold mode 100644\nnew mode 100755\n"
    assert summary(parse_unified_diff(text)) == {"a b/c b/d": ("a b/c b/d", "modified", [], True)}


# ----------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("@@ -1 +1 @@\n+a\n", "has no file header", id="hunk-first"),
        pytest.param(
            "--- a/x\n+++ b/x\n@@ -a +b @@\n+a\n", "malformed hunk header", id="bad-header"
        ),
        pytest.param(
            "--- a/x\n+++ b/x\n@@ -1,999999999 +1,999999999 @@\n+a\n-b\n c\n",
            "truncated or corrupt",
            id="absurd-counts",
        ),
        pytest.param(
            "--- a/x\n+++ b/x\n@@ -1,3 +1,4 @@\n a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n",
            "truncated or corrupt",
            id="short-body-swallows-next-header",
        ),
        pytest.param(
            "--- a/x\n+++ b/x\n@@ -1 +12345678901 @@\n+a\n",
            "malformed hunk header",
            id="eleven-digits",
        ),
        pytest.param("--- a/x\n+++ b/x\n@@ -0,1 +0,1 @@\n-a\n+b\n", "line 0", id="line-0"),
        pytest.param("diff --cc f.py\nindex 1,2..3\n@@@ -1,1 -1,1 +1,1 @@@\n", "combined", id="cc"),
        pytest.param("--- a/x\n+++ b/x\n@@@ -1,1 -1,1 +1,1 @@@\n++a\n", "combined", id="cc-hunk"),
        pytest.param(GIT_MODIFIED + GIT_MODIFIED, "appears twice", id="same-file-twice"),
        pytest.param("just some text\nnot a diff\n", "no file header", id="not-a-diff"),
        pytest.param('diff --git "a/unterminated b/x\n', "unterminated", id="bad-quote"),
        pytest.param("diff --git nonsense\n@@ -1 +1 @@\n-b\n+a\n", "file name", id="no-names"),
    ],
)
def test_diff_errors(text: str, message: str) -> None:
    """Input we cannot read faithfully is one DiffError that names the problem."""
    with pytest.raises(DiffError, match=message):
        parse_unified_diff(text)


def test_absurd_header_is_counted_not_ranged() -> None:
    """Huge start numbers cost nothing: only the lines present are counted."""
    text = "--- a/x\n+++ b/x\n@@ -9999999999,1 +9999999999,2 @@\n-a\n+b\n+c\n"
    assert parse_unified_diff(text).lines("x") == {9999999999, 10000000000}


def test_lines_past_the_hunk_are_commentary() -> None:
    """A body longer than its header: the extra lines are not part of it (git apply agrees)."""
    text = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n+c\n+d\n"
    assert parse_unified_diff(text).lines("x") == {1}


def test_huge_hostile_inputs_stay_linear() -> None:
    """A megabyte `diff --git` line full of spaces and 10^5 garbage lines parse quickly."""
    line = "diff --git " + "a/" + "x " * 500_000 + "b/" + "y " * 500_000
    parse_unified_diff(line + "\nold mode 1\nnew mode 2\n")
    garbage = "+" * 10 + "\n" + "-\n" * 100_000
    assert parse_unified_diff("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n" + garbage).lines("x") == {1}


# ----------------------------------------------------------------------------- GitHub patches


def test_parse_patch() -> None:
    """GitHub's `patch` is hunks only; the header's section text and `\\ No newline` are fine."""
    patch = "@@ -10,6 +10,8 @@ def parse(x):\n a\n-b\n+B\n+C\n c\n d\n e\n f\n+g\n\\ No newline at end of file"
    assert parse_patch("src/p.py", patch) == {11, 12, 17}


@pytest.mark.parametrize(
    "patch",
    [
        "@@ -1,5 +1,5 @@\n+a\n",  # shorter than the header
        "diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b",  # headers are not GitHub's
        "@@ -1 +1 @@\n-a\n+b\n+c",  # longer than the header
        "@@ nonsense @@\n+a",
    ],
)
def test_parse_patch_errors(patch: str) -> None:
    with pytest.raises(DiffError, match=r"src/p\.py"):
        parse_patch("src/p.py", patch)


def test_from_github_files() -> None:
    """A missing or unreadable patch is "diff unknown", never "no changes"."""
    changes = from_github_files(
        [
            {"filename": "a.py", "status": "modified", "patch": "@@ -1 +1,2 @@\n a\n+b"},
            {"filename": "big.py", "status": "modified", "additions": 0, "changes": 0},
            {"filename": "img.png", "status": "added"},
            {"filename": "gone.py", "status": "removed", "patch": "@@ -1 +0,0 @@\n-a"},
            {
                "filename": "new/b.py",
                "status": "renamed",
                "previous_filename": "old/b.py",
                "patch": "@@ -1 +1 @@\n-a\n+b",
            },
            {"filename": "moved.py", "status": "renamed", "previous_filename": "m.py"},
            {"filename": "bad.py", "status": "modified", "patch": "@@ -1,9 +1,9 @@\n+a"},
            {"filename": "mode.sh", "status": "changed", "patch": None},
        ]
    )
    assert summary(changes) == {
        "a.py": ("a.py", "modified", [2], True),
        "bad.py": ("bad.py", "modified", [], False),
        "big.py": ("big.py", "modified", [], False),
        "gone.py": ("gone.py", "deleted", [], True),
        "img.png": (None, "added", [], False),
        "mode.sh": ("mode.sh", "modified", [], False),
        "moved.py": ("m.py", "renamed", [], False),
        "new/b.py": ("old/b.py", "renamed", [1], True),
    }
    assert changes.not_measured == ("bad.py", "big.py", "img.png", "mode.sh", "moved.py")
    assert "truncated or corrupt" in changes.files["bad.py"].note


def test_from_github_files_needs_a_name() -> None:
    with pytest.raises(DiffError, match="entry 2"):
        from_github_files([{"filename": "a.py"}, {"status": "added"}])


# ----------------------------------------------------------------------------- properties


def expected_added(old: list[str], new: list[str]) -> set[int]:
    """Ground truth: NEW-file numbers of the lines difflib marks inserted or replaced."""
    out: set[int] = set()
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag in ("insert", "replace"):
            out.update(range(j1 + 1, j2 + 1))
    return out


CONTENT = st.lists(
    st.sampled_from(
        ["a", "b", "", "-- x", "++ y", "@@ -1 +1 @@", "\\ z", "diff --git a/q b/q", "c\x0c"]
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    old=CONTENT, new=CONTENT, context=st.integers(0, 4), name=st.sampled_from(["m.py", "d/é x.py"])
)
def test_difflib_diffs_roundtrip(old: list[str], new: list[str], context: int, name: str) -> None:
    """Any difflib unified diff parses to exactly the inserted/replaced lines, whatever they say."""
    text = "".join(
        difflib.unified_diff(
            [s + "\n" for s in old], [s + "\n" for s in new], f"a/{name}", f"b/{name}", n=context
        )
    )
    changes = parse_unified_diff(text)
    expected = expected_added(old, new)
    if text:
        # difflib's hunks are those of SequenceMatcher: same opcodes, same lines.
        assert changes.lines(name) == expected
        patch = text.split("\n", 2)[2]
        assert parse_patch(name, patch) == expected
    else:
        assert len(changes) == 0 and not expected


DIFF_TOKENS = [
    "diff --git a/x b/x",
    "diff --git a/y b/y",
    "--- a/x",
    "+++ b/x",
    "--- /dev/null",
    "+++ /dev/null",
    "@@ -1 +1 @@",
    "@@ -1,2 +1,3 @@",
    "@@ -0,0 +1,999999999 @@",
    "@@ -3,0 +4,2 @@ x",
    "@@@ -1 -1 +1 @@@",
    "+a",
    "-b",
    " c",
    "",
    "\\ No newline at end of file",
    "rename from x",
    "rename to z",
    "copy from x",
    "copy to q",
    "new file mode 100644",
    "deleted file mode 100644",
    "Binary files a/x and b/x differ",
    "GIT binary patch",
    'diff --git "a/\\303\\251" "b/\\303\\251"',
    'diff --git "a/\\',
    "diff --cc x",
    "\r",
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.sampled_from(DIFF_TOKENS), st.text(max_size=30)),
        max_size=40,
    )
)
def test_fuzz_token_soup(lines: list[str]) -> None:
    """Random arrangements of diff lines: a ChangedLines or one DiffError, nothing else."""
    text = "\n".join(lines)
    check_total(text)
    try:
        assert all(n > 0 for n in parse_patch("p.py", text))
    except DiffError:
        pass


SEEDS = [
    GIT_MODIFIED,
    GIT_U0,
    GIT_ADDED_DELETED,
    GIT_RENAMES,
    GIT_BINARY,
    GIT_QUOTED,
    NO_NEWLINE,
    GENERIC_DIFF_RUN,
    FORMAT_PATCH,
    CONTENT_LOOKALIKES,
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["drop", "dup", "swap", "insert", "digits", "cut"]),
            st.integers(0, 10_000),
            st.text(max_size=12),
        ),
        max_size=6,
    ),
)
def test_fuzz_mutated_real_diffs(seed: str, edits: list[tuple[str, int, str]]) -> None:
    """Real diffs with lines dropped, duplicated, swapped, inserted or renumbered."""
    lines = seed.split("\n")
    for op, at, junk in edits:
        i = at % max(len(lines), 1)
        if op == "drop" and lines:
            del lines[i]
        elif op == "dup" and lines:
            lines.insert(i, lines[i])
        elif op == "swap" and len(lines) > 1:
            j = (i + 1) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            lines.insert(i, junk)
        elif op == "digits" and lines:
            lines[i] = "".join(str(at) if ch.isdigit() else ch for ch in lines[i])
        elif op == "cut" and lines:
            lines[i] = lines[i][: at % (len(lines[i]) + 1)]
    check_total("\n".join(lines))


def check_total(text: str) -> None:
    """Parse: either a DiffError or a well-formed result; positive line numbers, known statuses."""
    try:
        result = parse_unified_diff(text)
    except DiffError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for path, change in result.files.items():
        assert isinstance(change, FileChange) and change.path == path and path
        assert change.status in {"added", "modified", "renamed", "deleted", "copied", "binary"}
        assert all(n > 0 for n in change.added_lines)
        assert change.measured or not change.added_lines


# ----------------------------------------------------------------------------- diff coverage


def fc(
    path: str, hits: dict[int, int], branches: dict[int, tuple[int, int]] | None = None
) -> FileCoverage:
    return FileCoverage.from_mappings(path, hits, branches)


def test_line_ranges_and_text() -> None:
    """Runs of consecutive numbers, as diff-cover's combine_adjacent_lines; unsorted input ok."""
    assert line_ranges([40, 12, 13, 14, 15, 16, 17, 18, 20]) == ((12, 18), (20, 20), (40, 40))
    assert format_ranges([40, 12, 13, 14, 15, 16, 17, 18, 20]) == "12-18, 20, 40"
    assert format_ranges([]) == ""
    assert format_ranges([7, 7]) == "7"


def test_diff_coverage_definitions() -> None:
    """coverable = changed ∩ report lines; uncovered = 0 hits; partial = hit with a branch missed."""
    report = CoverageReport(
        {
            "a.py": fc(
                "a.py",
                {1: 1, 2: 0, 3: 1, 5: 0, 6: 0, 8: 2, 9: 1},
                {3: (1, 2), 8: (2, 2), 6: (0, 2)},
            ),
            "b.py": fc("b.py", {1: 1}),
            "c.py": fc("c.py", {1: 0}),
            "r.py": fc("r.py", {1: 0}),
        },
        has_branches=True,
    )
    changes = parse_unified_diff(
        "--- a/a.py\n+++ b/a.py\n@@ -0,0 +1,9 @@\n"
        + "".join(f"+{n}\n" for n in range(1, 10))
        + "--- a/b.py\n+++ b/b.py\n@@ -1 +1,2 @@\n a\n+# comment\n"
        + "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-a\n+b\n"
        + "diff --git a/c.py b/c.py\nBinary files a/c.py and b/c.py differ\n"
        + "diff --git a/r.py b/r.py\ndeleted file mode 100644\n"
    )
    cov = diff_coverage(report, changes)
    a = cov.files["a.py"]
    assert a.changed == tuple(range(1, 10))
    assert a.coverable == (1, 2, 3, 5, 6, 8, 9)
    assert a.covered == (1, 3, 8, 9)
    assert a.uncovered == (2, 5, 6)
    assert a.partial == (3,)
    assert a.uncovered_text == "2, 5-6"
    assert a.counts == Counts(7, 4, 6, 3)
    assert a.percent == Fraction(400, 7)
    assert cov.files["b.py"].coverable == () and cov.files["b.py"].percent is None
    assert cov.not_in_report == ("README.md",)
    assert cov.not_measured == ("c.py",)
    assert not cov.complete
    assert "r.py" not in cov.files
    assert (cov.coverable, cov.covered, cov.uncovered, cov.partial) == (7, 4, 3, 1)


@settings(max_examples=200, deadline=None)
@given(
    hits=st.dictionaries(st.integers(1, 40), st.integers(0, 2), max_size=30),
    branches=st.dictionaries(
        st.integers(1, 40), st.tuples(st.integers(0, 3), st.integers(1, 3)), max_size=10
    ),
    changed=st.frozensets(st.integers(1, 45), max_size=30),
)
def test_diff_coverage_invariants(
    hits: dict[int, int], branches: dict[int, tuple[int, int]], changed: frozenset[int]
) -> None:
    """covered + uncovered = coverable = changed ∩ report lines; partial ⊆ covered; sums add."""
    branches = {n: (min(c, t), t) for n, (c, t) in branches.items() if n in hits}
    report = CoverageReport({"m.py": fc("m.py", hits, branches)}, has_branches=True)
    changes = ChangedLines({"m.py": FileChange("m.py", "m.py", "modified", changed)})
    cov = diff_coverage(report, changes)
    f = cov.files["m.py"]
    assert set(f.coverable) == changed & set(hits)
    assert sorted(f.covered + f.uncovered) == list(f.coverable)
    assert set(f.partial) <= set(f.covered)
    assert all(hits[n] == 0 for n in f.uncovered)
    assert [n for a, b in f.uncovered_ranges for n in range(a, b + 1)] == list(f.uncovered)
    assert cov.counts == f.counts and cov.coverable == len(f.coverable)


def test_diff_coverage_nothing_coverable() -> None:
    """No coverable changed line: percent is None (nothing to gate), not 100."""
    cov = diff_coverage(CoverageReport({}, False), parse_unified_diff(GIT_MODIFIED))
    assert cov.percent is None and cov.not_in_report == ("pkg/mod.py",)
    assert DiffCoverage().percent is None


# ----------------------------------------------------------------------------- real history


def clean_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "COVERAGE", "PYTEST", "PYTHON"))
    }
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
        PYTHONDONTWRITEBYTECODE="1",
        LC_ALL="C.UTF-8",
    )
    return env


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = clean_env(root.parent)
        root.mkdir()
        self.git("init", "-q", "-b", "main")

    def run(self, *args: str) -> str:
        proc = subprocess.run(args, cwd=self.root, env=self.env, capture_output=True, check=False)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
        return proc.stdout.decode("utf-8", "surrogateescape")

    def git(self, *args: str) -> str:
        return self.run("git", *args)

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for name, content in files.items():
            path = self.root / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def coverage(self, *, branch: bool) -> tuple[dict[str, Any], bytes]:
        py = sys.executable
        self.run(py, "-m", "coverage", "erase")
        run = [py, "-m", "coverage", "run", *(["--branch"] if branch else [])]
        self.run(*run, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
        self.run(py, "-m", "coverage", "xml", "-o", "coverage.xml")
        self.run(py, "-m", "coverage", "json", "-o", "coverage.json")
        data = json.loads((self.root / "coverage.json").read_text(encoding="utf-8"))
        return data, (self.root / "coverage.xml").read_bytes()

    def diff_cover(self, base: str, *extra: str) -> dict[str, Any]:
        out = self.root.parent / "diff-cover.json"
        tool = Path(sys.executable).with_name("diff-cover")
        cmd = [str(tool)] if tool.exists() else [sys.executable, "-m", "diff_cover.diff_cover_tool"]
        self.run(
            *cmd, "coverage.xml", f"--compare-branch={base}", "--json-report", str(out), *extra
        )
        return json.loads(out.read_text(encoding="utf-8"))


def report_from_coverage_json(data: dict[str, Any]) -> CoverageReport:
    """coverage.py's JSON as a CoverageReport: statements = executed + missing lines; branches
    grouped by source line (taken arcs / all arcs)."""
    files = {}
    for path, f in data["files"].items():
        hits = {n: 1 for n in f["executed_lines"]} | {n: 0 for n in f["missing_lines"]}
        per: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for src, _dst in f.get("executed_branches", []):
            per[src][0] += 1
            per[src][1] += 1
        for src, _dst in f.get("missing_branches", []):
            per[src][1] += 1
        files[path] = FileCoverage.from_mappings(
            path, hits, {k: (c, t) for k, (c, t) in per.items()}
        )
    return CoverageReport(files, has_branches=bool(data["meta"]["branch_coverage"]))


def report_from_cobertura(xml: bytes, root: Path) -> CoverageReport | None:
    """The project's own Cobertura parser, when it exists; paths made repository-relative."""
    try:
        from covaction.formats import cobertura
    except (ImportError, SyntaxError):
        return None
    parsed = cobertura.parse([xml], "coverage.xml")
    files = {}
    for f in parsed.files:
        path = f.path
        for src in parsed.roots:
            candidate = Path(src) / path
            if candidate.is_file():
                path = candidate.resolve().relative_to(root.resolve()).as_posix()
                break
        files[path] = f.with_path(path)
    return CoverageReport(files, has_branches=parsed.has_branches)


CALC_V1 = d("""
    def classify(n):
        if n < 0:
            return "negative"
        return "non-negative"


    def unused():
        return 1
""")

CALC_V2 = d("""
    def classify(n):
        if n < 0:
            return "negative"
        if n == 0:
            return "zero"
        if n > 1000:
            return "huge"
        return "positive"


    def unused():
        return 1


    def clamp(n, lo, hi):
        if n < lo:
            n = lo
        if n > hi:
            n = hi
        return n


    def never(x):
        y = x + 1
        # a comment line between uncovered lines breaks a range
        return y
""")

TEST_V1 = d("""
    from pkg.calc import classify


    def test_classify():
        assert classify(-1) == "negative"
""")

TEST_V2 = d("""
    import importlib.util
    import pathlib

    from pkg.calc import clamp, classify
    from pkg.new_name import double
    from pkg.café import greet


    def test_classify():
        assert classify(-1) == "negative"
        assert classify(0) == "zero"
        assert classify(5) == "positive"


    def test_clamp():
        assert clamp(5, 0, 3) == 3


    def test_others():
        assert double(2) == 4
        assert greet() == "salut"
        path = pathlib.Path(__file__).parent.parent / "pkg" / "my mod.py"
        spec = importlib.util.spec_from_file_location("my_mod", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        assert mod.one() == 1
""")


OLD_NAME = "\n\n".join(
    f"def {name}(x):\n    return x * {k}\n" for k, name in enumerate(["zero", "one", "double"])
)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Repo, str]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = Repo(tmp_path_factory.mktemp("real") / "repo")
    repo.write(
        {
            "pkg/__init__.py": "",
            "pkg/calc.py": CALC_V1,
            "pkg/old_name.py": OLD_NAME,
            "pkg/gone.py": "def f():\n    return 0\n",
            "tests/__init__.py": "",
            "tests/test_calc.py": TEST_V1,
            "README.md": "# demo\n",
            "data.bin": b"\x00\x01\x02",
        }
    )
    base = repo.commit("first")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(
        {
            "pkg/calc.py": CALC_V2,
            "pkg/old_name.py": None,
            "pkg/new_name.py": OLD_NAME + "\n\ndef triple(x):\n    return x * 3\n",
            "pkg/gone.py": None,
            "pkg/café.py": 'def greet():\n    return "salut"\n\n\ndef shout():\n    return "SALUT"\n',
            "pkg/my mod.py": "def one():\n    return 1\n\n\ndef two():\n    if one():\n        return 2\n",
            "tests/test_calc.py": TEST_V2,
            "README.md": "# demo\n\nMore words.\n",
            "data.bin": b"\x00\x01\x03\x04",
        }
    )
    repo.commit("second")
    return repo, base


@pytest.mark.slow
@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branches"])
def test_matches_diff_cover_on_real_history(history: tuple[Repo, str], branch: bool) -> None:
    """Same coverage.xml, same history: our coverable and uncovered changed lines are diff-cover's."""
    repo, base = history
    data, xml = repo.coverage(branch=branch)
    report = report_from_coverage_json(data)
    theirs = repo.diff_cover(base)

    # diff-cover's own git call, and the plain `git diff` a user would write to a file.
    dc_diff = repo.git(
        "-c",
        "diff.mnemonicprefix=no",
        "-c",
        "diff.noprefix=no",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "-U0",
        f"{base}...HEAD",
    )
    user_diff = repo.git("diff", f"{base}...HEAD")
    binary_diff = repo.git("diff", "--binary", "-M", f"{base}...HEAD")
    changes = parse_unified_diff(dc_diff)
    assert summary(parse_unified_diff(user_diff)) == summary(changes)
    assert summary(parse_unified_diff(binary_diff)) == summary(changes)

    # The parse itself agrees with diff-cover's parser, file by file.
    from diff_cover.diff_reporter import GitDiffReporter

    dc_lines = GitDiffReporter()._parse_diff_str(dc_diff)
    assert {p: sorted(c.added_lines) for p, c in changes.files.items()} == {
        p: sorted(added) for p, (added, _deleted) in dc_lines.items()
    }
    assert changes.files["pkg/café.py"].status == "added"
    assert changes.files["pkg/new_name.py"].old_path == "pkg/old_name.py"
    assert changes.files["pkg/gone.py"].status == "deleted"
    assert not changes.files["data.bin"].measured

    ours = diff_coverage(report, changes)
    assert_same_as_diff_cover(ours, theirs)
    assert ours.not_in_report == ("README.md", "data.bin")
    assert {"pkg/my mod.py", "pkg/café.py", "pkg/calc.py"} <= set(ours.files)

    calc = ours.files["pkg/calc.py"]
    assert calc.uncovered_text == "7, 17, 24, 26"
    if branch:
        # `if n > 1000`, `if n < lo` and `if n > hi` each go one way only.
        assert calc.partial == (6, 16, 18)
        with_partials = repo.diff_cover(base, "--branch-coverage")
        for path, stats in with_partials["src_stats"].items():
            f = ours.files[path]
            assert stats["violation_lines"] == sorted(f.uncovered + f.partial), path
    else:
        assert ours.partial == 0

    # The project's Cobertura parser on the very coverage.xml diff-cover read, when present.
    from_xml = report_from_cobertura(xml, repo.root)
    if from_xml is not None:
        assert_same_as_diff_cover(diff_coverage(from_xml, changes), theirs)


def assert_same_as_diff_cover(ours: DiffCoverage, theirs: dict[str, Any]) -> None:
    assert ours.coverable == theirs["total_num_lines"]
    assert ours.uncovered == theirs["total_num_violations"]
    measured = {p: f for p, f in ours.files.items() if f.coverable}
    assert set(measured) == set(theirs["src_stats"])
    for path, stats in theirs["src_stats"].items():
        assert list(measured[path].uncovered) == stats["violation_lines"], path
        assert list(measured[path].covered) == stats["covered_lines"], path


@pytest.mark.slow
def test_no_newline_divergence_from_diff_cover(tmp_path: Path) -> None:
    """diff-cover reads `\\ No newline at end of file` as a context line and shifts the lines
    after it by one; we do not. Ground truth is the two versions of the file."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    old = "def f(x):\n    return x"
    new = "def f(x):\n    return x\n\n\ndef g():\n    return 1\n"
    repo = Repo(tmp_path / "repo")
    repo.write(
        {
            "pkg/__init__.py": "",
            "pkg/tail.py": old,
            "tests/__init__.py": "",
            "tests/test_tail.py": "from pkg.tail import f\n\n\ndef test_f():\n    assert f(1) == 1\n",
        }
    )
    base = repo.commit("first")
    repo.write({"pkg/tail.py": new})
    repo.commit("second")
    data, _xml = repo.coverage(branch=False)
    diff = repo.git("diff", "-U0", f"{base}...HEAD")
    assert "\\ No newline at end of file" in diff
    changes = parse_unified_diff(diff)
    # Line 2 changed: it gained its newline. Lines 3-6 are new.
    assert changes.lines("pkg/tail.py") == {2, 3, 4, 5, 6}

    ours = diff_coverage(report_from_coverage_json(data), changes)
    assert ours.files["pkg/tail.py"].coverable == (2, 5, 6)
    assert ours.files["pkg/tail.py"].uncovered == (6,)
    theirs = repo.diff_cover(base)
    stats = theirs["src_stats"]["pkg/tail.py"]
    if theirs["total_num_lines"] != ours.coverable:
        # diff-cover's lines are ours shifted by one (3-7): it never sees line 2.
        assert theirs["total_num_lines"] == 2
        assert stats["covered_lines"] == [5] and stats["violation_lines"] == [6]


# ----------------------------------------------------------------------------- scale


def test_many_files_and_lines_random_seed() -> None:
    """A generated diff of 300 files agrees with difflib's ground truth for every file."""
    rng = random.Random(7)
    parts, truth = [], {}
    for i in range(300):
        old = [rng.choice("abcde") for _ in range(rng.randint(0, 60))]
        new = [rng.choice("abcdef") for _ in range(rng.randint(0, 60))]
        name = f"pkg/m{i}.py"
        body = "".join(
            difflib.unified_diff(
                [s + "\n" for s in old],
                [s + "\n" for s in new],
                f"a/{name}",
                f"b/{name}",
                n=rng.randint(0, 3),
            )
        )
        if body:
            parts.append(f"diff --git a/{name} b/{name}\nindex 1..2 100644\n" + body)
            truth[name] = expected_added(old, new)
    changes = parse_unified_diff("".join(parts))
    assert {p: set(c.added_lines) for p, c in changes.files.items()} == truth
