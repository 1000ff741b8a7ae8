"""Coordination end to end over the REST API, on a real uvicorn server on loopback with the
store on SQLite and on PostgreSQL.

Two operators of different nations, CNES (France) and JAXA (Japan), fly STARLINK-2742
(48688) and STARLINK-36046 (66810), whose real element sets of 2026-03-04 (the demo
catalogue) pass 0.46 km apart; UNOOSA is the mediator their agreements name.  The screening
makes an event; both operators are alerted by signed webhook (the test's receivers verify
the HMAC-SHA256 signature) and by server-sent events; CNES claims the manoeuvre and proposes
it as a candidate OEM, which is screened against the catalogue and found clear; JAXA
accepts; CNES closes the event; the ledger holds each step and verifies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from accord.api.app import create_app
from accord.formats.cdm import load_cdm
from accord.services import alerts, audit, federation
from accord.services.ingest import ingest_bytes
from accord.services.screening import screen_catalogue, screen_element_sets
from accord.services.store import Store
from tests.ephemerides import demo_catalogue_without, demo_elements, demo_object, oem_bytes
from tests.served import Served
from tests.webhook_receiver import Receiver

CNES_SAT, JAXA_SAT = 48688, 66810
QUICK = {"base_delay_s": 0.02, "max_delay_s": 0.1, "poll_s": 0.05, "timeout_s": 2.0}
USERS = {"cnes": ("ops@cnes.fr", "CNES", "operator"), "jaxa": ("ops@jaxa.jp", "JAXA", "operator"),
         "unoosa": ("desk@unoosa.org", "UNOOSA", "analyst"),
         "admin": ("root@admins.org", "ADMINS", "admin")}  # fmt: skip


def _tca() -> datetime:
    records = [es for es in demo_elements() if es.norad_cat_id in (CNES_SAT, JAXA_SAT)]
    found = screen_element_sets(records, window=timedelta(hours=12)).conjunctions
    return min(found, key=lambda c: c.miss_distance_km).tca


TCA = _tca()


class Federation:
    """The store, the partners' API keys, a uvicorn server on loopback, and a client."""

    def __init__(self, store: Store) -> None:
        self.store = Store(store.settings.model_copy(update={"alerts_heartbeat_s": 0.3,
                                                             "alerts_dispatch": False}),
                           store.engine)  # fmt: skip
        for code, country in (("CNES", "FR"), ("JAXA", "JP"), ("UNOOSA", None), ("ADMINS", None)):
            federation.add_partner(store, code, code, country=country)
        ingest_bytes(store, demo_catalogue_without(CNES_SAT, JAXA_SAT), releasability="public")
        ingest_bytes(store, demo_object(CNES_SAT), source="CNES")
        ingest_bytes(store, demo_object(JAXA_SAT), source="JAXA")
        classes = ["element-sets", "ephemerides", "manoeuvre-plans"]
        for provider, recipient in (("CNES", "JAXA"), ("JAXA", "CNES")):
            federation.add_agreement(store, provider, [recipient], classes, "full",
                                     mediator="UNOOSA")  # fmt: skip
        self.keys = {}
        for user, (email, code, role) in USERS.items():
            federation.add_user(store, email, code, role)
            self.keys[user] = federation.create_key(store, email, ("read", "submit"))
        self.served = Served(create_app(store=self.store), lifespan="off")
        self.base = self.served.base
        self.client = httpx.Client(base_url=self.base, timeout=60.0)

    def call(self, method: str, path: str, user: str | None, **options: Any) -> httpx.Response:
        headers = {} if user is None else {"Authorization": f"Bearer {self.keys[user]}"}
        headers |= options.pop("headers", {})
        return self.client.request(method, path, headers=headers, **options)

    def stop(self) -> None:
        self.client.close()
        self.served.stop()


@pytest.fixture
def fed(store: Store) -> Iterator[Federation]:
    f = Federation(store)
    yield f
    f.stop()


def _events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The events of a text/event-stream, with their data parsed."""
    block: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in block:
                yield {**block, "data": json.loads(block["data"])}
            block = {}
            continue
        field, _, value = line.partition(":")
        if field:
            block[field] = value.removeprefix(" ")


def _candidate(drift: float = 1e-4) -> bytes:
    (es,) = [e for e in demo_elements() if e.norad_cat_id == CNES_SAT]
    return oem_bytes(es, TCA - timedelta(hours=12), TCA + timedelta(hours=12),
                     manoeuvre_at=TCA - timedelta(hours=6), drift=drift)  # fmt: skip


def test_two_operators_coordinate_a_conjunction_end_to_end(fed: Federation) -> None:
    # the operators declare their satellites, and their webhooks
    for user, norad, able in (("cnes", CNES_SAT, True), ("jaxa", JAXA_SAT, False)):
        partner = USERS[user][1]
        assert fed.call("PUT", f"/api/v1/objects/{norad}/operator", "jaxa" if user == "cnes"
                        else "cnes", json={"partner": partner}).status_code == 403  # fmt: skip
        put = fed.call("PUT", f"/api/v1/objects/{norad}/operator", user,
                       json={"partner": partner, "maneuverable": able,
                             "hard_body_radius_m": 5.0})  # fmt: skip
        assert put.status_code == 204
    receivers = {user: Receiver().start() for user in ("cnes", "jaxa")}
    for user, receiver in receivers.items():
        made = fed.call("POST", "/api/v1/webhooks", user, json={"url": receiver.url})
        assert made.status_code == 201
        receiver.secret = made.json()["secret"]
    stream = f"{fed.base}/api/v1/alerts/stream"
    dispatcher = alerts.Dispatcher(fed.store, **QUICK).start()
    try:
        with (
            httpx.Client(timeout=30.0) as sse,
            sse.stream("GET", stream, headers={"Authorization": f"Bearer {fed.keys['cnes']}"})
            as cnes_stream,
            sse.stream("GET", stream, headers={"Authorization": f"Bearer {fed.keys['jaxa']}"})
            as jaxa_stream,
        ):  # fmt: skip
            cnes_events, jaxa_events = _events(cnes_stream), _events(jaxa_stream)
            # the screening finds the conjunction: one event, both operators alerted
            screen_catalogue(fed.store, start=TCA - timedelta(hours=1), window=timedelta(hours=2))
            (event,) = fed.call("GET", "/api/v1/events", "cnes").json()["items"]
            event_id = event["id"]
            assert (event["norad_cat_id_1"], event["norad_cat_id_2"]) == (CNES_SAT, JAXA_SAT)
            assert event["miss_distance_km"] < 1.0 and event["state"] == "open"
            for user, events in (("cnes", cnes_events), ("jaxa", jaxa_events)):
                got = next(events)
                assert got["event"] == "event.created"
                assert got["data"]["payload"]["event"]["id"] == event_id
                cdm = got["data"]["payload"]["conjunctions"][0]
                assert cdm["miss_distance_km"] == event["miss_distance_km"]
                assert receivers[user].wait_for(1)
                (delivery,) = receivers[user].received
                assert delivery["body"]["kind"] == "event.created"
                assert delivery["body"]["payload"]["event"]["id"] == event_id
                assert receivers[user].bad_signatures == 0  # every signature verified
            assert fed.call("GET", f"/api/v1/events/{event_id}", "unoosa").status_code == 404
            shown = fed.call("GET", f"/api/v1/events/{event_id}", "jaxa").json()
            assert shown["roles"]["recommended_mover"] == CNES_SAT

            # CNES claims the manoeuvre and proposes it
            claim = fed.call("POST", f"/api/v1/events/{event_id}/claim", "cnes",
                             json={"intent": "will-maneuver", "note": "CNES moves"})  # fmt: skip
            assert claim.status_code == 200 and claim.json()["event"]["state"] == "claimed"
            early = fed.call("POST", f"/api/v1/events/{event_id}/accept", "jaxa")
            assert early.status_code == 409 and early.json()["error"]["code"] == "conflict"
            # a first plan that does not move it enough is screened and found not clear;
            # its conjunctions come back as CDMs, in each format
            first = fed.call("POST", f"/api/v1/events/{event_id}/propose", "cnes",
                             content=_candidate(drift=0.0)).json()  # fmt: skip
            assert first["clear"] is False and first["event"]["state"] == "claimed"
            path = f"/api/v1/ephemerides/{first['ephemeris_id']}/cdms"
            listed = fed.call("GET", path, "cnes", params={"format": "json"}).json()
            assert len(listed) == len(first["conjunctions"]) > 0
            xml = load_cdm(fed.call("GET", path, "cnes", params={"format": "xml"}).text)
            kvn = load_cdm(fed.call("GET", path, "cnes").text)
            assert xml.records == kvn.records and len(kvn.records) == len(listed)
            assert not xml.rejected and not kvn.rejected
            names = {c.object1.ephemeris_name for c in kvn.records}
            assert names == {f"ACCORD-EPH-{first['ephemeris_id']}"}
            assert min(c.miss_distance_m for c in kvn.records) < 1000.0
            proposal = fed.call("POST", f"/api/v1/events/{event_id}/propose", "cnes",
                                content=_candidate(),
                                headers={"Content-Type": "text/plain"})  # fmt: skip
            assert proposal.status_code == 200, proposal.text
            proposed = proposal.json()
            assert proposed["clear"] is True and proposed["event"]["state"] == "proposed"
            assert not [c for c in proposed["conjunctions"]
                        if JAXA_SAT in (c["object1"], c["object2"])]  # fmt: skip
            candidate = fed.call("GET", f"/api/v1/ephemerides/{proposed['ephemeris_id']}", "jaxa")
            assert candidate.status_code == 200 and candidate.json()["status"] == "candidate"
            oem = fed.call("GET", f"/api/v1/ephemerides/{proposed['ephemeris_id']}/oem", "jaxa")
            assert oem.text.startswith("CCSDS_OEM_VERS")
            path = f"/api/v1/ephemerides/{proposed['ephemeris_id']}/cdms"
            assert fed.call("GET", path, "cnes", params={"format": "json"}).json() == []

            # JAXA accepts; CNES closes
            accepted = fed.call("POST", f"/api/v1/events/{event_id}/accept", "jaxa",
                                json={"note": "agreed"})  # fmt: skip
            assert accepted.status_code == 200 and accepted.json()["event"]["state"] == "accepted"
            closed = fed.call("POST", f"/api/v1/events/{event_id}/close", "cnes",
                              json={"note": "manoeuvre executed"})  # fmt: skip
            assert closed.status_code == 200 and closed.json()["event"]["state"] == "closed"
            # each step reached the other party by SSE and webhook
            assert [next(jaxa_events)["event"] for _ in range(4)] == [
                "coordination.claim", "coordination.propose", "coordination.propose",
                "coordination.close"]  # fmt: skip
            assert next(cnes_events)["event"] == "coordination.accept"
            assert receivers["jaxa"].wait_for(5) and receivers["cnes"].wait_for(2)
    finally:
        dispatcher.stop()
        for receiver in receivers.values():
            receiver.stop()
    assert all(r.bad_signatures == 0 for r in receivers.values())
    steps = fed.call("GET", f"/api/v1/events/{event_id}", "cnes").json()["steps"]
    assert [(s["partner"], s["action"]) for s in steps] == [
        ("CNES", "claim"), ("CNES", "propose"), ("CNES", "propose"), ("JAXA", "accept"),
        ("CNES", "close")]  # fmt: skip
    entries = [e for e in audit.log(fed.store) if e.subject == f"event:{event_id}"]
    assert [e.action for e in entries] == [f"coordination.{s['action']}" for s in steps]
    assert [e.seq for e in entries] == [s["ledger_seq"] for s in steps]
    assert audit.verify(fed.store) is None


def test_a_hypothetical_ephemeris_is_its_owners_alone_over_the_api(fed: Federation) -> None:
    (es,) = [e for e in demo_elements() if e.norad_cat_id == CNES_SAT]
    data = oem_bytes(es, TCA - timedelta(hours=2), TCA + timedelta(hours=2))
    posted = fed.call("POST", "/api/v1/ephemerides", "cnes", params={"status": "hypothetical"},
                      content=data)  # fmt: skip
    assert posted.status_code == 201, posted.text
    summary = posted.json()
    (eid,) = summary["ephemeris_ids"]
    assert summary["screening"]["run_id"] is None and summary["events"] == []
    assert any(
        JAXA_SAT in (c["object1"], c["object2"]) for c in summary["screening"]["conjunctions"]
    )
    assert fed.call("GET", f"/api/v1/ephemerides/{eid}", "cnes").json()["status"] == "hypothetical"
    for user in ("jaxa", "unoosa", "admin"):
        assert fed.call("GET", f"/api/v1/ephemerides/{eid}", user).status_code == 404
        assert fed.call("GET", f"/api/v1/ephemerides/{eid}/oem", user).status_code == 404
        assert fed.call("GET", "/api/v1/ephemerides", user).json()["items"] == []
        listed = fed.call("GET", "/api/v1/submissions", user).json()["items"]
        assert summary["submission_id"] not in [s["id"] for s in listed]
        got = fed.call("GET", f"/api/v1/submissions/{summary['submission_id']}", user)
        assert got.status_code == 404
        assert fed.call("GET", "/api/v1/events", user).json()["items"] == []
    assert fed.call("GET", f"/api/v1/ephemerides/{eid}", None).status_code == 401
    # a malformed message is refused with its line and keyword, and nothing is stored
    bad = re.sub(r"(REF_FRAME +=.*\n)", r"\1WRONG_KEYWORD = 1\n", data.decode(), count=1)
    line = bad.splitlines().index("WRONG_KEYWORD = 1") + 1
    refused = fed.call("POST", "/api/v1/ephemerides", "cnes", content=bad.encode())
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "WRONG_KEYWORD" in message and f"line {line}" in message
    assert [x["id"] for x in fed.call("GET", "/api/v1/ephemerides", "cnes").json()["items"]] == [
        eid
    ]
