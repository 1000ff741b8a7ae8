"""Screening runs on the stored catalogue, on both backends."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from accord.core.volumes import CARA_VOLUMES
from accord.errors import ConfigurationError, InvalidRequestError
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.screening import screen_catalogue, screen_files
from accord.services.store import Store
from accord.settings import load_settings
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


def test_cara_volumes_from_the_settings_and_bad_volumes(store: Store) -> None:
    """The store's screening takes its ellipsoids from the settings; a table that leaves
    perigees without a volume, or an unknown volume, is refused with what was expected."""
    ingest_file(store, DEMO_NEW)
    default = screen_files([DEMO_NEW], window=timedelta(hours=6), volume="cara")
    # Twice the default ellipsoids (every band): a superset of the default's conjunctions.
    doubled = [(bound, 2 * a, 2 * b, 2 * c) for bound, a, b, c in CARA_VOLUMES]
    store.settings.screening_cara_volumes = doubled
    wider = screen_catalogue(store, window=timedelta(hours=6), volume="cara")
    assert wider.volume == "cara" and wider.threshold_km == 102.0
    keys = {(c.object1, c.object2, c.tca) for c in wider.conjunctions}
    assert {(c.object1, c.object2, c.tca) for c in default.conjunctions} < keys
    for c in wider.conjunctions:
        assert c.volume_rtn_km is not None and c.volume_distance is not None
        assert c.volume_rtn_km[0][0] in (0.8, 20.0)
        assert min(d for d in c.volume_distance if d is not None) <= 1.0
    with pytest.raises(InvalidRequestError, match="end with inf"):
        screen_files([DEMO_NEW], window=timedelta(hours=1), volume="cara",
                     cara_volumes=[(500.0, 0.4, 44.0, 51.0)])  # fmt: skip
    with pytest.raises(InvalidRequestError, match="volume must be one of sphere, cara"):
        screen_files([DEMO_NEW], window=timedelta(hours=1), volume="box")


def test_a_bad_cara_table_in_the_settings_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_SCREENING_CARA_VOLUMES", "[[500, 0.4, 44, 51], [400, 1, 1, 1]]")
    with pytest.raises(ConfigurationError, match="increase strictly and end with inf"):
        load_settings()
