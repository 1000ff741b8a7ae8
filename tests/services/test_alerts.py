"""Alerts and their webhook deliveries on real stores (SQLite and PostgreSQL), delivered over
real loopback HTTP to receivers that check each signature: retries, dead letters, restarts,
leases and two dispatchers on one database."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from accord.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from accord.policy.trust import digest
from accord.services import alerts, audit, federation
from accord.services.access import principal_for
from accord.services.store import Store, open_store, utcnow
from accord.services.webhooks import backoff_s, sign
from accord.storage import alerts as repo
from accord.storage import repositories
from tests.served import free_port
from tests.webhook_receiver import Receiver

# Backend-independent HTTP behaviour runs on SQLite only; the same statements run on
# PostgreSQL in the other tests (claims, outcomes, restarts, leases, two dispatchers).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
QUICK = {"base_delay_s": 0.02, "max_delay_s": 0.1, "poll_s": 0.05, "timeout_s": 2.0}


@pytest.fixture
def partners(store: Store) -> Store:
    for code in ("DEU", "ITA"):
        federation.add_partner(store, code, code)
    for email, code, role in [("ops@deu.example", "DEU", "operator"),
                              ("watch@deu.example", "DEU", "observer"),
                              ("ops@ita.example", "ITA", "operator"),
                              ("boss@ita.example", "ITA", "admin")]:  # fmt: skip
        federation.add_user(store, email, code, role)
    return store


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def _hook(store: Store, receiver: Receiver, partner: str = "DEU") -> alerts.Webhook:
    made = alerts.add_webhook(store, partner, receiver.url)
    assert made.secret is not None
    receiver.secret = made.secret
    return made


def _deliveries(store: Store) -> list[alerts.Delivery]:
    return alerts.deliveries(store, None, limit=1000)


def test_webhooks_are_added_listed_removed_and_audited(partners: Store) -> None:
    store = partners
    made = alerts.add_webhook(store, "deu", "https://ops.deu.example/accord")
    chosen = alerts.add_webhook(store, "DEU", "http://127.0.0.1:9/x", "s" * 16, actor="ops")
    assert made.partner == "DEU" and len(made.secret or "") == 43  # 32 bytes, base64url
    assert chosen.secret == "s" * 16
    listed = alerts.list_webhooks(store, "DEU")
    assert [w.id for w in listed] == [made.id, chosen.id]
    assert all(w.secret is None for w in listed)  # shown once, at creation
    assert alerts.list_webhooks(store, "ITA") == []
    with pytest.raises(NotFoundError):
        alerts.remove_webhook(store, made.id, partner_code="ITA")  # another partner's
    removed = alerts.remove_webhook(store, made.id, actor="ops")
    assert removed.disabled is not None
    assert [w.id for w in alerts.list_webhooks(store, "DEU")] == [chosen.id]
    assert len(alerts.list_webhooks(store, "DEU", disabled=True)) == 2
    with pytest.raises(NotFoundError):
        alerts.remove_webhook(store, made.id)  # removed already
    entries = [(e.action, e.subject, e.actor) for e in audit.log(store, action="webhook.")]
    assert entries == [("webhook.add", f"webhook:{made.id}", "local"),
                       ("webhook.add", f"webhook:{chosen.id}", "ops"),
                       ("webhook.remove", f"webhook:{made.id}", "ops")]  # fmt: skip
    assert audit.verify(store) is None
    with pytest.raises(NotFoundError):
        alerts.add_webhook(store, "NOPE", "https://x.example/")


@pytest.mark.parametrize(
    "url",
    ["ftp://x.example/", "https://", "x.example/hook", "http://ops.deu.example/hook",
     "https://user:pw@x.example/", "https://x.example/#f", "https://x.example:99999/",
     "https://x.example/a b", ""],
)  # fmt: skip
def test_webhook_urls_are_checked(url: str) -> None:
    with pytest.raises(InvalidRequestError):
        alerts.checked_url(url)


def test_loopback_may_be_plain_http() -> None:
    for url in ("http://127.0.0.1:8080/a", "http://localhost/a", "http://[::1]:1/",
                "https://ops.deu.example:8443/accord?x=1"):  # fmt: skip
        assert alerts.checked_url(f" {url} ") == url


def test_an_alert_and_its_deliveries_share_the_callers_transaction(partners: Store) -> None:
    store = partners
    first = alerts.add_webhook(store, "DEU", "https://a.deu.example/")
    second = alerts.add_webhook(store, "DEU", "https://b.deu.example/")
    gone = alerts.add_webhook(store, "DEU", "https://c.deu.example/")
    alerts.remove_webhook(store, gone.id)
    alerts.add_webhook(store, "ITA", "https://ita.example/")
    with store.engine.connect() as conn:
        deu = repositories.partner_by_code(conn, "DEU")
    assert deu is not None
    with pytest.raises(RuntimeError), store.engine.begin() as conn:
        alerts.raise_alert(conn, deu.id, "conjunction.red", {"pc": 1e-3})
        raise RuntimeError("the caller fails before committing")
    assert alerts.alerts_for(store, None) == [] and _deliveries(store) == []
    with store.engine.begin() as conn:
        alert_id = alerts.raise_alert(conn, deu.id, "conjunction.red", {"pc": 1e-3}, None)
    rows = _deliveries(store)
    assert sorted(d.webhook_id for d in rows) == [first.id, second.id]
    assert {(d.alert_id, d.status, d.attempts) for d in rows} == {(alert_id, "pending", 0)}
    with pytest.raises(InvalidRequestError), store.engine.begin() as conn:
        alerts.raise_alert(conn, deu.id, "Bad Kind\n", {})
    with pytest.raises(InvalidRequestError), store.engine.begin() as conn:
        alerts.raise_alert(conn, deu.id, "x", {"pc": float("nan")})


def test_a_delivery_is_signed_and_carries_the_alert(partners: Store, receiver: Receiver) -> None:
    store = partners
    hook = _hook(store, receiver)
    payload = {"tca": "2026-12-07T10:00:00Z", "miss_km": 0.42, "objects": [25544, 48274]}
    with alerts.Dispatcher(store, **QUICK):
        alert_id = alerts.publish(store, "DEU", "conjunction.red", payload, event_id=None)
        assert receiver.wait_for(1)
    (got,) = receiver.received
    assert receiver.bad_signatures == 0
    headers, body = got["headers"], got["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Accord-Alert-Id"] == str(alert_id)
    assert headers["X-Accord-Signature"].startswith("sha256=")
    assert abs(int(headers["X-Accord-Timestamp"]) - utcnow().timestamp()) < 3600 * 24
    assert body["id"] == alert_id and body["partner"] == "DEU"
    assert body["kind"] == "conjunction.red" and body["payload"] == payload
    (delivery,) = _deliveries(store)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 1, 200)
    assert delivery.webhook_id == hook.id and delivery.delivered is not None


@SQLITE_ONLY
def test_a_receiver_down_then_up_gets_the_alert_later(partners: Store) -> None:
    store = partners
    port = free_port()
    made = alerts.add_webhook(store, "DEU", f"http://127.0.0.1:{port}/hook")
    with alerts.Dispatcher(store, **QUICK):
        alert_id = alerts.publish(store, "DEU", "conjunction.amber", {"n": 1})
        _wait(lambda: _deliveries(store)[0].attempts >= 2)
        (failing,) = _deliveries(store)
        assert failing.status == "pending" and failing.last_status is None
        assert "Connect" in (failing.last_error or "")  # connection refused
        receiver = Receiver(made.secret or "").start(port)
        try:
            assert receiver.wait_for(1)
        finally:
            receiver.stop()
    assert receiver.accepted == {alert_id: 1}
    (done,) = _deliveries(store)
    assert done.status == "delivered" and done.attempts >= 2 and done.last_error is None


@SQLITE_ONLY
def test_server_errors_are_retried_then_delivered(partners: Store) -> None:
    store = partners
    receiver = Receiver(statuses=(500, 502, 503)).start()
    try:
        _hook(store, receiver)
        with alerts.Dispatcher(store, **QUICK):
            alert_id = alerts.publish(store, "DEU", "conjunction.red", {"n": 2})
            assert receiver.wait_for(1)
    finally:
        receiver.stop()
    assert [r["status"] for r in receiver.received] == [500, 502, 503, 200]
    assert [r["headers"]["X-Accord-Attempt"] for r in receiver.received] == ["1", "2", "3", "4"]
    assert receiver.accepted == {alert_id: 1} and receiver.bad_signatures == 0
    (done,) = _deliveries(store)
    assert (done.status, done.attempts, done.last_status) == ("delivered", 4, 200)


def test_a_receiver_that_always_fails_makes_a_dead_letter(partners: Store) -> None:
    store = partners
    receiver = Receiver(default=500).start()
    try:
        _hook(store, receiver)
        deu = principal_for(store, email="ops@deu.example")
        with alerts.Dispatcher(store, max_attempts=3, **QUICK) as dispatcher:
            alerts.publish(store, "DEU", "conjunction.red", {"n": 3})
            _wait(lambda: _deliveries(store)[0].status == "dead")
            assert dispatcher.counts == {"delivered": 0, "retried": 2, "dead": 1}
            (letter,) = alerts.dead_letters(store, deu)
            assert (letter.attempts, letter.last_status) == (3, 500)
            assert letter.last_error == "HTTP 500: no"
            assert len(receiver.received) == 3
            assert alerts.dead_letters(store, principal_for(store, email="ops@ita.example")) == []
            with pytest.raises(NotFoundError):
                alerts.redeliver(store, principal_for(store, email="ops@ita.example"), letter.id)
            with pytest.raises(ForbiddenError):
                alerts.redeliver(store, principal_for(store, email="watch@deu.example"), letter.id)
            receiver.default = 200  # the receiver is fixed: one more attempt delivers it
            again = alerts.redeliver(store, deu, letter.id)
            assert again.status == "pending"
            assert receiver.wait_for(1)
            _wait(lambda: alerts.delivery_status(store, deu, letter.id).status == "delivered")
            with pytest.raises(ConflictError):
                alerts.redeliver(store, deu, letter.id)  # not dead
    finally:
        receiver.stop()
    assert alerts.delivery_status(store, deu, letter.id).attempts == 4
    assert [e.action for e in audit.log(store, action="delivery.")] == ["delivery.retry"]


def test_backoff_doubles_from_the_base_up_to_the_cap_with_equal_jitter() -> None:
    assert [backoff_s(n, 1.0, 300.0, draw=1.0) for n in (1, 2, 3, 4, 9, 10, 20)] == [
        1.0, 2.0, 4.0, 8.0, 256.0, 300.0, 300.0]  # fmt: skip
    assert [backoff_s(n, 1.0, 300.0, draw=0.0) for n in (1, 2, 10)] == [0.5, 1.0, 150.0]
    draws = [backoff_s(3, 1.0, 300.0) for _ in range(200)]
    assert 2.0 <= min(draws) < max(draws) <= 4.0


def test_signatures_verify_as_documented() -> None:
    secret, stamp = "whsec-test-0123456789", 1_700_000_000
    body = b'{"id":1,"kind":"conjunction.red"}'
    # printf '%s' '1700000000.{"id":1,"kind":"conjunction.red"}' |
    #     openssl dgst -sha256 -hmac 'whsec-test-0123456789'
    expected = "sha256=b386734c0f69eccd2092fe8a3ffa844d8303cf24dc58baae769ea67dc598607c"
    assert sign(secret, stamp, body) == expected
    assert alerts.verify_signature(secret, str(stamp), body, expected, now=stamp + 10)
    assert alerts.verify_signature(secret, stamp, body.decode(), expected, now=stamp - 299)
    assert not alerts.verify_signature(secret, stamp, body + b" ", expected, now=stamp)
    assert not alerts.verify_signature("another-secret-0000", stamp, body, expected, now=stamp)
    assert not alerts.verify_signature(secret, stamp + 1, body, expected, now=stamp)
    assert not alerts.verify_signature(secret, stamp, body, expected, now=stamp + 301)
    assert alerts.verify_signature(secret, stamp, body, expected, tolerance_s=None)
    assert not alerts.verify_signature(secret, "17e8", body, expected, tolerance_s=None)
    assert not alerts.verify_signature(secret, stamp, body, expected[7:], now=stamp)


def test_pending_deliveries_survive_a_restart(partners: Store) -> None:
    store = partners
    port = free_port()
    made = alerts.add_webhook(store, "DEU", f"http://127.0.0.1:{port}/hook")
    first = alerts.Dispatcher(store, **QUICK).start()
    ids = [alerts.publish(store, "DEU", "conjunction.red", {"n": n}) for n in range(5)]
    _wait(lambda: all(d.attempts >= 1 for d in _deliveries(store)))
    first.stop()  # the server stops with every delivery pending (the receiver is down)
    assert not first.running
    assert {d.status for d in _deliveries(store)} == {"pending"}
    store.close()

    restarted = open_store(store.settings)  # a new process would open the same database
    receiver = Receiver(made.secret or "").start(port)
    try:
        with alerts.Dispatcher(restarted, **QUICK):
            assert receiver.wait_for(len(ids))
            _wait(lambda: {d.status for d in _deliveries(restarted)} == {"delivered"})
    finally:
        receiver.stop()
        restarted.close()
    assert receiver.accepted == dict.fromkeys(ids, 1)  # each exactly once


def test_a_dead_claimers_lease_expires_and_its_late_outcome_is_ignored(
    partners: Store, receiver: Receiver
) -> None:
    store = partners
    _hook(store, receiver)
    alert_id = alerts.publish(store, "DEU", "conjunction.red", {"n": 4})
    now = utcnow()
    with store.engine.begin() as conn:  # a dispatcher claims it, then dies
        (claimed,) = repo.claim_due(conn, now, now + timedelta(seconds=0.8), 10)
    with alerts.Dispatcher(store, **QUICK):
        assert not receiver.wait_for(1, timeout_s=0.4)  # leased: nobody else attempts it
        assert receiver.wait_for(1, timeout_s=10)  # the lease ended: attempted again
        _wait(lambda: _deliveries(store)[0].status == "delivered")
    with store.engine.begin() as conn:  # the dead claimer's outcome comes too late
        assert not repo.mark_retry(conn, claimed.id, claimed.attempts, 500, "late", now)
    (done,) = _deliveries(store)
    assert (done.status, done.attempts) == ("delivered", 2)
    assert receiver.accepted == {alert_id: 1}


def test_two_dispatchers_on_one_database_never_deliver_twice(
    partners: Store, receiver: Receiver
) -> None:
    store = partners
    _hook(store, receiver)
    other = open_store(store.settings)  # another server process's store
    try:
        with alerts.Dispatcher(store, **QUICK), alerts.Dispatcher(other, batch=2, **QUICK):
            ids = [alerts.publish(s, "DEU", "conjunction.red", {"n": n})
                   for n, s in enumerate([store, other] * 20)]  # fmt: skip
            assert receiver.wait_for(len(ids))
            _wait(lambda: {d.status for d in _deliveries(store)} == {"delivered"})
    finally:
        other.close()
    assert receiver.accepted == dict.fromkeys(ids, 1)
    assert len(receiver.received) == len(ids)  # not one repeated attempt
    assert {d.attempts for d in _deliveries(store)} == {1}


def test_alerts_are_read_by_their_partner_and_acknowledged_once(partners: Store) -> None:
    store = partners
    deu, ita = (principal_for(store, email=e) for e in ("ops@deu.example", "ops@ita.example"))
    watcher = principal_for(store, email="watch@deu.example")
    admin = principal_for(store, email="boss@ita.example")
    ids = [alerts.publish(store, code, "conjunction.amber", {"k": k})
           for k, code in enumerate(["DEU", "ITA", "DEU", "DEU"])]  # fmt: skip
    assert [a.id for a in alerts.alerts_for(store, deu)] == [ids[0], ids[2], ids[3]]
    assert [a.id for a in alerts.alerts_for(store, deu, after_id=ids[0], limit=1)] == [ids[2]]
    assert [a.payload for a in alerts.alerts_for(store, watcher)] == [{"k": 0}, {"k": 2}, {"k": 3}]
    assert alerts.alerts_for(store, ita, partner="DEU") == []  # not its partner's
    assert [a.id for a in alerts.alerts_for(store, admin, partner="DEU")] == [ids[0], *ids[2:]]
    assert len(alerts.alerts_for(store, None)) == 4  # the local operator reads every alert
    assert alerts.last_alert_id(store, deu) == ids[3]
    assert alerts.last_alert_id(store, ita) == ids[1]

    with pytest.raises(NotFoundError):
        alerts.acknowledge(store, ita, ids[0])  # another partner's: as if missing
    with pytest.raises(ForbiddenError):
        alerts.acknowledge(store, admin, ids[0])  # visible to an administrator, not its own
    with pytest.raises(ForbiddenError):
        alerts.acknowledge(store, watcher, ids[0])  # an observer reads only
    with pytest.raises(NotFoundError):
        alerts.acknowledge(store, deu, 10_000)
    done = alerts.acknowledge(store, deu, ids[0])
    assert done.acknowledged_by == "ops@deu.example" and done.acknowledged is not None
    again = alerts.acknowledge(store, deu, ids[0])
    assert again.acknowledged == done.acknowledged  # the first acknowledgement stays
    (entry,) = audit.log(store, action="alert.ack")
    assert (entry.subject, entry.actor, entry.partner) == (
        f"alert:{ids[0]}", "ops@deu.example", "DEU")  # fmt: skip
    document = {"alert": ids[0], "by": "ops@deu.example", "at": done.acknowledged.isoformat()}
    assert entry.digest == digest(json.dumps(document, sort_keys=True,
                                                   separators=(",", ":")).encode())  # fmt: skip


def _wait(condition: object, timeout_s: float = 10.0) -> None:
    """Wait until ``condition()`` holds (polling the store), or fail."""
    done = threading.Event()
    for _ in range(int(timeout_s / 0.02)):
        if condition():  # type: ignore[operator]
            return
        done.wait(0.02)
    raise AssertionError("condition not met in time")
