"""The OMM builder: tokens -> :class:`ElementSet`, the same for every rendering.

Each rendering's lexer (:mod:`.omm_kvn`, :mod:`.omm_xml`, :mod:`.omm_tables`) turns text into
tokens ``(line, keyword, value, unit, block)``; the builder checks every token against the
keyword table of :mod:`.omm_keywords` (block, type, unit), then the whole as SGP4 mean
elements (CCSDS 502.0-B-3 4.2), and makes the ElementSet, as Orekit's parsers do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from accord.errors import FormatError
from accord.formats.omm_keywords import (
    BLOCKS,
    ELEMENTS,
    EXPECTED_KEYWORD,
    FIELDS,
    KEYWORDS,
    NOT_EXTRA,
    RANK,
    SGP4_THEORIES,
    USER_KEY,
    VERSIONS,
    Key,
    lookup,
    parse_epoch,
    read_integer,
    read_real,
    value_text,
)
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected

__all__ = ["Token", "build", "collect", "error_detail", "misplaced_comment"]

# A token: (line, keyword, value, unit, block).  value is text, or a JSON number/None;
# block is the XML container the keyword sat in (None for KVN, JSON, CSV).
Token = tuple[int, str, Any, str | None, str | None]

_ELEMENT_SET = frozenset(ELEMENTS)
_DRAG_SET = frozenset(("BSTAR", "MEAN_MOTION_DDOT"))
_MESSAGE_MANDATORY = (
    "CREATION_DATE",
    "ORIGINATOR",
    "OBJECT_NAME",
    "OBJECT_ID",
    "CENTER_NAME",
    "REF_FRAME",
    "TIME_SYSTEM",
)


def _convert(key: Key, kw: str, value: Any, unit: str | None, line: int) -> Any:
    """Given one token's value, return it typed by the keyword table, or raise."""
    if unit is not None:
        _check_unit(key, kw, unit, line)
    kind = key.kind
    if type(value) is not str or not value:
        return _convert_other(key, kw, value, line)
    if kind == "real":
        x = read_real(value)
        if x is not None:
            return x
        expected = "a real number such as 249.2363 or -.47102E-5 (502.0-B-3 7.5.6)"
    elif kind == "text":
        return value
    elif kind == "int":
        n = read_integer(value)
        if n is not None:
            return n
        expected = "an integer such as 25544 or +0925 (502.0-B-3 7.5.4)"
    else:
        try:
            return parse_epoch(value)
        except FormatError as exc:
            raise FormatError(
                f"{kw} is not a CCSDS epoch", line=line, field=kw, **error_detail(exc)
            ) from None
    raise FormatError(
        f"{kw} is not a number", line=line, field=kw, expected=expected, received=value
    )


def _convert_other(key: Key, kw: str, value: Any, line: int) -> Any:
    """Given an empty text or a JSON number, return it typed, or raise."""
    kind = key.kind
    if value == "":
        if key.blank_ok:
            return "" if key is USER_KEY else None
        raise FormatError(f"{kw} has no value", line=line, field=kw, expected="a value")
    # JSON numbers (CelesTrak's tables carry them unquoted).
    if isinstance(value, bool) or not isinstance(value, int | float):
        pass
    elif kind == "real" and math.isfinite(value):
        return float(value)
    elif kind == "int" and isinstance(value, int):
        return value
    elif kind == "text" and key is USER_KEY:
        return value_text(value)
    raise FormatError(
        f"{kw} has the wrong type", line=line, field=kw, expected=kind, received=repr(value)
    )


def error_detail(exc: FormatError) -> dict[str, str | None]:
    """Given an error, return its expected and received texts, to restate it elsewhere."""
    return {"expected": exc.expected, "received": exc.received}


def _check_unit(key: Key, kw: str, unit: str, line: int) -> None:
    expected = key.unit
    if expected is None:
        if unit.lower() != "n/a":
            raise FormatError(
                f"{kw} is dimensionless but carries a unit",
                line=line,
                field=kw,
                expected="no unit (or [n/a])",
                received=f"[{unit}]",
            )
    elif unit.lower() != expected.lower():
        raise FormatError(
            f"wrong unit for {kw}",
            line=line,
            field=kw,
            expected=f"[{expected}] (502.0-B-3 Tables 4-1 to 4-3)",
            received=f"[{unit}]",
        )


def build(
    tokens: Iterable[Token], *, message: bool, kvn: bool, line: int, allow_blank: bool = True
) -> ElementSet:
    """Given the tokens of one OMM, return its ElementSet or raise FormatError.

    ``message`` is True for KVN and XML, which are whole OMMs (CCSDS 502.0-B-3 4.1):
    their mandatory header and metadata keywords must be present and the sections come
    in the standard's order.  ``kvn`` adds 7.8's rule that comments open a section.
    ``line`` is the message's first line, named when a keyword is missing.  With
    ``allow_blank`` False, a blank CREATION_DATE, ORIGINATOR, OBJECT_NAME or OBJECT_ID is
    refused (7.5.1) instead of read as None.
    """
    read = _Read()
    if message:
        _read_message(read, tokens, kvn=kvn, allow_blank=allow_blank)
    else:
        _read_table(read, tokens)
    return _element_set(read, message=message, line=line)


class _Read:
    """What the tokens of one record said: typed values, extra text, comments, lines."""

    __slots__ = ("comments", "extra", "seen", "values")

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}  # keyword -> line
        self.values: dict[str, Any] = {}  # keyword -> typed value, for ElementSet fields
        self.extra: list[tuple[int, int, str, str]] = []  # (rank, order, keyword, text)
        self.comments: list[str] = []

    def add(self, key: Key, kw: str, raw: Any, unit: str | None, at: int) -> Any:
        """Given one token, check and store its value; return the value."""
        if kw in self.seen:
            raise FormatError(
                f"{kw} given twice",
                line=at,
                field=kw,
                received=f"first given on line {self.seen[kw]}",
            )
        self.seen[kw] = at
        value = key.parse(raw) if unit is None and type(raw) is str and raw else None
        if value is None:
            value = _convert(key, kw, raw, unit, at)
        if kw in NOT_EXTRA:
            self.values[kw] = value
        else:
            text = raw if isinstance(raw, str) else value_text(raw)
            self.extra.append((RANK.get(kw, len(RANK)), len(self.extra), kw, text))
        return value


def _key(kw: str, at: int) -> Key:
    key = KEYWORDS.get(kw) or lookup(kw)
    if key is None:
        raise FormatError(f"unknown keyword {kw}", line=at, field=kw, expected=EXPECTED_KEYWORD)
    return key


def _read_table(read: _Read, tokens: Iterable[Token]) -> None:
    """Given the tokens of a JSON object or CSV row, read them (any order, no sections)."""
    for at, kw, raw, unit, _ in tokens:
        if kw == "COMMENT":
            read.comments.append(raw)
        else:
            read.add(KEYWORDS.get(kw) or _key(kw, at), kw, raw, unit, at)


def _read_message(read: _Read, tokens: Iterable[Token], *, kvn: bool, allow_blank: bool) -> None:
    """Given the tokens of a KVN or XML message, read them, checking sections (4.2, 7.8)."""
    block, previous, comment_line = -1, "", 0
    for at, kw, raw, unit, container in tokens:
        if kw == "COMMENT":
            read.comments.append(raw)
            comment_line = comment_line or at
            continue
        key = _key(kw, at)
        if container is not None and BLOCKS[key.block] != container:
            raise FormatError(
                f"{kw} does not belong in <{container}>",
                line=at,
                field=kw,
                expected=f"{kw} inside <{BLOCKS[key.block]}>",
            )
        if key.block < block:
            raise FormatError(
                f"{kw} belongs to the {BLOCKS[key.block]} section, which has ended",
                line=at,
                field=kw,
                expected=f"sections in the order {', '.join(BLOCKS)} (502.0-B-3 4.2)",
            )
        if kvn and comment_line and key.block == block and previous != "CCSDS_OMM_VERS":
            misplaced_comment(comment_line, BLOCKS[block])
        block, previous, comment_line = key.block, kw, 0
        if read.add(key, kw, raw, unit, at) is None and not allow_blank and key is not USER_KEY:
            raise FormatError(
                f"{kw} has no value",
                line=at,
                field=kw,
                expected="a value (502.0-B-3 7.5.1; CelesTrak leaves it blank: pass "
                "allow_blank_mandatory=True to read that as None)",
            )
    if kvn and comment_line:
        misplaced_comment(comment_line, "last")


def misplaced_comment(line: int, block: str) -> None:
    """Given a COMMENT that is not at the start of a section, raise (502.0-B-3 7.8)."""
    raise FormatError(
        f"COMMENT inside the {block} section",
        line=line,
        field="COMMENT",
        expected="COMMENT lines only at the start of the header, metadata and data "
        "sections and their logical blocks (502.0-B-3 7.8)",
    )


def _element_set(read: _Read, *, message: bool, line: int) -> ElementSet:
    """Given the typed values of one OMM, check them as SGP4 elements (502.0-B-3 4.2)."""
    values, seen, extra = read.values, read.seen, read.extra
    version = values.get("CCSDS_OMM_VERS")
    if version is not None and version not in VERSIONS:
        raise _refuse(values, seen, line, "CCSDS_OMM_VERS", "unsupported OMM version", "2.0 or 3.0")
    theory = values.get("MEAN_ELEMENT_THEORY", None if message else "SGP4")
    if theory is None:
        raise _missing("MEAN_ELEMENT_THEORY", line)
    if theory not in SGP4_THEORIES:
        raise _refuse(
            values,
            seen,
            line,
            "MEAN_ELEMENT_THEORY",
            f"expected MEAN_ELEMENT_THEORY {', '.join(SGP4_THEORIES)}: an ElementSet holds "
            "SGP4 mean elements",
            "an OMM of SGP4 mean elements (502.0-B-3 4.2.4)",
        )
    if message:
        for kw in _MESSAGE_MANDATORY:
            if kw not in seen:
                raise _missing(kw, line)
    for kw, need in (("CENTER_NAME", "EARTH"), ("REF_FRAME", "TEME"), ("TIME_SYSTEM", "UTC")):
        if values.setdefault(kw, need) != need:
            raise _refuse(values, seen, line, kw, f"expected {kw} {need} for SGP4 elements", need)
    if "SEMI_MAJOR_AXIS" in seen:
        raise _refuse(
            values,
            seen,
            line,
            "SEMI_MAJOR_AXIS",
            "SGP4 mean elements carry MEAN_MOTION, not SEMI_MAJOR_AXIS",
            "MEAN_MOTION [rev/day]",
        )
    if not _ELEMENT_SET.issubset(values):
        kw = next(kw for kw in ELEMENTS if kw not in values)
        raise _missing(kw, line, " (an SGP4 element set needs it)")
    if extra or theory == "SGP4-XP" or not _DRAG_SET.issubset(values):
        _check_drag_terms(values, seen, {kw for _, _, kw, _ in extra}, theory, line)
    _check_ranges(values, seen, line)
    values.pop("CCSDS_OMM_VERS", None)
    fields = {FIELDS[kw]: v for kw, v in values.items()}
    return ElementSet(
        **fields,
        extra=tuple((kw, text) for _, _, kw, text in sorted(extra)) if extra else (),
        comments=tuple(read.comments),
    )


def _check_drag_terms(
    values: dict[str, Any], seen: dict[str, int], kept: set[str], theory: str, line: int
) -> None:
    """BSTAR or, for SGP4-XP, BTERM; MEAN_MOTION_DDOT or, for SGP4-XP, AGOM (Table 4-3)."""
    xp = theory == "SGP4-XP"
    for plain, alt in (("BSTAR", "BTERM"), ("MEAN_MOTION_DDOT", "AGOM")):
        if alt in kept and not xp:
            raise FormatError(
                f"{alt} belongs to SGP4-XP", line=seen[alt], field=alt, expected=plain
            )
        if plain in values and alt in kept:
            raise FormatError(f"{plain} and {alt} both given", line=seen[alt], field=alt)
        if plain not in values and alt not in kept:
            raise _missing(f"{plain} or {alt}" if xp else plain, line)


def _missing(kw: str, line: int, why: str = "") -> FormatError:
    return FormatError(
        f"missing mandatory keyword {kw}{why}", line=line, field=kw, expected=f"{kw} = ..."
    )


def _refuse(
    values: dict[str, Any], seen: dict[str, int], line: int, kw: str, message: str, expected: str
) -> FormatError:
    received = values.get(kw)
    return FormatError(
        message,
        line=seen.get(kw, line),
        field=kw,
        expected=expected,
        received=None if received is None else str(received),
    )


def _check_ranges(values: dict[str, Any], seen: dict[str, int], line: int) -> None:
    get = values.get
    if (
        values["MEAN_MOTION"] > 0.0
        and 0.0 <= values["ECCENTRICITY"] < 1.0
        and 0.0 <= values["INCLINATION"] <= 180.0
        and 0 <= values["NORAD_CAT_ID"] <= 999_999_999
        and 0 <= get("ELEMENT_SET_NO", 0) <= 9999
        and get("REV_AT_EPOCH", 0) >= 0
        and (get("GM") is None or values["GM"] > 0.0)
    ):
        return
    checks = (
        ("MEAN_MOTION", values["MEAN_MOTION"] > 0.0, "> 0 rev/day"),
        ("ECCENTRICITY", 0.0 <= values["ECCENTRICITY"] < 1.0, "0 <= e < 1"),
        ("INCLINATION", 0.0 <= values["INCLINATION"] <= 180.0, "0 to 180 deg"),
        ("NORAD_CAT_ID", 0 <= values["NORAD_CAT_ID"] <= 999_999_999, "up to nine digits"),
        ("ELEMENT_SET_NO", 0 <= get("ELEMENT_SET_NO", 0) <= 9999, "0 to 9999"),
        ("REV_AT_EPOCH", get("REV_AT_EPOCH", 0) >= 0, ">= 0"),
        ("GM", get("GM") is None or values["GM"] > 0.0, "> 0 km**3/s**2"),
    )
    for kw, ok, expected in checks:
        if not ok:
            raise _refuse(values, seen, line, kw, f"{kw} out of range", expected)


def collect(
    items: Iterable[tuple[int, str, Iterable[Token] | FormatError]],
    *,
    message: bool,
    kvn: bool = False,
    allow_blank: bool = True,
) -> ParseResult[ElementSet]:
    """Given (line, raw, tokens or error) per record, build each into a ParseResult."""
    result: ParseResult[ElementSet] = ParseResult()
    for line, raw, tokens in items:
        try:
            if isinstance(tokens, FormatError):
                raise tokens
            record = build(tokens, message=message, kvn=kvn, line=line, allow_blank=allow_blank)
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result
