"""Stored screening runs, and their conjunctions as released to a caller: numbered within
their run, and issued as CCSDS CDMs (508.0-B-1) built from the stored rows.

A conjunction's index is its 1-based position in its run by TCA, the number in the
``MESSAGE_ID`` (``ACCORD-run-index-norad1-norad2``) that ``accord screen --cdm-dir`` writes.
The CDM is the one :func:`accord.services.cdm.conjunction_cdms` issues for the run, built
from the run's stored parameters, the conjunction's stored states and the two element sets
(or operators' ephemerides) it was computed from; its creation date is the run's.  A
conjunction the caller may not receive is missing (:class:`NotFoundError`), as a
conjunction that does not exist is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row

from accord.errors import NotFoundError
from accord.formats.cdm import Cdm
from accord.formats.records import ElementSet
from accord.policy.model import Principal
from accord.services.catalogue import entry_of_row
from accord.services.cdm import conjunction_cdms
from accord.services.conjunctions import Released, conjunctions_for
from accord.services.ephemerides import stored_ephemeris
from accord.services.ephemeris import Ephemeris
from accord.services.screening import Conjunction, ScreeningResult
from accord.services.store import Store
from accord.storage import coordination as crepo
from accord.storage import repositories as repo


@dataclass(frozen=True)
class Numbered:
    """A released conjunction and its 1-based index in its run."""

    index: int
    conjunction: Released


def numbered_conjunctions(store: Store, run_id: int, principal: Principal | None) -> list[Numbered]:
    """The conjunctions of a run that ``principal`` may receive (None: the local operator,
    all), by TCA, each with its index in the whole run."""
    _, released = conjunctions_for(store, run_id, principal)
    with store.engine.connect() as conn:
        position = {k: n + 1 for n, k in enumerate(repo.conjunction_ids_of(conn, run_id))}
    return [Numbered(position[r.values["id"]], r) for r in released]


def released_cdm(
    store: Store,
    run_id: int,
    principal: Principal | None,
    *,
    index: int | None = None,
    conjunction_id: int | None = None,
) -> Cdm:
    """The CDM of one conjunction of a run, named by its ``index`` in the run or its stored
    ``conjunction_id``, if ``principal`` may receive it."""
    found = [
        n
        for n in numbered_conjunctions(store, run_id, principal)
        if n.index == index or n.conjunction.values["id"] == conjunction_id
    ]
    what = f"index {index}" if index is not None else f"id {conjunction_id}"
    cdms = _cdms(store, run_id, found[:1]) if found else []
    if not cdms:
        raise NotFoundError(f"no conjunction with {what} in run {run_id}")
    return cdms[0]


def released_cdms(store: Store, run_id: int, principal: Principal | None) -> list[Cdm]:
    """The CDMs of every conjunction of a run that ``principal`` may receive, by TCA (one
    pass over the run: what an operator's screening returns)."""
    return _cdms(store, run_id, numbered_conjunctions(store, run_id, principal))


def _cdms(store: Store, run_id: int, numbered: list[Numbered]) -> list[Cdm]:
    """The CDMs of these conjunctions of a run; one whose element set or ephemeris is gone
    is left out."""
    with store.engine.connect() as conn:
        run = repo.screening_run(conn, run_id)
        if run is None:
            return []
        wanted = {n.conjunction.values["id"] for n in numbered}
        rows = {r.id: r for r in repo.conjunctions_of(conn, run_id) if r.id in wanted}
        element_ids = {k for r in rows.values() for k, e in _sides(r) if e is None and k}
        elements = {i: entry_of_row(r).elements
                    for i, r in repo.element_sets_by_id(conn, element_ids).items()}  # fmt: skip
        ephemeris_ids = {e for r in rows.values() for _, e in _sides(r) if e is not None}
        stored = {i: stored_ephemeris(store, r)
                  for i, r in crepo.ephemerides_by_id(conn, ephemeris_ids).items()}  # fmt: skip
    # A run screens each object from one element set or one ephemeris: by catalogue number.
    by_object: dict[int, ElementSet] = {}
    ephemerides: dict[int, Ephemeris] = {}
    names: dict[int, str] = {}
    kept: list[tuple[Numbered, Conjunction]] = []
    for n in numbered:
        row = rows.get(n.conjunction.values["id"])
        if row is None:
            continue
        objects: list[str | None] = []
        for element_set_id, ephemeris_id in _sides(row):
            if ephemeris_id is not None and ephemeris_id in stored:
                e = stored[ephemeris_id]
                ephemerides[e.norad_cat_id] = e
                names[e.norad_cat_id] = f"ACCORD-EPH-{ephemeris_id}"
                objects.append(e.name)
            elif ephemeris_id is None and element_set_id in elements:
                es = elements[element_set_id]
                by_object[es.norad_cat_id] = es
                objects.append(es.object_name)
        if len(objects) == 2:  # else the element set or ephemeris it came from is gone
            kept.append((n, stored_conjunction(n.conjunction.values, objects[0], objects[1])))
    result = stored_result(run, [c for _, c in kept], by_object.values())
    cdms = conjunction_cdms(result, created=run.created_at, ephemerides=ephemerides,
                            ephemeris_names=names)  # fmt: skip
    # conjunction_cdms numbers the messages of the result it is given: renumber by the run.
    return [
        dataclasses.replace(cdm, message_id=f"ACCORD-{run_id}-{n.index}-{c.object1}-{c.object2}")
        for (n, c), cdm in zip(kept, cdms, strict=True)
    ]


def _sides(row: Any) -> tuple[tuple[int | None, int | None], tuple[int | None, int | None]]:
    return ((row.element_set_id_1, row.ephemeris_id_1),
            (row.element_set_id_2, row.ephemeris_id_2))  # fmt: skip


def stored_result(
    run: Any, conjunctions: list[Conjunction], elements: Iterable[ElementSet]
) -> ScreeningResult:
    """A stored screening run's row with some of its conjunctions, as the screening's
    result (the element sets they were computed from, by catalogue number)."""
    return ScreeningResult(
        start=run.window_start,
        window_s=run.window_s,
        threshold_km=run.threshold_km,
        step_s=run.step_s,
        n_objects=run.n_objects,
        primaries=list(run.primaries),
        conjunctions=conjunctions,
        run_id=run.id,
        elements={es.norad_cat_id: es for es in elements},
        volume=run.volume,
    )


def stored_conjunction(values: dict[str, Any], name1: str | None, name2: str | None) -> Conjunction:
    """A stored conjunction row's values as the screening's :class:`Conjunction`."""
    axes, distance = values.get("volume_rtn_km"), values.get("volume_distance")
    return Conjunction(
        object1=int(values["norad_cat_id_1"]),
        object2=int(values["norad_cat_id_2"]),
        object1_name=name1,
        object2_name=name2,
        tca=values["tca"],
        miss_distance_km=float(values["miss_distance_km"]),
        relative_speed_km_s=float(values["relative_speed_km_s"]),
        relative_position_rtn_km=_triple(values["relative_position_rtn_km"]),
        relative_velocity_rtn_km_s=_triple(values["relative_velocity_rtn_km_s"]),
        state1_teme=tuple(float(x) for x in values["state_1_teme"]),
        state2_teme=tuple(float(x) for x in values["state_2_teme"]),
        at_edge=bool(values["at_edge"]),
        pc=values["pc"],
        pc_method=values["pc_method"],
        covariance_source=values["covariance_source"],
        volume_rtn_km=None if axes is None else (_triple(axes[0]), _triple(axes[1])),
        volume_distance=None if distance is None else (distance[0], distance[1]),
    )


def _triple(values: list[float]) -> tuple[float, float, float]:
    return float(values[0]), float(values[1]), float(values[2])


def screening_runs(store: Store, before: int | None = None, limit: int = 100) -> list[Row[Any]]:
    """Up to ``limit`` stored screening runs, newest first, with ids below ``before``."""
    with store.engine.connect() as conn:
        return repo.screening_runs_before(conn, before, limit)


def screening_run(store: Store, run_id: int) -> Row[Any]:
    """One stored screening run."""
    with store.engine.connect() as conn:
        row = repo.screening_run(conn, run_id)
    if row is None:
        raise NotFoundError(f"no run {run_id}")
    return row
