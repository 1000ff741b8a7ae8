"""OMM in NDM/XML (CCSDS 505.0-B-1, schema ``ndmxml-1.0-omm-2.0.xsd``, and the 3.0 keywords).

The reader is one expat pass that hands each complete ``<omm>`` to the builder, checking
the schema's sequences and namespace prefixes on the way; the writer builds an ElementTree.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any
from xml.parsers import expat

from accord.errors import FormatError
from accord.formats.omm_builder import Token, build, misplaced_comment
from accord.formats.omm_keywords import (
    BLOCKS,
    USER_KEY,
    USER_PREFIX,
    lookup,
    message_items,
    value_text,
)
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected, is_empty_answer
from accord.formats.xml_reading import StopReading, XmlNode, decode_xml

__all__ = ["XSI", "dump_omm_xml", "load_omm_xml"]

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML_PREFIXES = frozenset(("xml",))
_NDM_MESSAGES = ("aem", "apm", "cdm", "oem", "omm", "opm", "rdm", "tdm", "ocm", "acm")
_SEQUENCES: dict[str, tuple[tuple[str, int, int], ...]] = {
    "omm": (("header", 1, 1), ("body", 1, 1)),
    "body": (("segment", 1, 1),),
    "segment": (("metadata", 1, 1), ("data", 1, 1)),
    "data": (
        ("COMMENT", 0, 1 << 30),
        ("meanElements", 1, 1),
        ("spacecraftParameters", 0, 1),
        ("tleParameters", 0, 1),
        ("covarianceMatrix", 0, 1),
        ("userDefinedParameters", 0, 1),
    ),
}


def load_omm_xml(
    data: str | bytes,
    *,
    tolerate_undeclared_xsi: bool = False,
    allow_blank_mandatory: bool = True,
) -> ParseResult[ElementSet]:
    """Given NDM/XML text (CCSDS 505.0-B-1), return one record per ``<omm>``.

    The root is an ``<omm>`` or an ``<ndm>`` combined instantiation; in an ndm, the other
    messages (oem, opm ...) are rejected as "not an OMM" so that nothing goes unreported,
    and the ndm's own COMMENTs are prepended to each OMM's comments.  Namespaces and
    prefixes are matched by local name.  An undeclared ``xsi:`` attribute prefix (older
    CelesTrak files) is refused unless ``tolerate_undeclared_xsi``.  A document cut short
    keeps the messages completed before the cut and rejects the rest.  Empty CREATION_DATE,
    ORIGINATOR, OBJECT_NAME and OBJECT_ID elements (CelesTrak's; the 1.0 schema allows
    them) read as None unless ``allow_blank_mandatory`` is False.
    """
    try:
        text = decode_xml(data) if isinstance(data, bytes) else data
    except (LookupError, UnicodeDecodeError) as exc:
        result: ParseResult[ElementSet] = ParseResult()
        error = FormatError(f"cannot decode the XML: {exc}", line=1)
        raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        result.rejected.append(Rejected(1, raw, error))
        return result
    if is_empty_answer(text):
        return ParseResult()
    utf8 = text.lstrip("\ufeff").encode("utf-8")
    return _XmlReader(utf8, tolerate_undeclared_xsi, allow_blank_mandatory).read()


class _XmlReader:
    """An expat pass that hands each complete message element to the builder."""

    def __init__(self, data: bytes, tolerate_xsi: bool, allow_blank: bool) -> None:
        self.data = data  # UTF-8, whatever the declaration says: the parser is told so
        self.allow_blank = allow_blank
        self.parser = expat.ParserCreate("utf-8")
        self.tolerate_xsi = tolerate_xsi
        self.stack: list[XmlNode] = []
        self.scopes: list[frozenset[str] | set[str]] = []
        self.ndm_comments: list[str] = []
        self.done = 0  # byte offset after the last message handled
        self.result: ParseResult[ElementSet] = ParseResult()
        p = self.parser
        p.buffer_text = True
        p.buffer_size = 1 << 16
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars
        p.StartDoctypeDeclHandler = self._doctype

    def read(self) -> ParseResult[ElementSet]:
        try:
            self.parser.Parse(self.data, True)
        except StopReading as stop:
            self._reject(self.parser.CurrentLineNumber, len(self.data), stop.error)
        except expat.ExpatError as exc:
            error = FormatError(
                f"not well-formed XML: {expat.errors.messages[exc.code]}", line=exc.lineno
            )
            self._reject(exc.lineno, len(self.data), error)
        return self.result

    def _doctype(self, *args: Any) -> None:
        line = self.parser.CurrentLineNumber
        raise StopReading(FormatError("a DOCTYPE is not allowed in NDM/XML", line=line))

    def _start(self, qname: str, attrs: dict[str, str]) -> None:
        p = self.parser
        line = p.CurrentLineNumber
        declared = self.scopes[-1] if self.scopes else _XML_PREFIXES
        local_attrs: dict[str, str] = {}
        if attrs:
            new = {a[6:] for a in attrs if a.startswith("xmlns:")}
            declared = declared | new if new else declared
            for name, value in attrs.items():
                if ":" not in name:
                    if name != "xmlns":
                        local_attrs[name] = value
                elif not name.startswith("xmlns:"):
                    self._check_prefix(name, declared, line, attribute=True)
        self.scopes.append(declared)
        tag = qname
        if ":" in qname:
            self._check_prefix(qname, declared, line, attribute=False)
            tag = qname.rpartition(":")[2]
        node = XmlNode(tag, local_attrs, line, p.CurrentByteIndex)
        if self.stack:
            self.stack[-1].children.append(node)
        elif tag not in ("omm", "ndm"):
            raise StopReading(
                FormatError(
                    f"root element <{tag}> is neither an <omm> nor an <ndm>",
                    line=line,
                    field=tag,
                    expected="<omm> or <ndm> (CCSDS 505.0-B-1)",
                )
            )
        self.stack.append(node)

    def _check_prefix(
        self, name: str, declared: frozenset[str] | set[str], line: int, attribute: bool
    ) -> None:
        prefix, colon, _ = name.partition(":")
        if not colon or prefix in declared:
            return
        if attribute and prefix == "xsi" and self.tolerate_xsi:
            return
        raise StopReading(
            FormatError(
                f"namespace prefix {prefix!r} is used but not declared",
                line=line,
                field=name,
                expected=f'xmlns:{prefix}="..." (Namespaces in XML 1.0; pass '
                "tolerate_undeclared_xsi=True to read older CelesTrak files)",
            )
        )

    def _chars(self, text: str) -> None:
        if self.stack:
            self.stack[-1].text.append(text)

    def _end(self, qname: str) -> None:
        node = self.stack.pop()
        self.scopes.pop()
        depth = len(self.stack)
        if depth > 1 or (depth == 1 and self.stack[0].tag != "ndm"):
            return
        close = self.data.find(b">", self.parser.CurrentByteIndex)
        node.end = len(self.data) if close < 0 else close + 1
        if depth == 0:
            if node.tag == "omm":
                self._message(node)
        elif node.tag == "omm":
            self._message(node)
        elif node.tag == "COMMENT":
            if self.result.accepted or self.result.rejected:
                self._reject(
                    node.line,
                    node.end,
                    FormatError(
                        "an <ndm> COMMENT must come before its messages",
                        line=node.line,
                        field="COMMENT",
                        expected="COMMENT* then messages (505.0-B-1 ndm schema)",
                    ),
                )
            else:
                self.ndm_comments.append(_node_text(node))
        else:
            where = "NDM message" if node.tag in _NDM_MESSAGES else "element"
            self._reject(
                node.line,
                node.end,
                FormatError(
                    f"not an OMM: <{node.tag}> {where} in the <ndm>",
                    line=node.line,
                    field=node.tag,
                    expected="<omm> (this reader reads OMMs only)",
                ),
            )

    def _message(self, node: XmlNode) -> None:
        raw = self._raw(node.start, node.end)
        try:
            tokens = _omm_tokens(node, self.ndm_comments)
            record = build(
                tokens, message=True, kvn=False, line=node.line, allow_blank=self.allow_blank
            )
        except FormatError as exc:
            self.result.rejected.append(Rejected(node.line, raw, exc))
        else:
            self.result.accepted.append(Parsed(record, node.line, raw))
        self.done = node.end

    def _reject(self, line: int, end: int, error: FormatError) -> None:
        raw = self._raw(self.done, end)
        self.result.rejected.append(Rejected(line, raw, error))
        self.done = end

    def _raw(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", errors="replace").strip()


def _node_text(node: XmlNode) -> str:
    return "".join(node.text).strip()


def _omm_tokens(omm: XmlNode, ndm_comments: Sequence[str]) -> list[Token]:
    """Given an <omm> element, return its tokens in document order (505.0-B-1 OMM)."""
    if omm.attrs.get("id") != "CCSDS_OMM_VERS" or "version" not in omm.attrs:
        raise FormatError(
            "<omm> lacks id/version attributes",
            line=omm.line,
            field="omm",
            expected='<omm id="CCSDS_OMM_VERS" version="2.0">',
        )
    tokens: list[Token] = [(omm.line, "CCSDS_OMM_VERS", omm.attrs["version"], None, None)]
    tokens += [(omm.line, "COMMENT", c, None, None) for c in ndm_comments]
    header, body = _sequence(omm)
    (segment,) = _sequence(body)
    metadata, data = _sequence(segment)
    _leaf_tokens(header, tokens)
    _leaf_tokens(metadata, tokens)
    for block in _sequence(data):
        if block.tag == "COMMENT":
            tokens.append((block.line, "COMMENT", _node_text(block), None, None))
        else:
            _leaf_tokens(block, tokens)
    return tokens


def _sequence(node: XmlNode) -> list[XmlNode]:
    """Given a structural element, check its children against the schema's sequence."""
    _no_text(node)
    kids, i = node.children, 0
    for tag, low, high in _SEQUENCES[node.tag]:
        n = 0
        while i < len(kids) and kids[i].tag == tag and n < high:
            i, n = i + 1, n + 1
        if n < low:
            raise _unexpected(node, kids[i] if i < len(kids) else None, f"<{tag}>")
    if i < len(kids):
        following = [f"<{t}>" for t, _, _ in _SEQUENCES[node.tag]]
        raise _unexpected(node, kids[i], " then ".join(following))
    return kids


def _unexpected(parent: XmlNode, child: XmlNode | None, expected: str) -> FormatError:
    if child is None:
        return FormatError(
            f"<{parent.tag}> ends too early", line=parent.line, field=parent.tag, expected=expected
        )
    return FormatError(
        f"unexpected <{child.tag}> in <{parent.tag}>",
        line=child.line,
        field=child.tag,
        expected=expected,
    )


def _no_text(node: XmlNode) -> None:
    text = _node_text(node)
    if text:
        raise FormatError(
            f"unexpected text in <{node.tag}>", line=node.line, field=node.tag, received=text[:80]
        )


def _leaf_tokens(block: XmlNode, tokens: list[Token]) -> None:
    """Given a keyword block (header, metadata, meanElements ...), append its tokens."""
    _no_text(block)
    keywords_seen = False
    for child in block.children:
        if child.children:
            raise _unexpected(child, child.children[0], f"text in <{child.tag}>")
        attrs = dict(child.attrs)
        kw = child.tag
        if kw == "USER_DEFINED":
            kw = USER_PREFIX + attrs.pop("parameter", "")
        unit = attrs.pop("units", None)
        if attrs:
            raise FormatError(
                f"unexpected attribute {next(iter(attrs))} on <{child.tag}>",
                line=child.line,
                field=kw,
            )
        if kw == "COMMENT" and keywords_seen and block.tag != "userDefinedParameters":
            misplaced_comment(child.line, block.tag)
        keywords_seen = keywords_seen or kw != "COMMENT"
        tokens.append((child.line, kw, _node_text(child), unit, block.tag))


def dump_omm_xml(records: Iterable[ElementSet], *, version: str | None = None) -> str:
    """Given element sets, return NDM/XML (CCSDS 505.0-B-1): an <omm>, or an <ndm> of them.

    The version attribute is "2.0" (valid against ndmxml-1.0-master.xsd) unless a record
    needs an OMM 3.0 keyword (CLASSIFICATION, MESSAGE_ID, BTERM, AGOM, SGP4-XP), then "3.0".
    """
    elements = [_omm_element(r, version) for r in records]
    root = elements[0] if len(elements) == 1 else ET.Element("ndm")
    if len(elements) != 1:
        root.extend(elements)
    root.attrib = {
        "xmlns:xsi": XSI,
        "xsi:noNamespaceSchemaLocation": "https://sanaregistry.org/r/ndmxml/ndmxml-1.0-master.xsd",
        **root.attrib,
    }
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


_V3_ONLY = frozenset(("CLASSIFICATION", "MESSAGE_ID", "BTERM", "AGOM"))


def _omm_element(record: ElementSet, version: str | None) -> ET.Element:
    items = message_items(record)
    if version is None:
        v3 = record.mean_element_theory == "SGP4-XP" or any(kw in _V3_ONLY for kw, _ in items)
        version = "3.0" if v3 else "2.0"
    omm = ET.Element("omm", {"id": "CCSDS_OMM_VERS", "version": version})
    header = ET.SubElement(omm, "header")
    for comment in record.comments:
        ET.SubElement(header, "COMMENT").text = comment
    segment = ET.SubElement(ET.SubElement(omm, "body"), "segment")
    parents = {
        "header": header,
        "metadata": ET.SubElement(segment, "metadata"),
        "data": ET.SubElement(segment, "data"),
    }
    for kw, value in items:
        key = lookup(kw)
        assert key is not None
        name = BLOCKS[key.block]
        if name not in parents:
            parents[name] = ET.SubElement(parents["data"], name)
        attrs = {"units": key.unit} if key.unit else {}
        if key is USER_KEY:
            attrs, kw = {"parameter": kw[len(USER_PREFIX) :]}, "USER_DEFINED"
        ET.SubElement(parents[name], kw, attrs).text = value_text(value)
    return omm
