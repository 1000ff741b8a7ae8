"""Alerts over the REST API on real stores (SQLite and PostgreSQL): the partner's alerts,
acknowledgement, webhooks and dead letters through the routes, the dispatcher started with
the application, and the server-sent-event stream read from a real uvicorn server on
loopback (WHATWG HTML, 9.2: ``id``/``event``/``data`` fields, ``Last-Event-ID``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from accord.api.app import create_app
from accord.services import alerts, federation
from accord.services.store import Store, init_store
from accord.settings import Settings
from accord.storage import repositories
from tests.served import Served
from tests.webhook_receiver import Receiver

# Routes whose statements the service tests run on both backends run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
QUICK = {"base_delay_s": 0.02, "max_delay_s": 0.1, "poll_s": 0.05, "timeout_s": 2.0}
USERS = {"deu": ("DEU", "operator"), "watch": ("DEU", "observer"), "ita": ("ITA", "operator")}


class Api:
    """A store with two partners, an API key per user and a client (no dispatcher)."""

    def __init__(self, store: Store) -> None:
        for code in ("DEU", "ITA"):
            federation.add_partner(store, code, code)
        self.keys = {}
        for user, (code, role) in USERS.items():
            federation.add_user(store, f"{user}@example.org", code, role)
            self.keys[user] = federation.create_key(store, f"{user}@example.org")
        self.store = Store(store.settings.model_copy(update={"alerts_dispatch": False}),
                           store.engine)  # fmt: skip
        self.client = TestClient(create_app(store=self.store))

    def headers(self, user: str | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.keys[user]}"}

    def call(self, method: str, path: str, user: str | None, **options: Any) -> Any:
        return self.client.request(method, path, headers=self.headers(user), **options)


@pytest.fixture
def api(store: Store) -> Api:
    return Api(store)


def test_the_partners_alerts_are_paged_by_id(api: Api) -> None:
    ids = [alerts.publish(api.store, code, "conjunction.amber", {"k": k})
           for k, code in enumerate(["DEU", "ITA", "DEU", "DEU"])]  # fmt: skip
    page = api.call("GET", "/api/v1/alerts", "deu", params={"limit": 2}).json()
    assert [a["id"] for a in page["items"]] == [ids[0], ids[2]]
    assert page["last_id"] == ids[2] and page["more"] is True
    first = page["items"][0]
    assert first == {"id": ids[0], "partner": "DEU", "kind": "conjunction.amber",
                     "event_id": None, "created": first["created"], "payload": {"k": 0},
                     "acknowledged": None, "acknowledged_by": None}  # fmt: skip
    rest = api.call("GET", "/api/v1/alerts", "watch", params={"after": ids[2]}).json()
    assert [a["id"] for a in rest["items"]] == [ids[3]] and rest["more"] is False
    empty = api.call("GET", "/api/v1/alerts", "deu", params={"after": ids[3]}).json()
    assert empty == {"items": [], "last_id": ids[3], "more": False}
    ita = api.call("GET", "/api/v1/alerts", "ita").json()
    assert [a["id"] for a in ita["items"]] == [ids[1]]
    assert api.call("GET", "/api/v1/alerts", None).status_code == 401
    assert api.call("GET", "/api/v1/alerts", "deu", params={"after": -1}).status_code == 422


def test_only_the_recipient_acknowledges(api: Api) -> None:
    alert_id = alerts.publish(api.store, "DEU", "conjunction.red", {"pc": 2e-4})
    path = f"/api/v1/alerts/{alert_id}/ack"
    assert api.call("POST", path, None).status_code == 401
    refused = api.call("POST", path, "ita")
    assert refused.status_code == 404  # another partner's alert: as if it did not exist
    assert refused.json()["error"]["code"] == "not_found"
    assert api.call("POST", "/api/v1/alerts/999999/ack", "deu").status_code == 404
    assert api.call("POST", path, "watch").status_code == 403  # observers read only
    done = api.call("POST", path, "deu")
    assert done.status_code == 200
    body = done.json()
    assert body["id"] == alert_id and body["acknowledged_by"] == "deu@example.org"
    again = api.call("POST", path, "deu").json()
    assert again["acknowledged"] == body["acknowledged"]
    listed = api.call("GET", "/api/v1/alerts", "deu").json()["items"]
    assert listed[0]["acknowledged"] == body["acknowledged"]


@SQLITE_ONLY
def test_webhooks_are_managed_by_their_partner(api: Api) -> None:
    made = api.call("POST", "/api/v1/webhooks", "deu",
                    json={"url": "https://ops.deu.example/accord"})  # fmt: skip
    assert made.status_code == 201
    hook = made.json()
    assert hook["partner"] == "DEU" and len(hook["secret"]) == 43 and hook["disabled"] is None
    chosen = api.call("POST", "/api/v1/webhooks", "deu",
                      json={"url": "http://127.0.0.1:9/h", "secret": "x" * 20}).json()  # fmt: skip
    assert chosen["secret"] == "x" * 20
    listed = api.call("GET", "/api/v1/webhooks", "watch").json()
    assert [w["id"] for w in listed] == [hook["id"], chosen["id"]]
    assert all("secret" not in w for w in listed)
    assert api.call("GET", "/api/v1/webhooks", "ita").json() == []
    assert api.call("POST", "/api/v1/webhooks", "watch",
                    json={"url": "https://x.example/"}).status_code == 403  # fmt: skip
    bad = api.call("POST", "/api/v1/webhooks", "deu", json={"url": "http://x.example/"})
    assert bad.status_code == 422 and "loopback" in bad.json()["error"]["message"]
    short = api.call("POST", "/api/v1/webhooks", "deu", json={"url": "https://x.example/",
                                                              "secret": "short"})  # fmt: skip
    assert short.status_code == 422
    assert api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", "ita").status_code == 404
    assert api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", "watch").status_code == 403
    assert api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", "deu").status_code == 204
    assert api.call("DELETE", f"/api/v1/webhooks/{hook['id']}", "deu").status_code == 404
    assert [w["id"] for w in api.call("GET", "/api/v1/webhooks", "deu").json()] == [chosen["id"]]


def test_dead_letters_are_listed_and_retried(api: Api) -> None:
    receiver = Receiver(default=500).start()
    try:
        made = api.call("POST", "/api/v1/webhooks", "deu", json={"url": receiver.url}).json()
        receiver.secret = made["secret"]
        with alerts.Dispatcher(api.store, max_attempts=2, **QUICK):
            alert_id = alerts.publish(api.store, "DEU", "conjunction.red", {"n": 1})
            dead = _until(lambda: api.call("GET", "/api/v1/webhooks/deliveries", "deu",
                                           params={"status": "dead"}).json()["items"])  # fmt: skip
            (letter,) = dead
            assert (letter["alert_id"], letter["attempts"], letter["last_status"]) == (
                alert_id, 2, 500)  # fmt: skip
            assert letter["url"] == receiver.url and letter["status"] == "dead"
            assert api.call("GET", "/api/v1/webhooks/deliveries", "ita").json()["items"] == []
            retry = f"/api/v1/webhooks/deliveries/{letter['id']}/retry"
            assert api.call("POST", retry, "ita").status_code == 404
            assert api.call("POST", retry, "watch").status_code == 403
            receiver.default = 204
            again = api.call("POST", retry, "deu")
            assert again.status_code == 202 and again.json()["status"] == "pending"
            assert receiver.wait_for(1)
            one = f"/api/v1/webhooks/deliveries/{letter['id']}"
            _until(lambda: api.call("GET", one, "deu").json()["status"] == "delivered")
            assert api.call("GET", one, "ita").status_code == 404
            assert api.call("POST", retry, "deu").status_code == 409  # not dead any more
    finally:
        receiver.stop()
    assert receiver.accepted == {alert_id: 1} and receiver.bad_signatures == 0


@SQLITE_ONLY
def test_the_dispatcher_runs_with_the_application(store: Store, receiver: Receiver) -> None:
    federation.add_partner(store, "DEU", "DEU")
    receiver.secret = alerts.add_webhook(store, "DEU", receiver.url).secret or ""
    app = create_app(store=store)
    with TestClient(app):
        dispatcher = app.state.dispatcher
        assert dispatcher is not None and dispatcher.running
        alert_id = alerts.publish(store, "DEU", "conjunction.red", {"n": 1})
        assert receiver.wait_for(1)
    assert not dispatcher.running  # stopped at shutdown
    assert receiver.accepted == {alert_id: 1}
    quiet = create_app(store=Store(store.settings.model_copy(update={"alerts_dispatch": False}),
                                   store.engine))  # fmt: skip
    with TestClient(quiet):
        assert quiet.state.dispatcher is None


def test_alert_routes_conform_to_their_schema_for_a_member(tmp_path: Any) -> None:
    """tests/api/test_schema.py calls every route anonymously; here a partner's user calls
    the alert routes (but the endless stream), on alerts, webhooks and dead letters."""
    store = init_store(Settings(home=tmp_path / "home", api_quota=100_000, api_class_quotas={},
                                alerts_dispatch=False))  # fmt: skip
    try:
        api = Api(store)
        alerts.add_webhook(api.store, "DEU", "https://ops.deu.example/")
        ids = [alerts.publish(api.store, "DEU", "conjunction.red", {"k": k, "v": [1.5, None]})
               for k in range(3)]  # fmt: skip
        alerts.acknowledge(api.store, None, ids[0])
        schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
        failures, checked = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            path = operation.path
            if not path.startswith(("/api/v1/alerts", "/api/v1/webhooks")) or "stream" in path:
                continue

            @given(case=operation.as_strategy())
            @settings(max_examples=10, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def check(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=api.headers("deu"))

            try:
                check()
            except Exception as error:  # every operation's failure, then all of them
                failures.append(f"{operation.label}: {error}")
            checked += 1
        assert checked == 8 and not failures, "\n\n".join(failures)
    finally:
        store.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


# -- the event stream ------------------------------------------------------------------------


def _blocks(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Events of a text/event-stream (comments under ``":"``)."""
    block: dict[str, Any] = {}
    for line in lines:
        if not line:
            yield block
            block = {}
            continue
        field, _, value = line.partition(":")
        if field == "":
            block.setdefault(":", []).append(value.strip())
        else:
            block[field] = value.removeprefix(" ")


def _next_event(blocks: Iterator[dict[str, Any]]) -> dict[str, Any]:
    for block in blocks:
        if "data" in block:
            return {**block, "data": json.loads(block["data"])}
    raise AssertionError("the stream ended")


def test_alerts_stream_as_server_sent_events(api: Api) -> None:
    store = Store(api.store.settings.model_copy(update={"alerts_heartbeat_s": 0.3}),
                  api.store.engine)  # fmt: skip
    server = Served(create_app(store=store), lifespan="off")
    base = f"{server.base}/api/v1/alerts/stream"
    with httpx.Client(timeout=5.0) as client:
        assert client.get(base).status_code == 401
        bad = client.get(base, headers={**api.headers("deu"), "Last-Event-ID": "x"})
        assert bad.status_code == 422
        earlier = alerts.publish(store, "DEU", "conjunction.amber", {"n": 0})
        with client.stream("GET", base, headers=api.headers("deu")) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            blocks = _blocks(response.iter_lines())
            opening = next(blocks)  # sent once the stream's cursor is fixed
            assert opening["retry"] == "2000"
            first = alerts.publish(store, "DEU", "conjunction.red", {"n": 1})
            alerts.publish(store, "ITA", "conjunction.red", {"n": "not DEU's"})
            second = alerts.publish(store, "DEU", "conjunction.amber", {"n": 2})
            got = [_next_event(blocks), _next_event(blocks)]
            assert [(e["id"], e["event"]) for e in got] == [
                (str(first), "conjunction.red"), (str(second), "conjunction.amber")]  # fmt: skip
            assert got[0]["data"]["payload"] == {"n": 1} and got[0]["data"]["partner"] == "DEU"
            with store.engine.begin() as conn:  # as another server process would: no wake-up
                deu = repositories.partner_by_code(conn, "DEU")
                assert deu is not None
                third = alerts.raise_alert(conn, deu.id, "conjunction.red", {"n": 3})
            assert _next_event(blocks)["id"] == str(third)  # found by polling
            beat = next(blocks)
            assert beat == {":": ["heartbeat"]}
        # reconnecting with the last id seen resumes after it (the header beats `after`)
        resumed = {**api.headers("deu"), "Last-Event-ID": str(first)}
        with client.stream("GET", base, headers=resumed, params={"after": 0}) as response:
            blocks = _blocks(response.iter_lines())
            assert [_next_event(blocks)["id"] for _ in range(2)] == [str(second), str(third)]
        with client.stream("GET", base, headers=api.headers("deu"),
                           params={"after": 0}) as response:  # fmt: skip
            blocks = _blocks(response.iter_lines())
            assert _next_event(blocks)["id"] == str(earlier)
    assert server.stop()  # every stream ended with its client


def _until(condition: Any, timeout_s: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")
