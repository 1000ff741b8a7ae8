"""A lost database connection (the server restarted, or a connection killed): the pool
holds no tested connections, so the next request finds out; a Space-Track query is tried
again on fresh connections, and other routes answer 503 with Retry-After, never 500."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from accord.api.app import create_app
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import init_store
from accord.settings import Settings
from tests.postgres import PostgresCluster

QUERY = "/basicspacedata/query/class/gp/NORAD_CAT_ID/25544/format/json"
NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


def _kill_connections(url: str) -> int:
    """Terminate every other session on the database; return how many."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            rows = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
        return len(rows)
    finally:
        engine.dispose()


def test_requests_survive_lost_connections(
    postgres_cluster: PostgresCluster, tmp_path: Path
) -> None:
    url = postgres_cluster.create_database("restart")
    store = init_store(Settings(home=tmp_path / "home", database_url=url))
    try:
        ingest_file(store, NEW, releasability="public")
        federation.add_partner(store, "DEU", "GSSAC")
        federation.add_user(store, "a@deu.example", "DEU", "analyst", password="pw")
        auth = {"Authorization": f"Bearer {federation.create_key(store, 'a@deu.example')}"}
        client = TestClient(create_app(store=store))
        login = client.post("/ajaxauth/login", data={"identity": "a@deu.example", "password": "pw"})
        assert login.json() == ""
        before = client.get(QUERY)
        assert before.status_code == 200 and before.json()[0]["NORAD_CAT_ID"] == "25544"
        assert _kill_connections(url) >= 1  # the pooled connection the query used
        after = client.get(QUERY)  # finds the connection lost, tries again on a fresh one
        assert after.status_code == 200 and after.json() == before.json()
        assert _kill_connections(url) >= 1
        native = client.get("/api/v1/objects/25544", headers=auth)
        assert native.status_code == 503 and native.headers["Retry-After"] == "1"
        assert native.json()["error"]["code"] == "database_unavailable"
        again = client.get("/api/v1/objects/25544", headers=auth)  # as told: fresh connections
        assert again.status_code == 200 and again.json()["object"]["norad_cat_id"] == 25544
    finally:
        store.close()
