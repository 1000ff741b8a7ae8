"""Propagation of stored objects: the stored element set propagates as its TLE does."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec
from skyfield.api import EarthSatellite
from skyfield.framelib import itrs

from accord.core.time import timescale
from accord.errors import InvalidRequestError, NotFoundError
from accord.services.catalogue import current_catalogue
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.propagation import propagate_object, time_grid
from accord.services.store import Store

DEMO_NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
MILLIMETRE_KM = 1e-6


def _iss_lines() -> tuple[str, str]:
    lines = DEMO_NEW.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("1 25544"))
    return lines[i], lines[i + 1]


def test_stored_iss_propagates_as_its_tle(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    start, end = datetime(2026, 3, 4, 12), datetime(2026, 3, 5, 12)
    eph = propagate_object(store, 25544, start, end, 3600.0, "teme")
    assert len(eph.times) == 25 and not eph.error.any()
    sat = Satrec.twoline2rv(*_iss_lines())
    jd = np.array([2461103.5] * 25)  # 2026-03-04 0h UTC
    fr = 0.5 + np.arange(25) / 24.0
    e, r, v = sat.sgp4_array(jd, fr)
    assert not e.any()
    assert np.abs(eph.r_km - r).max() < MILLIMETRE_KM
    assert np.abs(eph.v_km_s - v).max() < MILLIMETRE_KM


def test_itrf_agrees_with_skyfield(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    start, end = datetime(2026, 3, 4, 12), datetime(2026, 3, 4, 13, 30)
    eph = propagate_object(store, 25544, start, end, 600.0, "itrf")
    ts = timescale()
    t = ts.utc(2026, 3, 4, 12, np.arange(len(eph.times)) * 10.0)
    r_sky, _ = EarthSatellite(*_iss_lines(), ts=ts).at(t).frame_xyz_and_velocity(itrs)
    assert np.abs(eph.r_km - r_sky.km.T).max() < MILLIMETRE_KM


def test_unknown_object_and_bad_requests(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    with pytest.raises(NotFoundError):
        propagate_object(store, 5, datetime(2026, 3, 4), datetime(2026, 3, 5), 60.0)
    with pytest.raises(InvalidRequestError, match="frame"):
        propagate_object(store, 25544, datetime(2026, 3, 4), datetime(2026, 3, 5), 60.0, "j2000")


def test_time_grid() -> None:
    grid = time_grid(datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 1), 20.0)
    assert [str(t) for t in grid][-1] == "2026-01-01T00:01:00.000000"
    assert len(time_grid(datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 0, 50), 20.0)) == 3
    with pytest.raises(InvalidRequestError, match="before"):
        time_grid(datetime(2026, 1, 2), datetime(2026, 1, 1), 20.0)
    with pytest.raises(InvalidRequestError, match="at most"):
        time_grid(datetime(2026, 1, 1), datetime(2027, 1, 1), 1.0)


def test_sgp4_xp_elements_are_not_propagated_as_sgp4(store: Store, shared_data: Path) -> None:
    path = shared_data / "ccsds" / "orekit" / "odm" / "omm" / "OMMExample5.txt"
    summary = ingest_file(store, path)
    assert summary.accepted == 1
    (entry,) = current_catalogue(store)
    assert entry.elements.mean_element_theory == "SGP4-XP"
    with pytest.raises(InvalidRequestError, match="SGP4-XP"):
        propagate_object(
            store, entry.elements.norad_cat_id, entry.elements.epoch, entry.elements.epoch, 60.0
        )
