"""Conjunction events: the CDMs of one pair close in time, their risk, and who is told.

Screening writes one conjunction (one CDM) per close approach per run; the runs repeat as
element sets and ephemerides arrive, so the same encounter comes back many times.  An
*event* gathers the CDMs of one pair of objects whose TCAs lie within
:data:`EVENT_WINDOW` (20 minutes) of the event's: the unit operators coordinate on, as in
NASA CARA's practice, where an event is tracked across its successive CDMs until TCA.

- An event exists where someone can act: at least one of the two objects has an operator
  (:func:`accord.services.ephemerides.set_operator`, or a partner that submitted an
  ephemeris for it).  Debris against debris raises no event.
- Its TCA, miss distance, Pc and tier are those of its latest CDM; its history of CDMs is
  kept (``event_conjunctions``).
- Risk tiers after NASA CARA (NASA Spacecraft Conjunction Assessment and Collision
  Avoidance Best Practices Handbook, NASA/SP-20205011318, 2020): **red** Pc >= 1e-4 (the
  manoeuvre threshold), **amber** Pc >= 1e-7, **green** below, or without a Pc.
- The partners concerned (the operators of either object) are alerted of each new CDM of
  an event, in the same transaction that stores it, with what their agreements release
  (:func:`accord.services.conjunctions.release`): a derived-only partner gets the
  conjunction data for its own object and nothing of the other object's orbit.  A partner
  that may receive nothing of a conjunction gets no alert of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from accord.errors import NotFoundError
from accord.policy.model import Principal, Role
from accord.services.conjunctions import Released, conjunction_values, release
from accord.services.store import Store, utcnow
from accord.storage import coordination as crepo

EVENT_WINDOW = timedelta(minutes=20)
RED_PC = 1e-4
AMBER_PC = 1e-7
TIERS = ("green", "amber", "red")


def tier_of(pc: float | None) -> str:
    """The CARA tier of a Pc (see the module docstring)."""
    if pc is None:
        return "green"
    if pc >= RED_PC:
        return "red"
    return "amber" if pc >= AMBER_PC else "green"


def json_ready(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values with datetimes as ISO 8601 UTC text (``Z``), ready for JSON."""
    return {
        k: (v.isoformat(timespec="microseconds") + "Z" if isinstance(v, datetime) else v)
        for k, v in values.items()
    }


def event_summary(row: Row[Any]) -> dict[str, Any]:
    """One event's columns as JSON-ready data."""
    return json_ready(dict(row._mapping))


def events_from_run(store: Store, run_id: int) -> list[int]:
    """Fold a stored run's conjunctions into events (see the module docstring), alert the
    partners concerned, and return the ids of the events created or updated, in order."""
    from accord.services.alerts import notify

    with store.engine.begin() as conn:
        touched = fold_conjunctions(conn, crepo.run_conjunction_rows(conn, run_id))
    if touched:
        notify(store)
    return touched


def fold_conjunctions(conn: Connection, rows: Sequence[Row[Any]]) -> list[int]:
    """In the caller's transaction, add each conjunction row to its event (a new one where
    none is within :data:`EVENT_WINDOW`) and raise the alerts; the events touched."""
    operators = crepo.operators_of(
        conn, {n for r in rows for n in (r.norad_cat_id_1, r.norad_cat_id_2)}
    )
    now = utcnow()
    touched: list[int] = []
    for row in rows:
        pair = (row.norad_cat_id_1, row.norad_cat_id_2)
        concerned = sorted({operators[n].code for n in pair if n in operators})
        if not concerned:
            continue
        first, second = sorted(pair)
        tier = tier_of(row.pc)
        values = {
            "tca": row.tca,
            "miss_distance_km": row.miss_distance_km,
            "pc": row.pc,
            "tier": tier,
            "updated_at": now,
        }
        found = crepo.event_near(conn, first, second, row.tca, EVENT_WINDOW)
        if found is None:
            event_id = crepo.add_event(
                conn, norad_cat_id_1=first, norad_cat_id_2=second, state="open",
                created_at=now, **values,
            )  # fmt: skip
            kind, before = "event.created", None
        else:
            event_id, kind, before = found.id, "event.updated", found.tier
            crepo.update_event(conn, event_id, **values)
        crepo.add_event_conjunction(conn, event_id, row.id, now)
        event = crepo.event(conn, event_id)
        assert event is not None
        for code in concerned:
            alert_partner(conn, code, kind, event, [row], previous_tier=before)
        if event_id not in touched:
            touched.append(event_id)
    return touched


def partner_principal(code: str) -> Principal:
    """A partner as a recipient of alerts: what any of its operators may see."""
    return Principal(partner=code, role=Role.OPERATOR)


def alert_partner(
    conn: Connection,
    code: str,
    kind: str,
    event: Row[Any],
    rows: Sequence[Row[Any]] = (),
    *,
    previous_tier: str | None = None,
    extra: dict[str, Any] | None = None,
) -> int | None:
    """Raise one alert about an event for a partner, in the caller's transaction, with the
    conjunctions ``rows`` as the partner may receive them; None where it may receive none
    of them (an alert about conjunctions it may not see says nothing)."""
    from accord.services.alerts import raise_alert
    from accord.storage import repositories as repo

    partner = repo.partner_by_code(conn, code)
    if partner is None:
        return None
    released = release(conn, partner_principal(code), rows) if rows else []
    if rows and not released:
        return None
    payload: dict[str, Any] = {
        "kind": kind,
        "event": event_summary(event),
        "conjunctions": [_released(r) for r in released],
    }
    if previous_tier is not None:
        payload["previous_tier"] = previous_tier
    if extra:
        payload |= extra
    return raise_alert(conn, partner.id, kind, payload, event_id=event.id)


def _released(r: Released) -> dict[str, Any]:
    return json_ready(r.values) | {"release": r.release}


# -- reads ---------------------------------------------------------------------------------


def concerned_partners(conn: Connection, event: Row[Any]) -> dict[int, str]:
    """The operator (partner code) of each object of an event that has one."""
    pair = (event.norad_cat_id_1, event.norad_cat_id_2)
    return {n: r.code for n, r in crepo.operators_of(conn, pair).items()}


def may_see_event(conn: Connection, principal: Principal | None, event: Row[Any]) -> bool:
    """Whether the caller may see an event: administrators and the local operator (None),
    the operators of its objects, and its mediator once escalated."""
    if principal is None or principal.admin:
        return True
    if principal.partner is None:
        return False
    if principal.partner == event.mediator:
        return True
    return principal.partner in concerned_partners(conn, event).values()


def events_for(
    store: Store,
    principal: Principal | None,
    *,
    states: Iterable[str] | None = None,
    tier: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The events the caller may see (see :func:`may_see_event`), by id."""
    out: list[dict[str, Any]] = []
    with store.engine.begin() as conn:
        while len(out) < limit:
            rows = crepo.list_events(conn, states=states, after=after, limit=limit)
            if not rows:
                break
            out += [
                event_summary(r)
                for r in rows
                if (tier is None or r.tier == tier) and may_see_event(conn, principal, r)
            ]
            after = rows[-1].id
    return out[:limit]


def event_for(store: Store, principal: Principal | None, event_id: int) -> dict[str, Any]:
    """One event with its CDM history (as the caller may receive it) and its coordination
    steps; NotFoundError where it does not exist or the caller may not see it."""
    from accord.services.coordination import event_roles, step_summary

    with store.engine.begin() as conn:
        row = crepo.event(conn, event_id)
        if row is None or not may_see_event(conn, principal, row):
            raise NotFoundError(f"no event {event_id}")
        history = crepo.event_conjunction_rows(conn, event_id)
        if principal is None or principal.admin:
            released = [Released(conjunction_values(r), "full") for r in history]
        else:
            released = release(conn, principal, history)
        return event_summary(row) | {
            "conjunctions": [_released(r) for r in released],
            "roles": event_roles(conn, row),
            "steps": [step_summary(s) for s in crepo.steps_of(conn, event_id)],
        }
