"""XML reports saved as UTF-16 or UTF-32 with a byte order mark read like their UTF-8 original."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

import pytest

from covaction import formats
from covaction.errors import ReportError
from covaction.model import Counts, ParsedReport

REAL = Path(__file__).resolve().parent / "fixtures" / "real"
REPORTS = {
    "py/cov1.xml": "cobertura",
    "c/gcovr-cobertura.xml": "cobertura",
    "js/nyc-run1-cobertura.xml": "cobertura",
    "java/jacoco1.xml": "jacoco",
    "php/clover.xml": "clover",
    "js/c8-run1-clover.xml": "clover",
}
ENCODINGS = {
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}


def reencoded(data: bytes, encoding: str) -> bytes:
    """The report as a Windows tool saves it: BOM, text, and a declaration that says so."""
    text = data.decode("utf-8")
    label = encoding[:6].upper()  # "UTF-16" / "UTF-32", as writers declare it
    if text.startswith("<?xml"):
        end = text.index("?>")
        decl = text[:end]
        if "encoding=" in decl:
            decl = re.sub(r"""encoding=(["'])[^"']*\1""", f'encoding="{label}"', decl)
        else:
            decl += f' encoding="{label}"'
        text = decl + text[end:]
    return ENCODINGS[encoding] + text.encode(encoding)


def read(data: bytes, size: int) -> ParsedReport:
    fmt = formats.detect(data[:4096], "r.xml")
    return formats.parse(fmt, [data[i : i + size] for i in range(0, len(data), size)], "r.xml")


def summary(report: ParsedReport) -> tuple[object, ...]:
    counts = sum((f.counts for f in report.files), Counts())
    files = sorted((f.path, tuple(f.hits_map().items())) for f in report.files)
    return report.format, report.producer, report.metric, counts, files


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("size", [1, 7, 4096])
def test_utf16_and_utf32_reports_read_like_utf8(name: str, encoding: str, size: int) -> None:
    data = (REAL / name).read_bytes()
    original = read(data, 1 << 16)
    assert original.format == REPORTS[name]
    assert summary(read(reencoded(data, encoding), size)) == summary(original)


def test_a_utf16_report_without_a_declaration_reads_too() -> None:
    data = (REAL / "py" / "cov1.xml").read_bytes().split(b"?>", 1)[1].lstrip()
    original = read(data, 4096)
    assert summary(read(codecs.BOM_UTF16_LE + data.decode().encode("utf-16-le"), 5)) == summary(
        original
    )


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE
        + '<?xml version="1.0"?><coverage version="7.6">'.encode("utf-16-le")
        + b"\x00\xd8\x41",  # a lone surrogate, then an odd byte
        codecs.BOM_UTF32_LE + "<coverage><packages>".encode("utf-32-le") + b"\xff\xff\xff\xff",
        codecs.BOM_UTF16_BE + b"\x00",
    ],
)
def test_broken_utf16_or_utf32_is_one_report_error(data: bytes) -> None:
    with pytest.raises(ReportError):
        formats.parse("cobertura", [data[i : i + 3] for i in range(0, len(data), 3)], "r.xml")
