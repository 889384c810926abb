"""The Cobertura region reader gives exactly what the callback reader gives, for every document.

`cobertura.parse` reads most of a large report in regions (C-level byte patterns while expat
validates with no element handler) and hands any region it cannot prove plain to the callbacks.
Each test here parses a document twice, once chunked so that regions are read
(`regions=True`) and once by the callbacks alone (`regions=False`), and compares every file's
lines, hits and branches, or the error. A `RegionStats` passed to `parse` counts the regions
the region reader took, so a test of the fast path fails if the fast path silently stops being
used.
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covaction.errors import CovactionError
from covaction.formats import cobertura
from covaction.formats.regions import RegionStats
from covaction.model import BranchIds, FileCoverage
from tests.cobertura_documents import HEAD, PLAIN, TAIL, both, by_class, klass, lines, outcome
from tests.fuzzing import chunked, fuzz, mutated
from tests.sample import coverage, git


@pytest.fixture
def stats() -> RegionStats:
    """Counts the regions the region reader read and those it handed to the callbacks."""
    return RegionStats()


def test_plain_classes_are_read_as_regions_and_agree(stats: RegionStats) -> None:
    doc = HEAD + PLAIN + klass(lines(b'<line number="7" hits="3"/>'), b"pkg/b.py") + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["pkg/a.py"][1:] == (
        [1, 2, 3, 4, 5],
        [1, 0, 0, 1, 0],
        [3, 4, 5],
        [2, 2, 2],
        [1, 2, 0],
    )
    assert regions[2] is True
    assert stats.read == 2 and stats.declined == 0, (stats.read, stats.declined)


def test_istanbul_and_gcovr_branch_false_on_every_line(stats: RegionStats) -> None:
    body = lines(
        b'<line number="1" hits="1" branch="false"/>',
        b'<line number="2" hits="0" branch="false"/>',
        b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>',
    )
    regions, callbacks = both(HEAD + klass(body) + TAIL, stats=stats)
    assert regions == callbacks
    assert stats.read == 1


def test_methods_blocks_are_skipped_like_the_callbacks_skip_them(stats: RegionStats) -> None:
    methods = (
        b'<methods><method name="f" signature="()V"><lines><line number="1" hits="9"/>'
        b'<line number="99" hits="1"/></lines></method></methods>'
    )
    tag = b'<class name="a" filename="pkg/a.py">'
    doc = HEAD + b"<class" + tag[6:] + methods + lines(b'<line number="1" hits="0"/>')
    doc += b"</class>\n" + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert [f[1] for f in regions[0] if f[0] == "pkg/a.py"] == [[1]]  # 99 is a method's line
    assert stats.read == 1


def test_empty_lines_element_of_coverage_py_is_read_as_a_region(stats: RegionStats) -> None:
    # coverage.py writes `<lines/>` for a file without statements (an empty __init__.py).
    doc = HEAD + klass(b"\t\t\t\t\t<lines/>\n", b"pkg/__init__.py") + PLAIN + TAIL
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert [f[1] for f in regions[0] if f[0] == "pkg/__init__.py"] == [[]]
    assert stats.read == 2 and stats.declined == 0, (stats.read, stats.declined)


def test_gcovr_conditions_children_are_read_as_regions_and_agree(stats: RegionStats) -> None:
    body = (
        b"\t\t\t\t\t<lines>\n"
        b'\t\t\t\t\t\t<line number="5" hits="2" branch="false"/>\n'
        b'\t\t\t\t\t\t<line number="6" hits="2" branch="true" condition-coverage="75% (3/4)">\n'
        b"\t\t\t\t\t\t\t<conditions>\n"
        b'\t\t\t\t\t\t\t\t<condition number="0" type="jump" coverage="75%"/>\n'
        b"\t\t\t\t\t\t\t</conditions>\n"
        b"\t\t\t\t\t\t</line>\n"
        b'\t\t\t\t\t\t<line number="7" hits="0" branch="false"/>\n'
        b"\t\t\t\t\t</lines>\n"
    )
    regions, callbacks = both(HEAD + klass(body, b"src/main.c") + TAIL, stats=stats)
    assert regions == callbacks
    files = {f[0]: f for f in regions[0]}
    assert files["src/main.c"][1:] == ([5, 6, 7], [1, 1, 0], [6], [4], [3])
    assert stats.read == 1 and stats.declined == 0, (stats.read, stats.declined)


@pytest.mark.parametrize(
    "name", ["py/cov1.xml", "c/gcovr-cobertura.xml", "js/nyc-run1-cobertura.xml"]
)
def test_reports_the_real_tools_wrote_are_read_as_regions(name: str, stats: RegionStats) -> None:
    """coverage.py (comments on top, `<lines/>`), gcovr (`<conditions>`), Istanbul (methods)."""
    doc = (Path(__file__).parent / "fixtures" / "real" / name).read_bytes()
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    # Every class after the first is a region of its own (`by_class`); all are read as regions.
    assert stats.read == doc.count(b"</class>") - 1 and stats.declined == 0, (
        stats.read,
        stats.declined,
    )


# Documents a byte-pattern reader would read differently from XML: each must agree with the
# callbacks, because the region reader declines the region or reads it as XML would.
TRICKY = {
    "comment hiding a class": b'<!-- <class filename="evil.py"><lines><line number="1" hits="1"/></lines></class> -->'
    + klass(lines(b'<line number="1" hits="0"/>')),
    "comment inside lines": klass(
        lines(b'<line number="1" hits="0"/>', b'<!-- <line number="2" hits="1"/> -->')
    ),
    "CDATA with tags": klass(
        lines(b'<line number="1" hits="0"/>', b'<![CDATA[<line number="2" hits="1"/>]]>')
    ),
    "processing instruction": klass(
        lines(b'<?pi <line number="2" hits="1"/>?>', b'<line number="1" hits="0"/>')
    ),
    "gt inside a value before branch attributes": klass(
        lines(b'<line number="1" hits="1" x="a>b" branch="true" condition-coverage="100% (2/2)"/>')
    ),
    "branch attributes in text after a tag": klass(
        lines(b'<line number="1" hits="1"/> branch="true" condition-coverage="50% (1/2)"')
    ),
    "branch attributes in text after a tag, then />": klass(
        lines(b'<line number="1" hits="1"/> branch="true" condition-coverage="50% (1/2)"/>')
    ),
    "single-quoted attributes": klass(
        lines(b"<line number='1' hits='1'/>", b'<line number="2" hits="0"/>')
    ),
    "single-quoted branch": klass(
        lines(b'<line number="1" hits="1" branch=\'true\' condition-coverage="50% (1/2)"/>')
    ),
    "character reference in hits": klass(lines(b'<line number="1" hits="&#49;"/>')),
    "character reference in a filename": klass(
        lines(b'<line number="1" hits="1"/>'), b"pkg/&#97;.py"
    ),
    "entity reference in a filename": klass(lines(b'<line number="1" hits="1"/>'), b"a&amp;b.py"),
    "tab in a filename": klass(lines(b'<line number="1" hits="1"/>'), b"pkg/a\tb.py"),
    "newline in a condition": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="50%\n(1/2)"/>')
    ),
    "digits between tags": klass(
        lines(b'<line number="1" hits="0"/>7', b'<line number="2" hits="1"/>')
    ),
    "a digit in a tag name": klass(
        lines(b'<line number="1" hits="0"/>', b'<li1ne number="2" hits="1"/>')
    ),
    "a digit in the first tag's name": klass(
        lines(b'<li1ne number="2" hits="1"/>', b'<line number="1" hits="0"/>')
    ),
    "a digit in an attribute name": klass(
        lines(b'<line number="1" hits="0"/>', b'<line number="2" hi1ts="1"/>')
    ),
    "a digit in the condition's name": klass(
        lines(b'<line number="1" hits="1" branch="true" condi1tion-coverage="50% (1/2)"/>')
    ),
    "a digit in the branch's value": klass(
        lines(b'<line number="1" hits="1" branch="1false"/>', b'<line number="2" hits="1"/>')
    ),
    "a digit after the branch counts": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)7"/>')
    ),
    "a digit after the percentage": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="50%7 (1/2)"/>')
    ),
    "no covered count": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="50% (/2)"/>')
    ),
    "an empty hits": klass(lines(b'<line number="1" hits=""/>', b'<line number="2" hits="1"/>')),
    "missing-branches without branch counts": klass(
        lines(b'<line number="1" hits="1" missing-branches="3"/>')
    ),
    "missing-branches not UTF-8": klass(
        lines(
            b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)" '
            b'missing-branches="\xff"/>'
        )
    ),
    "Istanbul's and coverage.py's tags mixed": klass(
        lines(
            b'<line number="1" hits="1"/>',
            b'<line number="2" hits="0" branch="false"/>',
            b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)"/>',
            b'<line number="4" hits="1" branch="true" condition-coverage="0% (0/2)" '
            b'missing-branches="5,exit"/>',
        )
    ),
    "a nested coverage element naming a producer": b'<coverage version="gcovr 5.2">'
    + klass(lines(b'<line number="1" hits="1"/>'))
    + b"</coverage>",
    "text between tags": klass(
        lines(b'<line number="1" hits="0"/>x', b'<line number="2" hits="1"/>x')
    ),
    "empty element between tags": klass(
        lines(b'<line number="1" hits="0"/><b/>', b'<line number="2" hits="1"/><b/>')
    ),
    "line without attributes": klass(lines(b'<line number="1" hits="0"/>', b"<line/>")),
    "line tag written open and closed": klass(lines(b'<line number="1" hits="1"></line>')),
    "line tag with a newline inside": klass(lines(b'<line\nnumber="1" hits="1"/>')),
    "attributes in another order": klass(lines(b'<line hits="1" number="1"/>')),
    "spaces around equals": klass(lines(b'<line number = "1" hits="1"/>')),
    "leading zeros": klass(
        lines(b'<line number="007" hits="00"/>', b'<line number="8" hits="01"/>')
    ),
    "float hits": klass(lines(b'<line number="1" hits="1.0"/>', b'<line number="2" hits="0.0"/>')),
    "hits past 64 bits": klass(lines(b'<line number="1" hits="99999999999999999999999"/>')),
    "number past 64 bits": klass(lines(b'<line number="99999999999999999999999" hits="1"/>')),
    "number zero": klass(lines(b'<line number="0" hits="1"/>')),
    "number too large": klass(lines(b'<line number="10000001" hits="1"/>')),
    "empty number": klass(lines(b'<line number="" hits="1"/>')),
    "negative hits": klass(lines(b'<line number="1" hits="-1"/>')),
    "lines out of order and repeated": klass(
        lines(
            b'<line number="5" hits="0"/>',
            b'<line number="2" hits="1"/>',
            b'<line number="5" hits="3"/>',
        )
    ),
    "branch true without counts": klass(lines(b'<line number="1" hits="1" branch="true"/>')),
    "branch false with counts": klass(
        lines(b'<line number="1" hits="1" branch="false" condition-coverage="100% (2/2)"/>')
    ),
    "branch True": klass(
        lines(b'<line number="1" hits="1" branch="True" condition-coverage="50% (1/2)"/>')
    ),
    "branch total zero": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="0% (0/0)"/>')
    ),
    "branch covered above total": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="300% (3/1)"/>')
    ),
    "branch total past the cap": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="0% (0/2000000)"/>')
    ),
    "decimal percentage": klass(
        lines(b'<line number="1" hits="1" branch="true" condition-coverage="33.33% (1/3)"/>')
    ),
    "conditions children": klass(
        lines(
            b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"><conditions>'
            b'<condition number="0" type="jump" coverage="50%"/></conditions></line>'
        )
    ),
    "a line inside conditions": klass(
        lines(
            b'<line number="1" hits="0" branch="true" condition-coverage="50% (1/2)"><conditions>'
            b'<line number="2" hits="1"/></conditions></line>'
        )
    ),
    "conditions with uneven whitespace": klass(
        lines(
            b'<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"><conditions>'
            b'<condition number="0" type="jump" coverage="50%"/></conditions></line>',
            b'<line number="2" hits="1" branch="true" condition-coverage="50% (1/2)"> <conditions>'
            b'<condition number="0" type="jump" coverage="50%"/></conditions>\n</line>',
        )
    ),
    "conditions after a tag that is no line": klass(
        lines(b'<x a="1"><conditions></conditions></line>', b'<line number="1" hits="1"/>')
    ),
    "lines directly in the class": klass(
        b'<line number="3" hits="1"/>\n' + lines(b'<line number="1" hits="1"/>')
    ),
    "two lines blocks": klass(
        lines(b'<line number="1" hits="1"/>') + lines(b'<line number="2" hits="0"/>')
    ),
    "lines between classes": klass(lines(b'<line number="1" hits="0"/>'))
    + b'<line number="9" hits="1"/>\n'
    + klass(lines(b'<line number="2" hits="1"/>'), b"pkg/b.py"),
    "a class repeated": klass(lines(b'<line number="1" hits="0"/>'))
    + klass(lines(b'<line number="1" hits="1"/>', b'<line number="2" hits="0"/>')),
    "a class without filename": klass(
        lines(b'<line number="1" hits="1"/>'), tag=b'<class name="a">'
    ),
    "an empty filename": klass(lines(b'<line number="1" hits="1"/>'), b""),
    "a class tag with a newline": klass(
        lines(b'<line number="1" hits="1"/>'), tag=b'<class\nfilename="pkg/a.py">'
    ),
    "a self-closing class": b'<class filename="pkg/z.py"/>\n'
    + klass(lines(b'<line number="1" hits="1"/>')),
    "filename in another attribute's value": klass(
        lines(b'<line number="1" hits="1"/>'),
        tag=b'<class name="q filename=" y="1" filename="pkg/r.py">',
    ),
    "source after the packages start": b"<sources><source>/elsewhere</source></sources>\n"
    + klass(lines(b'<line number="1" hits="1"/>')),
    "nested methods": klass(
        b'<methods><methods/><line number="9" hits="1"/></methods>\n'
        + lines(b'<line number="1" hits="0"/>')
    ),
    "methods closed with a space": klass(
        b'<methods><line number="9" hits="1"/></methods >\n' + lines(b'<line number="1" hits="0"/>')
    ),
    "methods with attributes": klass(
        b'<methods a="b"><line number="9" hits="1"/></methods>\n'
        + lines(b'<line number="1" hits="0"/>')
    ),
    "methods with attributes hiding lines": klass(
        b'<methods a="b"><method><lines><line number="9" hits="1"/></lines></method></methods>\n'
        + lines()
    ),
    "unclosed methods": klass(b"<methods>\n" + lines(b'<line number="1" hits="0"/>'))
    + b"</methods>",
    "non-ASCII filename": klass(lines(b'<line number="1" hits="1"/>'), "pkg/é漢.py".encode()),
    "namespaced line": klass(
        lines(b'<x:line xmlns:x="u" number="1" hits="1"/>', b'<line number="2" hits="0"/>')
    ),
    "malformed after a plain class": klass(lines(b'<line number="1" hits="1"/>')) + b"<broken",
}


@pytest.mark.parametrize("middle", TRICKY.values(), ids=TRICKY.keys())
def test_tricky_regions_agree_with_the_callbacks(middle: bytes) -> None:
    doc = HEAD + middle + TAIL
    regions, callbacks = both(doc)
    assert regions == callbacks
    # Also cut at every 7th byte: regions then end wherever a chunk's last </class> is.
    assert both(doc, [doc[i : i + 7] for i in range(0, len(doc), 7)])[0] == callbacks


def test_a_nested_coverage_element_naming_a_producer_is_read_by_the_callbacks() -> None:
    """The callbacks take the producer from the first <coverage> that names one: a plain
    region holding a nested one must not be read past it (the headline's rule would differ)."""
    head = HEAD.replace(b'version="7.6.1" ', b"").replace(
        b"\t<!-- Generated by coverage.py: https://coverage.readthedocs.io/en/7.6.1 -->\n", b""
    )
    doc = head + TRICKY["a nested coverage element naming a producer"] + TAIL
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert callbacks[4] == "gcovr"


# A document of TRICKY for each guard of the region reader, which a reading of the bytes alone
# gets wrong (as the comment says): the region reader declines the region, the callbacks read
# it as XML means it, and the files are those expat's reading gives (pkg/first.py left out).
A = "pkg/a.py"
GUARDED: dict[str, list[tuple[Any, ...]]] = {
    "comment hiding a class": [(A, [1], [0])],  # evil.py read
    "CDATA with tags": [(A, [1], [0])],  # line 2 read
    "processing instruction": [(A, [1], [0])],  # line 2 read
    "nested methods": [(A, [1, 9], [0, 1])],  # the block cut at the first </methods>: 9 lost
    "character reference in a filename": [(A, [1], [1])],  # pkg/&#97;.py
    "tab in a filename": [("pkg/a b.py", [1], [1])],  # a tab, where XML reads a space
    "lines directly in the class": [(A, [1, 3], [1, 1])],  # line 3 lost
    "namespaced line": [(A, [2], [0])],  # <x:line> read as a line
    "a digit in the branch's value": [(A, [1, 2], [1, 1], [], [], [])],  # a branch line
    "gt inside a value before branch attributes": [(A, [1], [1], [1], [2], [2])],  # branches lost
    "digits between tags": [(A, [1, 2], [0, 1])],  # values shifted
    "branch total past the cap": [(A, [1], [1], [], [], [])],  # read as branches
    "missing-branches without branch counts": [(A, [1], [1], [], [], [])],  # an id, no branch
    "a line inside conditions": [(A, [1, 2], [0, 1], [1], [2], [1])],  # line 2 lost
}


@pytest.mark.parametrize("key", GUARDED)
def test_each_guard_hands_what_only_xml_reads_right_to_the_callbacks(
    key: str, stats: RegionStats
) -> None:
    regions, callbacks = both(HEAD + TRICKY[key] + TAIL, stats=stats)
    assert regions == callbacks
    assert (stats.read, stats.declined) == (0, 1)
    expected = GUARDED[key]
    assert [f[: len(expected[0])] for f in regions[0] if f[0] != "pkg/first.py"] == expected


PROLOGS = {
    "internal subset with attribute defaults": (
        b'<?xml version="1.0"?>\n<!DOCTYPE coverage [<!ATTLIST line branch CDATA "true" '
        b'condition-coverage CDATA "50% (1/2)">]>\n'
    ),
    "Latin-1 declared": b'<?xml version="1.0" encoding="ISO-8859-1"?>\n',
}


@pytest.mark.parametrize("prolog", PROLOGS.values(), ids=PROLOGS.keys())
def test_prologs_that_change_meaning_turn_regions_off(prolog: bytes, stats: RegionStats) -> None:
    tags = b'<line number="1" hits="1"/>'
    name = b"pkg/\xe9.py" if b"ISO" in prolog else b"pkg/a.py"
    doc = (
        prolog
        + HEAD.split(b"?>\n", 1)[1]
        + klass(lines(tags), name)
        + klass(lines(tags), b"b.py")
        + TAIL
    )
    regions, callbacks = both(doc, stats=stats)
    assert regions == callbacks
    assert not isinstance(regions[0], type), regions
    assert stats.read == 0
    if b"ATTLIST" in prolog:
        assert regions[2] is True  # the defaults made every line a branch line


def test_utf16_documents_are_transcoded_and_read_by_regions_too(stats: RegionStats) -> None:
    """A UTF-16 report reaches both readers as UTF-8 (`xmlstream.utf8`): they agree."""
    doc = (
        (HEAD + PLAIN + PLAIN + TAIL)
        .decode()
        .replace('<?xml version="1.0" ?>', '<?xml version="1.0" encoding="UTF-16"?>')
    )
    data = doc.encode("utf-16")
    regions, callbacks = both(
        data, [data[i : i + 64] for i in range(0, len(data), 64)], stats=stats
    )
    assert regions == callbacks and not isinstance(regions[0], type)
    assert stats.read > 0


def test_utf16_documents_are_streamed_not_held() -> None:
    """UTF-16 has no byte `</class>` to cut at: it goes to expat chunk by chunk at once."""
    data = (HEAD + b"<broken" + PLAIN * 50 + TAIL).decode().encode("utf-16")
    pulled = 0

    def chunks() -> Iterator[bytes]:
        nonlocal pulled
        for i in range(0, len(data), 64):
            pulled += 1
            yield data[i : i + 64]

    with pytest.raises(CovactionError, match="not well-formed"):
        cobertura.parse(chunks(), "c.xml")
    assert pulled < len(data) // 64 // 2, pulled


def test_a_class_past_the_region_cap_goes_to_the_callbacks(stats: RegionStats) -> None:
    big = klass(lines(*(b'<line number="%d" hits="1"/>' % n for n in range(1, 90))), b"big.py")
    doc = HEAD + PLAIN + big + PLAIN + TAIL
    regions, callbacks = both(
        doc,
        [doc[i : i + 50] for i in range(0, len(doc), 50)],
        stats=stats,
        max_region=len(HEAD) + len(PLAIN),
    )
    assert regions == callbacks
    assert stats.read == 1  # the first PLAIN; then the callbacks read on to the end


# ------------------------------------------------------------------- real coverage.py reports

MODULE = """\
def f{n}(x):
    if x > {n}:
        return "big"
    total = 0
    for i in range(x):
        total += i
    return total


def g{n}(y):
    while y > 0:
        y -= 1
    return y if y else -1


def unused{n}():
    return [{n}]
"""


@pytest.fixture(scope="module", params=[False, True], ids=["lines", "branches"])
def real_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """coverage.py's own XML and JSON for a package of 40 modules, with and without --branch."""
    root = tmp_path_factory.mktemp("many")
    pkg = root / "many"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for n in range(40):
        (pkg / f"m{n}.py").write_text(MODULE.format(n=n))
    (root / "run.py").write_text(
        textwrap.dedent("""\
        import importlib
        for n in range(0, 40, 3):
            m = importlib.import_module(f"many.m{n}")
            getattr(m, f"f{n}")(n + 2)
            getattr(m, f"g{n}")(n % 2)
        """)
    )
    git(root, "init", "-q")
    args = ["run", "--branch"] if request.param else ["run"]
    coverage(root, *args, "--source=many", "run.py")
    coverage(root, "xml", "-o", "coverage.xml")
    coverage(root, "json", "-o", "coverage.json")
    return root


def test_real_reports_agree_with_the_callbacks_and_coverage_json(
    real_report: Path, stats: RegionStats
) -> None:
    doc = (real_report / "coverage.xml").read_bytes()
    regions, callbacks = both(
        doc, [doc[i : i + 4096] for i in range(0, len(doc), 4096)], stats=stats
    )
    assert regions == callbacks
    assert stats.read >= 5 and stats.declined == 0, (stats.read, stats.declined)
    truth = json.loads((real_report / "coverage.json").read_text())["files"]
    for path, got_lines, hits, blines, btotal, bcovered in regions[0]:
        f = truth[path]
        assert got_lines == sorted(f["executed_lines"] + f["missing_lines"]), path
        assert [n for n, h in zip(got_lines, hits) if h] == f["executed_lines"], path
        if "executed_branches" in f:
            total = sum(btotal) if btotal else 0
            assert total == f["summary"]["num_branches"], path
            assert sum(bcovered) == f["summary"]["covered_branches"], path


# ----------------------------------------------------------------------------- properties

TAG_PARTS = st.sampled_from(
    [
        b'<line number="1" hits="1"/>',
        b'<line number="2" hits="0"/>',
        b'<line number="3" hits="4" branch="true" condition-coverage="50% (1/2)" missing-branches="7"/>',
        b'<line number="4" hits="0" branch="false"/>',
        b'<line number="0" hits="1"/>',
        b'<line number="05" hits="00"/>',
        b'<line number="6" hits="1.0"/>',
        b"<line number='6' hits='1'/>",
        b"<line/>",
        b'<line number="7" hits="1" branch="true"/>',
        b'<line number="8" hits="1" branch="true" condition-coverage="50% (5/2)"/>',
        b"<!-- x -->",
        b'<!-- <line number="9" hits="1"/> -->',
        b"<![CDATA[<line>]]>",
        b"<?p?>",
        b"<methods/>",
        b"<methods>",
        b"</methods>",
        b'<methods><line number="9" hits="1"/></methods>',
        b"<lines>",
        b"</lines>",
        b" ",
        b"\n\t",
        b"7",
        b"x",
        b'"',
        b"&amp;",
        b"<b/>",
        b'<class filename="c.py">',
        b"<class>",
        b"</class>",
        b"<source>s</source>",
        b"<lines/>",
        b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)">'
        b'<conditions><condition number="0" type="jump" coverage="50%"/></conditions></line>',
        b'<line number="9" hits="1"><conditions>\n</conditions>\n</line>',
        b"<conditions>",
        b"</conditions>",
        b'<condition number="0"/>',
        # What expat must see for itself (tests/test_cobertura_region_feed.py)
        b"\r",
        b"\r\n",
        b"\x0b",
        b"\x00",
        b'<line number="3" hits="4" branch="true" condition-coverage="50% (1/2)" missing-branches="\x01"/>',
        b'<line number="3" hits="4" branch="true" condition-coverage="50% (1/2)" missing-branches="\xef\xbf\xbf"/>',
        b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)">'
        b'<conditions>&<condition number="0" type="jump" coverage="50%"/></conditions></line>',
        b'<line number="3" hits="1" branch="true" condition-coverage="50% (1/2)">'
        b'<conditions><condition 0number="0" type="jump" coverage="50%"/></conditions></line>',
        b"</line>",
        # Empty values and digits beside them (tests/test_region_values.py)
        b'<line number="" hits="1"/>',
        b'<line number=3"" hits="1"/>',
        b'<line number="" h3its="1"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (/2)"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/)"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage="% (1/2)"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage="% 3(1/2)"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage=7"% (1/2)"/>',
        b'<line number="5" hits="1" branch="true" condition-coverage="50% (1/2)" x/>',
        b"3",
    ]
)


@st.composite
def class_documents(draw: st.DrawFn) -> bytes:
    classes = []
    for k in range(draw(st.integers(1, 4))):
        inner = b"".join(draw(st.lists(TAG_PARTS, max_size=12)))
        name = draw(st.sampled_from([b"a.py", b"b.py", b"a.py", b"d&amp;.py", b"e\tf.py"]))
        classes.append(klass(b"\t\t\t\t\t<lines>\n" + inner + b"\n\t\t\t\t\t</lines>\n", name))
    return HEAD + b"".join(classes) + TAIL


@fuzz
@given(doc=class_documents(), cuts=st.lists(st.integers(0, 10**6), max_size=8))
def test_regions_and_callbacks_agree_on_generated_documents(doc: bytes, cuts: list[int]) -> None:
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert both(doc, chunked(doc, cuts))[0] == callbacks


REAL = Path(__file__).parent / "fixtures" / "real"
SEEDS = [
    (REAL / "py" / "cov1.xml").read_bytes(),
    (REAL / "c" / "gcovr-cobertura.xml").read_bytes(),
    (REAL / "js" / "nyc-run1-cobertura.xml").read_bytes(),
    HEAD + PLAIN + TAIL,
]


@fuzz
@given(doc=mutated(SEEDS), cuts=st.lists(st.integers(0, 10**6), max_size=4))
def test_regions_and_callbacks_agree_on_mutated_reports(doc: bytes, cuts: list[int]) -> None:
    """The real tools' reports with a few random edits (a byte flipped, inserted or deleted, a
    number changed, a line repeated, ...): read by class, and cut anywhere, as by the callbacks
    (errors with their line and column included, where expat parses less of a region)."""
    regions, callbacks = both(doc)
    assert regions == callbacks
    assert both(doc, chunked(doc, cuts))[0] == callbacks


def _every(doc: bytes, size: int) -> list[bytes]:
    return [doc[i : i + size] for i in range(0, len(doc), size)]


def _split_at(doc: bytes, *marks: bytes) -> list[bytes]:
    cuts = [doc.index(m) for m in marks]
    return [doc[a:b] for a, b in zip([0, *cuts], [*cuts, len(doc)], strict=True)]


LATIN1 = b'<?xml version="1.0" encoding="ISO-8859-1"?><coverage><class filename="x"></class>'
# Found by differential fuzzing: each once differed by reader or by where the chunks fell.
CHUNKING = {
    "a bad line, then truncated: the XML error wins": (
        b'<coverage><class filename="a"><line number="0" hits="1"/></class>',
        [],
    ),
    "a bad line, then a mismatched tag": (
        b'<coverage><class filename="a"><line/></class></x>',
        [],
    ),
    'branch="True" in a later batch': (
        b'<coverage><class filename="a"><line number="1" hits="1.0"/></class>'
        b'<line number="2" hits="1" branch="True" condition-coverage="50% (1/2)"/></coverage>',
        [],
    ),
    "&#10; in a condition does not shift the next line's counts": (
        b'<coverage><class filename="a"><line number="1" hits="1" branch="true" '
        b'condition-coverage="(1/2)&#10;(3/4)"/></class><line number="2" hits="1" '
        b'branch="true" condition-coverage="x"/></coverage>',
        [],
    ),
    'an empty hits="" is an error in bulk too': (
        b'<coverage><class filename="a"><line number="1" hits="1.0"/></class>'
        b'<line number="2" hits="1"/><line number="3" hits=""/></coverage>',
        [],
    ),
    "5000 digits of hits are covered, in bulk and singly": (
        b'<coverage><class filename="a"><line number="1" hits="' + b"1" * 5000 + b'"/></class>'
        b'<line number="2" hits="1.0"/></coverage>',
        [],
    ),
    "</class> inside <methods>": (
        b'<coverage><class filename="a"><methods><class></class><line number="9" hits="1"/>'
        b"</methods></class></coverage>",
        [],
    ),
    "Latin-1, a chunk ends inside <methods>": (
        LATIN1 + b'<class filename="a"><methods><line number="9" hits="1"/></methods></class>'
        b"</coverage>",
        [b"<line"],
    ),
}


@pytest.mark.parametrize("name", list(CHUNKING))
def test_no_reader_and_no_chunking_changes_the_outcome(name: str) -> None:
    doc, marks = CHUNKING[name]
    reference = outcome(lambda: cobertura.parse([doc], "c.xml", regions=False))
    for chunks in (list(by_class(doc)), _split_at(doc, *marks), _every(doc, 7)):
        for regions in (True, False):
            got = outcome(lambda: cobertura.parse(iter(chunks), "c.xml", regions=regions))
            assert got == reference, (regions, chunks)


def test_lines_under_methods_are_skipped_across_chunks_with_regions_off() -> None:
    for doc in (
        CHUNKING["Latin-1, a chunk ends inside <methods>"][0],
        '<coverage><class filename="a"><methods><line number="9" hits="1"/></methods>'
        "</class></coverage>".encode("utf-16"),
    ):
        for size in (1, 3, 16, 64):
            report = cobertura.parse(_every(doc, size), "c.xml")
            assert [f.lines.tolist() for f in report.files if f.path == "a"] == [[]], size


def test_a_large_chunk_is_read_in_several_regions(stats: RegionStats) -> None:
    """A chunk holding many classes is cut at `</class>`es about `region_size` bytes apart."""
    classes = [PLAIN.replace(b"pkg/a.py", b"pkg/m%d.py" % n) for n in range(30)]
    doc = HEAD + b"".join(classes) + TAIL
    regions, callbacks = both(
        doc, [doc[: len(HEAD)], doc[len(HEAD) :]], stats=stats, region_size=1200
    )
    assert regions == callbacks
    assert stats.read > 5 and stats.declined == 0, (stats.read, stats.declined)


def test_branch_ids_are_attached_keeping_every_field() -> None:
    """coverage.py's branch ids are attached by building each FileCoverage again field by field
    (not `dataclasses.replace`, which costs more than the rest for small files): a field added
    to FileCoverage must be added there too, or it would be lost for coverage.py's reports. So
    coverage.py's files equal those of the same report from an unnamed producer in every field
    but the branch ids."""
    doc = HEAD + PLAIN + TAIL
    anonymous = doc.replace(b'version="7.6.1" ', b"").replace(
        b"\t<!-- Generated by coverage.py: https://coverage.readthedocs.io/en/7.6.1 -->\n", b""
    )
    with_ids = cobertura.parse([doc], "c.xml")
    without = cobertura.parse([anonymous], "c.xml")
    assert (with_ids.producer, without.producer) == ("coverage.py", "")
    fields = "path lines hits branch_lines branch_total branch_covered units branch_ids metric"
    assert {f.name for f in dataclasses.fields(FileCoverage) if f.init} == set(fields.split())
    assert len(with_ids.files) == len(without.files) == 2
    for got, plain in zip(with_ids.files, without.files, strict=True):
        for field in dataclasses.fields(FileCoverage):
            if field.name not in ("branch_ids", "metric"):
                assert getattr(got, field.name) == getattr(plain, field.name), field.name
        assert plain.branch_ids is None
        # Each file is read as its report's metric (coverage.py's, or lines for an unnamed tool).
        assert (got.metric, plain.metric) == (with_ids.metric, without.metric)
    ids = with_ids.files[1].branch_ids
    assert ids is not None and dict(ids) == {
        3: BranchIds(frozenset({"5"})),
        4: BranchIds(frozenset()),
        5: BranchIds(frozenset({"6", "exit"})),
    }
