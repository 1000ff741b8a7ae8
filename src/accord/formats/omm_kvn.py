"""OMM in KVN (CCSDS 502.0-B-3 section 7): the lexer and reader, and the writer."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from accord.errors import FormatError
from accord.formats.omm_builder import Token, collect
from accord.formats.omm_keywords import (
    KEYWORD_NAME,
    KEYWORDS,
    VERSIONS,
    lookup,
    message_items,
    value_text,
)
from accord.formats.records import ElementSet, ParseResult, is_empty_answer

__all__ = ["dump_omm_kvn", "load_omm_kvn"]

_UNIT = re.compile(r"(.*?)[ \t]*\[[ \t]*([^\]]*?)[ \t]*\]")


def load_omm_kvn(text: str, *, allow_blank_mandatory: bool = True) -> ParseResult[ElementSet]:
    """Given KVN text of one or more OMMs (CCSDS 502.0-B-3 section 7), return the records.

    Each message starts at a ``CCSDS_OMM_VERS`` line; a bad message is rejected with its
    line and keyword and the next one is read.  LF or CRLF, blank lines, COMMENT lines and
    bracketed units (checked against Tables 4-1 to 4-3) are accepted.

    CelesTrak writes CREATION_DATE, ORIGINATOR and, for analyst objects, OBJECT_ID blank,
    which 7.5.1 forbids; they are read as None (nothing invented).  Pass
    ``allow_blank_mandatory=False`` to refuse them, as Orekit does by default.
    """
    if is_empty_answer(text):
        return ParseResult()
    messages = _kvn_messages(text.lstrip("\ufeff"))
    return collect(messages, message=True, kvn=True, allow_blank=allow_blank_mandatory)


def _kvn_messages(text: str) -> Iterator[tuple[int, str, list[Token] | FormatError]]:
    """Given KVN text, yield (first line, raw text, tokens or lexical error) per message."""
    lines = text.splitlines(keepends=True)
    start, tokens, error = 0, None, None
    stray: int | None = None  # first line of text before any CCSDS_OMM_VERS
    for i, raw_line in enumerate(lines):
        body = raw_line.rstrip("\r\n")
        if not body.strip():
            continue
        token = _kvn_token(i + 1, body)
        if isinstance(token, tuple) and token[1] == "CCSDS_OMM_VERS":
            if tokens is not None:
                yield start + 1, "".join(lines[start:i]), error or tokens
            elif stray is not None:
                yield _stray(stray, lines[stray - 1 : i])
                stray = None
            start, tokens, error = i, [token], None
        elif tokens is None:
            stray = stray or i + 1
        elif isinstance(token, FormatError):
            error = error or token
        else:
            tokens.append(token)
    if tokens is not None:
        yield start + 1, "".join(lines[start:]), error or tokens
    elif stray is not None:
        yield _stray(stray, lines[stray - 1 :])


def _stray(line: int, lines: list[str]) -> tuple[int, str, FormatError]:
    error = FormatError(
        "text before the first CCSDS_OMM_VERS line",
        line=line,
        field="CCSDS_OMM_VERS",
        expected="CCSDS_OMM_VERS = 3.0 as the first line of an OMM (502.0-B-3 Table 4-1)",
        received=lines[0].strip()[:80],
    )
    return line, "".join(lines), error


def _kvn_token(line: int, body: str) -> Token | FormatError:
    """Given one non-blank KVN line, return its token (CCSDS 502.0-B-3 7.4), or an error."""
    text = body.strip(" \t")
    if text.startswith("COMMENT") and (len(text) == 7 or text[7] in " \t"):
        return line, "COMMENT", text[7:].strip(" \t"), None, None
    kw, equals, value = text.partition("=")
    kw, value = kw.rstrip(" \t"), value.lstrip(" \t")
    key = lookup(kw)
    if not equals or (key is None and KEYWORD_NAME.fullmatch(kw) is None):
        return FormatError(
            "not a KVN line",
            line=line,
            expected="KEYWORD = value [unit], or COMMENT text (502.0-B-3 7.4)",
            received=text[:80],
        )
    unit = None
    if key is not None and value.endswith("]") and key.kind in ("real", "int"):
        u = _UNIT.fullmatch(value)
        if u is not None:
            value, unit = u.groups()
    return line, kw, value, unit, None


def dump_omm_kvn(records: Iterable[ElementSet], *, version: str = "3.0") -> str:
    """Given element sets, return KVN text: one OMM per record (CCSDS 502.0-B-3 section 7).

    Units are written in brackets as in Tables 4-1 to 4-3; reals with the shortest text
    that reads back as the same float.
    """
    if version not in VERSIONS:
        raise FormatError("unsupported OMM version", expected="2.0 or 3.0", received=version)
    return "\n".join(_kvn_message(r, version) for r in records)


def _kvn_message(record: ElementSet, version: str) -> str:
    out = [f"{'CCSDS_OMM_VERS':<20} = {version}"]
    out += [f"COMMENT {_one_line(c)}".rstrip() for c in record.comments]
    block = KEYWORDS["CCSDS_OMM_VERS"].block  # the header
    for kw, value in message_items(record):
        key = lookup(kw)
        assert key is not None
        if key.block != block:
            out.append("")
            block = key.block
        unit = f" [{key.unit}]" if key.unit and value is not None else ""
        out.append(f"{kw:<20} = {_one_line(value_text(value))}{unit}".rstrip())
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise FormatError("a KVN value cannot span lines", received=text[:80])
    return text
