"""Quotas per caller and per request class, on both APIs (real stores, FastAPI's client)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.api.quota import Quotas, request_class
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store

PASSWORD = "pw-for-quota-tests"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/basicspacedata/query/class/gp/NORAD_CAT_ID/25544", "gp"),
        ("/basicspacedata/query/class/gp_history/format/json", "gp_history"),
        ("/expandedspacedata/query/class/cdm", "cdm"),
        ("/basicspacedata/modeldef/class/satcat", "satcat"),
        ("/api/v1/objects/25544/history", "objects"),
        ("/api/v1/submissions", "submissions"),
        ("/ajaxauth/login", None),
        ("/openapi.json", None),
    ],
)
def test_request_class(path: str, expected: str | None) -> None:
    assert request_class(path) == expected


def test_a_refused_request_counts_against_nothing() -> None:
    quotas = Quotas(3, 60.0, {"gp_history": 1})
    assert quotas.admit("k", "gp_history") is None
    wait, what = quotas.admit("k", "gp_history") or (0, "")
    assert 59 <= wait <= 60 and what == "1 gp_history requests per 60 s"
    assert quotas.admit("k", "gp") is None
    assert quotas.admit("k", "gp") is None  # 3 counted overall: the refused one is not
    assert quotas.admit("k", "gp") is not None
    assert quotas.admit("other", "gp_history") is None


def test_class_quota_on_the_spacetrack_api(store: Store) -> None:
    limits = {"api_quota": 50, "api_quota_window_s": 1.0, "api_class_quotas": {"gp_history": 2}}
    limited = Store(store.settings.model_copy(update=limits), store.engine)
    ingest_file(store, DEMO_DIR / "celestrak_active_2026-03-04_sample.txt", releasability="public")
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_user(store, "a@deu.example", "DEU", "analyst", password=PASSWORD)
    federation.add_user(store, "b@deu.example", "DEU", "analyst", password=PASSWORD)
    one, other = TestClient(create_app(store=limited)), TestClient(create_app(store=limited))
    for client, email in ((one, "a@deu.example"), (other, "b@deu.example")):
        login = client.post("/ajaxauth/login", data={"identity": email, "password": PASSWORD})
        assert login.json() == ""
    history = "/basicspacedata/query/class/gp_history/NORAD_CAT_ID/25544/format/json"
    gp = "/basicspacedata/query/class/gp/NORAD_CAT_ID/25544/format/json"
    assert [one.get(history).status_code for _ in range(2)] == [200, 200]
    over = one.get(history)
    assert over.status_code == 429 and over.json()["error"]["code"] == "quota_exceeded"
    assert "gp_history" in over.json()["error"]["message"]
    assert int(over.headers["Retry-After"]) == 1
    assert one.get(gp).json()[0]["NORAD_CAT_ID"] == "25544"  # the other classes still answer
    assert other.get(history).status_code == 200  # and other users are unaffected
    time.sleep(float(over.headers["Retry-After"]) + 0.05)
    assert one.get(history).status_code == 200
