"""Monte Carlo estimates of the collision probability, to validate the analytic methods.

Two samplers, both seeded by a ``numpy.random.Generator`` so that a run repeats exactly:

* :func:`monte_carlo_2d` draws the relative position on the encounter plane from the
  combined Gaussian and counts the draws inside the hard-body circle or square, the
  quantity Foster's integral computes exactly.
* :func:`monte_carlo_3d` draws both objects' positions at TCA from their own 3D
  covariances, keeps the velocities, and counts the draws whose straight-line relative
  motion comes within the hard-body radius (over all time, or a window): an independent
  check of the 2D reduction (covariance sum, projection, dropping the along-track axis).

The hit count is binomial; its confidence interval is Wilson's score interval (Wilson,
J. Am. Stat. Assoc. 22, 1927) or the exact Clopper-Pearson interval (Biometrika 26, 1934).
Samples are drawn in chunks of about 4 million numbers, so memory stays bounded; the loop is
over chunks, never over conjunctions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaincinv, ndtri

from accord.core.encounter import PcStatus, as_batch, input_status

FloatArray = NDArray[np.float64]
IntervalMethod = Literal["wilson", "clopper-pearson"]
_CHUNK_NUMBERS = 1 << 22


@dataclass(frozen=True)
class MonteCarloEstimate:
    """Hit counts and the estimate with its interval, per conjunction.

    ``pc``, ``pc_low``, ``pc_high`` ``(n,)`` float; ``hits`` ``(n,)`` int64; ``n_samples``
    draws each; ``confidence`` the two-sided level of ``[pc_low, pc_high]``.  Rows whose
    input is invalid are NaN with hits -1.
    """

    pc: FloatArray
    pc_low: FloatArray
    pc_high: FloatArray
    hits: NDArray[np.int64]
    n_samples: int
    confidence: float


def binomial_interval(
    hits: ArrayLike, n_samples: int, confidence: float = 0.95, method: IntervalMethod = "wilson"
) -> tuple[FloatArray, FloatArray]:
    """Given hit counts ``(n,)`` out of ``n_samples``, return the two-sided ``(low, high)``.

    Wilson's score interval (Wilson 1927) or Clopper & Pearson's exact interval (1934,
    through the inverse regularised incomplete beta function).
    """
    k = np.asarray(hits, dtype=np.float64)
    alpha = 1.0 - confidence
    if method == "wilson":
        z = ndtri(1.0 - alpha / 2.0)
        p = k / n_samples
        denominator = 1.0 + z * z / n_samples
        centre = (p + z * z / (2.0 * n_samples)) / denominator
        half = z / denominator * np.sqrt(p * (1.0 - p) / n_samples + z * z / (4.0 * n_samples**2))
        return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, betaincinv(k, n_samples - k + 1.0, alpha / 2.0), 0.0)
        high = np.where(k < n_samples, betaincinv(k + 1.0, n_samples - k, 1.0 - alpha / 2.0), 1.0)
    return low, high


def _generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _estimate(
    hits: NDArray[np.int64], n_samples: int, confidence: float, interval: IntervalMethod
) -> MonteCarloEstimate:
    bad = hits < 0
    low, high = binomial_interval(np.maximum(hits, 0), n_samples, confidence, interval)
    pc = np.where(bad, np.nan, hits / n_samples)
    return MonteCarloEstimate(
        pc=pc,
        pc_low=np.where(bad, np.nan, low),
        pc_high=np.where(bad, np.nan, high),
        hits=hits,
        n_samples=n_samples,
        confidence=confidence,
    )


def monte_carlo_2d(
    miss_km: FloatArray,
    cov_km2: FloatArray,
    half_width_km: FloatArray,
    n_samples: int,
    rng: np.random.Generator | int | None = None,
    *,
    shape: Literal["circle", "square"] = "circle",
    confidence: float = 0.95,
    interval: IntervalMethod = "wilson",
) -> MonteCarloEstimate:
    """Given encounter-plane miss vectors ``(n, 2)``, covariances ``(n, 2, 2)`` (km, km**2,
    positive definite) and half-widths ``(n,)`` km, return the sampled Pc.

    ``shape="circle"``: hits are draws within ``half_width_km`` (the HBR) of the miss;
    ``"square"``: within ``half_width_km`` of it on both axes of the frame the miss and
    covariance are given in.  Draws are ``L z`` with ``L`` the Cholesky factor and ``z``
    standard normal from ``rng`` (a Generator, or a seed).
    """
    generator = _generator(rng)
    n = len(miss_km)
    a, b, c = cov_km2[:, 0, 0], cov_km2[:, 0, 1], cov_km2[:, 1, 1]
    l11 = np.sqrt(a)
    l21 = b / l11
    l22 = np.sqrt(np.maximum(c - l21 * l21, 0.0))
    half = np.asarray(half_width_km, dtype=np.float64)
    hits = np.zeros(n, dtype=np.int64)
    chunk = max(1, _CHUNK_NUMBERS // (2 * max(n, 1)))
    done = 0
    while done < n_samples:
        size = min(chunk, n_samples - done)
        z = generator.standard_normal((2, n, size))
        dx = l11[:, None] * z[0] - miss_km[:, 0, None]
        dy = l21[:, None] * z[0] + l22[:, None] * z[1] - miss_km[:, 1, None]
        if shape == "circle":
            inside = dx * dx + dy * dy <= (half * half)[:, None]
        else:
            inside = (np.abs(dx) <= half[:, None]) & (np.abs(dy) <= half[:, None])
        hits += np.count_nonzero(inside, axis=1)
        done += size
    return _estimate(hits, n_samples, confidence, interval)


def _matrix_sqrt(cov: FloatArray) -> FloatArray:
    """Return ``S`` with ``S S^T = cov`` for symmetric positive semi-definite ``(n, 3, 3)``."""
    values, vectors = np.linalg.eigh(0.5 * (cov + np.swapaxes(cov, -1, -2)))
    return vectors * np.sqrt(np.maximum(values, 0.0))[:, None, :]


def monte_carlo_3d(
    r1_km: ArrayLike,
    v1_km_s: ArrayLike,
    cov1_km2: ArrayLike,
    r2_km: ArrayLike,
    v2_km_s: ArrayLike,
    cov2_km2: ArrayLike,
    hbr_km: ArrayLike,
    n_samples: int,
    rng: np.random.Generator | int | None = None,
    *,
    window_s: float | None = None,
    confidence: float = 0.95,
    interval: IntervalMethod = "wilson",
) -> MonteCarloEstimate:
    """Given both objects' states ``(n, 3)`` (km, km/s) and position covariances
    ``(n, 3, 3)`` (km**2, positive semi-definite) at TCA in one inertial frame, and HBRs
    ``(n,)`` km, return the sampled Pc of the rectilinear encounter.

    Each draw perturbs both positions independently by their own covariance (matrix square
    root from ``eigh``), keeps both velocities, and is a hit when the straight-line
    relative motion comes within the HBR: over all time (the 2D model) or, with
    ``window_s``, for ``|t| <= window_s`` seconds around TCA.  Invalid rows are NaN.
    """
    generator = _generator(rng)
    _, (r1, v1, c1, r2, v2, c2, hbr) = as_batch(
        r1_km, v1_km_s, cov1_km2, r2_km, v2_km_s, cov2_km2, hbr_km
    )
    status = input_status(r1, v1, c1, r2, v2, c2, hbr)
    ok = status == PcStatus.OK
    hits = np.full(len(hbr), -1, dtype=np.int64)
    idx = np.flatnonzero(ok)
    if idx.size:
        hits[idx] = _count_3d(
            r2[idx] - r1[idx],
            v2[idx] - v1[idx],
            _matrix_sqrt(c1[idx]),
            _matrix_sqrt(c2[idx]),
            hbr[idx],
            n_samples,
            generator,
            window_s,
        )
    return _estimate(hits, n_samples, confidence, interval)


def _count_3d(
    r: FloatArray,
    v: FloatArray,
    s1: FloatArray,
    s2: FloatArray,
    hbr: FloatArray,
    n_samples: int,
    generator: np.random.Generator,
    window_s: float | None,
) -> NDArray[np.int64]:
    n = len(r)
    speed2 = np.sum(v * v, axis=-1)
    hits = np.zeros(n, dtype=np.int64)
    chunk = max(1, _CHUNK_NUMBERS // (6 * n))
    done = 0
    while done < n_samples:
        size = min(chunk, n_samples - done)
        z1 = generator.standard_normal((n, size, 3))
        z2 = generator.standard_normal((n, size, 3))
        # relative position of each draw: r + S2 z2 - S1 z1, shape (n, size, 3)
        rel = r[:, None, :] + np.einsum("nij,nsj->nsi", s2, z2) - np.einsum("nij,nsj->nsi", s1, z1)
        t = -np.einsum("nsi,ni->ns", rel, v) / speed2[:, None]
        if window_s is not None:
            t = np.clip(t, -window_s, window_s)
        closest = rel + t[:, :, None] * v[:, None, :]
        distance2 = np.einsum("nsi,nsi->ns", closest, closest)
        hits += np.count_nonzero(distance2 <= (hbr * hbr)[:, None], axis=1)
        done += size
    return hits
