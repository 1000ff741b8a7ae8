"""Operators' ephemerides for tests, built from real element sets: the SGP4 motion of a
demo-catalogue object written as an OEM (GCRF, UTC, 60 s steps), optionally with a
manoeuvre (a second segment from an element set with a changed mean motion)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from accord.core.frames import teme_to_gcrf
from accord.core.time import jd_from_datetime
from accord.formats.detect import detect_format, load
from accord.formats.oem import Oem, OemSegment, OemState, dump_oem_kvn
from accord.formats.records import ElementSet
from accord.services.demo import DEMO_DIR
from accord.services.propagation import satrec_of

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
DEMO_LINES = DEMO.read_text().splitlines(True)


def demo_elements() -> list[ElementSet]:
    """Every element set of the demo catalogue."""
    text = DEMO.read_text()
    return list(load(text, detect_format(text, DEMO.name)).records)


def demo_object(norad: int) -> bytes:
    """One object's three lines of the demo catalogue, as a submission's bytes."""
    for k in range(0, len(DEMO_LINES) - 2, 3):
        if DEMO_LINES[k + 1].startswith(f"1 {norad:05d}U"):
            return "".join(DEMO_LINES[k : k + 3]).encode()
    raise AssertionError(f"{norad} is not in the demo catalogue")


def demo_catalogue_without(*norads: int) -> bytes:
    """The demo catalogue less some objects, as a submission's bytes."""
    out = []
    for k in range(0, len(DEMO_LINES) - 2, 3):
        if not any(DEMO_LINES[k + 1].startswith(f"1 {n:05d}U") for n in norads):
            out += DEMO_LINES[k : k + 3]
    return "".join(out).encode()


def segment(
    es: ElementSet,
    start: datetime,
    stop: datetime,
    step_s: int = 60,
    *,
    drift: float = 0.0,
    drift_from: datetime | None = None,
) -> OemSegment:
    """The element set's SGP4 motion from ``start`` to ``stop`` as an OEM segment (GCRF,
    UTC epochs, Lagrange interpolation of degree 7).

    With ``drift``, the state at ``t`` after ``drift_from`` is the orbit's at
    ``t + drift * (t - drift_from)`` (velocity scaled by ``1 + drift``): an along-track
    phase change that grows with time, continuous in position at ``drift_from``, as a
    small phasing manoeuvre gives.
    """
    n = int((stop - start).total_seconds() // step_s) + 1
    epochs = [start + timedelta(seconds=step_s * k) for k in range(n)]
    origin = drift_from or start
    shifted = [t + drift * (t - origin) for t in epochs]
    jd = np.array([jd_from_datetime(t) for t in shifted])
    error, r, v = satrec_of(es).sgp4_array(
        np.ascontiguousarray(jd[:, 0]), np.ascontiguousarray(jd[:, 1])
    )
    assert not error.any()
    r, v = teme_to_gcrf(r, v * (1.0 + drift), jd[:, 0], jd[:, 1])
    states = tuple(
        OemState(
            t, (float(p[0]), float(p[1]), float(p[2])), (float(q[0]), float(q[1]), float(q[2]))
        )
        for t, p, q in zip(epochs, r, v, strict=True)
    )
    return OemSegment(
        object_name=es.object_name or "",
        object_id=str(es.norad_cat_id),
        center_name="EARTH",
        ref_frame="GCRF",
        time_system="UTC",
        start_time=epochs[0],
        stop_time=epochs[-1],
        states=states,
        interpolation="LAGRANGE",
        interpolation_degree=7,
    )


def oem_bytes(
    es: ElementSet,
    start: datetime,
    stop: datetime,
    *,
    manoeuvre_at: datetime | None = None,
    drift: float = 1e-4,
) -> bytes:
    """An OEM of the element set's motion, KVN; with ``manoeuvre_at``, a second segment
    from then on drifting along track (see :func:`segment`; 1e-4 is about 30 km after 12
    hours in low orbit)."""
    if manoeuvre_at is None:
        segments: tuple[OemSegment, ...] = (segment(es, start, stop),)
    else:
        segments = (
            segment(es, start, manoeuvre_at),
            segment(es, manoeuvre_at, stop, drift=drift, drift_from=manoeuvre_at),
        )
    oem = Oem("3.0", start, "TEST", segments)
    return dump_oem_kvn([oem]).encode()
