"""Benchmark: ingest the 26,140-object 2023-10-09 catalogue into a fresh SQLite store.

Usage: python benchmarks/ingest.py [--repeat N] [--postgres]

Prints the parse time alone and the ingest time into a fresh store each run: a SQLite file,
or with --postgres a fresh database on a throwaway PostgreSQL server started from the
machine's binaries (as the tests do).
Reads ../shared/data (or $ACCORD_SHARED_DATA); never copies it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from reference import REPO, shared_data

from accord.formats.tle import load_tle
from accord.services.ingest import ingest_file
from accord.services.store import init_store
from accord.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    path = shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    text = path.read_text()

    parse_times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = load_tle(text)
        parse_times.append(time.perf_counter() - t0)
    assert len(result.accepted) == 26_140

    cluster = None
    if args.postgres:
        sys.path.insert(0, str(REPO))
        from tests.postgres import PostgresCluster, server_bin_dir

        bin_dir = server_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL server binaries not found")
        cluster = PostgresCluster(bin_dir)
        cluster.start()
    ingest_times = []
    try:
        for run in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                url = cluster.create_database(f"bench{run}") if cluster else None
                store = init_store(Settings(home=Path(tmp), database_url=url))
                t0 = time.perf_counter()
                summary = ingest_file(store, path)
                ingest_times.append(time.perf_counter() - t0)
                store.close()
            assert summary.accepted == 26_140, summary
    finally:
        if cluster is not None:
            cluster.stop()

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(f"parse 26,140 3LE records: median {statistics.median(parse_times):.3f} s "
          f"(min {min(parse_times):.3f} s, {args.repeat} runs)")  # fmt: skip
    print(f"ingest into {'PostgreSQL' if args.postgres else 'SQLite'}: "
          f"median {statistics.median(ingest_times):.3f} s (min {min(ingest_times):.3f} s, "
          f"max {max(ingest_times):.3f} s, {args.repeat} runs)")  # fmt: skip


if __name__ == "__main__":
    main()
