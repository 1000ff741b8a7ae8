"""OCM in NDM/XML (CCSDS 505.0-B-1 rules, the OCM of 502.0-B-3): lexer and writer.

No OCM schema is at hand (ndmxml-2.0.0-ocm-3.0.xsd is not in the shared data), so the
structure read and written is that of the standard's XML example (Orekit's
OCMExample2.xml): ``<ocm id="CCSDS_OCM_VERS" version="3.0">`` holding ``<header>`` and
``<body><segment><metadata/><data/></segment></body>``; ``<data>`` holds ``<traj>``,
``<phys>``, ``<cov>``, ``<man>``, ``<pert>``, ``<od>``, ``<user>``, whose data lines are
``<trajLine>``, ``<covLine>`` and ``<manLine>``, and whose user keywords are
``<USER_DEFINED parameter="NAME">``.  Keywords are elements named as in KVN, units in
``units=`` attributes.  Each ``<ocm>`` is turned into the KVN reader's tokens and built
by :func:`accord.formats.ocm_builder.build_ocm`, so the checks are the same.  The public
entry points are re-exported by :mod:`accord.formats.ocm`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any
from xml.parsers import expat

from accord.errors import FormatError
from accord.formats.ocm import Ocm
from accord.formats.ocm_blocks import message_blocks
from accord.formats.ocm_builder import VERSIONS, Options, Token, data_tag
from accord.formats.ocm_keywords import USER_PREFIX
from accord.formats.ocm_kvn import read_messages
from accord.formats.records import ParseResult, Rejected
from accord.formats.xml_reading import StopReading, XmlNode, decode_xml

__all__ = ["dump_ocm_xml", "load_ocm_xml"]

_BLOCKS = {
    "traj": "TRAJ",
    "phys": "PHYS",
    "cov": "COV",
    "man": "MAN",
    "pert": "PERT",
    "od": "OD",
    "user": "USER",
}
_ELEMENTS = {block: tag for tag, block in _BLOCKS.items()} | {"META": "metadata"}
_LINES = {data_tag(b): b for b in ("TRAJ", "COV", "MAN")}
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

Message = tuple[int, str, list[Token | FormatError] | FormatError]


def load_ocm_xml(
    data: str | bytes, *, allow_scaled_units: bool = False, allow_unknown_frames: bool = False
) -> ParseResult[Ocm]:
    """Given NDM/XML, an ``<ocm>`` or an ``<ndm>`` of several, return the records.

    Elements are matched by local name whatever their namespace.  In an ``<ndm>``, other
    messages are rejected as "not an OCM", so that nothing goes unreported.  A document
    that is not well-formed is one Rejected naming the line expat stopped at.
    """
    try:
        text = decode_xml(data) if isinstance(data, bytes) else data
    except (LookupError, UnicodeDecodeError) as exc:
        result: ParseResult[Ocm] = ParseResult()
        raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        error = FormatError(f"cannot decode the XML: {exc}", line=1)
        result.rejected.append(Rejected(1, raw, error))
        return result
    text = text.lstrip("\ufeff")
    options = Options(allow_scaled_units, allow_unknown_frames)
    if not text.strip():
        return ParseResult()
    return read_messages(_messages(text), options)


def _messages(text: str) -> Iterator[Message]:
    """Given XML text, yield (line, raw text, tokens or error) per message."""
    data = text.encode("utf-8")
    try:
        root = _tree(data)
    except StopReading as stop:
        yield stop.error.line or 1, text, stop.error
        return
    if root.tag == "ocm":
        yield root.line, text, _tokens(root)
        return
    for child in root.children:
        raw = data[child.start : child.end].decode("utf-8", "replace")
        if child.tag == "ocm":
            yield child.line, raw, _tokens(child)
        elif child.tag != "COMMENT":
            error = FormatError(
                f"not an OCM: <{child.tag}> in the <ndm>",
                line=child.line,
                field=child.tag,
                expected="<ocm> messages (this reader reads OCMs only)",
            )
            yield child.line, raw, error


def _tree(data: bytes) -> XmlNode:
    """Given XML bytes, return the root element with its descendants, lines and offsets."""
    parser = expat.ParserCreate("utf-8", " ")
    parser.buffer_text = True
    stack: list[XmlNode] = []
    roots: list[XmlNode] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        local = {q.rpartition(" ")[2]: v for q, v in attrs.items() if not q.startswith(_XSI)}
        node = XmlNode(name.rpartition(" ")[2], local, parser.CurrentLineNumber, 0)
        node.start = parser.CurrentByteIndex
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(name: str) -> None:
        node = stack.pop()
        node.end_line = parser.CurrentLineNumber
        close = data.find(b">", parser.CurrentByteIndex)
        node.end = len(data) if close < 0 else close + 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda chars: stack[-1].text.append(chars) if stack else None
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        message = f"not well-formed XML: {expat.errors.messages[exc.code]}"
        raise StopReading(FormatError(message, line=exc.lineno)) from None
    root = roots[0]
    if root.tag not in ("ocm", "ndm"):
        error = FormatError(
            f"root element <{root.tag}> is neither an <ocm> nor an <ndm>",
            line=root.line,
            field=root.tag,
            expected="<ocm> or <ndm>",
        )
        raise StopReading(error)
    return root


def _text(node: XmlNode) -> str:
    return "".join(node.text).strip()


def _tokens(ocm: XmlNode) -> list[Token | FormatError]:
    """Given an <ocm> element, return its tokens in document order, the version first.

    A structural error ends the tokens, so the builder reports the first problem met.
    """
    if ocm.attrs.get("id") != "CCSDS_OCM_VERS" or "version" not in ocm.attrs:
        error = FormatError(
            "<ocm> lacks its id and version attributes",
            line=ocm.line,
            field="CCSDS_OCM_VERS",
            expected='<ocm id="CCSDS_OCM_VERS" version="3.0">',
        )
        return [error]
    tokens: list[Token | FormatError] = [
        (ocm.line, "kv", "CCSDS_OCM_VERS", ocm.attrs["version"], None)
    ]
    try:
        header, body = _children(ocm, ("header", "body"))
        tokens += _keywords(header)
        (segment,) = _children(body, ("segment",))
        parts = _children(segment, ("metadata", "data"), optional=("data",))
        tokens += _block("META", parts[0])
        for block in parts[1].children if len(parts) > 1 else []:
            if block.tag not in _BLOCKS:
                raise _unexpected(block, parts[1], "<traj>, <phys>, <cov>, <man> ...")
            tokens += _block(_BLOCKS[block.tag], block)
    except FormatError as exc:
        tokens.append(exc)
    return tokens


def _children(
    node: XmlNode, tags: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[XmlNode]:
    """Given a structural element, return its children, which must be ``tags`` in order."""
    if _text(node):
        raise _unexpected(node, node, "elements only")
    kids = node.children
    wanted = [t for t in tags if t not in optional or any(k.tag == t for k in kids)]
    for i, tag in enumerate(wanted):
        if i >= len(kids) or kids[i].tag != tag:
            line = kids[i].line if i < len(kids) else node.end_line
            raise FormatError(
                f"<{node.tag}> lacks <{tag}> here",
                line=line,
                field=tag,
                expected=f"in <{node.tag}>: " + ", ".join(f"<{t}>" for t in tags),
            )
    if len(kids) > len(wanted):
        raise _unexpected(kids[len(wanted)], node, ", ".join(f"<{t}>" for t in tags))
    return kids


def _unexpected(child: XmlNode, parent: XmlNode, expected: str) -> FormatError:
    what = "text" if child is parent else f"<{child.tag}>"
    return FormatError(
        f"unexpected {what} in <{parent.tag}>",
        line=child.line,
        field=child.tag,
        expected=f"in <{parent.tag}>: {expected}",
    )


def _block(name: str, node: XmlNode) -> list[Token]:
    return [
        (node.line, "start", name, "", None),
        *_keywords(node),
        (node.end_line, "stop", name, "", None),
    ]


def _keywords(node: XmlNode) -> list[Token]:
    """Given a keyword block, return the tokens of its COMMENT, keyword and line elements."""
    if _text(node):
        raise _unexpected(node, node, "elements only")
    tokens: list[Token] = []
    for child in node.children:
        if child.children:
            raise _unexpected(child.children[0], child, "a value")
        attrs = dict(child.attrs)
        name = child.tag
        if name == "USER_DEFINED" and "parameter" in attrs:
            name = USER_PREFIX + attrs.pop("parameter")
        unit = attrs.pop("units", None)
        if attrs:
            raise FormatError(
                f"unexpected attribute {next(iter(attrs))} on <{child.tag}>",
                line=child.line,
                field=child.tag,
            )
        if name == "COMMENT":
            tokens.append((child.line, "comment", name, _text(child), None))
        elif name in _LINES:
            tokens.append((child.line, "data", name, _text(child), None))
        else:
            tokens.append((child.line, "kv", name, _text(child), unit))
    return tokens


def dump_ocm_xml(ocms: Iterable[Ocm]) -> str:
    """Given records, return NDM/XML: one ``<ocm>``, or an ``<ndm>`` of several.

    Laid out as the module docstring says; units as units= attributes, reals as the
    shortest text that reads back as the same float.  Raise FormatError for a record that
    would not read back.
    """
    elements = [_ocm_element(ocm) for ocm in ocms]
    root = elements[0] if len(elements) == 1 else ET.Element("ndm")
    if len(elements) != 1:
        root.extend(elements)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _ocm_element(ocm: Ocm) -> ET.Element:
    if ocm.version not in VERSIONS:
        raise FormatError("unsupported OCM version", field="CCSDS_OCM_VERS", received=ocm.version)
    root = ET.Element("ocm", {"id": "CCSDS_OCM_VERS", "version": ocm.version})
    header = ET.SubElement(root, "header")
    segment = ET.SubElement(ET.SubElement(root, "body"), "segment")
    data: ET.Element | None = None
    for block in message_blocks(ocm):
        if block.name == "HEADER":
            parent = header
        elif block.name == "META":
            parent = ET.SubElement(segment, "metadata")
        else:
            data = ET.SubElement(segment, "data") if data is None else data
            parent = ET.SubElement(data, _ELEMENTS[block.name])
        for text in block.comments:
            ET.SubElement(parent, "COMMENT").text = text
        for kw, text, unit in block.items:
            attrs: dict[str, Any] = {"units": unit} if unit else {}
            if kw.startswith(USER_PREFIX):
                kw, attrs = "USER_DEFINED", {"parameter": kw[len(USER_PREFIX) :]}
            ET.SubElement(parent, kw, attrs).text = text
        for line in block.lines:
            ET.SubElement(parent, data_tag(block.name)).text = line
    return root
