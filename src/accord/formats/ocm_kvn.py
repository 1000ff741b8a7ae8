"""OCM in KVN (CCSDS 502.0-B-3 sections 6 and 7.4): the lexer and reader, and the writer.

The public entry points are re-exported by :mod:`accord.formats.ocm`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from accord.errors import FormatError
from accord.formats.ocm import Ocm
from accord.formats.ocm_blocks import message_blocks
from accord.formats.ocm_builder import VERSION, VERSIONS, Options, Token, build_ocm
from accord.formats.ocm_keywords import DATA_BLOCKS, lookup
from accord.formats.records import Parsed, ParseResult, Rejected

__all__ = ["dump_ocm_kvn", "load_ocm_kvn", "read_messages"]

_UNIT = re.compile(r"(.*?)[ \t]*\[[ \t]*([^\]]*?)[ \t]*\]")
_VERSION_LINE = re.compile(r"[ \t]*CCSDS_OCM_VERS[ \t]*=")
_KEYWORD_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_DELIMITER = re.compile(r"([A-Z]+)_(START|STOP)")
_SECTIONS = frozenset(("META", *DATA_BLOCKS))
_WIDTH = 24


def load_ocm_kvn(
    text: str, *, allow_scaled_units: bool = False, allow_unknown_frames: bool = False
) -> ParseResult[Ocm]:
    """Given KVN text of one or more OCMs (502.0-B-3 section 6), return the records.

    Each message starts at a ``CCSDS_OCM_VERS`` line; a bad message is one Rejected, naming
    the line and keyword, and the next message is read.  LF or CRLF, blank lines, COMMENT
    lines and units in brackets are accepted.
    """
    options = Options(allow_scaled_units, allow_unknown_frames)
    return read_messages(_kvn_messages(text.lstrip("\ufeff")), options)


def read_messages(
    messages: Iterable[tuple[int, str, list[Token | FormatError] | FormatError]],
    options: Options,
) -> ParseResult[Ocm]:
    """Given (first line, raw text, tokens or error) per message, return what they make."""
    result: ParseResult[Ocm] = ParseResult()
    for line, raw, tokens in messages:
        try:
            if isinstance(tokens, FormatError):
                raise tokens
            record = build_ocm(tokens, line=line, options=options)
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _kvn_messages(
    text: str,
) -> Iterator[tuple[int, str, list[Token | FormatError] | FormatError]]:
    """Given KVN text, yield (first line, raw text, tokens or error) per message."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, body in enumerate(lines) if _VERSION_LINE.match(body)]
    stray = next((i for i, body in enumerate(lines) if body.strip()), None)
    if stray is not None and (not starts or stray < starts[0]):
        end = starts[0] if starts else len(lines)
        error = FormatError(
            "text before the first CCSDS_OCM_VERS line",
            line=stray + 1,
            field="CCSDS_OCM_VERS",
            expected=f"CCSDS_OCM_VERS = {VERSION} as the first line of an OCM (502.0-B-3 6.2)",
            received=lines[stray].strip()[:80],
        )
        yield stray + 1, "".join(lines[stray:end]), error
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        tokens = [
            _kvn_token(i + 1, lines[i].rstrip("\r\n"))
            for i in range(start, end)
            if lines[i].strip()
        ]
        yield start + 1, "".join(lines[start:end]), tokens


def _kvn_token(line: int, body: str) -> Token | FormatError:
    """Given one non-blank KVN line, return its token (502.0-B-3 7.4), or an error."""
    text = body.strip(" \t")
    if text.startswith("COMMENT") and (len(text) == 7 or text[7] in " \t"):
        return line, "comment", "COMMENT", text[7:].strip(" \t"), None
    delimiter = _DELIMITER.fullmatch(text)
    if delimiter is not None and delimiter.group(1) in _SECTIONS:
        return line, delimiter.group(2).lower(), delimiter.group(1), "", None
    kw, equals, value = text.partition("=")
    if not equals:
        return line, "data", "", text, None
    kw, value = kw.rstrip(" \t"), value.strip(" \t")
    if _KEYWORD_NAME.fullmatch(kw) is None:
        return FormatError(
            "not a KVN line",
            line=line,
            expected="KEYWORD = value [unit], COMMENT text, or a data line (502.0-B-3 7.4)",
            received=text[:80],
        )
    unit = None
    key = lookup(kw)
    if key is not None and key.kind in ("real", "int") and value.endswith("]"):
        match = _UNIT.fullmatch(value)
        if match is not None:
            value, unit = match.groups()
    return line, "kv", kw, value, unit


def dump_ocm_kvn(ocms: Iterable[Ocm]) -> str:
    """Given records, return KVN text with one OCM each (502.0-B-3 section 6).

    Units in brackets as the standard gives them; reals as the shortest text that reads
    back as the same float; epochs to the microsecond.  Raise FormatError for a record
    that would not read back.
    """
    return "\n".join(_kvn_message(ocm) for ocm in ocms)


def _kvn_message(ocm: Ocm) -> str:
    if ocm.version not in VERSIONS:
        raise FormatError("unsupported OCM version", field="CCSDS_OCM_VERS", received=ocm.version)
    out = [f"{'CCSDS_OCM_VERS':<{_WIDTH}} = {ocm.version}"]
    for block in message_blocks(ocm):
        if block.name != "HEADER":
            out += ["", f"{block.name}_START"]
        out += [f"COMMENT {text}".rstrip() for text in block.comments]
        for kw, text, unit in block.items:
            out.append(f"{kw:<{_WIDTH}} = {text}" + (f" [{unit}]" if unit else ""))
        out += block.lines
        if block.name != "HEADER":
            out.append(f"{block.name}_STOP")
    return "\n".join(out) + "\n"
