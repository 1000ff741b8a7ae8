"""Space-Track's query language over Accord's catalogue, for clients that already speak it.

A query is a path of ``/KEY/VALUE`` pairs after ``/query/class/CLASS``
(space-track.org "How To" and "API" documentation): predicates on the class's fields, with
the operators ``>``, ``<``, ``<>`` (not equal), ``--`` (inclusive range), ``~~`` (like,
with ``%`` wildcards), ``^`` (starts with), comma lists (any of), ``null-val`` (empty) and
``now``, ``now-N``, ``now+N`` (days, for dates); and the keys ``orderby`` (``FIELD
[asc|desc]``, comma-separated), ``limit`` (``N`` or ``N,OFFSET``), ``format`` (json, xml,
csv, html, tle, 3le, kvn: the last three for element sets only), ``distinct``,
``metadata`` and ``emptyresult/show``.

Classes: ``gp`` (the current element set of each object), ``gp_history`` (every element
set) and ``satcat`` (object metadata); and, built in :mod:`accord.services.space_track_classes`,
``cdm_public`` (conjunction summaries), ``cdm`` (whole CDMs, under ``expandedspacedata``
only), ``decay`` (decay dates and predictions), ``tip`` (re-entry messages) and
``boxscore`` (objects per owner); every row passes the policy first.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from accord.errors import InvalidRequestError, NotFoundError
from accord.formats.omm_kvn import dump_omm_kvn
from accord.formats.satcat import object_type_name
from accord.formats.tle import format_tle
from accord.policy.model import Principal
from accord.services import catalogue, space_track_classes
from accord.services.catalogue import CatalogueEntry
from accord.services.space_track_fields import FIELDS
from accord.services.store import Store, utcnow

FORMATS = ("json", "xml", "csv", "html", "tle", "3le", "kvn")
CLASSES = ("gp", "gp_history", "satcat", *space_track_classes.BUILDERS)
ELEMENT_SET_CLASSES = ("gp", "gp_history")
_KEYWORDS = ("orderby", "limit", "format", "distinct", "metadata", "emptyresult", "predicates")

EARTH_RADIUS_KM = 6378.135
MU_KM3_S2 = 398600.8


@dataclass
class Query:
    """A parsed query path."""

    class_: str
    predicates: list[tuple[str, str]] = field(default_factory=list)
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    limit: int | None = None
    offset: int = 0
    format: str = "json"
    distinct: bool = False
    metadata: bool = False
    show_empty: bool = False


def parse(class_: str, path: str) -> Query:
    """Parse the ``/KEY/VALUE/...`` path of a query for ``class_``."""
    if class_ not in CLASSES:
        raise NotFoundError(f"no request class {class_!r}")
    fields = FIELDS[class_]
    parts = [p for p in path.strip("/").split("/")] if path.strip("/") else []
    if len(parts) % 2:
        raise InvalidRequestError(f"query path: key {parts[-1]!r} has no value")
    query = Query(class_)
    for key, value in zip(parts[::2], parts[1::2], strict=True):
        lower = key.lower()
        if lower == "orderby":
            for term in value.split(","):
                name, _, direction = term.strip().partition(" ")
                if name.upper() not in fields:
                    raise InvalidRequestError(f"orderby: no field {name!r} in {class_}")
                query.orderby.append((name.upper(), direction.strip().lower() == "desc"))
        elif lower == "limit":
            count, _, offset = value.partition(",")
            try:
                query.limit, query.offset = int(count), int(offset or 0)
            except ValueError:
                raise InvalidRequestError(f"limit {value!r}: expected N or N,OFFSET") from None
        elif lower == "format":
            if value.lower() not in FORMATS:
                raise InvalidRequestError(f"format {value!r}: expected {', '.join(FORMATS)}")
            query.format = value.lower()
        elif lower == "distinct":
            query.distinct = value.lower() == "true"
        elif lower == "metadata":
            query.metadata = value.lower() == "true"
        elif lower == "emptyresult":
            query.show_empty = value.lower() == "show"
        elif lower in _KEYWORDS:
            continue
        elif key.upper() in fields:
            query.predicates.append((key.upper(), value))
        else:
            raise InvalidRequestError(f"no field {key!r} in class {class_}")
    if query.format in ("tle", "3le", "kvn") and class_ not in ELEMENT_SET_CLASSES:
        raise InvalidRequestError(f"format {query.format} is for element sets (gp, gp_history)")
    return query


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str, now: datetime) -> datetime | None:
    match = re.fullmatch(r"now(?:([+-])(\d+(?:\.\d+)?))?", text.strip().lower())
    if match:
        days = float(match.group(2) or 0.0) * (-1 if match.group(1) == "-" else 1)
        return now + timedelta(days=days)
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
                    "%Y-%m-%d"):  # fmt: skip
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    return None


def _kind(type_: str) -> str:
    if type_.startswith(("date", "timestamp")):
        return "date"
    if type_.startswith(("int", "tinyint", "smallint", "mediumint", "bigint", "decimal",
                         "double", "float")):  # fmt: skip
        return "number"
    return "text"


def _compare(kind: str, value: Any, text: str, now: datetime) -> tuple[Any, Any] | None:
    """The stored value and the predicate's, as comparable values of the field's kind."""
    if value is None or value == "":
        return None
    if kind == "number":
        number = _number(text)
        return None if number is None else (float(value), number)
    if kind == "date":
        when = _date(text, now)
        stored = value if isinstance(value, datetime) else _date(str(value), now)
        return None if when is None or stored is None else (stored, when)
    return str(value).upper(), text.upper()


def matcher(
    name: str, kind: str, expression: str, now: datetime
) -> Callable[[dict[str, Any]], bool]:
    """A test of one row for one predicate (Space-Track's operators)."""

    def test(row: dict[str, Any]) -> bool:
        value = row.get(name)
        text = expression
        if text.lower() == "null-val":
            return value is None or value == ""
        if text.startswith("<>"):
            inner = text[2:]
            if inner.lower() == "null-val":
                return not (value is None or value == "")
            pair = _compare(kind, value, inner, now)
            return pair is not None and pair[0] != pair[1]
        if text.startswith(">"):
            pair = _compare(kind, value, text[1:], now)
            return pair is not None and pair[0] > pair[1]
        if text.startswith("<"):
            pair = _compare(kind, value, text[1:], now)
            return pair is not None and pair[0] < pair[1]
        if text.startswith("~~"):
            pattern = re.escape(text[2:].upper()).replace("%", ".*")
            return value is not None and re.search(pattern, str(value).upper()) is not None
        if text.startswith("^"):
            return value is not None and str(value).upper().startswith(text[1:].upper())
        if "--" in text:
            low, _, high = text.partition("--")
            a, b = _compare(kind, value, low, now), _compare(kind, value, high, now)
            return a is not None and b is not None and a[1] <= a[0] <= b[1]
        for option in text.split(","):
            pair = _compare(kind, value, option, now)
            if pair is not None and pair[0] == pair[1]:
                return True
        return False

    return test


def gp_row(entry: CatalogueEntry) -> dict[str, Any]:
    """A stored element set as a row of Space-Track's gp class."""
    es = entry.elements
    n = es.mean_motion * 2.0 * 3.141592653589793 / 86400.0
    a = (MU_KM3_S2 / n**2) ** (1.0 / 3.0)
    line1, line2 = format_tle(es)
    return {
        "CCSDS_OMM_VERS": "3.0",
        "COMMENT": "GENERATED VIA ACCORD",
        "CREATION_DATE": es.creation_date or entry.received_at,
        "ORIGINATOR": entry.source,
        "OBJECT_NAME": es.object_name,
        "OBJECT_ID": es.object_id,
        "CENTER_NAME": es.center_name,
        "REF_FRAME": es.ref_frame,
        "TIME_SYSTEM": es.time_system,
        "MEAN_ELEMENT_THEORY": es.mean_element_theory,
        "EPOCH": es.epoch,
        "MEAN_MOTION": es.mean_motion,
        "ECCENTRICITY": es.eccentricity,
        "INCLINATION": es.inclination,
        "RA_OF_ASC_NODE": es.ra_of_asc_node,
        "ARG_OF_PERICENTER": es.arg_of_pericenter,
        "MEAN_ANOMALY": es.mean_anomaly,
        "EPHEMERIS_TYPE": es.ephemeris_type,
        "CLASSIFICATION_TYPE": es.classification_type,
        "NORAD_CAT_ID": es.norad_cat_id,
        "ELEMENT_SET_NO": es.element_set_no,
        "REV_AT_EPOCH": es.rev_at_epoch,
        "BSTAR": es.bstar,
        "MEAN_MOTION_DOT": es.mean_motion_dot,
        "MEAN_MOTION_DDOT": es.mean_motion_ddot,
        "SEMIMAJOR_AXIS": round(a, 3),
        "PERIOD": round(1440.0 / es.mean_motion, 3),
        "APOAPSIS": round(a * (1 + es.eccentricity) - EARTH_RADIUS_KM, 3),
        "PERIAPSIS": round(a * (1 - es.eccentricity) - EARTH_RADIUS_KM, 3),
        "OBJECT_TYPE": object_type_name(entry.object_type),
        "RCS_SIZE": None,
        "COUNTRY_CODE": entry.owner,
        "LAUNCH_DATE": None,
        "SITE": None,
        "DECAY_DATE": None,
        "FILE": entry.submission_id,
        "GP_ID": entry.element_set_id,
        "TLE_LINE0": f"0 {es.object_name}" if es.object_name else None,
        "TLE_LINE1": line1,
        "TLE_LINE2": line2,
        "_entry": entry,
    }


def gp_rows(store: Store, entries: Sequence[CatalogueEntry]) -> list[dict[str, Any]]:
    """The gp rows of stored element sets, built once per entry the catalogue's memo keeps
    (rows and their renderings are derived from immutable records; callers must not change
    them)."""
    memo = store.memo("spacetrack-gp")
    rows = []
    for entry in entries:
        kept = memo.get(entry.element_set_id)
        if kept is None or kept[0] is not entry:
            kept = (entry, gp_row(entry))
            memo.put(entry.element_set_id, kept)
        rows.append(kept[1])
    return rows


def run(store: Store, query: Query, principal: Principal | None) -> list[dict[str, Any]]:
    """The rows of a query that ``principal`` may see, filtered, ordered and limited."""
    now = utcnow()
    numbers = _numbers_of(query)  # read only the objects named, when the query names them
    if query.class_ in space_track_classes.BUILDERS:
        rows = space_track_classes.BUILDERS[query.class_](store, principal)
    elif query.class_ == "satcat":
        rows = [_satcat_row(store, e, principal) for e in
                catalogue.current_catalogue(store, numbers, principal)]  # fmt: skip
    elif query.class_ == "gp":
        rows = gp_rows(store, catalogue.current_catalogue(store, numbers, principal))
    else:
        if numbers is None:
            raise InvalidRequestError("gp_history needs NORAD_CAT_ID: a number, a list or a range")
        rows = []
        for norad in numbers:
            try:
                rows += gp_rows(store, catalogue.history(store, norad, principal=principal))
            except NotFoundError:
                continue
    fields = FIELDS[query.class_]
    tests = [matcher(name, _kind(fields[name]), text, now) for name, text in query.predicates]
    rows = [r for r in rows if all(test(r) for test in tests)]
    for name, descending in reversed(query.orderby or [("NORAD_CAT_ID", False)]):
        rows.sort(key=_by(name), reverse=descending)
    if query.distinct:
        seen: set[str] = set()
        unique = []
        for r in rows:
            key = json.dumps({k: v for k, v in r.items() if k[0] != "_"}, default=str)
            if key not in seen:
                seen.add(key)
                unique.append(r)
        rows = unique
    end = None if query.limit is None else query.offset + query.limit
    return rows[query.offset : end]


# A query of these classes that names at most this many objects reads a few rows by key:
# cheap enough to answer without handing it to a worker thread.
SMALL_CLASSES = ("gp", "satcat")
SMALL_OBJECTS = 50


def is_small(query: Query) -> bool:
    """True when the query reads at most :data:`SMALL_OBJECTS` named objects' current rows
    (``gp`` or ``satcat`` by NORAD_CAT_ID)."""
    if query.class_ not in SMALL_CLASSES:
        return False
    numbers = _numbers_of(query)
    return numbers is not None and len(numbers) <= SMALL_OBJECTS


def _numbers_of(query: Query) -> list[int] | None:
    for name, text in query.predicates:
        if name == "NORAD_CAT_ID":
            if "--" in text:
                low, _, high = text.partition("--")
                if low.isdigit() and high.isdigit() and int(high) - int(low) <= 10_000:
                    return list(range(int(low), int(high) + 1))
            values = [v for v in text.split(",") if v.strip().isdigit()]
            if values and len(values) == len(text.split(",")):
                return [int(v) for v in values]
    return None


def _by(name: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        return _sort_key(row.get(name))

    return key


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, datetime):
        return (2, value.isoformat())
    return (3, str(value))


def _satcat_row(store: Store, entry: CatalogueEntry, principal: Principal | None) -> dict[str, Any]:
    meta = catalogue.object_metadata(store, entry.elements.norad_cat_id, principal)
    es = entry.elements
    return {
        "INTLDES": meta.get("object_id") or es.object_id,
        "NORAD_CAT_ID": es.norad_cat_id,
        "OBJECT_TYPE": object_type_name(meta.get("object_type")),
        "SATNAME": meta.get("object_name") or es.object_name,
        "COUNTRY": meta.get("owner"),
        "LAUNCH": meta.get("launch_date"),
        "SITE": meta.get("launch_site"),
        "DECAY": meta.get("decay_date"),
        "PERIOD": meta.get("period_min"),
        "INCLINATION": meta.get("inclination_deg"),
        "APOGEE": meta.get("apogee_km"),
        "PERIGEE": meta.get("perigee_km"),
        "RCSVALUE": 0,
        "CURRENT": "Y",
        "OBJECT_NAME": meta.get("object_name") or es.object_name,
        "OBJECT_ID": meta.get("object_id") or es.object_id,
    }


def _text(value: Any) -> str | None:
    """Space-Track returns every value as a string (or null)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds") if value.microsecond else value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _plain(row: dict[str, Any], names: Sequence[str]) -> dict[str, str | None]:
    """A row's values as Space-Track's strings, kept in the row (``_plain``)."""
    plain: dict[str, str | None] | None = row.get("_plain")
    if plain is None:
        plain = row["_plain"] = {k: _text(row.get(k)) for k in names}
    return plain


def _json(row: dict[str, Any], names: Sequence[str]) -> str:
    """A row as a JSON object, kept in the row (``_json``)."""
    text: str | None = row.get("_json")
    if text is None:
        text = row["_json"] = json.dumps(_plain(row, names))
    return text


def _xml_field(name: str, value: str | None) -> str:
    return f"<{name}/>" if value is None else f"<{name}>{escape(value)}</{name}>"


def render(query: Query, rows: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """The rows in the query's format: ``(body, media type)``."""
    names = list(FIELDS[query.class_])
    if query.format == "json":
        data = "[" + ", ".join(_json(r, names) for r in rows) + "]"
        if query.metadata:
            meta = {"Total": len(rows), "ReturnedRows": len(rows), "DataSize": None}
            return f'{{"request_metadata": {json.dumps(meta)}, "data": {data}}}', "application/json"
        return data, "application/json"
    plain = [_plain(r, names) for r in rows]
    if query.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=names, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in plain)
        return out.getvalue(), "text/csv"
    if query.format == "xml":
        items = "".join(
            "<item>" + "".join(_xml_field(k, v) for k, v in r.items()) + "</item>" for r in plain
        )
        return f'<?xml version="1.0"?><xml>{items}</xml>', "application/xml"
    if query.format == "html":
        head = "".join(f"<th>{k}</th>" for k in names)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v or '')}</td>" for v in r.values()) + "</tr>"
            for r in plain
        )
        return f"<table><tr>{head}</tr>{body}</table>", "text/html"
    entries = [r["_entry"] for r in rows]
    if query.format == "kvn":
        return dump_omm_kvn([e.elements for e in entries]), "text/plain"
    lines: list[str] = []
    for r in rows:
        if query.format == "3le":
            lines.append(r["TLE_LINE0"] or "0 ")
        lines += [r["TLE_LINE1"], r["TLE_LINE2"]]
    return "".join(line + "\r\n" for line in lines), "text/plain"


def modeldef(class_: str) -> dict[str, Any]:
    """The modeldef answer for a class (the fields clients validate predicates against)."""
    if class_ not in CLASSES:
        raise NotFoundError(f"no request class {class_!r}")
    return {
        "controller": space_track_classes.controllers_of(class_)[0],
        "data": [
            {"Field": name, "Type": type_, "Null": "YES", "Key": "", "Default": None, "Extra": ""}
            for name, type_ in FIELDS[class_].items()
        ],
    }
