"""Reads and writes of alerts: partners' webhooks, the alerts raised to partners, and the
deliveries of each alert to each webhook (the outbox a dispatcher works through).

Like :mod:`accord.storage.repositories`: no business rules, every function takes an open
connection and the caller owns the transaction.

A delivery being attempted is *claimed* without a column of its own: the claim adds one to
``attempts`` and moves ``next_attempt_at`` to the end of the claimer's lease, in one
statement.  A claim is therefore exclusive until the lease ends (the row is no longer due),
a crashed claimer's deliveries fall due again when its lease ends, and ``attempts`` is the
fencing token that the claimer's outcome must still match (Kleppmann, *Designing
Data-Intensive Applications*, 2017, ch. 8, "Fencing tokens"): an outcome reported after the
lease ended and another claimer took the delivery over changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, literal, select, text, update

from accord.storage.tables import alerts, deliveries, partners, webhooks

# PostgreSQL: alert-raising transactions take this transaction-scoped advisory lock, so
# that alert ids are assigned in commit order and a reader's "after id" cursor never skips
# an alert committed late with a smaller id.  SQLite's single writer gives that already.
ALERT_ORDER_LOCK = 0x6163636F7264  # "accord"

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


def _inserted(conn: Connection, statement: Any) -> int:
    return int(conn.execute(statement).inserted_primary_key[0])  # type: ignore[index]


# -- webhooks ------------------------------------------------------------------------------


def _webhook_query() -> Any:
    return select(webhooks, partners.c.code.label("partner_code")).join(
        partners, partners.c.id == webhooks.c.partner_id
    )


def add_webhook(conn: Connection, partner_id: int, url: str, secret: str, now: datetime) -> int:
    """Insert an enabled webhook and return its id."""
    return _inserted(
        conn,
        insert(webhooks).values(partner_id=partner_id, url=url, secret=secret, created_at=now),
    )


def webhook(conn: Connection, webhook_id: int) -> Row[Any] | None:
    """One webhook (with ``partner_code``), enabled or not, or None."""
    return conn.execute(_webhook_query().where(webhooks.c.id == webhook_id)).first()


def webhooks_of(conn: Connection, partner_id: int, *, disabled: bool = False) -> list[Row[Any]]:
    """A partner's webhooks (with ``partner_code``) by id: the enabled ones, or all of
    them with ``disabled``."""
    query = _webhook_query().where(webhooks.c.partner_id == partner_id)
    if not disabled:
        query = query.where(webhooks.c.disabled_at.is_(None))
    return list(conn.execute(query.order_by(webhooks.c.id)))


def disable_webhook(conn: Connection, webhook_id: int, now: datetime) -> bool:
    """Disable an enabled webhook; False if it was disabled already (or is missing)."""
    result = conn.execute(
        update(webhooks)
        .where(webhooks.c.id == webhook_id, webhooks.c.disabled_at.is_(None))
        .values(disabled_at=now)
    )
    return result.rowcount == 1


# -- alerts --------------------------------------------------------------------------------


def _alert_query() -> Any:
    return select(alerts, partners.c.code.label("partner_code")).join(
        partners, partners.c.id == alerts.c.partner_id
    )


def lock_alert_order(conn: Connection) -> None:
    """Hold the alert-order lock until the end of the transaction (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALERT_ORDER_LOCK})


def add_alert(
    conn: Connection,
    partner_id: int,
    kind: str,
    payload: Any,
    event_id: int | None,
    now: datetime,
) -> int:
    """Insert an alert and return its id."""
    return _inserted(
        conn,
        insert(alerts).values(
            partner_id=partner_id, event_id=event_id, kind=kind, payload=payload, created_at=now
        ),
    )


def add_deliveries(conn: Connection, alert_id: int, partner_id: int, now: datetime) -> int:
    """Insert one pending delivery of an alert per enabled webhook of its partner, due
    ``now``; return how many."""
    due = literal(now, deliveries.c.next_attempt_at.type)
    source = select(literal(alert_id), webhooks.c.id, literal(PENDING), literal(0), due).where(
        webhooks.c.partner_id == partner_id, webhooks.c.disabled_at.is_(None)
    )
    columns = ["alert_id", "webhook_id", "status", "attempts", "next_attempt_at"]
    result = conn.execute(insert(deliveries).from_select(columns, source))
    return int(result.rowcount)


def add_alerts(conn: Connection, rows: Sequence[dict[str, Any]], now: datetime) -> list[int]:
    """Insert alerts (partner_id, kind, payload, event_id) with one pending delivery per
    enabled webhook of each alert's partner, due ``now``, in two statements' worth of
    round trips; the alerts' ids, in order."""
    if not rows:
        return []
    values = [{**r, "created_at": now} for r in rows]
    statement = insert(alerts).returning(alerts.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in conn.execute(statement, values).scalars()]
    partner_ids = {r["partner_id"] for r in rows}
    hooks: dict[int, list[int]] = {}
    query = select(webhooks.c.partner_id, webhooks.c.id).where(
        webhooks.c.partner_id.in_(partner_ids), webhooks.c.disabled_at.is_(None)
    )
    for partner_id, webhook_id in conn.execute(query):
        hooks.setdefault(int(partner_id), []).append(int(webhook_id))
    pending = [
        {"alert_id": i, "webhook_id": w, "status": PENDING, "attempts": 0, "next_attempt_at": now}
        for i, r in zip(ids, rows, strict=True)
        for w in hooks.get(r["partner_id"], [])
    ]
    if pending:
        conn.execute(insert(deliveries), pending)
    return ids


def alert(conn: Connection, alert_id: int) -> Row[Any] | None:
    """One alert (with ``partner_code``), or None."""
    return conn.execute(_alert_query().where(alerts.c.id == alert_id)).first()


def alerts_after(
    conn: Connection, partner_id: int | None, after_id: int, limit: int
) -> list[Row[Any]]:
    """Up to ``limit`` alerts (with ``partner_code``) with ids above ``after_id``, by id, of
    one partner (None: every partner)."""
    query = _alert_query().where(alerts.c.id > after_id)
    if partner_id is not None:
        query = query.where(alerts.c.partner_id == partner_id)
    return list(conn.execute(query.order_by(alerts.c.id).limit(limit)))


def last_alert_id(conn: Connection, partner_id: int | None) -> int:
    """The highest alert id (of one partner; None: of all), 0 without alerts."""
    query = select(func.max(alerts.c.id))
    if partner_id is not None:
        query = query.where(alerts.c.partner_id == partner_id)
    return int(conn.execute(query).scalar() or 0)


def acknowledge(conn: Connection, alert_id: int, by: str, now: datetime) -> bool:
    """Record the first acknowledgement of an alert; False if it had one already."""
    result = conn.execute(
        update(alerts)
        .where(alerts.c.id == alert_id, alerts.c.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by=by)
    )
    return result.rowcount == 1


# -- deliveries ----------------------------------------------------------------------------


def _delivery_query() -> Any:
    return (
        select(
            deliveries,
            webhooks.c.url,
            webhooks.c.partner_id,
            partners.c.code.label("partner_code"),
        )
        .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
        .join(partners, partners.c.id == webhooks.c.partner_id)
    )


def delivery(conn: Connection, delivery_id: int) -> Row[Any] | None:
    """One delivery, with its webhook's ``url``, ``partner_id`` and ``partner_code``."""
    return conn.execute(_delivery_query().where(deliveries.c.id == delivery_id)).first()


def deliveries_of(
    conn: Connection,
    partner_id: int | None,
    *,
    status: str | None = None,
    alert_id: int | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[Row[Any]]:
    """Up to ``limit`` deliveries by id above ``after_id``, to the webhooks of one partner
    (None: all), in one status and of one alert where given (rows as :func:`delivery`)."""
    query = _delivery_query().where(deliveries.c.id > after_id)
    if partner_id is not None:
        query = query.where(webhooks.c.partner_id == partner_id)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if alert_id is not None:
        query = query.where(deliveries.c.alert_id == alert_id)
    return list(conn.execute(query.order_by(deliveries.c.id).limit(limit)))


def claim_due(conn: Connection, now: datetime, lease_until: datetime, limit: int) -> list[Row[Any]]:
    """Claim up to ``limit`` pending deliveries due at ``now`` until ``lease_until``, the
    earliest due first; return them with what sending needs: ``attempts`` (this attempt's
    number, the fencing token), the webhook's ``url`` and ``secret``, the alert's ``kind``,
    ``payload``, ``event_id``, ``created_at`` and the partner's ``partner_code``.

    One UPDATE whose outer condition repeats the due test: under PostgreSQL's READ
    COMMITTED a concurrent claimer re-evaluates it on the row it waited for and skips it
    (the subquery also skips rows locked by another claimer); SQLite runs it under its
    single write lock."""
    d = deliveries.c
    due = (d.status == PENDING) & (d.next_attempt_at <= now)
    candidates = (
        select(d.id)
        .join(webhooks, webhooks.c.id == d.webhook_id)
        .where(due, webhooks.c.disabled_at.is_(None))
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = conn.execute(
        update(deliveries)
        .where(d.id.in_(candidates.scalar_subquery()), due)
        .values(attempts=d.attempts + 1, next_attempt_at=lease_until)
        .returning(d.id)
    )
    ids = [int(i) for i in claimed.scalars()]
    if not ids:
        return []
    query = (
        select(
            d.id, d.alert_id, d.webhook_id, d.attempts,
            webhooks.c.url, webhooks.c.secret,
            alerts.c.kind, alerts.c.payload, alerts.c.event_id, alerts.c.created_at,
            partners.c.code.label("partner_code"),
        )
        .join(webhooks, webhooks.c.id == d.webhook_id)
        .join(alerts, alerts.c.id == d.alert_id)
        .join(partners, partners.c.id == alerts.c.partner_id)
        .where(d.id.in_(ids))
        .order_by(d.next_attempt_at, d.id)
    )  # fmt: skip
    return list(conn.execute(query))


def _finish(conn: Connection, delivery_id: int, token: int, **values: Any) -> bool:
    """Record a claimed attempt's outcome if the claim still holds (``token``: the
    attempts the claim counted)."""
    d = deliveries.c
    result = conn.execute(
        update(deliveries)
        .where(d.id == delivery_id, d.status == PENDING, d.attempts == token)
        .values(**values)
    )
    return result.rowcount == 1


def release(conn: Connection, delivery_id: int, attempts: int, now: datetime) -> bool:
    """Give back a claimed delivery that was not attempted: due ``now``, its attempt
    uncounted."""
    return _finish(conn, delivery_id, attempts, attempts=attempts - 1, next_attempt_at=now)


def mark_delivered_many(
    conn: Connection, answered: Sequence[tuple[int, int, int]], now: datetime
) -> int:
    """Claimed attempts answered 2xx, ``(delivery_id, attempts, status)`` each: those
    deliveries are delivered (one statement; a claim that no longer holds is left alone);
    return how many claims still held."""
    if not answered:
        return 0
    d = deliveries.c
    statement = (
        update(deliveries)
        .where(d.id == bindparam("b_id"), d.status == PENDING, d.attempts == bindparam("b_token"))
        .values(
            status=DELIVERED,
            last_status=bindparam("b_status"),
            last_error=None,
            delivered_at=now,
            next_attempt_at=now,
        )
    )
    rows = [{"b_id": i, "b_token": t, "b_status": s} for i, t, s in answered]
    return int(conn.execute(statement, rows).rowcount)


def mark_retry(
    conn: Connection,
    delivery_id: int,
    attempts: int,
    status: int | None,
    error: str,
    next_attempt_at: datetime,
) -> bool:
    """A claimed attempt failed: try again at ``next_attempt_at``."""
    return _finish(conn, delivery_id, attempts, last_status=status, last_error=error,
                   next_attempt_at=next_attempt_at)  # fmt: skip


def mark_dead(
    conn: Connection, delivery_id: int, attempts: int, status: int | None, error: str,
    now: datetime,
) -> bool:  # fmt: skip
    """A claimed attempt failed and was the last allowed: the delivery is a dead letter."""
    return _finish(conn, delivery_id, attempts, status=DEAD, last_status=status,
                   last_error=error, next_attempt_at=now)  # fmt: skip


def abandon_webhook(conn: Connection, webhook_id: int, error: str, now: datetime) -> int:
    """Make every pending delivery to a webhook dead (it was disabled); return how many."""
    d = deliveries.c
    result = conn.execute(
        update(deliveries)
        .where(d.webhook_id == webhook_id, d.status == PENDING)
        .values(status=DEAD, last_error=error, next_attempt_at=now)
    )
    return int(result.rowcount)


def revive(conn: Connection, delivery_id: int, now: datetime) -> bool:
    """Make a dead delivery pending again, due ``now`` (its attempts are kept); False if
    it was not dead."""
    d = deliveries.c
    result = conn.execute(
        update(deliveries)
        .where(d.id == delivery_id, d.status == DEAD)
        .values(status=PENDING, next_attempt_at=now)
    )
    return result.rowcount == 1
