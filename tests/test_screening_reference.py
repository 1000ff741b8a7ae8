"""The brute-force conjunction reference checked against itself and plain dense sampling.

The reference (``tests/screening_reference.py``) is the authority that the screening
engine is tested against, so it is checked here with nothing cleverer than SGP4 at dense
times: a synthetic crossing built from the ISS's real elements, a band of the 2023-10-09
Space-Track catalogue sampled every second for every pair, and the step halved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import WGS72, Satrec, SatrecArray

from tests.screening_reference import (
    A_MAX_KM_S2,
    ACCELERATION_BOUND_EXCEEDED,
    ReferenceEncounter,
    band_sample,
    brute_force_conjunctions,
    brute_force_screen,
    median_epoch,
    pad_km,
    read_3le,
)

one_microsecond = 1e-6  # s
one_millimetre = 1e-6  # km
one_nanosecond = 1e-9  # s
D_KM = 5.0
FULL_2023 = "spacetrack_full_3le_2023-10-09.txt"
ISS = 25544
# Twins of the ISS: (inclination change, mean anomaly shift) in degrees, and the encounters
# they have in the 2 h after the ISS epoch.  Found once with this reference, then kept.
CROSSINGS = {"slow": (2.0, 0.02, 3), "fast": (20.0, 0.04, 1)}


@pytest.fixture(scope="module")
def catalogue(shared_data: Path) -> list[Satrec]:
    return read_3le(shared_data / "tle_catalog" / FULL_2023)


@pytest.fixture(scope="module")
def iss(catalogue: list[Satrec]) -> Satrec:
    return next(s for s in catalogue if s.satnum == ISS)


@pytest.fixture(scope="module")
def band(catalogue: list[Satrec]) -> list[Satrec]:
    """300 objects of the densest mean-altitude band (the Starlink shell at 540-550 km)."""
    return [catalogue[k] for k in band_sample(catalogue, 300)]


def twin(satrec: Satrec, d_incl_deg: float, d_mean_anomaly_deg: float) -> Satrec:
    """Return a copy of ``satrec``'s elements, tilted and moved along its orbit."""
    copy = Satrec()
    copy.sgp4init(
        WGS72,
        "i",
        99999,
        satrec.jdsatepoch + satrec.jdsatepochF - 2433281.5,  # days from 1949-12-31 0h
        satrec.bstar,
        satrec.ndot,
        satrec.nddot,
        satrec.ecco,
        satrec.argpo,
        satrec.inclo + math.radians(d_incl_deg),
        satrec.mo + math.radians(d_mean_anomaly_deg),
        satrec.no_kozai,
        satrec.nodeo,
    )
    return copy


def dense_minimum(a: Satrec, b: Satrec, jd: float, fr: float, near_s: float) -> tuple[float, float]:
    """Return ``(t_s, miss_km)`` of the range's minimum from 1 ms samples over +-1 s.

    A parabola fitted to the squared range at the 11 samples around the smallest: the
    squared range is quadratic in time up to a cubic term of ``2 v.a`` that moves the
    vertex by ~1e-8 s over +-5 ms.
    """
    t = near_s + np.arange(-1000, 1001) * 1e-3
    fr_t = fr + t / 86400.0
    jd_t = np.full(t.shape, jd)
    _, ra, _ = a.sgp4_array(jd_t, fr_t)
    _, rb, _ = b.sgp4_array(jd_t, fr_t)
    squared = np.sum((rb - ra) ** 2, axis=1)
    k = int(np.argmin(squared))
    assert 5 <= k <= len(t) - 6, "the minimum is not inside the dense samples"
    c2, c1, c0 = np.polyfit(t[k - 5 : k + 6] - t[k], squared[k - 5 : k + 6], 2)
    return float(t[k] - c1 / (2.0 * c2)), math.sqrt(c0 - c1 * c1 / (4.0 * c2))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CROSSINGS))
def test_synthetic_crossings_match_dense_sampling(iss: Satrec, name: str) -> None:
    d_incl, d_mean, count = CROSSINGS[name]
    other = twin(iss, d_incl, d_mean)
    jd, fr = iss.jdsatepoch, iss.jdsatepochF
    encounters = brute_force_conjunctions([iss, other], jd, fr, 7200.0)
    assert len(encounters) == count
    for e in encounters:
        t_s, miss_km = dense_minimum(iss, other, jd, fr, round(e.tca_s, 1))
        assert (e.i, e.j, e.norad1, e.norad2, e.at_edge) == (0, 1, ISS, 99999, False)
        assert abs(e.tca_s - t_s) < one_microsecond
        assert abs(e.miss_km - miss_km) < one_millimetre
        assert e.miss_km < D_KM
        # The two-float TCA is the same instant as tca_s, to the nanosecond.
        assert e.tca_jd % 1.0 == 0.5 and 0.0 <= e.tca_fr < 1.0
        back_s = ((e.tca_jd - jd) + (e.tca_fr - fr)) * 86400.0
        assert abs(back_s - e.tca_s) < one_nanosecond
    speeds = [e.rel_speed_km_s for e in encounters]
    assert np.allclose(speeds, speeds[0], rtol=1e-3)  # the same geometry every half orbit


@pytest.mark.slow
def test_window_edges_are_flagged(iss: Satrec) -> None:
    other = twin(iss, *CROSSINGS["fast"][:2])
    jd, fr = iss.jdsatepoch, iss.jdsatepochF
    (full,) = brute_force_conjunctions([iss, other], jd, fr, 7200.0)
    # A window that ends 0.3 s before the TCA, and one that starts 0.3 s after it.
    (end,) = brute_force_conjunctions([iss, other], jd, fr, full.tca_s - 0.3)
    start_fr = fr + (full.tca_s + 0.3) / 86400.0
    (start,) = brute_force_conjunctions([iss, other], jd, start_fr, 600.0)
    assert end.at_edge and end.tca_s == full.tca_s - 0.3
    assert start.at_edge and start.tca_s == 0.0
    for edge in (end, start):
        expected = math.hypot(full.miss_km, 0.3 * full.rel_speed_km_s)
        assert edge.miss_km == pytest.approx(expected, abs=1e-3)


@pytest.mark.slow
def test_failed_objects_are_excluded_where_they_fail(catalogue: list[Satrec], iss: Satrec) -> None:
    by_norad = {s.satnum: s for s in catalogue}
    # 9674 has decayed at the ISS epoch, 57689 dips under the surface at times from 1,380 s
    # on (232 of the 583 samples), and 49591's
    # month-old elements give SGP4 positions 1e8 km out with no error code.
    objects = [iss, by_norad[9674], by_norad[57689], twin(iss, 2.0, 0.02), by_norad[49591]]
    result = brute_force_screen(objects, iss.jdsatepoch, iss.jdsatepochF, 7200.0)
    assert [(e.i, e.j) for e in result.encounters] == [(0, 3)] * 3
    excluded = [(x.i, x.norad, x.code, x.n_samples, x.first_s) for x in result.excluded]
    assert excluded == [
        (1, 9674, 6, 721, 0.0),
        (2, 57689, 6, 232, 1380.0),
        (4, 49591, ACCELERATION_BOUND_EXCEEDED, 721, 0.0),
    ]
    assert "decayed" in result.excluded[0].reason


@pytest.mark.slow
def test_chord_bound_holds_on_real_orbits(band: list[Satrec], catalogue: list[Satrec]) -> None:
    """``|r(t) - chord| <= A_MAX h^2 / 8`` at mid-step, h = 60 s: the premise of the pad."""
    jd, fr = median_epoch(catalogue)
    t = np.arange(0.0, 7200.0 + 1.0, 30.0)
    error, r, _ = SatrecArray(band).sgp4(np.full(t.shape, jd), fr + t / 86400.0)
    assert not error.any()
    chord = 0.5 * (r[:, :-2:2] + r[:, 2::2])
    sag = np.linalg.norm(r[:, 1:-1:2] - chord, axis=2)
    assert sag.max() <= A_MAX_KM_S2 * 60.0**2 / 8.0
    # Not slack either: mu / r^2 at 545 km is 0.77 A_MAX.
    assert sag.max() >= 0.7 * A_MAX_KM_S2 * 60.0**2 / 8.0
    assert pytest.approx(pad_km(60.0)) == 2.0 * A_MAX_KM_S2 * 60.0**2 / 8.0


def all_pairs_minimum(satrecs: Sequence[Satrec], jd: float, fr: float) -> np.ndarray:
    """Return ``(n, n)`` each pair's smallest range (km) at 1 s samples over 2 h, ``i < j``."""
    t = np.arange(0.0, 7201.0)
    error, r, _ = SatrecArray(list(satrecs)).sgp4(np.full(t.shape, jd), fr + t / 86400.0)
    assert not error.any()
    smallest = np.full((len(satrecs), len(satrecs)), np.inf)
    for i in range(len(satrecs) - 1):  # each object against every later one, every second
        d = r[i + 1 :] - r[i]
        smallest[i, i + 1 :] = np.sqrt(np.einsum("ptk,ptk->pt", d, d).min(axis=1))
    return smallest


@pytest.mark.slow
def test_every_pair_sampled_within_d_is_found(band: list[Satrec], catalogue: list[Satrec]) -> None:
    """Sampling every pair each second misses nothing the reference should find."""
    jd, fr = median_epoch(catalogue)
    found = brute_force_conjunctions(band, jd, fr, 7200.0)
    smallest = all_pairs_minimum(band, jd, fr)
    sampled = set(zip(*np.nonzero(smallest < D_KM), strict=True))
    assert len(sampled) >= 5
    assert sampled <= {(e.i, e.j) for e in found}
    for e in found:  # a minimum is no further than the samples on either side of it
        t = np.array([math.floor(e.tca_s), math.ceil(e.tca_s)])
        _, ri, _ = band[e.i].sgp4_array(np.full(2, jd), fr + t / 86400.0)
        _, rj, _ = band[e.j].sgp4_array(np.full(2, jd), fr + t / 86400.0)
        assert e.miss_km <= np.linalg.norm(rj - ri, axis=1).min() + one_nanosecond


def key(e: ReferenceEncounter) -> tuple[int, int, int]:
    return e.i, e.j, round(e.tca_s)


@pytest.mark.slow
@pytest.mark.parametrize("step_s", [5.0, 7.0])
def test_a_finer_step_changes_nothing(
    band: list[Satrec], catalogue: list[Satrec], step_s: float
) -> None:
    """Halve the step; then 7 s, which moves the refinement's 1 s grid off whole seconds,
    so every TCA is solved again from other brackets."""
    jd, fr = median_epoch(catalogue)
    coarse = brute_force_screen(band, jd, fr, 7200.0, step_s=10.0)
    fine = brute_force_screen(band, jd, fr, 7200.0, step_s=step_s)
    assert len(coarse.encounters) >= 5
    assert [key(e) for e in coarse.encounters] == [key(e) for e in fine.encounters]
    for a, b in zip(coarse.encounters, fine.encounters, strict=True):
        assert abs(a.tca_s - b.tca_s) < one_microsecond
        assert abs(a.miss_km - b.miss_km) < one_millimetre
        assert abs(a.rel_speed_km_s - b.rel_speed_km_s) < 1e-6  # km/s
    assert not coarse.excluded
