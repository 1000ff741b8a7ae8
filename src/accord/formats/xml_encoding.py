"""Decoding XML bytes by their byte order mark or encoding declaration (XML 1.0, appendix F)."""

from __future__ import annotations

import codecs
import re

_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z][\w.:-]*)[\"']")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_xml(data: bytes) -> str:
    """Given XML bytes, return the text, decoded by its byte order mark or declaration."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    match = _XML_ENCODING.match(data)
    return data.decode(match.group(1).decode("ascii") if match else "utf-8")
