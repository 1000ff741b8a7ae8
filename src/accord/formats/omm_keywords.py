"""The CCSDS OMM keywords: their values, the per-keyword table, and their order in a message.

Values as CCSDS 502.0-B-3 7.5 writes them (integers 7.5.4, reals 7.5.6, epochs 7.5.10);
the keywords of Tables 4-1 (header), 4-2 (metadata) and 4-3 (data), each with its block,
type and unit.  The readers check tokens against this table (:mod:`.omm_builder`); the
writers take a record's keywords from :func:`message_items`.
"""

from __future__ import annotations

import calendar
import dataclasses
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from accord.errors import FormatError
from accord.formats.records import ElementSet, naive_utc

__all__ = [
    "BLOCKS",
    "ELEMENTS",
    "EXPECTED_KEYWORD",
    "FIELDS",
    "KEYWORDS",
    "KEYWORD_NAME",
    "MEAN_ELEMENTS",
    "NOT_EXTRA",
    "RANK",
    "SGP4_THEORIES",
    "USER_KEY",
    "USER_PREFIX",
    "VERSIONS",
    "Key",
    "lookup",
    "message_items",
    "parse_epoch",
    "read_integer",
    "read_real",
    "real_text",
    "value_text",
]

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
            if not 1 <= int(doy) <= 365 + calendar.isleap(int(year)):
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


def read_real(text: str) -> float | None:
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


def read_integer(text: str) -> int | None:
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
    "real": read_real,
    "int": read_integer,
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
class Key:
    """One keyword's row of the table: its block, type and unit, and whether it may be blank."""

    block: int
    kind: str  # "text" | "real" | "int" | "epoch"
    unit: str | None = None  # the unit the standard prescribes, None if dimensionless
    blank_ok: bool = False  # an empty value is read as "not given"
    # Given non-empty text, return its value, or None when it is malformed.
    parse: Callable[[str], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parse", _PARSERS[self.kind])


def _covariance_keys() -> dict[str, Key]:
    axes = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
    units = ("km**2", "km**2/s", "km**2/s**2")
    keys = {"COV_REF_FRAME": Key(_COV, "text")}
    for i, row in enumerate(axes):
        for col in axes[: i + 1]:
            keys[f"C{row}_{col}"] = Key(_COV, "real", units[(i >= 3) + (axes.index(col) >= 3)])
    return keys


KEYWORDS: dict[str, Key] = {
    "CCSDS_OMM_VERS": Key(_HEAD, "text"),
    "CLASSIFICATION": Key(_HEAD, "text"),
    "CREATION_DATE": Key(_HEAD, "epoch", blank_ok=True),
    "ORIGINATOR": Key(_HEAD, "text", blank_ok=True),
    "MESSAGE_ID": Key(_HEAD, "text"),
    "OBJECT_NAME": Key(_META, "text", blank_ok=True),
    "OBJECT_ID": Key(_META, "text", blank_ok=True),
    "CENTER_NAME": Key(_META, "text"),
    "REF_FRAME": Key(_META, "text"),
    "REF_FRAME_EPOCH": Key(_META, "epoch"),
    "TIME_SYSTEM": Key(_META, "text"),
    "MEAN_ELEMENT_THEORY": Key(_META, "text"),
    "EPOCH": Key(_MEAN, "epoch"),
    "SEMI_MAJOR_AXIS": Key(_MEAN, "real", "km"),
    "MEAN_MOTION": Key(_MEAN, "real", "rev/day"),
    "ECCENTRICITY": Key(_MEAN, "real"),
    "INCLINATION": Key(_MEAN, "real", "deg"),
    "RA_OF_ASC_NODE": Key(_MEAN, "real", "deg"),
    "ARG_OF_PERICENTER": Key(_MEAN, "real", "deg"),
    "MEAN_ANOMALY": Key(_MEAN, "real", "deg"),
    "GM": Key(_MEAN, "real", "km**3/s**2"),
    "MASS": Key(_CRAFT, "real", "kg"),
    "SOLAR_RAD_AREA": Key(_CRAFT, "real", "m**2"),
    "SOLAR_RAD_COEFF": Key(_CRAFT, "real"),
    "DRAG_AREA": Key(_CRAFT, "real", "m**2"),
    "DRAG_COEFF": Key(_CRAFT, "real"),
    "EPHEMERIS_TYPE": Key(_TLE, "int"),
    "CLASSIFICATION_TYPE": Key(_TLE, "text"),
    "NORAD_CAT_ID": Key(_TLE, "int"),
    "ELEMENT_SET_NO": Key(_TLE, "int"),
    "REV_AT_EPOCH": Key(_TLE, "int"),
    "BSTAR": Key(_TLE, "real", "1/ER"),
    "BTERM": Key(_TLE, "real", "m**2/kg"),
    "MEAN_MOTION_DOT": Key(_TLE, "real", "rev/day**2"),
    "MEAN_MOTION_DDOT": Key(_TLE, "real", "rev/day**3"),
    "AGOM": Key(_TLE, "real", "m**2/kg"),
    **_covariance_keys(),
}
USER_KEY = Key(_USER, "text", blank_ok=True)
USER_PREFIX = "USER_DEFINED_"

# Keywords read into ElementSet fields, each the field of its name in lower case; every
# other keyword but the version goes to extra.
_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(ElementSet))
FIELDS = {kw: kw.lower() for kw in KEYWORDS if kw.lower() in _FIELD_NAMES}
NOT_EXTRA = {"CCSDS_OMM_VERS", "SEMI_MAJOR_AXIS", *FIELDS}
RANK = {kw: i for i, kw in enumerate(KEYWORDS)}

SGP4_THEORIES = ("SGP4", "SGP/SGP4", "SGP4-XP")
VERSIONS = ("2.0", "3.0")
# The meanElements of SGP4 elements: Table 4-3's, less SEMI_MAJOR_AXIS and GM.
MEAN_ELEMENTS = (
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
)
# The keywords without which there is no SGP4 element set, in the order errors name them.
ELEMENTS = (*MEAN_ELEMENTS, "NORAD_CAT_ID", "MEAN_MOTION_DOT")
EXPECTED_KEYWORD = "a keyword of CCSDS 502.0-B-3 Tables 4-1 to 4-3 (OMM) or USER_DEFINED_<NAME>"
# A KVN keyword, or a provider key that may be kept as USER_DEFINED_<KEY>.
KEYWORD_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def lookup(kw: str) -> Key | None:
    """Given a keyword, return its entry in the table (USER_KEY for USER_DEFINED_*)."""
    key = KEYWORDS.get(kw)
    if key is None and kw.startswith(USER_PREFIX) and len(kw) > len(USER_PREFIX):
        return USER_KEY
    return key


# ---------------------------------------------------------------------------------------
# What the writers write: every keyword of a record, in the standard's order.
# ---------------------------------------------------------------------------------------


def message_items(record: ElementSet) -> list[tuple[str, Any]]:
    """Given an element set, return (KEYWORD, value) in CCSDS 502.0-B-3 order.

    Values are typed (float, int, datetime, str, or None for a blank); extra keywords are
    text.  The version line and comments are left to the writer.
    """
    extra: dict[str, str] = {}
    user: list[tuple[str, Any]] = []
    for kw, text in record.extra:
        key = lookup(kw)
        if key is None or kw in NOT_EXTRA:
            raise FormatError(f"ElementSet.extra holds {kw}", field=kw, expected=EXPECTED_KEYWORD)
        if key is USER_KEY:
            user.append((kw, text))
        elif kw in extra:
            raise FormatError(f"ElementSet.extra holds {kw} twice", field=kw)
        else:
            extra[kw] = text
    items: list[tuple[str, Any]] = []
    for kw in KEYWORDS:
        if kw in extra:
            items.append((kw, extra[kw]))
        elif kw in FIELDS and not _skipped(kw, record, extra):
            items.append((kw, getattr(record, FIELDS[kw])))
    return items + user


def _skipped(kw: str, record: ElementSet, extra: dict[str, str]) -> bool:
    """Say whether a field is left out: GM unset, or BSTAR/MEAN_MOTION_DDOT under BTERM/AGOM."""
    if kw == "GM":
        return record.gm is None
    for plain, alt in (("BSTAR", "BTERM"), ("MEAN_MOTION_DDOT", "AGOM")):
        if kw == plain and alt in extra:
            if getattr(record, FIELDS[plain]) != 0.0:
                raise FormatError(f"{plain} and {alt} both set", field=alt)
            return True
    return False


def real_text(x: float) -> str:
    """Given a float, return the shortest text that reads back as it (``E`` exponent)."""
    if not math.isfinite(x):
        raise FormatError("a CCSDS real must be finite", received=repr(x))
    return repr(float(x)).replace("e", "E")


def value_text(value: Any) -> str:
    """Given a typed value (None for a blank) or a JSON number, return its text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return real_text(value)
    if isinstance(value, datetime):
        return naive_utc(value).isoformat(timespec="microseconds")
    return str(value)
