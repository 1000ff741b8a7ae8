"""Reading a whole TLE input at once: pairing its lines into records, and one array pass.

:func:`pair_lines` finds the candidate records (name line, line 1, line 2) and rejects the
lines that belong to none.  :func:`read_well_formed` reads all candidates in one vectorized
pass over a ``(n_records, 69)`` byte array, checking the same rules as the strict reader of
:mod:`accord.formats.tle`; a record that fails any of them is left to that reader, which is
the authority and says why (or accepts it: the array pass is only a shortcut).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from accord.errors import FormatError
from accord.formats.records import ElementSet, Parsed, Rejected
from accord.formats.tle_fields import (
    ALPHA5,
    LINE1_TEMPLATE,
    LINE2_TEMPLATE,
    US_PER_TLE_UNIT,
    clean_name,
    layout_error,
    object_id,
)

__all__ = ["Span", "pair_lines", "read_well_formed"]

# ---------------------------------------------------------------------------------------
# Pairing: which lines make a record
# ---------------------------------------------------------------------------------------


class Span(NamedTuple):
    """Where one candidate record sits in the input: indexes into the non-blank lines."""

    start: int  # first line (the name line if any)
    name: int | None
    line1: int
    line2: int

    def raw(self, lines: list[str]) -> str:
        """Given the non-blank lines, return the record's text as received."""
        return "\n".join(lines[self.start : self.line2 + 1])


def pair_lines(
    lines: list[str], numbers: list[int]
) -> tuple[list[Span], list[tuple[int, Rejected]]]:
    """Given the non-blank lines, return the candidate records and the stray lines' rejections.

    A line 1 with a line 2 after it is a record; a name line is the line just before a
    line 1.  A line 1 followed by a line that is neither TLE line nor the next record's
    name is a record whose line 2 is damaged (so that it is rejected once, as one record).
    """
    heads = [s[:2] for s in lines] + ["", ""]
    spans: list[Span] = []
    strays: list[tuple[int, Rejected]] = []
    i, count = 0, len(lines)
    while i < count:
        head = heads[i]
        if head == "1 ":
            after = heads[i + 1]
            if after == "2 " or (i + 1 < count and after != "1 " and heads[i + 2] != "1 "):
                spans.append(Span(i, None, i, i + 1))
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
                spans.append(Span(i, i, i + 1, i + 2))
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
# The array pass: the strict reader's rules on a (n_records, 69) byte array
# ---------------------------------------------------------------------------------------

_IntArray = npt.NDArray[np.int64]
_ALPHA5_VALUE = np.zeros(256, np.int64)
_ALPHA5_VALUE[[ord(c) for c in ALPHA5]] = list(ALPHA5.values())
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
    ok = [layout_error(which, bytes(u).decode("ascii")) is None for u in unique]
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
    epoch = epoch + _number(d1, 24, "NNNNNNNN") * US_PER_TLE_UNIT
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


def read_well_formed(
    spans: list[Span], lines: list[str], numbers: list[int], verify_checksum: bool
) -> list[Parsed[ElementSet] | None]:
    """Given candidate records, return each that passes every rule parsed, the others None.

    ``lines`` are the input's non-blank lines, ``numbers`` their 1-based line numbers.
    """
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
    out: list[Parsed[ElementSet] | None] = [None] * len(spans)
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
            object_name=clean_name(names[i]),
            object_id=None if text1[9] == " " else object_id(text1[9:17]),
            classification_type=text1[7],
            ephemeris_type=eph,
            element_set_no=esn,
            rev_at_epoch=rev,
        )
        out[i] = Parsed(record, numbers[span.start], span.raw(lines))
    return out
