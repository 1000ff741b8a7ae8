"""Ephemerides as screening ensembles: interpolated states, arcs and manoeuvre breaks.

An object's ephemeris is a list of :class:`Arc` s, each a table of states (TEME, km, km/s)
at increasing times (s from the screening window's start) over which one smooth motion is
interpolated, as an OEM segment is (CCSDS 502.0-B-3 section 5.2.4: an ephemeris is not
interpolated across segments).  Where arcs overlap, the later one holds from its start:
an operator's post-manoeuvre segment supersedes the pre-manoeuvre one.

Interpolation, in a window of ``k`` tabulated states about the time (Orekit's choice and
that of most OEM consumers; Berrut & Trefethen, "Barycentric Lagrange interpolation",
SIAM Review 46, 2004, for the basis):

* ``LAGRANGE`` of degree ``d``: ``k = d + 1`` states; positions and velocities each
  interpolated with the same Lagrange basis.
* ``HERMITE`` of degree ``d``: ``k = (d + 1) / 2`` states, each contributing its position
  and velocity (osculating interpolation: Burden & Faires, "Numerical Analysis", section
  3.4): ``H(t) = sum_j [f_j + (t - t_j)(f'_j - 2 c_j f_j)] L_j(t)^2`` with
  ``c_j = L'_j(t_j)``; the velocity is its derivative, so position and velocity agree.

:class:`EphemerisEnsemble` is an :class:`accord.core.screening.Ensemble`; its
:meth:`~EphemerisEnsemble.interval_margins` adds to the sieve's bounds what interpolated
tables and breaks between arcs need (docs/screening.md, "Ephemerides").
:class:`JoinedEnsemble` screens several ensembles (element sets and ephemerides) as one.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray

from accord.core.screening import Ensemble

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
States = tuple[FloatArray, FloatArray, BoolArray]

LAGRANGE = "LAGRANGE"
HERMITE = "HERMITE"
DEFAULT_METHOD = HERMITE
DEFAULT_DEGREE = 7  # Hermite over 4 states, where the ephemeris does not say
# Between tabulated states the interpolant is taken to follow the object's true, smooth
# motion within this distance; a table that does worse is too sparse to screen on.
INTERPOLATION_MARGIN_KM = 0.01
# Lebesgue constant of cubic Lagrange interpolation on nodes -1, 0, 1, 2 over [0, 1]
# (max of sum |l_j(u)|, reached at u = 1/2: 1/16 + 9/16 + 9/16 + 1/16).
LEBESGUE_CUBIC = 1.25
# Over a stencil of 3 node steps, two trajectories that part with velocity difference dv
# stay within 2 |dv| t of each other while n t <= 1 (Clohessy-Wiltshire growth is at most
# about 1.1 |dv| t there); the bound on a break uses the factor 2.
BREAK_GROWTH = 2.0
# For the sieve's nodes an ephemeris is continued this far beyond its first and last
# states (at least two node steps), by :func:`_extend`; the bound on the intervals that
# use such nodes grows by (1 + Lambda) times the extension's possible departure,
# EXTENSION_SAFETY |residual| (2 H)^2 / 2.
EXTEND_S = 1200.0
EXTENSION_SAFETY = 2.0
MU_KM3_S2 = 398_600.8  # WGS-72
EARTH_RADIUS_KM = 6_378.135
J2 = 0.001082616


@dataclass(frozen=True)
class Arc:
    """One interpolable table of states: ``times_s`` ``(n,)`` increasing, ``r_km`` and
    ``v_km_s`` ``(n, 3)`` in TEME; ``start_s`` and ``stop_s`` bound the span that may be
    used (within the table's first and last times); ``method`` and ``degree`` as in the
    OEM's INTERPOLATION and INTERPOLATION_DEGREE."""

    times_s: FloatArray
    r_km: FloatArray
    v_km_s: FloatArray
    start_s: float
    stop_s: float
    method: str = DEFAULT_METHOD
    degree: int = DEFAULT_DEGREE

    def __post_init__(self) -> None:
        t = np.asarray(self.times_s, dtype=np.float64)
        if t.ndim != 1 or len(t) < 2 or np.any(np.diff(t) <= 0):
            raise ValueError("an arc needs at least two states at increasing times")
        if self.method not in (LAGRANGE, HERMITE):
            raise ValueError(f"interpolation {self.method!r}: expected LAGRANGE or HERMITE")
        if not t[0] <= self.start_s <= self.stop_s <= t[-1]:
            raise ValueError("an arc's usable span must lie within its states")

    @property
    def points(self) -> int:
        """Number of tabulated states each interpolation uses."""
        wanted = self.degree + 1 if self.method == LAGRANGE else (self.degree + 1) // 2
        return max(2, min(wanted, len(self.times_s)))

    def states(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Given times ``(n,)`` within the arc, return interpolated ``r``, ``v`` ``(n, 3)``."""
        return interpolate(self, np.asarray(t, dtype=np.float64))


def _window(times: FloatArray, t: FloatArray, k: int) -> IntArray:
    """Index of the first of the ``k`` tabulated times centred on each ``t``."""
    interval = np.searchsorted(times, t, side="right") - 1
    return np.clip(interval - (k - 1) // 2, 0, len(times) - k).astype(np.int64)


@njit(cache=True, nogil=True)
def _interpolate_kernel(
    times: FloatArray,
    r_km: FloatArray,
    v_km_s: FloatArray,
    first: IntArray,
    t: FloatArray,
    k: int,
    hermite: bool,
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover - compiled
    """Interpolated states at ``t`` (see :func:`interpolate`) from the windows of ``k``
    states starting at ``first``; the basis is formed by products (no division by
    ``t - t_j``: exact at the nodes), in time scaled to the window's span."""
    n = len(t)
    r_out = np.empty((n, 3))
    v_out = np.empty((n, 3))
    x = np.empty(k)
    basis = np.empty(k)
    slope = np.empty(k)
    for i in range(n):
        f = first[i]
        origin = times[f]
        scale = times[f + k - 1] - origin
        for j in range(k):
            x[j] = (times[f + j] - origin) / scale
        u = (t[i] - origin) / scale
        for j in range(k):
            denominator = 1.0
            product = 1.0
            for m in range(k):
                if m != j:
                    denominator *= x[j] - x[m]
                    product *= u - x[m]
            derivative = 0.0  # sum over m != j of the product over l != j, m of (u - x_l)
            for m in range(k):
                if m == j:
                    continue
                term = 1.0
                for q in range(k):
                    if q != j and q != m:
                        term *= u - x[q]
                derivative += term
            basis[j] = product / denominator
            slope[j] = derivative / denominator
        for c in range(3):
            rr = 0.0
            vv = 0.0
            if hermite:
                # H(u) = sum_j [f_j + (u - x_j)(f'_j - 2 c_j f_j)] L_j(u)^2, c_j = L'_j(x_j)
                for j in range(k):
                    cj = 0.0
                    for m in range(k):
                        if m != j:
                            cj += 1.0 / (x[j] - x[m])
                    fj = r_km[f + j, c]
                    lead = v_km_s[f + j, c] * scale - 2.0 * cj * fj
                    value = fj + (u - x[j]) * lead
                    sq = basis[j] * basis[j]
                    rr += value * sq
                    vv += lead * sq + value * 2.0 * basis[j] * slope[j]
                r_out[i, c] = rr
                v_out[i, c] = vv / scale
            else:
                for j in range(k):
                    rr += basis[j] * r_km[f + j, c]
                    vv += basis[j] * v_km_s[f + j, c]
                r_out[i, c] = rr
                v_out[i, c] = vv
    return r_out, v_out


def interpolate(arc: Arc, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Given an arc and times ``(n,)`` within it, return ``r_km``, ``v_km_s`` ``(n, 3)``."""
    k = arc.points
    t = np.ascontiguousarray(t, dtype=np.float64)
    first = _window(arc.times_s, t, k)
    return _interpolate_kernel(
        np.ascontiguousarray(arc.times_s, dtype=np.float64),
        np.ascontiguousarray(arc.r_km, dtype=np.float64),
        np.ascontiguousarray(arc.v_km_s, dtype=np.float64),
        first,
        t,
        k,
        arc.method == HERMITE,
    )


class EphemerisEnsemble:
    """Objects given by ephemerides (lists of :class:`Arc`), as a screening ensemble."""

    def __init__(self, objects: Sequence[Sequence[Arc]]) -> None:
        self.objects = [sorted(arcs, key=lambda a: a.start_s) for arcs in objects]

    @property
    def size(self) -> int:
        """Number of objects."""
        return len(self.objects)

    def _object_states(self, arcs: Sequence[Arc], t: FloatArray, extend: bool = False) -> States:
        r = np.full((len(t), 3), np.nan)
        v = np.full((len(t), 3), np.nan)
        valid = np.zeros(len(t), dtype=bool)
        for arc in arcs:  # later arcs overwrite earlier ones from their start
            inside = np.flatnonzero((t >= arc.start_s) & (t <= arc.stop_s))
            if len(inside):
                r[inside], v[inside] = arc.states(t[inside])
                valid[inside] = True
        if extend:
            for arc, side in ((arcs[0], -1.0), (arcs[-1], 1.0)):
                edge = arc.start_s if side < 0 else arc.stop_s
                beyond = side * (t - edge)
                out = np.flatnonzero((beyond > 0) & (beyond <= EXTEND_S) & ~valid)
                if len(out):
                    r[out], v[out] = _extend(arc, edge, t[out])
                    valid[out] = True
        return r, v, valid

    def states_at(self, seconds: FloatArray) -> States:
        """All objects at the given times; see :meth:`Ensemble.states_at`.  For the
        sieve's nodes, each ephemeris is extended up to :data:`EXTEND_S` before its first
        and after its last state (:func:`_extend`); :meth:`states_of`, the exact states,
        is not."""
        seconds = np.asarray(seconds, dtype=np.float64)
        r = np.empty((self.size, len(seconds), 3))
        v = np.empty((self.size, len(seconds), 3))
        valid = np.zeros((self.size, len(seconds)), dtype=bool)
        for i, arcs in enumerate(self.objects):
            r[i], v[i], valid[i] = self._object_states(arcs, seconds, extend=True)
        return r, v, valid

    def states_of(self, index: IntArray, seconds: FloatArray) -> States:
        """Object ``index[k]`` at ``seconds[k]``; see :meth:`Ensemble.states_of`."""
        index = np.asarray(index, dtype=np.int64)
        seconds = np.asarray(seconds, dtype=np.float64)
        r = np.full((len(index), 3), np.nan)
        v = np.full((len(index), 3), np.nan)
        valid = np.zeros(len(index), dtype=bool)
        for i in np.unique(index):
            at = np.flatnonzero(index == i)
            r[at], v[at], valid[at] = self._object_states(self.objects[int(i)], seconds[at])
        return r, v, valid

    def interval_margins(self, node_times: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Given node times ``(m,)``, return what each object's interval bounds need added
        ``(n, m - 3)`` (km) and where the nodes straddle a break between arcs (there the
        nodes need not lie on one trajectory).

        Everywhere: ``(1 + Lambda) eps`` for an interpolant within ``eps`` of a smooth
        motion (:data:`INTERPOLATION_MARGIN_KM`).  Where a break at ``t_b`` lies strictly
        inside an interval's stencil ``(t_k, t_{k+3})``, the motion is the smooth one plus
        ``g``, the difference of the two arcs' trajectories, within ``|dr| + 2 |dv| 3H``
        of zero (``dr``, ``dv``: the jump at ``t_b``); interpolation adds at most
        ``(1 + Lambda) max |g|``.
        """
        t = np.asarray(node_times, dtype=np.float64)
        intervals = max(len(t) - 3, 0)
        margins = np.full((self.size, intervals), (1.0 + LEBESGUE_CUBIC) * INTERPOLATION_MARGIN_KM)
        kinked = np.zeros((self.size, intervals), dtype=bool)
        for i, arcs in enumerate(self.objects):
            for arc, side in ((arcs[0], -1.0), (arcs[-1], 1.0)):
                edge = arc.start_s if side < 0 else arc.stop_s
                outside = (t[:intervals] < edge) if side < 0 else (t[3 : 3 + intervals] > edge)
                if outside.any():
                    residual = _residual_acceleration(arc, edge)
                    reach = 2.0 * (t[3 : 3 + intervals] - t[:intervals]) / 3.0  # 2 H
                    margins[i, outside] += (1.0 + LEBESGUE_CUBIC) * (
                        EXTENSION_SAFETY * residual * reach[outside] ** 2 / 2.0
                    )
            for before, after in itertools.pairwise(arcs):
                tb = after.start_s
                inside = (t[:intervals] < tb) & (t[3 : 3 + intervals] > tb)
                if not inside.any():
                    continue
                r1, v1 = before.states(np.array([min(tb, before.stop_s)]))
                r2, v2 = after.states(np.array([tb]))
                span = t[3 : 3 + intervals] - t[:intervals]
                jump = np.linalg.norm(r2 - r1) + BREAK_GROWTH * np.linalg.norm(v2 - v1) * span
                margins[i, inside] += (1.0 + LEBESGUE_CUBIC) * jump[inside]
                kinked[i, inside] = True
        return margins, kinked


def _gravity(r: FloatArray) -> FloatArray:
    """Two-body and J2 acceleration (km/s**2) at positions ``(n, 3)`` (WGS-72 constants, as
    SGP4; Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed., eq. 8-30)."""
    x, y, z = r[:, 0], r[:, 1], r[:, 2]
    rr = np.sqrt(x * x + y * y + z * z)
    k = 1.5 * J2 * (EARTH_RADIUS_KM / rr) ** 2
    zz = 5.0 * (z / rr) ** 2
    g = -MU_KM3_S2 / rr**3
    return np.stack([g * x * (1 + k * (1 - zz)), g * y * (1 + k * (1 - zz)),
                     g * z * (1 + k * (3 - zz))], axis=1)  # fmt: skip


def _arc_acceleration(arc: Arc, edge: float) -> FloatArray:
    """The interpolant's acceleration at ``edge`` (a one-second difference inside)."""
    inward = -1.0 if edge >= arc.stop_s else 1.0
    _, v = arc.states(np.array([edge, edge + inward * 1.0]))
    return (v[1] - v[0]) * inward


def _residual_acceleration(arc: Arc, edge: float) -> float:
    """What the extension's model (two-body and J2) lacks at the edge, km/s**2."""
    r, _ = arc.states(np.array([edge]))
    return float(np.linalg.norm(_arc_acceleration(arc, edge) - _gravity(r)[0]))


def _extend(arc: Arc, edge: float, t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The arc's motion continued from its state at ``edge`` to times ``t`` beyond it, under
    two-body and J2 gravity plus the residual acceleration at the edge held constant
    (integrated with DOP853: Hairer, Norsett & Wanner, "Solving Ordinary Differential
    Equations I", 1993); the position, velocity and acceleration are continuous at ``edge``."""
    from scipy.integrate import solve_ivp

    r0, v0 = arc.states(np.array([edge]))
    residual = _arc_acceleration(arc, edge) - _gravity(r0)[0]

    def rhs(_: float, y: FloatArray) -> FloatArray:
        return np.concatenate([y[3:], _gravity(y[None, :3])[0] + residual])

    times = np.unique(t)  # all on one side of the edge
    forward = times[-1] > edge
    evaluate = times if forward else times[::-1]
    span = (edge, float(evaluate[-1]))
    solution = solve_ivp(rhs, span, np.concatenate([r0[0], v0[0]]), method="DOP853",
                         t_eval=evaluate, rtol=1e-12, atol=1e-9)  # fmt: skip
    states = solution.y.T if forward else solution.y.T[::-1]
    states = states[np.searchsorted(times, t)]
    return states[:, :3], states[:, 3:]


class JoinedEnsemble:
    """Several ensembles screened as one: objects of ``parts[0]`` first, then ``parts[1]``
    ...; :meth:`part_of` maps an index back."""

    def __init__(self, parts: Sequence[Ensemble]) -> None:
        self.parts = list(parts)
        sizes = [p.size for p in self.parts]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)

    @property
    def size(self) -> int:
        """Number of objects."""
        return int(self.offsets[-1])

    def part_of(self, index: IntArray) -> tuple[IntArray, IntArray]:
        """Given joined indices, return each one's part and index within it."""
        index = np.asarray(index, dtype=np.int64)
        part = np.searchsorted(self.offsets, index, side="right") - 1
        return part, index - self.offsets[part]

    def states_at(self, seconds: FloatArray) -> States:
        """All objects at the given times; see :meth:`Ensemble.states_at`."""
        pieces = [p.states_at(seconds) for p in self.parts]
        return (
            np.concatenate([x[0] for x in pieces]),
            np.concatenate([x[1] for x in pieces]),
            np.concatenate([x[2] for x in pieces]),
        )

    def states_of(self, index: IntArray, seconds: FloatArray) -> States:
        """Object ``index[k]`` at ``seconds[k]``; see :meth:`Ensemble.states_of`."""
        return self.evaluator(index)(seconds)

    def evaluator(self, index: IntArray) -> Callable[[FloatArray], States]:
        """A function of times ``(n,)`` giving object ``index[k]`` at time ``k`` (parts
        with their own evaluator build it once)."""
        part, local = self.part_of(index)
        n = len(part)
        calls = []
        for p, ensemble in enumerate(self.parts):
            at = np.flatnonzero(part == p)
            if len(at):
                make = getattr(ensemble, "evaluator", None)
                if make is not None:
                    calls.append((at, make(local[at])))
                else:
                    calls.append((at, _fixed(ensemble, local[at])))

        def states(seconds: FloatArray) -> States:
            r = np.full((n, 3), np.nan)
            v = np.full((n, 3), np.nan)
            valid = np.zeros(n, dtype=bool)
            for at, call in calls:
                r[at], v[at], valid[at] = call(np.asarray(seconds)[at])
            return r, v, valid

        return states

    def interval_margins(self, node_times: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Each part's margins (zero for parts without any); see
        :meth:`EphemerisEnsemble.interval_margins`."""
        intervals = max(len(node_times) - 3, 0)
        margins, kinked = [], []
        for ensemble in self.parts:
            own = getattr(ensemble, "interval_margins", None)
            if own is None:
                margins.append(np.zeros((ensemble.size, intervals)))
                kinked.append(np.zeros((ensemble.size, intervals), dtype=bool))
            else:
                m, k = own(node_times)
                margins.append(m)
                kinked.append(k)
        return np.concatenate(margins), np.concatenate(kinked)


def _fixed(ensemble: Ensemble, index: IntArray) -> Callable[[FloatArray], States]:
    def states(seconds: FloatArray) -> States:
        return ensemble.states_of(index, seconds)

    return states
