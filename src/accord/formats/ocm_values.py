"""OCM values and data lines: text -> typed, checked values (CCSDS 502.0-B-3 section 6).

:func:`typed_value` reads one keyword's value by its row of :mod:`.ocm_keywords` (7.5:
reals, integers, epochs; plus relative times, frames, unit lists, MAN_COMPOSITION);
:func:`close_block` checks a finished block (what its keywords need, TRAJ_UNITS,
COV_UNITS and MAN_UNITS against the element set or composition) and reads its data lines
against TRAJ_TYPE, COV_TYPE with COV_ORDERING, or MAN_COMPOSITION.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import FormatError
from accord.formats.ocm_keywords import (
    DEFAULTS,
    ELEMENT_SETS,
    KEYWORDS,
    MANEUVER_FIELDS,
    REQUIRES,
    STANDARD,
    TIME_FIELDS,
    Key,
    is_known_frame,
    ordering_size,
    unit_form,
    unit_scale,
)
from accord.formats.omm_keywords import parse_epoch, read_integer, read_real

__all__ = [
    "Options",
    "Part",
    "block_keys",
    "close_block",
    "data_tag",
    "parse_time",
    "typed_value",
]

_TAGS = {"TRAJ": "trajLine", "COV": "covLine", "MAN": "manLine"}


def data_tag(block: str) -> str:
    """Given TRAJ, COV or MAN, return the name its data lines go by (the XML element)."""
    return _TAGS[block]


@dataclass(frozen=True)
class Options:
    """The named leniencies (see :mod:`accord.formats.ocm`); both off: strict."""

    allow_scaled_units: bool = False
    allow_unknown_frames: bool = False


class Part:
    """What the tokens of one block said: typed values, texts, lines, comments, data.

    After :func:`close_block`, ``values["_lines"]`` holds the data lines read.
    """

    __slots__ = ("block", "comments", "data", "end", "lines", "start", "texts", "values")

    def __init__(self, block: str, start: int) -> None:
        self.block = block
        self.start = start  # line of <BLOCK>_START (of the version line for the header)
        self.end = start  # line of <BLOCK>_STOP
        self.values: dict[str, Any] = {}
        self.texts: dict[str, str] = {}  # keyword -> value text, in message order
        self.lines: dict[str, int] = {}
        self.comments: list[str] = []
        self.data: list[tuple[int, str]] = []


def typed_value(key: Key, kw: str, raw: str, unit: str | None, at: int, options: Options) -> Any:
    """Given a keyword's row, value text and unit (or None), return the typed value.

    Raise FormatError naming line ``at`` and the keyword where the value or unit is not
    what the row prescribes.
    """
    if not raw:
        raise FormatError(f"{kw} has no value", line=at, field=kw, expected="a value (7.5.1)")
    if unit is not None and unit_form(unit) != unit_form(key.unit or "n/a"):
        raise FormatError(
            f"wrong unit for {kw}",
            line=at,
            field=kw,
            expected=f"[{key.unit}] or none" if key.unit else "no unit (or [n/a])",
            received=unit,
        )
    kind = key.kind
    if kind in ("text", "enum", "frame", "frame_or_lof"):
        if kind == "enum":
            if raw.upper() not in key.choices:
                raise _bad(kw, at, " | ".join(key.choices), raw)
            return raw.upper()
        lenient = kind == "text" or options.allow_unknown_frames
        if not lenient and not is_known_frame(raw, kind == "frame_or_lof"):
            what = "a SANA celestial body frame" + ("" if kind == "frame" else " or LOF")
            hint = " (allow_unknown_frames=True reads any)"
            raise FormatError(
                f"unknown frame for {kw}", line=at, field=kw, expected=what + hint, received=raw
            )
        return raw
    if kind in ("units", "list"):
        inner = raw[1:-1] if kind == "units" and raw[:1] == "[" and raw[-1:] == "]" else raw
        items = tuple(part.strip() for part in inner.split(","))
        if (kind == "units" and inner is raw) or not all(items):
            form = "[unit, unit, ...]" if kind == "units" else "NAME, NAME, ..."
            raise _bad(kw, at, form, raw)
        if kw == "MAN_COMPOSITION":
            _check_composition(items, at)
        return items
    if kind == "vector":
        parts = raw.split()
        numbers = [read_real(p) for p in parts]
        if len(numbers) != 3 or None in numbers:
            raise _bad(kw, at, "three real numbers", raw)
        return tuple(numbers)
    value = parse_time(raw, absolute_only=kind == "epoch") if kind in ("epoch", "time") else None
    if kind == "real":
        value = read_real(raw)
    elif kind == "int":
        value = read_integer(raw)
    if value is None:
        expected = {
            "real": "a real number such as 2.1 or -4.152E-02 (7.5.6)",
            "int": "an integer (7.5.4)",
            "epoch": "a CCSDS epoch such as 2019-07-23T10:29:31.576 (7.5.10)",
            "time": "a CCSDS epoch, or seconds from EPOCH_TZERO",
        }[kind]
        raise _bad(kw, at, expected, raw)
    return value


def _bad(kw: str, at: int, expected: str, received: str) -> FormatError:
    return FormatError(
        f"{kw} is not a valid value", line=at, field=kw, expected=expected, received=received
    )


def parse_time(text: str, *, absolute_only: bool = False) -> datetime | float | None:
    """Given a time's text, return a datetime (an epoch) or a float (seconds from
    EPOCH_TZERO, unless ``absolute_only``), or None when it is neither."""
    if not absolute_only:
        seconds = read_real(text)
        if seconds is not None:
            return seconds
    try:
        return parse_epoch(text)
    except FormatError:
        return None


def _check_composition(fields: tuple[str, ...], at: int) -> None:
    unknown = next((f for f in fields if f not in MANEUVER_FIELDS), None)
    if unknown is not None:
        raise _bad("MAN_COMPOSITION", at, "fields of " + STANDARD, unknown)
    times = 2 if fields[1:2] and fields[1] in TIME_FIELDS else 1
    if fields[0] not in TIME_FIELDS:
        raise FormatError(
            "MAN_COMPOSITION has no time field first",
            line=at,
            field="MAN_COMPOSITION",
            expected="TIME_ABSOLUTE and/or TIME_RELATIVE, then the other fields",
            received=", ".join(fields),
        )
    stray = [f for f in fields[times:] if f in TIME_FIELDS]
    if stray or len(set(fields)) < len(fields):
        raise _bad("MAN_COMPOSITION", at, "time field(s) first, each field once", ",".join(fields))


# ---------------------------------------------------------------------------------------
# Closing a block: what it needs, its units, its data lines.
# ---------------------------------------------------------------------------------------


def close_block(part: Part, options: Options) -> None:
    """Given a finished block, check what it needs and read its data lines, or raise."""
    for kw, values, needs in REQUIRES:
        if kw in part.values and (values is None or part.values[kw] in values):
            absent = next((n for n in needs if n not in part.values), None)
            if absent is not None:
                raise FormatError(
                    f"{kw} = {part.texts[kw]} needs {absent}",
                    line=part.lines[kw],
                    field=absent,
                    expected=f"{absent} = ... in the same block ({STANDARD})",
                )
    if part.block in _TAGS:
        standard = _standard_units(part)
        units_kw = {"TRAJ": "TRAJ_UNITS", "COV": "COV_UNITS", "MAN": "MAN_UNITS"}[part.block]
        if units_kw in part.values:
            _check_units(part, units_kw, standard, options)
        parse = {"TRAJ": _traj_line, "COV": _cov_line, "MAN": _man_line}[part.block]
        part.values["_lines"] = [parse(part, at, text) for at, text in part.data]
    for kw, key in block_keys(part.block):
        if key.mandatory and kw not in part.values:
            raise FormatError(
                f"the {part.block} block lacks mandatory {kw}",
                line=part.end,
                field=kw,
                expected=f"{kw} = ... before {part.block}_STOP ({STANDARD})",
            )


def block_keys(block: str) -> list[tuple[str, Key]]:
    """Given a block's name, return its (keyword, row) pairs in the table's order."""
    return [(kw, key) for kw, key in KEYWORDS.items() if key.block == block]


def _standard_units(part: Part) -> tuple[str, ...]:
    if part.block == "MAN":
        fields = part.values.get("MAN_COMPOSITION", ())
        return tuple(MANEUVER_FIELDS[f] for f in fields if f not in TIME_FIELDS)
    kw = "TRAJ_TYPE" if part.block == "TRAJ" else "COV_TYPE"
    return ELEMENT_SETS[part.values.get(kw, DEFAULTS[kw])]


def _check_units(part: Part, kw: str, standard: tuple[str, ...], options: Options) -> None:
    given = part.values[kw]
    what = {"TRAJ": "TRAJ_TYPE", "COV": "COV_TYPE", "MAN": "MAN_COMPOSITION"}[part.block]
    expected = f"[{', '.join(standard)}] for {what} {_type_name(part)}"
    if len(given) != len(standard):
        raise FormatError(
            f"{kw} names {len(given)} units for {len(standard)} elements",
            line=part.lines[kw],
            field=kw,
            expected=expected,
            received=part.texts[kw],
        )
    for u, s in zip(given, standard, strict=True):
        scale = unit_scale(u, s)
        if scale == 1.0 or (scale is not None and options.allow_scaled_units):
            continue
        hint = "" if scale is None else " (allow_scaled_units=True reads it)"
        raise FormatError(
            f"{kw}: unit {u} where the standard has {s}" + hint,
            line=part.lines[kw],
            field=kw,
            expected=expected,
            received=part.texts[kw],
        )


def _type_name(part: Part) -> str:
    if part.block == "MAN":
        return ",".join(part.values.get("MAN_COMPOSITION", ()))
    kw = "TRAJ_TYPE" if part.block == "TRAJ" else "COV_TYPE"
    return str(part.values.get(kw, DEFAULTS[kw]))


def _line_error(part: Part, at: int, message: str, expected: str, text: str) -> FormatError:
    return FormatError(
        message, line=at, field=_TAGS[part.block], expected=expected, received=text[:80]
    )


def _time_and_reals(part: Part, at: int, text: str, n: int, what: str) -> tuple[Any, ...]:
    fields = text.split()
    expected = f"a time (epoch or seconds from EPOCH_TZERO) then {n} values ({what})"
    if len(fields) != n + 1:
        message = f"{len(fields) - 1} values on a data line that needs {n}"
        raise _line_error(part, at, message, expected, text)
    time = parse_time(fields[0])
    numbers = [read_real(f) for f in fields[1:]]
    if time is None or None in numbers:
        bad = fields[0] if time is None else fields[1 + numbers.index(None)]
        raise _line_error(part, at, f"not a time or a real number: {bad}", expected, text)
    return time, tuple(numbers)


def _traj_line(part: Part, at: int, text: str) -> tuple[Any, ...]:
    kind = part.values.get("TRAJ_TYPE", DEFAULTS["TRAJ_TYPE"])
    return _time_and_reals(part, at, text, len(ELEMENT_SETS[kind]), f"TRAJ_TYPE {kind}")


def _cov_line(part: Part, at: int, text: str) -> tuple[Any, ...]:
    kind = part.values.get("COV_TYPE", DEFAULTS["COV_TYPE"])
    ordering = part.values.get("COV_ORDERING", DEFAULTS["COV_ORDERING"])
    n = ordering_size(ordering, len(ELEMENT_SETS[kind]))
    return _time_and_reals(part, at, text, n, f"COV_TYPE {kind}, COV_ORDERING {ordering}")


def _man_line(part: Part, at: int, text: str) -> tuple[Any, ...]:
    composition = part.values.get("MAN_COMPOSITION", ())
    fields = text.split()
    expected = f"one value per MAN_COMPOSITION field: {','.join(composition)}"
    if len(fields) != len(composition):
        message = f"{len(fields)} values on a line that needs {len(composition)}"
        raise _line_error(part, at, message, expected, text)
    row: list[Any] = []
    for name, field in zip(composition, fields, strict=True):
        if name == "DEPLOY_ID":
            value: Any = field
        elif name in ("ACC_INTERP", "THR_INTERP"):
            value = field.upper() if field.upper() in ("ON", "OFF") else None
        elif name == "TIME_ABSOLUTE":
            value = parse_time(field, absolute_only=True)
        else:
            value = read_real(field)
        if value is None:
            raise _line_error(part, at, f"{name} is not valid: {field}", expected, text)
        row.append(value)
    return tuple(row)


# ---------------------------------------------------------------------------------------
