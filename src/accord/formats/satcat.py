"""CelesTrak SATCAT CSV <-> :class:`SatcatEntry`.

Reads the current CelesTrak SATCAT CSV (celestrak.org/satcat/satcat-format.php, 17
columns) and, recognised by its header, the older layout of CelesTrak's fixed-width SATCAT
as a data frame (``designator, norad_cat_num, multiple, payload, op_status_code, ...``).
Writes the current columns.

Mapping of the older layout (documented decisions):

- OBJECT_TYPE: ``payload`` True gives PAY (the catalogue's own flag wins over the name);
  otherwise a name containing ``R/B`` gives R/B and one containing ``DEB`` gives DEB; any
  other non-payload (PLAT, COOLANT, NEEDLES, AKM ...) is UNK: the layout does not say
  whether it is a rocket body or debris.
- ``orbital_status_code`` is split as CelesTrak split it when it introduced the current
  columns: NCE/NIE/NEA -> DATA_STATUS_CODE; DOC and ISS (docked) -> ORBIT_TYPE DOC; a
  code ``XXn`` -> ORBIT_CENTER XX with ORBIT_TYPE ORB/LAN/IMP/R/T for n = 0/1/2/3; blank
  means Earth (EA), in orbit (ORB) or, with a decay date, re-entered (IMP).
- ``multiple``, ``source_full_name``, ``launch_site_full_name``, ``op_status_descr`` and
  ``is_active`` restate other columns or are derived, and are not kept.

Dates are ISO ``YYYY-MM-DD``; spreadsheet-saved ``M/D/YYYY`` is read too (US order, as in
the files seen).  Values are kept as given otherwise; a blank cell is None.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from accord.errors import FormatError
from accord.formats.records import Parsed, ParseResult, Rejected, SatcatEntry

# SATCAT's object type codes, spelled out as Space-Track's classes and CCSDS CDMs spell them.
OBJECT_TYPE_NAMES = {"PAY": "PAYLOAD", "R/B": "ROCKET BODY", "DEB": "DEBRIS", "UNK": "UNKNOWN"}


def object_type_name(code: str | None) -> str | None:
    """An object type spelled out (``PAY``: ``PAYLOAD``...); other values as they are."""
    return None if code is None else OBJECT_TYPE_NAMES.get(code.upper(), code)


__all__ = ["CURRENT_COLUMNS", "LEGACY_COLUMNS", "dump_satcat_csv", "load_satcat_csv"]

CURRENT_COLUMNS = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "NORAD_CAT_ID",
    "OBJECT_TYPE",
    "OPS_STATUS_CODE",
    "OWNER",
    "LAUNCH_DATE",
    "LAUNCH_SITE",
    "DECAY_DATE",
    "PERIOD",
    "INCLINATION",
    "APOGEE",
    "PERIGEE",
    "RCS",
    "DATA_STATUS_CODE",
    "ORBIT_CENTER",
    "ORBIT_TYPE",
)
LEGACY_COLUMNS = (
    "designator",
    "norad_cat_num",
    "multiple",
    "payload",
    "op_status_code",
    "satellite_name",
    "source",
    "launch_date",
    "launch_site",
    "decay_date",
    "orbital_period",
    "inclination",
    "apogee",
    "perigee",
    "radar_cross_section",
    "orbital_status_code",
    "source_full_name",
    "launch_site_full_name",
    "op_status_descr",
    "is_active",
)
_FLOATS = {"period", "inclination", "apogee", "perigee", "rcs"}
_DATES = {"launch_date", "decay_date"}
_ISO_DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)", re.ASCII)
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_NORAD = re.compile(r"\d{1,9}", re.ASCII)
_ORBIT_TYPES = {"0": "ORB", "1": "LAN", "2": "IMP", "3": "R/T"}
_DATA_STATUS = ("NCE", "NIE", "NEA")


def load_satcat_csv(text: str) -> ParseResult[SatcatEntry]:
    """Given a CelesTrak SATCAT CSV (current or 2017 layout), return its entries.

    A bad row is rejected with its line and column; a header of neither layout is one
    rejection at line 1.
    """
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    reader = csv.reader(io.StringIO("".join(lines)))
    header = next(reader, None)
    result: ParseResult[SatcatEntry] = ParseResult()
    if header is None:
        return result
    header = [h.strip() for h in header]
    read_row: Callable[[dict[str, str], int], SatcatEntry]
    if set(header) == set(CURRENT_COLUMNS):
        read_row = _current_entry
    elif set(header) == set(LEGACY_COLUMNS):
        read_row = _legacy_entry
    else:
        error = FormatError(
            "not a SATCAT header",
            line=1,
            expected="the CelesTrak SATCAT columns " + ",".join(CURRENT_COLUMNS),
            received=",".join(header)[:200],
        )
        result.rejected.append(Rejected(1, lines[0].rstrip("\r\n"), error))
        return result
    first = reader.line_num + 1
    for row in reader:
        line, first = first, reader.line_num + 1
        if not row:
            continue
        raw = "".join(lines[line - 1 : reader.line_num]).rstrip("\r\n")
        try:
            if len(row) != len(header):
                raise FormatError(
                    f"row has {len(row)} values; the header has {len(header)} columns",
                    line=line,
                    expected=f"{len(header)} comma-separated values",
                )
            entry = read_row(dict(zip(header, row, strict=True)), line)
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(entry, line, raw))
    return result


def _current_entry(row: dict[str, str], line: int) -> SatcatEntry:
    """Given a row of the current columns, return its entry."""
    values: dict[str, Any] = {}
    for column in CURRENT_COLUMNS:
        name = column.lower()
        values[name] = _value(name, row[column].strip(), line, column)
    return SatcatEntry(**values)


def _legacy_entry(row: dict[str, str], line: int) -> SatcatEntry:
    """Given a row of the 2017 layout, return its entry (mapping in the module notes)."""
    cell = {k: v.strip() for k, v in row.items()}
    name = cell["satellite_name"] or None
    payload = cell["payload"]
    if payload not in ("True", "False"):
        raise FormatError(
            "payload is not True or False", line=line, field="payload", received=payload
        )
    decay = _value("decay_date", cell["decay_date"], line, "decay_date")
    center, orbit_type, data_status = _orbit_status(cell["orbital_status_code"], decay)
    return SatcatEntry(
        norad_cat_id=_value("norad_cat_id", cell["norad_cat_num"], line, "norad_cat_num"),
        object_name=name,
        object_id=cell["designator"] or None,
        object_type="PAY" if payload == "True" else _type_from_name(name),
        ops_status_code=cell["op_status_code"] or None,
        owner=cell["source"] or None,
        launch_date=_value("launch_date", cell["launch_date"], line, "launch_date"),
        launch_site=cell["launch_site"] or None,
        decay_date=decay,
        period=_value("period", cell["orbital_period"], line, "orbital_period"),
        inclination=_value("inclination", cell["inclination"], line, "inclination"),
        apogee=_value("apogee", cell["apogee"], line, "apogee"),
        perigee=_value("perigee", cell["perigee"], line, "perigee"),
        rcs=_value("rcs", cell["radar_cross_section"], line, "radar_cross_section"),
        data_status_code=data_status,
        orbit_center=center,
        orbit_type=orbit_type,
    )


def _type_from_name(name: str | None) -> str:
    words = (name or "").replace("(", " ").split()
    if any(w.startswith("R/B") for w in words):
        return "R/B"
    if "DEB" in words:
        return "DEB"
    return "UNK"


def _orbit_status(code: str, decay: str | None) -> tuple[str, str, str | None]:
    """Given the old orbital status code, return (ORBIT_CENTER, ORBIT_TYPE, DATA_STATUS)."""
    earth_type = "IMP" if decay else "ORB"
    if not code:
        return "EA", earth_type, None
    if code in _DATA_STATUS:
        return "EA", earth_type, code
    if code in ("DOC", "ISS"):
        return "EA", "DOC", None
    if len(code) == 3 and code[:2].isalpha() and code[2] in _ORBIT_TYPES:
        return code[:2], _ORBIT_TYPES[code[2]], None
    raise FormatError(
        "unknown orbital status code",
        field="orbital_status_code",
        expected="blank, NCE, NIE, NEA, DOC, ISS or a centre and digit such as MO2",
        received=code,
    )


def _value(name: str, text: str, line: int, column: str) -> Any:
    """Given one cell, return it typed for the SatcatEntry field ``name``."""
    if not text:
        if name == "norad_cat_id":
            raise FormatError("NORAD_CAT_ID is empty", line=line, field=column)
        return None
    if name == "norad_cat_id":
        if _NORAD.fullmatch(text) is None:
            raise FormatError(
                "not a catalogue number",
                line=line,
                field=column,
                expected="an integer of up to nine digits",
                received=text,
            )
        return int(text)
    if name in _FLOATS:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not text.isascii() or "_" in text:
            raise FormatError(
                "not a number", line=line, field=column, expected="a real number", received=text
            )
        return value
    if name in _DATES:
        return _iso_date(text, line, column)
    return text


def _iso_date(text: str, line: int, column: str) -> str:
    """Given YYYY-MM-DD or M/D/YYYY, return the ISO date YYYY-MM-DD."""
    m = _ISO_DATE.fullmatch(text)
    parts = None
    if m is not None:
        parts = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _US_DATE.fullmatch(text)
        if m is not None:
            parts = int(m[3]), int(m[1]), int(m[2])
    try:
        if parts is None:
            raise ValueError("unknown form")
        return date(*parts).isoformat()
    except ValueError:
        raise FormatError(
            "not a date",
            line=line,
            field=column,
            expected="YYYY-MM-DD (or M/D/YYYY as a spreadsheet saves it)",
            received=text,
        ) from None


def dump_satcat_csv(entries: Iterable[SatcatEntry]) -> str:
    """Given SATCAT entries, return CSV in CelesTrak's current 17 columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CURRENT_COLUMNS)
    for e in entries:
        writer.writerow([_cell(getattr(e, c.lower())) for c in CURRENT_COLUMNS])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FormatError("a SATCAT number must be finite", received=repr(value))
        return repr(value)
    return str(value)
