"""A hardened, streaming expat parser shared by the XML formats (defusedxml's protections).

Entity declarations (billion laughs, quadratic blowup) and external references (XXE, external
DTDs) are refused exactly as defusedxml does; a plain `<!DOCTYPE ...>` line, which JaCoCo and
old Cobertura producers write, is allowed. Data is fed in chunks so memory tracks what the
handlers keep, not the document.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable, Iterator
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from covaction.errors import ReportError

CHUNK = 1 << 20


def _forbid_entity(name: str, *args: object) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_unparsed(name: str, *args: object) -> None:
    raise EntitiesForbidden(name, None, None, None, None, None)


def _forbid_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


# Byte order marks, longest first (UTF-32LE's starts like UTF-16LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = re.compile(r"""\A(<\?xml[^>]*?\sencoding\s*=\s*)(["'])[^"']*\2""")


def bom_encoding(head: bytes) -> str | None:
    """The UTF-16/UTF-32 encoding a byte order mark announces, None without one."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def utf8(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The document as UTF-8 when it starts with a UTF-16 or UTF-32 byte order mark.

    Windows tools (PowerShell's `Out-File`, some .NET writers) save Cobertura as UTF-16; expat
    reads UTF-16 but not UTF-32, and the readers' byte patterns are UTF-8. The text is decoded
    incrementally (memory stays per chunk) and the declaration's `encoding=` becomes UTF-8.
    Anything else passes through untouched; undecodable data is one ReportError at the caller
    (`feed` turns the decoder's ValueError into it).
    """
    it = iter(chunks)
    head = b""
    for chunk in it:
        head += chunk
        if len(head) >= 4:
            break
    encoding = bom_encoding(head)
    if encoding is None:
        if head:
            yield head
        yield from it
        return
    decoder = codecs.getincrementaldecoder(encoding)()
    text = decoder.decode(head[len(codecs.BOM_UTF32 if "32" in encoding else codecs.BOM_UTF16) :])
    first = True
    for chunk in it:
        text += decoder.decode(chunk)
        if first and len(text) < 400 and "?>" not in text:
            continue  # the whole declaration first, to rewrite it
        if first:
            text = _DECLARED.sub(r"\1\2UTF-8\2", text, count=1)
            first = False
        yield text.encode("utf-8")
        text = ""
    text += decoder.decode(b"", True)
    if first:
        text = _DECLARED.sub(r"\1\2UTF-8\2", text, count=1)
    if text:
        yield text.encode("utf-8")


def make_parser() -> expat.XMLParserType:
    """An expat parser with defusedxml's protections and no other handlers set."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _forbid_entity
    parser.UnparsedEntityDeclHandler = _forbid_unparsed
    parser.ExternalEntityRefHandler = _forbid_external
    parser.buffer_text = True
    parser.ordered_attributes = True
    return parser


def feed(
    parser: expat.XMLParserType,
    chunks: Iterable[bytes],
    origin: str,
    fmt: str,
    column: Callable[[int, int, int], int] | None = None,
) -> None:
    """Feed all chunks and finish; every failure becomes one ReportError naming the file.

    `column(byte index, line, column)`: the document's column of an error expat reports (the
    chunks may leave out what a region reader proved well-formed: `regions.Removed`).

    The parser's handlers are dropped at the end: a reader's handlers are closures over what
    it builds (and often over the parser), a reference cycle that only a full garbage
    collection, which the command does not run (`cli.young_garbage_only`), would free."""
    try:
        _feed(parser, chunks, origin, fmt, column)
    finally:
        for name in _HANDLERS:
            setattr(parser, name, None)


_HANDLERS = (
    "StartElementHandler",
    "EndElementHandler",
    "CharacterDataHandler",
    "CommentHandler",
    "XmlDeclHandler",
    "StartDoctypeDeclHandler",
    "ProcessingInstructionHandler",
)


def _feed(
    parser: expat.XMLParserType,
    chunks: Iterable[bytes],
    origin: str,
    fmt: str,
    column: Callable[[int, int, int], int] | None,
) -> None:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        at = exc.offset if column is None else column(parser.ErrorByteIndex, exc.lineno, exc.offset)
        raise ReportError(
            f"{origin}: not well-formed {fmt} XML ({expat.ErrorString(exc.code)} at line "
            f"{exc.lineno}, column {at}); regenerate the report"
        ) from None
    except (EntitiesForbidden, DTDForbidden) as exc:
        raise ReportError(
            f"{origin}: the XML declares entities ({type(exc).__name__}); coverage reports never "
            "need them, so it is refused as a possible entity-expansion attack"
        ) from None
    except ExternalReferenceForbidden:
        raise ReportError(
            f"{origin}: the XML references an external entity; refused (XXE protection)"
        ) from None
    except RecursionError:
        raise ReportError(f"{origin}: the XML nests too deeply to be a coverage report") from None
    except (LookupError, ValueError) as exc:
        # expat hands encodings it does not know (UTF-7, UTF-32, EBCDIC...) to Python's codecs,
        # which raise these; a report's data never reaches here as ValueError.
        raise ReportError(
            f"{origin}: the XML declares an encoding that cannot be read ({str(exc)[:80]}); "
            "write the report as UTF-8"
        ) from None
