"""A hardened, streaming expat parser shared by the XML formats (defusedxml's protections).

Entity declarations (billion laughs, quadratic blowup) and external references (XXE, external
DTDs) are refused exactly as defusedxml does; a plain `<!DOCTYPE ...>` line, which JaCoCo and
old Cobertura producers write, is allowed. Data is fed in chunks so memory tracks what the
handlers keep, not the document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    on_error: Callable[[], None] | None = None,
) -> None:
    """Feed all chunks and finish; every failure becomes one ReportError naming the file."""
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise ReportError(
            f"{origin}: not well-formed {fmt} XML ({expat.ErrorString(exc.code)} at line "
            f"{exc.lineno}, column {exc.offset}); regenerate the report"
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
