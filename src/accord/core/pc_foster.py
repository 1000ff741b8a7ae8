"""Foster's 2D collision probability: a Gaussian integrated over the hard-body region.

Foster & Estes (NASA JSC-25898, 1992) integrate the encounter-plane Gaussian over the
hard-body circle.  As Alfano ("A numerical implementation of spherical object collision
probability", J. Astronaut. Sci. 53(1), 2005) and NASA CARA's ``PcCircle.m`` do, the
integral along the minor principal axis is done in closed form with error functions and
the remaining 1D integral along the major axis numerically:

    Pc = int_{xm-R}^{xm+R} phi(x; sx) [Phi((ym + h(x))/sy) - Phi((ym - h(x))/sy)] dx,
    h(x) = sqrt(R**2 - (x - xm)**2),

written in ``theta`` (``x = xm - R cos theta``, ``h = R sin theta``) so that the square-root
ends of the chord become smooth.  A square region (the Gaussian conditioned on ``x`` has a
mean linear in ``x``) is integrated the same way without the substitution.

Quadrature, vectorised over conjunctions with a fixed number of steps for all of them.
Where the Gaussian's logarithm changes by at most 16 over the region (``_kappa``: HBR small
against the covariance, most screening cases), one 32-point Gauss-Legendre rule over the
whole region.  Elsewhere the integrand in ``x`` is log-concave (the Gaussian is, and so is
the probability of the convex chord: Prekopa's theorem), so (1) a coarse grid and a
golden-section search find its mode, (2) bisection finds the interval where it is within
``exp(-40)`` of the mode, outside which the neglected mass is at most
``exp(-40)/(1 - exp(-40))`` of the total (a property of log-concave functions), (3) that
interval is cut into six even panels and at the sharp steps of the inner probability
(where the chord end crosses the miss, width ``sy / (R cos theta)``), and each of the 12
panels gets a 16-point Gauss-Legendre rule.  That path works in logarithms
(``scipy.special.log_ndtr``), so Pc down to 1e-300 keeps its relative accuracy; nothing
comes back negative.  Against 30-digit mpmath integrals the largest relative error found
is 1e-11 (``docs/pc.md``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.special import erf, log_ndtr, ndtr

from accord.core.encounter import principal_axes

FloatArray = NDArray[np.float64]
LogIntegrand = Callable[[FloatArray, tuple[FloatArray, ...]], FloatArray]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT_HALF = np.sqrt(0.5)
_LEVEL = 40.0  # nats below the mode where the integration interval stops
_N_GRID = 33
_N_GOLDEN = 40
_N_BISECT_LOG = 6  # halvings of log2(distance) over [0, _LOG2_SPAN]
_LOG2_SPAN = 48.0
_N_BISECT = 10
_N_NODES = 16  # Gauss-Legendre points per panel
_N_EVEN = 6  # even panels; with the step cuts, 12 panels in all
_FEATURE_HALF_WIDTH = 6.0  # a step panel spans its centre +- 6 widths
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(_N_NODES)
# Direct rule: 32 Gauss-Legendre points over the whole region when the Gaussian's log
# varies by at most _FAST_KAPPA over it (measured error below 1e-11 up to kappa = 32).
_FAST_KAPPA = 16.0
_FAST_NODES, _FAST_WEIGHTS = np.polynomial.legendre.leggauss(32)
_FAST_THETA = 0.5 * np.pi * (_FAST_NODES + 1.0)
_FAST_COS, _FAST_SIN = np.cos(_FAST_THETA), np.sin(_FAST_THETA)
_FAST_W_SIN = 0.5 * np.pi * _FAST_WEIGHTS * _FAST_SIN / np.sqrt(2.0 * np.pi)


def gauss_interval(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Given bounds with ``hi >= |lo|``, return ``Phi(hi) - Phi(lo)`` without cancellation
    (as :func:`log_gauss_interval`, for values that do not underflow)."""
    out = np.empty(lo.shape)
    mixed = lo < 0.0
    out[mixed] = 0.5 * (erf(hi[mixed] * _SQRT_HALF) + erf(-lo[mixed] * _SQRT_HALF))
    tail = ~mixed
    out[tail] = ndtr(-lo[tail]) - ndtr(-hi[tail])
    return out


def log_gauss_interval(lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Given bounds with ``hi >= |lo|``, return ``log(Phi(hi) - Phi(lo))`` (standard normal).

    Without cancellation: ``(erf(hi/sqrt2) + erf(-lo/sqrt2)) / 2`` when ``lo < 0``, and the
    difference of upper tails in logarithms (``log_ndtr`` and ``log(-expm1)``) otherwise.
    """
    lo, hi = np.broadcast_arrays(lo, hi)
    out = np.empty(lo.shape)
    mixed = lo < 0.0
    with np.errstate(divide="ignore"):
        out[mixed] = np.log(0.5 * (erf(hi[mixed] * _SQRT_HALF) + erf(-lo[mixed] * _SQRT_HALF)))
        tail = ~mixed
        upper = log_ndtr(-lo[tail])
        out[tail] = upper + _log1mexp(log_ndtr(-hi[tail]) - upper)
    return out


def _log1mexp(d: FloatArray) -> FloatArray:
    """Given ``d <= 0``, return ``log(1 - exp(d))`` accurately (Maechler 2012)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        near = d > -np.log(2.0)
        return np.where(near, np.log(-np.expm1(np.minimum(d, 0.0))), np.log1p(-np.exp(d)))


def golden_max(
    f: LogIntegrand, lo: FloatArray, hi: FloatArray, params: tuple[FloatArray, ...]
) -> tuple[FloatArray, FloatArray]:
    """Return ``(argmax, max)`` per row of a unimodal ``f`` on ``[lo, hi]`` ``(n,)``.

    Golden-section search (Kiefer 1953), a fixed ``_N_GOLDEN`` steps for every row: the
    bracket shrinks by 0.618**40, about 4e-9.  ``f`` takes ``(n, 1)`` points and ``params``.
    """
    c = hi - _GOLDEN * (hi - lo)
    d = lo + _GOLDEN * (hi - lo)
    fc = f(c[:, None], params)[:, 0]
    fd = f(d[:, None], params)[:, 0]
    for _ in range(_N_GOLDEN):
        left = fc >= fd  # keep [lo, d]
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        new = np.where(left, hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo))
        fnew = f(new[:, None], params)[:, 0]
        c, d, fc, fd = (
            np.where(left, new, d),
            np.where(left, c, new),
            np.where(left, fnew, fd),
            np.where(left, fc, fnew),
        )
    best = fc >= fd
    return np.where(best, c, d), np.maximum(fc, fd)


def _superlevel_interval(
    f: LogIntegrand, lo: FloatArray, hi: FloatArray, params: tuple[FloatArray, ...]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``(t_low, t_high, f_max)``: per row, where unimodal ``f`` is within
    ``_LEVEL`` of its maximum on ``[lo, hi]`` (bounds rounded outwards)."""
    n = lo.shape[0]
    rows = np.arange(n)
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, _N_GRID)
    values = f(grid, params)
    j = np.argmax(values, axis=1)
    mode, f_mode = golden_max(
        f, grid[rows, np.maximum(j - 1, 0)], grid[rows, np.minimum(j + 1, _N_GRID - 1)], params
    )
    f_max = np.maximum(f_mode, values[rows, j])
    threshold = f_max - _LEVEL
    below = values < threshold[:, None]
    index = np.arange(_N_GRID)
    # Left: the last grid point below the threshold before the grid maximum.
    left_candidates = np.where(below & (index < j[:, None]), index, -1)
    i_left = left_candidates.max(axis=1)
    right_candidates = np.where(below & (index > j[:, None]), index, _N_GRID)
    i_right = right_candidates.min(axis=1)
    outer = np.stack(
        [grid[rows, np.maximum(i_left, 0)], grid[rows, np.minimum(i_right, _N_GRID - 1)]], axis=1
    )
    # Bisect on the distance from the mode, first in its logarithm (the peak may be many
    # orders of magnitude narrower than the grid), then linearly.
    mode2 = np.stack([mode, mode], axis=1)
    distance = np.abs(outer - mode2)
    s_far, s_near = np.zeros_like(distance), np.full_like(distance, _LOG2_SPAN)
    sign = np.array([-1.0, 1.0])
    for _ in range(_N_BISECT_LOG):
        s_mid = 0.5 * (s_far + s_near)
        low = f(mode2 + sign * distance * np.exp2(-s_mid), params) < threshold[:, None]
        s_far = np.where(low, s_mid, s_far)
        s_near = np.where(low, s_near, s_mid)
    far = distance * np.exp2(-s_far)
    near = np.where(s_near >= _LOG2_SPAN, 0.0, distance * np.exp2(-s_near))
    for _ in range(_N_BISECT):
        middle = 0.5 * (far + near)
        low = f(mode2 + sign * middle, params) < threshold[:, None]
        far = np.where(low, middle, far)
        near = np.where(low, near, middle)
    outer = mode2 + sign * far
    t_low = np.where(i_left < 0, lo, outer[:, 0])
    t_high = np.where(i_right >= _N_GRID, hi, outer[:, 1])
    return t_low, t_high, f_max


def integrate_log_concave(
    f_search: LogIntegrand,
    f_integrand: LogIntegrand,
    lo: FloatArray,
    hi: FloatArray,
    params: tuple[FloatArray, ...],
    features: FloatArray,
    widths: FloatArray,
) -> FloatArray:
    """Return ``log`` of the integral of ``exp(f_integrand)`` over ``[lo, hi]`` per row.

    ``f_search`` is the log of a function whose superlevel sets bound the integrand's mass
    (log-concave in the integration variable or in a monotone reparametrisation of it);
    ``features`` and ``widths`` ``(n, 2)`` mark sharp steps of the integrand, given their
    own panel when narrow (NaN for none).  Functions take ``(n, k)`` points and the
    ``params`` tuple of ``(n,)`` arrays (passed as ``(n, 1)``).
    """
    columns = tuple(p[:, None] for p in params)
    t_low, t_high, _ = _superlevel_interval(f_search, lo, hi, columns)
    span = t_high - t_low
    # Five even cuts always; per sharp step three more (its centre and +- 6 widths: a step
    # centred in a panel converges slowly), else the midpoints of the even panels.
    fractions = np.arange(1, _N_EVEN) / _N_EVEN
    even = t_low[:, None] + span[:, None] * fractions
    mid = t_low[:, None] + span[:, None] * (np.arange(_N_EVEN) + 0.5) / _N_EVEN
    sharp = np.repeat(np.isfinite(features) & (widths < span[:, None] / 8.0), 3, axis=1)
    offsets = np.array([-_FEATURE_HALF_WIDTH, 0.0, _FEATURE_HALF_WIDTH])
    with np.errstate(invalid="ignore"):
        steps = (features[:, :, None] + widths[:, :, None] * offsets).reshape(len(lo), 6)
    cuts = np.concatenate([even, np.where(sharp, steps, mid)], axis=1)
    edges = np.sort(np.clip(cuts, t_low[:, None], t_high[:, None]), axis=1)
    edges = np.concatenate([t_low[:, None], edges, t_high[:, None]], axis=1)
    half = 0.5 * np.diff(edges, axis=1)  # (n, panels)
    centre = 0.5 * (edges[:, 1:] + edges[:, :-1])
    points = (centre[:, :, None] + half[:, :, None] * _NODES).reshape(len(lo), -1)
    weights = (half[:, :, None] * _WEIGHTS).reshape(len(lo), -1)
    return _log_sum(f_integrand(points, columns), weights)


def _direct_rule(
    f: LogIntegrand, lo: FloatArray, hi: FloatArray, params: tuple[FloatArray, ...]
) -> FloatArray:
    """Return ``log`` of the integral of ``exp(f)`` over ``[lo, hi]`` by one fixed rule."""
    half = 0.5 * (hi - lo)
    points = (0.5 * (hi + lo))[:, None] + half[:, None] * _FAST_NODES
    return _log_sum(f(points, tuple(p[:, None] for p in params)), half[:, None] * _FAST_WEIGHTS)


def _log_sum(log_values: FloatArray, weights: FloatArray) -> FloatArray:
    """Return ``log(sum(weights * exp(log_values)))`` per row, without overflow."""
    peak = np.max(log_values, axis=1)
    safe_peak = np.where(np.isfinite(peak), peak, 0.0)
    total = np.sum(weights * np.exp(log_values - safe_peak[:, None]), axis=1)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(peak), safe_peak + np.log(total), -np.inf)


def _kappa(
    xm: FloatArray, ym: FloatArray, sx: FloatArray, sy: FloatArray, reach: FloatArray
) -> FloatArray:
    """Return the largest change of the Gaussian's log over a disc of radius ``reach`` around
    ``(xm, ym)`` (principal axes), a bound: ``reach (|xm|/sx**2 + |ym|/sy**2) + reach**2 (1/sx**2
    + 1/sy**2) / 2``."""
    return reach * (np.abs(xm) / sx**2 + np.abs(ym) / sy**2) + 0.5 * reach**2 * (
        1.0 / sx**2 + 1.0 / sy**2
    )


def _circle_search(theta: FloatArray, p: tuple[FloatArray, ...]) -> FloatArray:
    xm, ym, sx, sy, radius = p
    x = xm - radius * np.cos(theta)
    h = radius * np.sin(theta)
    return -0.5 * (x / sx) ** 2 + log_gauss_interval((ym - h) / sy, (ym + h) / sy)


def _circle_integrand(theta: FloatArray, p: tuple[FloatArray, ...]) -> FloatArray:
    _, _, sx, _, radius = p
    with np.errstate(divide="ignore"):
        jacobian = np.log(radius * np.sin(theta))
    return _circle_search(theta, p) + jacobian - np.log(sx) - _LOG_SQRT_2PI


def foster_circle(
    miss_principal_km: FloatArray,
    sigma_major_km: FloatArray,
    sigma_minor_km: FloatArray,
    hbr_km: FloatArray,
) -> FloatArray:
    """Given encounter-plane quantities, return Foster's Pc for a hard-body circle ``(n,)``.

    ``miss_principal_km`` ``(n, 2)``: the miss vector on the covariance's major and minor
    axes; ``sigma_major_km >= sigma_minor_km > 0`` and ``hbr_km >= 0`` ``(n,)``, km.  The
    2D Gaussian ``N(0, diag(sx**2, sy**2))`` integrated over the disc of radius HBR around
    the miss (Foster & Estes 1992; Alfano 2005 J. Astronaut. Sci. 53(1)); HBR = inf gives 1
    and 0 gives 0.  Relative accuracy about 1e-10 (see ``docs/pc.md``).
    """
    xm = np.abs(miss_principal_km[:, 0])
    ym = np.abs(miss_principal_km[:, 1])
    radius = np.asarray(hbr_km, dtype=np.float64)
    out = np.where(np.isinf(radius), 1.0, 0.0)
    work = np.flatnonzero(np.isfinite(radius) & (radius > 0.0))
    if work.size == 0:
        return out
    xm, ym, sx, sy, radius = (a[work] for a in (xm, ym, sigma_major_km, sigma_minor_km, radius))
    params = (xm, ym, sx, sy, radius)
    log_pc = np.empty(work.size)
    fast = _kappa(xm, ym, sx, sy, radius) <= _FAST_KAPPA
    zero, pi = np.zeros(work.size), np.full(work.size, np.pi)
    log_pc[fast] = _circle_direct(*_rows(params, fast))
    slow = ~fast
    if np.any(slow):
        xm, ym, sx, sy, radius = _rows(params, slow)
        # Steps of the inner probability where the chord half-length h = R sin(theta)
        # crosses |ym|: at theta_s and pi - theta_s, of width sy / (R cos theta_s) (and
        # sqrt(sy / R) where the chord's top touches |ym|).
        ratio = ym / radius
        theta_s = np.arcsin(np.minimum(ratio, 1.0))
        width = sy / (radius * np.maximum(np.cos(theta_s), np.sqrt(sy / radius)))
        features = np.stack([theta_s, np.pi - theta_s], axis=1)
        features[ratio >= 1.0] = np.nan
        widths = np.stack([width, width], axis=1)
        log_pc[slow] = integrate_log_concave(
            _circle_search,
            _circle_integrand,
            zero[slow],
            pi[slow],
            (xm, ym, sx, sy, radius),
            features,
            widths,
        )
    out[work] = np.minimum(np.exp(log_pc), 1.0)
    return out


def _circle_direct(
    xm: FloatArray, ym: FloatArray, sx: FloatArray, sy: FloatArray, radius: FloatArray
) -> FloatArray:
    """Return log Pc by the fixed 32-point rule in theta on [0, pi], in plain (not log)
    arithmetic: with kappa <= 16 the integrand spans at most exp(32), so a Pc that does not
    underflow is computed to full relative accuracy."""
    x = xm[:, None] - radius[:, None] * _FAST_COS
    h = radius[:, None] * _FAST_SIN
    inner = gauss_interval((ym[:, None] - h) / sy[:, None], (ym[:, None] + h) / sy[:, None])
    total = np.sum(_FAST_W_SIN * np.exp(-0.5 * (x / sx[:, None]) ** 2) * inner, axis=1)
    with np.errstate(divide="ignore"):
        return np.log(total * radius / sx)


def _rows(params: tuple[FloatArray, ...], mask: NDArray[np.bool_]) -> tuple[FloatArray, ...]:
    return tuple(p[mask] for p in params)


def _square_search(x: FloatArray, p: tuple[FloatArray, ...]) -> FloatArray:
    sx, ym, slope, s_cond, half = p
    c = np.abs(ym - slope * x)
    return -0.5 * (x / sx) ** 2 + log_gauss_interval((c - half) / s_cond, (c + half) / s_cond)


def _square_integrand(x: FloatArray, p: tuple[FloatArray, ...]) -> FloatArray:
    return _square_search(x, p) - np.log(p[0]) - _LOG_SQRT_2PI


def foster_square(miss_km: FloatArray, cov_km2: FloatArray, half_side_km: FloatArray) -> FloatArray:
    """Given a miss vector ``(n, 2)`` and covariance ``(n, 2, 2)`` in a frame whose axes the
    square is aligned with, return the Pc over the square of half-side ``half_side_km`` ``(n,)``.

    The 2D Gaussian ``N(0, C)`` over ``[xm - a, xm + a] x [ym - a, ym + a]``: along y in
    closed form (the Gaussian conditioned on x, mean ``C_xy / C_xx x``, variance
    ``det C / C_xx``), along x numerically as in :func:`foster_circle`.  The covariance must
    be positive definite.  Half-side inf gives 1 and 0 gives 0.
    """
    half = np.asarray(half_side_km, dtype=np.float64)
    out = np.where(np.isinf(half), 1.0, 0.0)
    work = np.flatnonzero(np.isfinite(half) & (half > 0.0))
    if work.size == 0:
        return out
    cov = cov_km2[work]
    xm, ym, half = miss_km[work, 0], miss_km[work, 1], half[work]
    cxx, cxy, cyy = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
    det = cxx * cyy - cxy * cxy
    sx = np.sqrt(cxx)
    slope = cxy / cxx
    s_cond = np.sqrt(det / cxx)
    params = (sx, ym, slope, s_cond, half)
    lo, hi = xm - half, xm + half
    major, minor, _, principal = principal_axes(cov, miss_km[work])
    kappa = _kappa(principal[:, 0], principal[:, 1], major, minor, np.sqrt(2.0) * half)
    fast = kappa <= _FAST_KAPPA
    log_pc = np.empty(work.size)
    log_pc[fast] = _direct_rule(_square_integrand, lo[fast], hi[fast], _rows(params, fast))
    slow = ~fast
    if np.any(slow):
        sx, ym, slope, s_cond, half = _rows(params, slow)
        # Steps where the conditional mean slope * x crosses ym -+ a; width s_cond / |slope|.
        with np.errstate(divide="ignore", invalid="ignore"):
            centres = np.stack([(ym - half) / slope, (ym + half) / slope], axis=1)
            widths = np.repeat((s_cond / np.abs(slope))[:, None], 2, axis=1)
        log_pc[slow] = integrate_log_concave(
            _square_search,
            _square_integrand,
            lo[slow],
            hi[slow],
            (sx, ym, slope, s_cond, half),
            centres,
            widths,
        )
    out[work] = np.minimum(np.exp(log_pc), 1.0)
    return out


def square_principal(
    miss_principal_km: FloatArray,
    sigma_major_km: FloatArray,
    sigma_minor_km: FloatArray,
    half_side_km: FloatArray,
) -> FloatArray:
    """Given principal-axis quantities ``(n, 2)``, ``(n,)``, return the Pc over a square of
    half-side ``half_side_km`` aligned with the covariance's principal axes, in closed form:
    a product of two error-function differences (Alfano 2005, J. Astronaut. Sci. 53(1);
    CARA ``PcCircle.m`` EstimationMode -1)."""
    half = np.asarray(half_side_km, dtype=np.float64)
    xm = np.abs(miss_principal_km[:, 0])
    ym = np.abs(miss_principal_km[:, 1])
    with np.errstate(invalid="ignore"):
        log_x = log_gauss_interval((xm - half) / sigma_major_km, (xm + half) / sigma_major_km)
        log_y = log_gauss_interval((ym - half) / sigma_minor_km, (ym + half) / sigma_minor_km)
    out = np.exp(log_x + log_y)
    out[np.isinf(half)] = 1.0
    out[half == 0.0] = 0.0
    return np.minimum(out, 1.0)
