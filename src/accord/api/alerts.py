"""Alert routes of ``/api/v1``: the caller's partner's alerts (paged by id, acknowledged,
streamed as server-sent events), its webhooks, and their deliveries (dead letters retried).

The event stream follows the WHATWG HTML Living Standard, section 9.2 "Server-sent events":
each alert is an event whose ``id`` is the alert's id, whose ``event`` (type) is the alert's
kind and whose ``data`` is the alert as JSON on one line; a reconnecting client sends the
last id it saw as ``Last-Event-ID`` and receives the alerts after it.  Without that header
or ``after``, a stream starts with the alerts raised after it opened.  An idle stream sends
a comment line every ``ACCORD_ALERTS_HEARTBEAT_S`` seconds so that proxies keep it open.

The dispatcher that delivers webhooks runs in each server worker (:func:`lifespan`), unless
``ACCORD_ALERTS_DISPATCH`` is false.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from accord.api.deps import MAX_ID, MAX_PAGE, ErrorResponse, StoreDep, caller
from accord.api.screening import Member
from accord.errors import AccordError
from accord.policy.model import Principal
from accord.services import alerts as svc
from accord.services.store import Store

router = APIRouter(prefix="/api/v1")

POLL_S = 0.5  # how often a stream looks at the table without a wake-up (other processes)
STREAM_BATCH = 100
RETRY_MS = 2000  # the reconnection delay a stream asks its clients for
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "An observer (read only)."}
}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the alert dispatcher while the application serves (unless the settings say
    not to); stop it, after its attempts in flight, at shutdown."""
    store: Store = app.state.store
    dispatcher = None
    if store.settings.alerts_dispatch:
        dispatcher = svc.Dispatcher(store, max_attempts=store.settings.alerts_max_attempts)
        dispatcher.start()
    app.state.dispatcher = dispatcher
    try:
        yield
    finally:
        if dispatcher is not None:
            await run_in_threadpool(dispatcher.stop)


class AlertOut(BaseModel):
    """An alert raised to the caller's partner."""

    id: int
    partner: str
    kind: str = Field(description="The event type, e.g. conjunction.red.")
    event_id: int | None = Field(description="The conjunction event it concerns, if any.")
    created: datetime = Field(description="UTC.")
    payload: Any = Field(description="The alert's content as released to the partner.")
    acknowledged: datetime | None = Field(description="UTC; None until acknowledged.")
    acknowledged_by: str | None


class AlertPage(BaseModel):
    """Alerts by id; ``last_id`` is the ``after`` of the next page (the given ``after``
    when there were none); ``more``: a full page, ask again at once."""

    items: list[AlertOut]
    last_id: int
    more: bool


class WebhookOut(BaseModel):
    """A webhook of the caller's partner."""

    id: int
    partner: str
    url: str
    created: datetime
    disabled: datetime | None


class NewWebhookOut(WebhookOut):
    """A webhook just registered, with the secret its deliveries are signed with (shown
    this once)."""

    secret: str


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PORT = (
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
)
_LOOPBACK = rf"(127\.{_OCTET}\.{_OCTET}\.{_OCTET}|localhost|\[::1\])"
_HOST = r"([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?|\[::1\])"
# What checked_url accepts, as the schema can say it: https to a host name, IPv4 address or
# [::1], http to loopback, a port in range, then a path or query of printable ASCII.
WEBHOOK_URL = rf"^(https://{_HOST}|http://{_LOOPBACK}){_PORT}([/?][\x21\x22\x24-\x7e]*)?$"


def _webhook_url(url: str) -> str:
    """The service's check (whose message says what is wrong), then the schema's pattern."""
    checked = svc.checked_url(url)
    if not re.match(WEBHOOK_URL, url):
        raise ValueError("expected https://host[:port][/path] in printable ASCII "
                         "(http:// only to 127.x.x.x, localhost or [::1])")  # fmt: skip
    return checked


class WebhookIn(BaseModel):
    """A webhook to register: an https URL (http only to a loopback address) and, if not
    generated, the secret (printable ASCII)."""

    url: Annotated[str, AfterValidator(_webhook_url)] = Field(
        max_length=2000,
        json_schema_extra={"pattern": WEBHOOK_URL},
        examples=["https://ops.example.org/accord/alerts"],
    )
    secret: str | None = Field(default=None, pattern=r"^[\x20-\x7e]{16,200}$")


class DeliveryOut(BaseModel):
    """One alert's delivery to one webhook."""

    id: int
    alert_id: int
    webhook_id: int
    url: str
    status: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt: datetime = Field(description="UTC; when a pending one is next attempted.")
    last_status: int | None = Field(description="The HTTP status of the last attempt.")
    last_error: str | None
    delivered: datetime | None


class DeliveryPage(BaseModel):
    """Deliveries by id, paged as alerts are."""

    items: list[DeliveryOut]
    last_id: int
    more: bool


def _utc(moment: datetime) -> datetime:
    """A stored (naive UTC) time as an aware one, written with its offset (RFC 3339)."""
    return moment.replace(tzinfo=UTC)


def _utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else _utc(moment)


def _alert(a: svc.Alert) -> AlertOut:
    return AlertOut(id=a.id, partner=a.partner, kind=a.kind, event_id=a.event_id,
                    created=_utc(a.created), payload=a.payload,
                    acknowledged=_utc_or_none(a.acknowledged),
                    acknowledged_by=a.acknowledged_by)  # fmt: skip


def _webhook(w: svc.Webhook) -> WebhookOut:
    return WebhookOut(id=w.id, partner=w.partner, url=w.url, created=_utc(w.created),
                      disabled=_utc_or_none(w.disabled))  # fmt: skip


def _delivery(d: svc.Delivery) -> DeliveryOut:
    status: Any = d.status  # one of the Literal's values (the store's vocabulary)
    return DeliveryOut(id=d.id, alert_id=d.alert_id, webhook_id=d.webhook_id, url=d.url,
                       status=status, attempts=d.attempts,
                       next_attempt=_utc(d.next_attempt), last_status=d.last_status,
                       last_error=d.last_error, delivered=_utc_or_none(d.delivered))  # fmt: skip


After = Annotated[int, Query(ge=0, le=MAX_ID, description="Only ids above this.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID", pattern=r"^[0-9]{1,10}$")]


# -- alerts --------------------------------------------------------------------------------


@router.get("/alerts", response_model=AlertPage, tags=["alerts"])
def list_alerts(principal: Member, store: StoreDep, after: After = 0, limit: Limit = 100) -> Any:
    """The alerts of the caller's partner with ids above ``after``, by id."""
    found = svc.alerts_for(store, principal, after, limit)
    last = found[-1].id if found else after
    return AlertPage(items=[_alert(a) for a in found], last_id=last, more=len(found) == limit)


@router.post("/alerts/{alert_id}/ack", response_model=AlertOut, tags=["alerts"],
             responses=FORBIDDEN)  # fmt: skip
def acknowledge(alert_id: Id, principal: Member, store: StoreDep) -> Any:
    """Acknowledge an alert of the caller's partner (again: the first acknowledgement
    stays).  Another partner's alert is a 404."""
    return _alert(svc.acknowledge(store, principal, alert_id))


def _event(a: svc.Alert) -> str:
    data = _alert(a).model_dump_json()
    return f"id: {a.id}\nevent: {a.kind}\ndata: {data}\n\n"


async def _still_allowed(store: Store, request: Request) -> bool:
    """The stream's API key is still valid (a revoked key ends the stream)."""
    try:
        await run_in_threadpool(caller, store, request.headers.get("authorization"))
    except AccordError:
        return False
    return True


async def _events(
    request: Request, store: Store, principal: Principal, cursor: int
) -> AsyncIterator[str]:
    signal = svc.signal_of(store)
    heartbeat_s = store.settings.alerts_heartbeat_s
    yield f"retry: {RETRY_MS}\n: alerts of {principal.partner} after {cursor}\n\n"
    beat = time.monotonic() + heartbeat_s
    while True:
        generation = signal.generation
        found = await run_in_threadpool(svc.alerts_for, store, principal, cursor, STREAM_BATCH)
        for a in found:
            yield _event(a)
            cursor = a.id
        if len(found) == STREAM_BATCH:
            continue
        if await request.is_disconnected():
            return
        now = time.monotonic()
        if now >= beat:
            if not await _still_allowed(store, request):
                return
            yield ": heartbeat\n\n"
            beat = now + heartbeat_s
        await signal.wait_async(generation, min(POLL_S, max(0.0, beat - now)))


_STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-sent events (WHATWG HTML, 9.2): one event per alert, "
        "`id` the alert's id, `event` its kind, `data` the alert as JSON.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    }
}


@router.get("/alerts/stream", response_class=StreamingResponse, responses=_STREAM_RESPONSES,
            tags=["alerts"])  # fmt: skip
async def stream_alerts(
    request: Request,
    principal: Member,
    store: StoreDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Start after this id.")] = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """The caller's partner's alerts as they are raised, as server-sent events, from
    ``Last-Event-ID`` (else ``after``, else now); a comment line every heartbeat while
    idle.  The stream ends when the client disconnects."""
    if last_event_id is not None:
        cursor = min(int(last_event_id), MAX_ID)
    elif after is not None:
        cursor = after
    else:
        cursor = await run_in_threadpool(svc.last_alert_id, store, principal)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request, store, principal, cursor),
                             media_type="text/event-stream", headers=headers)  # fmt: skip


# -- webhooks and deliveries ---------------------------------------------------------------


@router.get("/webhooks", response_model=list[WebhookOut], tags=["alerts"])
def list_webhooks(principal: Member, store: StoreDep) -> Any:
    """The enabled webhooks of the caller's partner (never their secrets)."""
    assert principal.partner is not None
    return [_webhook(w) for w in svc.list_webhooks(store, principal.partner)]


@router.post("/webhooks", response_model=NewWebhookOut, status_code=201, tags=["alerts"],
             responses=FORBIDDEN)  # fmt: skip
def add_webhook(body: WebhookIn, principal: Member, store: StoreDep) -> Any:
    """Register a webhook of the caller's partner: each alert raised to the partner from
    now on is POSTed to it as JSON, signed (``X-Accord-Signature``: HMAC-SHA256 of
    ``X-Accord-Timestamp``, a full stop and the body).  The answer holds the secret, shown
    this once."""
    assert principal.partner is not None
    actor = svc.webhook_actor(principal, principal.partner)
    made = svc.add_webhook(store, principal.partner, body.url, body.secret, actor=actor)
    assert made.secret is not None
    return NewWebhookOut(**_webhook(made).model_dump(), secret=made.secret)


@router.get("/webhooks/deliveries", response_model=DeliveryPage, tags=["alerts"])
def list_deliveries(
    principal: Member,
    store: StoreDep,
    status: Literal["pending", "delivered", "dead"] | None = None,
    alert: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    after: After = 0,
    limit: Limit = 100,
) -> Any:
    """Deliveries to the caller's partner's webhooks, by id: ``status=dead`` lists the
    dead letters."""
    found = svc.deliveries(store, principal, status=status, alert_id=alert, after_id=after,
                           limit=limit)  # fmt: skip
    last = found[-1].id if found else after
    return DeliveryPage(items=[_delivery(d) for d in found], last_id=last,
                        more=len(found) == limit)  # fmt: skip


@router.get("/webhooks/deliveries/{delivery_id}", response_model=DeliveryOut, tags=["alerts"])
def get_delivery(delivery_id: Id, principal: Member, store: StoreDep) -> Any:
    """One delivery to a webhook of the caller's partner."""
    return _delivery(svc.delivery_status(store, principal, delivery_id))


@router.post("/webhooks/deliveries/{delivery_id}/retry", response_model=DeliveryOut,
             status_code=202, tags=["alerts"], responses=FORBIDDEN)  # fmt: skip
def retry_delivery(delivery_id: Id, principal: Member, store: StoreDep) -> Any:
    """Make a dead delivery pending again: one more attempt now (dead again if it
    fails).  A delivery that is not dead, or whose webhook was removed, is a 409."""
    return _delivery(svc.redeliver(store, principal, delivery_id))


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response,
               tags=["alerts"], responses=FORBIDDEN)  # fmt: skip
def remove_webhook(webhook_id: Id, principal: Member, store: StoreDep) -> Response:
    """Disable a webhook of the caller's partner; its pending deliveries become dead
    letters."""
    assert principal.partner is not None
    actor = svc.webhook_actor(principal, principal.partner)
    svc.remove_webhook(store, webhook_id, partner_code=principal.partner, actor=actor)
    return Response(status_code=204)
