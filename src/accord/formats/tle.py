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
read in one vectorized pass over a ``(n_records, 69)`` byte array
(:mod:`accord.formats.tle_batch`); records that pass go straight to :class:`ElementSet`, and
the rest through the scalar reader here, which finds the reason (or accepts them: the
scalar reader is the authority, the array pass a shortcut).  The column table both share
is in :mod:`accord.formats.tle_fields`.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from accord.errors import FormatError
from accord.formats.records import (
    ElementSet,
    Parsed,
    ParseResult,
    Rejected,
    is_empty_answer,
    naive_utc,
)
from accord.formats.tle_batch import Span, pair_lines, read_well_formed
from accord.formats.tle_fields import (
    CENTURY,
    FIELDS,
    LINE1_TEMPLATE,
    LINE2_TEMPLATE,
    SHAPE,
    TEMPLATES,
    US_PER_TLE_UNIT,
    Field,
    checksum,
    clean_name,
    decode_catalog_field,
    encode_catalog_field,
    layout_error,
    object_id,
)

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

_OBJECT_ID = re.compile(r"(\d{4})-(\d{3})([A-Z]{0,3})")
_BLANK_LINE = re.compile(r"^[^\S\n]*$", re.MULTILINE)


# ---------------------------------------------------------------------------------------
# Reading one record (the authority)
# ---------------------------------------------------------------------------------------


def _columns(field: Field) -> str:
    """Given a field, return its 1-based columns as the format documentation writes them."""
    if field.stop - field.start == 1:
        return f"column {field.start + 1}"
    return f"columns {field.start + 1}-{field.stop}"


def _problem(which: int, n: int, field: Field, message: str, line: str) -> FormatError:
    """Given where a line goes wrong, return the error that shows the template beside it."""
    return FormatError(
        message,
        line=n,
        field=f"line {which} {_columns(field)} {field.name}".rstrip(),
        expected=TEMPLATES[which],
        received=line,
    )


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
    whole = Field(0, 69, "", frozenset(), "")
    if not line.isascii():
        raise _non_ascii(line, n, f"line {which}")
    if not line.startswith(str(which)):
        raise _problem(which, n, whole._replace(stop=1), f"must begin with {which}", line)
    text = line.rstrip()
    if len(text) < 69:
        message = f"line is {len(text)} characters long (trailing blanks ignored), not 69"
        raise _problem(which, n, whole, message, line)
    text = text[:69]  # columns 70 on are not TLE (Vallado's SGP4-VER.TLE puts times there)
    bad = layout_error(which, text.translate(SHAPE))
    if bad is not None:
        got = text[bad.start : bad.stop]
        raise _problem(which, n, bad, f"must be {bad.rule}, not {got!r}", line)
    return text


def _exponent_value(s: str) -> float:
    """Given an implied-decimal field such as '-11606-4', return -0.11606e-4."""
    return float(f"{s[0]}.{s[1:6]}e{s[6:]}")


def _epoch(s: str) -> datetime | None:
    """Given 'YYDDD.DDDDDDDD', return the naive UTC epoch (57-99 -> 19xx, 00-56 -> 20xx)."""
    year, day = int(CENTURY[s[:2]]), int(s[2:5])
    if not 1 <= day <= 365 + calendar.isleap(year):
        return None
    fraction = timedelta(days=day - 1, microseconds=int(s[6:]) * US_PER_TLE_UNIT)
    return datetime(year, 1, 1) + fraction


def _read_line1(text: str, n: int, line: str) -> dict[str, object]:
    """Given line 1's 69 well-formed columns, return its fields, or raise on a bad value."""
    try:
        number = decode_catalog_field(text[2:7])
    except ValueError as exc:
        raise _problem(1, n, FIELDS[1][0], str(exc), line) from None
    if text[7] not in "UCS":
        raise _problem(1, n, FIELDS[1][1], f"must be U, C or S, not {text[7]!r}", line)
    epoch = _epoch(text[18:32])
    if epoch is None:
        message = f"day of year {text[20:23]} is outside 1-365 (366 in a leap year)"
        raise _problem(1, n, FIELDS[1][3], message, line)
    return {
        "norad_cat_id": number,
        "classification_type": text[7],
        "object_id": object_id(text[9:17]),
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
        raise _problem(2, n, FIELDS[2][0], str(exc), line) from None
    values: dict[str, object] = {"eccentricity": int(text[26:33]) / 1e7}
    for field, top in ((FIELDS[2][1], 180.0), *((FIELDS[2][k], 360.0) for k in (2, 4, 5))):
        value = float(text[field.start : field.stop])
        if value > top:
            raise _problem(2, n, field, f"must be 0 to {top:g} degrees, not {value}", line)
        values[field.name.lower()] = value
    mean_motion = float(text[52:63])
    if mean_motion <= 0.0:
        raise _problem(2, n, FIELDS[2][6], "mean motion must be above zero", line)
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
            expected=TEMPLATES[which][:68] + str(computed),
            received=line,
        )


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
    return ElementSet(object_name=clean_name(name), **fields1, **fields2)  # type: ignore[arg-type]


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
# Reading a whole input: the array pass first, the scalar reader for what it leaves
# ---------------------------------------------------------------------------------------


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
    if is_empty_answer(text):
        return result
    body = text.replace("\r\n", "\n").removesuffix("\n")
    lines = body.split("\n")
    numbers = list(range(1, len(lines) + 1))
    if _BLANK_LINE.search(body) is not None or "#" in body:
        # rare: drop blank and comment lines, keep the numbering of the others
        numbers = [n for n in numbers if _is_content(lines[n - 1])]
        lines = [lines[n - 1] for n in numbers]
    spans, strays = pair_lines(lines, numbers)
    items: list[tuple[int, Parsed[ElementSet] | Rejected]] = list(strays)
    fast = read_well_formed(spans, lines, numbers, verify_checksum)
    for span, parsed in zip(spans, fast, strict=True):
        # what the array pass leaves, the scalar reader rejects with its reason (or accepts)
        if parsed is None:
            items.append((span.start, _read_one(span, lines, numbers, verify_checksum)))
        else:
            items.append((span.start, parsed))
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, Rejected):
            result.rejected.append(item)
        else:
            result.accepted.append(item)
    return result


def _is_content(line: str) -> bool:
    """Return whether a line is part of a record (not blank, not a "#" comment)."""
    return bool(line) and not line.isspace() and not line.startswith("#")


def _read_one(
    span: Span, lines: list[str], numbers: list[int], verify_checksum: bool
) -> Parsed[ElementSet] | Rejected:
    """Given one candidate record, return it parsed by the scalar reader, or rejected."""
    raw = span.raw(lines)
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
    epoch = naive_utc(epoch)
    year = epoch.year
    since = epoch - datetime(year, 1, 1)
    us = (since.days * 86400 + since.seconds) * 1_000_000 + since.microseconds
    day, fraction = divmod((us * 2 + US_PER_TLE_UNIT) // (2 * US_PER_TLE_UNIT), 10**8)
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
