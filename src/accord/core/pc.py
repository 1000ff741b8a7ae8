"""Probability of collision of two objects at a conjunction: one entry point, several methods.

All methods use the short-term encounter model (rectilinear relative motion, Gaussian
position errors, independent and constant over the encounter, no velocity error; see
:mod:`accord.core.encounter`), a hard-body region around the primary of radius HBR (the sum
of both objects' radii), and differ in how the 2D integral is done:

``FOSTER``  the exact integral over the circle (Foster & Estes, NASA JSC-25898, 1992),
    evaluated as in Alfano (J. Astronaut. Sci. 53(1), 2005): :mod:`accord.core.pc_foster`.
``CHAN``  Chan's series (Chan, "Collision probability analyses for Earth orbiting
    satellites", Adv. Astronaut. Sci. 96, 1997; "Spacecraft Collision Probability", 2008,
    ch. 4): the disc in whitened coordinates replaced by the circle of equal area, whose
    probability is the noncentral chi-square CDF, summed as a Poisson mixture.
``ALFRIEND``  the density at the miss times the disc area (Alfriend, Akella, Frisbee,
    Foster, Lee & Wilkins, Space Debris 1(1), 1999): ``HBR**2 / (2 sx sy) exp(-v/2)``.
``ALFANO_MAX``  the maximum over the covariance's scale (Alfano, J. Astronaut. Sci. 53(2),
    2005): :mod:`accord.core.pc_max`.
``MONTE_CARLO``, ``MONTE_CARLO_3D``  sampled, with a binomial confidence interval:
    :mod:`accord.core.pc_monte_carlo`.

CCSDS CDM ``COLLISION_PROBABILITY_METHOD`` names (CCSDS 508.0-B-1; the values
of the SANA registry "CDM Collision Probability Methods", https://sanaregistry.org/r/cdm_cpm,
as Orekit's ``PocMethodType`` lists them): FOSTER-1992, CHAN-1997, ALFRIEND-1999 and
ALFANO-MAX-PROBABILITY for the first four; the registry has no Monte Carlo name, so those
have none (``ccsds_name`` is None).

Hard-body shapes: ``"circle"`` (radius HBR); ``"square"`` (side ``2 HBR``, circumscribing
the circle, so its Pc is larger, by ``4/pi`` when HBR is small); ``"square-equal-area"``
(side ``sqrt(pi) HBR``).  A square's orientation is ``square_axes``: ``"miss"`` (sides along
the miss vector and ``r x v`` on the encounter plane: NASA CARA's ``Pc2D_Foster.m``),
``"principal"`` (along the covariance's principal axes: CARA ``PcCircle.m``
EstimationMode -1, closed form), or ``"radial"`` (along the primary's radial direction
projected on the plane, and the perpendicular).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammainc, gammaln, xlogy

from accord.core.encounter import (
    Batch,
    EncounterPlane,
    MissFrom,
    PcStatus,
    StatusArray,
    as_batch,
    plane_from_batch,
)
from accord.core.pc_foster import foster_circle, foster_square, square_principal
from accord.core.pc_max import alfano_scaling_max
from accord.core.pc_monte_carlo import (
    IntervalMethod,
    MonteCarloEstimate,
    monte_carlo_2d,
    monte_carlo_3d,
)
from accord.errors import InvalidRequestError

FloatArray = NDArray[np.float64]
Shape = Literal["circle", "square", "square-equal-area"]
SquareAxes = Literal["miss", "principal", "radial"]

_CHAN_BLOCK = 64  # series terms evaluated at once
_CHAN_MAX_TERMS = 20_000
_CHAN_TOLERANCE = 1e-12  # relative bound on the truncated tail


class PcMethod(StrEnum):
    """The Pc methods of :func:`probability_of_collision`."""

    FOSTER = "foster"
    CHAN = "chan"
    ALFRIEND = "alfriend"
    ALFANO_MAX = "alfano-max"
    MONTE_CARLO = "monte-carlo"
    MONTE_CARLO_3D = "monte-carlo-3d"

    @property
    def ccsds_name(self) -> str | None:
        """The SANA CDM collision-probability method name, or None where there is none."""
        return _CCSDS_NAMES.get(self)

    @classmethod
    def for_ccsds_name(cls, name: str) -> PcMethod | None:
        """Given a CDM ``COLLISION_PROBABILITY_METHOD``, return the method that computes the
        same quantity, or None.  ALFANO-2005 (the same integral by Simpson's rule) and
        PATERA-2001 (the same integral as a contour integral) map to ``FOSTER``."""
        return _FROM_CCSDS.get(name.strip().upper())


_CCSDS_NAMES: dict[PcMethod, str] = {
    PcMethod.FOSTER: "FOSTER-1992",
    PcMethod.CHAN: "CHAN-1997",
    PcMethod.ALFRIEND: "ALFRIEND-1999",
    PcMethod.ALFANO_MAX: "ALFANO-MAX-PROBABILITY",
}
_FROM_CCSDS: dict[str, PcMethod] = {
    **{name: method for method, name in _CCSDS_NAMES.items()},
    "ALFANO-2005": PcMethod.FOSTER,
    "PATERA-2001": PcMethod.FOSTER,
}


@dataclass(frozen=True)
class PcResult:
    """Collision probabilities of a batch, in the batch's shape (``()`` for one conjunction).

    ``pc`` float (NaN where ``status`` is not OK); ``status`` uint8
    :class:`~accord.core.encounter.PcStatus`; ``method`` and ``shape`` as requested.  Monte
    Carlo methods also fill ``pc_low``/``pc_high`` (the interval at ``confidence``),
    ``hits`` and ``n_samples``; other methods leave them None.  ``encounter`` is the
    :class:`~accord.core.encounter.EncounterPlane`, flat ``(n, ...)``.
    """

    pc: FloatArray
    status: StatusArray
    method: PcMethod
    shape: Shape
    encounter: EncounterPlane
    pc_low: FloatArray | None = None
    pc_high: FloatArray | None = None
    hits: NDArray[np.int64] | None = None
    n_samples: int | None = None
    confidence: float | None = None

    @property
    def ok(self) -> NDArray[np.bool_]:
        """True where the Pc was computed."""
        return self.status == PcStatus.OK

    @property
    def ccsds_method(self) -> str | None:
        """The CDM ``COLLISION_PROBABILITY_METHOD`` value for this result, if any."""
        return self.method.ccsds_name


def chan_circle(
    miss_principal_km: FloatArray,
    sigma_major_km: FloatArray,
    sigma_minor_km: FloatArray,
    hbr_km: FloatArray,
) -> tuple[FloatArray, StatusArray]:
    """Given principal-axis miss ``(n, 2)``, sigmas and HBR ``(n,)`` km, return Chan's
    ``(pc, status)``.

    With ``u = HBR**2 / (sx sy)`` and ``v = (xm/sx)**2 + (ym/sy)**2`` (Chan 1997; 2008
    ch. 4): ``Pc = sum_m exp(-v/2) (v/2)**m / m! * P(m + 1, u/2)``, ``P`` the regularised
    lower incomplete gamma function (``= 1 - exp(-u/2) sum_{k<=m} (u/2)**k / k!``, without
    its cancellation).  Terms run from 0 until the Poisson tail beyond them is below
    ``1e-12`` of the sum (about ``v/2 + 12 sqrt(v/2) + 25``); more than 20,000 would be
    needed only for misses beyond ~140 sigma, reported as ``SERIES_NOT_CONVERGED``
    unless the tail bound is negligible anyway.  Exact for isotropic covariance; otherwise
    its error is about ``(R/sy)**2 (1 + (ym/sy)**2) / 8`` relative (see ``docs/pc.md``).
    """
    hbr = np.asarray(hbr_km, dtype=np.float64)
    u = hbr * hbr / (sigma_major_km * sigma_minor_km)
    v = (miss_principal_km[:, 0] / sigma_major_km) ** 2 + (
        miss_principal_km[:, 1] / sigma_minor_km
    ) ** 2
    lam, half_u = 0.5 * v, 0.5 * u
    needed = np.ceil(lam + 12.0 * np.sqrt(lam) + 25.0)
    terms = np.minimum(needed, _CHAN_MAX_TERMS).astype(np.int64)
    total = np.zeros(len(u))
    active = np.flatnonzero(np.isfinite(u))
    for start in range(0, int(terms.max(initial=0)), _CHAN_BLOCK):
        active = active[terms[active] > start]
        if active.size == 0:
            break
        m = start + np.arange(_CHAN_BLOCK, dtype=np.float64)
        keep = m[None, :] < terms[active, None]
        lam_a = lam[active, None]
        log_weight = -lam_a + xlogy(m, lam_a) - gammaln(m + 1.0)
        term = np.exp(log_weight) * gammainc(m + 1.0, half_u[active, None])
        total[active] += np.sum(np.where(keep, term, 0.0), axis=1)
    # Every term beyond the last is at most P(M + 1, u/2) times a Poisson tail weight.
    tail = gammainc(terms.astype(np.float64), lam) * gammainc(terms + 1.0, half_u)
    status = np.zeros(len(u), dtype=np.uint8)
    unconverged = (terms < needed) & (tail > _CHAN_TOLERANCE * total)
    status[unconverged] = PcStatus.SERIES_NOT_CONVERGED
    pc = np.where(np.isinf(u), 1.0, np.minimum(total, 1.0))
    return np.where(unconverged, np.nan, pc), status


def alfriend_circle(
    miss_principal_km: FloatArray,
    sigma_major_km: FloatArray,
    sigma_minor_km: FloatArray,
    hbr_km: FloatArray,
) -> FloatArray:
    """Given principal-axis miss ``(n, 2)``, sigmas and HBR ``(n,)`` km, return Alfriend et
    al.'s (1999) ``HBR**2 / (2 sx sy) exp(-v/2)`` (density at the miss times the disc's area;
    a good approximation only when HBR is much smaller than both sigmas), capped at 1."""
    v = (miss_principal_km[:, 0] / sigma_major_km) ** 2 + (
        miss_principal_km[:, 1] / sigma_minor_km
    ) ** 2
    hbr = np.asarray(hbr_km, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        pc = hbr * hbr / (2.0 * sigma_major_km * sigma_minor_km) * np.exp(-0.5 * v)
    return np.minimum(pc, 1.0)


def _rotate(miss: FloatArray, cov: FloatArray, angle: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Return miss ``(n, 2)`` and covariance ``(n, 2, 2)`` in axes turned by ``angle``."""
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    return (
        np.einsum("nij,nj->ni", rotation, miss),
        rotation @ cov @ np.swapaxes(rotation, -1, -2),
    )


def _square_frame(
    plane: EncounterPlane, rows: NDArray[np.intp], r1: FloatArray, axes: SquareAxes
) -> tuple[FloatArray, FloatArray]:
    """Return the miss and covariance in the axes the square is aligned with."""
    miss, cov = plane.miss_km[rows], plane.cov_km2[rows]
    if axes == "miss":
        return miss, cov
    basis = plane.basis[rows]
    radial = r1[rows] / np.linalg.norm(r1[rows], axis=-1, keepdims=True)
    angle = np.arctan2(np.sum(radial * basis[:, 2], -1), np.sum(radial * basis[:, 0], -1))
    return _rotate(miss, cov, angle)


def _half_side(shape: Shape, hbr: FloatArray) -> FloatArray:
    return hbr if shape == "square" else 0.5 * np.sqrt(np.pi) * hbr


def probability_of_collision(
    r1_km: ArrayLike,
    v1_km_s: ArrayLike,
    cov1_km2: ArrayLike,
    r2_km: ArrayLike,
    v2_km_s: ArrayLike,
    cov2_km2: ArrayLike,
    hbr_km: ArrayLike,
    method: PcMethod = PcMethod.FOSTER,
    shape: Shape = "circle",
    *,
    square_axes: SquareAxes = "miss",
    miss_from: MissFrom = "projected",
    n_samples: int = 1_000_000,
    rng: np.random.Generator | int | None = None,
    confidence: float = 0.95,
    interval: IntervalMethod = "wilson",
) -> PcResult:
    """Given both objects' states and position covariances at TCA, return their Pc.

    ``r1_km``, ``v1_km_s``, ``r2_km``, ``v2_km_s``: ``(n, 3)`` (or ``(3,)``) in km and
    km/s; ``cov1_km2``, ``cov2_km2``: ``(n, 3, 3)`` (or 6x6, position block used) in km**2,
    all in one inertial frame (see :func:`~accord.core.encounter.cov_rtn_to_inertial` for
    a CDM's RTN covariance, in m**2); ``hbr_km``: the combined hard-body radius, scalar or
    ``(n,)``.  Inputs broadcast against each other.  ``method`` and ``shape`` as the module
    says; the Monte Carlo options (``n_samples`` draws per conjunction, ``rng`` a
    Generator or a seed, ``confidence``, ``interval``) apply to Monte Carlo only.
    ``miss_from="range"`` takes the miss distance as ``|r2 - r1|`` as NASA CARA does,
    instead of its part perpendicular to the relative velocity (they differ when the states
    are not exactly at TCA; :func:`~accord.core.encounter.encounter_basis`).  Rows
    with bad input come back NaN with a status code; an impossible combination of
    arguments (Chan with a square, say) raises :class:`~accord.errors.InvalidRequestError`.
    """
    method = PcMethod(method)
    if shape not in ("circle", "square", "square-equal-area"):
        raise InvalidRequestError(
            f"unknown hard-body shape {shape!r}; expected circle, square or square-equal-area"
        )
    if square_axes not in ("miss", "principal", "radial"):
        raise InvalidRequestError(
            f"unknown square alignment {square_axes!r}; expected miss, principal or radial"
        )
    if miss_from not in ("projected", "range"):
        raise InvalidRequestError(f"unknown miss_from {miss_from!r}; expected projected or range")
    if shape != "circle" and method in (PcMethod.CHAN, PcMethod.ALFRIEND, PcMethod.ALFANO_MAX):
        raise InvalidRequestError(f"method {method.value} is defined for a circle, not a {shape}")
    if shape != "circle" and method is PcMethod.MONTE_CARLO_3D:
        raise InvalidRequestError("the 3D Monte Carlo samples a sphere: shape must be circle")
    batch_shape, arrays = as_batch(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km)
    plane = plane_from_batch(*arrays, miss_from=miss_from)
    status = plane.status.copy()
    rows = np.flatnonzero(status == PcStatus.OK)
    pc = np.full(len(arrays[-1]), np.nan)
    if method in (PcMethod.MONTE_CARLO, PcMethod.MONTE_CARLO_3D):
        options = _MonteCarloOptions(n_samples, rng, confidence, interval)
        estimate = _monte_carlo(method, shape, square_axes, plane, rows, arrays, options)
        pc[rows] = estimate.pc
        low, high, hits = _scatter(estimate, rows, len(pc))
        return PcResult(
            pc=pc.reshape(batch_shape),
            status=status.reshape(batch_shape),
            method=method,
            shape=shape,
            encounter=plane,
            pc_low=low.reshape(batch_shape),
            pc_high=high.reshape(batch_shape),
            hits=hits.reshape(batch_shape),
            n_samples=n_samples,
            confidence=confidence,
        )
    pc[rows], status[rows] = _analytic(method, shape, square_axes, plane, rows, arrays)
    return PcResult(
        pc=pc.reshape(batch_shape),
        status=status.reshape(batch_shape),
        method=method,
        shape=shape,
        encounter=replace(plane, status=status),
    )


def _analytic(
    method: PcMethod,
    shape: Shape,
    square_axes: SquareAxes,
    plane: EncounterPlane,
    rows: NDArray[np.intp],
    arrays: Batch,
) -> tuple[FloatArray, StatusArray]:
    """Return ``(pc, status)`` of the rows by a deterministic method."""
    hbr = arrays[-1][rows]
    principal = (
        plane.miss_principal_km[rows],
        plane.sigma_major_km[rows],
        plane.sigma_minor_km[rows],
        hbr,
    )
    ok = np.zeros(rows.size, dtype=np.uint8)
    if method is PcMethod.CHAN:
        return chan_circle(*principal)
    if method is PcMethod.ALFRIEND:
        return alfriend_circle(*principal), ok
    if method is PcMethod.ALFANO_MAX:
        return alfano_scaling_max(*principal)[0], ok
    if shape == "circle":
        return foster_circle(*principal), ok
    if square_axes == "principal":
        return square_principal(*principal[:3], _half_side(shape, hbr)), ok
    miss, cov = _square_frame(plane, rows, arrays[0], square_axes)
    return foster_square(miss, cov, _half_side(shape, hbr)), ok


@dataclass(frozen=True)
class _MonteCarloOptions:
    n_samples: int
    rng: np.random.Generator | int | None
    confidence: float
    interval: IntervalMethod


def _monte_carlo(
    method: PcMethod,
    shape: Shape,
    square_axes: SquareAxes,
    plane: EncounterPlane,
    rows: NDArray[np.intp],
    arrays: Batch,
    options: _MonteCarloOptions,
) -> MonteCarloEstimate:
    """Return the Monte Carlo estimate of the rows."""
    hbr = arrays[-1][rows]
    if method is PcMethod.MONTE_CARLO_3D:
        r1, v1, c1, r2, v2, c2 = (a[rows] for a in arrays[:-1])
        return monte_carlo_3d(
            r1,
            v1,
            c1,
            r2,
            v2,
            c2,
            hbr,
            options.n_samples,
            options.rng,
            confidence=options.confidence,
            interval=options.interval,
        )
    if shape == "circle" or square_axes == "miss":
        miss, cov = plane.miss_km[rows], plane.cov_km2[rows]
    elif square_axes == "principal":
        miss = plane.miss_principal_km[rows]
        cov = np.zeros((rows.size, 2, 2))
        cov[:, 0, 0] = plane.sigma_major_km[rows] ** 2
        cov[:, 1, 1] = plane.sigma_minor_km[rows] ** 2
    else:
        miss, cov = _square_frame(plane, rows, arrays[0], square_axes)
    if shape == "circle":
        return monte_carlo_2d(
            miss,
            cov,
            hbr,
            options.n_samples,
            options.rng,
            confidence=options.confidence,
            interval=options.interval,
        )
    half = _half_side(shape, hbr)
    return monte_carlo_2d(
        miss,
        cov,
        half,
        options.n_samples,
        options.rng,
        shape="square",
        confidence=options.confidence,
        interval=options.interval,
    )


def _scatter(
    estimate: MonteCarloEstimate, rows: NDArray[np.intp], n: int
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    hits = np.full(n, -1, dtype=np.int64)
    low[rows], high[rows], hits[rows] = estimate.pc_low, estimate.pc_high, estimate.hits
    return low, high, hits
