"""The TLE's columns: templates, the field table, Alpha-5 catalogue numbers, the checksum.

Columns as in Hoots & Roehrich, *Spacetrack Report No. 3* (1980), and Space-Track's "Basic
Description of the Two Line Element Set Format"; Alpha-5 as 18 SDS defines it.  Used by the
strict one-record reader (:mod:`accord.formats.tle`) and the whole-input array pass
(:mod:`accord.formats.tle_batch`), so that both check the same layout.
"""

from __future__ import annotations

import string
from functools import lru_cache
from typing import NamedTuple

from accord.errors import FormatError

__all__ = [
    "ALPHA5",
    "CENTURY",
    "FIELDS",
    "LINE1_TEMPLATE",
    "LINE2_TEMPLATE",
    "SHAPE",
    "TEMPLATES",
    "US_PER_TLE_UNIT",
    "Field",
    "checksum",
    "clean_name",
    "decode_catalog_field",
    "encode_catalog_field",
    "layout_error",
    "object_id",
]

# Where each digit goes, as python-sgp4 (sgp4/io.py) prints it beside a bad line.
LINE1_TEMPLATE = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_TEMPLATE = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
TEMPLATES = {1: LINE1_TEMPLATE, 2: LINE2_TEMPLATE}

# Alpha-5 (18 SDS): letter -> value of the leading two digits; I and O are never used.
ALPHA5 = {c: i + 10 for i, c in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ")}
_ALPHA5_LETTER = {v: c for c, v in ALPHA5.items()}
_MAX_TLE_CATALOG_NUMBER = 339999

US_PER_TLE_UNIT = 864  # 1e-8 day in microseconds: an 8-decimal day fraction is exact
CENTURY = {f"{y:02d}": str(y + (1900 if y >= 57 else 2000)) for y in range(100)}

# A line's shape: digit -> N, capital -> A, small letter -> a, anything else kept.
SHAPE = str.maketrans(
    dict.fromkeys(string.digits, "N")
    | dict.fromkeys(string.ascii_uppercase, "A")
    | dict.fromkeys(string.ascii_lowercase, "a")
)


class Field(NamedTuple):
    """Columns [start, stop) of a line, the shapes they may take and the rule in words."""

    start: int
    stop: int
    name: str
    shapes: frozenset[str]
    rule: str


def _right(width: int, tail: str = "") -> frozenset[str]:
    """Given a width, return the shapes of a right-justified number, blank-padded."""
    return frozenset(" " * k + "N" * (width - k) + tail for k in range(width))


_EXPONENT = frozenset(f"{s}NNNNN{e}N" for s in " +-" for e in "+-")
_ANGLE = _right(3, ".NNNN")
_NDOT = frozenset(s + ".NNNNNNNN" for s in " +-")
_DESIGNATOR = frozenset(["        "] + ["NNNNN" + "A" * k + " " * (3 - k) for k in range(4)])
_DESIGNATOR_RULE = "launch year, launch number and piece letters (YYNNNPPP), or blank"
_EXPONENT_RULE = "sign or blank, five digits (leading '.' implied), exponent sign and digit"
_CATALOG_RULE = "five digits, or Alpha-5: a letter (not I or O) and four digits"
FIELDS = {
    1: (
        Field(2, 7, "NORAD_CAT_ID", _right(5) | {"ANNNN"}, _CATALOG_RULE),
        Field(7, 8, "CLASSIFICATION_TYPE", frozenset("A"), "U, C or S"),
        Field(9, 17, "OBJECT_ID", _DESIGNATOR, _DESIGNATOR_RULE),
        Field(18, 32, "EPOCH", frozenset(["NNNNN.NNNNNNNN"]), "YYDDD.DDDDDDDD"),
        Field(33, 43, "MEAN_MOTION_DOT", _NDOT, "sign or blank, '.', eight digits"),
        Field(44, 52, "MEAN_MOTION_DDOT", _EXPONENT, _EXPONENT_RULE),
        Field(53, 61, "BSTAR", _EXPONENT, _EXPONENT_RULE),
        # Blank reads as 0: Hoots & Roehrich's own test case (catalogue 11801) leaves it so.
        Field(62, 63, "EPHEMERIS_TYPE", frozenset("N "), "a digit"),
        Field(64, 68, "ELEMENT_SET_NO", _right(4), "a right-justified number"),
        Field(68, 69, "CHECKSUM", frozenset("N"), "a digit"),
    ),
    2: (
        Field(2, 7, "NORAD_CAT_ID", _right(5) | {"ANNNN"}, _CATALOG_RULE),
        Field(8, 16, "INCLINATION", _ANGLE, "degrees NNN.NNNN, right-justified"),
        Field(17, 25, "RA_OF_ASC_NODE", _ANGLE, "degrees NNN.NNNN, right-justified"),
        Field(26, 33, "ECCENTRICITY", frozenset(["NNNNNNN"]), "seven digits ('0.' implied)"),
        Field(34, 42, "ARG_OF_PERICENTER", _ANGLE, "degrees NNN.NNNN, right-justified"),
        Field(43, 51, "MEAN_ANOMALY", _ANGLE, "degrees NNN.NNNN, right-justified"),
        Field(52, 63, "MEAN_MOTION", _right(2, ".NNNNNNNN"), "rev/day NN.NNNNNNNN"),
        Field(63, 68, "REV_AT_EPOCH", _right(5), "a right-justified number"),
        Field(68, 69, "CHECKSUM", frozenset("N"), "a digit"),
    ),
}
_BLANK_COLUMNS = {1: (1, 8, 17, 32, 43, 52, 61, 63), 2: (1, 7, 16, 25, 33, 42, 51)}
_LAYOUT = {
    k: tuple(sorted(FIELDS[k] + tuple(Field(c, c + 1, "", frozenset(" "), "blank") for c in cols)))
    for k, cols in _BLANK_COLUMNS.items()
}


@lru_cache(maxsize=4096)
def layout_error(which: int, shape: str) -> Field | None:
    """Given a line's shape, return the leftmost field whose columns are malformed (or None)."""
    for field in _LAYOUT[which]:
        if shape[field.start : field.stop] not in field.shapes:
            return field
    return None


def object_id(s: str) -> str | None:
    """Given columns 10-17 ('98067A  '), return '1998-067A'; blank -> None."""
    if s[0] == " ":
        return None
    return f"{CENTURY[s[:2]]}-{s[2:5]}{s[5:].rstrip()}"


def clean_name(name: str | None) -> str | None:
    """Given a name line ('0 ISS (ZARYA)' or 'ISS (ZARYA)   '), return the name or None."""
    if name is None or name.rstrip() == "0":  # "0" alone: Space-Track's empty name
        return None
    return (name[2:] if name.startswith("0 ") else name).strip() or None


def checksum(line: str) -> int:
    """Given a TLE line, return the modulo-10 checksum of its first 68 columns.

    Digits count their value, '-' counts 1, everything else (letters, blanks, '.', '+')
    counts 0 (Spacetrack Report No. 3; Space-Track TLE format documentation).
    """
    s = line[:68]
    total = s.count("-") + s.count("1") + 2 * s.count("2") + 3 * s.count("3")
    total += 4 * s.count("4") + 5 * s.count("5") + 6 * s.count("6") + 7 * s.count("7")
    return (total + 8 * s.count("8") + 9 * s.count("9")) % 10


def decode_catalog_field(field: str) -> int:
    """Given the 5-character catalogue field (columns 3-7), return the catalogue number.

    Five digits (Space-Track's older files pad with blanks instead of zeros: "    5"), or
    Alpha-5 as 18 SDS defines it: "A0000" = 100000 ... "Z9999" = 339999, I and O unused,
    capitals only.  Raises :class:`ValueError` for anything else.
    """
    if len(field) == 5 and field.isascii():
        if field[0] in ALPHA5 and field[1:].isdigit():
            return ALPHA5[field[0]] * 10000 + int(field[1:])
        if field.lstrip(" ").isdigit():
            return int(field)
    raise ValueError(f"catalogue field {field!r} is not {_CATALOG_RULE}")


def encode_catalog_field(number: int) -> str:
    """Given a catalogue number, return its 5-character TLE field (Alpha-5 from 100000).

    Raises :class:`FormatError` for numbers outside 0-339999, which TLE cannot carry.
    """
    if 0 <= number < 100000:
        return f"{number:05d}"
    if 100000 <= number <= _MAX_TLE_CATALOG_NUMBER:
        lead, rest = divmod(number, 10000)
        return f"{_ALPHA5_LETTER[lead]}{rest:04d}"
    raise FormatError(
        f"catalogue number {number} cannot be written as TLE, whose field holds 0-99999 and, "
        f"in Alpha-5, 100000-{_MAX_TLE_CATALOG_NUMBER} (Z9999); write it as OMM",
        field="NORAD_CAT_ID",
        expected=f"0 <= NORAD_CAT_ID <= {_MAX_TLE_CATALOG_NUMBER}",
        received=str(number),
    )
