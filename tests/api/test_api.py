"""The native REST API on real stores (SQLite and PostgreSQL), through FastAPI's client."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


@pytest.fixture
def api(store: Store) -> tuple[TestClient, dict[str, str]]:
    ingest_file(store, DEMO)  # the local partner's, labelled for agreements
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_partner(store, "ITA", "ASI")
    federation.add_user(store, "a@deu.example", "DEU", "analyst")
    federation.add_user(store, "b@ita.example", "ITA", "analyst")
    federation.add_agreement(store, "LOCAL", ["DEU"], ["element-sets"], "full",
                             scope="25544,20580")  # fmt: skip
    keys = {
        "deu": federation.create_key(store, "a@deu.example"),
        "ita": federation.create_key(store, "b@ita.example"),
    }
    return TestClient(create_app(store=store)), keys


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_objects_follow_the_policy(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    anonymous = client.get("/api/v1/objects")
    assert anonymous.status_code == 200 and anonymous.json() == {"items": [], "next_cursor": None}
    deu = client.get("/api/v1/objects", headers=_auth(keys["deu"])).json()
    assert [o["NORAD_CAT_ID"] for o in deu["items"]] == [20580, 25544]
    assert client.get("/api/v1/objects", headers=_auth(keys["ita"])).json()["items"] == []
    iss = client.get("/api/v1/objects/25544", headers=_auth(keys["deu"]))
    assert iss.status_code == 200 and iss.json()["element_set"]["OBJECT_NAME"] == "ISS (ZARYA)"
    history = client.get("/api/v1/objects/25544/history", headers=_auth(keys["deu"])).json()
    assert len(history["items"]) == 1


def test_denied_is_not_found(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    denied = client.get("/api/v1/objects/25544", headers=_auth(keys["ita"]))
    missing = client.get("/api/v1/objects/99999", headers=_auth(keys["ita"]))
    assert denied.status_code == missing.status_code == 404
    assert denied.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    assert denied.json()["error"]["message"].replace("25544", "N") == missing.json()["error"][
        "message"
    ].replace("99999", "N")


def test_errors_share_one_shape(api: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = api
    bad_key = client.get("/api/v1/objects", headers=_auth("acc_nope"))
    assert bad_key.status_code == 401
    assert bad_key.json()["error"] == {
        "status": 401,
        "code": "unauthorized",
        "message": "unknown or revoked API key",
    }
    assert client.get("/api/v1/objects", headers={"Authorization": "Basic x"}).status_code == 401
    invalid = client.get("/api/v1/objects?limit=0")
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_parameter"
    assert client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"
    assert client.get("/openapi.json").json()["info"]["title"] == "Accord"


def test_pages_and_etags(store: Store) -> None:
    ingest_file(store, DEMO)
    client = TestClient(create_app(store=store))
    federation.add_user(store, "admin@local.example", "LOCAL", "admin")
    key = federation.create_key(store, "admin@local.example")
    seen: list[int] = []
    cursor = None
    while True:
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(f"/api/v1/objects{query}", headers=_auth(key)).json()
        seen += [o["NORAD_CAT_ID"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) > 300
    first = client.get("/api/v1/objects/25544", headers=_auth(key))
    tag = first.headers["ETag"]
    again = client.get("/api/v1/objects/25544", headers={**_auth(key), "If-None-Match": tag})
    assert again.status_code == 304


def test_quota(store: Store) -> None:
    quota = {"api_quota": 3, "api_quota_window_s": 1.0}
    limited = Store(store.settings.model_copy(update=quota), store.engine)
    ingest_file(store, DEMO)
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_user(store, "a@deu.example", "DEU", "analyst")
    federation.add_user(store, "b@deu.example", "DEU", "analyst")
    one = _auth(federation.create_key(store, "a@deu.example"))
    other = _auth(federation.create_key(store, "b@deu.example"))
    client = TestClient(create_app(store=limited))
    assert [client.get("/api/v1/objects", headers=one).status_code for _ in range(3)] == [200] * 3
    over = client.get("/api/v1/objects", headers=one)
    assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"
    assert 1 <= int(over.headers["Retry-After"]) <= 1
    assert client.get("/api/v1/objects", headers=other).status_code == 200  # unaffected
    time.sleep(float(over.headers["Retry-After"]) + 0.05)
    assert client.get("/api/v1/objects", headers=one).status_code == 200
