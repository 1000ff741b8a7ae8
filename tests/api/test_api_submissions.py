"""Submissions over HTTP (``/api/v1/submissions``) on real stores (SQLite and PostgreSQL):
good records stored and bad ones reported by line, signatures, who may submit, the size
limit, who reads what, and a client that drops the connection mid-upload."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from accord.api.app import create_app
from accord.policy.model import Principal, Role
from accord.policy.trust import sign
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.store import Store
from accord.services.submissions import submissions_for
from accord.storage import repositories as repo
from tests.served import Served

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
ADMIN = Principal("LOCAL", Role.ADMIN, "admin@local.example")


def _tle_file() -> tuple[bytes, set[int]]:
    """Ten demo 3LE records, two of them corrupted: the second's line 1 checksum (file
    line 5) and the fourth's inclination (file line 12); and the eight good numbers."""
    lines = DEMO.read_text().splitlines()[:30]
    good = {int(lines[i][2:7]) for i in range(1, 30, 3)} - {int(lines[4][2:7]), int(lines[10][2:7])}
    line = lines[4]
    lines[4] = line[:-1] + str((int(line[-1]) + 1) % 10)
    line = lines[11]
    lines[11] = line[:8] + " xx.4703" + line[16:]
    return ("\n".join(lines) + "\n").encode(), good


@dataclass
class Federation:
    client: TestClient
    keys: dict[str, dict[str, str]]
    private: dict[str, bytes]


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _partners(store: Store) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    deu = federation.add_partner(store, "DEU", "GSSAC")
    ita = federation.add_partner(store, "ITA", "ASI")
    users = {
        "deu": ("a@deu.example", "DEU", "analyst"),
        "ita": ("b@ita.example", "ITA", "operator"),
        "observer": ("o@deu.example", "DEU", "observer"),
        "admin": ("admin@local.example", "LOCAL", "admin"),
    }
    keys = {}
    for name, (email, partner, role) in users.items():
        federation.add_user(store, email, partner, role)
        keys[name] = _auth(federation.create_key(store, email, ("read", "submit")))
    keys["deu-read"] = _auth(federation.create_key(store, "a@deu.example", ("read",)))
    return keys, {"DEU": deu.private_key_pem, "ITA": ita.private_key_pem}


@pytest.fixture
def fed(store: Store) -> Federation:
    keys, private = _partners(store)
    return Federation(TestClient(create_app(store=store)), keys, private)


def _numbers(client: TestClient, headers: dict[str, str]) -> set[int]:
    page = client.get("/api/v1/objects?limit=1000", headers=headers).json()
    return {o["NORAD_CAT_ID"] for o in page["items"]}


def test_good_records_are_stored_and_bad_ones_reported(fed: Federation) -> None:
    data, good = _tle_file()
    answer = fed.client.post("/api/v1/submissions?filename=deu.tle", content=data,
                             headers={**fed.keys["deu"], "Content-Type": "text/plain"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["Location"] == f"/api/v1/submissions/{body['id']}"
    assert (body["partner"], body["format"], body["status"], body["filename"]) == (
        "DEU", "tle", "complete", "deu.tle")  # fmt: skip
    assert (body["records"], body["accepted"], body["duplicates"], body["rejected"]) == (
        10,
        8,
        0,
        2,
    )
    assert body["size_bytes"] == len(data) and not body["signed"]
    assert [(r["line"], r["field"]) for r in body["rejections"]] == [
        (4, "line 1 column 69 CHECKSUM"), (10, "line 2 columns 9-16 INCLINATION")]  # fmt: skip
    assert "checksum is" in body["rejections"][0]["reason"]
    assert "xx.4703" in body["rejections"][1]["reason"]
    assert _numbers(fed.client, fed.keys["deu"]) == good  # a partner sees its own
    assert _numbers(fed.client, fed.keys["ita"]) == set()  # labelled for agreements: none
    again = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys["deu"]).json()
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 8, 2)


def test_signatures(fed: Federation) -> None:
    data, good = _tle_file()
    signed = fed.client.post("/api/v1/submissions", content=data, headers={
        **fed.keys["deu"], "X-Accord-Signature": sign(fed.private["DEU"], data)})  # fmt: skip
    assert signed.status_code == 201
    assert (signed.json()["status"], signed.json()["signed"], signed.json()["accepted"]) == (
        "complete", True, 8)  # fmt: skip
    forged = fed.client.post("/api/v1/submissions", content=data, headers={
        **fed.keys["ita"], "X-Accord-Signature": sign(fed.private["DEU"], data)})  # fmt: skip
    assert forged.status_code == 201  # kept as received, for the record, and refused
    body = forged.json()
    assert (body["partner"], body["status"], body["accepted"], body["records"]) == (
        "ITA", "rejected", 0, 0)  # fmt: skip
    assert "signature does not verify against ITA" in body["reason"]
    assert _numbers(fed.client, fed.keys["ita"]) == set()
    assert _numbers(fed.client, fed.keys["deu"]) == good
    garbled = {**fed.keys["deu"], "X-Accord-Signature": "not base64"}
    malformed = fed.client.post("/api/v1/submissions", content=data, headers=garbled)
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_parameter"


def test_who_may_submit(fed: Federation) -> None:
    data, _ = _tle_file()
    anonymous = fed.client.post("/api/v1/submissions", content=data)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    unknown = fed.client.post("/api/v1/submissions", content=data, headers=_auth("acc_nope"))
    assert unknown.status_code == 401
    observer = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys["observer"])
    assert observer.status_code == 403
    assert observer.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "o@deu.example is an observer: read only",
    }
    assert fed.client.get("/api/v1/submissions", headers=fed.keys["observer"]).json()["items"] == []
    reader = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys["deu-read"])
    assert reader.status_code == 403 and "scope submit" in reader.json()["error"]["message"]
    assert fed.client.get("/api/v1/submissions", headers=fed.keys["deu-read"]).json()["items"] == []
    admin = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys["admin"])
    assert admin.status_code == 201 and admin.json()["partner"] == "LOCAL"


def test_bad_parameters(fed: Federation) -> None:
    data, _ = _tle_file()
    for query in ("format=tle2", "releasability=secret", "filename=a%00b"):
        answer = fed.client.post(f"/api/v1/submissions?{query}", content=data,
                                 headers=fed.keys["deu"])  # fmt: skip
        assert answer.status_code == 422, query
        assert answer.json()["error"]["code"] == "invalid_parameter"
    wrong = fed.client.post("/api/v1/submissions?format=omm-xml", content=data,
                            headers=fed.keys["deu"]).json()  # fmt: skip
    assert (wrong["status"], wrong["accepted"], wrong["rejected"]) == ("complete", 0, 1)
    assert "not well-formed XML" in wrong["rejections"][0]["reason"]
    public = fed.client.post("/api/v1/submissions?releasability=public&format=tle", content=data,
                             headers=fed.keys["deu"]).json()  # fmt: skip
    assert public["releasability"] == "public"
    assert _numbers(fed.client, {}) == _numbers(fed.client, fed.keys["deu"])  # anyone sees it


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"1 00900U \x80\x81\n", "not UTF-8"),
        (gzip.compress(DEMO.read_bytes())[:100], "not a whole gzip file"),
        (b"\xff\xfeA", "not UTF-16"),
        (b"CALSPHERE 1\n1 00900U\x00\n", "line 2: the submission holds a NUL character"),
    ],
)
def test_unreadable_files_are_kept_and_refused(fed: Federation, data: bytes, reason: str) -> None:
    answer = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys["deu"])
    assert answer.status_code == 201
    body = answer.json()
    assert (body["status"], body["size_bytes"], body["accepted"]) == ("rejected", len(data), 0)
    assert reason in body["reason"]
    assert fed.client.get(f"/api/v1/submissions/{body['id']}",
                          headers=fed.keys["deu"]).json() == body  # fmt: skip


def test_size_limit(store: Store) -> None:
    keys, _ = _partners(store)
    small = Store(store.settings.model_copy(update={"api_max_submission_bytes": 1000}),
                  store.engine)  # fmt: skip
    client = TestClient(create_app(store=small))
    data, _ = _tle_file()
    assert len(data) > 1000
    declared = client.post("/api/v1/submissions", content=data, headers=keys["deu"])
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for i in range(0, len(data), 256):
            yield data[i : i + 256]

    streamed = client.post("/api/v1/submissions", content=chunks(), headers=keys["deu"])
    assert streamed.status_code == 413
    assert submissions_for(store, ADMIN) == []
    fits = client.post("/api/v1/submissions", content=data[:999], headers=keys["deu"])
    assert fits.status_code == 201


def test_listing_and_fetching(fed: Federation) -> None:
    data, _ = _tle_file()
    ids: dict[str, list[int]] = {}
    for who in ("deu", "ita", "deu"):
        answer = fed.client.post("/api/v1/submissions", content=data, headers=fed.keys[who])
        ids.setdefault(who, []).append(answer.json()["id"])
    deu = fed.client.get("/api/v1/submissions", headers=fed.keys["deu"]).json()
    assert [s["id"] for s in deu["items"]] == ids["deu"][::-1] and deu["next_cursor"] is None
    assert all(s["rejections"] == [] for s in deu["items"])  # only one submission has them
    first = fed.client.get("/api/v1/submissions?limit=1", headers=fed.keys["deu"]).json()
    assert [s["id"] for s in first["items"]] == [ids["deu"][1]]
    rest = fed.client.get(f"/api/v1/submissions?limit=1&cursor={first['next_cursor']}",
                          headers=fed.keys["deu"]).json()  # fmt: skip
    assert [s["id"] for s in rest["items"]] == [ids["deu"][0]] and rest["next_cursor"] is None
    other = fed.client.get("/api/v1/submissions?partner=ITA", headers=fed.keys["deu"]).json()
    assert other["items"] == []
    everything = fed.client.get("/api/v1/submissions", headers=fed.keys["admin"]).json()
    assert [s["id"] for s in everything["items"]] == sorted(ids["deu"] + ids["ita"], reverse=True)
    ita = fed.client.get("/api/v1/submissions?partner=ita", headers=fed.keys["admin"]).json()
    assert [s["id"] for s in ita["items"]] == ids["ita"]
    one = fed.client.get(f"/api/v1/submissions/{ids['deu'][0]}", headers=fed.keys["deu"]).json()
    assert [r["line"] for r in one["rejections"]] == [4, 10] and one["accepted"] == 8
    denied = fed.client.get(f"/api/v1/submissions/{ids['ita'][0]}", headers=fed.keys["deu"])
    missing = fed.client.get("/api/v1/submissions/999999", headers=fed.keys["deu"])
    assert denied.status_code == missing.status_code == 404
    assert denied.json()["error"]["message"].replace(str(ids["ita"][0]), "N") == missing.json()[
        "error"]["message"].replace("999999", "N")  # fmt: skip
    assert fed.client.get(f"/api/v1/submissions/{ids['ita'][0]}",
                          headers=fed.keys["admin"]).status_code == 200  # fmt: skip
    assert fed.client.get("/api/v1/submissions").status_code == 401


class _Finished:
    """An ASGI wrapper that tells when the app has finished with a submission request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.done = app, threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and scope["path"] == "/api/v1/submissions":
                self.done.set()


def test_dropped_connection_stores_nothing(store: Store) -> None:
    keys, _ = _partners(store)
    app = _Finished(create_app(store=store))
    with Served(app) as served:
        port = served.port
        data, _ = _tle_file()
        head = (f"POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Authorization: {keys['deu']['Authorization']}\r\n"
                f"Content-Type: text/plain\r\nContent-Length: {len(data)}\r\n\r\n")  # fmt: skip
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(head.encode() + data[: len(data) // 2])
            time.sleep(0.2)  # the server has begun to read the body
        assert app.done.wait(timeout=10), "the server did not finish with the request"
    assert submissions_for(store, ADMIN) == []
    with store.engine.connect() as conn:
        assert repo.count_element_sets(conn) == 0
