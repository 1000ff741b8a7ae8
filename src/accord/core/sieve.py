"""The screening sieve, compiled: pairs that may come within a distance during one step.

Given all objects' positions and velocities at one sample, return the pairs that pass both
tests of the sieve (docs/screening.md): ``|dr| <= rho_i + rho_j``, then the exact
straight-line test ``min_{|s| <= half} |dr + dv s| <= margin``. A uniform grid of cubes of
side ``2 max(rho)`` holds the objects (sorted by cell); each cell is compared with itself
and its 13 "forward" neighbours, so each pair is met once (Hockney & Eastwood, "Computer
Simulation Using Particles", 1988, chapter 8: cell lists). Compiled with numba.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_OFFSET = 1 << 20  # cell coordinates are shifted into [0, 2^21) and packed into 63 bits
_BITS = 21


@njit(cache=True)
def _cell_keys(points: FloatArray, cell: float) -> IntArray:
    n = points.shape[0]
    keys = np.empty(n, dtype=np.int64)
    for k in range(n):
        ix = np.int64(np.floor(points[k, 0] / cell)) + _OFFSET
        iy = np.int64(np.floor(points[k, 1] / cell)) + _OFFSET
        iz = np.int64(np.floor(points[k, 2] / cell)) + _OFFSET
        keys[k] = (ix << (2 * _BITS)) | (iy << _BITS) | iz
    return keys


@njit(cache=True)
def _find(sorted_keys: IntArray, key: np.int64) -> int:
    lo, hi = 0, sorted_keys.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if sorted_keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    if lo < sorted_keys.shape[0] and sorted_keys[lo] == key:
        return lo
    return -1


@njit(cache=True)
def _passes(
    p: FloatArray, w: FloatArray, rho: FloatArray, a: int, b: int, margin: float, half: float
) -> bool:
    dx = p[b, 0] - p[a, 0]
    dy = p[b, 1] - p[a, 1]
    dz = p[b, 2] - p[a, 2]
    reach = rho[a] + rho[b]
    d2 = dx * dx + dy * dy + dz * dz
    if d2 > reach * reach:
        return False
    ux = w[b, 0] - w[a, 0]
    uy = w[b, 1] - w[a, 1]
    uz = w[b, 2] - w[a, 2]
    uu = ux * ux + uy * uy + uz * uz
    s = 0.0
    if uu > 0.0:
        s = -(dx * ux + dy * uy + dz * uz) / uu
        s = min(max(s, -half), half)
    ex, ey, ez = dx + ux * s, dy + uy * s, dz + uz * s
    return ex * ex + ey * ey + ez * ez <= margin * margin


@njit(cache=True)
def _append(out: IntArray, m: int, a: int, b: int) -> IntArray:
    """Store pair ``(min, max)`` at row ``m``, doubling ``out`` when it is full."""
    if m == out.shape[0]:
        grown = np.empty((2 * m, 2), dtype=np.int64)
        grown[:m] = out
        out = grown
    out[m, 0] = min(a, b)
    out[m, 1] = max(a, b)
    return out


@njit(cache=True)
def sieve_pairs(
    points: FloatArray, velocities: FloatArray, rho: FloatArray, margin: float, half: float
) -> IntArray:
    """Given positions and velocities ``(n, 3)`` (km, km/s) and radii ``rho`` ``(n,)`` (km),
    return the ``(m, 2)`` index pairs (first < second) with ``|dr| <= rho_a + rho_b`` and
    ``min_{|s| <= half} |dr + dv s| <= margin``."""
    n = points.shape[0]
    out = np.empty((max(16, 4 * n), 2), dtype=np.int64)
    if n < 2:
        return out[:0]
    cell = 2.0 * rho.max()
    keys = _cell_keys(points, cell)
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.empty(n + 1, dtype=np.int64)
    cells = 0
    for k in range(n):
        if k == 0 or sorted_keys[k] != sorted_keys[k - 1]:
            starts[cells] = k
            cells += 1
    starts[cells] = n
    unique = np.empty(cells, dtype=np.int64)
    for c in range(cells):
        unique[c] = sorted_keys[starts[c]]
    m = 0
    mask = (1 << _BITS) - 1
    for c in range(cells):
        key = unique[c]
        cx, cy, cz = key >> (2 * _BITS), (key >> _BITS) & mask, key & mask
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    other = ((cx + dx) << (2 * _BITS)) | ((cy + dy) << _BITS) | (cz + dz)
                    if other < key:
                        continue  # each pair of cells once
                    d = c if other == key else _find(unique, other)
                    if d < 0:
                        continue
                    for p in range(starts[c], starts[c + 1]):
                        a = order[p]
                        first = p + 1 if d == c else starts[d]
                        for q in range(first, starts[d + 1]):
                            b = order[q]
                            if _passes(points, velocities, rho, a, b, margin, half):
                                out = _append(out, m, a, b)
                                m += 1
    return out[:m]


@njit(cache=True)
def sieve_pairs_of(
    points: FloatArray,
    velocities: FloatArray,
    rho: FloatArray,
    chosen: IntArray,
    margin: float,
    half: float,
) -> IntArray:
    """Like :func:`sieve_pairs`, for the pairs of each ``chosen`` object with every object,
    by direct comparison (for the few objects too fast for the grid). A pair of two chosen
    objects is returned once."""
    n = points.shape[0]
    is_chosen = np.zeros(n, dtype=np.bool_)
    for a in chosen:
        is_chosen[a] = True
    out = np.empty((max(16, 4 * len(chosen)), 2), dtype=np.int64)
    m = 0
    for a in chosen:
        for b in range(n):
            if b == a or (is_chosen[b] and b < a):
                continue
            if _passes(points, velocities, rho, a, b, margin, half):
                out = _append(out, m, a, b)
                m += 1
    return out[:m]
