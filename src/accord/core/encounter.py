"""The encounter plane of a short-term conjunction, and RTN covariance rotations.

Short-term encounter model (Foster & Estes, "A parametric analysis of orbital debris
collision probability and maneuver rate for space vehicles", NASA JSC-25898, 1992; Chan,
"Spacecraft Collision Probability", Aerospace Press 2008, ch. 2-3): near the time of
closest approach (TCA) the relative motion is a straight line, the position errors of the
two objects are Gaussian, independent and constant over the encounter, and velocity errors
are neglected.  The collision probability is then a two-dimensional integral over the
encounter (B-)plane, the plane through the primary perpendicular to the relative velocity.

Frame (as NASA CARA's ``Pc2D_Foster.m`` and ``PcCircle.m``, nasa/CARA_Analysis_Tools):
with ``r = r2 - r1`` and ``v = v2 - v1`` (secondary relative to primary, as a CCSDS CDM's
relative state), ``y = v/|v|`` is the plane normal, ``x`` is the unit miss vector (the part
of ``r`` perpendicular to ``v``), and ``z = x cross y``, which is along ``r cross v``.  The
miss vector is therefore ``(|r_perp|, 0)`` in ``(x, z)``.  When the miss distance is zero,
``x`` falls back to the primary's radial direction projected onto the plane (and, if the
relative velocity is radial, to the inertial axis least aligned with it).  The part of
``r`` along ``v`` (states not exactly at TCA) is discarded, as the straight-line model's
closest approach implies.

Shapes: a batch of ``n`` conjunctions is ``(n, 3)`` for states and ``(n, 3, 3)`` for
covariances (a 6x6 state covariance is accepted and its position block used); one
conjunction may be given as ``(3,)`` and ``(3, 3)``.  Units: km, km/s, km**2, in one
inertial frame (GCRF, EME2000, TEME: any, provided all inputs share it).

Failures are data: every result carries a ``uint8`` :class:`PcStatus` per conjunction and
NaN where it is not ``OK``; nothing raises in the middle of a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
StatusArray = NDArray[np.uint8]
MissFrom = Literal["projected", "range"]
# r1, v1, cov1, r2, v2, cov2, hbr of a flat batch
Batch = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]

# A relative speed below this fraction of the objects' own speeds is taken as zero: the
# plane normal would be rounding noise (1e-12 of 7.5 km/s is 7.5 nm/s).
_ZERO_SPEED_FRACTION = 1e-12
# Below this fraction of |r| the miss vector gives no usable direction.
_ZERO_MISS_FRACTION = 1e-14


class PcStatus(IntEnum):
    """Per-conjunction outcome codes (``uint8``); nonzero means the Pc is NaN."""

    OK = 0
    INVALID_INPUT = 1
    ZERO_RELATIVE_VELOCITY = 2
    COVARIANCE_NOT_POSITIVE_DEFINITE = 3
    NEGATIVE_HBR = 4
    SERIES_NOT_CONVERGED = 5
    COVARIANCE_MISSING = 6


STATUS_MESSAGES: dict[int, str] = {
    PcStatus.OK: "success",
    PcStatus.INVALID_INPUT: "a state, covariance or hard-body radius is NaN or infinite",
    PcStatus.ZERO_RELATIVE_VELOCITY: "the relative velocity is zero: no encounter plane",
    PcStatus.COVARIANCE_NOT_POSITIVE_DEFINITE: (
        "the combined covariance projected on the encounter plane is not positive definite"
    ),
    PcStatus.NEGATIVE_HBR: "the hard-body radius is negative",
    PcStatus.SERIES_NOT_CONVERGED: "the series did not converge within its term limit",
    PcStatus.COVARIANCE_MISSING: "the method needs a covariance that was not given",
}
_MESSAGE_TABLE = np.array(
    [STATUS_MESSAGES.get(code, f"unknown Pc status {code}") for code in range(256)]
)


def status_messages(status: ArrayLike) -> NDArray[np.str_]:
    """Given :class:`PcStatus` codes, return the message for each, in the same shape."""
    return _MESSAGE_TABLE[np.asarray(status, dtype=np.uint8)]


def rtn_to_inertial(r_km: ArrayLike, v_km_s: ArrayLike) -> FloatArray:
    """Given inertial states ``(..., 3)``, return the RTN -> inertial rotations ``(..., 3, 3)``.

    Columns are the unit vectors R (along ``r``), T (``N x R``) and N (along ``r x v``) in
    the inertial frame of the state, so ``x_inertial = M @ x_rtn``.  This is the RTN (RIC,
    RSW) frame of a CCSDS CDM (CCSDS 508.0-B-1; Vallado, "Fundamentals of
    Astrodynamics and Applications", 4th ed., section 3.3).  Units of ``r`` and ``v``
    do not matter; a zero ``r`` or ``r`` parallel to ``v`` gives NaN.
    """
    r = np.asarray(r_km, dtype=np.float64)
    v = np.asarray(v_km_s, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        radial = r / np.linalg.norm(r, axis=-1, keepdims=True)
        h = np.cross(r, v)
        normal = h / np.linalg.norm(h, axis=-1, keepdims=True)
    transverse = np.cross(normal, radial)
    return np.stack([radial, transverse, normal], axis=-1)


def cov_rtn_to_inertial(cov_rtn: ArrayLike, r_km: ArrayLike, v_km_s: ArrayLike) -> FloatArray:
    """Given RTN position covariances ``(..., 3, 3)`` and the object's inertial states
    ``(..., 3)``, return the covariances in the inertial frame, ``M C M^T``.

    Units are unchanged: a CDM's RTN covariance is in m**2, so divide by 1e6 to get the
    km**2 that :func:`encounter_plane` takes.  The rotation is that of
    :func:`rtn_to_inertial`.
    """
    rotation = rtn_to_inertial(r_km, v_km_s)
    cov = np.asarray(cov_rtn, dtype=np.float64)[..., :3, :3]
    return rotation @ cov @ np.swapaxes(rotation, -1, -2)


@dataclass(frozen=True)
class EncounterPlane:
    """A batch of conjunctions projected on their encounter planes.

    ``basis`` ``(n, 3, 3)``: rows are the inertial unit vectors x, y (relative velocity)
    and z of the encounter frame.  ``miss_km`` ``(n, 2)`` and ``cov_km2`` ``(n, 2, 2)``:
    the miss vector and the combined covariance in ``(x, z)``.  Principal axes:
    ``sigma_major_km >= sigma_minor_km`` ``(n,)``, ``major_angle_rad`` (from x towards z)
    and ``miss_principal_km`` ``(n, 2)`` (the miss vector on the major and minor axes).
    ``relative_speed_km_s`` ``(n,)``.  ``status`` ``(n,)`` uint8 :class:`PcStatus`; the
    other fields are NaN where it is not ``OK``.
    """

    basis: FloatArray
    miss_km: FloatArray
    cov_km2: FloatArray
    sigma_major_km: FloatArray
    sigma_minor_km: FloatArray
    major_angle_rad: FloatArray
    miss_principal_km: FloatArray
    relative_speed_km_s: FloatArray
    status: StatusArray


def as_batch(
    r1_km: ArrayLike,
    v1_km_s: ArrayLike,
    cov1_km2: ArrayLike | None,
    r2_km: ArrayLike,
    v2_km_s: ArrayLike,
    cov2_km2: ArrayLike | None,
    hbr_km: ArrayLike,
) -> tuple[tuple[int, ...], Batch]:
    """Given one conjunction or a batch, return ``(batch_shape, flat arrays)``.

    The flat arrays are ``r1 (n, 3), v1, cov1 (n, 3, 3), r2, v2, cov2, hbr (n,)``, broadcast
    against each other; a missing covariance (``None``) becomes NaN.  6x6 covariances are
    cut to their position block.
    """
    vectors = [np.asarray(a, dtype=np.float64) for a in (r1_km, v1_km_s, r2_km, v2_km_s)]
    covs = [
        np.full((3, 3), np.nan) if c is None else np.asarray(c, dtype=np.float64)[..., :3, :3]
        for c in (cov1_km2, cov2_km2)
    ]
    hbr = np.asarray(hbr_km, dtype=np.float64)
    shape = np.broadcast_shapes(
        *(a.shape[:-1] for a in vectors), *(c.shape[:-2] for c in covs), hbr.shape
    )
    n = int(np.prod(shape))
    r1, v1, r2, v2 = (np.broadcast_to(a, (*shape, 3)).reshape(n, 3).copy() for a in vectors)
    c1, c2 = (np.broadcast_to(c, (*shape, 3, 3)).reshape(n, 3, 3).copy() for c in covs)
    return shape, (r1, v1, c1, r2, v2, c2, np.broadcast_to(hbr, shape).reshape(n).copy())


def encounter_basis(
    r1_km: FloatArray,
    v1_km_s: FloatArray,
    r2_km: FloatArray,
    v2_km_s: FloatArray,
    miss_from: MissFrom = "projected",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Given states ``(n, 3)``, return ``(basis (n, 3, 3), miss_km (n,), speed_km_s (n,))``.

    The basis rows are x, y, z of the module's encounter frame.  ``miss_km`` is the length
    of the relative position perpendicular to the relative velocity (``"projected"``, the
    closest approach of the straight-line motion) or of the whole relative position
    (``"range"``, as NASA CARA's ``Pc2D_Foster.m`` and ``PcCircle.m`` do; the two differ
    when the states are not exactly at TCA).  Rows with a zero relative velocity are NaN.
    """
    r = r2_km - r1_km
    v = v2_km_s - v1_km_s
    speed = np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = v / speed[:, None]
    r_perp = r - np.sum(r * y, axis=-1, keepdims=True) * y
    miss = np.linalg.norm(r_perp, axis=-1)
    # Zero miss: use the primary's radial direction projected on the plane, then the
    # inertial axis least aligned with y when the relative velocity is radial.
    radial = r1_km / np.linalg.norm(r1_km, axis=-1, keepdims=True)
    fallback = radial - np.sum(radial * y, axis=-1, keepdims=True) * y
    axis = np.eye(3)[np.argmin(np.abs(np.nan_to_num(y)), axis=-1)]
    axis_perp = axis - np.sum(axis * y, axis=-1, keepdims=True) * y
    weak = np.linalg.norm(fallback, axis=-1) < 1e-8
    fallback = np.where(weak[:, None], axis_perp, fallback)
    scale = np.linalg.norm(r, axis=-1)
    use_miss = miss > _ZERO_MISS_FRACTION * scale
    x = np.where(use_miss[:, None], r_perp, fallback)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, y)
    miss = np.where(use_miss, miss, 0.0) if miss_from == "projected" else scale
    return np.stack([x, y, z], axis=-2), miss, speed


def project_covariance(basis: FloatArray, cov_km2: FloatArray) -> FloatArray:
    """Given encounter bases ``(n, 3, 3)`` and inertial covariances ``(n, 3, 3)``, return
    the ``(n, 2, 2)`` covariances on the ``(x, z)`` plane axes (units unchanged)."""
    plane = basis[:, [0, 2], :]
    projected = plane @ cov_km2 @ np.swapaxes(plane, -1, -2)
    return 0.5 * (projected + np.swapaxes(projected, -1, -2))


def principal_axes(
    cov_km2: FloatArray, miss_km: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Given 2x2 covariances ``(n, 2, 2)`` and miss vectors ``(n, 2)``, return
    ``(sigma_major, sigma_minor, major_angle_rad, miss_principal (n, 2))``.

    The smaller eigenvalue is ``det / lambda_major`` to avoid cancellation; it is NaN when
    the covariance is not positive definite.
    """
    a = cov_km2[:, 0, 0]
    b = cov_km2[:, 0, 1]
    c = cov_km2[:, 1, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        major = 0.5 * (a + c) + np.hypot(0.5 * (a - c), b)
        minor = (a * c - b * b) / major
        sigma_major = np.sqrt(np.where(major > 0.0, major, np.nan))
        sigma_minor = np.sqrt(np.where(minor > 0.0, minor, np.nan))
        angle = 0.5 * np.arctan2(2.0 * b, a - c)
    cos, sin = np.cos(angle), np.sin(angle)
    miss_principal = np.stack(
        [cos * miss_km[:, 0] + sin * miss_km[:, 1], -sin * miss_km[:, 0] + cos * miss_km[:, 1]],
        axis=-1,
    )
    return sigma_major, sigma_minor, angle, miss_principal


def input_status(
    r1: FloatArray,
    v1: FloatArray,
    cov1: FloatArray | None,
    r2: FloatArray,
    v2: FloatArray,
    cov2: FloatArray | None,
    hbr: FloatArray,
) -> StatusArray:
    """Given flat batch arrays, return the ``uint8`` status of the inputs alone.

    ``INVALID_INPUT`` for NaN or infinite values (an infinite positive HBR is valid),
    ``NEGATIVE_HBR``, ``ZERO_RELATIVE_VELOCITY``; ``OK`` otherwise.  A covariance given as
    ``None`` is not checked.
    """
    finite = np.all(np.isfinite(np.concatenate([r1, v1, r2, v2], axis=-1)), axis=-1)
    for cov in (cov1, cov2):
        if cov is not None:
            finite &= np.all(np.isfinite(cov), axis=(-1, -2))
    finite &= ~np.isnan(hbr)
    status = np.zeros(hbr.shape, dtype=np.uint8)
    speed = np.linalg.norm(v2 - v1, axis=-1)
    own = np.maximum(np.linalg.norm(v1, axis=-1), np.linalg.norm(v2, axis=-1))
    status[speed <= _ZERO_SPEED_FRACTION * own] = PcStatus.ZERO_RELATIVE_VELOCITY
    status[hbr < 0.0] = PcStatus.NEGATIVE_HBR
    status[~finite] = PcStatus.INVALID_INPUT
    return status


def plane_from_batch(
    r1: FloatArray,
    v1: FloatArray,
    cov1: FloatArray,
    r2: FloatArray,
    v2: FloatArray,
    cov2: FloatArray,
    hbr: FloatArray,
    miss_from: MissFrom = "projected",
) -> EncounterPlane:
    """Given the flat arrays of :func:`as_batch`, return their :class:`EncounterPlane`.

    The status also reflects the hard-body radius (NaN, negative); ``miss_from`` as
    :func:`encounter_basis`.
    """
    status = input_status(r1, v1, cov1, r2, v2, cov2, hbr)
    basis, miss, speed = encounter_basis(r1, v1, r2, v2, miss_from)
    miss_2d = np.stack([miss, np.zeros_like(miss)], axis=-1)
    with np.errstate(invalid="ignore"):
        cov_2d = project_covariance(basis, cov1 + cov2)
    major, minor, angle, miss_principal = principal_axes(cov_2d, miss_2d)
    bad_cov = ~(np.isfinite(minor) & np.isfinite(major))
    status[(status == PcStatus.OK) & bad_cov] = PcStatus.COVARIANCE_NOT_POSITIVE_DEFINITE
    bad = status != PcStatus.OK
    for array in (basis, miss_2d, cov_2d, major, minor, angle, miss_principal, speed):
        array[bad] = np.nan
    return EncounterPlane(
        basis=basis,
        miss_km=miss_2d,
        cov_km2=cov_2d,
        sigma_major_km=major,
        sigma_minor_km=minor,
        major_angle_rad=angle,
        miss_principal_km=miss_principal,
        relative_speed_km_s=speed,
        status=status,
    )


def encounter_plane(
    r1_km: ArrayLike,
    v1_km_s: ArrayLike,
    cov1_km2: ArrayLike,
    r2_km: ArrayLike,
    v2_km_s: ArrayLike,
    cov2_km2: ArrayLike,
    miss_from: MissFrom = "projected",
) -> EncounterPlane:
    """Given both objects' states and position covariances at TCA, return the encounter plane.

    States ``(n, 3)`` in km and km/s and covariances ``(n, 3, 3)`` (or ``(n, 6, 6)``) in
    km**2, all in one inertial frame.  The covariances are summed (independent errors,
    Foster & Estes 1992; Chan 2008 section 2.2) and projected on the plane.  The fields are
    flat, ``(n, ...)``; one conjunction given as ``(3,)`` vectors gives ``n = 1``.
    ``miss_from`` as :func:`encounter_basis`.
    """
    _, arrays = as_batch(r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, 0.0)
    return plane_from_batch(*arrays, miss_from=miss_from)
