"""Reads and writes of coordination: object operators, ephemerides, events and their steps.

Like :mod:`accord.storage.repositories`: no business rules, every function takes an open
connection and the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, insert, or_, select, tuple_, update

from accord.storage.tables import (
    conjunctions,
    coordination_steps,
    ephemerides,
    event_conjunctions,
    events,
    object_operators,
    partners,
    submissions,
)


def _inserted(conn: Connection, statement: Any) -> int:
    key = conn.execute(statement).inserted_primary_key
    assert key is not None
    return int(key[0])


# -- object operators ----------------------------------------------------------------------


def set_operator(conn: Connection, norad: int, partner_id: int, **values: Any) -> None:
    """Insert or replace an object's operator row."""
    found = conn.execute(
        select(object_operators.c.norad_cat_id).where(object_operators.c.norad_cat_id == norad)
    ).first()
    if found is None:
        conn.execute(
            insert(object_operators).values(norad_cat_id=norad, partner_id=partner_id, **values)
        )
    else:
        conn.execute(
            update(object_operators)
            .where(object_operators.c.norad_cat_id == norad)
            .values(partner_id=partner_id, **values)
        )


def operators_of(conn: Connection, norads: Iterable[int]) -> dict[int, Row[Any]]:
    """Operator rows (with the partner's code as ``code``) of these objects, by number."""
    query = (
        select(object_operators, partners.c.code)
        .join(partners, partners.c.id == object_operators.c.partner_id)
        .where(object_operators.c.norad_cat_id.in_(list(norads)))
    )
    return {int(r.norad_cat_id): r for r in conn.execute(query)}


def objects_operated_by(conn: Connection, partner_id: int) -> set[int]:
    """Catalogue numbers of the objects a partner operates."""
    query = select(object_operators.c.norad_cat_id).where(
        object_operators.c.partner_id == partner_id
    )
    return {int(n) for n in conn.execute(query).scalars()}


# -- ephemerides ---------------------------------------------------------------------------


def _ephemeris_query() -> Any:
    return (
        select(
            ephemerides,
            partners.c.code.label("partner_code"),
            submissions.c.releasability,
            submissions.c.received_at,
        )
        .join(partners, partners.c.id == ephemerides.c.partner_id)
        .join(submissions, submissions.c.id == ephemerides.c.submission_id)
    )


def add_ephemeris(conn: Connection, **values: Any) -> int:
    """Insert an ephemeris and return its id."""
    return _inserted(conn, insert(ephemerides).values(**values))


def ephemeris(conn: Connection, ephemeris_id: int) -> Row[Any] | None:
    """One ephemeris with its partner's code, label and arrival, or None."""
    return conn.execute(_ephemeris_query().where(ephemerides.c.id == ephemeris_id)).first()


def ephemerides_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, Row[Any]]:
    """Ephemerides (as :func:`ephemeris`) by id."""
    query = _ephemeris_query().where(ephemerides.c.id.in_(list(ids)))
    return {int(r.id): r for r in conn.execute(query)}


def list_ephemerides(
    conn: Connection,
    *,
    norad: int | None = None,
    statuses: Iterable[str] | None = None,
    current_only: bool = False,
    after: int = 0,
    limit: int = 100,
) -> list[Row[Any]]:
    """Ephemerides by id, optionally of one object, of some statuses, not superseded."""
    query = _ephemeris_query().where(ephemerides.c.id > after)
    if norad is not None:
        query = query.where(ephemerides.c.norad_cat_id == norad)
    if statuses is not None:
        query = query.where(ephemerides.c.status.in_(list(statuses)))
    if current_only:
        query = query.where(ephemerides.c.superseded_by.is_(None))
    return list(conn.execute(query.order_by(ephemerides.c.id).limit(limit)))


def supersede(conn: Connection, norad: int, by: int) -> list[int]:
    """Mark the object's earlier definitive ephemerides superseded by ``by``; their ids."""
    query = select(ephemerides.c.id).where(
        ephemerides.c.norad_cat_id == norad,
        ephemerides.c.status == "definitive",
        ephemerides.c.superseded_by.is_(None),
        ephemerides.c.id != by,
    )
    ids = [int(i) for i in conn.execute(query).scalars()]
    if ids:
        conn.execute(update(ephemerides).where(ephemerides.c.id.in_(ids)).values(superseded_by=by))
    return ids


def set_ephemeris_run(conn: Connection, ephemeris_id: int, run_id: int) -> None:
    """Record the screening run of an ephemeris."""
    conn.execute(
        update(ephemerides).where(ephemerides.c.id == ephemeris_id).values(screening_run_id=run_id)
    )


# -- events --------------------------------------------------------------------------------


def event_near(
    conn: Connection, first: int, second: int, tca: datetime, within: timedelta
) -> Row[Any] | None:
    """The event of this pair (in order) whose TCA is within ``within`` of ``tca``."""
    query = select(events).where(
        events.c.norad_cat_id_1 == first,
        events.c.norad_cat_id_2 == second,
        events.c.tca >= tca - within,
        events.c.tca <= tca + within,
    )
    rows = list(conn.execute(query))
    if not rows:
        return None
    return min(rows, key=lambda r: abs((r.tca - tca).total_seconds()))


def events_of_pairs(
    conn: Connection, pairs: Iterable[tuple[int, int]], earliest: datetime, latest: datetime
) -> list[Row[Any]]:
    """The events of these pairs (in order) with a TCA between ``earliest`` and ``latest``."""
    pairs = list(pairs)
    out: list[Row[Any]] = []
    for k in range(0, len(pairs), 500):
        chunk = pairs[k : k + 500]
        query = select(events).where(
            tuple_(events.c.norad_cat_id_1, events.c.norad_cat_id_2).in_(chunk),
            events.c.tca >= earliest,
            events.c.tca <= latest,
        )
        out += list(conn.execute(query.order_by(events.c.id)))
    return out


def add_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert events; their ids, in order."""
    if not rows:
        return []
    columns = [c.name for c in events.columns if c.name != "id"]
    values = [{k: r.get(k) for k in columns} for r in rows]
    statement = insert(events).returning(events.c.id, sort_by_parameter_order=True)
    return [int(i) for i in conn.execute(statement, values).scalars()]


def update_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Write back the TCA, miss distance, Pc, tier and update time of events (by id)."""
    if not rows:
        return
    names = ("tca", "miss_distance_km", "pc", "tier", "updated_at")
    statement = (
        update(events)
        .where(events.c.id == bindparam("event_id"))
        .values({n: bindparam(f"new_{n}") for n in names})
    )
    conn.execute(statement, [{"event_id": r["id"]} | {f"new_{n}": r[n] for n in names}
                             for r in rows])  # fmt: skip


def add_event_conjunctions(
    conn: Connection, links: Sequence[tuple[int, int]], at: datetime
) -> None:
    """Add conjunctions (CDMs) to events' histories: (event id, conjunction id) pairs."""
    if links:
        rows = [{"event_id": e, "conjunction_id": c, "added_at": at} for e, c in links]
        conn.execute(insert(event_conjunctions), rows)


def add_event(conn: Connection, **values: Any) -> int:
    """Insert an event and return its id."""
    return _inserted(conn, insert(events).values(**values))


def update_event(conn: Connection, event_id: int, **values: Any) -> None:
    """Change an event's columns."""
    conn.execute(update(events).where(events.c.id == event_id).values(**values))


def event(conn: Connection, event_id: int) -> Row[Any] | None:
    """One event, or None."""
    return conn.execute(select(events).where(events.c.id == event_id)).first()


def list_events(
    conn: Connection,
    *,
    objects: Iterable[int] | None = None,
    states: Iterable[str] | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[Row[Any]]:
    """Events by id, optionally those with one of ``objects``, in some states."""
    query = select(events).where(events.c.id > after)
    if objects is not None:
        numbers = list(objects)
        query = query.where(
            or_(events.c.norad_cat_id_1.in_(numbers), events.c.norad_cat_id_2.in_(numbers))
        )
    if states is not None:
        query = query.where(events.c.state.in_(list(states)))
    return list(conn.execute(query.order_by(events.c.id).limit(limit)))


def add_event_conjunction(
    conn: Connection, event_id: int, conjunction_id: int, at: datetime
) -> None:
    """Add a conjunction (one CDM) to an event's history."""
    conn.execute(
        insert(event_conjunctions).values(
            event_id=event_id, conjunction_id=conjunction_id, added_at=at
        )
    )


def event_conjunction_rows(conn: Connection, event_id: int) -> list[Row[Any]]:
    """An event's conjunctions, in the order they joined it."""
    query = (
        select(conjunctions, event_conjunctions.c.added_at)
        .join(event_conjunctions, event_conjunctions.c.conjunction_id == conjunctions.c.id)
        .where(event_conjunctions.c.event_id == event_id)
        .order_by(event_conjunctions.c.added_at, conjunctions.c.id)
    )
    return list(conn.execute(query))


def run_conjunction_rows(conn: Connection, run_id: int) -> list[Row[Any]]:
    """A run's conjunctions by TCA."""
    query = (
        select(conjunctions)
        .where(conjunctions.c.run_id == run_id)
        .order_by(conjunctions.c.tca, conjunctions.c.id)
    )
    return list(conn.execute(query))


# -- coordination steps --------------------------------------------------------------------


def add_step(conn: Connection, **values: Any) -> int:
    """Insert a coordination step and return its id."""
    return _inserted(conn, insert(coordination_steps).values(**values))


def steps_of(conn: Connection, event_id: int) -> list[Row[Any]]:
    """An event's coordination steps in order."""
    query = (
        select(coordination_steps)
        .where(coordination_steps.c.event_id == event_id)
        .order_by(coordination_steps.c.id)
    )
    return list(conn.execute(query))


def latest_intents(conn: Connection, event_id: int) -> dict[str, Row[Any]]:
    """Each partner's latest claim of an event, by partner code."""
    query = (
        select(coordination_steps)
        .where(
            and_(
                coordination_steps.c.event_id == event_id,
                coordination_steps.c.action == "claim",
            )
        )
        .order_by(coordination_steps.c.id)
    )
    return {r.partner: r for r in conn.execute(query)}
