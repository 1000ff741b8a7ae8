"""The catalogue: the current element set of every object, history, and export."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from accord.errors import InvalidRequestError, NotFoundError
from accord.formats.omm import dump_omm_csv, dump_omm_json, dump_omm_kvn, dump_omm_xml
from accord.formats.records import ElementSet
from accord.formats.tle import dump_tle
from accord.policy.model import DataClass, Principal
from accord.services import audit
from accord.services.access import view
from accord.services.store import Store
from accord.storage import repositories as repo

# Every ElementSet field is a column of the same name, but for the two kept as JSON.
_ELEMENT_FIELDS = tuple(f.name for f in fields(ElementSet) if f.name not in ("extra", "comments"))


@dataclass(frozen=True)
class CatalogueEntry:
    """An element set as stored, with its provenance."""

    elements: ElementSet
    element_set_id: int
    source: str
    received_at: datetime
    submission_id: int
    raw_sha256: str
    object_type: str | None = None
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return OMM keywords (as CelesTrak's JSON names them) plus provenance fields."""
        es = self.elements
        out: dict[str, Any] = {
            "NORAD_CAT_ID": es.norad_cat_id,
            "OBJECT_NAME": es.object_name,
            "OBJECT_ID": es.object_id,
            "EPOCH": es.epoch.isoformat(timespec="microseconds"),
            "MEAN_MOTION": es.mean_motion,
            "ECCENTRICITY": es.eccentricity,
            "INCLINATION": es.inclination,
            "RA_OF_ASC_NODE": es.ra_of_asc_node,
            "ARG_OF_PERICENTER": es.arg_of_pericenter,
            "MEAN_ANOMALY": es.mean_anomaly,
            "EPHEMERIS_TYPE": es.ephemeris_type,
            "CLASSIFICATION_TYPE": es.classification_type,
            "ELEMENT_SET_NO": es.element_set_no,
            "REV_AT_EPOCH": es.rev_at_epoch,
            "BSTAR": es.bstar,
            "MEAN_MOTION_DOT": es.mean_motion_dot,
            "MEAN_MOTION_DDOT": es.mean_motion_ddot,
            "OBJECT_TYPE": self.object_type,
            "OWNER": self.owner,
            "SOURCE": self.source,
            "RECEIVED_AT": self.received_at.isoformat(timespec="seconds"),
            "SUBMISSION_ID": self.submission_id,
            "RAW_SHA256": self.raw_sha256,
        }
        return out


def entry_of_row(
    row: Any, object_type: str | None = None, owner: str | None = None
) -> CatalogueEntry:
    """A stored element-set row (with `source_code`) as a catalogue entry; the object's type
    and owner from the row's `obj_` columns, else as given."""
    values = {name: getattr(row, name) for name in _ELEMENT_FIELDS}
    values["extra"] = tuple((k, v) for k, v in row.extra)
    values["comments"] = tuple(row.comments)
    mapping = row._mapping
    return CatalogueEntry(
        elements=ElementSet(**values),
        element_set_id=row.id,
        source=row.source_code,
        received_at=row.received_at,
        submission_id=row.submission_id,
        raw_sha256=row.raw_sha256,
        object_type=mapping.get("obj_object_type", object_type),
        owner=mapping.get("obj_owner", owner),
    )


def current_catalogue(
    store: Store, norad_ids: Sequence[int] | None = None, principal: Principal | None = None
) -> list[CatalogueEntry]:
    """Return the current element set (latest epoch) of every object, or of those named,
    among the element sets ``principal`` may see (None: the local operator, all).

    The policy picks the element sets in SQL; the records are read once per process and
    kept in the store's memo (stored element sets never change), with the object's
    metadata as it is now."""
    memo = store.memo("catalogue-entries")
    with store.transaction() as conn:
        seen = view(conn, principal, DataClass.ELEMENT_SETS)
        keys = repo.current_element_set_keys(conn, norad_ids, seen)
        found = {}
        for k in keys:
            entry = memo.get((k.id, k.content_sha256, k.obj_object_type, k.obj_owner))
            if entry is not None:
                found[k.id] = entry
        missing = [k.id for k in keys if k.id not in found]
        if missing:
            meta = {k.id: (k.obj_object_type, k.obj_owner) for k in keys}
            for row in repo.element_sets_by_id(conn, missing).values():
                entry = entry_of_row(row, *meta[row.id])
                memo.put((row.id, row.content_sha256, *meta[row.id]), entry)
                found[row.id] = entry
        entries = [found[k.id] for k in keys]
        _record_release(conn, principal, entries, {k.id: k.releasability for k in keys})
        return entries


def whole_catalogue(store: Store) -> list[CatalogueEntry]:
    """:func:`current_catalogue` for the local operator (every current element set), kept
    until the store changes: a new element set (the largest id) or an object row updated
    (metadata, SATCAT).  Operators' screenings read it on every ephemeris; two aggregate
    reads tell whether it holds."""
    with store.engine.connect() as conn:
        version = repo.catalogue_version(conn)
    memo = store.memo("whole-catalogue", 2)
    kept = memo.get(version)
    if kept is None:
        kept = current_catalogue(store)
        memo.put(version, kept)
    return list(kept)


def current_entry(
    store: Store, norad_cat_id: int, principal: Principal | None = None
) -> CatalogueEntry:
    """Return one object's current element set; NotFoundError if there is none (or none the
    principal may see: the same answer)."""
    entries = current_catalogue(store, [norad_cat_id], principal)
    if not entries:
        raise NotFoundError(f"no element set for object {norad_cat_id}")
    return entries[0]


def object_metadata(
    store: Store, norad_cat_id: int, principal: Principal | None = None
) -> dict[str, Any]:
    """Return one object's catalogue metadata (SATCAT columns); NotFoundError if unknown,
    or if the principal may see none of its element sets (the same answer)."""
    if principal is not None:
        current_entry(store, norad_cat_id, principal)
    with store.engine.connect() as conn:
        row = repo.objects_by_id(conn, [norad_cat_id]).get(norad_cat_id)
    if row is None:
        raise NotFoundError(f"no object {norad_cat_id}")
    return {k: v for k, v in row._mapping.items() if k not in ("metadata_source_id",)}


def history(
    store: Store,
    norad_cat_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    principal: Principal | None = None,
) -> list[CatalogueEntry]:
    """Return one object's element sets in [start, end] that ``principal`` may see, oldest
    epoch first.  An object the principal may see nothing of is not found."""
    with store.engine.begin() as conn:
        seen = view(conn, principal, DataClass.ELEMENT_SETS)
        rows = repo.element_set_history(conn, norad_cat_id, start, end, seen)
        _record_release(conn, principal, [entry_of_row(r) for r in rows])
        if not rows and (
            not repo.objects_by_id(conn, [norad_cat_id])
            or (seen is not None and not repo.element_set_history(conn, norad_cat_id, view=seen))
        ):
            raise NotFoundError(f"no object {norad_cat_id}")
    return [entry_of_row(r) for r in rows]


def _record_release(
    conn: Connection,
    principal: Principal | None,
    entries: Sequence[CatalogueEntry],
    labels: dict[int, str] | None = None,
) -> None:
    """Append a ``release`` ledger entry when a caller other than the local operator or an
    administrator receives element sets of another partner that are not public.
    ``labels``: each element set's releasability, when the caller has read them already."""
    if principal is None or principal.admin:
        return
    others = [e.element_set_id for e in entries if e.source != principal.partner]
    if labels is None:
        provenance = repo.element_set_provenance(conn, others)
        labels = {i: provenance[i].releasability for i in others}
    restricted = sorted(i for i in others if labels[i] != "public")
    if restricted:
        audit.record(
            conn,
            actor=principal.email or principal.partner or "anonymous",
            partner=principal.partner,
            action="release",
            subject="element-sets",
            data=json.dumps({"element_sets": restricted}).encode(),
        )


def catalogue_counts(store: Store) -> dict[str, int]:
    """Return how many objects and element sets the store holds."""
    with store.engine.connect() as conn:
        return {
            "objects": repo.count_objects(conn),
            "element_sets": repo.count_element_sets(conn),
        }


EXPORT_FORMATS: dict[str, Callable[[Sequence[ElementSet]], str]] = {
    "tle": lambda records: dump_tle(records, names=False),
    "3le": lambda records: dump_tle(records, names=True),
    "omm-kvn": dump_omm_kvn,
    "omm-xml": dump_omm_xml,
    "omm-json": dump_omm_json,
    "omm-csv": dump_omm_csv,
}


def export(
    store: Store,
    fmt: str,
    norad_ids: Sequence[int] | None = None,
    principal: Principal | None = None,
) -> str:
    """Return the current catalogue (or the objects named) that ``principal`` may see,
    written in ``fmt``."""
    try:
        writer = EXPORT_FORMATS[fmt]
    except KeyError:
        raise InvalidRequestError(
            f"unknown export format {fmt!r}: expected one of {', '.join(EXPORT_FORMATS)}"
        ) from None
    return writer([e.elements for e in current_catalogue(store, norad_ids, principal)])
