"""Coordination routes of ``/api/v1``: object operators, operators' ephemerides, conjunction
events and the steps of their coordination.

- ``PUT /objects/{norad}/operator``: who operates an object, whether it can manoeuvre.
- ``POST /ephemerides``: an OEM or OCM (the raw body), screened on arrival; ``GET
  /ephemerides`` and ``/ephemerides/{id}`` (``/oem``: the OEM text).  A hypothetical
  ephemeris is its owner's alone: to anyone else it is a 404 like a missing one.
- ``GET /events`` and ``/events/{id}`` (its CDM history as the caller may receive it, the
  parties, the recommended mover and the steps); ``POST /events/{id}/claim``, ``propose``
  (the candidate OEM or OCM as the raw body), ``accept``, ``reject``, ``escalate``,
  ``decide`` (the mediator) and ``close``.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from accord.api.deps import MAX_ID, MAX_PAGE, ErrorResponse, Page, StoreDep, error_response
from accord.api.screening import CDM_RESPONSES, MEDIA_TYPES, Member
from accord.api.submissions import FileName, Signature, whole_body
from accord.errors import ForbiddenError
from accord.formats.cdm import dump_cdm_kvn, dump_cdm_xml
from accord.services import coordination as coord
from accord.services.cdm_release import released_cdms
from accord.services.ephemerides import (
    ephemerides_for,
    ephemeris_for,
    set_operator,
    submit_ephemeris,
)
from accord.services.events import event_for, events_for
from accord.services.submissions import check_may_submit

router = APIRouter(prefix="/api/v1")

Norad = Annotated[int, Path(ge=1, le=999_999_999)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Literal["hypothetical", "candidate", "definitive"]
Note = Annotated[str | None, Field(max_length=4000, pattern=r"^[^\x00]*$")]

_MESSAGE = {
    "requestBody": {
        "required": True,
        "description": "A CCSDS OEM or OCM (CCSDS 502.0-B-3), KVN or XML, gzip-compressed or not.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "Not the object's operator, or read only."},
    409: {"model": ErrorResponse, "description": "The event's state does not allow it."},
    413: {"model": ErrorResponse, "description": "Over api_max_submission_bytes."},
}


class Operator(BaseModel):
    """An object's operator as a partner declares it."""

    partner: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    maneuverable: bool | None = None
    hard_body_radius_m: float | None = Field(default=None, gt=0, le=10_000)
    contact: str | None = Field(default=None, max_length=320, pattern=r"^[^\x00]*$")


class EphemerisSummary(BaseModel):
    """What an ephemeris submission did."""

    submission_id: int | None
    status: str
    objects: list[int]
    ephemeris_ids: list[int]
    superseded: list[int]
    rejected: int
    rejections: list[dict[str, Any]]
    screening: dict[str, Any] | None
    events: list[int]


class Claim(BaseModel):
    """A party's intent for an event."""

    intent: Literal["will-maneuver", "will-not", "undetermined"] = "will-maneuver"
    note: Note = None


class Answer(BaseModel):
    """An acceptance, rejection, escalation or closure, with an optional note."""

    note: Note = None


class Decision(BaseModel):
    """The mediator's decision: the object that moves."""

    mover: int = Field(ge=1, le=999_999_999)
    note: Note = None


class Step(BaseModel):
    """What one coordination action did."""

    event: dict[str, Any]
    step_id: int
    ledger_seq: int
    ephemeris_id: int | None = None
    clear: bool | None = None
    conjunctions: list[dict[str, Any]] = Field(default_factory=list)


@router.put("/objects/{norad}/operator", status_code=204, responses=_REFUSALS,
            tags=["coordination"])  # fmt: skip
def put_operator(norad: Norad, body: Operator, principal: Member, store: StoreDep) -> Response:
    """Declare who operates an object (administrators; a partner's own users for their
    partner)."""
    check_may_submit(principal)
    partner = body.partner.upper()
    if not principal.admin and principal.partner != partner:
        raise ForbiddenError(f"{principal.email} declares {principal.partner}'s objects only")
    set_operator(store, norad, partner, maneuverable=body.maneuverable,
                 hard_body_radius_m=body.hard_body_radius_m, contact=body.contact,
                 actor=principal.email or partner)  # fmt: skip
    return Response(status_code=204)


async def _message(request: Request, store: StoreDep) -> bytes | Response:
    limit = store.settings.api_max_submission_bytes
    try:
        data = await whole_body(request, limit)
    except ClientDisconnect:
        return error_response(400, "client_disconnected", "the body ended early")
    if data is None:
        return error_response(413, "too_large", f"a submission is at most {limit} bytes")
    return data


@router.post("/ephemerides", status_code=201, response_model=EphemerisSummary,
             responses=_REFUSALS, openapi_extra=_MESSAGE, tags=["coordination"])  # fmt: skip
async def post_ephemeris(
    request: Request,
    response: Response,
    principal: Member,
    store: StoreDep,
    status: Annotated[Status, Query()] = "definitive",
    norad: Annotated[int | None, Query(ge=1, le=999_999_999)] = None,
    event: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    filename: FileName = None,
    signature: Signature = None,
) -> Any:
    """Submit an OEM or OCM for the caller's partner (the operator): stored, screened at
    once against the catalogue and the other operators' definitive ephemerides, and (when
    definitive) folded into events."""
    check_may_submit(principal)
    data = await _message(request, store)
    if isinstance(data, Response):
        return data
    summary = await run_in_threadpool(
        submit_ephemeris, store, data, partner=str(principal.partner), status=status,
        filename=filename, norad=norad, event_id=event, signature=signature,
        actor=principal.email,
    )  # fmt: skip
    if summary.ephemeris_ids:
        response.headers["Location"] = f"{router.prefix}/ephemerides/{summary.ephemeris_ids[0]}"
    return summary.to_dict()


@router.get("/ephemerides", response_model=Page, tags=["coordination"])
def list_ephemerides(
    principal: Member,
    store: StoreDep,
    norad: Annotated[int | None, Query(alias="object", ge=1, le=999_999_999)] = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The ephemerides the caller may see, by id (``cursor``: the last id of the previous
    page)."""
    found = ephemerides_for(store, principal, norad=norad, status=status,
                            after=int(cursor) if cursor else 0, limit=limit + 1)  # fmt: skip
    more = len(found) > limit
    return {"items": found[:limit], "next_cursor": str(found[limit - 1]["id"]) if more else None}


@router.get("/ephemerides/{ephemeris_id}", tags=["coordination"])
def get_ephemeris(ephemeris_id: Id, principal: Member, store: StoreDep) -> dict[str, Any]:
    """One ephemeris the caller may see, with its OEM text."""
    return ephemeris_for(store, principal, ephemeris_id)


@router.get(
    "/ephemerides/{ephemeris_id}/oem",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    tags=["coordination"],
)
def get_ephemeris_oem(ephemeris_id: Id, principal: Member, store: StoreDep) -> Response:
    """One ephemeris as CCSDS OEM KVN."""
    return Response(ephemeris_for(store, principal, ephemeris_id)["oem"], media_type="text/plain")


@router.get(
    "/ephemerides/{ephemeris_id}/cdms",
    response_class=Response,
    responses=CDM_RESPONSES,
    tags=["coordination"],
)
def get_ephemeris_cdms(
    ephemeris_id: Id,
    principal: Member,
    store: StoreDep,
    fmt: Annotated[Literal["kvn", "xml", "json"], Query(alias="format")] = "kvn",
) -> Response:
    """The CCSDS CDMs of the conjunctions found when the ephemeris was screened, those the
    caller may receive: KVN (one message after another), XML (one ``ndm``) or JSON (a
    list)."""
    run_id = ephemeris_for(store, principal, ephemeris_id)["screening_run_id"]
    cdms = [] if run_id is None else released_cdms(store, run_id, principal)
    if fmt == "json":
        return JSONResponse(jsonable_encoder([dataclasses.asdict(c) for c in cdms]))
    if not cdms:
        return Response("" if fmt == "kvn" else dump_cdm_xml([]), media_type=MEDIA_TYPES[fmt])
    text = dump_cdm_kvn(cdms) if fmt == "kvn" else dump_cdm_xml(cdms)
    return Response(text, media_type=MEDIA_TYPES[fmt])


@router.get("/events", response_model=Page, tags=["coordination"])
def list_events(
    principal: Member,
    store: StoreDep,
    state: Annotated[
        Literal["open", "claimed", "proposed", "accepted", "escalated", "closed"] | None,
        Query(),
    ] = None,
    tier: Annotated[Literal["red", "amber", "green"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The events the caller may see (its objects' and those it mediates), by id."""
    found = events_for(store, principal, states=None if state is None else (state,),
                       tier=tier, after=int(cursor) if cursor else 0,
                       limit=limit + 1)  # fmt: skip
    more = len(found) > limit
    return {"items": found[:limit], "next_cursor": str(found[limit - 1]["id"]) if more else None}


@router.get("/events/{event_id}", tags=["coordination"])
def get_event(event_id: Id, principal: Member, store: StoreDep) -> dict[str, Any]:
    """One event: its CDM history as the caller may receive it, the parties and their
    roles, the recommended mover, and the coordination steps."""
    return event_for(store, principal, event_id)


@router.post("/events/{event_id}/claim", response_model=Step, responses=_REFUSALS,
             tags=["coordination"])  # fmt: skip
def post_claim(event_id: Id, body: Claim, principal: Member, store: StoreDep) -> Any:
    """Say whether the caller's party will manoeuvre."""
    return coord.claim(store, event_id, principal, body.intent, note=body.note).to_dict()


@router.post("/events/{event_id}/propose", response_model=Step, responses=_REFUSALS,
             openapi_extra=_MESSAGE, tags=["coordination"])  # fmt: skip
async def post_propose(
    request: Request,
    event_id: Id,
    principal: Member,
    store: StoreDep,
    note: Annotated[str | None, Query(max_length=4000, pattern=r"^[^\x00]*$")] = None,
    filename: FileName = None,
    signature: Signature = None,
) -> Any:
    """Propose a manoeuvre: the mover's planned trajectory (OEM or OCM, the raw body) as a
    candidate ephemeris, screened at once; the event is *proposed* when it is clear."""
    check_may_submit(principal)
    data = await _message(request, store)
    if isinstance(data, Response):
        return data
    result = await run_in_threadpool(
        coord.propose, store, event_id, principal, data, filename=filename,
        signature=signature, note=note,
    )  # fmt: skip
    return result.to_dict()


def _answer(action: Any) -> Any:
    def route(
        event_id: Id,
        principal: Member,
        store: StoreDep,
        body: Annotated[Answer | None, Body()] = None,
    ) -> Any:
        note = None if body is None else body.note
        return action(store, event_id, principal, note=note).to_dict()

    route.__doc__ = action.__doc__
    return route


for _name, _action in (("accept", coord.accept), ("reject", coord.reject),
                       ("escalate", coord.escalate), ("close", coord.close)):  # fmt: skip
    router.add_api_route(
        f"/events/{{event_id}}/{_name}", _answer(_action), methods=["POST"],
        response_model=Step, responses=_REFUSALS, tags=["coordination"],
        name=f"post_{_name}",
    )  # fmt: skip


@router.post("/events/{event_id}/decide", response_model=Step, responses=_REFUSALS,
             tags=["coordination"])  # fmt: skip
def post_decide(event_id: Id, body: Decision, principal: Member, store: StoreDep) -> Any:
    """As the mediator of an escalated event, name the object that moves."""
    return coord.decide(store, event_id, principal, body.mover, note=body.note).to_dict()
