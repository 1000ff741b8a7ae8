"""Interpolated ephemerides: accuracy against SGP4, screening through the same interface,
breaks between arcs, and the few-primaries sieve against the grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec

from accord.core.ephemeris import (
    HERMITE,
    LAGRANGE,
    LEBESGUE_CUBIC,
    Arc,
    EphemerisEnsemble,
    JoinedEnsemble,
    interpolate,
)
from accord.core.screening import Sgp4Ensemble, screen
from tests.screening_reference import catalogue_sample

HOURS_3 = 3 * 3600.0
ONE_MILLISECOND = 1e-3
ONE_METRE_KM = 1e-3


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> tuple[list[Satrec], float, float]:
    """600 objects of the densest altitude band of the 2023-10-09 catalogue."""
    path = shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    return catalogue_sample(path, 600)


def tabulate(ensemble: Sgp4Ensemble, index: int, start: float, stop: float, step: float,
             method: str = LAGRANGE, degree: int = 7) -> Arc:  # fmt: skip
    """An arc of exact SGP4 states every ``step`` seconds, as an operator's OEM holds."""
    t = np.arange(start, stop + step / 2, step)
    r, v, ok = ensemble.states_at(t)
    assert ok[index].all()
    return Arc(t, r[index], v[index], start, stop, method, degree)


def kepler(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact two-body states (position and velocity consistent to rounding) of an orbit of
    7,000 km, e = 0.01, inclined 51.6 degrees: Kepler's equation by Newton's method."""
    mu, a, e, inc = 398_600.8, 7000.0, 0.01, np.radians(51.6)
    n = np.sqrt(mu / a**3)
    m = n * t
    big_e = m.copy()
    for _ in range(20):
        big_e -= (big_e - e * np.sin(big_e) - m) / (1 - e * np.cos(big_e))
    c, s = np.cos(big_e), np.sin(big_e)
    x, y = a * (c - e), a * np.sqrt(1 - e * e) * s
    rate = n / (1 - e * c)
    vx, vy = -a * s * rate, a * np.sqrt(1 - e * e) * c * rate
    tilt = np.array([[1, 0], [0, np.cos(inc)], [0, np.sin(inc)]])
    return np.stack([x, y], 1) @ tilt.T, np.stack([vx, vy], 1) @ tilt.T


@pytest.mark.parametrize(("method", "degree", "tolerance_km"),
                         [(HERMITE, 7, 1e-9), (HERMITE, 5, 1e-6), (HERMITE, 3, 1e-3),
                          (LAGRANGE, 7, 1e-7), (LAGRANGE, 3, 1e-2)])  # fmt: skip
def test_interpolation_matches_the_motion_between_states(
    method: str, degree: int, tolerance_km: float
) -> None:
    t = np.arange(0.0, HOURS_3 + 1.0, 60.0)
    r, v = kepler(t)
    arc = Arc(t, r, v, 0.0, HOURS_3, method, degree)
    q = np.linspace(0.0, HOURS_3, 997)
    got_r, got_v = interpolate(arc, q)
    exact_r, exact_v = kepler(q)
    assert np.abs(got_r - exact_r).max() < tolerance_km
    assert np.abs(got_v - exact_v).max() < tolerance_km / 30  # km/s
    # At the tabulated times the interpolant is the table.
    at_nodes, _ = interpolate(arc, arc.times_s[5:9])
    assert np.abs(at_nodes - arc.r_km[5:9]).max() < 1e-9


def test_sgp4_velocities_are_not_derivatives_of_its_positions(
    sample: tuple[list[Satrec], float, float],
) -> None:
    """Why tables of SGP4 states are interpolated with Lagrange below: SGP4's velocity
    departs from the derivative of its position by centimetres per second, which Hermite
    interpolation turns into decimetres; Lagrange of degree 7 stays within a millimetre."""
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats[:1], jd, fr)
    q = np.linspace(0.0, HOURS_3, 997)
    exact, _, _ = ensemble.states_at(q)
    errors = {}
    for method in (HERMITE, LAGRANGE):
        arc = tabulate(ensemble, 0, 0.0, HOURS_3, 60.0, method, 7)
        errors[method] = np.abs(interpolate(arc, q)[0] - exact[0]).max()
    assert errors[LAGRANGE] < 1e-6 < 1e-4 < errors[HERMITE]


def test_lebesgue_constant_of_the_middle_interval() -> None:
    u = np.linspace(0.0, 1.0, 10_001)
    basis = [-u * (u - 1) * (u - 2) / 6, (u + 1) * (u - 1) * (u - 2) / 2,
             -(u + 1) * u * (u - 2) / 2, (u + 1) * u * (u - 1) / 6]  # fmt: skip
    assert np.sum(np.abs(basis), axis=0).max() == pytest.approx(LEBESGUE_CUBIC, abs=1e-12)


def test_an_ephemeris_screens_as_its_element_set(
    sample: tuple[list[Satrec], float, float],
) -> None:
    """Ten objects given as 60 s tables, joined with the other 590 as SGP4: the
    same conjunctions as all 600 as SGP4, to 1 ms and 1 m."""
    sats, jd, fr = sample
    everything = Sgp4Ensemble(sats, jd, fr)
    reference = screen(everything, HOURS_3, threshold_km=20.0)
    chosen = np.unique(np.concatenate([reference.i, reference.j]))[:10]
    rest = np.setdiff1d(np.arange(len(sats)), chosen)
    tables = EphemerisEnsemble([[tabulate(everything, int(k), 0.0, HOURS_3, 60.0)]
                                for k in chosen])  # fmt: skip
    joined = JoinedEnsemble([tables, Sgp4Ensemble([sats[k] for k in rest], jd, fr)])
    order = np.concatenate([chosen, rest])  # joined index -> original index
    for primaries in (None, np.arange(len(chosen))):
        found = screen(joined, HOURS_3, threshold_km=20.0, primaries=primaries)
        pairs = np.stack([np.minimum(order[found.i], order[found.j]),
                          np.maximum(order[found.i], order[found.j])], 1)  # fmt: skip
        touched = np.isin(reference.i, chosen) | np.isin(reference.j, chosen)
        wanted = touched if primaries is not None else np.ones(len(reference), dtype=bool)
        assert wanted.sum() > 5
        assert len(found) == wanted.sum()
        for k in np.flatnonzero(wanted):
            same = (pairs[:, 0] == reference.i[k]) & (pairs[:, 1] == reference.j[k])
            match = np.flatnonzero(same & (np.abs(found.tca_s - reference.tca_s[k]) < 1e-3))
            assert len(match) == 1
            assert abs(found.miss_km[match[0]] - reference.miss_km[k]) < ONE_METRE_KM


def test_a_break_between_arcs_is_screened_across(
    sample: tuple[list[Satrec], float, float],
) -> None:
    """An object that changes velocity by 2 m/s at a time between nodes: its approaches
    found by screening are those of dense 1 s sampling of the ephemeris itself."""
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats, jd, fr)
    burn = 1234.5
    t = np.arange(0.0, HOURS_3 + 30.0, 60.0)
    r, v, _ = ensemble.states_at(t)
    before = Arc(t, r[0], v[0], 0.0, burn, LAGRANGE)
    t2 = np.concatenate([[burn], t[t > burn]])
    r2, v2, _ = ensemble.states_at(t2)
    kick = np.array([0.0, 0.002, 0.0])  # km/s, added to the motion from the burn on
    after = Arc(t2, r2[0] + np.outer(t2 - burn, kick), v2[0] + kick, burn, HOURS_3, LAGRANGE)
    manoeuvring = EphemerisEnsemble([[before, after]])
    margins, kinked = manoeuvring.interval_margins(np.arange(-1, 10) * 180.0)
    assert kinked[0].sum() == 3 and margins[0, kinked[0]].min() > 1.0
    joined = JoinedEnsemble([manoeuvring, Sgp4Ensemble(sats[1:], jd, fr)])
    found = screen(joined, HOURS_3, threshold_km=50.0, primaries=np.array([0]))
    dense = np.arange(0.0, HOURS_3 + 0.5, 1.0)
    rd, _, _ = joined.states_at(dense)
    distance = np.linalg.norm(rd[1:] - rd[0][None], axis=2)
    inner = (distance[:, 1:-1] < distance[:, :-2]) & (distance[:, 1:-1] <= distance[:, 2:])
    objects, steps = np.nonzero(inner & (distance[:, 1:-1] < 49.9))
    assert len(objects) > 3
    for k, step in zip(objects + 1, steps + 1, strict=True):
        match = np.flatnonzero((found.j == k) & (np.abs(found.tca_s - dense[step]) < 1.0))
        assert len(match) == 1, (k, dense[step])
        assert found.miss_km[match[0]] <= distance[k - 1, step] + 1e-9


def test_few_primaries_agree_with_the_grid(sample: tuple[list[Satrec], float, float]) -> None:
    """Twenty primaries (pairs among them included) through the per-interval tests and the
    grid's all-against-all result restricted to them: the same conjunctions."""
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats, jd, fr)
    everything = screen(ensemble, HOURS_3)
    primaries = np.unique(np.concatenate([everything.i, everything.j]))[:20]
    only = screen(ensemble, HOURS_3, primaries=primaries)
    expected = np.isin(everything.i, primaries) | np.isin(everything.j, primaries)
    assert expected.sum() >= 20
    assert (np.isin(everything.i, primaries) & np.isin(everything.j, primaries)).any()
    assert np.array_equal(only.i, everything.i[expected])
    assert np.array_equal(only.j, everything.j[expected])
    assert np.allclose(only.tca_s, everything.tca_s[expected], rtol=0, atol=1e-9)


@pytest.mark.parametrize("side", [-1.0, 1.0])
def test_the_extension_beyond_the_data_stays_within_its_margin(side: float) -> None:
    """A two-body table continued beyond either end for the sieve's nodes (under two-body
    and J2 gravity plus the residual held constant) departs from the true two-body motion
    by less than the margin the bound adds, over two node steps of 180 s."""
    t = np.arange(0.0, HOURS_3 + 1.0, 60.0)
    r, v = kepler(t)
    ensemble = EphemerisEnsemble([[Arc(t, r, v, 0.0, HOURS_3, HERMITE, 7)]])
    edge = 0.0 if side < 0 else HOURS_3
    beyond = edge + side * np.array([60.0, 180.0, 360.0])
    got, _, ok = ensemble.states_at(beyond)
    assert ok.all()
    exact, _ = kepler(beyond)
    departure = np.linalg.norm(got[0] - exact, axis=1)
    nodes = edge + side * np.arange(-2, 2) * 180.0 if side > 0 else np.arange(-1, 3) * 180.0
    margins, _ = ensemble.interval_margins(np.sort(nodes))
    assert 0.001 < departure[-1] < margins[0, 0] / (1.0 + LEBESGUE_CUBIC)
    # Exact states are never extended.
    assert not ensemble.states_of(np.zeros(3, dtype=np.int64), beyond)[2].any()
