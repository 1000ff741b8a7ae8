"""An operator's ephemeris screened against the catalogue: the same conjunctions as its
element set gives, through time-system and frame conversions, the radius filter, a
manoeuvre and the ephemeris' own covariance."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from accord.core.frames import teme_to_gcrf
from accord.core.time import jd_from_datetime
from accord.formats.detect import detect_format, load
from accord.formats.oem import OemCovariance, OemSegment, OemState
from accord.formats.records import ElementSet
from accord.services.demo import DEMO_DIR
from accord.services.ephemeris import Ephemeris, screen_ephemerides
from accord.services.propagation import satrec_of
from accord.services.screening import screen_element_sets

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
SIX_HOURS = timedelta(hours=6)
TAI_MINUS_UTC = timedelta(seconds=37)


@pytest.fixture(scope="module")
def catalogue() -> list[ElementSet]:
    text = DEMO.read_text()
    return list(load(text, detect_format(text, DEMO.name)).records)


def segment_of(es: ElementSet, start: datetime, stop: datetime, **extra: object) -> OemSegment:
    """The element set's SGP4 motion as an OEM segment: every 60 s, GCRF, epochs in TAI."""
    sat = satrec_of(es)
    epochs = [start + timedelta(seconds=60 * k) for k in range(int((stop - start).total_seconds()
                                                                    // 60) + 1)]  # fmt: skip
    jd = np.array([jd_from_datetime(t) for t in epochs])
    error, r, v = sat.sgp4_array(np.ascontiguousarray(jd[:, 0]), np.ascontiguousarray(jd[:, 1]))
    assert not error.any()
    r, v = teme_to_gcrf(r, v, jd[:, 0], jd[:, 1])
    states = tuple(OemState(t + TAI_MINUS_UTC, tuple(p), tuple(q))  # type: ignore[arg-type]
                   for t, p, q in zip(epochs, r, v, strict=True))  # fmt: skip
    return OemSegment(object_name=es.object_name or "", object_id=es.object_id or "",
                      center_name="EARTH", ref_frame="GCRF", time_system="TAI",
                      start_time=states[0].epoch, stop_time=states[-1].epoch, states=states,
                      interpolation="LAGRANGE", interpolation_degree=7, **extra)  # type: ignore[arg-type]  # fmt: skip


def test_an_ephemeris_finds_what_its_element_set_finds(catalogue: list[ElementSet]) -> None:
    start = max(es.epoch for es in catalogue)
    reference = screen_element_sets(catalogue, start=start, window=SIX_HOURS, threshold_km=30.0)
    counts: dict[int, int] = {}
    for c in reference.conjunctions:
        counts[c.object1] = counts.get(c.object1, 0) + 1
        counts[c.object2] = counts.get(c.object2, 0) + 1
    primary = max(counts, key=lambda k: counts[k])
    es = next(e for e in catalogue if e.norad_cat_id == primary)
    ephemeris = Ephemeris(primary, (segment_of(es, start, start + SIX_HOURS),), es.object_name)
    result = screen_ephemerides([ephemeris], catalogue, window=SIX_HOURS, threshold_km=30.0)
    assert result.start == start and result.n_objects < len(catalogue)  # the filter worked
    expected = [c for c in reference.conjunctions if primary in (c.object1, c.object2)]
    assert len(expected) >= 2 and len(result.conjunctions) == len(expected)
    for want in expected:
        other = want.object2 if want.object1 == primary else want.object1
        got = [c for c in result.conjunctions if c.object2 == other
               and abs((c.tca - want.tca).total_seconds()) < 1e-3]  # fmt: skip
        assert len(got) == 1 and got[0].object1 == primary
        assert got[0].miss_distance_km == pytest.approx(want.miss_distance_km, abs=1e-3)
        assert got[0].covariance_source == "ephemeris without covariance"


def test_a_manoeuvre_and_a_covariance(catalogue: list[ElementSet]) -> None:
    """Two segments (the second from a later element set of another object would jump; here
    the same motion split at 2 h) and an RTN covariance: the split changes nothing, and the
    Pc uses the ephemeris' covariance (not the default, so a different Pc)."""
    start = max(es.epoch for es in catalogue)
    reference = screen_element_sets(catalogue, start=start, window=SIX_HOURS, threshold_km=30.0)
    c0 = min(reference.conjunctions, key=lambda c: c.miss_distance_km)
    es = next(e for e in catalogue if e.norad_cat_id == c0.object1)
    split = start + timedelta(hours=2)
    cov = OemCovariance(c0.tca + TAI_MINUS_UTC, ((1e-2,), (0.0, 1.0), (0.0, 0.0, 1e-2),
                        (0.0,) * 4, (0.0,) * 5, (0.0,) * 6), "RTN")  # fmt: skip
    segments = (segment_of(es, start, split), segment_of(es, split, start + SIX_HOURS,
                                                         covariances=(cov,)))  # fmt: skip
    result = screen_ephemerides([Ephemeris(es.norad_cat_id, segments)], catalogue,
                                window=SIX_HOURS, threshold_km=30.0)  # fmt: skip
    expected = [c for c in reference.conjunctions if es.norad_cat_id in (c.object1, c.object2)]
    assert len(result.conjunctions) == len(expected)
    first = next(c for c in result.conjunctions if abs((c.tca - c0.tca).total_seconds()) < 1e-3)
    assert first.covariance_source == "ephemeris and default"
    assert first.miss_distance_km == pytest.approx(c0.miss_distance_km, abs=1e-3)
    assert first.pc is not None and c0.pc is not None and first.pc > 0 and c0.pc > 0
    assert first.pc != pytest.approx(c0.pc, rel=0.01)
