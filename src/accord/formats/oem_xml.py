"""OEM in NDM/XML (CCSDS 505.0-B-1, schema ``ndmxml-1.0-oem-2.0.xsd``; 502.0-B-3 section 5).

``<oem id="CCSDS_OEM_VERS" version="2.0">`` holds ``<header>`` (COMMENT*, CLASSIFICATION?,
CREATION_DATE, ORIGINATOR, MESSAGE_ID?: the 3.0 keywords where NDM/XML 2.0 puts them) and
``<body>`` of one or more ``<segment>``, each a ``<metadata>`` and a ``<data>`` of COMMENT*,
``<stateVector>`` (EPOCH, X ... Z_DOT, X_DDOT? ...) and ``<covarianceMatrix>`` (COMMENT*,
EPOCH, COV_REF_FRAME?, CX_X ... CZ_DOT_Z_DOT).  The reader checks every element against
the schema's sequences (by local name, whatever the namespace) and hands the values to the
checks of :mod:`accord.formats.oem`, as the KVN reader does.  The public entry points are
re-exported by :mod:`accord.formats.oem`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Sequence

from accord.errors import FormatError
from accord.formats.cdm_xml import SCHEMA_LOCATION, XSI
from accord.formats.oem import (
    COVARIANCE_FIELDS,
    HEADER_KEYWORDS,
    MANDATORY,
    METADATA_KEYWORDS,
    STATE_FIELDS,
    UNITS,
    Field,
    Oem,
    OemCovariance,
    OemSegment,
    OemState,
    check_version,
    make_covariance,
    make_oem,
    make_segment,
    make_state,
    read_keywords,
    unreadable,
)
from accord.formats.oem_kvn import (
    covariance_rows,
    header_items,
    keyword_text,
    metadata_items,
    one_line,
    state_texts,
)
from accord.formats.records import Parsed, ParseResult, Rejected
from accord.formats.xml_reading import (
    MANY,
    Spec,
    XmlNode,
    in_sequence,
    is_complete,
    node_text,
    read_tree,
)
from accord.formats.xml_reading import xml_text as decoded

__all__ = ["dump_oem_xml", "load_oem_xml"]


def _keywords(names: Sequence[str]) -> Spec:
    return tuple((kw, int(kw in MANDATORY), 1) for kw in names)


_SPECS: dict[str, Spec] = {
    "oem": (("header", 1, 1), ("body", 1, 1)),
    "header": (("COMMENT", 0, MANY), *_keywords(HEADER_KEYWORDS)),
    "body": (("segment", 1, MANY),),
    "segment": (("metadata", 1, 1), ("data", 1, 1)),
    "metadata": (("COMMENT", 0, MANY), *_keywords(METADATA_KEYWORDS)),
    "data": (("COMMENT", 0, MANY), ("stateVector", 1, MANY), ("covarianceMatrix", 0, MANY)),
    "stateVector": tuple((name, int(i < 7), 1) for i, name in enumerate(STATE_FIELDS)),
    "covarianceMatrix": (
        ("COMMENT", 0, MANY),
        ("EPOCH", 1, 1),
        ("COV_REF_FRAME", 0, 1),
        *((name, 1, 1) for name in COVARIANCE_FIELDS),
    ),
}


def load_oem_xml(data: str | bytes) -> ParseResult[Oem]:
    """Given NDM/XML, an ``<oem>`` or an ``<ndm>`` of messages, return one record per <oem>.

    In an ``<ndm>``, its COMMENTs (which come first) are prepended to each OEM's header
    comments, and other messages (opm, omm ...) are rejected as "not an OEM", so that
    nothing goes unreported.  A document that is not well-formed, or whose root is neither,
    is one Rejected naming the line; but in an <ndm> cut short, the messages completed
    before the cut are read, and the rest is one Rejected.
    """
    try:
        text = decoded(data)
    except FormatError as exc:
        return unreadable(data, exc)
    if not text.strip():
        return ParseResult()
    utf8 = text.encode("utf-8")
    root, error = read_tree(utf8)
    if root is not None and root.tag not in ("oem", "ndm"):
        error = FormatError(
            f"root element <{root.tag}> is neither an <oem> nor an <ndm>",
            line=root.line,
            field=root.tag,
            expected="<oem> or <ndm> (CCSDS 505.0-B-1)",
        )
    elif root is not None and (root.tag == "ndm" or error is None):
        result = _read(root, utf8)
        done = max((r.end for r in _completed(root)), default=0)
        if error is not None:  # a document cut short: what came before the cut stands
            rest = utf8[done:].decode("utf-8", "replace").strip()
            result.rejected.append(Rejected(error.line, rest, error))
        return result
    assert error is not None
    return unreadable(data, error)


def _read(root: XmlNode, utf8: bytes) -> ParseResult[Oem]:
    result: ParseResult[Oem] = ParseResult()
    for node, comments in _messages(root):
        raw = utf8[node.start : node.end].decode("utf-8", "replace")
        try:
            if comments is None:
                raise _not_an_oem(node)
            record = _oem(node, comments)
        except FormatError as exc:
            result.rejected.append(Rejected(node.line, raw, exc))
        else:
            result.accepted.append(Parsed(record, node.line, raw))
    return result


def _completed(root: XmlNode) -> list[XmlNode]:
    return [root] if root.tag == "oem" else [c for c in root.children if is_complete(c)]


def _messages(root: XmlNode) -> Iterator[tuple[XmlNode, list[str] | None]]:
    """Given the root, yield each message element with the ndm's comments (None: the
    element is not an OEM, or a COMMENT after the first message)."""
    if root.tag == "oem":
        yield root, []
        return
    comments: list[str] = []
    seen_message = False
    for child in _completed(root):
        if child.tag == "COMMENT" and not seen_message:
            comments.append(node_text(child))
        else:
            seen_message = True
            yield child, comments if child.tag == "oem" else None


def _not_an_oem(node: XmlNode) -> FormatError:
    if node.tag == "COMMENT":
        return FormatError(
            "an <ndm> COMMENT must come before its messages",
            line=node.line,
            field="COMMENT",
            expected="COMMENT* then messages (505.0-B-1 ndm schema)",
        )
    return FormatError(
        f"not an OEM: <{node.tag}> in the <ndm>",
        line=node.line,
        field=node.tag,
        expected="<oem> messages (this reader reads OEMs only)",
    )


def _oem(node: XmlNode, ndm_comments: list[str]) -> Oem:
    version = node.attrs.get("version", "")
    if node.attrs.get("id") != "CCSDS_OEM_VERS" or not version:
        raise FormatError(
            "<oem> lacks its id and version attributes",
            line=node.line,
            field="CCSDS_OEM_VERS",
            expected='<oem id="CCSDS_OEM_VERS" version="2.0">',
        )
    check_version(version, node.line)
    header, body = in_sequence(node, _SPECS["oem"])
    comments, fields = _leaves(header)
    values = read_keywords(fields, HEADER_KEYWORDS, version=version, end=header.end_line)
    segments = [_segment(s, version) for s in in_sequence(body, _SPECS["body"])]
    return make_oem(version, values, segments, [*ndm_comments, *comments])


def _segment(node: XmlNode, version: str) -> OemSegment:
    metadata, data = in_sequence(node, _SPECS["segment"])
    meta_comments, fields = _leaves(metadata)
    values = read_keywords(fields, METADATA_KEYWORDS, version=version, end=metadata.end_line)
    data_comments: list[str] = []
    states: list[OemState] = []
    covariances: list[OemCovariance] = []
    for child in in_sequence(data, _SPECS["data"]):
        if child.tag == "COMMENT":
            data_comments.append(_leaf(child)[2])
        elif child.tag == "stateVector":
            states.append(make_state(_leaves(child)[1]))
        else:
            comments, entries = _leaves(child)
            frame = entries[1] if entries[1][1] == "COV_REF_FRAME" else None
            rest = entries[2:] if frame else entries[1:]
            covariances.append(make_covariance(entries[0], frame, rest, comments))
    return make_segment(values, states, covariances, (meta_comments, data_comments))


def _leaves(node: XmlNode) -> tuple[list[str], list[Field]]:
    """Given a keyword block (header, metadata, stateVector, covarianceMatrix), check its
    children's order and return its comments and its other leaves as fields."""
    comments: list[str] = []
    fields: list[Field] = []
    for child in in_sequence(node, _SPECS[node.tag]):
        field = _leaf(child)
        if child.tag == "COMMENT":
            comments.append(field[2])
        else:
            fields.append(field)
    return comments, fields


def _leaf(node: XmlNode) -> Field:
    if node.children:
        child = node.children[0]
        raise FormatError(
            f"unexpected <{child.tag}> in <{node.tag}>",
            line=child.line,
            field=child.tag,
            expected=f"a value in <{node.tag}>",
        )
    attrs = dict(node.attrs)
    unit = attrs.pop("units", None)
    if attrs or (unit is not None and node.tag not in UNITS):
        name = next(iter(attrs), "units")
        raise FormatError(
            f"unexpected attribute {name} on <{node.tag}>", line=node.line, field=node.tag
        )
    return node.line, node.tag, node_text(node), unit


def dump_oem_xml(oems: Iterable[Oem]) -> str:
    """Given records, return NDM/XML (505.0-B-1): one ``<oem>``, or an ``<ndm>`` of several.

    The version attribute is the record's version: a 2.0 message is valid against
    ndmxml-1.0-master.xsd; a 3.0 one puts CLASSIFICATION and MESSAGE_ID where NDM/XML 2.0
    does.  Units as ``units=`` attributes; reals as the shortest text that reads back as
    the same float.  Raise FormatError for a record that would not read back.
    """
    elements = [_oem_element(oem) for oem in oems]
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


def _oem_element(oem: Oem) -> ET.Element:
    root = ET.Element("oem", {"id": "CCSDS_OEM_VERS", "version": oem.version})
    _keyword_elements(ET.SubElement(root, "header"), oem.comments, header_items(oem))
    body = ET.SubElement(root, "body")
    for segment in oem.segments:
        element = ET.SubElement(body, "segment")
        metadata = ET.SubElement(element, "metadata")
        items = metadata_items(segment, oem.version)
        _keyword_elements(metadata, segment.metadata_comments, items)
        data = ET.SubElement(element, "data")
        _keyword_elements(data, segment.data_comments, [])
        for state in segment.states:
            texts = state_texts(state)
            _keyword_elements(
                ET.SubElement(data, "stateVector"), (), zip(STATE_FIELDS, texts, strict=False)
            )
        for covariance in segment.covariances:
            items = [("EPOCH", keyword_text("EPOCH", covariance.epoch, oem.version))]
            if covariance.ref_frame is not None:
                frame = keyword_text("COV_REF_FRAME", covariance.ref_frame, oem.version)
                items.append(("COV_REF_FRAME", frame))
            entries = [x for row in covariance_rows(covariance) for x in row]
            items += zip(COVARIANCE_FIELDS, entries, strict=True)
            matrix = ET.SubElement(data, "covarianceMatrix")
            _keyword_elements(matrix, covariance.comments, items)
    return root


def _keyword_elements(
    parent: ET.Element, comments: Iterable[str], items: Iterable[tuple[str, str]]
) -> None:
    for text in comments:
        ET.SubElement(parent, "COMMENT").text = one_line(text)
    for name, text in items:
        attrs = {"units": UNITS[name]} if name in UNITS else {}
        ET.SubElement(parent, name, attrs).text = text
