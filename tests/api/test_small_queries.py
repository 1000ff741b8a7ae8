"""Space-Track queries that name a few objects are answered without a worker thread when the
pool has a connection to spare, and on a worker thread otherwise: the same answer either
way, on real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.services import federation, spacetrack
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


@pytest.mark.parametrize(
    ("class_", "path", "small"),
    [
        ("gp", "NORAD_CAT_ID/25544/format/json", True),
        ("gp", "NORAD_CAT_ID/25544,20580,43013/orderby/EPOCH desc", True),
        ("satcat", "NORAD_CAT_ID/25544", True),
        ("gp", "NORAD_CAT_ID/1--50", True),
        ("gp", "NORAD_CAT_ID/1--51", False),  # 51 objects
        ("gp", "NORAD_CAT_ID/>25000", False),  # not named
        ("gp", "OBJECT_NAME/~~ISS", False),
        ("gp", "", False),
        ("gp_history", "NORAD_CAT_ID/25544", False),  # a history may be long
    ],
)
def test_which_queries_are_small(class_: str, path: str, small: bool) -> None:
    assert spacetrack.is_small(spacetrack.parse(class_, path)) is small


def test_connection_free_follows_the_pool(store: Store) -> None:
    assert store.connection_free()
    size = store.engine.pool.size()
    with ExitStack() as held:
        connections = [held.enter_context(store.engine.connect()) for _ in range(size)]
        assert len(connections) == size
        assert not store.connection_free()
    assert store.connection_free()


def test_a_small_query_answers_the_same_with_the_pool_taken(store: Store) -> None:
    ingest_file(store, DEMO, releasability="public")
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_user(store, "a@deu.example", "DEU", "analyst", password="pw")
    client = TestClient(create_app(store=store))
    login = client.post("/ajaxauth/login", data={"identity": "a@deu.example", "password": "pw"})
    assert login.json() == ""
    url = "/basicspacedata/query/class/gp/NORAD_CAT_ID/25544,20580/format/json"
    free = client.get(url)
    assert free.status_code == 200
    assert sorted(r["NORAD_CAT_ID"] for r in free.json()) == ["20580", "25544"]
    size = store.engine.pool.size()
    with ExitStack() as held:
        for _ in range(size):
            held.enter_context(store.engine.connect())
        assert not store.connection_free()
        taken = client.get(url)  # on a worker thread, with a connection beyond the pool's size
    assert taken.status_code == 200
    assert taken.json() == free.json()
    assert client.get("/basicspacedata/query/class/gp/NORAD_CAT_ID/99999999").json() == []
