"""The compiled SGP4/SDP4 kernel against Vallado's verification set and python-sgp4.

Authorities: ``tcppver.out`` (the output of Vallado's C++ on ``SGP4-VER.TLE``, AIAA
2006-6753), reproduced line by line as ``test_propagation`` does for python-sgp4; and
python-sgp4's ``SatrecArray`` on every element set of a full Space-Track catalogue.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec, SatrecArray

from accord.core.propagation import Propagation
from accord.core.sgp4_kernel import (
    N_PARAMETERS,
    parameters,
    propagate,
    propagate_each,
    propagate_minutes,
)
from accord.formats.tle import load_tle
from accord.services.propagation import satrec_of
from tests.core.test_propagation import (
    assert_tcppver,
    cases,  # noqa: F401 - the fixture
    regenerate,
    tcppver,  # noqa: F401 - the fixture
    verification_times,
)

ten_micrometres = 1e-8  # km
ten_nanometres_per_s = 1e-11  # km/s


def test_tcppver_reproduced_by_the_kernel(cases: list, tcppver: list[str]) -> None:  # noqa: F811
    actual: list[str] = []
    errors: list[int] = []
    deep = 0
    for case in cases:
        sat = Satrec.twoline2rv(case.line1, case.line2)
        deep += sat.method == "d"
        params = parameters([sat])
        error, r, v = propagate_minutes(params, np.array(verification_times(case)))
        failed = error[0] != 0
        r[0][failed], v[0][failed] = np.nan, np.nan  # Propagation's convention
        lines, code = regenerate(sat, case, Propagation(r[0], v[0], error[0]))
        actual.extend(lines)
        if code is not None:
            errors.append(code)
    assert deep >= 10  # the set exercises SDP4: resonances, Lyddane, GEO, Molniya
    assert_tcppver(actual, errors, tcppver)


def test_verification_cases_agree_with_python_sgp4_at_every_time(cases: list) -> None:  # noqa: F811
    sats = [Satrec.twoline2rv(c.line1, c.line2) for c in cases]
    minutes = np.linspace(-1440.0, 4320.0, 97)
    jd = np.array([s.jdsatepoch for s in sats])
    fr = np.array([s.jdsatepochF for s in sats])
    for k, sat in enumerate(sats):  # one object at a time: a 1-D batch and python-sgp4's
        error, r, v = propagate(parameters([sat]), jd[k] + 0 * minutes, fr[k] + minutes / 1440)
        e0, r0, v0 = sat.sgp4_array(jd[k] + 0 * minutes, fr[k] + minutes / 1440)
        assert (error[0] == e0).all(), sat.satnum
        ok = (e0 == 0) | (e0 == 6)
        np.testing.assert_allclose(r[0][ok], r0[ok], rtol=0, atol=ten_micrometres)
        np.testing.assert_allclose(v[0][ok], v0[ok], rtol=0, atol=ten_nanometres_per_s)
        assert np.isnan(r[0][~ok]).all() and np.isnan(v[0][~ok]).all()


def test_a_single_state_is_the_zero_dimensional_case(cases: list) -> None:  # noqa: F811
    sat = Satrec.twoline2rv(cases[0].line1, cases[0].line2)
    error, r, v = propagate(parameters([sat]), np.array([sat.jdsatepoch]),
                            np.array([sat.jdsatepochF + 0.25]))  # fmt: skip
    e0, r0, v0 = sat.sgp4(sat.jdsatepoch, sat.jdsatepochF + 0.25)
    assert error.shape == (1, 1) and r.shape == v.shape == (1, 1, 3)
    assert error[0, 0] == e0 == 0
    np.testing.assert_allclose(r[0, 0], r0, rtol=0, atol=ten_micrometres)
    np.testing.assert_allclose(v[0, 0], v0, rtol=0, atol=ten_nanometres_per_s)


def test_each_element_set_at_its_own_time(cases: list) -> None:  # noqa: F811
    sats = [Satrec.twoline2rv(c.line1, c.line2) for c in cases]
    rng = np.random.default_rng(7)
    rows = rng.integers(0, len(sats), 500)
    minutes = rng.uniform(-1440.0, 4320.0, 500)
    jd = np.array([sats[k].jdsatepoch for k in rows])
    fr = np.array([sats[k].jdsatepochF for k in rows]) + minutes / 1440
    error, r, v = propagate_each(parameters(sats), rows, jd, fr)
    assert error.shape == (500,) and r.shape == v.shape == (500, 3)
    for k, row in enumerate(rows):
        e0, r0, v0 = sats[row].sgp4(jd[k], fr[k])
        assert error[k] == e0, (sats[row].satnum, minutes[k])
        if e0 in (0, 6):
            np.testing.assert_allclose(r[k], r0, rtol=0, atol=ten_micrometres)
            np.testing.assert_allclose(v[k], v0, rtol=0, atol=ten_nanometres_per_s)
        else:
            assert np.isnan(r[k]).all()
    assert {sats[row].method for row in rows} == {"d", "n"}


@pytest.fixture(scope="module")
def catalogue(shared_data: Path) -> list[Satrec]:
    path = shared_data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    return [satrec_of(es) for es in load_tle(path.read_text()).records]


@pytest.mark.parametrize("method", ["d", "n"], ids=["deep-space", "near-Earth"])
def test_a_full_catalogue_agrees_with_python_sgp4(catalogue: list[Satrec], method: str) -> None:
    sats = [s for s in catalogue if s.method == method]
    assert len(sats) > (4_000 if method == "d" else 20_000)
    params = parameters(sats)
    assert params.shape == (len(sats), N_PARAMETERS)
    hours = np.arange(0.0, 169.0, 6.0)  # a week from the catalogue's day, every 6 h
    jd = np.full(len(hours), 2460226.5)
    fr = 0.5 + hours / 24.0
    error, r, v = propagate(params, jd, fr)
    e0, r0, v0 = SatrecArray(sats).sgp4(jd, fr)
    assert (error == e0).all()
    ok = (e0 == 0) & (np.linalg.norm(r0, axis=2) < 1e5)  # escaping rows: to rounding, relatively
    assert ok.mean() > 0.95
    assert np.abs(r[ok] - r0[ok]).max() < ten_micrometres
    assert np.abs(v[ok] - v0[ok]).max() < ten_nanometres_per_s
    far = (e0 == 0) & ~ok
    if far.any():
        np.testing.assert_allclose(r[far], r0[far], rtol=1e-12)


def test_parameters_are_kept_per_element_set(catalogue: list[Satrec]) -> None:
    first = parameters(catalogue[:50])
    again = parameters(catalogue[:50])
    assert np.array_equal(first, again)
    assert len({row.tobytes() for row in first}) == 50  # fifty element sets, fifty rows
