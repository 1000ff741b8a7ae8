"""Screening volumes: radial/in-track/cross-track ellipsoids chosen by orbit regime.

NASA CARA screens each protected object (the primary) against the catalogue with an
ellipsoid centred on it, its semi-axes along the primary's RTN axes (radial R, transverse
or in-track T, normal or cross-track N), sized by the primary's orbit regime (NASA,
"Spacecraft Conjunction Assessment and Collision Avoidance Best Practices Handbook",
NASA/SP-20205011318, 2020, rev. 2023).  A conjunction is a local minimum of the range (a
time of closest approach, TCA) whose miss vector, object 2's position relative to object
1 in object 1's RTN frame at TCA, lies inside that ellipsoid.

:func:`screen_ellipsoids` finds exactly those: every range minimum within a sphere whose
radius is the largest semi-axis that can apply (:func:`accord.core.screening.screen`, which
misses none), then the test of each miss vector against the ellipsoid(s).  A point inside
an ellipsoid is within its largest semi-axis of the centre, so the sphere's set contains
every conjunction of the ellipsoids and the filter removes exactly the others
(docs/screening.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.core.screening import Conjunctions, Ensemble, rtn_matrices, screen

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# NASA CARA's screening volumes by the primary's perigee altitude, as the Best Practices
# Handbook (NASA/SP-20205011318) describes them: rows (upper bound of the perigee band in
# km, radial, in-track, cross-track semi-axes in km); each band holds the perigees above the
# previous row's bound and up to its own.  The last band (perigee above 2,000 km: beyond
# LEO) has no upper bound.  Check them against the handbook's current edition; the setting
# ACCORD_SCREENING_CARA_VOLUMES replaces them.
CARA_VOLUMES: tuple[tuple[float, float, float, float], ...] = (
    (500.0, 0.4, 44.0, 51.0),
    (750.0, 0.4, 25.0, 25.0),
    (1200.0, 0.4, 12.0, 12.0),
    (2000.0, 0.4, 2.0, 2.0),
    (float("inf"), 10.0, 10.0, 10.0),
)


def volume_table(rows: ArrayLike = CARA_VOLUMES) -> FloatArray:
    """Given rows ``(perigee upper bound km, radial km, in-track km, cross-track km)``,
    return them as a checked ``(n, 4)`` array.

    Raises ``ValueError`` unless the bounds increase strictly and the last is infinite (so
    that every perigee has a volume) and every semi-axis is positive and finite.
    """
    table = np.asarray(rows, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 4 or len(table) == 0:
        raise ValueError(
            "expected rows of 4 numbers (perigee upper bound, radial, in-track, "
            f"cross-track, km), got an array of shape {table.shape}"
        )
    upper, axes = table[:, 0], table[:, 1:]
    if np.isnan(upper).any() or np.any(np.diff(upper) <= 0) or upper[-1] != np.inf:
        raise ValueError(
            "expected perigee upper bounds that increase strictly and end with inf, got "
            f"{upper.tolist()}"
        )
    if not (np.isfinite(axes).all() and (axes > 0).all()):
        raise ValueError(f"expected positive, finite semi-axes, got {axes.tolist()}")
    return table


def regime_semi_axes_km(perigee_km: ArrayLike, table: ArrayLike = CARA_VOLUMES) -> FloatArray:
    """Given perigee altitudes (km, any shape ``s``), return the semi-axes (radial,
    in-track, cross-track; km) of their regimes' ellipsoids, shape ``s + (3,)``.

    A perigee on a band's upper bound belongs to that band (500 km: the first); one below
    the first band (a decaying orbit) to the first; NaN gives NaN axes.
    """
    rows = volume_table(table)
    perigee = np.asarray(perigee_km, dtype=np.float64)
    band = np.searchsorted(rows[:, 0], perigee, side="left")
    out = rows[np.minimum(band, len(rows) - 1), 1:]
    return np.where(np.isnan(perigee)[..., None], np.nan, out)


def ellipsoid_distance(offset_rtn_km: ArrayLike, semi_axes_km: ArrayLike) -> FloatArray:
    """Given offsets ``(..., 3)`` (km, in the ellipsoid's RTN frame) and semi-axes
    ``(..., 3)`` (km, broadcast), return ``sqrt((R/a)^2 + (T/b)^2 + (N/c)^2)``, shape
    ``(...)``: at most 1 inside the ellipsoid or on its surface, above 1 outside."""
    scaled = np.asarray(offset_rtn_km, dtype=np.float64) / np.asarray(semi_axes_km, np.float64)
    return np.sqrt(np.einsum("...i,...i->...", scaled, scaled))


@dataclass(frozen=True)
class VolumeConjunctions:
    """The conjunctions of :func:`screen_ellipsoids` and their place in the volumes.

    ``conjunctions``: as :func:`accord.core.screening.screen` returns them (object 1 is
    index ``i``); ``semi_axes1_km``, ``semi_axes2_km`` ``(n, 3)``: both objects'
    ellipsoids (radial, in-track, cross-track; km); ``distance1`` ``(n,)``: object 2's
    position in object 1's ellipsoid (:func:`ellipsoid_distance` in object 1's RTN frame at
    TCA), ``distance2`` the converse, each NaN where that object's volume does not apply
    (it is not a primary); ``sieve_radius_km``: the sphere that was screened.
    """

    conjunctions: Conjunctions
    semi_axes1_km: FloatArray
    semi_axes2_km: FloatArray
    distance1: FloatArray
    distance2: FloatArray
    sieve_radius_km: float

    def __len__(self) -> int:
        return len(self.conjunctions)


def sieve_radius_km(semi_axes_km: FloatArray, primaries: IntArray | None = None) -> float:
    """Given every object's semi-axes ``(n_objects, 3)`` (km), return the radius of the
    sphere that holds every ellipsoid that can apply: the largest semi-axis of the primaries
    (all objects by default), raised to the next float so that a point on that ellipsoid's
    surface (range exactly the semi-axis) passes the sphere's strict test."""
    axes = semi_axes_km if primaries is None else semi_axes_km[np.asarray(primaries, np.int64)]
    return float(np.nextafter(np.max(axes), np.inf))


def screen_ellipsoids(
    ensemble: Ensemble,
    duration_s: float,
    semi_axes_km: ArrayLike,
    *,
    primaries: IntArray | None = None,
    **options: Any,
) -> VolumeConjunctions:
    """Given an ensemble, a window ``[0, duration_s]`` (s) and each object's ellipsoid
    ``(n_objects, 3)`` (radial, in-track, cross-track semi-axes, km; e.g. from
    :func:`regime_semi_axes_km`), return every TCA whose miss vector lies in a volume.

    All against all, a pair's TCA is kept when object 2 lies in object 1's ellipsoid (in
    object 1's RTN frame) or object 1 in object 2's: the test is symmetric.  With
    ``primaries`` only the primaries' ellipsoids apply.  ``options`` go to
    :func:`accord.core.screening.screen` (steps, workers, progress).
    """
    axes = np.asarray(semi_axes_km, dtype=np.float64)
    if axes.shape != (ensemble.size, 3) or not (np.isfinite(axes).all() and (axes > 0).all()):
        raise ValueError(
            f"expected positive, finite semi-axes of shape ({ensemble.size}, 3), got "
            f"an array of shape {axes.shape}"
        )
    radius = sieve_radius_km(axes, primaries)
    found = screen(ensemble, duration_s, threshold_km=radius, primaries=primaries, **options)
    applies = np.ones(ensemble.size, dtype=bool)
    if primaries is not None:
        applies[:] = False
        applies[np.asarray(primaries, dtype=np.int64)] = True
    d1 = _distance_in(found.r1_km, found.v1_km_s, found.r2_km, axes[found.i])
    d2 = _distance_in(found.r2_km, found.v2_km_s, found.r1_km, axes[found.j])
    d1 = np.where(applies[found.i], d1, np.nan)
    d2 = np.where(applies[found.j], d2, np.nan)
    keep = (d1 <= 1.0) | (d2 <= 1.0)  # NaN compares False: a volume that does not apply
    return VolumeConjunctions(
        conjunctions=_subset(found, keep),
        semi_axes1_km=axes[found.i[keep]],
        semi_axes2_km=axes[found.j[keep]],
        distance1=d1[keep],
        distance2=d2[keep],
        sieve_radius_km=radius,
    )


def _distance_in(
    r_km: FloatArray, v_km_s: FloatArray, other_km: FloatArray, axes_km: FloatArray
) -> FloatArray:
    """:func:`ellipsoid_distance` of ``other_km`` ``(n, 3)`` in the ellipsoids ``(n, 3)``
    centred on the states ``r_km``, ``v_km_s`` ``(n, 3)`` along their RTN axes."""
    offset = np.einsum("nij,nj->ni", rtn_matrices(r_km, v_km_s), other_km - r_km)
    return ellipsoid_distance(offset, axes_km)


def _subset(found: Conjunctions, keep: BoolArray) -> Conjunctions:
    """The rows ``keep`` of ``found``, in order."""
    return Conjunctions(
        **{name: getattr(found, name)[keep] for name in Conjunctions.__dataclass_fields__}
    )
