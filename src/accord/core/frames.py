"""Rotations of SGP4's TEME states into the GCRF and the ITRF.

TEME is the frame SGP4 works in: the true equator of date and the *mean* equinox, whose
x axis is set off from the true equinox by the equation of the equinoxes (Vallado,
Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, section III.B
and appendix C).  The rotations are skyfield's: ``skyfield.sgp4lib.TEME`` turns GCRS into
TEME with the IAU 2006/2000A precession-nutation matrix, Greenwich apparent sidereal time
and GMST 1982; ``skyfield.framelib.tirs`` and the timescale's polar-motion matrix turn
GCRS into TIRS and ITRS (IERS Conventions 2010, IERS Technical Note 36, ch. 5).  Composed,
TEME to ITRF is a turn by GMST 1982 of UT1 about the pole, then polar motion: Vallado's
``teme2ecef``.  The timescale of :mod:`accord.core.time` supplies UT1-UTC and polar motion.

Velocities: TEME is taken as inertial, as skyfield and Vallado's ``teme2eci`` do; its
precession against the GCRF (about 8e-12 rad/s) makes a velocity error below 4e-7 km/s
even at GEO.  Into the ITRF the Earth's spin ``-omega x r`` (skyfield's ``ANGVEL`` =
7.292115e-5 rad/s) is added about the celestial intermediate pole, before polar motion,
as in Vallado's ``teme2ecef``.  (skyfield's own ``itrs`` frame spins about the ITRF pole
instead; the two differ by omega * |r| * (polar-motion angle), up to about 5e-6 km/s at
GEO.)

Shapes: positions and velocities are ``(..., n_times, 3)`` (Accord's ``(n_objects,
n_times, 3)``) with times ``(n_times,)``; a single time works with ``(..., 3)`` vectors.
The rotation matrices are built once per time and applied to every object.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from skyfield.constants import DAY_S
from skyfield.framelib import ICRS_to_J2000, tirs
from skyfield.sgp4lib import TEME

from accord.core.time import skyfield_time

FloatArray = NDArray[np.float64]


def teme_to_gcrf_matrices(jd: ArrayLike, fr: ArrayLike = 0.0) -> FloatArray:
    """Given UTC Julian dates ``(jd, fr)``, return the TEME -> GCRF rotation matrices.

    Returns an array of shape ``times.(*shape, 3, 3)``; ``r_gcrf = R @ r_teme``.
    Source: skyfield ``TEME.rotation_at`` (AIAA 2006-6753 appendix C), transposed.
    """
    t, shape = _flat_time(jd, fr)
    gcrs_to_teme = TEME.rotation_at(t)  # (3, 3, n)
    return np.einsum("jin->nij", gcrs_to_teme).reshape((*shape, 3, 3))


def teme_to_itrf_matrices(jd: ArrayLike, fr: ArrayLike = 0.0) -> FloatArray:
    """Given UTC Julian dates ``(jd, fr)``, return the TEME -> ITRF rotation matrices.

    Returns an array of shape ``times.(*shape, 3, 3)``; ``r_itrf = R @ r_teme``.
    Sources: skyfield ``tirs.rotation_at`` and ``Time.polar_motion_matrix`` (IERS
    Conventions 2010 ch. 5) times the transpose of ``TEME.rotation_at`` (AIAA 2006-6753
    appendix C).
    """
    t, shape = _flat_time(jd, fr)
    teme_to_tirs, polar_motion = _itrf_parts(t)
    return np.matmul(polar_motion, teme_to_tirs).reshape((*shape, 3, 3))


def teme_to_gcrf(
    r_teme_km: ArrayLike, v_teme_km_s: ArrayLike, jd: ArrayLike, fr: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Given TEME states and their UTC times, return ``(r_gcrf_km, v_gcrf_km_s)``.

    ``r_teme_km`` and ``v_teme_km_s`` are ``(..., n_times, 3)`` in km and km/s, times are
    ``(n_times,)`` UTC Julian dates as two floats; the results have the same shape, in km
    and km/s in the GCRF.  NaN rows stay NaN.  Source: skyfield ``TEME.rotation_at``
    (AIAA 2006-6753 appendix C); the TEME frame's slow precession is not added to the
    velocity (below 4e-7 km/s at GEO).
    """
    rotation = teme_to_gcrf_matrices(jd, fr)
    return _rotate(rotation, r_teme_km), _rotate(rotation, v_teme_km_s)


def teme_to_itrf(
    r_teme_km: ArrayLike, v_teme_km_s: ArrayLike, jd: ArrayLike, fr: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Given TEME states and their UTC times, return ``(r_itrf_km, v_itrf_km_s)``.

    ``r_teme_km`` and ``v_teme_km_s`` are ``(..., n_times, 3)`` in km and km/s, times are
    ``(n_times,)`` UTC Julian dates as two floats; the results have the same shape, in km
    and km/s in the ITRF (Earth-fixed: the velocity includes ``-omega x r``).  NaN rows
    stay NaN.  Sources: Vallado's ``teme2ecef`` (AIAA 2006-6753 appendix C) built from
    skyfield's frames: GMST 1982 of UT1, the Earth's spin about the celestial
    intermediate pole, then polar motion (IERS Conventions 2010 eq. 5.1, differentiated
    with the rates of polar motion and precession-nutation neglected).
    """
    rotation, spin = _itrf_rotation_and_spin(jd, fr)
    r_itrf_km = _rotate(rotation, r_teme_km)
    v_itrf_km_s = _rotate(rotation, v_teme_km_s) + _rotate(spin, r_itrf_km)
    return r_itrf_km, v_itrf_km_s


# Many times are rotated through matrices computed on a grid of this spacing and
# interpolated linearly, element by element: precession-nutation's second derivative is
# below 3e-17 rad/s^2 (the fortnightly nutation term, 0.2 arcsecond), so the interpolation
# is good to 5e-11 rad (a third of a millimetre at 7,000 km).
_GRID_DAYS = 1.0 / 24.0
_GRID_MIN_TIMES = 64


def _celestial_matrices(jd: ArrayLike, fr: ArrayLike) -> FloatArray:
    """TEME -> GCRF matrices ``(n, 3, 3)`` for 1-D times, interpolated for many times."""
    w, f = np.broadcast_arrays(np.asarray(jd, dtype=np.float64), np.asarray(fr, dtype=np.float64))
    days = (w - w.flat[0]) + f
    if days.size < _GRID_MIN_TIMES:
        return teme_to_gcrf_matrices(w, f)
    lo, hi = float(days.min()), float(days.max())
    grid = lo + np.arange(int(np.ceil((hi - lo) / _GRID_DAYS)) + 2) * _GRID_DAYS
    matrices = teme_to_gcrf_matrices(np.full(grid.shape, w.flat[0]), grid).reshape(-1, 9)
    out = np.empty((days.size, 9))
    for k in range(9):
        out[:, k] = np.interp(days.ravel(), grid, matrices[:, k])
    return out.reshape((*days.shape, 3, 3))


def _itrf_rotation_and_spin(jd: ArrayLike, fr: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """TEME -> ITRF rotations ``R`` and the ITRF spin matrices ``S`` (``v_itrf = R v_teme +
    S r_itrf``), each ``(*shape, 3, 3)``."""
    t, shape = _flat_time(jd, fr)
    teme_to_tirs, polar_motion = _itrf_parts(t)
    rotation = np.matmul(polar_motion, teme_to_tirs).reshape((*shape, 3, 3))
    # skyfield's dR/dt R^T of the TIRS (1/day) is -omega x r about the TIRS pole; the
    # polar motion W carries it into the ITRF as W S W^T.
    spin_tirs = np.asarray(tirs._dRdt_times_RT_at(t), dtype=np.float64) / DAY_S
    spin = np.matmul(np.matmul(polar_motion, spin_tirs), np.swapaxes(polar_motion, -1, -2))
    return rotation, spin.reshape((*shape, 3, 3))


# Frames that :func:`frame_to_teme` takes, by CCSDS name (SANA registry): the celestial
# ones (ICRF and GCRF differ by the GCRF's geocentric origin only; EME2000 is the mean
# equator and equinox of J2000.0, off the GCRF by the frame bias) and the ITRF
# realisations, whose differences (centimetres) are below what an ephemeris carries.
CELESTIAL_FRAMES = ("GCRF", "ICRF", "EME2000", "J2000")
TERRESTRIAL_FRAMES = ("ITRF", "ITRF93", "ITRF97", "ITRF2000", "ITRF2005", "ITRF2008",
                      "ITRF2014", "ITRF2020", "ITRF-93", "ITRF-97")  # fmt: skip


def frame_to_teme(
    frame: str, r_km: ArrayLike, v_km_s: ArrayLike, jd: ArrayLike, fr: ArrayLike = 0.0
) -> tuple[FloatArray, FloatArray]:
    """Given states ``(n_times, 3)`` in ``frame`` at UTC Julian dates ``(n_times,)``,
    return them in TEME (km, km/s).

    ``frame``: ``TEME``, one of :data:`CELESTIAL_FRAMES` or of :data:`TERRESTRIAL_FRAMES`
    (case and blanks ignored); anything else is a ``ValueError``.  EME2000 is turned into
    the GCRF by the transpose of the IAU 2006 frame-bias matrix (skyfield
    ``framelib.ICRS_to_J2000``; IERS Conventions 2010 eq. 5.33), then into TEME as
    :func:`teme_to_gcrf` inverts; an ITRF state by the inverse of :func:`teme_to_itrf`,
    ``v_teme = R^T (v_itrf - S r_itrf)``.
    """
    name = frame.strip().upper().replace(" ", "")
    r = np.asarray(r_km, dtype=np.float64)
    v = np.asarray(v_km_s, dtype=np.float64)
    if name == "TEME":
        return r.copy(), v.copy()
    if name in CELESTIAL_FRAMES:
        if name in ("EME2000", "J2000"):
            unbias = np.asarray(ICRS_to_J2000).T
            r, v = r @ unbias.T, v @ unbias.T
        back = np.swapaxes(_celestial_matrices(jd, fr), -1, -2)
        return _rotate(back, r), _rotate(back, v)
    if name in TERRESTRIAL_FRAMES:
        rotation, spin = _itrf_rotation_and_spin(jd, fr)
        back = np.swapaxes(rotation, -1, -2)
        return _rotate(back, r), _rotate(back, v - _rotate(spin, r))
    raise ValueError(
        f"reference frame {frame!r}: expected TEME, {', '.join(CELESTIAL_FRAMES)} or an ITRF"
    )


def _itrf_parts(t: Any) -> tuple[FloatArray, FloatArray]:
    """Return the TEME -> TIRS and the polar-motion TIRS -> ITRS matrices, each (n, 3, 3)."""
    gcrs_to_teme = TEME.rotation_at(t)  # (3, 3, n)
    gcrs_to_tirs = tirs.rotation_at(t)
    teme_to_tirs = np.einsum("ijn,kjn->nik", gcrs_to_tirs, gcrs_to_teme)
    if t.ts.polar_motion_table is None:
        return teme_to_tirs, np.broadcast_to(np.eye(3), teme_to_tirs.shape)
    return teme_to_tirs, np.moveaxis(t.polar_motion_matrix(), -1, 0)


def _flat_time(jd: ArrayLike, fr: ArrayLike) -> tuple[Any, tuple[int, ...]]:
    """Return a 1-D skyfield Time for the broadcast times, and their original shape."""
    jd_arr, fr_arr = np.broadcast_arrays(
        np.asarray(jd, dtype=np.float64), np.asarray(fr, dtype=np.float64)
    )
    return skyfield_time(jd_arr.ravel(), fr_arr.ravel()), jd_arr.shape


def _rotate(matrices: FloatArray, vectors: ArrayLike) -> FloatArray:
    """Apply ``(..., 3, 3)`` matrices to ``(..., 3)`` vectors, broadcasting leading axes."""
    v = np.asarray(vectors, dtype=np.float64)
    # Three broadcast products: twice as fast as matmul's loop over tiny matrices.
    return (
        matrices[..., 0] * v[..., 0, np.newaxis]
        + matrices[..., 1] * v[..., 1, np.newaxis]
        + matrices[..., 2] * v[..., 2, np.newaxis]
    )
