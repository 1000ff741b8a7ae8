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
  an amber or red event, and of every change of an event's tier (down to green too: the
  risk has passed), in the same transaction that stores it; a green event's CDMs are kept
  and shown but raise no alert (CARA's green: no further action).  Each alert carries what
  their agreements release
  (:func:`accord.services.conjunctions.release`): a derived-only partner gets the
  conjunction data for its own object and nothing of the other object's orbit.  A partner
  that may receive nothing of a conjunction gets no alert of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row

from accord.errors import NotFoundError
from accord.policy.model import Principal, Role
from accord.services.conjunctions import Released, conjunction_values, release
from accord.services.store import Store, utcnow
from accord.storage import coordination as crepo
from accord.storage import repositories as repo
from accord.storage.tables import events as events_table

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


def event_summary(row: Row[Any] | dict[str, Any]) -> dict[str, Any]:
    """One event's columns as JSON-ready data."""
    values = row if isinstance(row, dict) else dict(row._mapping)
    return json_ready({c.name: values.get(c.name) for c in events_table.columns})


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
    none is within :data:`EVENT_WINDOW`) and raise the alerts; the events touched.

    The pairs' events are read in one query and written back in bulk, and the release to
    each partner concerned is decided once for all its rows (one policy pass per partner,
    not per conjunction)."""
    operators = crepo.operators_of(
        conn, {n for r in rows for n in (r.norad_cat_id_1, r.norad_cat_id_2)}
    )
    mine = [r for r in rows if r.norad_cat_id_1 in operators or r.norad_cat_id_2 in operators]
    if not mine:
        return []
    now = utcnow()
    pairs: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for stored in crepo.events_of_pairs(
        conn,
        {tuple(sorted((r.norad_cat_id_1, r.norad_cat_id_2))) for r in mine},
        min(r.tca for r in mine) - EVENT_WINDOW,
        max(r.tca for r in mine) + EVENT_WINDOW,
    ):
        pairs[(stored.norad_cat_id_1, stored.norad_cat_id_2)].append(dict(stored._mapping))
    folded: list[tuple[dict[str, Any], Row[Any], str, str | None]] = []
    created: list[dict[str, Any]] = []
    for row in mine:
        first, second = sorted((row.norad_cat_id_1, row.norad_cat_id_2))
        near = [e for e in pairs[(first, second)] if abs(e["tca"] - row.tca) <= EVENT_WINDOW]
        values = {"tca": row.tca, "miss_distance_km": row.miss_distance_km, "pc": row.pc,
                  "tier": tier_of(row.pc), "updated_at": now}  # fmt: skip
        if near:
            event = min(near, key=lambda e: abs(e["tca"] - row.tca))
            kind = "event.created" if event.get("id") is None else "event.updated"
            before: str | None = event["tier"]
        else:
            event = {"id": None, "norad_cat_id_1": first, "norad_cat_id_2": second,
                     "state": "open", "mover": None, "mediator": None, "created_at": now,
                     "closed_at": None}  # fmt: skip
            pairs[(first, second)].append(event)
            created.append(event)
            kind, before = "event.created", None
        event.update(values)
        folded.append((event, row, kind, before))
    for event, ident in zip(created, crepo.add_events(conn, created), strict=True):
        event["id"] = ident
    updated = {id(e): e for e, *_ in folded if e not in created}
    crepo.update_events(conn, list(updated.values()))
    crepo.add_event_conjunctions(conn, [(e["id"], r.id) for e, r, *_ in folded], now)
    touched: list[int] = []
    for event, *_ in folded:
        if event["id"] not in touched:
            touched.append(event["id"])
    concerned = {
        r.id: sorted({operators[n].code for n in (r.norad_cat_id_1, r.norad_cat_id_2)
                      if n in operators})
        for _, r, *_ in folded
    }  # fmt: skip
    from accord.services.alerts import raise_alerts

    items: list[tuple[int, str, Any, int | None]] = []
    for code in sorted({c for codes in concerned.values() for c in codes}):
        partner = repo.partner_by_code(conn, code)
        if partner is None:
            continue
        theirs = [(e, r, k, b) for e, r, k, b in folded if code in concerned[r.id]]
        released = released_to(conn, code, [r for _, r, _, _ in theirs])
        for event, row, kind, before in theirs:
            tier = tier_of(row.pc)
            if tier == "green" and before in (None, "green"):
                continue  # nothing to act on, and nothing changed
            if row.id in released:
                payload = alert_payload(kind, event, [released[row.id]], previous_tier=before)
                items.append((partner.id, kind, payload, event["id"]))
    raise_alerts(conn, items)
    return touched


def released_to(conn: Connection, code: str, rows: Sequence[Row[Any]]) -> dict[int, Released]:
    """The conjunction rows a partner may receive, as released to it, by conjunction id."""
    return {r.values["id"]: r for r in release(conn, partner_principal(code), rows)}


def partner_principal(code: str) -> Principal:
    """A partner as a recipient of alerts: what any of its operators may see."""
    return Principal(partner=code, role=Role.OPERATOR)


def alert_partner(
    conn: Connection,
    code: str,
    kind: str,
    event: Row[Any] | dict[str, Any],
    *,
    released: Sequence[Released] = (),
    previous_tier: str | None = None,
    extra: dict[str, Any] | None = None,
) -> int | None:
    """Raise one alert about an event for a partner, in the caller's transaction, with the
    conjunctions ``released`` to it (see :func:`released_to`); None where the partner is
    unknown."""
    from accord.services.alerts import raise_alert

    partner = repo.partner_by_code(conn, code)
    if partner is None:
        return None
    payload = alert_payload(kind, event, released, previous_tier=previous_tier, extra=extra)
    event_id = event["id"] if isinstance(event, dict) else event.id
    return raise_alert(conn, partner.id, kind, payload, event_id=event_id)


def alert_payload(
    kind: str,
    event: Row[Any] | dict[str, Any],
    released: Sequence[Released] = (),
    *,
    previous_tier: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What an alert about an event says: the event, the conjunctions as released to the
    recipient, the tier before this CDM, and ``extra`` (a coordination step)."""
    payload: dict[str, Any] = {
        "kind": kind,
        "event": event_summary(event),
        "conjunctions": [_released(r) for r in released],
    }
    if previous_tier is not None:
        payload["previous_tier"] = previous_tier
    if extra:
        payload |= extra
    return payload


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
