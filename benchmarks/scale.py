"""Benchmark: all-against-all screening of synthetic catalogues of growing size, in one
process (threads) and on a Dask LocalCluster.

Usage: python benchmarks/scale.py [--n N ...] [--hours H] [--threshold-km D] [--workers W]
                                  [--backends cpu dask] [--seed S] [--json FILE] [--plot FILE]

Each catalogue is drawn from the 2023-10-09 catalogue (``accord.core.synthetic``: its
distribution of altitude and inclination, phases uniform, one epoch, the seed fixed) and
screened from that epoch over H hours.  ``cpu``: one process, W threads; ``dask``: a
LocalCluster of W single-threaded worker processes (started once, its start not timed; the
ensemble's transfer to the workers is).  Prints a row per size and backend: wall time,
conjunctions and the peak memory of this process (the cluster's workers: their largest).
``--json`` writes the rows; ``--plot`` draws time against N (matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

from reference import shared_data

from accord.core.screening import Sgp4Ensemble, screen
from accord.core.synthetic import elements_of, satrecs_of, synthetic
from accord.formats.tle import load_tle

LABELS = {"cpu": "one process, threads", "dask": "Dask LocalCluster"}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_peak_mb(client: Any) -> float:
    peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return float(max(peaks.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[10_000, 26_140, 50_000, 100_000])
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--threshold-km", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", nargs="+", choices=["cpu", "dask"], default=["cpu", "dask"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    text = (shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt").read_text()
    reference = elements_of(load_tle(text).records)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; synthetic catalogues (seed {args.seed}) from "
          f"the 2023-10-09 catalogue; {args.hours:g} h, {args.threshold_km:g} km, "
          f"{args.workers} worker(s)")  # fmt: skip
    client = cluster = None
    if "dask" in args.backends:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)  # fmt: skip
        client = Client(cluster)
    rows: list[dict[str, Any]] = []
    try:
        for n in args.n:
            sats = satrecs_of(synthetic(reference, n, seed=args.seed))
            for backend in args.backends:
                ensemble = Sgp4Ensemble(sats, reference.epoch_jd, reference.epoch_fr)
                t0 = time.perf_counter()
                found = screen(ensemble, args.hours * 3600, threshold_km=args.threshold_km,
                               workers=args.workers,
                               client=client if backend == "dask" else None)  # fmt: skip
                wall = time.perf_counter() - t0
                peak = _worker_peak_mb(client) if backend == "dask" else _peak_mb()
                row = {"backend": backend, "n": n, "hours": args.hours, "wall_s": round(wall, 2),
                       "conjunctions": len(found), "peak_mb": round(peak)}  # fmt: skip
                rows.append(row)
                print(f"{backend} N={n}: {len(found)} conjunctions, {wall:.1f} s wall, "
                      f"peak RSS {peak:.0f} MB", flush=True)  # fmt: skip
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if args.plot:
        _plot(rows, args.plot)


def _plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for backend in sorted({r["backend"] for r in rows}):
        mine = sorted((r["n"], r["wall_s"]) for r in rows if r["backend"] == backend)
        ax.plot(
            [n for n, _ in mine], [w for _, w in mine], "o-", label=LABELS.get(backend, backend)
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("objects (synthetic, from the 2023-10-09 catalogue)")
    ax.set_ylabel("wall time (s)")
    hours = rows[0]["hours"] if rows else 0
    ax.set_title(f"All-against-all screening, {hours:g} h, 5 km")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
