"""Shared fixtures: where the reference data lives."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord.services.store import Store, init_store
from accord.settings import Settings
from tests.postgres import PostgresCluster, server_bin_dir

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """Return ../shared/data (or $ACCORD_SHARED_DATA) when it exists."""
    env = os.environ.get("ACCORD_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference data.  Missing data fails under CI and skips elsewhere."""
    d = shared_data_dir()
    if d is None:
        message = "../shared/data not found (set ACCORD_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return d


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running PostgreSQL server for the session.  Missing binaries fail under CI."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


_db_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accord.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(f"accord_test_{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings with a temporary ACCORD_HOME on each backend."""
    return Settings(home=tmp_path / "home", database_url=database_url, ingest_batch_size=500)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """An initialised store on each backend."""
    s = init_store(settings)
    try:
        yield s
    finally:
        s.close()
