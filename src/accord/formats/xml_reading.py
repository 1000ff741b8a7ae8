"""What the NDM/XML readers share: decoding bytes (by byte order mark or encoding
declaration, XML 1.0 appendix F), the element tree they build, and how they stop."""

from __future__ import annotations

import codecs
import re

from accord.errors import FormatError

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


class XmlNode:
    """An XML element as read: local name, attributes, text, children, where it was."""

    __slots__ = ("attrs", "children", "end", "end_line", "line", "start", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str], line: int, start: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.end_line = line
        self.start = start
        self.end = start
        self.children: list[XmlNode] = []
        self.text: list[str] = []


class StopReading(Exception):  # noqa: N818 (a control-flow signal, not an error to report)
    """Raised in an expat handler to end the whole document with a reason."""

    def __init__(self, error: FormatError) -> None:
        self.error = error
