"""Synthetic catalogues drawn from the 2023-10-09 catalogue: reproducible, with the real
distribution of altitude and inclination, uniform phases, and element sets SGP4 accepts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sgp4.api import SatrecArray

from accord.core.synthetic import FIELDS, MeanElements, elements_of, satrecs_of, synthetic
from accord.core.time import jd_from_datetime
from accord.formats.records import ElementSet
from accord.formats.tle import load_tle

MU_KM3_S2 = 398_600.8  # WGS-72
EARTH_RADIUS_KM = 6_378.135


@pytest.fixture(scope="module")
def catalogue(shared_data: Path) -> list[ElementSet]:
    path = shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    return load_tle(path.read_text()).records


@pytest.fixture(scope="module")
def reference(catalogue: list[ElementSet]) -> MeanElements:
    return elements_of(catalogue)


def _semi_major_km(elements: MeanElements) -> np.ndarray:
    """Independently of the module: from python-sgp4's own unit conversion of each object."""
    sats = satrecs_of(elements)
    n_rad_s = np.array([s.no_kozai for s in sats]) / 60.0
    return np.asarray((MU_KM3_S2 / n_rad_s**2) ** (1.0 / 3.0))


def test_the_reference_is_the_catalogue(
    catalogue: list[ElementSet], reference: MeanElements
) -> None:
    assert len(reference) == len(catalogue) == 26_140
    assert reference.mean_motion[0] == catalogue[0].mean_motion
    assert reference.inclination[-1] == catalogue[-1].inclination
    epochs = sorted(sum(jd_from_datetime(es.epoch)) for es in catalogue)
    epoch = reference.epoch_jd + reference.epoch_fr  # the median of an even number
    assert epochs[len(epochs) // 2 - 1] - 1e-6 <= epoch <= epochs[len(epochs) // 2] + 1e-6
    np.testing.assert_allclose(reference.semi_major_km(), _semi_major_km(reference), rtol=1e-12)
    with pytest.raises(ValueError, match="empty"):
        elements_of([])


def test_the_same_seed_gives_the_same_catalogue(reference: MeanElements) -> None:
    one = synthetic(reference, 5_000, seed=3)
    two = synthetic(reference, 5_000, seed=3)
    other = synthetic(reference, 5_000, seed=4)
    for name in FIELDS:
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
        assert not np.array_equal(getattr(one, name), getattr(other, name)), name
    assert (one.epoch_jd, one.epoch_fr) == (reference.epoch_jd, reference.epoch_fr)
    # Nested: a larger draw of the same seed (across a chunk's edge) starts with this one.
    larger = synthetic(reference, 70_000, seed=3)
    for name in FIELDS:
        assert np.array_equal(getattr(larger, name)[:5_000], getattr(one, name)), name
    assert np.array_equal(
        synthetic(reference, 66_000, seed=3).mean_anomaly, larger.mean_anomaly[:66_000]
    )


def test_altitude_and_inclination_follow_the_reference(reference: MeanElements) -> None:
    drawn = synthetic(reference, 200_000, seed=1)
    q = [0.05, 0.25, 0.5, 0.75, 0.95]
    perigee = _semi_major_km(drawn) * (1 - drawn.eccentricity) - EARTH_RADIUS_KM
    perigee0 = _semi_major_km(reference) * (1 - reference.eccentricity) - EARTH_RADIUS_KM
    np.testing.assert_allclose(np.quantile(perigee, q), np.quantile(perigee0, q), rtol=0.02)
    inclination = drawn.inclination
    inclination0 = reference.inclination
    np.testing.assert_allclose(np.quantile(inclination, q), np.quantile(inclination0, q),
                               atol=0.5)  # fmt: skip

    # The Starlink shells at 53 deg, 530-570 km, keep their share of the objects.
    def shell(e: MeanElements) -> float:
        a = _semi_major_km(e) - EARTH_RADIUS_KM
        i = e.inclination
        return float(np.mean((a > 530) & (a < 570) & (np.abs(i - 53.1) < 0.5)))

    assert shell(reference) > 0.1
    assert shell(drawn) == pytest.approx(shell(reference), rel=0.02)
    assert drawn.eccentricity.max() <= 0.99
    assert drawn.inclination.min() >= 0 and drawn.inclination.max() <= 180


def test_phases_are_uniform(reference: MeanElements) -> None:
    drawn = synthetic(reference, 50_000, seed=2)
    for name in ("ra_of_asc_node", "arg_of_pericenter", "mean_anomaly"):
        values = getattr(drawn, name) / 360.0
        assert stats.kstest(values, "uniform").pvalue > 1e-3, name
    # The reference's phases are not uniform (planes of constellations): the draw does not
    # copy them.
    assert stats.kstest(reference.ra_of_asc_node / 360.0, "uniform").pvalue < 1e-6


def test_sgp4_propagates_the_synthetic_objects(reference: MeanElements) -> None:
    drawn = synthetic(reference, 20_000, seed=5)
    sats = satrecs_of(drawn)
    assert len(sats) == 20_000
    assert sats[0].jdsatepoch + sats[0].jdsatepochF == pytest.approx(
        reference.epoch_jd + reference.epoch_fr, abs=1e-9
    )
    jd = np.full(8, reference.epoch_jd)
    fr = reference.epoch_fr + np.arange(8) / 8.0
    error, r, _ = SatrecArray(sats).sgp4(jd, fr)
    assert (error == 0).mean() > 0.99
    radius = np.linalg.norm(r[error == 0], axis=-1)
    assert radius.min() > EARTH_RADIUS_KM
    # A million objects need numbers past Alpha-5's, which a Satrec cannot hold: 0 there,
    # harmlessly (the number plays no part in the propagation).
    many = satrecs_of(synthetic(reference, 3, seed=6), first_number=339_998)
    assert [s.satnum for s in many] == [339_998, 339_999, 0]


def test_bad_sizes_are_refused(reference: MeanElements) -> None:
    assert len(synthetic(reference, 0)) == 0
    with pytest.raises(ValueError, match="at least 0"):
        synthetic(reference, -1)
    empty = synthetic(reference, 0)
    with pytest.raises(ValueError, match="empty"):
        synthetic(empty, 10)
