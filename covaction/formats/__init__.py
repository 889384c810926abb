"""Report formats: detection from content, and one parser per format into the common model."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from covaction.errors import ReportError
from covaction.formats import xmlstream
from covaction.model import ParsedReport

# Format name -> module under covaction.formats; detection tries them in this order.
MODULES = {
    "coveragepy": "coverage_db",
    "coverage-json": "coverage_json",
    "cobertura": "cobertura",
    "jacoco": "jacoco",
    "clover": "clover",
    "lcov": "lcov",
    "go": "gocover",
}
FORMATS = ("auto", *MODULES)


def module(fmt: str) -> ModuleType:
    return importlib.import_module(f"covaction.formats.{MODULES[fmt]}")


def available() -> tuple[str, ...]:
    out = []
    for fmt in MODULES:
        try:
            module(fmt)
        except ImportError:
            continue
        out.append(fmt)
    return tuple(out)


def detect(head: bytes, origin: str) -> str:
    """The format of a report from its first bytes (never from its name)."""
    if b"<!ENTITY" in head:
        # No coverage format declares entities; refuse before any parser sees them.
        raise ReportError(
            f"{origin}: the XML declares entities; coverage reports never need them, so it is "
            "refused as a possible entity-expansion or external-entity attack"
        )
    encoding = xmlstream.bom_encoding(head)
    if encoding is not None:
        # UTF-16/32 with a byte order mark (Windows tools): sniff the text, not its bytes.
        bom = 4 if "32" in encoding else 2
        head = head[bom:].decode(encoding, "ignore").encode("utf-8")
    for fmt in available():
        if module(fmt).sniff(head):
            return fmt
    shown = head[:40].decode("utf-8", "replace").replace("\n", " ")
    raise ReportError(
        f"{origin}: not a coverage report covaction recognises (starts with {shown!r}); "
        f"supported: {', '.join(available())}; set `format` to force one"
    )


def parse(fmt: str, chunks: Iterable[bytes], origin: str) -> ParsedReport:
    """Parse a streamed report of a known text format (not the `.coverage` data file)."""
    parsed: ParsedReport = module(fmt).parse(chunks, origin)
    return parsed
