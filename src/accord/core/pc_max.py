"""The maximum collision probability when a covariance is missing or not trusted.

Each bound maximises Foster's Pc (:func:`accord.core.pc_foster.foster_circle`, the
hard-body circle) over a family of combined covariances consistent with what is known:

``ALFANO_SCALING`` (both covariances given, their size not trusted): Alfano, "Relating
    position uncertainty to maximum conjunction probability", J. Astronaut. Sci. 53(2),
    2005: ``max_k Pc(k**2 C)``.  For HBR much smaller than the miss it tends to
    ``HBR**2 / (e sx sy v)`` at ``k**2 = v / 2``, with ``v`` the squared Mahalanobis miss
    (Alfriend et al., Space Debris 1(1), 1999, eq. 19-20).  CCSDS name
    ``ALFANO-MAX-PROBABILITY``.
``ONE_COVARIANCE`` (one object's covariance ``C`` known, the other's unknown: the setting
    of Frisbee, "An upper bound on high speed satellite collision probability when only one
    object has position uncertainty information", AAS 15-717, 2015):
    ``max_t Pc(C + t m m^T / |m|^2)``, variance added along the miss ``m``.  For small HBR
    this family contains the worst unknown covariance (derivation in ``docs/pc.md``) and
    the bound tends to ``HBR**2 exp(-1/2) / (2 sqrt(det C) sqrt(v))`` when ``v > 1``.  The
    derivation and formula are Accord's own; they are not transcribed from that paper.
``ISOTROPIC`` (no covariance; a spherical one of unknown size): ``max_s Pc(s**2 I)``, the
    noncentral chi-square CDF maximised over ``s``; tends to ``HBR**2 / (e d**2)``.
``ANY_COVARIANCE`` (no covariance; any shape): the disc lies in the strip of half-width
    HBR across the miss, whose probability depends only on the variance along the miss, so
    ``Pc <= max_s [Phi((d + R)/s) - Phi((d - R)/s)]``, attained by a covariance collapsed
    onto the miss line; the maximum is at ``s**2 = d R / atanh(R / d)`` and tends to
    ``(R / d) sqrt(2 / (pi e))``.  A true upper bound, and a very loose one.

The 1D maximisations (``ALFANO_SCALING``, ``ONE_COVARIANCE``, ``ISOTROPIC``) are a 24-point
grid in the logarithm of the parameter followed by a golden-section search around the best
point: exact for unimodal functions, which Pc is in the scale ``k`` (Pc is log-concave in
``1/k``: Prekopa's theorem on the cone over the disc) and, for small HBR, in ``t``.  A
miss inside the hard-body circle gives 1 (``ALFANO_SCALING``, ``ISOTROPIC``,
``ANY_COVARIANCE``: the covariance may shrink to nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.core.encounter import (
    PcStatus,
    StatusArray,
    as_batch,
    encounter_basis,
    input_status,
    principal_axes,
    project_covariance,
)
from accord.core.pc_foster import foster_circle, golden_max, log_gauss_interval

FloatArray = NDArray[np.float64]
_N_GRID = 24


class PcMaxMethod(IntEnum):
    """Which maximum-Pc bound a row used (``uint8``; 0 where none was computed)."""

    NONE = 0
    ALFANO_SCALING = 1
    ONE_COVARIANCE = 2
    ISOTROPIC = 3
    ANY_COVARIANCE = 4

    @property
    def ccsds_name(self) -> str | None:
        """The SANA CDM collision-probability method name, where one exists."""
        return "ALFANO-MAX-PROBABILITY" if self is PcMaxMethod.ALFANO_SCALING else None


@dataclass(frozen=True)
class PcMaxResult:
    """Maximum Pc per conjunction, in the batch's shape.

    ``pc_max`` (NaN where ``status`` is not OK); ``method`` uint8 :class:`PcMaxMethod`;
    ``scale``: the maximising parameter, ``k`` (ALFANO_SCALING, the covariance is scaled
    by ``k**2``), the standard deviation added along the miss in km (ONE_COVARIANCE), or
    the worst standard deviation in km (ISOTROPIC; ANY_COVARIANCE, along the miss);
    ``status`` uint8 :class:`~accord.core.encounter.PcStatus`.
    """

    pc_max: FloatArray
    method: NDArray[np.uint8]
    scale: FloatArray
    status: StatusArray


def _maximize(
    pc_of: Callable[[FloatArray], FloatArray], lo: FloatArray, hi: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Given ``pc_of`` mapping ``(n, k)`` log-parameters to Pc, return per row the
    ``(argmax, max)`` over ``[lo, hi]``: a grid, then golden section around its best."""
    rows = np.arange(len(lo))
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, _N_GRID)
    values = pc_of(grid)
    j = np.argmax(values, axis=1)
    left = grid[rows, np.maximum(j - 1, 0)]
    right = grid[rows, np.minimum(j + 1, _N_GRID - 1)]
    arg, best = golden_max(lambda t, _: pc_of(t), left, right, ())
    better = best >= values[rows, j]
    return np.where(better, arg, grid[rows, j]), np.where(better, best, values[rows, j])


def _flat_foster(miss: FloatArray, sx: FloatArray, sy: FloatArray, hbr: FloatArray) -> FloatArray:
    """Foster's Pc for ``(n, k)`` parameter grids (``miss`` is ``(n, k, 2)``)."""
    shape = sx.shape
    pc = foster_circle(
        miss.reshape(-1, 2), sx.reshape(-1), sy.reshape(-1), np.broadcast_to(hbr, shape).ravel()
    )
    return pc.reshape(shape)


def alfano_scaling_max(
    miss_principal_km: FloatArray,
    sigma_major_km: FloatArray,
    sigma_minor_km: FloatArray,
    hbr_km: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Given principal-axis miss ``(n, 2)``, sigmas and HBR ``(n,)`` (km), return
    ``(pc_max, k)``: Foster's Pc maximised over the covariance scaled by ``k**2`` (Alfano,
    J. Astronaut. Sci. 53(2), 2005).  A miss inside the circle gives ``(1, 0)``."""
    d = np.hypot(miss_principal_km[:, 0], miss_principal_km[:, 1])
    pc, k, rows = _trivial(d, np.asarray(hbr_km, dtype=np.float64))
    m, sx, sy, hbr, d = (
        miss_principal_km[rows],
        sigma_major_km[rows],
        sigma_minor_km[rows],
        hbr_km[rows],
        d[rows],
    )
    lo = np.log(_gap(d, hbr) / sx / 20.0)
    hi = np.log((d + hbr) / sy * 5.0)

    def pc_of(log_k: FloatArray) -> FloatArray:
        scale = np.exp(log_k)
        miss = np.broadcast_to(m[:, None, :], (*scale.shape, 2))
        return _flat_foster(miss, sx[:, None] * scale, sy[:, None] * scale, hbr[:, None])

    log_k, pc[rows] = _maximize(pc_of, lo, hi)
    k[rows] = np.exp(log_k)
    return pc, k


def _trivial(d: FloatArray, hbr: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Return ``(pc, parameter, rows to search)``: Pc 1 (parameter 0) where the miss is
    inside the circle, 0 where HBR is 0."""
    inside = (d <= hbr) & (hbr > 0.0)
    pc = np.where(inside, 1.0, 0.0)
    return pc, np.zeros(len(d)), np.flatnonzero(~inside & (hbr > 0.0))


def _gap(d: FloatArray, hbr: FloatArray) -> FloatArray:
    """The distance from the origin to the circle, kept above 1e-12 of its far side (a
    Gaussian that much smaller than the circle sees a half-plane)."""
    return np.maximum(d - hbr, 1e-12 * (d + hbr))


def isotropic_max(miss_km: FloatArray, hbr_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Given miss distances and HBRs ``(n,)`` km, return ``(pc_max, sigma_km)``: Foster's Pc
    maximised over isotropic covariances ``sigma**2 I`` (tends to ``HBR**2 / (e d**2)``)."""
    d_all = np.asarray(miss_km, dtype=np.float64)
    pc, sigma, rows = _trivial(d_all, np.asarray(hbr_km, dtype=np.float64))
    d, hbr = d_all[rows], hbr_km[rows]

    def pc_of(log_s: FloatArray) -> FloatArray:
        s = np.exp(log_s)
        miss = np.stack([np.broadcast_to(d[:, None], s.shape), np.zeros(s.shape)], axis=-1)
        return _flat_foster(miss, s, s, hbr[:, None])

    log_s, pc[rows] = _maximize(pc_of, np.log(_gap(d, hbr) / 20.0), np.log((d + hbr) * 5.0))
    sigma[rows] = np.exp(log_s)
    return pc, sigma


def any_covariance_max(miss_km: FloatArray, hbr_km: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Given miss distances and HBRs ``(n,)`` km, return ``(pc_max, sigma_km)``: the largest
    Pc of any Gaussian, ``Phi((d + R)/s) - Phi((d - R)/s)`` at ``s**2 = d R / atanh(R/d)``
    (where its derivative in ``s`` vanishes), for a covariance collapsed on the miss line."""
    d = np.asarray(miss_km, dtype=np.float64)
    inside = (d <= hbr_km) & (hbr_km > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(d * hbr_km / np.arctanh(hbr_km / d))
        pc = np.exp(log_gauss_interval((d - hbr_km) / s, (d + hbr_km) / s))
    zero = hbr_km == 0.0
    pc = np.where(zero, 0.0, pc)
    return np.where(inside, 1.0, pc), np.where(inside | zero, 0.0, s)


def one_covariance_max(
    miss_km: FloatArray, cov_known_km2: FloatArray, hbr_km: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Given plane miss vectors ``(n, 2)`` along the first axis (as
    :class:`~accord.core.encounter.EncounterPlane` gives them), the known covariance
    ``(n, 2, 2)`` and HBRs ``(n,)`` km, return ``(pc_max, sigma_added_km)``: Foster's Pc
    maximised over ``C + t e1 e1^T`` (``t >= 0``, ``sigma_added = sqrt(t)``)."""
    hbr_all = np.asarray(hbr_km, dtype=np.float64)
    pc = np.where(np.isinf(hbr_all), 1.0, 0.0)
    added = np.zeros(len(hbr_all))
    rows = np.flatnonzero(np.isfinite(hbr_all) & (hbr_all > 0.0))
    miss, known, hbr = miss_km[rows], cov_known_km2[rows], hbr_all[rows]
    reach = (np.abs(miss[:, 0]) + hbr) ** 2
    major, minor, _, principal = principal_axes(known, miss)
    at_zero = foster_circle(principal, major, minor, hbr)

    def pc_of(log_t: FloatArray) -> FloatArray:
        t = np.exp(log_t)
        cov = np.broadcast_to(known[:, None], (*t.shape, 2, 2)).copy()
        cov[..., 0, 0] += t
        grid_miss = np.broadcast_to(miss[:, None, :], (*t.shape, 2))
        sx, sy, _, p = principal_axes(cov.reshape(-1, 2, 2), grid_miss.reshape(-1, 2))
        values = foster_circle(p, sx, sy, np.broadcast_to(hbr[:, None], t.shape).ravel())
        return values.reshape(t.shape)

    log_t, best = _maximize(pc_of, np.log(reach * 1e-8), np.log(reach * 1e4))
    grows = best > at_zero
    pc[rows] = np.where(grows, best, at_zero)
    added[rows] = np.where(grows, np.exp(0.5 * log_t), 0.0)
    return pc, added


def _missing(cov: FloatArray) -> NDArray[np.bool_]:
    return np.all(np.isnan(cov), axis=(-1, -2))


def pc_max(
    r1_km: ArrayLike,
    v1_km_s: ArrayLike,
    cov1_km2: ArrayLike | None,
    r2_km: ArrayLike,
    v2_km_s: ArrayLike,
    cov2_km2: ArrayLike | None,
    hbr_km: ArrayLike,
    *,
    method: PcMaxMethod | None = None,
    no_covariance: PcMaxMethod = PcMaxMethod.ISOTROPIC,
) -> PcMaxResult:
    """Given both states at TCA and whatever covariances exist, return the maximum Pc.

    Inputs as :func:`accord.core.pc.probability_of_collision`; a covariance may be
    ``None`` or all-NaN rows (missing).  With ``method=None`` each row takes the bound its
    data allow: both covariances -> ``ALFANO_SCALING``; one -> ``ONE_COVARIANCE`` with it
    as the known one; none -> ``no_covariance`` (``ISOTROPIC`` or ``ANY_COVARIANCE``).  A
    forced ``method`` that needs a missing covariance gives ``COVARIANCE_MISSING``;
    ``ONE_COVARIANCE`` forced with both given treats the secondary's as unknown.
    """
    shape, (r1, v1, c1, r2, v2, c2, hbr) = as_batch(
        r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km
    )
    missing1, missing2 = _missing(c1), _missing(c2)
    status = input_status(r1, v1, None, r2, v2, None, hbr)
    partial = (~missing1 & ~np.all(np.isfinite(c1), axis=(-1, -2))) | (
        ~missing2 & ~np.all(np.isfinite(c2), axis=(-1, -2))
    )
    status[(status == PcStatus.OK) & partial] = PcStatus.INVALID_INPUT
    if method is None:
        chosen = np.where(
            ~missing1 & ~missing2,
            PcMaxMethod.ALFANO_SCALING,
            np.where(missing1 & missing2, no_covariance, PcMaxMethod.ONE_COVARIANCE),
        ).astype(np.uint8)
    else:
        chosen = np.full(hbr.shape, method, dtype=np.uint8)
        needs_both = chosen == PcMaxMethod.ALFANO_SCALING
        needs_one = chosen == PcMaxMethod.ONE_COVARIANCE
        lacking = (needs_both & (missing1 | missing2)) | (needs_one & missing1 & missing2)
        status[(status == PcStatus.OK) & lacking] = PcStatus.COVARIANCE_MISSING
    basis, miss, _ = encounter_basis(r1, v1, r2, v2)
    miss_2d = np.stack([miss, np.zeros_like(miss)], axis=-1)
    known = np.where(missing1[:, None, None], c2, c1)
    with np.errstate(invalid="ignore"):
        combined = project_covariance(basis, c1 + c2)
        known_2d = project_covariance(basis, known)
    out = np.full(hbr.shape, np.nan)
    scale = np.full(hbr.shape, np.nan)
    for code in PcMaxMethod:
        rows = np.flatnonzero((chosen == code) & (status == PcStatus.OK))
        if code is PcMaxMethod.NONE or rows.size == 0:
            continue
        cov = combined if code is PcMaxMethod.ALFANO_SCALING else known_2d
        if code in (PcMaxMethod.ALFANO_SCALING, PcMaxMethod.ONE_COVARIANCE):
            _, minor, _, _ = principal_axes(cov[rows], miss_2d[rows])
            bad = ~np.isfinite(minor)
            status[rows[bad]] = PcStatus.COVARIANCE_NOT_POSITIVE_DEFINITE
            rows = rows[~bad]
        out[rows], scale[rows] = _bound(code, miss_2d[rows], cov[rows], hbr[rows])
    chosen[status != PcStatus.OK] = PcMaxMethod.NONE
    return PcMaxResult(
        pc_max=out.reshape(shape),
        method=chosen.reshape(shape),
        scale=scale.reshape(shape),
        status=status.reshape(shape),
    )


def _bound(
    code: PcMaxMethod, miss: FloatArray, cov: FloatArray, hbr: FloatArray
) -> tuple[FloatArray, FloatArray]:
    if code is PcMaxMethod.ALFANO_SCALING:
        major, minor, _, principal = principal_axes(cov, miss)
        return alfano_scaling_max(principal, major, minor, hbr)
    if code is PcMaxMethod.ONE_COVARIANCE:
        return one_covariance_max(miss, cov, hbr)
    if code is PcMaxMethod.ISOTROPIC:
        return isotropic_max(miss[:, 0], hbr)
    return any_covariance_max(miss[:, 0], hbr)
