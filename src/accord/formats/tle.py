"""NORAD two-line element sets (TLE, 2LE, 3LE) <-> :class:`ElementSet`.

The format is the punch-card layout of Hoots & Roehrich, *Spacetrack Report No. 3* (1980),
as Space-Track documents it today ("Basic Description of the Two Line Element Set
Format"): two 69-column lines, every field in fixed columns, a modulo-10 checksum in
column 69, and in 3LE a name line before them (Space-Track writes "0 NAME", CelesTrak the
bare name).  Catalogue numbers 100000-339999 use Alpha-5 as 18 SDS defines it (Space-Track,
"What is Alpha-5?"): a letter A-Z without I and O (A=10 ... Z=33) stands for the leading
two digits.  Larger numbers cannot be written as TLE; they belong in OMM.

Reading is strict: every column is checked against the template python-sgp4 prints, and a
bad record comes back as a :class:`Rejected` naming the line, the columns and the field,
with the template beside the text; it never stops the rest of the input.  A whole input is
read in one vectorized pass over a ``(n_records, 69)`` byte array; records that pass go
straight to :class:`ElementSet`, and the rest through the scalar reader, which finds the
reason (or accepts them: the scalar reader is the authority, the array pass a shortcut).
"""

from __future__ import annotations

import calendar
import math
import re
import string
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from accord.errors import FormatError
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected

__all__ = [
    "LINE1_TEMPLATE",
    "LINE2_TEMPLATE",
    "checksum",
    "decode_catalog_field",
    "dump_tle",
    "encode_catalog_field",
    "format_tle",
    "load_tle",
    "parse_tle",
]

# Where each digit goes, as python-sgp4 (sgp4/io.py) prints it beside a bad line.
LINE1_TEMPLATE = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_TEMPLATE = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
_TEMPLATES = {1: LINE1_TEMPLATE, 2: LINE2_TEMPLATE}

# Alpha-5 (18 SDS): letter -> value of the leading two digits; I and O are never used.
_ALPHA5 = {c: i + 10 for i, c in enumerate("ABCDEFGHJKLMNPQRSTUVWXYZ")}
_ALPHA5_LETTER = {v: c for c, v in _ALPHA5.items()}
_MAX_TLE_CATALOG_NUMBER = 339999

# What CelesTrak answers (HTTP 404) where a query has nothing in TLE form, e.g. for
# numbers above 99999: an empty result, not an unreadable one (gpconf corpus check
# "empty-answer-yields-no-records").
_EMPTY_ANSWERS = frozenset({"No GP data found", "No SupGP data found"})

_US_PER_TLE_UNIT = 864  # 1e-8 day in microseconds: an 8-decimal day fraction is exact
_OBJECT_ID = re.compile(r"(\d{4})-(\d{3})([A-Z]{0,3})")
_BLANK_LINE = re.compile(r"^[^\S\n]*$", re.MULTILINE)
_CENTURY = {f"{y:02d}": str(y + (1900 if y >= 57 else 2000)) for y in range(100)}

# A line's shape: digit -> N, capital -> A, small letter -> a, anything else kept.
_SHAPE = str.maketrans(
    dict.fromkeys(string.digits, "N")
    | dict.fromkeys(string.ascii_uppercase, "A")
    | dict.fromkeys(string.ascii_lowercase, "a")
)


class _Field(NamedTuple):
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
_FIELDS = {
    1: (
        _Field(2, 7, "NORAD_CAT_ID", _right(5) | {"ANNNN"}, _CATALOG_RULE),
        _Field(7, 8, "CLASSIFICATION_TYPE", frozenset("A"), "U, C or S"),
        _Field(9, 17, "OBJECT_ID", _DESIGNATOR, _DESIGNATOR_RULE),
        _Field(18, 32, "EPOCH", frozenset(["NNNNN.NNNNNNNN"]), "YYDDD.DDDDDDDD"),
        _Field(33, 43, "MEAN_MOTION_DOT", _NDOT, "sign or blank, '.', eight digits"),
        _Field(44, 52, "MEAN_MOTION_DDOT", _EXPONENT, _EXPONENT_RULE),
        _Field(53, 61, "BSTAR", _EXPONENT, _EXPONENT_RULE),
        # Blank reads as 0: Hoots & Roehrich's own test case (catalogue 11801) leaves it so.
        _Field(62, 63, "EPHEMERIS_TYPE", frozenset("N "), "a digit"),
        _Field(64, 68, "ELEMENT_SET_NO", _right(4), "a right-justified number"),
        _Field(68, 69, "CHECKSUM", frozenset("N"), "a digit"),
    ),
    2: (
        _Field(2, 7, "NORAD_CAT_ID", _right(5) | {"ANNNN"}, _CATALOG_RULE),
        _Field(8, 16, "INCLINATION", _ANGLE, "degrees NNN.NNNN, right-justified"),
        _Field(17, 25, "RA_OF_ASC_NODE", _ANGLE, "degrees NNN.NNNN, right-justified"),
        _Field(26, 33, "ECCENTRICITY", frozenset(["NNNNNNN"]), "seven digits ('0.' implied)"),
        _Field(34, 42, "ARG_OF_PERICENTER", _ANGLE, "degrees NNN.NNNN, right-justified"),
        _Field(43, 51, "MEAN_ANOMALY", _ANGLE, "degrees NNN.NNNN, right-justified"),
        _Field(52, 63, "MEAN_MOTION", _right(2, ".NNNNNNNN"), "rev/day NN.NNNNNNNN"),
        _Field(63, 68, "REV_AT_EPOCH", _right(5), "a right-justified number"),
        _Field(68, 69, "CHECKSUM", frozenset("N"), "a digit"),
    ),
}
_BLANK_COLUMNS = {1: (1, 8, 17, 32, 43, 52, 61, 63), 2: (1, 7, 16, 25, 33, 42, 51)}
_LAYOUT = {
    k: tuple(
        sorted(_FIELDS[k] + tuple(_Field(c, c + 1, "", frozenset(" "), "blank") for c in cols))
    )
    for k, cols in _BLANK_COLUMNS.items()
}


def _columns(field: _Field) -> str:
    """Given a field, return its 1-based columns as the format documentation writes them."""
    if field.stop - field.start == 1:
        return f"column {field.start + 1}"
    return f"columns {field.start + 1}-{field.stop}"


def _problem(which: int, n: int, field: _Field, message: str, line: str) -> FormatError:
    """Given where a line goes wrong, return the error that shows the template beside it."""
    return FormatError(
        message,
        line=n,
        field=f"line {which} {_columns(field)} {field.name}".rstrip(),
        expected=_TEMPLATES[which],
        received=line,
    )


@lru_cache(maxsize=4096)
def _layout_error(which: int, shape: str) -> _Field | None:
    """Given a line's shape, return the leftmost field whose columns are malformed (or None)."""
    for field in _LAYOUT[which]:
        if shape[field.start : field.stop] not in field.shapes:
            return field
    return None


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
        if field[0] in _ALPHA5 and field[1:].isdigit():
            return _ALPHA5[field[0]] * 10000 + int(field[1:])
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


# ---------------------------------------------------------------------------------------
# Reading one record (the authority)
# ---------------------------------------------------------------------------------------


def _non_ascii(text: str, n: int | None, where: str) -> FormatError:
    """Given text holding a non-ASCII character, return the error that points at it."""
    col, ch = next((i, c) for i, c in enumerate(text, 1) if not c.isascii())
    return FormatError(
        f"non-ASCII character {ch!r} (U+{ord(ch):04X}) at column {col}: TLE text is plain ASCII",
        line=n,
        field=where,
        received=text,
    )


def _layout(line: str, which: int, n: int) -> str:
    """Given a raw line, return its 69 columns, or raise on text, length and field layout."""
    whole = _Field(0, 69, "", frozenset(), "")
    if not line.isascii():
        raise _non_ascii(line, n, f"line {which}")
    if not line.startswith(str(which)):
        raise _problem(which, n, whole._replace(stop=1), f"must begin with {which}", line)
    text = line.rstrip()
    if len(text) < 69:
        message = f"line is {len(text)} characters long (trailing blanks ignored), not 69"
        raise _problem(which, n, whole, message, line)
    text = text[:69]  # columns 70 on are not TLE (Vallado's SGP4-VER.TLE puts times there)
    bad = _layout_error(which, text.translate(_SHAPE))
    if bad is not None:
        got = text[bad.start : bad.stop]
        raise _problem(which, n, bad, f"must be {bad.rule}, not {got!r}", line)
    return text


def _exponent_value(s: str) -> float:
    """Given an implied-decimal field such as '-11606-4', return -0.11606e-4."""
    return float(f"{s[0]}.{s[1:6]}e{s[6:]}")


def _epoch(s: str) -> datetime | None:
    """Given 'YYDDD.DDDDDDDD', return the naive UTC epoch (57-99 -> 19xx, 00-56 -> 20xx)."""
    year, day = int(_CENTURY[s[:2]]), int(s[2:5])
    if not 1 <= day <= 365 + calendar.isleap(year):
        return None
    fraction = timedelta(days=day - 1, microseconds=int(s[6:]) * _US_PER_TLE_UNIT)
    return datetime(year, 1, 1) + fraction


def _object_id(s: str) -> str | None:
    """Given columns 10-17 ('98067A  '), return '1998-067A'; blank -> None."""
    if s[0] == " ":
        return None
    return f"{_CENTURY[s[:2]]}-{s[2:5]}{s[5:].rstrip()}"


def _read_line1(text: str, n: int, line: str) -> dict[str, object]:
    """Given line 1's 69 well-formed columns, return its fields, or raise on a bad value."""
    try:
        number = decode_catalog_field(text[2:7])
    except ValueError as exc:
        raise _problem(1, n, _FIELDS[1][0], str(exc), line) from None
    if text[7] not in "UCS":
        raise _problem(1, n, _FIELDS[1][1], f"must be U, C or S, not {text[7]!r}", line)
    epoch = _epoch(text[18:32])
    if epoch is None:
        message = f"day of year {text[20:23]} is outside 1-365 (366 in a leap year)"
        raise _problem(1, n, _FIELDS[1][3], message, line)
    return {
        "norad_cat_id": number,
        "classification_type": text[7],
        "object_id": _object_id(text[9:17]),
        "epoch": epoch,
        "mean_motion_dot": float(text[33:43]),
        "mean_motion_ddot": _exponent_value(text[44:52]),
        "bstar": _exponent_value(text[53:61]),
        "ephemeris_type": 0 if text[62] == " " else int(text[62]),
        "element_set_no": int(text[64:68]),
    }


def _read_line2(text: str, n: int, line: str) -> dict[str, object]:
    """Given line 2's 69 well-formed columns, return its fields, or raise on a bad value."""
    try:
        decode_catalog_field(text[2:7])
    except ValueError as exc:
        raise _problem(2, n, _FIELDS[2][0], str(exc), line) from None
    values: dict[str, object] = {"eccentricity": int(text[26:33]) / 1e7}
    for field, top in ((_FIELDS[2][1], 180.0), *((_FIELDS[2][k], 360.0) for k in (2, 4, 5))):
        value = float(text[field.start : field.stop])
        if value > top:
            raise _problem(2, n, field, f"must be 0 to {top:g} degrees, not {value}", line)
        values[field.name.lower()] = value
    mean_motion = float(text[52:63])
    if mean_motion <= 0.0:
        raise _problem(2, n, _FIELDS[2][6], "mean motion must be above zero", line)
    values.update(mean_motion=mean_motion, rev_at_epoch=int(text[63:68]))
    return values


def _verify_checksum(text: str, which: int, n: int, line: str) -> None:
    """Given a well-formed line, raise unless its column 69 equals the computed checksum."""
    computed = checksum(text)
    if int(text[68]) != computed:
        raise FormatError(
            f"checksum is {text[68]} but the line sums to {computed} "
            "(modulo 10 of its digits, '-' counting 1)",
            line=n,
            field=f"line {which} column 69 CHECKSUM",
            expected=_TEMPLATES[which][:68] + str(computed),
            received=line,
        )


def _clean_name(name: str | None) -> str | None:
    """Given a name line ('0 ISS (ZARYA)' or 'ISS (ZARYA)   '), return the name or None."""
    if name is None or name.rstrip() == "0":  # "0" alone: Space-Track's empty name
        return None
    return (name[2:] if name.startswith("0 ") else name).strip() or None


def _parse(
    name: str | None,
    line1: str,
    line2: str,
    numbers: tuple[int | None, int, int],
    verify_checksum: bool,
) -> ElementSet:
    """Given a record's lines and their line numbers in the input, return it or raise."""
    n0, n1, n2 = numbers
    if name is not None and not name.isascii():
        raise _non_ascii(name, n0, "name line OBJECT_NAME")
    text1, text2 = _layout(line1, 1, n1), _layout(line2, 2, n2)
    fields1, fields2 = _read_line1(text1, n1, line1), _read_line2(text2, n2, line2)
    if verify_checksum:
        _verify_checksum(text1, 1, n1, line1)
        _verify_checksum(text2, 2, n2, line2)
    if decode_catalog_field(text2[2:7]) != fields1["norad_cat_id"]:
        raise FormatError(
            f"line 2 is for catalogue number {decode_catalog_field(text2[2:7])}, "
            f"line 1 for {fields1['norad_cat_id']}",
            line=n2,
            field="line 2 columns 3-7 NORAD_CAT_ID",
            expected=f"2 {text1[2:7]}" + LINE2_TEMPLATE[7:],
            received=line2,
        )
    return ElementSet(object_name=_clean_name(name), **fields1, **fields2)  # type: ignore[arg-type]


def parse_tle(
    line1: str, line2: str, name: str | None = None, *, verify_checksum: bool = True
) -> ElementSet:
    """Given one TLE's two lines (and its name line), return its ElementSet.

    Strict, as Spacetrack Report No. 3 lays the format out: 69 columns (anything after
    column 69 is ignored), every field well-formed and in range, both checksums right
    (unless ``verify_checksum=False``), both lines for the same catalogue number.  ``name``
    may be "0 NAME" (Space-Track) or a bare name (CelesTrak).  Raises :class:`FormatError`
    naming the line (1 or 2; 0 for the name), the columns and the field, with the template
    beside the line.
    """
    return _parse(name, line1.rstrip("\r\n"), line2.rstrip("\r\n"), (0, 1, 2), verify_checksum)


# ---------------------------------------------------------------------------------------
# Reading many records at once: the same rules on a (n_records, 69) byte array
# ---------------------------------------------------------------------------------------

_IntArray = npt.NDArray[np.int64]
_ALPHA5_VALUE = np.zeros(256, np.int64)
_ALPHA5_VALUE[[ord(c) for c in _ALPHA5]] = list(_ALPHA5.values())
_SHAPE_BYTES = np.arange(256, dtype=np.uint8)
for _chars, _class in ((string.digits, "N"), (string.ascii_uppercase, "A")):
    _SHAPE_BYTES[[ord(c) for c in _chars]] = ord(_class)
_SHAPE_BYTES[[ord(c) for c in string.ascii_lowercase]] = ord("a")
_POW10 = np.array([10**k for k in range(16)], dtype=np.float64)  # exact powers


def _number(digits: _IntArray, start: int, pattern: str) -> _IntArray:
    """Given digit values (blanks 0), return the integer in columns ``pattern`` spans."""
    powers = [10 ** pattern[i + 1 :].count("N") if c == "N" else 0 for i, c in enumerate(pattern)]
    return digits[:, start : start + len(pattern)] @ np.array(powers, np.int64)


def _well_formed(block: npt.NDArray[np.uint8], which: int) -> npt.NDArray[np.bool_]:
    """Given lines as a byte array, say per line whether every field has a valid shape."""
    shapes = np.ascontiguousarray(_SHAPE_BYTES[block]).view(np.dtype((np.void, 69))).ravel()
    unique, inverse = np.unique(shapes, return_inverse=True)
    ok = [_layout_error(which, bytes(u).decode("ascii")) is None for u in unique]
    return np.array(ok, dtype=bool)[inverse.ravel()]


def _signed(block: npt.NDArray[np.uint8], col: int, value: npt.NDArray[np.float64]) -> object:
    """Given a sign column ('-', '+' or blank) and magnitudes, return the signed values."""
    return np.where(block[:, col] == ord("-"), -value, value)


def _exponent_values(block: npt.NDArray[np.uint8], digits: _IntArray, col: int) -> object:
    """Given the implied-decimal field at col ('-11606-4'), return its values (-0.11606e-4)."""
    mantissa = _number(digits, col + 1, "NNNNN").astype(np.float64)
    power = np.where(block[:, col + 6] == ord("-"), -digits[:, col + 7], digits[:, col + 7]) - 5
    # One multiplication or division of exact values, so the result is float(text)'s.
    scaled = np.where(power >= 0, mantissa * _POW10[np.abs(power)], 0.0)
    scaled = np.where(power < 0, mantissa / _POW10[np.abs(power)], scaled)
    return _signed(block, col, scaled)


def _read_many(
    lines1: Sequence[str], lines2: Sequence[str], verify_checksum: bool
) -> tuple[npt.NDArray[np.bool_], list[list[Any]]]:
    """Given 69-column ASCII line pairs, return which pass every rule, and the fields of those.

    The fields come as columns in the order norad_cat_id, epoch, mean_motion, eccentricity,
    inclination, ra_of_asc_node, arg_of_pericenter, mean_anomaly, bstar, mean_motion_dot,
    mean_motion_ddot, ephemeris_type, element_set_no, rev_at_epoch.
    """
    b1 = np.frombuffer("".join(lines1).encode("ascii"), np.uint8).reshape(-1, 69)
    b2 = np.frombuffer("".join(lines2).encode("ascii"), np.uint8).reshape(-1, 69)
    d1 = np.where((b1 >= 48) & (b1 <= 57), b1.astype(np.int64) - 48, 0)
    d2 = np.where((b2 >= 48) & (b2 <= 57), b2.astype(np.int64) - 48, 0)
    ok = _well_formed(b1, 1) & _well_formed(b2, 2) & (b1[:, 0] == 49) & (b2[:, 0] == 50)
    ok &= np.isin(b1[:, 7], np.frombuffer(b"UCS", np.uint8))
    cat1 = _number(d1, 2, "NNNNN") + 10000 * _ALPHA5_VALUE[b1[:, 2]]
    cat2 = _number(d2, 2, "NNNNN") + 10000 * _ALPHA5_VALUE[b2[:, 2]]
    for block in (b1, b2):  # a letter in column 3 must be an Alpha-5 letter (not I, O)
        ok &= (block[:, 2] < 65) | (_ALPHA5_VALUE[block[:, 2]] > 0)
    ok &= cat1 == cat2
    if verify_checksum:
        for block, digits in ((b1, d1), (b2, d2)):
            total = digits[:, :68].sum(axis=1) + (block[:, :68] == ord("-")).sum(axis=1)
            ok &= total % 10 == digits[:, 68]
    yy, day = _number(d1, 18, "NN"), _number(d1, 20, "NNN")
    year = yy + np.where(yy >= 57, 1900, 2000)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    ok &= (day >= 1) & (day <= 365 + leap)
    angles = [_number(d2, start, "NNN.NNNN") for start in (8, 17, 34, 43)]
    ok &= (angles[0] <= 1_800_000) & (np.maximum.reduce(angles[1:]) <= 3_600_000)
    mean_motion = _number(d2, 52, "NN.NNNNNNNN")
    ok &= mean_motion > 0
    start_of_year = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    epoch = (start_of_year + (day - 1)).astype("datetime64[us]")
    epoch = epoch + _number(d1, 24, "NNNNNNNN") * _US_PER_TLE_UNIT
    columns = (
        cat1,
        epoch,
        mean_motion / 1e8,
        _number(d2, 26, "NNNNNNN") / 1e7,
        *(angle / 1e4 for angle in angles),
        _exponent_values(b1, d1, 53),
        _signed(b1, 33, _number(d1, 35, "NNNNNNNN") / 1e8),
        _exponent_values(b1, d1, 44),
        d1[:, 62],
        _number(d1, 64, "NNNN"),
        _number(d2, 63, "NNNNN"),
    )
    return ok, [np.asarray(column)[ok].tolist() for column in columns]


class _Span(NamedTuple):
    """Where one candidate record sits in the input: indexes into the non-blank lines."""

    start: int  # first line (the name line if any)
    name: int | None
    line1: int
    line2: int


def _read_spans(
    spans: list[_Span], lines: list[str], numbers: list[int], verify_checksum: bool
) -> list[Parsed[ElementSet] | Rejected]:
    """Given candidate records, return each parsed, or rejected with its reason."""
    texts1 = [lines[s.line1].rstrip()[:69] for s in spans]
    texts2 = [lines[s.line2].rstrip()[:69] for s in spans]
    names = [None if s.name is None else lines[s.name] for s in spans]
    ascii_input = all(map(str.isascii, lines))
    fast = [  # whole lines ASCII, columns 70 on included, as the scalar reader wants
        len(a) == 69 == len(b)
        and (ascii_input or (lines[s.line1] + lines[s.line2] + (name or "")).isascii())
        for a, b, name, s in zip(texts1, texts2, names, spans, strict=True)
    ]
    chosen = [i for i, f in enumerate(fast) if f]
    ok, columns = _read_many(
        [texts1[i] for i in chosen], [texts2[i] for i in chosen], verify_checksum
    )
    good = [i for i, keep in zip(chosen, ok.tolist(), strict=True) if keep]
    out: list[Parsed[ElementSet] | Rejected | None] = [None] * len(spans)
    for i, cat, epoch, n, e, inc, node, argp, anomaly, bstar, ndot, nddot, eph, esn, rev in zip(
        good, *columns, strict=True
    ):
        span, text1 = spans[i], texts1[i]
        record = ElementSet(
            norad_cat_id=cat,
            epoch=epoch,
            mean_motion=n,
            eccentricity=e,
            inclination=inc,
            ra_of_asc_node=node,
            arg_of_pericenter=argp,
            mean_anomaly=anomaly,
            bstar=bstar,
            mean_motion_dot=ndot,
            mean_motion_ddot=nddot,
            object_name=_clean_name(names[i]),
            object_id=None if text1[9] == " " else _object_id(text1[9:17]),
            classification_type=text1[7],
            ephemeris_type=eph,
            element_set_no=esn,
            rev_at_epoch=rev,
        )
        raw = "\n".join(lines[span.start : span.line2 + 1])
        out[i] = Parsed(record, numbers[span.start], raw)
    return [
        item if item is not None else _read_one(spans[i], lines, numbers, verify_checksum)
        for i, item in enumerate(out)
    ]


def _read_one(
    span: _Span, lines: list[str], numbers: list[int], verify_checksum: bool
) -> Parsed[ElementSet] | Rejected:
    """Given one candidate record, return it parsed by the scalar reader, or rejected."""
    raw = "\n".join(lines[span.start : span.line2 + 1])
    name = None if span.name is None else lines[span.name]
    where = (
        None if span.name is None else numbers[span.name],
        numbers[span.line1],
        numbers[span.line2],
    )
    try:
        record = _parse(name, lines[span.line1], lines[span.line2], where, verify_checksum)
    except FormatError as exc:
        return Rejected(numbers[span.start], raw, exc)
    return Parsed(record, numbers[span.start], raw)


def load_tle(text: str, *, verify_checksum: bool = True) -> ParseResult[ElementSet]:
    """Given a whole TLE input (2LE, 3LE or both mixed), return its records and rejections.

    Lines may end in LF or CRLF; blank lines, trailing blanks and comment lines (starting
    with "#", as CelesTrak's "# TLE Data Last Updated" header) are ignored.  A name line
    (Space-Track's "0 NAME" or CelesTrak's bare name) belongs to the line 1 after it.  A
    bad record is a :class:`Rejected` with its reason and its text as received; reading
    resumes at the next line 1 that has a line 2 after it, and every orphan or stray line
    is rejected with a reason too.  CelesTrak's "No GP data found" answer is an empty result.
    Record and error line numbers are 1-based within ``text``.
    """
    result: ParseResult[ElementSet] = ParseResult()
    if text.strip() in _EMPTY_ANSWERS:
        return result
    body = text.replace("\r\n", "\n").removesuffix("\n")
    lines = body.split("\n")
    numbers = list(range(1, len(lines) + 1))
    if _BLANK_LINE.search(body) is not None or "#" in body:
        # rare: drop blank and comment lines, keep the numbering of the others
        numbers = [n for n in numbers if _is_content(lines[n - 1])]
        lines = [lines[n - 1] for n in numbers]
    spans, strays = _pair(lines, numbers)
    items: list[tuple[int, Parsed[ElementSet] | Rejected]] = list(strays)
    parsed = _read_spans(spans, lines, numbers, verify_checksum)
    items.extend((span.start, item) for span, item in zip(spans, parsed, strict=True))
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, Rejected):
            result.rejected.append(item)
        else:
            result.accepted.append(item)
    return result


def _is_content(line: str) -> bool:
    """Return whether a line is part of a record (not blank, not a "#" comment)."""
    return bool(line) and not line.isspace() and not line.startswith("#")


def _pair(lines: list[str], numbers: list[int]) -> tuple[list[_Span], list[tuple[int, Rejected]]]:
    """Given the non-blank lines, return the candidate records and the stray lines' rejections.

    A line 1 with a line 2 after it is a record; a name line is the line just before a
    line 1.  A line 1 followed by a line that is neither TLE line nor the next record's
    name is a record whose line 2 is damaged (so that it is rejected once, as one record).
    """
    heads = [s[:2] for s in lines] + ["", ""]
    spans: list[_Span] = []
    strays: list[tuple[int, Rejected]] = []
    i, count = 0, len(lines)
    while i < count:
        head = heads[i]
        if head == "1 ":
            after = heads[i + 1]
            if after == "2 " or (i + 1 < count and after != "1 " and heads[i + 2] != "1 "):
                spans.append(_Span(i, None, i, i + 1))
                i += 2
            else:
                strays.append((i, _orphan1(lines, numbers, i, None)))
                i += 1
        elif head == "2 ":
            strays.append((i, _stray(lines[i], numbers[i], "line 2 without a line 1 before it")))
            i += 1
        elif heads[i + 1] == "1 ":
            after = heads[i + 2]
            if after == "2 " or (i + 2 < count and after != "1 " and heads[i + 3] != "1 "):
                spans.append(_Span(i, i, i + 1, i + 2))
                i += 3
            else:
                strays.append((i, _orphan1(lines, numbers, i + 1, i)))
                i += 2
        else:
            message = "not part of a TLE: neither line 1, line 2, nor a name line before line 1"
            strays.append((i, _stray(lines[i], numbers[i], message)))
            i += 1
    return spans, strays


def _stray(line: str, n: int, message: str) -> Rejected:
    """Given a line that belongs to no record, return its rejection."""
    return Rejected(n, line, FormatError(message, line=n, expected=LINE1_TEMPLATE, received=line))


def _orphan1(lines: list[str], numbers: list[int], i: int, name: int | None) -> Rejected:
    """Given a line 1 (and its name line) with no line 2 after it, return the rejection."""
    following = lines[i + 1] if i + 1 < len(lines) else "(end of input)"
    error = FormatError(
        f"line 1 (catalogue field {lines[i][2:7]!r}) is not followed by a line 2; "
        "shown as received is the line after it",
        line=numbers[i],
        field="line 2",
        expected=LINE2_TEMPLATE,
        received=following,
    )
    first = i if name is None else name
    return Rejected(numbers[first], "\n".join(lines[first : i + 1]), error)


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def _unwritable(name: str, value: object, why: str) -> FormatError:
    """Given a field whose value TLE columns cannot hold, return the writer's error."""
    return FormatError(f"{name} = {value!r} cannot be written as TLE: {why}", field=name)


def _fixed(value: float, decimals: int) -> str:
    """Given a finite value, return it with ``decimals`` decimals, rounded half up.

    Rounds the decimal the float stands for (its shortest repr), so that 0.00027255 gives
    0.0002726 as a person (and CelesTrak's BSTAR rounding) would, not 0.0002725.
    """
    text = repr(value)
    if "e" not in text and len(text) - text.index(".") - 1 <= decimals:  # nothing to round
        return f"{value:.{decimals}f}"
    return format(Decimal(text).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP), "f")


def _exponent_text(value: float, name: str) -> str:
    """Given BSTAR or the second derivative, return its 8 columns ('-11606-4' for -0.11606e-4).

    The mantissa is rounded half up to five digits; zero is written ' 00000-0' as
    Space-Track does (CelesTrak writes ' 00000+0').
    """
    if not math.isfinite(value):
        raise _unwritable(name, value, "not a finite number")
    sign = "-" if math.copysign(1.0, value) < 0.0 else " "
    if value == 0.0:
        return f"{sign}00000-0"
    magnitude = Decimal(repr(abs(value)))
    exponent = magnitude.adjusted() + 1  # so that 0.1 <= mantissa < 1
    exponent = max(exponent, -9)  # below 0.1e-9 the mantissa loses digits instead
    mantissa = magnitude.scaleb(-exponent).quantize(Decimal("0.00001"), ROUND_HALF_UP)
    if mantissa >= 1:  # rounded up to 1.00000
        mantissa, exponent = mantissa / 10, exponent + 1
    if exponent > 9:
        raise _unwritable(name, value, "magnitude must be below 1e9 (one exponent digit)")
    digits = format(mantissa, "f")[2:7]
    if digits == "00000":  # too small for the field: the nearest it holds is zero
        return " 00000-0"
    return f"{sign}{digits}{'-' if exponent < 0 else '+'}{abs(exponent)}"


def _decimal_text(value: float, name: str, width: int, decimals: int, top: float) -> str:
    """Given a value for a fixed 'NNN.NNNN' field, return it right-justified, or raise."""
    if not (math.isfinite(value) and 0.0 <= value <= top):
        raise _unwritable(name, value, f"must be between 0 and {top:g}")
    text = _fixed(value, decimals).rjust(width)
    if len(text) != width:
        raise _unwritable(name, value, f"does not fit in {width} columns")
    return text


def _epoch_text(epoch: datetime) -> str:
    """Given a naive UTC epoch, return 'YYDDD.DDDDDDDD' rounded to 1e-8 day (864 us)."""
    if epoch.tzinfo is not None:
        epoch = epoch.astimezone(UTC).replace(tzinfo=None)
    year = epoch.year
    since = epoch - datetime(year, 1, 1)
    us = (since.days * 86400 + since.seconds) * 1_000_000 + since.microseconds
    day, fraction = divmod((us * 2 + _US_PER_TLE_UNIT) // (2 * _US_PER_TLE_UNIT), 10**8)
    if day == 365 + calendar.isleap(year):  # rounded up into the next year
        year, day = year + 1, 0
    if not 1957 <= year <= 2056:
        raise _unwritable("EPOCH", epoch, "two-digit years cover 1957-2056 only")
    return f"{year % 100:02d}{day + 1:03d}.{fraction:08d}"


def _object_id_text(object_id: str | None) -> str:
    """Given '1998-067A' (or None), return the 8 columns '98067A  ' (or blanks)."""
    if not object_id:
        return " " * 8
    match = _OBJECT_ID.fullmatch(object_id)
    if match is None or not 1957 <= int(match[1]) <= 2056:
        raise _unwritable("OBJECT_ID", object_id, "must be YYYY-NNNP{0,3}, years 1957-2056")
    return f"{match[1][2:]}{match[2]}{match[3]:<3}"


def _count_text(value: int, name: str, width: int) -> str:
    """Given a non-negative integer field, return it right-justified in width columns."""
    if not 0 <= value < 10**width:
        raise _unwritable(name, value, f"must be 0 to {10**width - 1}")
    return f"{value:{width}d}"


def _line1(record: ElementSet, catalog: str) -> str:
    """Given a record and its catalogue field, return line 1 without its checksum."""
    ndot = record.mean_motion_dot
    ndot_text = _fixed(abs(ndot), 8) if math.isfinite(ndot) else "nan"
    if not ndot_text.startswith("0."):
        raise _unwritable("MEAN_MOTION_DOT", ndot, "magnitude must be below 1 rev/day**2")
    ndot_sign = "-" if math.copysign(1.0, ndot) < 0.0 else " "
    classification = record.classification_type
    if len(classification) != 1 or classification not in "UCS":
        raise _unwritable("CLASSIFICATION_TYPE", classification, "must be U, C or S")
    if not 0 <= record.ephemeris_type <= 9:
        raise _unwritable("EPHEMERIS_TYPE", record.ephemeris_type, "must be one digit")
    return (
        f"1 {catalog}{classification} {_object_id_text(record.object_id)} "
        f"{_epoch_text(record.epoch)} {ndot_sign}{ndot_text[1:]} "
        f"{_exponent_text(record.mean_motion_ddot, 'MEAN_MOTION_DDOT')} "
        f"{_exponent_text(record.bstar, 'BSTAR')} {record.ephemeris_type} "
        f"{_count_text(record.element_set_no, 'ELEMENT_SET_NO', 4)}"
    )


def _line2(record: ElementSet, catalog: str) -> str:
    """Given a record and its catalogue field, return line 2 without its checksum."""
    ecc = record.eccentricity
    ecc_text = _fixed(ecc, 7) if math.isfinite(ecc) else "nan"
    if not (ecc >= 0.0 and ecc_text.startswith("0.")):
        raise _unwritable("ECCENTRICITY", ecc, "must be at least 0 and below 1")
    mean_motion = _decimal_text(record.mean_motion, "MEAN_MOTION", 11, 8, 100.0)
    if float(mean_motion) <= 0.0:
        raise _unwritable("MEAN_MOTION", record.mean_motion, "must be above zero")
    return (
        f"2 {catalog} {_decimal_text(record.inclination, 'INCLINATION', 8, 4, 180.0)} "
        f"{_decimal_text(record.ra_of_asc_node, 'RA_OF_ASC_NODE', 8, 4, 360.0)} "
        f"{ecc_text[2:]} "
        f"{_decimal_text(record.arg_of_pericenter, 'ARG_OF_PERICENTER', 8, 4, 360.0)} "
        f"{_decimal_text(record.mean_anomaly, 'MEAN_ANOMALY', 8, 4, 360.0)} "
        f"{mean_motion}{_count_text(record.rev_at_epoch, 'REV_AT_EPOCH', 5)}"
    )


def format_tle(record: ElementSet) -> tuple[str, str]:
    """Given an ElementSet, return its TLE line 1 and line 2 (69 columns, with checksums).

    Columns as in Spacetrack Report No. 3 and Space-Track's TLE documentation; catalogue
    numbers 100000-339999 in Alpha-5 (18 SDS).  Values are rounded to the field's
    resolution (epoch 1e-8 day, angles 1e-4 deg, eccentricity 1e-7, mean motion 1e-8
    rev/day, BSTAR and second derivative to a five-digit mantissa).  Raises
    :class:`FormatError` naming the field for a value the columns cannot hold.
    """
    catalog = encode_catalog_field(record.norad_cat_id)
    line1, line2 = _line1(record, catalog), _line2(record, catalog)
    return line1 + str(checksum(line1)), line2 + str(checksum(line2))


def _name_line(name: str, zero_prefix: bool) -> str:
    """Given an object name, return its 3LE name line, or raise if it would not read back."""
    if not name.isascii() or "\n" in name or "\r" in name:
        raise _unwritable("OBJECT_NAME", name, "a name line is one line of ASCII")
    if zero_prefix:
        return f"0 {name}"
    if name.startswith(("0 ", "1 ", "2 ")):
        raise _unwritable("OBJECT_NAME", name, "a bare name cannot begin '0 ', '1 ' or '2 '")
    return name


def dump_tle(
    records: Iterable[ElementSet],
    *,
    names: bool = True,
    zero_prefix: bool = False,
    line_ending: str = "\n",
) -> str:
    """Given element sets, return them as one TLE text, each line ended by ``line_ending``.

    3LE where ``names`` is true and the record has a name (``zero_prefix`` writes
    Space-Track's "0 NAME", otherwise CelesTrak's bare name), 2LE otherwise.  Raises
    :class:`FormatError` for a record TLE cannot carry (e.g. a catalogue number above
    339999, which only OMM can carry).
    """
    if line_ending not in ("\n", "\r\n"):
        raise ValueError(f"line_ending must be '\\n' or '\\r\\n', not {line_ending!r}")
    out: list[str] = []
    for record in records:
        if names and record.object_name:
            out.append(_name_line(record.object_name, zero_prefix))
        out.extend(format_tle(record))
    return "".join(line + line_ending for line in out)
