"""Brackets of close approaches from node cubics: the scan both sieves share, and the
sieve for a few primaries against many objects.

Between nodes ``t_m = m H`` each object follows the cubic through its four nearest nodes
(:mod:`accord.core.sieve`).  A pair's relative cubic over a window of length ``h`` is
scanned for minima of the range: its range rate ``q . q'`` is sampled ``substeps + 1``
times, and each sign change from negative to positive is bisected to the cubic's minimum,
kept when that minimum is within the threshold plus both objects' bounds
(:func:`pair_brackets`).  The exact TCA is then found on exact states
(:mod:`accord.core.screening`).

With few primaries, no grid is needed: :func:`primary_brackets` tests each primary against
every other object once per node interval, with a lower bound on their cubics' distance
over the whole interval (Taylor's expansion of a cubic about the interval's middle is
exact), and scans only the pairs it cannot clear.  The cost is ``primaries x objects x
intervals`` cheap tests.  docs/screening.md gives the proofs.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# Row layout of a bracket: i, j, t_lo, t_hi, kind (0: interior minimum of the interpolant,
# 1: minimum on the window's start, 2: on its end, 3: on a node boundary).
BRACKET_COLUMNS = 5
INTERIOR, AT_START, AT_END, AT_NODE = 0, 1, 2, 3


@njit(cache=True, nogil=True)
def grow(out: FloatArray, m: int) -> FloatArray:
    """Return ``out`` with room for row ``m`` (doubled when full)."""
    if m < out.shape[0]:
        return out
    grown = np.empty((2 * out.shape[0], out.shape[1]))
    grown[:m] = out[:m]
    return grown


@njit(cache=True, nogil=True, inline="always")
def _range_rate(q: FloatArray, s: float) -> float:
    """``q(s) . q'(s)`` for the relative cubic ``q`` ``(4, 3)`` (coefficients of s^0..s^3)."""
    f = 0.0
    for c in range(3):
        x = q[0, c] + s * (q[1, c] + s * (q[2, c] + s * q[3, c]))
        dx = q[1, c] + s * (2.0 * q[2, c] + s * 3.0 * q[3, c])
        f += x * dx
    return f


@njit(cache=True, nogil=True, inline="always")
def _range(q: FloatArray, s: float) -> float:
    d2 = 0.0
    for c in range(3):
        x = q[0, c] + s * (q[1, c] + s * (q[2, c] + s * q[3, c]))
        d2 += x * x
    return np.sqrt(d2)


@njit(cache=True, nogil=True, inline="always")
def _emit(out: FloatArray, m: int, i: int, j: int, lo: float, hi: float, kind: int) -> tuple:
    out = grow(out, m)
    out[m, 0], out[m, 1], out[m, 2], out[m, 3], out[m, 4] = i, j, lo, hi, kind
    return out, m + 1


@njit(cache=True, nogil=True)
def pair_brackets(
    out: FloatArray, m: int, basis_a: FloatArray, basis_b: FloatArray, uc: float,
    node_step: float, n_windows: int, win: int, interval: int, last_interval: int,
    substeps: int, limit: float, i: int, j: int, q: FloatArray, f: FloatArray,
) -> tuple:  # fmt: skip
    """Append to ``out`` (``m`` rows used) the brackets of pair ``(i, j)`` in window
    ``win`` of node interval ``interval``, whose centre is at ``uc`` (fraction of the
    interval); ``basis_a``, ``basis_b`` ``(4, 3)``: both cubics in ``u = (t - t_k) / H``.
    ``q`` ``(4, 3)`` and ``f`` ``(substeps + 1,)`` are workspaces.  Return ``(out, m)``."""
    h = node_step / n_windows
    half = 0.5 * h
    h2, h3 = node_step * node_step, node_step * node_step * node_step
    centre = (interval + uc) * node_step
    for c in range(3):
        d0 = basis_b[0, c] - basis_a[0, c]
        d1 = basis_b[1, c] - basis_a[1, c]
        d2 = basis_b[2, c] - basis_a[2, c]
        d3 = basis_b[3, c] - basis_a[3, c]
        q[0, c] = d0 + uc * (d1 + uc * (d2 + uc * d3))
        q[1, c] = (d1 + uc * (2.0 * d2 + 3.0 * uc * d3)) / node_step
        q[2, c] = (d2 + 3.0 * uc * d3) / h2
        q[3, c] = d3 / h3
    for s in range(substeps + 1):
        f[s] = _range_rate(q, -half + h * s / substeps)
    for s in range(substeps):
        if f[s] < 0.0 and f[s + 1] >= 0.0:
            lo = -half + h * s / substeps
            hi = -half + h * (s + 1) / substeps
            x0, x1 = lo, hi
            for _ in range(40):
                mid = 0.5 * (x0 + x1)
                if _range_rate(q, mid) < 0.0:
                    x0 = mid
                else:
                    x1 = mid
            if _range(q, 0.5 * (x0 + x1)) <= limit:
                out, m = _emit(out, m, i, j, centre + lo, centre + hi, INTERIOR)
    # Minima on the window's edges where the cubic changes (node boundaries) or the
    # screening window starts or ends.
    if win == 0 and f[0] > 0.0 and _range(q, -half) <= limit:
        kind = AT_START if interval == 0 else AT_NODE
        out, m = _emit(out, m, i, j, centre - half, centre - half, kind)
    if win == n_windows - 1 and f[substeps] < 0.0 and _range(q, half) <= limit:
        kind = AT_END if interval == last_interval else AT_NODE
        out, m = _emit(out, m, i, j, centre + half, centre + half, kind)
    return out, m


@njit(cache=True, nogil=True, inline="always")
def node_cubic(nodes: FloatArray, i: int, k: int, basis: FloatArray) -> None:
    """Write into ``basis`` ``(4, 3)`` the cubic of object ``i`` over interval ``k``
    through nodes ``k .. k+3`` (coefficients of ``u^0 .. u^3``, ``u = 0`` at node
    ``k+1``, ``u = 1`` at node ``k+2``)."""
    for c in range(3):
        y0, y1 = nodes[i, k, c], nodes[i, k + 1, c]
        y2, y3 = nodes[i, k + 2, c], nodes[i, k + 3, c]
        basis[0, c] = y1
        basis[1, c] = -y0 / 3.0 - 0.5 * y1 + y2 - y3 / 6.0
        basis[2, c] = 0.5 * y0 - y1 + 0.5 * y2
        basis[3, c] = (y3 - y0) / 6.0 + 0.5 * (y1 - y2)


@njit(cache=True, nogil=True)
def primary_brackets(
    nodes: FloatArray, bounds: FloatArray, node_step: float, n_windows: int,
    first_interval: int, last_interval: int, threshold: float, substeps: int,
    primaries: IntArray, is_primary: NDArray[np.bool_],
) -> FloatArray:  # fmt: skip
    """Return the brackets of possible close approaches between ``primaries`` and every
    other object in a block of node intervals (arguments as
    :func:`accord.core.sieve.block_brackets`; a pair of two primaries is scanned once).

    Over interval ``k`` the relative cubic ``q(u) = d0 + d1 u + d2 u^2 + d3 u^3``,
    ``u`` in ``[0, 1]``, is expanded about ``u = 1/2``: ``q = a0 + a1 s + a2 s^2 + a3
    s^3`` with ``|s| <= 1/2``, exactly, so ``|q| >= |a0| - |a1|/2 - |a2|/4 - |a3|/8``.
    Where that exceeds the threshold plus both bounds the pair cannot come within the
    threshold during the interval; otherwise each window is scanned.
    """
    n = nodes.shape[0]
    n_intervals = bounds.shape[1]
    out = np.empty((256, BRACKET_COLUMNS))
    m = 0
    mine = np.empty((4, 3))
    other = np.empty((4, 3))
    q = np.empty((4, 3))
    f = np.empty(substeps + 1)
    for k in range(n_intervals):
        interval = first_interval + k
        for p in primaries:
            e_p = bounds[p, k]
            if not np.isfinite(e_p):
                continue
            node_cubic(nodes, p, k, mine)
            for s in range(n):
                e_s = bounds[s, k]
                if s == p or not np.isfinite(e_s) or (is_primary[s] and s < p):
                    continue
                limit = threshold + e_p + e_s
                node_cubic(nodes, s, k, other)
                a0 = a1 = a2 = a3 = 0.0
                for c in range(3):
                    d0, d1 = other[0, c] - mine[0, c], other[1, c] - mine[1, c]
                    d2, d3 = other[2, c] - mine[2, c], other[3, c] - mine[3, c]
                    a0 += (d0 + 0.5 * d1 + 0.25 * d2 + 0.125 * d3) ** 2
                    a1 += (d1 + d2 + 0.75 * d3) ** 2
                    a2 += (d2 + 1.5 * d3) ** 2
                    a3 += d3 * d3
                reach = 0.5 * np.sqrt(a1) + 0.25 * np.sqrt(a2) + 0.125 * np.sqrt(a3)
                if np.sqrt(a0) - reach > limit:
                    continue
                i_, j_ = min(p, s), max(p, s)
                for win in range(n_windows):
                    uc = (win + 0.5) / n_windows
                    out, m = pair_brackets(out, m, mine, other, uc, node_step, n_windows, win,
                                           interval, last_interval, substeps, limit, i_, j_,
                                           q, f)  # fmt: skip
    return out[:m]
