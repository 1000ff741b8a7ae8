"""What the NDM/XML readers share: decoding bytes (by byte order mark or encoding
declaration, XML 1.0 appendix F), the element tree they build, and how they stop; telling
NDM/XML from KVN, and checking a structural element against its schema sequence
(CCSDS 505.0-B-1)."""

from __future__ import annotations

import codecs
import re
from xml.parsers import expat

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


_BLANKS = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte order mark and blanks
_XSI_PREFIX = "http://www.w3.org/2001/XMLSchema-instance "
Spec = tuple[tuple[str, int, int], ...]  # a schema sequence: (tag, least, most) in order
MANY = 1 << 30  # "unbounded"
_REPEAT = {(1, 1): "", (0, 1): "?", (0, MANY): "*"}


def is_xml(data: str | bytes) -> bool:
    """Given a message, say whether it is NDM/XML rather than KVN: its first character,
    after blanks and a byte order mark, is "<", or it starts with a UTF-16/32 mark."""
    if isinstance(data, bytes):
        return data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.lstrip(_BLANKS)[:1] == b"<"
    return data.lstrip("\ufeff \t\r\n").startswith("<")


def xml_text(data: str | bytes) -> str:
    """Given NDM/XML as text or bytes, return the text without its byte order mark; raise
    FormatError (line 1) where the bytes do not decode."""
    try:
        text = decode_xml(data) if isinstance(data, bytes) else data
    except (LookupError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot decode the XML: {exc}", line=1) from None
    return text.lstrip("\ufeff")


def read_tree(data: bytes) -> tuple[XmlNode | None, FormatError | None]:
    """Given UTF-8 XML, return its root element and descendants (local names, namespaces
    dropped; attributes but xsi:*; text, lines and byte offsets), and None or the error
    where the XML is not well-formed (an undeclared prefix included) or has a DOCTYPE
    (none in NDM/XML, and no entity expansion).

    After an error the root holds what was read before it (None if nothing was): see
    :func:`is_complete` for which elements were read to their end.
    """
    parser = expat.ParserCreate("utf-8", " ")
    parser.buffer_text = True
    stack: list[XmlNode] = []
    roots: list[XmlNode] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        kept = attrs and {
            q.rpartition(" ")[2]: v for q, v in attrs.items() if not q.startswith(_XSI_PREFIX)
        }
        node = XmlNode(name.rpartition(" ")[2], kept, parser.CurrentLineNumber, 0)
        node.start = parser.CurrentByteIndex
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(name: str) -> None:
        node = stack.pop()
        node.end_line = parser.CurrentLineNumber
        close = data.find(b">", parser.CurrentByteIndex)
        node.end = len(data) if close < 0 else close + 1

    def doctype(*args: object) -> None:
        line = parser.CurrentLineNumber
        raise StopReading(FormatError("a DOCTYPE is not allowed in NDM/XML", line=line))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda chars: stack[-1].text.append(chars) if stack else None
    parser.StartDoctypeDeclHandler = doctype
    error = None
    try:
        parser.Parse(data, True)
    except StopReading as stop:
        error = stop.error
    except expat.ExpatError as exc:
        message = f"not well-formed XML: {expat.errors.messages[exc.code]}"
        error = FormatError(message, line=exc.lineno)
    return (roots[0] if roots else None), error


def is_complete(node: XmlNode) -> bool:
    """Given an element of :func:`read_tree`, say whether its end tag was read."""
    return node.end > node.start


def node_text(node: XmlNode) -> str:
    """Given an element, return its text, stripped."""
    return "".join(node.text).strip()


def in_sequence(node: XmlNode, spec: Spec) -> list[XmlNode]:
    """Given a structural element and its schema sequence, return its children.

    Raise FormatError naming the first child out of place (line, tag), or the missing
    child (where the next child or the element's end stands), or text in the element.
    """
    if node_text(node):
        raise FormatError(
            f"unexpected text in <{node.tag}>",
            line=node.line,
            field=node.tag,
            expected="elements only",
            received=node_text(node)[:80],
        )
    kids, i = node.children, 0
    for tag, low, high in spec:
        n = 0
        while i < len(kids) and kids[i].tag == tag and n < high:
            i, n = i + 1, n + 1
        if n < low:
            line = kids[i].line if i < len(kids) else node.end_line
            raise FormatError(
                f"<{node.tag}> lacks <{tag}>", line=line, field=tag, expected=_order(node, spec)
            )
    if i < len(kids):
        raise FormatError(
            f"unexpected <{kids[i].tag}> in <{node.tag}>",
            line=kids[i].line,
            field=kids[i].tag,
            expected=_order(node, spec),
        )
    return kids


def _order(node: XmlNode, spec: Spec) -> str:
    order = ", ".join(f"<{tag}>{_REPEAT.get((low, high), '+')}" for tag, low, high in spec)
    return f"in <{node.tag}>: {order}"
