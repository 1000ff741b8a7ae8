"""The screening's compiled kernels: interpolation bounds, the sieve and the brackets.

Objects' positions are known at nodes ``t_m = m H``; between nodes each object moves along
the cubic through its four nearest nodes (Lagrange), within a bound ``E`` of its true
motion (:func:`interval_bounds`).  Each node interval is cut into ``n_windows`` windows of
length ``h``; at each window's centre a uniform grid of cubes (cell list: Hockney &
Eastwood, "Computer Simulation Using Particles", 1988, ch. 8) returns the pairs whose
cubics may come within the threshold plus both bounds during the window, and the range
rate of each such pair's relative cubic is scanned for minima (:func:`block_brackets`).
docs/screening.md gives the method, the proofs and the sources.

Everything here is compiled with numba and releases the GIL, so that threads can screen
separate blocks of time at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from accord.core.brackets import BRACKET_COLUMNS, pair_brackets

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MU_KM3_S2 = 398_600.8  # WGS-72, the gravity model of SGP4
EARTH_RADIUS_KM = 6_378.135
# Cubic Lagrange interpolation through nodes at -1, 0, 1, 2 (units of H), on [0, 1]:
# |error| <= max|r''''| H^4 max|w(u)| / 4!, w(u) = (u+1) u (u-1) (u-2), max |w| = 9/16.
LAGRANGE_FACTOR = (9.0 / 16.0) / 24.0
# Perturbations (J2 short-period terms, drag, third bodies) add well under 10 % to the
# two-body fourth derivative; the bound takes 10 %.
PERTURBATION_FACTOR = 1.1
# Floor on every bound: SGP4's rounding and the deep-space integrator's 720-minute steps
# (continuous in value, with jumps in higher derivatives of centimetres per step).
BOUND_FLOOR_KM = 1e-3
# Margins on osculating elements over four nodes (short-period oscillation of a, e, p).
RADIUS_MARGIN = 0.98
ECCENTRICITY_MARGIN = 0.01

# Cell coordinates are clamped into [1, 2^12 - 2] and packed in 36 bits (x major), so that
# a radix sort of three 12-bit digits orders the cells; clamping far objects together only
# adds comparisons.
_BITS = 12
_DIGITS = 1 << _BITS
_MASK = _DIGITS - 1
_HALF_RANGE = _DIGITS // 2


@njit(cache=True, nogil=True)
def interval_bounds(
    r: FloatArray, v: FloatArray, valid: BoolArray, node_step: float, kinked: BoolArray
) -> FloatArray:
    """Given node states ``r``, ``v`` ``(n, m, 3)`` (km, km/s) and ``valid`` ``(n, m)``,
    return ``(n, m - 3)`` bounds (km) on the distance between each object's motion and its
    cubic over interval ``k`` (nodes ``k .. k+3``, the interval between ``k+1`` and ``k+2``);
    ``inf`` where a node is invalid or not on a bound orbit.  ``kinked`` ``(n, m - 3)``
    marks intervals whose nodes straddle a manoeuvre (a break between ephemeris arcs): their
    nodes need not lie on one trajectory, and the caller adds the break's own margin.

    ``|r''''| <= 3 g |4 rdot^2/r - rddot| + 6 g |rdot| v / r + g^2 r`` with ``g = mu/r^3``
    (differentiate ``r'' = -g r`` twice), bounded with the osculating two-body orbit of
    the four nodes: ``r >= max(r_p, min_k |r_k| - v_p H / 2)`` (every time of the stencil
    is within ``H / 2`` of a node, and the perigee speed ``v_p`` bounds the speed),
    ``|rdot| <= e sqrt(mu/p)``, ``|rddot| <= mu e / r^2``, ``v^2 <= mu (2/r - 1/a)``.
    """
    n, m = valid.shape
    out = np.full((n, max(m - 3, 0)), np.inf)
    rp = np.empty(m)
    ecc = np.empty(m)
    semi_latus = np.empty(m)
    semi_major = np.empty(m)
    radius = np.empty(m)
    ok = np.empty(m, dtype=np.bool_)
    h4 = node_step**4
    for i in range(n):
        for k in range(m):
            ok[k] = False
            if not valid[i, k]:
                continue
            x, y, z = r[i, k, 0], r[i, k, 1], r[i, k, 2]
            vx, vy, vz = v[i, k, 0], v[i, k, 1], v[i, k, 2]
            r_k = np.sqrt(x * x + y * y + z * z)
            energy = 0.5 * (vx * vx + vy * vy + vz * vz) - MU_KM3_S2 / r_k
            if not (r_k >= EARTH_RADIUS_KM and energy < 0.0):
                continue  # below the surface, or not on a bound orbit: no orbit to bound
            hx, hy, hz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx
            p = (hx * hx + hy * hy + hz * hz) / MU_KM3_S2
            a = -MU_KM3_S2 / (2.0 * energy)
            e = np.sqrt(max(0.0, 1.0 - p / a))
            ok[k], rp[k], ecc[k], semi_latus[k], semi_major[k] = True, p / (1.0 + e), e, p, a
            radius[k] = r_k
        for k in range(m - 3):
            if not (ok[k] and ok[k + 1] and ok[k + 2] and ok[k + 3]):
                continue
            r_lo = RADIUS_MARGIN * min(rp[k], rp[k + 1], rp[k + 2], rp[k + 3])
            a_hi = max(semi_major[k], semi_major[k + 1], semi_major[k + 2], semi_major[k + 3])
            # Every time of the stencil is within H/2 of a node, and the object moves at
            # most at its perigee speed: away from perigee the radius stays well above it.
            v_max = np.sqrt(MU_KM3_S2 * max(2.0 / r_lo - 1.0 / (a_hi / RADIUS_MARGIN), 0.0))
            r_lo = max(r_lo, min(radius[k], radius[k + 1], radius[k + 2], radius[k + 3])
                       - 0.5 * node_step * v_max)  # fmt: skip
            # The nodes must lie on one trajectory: each second difference is a mean of the
            # acceleration, at most the bound on gravity (10 % for perturbations) at r_lo.
            limit = PERTURBATION_FACTOR * MU_KM3_S2 / (r_lo * r_lo) * node_step * node_step
            consistent = True
            for s in range(k, k + 2 if not kinked[i, k] else k):
                d2 = 0.0
                for c in range(3):
                    dd = r[i, s, c] - 2.0 * r[i, s + 1, c] + r[i, s + 2, c]
                    d2 += dd * dd
                if d2 > limit * limit:
                    consistent = False
            if not consistent:
                continue
            p_lo = RADIUS_MARGIN * min(semi_latus[k], semi_latus[k + 1], semi_latus[k + 2],
                                       semi_latus[k + 3])  # fmt: skip
            e_hi = ECCENTRICITY_MARGIN + max(ecc[k], ecc[k + 1], ecc[k + 2], ecc[k + 3])
            v_hi = np.sqrt(MU_KM3_S2 * max(2.0 / r_lo - 1.0 / (a_hi / RADIUS_MARGIN), 0.0))
            rdot = min(e_hi * np.sqrt(MU_KM3_S2 / p_lo), v_hi)
            rddot = MU_KM3_S2 * e_hi / (r_lo * r_lo)
            g = MU_KM3_S2 / (r_lo * r_lo * r_lo)
            fourth = (
                3.0 * g * (4.0 * rdot * rdot / r_lo + rddot)
                + 6.0 * g * rdot * v_hi / r_lo
                + g * g * r_lo
            )
            out[i, k] = LAGRANGE_FACTOR * PERTURBATION_FACTOR * fourth * h4 + BOUND_FLOOR_KM
    return out


@njit(cache=True, nogil=True)
def _radix_order(keys: IntArray, order: IntArray, spare: IntArray) -> IntArray:
    """Stable order of 36-bit keys (three passes of 12 bits), in ``order`` or ``spare``
    (workspaces at least as long as ``keys``)."""
    n = keys.shape[0]
    counts = np.empty(_DIGITS + 1, dtype=np.int64)
    for k in range(n):
        order[k] = k
    for shift in (0, _BITS, 2 * _BITS):
        counts[:] = 0
        for k in range(n):
            counts[((keys[order[k]] >> shift) & _MASK) + 1] += 1
        for d in range(_DIGITS):
            counts[d + 1] += counts[d]
        for k in range(n):
            d = (keys[order[k]] >> shift) & _MASK
            spare[counts[d]] = order[k]
            counts[d] += 1
        order, spare = spare, order
    return order


@njit(cache=True, nogil=True, inline="always")
def _coordinate(x: float, cell: float) -> int:
    c = np.floor(x / cell)
    return int(min(max(c + _HALF_RANGE, 1.0), _DIGITS - 2.0))


@njit(cache=True, nogil=True, inline="always")
def _key(cx: int, cy: int, cz: int) -> int:
    return (cx << (2 * _BITS)) | (cy << _BITS) | cz


@njit(cache=True, nogil=True, inline="always")
def _passes(p: FloatArray, w: FloatArray, a: int, b: int, threshold: float, half: float) -> bool:
    """Both tests of the sieve for rows ``a``, ``b`` of packed arrays: ``p`` holds position
    and radius ``rho``, ``w`` velocity and margin ``extra``."""
    dx = p[b, 0] - p[a, 0]
    dy = p[b, 1] - p[a, 1]
    dz = p[b, 2] - p[a, 2]
    reach = p[a, 3] + p[b, 3]
    if dx * dx + dy * dy + dz * dz > reach * reach:
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
    margin = threshold + w[a, 3] + w[b, 3]
    return ex * ex + ey * ey + ez * ez <= margin * margin


@njit(cache=True, nogil=True, inline="always")
def _zq(z: float, quantum: float) -> int:
    c = np.floor(z / quantum)
    return int(min(max(c + _HALF_RANGE, 0.0), _DIGITS - 1.0))


@njit(cache=True, nogil=True)
def window_pairs(
    p: FloatArray, w: FloatArray, rho: FloatArray, extra: FloatArray,
    threshold: float, half: float, cell: float, work: IntArray, packed: FloatArray,
) -> IntArray:  # fmt: skip
    """Given positions ``p`` and velocities ``w`` ``(n, 3)`` at a window's centre, radii
    ``rho`` and margins ``extra`` ``(n,)``, return the ``(m, 2)`` pairs (rows of ``p``)
    with ``|dr| <= rho_a + rho_b`` and ``min_{|s| <= half} |dr + dv s| <= threshold +
    extra_a + extra_b``.

    Objects with ``rho <= cell / 2`` are held in columns of square section ``cell`` (x, y),
    sorted by z quantised to ``cell / 8``; each column is swept against itself and its four
    forward neighbours over the z range within reach (a cell list in two dimensions with a
    sorted third: Hockney & Eastwood, "Computer Simulation Using Particles", 1988, ch. 8).
    Each wider object searches the columns within its own reach; pairs of wide objects are
    compared directly.  Far objects are clamped into the outermost columns and z slots,
    which only adds comparisons.  ``work`` ``(9, n + 1)`` and ``packed`` ``(2, n, 4)`` are
    workspaces (reused between windows: fresh arrays would cost page faults every time).
    """
    n = p.shape[0]
    out = np.empty((256, 2), dtype=np.int64)
    m = 0
    quantum = cell / 8.0
    narrow, wide, keys, index = work[0], work[1], work[2], work[3]
    zq, column, starts = work[4], work[5], work[6]
    sp, sw = packed[0], packed[1]
    n_narrow = 0
    n_wide = 0
    reach_narrow = 0.0
    for k in range(n):
        if rho[k] <= 0.5 * cell:
            narrow[n_narrow] = k
            n_narrow += 1
            reach_narrow = max(reach_narrow, rho[k])
        else:
            wide[n_wide] = k
            n_wide += 1
    for k in range(n_narrow):
        q = narrow[k]
        keys[k] = _key(_coordinate(p[q, 0], cell), _coordinate(p[q, 1], cell),
                       _zq(p[q, 2], quantum))  # fmt: skip
    order = _radix_order(keys[:n_narrow], work[7], work[8])
    # Sorted copies (x, y, z, rho and velocity, margin): the sweeps read memory in order.
    for k in range(n_narrow):
        q = narrow[order[k]]
        index[k] = q
        sp[k, 0], sp[k, 1], sp[k, 2], sp[k, 3] = p[q, 0], p[q, 1], p[q, 2], rho[q]
        sw[k, 0], sw[k, 1], sw[k, 2], sw[k, 3] = w[q, 0], w[q, 1], w[q, 2], extra[q]
        key = keys[order[k]]
        zq[k] = key & _MASK
        column[k] = key >> _BITS
    columns = 0
    for k in range(n_narrow):
        if k == 0 or column[k] != column[k - 1]:
            starts[columns] = k
            columns += 1
    starts[columns] = n_narrow
    unique = narrow[:columns]  # no longer needed: holds each column's key
    for c in range(columns):
        unique[c] = column[starts[c]]
    span = int(np.ceil(2.0 * reach_narrow / quantum)) + 1  # z slots within reach
    # Forward neighbour columns: (0, +1), (+1, -1), (+1, 0), (+1, +1).
    offsets = np.array([1, _DIGITS - 1, _DIGITS, _DIGITS + 1], dtype=np.int64)
    pointers = np.zeros(4, dtype=np.int64)
    for c in range(columns):
        s0, s1 = starts[c], starts[c + 1]
        for x in range(s0, s1):
            for y in range(x + 1, s1):
                if zq[y] > zq[x] + span:
                    break
                if _passes(sp, sw, x, y, threshold, half):
                    out = _grow_pairs(out, m)
                    a, b = index[x], index[y]
                    out[m, 0], out[m, 1] = min(a, b), max(a, b)
                    m += 1
        for col in range(4):
            target = unique[c] + offsets[col]
            ptr = pointers[col]
            while ptr < columns and unique[ptr] < target:
                ptr += 1
            pointers[col] = ptr
            if ptr == columns or unique[ptr] != target:
                continue
            d0, d1 = starts[ptr], starts[ptr + 1]
            lo = d0
            for x in range(s0, s1):
                while lo < d1 and zq[lo] < zq[x] - span:
                    lo += 1
                for y in range(lo, d1):
                    if zq[y] > zq[x] + span:
                        break
                    if _passes(sp, sw, x, y, threshold, half):
                        out = _grow_pairs(out, m)
                        a, b = index[x], index[y]
                        out[m, 0], out[m, 1] = min(a, b), max(a, b)
                        m += 1
    # Wide objects: the columns and z slots within reach, then each other.
    if n_wide:
        wp = np.empty((n_wide, 4))
        ww = np.empty((n_wide, 4))
        for t in range(n_wide):
            a = wide[t]
            wp[t, 0], wp[t, 1], wp[t, 2], wp[t, 3] = p[a, 0], p[a, 1], p[a, 2], rho[a]
            ww[t, 0], ww[t, 1], ww[t, 2], ww[t, 3] = w[a, 0], w[a, 1], w[a, 2], extra[a]
        joint_p = np.empty((2, 4))
        joint_w = np.empty((2, 4))
        for t in range(n_wide):
            a = wide[t]
            reach = rho[a] + reach_narrow
            joint_p[0] = wp[t]
            joint_w[0] = ww[t]
            x0, x1 = _coordinate(p[a, 0] - reach, cell), _coordinate(p[a, 0] + reach, cell)
            y0, y1 = _coordinate(p[a, 1] - reach, cell), _coordinate(p[a, 1] + reach, cell)
            z0, z1 = _zq(p[a, 2] - reach, quantum), _zq(p[a, 2] + reach, quantum)
            everything = (x1 - x0 + 1) * (y1 - y0 + 1) > columns
            for cx in range(x0, x1 + 1):
                for cy in range(y0, y1 + 1):
                    if everything:
                        c0, c1 = 0, columns
                    else:
                        c0 = int(np.searchsorted(unique, (cx << _BITS) | cy))
                        if c0 == columns or unique[c0] != ((cx << _BITS) | cy):
                            continue
                        c1 = c0 + 1
                    for c in range(c0, c1):
                        for y in range(starts[c], starts[c + 1]):
                            if zq[y] < z0 or zq[y] > z1:
                                continue
                            joint_p[1] = sp[y]
                            joint_w[1] = sw[y]
                            if _passes(joint_p, joint_w, 0, 1, threshold, half):
                                out = _grow_pairs(out, m)
                                b = index[y]
                                out[m, 0], out[m, 1] = min(a, b), max(a, b)
                                m += 1
                    if everything:
                        break
                if everything:
                    break
            for u in range(t + 1, n_wide):
                if _passes(wp, ww, t, u, threshold, half):
                    out = _grow_pairs(out, m)
                    b = wide[u]
                    out[m, 0], out[m, 1] = min(a, b), max(a, b)
                    m += 1
    return out[:m]


@njit(cache=True, nogil=True)
def _grow_pairs(out: IntArray, m: int) -> IntArray:
    if m < out.shape[0]:
        return out
    grown = np.empty((2 * out.shape[0], 2), dtype=np.int64)
    grown[:m] = out[:m]
    return grown


@njit(cache=True, nogil=True)
def block_brackets(
    nodes: FloatArray,
    bounds: FloatArray,
    node_step: float,
    n_windows: int,
    first_interval: int,
    last_interval: int,
    threshold: float,
    cell_speed: float,
    substeps: int,
    primary: BoolArray,
    all_primary: bool,
) -> FloatArray:
    """Return the brackets of possible close approaches in a block of node intervals.

    ``nodes`` ``(n, m, 3)``: positions at ``t = (first_interval - 1 + k) H``;
    ``bounds`` ``(n, m - 3)``: :func:`interval_bounds` of them.  Interval ``k`` of the
    block is ``[(first_interval + k) H, (first_interval + k + 1) H]``; ``last_interval``
    is the window's last interval (its end is the screening window's end).  Rows follow
    ``BRACKET_COLUMNS``; times are seconds from the screening window's start.
    """
    n = nodes.shape[0]
    n_intervals = bounds.shape[1]
    h = node_step / n_windows
    half = 0.5 * h
    out = np.empty((1024, BRACKET_COLUMNS))
    m = 0
    basis = np.empty((n, 4, 3))  # cubic of each valid object in u = (t - t_k) / H
    p = np.empty((n, 3))
    w = np.empty((n, 3))
    rho = np.empty(n)
    extra = np.empty(n)
    bound = np.empty(n)
    ids = np.empty(n, dtype=np.int64)
    q = np.empty((4, 3))
    f = np.empty(substeps + 1)
    work = np.empty((9, n + 1), dtype=np.int64)
    packed = np.empty((2, n, 4))
    cell = 2.0 * (cell_speed * half + 0.5 * threshold + 2.0)
    h2, h3 = node_step * node_step, node_step * node_step * node_step
    for k in range(n_intervals):
        interval = first_interval + k
        # Per interval: each valid object's cubic, and its margin: the bound plus the cubic's
        # departure from a straight line over half a window (|a2| is largest at an end).
        cnt = 0
        for i in range(n):
            e_i = bounds[i, k]
            if not np.isfinite(e_i):
                continue
            s_lo, s_hi, s_3 = 0.0, 0.0, 0.0
            for c in range(3):
                y0, y1 = nodes[i, k, c], nodes[i, k + 1, c]
                y2, y3 = nodes[i, k + 2, c], nodes[i, k + 3, c]
                b1 = -y0 / 3.0 - 0.5 * y1 + y2 - y3 / 6.0
                b2 = 0.5 * y0 - y1 + 0.5 * y2
                b3 = (y3 - y0) / 6.0 + 0.5 * (y1 - y2)
                basis[cnt, 0, c], basis[cnt, 1, c] = y1, b1
                basis[cnt, 2, c], basis[cnt, 3, c] = b2, b3
                s_lo += b2 * b2
                s_hi += (b2 + 3.0 * b3) ** 2
                s_3 += b3 * b3
            curvature = np.sqrt(max(s_lo, s_hi)) / h2 * half * half + np.sqrt(s_3) / h3 * half**3
            extra[cnt] = e_i + curvature
            bound[cnt] = e_i
            ids[cnt] = i
            cnt += 1
        for win in range(n_windows):
            uc = (win + 0.5) / n_windows
            for t in range(cnt):
                s2 = 0.0
                for c in range(3):
                    b0, b1 = basis[t, 0, c], basis[t, 1, c]
                    b2, b3 = basis[t, 2, c], basis[t, 3, c]
                    p[t, c] = b0 + uc * (b1 + uc * (b2 + uc * b3))
                    vel = (b1 + uc * (2.0 * b2 + 3.0 * uc * b3)) / node_step
                    w[t, c] = vel
                    s2 += vel * vel
                rho[t] = np.sqrt(s2) * half + extra[t] + 0.5 * threshold
            pairs = window_pairs(p[:cnt], w[:cnt], rho[:cnt], extra[:cnt], threshold, half, cell,
                                 work, packed)  # fmt: skip
            for t in range(pairs.shape[0]):
                a, b = pairs[t, 0], pairs[t, 1]
                if not all_primary and not (primary[ids[a]] or primary[ids[b]]):
                    continue
                i_, j_ = min(ids[a], ids[b]), max(ids[a], ids[b])
                limit = threshold + bound[a] + bound[b]
                out, m = pair_brackets(out, m, basis[a], basis[b], uc, node_step, n_windows, win,
                                       interval, last_interval, substeps, limit, i_, j_,
                                       q, f)  # fmt: skip
    return out[:m]
