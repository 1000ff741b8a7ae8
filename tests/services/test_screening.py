"""Screening runs on the stored catalogue, on both backends."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from accord.errors import InvalidRequestError
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.screening import screen_catalogue, screen_files
from accord.services.store import Store
from accord.storage import repositories as repo

DEMO_NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


def test_run_is_stored_with_its_snapshot(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    result = screen_catalogue(store, window=timedelta(hours=6))
    assert result.run_id is not None and result.n_objects == 378
    assert result.conjunctions, "the demo sample has close approaches within 6 h"
    with store.engine.connect() as conn:
        run = repo.screening_run(conn, result.run_id)
        rows = repo.conjunctions_of(conn, result.run_id)
        inputs = repo.screening_input_ids(conn, result.run_id)
    assert run is not None and run.n_conjunctions == len(rows) == len(result.conjunctions)
    assert len(inputs) == 378
    for row, c in zip(rows, sorted(result.conjunctions, key=lambda c: c.tca), strict=True):
        assert (row.norad_cat_id_1, row.norad_cat_id_2) == (c.object1, c.object2)
        assert row.tca == c.tca and row.miss_distance_km == pytest.approx(c.miss_distance_km)
    for c in result.conjunctions:
        assert c.miss_distance_km < 5.0
        # The RTN relative position has the miss distance as its length.
        assert np.linalg.norm(c.relative_position_rtn_km) == pytest.approx(c.miss_distance_km)
        assert result.start <= c.tca <= result.start + timedelta(hours=6)


def test_files_and_store_agree_and_primaries_filter(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    stored = screen_catalogue(store, window=timedelta(hours=6))
    files = screen_files([DEMO_NEW], window=timedelta(hours=6))
    key = [(c.object1, c.object2, c.tca) for c in stored.conjunctions]
    assert key == [(c.object1, c.object2, c.tca) for c in files.conjunctions]
    primary = stored.conjunctions[0].object1
    only = screen_files([DEMO_NEW], window=timedelta(hours=6), primaries=[primary])
    expected = [k for k in key if primary in k[:2]]
    assert [(c.object1, c.object2, c.tca) for c in only.conjunctions] == expected


def test_bad_requests(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    with pytest.raises(InvalidRequestError, match="primaries"):
        screen_catalogue(store, window=timedelta(hours=1), primaries=[1])
    with pytest.raises(InvalidRequestError, match="positive"):
        screen_catalogue(store, window=timedelta(hours=-1))
