"""Screening against the independent brute-force reference (tests/screening_reference.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec

from accord.core.screening import (
    BLOCK_INTERVALS,
    DEFAULT_NODE_STEP_S,
    DEFAULT_STEP_S,
    Sgp4Ensemble,
    plan,
    rtn_matrices,
    screen,
    spread,
)
from accord.core.sieve import interval_bounds
from tests.screening_reference import (
    ReferenceEncounter,
    brute_force_conjunctions,
    catalogue_sample,
    median_epoch,
    read_3le,
)

ONE_MILLISECOND = 1e-3
ONE_METRE_KM = 1e-3
SIX_HOURS = 6 * 3600.0


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> tuple[list[Satrec], float, float]:
    """2,000 objects of the densest altitude band of the 2023-10-09 catalogue."""
    return catalogue_sample(shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt",
                            2000)  # fmt: skip


@pytest.fixture(scope="module")
def reference(sample: tuple[list[Satrec], float, float]) -> list[ReferenceEncounter]:
    sats, jd, fr = sample
    return brute_force_conjunctions(sats, jd, fr, SIX_HOURS)


@pytest.mark.slow
def test_every_reference_encounter_is_found(
    sample: tuple[list[Satrec], float, float], reference: list[ReferenceEncounter]
) -> None:
    sats, jd, fr = sample
    found = screen(Sgp4Ensemble(sats, jd, fr), SIX_HOURS, threshold_km=5.0)
    assert len(reference) > 100  # the sample is dense: hundreds of encounters in 6 h
    ours = {}
    for k in range(len(found)):
        ours.setdefault((int(found.i[k]), int(found.j[k])), []).append(k)
    for enc in reference:
        candidates = ours.get((enc.i, enc.j), [])
        assert candidates, f"missed {enc}"
        k = min(candidates, key=lambda c: abs(found.tca_s[c] - enc.tca_s))
        assert abs(found.tca_s[k] - enc.tca_s) < ONE_MILLISECOND, enc
        assert abs(found.miss_km[k] - enc.miss_km) < ONE_METRE_KM, enc
        assert abs(found.relative_speed_km_s[k] - enc.rel_speed_km_s) < 1e-6
    # Nothing found that the reference does not know (same count, misses all below D).
    assert len(found) == len(reference)
    assert np.all(found.miss_km < 5.0)


def test_steps_give_the_same_conjunctions(sample: tuple[list[Satrec], float, float]) -> None:
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats[:600], jd, fr)
    a = screen(ensemble, 3600.0, step_s=60.0)
    b = screen(ensemble, 3600.0, step_s=17.0)
    assert len(a) == len(b) > 0
    assert np.array_equal(a.i, b.i) and np.array_equal(a.j, b.j)
    assert np.abs(a.tca_s - b.tca_s).max() < 1e-6
    assert np.abs(a.miss_km - b.miss_km).max() < 1e-9


def test_primaries_against_all(sample: tuple[list[Satrec], float, float]) -> None:
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats[:600], jd, fr)
    everything = screen(ensemble, 3600.0)
    primary = int(everything.i[0])
    only = screen(ensemble, 3600.0, primaries=np.array([primary]))
    expected = (everything.i == primary) | (everything.j == primary)
    assert np.array_equal(only.j, everything.j[expected])
    assert np.allclose(only.tca_s, everything.tca_s[expected], rtol=0, atol=1e-9)


def test_relative_rtn_frame() -> None:
    r = np.array([[7000.0, 0.0, 0.0]])
    v = np.array([[0.0, 7.5, 0.0]])
    rot = rtn_matrices(r, v)
    assert np.allclose(rot[0], np.eye(3))  # R along x, T along y, N along z
    r2 = np.array([[0.0, 0.0, 7000.0]])
    v2 = np.array([[7.5, 0.0, 0.0]])
    assert np.allclose(rtn_matrices(r2, v2)[0], [[0, 0, 1], [1, 0, 0], [0, 1, 0]])


def test_workers_do_not_change_the_result(sample: tuple[list[Satrec], float, float]) -> None:
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats[:600], jd, fr)
    one = screen(ensemble, 3600.0, block_intervals=5)
    two = screen(ensemble, 3600.0, block_intervals=5, workers=2)
    assert len(one) > 0
    for name in ("i", "j", "tca_s", "miss_km", "r1_km", "v2_km_s", "at_edge"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    # A window of one default block is cut into a block per worker: the same result.
    todo = plan(600, 3600.0, 5.0, DEFAULT_STEP_S, DEFAULT_NODE_STEP_S, None, BLOCK_INTERVALS)
    assert len(todo.firsts()) == 1
    assert len(spread(todo, 2).firsts()) == 2 and len(spread(todo, 1).firsts()) == 1
    whole = screen(ensemble, 3600.0, workers=1)
    split = screen(ensemble, 3600.0, workers=2)
    for name in ("i", "j", "tca_s", "miss_km", "r1_km", "v2_km_s", "at_edge"):
        assert np.array_equal(getattr(whole, name), getattr(split, name)), name


@pytest.mark.slow
def test_interpolation_bounds_hold_over_the_catalogue(shared_data: Path) -> None:
    """Every object of the 2023-10-09 catalogue, on intervals at the start, middle and end
    of a 7-day window: the distance between exact SGP4 and the cubic through four nodes
    never exceeds the bound the sieve relies on."""
    path = shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    sats = read_3le(path)
    jd, fr = median_epoch(sats)
    ensemble = Sgp4Ensemble(sats, jd, fr)
    node = DEFAULT_NODE_STEP_S
    checked = 0
    for first in (0.0, 3.5 * 86_400.0, 7 * 86_400.0 - node):
        times = first + np.arange(-1, 3) * node
        r, v, valid = ensemble.states_at(times)
        bound = interval_bounds(
            np.ascontiguousarray(r),
            np.ascontiguousarray(v),
            valid,
            node,
            np.zeros((r.shape[0], r.shape[1] - 3), dtype=bool),
        )[:, 0]
        screened = np.isfinite(bound)
        assert screened.mean() > 0.98  # all but decayed objects and error codes
        u = np.linspace(0.0, 1.0, 13)[1:-1]  # inside the interval [nodes 1, 2]
        exact, _, ok = ensemble.states_at(first + u * node)
        # Lagrange basis on nodes -1, 0, 1, 2 (units of the node step).
        basis = np.stack(
            [
                -u * (u - 1) * (u - 2) / 6,
                (u + 1) * (u - 1) * (u - 2) / 2,
                -(u + 1) * u * (u - 2) / 2,
                (u + 1) * u * (u - 1) / 6,
            ]
        )
        cubic = np.einsum("mu,nmc->nuc", basis, r)
        error = np.linalg.norm(cubic - exact, axis=-1)
        keep = screened & ok.all(axis=1)
        assert np.all(error[keep].max(axis=1) <= bound[keep])
        # The bound is a bound, not a guess: within a small factor for most objects.
        ratio = error[keep].max(axis=1) / bound[keep]
        assert np.median(ratio) > 0.05
        checked += int(keep.sum())
    assert checked > 75_000
