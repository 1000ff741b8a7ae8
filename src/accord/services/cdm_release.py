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
    found = next(
        (
            n
            for n in numbered_conjunctions(store, run_id, principal)
            if n.index == index or n.conjunction.values["id"] == conjunction_id
        ),
        None,
    )
    what = f"index {index}" if index is not None else f"id {conjunction_id}"
    missing = NotFoundError(f"no conjunction with {what} in run {run_id}")
    if found is None:
        raise missing
    values = found.conjunction.values
    with store.engine.connect() as conn:
        run = repo.screening_run(conn, run_id)
        row = repo.conjunction_in_run(conn, run_id, values["id"])
        if run is None or row is None:
            raise missing
        sides = ((row.element_set_id_1, row.ephemeris_id_1),
                 (row.element_set_id_2, row.ephemeris_id_2))  # fmt: skip
        rows = repo.element_sets_by_id(conn, [k for k, e in sides if k is not None and e is None])
        stored = crepo.ephemerides_by_id(conn, [e for _, e in sides if e is not None])
    elements: list[ElementSet] = []
    ephemerides: dict[int, Ephemeris] = {}
    names: dict[int, str] = {}
    objects: list[str | None] = []
    for element_set_id, ephemeris_id in sides:
        if ephemeris_id is not None:
            if ephemeris_id not in stored:
                raise missing
            e = stored_ephemeris(stored[ephemeris_id])
            ephemerides[e.norad_cat_id], names[e.norad_cat_id] = e, f"ACCORD-EPH-{ephemeris_id}"
            objects.append(e.name)
        elif element_set_id in rows:
            es = entry_of_row(rows[element_set_id]).elements
            elements.append(es)
            objects.append(es.object_name)
        else:
            raise missing  # the element set it was computed from is gone
    result = stored_result(run, [stored_conjunction(values, objects[0], objects[1])], elements)
    (cdm,) = conjunction_cdms(result, created=run.created_at, ephemerides=ephemerides,
                              ephemeris_names=names)  # fmt: skip
    # conjunction_cdms numbers the messages of the result it is given: this one alone.
    message_id = f"ACCORD-{run_id}-{found.index}-{row.norad_cat_id_1}-{row.norad_cat_id_2}"
    return dataclasses.replace(cdm, message_id=message_id)


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
    )


def stored_conjunction(values: dict[str, Any], name1: str | None, name2: str | None) -> Conjunction:
    """A stored conjunction row's values as the screening's :class:`Conjunction`."""
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
