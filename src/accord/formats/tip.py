"""Tracking and Impact Prediction (TIP) messages in Space-Track's JSON <-> :class:`TipMessage`.

A TIP message is the 18th/19th Space Defense Squadron's re-entry prediction for one object:
the predicted decay epoch, a window around it, and the position and direction of the
object's track at that epoch.  Space-Track serves them as its ``tip`` class, a JSON array of
objects whose values are strings (space-track.org, "tip" modeldef):

``NORAD_CAT_ID, MSG_EPOCH, INSERT_EPOCH, DECAY_EPOCH, WINDOW, REV, DIRECTION, LAT, LON, INCL,
NEXT_REPORT, ID, HIGH_INTEREST, OBJECT_NUMBER``

Units as Space-Track gives them: WINDOW is the half-width of the decay window in minutes,
NEXT_REPORT the hours until the next message, LAT/LON/INCL degrees (LON east, 0 to 360 as
served; -180 to 180 is read too).  Epochs are UTC, ``YYYY-MM-DD hh:mm:ss`` (an ISO ``T`` and
fractions of a second are read too).  Numbers may be given as JSON numbers; null or "" means
absent.  ``NORAD_CAT_ID``, ``MSG_EPOCH``, ``DECAY_EPOCH`` and ``ID`` (the message's number)
are required; any other key is refused, as is a key given twice.  A bad record is rejected
as "record N" (1-based) at its line; the others are kept.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.errors import FormatError
from accord.formats.omm_tables import _json_objects, _Object
from accord.formats.records import Parsed, ParseResult, Rejected, naive_utc

__all__ = ["TIP_KEYS", "TipMessage", "dump_tip_json", "load_tip_json"]

TIP_KEYS = (
    "NORAD_CAT_ID",
    "MSG_EPOCH",
    "INSERT_EPOCH",
    "DECAY_EPOCH",
    "WINDOW",
    "REV",
    "DIRECTION",
    "LAT",
    "LON",
    "INCL",
    "NEXT_REPORT",
    "ID",
    "HIGH_INTEREST",
    "OBJECT_NUMBER",
)
_REQUIRED = ("NORAD_CAT_ID", "MSG_EPOCH", "DECAY_EPOCH", "ID")
_EPOCH = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)?", re.ASCII)
_INTEGER = re.compile(r"\d{1,9}", re.ASCII)  # fits the 32-bit columns that keep it


@dataclass(frozen=True)
class TipMessage:
    """One TIP message (field names carry their units)."""

    norad_cat_id: int
    message_id: int  # Space-Track's ID of the message
    msg_epoch: datetime  # when the prediction was made, UTC
    decay_epoch: datetime  # the predicted re-entry, UTC
    insert_epoch: datetime | None = None  # when the message was filed, UTC
    window_min: int | None = None  # half-width of the decay window
    rev: int | None = None  # revolution number at the decay epoch
    direction: str | None = None  # ascending | descending
    lat_deg: float | None = None  # sub-satellite point at the decay epoch
    lon_deg: float | None = None  # east
    incl_deg: float | None = None
    next_report_h: int | None = None  # hours until the next message (0: last one)
    high_interest: str | None = None  # Y | N
    object_number: int | None = None  # Space-Track repeats NORAD_CAT_ID here


def load_tip_json(text: str) -> ParseResult[TipMessage]:
    """Given Space-Track TIP JSON (an array of objects, or one), return the messages."""
    result: ParseResult[TipMessage] = ParseResult()
    for index, line, raw, obj in _json_objects(text.lstrip("\ufeff")):
        try:
            if isinstance(obj, FormatError):
                raise obj
            record = _message(obj, line)
        except FormatError as exc:
            error = FormatError(
                f"record {index}: {exc.message}",
                line=exc.line or line,
                field=exc.field,
                expected=exc.expected,
                received=exc.received,
            )
            result.rejected.append(Rejected(line, raw, error))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _message(obj: Any, line: int) -> TipMessage:
    if not isinstance(obj, _Object):
        raise FormatError("not a JSON object", line=line, expected="{...}", received=repr(obj)[:80])
    keys = [k for k, _ in obj]
    for key in keys:
        if keys.count(key) > 1:
            raise FormatError(f"key {key} given twice", line=line, field=key)
        if key not in TIP_KEYS:
            raise FormatError(
                "not a TIP key", line=line, field=key, expected=", ".join(TIP_KEYS), received=key
            )
    cells = {k: _cell(k, v, line) for k, v in obj}
    for key in _REQUIRED:
        if cells.get(key) is None:
            raise FormatError(f"{key} is missing", line=line, field=key)

    def get(key: str, read: Callable[[str, str, int], Any]) -> Any:
        value = cells.get(key)
        return None if value is None else read(key, value, line)

    message = TipMessage(
        norad_cat_id=get("NORAD_CAT_ID", _integer),
        message_id=get("ID", _integer),
        msg_epoch=get("MSG_EPOCH", _epoch),
        decay_epoch=get("DECAY_EPOCH", _epoch),
        insert_epoch=get("INSERT_EPOCH", _epoch),
        window_min=get("WINDOW", _integer),
        rev=get("REV", _integer),
        direction=get("DIRECTION", _choice("ascending", "descending")),
        lat_deg=get("LAT", _real(-90.0, 90.0)),
        lon_deg=get("LON", _real(-180.0, 360.0)),
        incl_deg=get("INCL", _real(0.0, 180.0)),
        next_report_h=get("NEXT_REPORT", _integer),
        high_interest=get("HIGH_INTEREST", _choice("Y", "N")),
        object_number=get("OBJECT_NUMBER", _integer),
    )
    if message.object_number is not None and message.object_number != message.norad_cat_id:
        raise FormatError(
            "OBJECT_NUMBER differs from NORAD_CAT_ID",
            line=line,
            field="OBJECT_NUMBER",
            expected=str(message.norad_cat_id),
            received=str(message.object_number),
        )
    return message


def _cell(key: str, value: Any, line: int) -> str | None:
    """A value as text (None: absent); numbers are read as their JSON text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool | dict | list):
        raise FormatError(f"{key} is not a string or a number", line=line, field=key,
                          received=json.dumps(value)[:80])  # fmt: skip
    return value.strip() if isinstance(value, str) else json.dumps(value)


def _integer(key: str, text: str, line: int) -> int:
    if _INTEGER.fullmatch(text) is None:
        raise FormatError(
            "not a whole number", line=line, field=key,
            expected="an integer of up to nine digits, not negative", received=text,
        )  # fmt: skip
    return int(text)


def _epoch(key: str, text: str, line: int) -> datetime:
    if _EPOCH.fullmatch(text) is None:
        raise FormatError(
            "not an epoch", line=line, field=key,
            expected="YYYY-MM-DD hh:mm:ss (UTC)", received=text,
        )  # fmt: skip
    try:
        return naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise FormatError(
            "not a calendar date and time", line=line, field=key,
            expected="YYYY-MM-DD hh:mm:ss (UTC)", received=text,
        ) from None  # fmt: skip


def _real(low: float, high: float) -> Callable[[str, str, int], float]:
    def read(key: str, text: str, line: int) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (low <= value <= high) or not text.isascii() or "_" in text:
            raise FormatError(
                "not a number in range", line=line, field=key,
                expected=f"a real number from {low:g} to {high:g} (degrees)", received=text,
            )  # fmt: skip
        return value

    return read


def _choice(*choices: str) -> Callable[[str, str, int], str]:
    def read(key: str, text: str, line: int) -> str:
        if text not in choices:
            raise FormatError(
                "not one of the values allowed", line=line, field=key,
                expected=" or ".join(choices), received=text,
            )  # fmt: skip
        return text

    return read


def dump_tip_json(messages: Iterable[TipMessage]) -> str:
    """Given TIP messages, return Space-Track's JSON for them (every value a string)."""
    return json.dumps([_row(m) for m in messages], indent=2) + "\n"


def _row(m: TipMessage) -> dict[str, str | None]:
    values: dict[str, Any] = {
        "NORAD_CAT_ID": m.norad_cat_id,
        "MSG_EPOCH": m.msg_epoch,
        "INSERT_EPOCH": m.insert_epoch,
        "DECAY_EPOCH": m.decay_epoch,
        "WINDOW": m.window_min,
        "REV": m.rev,
        "DIRECTION": m.direction,
        "LAT": m.lat_deg,
        "LON": m.lon_deg,
        "INCL": m.incl_deg,
        "NEXT_REPORT": m.next_report_h,
        "ID": m.message_id,
        "HIGH_INTEREST": m.high_interest,
        "OBJECT_NUMBER": m.object_number,
    }
    return {k: _text(v) for k, v in values.items()}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, float):
        return f"{value:g}" if value == float(f"{value:g}") else repr(value)
    return str(value)
