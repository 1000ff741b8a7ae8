"""Benchmark: the Space-Track-compatible gp query over HTTP, full catalogue in PostgreSQL.

Usage: python benchmarks/api.py [--workers 2] [--full N] [--single N] [--clients N] [--sqlite]

Starts a throwaway PostgreSQL server (as the tests do; --sqlite: a SQLite file instead),
ingests the 26,140-object 2023-10-09 catalogue, labels it public, starts `accord serve`
with the given number of workers on loopback, logs in like the `spacetrack` client, and
times N full-catalogue gp queries (json) and N single-object gp queries: median and p99
latency and requests per second (sequential requests, one client), then the single-object
query's throughput with --clients concurrent clients.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from reference import REPO, shared_data

from accord.services import federation
from accord.services.ingest import ingest_file
from accord.services.store import init_store
from accord.settings import Settings


def _timed(client: httpx.Client, url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        response.raise_for_status()
        times.append(time.perf_counter() - t0)
    return times


def _concurrent(base: str, cookies: httpx.Cookies, url: str, clients: int, n: int) -> float:
    """Requests per second with ``clients`` concurrent clients making ``n`` requests each."""

    def one(_: int) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
            for _ in range(n):
                client.get(url).raise_for_status()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients)))
    return clients * n / (time.perf_counter() - t0)


def _report(name: str, times: list[float], rows: int) -> None:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(f"{name}: {len(times)} requests, {rows} rows each: median "
          f"{statistics.median(times) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"{len(times) / sum(times):.2f} req/s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", type=int, default=20)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    catalogue = shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    cluster = None
    sys.path.insert(0, str(REPO))  # the tests' throwaway server and loopback helpers
    from tests.postgres import PostgresCluster, server_bin_dir
    from tests.served import free_port

    if not args.sqlite:
        bin_dir = server_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL server binaries not found")
        cluster = PostgresCluster(bin_dir)
        cluster.start()
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = cluster.create_database("api") if cluster else None
            settings = Settings(home=Path(tmp), database_url=url, api_quota=1_000_000)
            store = init_store(settings)
            ingest_file(store, catalogue, releasability="public")
            federation.add_partner(store, "BENCH", "Benchmark")
            federation.add_user(store, "bench@example.org", "BENCH", "analyst", password="pw")
            store.close()
            port = free_port()
            env = {**os.environ, "ACCORD_HOME": tmp, "ACCORD_API_QUOTA": "1000000"}
            if url:
                env["ACCORD_DATABASE_URL"] = url
            server = subprocess.Popen(
                [sys.executable, "-m", "accord", "serve", "--port", str(port),
                 "--workers", str(args.workers)],
                env=env,
            )  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(200):
                    try:
                        client.get("/openapi.json")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                credentials = {"identity": "bench@example.org", "password": "pw"}
                login = client.post("/ajaxauth/login", data=credentials)
                assert login.json() == "", login.text
                print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
                      f"{platform.python_version()}; {'SQLite' if args.sqlite else 'PostgreSQL'}"
                      f", {args.workers} worker(s)")  # fmt: skip
                full = "/basicspacedata/query/class/gp/format/json"
                rows = len(client.get(full).json())
                _report("full catalogue gp (json)", _timed(client, full, args.full), rows)
                single = "/basicspacedata/query/class/gp/NORAD_CAT_ID/25544/format/json"
                _report("single object gp (json)", _timed(client, single, args.single), 1)
                rate = _concurrent(base, client.cookies, single, args.clients, args.single // 4)
                print(f"single object gp (json), {args.clients} concurrent clients: "
                      f"{rate:.0f} req/s")  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
