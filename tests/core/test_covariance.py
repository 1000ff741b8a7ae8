"""Default covariances: regimes of real orbits, growth with age."""

from __future__ import annotations

import numpy as np

from accord.core.covariance import DEFAULT_SIGMAS_KM, default_covariance_rtn_km2, orbit_regime


def test_regimes_of_real_orbits() -> None:
    # ISS, a GPS satellite, a geostationary satellite, a Molniya orbit (perigee, apogee km).
    hp = np.array([415.0, 20_100.0, 35_780.0, 600.0])
    ha = np.array([420.0, 20_300.0, 35_795.0, 39_700.0])
    assert list(orbit_regime(hp, ha)) == ["LEO", "MEO", "GEO", "HEO"]


def test_covariance_grows_with_age_and_is_diagonal() -> None:
    cov = default_covariance_rtn_km2(["LEO", "LEO", "GEO"], [0.0, 2.0, -2.0])
    (r0, t0, n0), (dr, dt, dn) = DEFAULT_SIGMAS_KM["LEO"]
    assert np.allclose(np.sqrt(np.diagonal(cov[0])), [r0, t0, n0])
    assert np.allclose(np.sqrt(np.diagonal(cov[1])), [r0 + 2 * dr, t0 + 2 * dt, n0 + 2 * dn])
    # Age counts both ways (TCA before the epoch is propagation backwards).
    assert np.allclose(cov[2], default_covariance_rtn_km2(["GEO"], [2.0])[0])
    assert np.count_nonzero(cov - np.diagonal(cov, axis1=1, axis2=2)[:, :, None] * np.eye(3)) == 0
