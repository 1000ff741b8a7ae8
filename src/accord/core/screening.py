"""Conjunction screening: every approach closer than a threshold, with its exact TCA.

The method has three stages, each conservative, so that no approach within the screening
volume is missed (docs/screening.md gives the proofs and the sources):

1. **Sampling.** Every object's state (TEME, km, km/s) at times ``t_k = t_0 + k h``.
2. **Sieve.** At each sample, a compiled cell-list search (:mod:`accord.core.sieve`)
   returns the pairs closer than the sum of two per-object radii
   ``rho_i = s_i h/2 + (D + c)/2``, where ``s_i`` is the object's speed and ``c`` bounds
   the departure of the relative motion from a straight line over half a step
   (:func:`curvature_bound_km`).  A pair that comes within
   ``D`` during ``[t_k - h/2, t_k + h/2]`` passes; the sieve of Healy (1995) and
   Alarcon-Rodriguez et al. (2004) uses the same triangle inequality.  A second, exact test
   on the straight relative motion over the half step (minimum of ``|dr + dv s|`` for
   ``|s| <= h/2``, against ``D + c``) removes most of the rest.
3. **Refinement.** The time of closest approach is the root of the range rate
   ``f(t) = d . dv`` (Hoots, Crawford & Roehrich 1984, "An analytic method to determine
   future close approaches between satellites", Celestial Mechanics 33), bracketed where the
   range rate of the cubic Hermite interpolant goes from negative to positive, kept only if
   the interpolant's minimum is within the threshold plus its error bound, and found by
   safeguarded Newton iterations on exact states (to ``TCA_TOLERANCE_S``).

States come from an :class:`Ensemble`: SGP4 element sets (:class:`Sgp4Ensemble`) or, through
the same interface, interpolated ephemerides.  Times are UTC Julian dates as two floats
(whole, fraction); inside the screening they are seconds from the window start.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sgp4.api import Satrec, SatrecArray

from accord.core.encounter import rtn_to_inertial
from accord.core.sieve import sieve_pairs, sieve_pairs_of

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DAY_S = 86_400.0
MU_KM3_S2 = 398_600.4418  # EGM-96 / WGS-84 GM
EARTH_RADIUS_KM = 6_378.137
# Bound on one object's acceleration: central gravity at the Earth's equatorial radius, with
# 10 % for J2 (0.1 %), higher harmonics, drag and third bodies (all far smaller).
ACCELERATION_BOUND_KM_S2 = 1.1 * MU_KM3_S2 / EARTH_RADIUS_KM**2
# SGP4's velocity is not exactly the derivative of its position: about 2e-5 km/s for LEO,
# up to 0.03 km/s for decaying objects with old elements; the sieve allows this much.
VELOCITY_CONSISTENCY_KM_S = 0.05
TCA_TOLERANCE_S = 1e-6
DEFAULT_STEP_S = 60.0

Progress = Callable[[int, int], None]


class Ensemble(Protocol):
    """Objects whose states can be evaluated at any time (the screening's only input)."""

    @property
    def size(self) -> int:
        """Number of objects."""

    def states_at(self, seconds: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Given times ``(n_times,)`` in s from the window start, return all objects' states.

        Returns ``r_km`` and ``v_km_s`` of shape ``(n_objects, n_times, 3)`` (TEME) and a
        ``(n_objects, n_times)`` boolean ``valid`` mask; invalid rows may hold anything.
        """

    def states_of(
        self, index: IntArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Given object indices ``(n,)`` and times ``(n,)``, return ``(n, 3)`` states and a
        ``(n,)`` valid mask: object ``index[k]`` at time ``seconds[k]``."""


class Sgp4Ensemble:
    """SGP4 element sets as an :class:`Ensemble` (python-sgp4, WGS-72, TEME)."""

    def __init__(self, satrecs: Sequence[Satrec], jd0: float, fr0: float) -> None:
        self.satrecs = list(satrecs)
        self.jd0 = float(jd0)
        self.fr0 = float(fr0)
        self._array = SatrecArray(self.satrecs)

    @property
    def size(self) -> int:
        """Number of objects."""
        return len(self.satrecs)

    def _jd(self, seconds: FloatArray) -> tuple[FloatArray, FloatArray]:
        days = seconds / DAY_S
        whole = np.floor(days)
        return self.jd0 + whole, self.fr0 + (days - whole)

    def states_at(self, seconds: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
        """All objects at the given times; see :meth:`Ensemble.states_at`."""
        jd, fr = self._jd(np.asarray(seconds, dtype=np.float64))
        error, r, v = self._array.sgp4(jd, fr)
        return r, v, error == 0

    def states_of(
        self, index: IntArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Object ``index[k]`` at ``seconds[k]``; see :meth:`Ensemble.states_of`."""
        n = len(index)
        r = np.full((n, 3), np.nan)
        v = np.full((n, 3), np.nan)
        valid = np.zeros(n, dtype=bool)
        jd, fr = self._jd(np.asarray(seconds, dtype=np.float64))
        order = np.argsort(index, kind="stable")
        bounds = np.flatnonzero(np.diff(index[order])) + 1
        for group in np.split(order, bounds):
            if len(group):
                sat = self.satrecs[int(index[group[0]])]
                error, rg, vg = sat.sgp4_array(jd[group], fr[group])
                r[group], v[group], valid[group] = rg, vg, error == 0
        return r, v, valid


@dataclass(frozen=True)
class Conjunctions:
    """Close approaches found by :func:`screen`, one row each, ordered by TCA.

    ``i``, ``j``: object indices into the ensemble (``i < j``); ``tca_s``: time of closest
    approach in s from the window start; ``miss_km`` and ``relative_speed_km_s`` at TCA;
    ``r1_km``, ``v1_km_s``, ``r2_km``, ``v2_km_s``: both states at TCA ``(n, 3)`` in the
    ensemble's frame (TEME for SGP4); ``at_edge``: the range was still falling at the end of
    the window (or rising from its start), so the true TCA lies outside it.
    """

    i: IntArray
    j: IntArray
    tca_s: FloatArray
    miss_km: FloatArray
    relative_speed_km_s: FloatArray
    r1_km: FloatArray
    v1_km_s: FloatArray
    r2_km: FloatArray
    v2_km_s: FloatArray
    at_edge: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.i)

    def relative_rtn(self) -> tuple[FloatArray, FloatArray]:
        """Return the relative position (km) and velocity (km/s) of object 2 with respect to
        object 1 in object 1's RTN frame (radial, transverse, normal), each ``(n, 3)``."""
        rot = rtn_matrices(self.r1_km, self.v1_km_s)
        dr = self.r2_km - self.r1_km
        dv = self.v2_km_s - self.v1_km_s
        return np.einsum("nij,nj->ni", rot, dr), np.einsum("nij,nj->ni", rot, dv)


def rtn_matrices(r_km: FloatArray, v_km_s: FloatArray) -> FloatArray:
    """Given states ``(n, 3)``, return ``(n, 3, 3)`` rotations from their frame to RTN
    (rows R, T, N: the transpose of :func:`accord.core.encounter.rtn_to_inertial`)."""
    return np.swapaxes(rtn_to_inertial(r_km, v_km_s), -1, -2)


def curvature_bound_km(step_s: float) -> float:
    """Return the bound on the relative motion's departure from a straight line over half a
    step: ``|d(t) - d(t_k) - dv_k (t - t_k)| <= a_rel (h/2)^2 / 2 + 2 e_v h/2``, with
    ``a_rel = 2 a_max`` and ``e_v`` the bound on the error of each reported velocity.
    """
    half = step_s / 2.0
    return 2.0 * ACCELERATION_BOUND_KM_S2 * half**2 / 2.0 + 2.0 * VELOCITY_CONSISTENCY_KM_S * half


def screen(
    ensemble: Ensemble,
    duration_s: float,
    *,
    threshold_km: float = 5.0,
    step_s: float = DEFAULT_STEP_S,
    primaries: IntArray | None = None,
    block_steps: int = 240,
    workers: int = 1,
    progress: Progress | None = None,
) -> Conjunctions:
    """Given an ensemble and a window ``[0, duration_s]`` (s from the ensemble's start),
    return every approach closer than ``threshold_km`` (a sphere), with its exact TCA.

    ``primaries``: indices of the objects to screen against all others (default: all
    against all).  ``step_s``: the sampling step ``h``; any step is safe (the sieve's radii
    grow with it), smaller steps trade sampling for fewer candidates.  ``block_steps``
    bounds memory: states are held for that many samples at a time.  ``workers``: processes
    that sample and sieve blocks of time in parallel (forked, where the platform forks;
    python-sgp4 holds the GIL, so threads would not help); the result does not depend on it.
    """
    n_steps = int(np.ceil(duration_s / step_s))
    seconds = np.minimum(np.arange(n_steps + 1) * step_s, duration_s)
    is_primary = None
    if primaries is not None:
        is_primary = np.zeros(ensemble.size, dtype=bool)
        is_primary[np.asarray(primaries, dtype=np.int64)] = True
    job = _BlockJob(ensemble, seconds, block_steps, threshold_km, step_s, is_primary)
    starts = list(range(0, n_steps + 1, block_steps))
    brackets: list[FloatArray] = []
    if workers > 1 and len(starts) > 1 and "fork" in mp.get_all_start_methods():
        global _JOB
        _JOB = job
        try:
            with mp.get_context("fork").Pool(min(workers, len(starts))) as pool:
                for done, rows in enumerate(pool.imap(_run_block, starts), start=1):
                    brackets.append(rows)
                    if progress is not None:
                        progress(min(done * block_steps, n_steps), n_steps)
        finally:
            _JOB = None
    else:
        for start in starts:
            brackets.append(job.run(start))
            if progress is not None:
                progress(min(start + block_steps, n_steps), n_steps)
    found = np.concatenate(brackets) if brackets else np.empty((0, 6))
    return _refine(ensemble, _unique_brackets(found), duration_s, threshold_km)


@dataclass(frozen=True)
class _BlockJob:
    """Sampling and sieving of one block of samples (run in a worker, or in line)."""

    ensemble: Ensemble
    seconds: FloatArray
    block_steps: int
    threshold_km: float
    step_s: float
    is_primary: NDArray[np.bool_] | None

    def run(self, start: int) -> FloatArray:
        """Return the brackets of the block starting at sample ``start``."""
        stop = min(start + self.block_steps + 1, len(self.seconds))  # share one sample
        r, v, valid = self.ensemble.states_at(self.seconds[start:stop])
        return _block_brackets(r, v, valid, self.seconds[start:stop], self.threshold_km,
                               self.step_s, self.is_primary)  # fmt: skip


_JOB: _BlockJob | None = None  # the job a forked worker inherits


def _run_block(start: int) -> FloatArray:
    assert _JOB is not None
    return _JOB.run(start)


def _candidate_pairs(
    r: FloatArray,
    v: FloatArray,
    speed: FloatArray,
    ok: NDArray[np.bool_],
    threshold_km: float,
    step_s: float,
    is_primary: NDArray[np.bool_] | None,
) -> IntArray:
    """Return the ``(m, 2)`` pairs at one sample that pass the sieve (indices, i < j).

    The compiled cell-list sieve serves nearly every object; the few whose radius exceeds
    the 99.9th percentile (eccentric orbits near perigee, or states SGP4 returns without an
    error code for decayed objects) are compared with every object directly, so that one of
    them cannot inflate the grid's cells.
    """
    index = np.flatnonzero(ok)
    if len(index) < 2:
        return np.empty((0, 2), dtype=np.int64)
    margin = threshold_km + curvature_bound_km(step_s)
    half = step_s / 2
    points, velocities = r[index], v[index]
    rho = speed[index] * half + margin / 2
    cut = float(np.quantile(rho, 0.999))
    normal = np.flatnonzero(rho <= cut)
    fast = np.flatnonzero(rho > cut)
    found = normal[sieve_pairs(points[normal], velocities[normal], rho[normal], margin, half)]
    if len(fast):
        extra = sieve_pairs_of(points, velocities, rho, fast, margin, half)
        found = np.concatenate([found, extra])
    out = np.sort(index[found], axis=1).astype(np.int64)
    if is_primary is not None:
        out = out[is_primary[out[:, 0]] | is_primary[out[:, 1]]]
    return out


def _block_brackets(
    r: FloatArray,
    v: FloatArray,
    valid: NDArray[np.bool_],
    seconds: FloatArray,
    threshold_km: float,
    step_s: float,
    is_primary: NDArray[np.bool_] | None,
) -> FloatArray:
    """Return rows ``(i, j, t_left, t_right)`` bracketing each possible close approach.

    A bracket holds a minimum of the range: the range rate goes from negative to
    non-negative between two consecutive samples; at the window's edges a one-sample
    bracket ``(t, t)`` stands for a minimum at the edge.
    """
    speed = np.linalg.norm(v, axis=-1)
    out: list[FloatArray] = []
    n_t = len(seconds)
    for k in range(n_t):
        pairs = _candidate_pairs(r[:, k], v[:, k], speed[:, k], valid[:, k], threshold_km,
                                 step_s, is_primary)  # fmt: skip
        if len(pairs):
            out.append(_brackets_around(pairs, k, r, v, valid, seconds, threshold_km))
    if not out:
        return np.empty((0, 6))
    return np.concatenate(out)


SUBSTEPS = 8  # Hermite sub-samples per step when looking for minima of the range


def _hermite(
    d0: FloatArray, w0: FloatArray, d1: FloatArray, w1: FloatArray, h: float, u: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Given relative states at both ends of a step (``(p, 3)`` each) and times ``u`` as
    fractions of the step (``(p, m)``), return the cubic Hermite interpolant's position and
    velocity there, ``(p, m, 3)`` each.

    The interpolant matches position and velocity at both ends; its error is at most
    ``h**4 max|d(4)| / 384`` (Burden & Faires, Numerical Analysis, theorem 3.9).
    """
    u = u[:, :, None]
    u2, u3 = u * u, u * u * u
    d0, w0, d1, w1 = d0[:, None], w0[:, None], d1[:, None], w1[:, None]
    d = (
        (2 * u3 - 3 * u2 + 1) * d0
        + (u3 - 2 * u2 + u) * h * w0
        + (-2 * u3 + 3 * u2) * d1
        + (u3 - u2) * h * w1
    )
    dd = (
        (6 * u2 - 6 * u) * d0 / h
        + (3 * u2 - 4 * u + 1) * w0
        + (-6 * u2 + 6 * u) * d1 / h
        + (3 * u2 - 2 * u) * w1
    )
    return d, dd


def _interpolation_error_km(
    r0: FloatArray, v0: FloatArray, r1: FloatArray, v1: FloatArray, h: float
) -> FloatArray:
    """Bound, per object ``(p,)``, on the distance between its motion and the cubic Hermite
    interpolant of its states at both ends of a step ``h``.

    Two terms: the interpolation error ``h**4 max|r''''| / 384`` with the two-body bound
    ``|r''''| <= mu (24 v^2 + 4 mu/r) / r^4`` (differentiate ``r'' = -mu r/|r|^3`` twice;
    10 % added for perturbations), evaluated at the lowest radius and highest speed the step
    allows; and the effect of SGP4's velocity inconsistency on the interpolant,
    ``(4/27) h e_v`` at each end.
    """
    speed = np.maximum(np.linalg.norm(v0, axis=-1), np.linalg.norm(v1, axis=-1))
    radius = np.minimum(np.linalg.norm(r0, axis=-1), np.linalg.norm(r1, axis=-1))
    low = np.maximum(radius - speed * h, 0.9 * EARTH_RADIUS_KM)
    fourth = 1.1 * MU_KM3_S2 * (24 * speed**2 + 4 * MU_KM3_S2 / low) / low**4
    return h**4 * fourth / 384.0 + 2 * (4.0 / 27.0) * h * VELOCITY_CONSISTENCY_KM_S


def _hermite_minimum_km(
    d0: FloatArray, w0: FloatArray, d1: FloatArray, w1: FloatArray, h: float,
    u_lo: FloatArray, u_hi: FloatArray,
) -> FloatArray:  # fmt: skip
    """Given sub-brackets ``[u_lo, u_hi]`` (fractions of the step) where the interpolant's
    range rate goes from negative to non-negative, return its range at the root, ``(p,)``
    (bisection to 1e-6 of the step)."""
    lo, hi = u_lo.copy(), u_hi.copy()
    for _ in range(20):
        mid = 0.5 * (lo + hi)
        d, dd = _hermite(d0, w0, d1, w1, h, mid[:, None])
        neg = np.einsum("pmk,pmk->p", d, dd) < 0
        lo = np.where(neg, mid, lo)
        hi = np.where(neg, hi, mid)
    d, _ = _hermite(d0, w0, d1, w1, h, (0.5 * (lo + hi))[:, None])
    return np.linalg.norm(d[:, 0], axis=-1)


def _brackets_around(
    pairs: IntArray,
    k: int,
    r: FloatArray,
    v: FloatArray,
    valid: NDArray[np.bool_],
    seconds: FloatArray,
    threshold_km: float,
) -> FloatArray:
    """Return the brackets of range minima in ``[t_{k-1}, t_k]`` and ``[t_k, t_{k+1}]``.

    The range rate of the Hermite interpolant is examined at ``SUBSTEPS`` points per step
    (exact at the samples); each change of sign from negative to non-negative brackets a
    minimum. A minimum whose interpolated range exceeds the threshold by more than the
    interpolation error bound cannot be a close approach and is dropped; the others are
    refined on exact states.
    """
    i, j = pairs[:, 0], pairs[:, 1]
    n_t = len(seconds)
    rows = []
    u = np.linspace(0.0, 1.0, SUBSTEPS + 1)
    for left in (k - 1, k):
        right = left + 1
        if left < 0 or right >= n_t:
            continue
        ok = valid[i, left] & valid[j, left] & valid[i, right] & valid[j, right]
        if not ok.any():
            continue
        a, b = i[ok], j[ok]
        h = seconds[right] - seconds[left]
        d0, w0 = r[b, left] - r[a, left], v[b, left] - v[a, left]
        d1, w1 = r[b, right] - r[a, right], v[b, right] - v[a, right]
        d, dd = _hermite(d0, w0, d1, w1, h, np.broadcast_to(u, (len(a), len(u))))
        f = np.einsum("pmk,pmk->pm", d, dd)
        times = seconds[left] + u * h
        p, m = np.nonzero((f[:, :-1] < 0) & (f[:, 1:] >= 0))
        if len(p):
            miss = _hermite_minimum_km(d0[p], w0[p], d1[p], w1[p], h, u[m], u[m + 1])
            error = _interpolation_error_km(r[a[p], left], v[a[p], left], r[a[p], right],
                                            v[a[p], right], h)  # fmt: skip
            error += _interpolation_error_km(r[b[p], left], v[b[p], left], r[b[p], right],
                                             v[b[p], right], h)  # fmt: skip
            near = miss <= threshold_km + error
            p, m = p[near], m[near]
            rows.append(_rows_between(a[p], b[p], times[m], times[m + 1], f[p, m], f[p, m + 1]))
        # Minima at the window's edges: the range rising from the start or falling at the
        # end (the caller keeps only the window's own edges, not those of a block).
        if left == 0:
            edge = f[:, 0] > 0
            rows.append(_rows_between(a[edge], b[edge], seconds[0], seconds[0]))
        if right == n_t - 1:
            edge = f[:, -1] < 0
            rows.append(_rows_between(a[edge], b[edge], seconds[-1], seconds[-1]))
    return np.concatenate(rows) if rows else np.empty((0, 6))


def _rows_between(
    i: IntArray,
    j: IntArray,
    t_left: FloatArray | float,
    t_right: FloatArray | float,
    f_left: FloatArray | float = 0.0,
    f_right: FloatArray | float = 0.0,
) -> FloatArray:
    """Bracket rows ``(i, j, t_left, t_right, f_left, f_right)`` (``f``: the Hermite range
    rate at the ends, which places the first guess of the refinement)."""
    out = np.empty((len(i), 6))
    out[:, 0] = i
    out[:, 1] = j
    out[:, 2] = t_left
    out[:, 3] = t_right
    out[:, 4] = f_left
    out[:, 5] = f_right
    return out


def _unique_brackets(rows: FloatArray) -> FloatArray:
    """Drop brackets found twice (from neighbouring samples or overlapping blocks)."""
    if not len(rows):
        return rows
    _, first = np.unique(rows[:, :4], axis=0, return_index=True)
    return rows[np.sort(first)]


def _refine(
    ensemble: Ensemble, brackets: FloatArray, duration_s: float, threshold_km: float
) -> Conjunctions:
    """Find each bracket's TCA (root of the range rate) and keep the approaches < D."""
    i = brackets[:, 0].astype(np.int64)
    j = brackets[:, 1].astype(np.int64)
    lo = brackets[:, 2].copy()
    hi = brackets[:, 3].copy()
    f_lo, f_hi = brackets[:, 4], brackets[:, 5]
    edge = (lo == hi) & ((lo == 0.0) | (lo == duration_s))
    interior = lo < hi
    keep = edge | interior
    i, j, lo, hi, edge = i[keep], j[keep], lo[keep], hi[keep], edge[keep]
    # First guess: where the range rate's chord between the bracket's ends crosses zero.
    span = f_hi[keep] - f_lo[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.where(span > 0, lo - f_lo[keep] * (hi - lo) / span, 0.5 * (lo + hi))
    t = _safeguarded_newton(ensemble, i, j, lo, hi, np.clip(guess, lo, hi))
    r1, v1, ok1 = ensemble.states_of(i, t)
    r2, v2, ok2 = ensemble.states_of(j, t)
    miss = np.linalg.norm(r2 - r1, axis=1)
    close = ok1 & ok2 & (miss < threshold_km)
    take = np.flatnonzero(close)[np.argsort(t[close], kind="stable")]
    return Conjunctions(
        i=i[take],
        j=j[take],
        tca_s=t[take],
        miss_km=miss[take],
        relative_speed_km_s=np.linalg.norm(v2[take] - v1[take], axis=1),
        r1_km=r1[take],
        v1_km_s=v1[take],
        r2_km=r2[take],
        v2_km_s=v2[take],
        at_edge=edge[take],
    )


def _safeguarded_newton(
    ensemble: Ensemble,
    i: IntArray,
    j: IntArray,
    lo: FloatArray,
    hi: FloatArray,
    guess: FloatArray,
    max_iterations: int = 80,
) -> FloatArray:
    """Return the root of ``f(t) = d . dv`` in each bracket ``[lo, hi]`` (``f(lo) < 0 <=
    f(hi)``), to ``TCA_TOLERANCE_S``.

    Newton steps use ``f' ~ |dv|^2`` (the straight-line part of ``d(d . dv)/dt``; the
    neglected ``d . da`` is small near a close approach).  A step that leaves the bracket is
    replaced by bisection, and so is any step while the bracket has not halved over the last
    two iterations: the bracket always shrinks, so convergence is guaranteed.  Degenerate
    brackets ``lo == hi`` (window edges) are returned as they are.
    """
    t = guess.copy()
    active = hi - lo > TCA_TOLERANCE_S
    width_1 = hi - lo  # bracket width one iteration ago
    width_2 = hi - lo  # and two iterations ago
    for _ in range(max_iterations):
        if not active.any():
            break
        idx = np.flatnonzero(active)
        ti = t[idx]
        r1, v1, _ = ensemble.states_of(i[idx], ti)
        r2, v2, _ = ensemble.states_of(j[idx], ti)
        dr, dv = r2 - r1, v2 - v1
        f = np.einsum("ij,ij->i", dr, dv)
        slope = np.einsum("ij,ij->i", dv, dv)
        neg = f < 0
        lo[idx] = np.where(neg, ti, lo[idx])
        hi[idx] = np.where(neg, hi[idx], ti)
        width = hi[idx] - lo[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ti - f / slope
        usable = np.isfinite(newton) & (newton > lo[idx]) & (newton < hi[idx])
        stalled = width > 0.5 * width_2[idx]
        t_new = np.where(usable & ~stalled, newton, 0.5 * (lo[idx] + hi[idx]))
        done = (np.abs(t_new - ti) <= TCA_TOLERANCE_S / 2) | (width <= TCA_TOLERANCE_S)
        width_2[idx] = width_1[idx]
        width_1[idx] = width
        t[idx] = t_new
        active[idx[done]] = False
    return t
