"""Parse XML answers safely: no DTD, no entity (billion laughs, external entities), UTF-8 only.

xmltodict (expat) already refuses entity declarations with ``disable_entities=True``; a document
that declares a DTD or an entity is refused here before expat sees it, so that neither a
declaration nor an expansion is ever processed.
"""

import re
from xml.parsers.expat import ExpatError

import xmltodict

_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXml(ValueError):
    """The document declares a DTD or entities, or is not UTF-8: refused unread."""


def parse_xml(content):
    """``content`` (bytes or text) as xmltodict's dict.

    Raises UnsafeXml for a document with a DTD or entity declaration (or not UTF-8), and
    ValueError for a document that is not well-formed XML.
    """
    if isinstance(content, str):
        content = content.encode("utf-8")
    content = content or b""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content[:512]:
        raise UnsafeXml("the XML is not UTF-8")
    if _DECLARATION.search(content):
        raise UnsafeXml("the XML declares a DTD or entities, which are refused")
    try:
        return xmltodict.parse(content, disable_entities=True)
    except ExpatError as exc:
        raise ValueError("not well-formed XML (%s)" % exc) from None
    except ValueError as exc:  # xmltodict: "entities are disabled"
        raise UnsafeXml("the XML uses entities, which are refused (%s)" % exc) from None
