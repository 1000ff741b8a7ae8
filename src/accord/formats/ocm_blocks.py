"""What the OCM writers write: a record's blocks, checked, in the standard's order.

:func:`message_blocks` turns an :class:`~accord.formats.ocm.Ocm` into its blocks (header,
metadata, then TRAJ, PHYS, COV, MAN, PERT, OD, USER as CCSDS 502.0-B-3 section 6 orders
them), each with its comments, its ``(KEYWORD, value text, unit)`` items and its data
lines.  Every value is checked as the reader would check it, so that what is written
reads back as the same record; the KVN and XML writers only lay the blocks out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import FormatError
from accord.formats.ocm import Ocm, OcmBlock, OcmCovariance, OcmManeuver, OcmTrajectory
from accord.formats.ocm_builder import ATTRS
from accord.formats.ocm_keywords import (
    ELEMENT_SETS,
    USER_PREFIX,
    lookup,
    ordering_size,
)
from accord.formats.ocm_values import Options, data_tag, typed_value
from accord.formats.omm_keywords import real_text
from accord.formats.records import naive_utc

__all__ = ["Block", "message_blocks", "time_text", "value_text"]

_ANY = Options(allow_scaled_units=True, allow_unknown_frames=True)


@dataclass(frozen=True)
class Block:
    """One block as written: its name (HEADER, META, TRAJ ...), comments, items, lines."""

    name: str
    comments: tuple[str, ...]
    items: list[tuple[str, str, str | None]]  # (KEYWORD, value text, unit or None)
    lines: list[str]


def value_text(value: Any) -> str:
    """Given a typed value, return its text in a message (reals read back exactly)."""
    if isinstance(value, bool):
        raise FormatError("a boolean is not an OCM value", received=repr(value))
    if isinstance(value, float):
        return real_text(value)
    if isinstance(value, datetime):
        return naive_utc(value).isoformat(timespec="microseconds")
    if isinstance(value, tuple):
        return ",".join(value_text(v) for v in value)
    return str(value)


def time_text(t: Any, what: str) -> str:
    """Given a data-line time (a datetime, or seconds from EPOCH_TZERO), return its text."""
    if isinstance(t, datetime):
        return value_text(t)
    if isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t):
        return real_text(float(t))
    raise FormatError(f"{what}: not a time", field=what, received=repr(t))


def message_blocks(ocm: Ocm) -> list[Block]:
    """Given a record, return its blocks in message order, every value checked.

    Raise FormatError naming the keyword where a value would not read back.
    """
    blocks = [
        _keyword_block("HEADER", ocm, ocm.header_comments, _for("HEADER", ocm.extra)),
        _keyword_block("META", ocm, ocm.metadata_comments, _for("META", ocm.extra)),
    ]
    others = [k for k, _ in ocm.extra if _block_of(k) not in ("HEADER", "META")]
    if others:
        raise FormatError(f"Ocm.extra holds {others[0]}", field=others[0])
    blocks += [_trajectory(t) for t in ocm.trajectories]
    blocks += _raw("PHYS", ocm.physical)
    blocks += [_covariance(c) for c in ocm.covariances]
    blocks += [_maneuver(m) for m in ocm.maneuvers]
    blocks += _raw("PERT", ocm.perturbations)
    blocks += _raw("OD", ocm.orbit_determination)
    blocks += _raw("USER", ocm.user)
    return blocks


def _block_of(kw: str) -> str | None:
    key = lookup(kw)
    return None if key is None else key.block


def _for(block: str, extra: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(kw, text) for kw, text in extra if _block_of(kw) == block]


def _keyword_block(
    name: str, record: Any, comments: Sequence[str], extra: Iterable[tuple[str, str]]
) -> Block:
    """Given a record and its block's extra pairs, return the block's checked items: the
    fields in the standard's order, then the extra pairs in theirs (message order)."""
    attrs = ATTRS[name]
    pairs: list[tuple[str, str]] = []
    for kw, attr in attrs.items():
        value = getattr(record, attr)
        if value is not None:
            pairs.append((kw, _units_text(kw, value)))
    seen = {kw for kw, _ in pairs}
    for kw, text in extra:
        if _block_of(kw) != name or kw in attrs:
            raise FormatError(f"extra holds {kw}, not a {name} extra keyword", field=kw)
        if kw in seen:
            raise FormatError(f"extra holds {kw} twice", field=kw)
        seen.add(kw)
        pairs.append((kw, text))
    return Block(name, _comments(comments), _checked(pairs), [])


def _units_text(kw: str, value: Any) -> str:
    text = value_text(value)
    return f"[{text}]" if kw.endswith("_UNITS") else text


def _checked(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str, str | None]]:
    items = []
    for kw, text in pairs:
        key = lookup(kw)
        assert key is not None
        _check_text(kw, text)
        try:
            typed_value(key, kw, text, None, 0, _ANY)
        except FormatError as exc:
            raise FormatError(
                f"{kw} cannot be written: {exc.message}",
                field=kw,
                expected=exc.expected,
                received=exc.received,
            ) from None
        items.append((kw, text, key.unit if key.kind in ("real", "int") else None))
    return items


def _check_text(kw: str, text: Any, *, empty_ok: bool = False) -> None:
    if not isinstance(text, str) or (not text and not empty_ok):
        raise FormatError(f"{kw} must be a non-empty string", field=kw, received=repr(text))
    if text != text.strip() or not text.isprintable():
        raise FormatError(
            f"{kw} would not survive a round trip",
            field=kw,
            expected="printable text on one line, without leading or trailing blanks",
            received=repr(text),
        )


def _comments(comments: Sequence[str]) -> tuple[str, ...]:
    for text in comments:
        _check_text("COMMENT", text, empty_ok=True)
    return tuple(comments)


def _raw(name: str, block: OcmBlock | None) -> list[Block]:
    if block is None:
        return []
    seen: set[str] = set()
    for kw, _ in block.items:
        wrong = _block_of(kw) != name or (name == "USER") != kw.startswith(USER_PREFIX)
        if wrong or kw in seen:
            why = "twice" if kw in seen else f"not a keyword of the {name} block"
            raise FormatError(f"{name} block holds {kw} {why}", field=kw)
        seen.add(kw)
    return [Block(name, _comments(block.comments), _checked(block.items), [])]


def _data_lines(
    block: str, times: Sequence[Any], values: Sequence[Sequence[float]], n: int
) -> list[str]:
    tag = data_tag(block)
    if len(times) != len(values):
        raise FormatError(f"{block}: {len(times)} times for {len(values)} lines", field=tag)
    lines = []
    for t, row in zip(times, values, strict=True):
        if len(row) != n:
            raise FormatError(f"{tag} holds {len(row)} values where its type has {n}", field=tag)
        lines.append(" ".join([time_text(t, tag), *(_real(x, tag) for x in row)]))
    return lines


def _real(x: Any, what: str) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise FormatError(f"{what}: not a real number", field=what, received=repr(x))
    return real_text(float(x))


def _trajectory(t: OcmTrajectory) -> Block:
    block = _keyword_block("TRAJ", t, t.comments, t.extra)
    n = len(ELEMENT_SETS.get(t.element_type, ()))
    return Block("TRAJ", block.comments, block.items, _data_lines("TRAJ", t.times, t.elements, n))


def _covariance(c: OcmCovariance) -> Block:
    block = _keyword_block("COV", c, c.comments, c.extra)
    size = ordering_size(c.ordering, len(ELEMENT_SETS.get(c.element_type, ())))
    return Block("COV", block.comments, block.items, _data_lines("COV", c.times, c.values, size))


def _maneuver(m: OcmManeuver) -> Block:
    block = _keyword_block("MAN", m, m.comments, m.extra)
    lines = []
    for row in m.rows:
        if len(row) != len(m.man_composition):
            raise FormatError("a manoeuvre row does not match MAN_COMPOSITION", field="manLine")
        texts = []
        for name, value in zip(m.man_composition, row, strict=True):
            if name == "TIME_ABSOLUTE" and not isinstance(value, datetime):
                raise FormatError("TIME_ABSOLUTE must be a datetime", field=name)
            if name in ("TIME_ABSOLUTE", "TIME_RELATIVE"):
                texts.append(time_text(value, name))
            elif isinstance(value, str):
                _check_text(name, value)
                if value.split() != [value]:
                    raise FormatError(f"{name} holds blanks", field=name, received=repr(value))
                texts.append(value)
            else:
                texts.append(_real(value, name))
        lines.append(" ".join(texts))
    return Block("MAN", block.comments, block.items, lines)
