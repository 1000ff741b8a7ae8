"""Default position covariances for element sets that come without one.

A TLE or OMM carries no covariance. To give a conjunction a probability of collision at
all, Accord then assumes a diagonal RTN covariance whose standard deviations depend on the
orbit regime and grow with the element set's age at TCA. The values are deliberately
conservative round figures of the order reported for the public catalogue by Flohrer, Krag
& Klinkrad, "Assessment and categorization of TLE orbit errors for the US SSN catalogue"
(AMOS 2008, tables 2-4: LEO along-track errors of about 0.5-1 km at epoch, radial and
cross-track a few hundred metres) and Vallado & Cefola, "Two-line element sets - practice
and use" (IAC-12-C1.6.12, 2012: along-track errors growing by roughly 1 km a day in LEO).
Every Pc computed with them is flagged ``covariance_source = "default"`` and written with
``COVARIANCE_METHOD = DEFAULT`` in CDMs (CCSDS 508.0-B-1 Table 3-3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

# Regime: (sigma R, sigma T, sigma N) in km at epoch, and their growth in km per day.
DEFAULT_SIGMAS_KM: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "LEO": ((0.2, 1.0, 0.3), (0.1, 1.0, 0.05)),
    "MEO": ((0.5, 2.0, 0.5), (0.1, 0.5, 0.05)),
    "GEO": ((1.0, 5.0, 1.0), (0.1, 1.0, 0.1)),
    "HEO": ((1.0, 10.0, 1.0), (0.5, 5.0, 0.2)),
}
EARTH_RADIUS_KM = 6378.137


def orbit_regime(perigee_km: ArrayLike, apogee_km: ArrayLike) -> NDArray[np.str_]:
    """Given perigee and apogee altitudes (km, arrays), return "LEO", "MEO", "GEO" or "HEO".

    LEO: apogee below 2,000 km; GEO: both within 1,000 km of 35,786 km; HEO: eccentric
    orbits (apogee - perigee above 5,000 km) not LEO; MEO: the rest.
    """
    hp = np.asarray(perigee_km, dtype=np.float64)
    ha = np.asarray(apogee_km, dtype=np.float64)
    out = np.full(np.broadcast(hp, ha).shape, "MEO", dtype="<U3")
    out[(ha - hp) > 5000.0] = "HEO"
    out[(np.abs(hp - 35786.0) < 1000.0) & (np.abs(ha - 35786.0) < 1000.0)] = "GEO"
    out[ha < 2000.0] = "LEO"
    return out


def default_covariance_rtn_km2(regime: ArrayLike, age_days: ArrayLike) -> FloatArray:
    """Given regimes ``(n,)`` and element-set ages at TCA ``(n,)`` in days, return the
    default RTN position covariances ``(n, 3, 3)`` in km**2 (diagonal)."""
    regimes = np.atleast_1d(np.asarray(regime))
    age = np.abs(np.atleast_1d(np.asarray(age_days, dtype=np.float64)))
    base = np.array([DEFAULT_SIGMAS_KM[str(r)][0] for r in regimes])
    growth = np.array([DEFAULT_SIGMAS_KM[str(r)][1] for r in regimes])
    sigma = base + growth * age[:, None]
    out = np.zeros((len(regimes), 3, 3))
    out[:, [0, 1, 2], [0, 1, 2]] = sigma**2
    return out
