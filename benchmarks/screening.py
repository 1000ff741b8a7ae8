"""Benchmark: all-against-all screening of the 2023-10-09 catalogue (or the first N objects).

Usage: python benchmarks/screening.py [--n N ...] [--hours H] [--step S] [--threshold-km D]
                                     [--workers W]

For each N, screens the first N objects of the catalogue (in catalogue order) from the
catalogue's median epoch over H hours, and prints the wall time, the peak memory (of the
process or of its largest worker) and the number of conjunctions.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

from reference import shared_data

from accord.core.screening import DEFAULT_STEP_S, Sgp4Ensemble, screen
from accord.core.time import jd_from_datetime
from accord.formats.tle import load_tle
from accord.services.propagation import satrec_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[26_140])
    parser.add_argument("--hours", type=float, default=168.0)
    parser.add_argument("--step", type=float, default=DEFAULT_STEP_S)
    parser.add_argument("--threshold-km", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    text = (shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt").read_text()
    records = load_tle(text).records
    epochs = sorted(es.epoch for es in records)
    start = epochs[len(epochs) // 2]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; start {start.isoformat()}, "
          f"{args.hours:g} h, step {args.step:g} s, {args.threshold_km:g} km, "
          f"{args.workers} worker(s)")  # fmt: skip
    for n in args.n:
        sats = [satrec_of(es) for es in records[:n]]
        ensemble = Sgp4Ensemble(sats, *jd_from_datetime(start))
        t0 = time.perf_counter()
        found = screen(ensemble, args.hours * 3600, threshold_km=args.threshold_km,
                       step_s=args.step, workers=args.workers)  # fmt: skip
        wall = time.perf_counter() - t0
        peak_mb = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
        print(f"N={n}: {len(found)} conjunctions, {wall:.1f} s wall, "
              f"peak RSS {peak_mb:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
