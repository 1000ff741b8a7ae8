"""Benchmark: the CARA ellipsoids against the 5 km sphere on the 2023-10-09 catalogue.

Usage: python benchmarks/volumes.py [--n N] [--hours H] [--workers W]

Screens the first N objects (catalogue order) from the catalogue's median epoch over H
hours, all against all, in the 5 km sphere and in NASA CARA's RTN ellipsoids by perigee
(:func:`accord.core.volumes.screen_ellipsoids`: the sphere of the largest semi-axis, then
the in-volume test), and prints the wall time and the conjunctions of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
from reference import shared_data

from accord.core.screening import Sgp4Ensemble, screen
from accord.core.time import jd_from_datetime
from accord.core.volumes import regime_semi_axes_km, screen_ellipsoids
from accord.formats.tle import load_tle
from accord.services.propagation import satrec_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=26_140)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    text = (shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt").read_text()
    records = load_tle(text).records[: args.n]
    epochs = sorted(es.epoch for es in records)
    start = epochs[len(epochs) // 2]
    sats = [satrec_of(es) for es in records]
    ensemble = Sgp4Ensemble(sats, *jd_from_datetime(start))
    axes = regime_semi_axes_km(np.array([s.altp * s.radiusearthkm for s in sats]))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; N={len(sats)}, start {start.isoformat()}, "
          f"{args.hours:g} h, {args.workers} worker(s)")  # fmt: skip
    duration = args.hours * 3600.0
    t0 = time.perf_counter()
    sphere = screen(ensemble, duration, threshold_km=5.0, workers=args.workers)
    print(f"sphere 5 km: {len(sphere)} conjunctions, {time.perf_counter() - t0:.1f} s wall")
    t0 = time.perf_counter()
    cara = screen_ellipsoids(ensemble, duration, axes, workers=args.workers)
    print(f"CARA ellipsoids (sieve {cara.sieve_radius_km:.0f} km): {len(cara)} conjunctions, "
          f"{time.perf_counter() - t0:.1f} s wall")  # fmt: skip


if __name__ == "__main__":
    main()
