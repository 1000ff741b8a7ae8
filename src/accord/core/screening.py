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

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from sgp4.api import Satrec

from accord.core.brackets import AT_END, AT_START, BRACKET_COLUMNS, primary_brackets
from accord.core.encounter import rtn_to_inertial
from accord.core.propagation import satrec_fields, satrec_from_fields
from accord.core.sgp4_kernel import parameters, propagate, propagate_each
from accord.core.sieve import block_brackets, interval_bounds

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

DAY_S = 86_400.0
TCA_TOLERANCE_S = 1e-6
DEFAULT_STEP_S = 30.0

Progress = Callable[[int, int], None]
States = tuple[FloatArray, FloatArray, BoolArray]
PairStates = tuple[FloatArray, FloatArray, BoolArray, FloatArray, FloatArray, BoolArray]


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
    """SGP4 element sets as an :class:`Ensemble` (WGS-72, TEME).

    States at common times come from heyoka's compiled, vectorised SGP4
    (``heyoka.model.sgp4_propagator``: Biscani & Izzo, heyoka, MNRAS 2021) for near-Earth
    element sets when heyoka is installed, and from :mod:`accord.core.sgp4_kernel`
    (Vallado's code compiled with numba, free of the GIL) for deep-space ones and otherwise;
    both agree with python-sgp4 to 1e-8 km.  States of single objects at their own times
    (refinement) come from the same two: a propagator over exactly those near-Earth element
    sets, and the kernel.  An ensemble pickles (to a Dask cluster's workers)
    as its element sets' fields and is rebuilt where it lands: the same states bit for bit.
    """

    def __init__(self, satrecs: Sequence[Satrec], jd0: float, fr0: float) -> None:
        self.satrecs = list(satrecs)
        self.jd0 = float(jd0)
        self.fr0 = float(fr0)
        near = np.array([sat.method == "n" for sat in self.satrecs], dtype=bool)
        self._propagator = _heyoka_propagator([self.satrecs[k] for k in np.flatnonzero(near)])
        if self._propagator is None:
            near[:] = False
        else:
            self._sat_data = np.asarray(self._propagator.sat_data)
        self._near = np.flatnonzero(near)
        self._deep = np.flatnonzero(~near)
        self._column = np.full(len(self.satrecs), -1, dtype=np.int64)
        self._column[self._near] = np.arange(len(self._near))
        # Deep-space element sets (and all without heyoka) go to the compiled kernel, which
        # releases the GIL (python-sgp4 holds it through a whole call).
        self._params = parameters([self.satrecs[k] for k in self._deep])
        self._deep_row = np.full(len(self.satrecs), -1, dtype=np.int64)
        self._deep_row[self._deep] = np.arange(len(self._deep))
        # Minutes from each near-Earth element set's epoch to the ensemble's start.
        self._minutes0 = np.array(
            [
                ((self.jd0 - self.satrecs[k].jdsatepoch) + (self.fr0 - self.satrecs[k].jdsatepochF))
                * 1440.0
                for k in self._near
            ]
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Neither Satrec nor heyoka's propagator pickles: send the fields, rebuild both.
        fields = [satrec_fields(sat) for sat in self.satrecs]
        return _rebuilt_ensemble, (fields, self.jd0, self.fr0)

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
        seconds = np.asarray(seconds, dtype=np.float64)
        r = np.empty((self.size, len(seconds), 3))
        v = np.empty((self.size, len(seconds), 3))
        valid = np.zeros((self.size, len(seconds)), dtype=bool)
        if self._propagator is not None and len(self._near):
            minutes = np.ascontiguousarray(self._minutes0[None, :] + seconds[:, None] / 60.0)
            out = self._propagator(minutes)  # (times, 7, objects)
            r[self._near] = out[:, 0:3, :].transpose(2, 0, 1)
            v[self._near] = out[:, 3:6, :].transpose(2, 0, 1)
            valid[self._near] = (out[:, 6, :] == 0).T & np.isfinite(out[:, 0, :]).T
        if len(self._deep):
            jd, fr = self._jd(seconds)
            error, rd, vd = propagate(self._params, jd, fr)
            r[self._deep], v[self._deep], valid[self._deep] = rd, vd, error == 0
        return r, v, valid

    def states_of(
        self, index: IntArray, seconds: FloatArray
    ) -> tuple[FloatArray, FloatArray, BoolArray]:
        """Object ``index[k]`` at ``seconds[k]``; see :meth:`Ensemble.states_of`."""
        return self.evaluator(index)(seconds)

    def evaluator(self, index: IntArray) -> Callable[[FloatArray], States]:
        """Return a function of times ``(n,)`` giving object ``index[k]`` at time ``k``,
        for repeated evaluation of the same objects (heyoka's propagator is built once)."""
        index = np.asarray(index, dtype=np.int64)
        n = len(index)
        column = self._column[index] if n else np.empty(0, dtype=np.int64)
        near = np.flatnonzero(column >= 0) if self._propagator is not None else np.empty(0, int)
        rest = np.setdiff1d(np.arange(n), near, assume_unique=True)
        sub = None
        if len(near):
            # One propagator over exactly these element sets, each at its own time.
            sub = type(self._propagator)(np.ascontiguousarray(self._sat_data[:, column[near]]))
        minutes0 = self._minutes0[column[near]] if len(near) else np.empty(0)
        rows = self._deep_row[index[rest]]

        def states(seconds: FloatArray) -> States:
            seconds = np.asarray(seconds, dtype=np.float64)
            r = np.full((n, 3), np.nan)
            v = np.full((n, 3), np.nan)
            valid = np.zeros(n, dtype=bool)
            if sub is not None:
                out = sub(np.ascontiguousarray(minutes0 + seconds[near] / 60.0))
                r[near], v[near] = out[0:3].T, out[3:6].T
                valid[near] = (out[6] == 0) & np.isfinite(out[0])
            if len(rest):
                error, r[rest], v[rest] = propagate_each(
                    self._params, rows, *self._jd(seconds[rest])
                )
                valid[rest] = error == 0
            return r, v, valid

        return states


def _rebuilt_ensemble(fields: list[tuple[Any, ...]], jd0: float, fr0: float) -> Sgp4Ensemble:
    """The :class:`Sgp4Ensemble` that pickled as these Satrec fields and start."""
    return Sgp4Ensemble([satrec_from_fields(f) for f in fields], jd0, fr0)


def _heyoka_propagator(satrecs: list[Satrec]) -> Any:
    """heyoka's SGP4 propagator for near-Earth element sets, or None without heyoka."""
    if not satrecs:
        return None
    try:
        import heyoka
    except ImportError:
        return None
    return heyoka.model.sgp4_propagator(satrecs)


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


DEFAULT_NODE_STEP_S = 240.0
SUBSTEPS = 8  # range-rate samples per window when looking for minima of the range
# Brackets per refinement share at least: fewer are not worth a thread or task of their own.
MIN_REFINE_BRACKETS = 2_000
BLOCK_INTERVALS = 90  # node intervals per task (6 h at the default node step)
# Grid cubes are sized for objects up to this speed (circular speed at 100 km altitude is
# 7.85 km/s); faster ones (eccentric orbits near perigee) search the cubes within reach.
CELL_SPEED_KM_S = 8.0
# Up to this many primaries, each is tested against every object per node interval
# (:func:`accord.core.brackets.primary_brackets`) rather than through the grid.
FEW_PRIMARIES = 32


@dataclass(frozen=True)
class Plan:
    """What every block of one screening shares: ``n_intervals`` node intervals of
    ``node_step_s`` (s) filling ``[0, duration_s]``, each cut into ``n_windows`` sieve
    windows; blocks of ``block_intervals``; the sphere ``threshold_km``; and the pairs
    kept: those with an object marked in ``primary`` ``(n_objects,)`` (every pair when
    ``all_primary``), found per primary when ``few_primaries``."""

    duration_s: float
    n_intervals: int
    node_step_s: float
    n_windows: int
    block_intervals: int
    threshold_km: float
    primary: BoolArray
    all_primary: bool
    few_primaries: bool

    def firsts(self) -> list[int]:
        """The first node interval of each block."""
        return list(range(0, self.n_intervals, self.block_intervals))


def plan(
    size: int,
    duration_s: float,
    threshold_km: float,
    step_s: float,
    node_step_s: float,
    primaries: IntArray | None,
    block_intervals: int,
) -> Plan:
    """Return the :class:`Plan` of :func:`screen` (whose arguments these are) over an
    ensemble of ``size`` objects."""
    n_intervals = max(1, int(np.ceil(duration_s / node_step_s - 1e-9)))
    node_step = duration_s / n_intervals
    primary = np.zeros(size, dtype=bool)
    if primaries is not None:
        primary[np.asarray(primaries, dtype=np.int64)] = True
    return Plan(
        duration_s=duration_s,
        n_intervals=n_intervals,
        node_step_s=node_step,
        n_windows=max(1, round(node_step / step_s)),
        block_intervals=block_intervals,
        threshold_km=threshold_km,
        primary=primary,
        all_primary=primaries is None,
        few_primaries=primaries is not None and int(primary.sum()) <= FEW_PRIMARIES,
    )


def spread(plan: Plan, workers: int) -> Plan:
    """Given a :class:`Plan` and a number of workers, return it with blocks small enough
    that each worker has one (a window shorter than ``workers`` blocks would otherwise
    leave workers idle).  Blocks only group the node intervals: every interval is sieved
    alike in any block, so the brackets, and the conjunctions, are the same."""
    per_worker = -(-plan.n_intervals // max(1, workers))
    return replace(plan, block_intervals=max(1, min(plan.block_intervals, per_worker)))


def screen_block(ensemble: Ensemble, plan: Plan, first: int) -> FloatArray:
    """Given an ensemble, a :class:`Plan` and the first node interval of a block, return
    the block's brackets of possible approaches (rows as
    :data:`accord.core.brackets.BRACKET_COLUMNS`, times in s from the window start)."""
    node_step, n_intervals = plan.node_step_s, plan.n_intervals
    last = min(first + plan.block_intervals, n_intervals)
    times = np.arange(first - 1, last + 2, dtype=np.float64) * node_step
    r, v, valid = ensemble.states_at(times)
    r = np.ascontiguousarray(r)
    margins = getattr(ensemble, "interval_margins", None)
    if margins is None:
        kinked = np.zeros((ensemble.size, len(times) - 3), dtype=bool)
    else:
        extra, kinked = margins(times)
    bounds = interval_bounds(r, np.ascontiguousarray(v), np.ascontiguousarray(valid),
                             node_step, kinked)  # fmt: skip
    if margins is not None:
        bounds += extra
    if plan.few_primaries:
        index = np.flatnonzero(plan.primary).astype(np.int64)
        return primary_brackets(r, bounds, node_step, plan.n_windows, first, n_intervals - 1,
                                plan.threshold_km, SUBSTEPS, index, plan.primary)  # fmt: skip
    return block_brackets(r, bounds, node_step, plan.n_windows, first, n_intervals - 1,
                          plan.threshold_km, CELL_SPEED_KM_S, SUBSTEPS, plan.primary,
                          plan.all_primary)  # fmt: skip


def screen(
    ensemble: Ensemble,
    duration_s: float,
    *,
    threshold_km: float = 5.0,
    step_s: float = DEFAULT_STEP_S,
    node_step_s: float = DEFAULT_NODE_STEP_S,
    primaries: IntArray | None = None,
    block_intervals: int = BLOCK_INTERVALS,
    workers: int = 1,
    progress: Progress | None = None,
    client: Any = None,
) -> Conjunctions:
    """Given an ensemble and a window ``[0, duration_s]`` (s from the ensemble's start),
    return every approach closer than ``threshold_km`` (a sphere), with its exact TCA.

    ``node_step_s``: the spacing ``H`` of the exact states (rounded so that whole intervals
    fill the window); between them each object follows the cubic through its four nearest
    states, within a proven bound.  ``step_s``: the sieve's window ``h`` (rounded so that
    whole windows fill an interval); any values are safe, they trade propagation and grid
    passes against candidates.  ``primaries``: indices of the objects to screen against all
    others (default: all against all).  ``block_intervals`` bounds memory: states are held
    for that many intervals at a time.  ``workers``: threads that screen blocks of time at
    once (the compiled kernels release the GIL); the result does not depend on it.
    ``client``: a ``dask.distributed.Client``: the blocks are screened on its cluster
    instead (:func:`accord.core.cluster.screen_on_cluster`), with the same result.
    """
    todo = plan(ensemble.size, duration_s, threshold_km, step_s, node_step_s, primaries,
                block_intervals)  # fmt: skip
    if client is not None:
        from accord.core.cluster import screen_on_cluster

        return screen_on_cluster(client, ensemble, todo, progress=progress)
    todo = spread(todo, workers)
    firsts = todo.firsts()
    found: list[FloatArray] = []
    with ThreadPoolExecutor(max(1, min(workers, len(firsts)))) as pool:
        blocks = pool.map(partial(screen_block, ensemble, todo), firsts)
        for done, rows in enumerate(blocks, start=1):
            found.append(rows)
            if progress is not None:
                progress(min(done * todo.block_intervals, todo.n_intervals), todo.n_intervals)
        brackets = np.concatenate(found) if found else np.empty((0, BRACKET_COLUMNS))
        # Each pair's brackets refine alone: the threads take a share of the pairs each.
        share_count = max(1, min(workers, len(brackets) // MIN_REFINE_BRACKETS))
        shares = pair_shares(brackets, ensemble.size, share_count)
        arguments = (duration_s, threshold_km, todo.node_step_s)
        return merge(list(pool.map(lambda share: refine(ensemble, share, *arguments), shares)))


def pair_shares(brackets: FloatArray, size: int, shares: int) -> list[FloatArray]:
    """Given brackets ``(n, BRACKET_COLUMNS)`` over ``size`` objects, return them in
    ``shares`` parts, each pair's brackets all in one part (rows keep their order)."""
    key = brackets[:, 0].astype(np.int64) * size + brackets[:, 1].astype(np.int64)
    part = key % shares
    return [brackets[part == k] for k in range(shares)]


def merge(parts: list[Conjunctions]) -> Conjunctions:
    """Given conjunctions of disjoint sets of pairs, return them as one, ordered as
    :func:`accord.core.screening.refine` orders its rows (by TCA, then ``i``, then ``j``)."""
    names = list(Conjunctions.__dataclass_fields__)
    joined = {name: np.concatenate([getattr(p, name) for p in parts]) for name in names}
    order = np.lexsort((joined["j"], joined["i"], joined["tca_s"]))
    return Conjunctions(**{name: values[order] for name, values in joined.items()})


def refine(
    ensemble: Ensemble,
    brackets: FloatArray,
    duration_s: float,
    threshold_km: float,
    node_step: float,
) -> Conjunctions:
    """Given brackets (rows as :data:`accord.core.brackets.BRACKET_COLUMNS`), find each
    one's TCA (root of the exact range rate) and keep the approaches < D.

    Each pair's result depends only on its own brackets: brackets split by pair may be
    refined apart and their rows merged in order of TCA, then pair.

    A bracket comes from the cubics; before refinement it is made exact: the range rate
    ``f = d . dv`` on exact states must be negative at its start and non-negative at its
    end, and the bracket is widened (doubling, up to two node steps) until it is.  Brackets
    that reach the window's start with the range rising, or its end with it falling, become
    minima on the edge.  The same minimum found from two brackets is kept once.
    """
    i = brackets[:, 0].astype(np.int64)
    j = brackets[:, 1].astype(np.int64)
    lo = brackets[:, 2].copy()
    hi = brackets[:, 3].copy()
    kind = brackets[:, 4].astype(np.int64)
    width = np.maximum(hi - lo, node_step / 64)
    pairs = _PairStates(ensemble, i, j)
    f_lo = pairs.range_rate(np.arange(len(i)), lo)
    f_hi = f_lo.copy()
    interior = np.flatnonzero(lo < hi)
    f_hi[interior] = pairs.range_rate(interior, hi[interior])
    # Minima on the window's edges stand when the exact range rate agrees.
    start_edge = (kind == AT_START) & (f_lo > 0)
    end_edge = (kind == AT_END) & (f_hi < 0)
    pending = ~np.isin(kind, (AT_START, AT_END))
    for _ in range(8):
        bad_lo = pending & ~(f_lo < 0) & (lo > 0.0)
        bad_hi = pending & ~(f_hi >= 0) & (hi < duration_s)
        if not (bad_lo.any() or bad_hi.any()):
            break
        lo[bad_lo] = np.maximum(lo[bad_lo] - width[bad_lo], 0.0)
        hi[bad_hi] = np.minimum(hi[bad_hi] + width[bad_hi], duration_s)
        f_lo[bad_lo] = pairs.range_rate(np.flatnonzero(bad_lo), lo[bad_lo])
        f_hi[bad_hi] = pairs.range_rate(np.flatnonzero(bad_hi), hi[bad_hi])
        width = np.where(bad_lo | bad_hi, np.minimum(2 * width, node_step), width)
    ok = pending & (f_lo < 0) & (f_hi >= 0)
    # Widened to the window's edge with the range still rising from it (or falling to it).
    start_edge |= pending & ~ok & (lo == 0.0) & (f_lo > 0)
    end_edge |= pending & ~ok & (hi == duration_s) & (f_hi < 0)
    lo = np.where(start_edge, 0.0, np.where(end_edge, duration_s, lo))
    hi = np.where(start_edge, 0.0, np.where(end_edge, duration_s, hi))
    keep = ok | start_edge | end_edge
    i, j, lo, hi, f_lo, f_hi = i[keep], j[keep], lo[keep], hi[keep], f_lo[keep], f_hi[keep]
    edge = (start_edge | end_edge)[keep]
    # First guess: where the range rate's chord between the bracket's ends crosses zero.
    span = f_hi - f_lo
    with np.errstate(divide="ignore", invalid="ignore"):
        guess = np.where(span > 0, lo - f_lo * (hi - lo) / span, 0.5 * (lo + hi))
    pairs = _PairStates(ensemble, i, j)
    t = _safeguarded_newton(pairs, lo, hi, np.clip(guess, lo, hi))
    r1, v1, ok1, r2, v2, ok2 = pairs.states(np.arange(len(i)), t)
    miss = np.linalg.norm(r2 - r1, axis=1)
    close = np.flatnonzero(ok1 & ok2 & (miss < threshold_km))
    # One row per minimum: the same pair within a millisecond is the same approach.
    close = close[np.lexsort((t[close], j[close], i[close]))]
    same = (
        (i[close][1:] == i[close][:-1])
        & (j[close][1:] == j[close][:-1])
        & (np.diff(t[close]) < 1e-3)
    )
    close = close[np.concatenate([[True], ~same])] if len(close) else close
    take = close[np.argsort(t[close], kind="stable")]
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


class _PairStates:
    """Exact states of the pairs ``(i[k], j[k])``, evaluated together at one time per pair
    (with an ensemble that offers ``evaluator``, its propagator is built once)."""

    def __init__(self, ensemble: Ensemble, i: IntArray, j: IntArray) -> None:
        self.ensemble, self.i, self.j = ensemble, i, j
        self.n = len(i)
        make = getattr(ensemble, "evaluator", None)
        self._evaluate = make(np.concatenate([i, j])) if make is not None else None
        self._times = np.zeros(2 * self.n)

    def states(self, idx: IntArray, t: FloatArray) -> PairStates:
        """Both objects' states ``r1, v1, ok1, r2, v2, ok2`` of pairs ``idx`` at times ``t``."""
        if self._evaluate is None:
            r1, v1, ok1 = self.ensemble.states_of(self.i[idx], t)
            r2, v2, ok2 = self.ensemble.states_of(self.j[idx], t)
            return r1, v1, ok1, r2, v2, ok2
        self._times[idx] = t
        self._times[self.n + idx] = t
        r, v, ok = self._evaluate(self._times)
        other = self.n + idx
        return r[idx], v[idx], ok[idx], r[other], v[other], ok[other]

    def range_rate(self, idx: IntArray, t: FloatArray) -> FloatArray:
        """Exact ``d . dv`` of pairs ``idx`` at times ``t`` (NaN where a state is invalid)."""
        r1, v1, ok1, r2, v2, ok2 = self.states(idx, t)
        f = np.einsum("ij,ij->i", r2 - r1, v2 - v1)
        return np.where(ok1 & ok2, f, np.nan)


def _safeguarded_newton(
    pairs: _PairStates,
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
        r1, v1, _, r2, v2, _ = pairs.states(idx, ti)
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
