"""A brute-force conjunction reference, independent of ``accord.core.screening``.

Given SGP4 element sets, a window and a threshold distance ``D``, find every *encounter*:
a local minimum of the range ``rho(t) = |r_j(t) - r_i(t)|`` below ``D`` (SGP4 positions,
TEME, km).  Each local minimum is its own encounter, so a pair that drifts apart and back
within the window has several.  A minimum on the window's edge (range still falling at the
end, or already rising at the start) is reported at the edge with ``at_edge=True``.

It uses nothing but python-sgp4, numpy and scipy, and is built to be obviously right rather
than fast:

1. Sample every object at a uniform step ``h`` (``SatrecArray``, a block of times at
   once).  A sample with an SGP4 error code, or whose second difference breaks the
   acceleration bound below, is excluded: such objects are listed in
   ``ReferenceResult.excluded``.
2. Keep each pair and step ``[t_k, t_k+1]`` that the chord bound (:func:`pad_km`) cannot
   rule out; a ``cKDTree`` on the step's midpoints finds them without trying every pair.
3. On each such step, find the minima of ``rho`` exactly: sign changes of ``d(rho^2)/dt``
   on a 1 s grid, each solved by Brent's method to 1e-9 s, with SGP4 at arbitrary times.
   SGP4's own position jitter (~1e-9 km) makes TCAs reproducible to ~2e-7 s, misses to
   ~5e-9 km, whatever the step (measured on the 2,000 x 6 h sample with steps 3.3-60 s).
   Where the pair barely moves apart (modules docked to the ISS, 1 m/s) the range is so
   flat that the same jitter moves the TCA by up to 0.25 s, the miss still by < 1e-8 km;
   a pair with identical elements has one encounter, at the start, miss 0.
4. Merge what neighbouring steps found twice and keep the minima below ``D``.

Time is held as seconds from the window start beside a two-float Julian date (whole at a
midnight, fraction in ``[0, 1)``), as sgp4's ``jd, fr``: a fraction near 1 resolves
1e-11 s, a single float64 Julian date only 40 us.

Run ``python -m tests.screening_reference --n 2000 --hours 6`` for the catalogue sample
that the screening engine's recall test uses; in a test, ``sample, jd, fr =
catalogue_sample(path, 2000)`` then ``brute_force_conjunctions(sample, jd, fr, 21600.0)``.

Sources: Vallado, Crawford, Hujsak & Kelso, "Revisiting Spacetrack Report #3", AIAA
2006-6753 (SGP4); Brent, *Algorithms for Minimization without Derivatives* (1973), ch. 4
(root bracketing).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq
from scipy.spatial import cKDTree
from sgp4.api import SGP4_ERRORS, Satrec, SatrecArray

FloatArray = NDArray[np.float64]

MU_KM3_S2 = 398600.8  # WGS72, python-sgp4's default gravity model
R_MIN_KM = 6378.135  # WGS72 equatorial radius; SGP4 reports error 6 below it
SAFETY = 1.1  # J2 adds at most 3 J2 = 3.2e-3 of mu/r^2, drag and the Moon far less
A_MAX_KM_S2 = SAFETY * MU_KM3_S2 / R_MIN_KM**2  # one object: 0.010778 km/s^2
A_REL_MAX_KM_S2 = 2.0 * A_MAX_KM_S2  # a pair's relative acceleration
ACCELERATION_BOUND_EXCEEDED = 7  # an exclusion code beside SGP4's 1-6
SECONDS_PER_DAY = 86400.0
REFINE_GRID_S = 1.0  # minima of one pair are taken to lie further apart than this
DERIVATIVE_STEP_S = 1e-3  # central difference for d(rho^2)/dt
TCA_XTOL_S = 1e-9
MERGE_S = 1.0
BLOCK_STEPS = 128  # steps propagated at once: 2,000 objects x 133 samples x 6 x 8 B = 13 MB


@dataclass(frozen=True)
class ReferenceEncounter:
    """One local minimum of the range below the threshold (km, km/s, TEME, UTC)."""

    i: int
    j: int
    norad1: int
    norad2: int
    tca_jd: float
    tca_fr: float
    tca_s: float  # seconds from the window start
    miss_km: float
    rel_speed_km_s: float
    at_edge: bool


@dataclass(frozen=True)
class ExcludedObject:
    """An object left out at ``n_samples`` samples, the first at ``first_s`` seconds."""

    i: int
    norad: int
    code: int  # SGP4's error code (1-6), or ACCELERATION_BOUND_EXCEEDED
    n_samples: int
    first_s: float

    @property
    def reason(self) -> str:
        if self.code == ACCELERATION_BOUND_EXCEEDED:
            return f"second difference of position above A_MAX_KM_S2 = {A_MAX_KM_S2:.6f}"
        return str(SGP4_ERRORS.get(self.code, f"SGP4 error {self.code}"))


@dataclass(frozen=True)
class ReferenceResult:
    """Encounters sorted by ``(i, j, tca_s)``, exclusions, the step used, candidates tried."""

    encounters: list[ReferenceEncounter]
    excluded: list[ExcludedObject]
    step_s: float
    n_candidates: int


def pad_km(step_s: float) -> float:
    """Given a sampling step (s), return how far below a chord the range can dip (km).

    Let ``d(t) = r_j(t) - r_i(t)`` and ``L(t)`` its linear interpolation between two
    samples ``t_k`` and ``t_k+1 = t_k + h``.  ``e = d - L`` vanishes at both samples and
    ``e'' = d''``, so ``e(t) = -int G(t, s) d''(s) ds`` over the step, with the Green's
    function of ``-u''`` with zero ends, ``G >= 0`` and ``int G(t, s) ds =
    (t - t_k)(t_k+1 - t) / 2``.  Hence, for vectors as for scalars,

        |d(t) - L(t)| <= a_rel (t - t_k)(t_k+1 - t) / 2 <= a_rel h^2 / 8,

    where ``a_rel`` bounds ``|d''|``.  Each object's SGP4 acceleration is at most
    ``mu / r^2`` plus J2 (at most 3.2e-3 of it) and drag and third bodies (far less), and
    SGP4 reports error 6 below ``r = R_MIN_KM``, so ``|r''| <= 1.1 mu / R_MIN_KM^2 = A_MAX``
    and ``a_rel = 2 A_MAX``.  Over the whole 2023-10-09 catalogue, 6 h at 10 s, valid
    samples reach ``|r''| r^2 / mu = 1.036`` (a lunar-distance orbit) and 0.00975 km/s^2.
    So ``rho(t) >= |L(t)| - pad`` with ``pad = a_rel h^2 / 8``: the range can dip below
    ``D`` in the step only if the chord from ``d(t_k)`` to ``d(t_k+1)`` passes within
    ``D + pad`` of the origin, which is the test used.

    This is the bound ``|d(t) - d(t_k) - v_k (t - t_k)| <= a_rel (t - t_k)^2 / 2`` taken at
    the nearer sample (``|t - t_k| <= h/2``, so the same ``a_rel (h/2)^2 / 2``) with the
    velocity term ``|v_k| h/2`` replaced by the chord, which is known exactly: SGP4's
    velocity is not the derivative of its position (it differs by up to 3 m/s in deep
    space and 30 m/s on decaying orbits in the 2023-10-09 catalogue), so a bound through
    ``v_k`` would need an unproven margin.  The premise ``|r''| <= A_MAX`` is checked on
    every sample by second differences (an average of ``r''`` over two steps); samples
    that break it are excluded.  h = 10 s gives 0.27 km.
    """
    return A_REL_MAX_KM_S2 * step_s**2 / 8.0


class _Window:
    """Seconds from a start as two-float Julian dates (whole at a midnight, fraction)."""

    def __init__(self, jd: float, fr: float, duration_s: float) -> None:
        whole = math.floor(jd - 0.5)
        fraction = (jd - 0.5 - whole) + fr
        carry = math.floor(fraction)
        self.jd = whole + carry + 0.5
        self.fr = fraction - carry
        self.duration_s = float(duration_s)

    def jd_fr(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        fr = self.fr + np.asarray(t_s, dtype=np.float64) / SECONDS_PER_DAY
        return np.full(fr.shape, self.jd), fr

    def split(self, t_s: float) -> tuple[float, float]:
        fr = self.fr + t_s / SECONDS_PER_DAY
        carry = math.floor(fr)
        return self.jd + carry, fr - carry


def brute_force_screen(
    satrecs: Sequence[Satrec],
    jd: float,
    fr: float,
    duration_s: float,
    threshold_km: float = 5.0,
    step_s: float = 10.0,
) -> ReferenceResult:
    """Given Satrecs and a UTC window, return every encounter closer than ``threshold_km``.

    The window is ``[jd + fr, jd + fr + duration_s / 86400]`` (Julian dates, UTC); the
    samples are ``ceil(duration_s / step_s) + 1`` evenly spaced times, so the step used
    is at most ``step_s``.  ``i < j`` index ``satrecs``.
    """
    window = _Window(jd, fr, duration_s)
    n_steps = max(1, math.ceil(duration_s / step_s))
    times_s = np.linspace(0.0, window.duration_s, n_steps + 1)
    h = float(times_s[1] - times_s[0])
    candidates, codes = _candidates(satrecs, window, times_s, threshold_km + pad_km(h))
    found = []
    for i, j, k in candidates:
        pair = _Pair(satrecs[i], satrecs[j], window)
        for tca_s, at_edge in pair.minima(float(times_s[k]), float(times_s[k + 1])):
            found.append(_encounter(pair, i, j, tca_s, at_edge, satrecs, window))
    encounters = [e for e in _merge(found) if e.miss_km < threshold_km]
    return ReferenceResult(encounters, _excluded(codes, times_s, satrecs), h, len(candidates))


def brute_force_conjunctions(
    satrecs: Sequence[Satrec],
    jd: float,
    fr: float,
    duration_s: float,
    threshold_km: float = 5.0,
    step_s: float = 10.0,
) -> list[ReferenceEncounter]:
    """Given Satrecs and a UTC window, return the encounters of :func:`brute_force_screen`."""
    return brute_force_screen(satrecs, jd, fr, duration_s, threshold_km, step_s).encounters


def _candidates(
    satrecs: Sequence[Satrec], window: _Window, times_s: FloatArray, reach_km: float
) -> tuple[list[tuple[int, int, int]], NDArray[np.uint8]]:
    """Return ``(i, j, k)`` for each pair whose chord over step ``k`` comes within reach,
    and the exclusion codes ``(n, m)`` (0 where a sample is used).

    Steps are taken ``BLOCK_STEPS`` at a time, each block propagated with the two samples
    either side that its acceleration check needs, so memory does not grow with the window.
    """
    array = SatrecArray(list(satrecs))
    m = len(times_s)
    codes = np.zeros((len(satrecs), m), dtype=np.uint8)
    found: list[tuple[int, int, int]] = []
    for start in range(0, m - 1, BLOCK_STEPS):
        stop = min(m - 1, start + BLOCK_STEPS)  # steps start..stop-1, samples start..stop
        lo, hi = max(0, start - 2), min(m, stop + 3)
        r, c = _states(array, window, times_s[lo:hi])
        r, c = r[:, start - lo : stop + 1 - lo], c[:, start - lo : stop + 1 - lo]
        codes[:, start : stop + 1] = c
        for k in range(stop - start):
            used = (c[:, k] == 0) & (c[:, k + 1] == 0)
            found.extend(_close_pairs(r[:, k], r[:, k + 1], used, reach_km, start + k))
    return sorted(found), codes


def _states(
    array: SatrecArray, window: _Window, times_s: FloatArray
) -> tuple[FloatArray, NDArray[np.uint8]]:
    """Return positions ``(n, m, 3)`` km and codes ``(n, m)``: SGP4's error, or
    ``ACCELERATION_BOUND_EXCEEDED`` on the three samples of a second difference above
    ``A_MAX`` (exact for all but the two samples at each end of ``times_s``)."""
    codes, r, _ = array.sgp4(*window.jd_fr(times_s))
    h = times_s[1] - times_s[0]
    second = np.linalg.norm(r[:, 2:] - 2.0 * r[:, 1:-1] + r[:, :-2], axis=2)
    too_fast = (second > A_MAX_KM_S2 * h * h) & (codes[:, 1:-1] == 0)
    m = len(times_s)
    bad = np.zeros(codes.shape, dtype=bool)
    for shift in range(3):  # the samples each second difference spans
        bad[:, shift : m - 2 + shift] |= too_fast
    codes = codes.copy()
    codes[bad & (codes == 0)] = ACCELERATION_BOUND_EXCEEDED
    return r, codes


def _close_pairs(
    r0: FloatArray, r1: FloatArray, used: NDArray[np.bool_], reach_km: float, k: int
) -> list[tuple[int, int, int]]:
    """Return ``(i, j, k)`` for the pairs whose chord ``d(t_k) -> d(t_k+1)`` comes within
    ``reach_km`` of the origin, given positions ``(n, 3)`` km at both samples.

    A chord's distance from the origin is at least ``|m_j - m_i| - |dd| / 2`` (``m`` the
    step's midpoints, ``dd`` the chord), and ``|dd| / 2 <= max_o |r_o(t_k+1) - r_o(t_k)|``,
    so a ``cKDTree`` ball of ``reach + that maximum`` around the midpoints finds them all.
    """
    idx = np.flatnonzero(used)
    if len(idx) < 2:
        return []
    r0, r1 = r0[idx], r1[idx]
    travel = float(np.linalg.norm(r1 - r0, axis=1).max())
    pairs = cKDTree(0.5 * (r0 + r1)).query_pairs(reach_km + travel, output_type="ndarray")
    if len(pairs) == 0:
        return []
    d0 = r0[pairs[:, 1]] - r0[pairs[:, 0]]
    chord = (r1[pairs[:, 1]] - r1[pairs[:, 0]]) - d0
    s = -np.einsum("ij,ij->i", d0, chord) / np.maximum(np.einsum("ij,ij->i", chord, chord), 1e-300)
    nearest = d0 + np.clip(s, 0.0, 1.0)[:, None] * chord
    i, j = idx[pairs[np.linalg.norm(nearest, axis=1) <= reach_km]].T
    return [(int(p), int(q), k) for p, q in zip(np.minimum(i, j), np.maximum(i, j), strict=True)]


class _Pair:
    """Relative position and velocity of one pair at arbitrary seconds (SGP4, TEME)."""

    def __init__(self, a: Satrec, b: Satrec, window: _Window) -> None:
        self.a, self.b, self.window = a, b, window

    def state(self, t_s: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return ``d, w`` of shape ``(m, 3)``, km and km/s, NaN where either failed."""
        jd, fr = self.window.jd_fr(np.atleast_1d(t_s))
        ea, ra, va = self.a.sgp4_array(jd, fr)
        eb, rb, vb = self.b.sgp4_array(jd, fr)
        bad = (ea != 0) | (eb != 0)
        d, w = rb - ra, vb - va
        d[bad] = np.nan
        w[bad] = np.nan
        return d, w

    def rate(self, t_s: FloatArray) -> FloatArray:
        """Return ``d(rho^2)/dt`` (km^2/s) by central differences of SGP4 positions.

        Positions, not SGP4's velocities, since the TCA is the minimum of the position
        range; the truncation error, ``step^2 / 6 * (rho^2)'''``, moves a root by < 1e-9 s.
        """
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        d, _ = self.state(np.concatenate([t + DERIVATIVE_STEP_S, t - DERIVATIVE_STEP_S]))
        squared = np.einsum("ij,ij->i", d, d)
        return (squared[: len(t)] - squared[len(t) :]) / (2.0 * DERIVATIVE_STEP_S)

    def minima(self, ta: float, tb: float) -> list[tuple[float, bool]]:
        """Return ``(t, at_edge)`` for each minimum of the range on ``[ta, tb]``.

        Interior minima are where ``d(rho^2)/dt`` turns from negative to non-negative; an
        end of the window counts when the range is rising from the start or still falling
        at the end.  An end of the step inside the window is left to the neighbouring step.
        """
        grid = np.linspace(ta, tb, max(1, math.ceil((tb - ta) / REFINE_GRID_S)) + 1)
        g = self.rate(grid)
        found = []
        for n in np.flatnonzero((g[:-1] < 0.0) & (g[1:] >= 0.0)):
            if g[n + 1] == 0.0:
                found.append((float(grid[n + 1]), False))
            else:
                root = brentq(self._rate_at, grid[n], grid[n + 1], xtol=TCA_XTOL_S)
                found.append((float(root), False))
        if ta == 0.0 and g[0] >= 0.0:
            found.append((0.0, True))
        if tb == self.window.duration_s and g[-1] < 0.0:
            found.append((tb, True))
        return found

    def _rate_at(self, t_s: float) -> float:
        return float(self.rate(np.array([t_s]))[0])


def _encounter(
    pair: _Pair,
    i: int,
    j: int,
    tca_s: float,
    at_edge: bool,
    satrecs: Sequence[Satrec],
    window: _Window,
) -> ReferenceEncounter:
    d, w = pair.state(np.array([tca_s]))
    tca_jd, tca_fr = window.split(tca_s)
    return ReferenceEncounter(
        i=i,
        j=j,
        norad1=int(satrecs[i].satnum),
        norad2=int(satrecs[j].satnum),
        tca_jd=tca_jd,
        tca_fr=tca_fr,
        tca_s=tca_s,
        miss_km=float(np.linalg.norm(d[0])),
        rel_speed_km_s=float(np.linalg.norm(w[0])),
        at_edge=at_edge,
    )


def _merge(found: list[ReferenceEncounter]) -> list[ReferenceEncounter]:
    """Keep one encounter of each pair per ``MERGE_S`` (the closest), sorted."""
    merged: list[ReferenceEncounter] = []
    for e in sorted(found, key=lambda e: (e.i, e.j, e.tca_s)):
        last = merged[-1] if merged else None
        if last and (last.i, last.j) == (e.i, e.j) and e.tca_s - last.tca_s < MERGE_S:
            if e.miss_km < last.miss_km:
                merged[-1] = e
        else:
            merged.append(e)
    return [e for e in merged if not math.isnan(e.miss_km)]


def _excluded(
    codes: NDArray[np.uint8], times_s: FloatArray, satrecs: Sequence[Satrec]
) -> list[ExcludedObject]:
    out = []
    for i in (int(k) for k in np.flatnonzero((codes != 0).any(axis=1))):
        bad = np.flatnonzero(codes[i] != 0)
        out.append(
            ExcludedObject(
                i=i,
                norad=int(satrecs[i].satnum),
                code=int(codes[i, bad[0]]),
                n_samples=len(bad),
                first_s=float(times_s[bad[0]]),
            )
        )
    return out


def read_3le(path: Path) -> list[Satrec]:
    """Given a TLE or 3LE file, return one Satrec per element set, in file order."""
    lines = [line.rstrip() for line in path.read_text().splitlines()]
    return [
        Satrec.twoline2rv(first, second)
        for first, second in itertools.pairwise(lines)
        if first.startswith("1 ") and second.startswith("2 ")
    ]


def median_epoch(satrecs: Sequence[Satrec]) -> tuple[float, float]:
    """Return the median element-set epoch, to the second, as ``(jd, fr)`` UTC."""
    epoch = float(np.median([s.jdsatepoch + s.jdsatepochF for s in satrecs]))
    jd = math.floor(epoch - 0.5) + 0.5
    return jd, round((epoch - jd) * SECONDS_PER_DAY) / SECONDS_PER_DAY


def mean_altitude_km(satrecs: Sequence[Satrec]) -> FloatArray:
    """Return each object's mean of perigee and apogee altitudes (km, SGP4's own ``a``)."""
    alt = np.array([(s.altp + s.alta) / 2.0 * s.radiusearthkm for s in satrecs])
    return alt.astype(np.float64)


def densest_altitude_km(satrecs: Sequence[Satrec], bin_km: float = 10.0) -> float:
    """Return the centre of the fullest ``bin_km`` bin of mean altitude below 2,000 km."""
    alt = mean_altitude_km(satrecs)
    counts, edges = np.histogram(alt, bins=np.arange(100.0, 2000.0 + bin_km, bin_km))
    k = int(np.argmax(counts))
    return float(edges[k] + edges[k + 1]) / 2.0


def band_sample(satrecs: Sequence[Satrec], n: int, centre_km: float | None = None) -> list[int]:
    """Return the indices, ascending, of the ``n`` objects nearest ``centre_km`` in mean
    altitude (default :func:`densest_altitude_km`), ties to the earlier in the list."""
    centre = densest_altitude_km(satrecs) if centre_km is None else centre_km
    gap = np.abs(mean_altitude_km(satrecs) - centre)
    return sorted(int(k) for k in np.argsort(gap, kind="stable")[:n])


def catalogue_sample(
    path: Path, n: int, centre_km: float | None = None
) -> tuple[list[Satrec], float, float]:
    """Return the :func:`band_sample` of a catalogue file and its :func:`median_epoch`."""
    catalogue = read_3le(path)
    jd, fr = median_epoch(catalogue)
    return [catalogue[k] for k in band_sample(catalogue, n, centre_km)], jd, fr


def default_catalogue() -> Path:
    """Return the 2023-10-09 Space-Track catalogue under $ACCORD_SHARED_DATA or ../shared."""
    env = os.environ.get("ACCORD_SHARED_DATA")
    data = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"
    return data / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"


def main(argv: Sequence[str] | None = None) -> None:
    """Screen a band sample of the catalogue from its median epoch; print what it finds."""
    parser = argparse.ArgumentParser(prog="python -m tests.screening_reference")
    parser.add_argument("--catalogue", type=Path, default=default_catalogue())
    parser.add_argument("--n", type=int, default=2000, help="objects in the sample")
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--step", type=float, default=10.0, help="sampling step, s")
    parser.add_argument("--threshold", type=float, default=5.0, help="km")
    parser.add_argument("--centre", type=float, default=None, help="band centre, km")
    args = parser.parse_args(argv)
    sample, jd, fr = catalogue_sample(args.catalogue, args.n, args.centre)
    alt = mean_altitude_km(sample)
    began = time.perf_counter()
    result = brute_force_screen(sample, jd, fr, args.hours * 3600.0, args.threshold, args.step)
    elapsed = time.perf_counter() - began
    print(
        f"{len(sample)} objects, mean altitude {alt.min():.1f}-"
        f"{alt.max():.1f} km; window {jd} + {fr:.9f}, {args.hours} h, step {result.step_s} s"
    )
    print("norad1 norad2 tca_s miss_km rel_speed_km_s at_edge")
    for e in result.encounters:
        print(
            f"{e.norad1} {e.norad2} {e.tca_s:.6f} {e.miss_km:.6f} "
            f"{e.rel_speed_km_s:.4f} {e.at_edge}"
        )
    for x in result.excluded:
        print(f"excluded {x.norad} at {x.n_samples} samples from {x.first_s} s: {x.reason}")
    pairs = {(e.i, e.j) for e in result.encounters}
    print(
        f"{len(result.encounters)} encounters below {args.threshold} km in {len(pairs)} "
        f"pairs; {result.n_candidates} candidate steps; {len(result.excluded)} excluded; "
        f"{elapsed:.1f} s"
    )


if __name__ == "__main__":
    main()
