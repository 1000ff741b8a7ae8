"""Conjunction data of stored screening runs, released through the policy.

A conjunction is data derived from the two element sets (or operators' ephemerides) it was
computed from.  A caller receives it when, for each side, it may see that element set or
ephemeris, or it holds a derived-only grant for it and the other object is one of its own
(an object it submits element sets or ephemerides for, or operates): what a conjunction
warning needs (the states, relative geometry and Pc at TCA) for its own assets, never the
other object's orbit.  Each release of data the caller could
not see in full is appended to the ledger.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from accord.errors import NotFoundError
from accord.policy.decisions import decide, may_receive_derived
from accord.policy.model import DataClass, Principal, Record, Releasability, regime_of
from accord.services import audit
from accord.services.ephemerides import ephemeris_record
from accord.services.federation import agreements_of
from accord.services.screening import ScreeningResult
from accord.services.store import Store, utcnow
from accord.storage import coordination as crepo
from accord.storage import repositories as repo


@dataclass(frozen=True)
class Released:
    """One conjunction as released: the stored row's values and how it was released
    (``full``: the caller may see both element sets; ``derived``: under a derived-only
    grant, for one of the caller's own objects)."""

    values: dict[str, Any]
    release: str


def conjunctions_for(
    store: Store, run_id: int | None = None, principal: Principal | None = None
) -> tuple[int, list[Released]]:
    """The conjunctions of a run (default: the latest) that ``principal`` may receive (None:
    the local operator, all), by TCA; returns the run id and the conjunctions."""
    with store.engine.begin() as conn:
        run_id = run_id if run_id is not None else repo.latest_run_id(conn)
        if run_id is None or repo.screening_run(conn, run_id) is None:
            raise NotFoundError("no screening run" if run_id is None else f"no run {run_id}")
        rows = repo.conjunctions_of(conn, run_id)
        if principal is None or principal.admin:
            return run_id, [Released(conjunction_values(r), "full") for r in rows]
        released = release(conn, principal, rows)
        restricted = [r.values["id"] for r in released if r.release == "derived"]
        if restricted:
            audit.record(
                conn,
                actor=principal.email or principal.partner or "anonymous",
                partner=principal.partner,
                action="release",
                subject=f"run:{run_id}:conjunctions",
                data=json.dumps({"derived": restricted}).encode(),
                at=utcnow(),
            )
        return run_id, released


def release(conn: Connection, principal: Principal, rows: Sequence[Row[Any]]) -> list[Released]:
    """The conjunction rows ``principal`` may receive, each with how (see the module
    docstring); a side screened from an operator's ephemeris is judged on that ephemeris,
    and the caller's own objects are those it submits element sets or ephemerides for or
    operates."""
    if principal.admin:
        return [Released(conjunction_values(r), "full") for r in rows]
    ids = {i for r in rows for i in (r.element_set_id_1, r.element_set_id_2) if i is not None}
    provenance = repo.element_set_provenance(conn, ids)
    eids = {i for r in rows for i in (r.ephemeris_id_1, r.ephemeris_id_2) if i is not None}
    ephemerides = crepo.ephemerides_by_id(conn, eids)
    agreements = agreements_of(conn)
    own: set[int] = set()
    if principal.partner:
        own = repo.objects_submitted_by(conn, principal.partner)
        partner = repo.partner_by_code(conn, principal.partner)
        if partner is not None:
            own |= crepo.objects_operated_by(conn, partner.id)
    now = utcnow()
    released: list[Released] = []
    for row in rows:
        first = _side(row.ephemeris_id_1, ephemerides, row.element_set_id_1, provenance)
        second = _side(row.ephemeris_id_2, ephemerides, row.element_set_id_2, provenance)
        if first is None or second is None:
            continue
        records = (first, second)
        full = [decide(principal, rec, agreements, now).allowed for rec in records]
        objects = (row.norad_cat_id_1, row.norad_cat_id_2)
        derived = [
            may_receive_derived(principal, records[k], agreements, now).allowed
            and objects[1 - k] in own
            for k in (0, 1)
        ]
        if all(f or d for f, d in zip(full, derived, strict=True)):
            released.append(Released(conjunction_values(row), "full" if all(full) else "derived"))
    return released


def _side(
    ephemeris_id: int | None,
    ephemerides: dict[int, Row[Any]],
    element_set_id: int | None,
    provenance: dict[int, Row[Any]],
) -> Record | None:
    if ephemeris_id is not None:
        row = ephemerides.get(ephemeris_id)
        if row is None or row.status == "hypothetical":
            return None
        return ephemeris_record(row)
    return _record(provenance.get(element_set_id)) if element_set_id is not None else None


def _record(row: Row[Any] | None) -> Record | None:
    if row is None:
        return None
    return Record(
        provider=row.source_code,
        data=DataClass.ELEMENT_SETS,
        releasability=Releasability(row.releasability),
        received=row.received_at,
        norad=row.norad_cat_id,
        owner=row.owner,
        regime=regime_of(1440.0 / row.mean_motion, row.eccentricity),
    )


def conjunction_values(row: Row[Any]) -> dict[str, Any]:
    hidden = ("element_set_id_1", "element_set_id_2", "ephemeris_id_1", "ephemeris_id_2")
    return {k: v for k, v in row._mapping.items() if k not in hidden}


def restrict(store: Store, result: ScreeningResult, principal: Principal | None) -> ScreeningResult:
    """A stored run's result as ``principal`` may receive it (see :func:`conjunctions_for`):
    the conjunctions it may not receive are left out."""
    if principal is None or result.run_id is None:
        return result
    _, released = conjunctions_for(store, result.run_id, principal)
    keys = {(r.values["norad_cat_id_1"], r.values["norad_cat_id_2"], r.values["tca"])
            for r in released}  # fmt: skip
    kept = [c for c in result.conjunctions if (c.object1, c.object2, c.tca) in keys]
    return dataclasses.replace(result, conjunctions=kept)
