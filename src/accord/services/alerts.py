"""Alerts to partners: their webhooks, raising an alert, reading, acknowledging, and the
deliveries of each alert to each webhook (dead letters and their redelivery).

An alert is raised in the caller's transaction (:func:`raise_alert`) together with one
pending delivery per enabled webhook of the partner: a transactional outbox, so an alert
committed is delivered even if the process dies straight after the commit (C. Richardson,
*Microservices Patterns*, 2018, section 3.3.7).  After the commit, :func:`notify` wakes
this process's dispatcher and event streams at once; other processes find the alert when
they next look at the table (every half second).  The payload is the caller's, already
filtered by the policy for that partner: this module never builds one.

Who may do what: a partner's users read and acknowledge its alerts (observers read only);
a user of another partner gets a 404 for an alert as if it did not exist (an administrator,
who may read every partner's alerts, a 403 for acknowledging another partner's).  Webhooks
and deliveries are managed by the partner's users other than observers, and by
administrators; ``None`` is the local operator of the store (the command line without
``--as``), who may do everything.  Every change is written to the ledger.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from accord.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from accord.policy.model import Principal, Role
from accord.services import audit
from accord.services.dispatcher import Dispatcher
from accord.services.store import Store, utcnow
from accord.services.webhooks import Signal, sign, signal_of, verify_signature
from accord.storage import alerts as repo
from accord.storage import repositories as partners_repo

__all__ = [
    "Alert",
    "Delivery",
    "Dispatcher",
    "Signal",
    "Webhook",
    "acknowledge",
    "add_webhook",
    "alerts_for",
    "dead_letters",
    "deliveries",
    "delivery_status",
    "last_alert_id",
    "list_webhooks",
    "notify",
    "publish",
    "raise_alert",
    "raise_alerts",
    "redeliver",
    "remove_webhook",
    "sign",
    "signal_of",
    "verify_signature",
    "webhook_actor",
]

KIND = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Webhook:
    """A partner's webhook; ``secret`` only in the answer to :func:`add_webhook`."""

    id: int
    partner: str
    url: str
    created: datetime
    disabled: datetime | None = None
    secret: str | None = None


@dataclass(frozen=True)
class Alert:
    """An alert raised to a partner, with its acknowledgement (if any)."""

    id: int
    partner: str
    kind: str
    payload: Any
    event_id: int | None
    created: datetime
    acknowledged: datetime | None
    acknowledged_by: str | None


@dataclass(frozen=True)
class Delivery:
    """One alert's delivery to one webhook: pending, delivered or dead, the attempts made,
    when the next is due, and what the last one got."""

    id: int
    alert_id: int
    webhook_id: int
    partner: str
    url: str
    status: str
    attempts: int
    next_attempt: datetime
    last_status: int | None
    last_error: str | None
    delivered: datetime | None


def _webhook(row: Row[Any], secret: str | None = None) -> Webhook:
    return Webhook(row.id, row.partner_code, row.url, row.created_at, row.disabled_at, secret)


def _alert(row: Row[Any]) -> Alert:
    return Alert(row.id, row.partner_code, row.kind, row.payload, row.event_id, row.created_at,
                 row.acknowledged_at, row.acknowledged_by)  # fmt: skip


def _delivery(row: Row[Any]) -> Delivery:
    return Delivery(row.id, row.alert_id, row.webhook_id, row.partner_code, row.url,
                    row.status, row.attempts, row.next_attempt_at, row.last_status,
                    row.last_error, row.delivered_at)  # fmt: skip


def _audit(
    conn: Connection, actor: str, partner: str, action: str, subject: str,
    document: dict[str, Any], at: datetime,
) -> None:  # fmt: skip
    """Append the change to the ledger, its digest over the canonical JSON ``document``."""
    data = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    audit.record(conn, actor=actor, partner=partner, action=action, subject=subject, data=data,
                 at=at)  # fmt: skip


def _partner_id(conn: Connection, code: str) -> int:
    row = partners_repo.partner_by_code(conn, code.strip().upper())
    if row is None:
        raise NotFoundError(f"no partner with code {code!r}")
    return int(row.id)


def _actor(principal: Principal | None) -> str:
    return "local" if principal is None else principal.email or "unknown"


# -- webhooks ------------------------------------------------------------------------------


def _loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(url: str) -> str:
    """Given a webhook URL, return it stripped, or raise InvalidRequestError: an absolute
    ``https`` URL with a host (plain ``http`` only to a loopback address: alerts carry
    partners' data), no user name or password, no fragment, at most 2,000 characters."""
    url = url.strip()
    if not url or len(url) > 2000 or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidRequestError(f"webhook URL {url[:80]!r}: expected an absolute http(s) URL")
    try:
        parts = urllib.parse.urlsplit(url)
        host, _ = parts.hostname, parts.port  # the port must be a number in range
    except ValueError as exc:
        raise InvalidRequestError(f"webhook URL {url[:80]!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidRequestError(
            f"webhook URL {url[:80]!r}: expected https://host/... (http:// to loopback)"
        )
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise InvalidRequestError(f"webhook URL {url[:80]!r}: no user name, password or #fragment")
    if parts.scheme == "http" and not _loopback(host):
        raise InvalidRequestError(
            f"webhook URL {url[:80]!r}: plain http only to a loopback address; use https"
        )
    return url


def webhook_actor(principal: Principal | None, partner_code: str) -> str:
    """The ledger's actor for a change to the webhooks or deliveries of ``partner_code``;
    ForbiddenError unless the caller may make it (the local operator, an administrator,
    a user of that partner other than an observer)."""
    if principal is None:
        return "local"
    if principal.anonymous:
        raise ForbiddenError("managing webhooks needs a user of a partner")
    if not principal.admin:
        if principal.partner != partner_code.strip().upper():
            raise ForbiddenError(f"{principal.email} may manage only {principal.partner}'s")
        if principal.role is Role.OBSERVER:
            raise ForbiddenError(f"{principal.email} is an observer: read only")
    return _actor(principal)


def add_webhook(
    store: Store,
    partner_code: str,
    url: str,
    secret: str | None = None,
    *,
    actor: str = "local",
) -> Webhook:
    """Register a webhook of a partner: every alert raised to the partner from now on is
    POSTed to ``url``, signed with ``secret`` (generated when None: 32 random bytes,
    URL-safe base64).  The answer holds the secret; nothing shows it again."""
    url = checked_url(url)
    if secret is None:
        secret = secrets.token_urlsafe(32)
    elif not 16 <= len(secret) <= 200 or not secret.isprintable():
        raise InvalidRequestError("webhook secret: expected 16 to 200 printable characters")
    now = utcnow()
    with store.transaction() as conn:
        partner_id = _partner_id(conn, partner_code)
        webhook_id = repo.add_webhook(conn, partner_id, url, secret, now)
        row = repo.webhook(conn, webhook_id)
        assert row is not None
        document = {"id": webhook_id, "partner": row.partner_code, "url": url}
        _audit(conn, actor, row.partner_code, "webhook.add", f"webhook:{webhook_id}", document, now)
    return _webhook(row, secret)


def list_webhooks(store: Store, partner_code: str, *, disabled: bool = False) -> list[Webhook]:
    """A partner's enabled webhooks (all of them with ``disabled``), by id, without
    secrets."""
    with store.transaction() as conn:
        rows = repo.webhooks_of(conn, _partner_id(conn, partner_code), disabled=disabled)
    return [_webhook(r) for r in rows]


def remove_webhook(
    store: Store, webhook_id: int, *, partner_code: str | None = None, actor: str = "local"
) -> Webhook:
    """Disable an enabled webhook (of ``partner_code`` only, where given: another
    partner's is a NotFoundError as a missing one is); its pending deliveries become dead
    letters."""
    now = utcnow()
    with store.transaction() as conn:
        row = repo.webhook(conn, webhook_id)
        mine = partner_code is None or (row and row.partner_code == partner_code.upper())
        if row is None or not mine or not repo.disable_webhook(conn, webhook_id, now):
            raise NotFoundError(f"no webhook {webhook_id}")
        repo.abandon_webhook(conn, webhook_id, "webhook removed", now)
        document = {"id": webhook_id, "partner": row.partner_code, "url": row.url}
        _audit(
            conn, actor, row.partner_code, "webhook.remove", f"webhook:{webhook_id}", document, now
        )
        row = repo.webhook(conn, webhook_id)
    assert row is not None
    return _webhook(row)


# -- raising -------------------------------------------------------------------------------


def raise_alert(
    conn: Connection, partner_id: int, kind: str, payload: Any, event_id: int | None = None
) -> int:
    """Insert an alert to a partner and one pending delivery per enabled webhook of that
    partner, in the caller's transaction; return the alert's id.  ``kind`` names the event
    type (lower case, e.g. ``conjunction.red``); ``payload`` is JSON as released to that
    partner.  Call :func:`notify` after the commit.

    On PostgreSQL this holds a lock until the commit, so that alert ids follow commit
    order (readers page by id): raise alerts at the end of a transaction."""
    if not KIND.match(kind):
        raise InvalidRequestError(f"alert kind {kind!r}: expected [a-z][a-z0-9._-]{{0,31}}")
    try:
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"alert payload: not JSON ({exc})") from None
    now = utcnow()
    repo.lock_alert_order(conn)
    alert_id = repo.add_alert(conn, partner_id, kind, payload, event_id, now)
    repo.add_deliveries(conn, alert_id, partner_id, now)
    return alert_id


def raise_alerts(conn: Connection, items: Sequence[tuple[int, str, Any, int | None]]) -> list[int]:
    """:func:`raise_alert` for many alerts at once: ``(partner_id, kind, payload,
    event_id)`` each, inserted with their deliveries in a few statements; their ids."""
    rows = []
    for partner_id, kind, payload, event_id in items:
        if not KIND.match(kind):
            raise InvalidRequestError(f"alert kind {kind!r}: expected [a-z][a-z0-9._-]{{0,31}}")
        try:
            json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidRequestError(f"alert payload: not JSON ({exc})") from None
        rows.append({"partner_id": partner_id, "kind": kind, "payload": payload,
                     "event_id": event_id})  # fmt: skip
    if not rows:
        return []
    repo.lock_alert_order(conn)
    return repo.add_alerts(conn, rows, utcnow())


def publish(
    store: Store, partner_code: str, kind: str, payload: Any, *, event_id: int | None = None
) -> int:
    """Raise an alert to the partner coded ``partner_code`` in a transaction of its own,
    commit and :func:`notify`; return its id."""
    with store.engine.begin() as conn:
        alert_id = raise_alert(conn, _partner_id(conn, partner_code), kind, payload, event_id)
    notify(store)
    return alert_id


def notify(store: Store) -> None:
    """Wake this process's dispatchers and event streams on ``store``'s database: call
    after committing a transaction that raised alerts."""
    signal_of(store).notify()


# -- reading and acknowledging -------------------------------------------------------------


def _reader_partner(
    conn: Connection, principal: Principal | None, partner: str | None
) -> tuple[bool, int | None]:
    """Whether the caller reads any alerts or deliveries here, and of which partner (by
    id; None: of every partner)."""
    if principal is not None:
        if principal.anonymous:
            raise ForbiddenError("reading alerts needs a user of a partner")
        if not principal.admin and partner not in (None, principal.partner):
            return False, None  # another partner's: none for this caller
        partner = partner or principal.partner
    return True, None if partner is None else _partner_id(conn, partner)


def alerts_for(
    store: Store,
    principal: Principal | None,
    after_id: int = 0,
    limit: int = 100,
    *,
    partner: str | None = None,
) -> list[Alert]:
    """Up to ``limit`` alerts with ids above ``after_id``, by id, of the caller's own
    partner (an administrator or the local operator: of ``partner``; the local operator
    without it: of every partner)."""
    with store.transaction() as conn:
        reads, partner_id = _reader_partner(conn, principal, partner)
        if not reads:
            return []
        rows = repo.alerts_after(conn, partner_id, after_id, max(1, min(limit, MAX_LIMIT)))
    return [_alert(r) for r in rows]


def last_alert_id(store: Store, principal: Principal | None, *, partner: str | None = None) -> int:
    """The highest id of an alert :func:`alerts_for` would list (0 without any)."""
    with store.transaction() as conn:
        reads, partner_id = _reader_partner(conn, principal, partner)
        return repo.last_alert_id(conn, partner_id) if reads else 0


def acknowledge(store: Store, principal: Principal | None, alert_id: int) -> Alert:
    """Record that a user of the alert's partner (or the local operator) has seen it; a
    second acknowledgement keeps the first.  Another partner's alert is a NotFoundError (a
    ForbiddenError for an administrator, who may read it); an observer's, ForbiddenError."""
    with store.transaction() as conn:
        row = repo.alert(conn, alert_id)
        if row is not None and principal is not None and principal.partner != row.partner_code:
            if not principal.admin:
                row = None
            else:
                raise ForbiddenError(f"only {row.partner_code}'s users acknowledge its alerts")
        if row is None:
            raise NotFoundError(f"no alert {alert_id}")
        if principal is not None and principal.role is Role.OBSERVER:
            raise ForbiddenError(f"{principal.email} is an observer: read only")
        now, actor = utcnow(), _actor(principal)
        if repo.acknowledge(conn, alert_id, actor, now):
            document = {"alert": alert_id, "by": actor, "at": now.isoformat()}
            _audit(conn, actor, row.partner_code, "alert.ack", f"alert:{alert_id}", document, now)
            row = repo.alert(conn, alert_id)
    assert row is not None
    return _alert(row)


# -- deliveries ----------------------------------------------------------------------------


def deliveries(
    store: Store,
    principal: Principal | None,
    *,
    status: str | None = None,
    alert_id: int | None = None,
    after_id: int = 0,
    limit: int = 100,
    partner: str | None = None,
) -> list[Delivery]:
    """Up to ``limit`` deliveries by id above ``after_id`` to the webhooks of the caller's
    partner (as :func:`alerts_for` chooses it), in ``status`` and of ``alert_id`` where
    given."""
    if status not in (None, repo.PENDING, repo.DELIVERED, repo.DEAD):
        raise InvalidRequestError(f"delivery status {status!r}: pending, delivered or dead")
    with store.transaction() as conn:
        reads, partner_id = _reader_partner(conn, principal, partner)
        if not reads:
            return []
        rows = repo.deliveries_of(
            conn, partner_id, status=status, alert_id=alert_id, after_id=after_id,
            limit=max(1, min(limit, MAX_LIMIT)),
        )  # fmt: skip
    return [_delivery(r) for r in rows]


def dead_letters(store: Store, principal: Principal | None, **options: Any) -> list[Delivery]:
    """The dead deliveries the caller may see (options as :func:`deliveries`)."""
    return deliveries(store, principal, status=repo.DEAD, **options)


def _visible_delivery(conn: Connection, principal: Principal | None, delivery_id: int) -> Any:
    row = repo.delivery(conn, delivery_id)
    if row is None or (
        principal is not None and not principal.admin and principal.partner != row.partner_code
    ):
        raise NotFoundError(f"no delivery {delivery_id}")
    return row


def delivery_status(store: Store, principal: Principal | None, delivery_id: int) -> Delivery:
    """One delivery the caller may see (another partner's is a NotFoundError)."""
    with store.transaction() as conn:
        return _delivery(_visible_delivery(conn, principal, delivery_id))


def redeliver(store: Store, principal: Principal | None, delivery_id: int) -> Delivery:
    """Make a dead delivery pending again, due now: the dispatcher makes one more attempt
    (and, if it fails, the delivery is dead again).  A delivery that is not dead, or whose
    webhook was removed, is a ConflictError."""
    now = utcnow()
    with store.transaction() as conn:
        row = _visible_delivery(conn, principal, delivery_id)
        actor = webhook_actor(principal, row.partner_code)
        hook = repo.webhook(conn, row.webhook_id)
        if hook is not None and hook.disabled_at is not None:
            raise ConflictError(f"delivery {delivery_id}: its webhook was removed")
        if not repo.revive(conn, delivery_id, now):
            raise ConflictError(
                f"delivery {delivery_id} is {row.status}: only a dead delivery is retried"
            )
        document = {"delivery": delivery_id, "alert": row.alert_id, "by": actor}
        _audit(
            conn,
            actor,
            row.partner_code,
            "delivery.retry",
            f"delivery:{delivery_id}",
            document,
            now,
        )
        row = repo.delivery(conn, delivery_id)
    notify(store)
    assert row is not None
    return _delivery(row)
