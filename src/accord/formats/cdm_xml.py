"""CDM in NDM/XML (CCSDS 505.0-B-1, schema ``ndmxml-1.0-cdm-1.0.xsd``): lexer and writer.

The reader is one expat pass that checks each complete ``<cdm>`` against the schema's
sequences and hands its tokens to :func:`accord.formats.cdm.build_cdm`, the builder the
KVN reader uses; the writer builds an ElementTree in the schema's order.  The public
entry points are re-exported by :mod:`accord.formats.cdm`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any
from xml.parsers import expat

from accord.errors import FormatError
from accord.formats.cdm import (
    BLOCKS,
    COVARIANCE,
    HEADER,
    KEYWORDS,
    METADATA,
    RELATIVE,
    VECTORS,
    VERSION,
    Cdm,
    Token,
    build_cdm,
    check_version,
    message_blocks,
    value_text,
)
from accord.formats.records import Parsed, ParseResult, Rejected
from accord.formats.xml_reading import StopReading, XmlNode, decode_xml

__all__ = ["dump_cdm_xml", "load_cdm_xml"]

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "https://sanaregistry.org/r/ndmxml/ndmxml-1.0-master.xsd"
_MANY = 1 << 30
_RELATIVE_STATE = (*VECTORS["relative_position_rtn_m"], *VECTORS["relative_velocity_rtn_m_s"])
_Order = tuple[tuple[str, int, int], ...]  # (element, fewest, most) in schema order


def _leaf_sequence(block: int) -> _Order:
    """Given a keyword block, return its schema sequence: COMMENT*, then its keywords."""
    items: list[tuple[str, int, int]] = [("COMMENT", 0, _MANY)]
    for kw, key in KEYWORDS.items():
        if key.block != block:
            continue
        if kw in _RELATIVE_STATE[1:]:
            continue
        if kw == _RELATIVE_STATE[0]:
            items.append(("relativeStateVector", 0, 1))
        else:
            items.append((kw, int(key.mandatory), 1))
    return tuple(items)


_SEQUENCES: dict[str, _Order] = {
    "cdm": (("header", 1, 1), ("body", 1, 1)),
    "body": (("relativeMetadataData", 1, 1), ("segment", 2, 2)),
    "segment": (("metadata", 1, 1), ("data", 1, 1)),
    "data": (
        ("COMMENT", 0, _MANY),
        ("odParameters", 0, 1),
        ("additionalParameters", 0, 1),
        ("stateVector", 1, 1),
        ("covarianceMatrix", 1, 1),
    ),
    "relativeStateVector": tuple((kw, 1, 1) for kw in _RELATIVE_STATE),
    **{BLOCKS[b]: _leaf_sequence(b) for b in range(HEADER, COVARIANCE + 1)},
}


def load_cdm_xml(data: str | bytes, *, allow_empty: bool = False) -> ParseResult[Cdm]:
    """Given NDM/XML text (CCSDS 505.0-B-1), return one record per ``<cdm>``.

    The root is a ``<cdm>`` or an ``<ndm>`` combined instantiation; in an ndm, other
    messages are rejected as "not a CDM" so that nothing goes unreported, and the ndm's own
    COMMENTs are prepended to each CDM's header comments.  Elements are matched by local
    name whatever their namespace.  Each CDM is checked against the sequences of
    ndmxml-1.0-cdm-1.0.xsd, then by the builder (types, units, ranges).  A bad CDM is one
    Rejected; a document cut short keeps the CDMs completed before the cut.
    ``allow_empty`` reads an empty or ``nil="true"`` optional element as absent (as
    Space-Track serves CSpOC CDMs; the schema forbids both).
    """
    try:
        text = decode_xml(data) if isinstance(data, bytes) else data
    except (LookupError, UnicodeDecodeError) as exc:
        result: ParseResult[Cdm] = ParseResult()
        raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        result.rejected.append(
            Rejected(1, raw, FormatError(f"cannot decode the XML: {exc}", line=1))
        )
        return result
    text = text.lstrip("\ufeff")
    if not text.strip():
        return ParseResult()
    return _XmlReader(text.encode("utf-8"), allow_empty).read()


class _XmlReader:
    """An expat pass that hands each complete ``<cdm>`` to the builder."""

    def __init__(self, data: bytes, allow_empty: bool) -> None:
        self.data = data  # UTF-8, whatever the declaration says: the parser is told so
        self.allow_empty = allow_empty
        # With a namespace separator, expat itself refuses undeclared prefixes.
        self.parser = expat.ParserCreate("utf-8", " ")
        self.stack: list[XmlNode] = []
        self.ndm_comments: list[str] = []
        self.done = 0  # byte offset after the last message handled
        self.result: ParseResult[Cdm] = ParseResult()
        p = self.parser
        p.buffer_text = True
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars
        p.StartDoctypeDeclHandler = self._doctype

    def read(self) -> ParseResult[Cdm]:
        try:
            self.parser.Parse(self.data, True)
        except StopReading as stop:
            self._reject(stop.error.line, len(self.data), stop.error)
        except expat.ExpatError as exc:
            message = f"not well-formed XML: {expat.errors.messages[exc.code]}"
            self._reject(exc.lineno, len(self.data), FormatError(message, line=exc.lineno))
        return self.result

    def _doctype(self, *args: Any) -> None:
        line = self.parser.CurrentLineNumber
        raise StopReading(FormatError("a DOCTYPE is not allowed in NDM/XML", line=line))

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        local: dict[str, str] = {}
        for qualified, value in attrs.items():
            uri, _, attr = qualified.rpartition(" ")
            if uri != XSI or attr == "nil":  # xsi:schemaLocation and the like are ignored
                local[attr] = value
        node = XmlNode(name.rpartition(" ")[2], local, line, self.parser.CurrentByteIndex)
        if self.stack:
            self.stack[-1].children.append(node)
        elif node.tag not in ("cdm", "ndm"):
            raise StopReading(
                FormatError(
                    f"root element <{node.tag}> is neither a <cdm> nor an <ndm>",
                    line=line,
                    field=node.tag,
                    expected="<cdm> or <ndm> (CCSDS 505.0-B-1)",
                )
            )
        self.stack.append(node)

    def _chars(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text.append(text)

    def _end(self, name: str) -> None:
        node = self.stack.pop()
        node.end_line = self.parser.CurrentLineNumber
        depth = len(self.stack)
        if depth > 1 or (depth == 1 and self.stack[0].tag != "ndm"):
            return
        close = self.data.find(b">", self.parser.CurrentByteIndex)
        node.end = len(self.data) if close < 0 else close + 1
        if node.tag == "cdm":
            self._message(node)
        elif depth == 0:
            self._ndm_end(node)
        elif node.tag == "COMMENT" and not (self.result.accepted or self.result.rejected):
            self.ndm_comments.append(_node_text(node))
        else:
            what = "COMMENT after the messages" if node.tag == "COMMENT" else f"<{node.tag}>"
            error = FormatError(
                f"not a CDM: {what} in the <ndm>",
                line=node.line,
                field=node.tag,
                expected="COMMENT* then <cdm> messages (this reader reads CDMs only)",
            )
            self._reject(node.line, node.end, error)
        if depth == 1:
            self.stack[0].children.pop()  # handled: free it

    def _ndm_end(self, ndm: XmlNode) -> None:
        if _node_text(ndm):
            error = FormatError("unexpected text in <ndm>", line=ndm.line, field="ndm")
            self._reject(ndm.line, ndm.end, error)

    def _message(self, node: XmlNode) -> None:
        raw = self._raw(node.start, node.end)
        try:
            tokens = _cdm_tokens(node, self.ndm_comments, self.allow_empty)
            record = build_cdm(tokens, line=node.line, xml=True, allow_empty=self.allow_empty)
        except FormatError as exc:
            self.result.rejected.append(Rejected(node.line, raw, exc))
        else:
            self.result.accepted.append(Parsed(record, node.line, raw))
        self.done = node.end

    def _reject(self, line: int | None, end: int, error: FormatError) -> None:
        self.result.rejected.append(Rejected(line, self._raw(self.done, end), error))
        self.done = end

    def _raw(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", errors="replace").strip()


def _node_text(node: XmlNode) -> str:
    return "".join(node.text).strip()


def _cdm_tokens(
    cdm: XmlNode, ndm_comments: Sequence[str], allow_empty: bool
) -> list[Token | FormatError]:
    """Given a <cdm> element, return its tokens in document order, the version first.

    A structural error ends the tokens, so that the builder reports whichever problem
    comes first in the document.
    """
    attrs = dict(cdm.attrs)
    if attrs.pop("id", None) != "CCSDS_CDM_VERS" or "version" not in attrs:
        raise FormatError(
            "<cdm> lacks its id and version attributes",
            line=cdm.line,
            field="CCSDS_CDM_VERS",
            expected=f'<cdm id="CCSDS_CDM_VERS" version="{VERSION}">',
        )
    version = attrs.pop("version")
    check_version(version, cdm.line)
    _no_attributes(cdm, attrs)
    tokens: list[Token | FormatError] = [(cdm.line, "CCSDS_CDM_VERS", version, None)]
    tokens += [(cdm.line, "COMMENT", text, None) for text in ndm_comments]
    try:
        _body_tokens(cdm, tokens, allow_empty)
    except FormatError as exc:
        tokens.append(exc)
    return tokens


def _body_tokens(cdm: XmlNode, tokens: list[Token | FormatError], allow_empty: bool) -> None:
    """Given a <cdm> element, append the tokens of its header and body."""
    header, body = _sequence(cdm)
    _leaf_tokens(header, tokens, allow_empty)
    relative, *segments = _sequence(body)
    _leaf_tokens(relative, tokens, allow_empty)
    for segment in segments:
        metadata, data = _sequence(segment)
        _leaf_tokens(metadata, tokens, allow_empty)
        for block in _sequence(data):
            if block.tag == "COMMENT":
                _no_attributes(block, block.attrs)
                tokens.append((block.line, "COMMENT", _node_text(block), None))
            else:
                _leaf_tokens(block, tokens, allow_empty)


def _sequence(node: XmlNode) -> list[XmlNode]:
    """Given a structural element, check its children against the schema's sequence."""
    if node.tag != "cdm":  # the <cdm> attributes are read by _cdm_tokens
        _no_attributes(node, node.attrs)
    text = _node_text(node)
    if text:
        raise FormatError(
            f"unexpected text in <{node.tag}>", line=node.line, field=node.tag, received=text[:80]
        )
    sequence = _SEQUENCES[node.tag]
    kids, i = node.children, 0
    for k, (tag, low, high) in enumerate(sequence):
        n = 0
        while i < len(kids) and kids[i].tag == tag and n < high:
            i, n = i + 1, n + 1
        if n < low:
            if i < len(kids) and all(kids[i].tag != later for later, _, _ in sequence[k:]):
                raise _unexpected(node, kids[i], sequence)
            line = kids[i].line if i < len(kids) else node.end_line
            raise FormatError(
                f"<{node.tag}> lacks <{tag}>",
                line=line,
                field=tag,
                expected=f"<{tag}> (ndmxml-1.0-cdm-1.0.xsd)",
            )
    if i < len(kids):
        raise _unexpected(node, kids[i], sequence)
    return kids


def _unexpected(parent: XmlNode, child: XmlNode, sequence: _Order) -> FormatError:
    order = ", ".join(f"<{tag}>" for tag, _, _ in sequence)
    known = any(tag == child.tag for tag, _, _ in sequence)
    return FormatError(
        f"{'misplaced or repeated' if known else 'unknown'} <{child.tag}> in <{parent.tag}>",
        line=child.line,
        field=child.tag,
        expected=f"in <{parent.tag}>, in this order: {order} (ndmxml-1.0-cdm-1.0.xsd)",
    )


def _no_attributes(node: XmlNode, attrs: dict[str, str]) -> None:
    if attrs:
        name = next(iter(attrs))
        raise FormatError(
            f"unexpected attribute {name} on <{node.tag}>", line=node.line, field=node.tag
        )


def _leaf_tokens(block: XmlNode, tokens: list[Token | FormatError], allow_empty: bool) -> None:
    """Given a keyword block (header, metadata, stateVector ...), append its tokens."""
    for child in _sequence(block):
        if child.tag == "relativeStateVector":
            _leaf_tokens(child, tokens, allow_empty)
            continue
        if child.children:
            raise FormatError(
                f"unexpected <{child.children[0].tag}> in <{child.tag}>",
                line=child.children[0].line,
                field=child.tag,
                expected="a value",
            )
        attrs = dict(child.attrs)
        unit = nil = None
        if child.tag != "COMMENT":
            unit, nil = attrs.pop("units", None), attrs.pop("nil", None)
        text = _node_text(child)
        if nil is not None and (not allow_empty or nil not in ("true", "1") or text):
            raise FormatError(
                f"<{child.tag}> has a nil attribute",
                line=child.line,
                field=child.tag,
                expected="a value: no CDM element is nillable (ndmxml-1.0-cdm-1.0.xsd); "
                'pass allow_empty=True to read an empty nil="true" element as absent',
                received=f'nil="{nil}"',
            )
        _no_attributes(child, attrs)
        tokens.append((child.line, child.tag, text, unit))


def dump_cdm_xml(cdms: Iterable[Cdm]) -> str:
    """Given records, return NDM/XML (CCSDS 505.0-B-1): a <cdm>, or an <ndm> of several.

    Valid against ndmxml-1.0-master.xsd; units as units= attributes, reals as the shortest
    text that reads back as the same float.  Raise FormatError for a record that would not
    read back (a missing mandatory value, text over several lines ...).
    """
    elements = [_cdm_element(cdm) for cdm in cdms]
    root = elements[0] if len(elements) == 1 else ET.Element("ndm")
    if len(elements) != 1:
        root.extend(elements)
    root.attrib = {
        "xmlns:xsi": XSI,
        "xsi:noNamespaceSchemaLocation": SCHEMA_LOCATION,
        **root.attrib,
    }
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _cdm_element(cdm: Cdm) -> ET.Element:
    root = ET.Element("cdm", {"id": "CCSDS_CDM_VERS", "version": VERSION})
    header = ET.SubElement(root, "header")
    body = ET.SubElement(root, "body")
    data = body
    for block, comments, items in message_blocks(cdm):
        if block == HEADER:
            parent = header
        elif block == RELATIVE:
            parent = ET.SubElement(body, "relativeMetadataData")
        elif block == METADATA:
            segment = ET.SubElement(body, "segment")
            parent = ET.SubElement(segment, "metadata")
            data = ET.SubElement(segment, "data")
        else:
            parent = ET.SubElement(data, BLOCKS[block])
        for text in comments:
            ET.SubElement(parent, "COMMENT").text = text
        state: ET.Element | None = None
        for kw, value in items:
            target = parent
            if kw in _RELATIVE_STATE:
                if state is None:
                    state = ET.SubElement(parent, "relativeStateVector")
                target = state
            unit = KEYWORDS[kw].unit
            ET.SubElement(target, kw, {"units": unit} if unit else {}).text = value_text(value)
    return root
