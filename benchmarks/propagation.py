"""Benchmark: batched SGP4 over the 26,140-object 2023-10-09 catalogue, and frame rotations.

Usage: python benchmarks/propagation.py [--times N] [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np
from reference import shared_data

from accord.core.frames import teme_to_gcrf, teme_to_itrf
from accord.core.propagation import propagate
from accord.core.time import jd_from_datetime
from accord.formats.tle import load_tle
from accord.services.propagation import satrec_of


def best(fn: object, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = (shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt").read_text()
    records = load_tle(text).records
    t0 = time.perf_counter()
    sats = [satrec_of(es) for es in records]
    build_s = time.perf_counter() - t0
    jd0, fr0 = jd_from_datetime(max(es.epoch for es in records))
    fr = fr0 + np.arange(args.times) * (60.0 / 1440.0)  # one state an hour
    jd = np.full_like(fr, jd0)
    n_states = len(sats) * args.times

    med, low = best(lambda: propagate(sats, jd, fr), args.repeat)
    result = propagate(sats, jd, fr)
    r, v = result.r_teme_km, result.v_teme_km_s
    itrf_med, _ = best(lambda: teme_to_itrf(r, v, jd, fr), args.repeat)
    gcrf_med, _ = best(lambda: teme_to_gcrf(r, v, jd, fr), args.repeat)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"{len(sats)} Satrecs built from element sets in {build_s:.3f} s")
    print(f"propagate {len(sats)} x {args.times} = {n_states:,} states: median {med:.3f} s "
          f"(min {low:.3f} s) -> {n_states / med / 1e6:.2f} M states/s")  # fmt: skip
    print(f"TEME->ITRF {n_states:,} states: median {itrf_med:.3f} s; "
          f"TEME->GCRF: median {gcrf_med:.3f} s")  # fmt: skip
    print(f"failed states (sgp4 error codes): {int(np.count_nonzero(result.error)):,}")


if __name__ == "__main__":
    main()
