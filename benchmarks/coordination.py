"""Benchmark: an operator's OEM (7 days, 60 s steps) to its CDMs against the full catalogue,
and a new CDM to the webhook delivered on loopback.

Usage: python benchmarks/coordination.py [--primaries NORAD ...] [--repeat R] [--days D]

A fresh SQLite store holds the 26,140 element sets of the 2023-10-09 Space-Track catalogue
(public, ingested by the local partner).  For each primary, the operator partner OPS
submits the primary's SGP4 motion as a CCSDS OEM in KVN (GCRF, UTC, Lagrange degree 7, one
state a minute; the ephemeris stands for the object, whose element set the screening
leaves out), status definitive.  The first clock runs from the OEM bytes to every conjunction's
CDM written as KVN: parsing, storage and ledger, conversion to TEME, the radius filter over
the catalogue, propagation of the survivors, the sieve, refinement and Pc, the stored run,
the events and their alerts, then one CDM per conjunction from the stored rows.

The second clock runs from the commit of a new CDM's alert (the events are folded in the
same transaction) to the signed webhook received by a loopback HTTP server, through the
dispatcher (one process, notified at once).  Prints each run and the median and 95th
percentile of both.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import UTC, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from reference import shared_data

from accord.core.frames import teme_to_gcrf
from accord.core.time import jd_from_datetime
from accord.formats.cdm import dump_cdm_kvn
from accord.formats.oem import Oem, OemSegment, OemState, dump_oem_kvn
from accord.formats.records import ElementSet
from accord.formats.tle import load_tle
from accord.services import alerts, federation
from accord.services.cdm_release import released_cdms
from accord.services.ephemerides import set_operator, submit_ephemeris
from accord.services.ingest import ingest_bytes
from accord.services.propagation import satrec_of
from accord.services.store import init_store
from accord.settings import Settings
from accord.storage.tables import alerts as alerts_table

# The ISS (420 km), a Starlink (550 km), an Earth-observation satellite in the debris
# band (Sentinel-2A, 786 km), a sun-synchronous weather satellite (NOAA 19, 870 km), a
# navigation satellite (GPS BIIF-1, MEO) and a geostationary one (GOES 16).
PRIMARIES = (25544, 44713, 40697, 33591, 36585, 41866)


def oem_text(es: ElementSet, days: float) -> str:
    """The element set's motion over ``days`` from its epoch as OEM KVN."""
    start = es.epoch.replace(microsecond=0) + timedelta(minutes=1)
    epochs = [start + timedelta(minutes=k) for k in range(int(days * 1440) + 1)]
    jd = np.array([jd_from_datetime(t) for t in epochs])
    w, f = np.ascontiguousarray(jd[:, 0]), np.ascontiguousarray(jd[:, 1])
    error, r, v = satrec_of(es).sgp4_array(w, f)
    r, v = teme_to_gcrf(r, v, w, f)
    states = tuple(
        OemState(t, (p[0], p[1], p[2]), (q[0], q[1], q[2]))
        for t, p, q, e in zip(epochs, r.tolist(), v.tolist(), error, strict=True)
        if e == 0
    )
    segment = OemSegment(
        object_name=es.object_name or str(es.norad_cat_id),
        object_id=str(es.norad_cat_id),
        center_name="EARTH",
        ref_frame="GCRF",
        time_system="UTC",
        start_time=states[0].epoch,
        stop_time=states[-1].epoch,
        states=states,
        interpolation="LAGRANGE",
        interpolation_degree=7,
    )
    return dump_oem_kvn([Oem("3.0", start, "ACCORD-BENCH", (segment,))])


class Receiver:
    """A loopback webhook receiver that records when each alert id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[int, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                alert_id = int(self.headers["X-Accord-Alert-Id"])
                receiver.arrivals.setdefault(alert_id, time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/alerts"


def _percentiles(name: str, values: list[float]) -> None:
    if not values:
        print(f"{name}: no samples")
        return
    print(f"{name}: median {statistics.median(values):.3f} s, "
          f"p95 {float(np.percentile(values, 95)):.3f} s, max {max(values):.3f} s "
          f"over {len(values)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--primaries", type=int, nargs="+", default=list(PRIMARIES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--days", type=float, default=7.0)
    args = parser.parse_args()
    path = shared_data() / "tle_catalog" / "spacetrack_full_3le_2023-10-09.txt"
    records = load_tle(path.read_text()).records
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {len(records)} element sets, "
          f"{args.days:g} days")  # fmt: skip
    with tempfile.TemporaryDirectory() as home:
        store = init_store(Settings(home=Path(home)))
        ingest_bytes(store, path.read_bytes(), releasability="public")
        federation.add_partner(store, "OPS", "Operator")
        receiver = Receiver()
        alerts.add_webhook(store, "OPS", receiver.url)
        dispatcher = alerts.Dispatcher(store).start()
        submissions, deliveries = [], []
        try:
            # the first submission after start also reads the catalogue into the store's
            # memo and loads the compiled kernels: reported on its own
            warm = next(e for e in records if e.norad_cat_id == args.primaries[-1])
            t0 = time.perf_counter()
            submit_ephemeris(store, oem_text(warm, args.days).encode(), partner="OPS",
                             status="hypothetical")  # fmt: skip
            print(f"warm-up (first submission after start, hypothetical): "
                  f"{time.perf_counter() - t0:.2f} s")  # fmt: skip
            for norad in args.primaries:
                es = next(e for e in records if e.norad_cat_id == norad)
                set_operator(store, norad, "OPS", maneuverable=True)
                data = oem_text(es, args.days).encode()
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    summary = submit_ephemeris(store, data, partner="OPS")
                    result = summary.screening
                    assert result is not None and result.run_id is not None
                    cdms = [dump_cdm_kvn([c]) for c in released_cdms(store, result.run_id, None)]
                    wall = time.perf_counter() - t0
                    submissions.append(wall)
                    timings = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
                    print(f"{norad:6d} {es.object_name or '':24s} {len(cdms):4d} CDMs, "
                          f"{len(summary.events):3d} events, {result.n_objects - 1:6d} "
                          f"secondaries after the filter, {wall:6.2f} s ({timings})")  # fmt: skip
            time.sleep(2.0)  # the last deliveries
            with store.engine.connect() as conn:
                rows = list(conn.execute(alerts_table.select()))
            for row in rows:
                arrived = receiver.arrivals.get(row.id)
                if arrived is not None:  # created_at is naive UTC, to the microsecond
                    committed = row.created_at.replace(tzinfo=UTC)
                    deliveries.append(arrived - committed.timestamp())
            print(f"{len(rows)} alerts, {len(receiver.arrivals)} delivered")
        finally:
            dispatcher.stop()
            store.close()
    _percentiles("OEM submission to its CDMs", submissions)
    _percentiles("alert committed to webhook received", deliveries)


if __name__ == "__main__":
    main()
