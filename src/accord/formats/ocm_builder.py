"""The OCM builder: tokens -> :class:`~accord.formats.ocm.Ocm`, the same for KVN and XML.

Each lexer turns one message into tokens ``(line, kind, name, value, unit)``: kind "kv"
(a keyword, its value text and bracketed unit), "comment", "start" and "stop" (a block's
delimiters, name "META", "TRAJ" ...) and "data" (a data line's text).  The builder checks
the structure (CCSDS 502.0-B-3 section 6: header, one metadata section, then data blocks;
PHYS, PERT, OD and USER at most once), every keyword against :mod:`.ocm_keywords` (known,
in its block, once, before the data lines, typed, in the standard's unit), the data lines
against TRAJ_TYPE, COV_TYPE/COV_ORDERING and MAN_COMPOSITION, and what each block needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import FormatError
from accord.formats.ocm import (
    Ocm,
    OcmBlock,
    OcmCovariance,
    OcmManeuver,
    OcmTrajectory,
)
from accord.formats.ocm_keywords import (
    DEFAULTS,
    ELEMENT_SETS,
    KEYWORDS,
    MANEUVER_FIELDS,
    REPEATED,
    REQUIRES,
    STANDARD,
    TIME_FIELDS,
    Key,
    is_known_frame,
    lookup,
    ordering_size,
    unit_form,
    unit_scale,
)
from accord.formats.omm_keywords import parse_epoch, read_integer, read_real

__all__ = [
    "ATTRS",
    "VERSION",
    "VERSIONS",
    "Options",
    "Token",
    "build_ocm",
    "data_tag",
    "parse_time",
    "typed_value",
]

Token = tuple[int, str, str, str, str | None]  # (line, kind, name, value, unit)
VERSION = "3.0"
# 3.0 is 502.0-B-3's; 2.0 is on Orekit's Example 5 files (written by Orekit), read alike.
VERSIONS = ("3.0", "2.0")
_TAGS = {"TRAJ": "trajLine", "COV": "covLine", "MAN": "manLine"}


def data_tag(block: str) -> str:
    """Given TRAJ, COV or MAN, return the name its data lines go by (the XML element)."""
    return _TAGS[block]


# Keywords read into record fields: the field named after the keyword in lower case,
# but TIME_SPAN (in days); every other keyword goes to the block's extra.
_FIELDS = {
    "HEADER": ("CREATION_DATE", "ORIGINATOR", "MESSAGE_ID"),
    "META": (
        *("OBJECT_NAME", "INTERNATIONAL_DESIGNATOR", "CATALOG_NAME", "OBJECT_DESIGNATOR"),
        *("TIME_SYSTEM", "EPOCH_TZERO", "START_TIME", "STOP_TIME", "TIME_SPAN"),
    ),
    "TRAJ": (
        *("TRAJ_ID", "TRAJ_BASIS", "INTERPOLATION", "INTERPOLATION_DEGREE", "CENTER_NAME"),
        *("TRAJ_REF_FRAME", "USEABLE_START_TIME", "USEABLE_STOP_TIME", "TRAJ_TYPE"),
        "TRAJ_UNITS",
    ),
    "COV": ("COV_ID", "COV_REF_FRAME", "COV_TYPE", "COV_ORDERING", "COV_UNITS"),
    "MAN": (
        *("MAN_ID", "MAN_BASIS", "MAN_DEVICE_ID", "MAN_PURPOSE", "MAN_REF_FRAME"),
        *("MAN_COMPOSITION", "MAN_UNITS"),
    ),
}
ATTRS = {
    block: {kw: "time_span_d" if kw == "TIME_SPAN" else kw.lower() for kw in kws}
    for block, kws in _FIELDS.items()
}


@dataclass(frozen=True)
class Options:
    """The named leniencies (see :mod:`accord.formats.ocm`); both off: strict."""

    allow_scaled_units: bool = False
    allow_unknown_frames: bool = False


class _Part:
    """What the tokens of one block said: typed values, texts, lines, comments, data."""

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


def build_ocm(tokens: Iterable[Token | FormatError], *, line: int, options: Options) -> Ocm:
    """Given one message's tokens (the version line first), return its record or raise.

    A FormatError among the tokens (a lexical error) is raised when reached.
    """
    it = iter(tokens)
    first = next(it)
    if isinstance(first, FormatError):
        raise first
    version = _check_version(first)
    header, meta, current = _Part("HEADER", line), None, None
    blocks: list[_Part] = []
    last = line
    for token in it:
        if isinstance(token, FormatError):
            raise token
        at, kind, name, value, unit = token
        last = at
        if kind == "start":
            current = _start(name, at, current, meta, blocks)
            if name == "META":
                meta = current
            else:
                blocks.append(current)
        elif kind == "stop":
            if current is None or current.block != name:
                open_ = "no block is open" if current is None else f"{current.block} is open"
                raise FormatError(
                    f"{name}_STOP without {name}_START ({open_})",
                    line=at,
                    field=f"{name}_STOP",
                    expected=f"{current.block}_STOP" if current else f"{name}_START first",
                )
            current.end = at
            _close(current, meta, options)
            current = None
        else:
            part = current if current is not None else header if meta is None else None
            _add(part, kind, name, value, unit, at, options)
    if current is not None:
        raise FormatError(
            f"the {current.block} block opened on line {current.start} is not closed",
            line=last,
            field=f"{current.block}_STOP",
            expected=f"{current.block}_STOP before the end of the message",
        )
    if meta is None:
        raise _missing_section(last, "META_START")
    return _record(version, header, meta, blocks)


def _check_version(token: Token) -> str:
    at, kind, name, value, _ = token
    if kind != "kv" or name != "CCSDS_OCM_VERS" or value not in VERSIONS:
        raise FormatError(
            "unsupported OCM version" if name == "CCSDS_OCM_VERS" else "not an OCM",
            line=at,
            field="CCSDS_OCM_VERS",
            expected=f"CCSDS_OCM_VERS = {VERSION} ({STANDARD}) or 2.0",
            received=value if name == "CCSDS_OCM_VERS" else name,
        )
    return value


def _missing_section(line: int, field: str) -> FormatError:
    return FormatError(
        "the metadata section is missing",
        line=line,
        field=field,
        expected=f"META_START ... META_STOP after the header ({STANDARD})",
    )


def _start(
    name: str, at: int, current: _Part | None, meta: _Part | None, blocks: list[_Part]
) -> _Part:
    """Given a block's start, return its new part, or raise where it may not start."""
    field = f"{name}_START"
    if current is not None:
        raise FormatError(
            f"{field} inside the {current.block} block",
            line=at,
            field=field,
            expected=f"{current.block}_STOP first",
        )
    if name == "META" and (meta is not None or blocks):
        raise FormatError(
            "a second metadata section" if meta else "the metadata after a data block",
            line=at,
            field=field,
            expected=f"one metadata section, before the data blocks ({STANDARD})",
        )
    if name != "META" and meta is None:
        raise _missing_section(at, field)
    if name not in REPEATED and any(p.block == name for p in blocks):
        raise FormatError(
            f"a second {name} block",
            line=at,
            field=field,
            expected=f"at most one {name} block per message ({STANDARD})",
        )
    return _Part(name, at)


def _add(
    part: _Part | None,
    kind: str,
    name: str,
    value: str,
    unit: str | None,
    at: int,
    options: Options,
) -> None:
    """Given one comment, keyword or data line, add it to its block's part or raise."""
    if part is None:
        raise FormatError(
            f"{'a data line' if kind == 'data' else name} outside any block",
            line=at,
            field=name or None,
            expected="<BLOCK>_START first: META, TRAJ, PHYS, COV, MAN, PERT, OD or USER",
            received=value[:80] if kind == "data" else None,
        )
    if kind == "comment":
        if part.texts or part.data:
            raise FormatError(
                f"COMMENT inside the {part.block} block",
                line=at,
                field="COMMENT",
                expected=f"COMMENT lines only at the start of a block ({STANDARD})",
            )
        part.comments.append(value)
        return
    if kind == "data":
        if part.block not in _TAGS or name not in ("", _TAGS[part.block]):
            raise FormatError(
                "not a KVN line" if not name else f"<{name}> in the {part.block} block",
                line=at,
                field=name or None,
                expected="KEYWORD = value [unit], or COMMENT text (502.0-B-3 7.4)",
                received=value[:80],
            )
        part.data.append((at, value))
        return
    key = lookup(name)
    if key is None or key.block != part.block:
        where = "an unknown keyword" if key is None else f"a keyword of the {key.block} block"
        raise FormatError(
            f"{name} is {where}",
            line=at,
            field=name,
            expected=f"a keyword of the {part.block} block ({STANDARD})",
        )
    if part.data:
        raise FormatError(
            f"{name} after the data lines",
            line=at,
            field=name,
            expected="the block's keywords, then its data lines",
        )
    if name in part.lines:
        if part.texts[name] == value and unit is None:
            return  # the same value again (Example 4's ORB_AVERAGING): read once
        raise FormatError(
            f"{name} given twice, with another value",
            line=at,
            field=name,
            expected=f"{name} once per block (or again with the same value)",
            received=f"{value}, after {part.texts[name]} on line {part.lines[name]}",
        )
    part.values[name] = typed_value(key, name, value, unit, at, options)
    part.texts[name] = value
    part.lines[name] = at


def typed_value(key: Key, kw: str, raw: str, unit: str | None, at: int, options: Options) -> Any:
    """Given one keyword's value text, return it typed by its row, or raise."""
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


def _close(part: _Part, meta: _Part | None, options: Options) -> None:
    """Given a finished block, check what it needs; parse its data lines into values."""
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
    for kw, key in _block_keys(part.block):
        if key.mandatory and kw not in part.values:
            raise FormatError(
                f"the {part.block} block lacks mandatory {kw}",
                line=part.end,
                field=kw,
                expected=f"{kw} = ... before {part.block}_STOP ({STANDARD})",
            )


def _block_keys(block: str) -> list[tuple[str, Key]]:
    return [(kw, key) for kw, key in KEYWORDS.items() if key.block == block]


def _standard_units(part: _Part) -> tuple[str, ...]:
    if part.block == "MAN":
        fields = part.values.get("MAN_COMPOSITION", ())
        return tuple(MANEUVER_FIELDS[f] for f in fields if f not in TIME_FIELDS)
    kw = "TRAJ_TYPE" if part.block == "TRAJ" else "COV_TYPE"
    return ELEMENT_SETS[part.values.get(kw, DEFAULTS[kw])]


def _check_units(part: _Part, kw: str, standard: tuple[str, ...], options: Options) -> None:
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


def _type_name(part: _Part) -> str:
    if part.block == "MAN":
        return ",".join(part.values.get("MAN_COMPOSITION", ()))
    kw = "TRAJ_TYPE" if part.block == "TRAJ" else "COV_TYPE"
    return str(part.values.get(kw, DEFAULTS[kw]))


def _line_error(part: _Part, at: int, message: str, expected: str, text: str) -> FormatError:
    return FormatError(
        message, line=at, field=_TAGS[part.block], expected=expected, received=text[:80]
    )


def _time_and_reals(part: _Part, at: int, text: str, n: int, what: str) -> tuple[Any, ...]:
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


def _traj_line(part: _Part, at: int, text: str) -> tuple[Any, ...]:
    kind = part.values.get("TRAJ_TYPE", DEFAULTS["TRAJ_TYPE"])
    return _time_and_reals(part, at, text, len(ELEMENT_SETS[kind]), f"TRAJ_TYPE {kind}")


def _cov_line(part: _Part, at: int, text: str) -> tuple[Any, ...]:
    kind = part.values.get("COV_TYPE", DEFAULTS["COV_TYPE"])
    ordering = part.values.get("COV_ORDERING", DEFAULTS["COV_ORDERING"])
    n = ordering_size(ordering, len(ELEMENT_SETS[kind]))
    return _time_and_reals(part, at, text, n, f"COV_TYPE {kind}, COV_ORDERING {ordering}")


def _man_line(part: _Part, at: int, text: str) -> tuple[Any, ...]:
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
# The records.
# ---------------------------------------------------------------------------------------


def _fields_and_extra(part: _Part, attrs: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {attrs[kw]: part.values[kw] for kw in part.texts if kw in attrs}
    fields["extra"] = tuple((kw, text) for kw, text in part.texts.items() if kw not in attrs)
    return fields


def _record(version: str, header: _Part, meta: _Part, blocks: list[_Part]) -> Ocm:
    for kw, key in _block_keys("HEADER"):
        if key.mandatory and kw not in header.values:
            raise FormatError(
                f"the header lacks mandatory {kw}",
                line=meta.start,
                field=kw,
                expected=f"{kw} = ... before META_START ({STANDARD})",
            )
    top = _fields_and_extra(header, ATTRS["HEADER"])
    rest = _fields_and_extra(meta, ATTRS["META"])
    top.update({k: v for k, v in rest.items() if k != "extra"})
    top["extra"] += rest["extra"]
    kinds: dict[str, list[Any]] = {b: [] for b in ("TRAJ", "PHYS", "COV", "MAN", "PERT", "OD")}
    kinds["USER"] = []
    for part in blocks:
        kinds[part.block].append(_block_record(part))
    return Ocm(
        **top,
        version=version,
        trajectories=tuple(kinds["TRAJ"]),
        physical=next(iter(kinds["PHYS"]), None),
        covariances=tuple(kinds["COV"]),
        maneuvers=tuple(kinds["MAN"]),
        perturbations=next(iter(kinds["PERT"]), None),
        orbit_determination=next(iter(kinds["OD"]), None),
        user=next(iter(kinds["USER"]), None),
        header_comments=tuple(header.comments),
        metadata_comments=tuple(meta.comments),
    )


def _block_record(part: _Part) -> Any:
    comments = tuple(part.comments)
    if part.block not in ATTRS:
        return OcmBlock(tuple(part.texts.items()), comments)
    fields = _fields_and_extra(part, ATTRS[part.block])
    lines = part.values["_lines"]
    if part.block == "MAN":
        return OcmManeuver(**fields, rows=tuple(lines), comments=comments)
    times = tuple(line[0] for line in lines)
    values = tuple(line[1] for line in lines)
    if part.block == "TRAJ":
        return OcmTrajectory(times=times, elements=values, **fields, comments=comments)
    return OcmCovariance(times=times, values=values, **fields, comments=comments)
