"""Screening-run routes of ``/api/v1``: the stored runs (paged), one run, the conjunctions of
a run the caller may receive (filtered, paged), and the CCSDS CDM of one of them.

A conjunction is named by its index in its run (1-based, by TCA: the number in the CDM's
``MESSAGE_ID``) or by its stored id written ``id-N``.  One the caller may not receive is a
404 exactly like one that does not exist.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import Row

from accord.api.deps import MAX_ID, MAX_PAGE, Caller, Page, StoreDep, UnauthorizedError, with_etag
from accord.formats.cdm import dump_cdm_kvn, dump_cdm_xml
from accord.policy.model import Principal
from accord.services.cdm_release import (
    numbered_conjunctions,
    released_cdm,
    screening_run,
    screening_runs,
)

router = APIRouter(prefix="/api/v1")

MEDIA_TYPES = {"kvn": "text/plain", "xml": "application/xml", "json": "application/json"}
CDM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The CDM (CCSDS 508.0-B-1) in the format asked for.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


async def member(principal: Caller) -> Principal:
    """The caller, who must hold an API key."""
    if principal.anonymous:
        raise UnauthorizedError("expected 'Authorization: Bearer <API key>'")
    return principal


Member = Annotated[Principal, Depends(member)]
RunId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _run(row: Row[Any]) -> dict[str, Any]:
    return {
        "id": row.id,
        "created": row.created_at,
        "window": {"start": row.window_start, "duration_s": row.window_s},
        "volume": row.volume,
        "threshold_km": row.threshold_km,
        "step_s": row.step_s,
        "primaries": list(row.primaries),
        "n_objects": row.n_objects,
        "n_conjunctions": row.n_conjunctions,
        "timings_s": dict(row.timings),
        "status": row.status,
    }


@router.get("/screening-runs", response_model=Page, tags=["screening"])
def list_runs(
    request: Request,
    response: Response,
    _: Member,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The stored screening runs, newest first, a page at a time (``cursor``: the last id
    of the previous page)."""
    rows = screening_runs(store, int(cursor) if cursor else None, limit + 1)
    more = len(rows) > limit
    page = {
        "items": [_run(r) for r in rows[:limit]],
        "next_cursor": str(rows[limit - 1].id) if more else None,
    }
    return with_etag(request, response, jsonable_encoder(page))


@router.get("/screening-runs/{run_id}", tags=["screening"])
def get_run(request: Request, response: Response, run_id: RunId, _: Member, store: StoreDep) -> Any:
    """One screening run: its window, volume, counts, timings and status."""
    row = screening_run(store, run_id)
    return with_etag(request, response, jsonable_encoder(_run(row)))


@router.get("/screening-runs/{run_id}/conjunctions", response_model=Page, tags=["screening"])
def list_run_conjunctions(
    run_id: RunId,
    principal: Member,
    store: StoreDep,
    max_miss_km: Annotated[float | None, Query(ge=0)] = None,
    min_pc: Annotated[float | None, Query(ge=0, le=1)] = None,
    norad: Annotated[int | None, Query(alias="object", ge=1, le=999_999_999)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = MAX_PAGE,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The conjunctions of a run the caller may receive, by TCA, with their index in the
    run; filtered by miss distance, Pc and object (``cursor``: the last index of the previous
    page)."""
    after = int(cursor) if cursor else 0
    kept = [
        {**n.conjunction.values, "index": n.index, "release": n.conjunction.release}
        for n in numbered_conjunctions(store, run_id, principal)
        if n.index > after and _matches(n.conjunction.values, max_miss_km, min_pc, norad)
    ][: limit + 1]
    more = len(kept) > limit
    return {"items": kept[:limit], "next_cursor": str(kept[limit - 1]["index"]) if more else None}


def _matches(
    values: dict[str, Any], max_miss_km: float | None, min_pc: float | None, norad: int | None
) -> bool:
    if max_miss_km is not None and values["miss_distance_km"] > max_miss_km:
        return False
    if min_pc is not None and (values["pc"] is None or values["pc"] < min_pc):
        return False
    return norad is None or norad in (values["norad_cat_id_1"], values["norad_cat_id_2"])


@router.get(
    "/screening-runs/{run_id}/conjunctions/{conjunction}/cdm",
    response_class=Response,
    responses=CDM_RESPONSES,
    tags=["screening"],
)
def get_cdm(
    run_id: RunId,
    conjunction: Annotated[str, Path(pattern=r"^(\d{1,9}|id-\d{1,9})$")],
    principal: Member,
    store: StoreDep,
    fmt: Annotated[Literal["kvn", "xml", "json"], Query(alias="format")] = "kvn",
) -> Response:
    """The CCSDS CDM of one conjunction the caller may receive, named by its index in the
    run or ``id-N``: KVN (text/plain), XML (application/xml) or JSON."""
    if conjunction.startswith("id-"):
        cdm = released_cdm(store, run_id, principal, conjunction_id=int(conjunction[3:]))
    else:
        cdm = released_cdm(store, run_id, principal, index=int(conjunction))
    if fmt == "json":
        return JSONResponse(jsonable_encoder(dataclasses.asdict(cdm)))
    text = dump_cdm_kvn([cdm]) if fmt == "kvn" else dump_cdm_xml([cdm])
    return Response(text, media_type=MEDIA_TYPES[fmt])
