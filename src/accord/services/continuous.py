"""Continuous screening: new data re-screens the pairs it touches, not the whole catalogue.

Events (:mod:`accord.services.events`) exist only for pairs with at least one operated
object, so when the current element sets of some objects ``C`` change, the pairs whose
conjunctions can change and matter are (C x operated) and (C ∩ operated x everything).
:func:`rescreen_objects` screens exactly those:

1. the operated objects among ``C`` as primaries against the whole current catalogue;
2. the other objects of ``C`` against the operated objects only (a small ensemble: the
   operated objects and ``C``), so a new debris element set is screened against the
   satellites someone flies in a fraction of a second;
3. the operators' current definitive ephemerides against the changed element sets.

Each screening is stored as a run and folded into events, which alerts the partners
concerned.  An operator's new definitive ephemeris is screened on arrival by
:func:`accord.services.ephemerides.submit_ephemeris` (the ephemeris against the catalogue
and the other definitive ephemerides), which is the same rule for ephemerides.

A submission that changes more than ``continuous_max_objects`` objects (a whole catalogue
refresh) is left to the next full screening (``accord screen``), whose run is folded into
events as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from accord.errors import InvalidRequestError
from accord.services.catalogue import whole_catalogue
from accord.services.ephemeris import screen_ephemerides
from accord.services.screening import (
    DEFAULT_WINDOW,
    ScreeningResult,
    screen_element_sets,
    store_run,
)
from accord.services.store import Store
from accord.storage.tables import element_sets, object_operators

MAX_OBJECTS = 2000


def touched_objects(store: Store, submission_id: int) -> list[int]:
    """The objects a submission stored element sets for."""
    query = (
        select(element_sets.c.norad_cat_id)
        .where(element_sets.c.submission_id == submission_id)
        .distinct()
    )
    with store.engine.begin() as conn:
        return sorted(int(n) for n in conn.execute(query).scalars())


def operated_objects(store: Store) -> set[int]:
    """Every object that has an operator."""
    with store.engine.begin() as conn:
        query = select(object_operators.c.norad_cat_id)
        return {int(n) for n in conn.execute(query).scalars()}


def after_submission(
    store: Store, submission_id: int | None, *, max_objects: int = MAX_OBJECTS
) -> list[ScreeningResult]:
    """Re-screen what an element-set submission touched (see the module docstring);
    nothing where nothing is operated or the submission changed over ``max_objects``."""
    if submission_id is None:
        return []
    changed = touched_objects(store, submission_id)
    if not changed or len(changed) > max_objects:
        return []
    return rescreen_objects(store, changed)


def rescreen_objects(
    store: Store,
    changed: Sequence[int],
    *,
    threshold_km: float = 5.0,
    window: timedelta = DEFAULT_WINDOW,
) -> list[ScreeningResult]:
    """Screen the pairs the changed objects touch that matter (see the module docstring),
    store each run and fold it into events; return the runs."""
    from accord.services.ephemerides import definitive_ephemerides
    from accord.services.events import events_from_run

    operated = operated_objects(store)
    if not operated or not changed:
        return []
    entries = whole_catalogue(store)
    by_object = {e.elements.norad_cat_id: e for e in entries}
    changed_set = set(changed) & set(by_object)
    ids = {n: e.element_set_id for n, e in by_object.items()}
    options: dict[str, Any] = {"threshold_km": threshold_km, "window": window,
               "workers": store.settings.screening_workers}  # fmt: skip
    start = max((by_object[n].elements.epoch for n in changed_set), default=None)
    results: list[ScreeningResult] = []
    mine = sorted(changed_set & operated)
    if mine:
        everything = [e.elements for e in entries]
        results.append(screen_element_sets(everything, primaries=mine, start=start, **options))
    rest = sorted(changed_set - operated)
    flown = sorted((operated & set(by_object)) - changed_set)
    if rest and flown:
        subset = [by_object[n].elements for n in sorted({*rest, *flown})]
        results.append(screen_element_sets(subset, primaries=flown, start=start, **options))
    stored: list[ScreeningResult] = []
    for result in results:
        kept = {n: ids[n] for n in result.elements}
        result.run_id = store_run(store, result, kept)
        stored.append(result)
    definitive = definitive_ephemerides(store)
    if definitive and changed_set:
        records = [by_object[n].elements for n in sorted(changed_set)]
        found: ScreeningResult | None
        try:
            found = screen_ephemerides(
                [e for _, e in definitive], records, threshold_km=threshold_km,
                workers=store.settings.screening_workers,
            )  # fmt: skip
        except InvalidRequestError:
            found = None  # the ephemerides do not cover a screenable window
        if found is not None:
            result = found
            # the ephemerides against each other were screened when they arrived
            result.conjunctions = [c for c in result.conjunctions
                                   if changed_set & {c.object1, c.object2}]  # fmt: skip
            element_ids = {n: ids[n] for n in result.elements if n in ids}
            ephemeris_of = {e.norad_cat_id: i for i, e in definitive}
            result.run_id = store_run(store, result, element_ids, ephemeris_of)
            stored.append(result)
    for result in stored:
        assert result.run_id is not None
        events_from_run(store, result.run_id)
    return stored
