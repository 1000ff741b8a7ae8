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
from typing import Any

from accord.errors import FormatError
from accord.formats.ocm import Ocm, OcmBlock, OcmCovariance, OcmManeuver, OcmTrajectory
from accord.formats.ocm_keywords import REPEATED, STANDARD, lookup
from accord.formats.ocm_values import (
    Options,
    Part,
    block_keys,
    close_block,
    data_tag,
    typed_value,
)

__all__ = ["ATTRS", "VERSION", "VERSIONS", "Options", "Token", "build_ocm", "data_tag"]

Token = tuple[int, str, str, str, str | None]  # (line, kind, name, value, unit)
VERSION = "3.0"
# 3.0 is 502.0-B-3's; 2.0 is on Orekit's Example 5 files (written by Orekit), read alike.
VERSIONS = ("3.0", "2.0")


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


def build_ocm(tokens: Iterable[Token | FormatError], *, line: int, options: Options) -> Ocm:
    """Given one message's tokens (the version line first), return its record or raise.

    A FormatError among the tokens (a lexical error) is raised when reached.
    """
    it = iter(tokens)
    first = next(it)
    if isinstance(first, FormatError):
        raise first
    version = _check_version(first)
    header, meta, current = Part("HEADER", line), None, None
    blocks: list[Part] = []
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
            close_block(current, options)
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


def _start(name: str, at: int, current: Part | None, meta: Part | None, blocks: list[Part]) -> Part:
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
    return Part(name, at)


def _add(
    part: Part | None,
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
        if part.block not in ("TRAJ", "COV", "MAN") or name not in ("", data_tag(part.block)):
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


# The records.
# ---------------------------------------------------------------------------------------


def _fields_and_extra(part: Part, attrs: dict[str, str]) -> dict[str, Any]:
    fields: dict[str, Any] = {attrs[kw]: part.values[kw] for kw in part.texts if kw in attrs}
    fields["extra"] = tuple((kw, text) for kw, text in part.texts.items() if kw not in attrs)
    return fields


def _record(version: str, header: Part, meta: Part, blocks: list[Part]) -> Ocm:
    for kw, key in block_keys("HEADER"):
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


def _block_record(part: Part) -> Any:
    comments = tuple(part.comments)
    if part.block not in ("TRAJ", "COV", "MAN"):
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
