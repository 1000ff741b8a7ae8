"""Probability of collision for screened conjunctions and for received CDMs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from accord.core.covariance import default_covariance_rtn_km2, orbit_regime
from accord.core.encounter import cov_rtn_to_inertial
from accord.core.pc import PcMethod, PcResult, probability_of_collision
from accord.errors import InvalidRequestError
from accord.formats.cdm import Cdm, CdmObject
from accord.formats.records import ElementSet

__all__ = [
    "DEFAULT_HBR_M",
    "PcMethod",
    "cdm_hard_body_radius_m",
    "default_covariances_km2",
    "pc_from_cdm",
    "perigee_apogee_km",
]

# Combined hard-body radius when nothing better is known: the 5 m "exclusion volume radius"
# that the 18th/19th Space Defense Squadron states in its CDMs.
DEFAULT_HBR_M = 5.0
EARTH_RATE_RAD_S = 7.292115e-5  # IERS Conventions 2010, table 1.1
MU_KM3_S2 = 398_600.4418
EARTH_RADIUS_KM = 6378.137


def perigee_apogee_km(es: ElementSet) -> tuple[float, float]:
    """Given an element set, return its perigee and apogee altitudes (km, Kepler's third
    law on the mean motion: a rough figure, for classifying the orbit)."""
    n = es.mean_motion * 2 * np.pi / 86_400.0
    a = (MU_KM3_S2 / n**2) ** (1 / 3)
    return a * (1 - es.eccentricity) - EARTH_RADIUS_KM, a * (1 + es.eccentricity) - EARTH_RADIUS_KM


def default_covariances_km2(
    elements: Sequence[ElementSet], tca: Sequence[datetime], r_km: np.ndarray, v_km_s: np.ndarray
) -> np.ndarray:
    """Given element sets, TCAs and the states at TCA ``(n, 3)``, return the default
    position covariances ``(n, 3, 3)`` in km**2 in the states' frame."""
    hp, ha = np.array([perigee_apogee_km(es) for es in elements]).T.reshape(2, -1)
    age = np.array(
        [(t - es.epoch).total_seconds() / 86_400.0 for es, t in zip(elements, tca, strict=True)]
    )
    cov_rtn = default_covariance_rtn_km2(orbit_regime(hp, ha), age)
    return cov_rtn_to_inertial(cov_rtn, r_km, v_km_s)


@dataclass(frozen=True)
class CdmPc:
    """A Pc recomputed from a CDM's states and covariances."""

    pc: float
    method: PcMethod
    hbr_m: float
    hbr_source: str  # option | cdm | default
    cdm_pc: float | None
    cdm_method: str | None
    result: PcResult


_HBR_COMMENT = re.compile(
    r"(?:exclusion volume radius|hard[ -]body radius)\s*=\s*([0-9.eE+-]+)", re.IGNORECASE
)


def cdm_hard_body_radius_m(cdm: Cdm) -> float | None:
    """Return the combined hard-body radius a CDM states, in m, or None.

    A comment such as CSpOC's "Exclusion Volume Radius = 5 [m]" (the radius its Pc used),
    else AREA_PC of both objects (radii of the equal-area circles, summed).
    """
    comments = [*cdm.header_comments, *cdm.relative_comments]
    for obj in cdm.objects:
        comments += [*obj.metadata_comments, *obj.od_comments, *obj.additional_comments]
    for text in comments:
        match = _HBR_COMMENT.search(text)
        if match:
            return float(match.group(1))
    areas = [o.area_pc_m2 for o in cdm.objects]
    if all(a is not None for a in areas):
        return float(sum(np.sqrt(a / np.pi) for a in areas if a is not None))
    return None


def _inertial_state(obj: CdmObject) -> tuple[np.ndarray, np.ndarray]:
    """Return the object's state in an inertial frame: ITRF states get the Earth's rotation
    added back (the instantaneous inertial frame aligned with the ITRF at TCA), so that the
    RTN frame of the covariance is the inertial one, as CCSDS 508.0-B-1 3.5.1 intends."""
    r = np.array(obj.r_km)
    v = np.array(obj.v_km_s)
    if obj.ref_frame == "ITRF":
        v = v + np.cross([0.0, 0.0, EARTH_RATE_RAD_S], r)
    return r, v


def pc_from_cdm(
    cdm: Cdm, method: PcMethod = PcMethod.FOSTER, hbr_m: float | None = None, **options: object
) -> CdmPc:
    """Compute a CDM's Pc from its states and covariances (never from its own Pc field).

    The hard-body radius is ``hbr_m`` if given, else the CDM's
    (:func:`cdm_hard_body_radius_m`), else ``DEFAULT_HBR_M``.
    """
    source = "option"
    if hbr_m is None:
        hbr_m = cdm_hard_body_radius_m(cdm)
        source = "cdm"
    if hbr_m is None:
        hbr_m, source = DEFAULT_HBR_M, "default"
    if hbr_m <= 0:
        raise InvalidRequestError(f"hard-body radius must be positive, got {hbr_m} m")
    (r1, v1), (r2, v2) = (_inertial_state(o) for o in cdm.objects)
    cov1 = cov_rtn_to_inertial(cdm.object1.cov_rtn_m_m_s()[:3, :3] / 1e6, r1, v1)
    cov2 = cov_rtn_to_inertial(cdm.object2.cov_rtn_m_m_s()[:3, :3] / 1e6, r2, v2)
    result = probability_of_collision(
        r1,
        v1,
        cov1,
        r2,
        v2,
        cov2,
        hbr_m / 1000.0,
        method,
        **options,  # type: ignore[arg-type]
    )
    return CdmPc(
        pc=float(result.pc),
        method=method,
        hbr_m=hbr_m,
        hbr_source=source,
        cdm_pc=cdm.collision_probability,
        cdm_method=cdm.collision_probability_method,
        result=result,
    )
