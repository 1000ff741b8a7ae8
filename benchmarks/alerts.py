"""Benchmark: alert latency, from raise_alert + commit + notify to the webhook receiving it.

Usage: python benchmarks/alerts.py [--n 200] [--postgres] [--workers 2]

A fresh store (a SQLite file; --postgres: a throwaway PostgreSQL server, as the tests start
one), one partner with one webhook on a loopback receiver (``http.server`` in a thread,
checking each signature), and three runs of ``--n`` alerts each:

- paced, in process: alerts one at a time (the next once the previous has arrived, after a
  pause of 5-15 ms), the dispatcher in this process woken by ``notify``;
- burst: ``--n`` alerts raised back to back (one transaction each), the same dispatcher;
  latencies from each alert's raise to its arrival, and when the last one arrived;
- paced, other process: the dispatcher is ``accord alerts dispatch`` in a second process,
  which finds alerts by looking at the table (every 0.5 s), as a second server worker would
  (pauses of 5-500 ms, so that alerts fall anywhere in its polling interval).

Prints p50/p95/p99/max of each run in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reference import REPO

from accord.services import alerts, federation
from accord.services.store import Store, init_store
from accord.settings import Settings
from accord.storage import repositories


class Receiver:
    """A loopback webhook receiver that notes when each alert id arrives."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrived: dict[int, float] = {}
        self.bad = 0
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.perf_counter()
                ok = alerts.verify_signature(receiver.secret, self.headers["X-Accord-Timestamp"],
                                             body, self.headers["X-Accord-Signature"])  # fmt: skip
                alert_id = int(self.headers["X-Accord-Alert-Id"])
                with receiver.condition:
                    receiver.bad += not ok
                    receiver.arrived.setdefault(alert_id, now)
                    receiver.condition.notify_all()
                self.send_response(204 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, alert_ids: list[int], timeout_s: float = 60.0) -> None:
        with self.condition:
            done = self.condition.wait_for(
                lambda: all(a in self.arrived for a in alert_ids), timeout_s
            )
        if not done:
            raise SystemExit("alerts did not arrive in time")


def _raise(store: Store, partner_id: int, n: int, *, wake: bool = True) -> tuple[int, float]:
    payload = {"tca": "2026-12-08T03:14:15.926Z", "miss_distance_km": 0.42, "pc": 1.3e-4,
               "objects": [25544, 48274], "n": n}  # fmt: skip
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        alert_id = alerts.raise_alert(conn, partner_id, "conjunction.red", payload)
    if wake:
        alerts.notify(store)
    return alert_id, t0


def paced(
    store: Store, receiver: Receiver, partner_id: int, n: int, wake: bool, pause_s: float
) -> list[float]:
    """Latencies of ``n`` alerts raised one at a time, each after the previous arrived and
    a pause drawn up to ``pause_s`` (for a polling dispatcher, the poll interval: so that
    the alert falls anywhere in it)."""
    latencies = []
    for k in range(n):
        alert_id, t0 = _raise(store, partner_id, k, wake=wake)
        receiver.wait([alert_id])
        latencies.append(receiver.arrived[alert_id] - t0)
        time.sleep(random.uniform(0.005, pause_s))
    return latencies


def burst(store: Store, receiver: Receiver, partner_id: int, n: int) -> tuple[list[float], float]:
    raised = [_raise(store, partner_id, k) for k in range(n)]
    ids = [a for a, _ in raised]
    receiver.wait(ids)
    span = max(receiver.arrived[a] for a in ids) - raised[0][1]
    return [receiver.arrived[a] - t0 for a, t0 in raised], span


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def q(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return (f"p50 {q(0.50):7.1f}  p95 {q(0.95):7.1f}  p99 {q(0.99):7.1f}  "
            f"max {ordered[-1] * 1000:7.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="alerts per run")
    parser.add_argument("--workers", type=int, default=2, help="dispatcher threads")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    args = parser.parse_args()

    cluster = None
    home = Path(tempfile.mkdtemp(prefix="accord-bench-alerts-"))
    url = None
    if args.postgres:
        sys.path.insert(0, str(REPO))
        from tests.postgres import PostgresCluster, server_bin_dir

        bin_dir = server_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL server binaries not found")
        cluster = PostgresCluster(bin_dir)
        cluster.start()
        url = cluster.create_database("accord_bench_alerts")
    settings = Settings(home=home, database_url=url)
    store = init_store(settings)
    receiver = Receiver()
    try:
        federation.add_partner(store, "DEU", "GSSAC")
        receiver.secret = alerts.add_webhook(store, "DEU", receiver.url).secret or ""
        with store.engine.connect() as conn:
            partner = repositories.partner_by_code(conn, "DEU")
        assert partner is not None
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {settings.url.split(':')[0]}, "
              f"{args.n} alerts per run, {args.workers} dispatcher threads")  # fmt: skip

        with alerts.Dispatcher(store, workers=args.workers):
            paced(store, receiver, partner.id, 10, True, 0.015)  # warm up connections
            one = paced(store, receiver, partner.id, args.n, True, 0.015)
            print(f"paced, in process:      {_percentiles(one)}")
            many, span = burst(store, receiver, partner.id, args.n)
            print(f"burst, in process:      {_percentiles(many)}  (all received "
                  f"{span:.2f} s after the first was raised)")  # fmt: skip

        env = {**os.environ, "ACCORD_HOME": str(home)}
        if url:
            env["ACCORD_DATABASE_URL"] = url
        command = [sys.executable, "-m", "accord", "alerts", "dispatch",
                   "--workers", str(args.workers)]  # fmt: skip
        other = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            paced(store, receiver, partner.id, 3, False, 0.5)  # it has started and polls
            apart = paced(store, receiver, partner.id, args.n, False, 0.5)
            print(f"paced, other process:   {_percentiles(apart)}")
        finally:
            other.send_signal(signal.SIGINT)  # as Ctrl-C: it stops cleanly
            other.wait(30)
        if receiver.bad:
            raise SystemExit(f"{receiver.bad} deliveries failed their signature check")
    finally:
        receiver.server.shutdown()
        store.close()
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
