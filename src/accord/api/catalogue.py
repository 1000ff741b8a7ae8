"""Catalogue and conjunction routes of ``/api/v1``: objects (paged, ETag), one object, its
history, and the conjunctions of screening runs, each through the policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from accord.api.deps import MAX_ID, MAX_PAGE, Caller, Page, StoreDep, with_etag
from accord.errors import NotFoundError
from accord.services import catalogue
from accord.services.conjunctions import conjunctions_for

router = APIRouter(prefix="/api/v1")


@router.get("/objects", response_model=Page, tags=["catalogue"])
def list_objects(
    request: Request,
    response: Response,
    principal: Caller,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The current element set of every object the caller may see, by catalogue number, a
    page at a time (``cursor``: the last number of the previous page)."""
    entries = catalogue.current_catalogue(store, principal=principal)
    after = int(cursor) if cursor is not None else -1
    rows = [e for e in entries if e.elements.norad_cat_id > after][: limit + 1]
    more = len(rows) > limit
    page = {
        "items": [e.to_dict() for e in rows[:limit]],
        "next_cursor": str(rows[limit - 1].elements.norad_cat_id) if more else None,
    }
    return with_etag(request, response, page)


@router.get("/objects/{norad}", tags=["catalogue"])
def get_object(
    request: Request, response: Response, norad: int, principal: Caller, store: StoreDep
) -> Any:
    """One object's current element set and catalogue metadata."""
    if not 0 < norad < 1_000_000_000:
        raise NotFoundError(f"no element set for object {norad}")
    entry = catalogue.current_entry(store, norad, principal)
    meta = catalogue.object_metadata(store, norad, principal)
    return with_etag(request, response, {"object": meta, "element_set": entry.to_dict()})


@router.get("/objects/{norad}/history", tags=["catalogue"])
def get_history(norad: int, principal: Caller, store: StoreDep) -> Any:
    """Every element set of one object the caller may see, oldest epoch first."""
    if not 0 < norad < 1_000_000_000:
        raise NotFoundError(f"no object {norad}")
    rows = catalogue.history(store, norad, principal=principal)
    return {"items": [e.to_dict() for e in rows]}


@router.get("/conjunctions", tags=["conjunctions"])
def list_conjunctions(
    principal: Caller, store: StoreDep, run: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> Any:
    """The conjunctions of a screening run (default: the latest) the caller may receive."""
    run_id, released = conjunctions_for(store, run, principal)
    return {"run": run_id, "items": [{**r.values, "release": r.release} for r in released]}
