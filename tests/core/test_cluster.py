"""Screening on a Dask cluster (two local worker processes) against one process."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from distributed import Client, LocalCluster
from sgp4.api import Satrec

from accord.core.cluster import object_ranges, screen_on_cluster
from accord.core.propagation import satrec_fields, satrec_from_fields
from accord.core.screening import Conjunctions, Sgp4Ensemble, pair_shares, plan, screen
from tests.core.test_screening import (  # the recall sample and its tolerances
    ONE_METRE_KM,
    ONE_MILLISECOND,
    SIX_HOURS,
    sample,  # noqa: F401 - the fixture
)
from tests.screening_reference import median_epoch, read_3le


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A LocalCluster of two single-threaded worker processes."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def assert_same(one: Conjunctions, other: Conjunctions) -> None:
    """Same pairs in the same order, TCA within 1 ms, miss within 1 m, same edge flags."""
    assert len(one) == len(other)
    assert np.array_equal(one.i, other.i) and np.array_equal(one.j, other.j)
    assert np.abs(one.tca_s - other.tca_s).max(initial=0.0) < ONE_MILLISECOND
    assert np.abs(one.miss_km - other.miss_km).max(initial=0.0) < ONE_METRE_KM
    assert np.abs(one.r1_km - other.r1_km).max(initial=0.0) < ONE_METRE_KM
    assert np.array_equal(one.at_edge, other.at_edge)


@pytest.mark.slow
def test_sgp4_ensemble_pickles_to_the_same_states(shared_data: Path) -> None:
    """The whole 2023-10-09 catalogue (near-Earth on heyoka, deep space on the compiled
    kernel, refinement on python-sgp4) gives the same states, bit for bit, once pickled."""
    sats = read_3le(shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt")
    jd, fr = median_epoch(sats)
    ensemble = Sgp4Ensemble(sats, jd, fr)
    copy = pickle.loads(pickle.dumps(ensemble))
    assert copy.size == ensemble.size == len(sats) > 26_000
    times = np.array([-3600.0, 0.0, 12_345.6, 7 * 86_400.0])
    for mine, theirs in zip(ensemble.states_at(times), copy.states_at(times), strict=True):
        assert np.array_equal(mine, theirs, equal_nan=True)
    index = np.arange(0, len(sats), 7)
    at = np.linspace(0.0, 86_400.0, len(index))
    for mine, theirs in zip(ensemble.states_of(index, at), copy.states_of(index, at),
                            strict=True):  # fmt: skip
        assert np.array_equal(mine, theirs, equal_nan=True)


def test_satrec_fields_round_trip_keeps_the_catalogue_fields() -> None:
    line1 = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991"
    line2 = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482"
    sat = Satrec.twoline2rv(line1, line2)
    copy = satrec_from_fields(pickle.loads(pickle.dumps(satrec_fields(sat))))
    for name in ("satnum", "jdsatepoch", "jdsatepochF", "epochdays", "intldesg", "revnum",
                 "elnum", "no_kozai", "gsto", "bstar"):  # fmt: skip
        assert getattr(copy, name) == getattr(sat, name), name
    assert copy.sgp4(2458827.5, 0.25) == sat.sgp4(2458827.5, 0.25)


def test_object_ranges_and_pair_shares() -> None:
    assert object_ranges(10, 3) == [(0, 3), (3, 7), (7, 10)]
    assert object_ranges(2, 5) == [(0, 1), (1, 2)]
    rows = np.array([[0, 1, 0, 1, 0], [2, 5, 0, 1, 0], [0, 1, 5, 6, 0], [1, 2, 0, 1, 0]], float)
    shares = pair_shares(rows, 6, 2)
    assert sum(len(s) for s in shares) == len(rows)
    for share in shares:  # both brackets of pair (0, 1) in one share, in their order
        if (share[:, :2] == [0, 1]).all(axis=1).any():
            assert np.array_equal(share[(share[:, :2] == [0, 1]).all(axis=1)], rows[[0, 2]])


@pytest.mark.slow
def test_cluster_gives_the_single_process_conjunctions(
    sample: tuple[list[Satrec], float, float],  # noqa: F811 - the imported fixture
    client: Client,
) -> None:
    """The recall sample over 6 h, all against all: in blocks of time only, in blocks x
    three object ranges (brackets refined in five shares), and through
    ``screen(client=...)`` with smaller blocks."""
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats, jd, fr)
    one = screen(ensemble, SIX_HOURS, threshold_km=5.0)
    assert len(one) > 100
    whole = plan(ensemble.size, SIX_HOURS, 5.0, 30.0, 180.0, None, 120)
    for partitions, shares in ((1, None), (3, 5)):
        found = screen_on_cluster(client, ensemble, whole, partitions=partitions, shares=shares)
        assert_same(one, found)
    blocks = screen(ensemble, SIX_HOURS, threshold_km=5.0, block_intervals=25, client=client)
    assert_same(one, blocks)


def test_cluster_with_primaries(sample: tuple[list[Satrec], float, float], client: Client) -> None:  # noqa: F811
    """Many primaries (the grid; pairs owned by their smaller primary) and a few (tested
    one by one against all) give what one process gives."""
    sats, jd, fr = sample
    ensemble = Sgp4Ensemble(sats, jd, fr)
    everything = screen(ensemble, SIX_HOURS)
    many = np.arange(0, ensemble.size, 7)  # more than FEW_PRIMARIES
    few = np.unique(everything.j[:3])
    counts = []
    for primaries in (many, few):
        one = screen(ensemble, SIX_HOURS, primaries=primaries)
        todo = plan(ensemble.size, SIX_HOURS, 5.0, 30.0, 180.0, primaries, 30)
        assert_same(one, screen_on_cluster(client, ensemble, todo, partitions=4))
        counts.append(len(one))
    assert len(everything) > counts[0] > counts[1] > 0
