"""Screening runs: the catalogue (or given files) screened for conjunctions, stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.pc import PcMethod, probability_of_collision
from accord.core.screening import DEFAULT_STEP_S, Conjunctions, Sgp4Ensemble, screen
from accord.core.time import jd_from_datetime
from accord.core.volumes import (
    CARA_VOLUMES,
    VolumeConjunctions,
    regime_semi_axes_km,
    screen_ellipsoids,
)
from accord.errors import InvalidRequestError
from accord.formats.detect import detect_format, load
from accord.formats.records import ElementSet
from accord.services.catalogue import current_catalogue
from accord.services.cluster import cluster_client
from accord.services.collision import DEFAULT_HBR_M, default_covariances_km2
from accord.services.ingest import decode_submission
from accord.services.propagation import SGP4_THEORIES, satrec_of
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo

Progress = Callable[[int, int], None]
__all__ = [
    "DEFAULT_STEP_S",
    "DEFAULT_WINDOW",
    "ScreeningResult",
    "screen_catalogue",
    "screen_files",
]
DEFAULT_WINDOW = timedelta(days=7)
VOLUMES = ("sphere", "cara")  # a sphere of threshold_km, or NASA CARA's ellipsoids by regime
Triple = tuple[float, float, float]


@dataclass(frozen=True)
class Conjunction:
    """One close approach, in the units and names the API and CLI show."""

    object1: int
    object2: int
    object1_name: str | None
    object2_name: str | None
    tca: datetime
    miss_distance_km: float
    relative_speed_km_s: float
    relative_position_rtn_km: tuple[float, float, float]
    relative_velocity_rtn_km_s: tuple[float, float, float]
    state1_teme: tuple[float, ...]
    state2_teme: tuple[float, ...]
    at_edge: bool
    pc: float | None = None
    pc_method: str | None = None
    covariance_source: str | None = None
    # An ellipsoid run's volumes: both objects' semi-axes (R, T, N; km) and the normalized
    # distance of object 2 in object 1's ellipsoid and of object 1 in object 2's (None
    # where that object's volume did not apply: not a primary).
    volume_rtn_km: tuple[Triple, Triple] | None = None
    volume_distance: tuple[float | None, float | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data (TCA in ISO 8601 UTC to the microsecond)."""
        return {
            "object1": self.object1,
            "object2": self.object2,
            "object1_name": self.object1_name,
            "object2_name": self.object2_name,
            "tca": self.tca.isoformat(timespec="microseconds") + "Z",
            "miss_distance_km": self.miss_distance_km,
            "relative_speed_km_s": self.relative_speed_km_s,
            "relative_position_rtn_km": list(self.relative_position_rtn_km),
            "relative_velocity_rtn_km_s": list(self.relative_velocity_rtn_km_s),
            "state1_teme": list(self.state1_teme),
            "state2_teme": list(self.state2_teme),
            "at_edge": self.at_edge,
            "pc": self.pc,
            "pc_method": self.pc_method,
            "covariance_source": self.covariance_source,
            **self.volume_values(),
        }

    def volume_values(self) -> dict[str, Any]:
        """``volume_rtn_km`` and ``volume_distance`` as JSON lists (None in a sphere run)."""
        axes, distance = self.volume_rtn_km, self.volume_distance
        return {
            "volume_rtn_km": None if axes is None else [list(a) for a in axes],
            "volume_distance": None if distance is None else list(distance),
        }


@dataclass
class ScreeningResult:
    """A screening run: its parameters, timings and conjunctions (by TCA)."""

    start: datetime
    window_s: float
    threshold_km: float
    step_s: float
    n_objects: int
    primaries: list[int]
    conjunctions: list[Conjunction]
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    run_id: int | None = None
    elements: dict[int, ElementSet] = field(default_factory=dict, repr=False)
    volume: str = "sphere"  # or "cara": threshold_km is then the largest semi-axis applied

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "run_id": self.run_id,
            "start": self.start.isoformat() + "Z",
            "window_s": self.window_s,
            "volume": self.volume,
            "threshold_km": self.threshold_km,
            "step_s": self.step_s,
            "n_objects": self.n_objects,
            "primaries": self.primaries,
            "timings_s": self.timings,
            "skipped": self.skipped,
            "conjunctions": [c.to_dict() for c in self.conjunctions],
        }


def screenable(records: Sequence[ElementSet]) -> tuple[list[ElementSet], list[str]]:
    """Keep SGP4 element sets, one per object (the latest epoch); say why others go."""
    latest: dict[int, ElementSet] = {}
    skipped = []
    for es in records:
        if es.mean_element_theory not in SGP4_THEORIES:
            skipped.append(f"{es.norad_cat_id}: mean element theory {es.mean_element_theory}")
            continue
        old = latest.get(es.norad_cat_id)
        if old is None or es.epoch > old.epoch:
            latest[es.norad_cat_id] = es
    return [latest[k] for k in sorted(latest)], skipped


def screen_element_sets(
    records: Sequence[ElementSet],
    *,
    start: datetime | None = None,
    window: timedelta = DEFAULT_WINDOW,
    threshold_km: float = 5.0,
    primaries: Sequence[int] | None = None,
    step_s: float = DEFAULT_STEP_S,
    workers: int = 1,
    progress: Progress | None = None,
    volume: str = "sphere",
    cara_volumes: Sequence[Sequence[float]] = CARA_VOLUMES,
    scheduler: str | None = None,
) -> ScreeningResult:
    """Screen element sets against each other (or ``primaries`` against all), in
    ``workers`` threads, in a sphere of ``threshold_km`` or (``volume="cara"``) in each
    object's RTN ellipsoid from ``cara_volumes`` by its perigee (rows as
    :data:`accord.core.volumes.CARA_VOLUMES`; ``threshold_km`` is then not used), on the
    Dask cluster of ``scheduler`` (``tcp://HOST:PORT``) when one is named.

    ``start`` defaults to the latest epoch among the element sets: the window begins where
    the freshest data does.
    """
    if volume not in VOLUMES:
        raise InvalidRequestError(f"volume must be one of {', '.join(VOLUMES)}, got {volume!r}")
    if threshold_km <= 0 or window.total_seconds() <= 0 or step_s <= 0:
        raise InvalidRequestError("threshold, window and step must be positive")
    usable, skipped = screenable(records)
    if len(usable) < 2:
        raise InvalidRequestError(f"{len(usable)} screenable element sets: at least 2 needed")
    start = start or max(es.epoch for es in usable)
    index = {es.norad_cat_id: k for k, es in enumerate(usable)}
    primary_index = None
    if primaries:
        missing = sorted(set(primaries) - set(index))
        if missing:
            raise InvalidRequestError(f"primaries not in the input: {missing}")
        primary_index = np.array([index[p] for p in primaries], dtype=np.int64)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    satrecs = [satrec_of(es) for es in usable]
    ensemble = Sgp4Ensemble(satrecs, *jd_from_datetime(start))
    timings["initialise"] = time.perf_counter() - t0
    with cluster_client(scheduler) as client:
        t0 = time.perf_counter()
        options: dict[str, Any] = {"step_s": step_s, "primaries": primary_index,
                                   "workers": workers, "progress": progress,
                                   "client": client}  # fmt: skip
        found, volumes, threshold_km = _screened(ensemble, window, threshold_km, satrecs,
                                                 primary_index, volume, cara_volumes,
                                                 options)  # fmt: skip
        timings["screen"] = time.perf_counter() - t0
    return ScreeningResult(
        start=start,
        window_s=window.total_seconds(),
        threshold_km=threshold_km,
        step_s=step_s,
        n_objects=len(usable),
        primaries=list(primaries or []),
        conjunctions=_conjunctions(found, usable, start, volumes),
        timings=timings,
        skipped=skipped,
        elements={es.norad_cat_id: es for es in usable},
        volume=volume,
    )


def _screened(
    ensemble: Sgp4Ensemble,
    window: timedelta,
    threshold_km: float,
    satrecs: Sequence[Any],
    primary_index: np.ndarray | None,
    volume: str,
    cara_volumes: Sequence[Sequence[float]],
    options: dict[str, Any],
) -> tuple[Conjunctions, VolumeConjunctions | None, float]:
    """Screen in the sphere or the CARA ellipsoids; return the conjunctions, the volumes'
    details (None in a sphere) and the threshold in force (km)."""
    if volume == "cara":
        perigee_km = np.array([sat.altp * sat.radiusearthkm for sat in satrecs])
        try:
            axes = regime_semi_axes_km(perigee_km, cara_volumes)
        except ValueError as exc:
            raise InvalidRequestError(f"CARA screening volumes: {exc}") from exc
        volumes = screen_ellipsoids(ensemble, window.total_seconds(), axes, **options)
        applied = axes if primary_index is None else axes[primary_index]
        return volumes.conjunctions, volumes, float(applied.max())
    found = screen(ensemble, window.total_seconds(), threshold_km=threshold_km, **options)
    return found, None, threshold_km


def _pc_with_default_covariance(
    found: Conjunctions, usable: Sequence[ElementSet], tca: Sequence[datetime]
) -> np.ndarray:
    """Foster Pc of each conjunction with the default element-set covariances and the
    default combined hard-body radius (flagged as such in the results)."""
    if not len(found):
        return np.empty(0)
    first = [usable[int(k)] for k in found.i]
    second = [usable[int(k)] for k in found.j]
    cov1 = default_covariances_km2(first, tca, found.r1_km, found.v1_km_s)
    cov2 = default_covariances_km2(second, tca, found.r2_km, found.v2_km_s)
    result = probability_of_collision(
        found.r1_km, found.v1_km_s, cov1, found.r2_km, found.v2_km_s, cov2,
        DEFAULT_HBR_M / 1000.0, PcMethod.FOSTER,
    )  # fmt: skip
    return np.atleast_1d(result.pc)


def _conjunctions(
    found: Conjunctions,
    usable: Sequence[ElementSet],
    start: datetime,
    volumes: VolumeConjunctions | None = None,
) -> list[Conjunction]:
    rel_r, rel_v = found.relative_rtn()
    tcas = [start + timedelta(microseconds=round(float(t) * 1e6)) for t in found.tca_s]
    pc = _pc_with_default_covariance(found, usable, tcas)
    out = []
    for k in range(len(found)):
        a, b = usable[int(found.i[k])], usable[int(found.j[k])]
        out.append(
            Conjunction(
                object1=a.norad_cat_id,
                object2=b.norad_cat_id,
                object1_name=a.object_name,
                object2_name=b.object_name,
                tca=tcas[k],
                miss_distance_km=float(found.miss_km[k]),
                relative_speed_km_s=float(found.relative_speed_km_s[k]),
                relative_position_rtn_km=triple(rel_r[k]),
                relative_velocity_rtn_km_s=triple(rel_v[k]),
                state1_teme=tuple(float(x) for x in (*found.r1_km[k], *found.v1_km_s[k])),
                state2_teme=tuple(float(x) for x in (*found.r2_km[k], *found.v2_km_s[k])),
                at_edge=bool(found.at_edge[k]),
                pc=float(pc[k]) if np.isfinite(pc[k]) else None,
                pc_method=PcMethod.FOSTER.ccsds_name,
                covariance_source="default",
                **({} if volumes is None else _volume_fields(volumes, k)),
            )
        )
    return out


def _volume_fields(volumes: VolumeConjunctions, k: int) -> dict[str, Any]:
    """Conjunction ``k``'s ``volume_rtn_km`` and ``volume_distance``."""
    d1, d2 = float(volumes.distance1[k]), float(volumes.distance2[k])
    return {
        "volume_rtn_km": (triple(volumes.semi_axes1_km[k]), triple(volumes.semi_axes2_km[k])),
        "volume_distance": (None if np.isnan(d1) else d1, None if np.isnan(d2) else d2),
    }


def triple(x: np.ndarray) -> tuple[float, float, float]:
    """Given a 3-vector, return it as a tuple of floats."""
    return float(x[0]), float(x[1]), float(x[2])


def screen_files(paths: Sequence[Path], **options: Any) -> ScreeningResult:
    """Screen the element sets in files, without touching the store."""
    records: list[ElementSet] = []
    for path in paths:
        text = decode_submission(path.read_bytes())
        name = path.name.removesuffix(".gz")
        result = load(text, detect_format(text, name))
        records.extend(result.records)
    return screen_element_sets(records, **options)


def screen_catalogue(store: Store, **options: Any) -> ScreeningResult:
    """Screen the stored catalogue (current element sets), store the run and fold its
    conjunctions into events (:mod:`accord.services.events`)."""
    entries = current_catalogue(store)
    options.setdefault("workers", store.settings.screening_workers)
    options.setdefault("cara_volumes", store.settings.screening_cara_volumes)
    options.setdefault("scheduler", store.settings.screening_scheduler)
    result = screen_element_sets([e.elements for e in entries], **options)
    ids = {e.elements.norad_cat_id: e.element_set_id for e in entries}
    result.run_id = store_run(store, result, ids)
    from accord.services.events import events_from_run

    events_from_run(store, result.run_id)
    return result


def store_run(
    store: Store,
    result: ScreeningResult,
    ids: dict[int, int],
    ephemeris_ids: dict[int, int] | None = None,
) -> int:
    """Store a run, its input snapshot and its conjunctions in one transaction; ``ids``
    gives each object's element set id, ``ephemeris_ids`` the ephemeris an object was
    screened from instead."""
    ephemeris_ids = ephemeris_ids or {}
    ids = {k: v for k, v in ids.items() if k not in ephemeris_ids}
    with store.engine.begin() as conn:
        run_id = repo.add_screening_run(
            conn,
            created_at=utcnow(),
            window_start=result.start,
            window_s=result.window_s,
            volume=result.volume,
            threshold_km=result.threshold_km,
            step_s=result.step_s,
            primaries=result.primaries,
            n_objects=result.n_objects,
            n_conjunctions=len(result.conjunctions),
            timings=result.timings,
            status="complete",
        )
        repo.add_screening_inputs(conn, run_id, sorted(ids.values()))
        repo.add_conjunctions(
            conn,
            [
                {
                    "run_id": run_id,
                    "norad_cat_id_1": c.object1,
                    "norad_cat_id_2": c.object2,
                    "element_set_id_1": ids.get(c.object1),
                    "element_set_id_2": ids.get(c.object2),
                    "ephemeris_id_1": ephemeris_ids.get(c.object1),
                    "ephemeris_id_2": ephemeris_ids.get(c.object2),
                    "tca": c.tca,
                    "miss_distance_km": c.miss_distance_km,
                    "relative_speed_km_s": c.relative_speed_km_s,
                    "relative_position_rtn_km": list(c.relative_position_rtn_km),
                    "relative_velocity_rtn_km_s": list(c.relative_velocity_rtn_km_s),
                    "state_1_teme": list(c.state1_teme),
                    "state_2_teme": list(c.state2_teme),
                    "pc": c.pc,
                    "pc_method": c.pc_method,
                    "covariance_source": c.covariance_source,
                    "hard_body_radius_m": DEFAULT_HBR_M if c.pc is not None else None,
                    "at_edge": int(c.at_edge),
                    **c.volume_values(),
                }
                for c in result.conjunctions
            ],
        )
    return run_id
