"""RTN ellipsoid screening volumes (NASA CARA's by regime) against the brute-force reference
at the largest semi-axis, filtered by an in-volume test written here."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec

from accord.core.screening import Conjunctions, Sgp4Ensemble, screen
from accord.core.volumes import (
    CARA_VOLUMES,
    ellipsoid_distance,
    regime_semi_axes_km,
    screen_ellipsoids,
    sieve_radius_km,
    volume_table,
)
from tests.screening_reference import (
    band_sample,
    brute_force_conjunctions,
    median_epoch,
    read_3le,
)

ONE_MILLISECOND = 1e-3
ONE_METRE_KM = 1e-3
SIX_HOURS = 6 * 3600.0
# Bounds on the difference between SGP4's velocity and the derivative of its position
# (km/s), near-Earth and deep-space: measured at most 6 cm/s and 3 m/s on the 2023-10-09
# catalogue (tests/screening_reference.py).
SGP4_VELOCITY_KM_S = {False: 1e-4, True: 5e-3}
# The handbook's table as the issue states it: (perigee bound km, R, T, N km).
HANDBOOK = [(500.0, 0.4, 44.0, 51.0), (750.0, 0.4, 25.0, 25.0), (1200.0, 0.4, 12.0, 12.0),
            (2000.0, 0.4, 2.0, 2.0), (math.inf, 10.0, 10.0, 10.0)]  # fmt: skip

Sample = tuple[list[Satrec], float, float]


def test_default_table_is_the_handbook_table() -> None:
    assert [tuple(row) for row in CARA_VOLUMES] == HANDBOOK


@pytest.mark.parametrize(
    ("perigee_km", "axes"),
    [
        (420.0, (0.4, 44.0, 51.0)),
        (500.0, (0.4, 44.0, 51.0)),  # a band's upper bound belongs to it
        (500.001, (0.4, 25.0, 25.0)),
        (750.0, (0.4, 25.0, 25.0)),
        (1000.0, (0.4, 12.0, 12.0)),
        (1200.0, (0.4, 12.0, 12.0)),
        (1500.0, (0.4, 2.0, 2.0)),
        (2000.0, (0.4, 2.0, 2.0)),
        (2000.5, (10.0, 10.0, 10.0)),
        (35_786.0, (10.0, 10.0, 10.0)),  # geostationary
        (-50.0, (0.4, 44.0, 51.0)),  # perigee below the surface: a decaying orbit
    ],
)
def test_regime_of_a_scalar_perigee(perigee_km: float, axes: tuple[float, ...]) -> None:
    got = regime_semi_axes_km(perigee_km)
    assert got.shape == (3,)
    assert tuple(got) == axes


def test_regime_of_an_array_with_a_missing_perigee() -> None:
    got = regime_semi_axes_km(np.array([[300.0, 600.0], [np.nan, 40_000.0]]))
    assert got.shape == (2, 2, 3)
    assert np.array_equal(got[0, 0], [0.4, 44.0, 51.0])
    assert np.array_equal(got[0, 1], [0.4, 25.0, 25.0])
    assert np.isnan(got[1, 0]).all()
    assert np.array_equal(got[1, 1], [10.0, 10.0, 10.0])


def test_a_replacement_table() -> None:
    table = [(1000.0, 1.0, 2.0, 3.0), (math.inf, 5.0, 5.0, 5.0)]
    assert np.array_equal(regime_semi_axes_km([999.0, 1001.0], table), [[1, 2, 3], [5, 5, 5]])


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(500.0, 0.4, 44.0, 51.0)], "end with inf"),
        ([(750.0, 1, 1, 1), (500.0, 1, 1, 1), (math.inf, 1, 1, 1)], "increase strictly"),
        ([(math.inf, 0.0, 1.0, 1.0)], "positive"),
        ([(math.inf, 1.0, 1.0)], "rows of 4 numbers"),
    ],
)
def test_a_bad_table_is_refused(rows: list[tuple[float, ...]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        volume_table(rows)


def test_ellipsoid_distance_scalar_array_and_surface() -> None:
    axes = np.array([0.4, 44.0, 51.0])
    assert ellipsoid_distance([0.0, 0.0, 0.0], axes) == 0.0
    # exactly on the surface, at each axis' tip: distance exactly 1 (inside, inclusive)
    for k in range(3):
        tip = np.zeros(3)
        tip[k] = axes[k]
        assert ellipsoid_distance(tip, axes) == 1.0
    offsets = np.array([[0.2, 22.0, 0.0], [0.41, 0.0, 0.0], [0.0, 0.0, 50.0]])
    got = ellipsoid_distance(offsets, axes)
    assert got.shape == (3,)
    assert np.allclose(got, [math.sqrt(0.5), 1.025, 50.0 / 51.0], rtol=1e-15)
    # 1 km radially is far outside a LEO volume, inside a deep-space one
    assert ellipsoid_distance([1.0, 0.0, 0.0], axes) > 1.0
    assert ellipsoid_distance([1.0, 0.0, 0.0], regime_semi_axes_km(36_000.0)) == 0.1


def test_sieve_radius_holds_the_surface() -> None:
    axes = regime_semi_axes_km(np.array([450.0, 800.0, 36_000.0]))
    assert sieve_radius_km(axes) > 51.0 and sieve_radius_km(axes) == np.nextafter(51.0, 99)
    assert sieve_radius_km(axes, np.array([2])) == np.nextafter(10.0, 99)


@pytest.fixture(scope="module")
def mixed(shared_data: Path) -> Sample:
    """About 760 objects of the 2023-10-09 catalogue in five regimes: perigees either side
    of 500 km, near 780, 1,180 and 1,450 km, and geostationary."""
    catalogue = read_3le(shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt")
    jd, fr = median_epoch(catalogue)
    bands = ((200, 480.0), (200, 550.0), (100, 780.0), (100, 1180.0), (60, 1450.0),
             (100, 35_786.0))  # fmt: skip
    chosen = sorted(set().union(*[band_sample(catalogue, n, c) for n, c in bands]))
    return [catalogue[k] for k in chosen], jd, fr


def _perigees_km(sats: list[Satrec]) -> np.ndarray:
    return np.array([s.altp * s.radiusearthkm for s in sats])


def _handbook_axes(perigee_km: float) -> tuple[float, float, float]:
    for bound, a, b, c in HANDBOOK:
        if perigee_km <= bound:
            return a, b, c
    raise AssertionError(perigee_km)


def _inside(centre: Satrec, other: Satrec, jd: float, fr: float, t_s: float) -> float:
    """Normalized distance of ``other`` in ``centre``'s handbook ellipsoid at ``t_s`` from
    ``jd + fr``: RTN axes built here from python-sgp4's TEME states."""
    whole = math.floor(fr + t_s / 86_400.0)
    _, r1, v1 = centre.sgp4(jd + whole, fr + t_s / 86_400.0 - whole)
    _, r2, _ = other.sgp4(jd + whole, fr + t_s / 86_400.0 - whole)
    p1, u1, p2 = np.array(r1), np.array(v1), np.array(r2)
    radial = p1 / np.linalg.norm(p1)
    normal = np.cross(p1, u1) / np.linalg.norm(np.cross(p1, u1))
    transverse = np.cross(normal, radial)
    d = p2 - p1
    a, b, c = _handbook_axes(centre.altp * centre.radiusearthkm)
    return math.sqrt((d @ radial / a) ** 2 + (d @ transverse / b) ** 2 + (d @ normal / c) ** 2)


@pytest.fixture(scope="module")
def sphere(mixed: Sample) -> Conjunctions:
    sats, jd, fr = mixed
    return screen(Sgp4Ensemble(sats, jd, fr), SIX_HOURS, threshold_km=51.0 + 1e-9)


def test_the_51_km_sphere_misses_no_reference_encounter(
    mixed: Sample, sphere: Conjunctions
) -> None:
    """Every range minimum the brute-force reference finds within 51 km (the largest CARA
    semi-axis) has the screening's conjunction, miss within 1 m.  TCAs agree to 1 ms, to
    within ``miss dv / v^2`` where the pair is slow: the screening's TCA is the root of
    ``d . dv`` with SGP4's velocities, the reference's that of the derivative of SGP4's
    positions, and the two differ by ``dv`` (centimetres per second near the Earth, metres
    per second in deep space), which moves the root by up to ``miss dv / v^2``."""
    sats, jd, fr = mixed
    reference = brute_force_conjunctions(sats, jd, fr, SIX_HOURS, threshold_km=51.0)
    assert len(reference) > 1000  # the 51 km sphere holds many encounters
    ours: dict[tuple[int, int], list[int]] = {}
    for k in range(len(sphere)):
        ours.setdefault((int(sphere.i[k]), int(sphere.j[k])), []).append(k)
    for enc in reference:
        candidates = ours.get((enc.i, enc.j), [])
        assert candidates, f"missed {enc}"
        k = min(candidates, key=lambda m: abs(sphere.tca_s[m] - enc.tca_s))
        dv = SGP4_VELOCITY_KM_S[sats[enc.i].method == "d" or sats[enc.j].method == "d"]
        slack = enc.miss_km * dv / enc.rel_speed_km_s**2
        assert abs(sphere.tca_s[k] - enc.tca_s) < ONE_MILLISECOND + slack, enc
        assert abs(sphere.miss_km[k] - enc.miss_km) < ONE_METRE_KM, enc


def test_ellipsoids_are_the_sphere_conjunctions_inside_them(
    mixed: Sample, sphere: Conjunctions
) -> None:
    """All against all: the conjunctions of the sphere of the largest semi-axis whose miss
    vector lies in either object's ellipsoid (tested here from python-sgp4's states at TCA)
    are exactly what the ellipsoid screening returns, with the same distances."""
    sats, jd, fr = mixed
    axes = regime_semi_axes_km(_perigees_km(sats))
    found = screen_ellipsoids(Sgp4Ensemble(sats, jd, fr), SIX_HOURS, axes)
    assert found.sieve_radius_km == np.nextafter(51.0, 99)
    expected = {}
    for k in range(len(sphere)):
        i, j, t = int(sphere.i[k]), int(sphere.j[k]), float(sphere.tca_s[k])
        d1, d2 = _inside(sats[i], sats[j], jd, fr, t), _inside(sats[j], sats[i], jd, fr, t)
        if d1 <= 1.0 or d2 <= 1.0:
            expected[(i, j, t)] = (d1, d2)
    assert 15 < len(expected) < 0.1 * len(sphere)  # the radial axis is 0.4 km
    assert any(d1 > 1.0 for d1, _ in expected.values())  # kept by object 2's volume only
    c = found.conjunctions
    got = [(int(c.i[k]), int(c.j[k]), float(c.tca_s[k])) for k in range(len(found))]
    assert got == list(expected)  # the same rows, in the same (TCA) order
    d = np.array(list(expected.values()))
    assert np.allclose(found.distance1, d[:, 0], rtol=0, atol=1e-9)
    assert np.allclose(found.distance2, d[:, 1], rtol=0, atol=1e-9)
    assert np.all(np.fmin(found.distance1, found.distance2) <= 1.0)


def test_primaries_use_their_own_ellipsoid(mixed: Sample) -> None:
    """Primaries against all: a conjunction is kept only by the primary's ellipsoid, and the
    result is the all-against-all one restricted to the primaries, re-tested that way."""
    sats, jd, fr = mixed
    axes = regime_semi_axes_km(_perigees_km(sats))
    ensemble = Sgp4Ensemble(sats, jd, fr)
    everything = screen_ellipsoids(ensemble, SIX_HOURS, axes)
    c = everything.conjunctions
    # objects whose conjunctions lie in the other's volume only make the test bite
    one_sided = np.flatnonzero((everything.distance1 > 1.0) | (everything.distance2 > 1.0))
    assert len(one_sided)
    primaries = np.unique(np.concatenate([c.i[one_sided], c.j[one_sided]]))
    only = screen_ellipsoids(ensemble, SIX_HOURS, axes, primaries=primaries)
    is_primary = np.isin(np.arange(len(sats)), primaries)
    keep = (is_primary[c.i] & (everything.distance1 <= 1.0)) | (
        is_primary[c.j] & (everything.distance2 <= 1.0)
    )
    assert 0 < keep.sum() < len(everything)
    assert np.array_equal(only.conjunctions.i, c.i[keep])
    assert np.array_equal(only.conjunctions.j, c.j[keep])
    assert np.allclose(only.conjunctions.tca_s, c.tca_s[keep], rtol=0, atol=1e-6)
    assert np.isnan(only.distance1[~is_primary[only.conjunctions.i]]).all()
    assert only.sieve_radius_km == np.nextafter(axes[primaries].max(), 99)


def test_axes_must_cover_every_object(mixed: Sample) -> None:
    sats, jd, fr = mixed
    with pytest.raises(ValueError, match="semi-axes of shape"):
        screen_ellipsoids(Sgp4Ensemble(sats[:10], jd, fr), 600.0, np.ones((9, 3)))
