"""Space-Track's request classes built from Accord's stored conjunctions, object metadata and
re-entry messages, for the query language of :mod:`accord.services.spacetrack`.

- ``cdm_public``: one row per stored conjunction (each is the CDM its run issued), with
  Space-Track's public summary fields; a caller sees a conjunction when the policy lets it
  see both element sets it was computed from.
- ``cdm`` (``expandedspacedata`` only): the same rows with the CCSDS CDM's fields
  (508.0-B-1, as :func:`accord.services.cdm.conjunction_cdms` issues it and the native API
  serves it) under Space-Track's ``SAT1_``/``SAT2_`` names: states at TCA (km, km/s, GCRF),
  RTN covariances (m**2, m**2/s, m**2/s**2), relative geometry (m, m/s) and Pc.  A caller
  receives a conjunction's CDM when the native API releases it (both element sets, or a
  derived-only grant for one of its own objects: :mod:`accord.services.conjunctions`) and,
  for each side, it holds conjunction data of that side's provider
  (``DataClass.CONJUNCTION_DATA``: its own, labelled public, or an agreement covering it;
  a derived-only grant only for conjunctions with its own objects).
- ``decay``: per object the SATCAT decay date (``SOURCE`` satcat, ``MSG_TYPE`` Historical,
  ``PRECEDENCE`` 1) and the latest TIP prediction (TIP_msg, Prediction, 2).
- ``tip``: the stored TIP messages, as Space-Track serves them.
- ``boxscore``: per owner, the objects in orbit and decayed by type (payload, rocket body,
  debris; others are "to be assigned"), over the objects the caller may see; ``COUNTRY`` and
  ``SPADOC_CD`` are both the SATCAT owner code (Accord keeps no country names), TBD if none.

The objects a caller may see: those it may see an element set of (as the ``satcat`` class)
and those whose SATCAT metadata it may see (``DataClass.OBJECT_METADATA`` of the partner that
sent it, taken as labelled for agreements).  A TIP message is object metadata of the partner
that submitted it, under its submission's label, for an object in LEO.  ``EMERGENCY_REPORTABLE``
is Y from Pc >= 1e-4 (the red tier of NASA CARA); ``SATn_EXCL_VOL`` the run's screening
radius (km); ``MIN_RNG`` the miss distance (m); ``SATn_RCS`` Space-Track's RCS size (SMALL
below 0.1 m**2, MEDIUM to 1 m**2, LARGE above).  Releases of other partners' restricted
records (derived conjunction data, TIP messages) are appended to the ledger.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from accord.formats.cdm import Cdm
from accord.formats.satcat import object_type_name
from accord.policy.decisions import decide, may_receive_derived
from accord.policy.model import DataClass, Principal, Record, Regime, Releasability, regime_of
from accord.services import audit
from accord.services.access import view
from accord.services.catalogue import entry_of_row
from accord.services.cdm import conjunction_cdms
from accord.services.cdm_release import stored_conjunction, stored_result
from accord.services.federation import agreements_of
from accord.services.space_track_fields import COUNTS, COVARIANCE, STATE
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo

EARTH_RADIUS_KM = 6378.135
RED_PC = 1e-4  # NASA CARA's mitigation threshold

# Space-Track serves cdm under expandedspacedata only; every other class under both.
_CONTROLLERS = {"cdm": ("expandedspacedata",)}


def controllers_of(class_: str) -> tuple[str, ...]:
    """The request controllers that serve a class."""
    return _CONTROLLERS.get(class_, ("basicspacedata", "expandedspacedata"))


def rcs_size(rcs_m2: float | None) -> str | None:
    """Given a radar cross-section (m**2), return Space-Track's SMALL, MEDIUM or LARGE."""
    if rcs_m2 is None:
        return None
    return "SMALL" if rcs_m2 < 0.1 else "MEDIUM" if rcs_m2 < 1.0 else "LARGE"


def _actor(principal: Principal) -> str:
    return principal.email or principal.partner or "anonymous"


# -- conjunctions --------------------------------------------------------------------------


def _element_set_record(row: Row[Any] | None, data: DataClass) -> Record | None:
    if row is None:
        return None
    return Record(
        provider=row.source_code,
        data=data,
        releasability=Releasability(row.releasability),
        received=row.received_at,
        norad=row.norad_cat_id,
        owner=row.owner,
        regime=regime_of(1440.0 / row.mean_motion, row.eccentricity),
    )


def _released(
    conn: Connection, principal: Principal | None, expanded: bool
) -> list[tuple[Row[Any], bool]]:
    """Every stored conjunction ``principal`` may receive (see the module notes), with
    whether it is released under a derived-only grant."""
    rows = repo.conjunctions_with_runs(conn)
    if principal is None or principal.admin:
        return [(row, False) for row in rows]
    ids = {i for r in rows for i in (r.element_set_id_1, r.element_set_id_2) if i is not None}
    provenance = repo.element_set_provenance(conn, ids)
    agreements = agreements_of(conn)
    own = repo.objects_submitted_by(conn, principal.partner) if principal.partner else set()
    now = utcnow()
    out = []
    for row in rows:
        pair = [
            _element_set_record(provenance.get(k), DataClass.ELEMENT_SETS)
            for k in (row.element_set_id_1, row.element_set_id_2)
        ]
        if pair[0] is None or pair[1] is None:
            continue
        records = (pair[0], pair[1])
        full = [decide(principal, rec, agreements, now).allowed for rec in records]
        if not expanded:
            if all(full):
                out.append((row, False))
            continue
        other_own = (row.norad_cat_id_2 in own, row.norad_cat_id_1 in own)
        derived = [
            not full[k] and other_own[k]
            and may_receive_derived(principal, records[k], agreements, now).allowed
            for k in (0, 1)
        ]  # fmt: skip
        data = [
            may_receive_derived(principal, _as_conjunction_data(rec), agreements, now)
            for rec in records
        ]
        covered = [d.allowed and (not d.derived or other_own[k]) for k, d in enumerate(data)]
        if all(f or d for f, d in zip(full, derived, strict=True)) and all(covered):
            out.append((row, any(derived) or any(d.derived for d in data)))
    return out


def _as_conjunction_data(record: Record) -> Record:
    return dataclasses.replace(record, data=DataClass.CONJUNCTION_DATA)


def _public_row(row: Row[Any], objects: dict[int, Row[Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "CDM_ID": row.id,
        "CREATED": row.run_created_at,
        "EMERGENCY_REPORTABLE": "Y" if row.pc is not None and row.pc >= RED_PC else "N",
        "TCA": row.tca,
        "MIN_RNG": row.miss_distance_km * 1000.0,
        "PC": row.pc,
    }
    for n, norad in ((1, row.norad_cat_id_1), (2, row.norad_cat_id_2)):
        obj = objects.get(norad)
        values[f"SAT_{n}_ID"] = norad
        values[f"SAT_{n}_NAME"] = None if obj is None else obj.object_name
        values[f"SAT{n}_OBJECT_TYPE"] = None if obj is None else object_type_name(obj.object_type)
        values[f"SAT{n}_RCS"] = None if obj is None else rcs_size(obj.rcs_m2)
        values[f"SAT_{n}_EXCL_VOL"] = f"{row.run_threshold_km:.2f}"
    return values


def cdm_public_rows(store: Store, principal: Principal | None) -> list[dict[str, Any]]:
    """The ``cdm_public`` rows ``principal`` may see, by CDM_ID."""
    with store.transaction() as conn:
        released = [row for row, _ in _released(conn, principal, expanded=False)]
        norads = {n for r in released for n in (r.norad_cat_id_1, r.norad_cat_id_2)}
        objects = repo.objects_by_id(conn, norads)
    return [_public_row(row, objects) for row in released]


def cdm_rows(store: Store, principal: Principal | None) -> list[dict[str, Any]]:
    """The expanded ``cdm`` rows ``principal`` may receive, by CDM_ID."""
    with store.transaction() as conn:
        released = _released(conn, principal, expanded=True)
        norads = {n for r, _ in released for n in (r.norad_cat_id_1, r.norad_cat_id_2)}
        objects = repo.objects_by_id(conn, norads)
        cdms = _issued(conn, [row for row, _ in released])
        restricted = [row.id for row, derived in released if derived and row.id in cdms]
        if principal is not None and restricted:
            audit.record(
                conn,
                actor=_actor(principal),
                partner=principal.partner,
                action="release",
                subject="spacetrack:cdm",
                data=json.dumps({"derived": restricted}).encode(),
            )
    return [_cdm_row(_public_row(row, objects), cdms[row.id]) for row, _ in released
            if row.id in cdms]  # fmt: skip


def _issued(conn: Connection, rows: list[Row[Any]]) -> dict[int, Cdm]:
    """The CDMs of stored conjunctions as their runs issue them (the native API's), by
    conjunction id; those whose element sets are gone are left out."""
    out: dict[int, Cdm] = {}
    runs = sorted({row.run_id for row in rows})
    for run_id in runs:
        run = repo.screening_run(conn, run_id)
        mine = [r for r in rows if r.run_id == run_id]
        sets = repo.element_sets_by_id(
            conn, [k for r in mine for k in (r.element_set_id_1, r.element_set_id_2) if k]
        )
        mine = [r for r in mine if r.element_set_id_1 in sets and r.element_set_id_2 in sets]
        if run is None or not mine:
            continue
        position = {k: n + 1 for n, k in enumerate(repo.conjunction_ids_of(conn, run_id))}
        elements = {k: entry_of_row(row).elements for k, row in sets.items()}
        conjunctions = [
            stored_conjunction(
                r._asdict(),
                elements[r.element_set_id_1].object_name,
                elements[r.element_set_id_2].object_name,
            )
            for r in mine
        ]
        result = stored_result(run, conjunctions, elements.values())
        for r, cdm in zip(mine, conjunction_cdms(result, created=run.created_at), strict=True):
            message_id = f"ACCORD-{run_id}-{position[r.id]}-{r.norad_cat_id_1}-{r.norad_cat_id_2}"
            out[r.id] = dataclasses.replace(cdm, message_id=message_id)
    return out


def _cdm_row(public: dict[str, Any], cdm: Cdm) -> dict[str, Any]:
    rel_r = cdm.relative_position_rtn_m or (None, None, None)
    rel_v = cdm.relative_velocity_rtn_m_s or (None, None, None)
    row = {
        **public,
        "MESSAGE_ID": cdm.message_id,
        "CCSDS_CDM_VERS": "1.0",
        "CREATION_DATE": cdm.creation_date,
        "ORIGINATOR": cdm.originator,
        "MISS_DISTANCE": cdm.miss_distance_m,
        "RELATIVE_SPEED": cdm.relative_speed_m_s,
        **{f"RELATIVE_POSITION_{a}": v for a, v in zip("RTN", rel_r, strict=True)},
        **{f"RELATIVE_VELOCITY_{a}": v for a, v in zip("RTN", rel_v, strict=True)},
        "START_SCREEN_PERIOD": cdm.start_screen_period,
        "STOP_SCREEN_PERIOD": cdm.stop_screen_period,
        "SCREEN_VOLUME_FRAME": cdm.screen_volume_frame,
        "SCREEN_VOLUME_SHAPE": cdm.screen_volume_shape,
        "SCREEN_VOLUME_X": cdm.screen_volume_x_m,
        "SCREEN_VOLUME_Y": cdm.screen_volume_y_m,
        "SCREEN_VOLUME_Z": cdm.screen_volume_z_m,
        "COLLISION_PROBABILITY": cdm.collision_probability,
        "COLLISION_PROBABILITY_METHOD": cdm.collision_probability_method,
    }
    for n, obj in ((1, cdm.object1), (2, cdm.object2)):
        p = f"SAT{n}_"
        row.update({
            p + "OBJECT": f"OBJECT{n}", p + "OBJECT_DESIGNATOR": obj.object_designator,
            p + "CATALOG_NAME": obj.catalog_name, p + "OBJECT_NAME": obj.object_name,
            p + "INTERNATIONAL_DESIGNATOR": obj.international_designator,
            p + "EPHEMERIS_NAME": obj.ephemeris_name,
            p + "COVARIANCE_METHOD": obj.covariance_method,
            p + "MANEUVERABLE": obj.maneuverable, p + "REF_FRAME": obj.ref_frame,
        })  # fmt: skip
        state = (*obj.r_km, *obj.v_km_s)
        row.update({p + k: v for k, v in zip(STATE, state, strict=True)})
        terms = [v for line in obj.cov_rtn_si[:6] for v in line]
        row.update({p + k: v for k, v in zip(COVARIANCE, terms, strict=True)})
    return row


# -- objects, decays and re-entry messages --------------------------------------------------


def _object_regime(obj: Row[Any]) -> Regime | None:
    if obj.period_min is None or obj.apogee_km is None or obj.perigee_km is None:
        return None
    ra, rp = obj.apogee_km + EARTH_RADIUS_KM, obj.perigee_km + EARTH_RADIUS_KM
    return regime_of(obj.period_min, (ra - rp) / (ra + rp))


def _visible_objects(conn: Connection, principal: Principal | None) -> dict[int, Row[Any]]:
    """The object rows ``principal`` may see (see the module notes), by catalogue number."""
    objects = {o.norad_cat_id: o for o in repo.objects_with_metadata_source(conn)}
    if principal is None or principal.admin:
        return objects
    seen = view(conn, principal, DataClass.ELEMENT_SETS)
    with_sets = {k.norad_cat_id for k in repo.current_element_set_keys(conn, None, seen)}
    agreements = agreements_of(conn)
    now = utcnow()

    def metadata_allowed(obj: Row[Any]) -> bool:
        if obj.metadata_source is None:
            return False
        record = Record(
            obj.metadata_source,
            DataClass.OBJECT_METADATA,
            Releasability.AGREEMENT,
            obj.updated_at,
            obj.norad_cat_id,
            obj.owner,
            _object_regime(obj),
        )
        return decide(principal, record, agreements, now).allowed

    return {k: o for k, o in objects.items() if k in with_sets or metadata_allowed(o)}


def _visible_tips(conn: Connection, principal: Principal | None) -> list[Row[Any]]:
    """The stored TIP messages ``principal`` may see, by object, message epoch and arrival."""
    rows = repo.tip_messages_with_provenance(conn)
    if principal is None or principal.admin:
        return rows
    agreements = agreements_of(conn)
    now = utcnow()

    def allowed(row: Row[Any]) -> bool:
        record = Record(
            row.source_code,
            DataClass.OBJECT_METADATA,
            Releasability(row.releasability),
            row.received_at,
            row.norad_cat_id,
            row.obj_owner,
            Regime.LEO,
        )
        return decide(principal, record, agreements, now).allowed

    return [row for row in rows if allowed(row)]


def _record_tip_release(
    conn: Connection, principal: Principal | None, rows: Iterable[Row[Any]]
) -> None:
    if principal is None or principal.admin:
        return
    restricted = sorted(
        r.id for r in rows if r.source_code != principal.partner and r.releasability != "public"
    )
    if restricted:
        audit.record(
            conn,
            actor=_actor(principal),
            partner=principal.partner,
            action="release",
            subject="tip-messages",
            data=json.dumps({"tip_messages": restricted}).encode(),
        )


def _epoch(value: datetime | None) -> str | None:
    """An epoch as Space-Track writes them in its tip and decay classes."""
    if value is None:
        return None
    return value.isoformat("T" if value.microsecond else " ", timespec="auto")


def _number(value: float | None) -> float | int | None:
    """Whole degrees as integers, as Space-Track writes them ("67", not "67.0")."""
    return int(value) if value is not None and value.is_integer() else value


def tip_rows(store: Store, principal: Principal | None) -> list[dict[str, Any]]:
    """The ``tip`` rows ``principal`` may see."""
    with store.transaction() as conn:
        rows = _visible_tips(conn, principal)
        _record_tip_release(conn, principal, rows)
    return [
        {
            "NORAD_CAT_ID": r.norad_cat_id,
            "MSG_EPOCH": _epoch(r.msg_epoch),
            "INSERT_EPOCH": _epoch(r.insert_epoch),
            "DECAY_EPOCH": _epoch(r.decay_epoch),
            "WINDOW": r.window_min,
            "REV": r.rev,
            "DIRECTION": r.direction,
            "LAT": _number(r.lat_deg),
            "LON": _number(r.lon_deg),
            "INCL": _number(r.incl_deg),
            "NEXT_REPORT": r.next_report_h,
            "ID": r.message_id,
            "HIGH_INTEREST": r.high_interest,
            "OBJECT_NUMBER": r.object_number,
        }
        for r in rows
    ]


def decay_rows(store: Store, principal: Principal | None) -> list[dict[str, Any]]:
    """The ``decay`` rows ``principal`` may see: SATCAT decay dates, then the latest TIP
    prediction of each object, by catalogue number."""
    with store.transaction() as conn:
        objects = _visible_objects(conn, principal)
        latest = {r.norad_cat_id: r for r in _visible_tips(conn, principal)}  # the last wins
        _record_tip_release(conn, principal, latest.values())

    def row(norad: int, msg: str | None, decay: str | None, source: str, kind: str,
            precedence: int) -> dict[str, Any]:  # fmt: skip
        obj = objects.get(norad)
        return {
            "NORAD_CAT_ID": norad,
            "OBJECT_NUMBER": norad,
            "OBJECT_NAME": None if obj is None else obj.object_name,
            "INTLDES": None if obj is None else obj.object_id,
            "OBJECT_ID": None if obj is None else obj.object_id,
            "RCS": 0,
            "RCS_SIZE": None if obj is None else rcs_size(obj.rcs_m2),
            "COUNTRY": None if obj is None else obj.owner,
            "MSG_EPOCH": msg,
            "DECAY_EPOCH": decay,
            "SOURCE": source,
            "MSG_TYPE": kind,
            "PRECEDENCE": precedence,
        }

    out = [row(k, _epoch(o.updated_at), o.decay_date, "satcat", "Historical", 1)
           for k, o in objects.items() if o.decay_date]  # fmt: skip
    out += [row(k, _epoch(t.msg_epoch), _epoch(t.decay_epoch), "TIP_msg", "Prediction", 2)
            for k, t in latest.items()]  # fmt: skip
    return sorted(out, key=lambda r: (r["NORAD_CAT_ID"], r["PRECEDENCE"]))


def boxscore_rows(store: Store, principal: Principal | None) -> list[dict[str, Any]]:
    """The ``boxscore`` rows over the objects ``principal`` may see, by owner."""
    with store.transaction() as conn:
        objects = _visible_objects(conn, principal)
    counts: dict[str, dict[str, int]] = {}
    kinds = {"PAY": "PAYLOAD_COUNT", "R/B": "ROCKET_BODY_COUNT", "DEB": "DEBRIS_COUNT"}
    for obj in objects.values():
        owner = obj.owner or "TBD"
        tally = counts.setdefault(owner, dict.fromkeys(COUNTS, 0))
        state = "DECAYED" if obj.decay_date else "ORBITAL"
        kind = kinds.get(obj.object_type or "")
        if kind is not None:
            tally[f"{state}_{kind}"] += 1
        elif state == "ORBITAL":
            tally["ORBITAL_TBA"] += 1
        tally[f"{state}_TOTAL_COUNT"] += 1
        tally["COUNTRY_TOTAL"] += 1
    return [
        {"COUNTRY": owner, "SPADOC_CD": owner, **tally} for owner, tally in sorted(counts.items())
    ]


Builder = Callable[[Store, Principal | None], list[dict[str, Any]]]
BUILDERS: dict[str, Builder] = {
    "cdm_public": cdm_public_rows,
    "cdm": cdm_rows,
    "decay": decay_rows,
    "tip": tip_rows,
    "boxscore": boxscore_rows,
}
