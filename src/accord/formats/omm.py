"""CCSDS Orbit Mean-elements Messages (OMM) <-> :class:`ElementSet`.

Reads and writes the OMM of CCSDS 502.0-B-3 (ODM, 2023; version 2.0 messages of 502.0-B-2
too) in four renderings: KVN (502.0-B-3 section 7), NDM/XML (CCSDS 505.0-B-1, schema
``ndmxml-1.0-omm-2.0.xsd``), and the JSON and CSV tables that CelesTrak and Space-Track
serve with OMM keywords as keys.

Built like Orekit's CCSDS parsers: each rendering has a lexer that turns text into tokens
``(line, keyword, value, unit, block)``, and one builder checks every token against a
per-keyword table (block of Tables 4-1 to 4-3, type, unit) and makes the ElementSet.  An
ElementSet holds SGP4 mean elements, so a message whose MEAN_ELEMENT_THEORY is not
SGP/SGP4 (or SGP4-XP), or whose frame is not TEME about the EARTH in UTC, is rejected.

Decisions worth knowing:

- Optional sections (spacecraft parameters, BTERM/AGOM of SGP4-XP, covariance,
  USER_DEFINED_*, and the 3.0 header keywords CLASSIFICATION and MESSAGE_ID,
  REF_FRAME_EPOCH) go verbatim into ``ElementSet.extra`` in the standard's order; all
  COMMENT lines go into ``comments`` in message order.  Writers put the comments in the
  header, so their position, not their text or order, is lost.
- Tables (JSON, CSV): metadata absent means EARTH/TEME/UTC/SGP4; a blank or null value
  means absent.  Provider keys that are not OMM keywords but are known (Space-Track's
  SEMIMAJOR_AXIS ... GP_ID, CelesTrak SupGP's RMS, DATA_SOURCE) are kept as
  ``USER_DEFINED_<KEY>``, as Space-Track's own KVN and XML do; TLE_LINE0-2 are a derived
  copy of the elements and are dropped.  Any other key rejects its record (JSON) or the
  file (CSV header), unless ``unknown_keys="keep"``.
- Strict by default, with two named exceptions.  ``tolerate_undeclared_xsi`` (off) reads
  older CelesTrak NDM/XML, whose ``xsi:`` attribute prefix is never declared.
  ``allow_blank_mandatory`` (on) reads CelesTrak's blank CREATION_DATE, ORIGINATOR and
  OBJECT_ID as None: 502.0-B-3 7.5.1 forbids them in KVN (the NDM/XML 1.0 schema allows
  them), but refusing them would refuse every CelesTrak KVN and XML file; turned off, the
  readers refuse them as Orekit does.
- CelesTrak's empty answer "No GP data found" reads as zero records and no error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from xml.parsers import expat

from accord.errors import FormatError
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected

__all__ = [
    "dump_omm_csv",
    "dump_omm_json",
    "dump_omm_kvn",
    "dump_omm_xml",
    "load_omm_csv",
    "load_omm_json",
    "load_omm_kvn",
    "load_omm_xml",
    "parse_epoch",
]

UnknownKeys = Literal["reject", "keep"]

# A token: (line, keyword, value, unit, block).  value is text, or a JSON number/None;
# block is the XML container the keyword sat in (None for KVN, JSON, CSV).
Token = tuple[int, str, Any, str | None, str | None]

# ---------------------------------------------------------------------------------------
# Values: CCSDS 502.0-B-3 7.5 (integers 7.5.4, reals 7.5.6, epochs 7.5.10).
# ---------------------------------------------------------------------------------------

_INT = re.compile(r"[+-]?\d+", re.ASCII)
_EPOCH = re.compile(
    r"(\d{4})-(?:(\d\d)-(\d\d)|(\d{3}))T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z?", re.ASCII
)
_EPOCH_FORMS = "YYYY-MM-DDThh:mm:ss[.d...][Z] or YYYY-DDDThh:mm:ss[.d...][Z] (502.0-B-3 7.5.10)"
_ONE_US = timedelta(microseconds=1)


def parse_epoch(text: str) -> datetime:
    """Given a CCSDS epoch string (502.0-B-3 7.5.10), return a naive UTC datetime.

    Calendar and day-of-year forms, with or without a fraction and a trailing ``Z``; the
    fraction is rounded (half up) to the microsecond.  Second 60 of a leap second reads as
    second 59, since a datetime cannot carry it.  Raise FormatError otherwise.
    """
    if len(text) == 26 and text[10] == "T" and text[19] == "." and text[20:].isdigit():
        try:  # CelesTrak's form, at C speed: fromisoformat checks every other position
            t = datetime.fromisoformat(text)
            if t.tzinfo is None:
                return t
        except ValueError:
            pass  # a leap second or an impossible date: the general path says which
    m = _EPOCH.fullmatch(text)
    if m is None:
        raise FormatError("not a CCSDS epoch", expected=_EPOCH_FORMS, received=text)
    year, month, day, doy, hh, mm, ss, frac = m.groups()
    if month is not None and ss != "60" and (frac is None or len(frac) <= 6):
        try:  # the common case, at C speed; the pattern above has vetted the form
            return datetime.fromisoformat(text[:-1] if text[-1] == "Z" else text)
        except ValueError:
            pass  # an impossible date: reported below
    hour, minute, second = int(hh), int(mm), int(ss)
    if second == 60 and hour == 23 and minute == 59:
        second = 59
    try:
        if doy is None:
            base = datetime(int(year), int(month), int(day), hour, minute, second)
        else:
            base = datetime(int(year), 1, 1, hour, minute, second)
            if not 1 <= int(doy) <= (366 if _is_leap(int(year)) else 365):
                raise ValueError(f"day of year {doy} out of range")
            base += timedelta(days=int(doy) - 1)
    except ValueError as exc:
        raise FormatError(
            f"not a valid date ({exc})", expected=_EPOCH_FORMS, received=text
        ) from None
    if not frac:
        return base
    if len(frac) <= 6:
        return base.replace(microsecond=int(frac.ljust(6, "0")))
    scale = 10 ** (len(frac) - 6)
    return base + (int(frac) + scale // 2) // scale * _ONE_US


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _real(text: str) -> float | None:
    """Given text, return its value if it is a CCSDS real (502.0-B-3 7.5.6), else None."""
    # float() reads a superset of 7.5.6; the tests drop its extra forms (whitespace,
    # underscores, non-ASCII digits, inf and nan).  Twice as fast as a regular expression.
    try:
        x = float(text)
    except ValueError:
        return None
    if x - x != 0.0 or not text.isascii() or "_" in text or text != text.strip():
        return None
    return x


def _integer(text: str) -> int | None:
    """Given text, return its value if it is a CCSDS integer (502.0-B-3 7.5.4), else None."""
    if text.isdigit() and text.isascii():
        return int(text)
    return int(text) if _INT.fullmatch(text) else None


def _epoch_or_none(text: str) -> datetime | None:
    try:
        return parse_epoch(text)
    except FormatError:
        return None


def _text_value(text: str) -> str:
    return text


_PARSERS: dict[str, Callable[[str], Any]] = {
    "real": _real,
    "int": _integer,
    "text": _text_value,
    "epoch": _epoch_or_none,
}


# ---------------------------------------------------------------------------------------
# The keyword table: CCSDS 502.0-B-3 Tables 4-1 (header), 4-2 (metadata), 4-3 (data).
# ---------------------------------------------------------------------------------------

BLOCKS = (
    "header",
    "metadata",
    "meanElements",
    "spacecraftParameters",
    "tleParameters",
    "covarianceMatrix",
    "userDefinedParameters",
)
_HEAD, _META, _MEAN, _CRAFT, _TLE, _COV, _USER = range(len(BLOCKS))


@dataclass(frozen=True)
class _Key:
    block: int
    kind: str  # "text" | "real" | "int" | "epoch"
    unit: str | None = None  # the unit the standard prescribes, None if dimensionless
    blank_ok: bool = False  # an empty value is read as "not given"
    # Given non-empty text, return its value, or None when it is malformed.
    parse: Callable[[str], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parse", _PARSERS[self.kind])


def _covariance_keys() -> dict[str, _Key]:
    axes = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
    units = ("km**2", "km**2/s", "km**2/s**2")
    keys = {"COV_REF_FRAME": _Key(_COV, "text")}
    for i, row in enumerate(axes):
        for col in axes[: i + 1]:
            keys[f"C{row}_{col}"] = _Key(_COV, "real", units[(i >= 3) + (axes.index(col) >= 3)])
    return keys


_KEYWORDS: dict[str, _Key] = {
    "CCSDS_OMM_VERS": _Key(_HEAD, "text"),
    "CLASSIFICATION": _Key(_HEAD, "text"),
    "CREATION_DATE": _Key(_HEAD, "epoch", blank_ok=True),
    "ORIGINATOR": _Key(_HEAD, "text", blank_ok=True),
    "MESSAGE_ID": _Key(_HEAD, "text"),
    "OBJECT_NAME": _Key(_META, "text", blank_ok=True),
    "OBJECT_ID": _Key(_META, "text", blank_ok=True),
    "CENTER_NAME": _Key(_META, "text"),
    "REF_FRAME": _Key(_META, "text"),
    "REF_FRAME_EPOCH": _Key(_META, "epoch"),
    "TIME_SYSTEM": _Key(_META, "text"),
    "MEAN_ELEMENT_THEORY": _Key(_META, "text"),
    "EPOCH": _Key(_MEAN, "epoch"),
    "SEMI_MAJOR_AXIS": _Key(_MEAN, "real", "km"),
    "MEAN_MOTION": _Key(_MEAN, "real", "rev/day"),
    "ECCENTRICITY": _Key(_MEAN, "real"),
    "INCLINATION": _Key(_MEAN, "real", "deg"),
    "RA_OF_ASC_NODE": _Key(_MEAN, "real", "deg"),
    "ARG_OF_PERICENTER": _Key(_MEAN, "real", "deg"),
    "MEAN_ANOMALY": _Key(_MEAN, "real", "deg"),
    "GM": _Key(_MEAN, "real", "km**3/s**2"),
    "MASS": _Key(_CRAFT, "real", "kg"),
    "SOLAR_RAD_AREA": _Key(_CRAFT, "real", "m**2"),
    "SOLAR_RAD_COEFF": _Key(_CRAFT, "real"),
    "DRAG_AREA": _Key(_CRAFT, "real", "m**2"),
    "DRAG_COEFF": _Key(_CRAFT, "real"),
    "EPHEMERIS_TYPE": _Key(_TLE, "int"),
    "CLASSIFICATION_TYPE": _Key(_TLE, "text"),
    "NORAD_CAT_ID": _Key(_TLE, "int"),
    "ELEMENT_SET_NO": _Key(_TLE, "int"),
    "REV_AT_EPOCH": _Key(_TLE, "int"),
    "BSTAR": _Key(_TLE, "real", "1/ER"),
    "BTERM": _Key(_TLE, "real", "m**2/kg"),
    "MEAN_MOTION_DOT": _Key(_TLE, "real", "rev/day**2"),
    "MEAN_MOTION_DDOT": _Key(_TLE, "real", "rev/day**3"),
    "AGOM": _Key(_TLE, "real", "m**2/kg"),
    **_covariance_keys(),
}
_USER_KEY = _Key(_USER, "text", blank_ok=True)
_USER_PREFIX = "USER_DEFINED_"

# Keywords read into ElementSet fields; every other keyword but the version goes to extra.
_FIELDS = {
    "CREATION_DATE": "creation_date",
    "ORIGINATOR": "originator",
    "OBJECT_NAME": "object_name",
    "OBJECT_ID": "object_id",
    "CENTER_NAME": "center_name",
    "REF_FRAME": "ref_frame",
    "TIME_SYSTEM": "time_system",
    "MEAN_ELEMENT_THEORY": "mean_element_theory",
    "EPOCH": "epoch",
    "MEAN_MOTION": "mean_motion",
    "ECCENTRICITY": "eccentricity",
    "INCLINATION": "inclination",
    "RA_OF_ASC_NODE": "ra_of_asc_node",
    "ARG_OF_PERICENTER": "arg_of_pericenter",
    "MEAN_ANOMALY": "mean_anomaly",
    "GM": "gm",
    "EPHEMERIS_TYPE": "ephemeris_type",
    "CLASSIFICATION_TYPE": "classification_type",
    "NORAD_CAT_ID": "norad_cat_id",
    "ELEMENT_SET_NO": "element_set_no",
    "REV_AT_EPOCH": "rev_at_epoch",
    "BSTAR": "bstar",
    "MEAN_MOTION_DOT": "mean_motion_dot",
    "MEAN_MOTION_DDOT": "mean_motion_ddot",
}
_NOT_EXTRA = {"CCSDS_OMM_VERS", "SEMI_MAJOR_AXIS", *_FIELDS}
_RANK = {kw: i for i, kw in enumerate(_KEYWORDS)}

SGP4_THEORIES = ("SGP4", "SGP/SGP4", "SGP4-XP")
_VERSIONS = ("2.0", "3.0")
_ELEMENTS = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "NORAD_CAT_ID",
    "MEAN_MOTION_DOT",
)
_ELEMENT_SET = frozenset(_ELEMENTS)
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
_TABLE_DEFAULTS = {
    "CENTER_NAME": "EARTH",
    "REF_FRAME": "TEME",
    "TIME_SYSTEM": "UTC",
    "MEAN_ELEMENT_THEORY": "SGP4",
}
# Provider keys of the JSON/CSV tables that are no OMM keyword: kept as USER_DEFINED_<KEY>
# (Space-Track gp and legacy tle classes, CelesTrak SupGP), or dropped as derived copies.
INFORMATIONAL_KEYS = frozenset(
    [
        "SEMIMAJOR_AXIS",
        "PERIOD",
        "APOAPSIS",
        "PERIAPSIS",
        "OBJECT_TYPE",
        "RCS_SIZE",
        "COUNTRY_CODE",
        "LAUNCH_DATE",
        "SITE",
        "DECAY_DATE",
        "FILE",
        "GP_ID",
        "INTLDES",
        "OBJECT_NUMBER",
        "APOGEE",
        "PERIGEE",
        "DECAYED",
        "ORDINAL",
        "RMS",
        "DATA_SOURCE",
    ]
)
DERIVED_KEYS = frozenset(("TLE_LINE0", "TLE_LINE1", "TLE_LINE2"))
EMPTY_ANSWERS = ("No GP data found", "No SupGP data found")
_EXPECTED_KEYWORD = "a keyword of CCSDS 502.0-B-3 Tables 4-1 to 4-3 (OMM) or USER_DEFINED_<NAME>"


def _convert(key: _Key, kw: str, value: Any, unit: str | None, line: int) -> Any:
    """Given one token's value, return it typed by the keyword table, or raise."""
    if unit is not None:
        _check_unit(key, kw, unit, line)
    kind = key.kind
    if type(value) is not str or not value:
        return _convert_other(key, kw, value, line)
    if kind == "real":
        x = _real(value)
        if x is not None:
            return x
        expected = "a real number such as 249.2363 or -.47102E-5 (502.0-B-3 7.5.6)"
    elif kind == "text":
        return value
    elif kind == "int":
        n = _integer(value)
        if n is not None:
            return n
        expected = "an integer such as 25544 or +0925 (502.0-B-3 7.5.4)"
    else:
        try:
            return parse_epoch(value)
        except FormatError as exc:
            raise FormatError(
                f"{kw} is not a CCSDS epoch", line=line, field=kw, **_er(exc)
            ) from None
    raise FormatError(
        f"{kw} is not a number", line=line, field=kw, expected=expected, received=value
    )


def _convert_other(key: _Key, kw: str, value: Any, line: int) -> Any:
    """Given an empty text or a JSON number, return it typed, or raise."""
    kind = key.kind
    if value == "":
        if key.blank_ok:
            return "" if key is _USER_KEY else None
        raise FormatError(f"{kw} has no value", line=line, field=kw, expected="a value")
    # JSON numbers (CelesTrak's tables carry them unquoted).
    if isinstance(value, bool) or not isinstance(value, int | float):
        pass
    elif kind == "real" and math.isfinite(value):
        return float(value)
    elif kind == "int" and isinstance(value, int):
        return value
    elif kind == "text" and key is _USER_KEY:
        return _number_text(value)
    raise FormatError(
        f"{kw} has the wrong type", line=line, field=kw, expected=kind, received=repr(value)
    )


def _er(exc: FormatError) -> dict[str, str | None]:
    return {"expected": exc.expected, "received": exc.received}


def _check_unit(key: _Key, kw: str, unit: str, line: int) -> None:
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


def _number_text(value: float | int) -> str:
    return _fmt_float(value) if isinstance(value, float) else str(value)


def _lookup(kw: str) -> _Key | None:
    key = _KEYWORDS.get(kw)
    if key is None and kw.startswith(_USER_PREFIX) and len(kw) > len(_USER_PREFIX):
        return _USER_KEY
    return key


# ---------------------------------------------------------------------------------------
# The builder: tokens -> ElementSet, the same for every rendering.
# ---------------------------------------------------------------------------------------


def _build(
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

    def add(self, key: _Key, kw: str, raw: Any, unit: str | None, at: int) -> Any:
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
        if kw in _NOT_EXTRA:
            self.values[kw] = value
        else:
            text = raw if isinstance(raw, str) else _number_text(raw)
            self.extra.append((_RANK.get(kw, len(_RANK)), len(self.extra), kw, text))
        return value


def _key(kw: str, at: int) -> _Key:
    key = _KEYWORDS.get(kw) or _lookup(kw)
    if key is None:
        raise FormatError(f"unknown keyword {kw}", line=at, field=kw, expected=_EXPECTED_KEYWORD)
    return key


def _read_table(read: _Read, tokens: Iterable[Token]) -> None:
    """Given the tokens of a JSON object or CSV row, read them (any order, no sections)."""
    for at, kw, raw, unit, _ in tokens:
        if kw == "COMMENT":
            read.comments.append(raw)
        else:
            read.add(_KEYWORDS.get(kw) or _key(kw, at), kw, raw, unit, at)


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
            _misplaced_comment(comment_line, BLOCKS[block])
        block, previous, comment_line = key.block, kw, 0
        if read.add(key, kw, raw, unit, at) is None and not allow_blank and key is not _USER_KEY:
            raise FormatError(
                f"{kw} has no value",
                line=at,
                field=kw,
                expected="a value (502.0-B-3 7.5.1; CelesTrak leaves it blank: pass "
                "allow_blank_mandatory=True to read that as None)",
            )
    if kvn and comment_line:
        _misplaced_comment(comment_line, "last")


def _misplaced_comment(line: int, block: str) -> None:
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
    if version is not None and version not in _VERSIONS:
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
        kw = next(kw for kw in _ELEMENTS if kw not in values)
        raise _missing(kw, line, " (an SGP4 element set needs it)")
    if extra or theory == "SGP4-XP" or not _DRAG_SET.issubset(values):
        _check_drag_terms(values, seen, {kw for _, _, kw, _ in extra}, theory, line)
    _check_ranges(values, seen, line)
    values.pop("CCSDS_OMM_VERS", None)
    fields = {_FIELDS[kw]: v for kw, v in values.items()}
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


def _collect(
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
            record = _build(tokens, message=message, kvn=kvn, line=line, allow_blank=allow_blank)
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _empty_answer(text: str) -> bool:
    return text.strip() in EMPTY_ANSWERS


# ---------------------------------------------------------------------------------------
# KVN: CCSDS 502.0-B-3 section 7.
# ---------------------------------------------------------------------------------------

_KEYWORD = re.compile(r"[A-Z][A-Z0-9_]*")
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
    if _empty_answer(text):
        return ParseResult()
    messages = _kvn_messages(text.lstrip("\ufeff"))
    return _collect(messages, message=True, kvn=True, allow_blank=allow_blank_mandatory)


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
    key = _lookup(kw)
    if not equals or (key is None and _KEYWORD.fullmatch(kw) is None):
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
    if version not in _VERSIONS:
        raise FormatError("unsupported OMM version", expected="2.0 or 3.0", received=version)
    return "\n".join(_kvn_message(r, version) for r in records)


def _kvn_message(record: ElementSet, version: str) -> str:
    out = [f"{'CCSDS_OMM_VERS':<20} = {version}"]
    out += [f"COMMENT {_one_line(c)}".rstrip() for c in record.comments]
    block = _HEAD
    for kw, value in _message_items(record):
        key = _lookup(kw)
        assert key is not None
        if key.block != block:
            out.append("")
            block = key.block
        unit = f" [{key.unit}]" if key.unit and value is not None else ""
        out.append(f"{kw:<20} = {_one_line(_text(value))}{unit}".rstrip())
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    if "\n" in text or "\r" in text:
        raise FormatError("a KVN value cannot span lines", received=text[:80])
    return text


# ---------------------------------------------------------------------------------------
# What the writers write: every keyword of a record, in the standard's order.
# ---------------------------------------------------------------------------------------


def _message_items(record: ElementSet) -> list[tuple[str, Any]]:
    """Given an element set, return (KEYWORD, value) in CCSDS 502.0-B-3 order.

    Values are typed (float, int, datetime, str, or None for a blank); extra keywords are
    text.  The version line and comments are left to the writer.
    """
    extra: dict[str, str] = {}
    user: list[tuple[str, Any]] = []
    for kw, text in record.extra:
        key = _lookup(kw)
        if key is None or kw in _NOT_EXTRA:
            raise FormatError(f"ElementSet.extra holds {kw}", field=kw, expected=_EXPECTED_KEYWORD)
        if key is _USER_KEY:
            user.append((kw, text))
        elif kw in extra:
            raise FormatError(f"ElementSet.extra holds {kw} twice", field=kw)
        else:
            extra[kw] = text
    items: list[tuple[str, Any]] = []
    for kw in _KEYWORDS:
        if kw in extra:
            items.append((kw, extra[kw]))
        elif kw in _FIELDS and not _skipped(kw, record, extra):
            items.append((kw, getattr(record, _FIELDS[kw])))
    return items + user


def _skipped(kw: str, record: ElementSet, extra: dict[str, str]) -> bool:
    if kw == "GM":
        return record.gm is None
    for plain, alt in (("BSTAR", "BTERM"), ("MEAN_MOTION_DDOT", "AGOM")):
        if kw == plain and alt in extra:
            if getattr(record, _FIELDS[plain]) != 0.0:
                raise FormatError(f"{plain} and {alt} both set", field=alt)
            return True
    return False


def _fmt_float(x: float) -> str:
    """Given a float, return the shortest text that reads back as it (``E`` exponent)."""
    if not math.isfinite(x):
        raise FormatError("a CCSDS real must be finite", received=repr(x))
    return repr(float(x)).replace("e", "E")


def _fmt_epoch(t: datetime) -> str:
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return _fmt_float(value)
    if isinstance(value, datetime):
        return _fmt_epoch(value)
    return str(value)


# ---------------------------------------------------------------------------------------
# NDM/XML: CCSDS 505.0-B-1, schema ndmxml-1.0-omm-2.0.xsd (and the 3.0 keywords).
# ---------------------------------------------------------------------------------------

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


class _Node:
    """An XML element as read: local name, attributes, text, children, where it was."""

    __slots__ = ("attrs", "children", "end", "line", "start", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str], line: int, start: int) -> None:
        self.tag = tag
        self.attrs = attrs
        self.line = line
        self.start = start
        self.end = start
        self.children: list[_Node] = []
        self.text: list[str] = []


class _StopError(Exception):
    """Raised in an expat handler to end the whole document with a reason."""

    def __init__(self, error: FormatError) -> None:
        self.error = error


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
        text = _xml_text(data) if isinstance(data, bytes) else data
    except (LookupError, UnicodeDecodeError) as exc:
        result: ParseResult[ElementSet] = ParseResult()
        error = FormatError(f"cannot decode the XML: {exc}", line=1)
        raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        result.rejected.append(Rejected(1, raw, error))
        return result
    if _empty_answer(text):
        return ParseResult()
    utf8 = text.lstrip("\ufeff").encode("utf-8")
    return _XmlReader(utf8, tolerate_undeclared_xsi, allow_blank_mandatory).read()


_XML_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z][\w.:-]*)[\"']")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _xml_text(data: bytes) -> str:
    """Given XML bytes, return the text, decoded by its byte order mark or declaration."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding)
    m = _XML_ENCODING.match(data)
    return data.decode(m.group(1).decode("ascii") if m else "utf-8")


class _XmlReader:
    """An expat pass that hands each complete message element to the builder."""

    def __init__(self, data: bytes, tolerate_xsi: bool, allow_blank: bool) -> None:
        self.data = data  # UTF-8, whatever the declaration says: the parser is told so
        self.allow_blank = allow_blank
        self.parser = expat.ParserCreate("utf-8")
        self.tolerate_xsi = tolerate_xsi
        self.stack: list[_Node] = []
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
        except _StopError as stop:
            self._reject(self.parser.CurrentLineNumber, len(self.data), stop.error)
        except expat.ExpatError as exc:
            error = FormatError(
                f"not well-formed XML: {expat.errors.messages[exc.code]}", line=exc.lineno
            )
            self._reject(exc.lineno, len(self.data), error)
        return self.result

    def _doctype(self, *args: Any) -> None:
        line = self.parser.CurrentLineNumber
        raise _StopError(FormatError("a DOCTYPE is not allowed in NDM/XML", line=line))

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
        node = _Node(tag, local_attrs, line, p.CurrentByteIndex)
        if self.stack:
            self.stack[-1].children.append(node)
        elif tag not in ("omm", "ndm"):
            raise _StopError(
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
        raise _StopError(
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

    def _message(self, node: _Node) -> None:
        raw = self._raw(node.start, node.end)
        try:
            tokens = _omm_tokens(node, self.ndm_comments)
            record = _build(
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


def _node_text(node: _Node) -> str:
    return "".join(node.text).strip()


def _omm_tokens(omm: _Node, ndm_comments: Sequence[str]) -> list[Token]:
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


def _sequence(node: _Node) -> list[_Node]:
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


def _unexpected(parent: _Node, child: _Node | None, expected: str) -> FormatError:
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


def _no_text(node: _Node) -> None:
    text = _node_text(node)
    if text:
        raise FormatError(
            f"unexpected text in <{node.tag}>", line=node.line, field=node.tag, received=text[:80]
        )


def _leaf_tokens(block: _Node, tokens: list[Token]) -> None:
    """Given a keyword block (header, metadata, meanElements ...), append its tokens."""
    _no_text(block)
    keywords_seen = False
    for child in block.children:
        if child.children:
            raise _unexpected(child, child.children[0], f"text in <{child.tag}>")
        attrs = dict(child.attrs)
        kw = child.tag
        if kw == "USER_DEFINED":
            kw = _USER_PREFIX + attrs.pop("parameter", "")
        unit = attrs.pop("units", None)
        if attrs:
            raise FormatError(
                f"unexpected attribute {next(iter(attrs))} on <{child.tag}>",
                line=child.line,
                field=kw,
            )
        if kw == "COMMENT" and keywords_seen and block.tag != "userDefinedParameters":
            _misplaced_comment(child.line, block.tag)
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
    items = _message_items(record)
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
        key = _lookup(kw)
        assert key is not None
        name = BLOCKS[key.block]
        if name not in parents:
            parents[name] = ET.SubElement(parents["data"], name)
        attrs = {"units": key.unit} if key.unit else {}
        if key is _USER_KEY:
            attrs, kw = {"parameter": kw[len(_USER_PREFIX) :]}, "USER_DEFINED"
        ET.SubElement(parents[name], kw, attrs).text = _text(value)
    return omm


# ---------------------------------------------------------------------------------------
# JSON and CSV tables (CelesTrak, Space-Track): OMM keywords as keys.
# ---------------------------------------------------------------------------------------


def _table_token(key: str, value: Any, line: int, unknown_keys: UnknownKeys) -> list[Token]:
    """Given one key/value of a JSON object or CSV row, return its tokens (maybe none)."""
    if key in DERIVED_KEYS or key == "EPOCH_MICROSECONDS":
        return []
    if key == "COMMENT":
        comments = [value] if isinstance(value, str) or value is None else value
        if isinstance(value, _Object) or not all(isinstance(c, str | None) for c in comments):
            raise FormatError("COMMENT is not text", line=line, field=key, expected="text")
        return [(line, "COMMENT", c, None, None) for c in comments if c is not None]
    if key in INFORMATIONAL_KEYS:
        key = _USER_PREFIX + key
    elif _lookup(key) is None:
        if unknown_keys != "keep" or _KEYWORD.fullmatch(key) is None:
            raise FormatError(
                f"unknown key {key}",
                line=line,
                field=key,
                expected=f"{_EXPECTED_KEYWORD}, or a known provider key "
                "(pass unknown_keys='keep' to keep others as USER_DEFINED_*)",
            )
        key = _USER_PREFIX + key
    if value is None or value == "":
        return [(line, key, "", None, None)] if key.startswith(_USER_PREFIX) else []
    return [(line, key, value, None, None)]


_LEGACY_EPOCH = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)", re.ASCII)
_MICROSECONDS = re.compile(r"\d{1,6}", re.ASCII)


def _legacy_epoch(pairs: list[tuple[Any, Any]], line: int) -> list[tuple[Any, Any]]:
    """Given Space-Track legacy "tle"-class pairs (EPOCH "YYYY-MM-DD hh:mm:ss" plus
    EPOCH_MICROSECONDS), return the pairs with one CCSDS EPOCH."""
    micro = next(str(v) for k, v in pairs if k == "EPOCH_MICROSECONDS")
    out = []
    for k, v in pairs:
        if k == "EPOCH":
            m = _LEGACY_EPOCH.fullmatch(str(v))
            if m is None or _MICROSECONDS.fullmatch(micro) is None:
                raise FormatError(
                    "EPOCH and EPOCH_MICROSECONDS do not combine",
                    line=line,
                    field="EPOCH",
                    expected="YYYY-MM-DD hh:mm:ss with EPOCH_MICROSECONDS of 1 to 6 digits",
                    received=f"{v} / {micro}",
                )
            v = f"{m.group(1)}T{m.group(2)}.{int(micro):06d}"
        out.append((k, v))
    return out


class _Object(list[tuple[str, Any]]):
    """A JSON object as its ordered (key, value) pairs, so duplicate keys show."""


def load_omm_json(text: str, *, unknown_keys: UnknownKeys = "reject") -> ParseResult[ElementSet]:
    """Given CelesTrak or Space-Track OMM JSON (a list of objects, or one), return records.

    Values may be numbers (CelesTrak) or strings (Space-Track); null or "" means absent.
    A bad record is rejected as "record N" (1-based) at its text line; a file cut short
    keeps the complete records and rejects the cut.  See the module notes for keys.
    """
    if _empty_answer(text):
        return ParseResult()
    result: ParseResult[ElementSet] = ParseResult()
    for index, line, raw, obj in _json_objects(text.lstrip("\ufeff")):
        try:
            if isinstance(obj, FormatError):
                raise obj
            record = _build(
                _json_tokens(obj, line, unknown_keys), message=False, kvn=False, line=line
            )
        except FormatError as exc:
            error = FormatError(
                f"record {index}: {exc.message}", line=exc.line or line, field=exc.field, **_er(exc)
            )
            result.rejected.append(Rejected(line, raw, error))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _json_tokens(obj: Any, line: int, unknown_keys: UnknownKeys) -> list[Token]:
    if not isinstance(obj, _Object):
        raise FormatError("not a JSON object", line=line, expected="{...}", received=repr(obj)[:80])
    pairs: list[tuple[str, Any]] = list(obj)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise FormatError(f"key {twice} given twice", line=line, field=twice)
    if "EPOCH_MICROSECONDS" in keys:
        pairs = _legacy_epoch(pairs, line)
    tokens: list[Token] = []
    for key, value in pairs:
        if isinstance(value, dict | list) and key != "COMMENT":
            raise FormatError(
                f"{key} is not a scalar", line=line, field=key, received=repr(value)[:80]
            )
        tokens += _table_token(key, value, line, unknown_keys)
    return tokens


_JSON_SPACE = re.compile(r"[ \t\r\n]*")


def _skip(text: str, pos: int) -> int:
    m = _JSON_SPACE.match(text, pos)
    return pos if m is None else m.end()


def _json_objects(text: str) -> Iterator[tuple[int, int, str, Any]]:
    """Given JSON text, yield (1-based index, line, raw, object or error) per record.

    Elements of a top-level array are decoded one by one, so that each keeps its line
    and raw text, and a cut or broken array still yields the records before the fault.
    """
    decoder = json.JSONDecoder(object_pairs_hook=_Object)
    pos = _skip(text, 0)
    if pos == len(text):
        return
    lines = _LineCounter(text)
    if text[pos] != "[":
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield 1, exc.lineno, text[pos:].strip(), _json_error(exc, "not valid JSON")
            return
        yield 1, lines.at(pos), text[pos:end], obj
        pos = _skip(text, end)
        if pos < len(text):
            yield 2, lines.at(pos), text[pos:], _trailing(lines.at(pos))
        return
    index = 0
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        return
    while True:
        index += 1
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield index, lines.at(pos), text[pos:].strip(), _json_error(exc, "not valid JSON")
            return
        yield index, lines.at(pos), text[pos:end], obj
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        if text.startswith("]", pos):
            pos = _skip(text, pos + 1)
            if pos < len(text):
                yield index + 1, lines.at(pos), text[pos:], _trailing(lines.at(pos))
            return
        at = lines.at(pos)
        cut = FormatError(
            f"the array ends after record {index} without its closing ']' (file cut short?)"
            if pos == len(text)
            else "expected ',' or ']' between records",
            line=at,
            expected="',' or ']'",
            received=text[pos : pos + 20] or "end of input",
        )
        yield index + 1, at, text[pos:], cut
        return


def _json_error(exc: json.JSONDecodeError, what: str) -> FormatError:
    return FormatError(
        f"{what}: {exc.msg}", line=exc.lineno, received=exc.doc[exc.pos : exc.pos + 20]
    )


def _trailing(line: int) -> FormatError:
    return FormatError("text after the end of the JSON value", line=line, expected="end of input")


class _LineCounter:
    """Line numbers of offsets that only grow, counted once."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, pos: int) -> int:
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def load_omm_csv(text: str, *, unknown_keys: UnknownKeys = "reject") -> ParseResult[ElementSet]:
    """Given a CelesTrak-style OMM CSV (a header of OMM keywords), return the records.

    Line numbers are the CSV's.  A row with the wrong number of values or a bad value is
    rejected with its line and column.  A header naming unknown columns (unless
    ``unknown_keys="keep"``) or lacking mandatory ones is unusable: one rejection, line 1.
    """
    if _empty_answer(text):
        return ParseResult()
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    reader = csv.reader(io.StringIO("".join(lines)))
    header = next(reader, None)
    if header is None:
        return ParseResult()
    result: ParseResult[ElementSet] = ParseResult()
    try:
        columns = _csv_columns([h.strip() for h in header], unknown_keys)
    except FormatError as exc:
        result.rejected.append(Rejected(1, "".join(lines).rstrip("\r\n"), exc))
        return result
    first = reader.line_num + 1
    rows = []
    for row in reader:
        start, first = first, reader.line_num + 1
        if row:
            rows.append((start, "".join(lines[start - 1 : reader.line_num]).rstrip("\r\n"), row))
    return _collect(
        ((line, raw, _csv_tokens(columns, row, line)) for line, raw, row in rows), message=False
    )


def _csv_columns(header: list[str], unknown_keys: UnknownKeys) -> list[str | None]:
    """Given a CSV header, return per column its keyword (None: dropped), or raise."""
    unknown = [
        h
        for h in header
        if _lookup(h) is None
        and h not in INFORMATIONAL_KEYS
        and h not in DERIVED_KEYS
        and h not in ("COMMENT", "EPOCH_MICROSECONDS")
    ]
    if unknown and unknown_keys != "keep":
        raise FormatError(
            f"unknown columns {', '.join(unknown)}",
            line=1,
            field=unknown[0],
            expected=f"{_EXPECTED_KEYWORD}, or a known provider column "
            "(pass unknown_keys='keep' to keep others as USER_DEFINED_*)",
        )
    lacking = [kw for kw in _ELEMENTS if kw not in header]
    twice = [h for h in header if header.count(h) > 1]
    if lacking or twice:
        problem = f"columns {', '.join(lacking)} missing" if lacking else "a column repeated"
        raise FormatError(
            f"unusable header: {problem}",
            line=1,
            field=(lacking or twice)[0],
            expected=", ".join(_ELEMENTS),
        )
    out: list[str | None] = []
    for h in header:
        if h in DERIVED_KEYS:
            out.append(None)
        elif h in ("COMMENT", "EPOCH_MICROSECONDS") or _lookup(h) is not None:
            out.append(h)
        else:
            out.append(_USER_PREFIX + h)
    return out


def _csv_tokens(columns: list[str | None], row: list[str], line: int) -> list[Token] | FormatError:
    if len(row) != len(columns):
        return FormatError(
            f"row has {len(row)} values; the header has {len(columns)} columns",
            line=line,
            expected=f"{len(columns)} comma-separated values",
            received=f"{len(row)} values",
        )
    pairs: Iterable[tuple[str | None, str]] = zip(columns, row, strict=True)
    if "EPOCH_MICROSECONDS" in columns:
        try:
            pairs = _legacy_epoch([(k, c) for k, c in pairs if k is not None], line)
        except FormatError as exc:
            return exc
    # A blank cell is an absent value, except under USER_DEFINED_* (Space-Track's blanks).
    tokens: list[Token] = [
        (line, kw, cell, None, None)
        for kw, cell in pairs
        if kw is not None and (cell or kw.startswith(_USER_PREFIX)) and kw not in _CSV_SPECIAL
    ]
    if "COMMENT" in columns:
        cell = row[columns.index("COMMENT")]
        tokens += [(line, "COMMENT", c, None, None) for c in cell.split("\n") if cell]
    return tokens


_CSV_SPECIAL = frozenset(("COMMENT", "EPOCH_MICROSECONDS"))


def _table_items(record: ElementSet, *, full: bool) -> list[tuple[str, Any]]:
    """Given an element set, return the (KEY, value) of its JSON object or CSV row.

    CelesTrak style (``full`` False) leaves out the metadata at its default; Space-Track
    style writes it.  USER_DEFINED_<KEY> of a known provider key is written as KEY.
    """
    items: list[tuple[str, Any]] = [("CCSDS_OMM_VERS", "3.0")] if full else []
    if record.comments:
        items.append(("COMMENT", record.comments))
    for kw, value in _message_items(record):
        if value is None:
            if kw in ("OBJECT_NAME", "OBJECT_ID"):
                items.append((kw, ""))
            continue
        if not full and _TABLE_DEFAULTS.get(kw) == value:
            continue
        if kw.startswith(_USER_PREFIX) and kw[len(_USER_PREFIX) :] in INFORMATIONAL_KEYS:
            kw = kw[len(_USER_PREFIX) :]
        items.append((kw, value))
    return items


def dump_omm_json(records: Iterable[ElementSet], *, numbers_as_strings: bool = False) -> str:
    """Given element sets, return a JSON list of OMM objects.

    CelesTrak style by default (numbers as JSON numbers, default metadata left out);
    Space-Track style with ``numbers_as_strings`` (every value a string, metadata written).
    """
    out = []
    for record in records:
        obj: dict[str, Any] = {}
        for key, value in _table_items(record, full=numbers_as_strings):
            if key == "COMMENT":
                obj[key] = value[0] if len(value) == 1 else list(value)
            elif isinstance(value, float):
                text = _fmt_float(value)  # refuses inf and nan
                obj[key] = text if numbers_as_strings else value
            elif isinstance(value, int) and numbers_as_strings:
                obj[key] = str(value)
            else:
                obj[key] = _text(value) if isinstance(value, datetime) else value
        out.append(obj)
    return json.dumps(out, separators=(",", ":"), allow_nan=False)


_CELESTRAK_COLUMNS = [
    "OBJECT_NAME",
    "OBJECT_ID",
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "EPHEMERIS_TYPE",
    "CLASSIFICATION_TYPE",
    "NORAD_CAT_ID",
    "ELEMENT_SET_NO",
    "REV_AT_EPOCH",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
]


def dump_omm_csv(records: Iterable[ElementSet]) -> str:
    """Given element sets, return CSV with CelesTrak's columns first.

    Columns that some record needs (header, GM, BTERM, extra keywords, COMMENT joined by
    newlines) follow; a record without a value there gets an empty cell, which reads back
    as absent (for USER_DEFINED_* as an empty value).
    """
    rows = [dict(_table_items(r, full=False)) for r in records]
    columns = dict.fromkeys(_CELESTRAK_COLUMNS)
    for row in rows:
        columns.update(dict.fromkeys(k for k in row if k not in columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if isinstance(value, tuple):
        return "\n".join(value)
    return _text(value)
