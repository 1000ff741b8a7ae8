"""The native REST API (``/api/v1``): FastAPI over the same services as the command line.

Every answer passes the policy: the caller is the holder of the bearer API key (none:
anonymous), and a record the caller may not see is a 404 like a missing one.  Errors share
one JSON shape: ``{"error": {"status": 404, "code": "not_found", "message": "..."}}``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import deque
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord import __version__
from accord.errors import (
    AccordError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from accord.services import catalogue, spacetrack
from accord.services.access import Principal, Sessions, authenticate, principal_for
from accord.services.conjunctions import conjunctions_for
from accord.services.store import Store, open_store
from accord.settings import Settings

ANONYMOUS = Principal()
MAX_PAGE = 1000
MAX_ID = 2**31 - 1  # row identifiers are 32-bit integers on PostgreSQL


class ErrorBody(BaseModel):
    """The one error shape of the API."""

    status: int
    code: str
    message: str


class ErrorResponse(BaseModel):
    """``{"error": {...}}``."""

    error: ErrorBody


class Page(BaseModel):
    """A page of records and the cursor of the next one (None: the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None = Field(default=None)


class UnauthorizedError(AccordError):
    """The credentials are missing, unknown, expired or revoked."""


_STATUS = {
    NotFoundError: (404, "not_found"),
    InvalidRequestError: (400, "invalid_request"),
    ForbiddenError: (403, "forbidden"),
    UnauthorizedError: (401, "unauthorized"),
}


def _error(status: int, code: str, message: str) -> JSONResponse:
    body = {"error": {"status": status, "code": code, "message": message}}
    return JSONResponse(body, status_code=status)


def get_store(request: Request) -> Store:
    """The application's store."""
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(get_store)]


def caller(store: StoreDep, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The holder of the bearer API key, or anonymous without one."""
    if authorization is None:
        return ANONYMOUS
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("expected 'Authorization: Bearer <API key>'")
    try:
        return principal_for(store, api_key=token.strip())
    except NotFoundError:
        raise UnauthorizedError("unknown or revoked API key") from None


Caller = Annotated[Principal, Depends(caller)]
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
    return _with_etag(request, response, page)


@router.get("/objects/{norad}", tags=["catalogue"])
def get_object(
    request: Request, response: Response, norad: int, principal: Caller, store: StoreDep
) -> Any:
    """One object's current element set and catalogue metadata."""
    if not 0 < norad < 1_000_000_000:
        raise NotFoundError(f"no element set for object {norad}")
    entry = catalogue.current_entry(store, norad, principal)
    meta = catalogue.object_metadata(store, norad, principal)
    return _with_etag(request, response, {"object": meta, "element_set": entry.to_dict()})


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


COOKIE = "chocolatechip"  # the session cookie's name at space-track.org
spacetrack_router = APIRouter(tags=["space-track"])


def session_caller(request: Request, store: StoreDep) -> Principal:
    """The user of a Space-Track-style session (cookie from /ajaxauth/login)."""
    token = request.cookies.get(COOKIE)
    sessions: Sessions = request.app.state.sessions
    email = sessions.email_of(token) if token else None
    if email is None:
        raise UnauthorizedError("not logged in, or the session has expired: POST /ajaxauth/login")
    try:
        return principal_for(store, email=email)
    except NotFoundError:
        raise UnauthorizedError("the session's user no longer exists") from None


SessionCaller = Annotated[Principal, Depends(session_caller)]


@spacetrack_router.post("/ajaxauth/login")
async def login(request: Request, store: StoreDep) -> Response:
    """Space-Track's login: form fields ``identity`` and ``password``; a session cookie on
    success, ``{"Login": "Failed"}`` otherwise."""
    form = await request.form()
    identity, password = str(form.get("identity", "")), str(form.get("password", ""))
    principal = authenticate(store, identity, password)
    if principal is None or principal.email is None:
        return JSONResponse({"Login": "Failed"})
    response = JSONResponse("")
    sessions: Sessions = request.app.state.sessions
    response.set_cookie(COOKIE, sessions.issue(principal.email), httponly=True,
                        samesite="lax", max_age=int(sessions.lifetime.total_seconds()))  # fmt: skip
    return response


@spacetrack_router.get("/ajaxauth/logout")
def logout() -> Response:
    """End the session."""
    response = JSONResponse("Successfully logged out")
    response.delete_cookie(COOKIE)
    return response


@spacetrack_router.get("/{controller}/modeldef/class/{class_}")
def modeldef(controller: str, class_: str, principal: SessionCaller) -> Any:
    """The fields of a request class, as clients validate predicates against them."""
    _controller(controller)
    return spacetrack.modeldef(class_)


@spacetrack_router.get("/{controller}/query/class/{class_}")
@spacetrack_router.get("/{controller}/query/class/{class_}/{path:path}")
def query(
    controller: str, class_: str, principal: SessionCaller, store: StoreDep, path: str = ""
) -> Response:
    """A query in Space-Track's language (see :mod:`accord.services.spacetrack`)."""
    _controller(controller)
    parsed = spacetrack.parse(class_, path)
    rows = spacetrack.run(store, parsed, principal)
    if not rows and parsed.format == "json" and not parsed.show_empty:
        return JSONResponse([])
    body, media_type = spacetrack.render(parsed, rows)
    return Response(body, media_type=media_type)


def _controller(name: str) -> None:
    if name not in ("basicspacedata", "expandedspacedata"):
        raise NotFoundError(f"no request controller {name!r}")


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the application on a store (opened from ``settings`` when not given)."""
    app = FastAPI(
        title="Accord",
        version=__version__,
        description="Cooperative space situational awareness: the shared catalogue, "
        "conjunctions and federation, under each partner's agreements.",
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
        },
    )
    app.state.store = store or open_store(settings)
    app.state.sessions = Sessions.for_home(app.state.store.settings.home)
    settings_in_force = app.state.store.settings
    quota = Quota(settings_in_force.api_quota, settings_in_force.api_quota_window_s)

    @app.middleware("http")
    async def enforce_quota(request: Request, call_next: Any) -> Any:
        """Per-caller quota: the API key, the session cookie or the client address."""
        bearer = request.headers.get("authorization")
        session = request.cookies.get(COOKIE)
        user = app.state.sessions.email_of(session) if session else None
        if bearer:
            key = "k:" + hashlib.sha256(bearer.encode()).hexdigest()
        elif user:
            key = "u:" + user  # one quota per user, however many sessions
        else:
            key = "a:" + (request.client.host if request.client else "?")
        wait = quota.admit(key)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            response = _error(429, "quota_exceeded",
                              f"over {quota.limit} requests per {quota.window:g} s; "
                              f"retry in {seconds} s")  # fmt: skip
            response.headers["Retry-After"] = str(seconds)
            return response
        return await call_next(request)

    @app.exception_handler(AccordError)
    async def accord_error(_: Request, exc: AccordError) -> JSONResponse:
        for kind, (status, code) in _STATUS.items():
            if isinstance(exc, kind):
                return _error(status, code, str(exc))
        return _error(500, "internal", "internal error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, "invalid_parameter", f"{where}: {first.get('msg', 'invalid')}")

    app.include_router(router)
    app.include_router(spacetrack_router)
    return app


def _with_etag(request: Request, response: Response, body: dict[str, Any]) -> Any:
    """Set a strong ETag over the body; answer 304 when the client already has it."""
    text = json.dumps(body, sort_keys=True, default=str)
    tag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return body


class Quota:
    """A sliding-window request quota per caller: at most ``limit`` requests in any
    ``window`` seconds; over it, the number of seconds until the oldest request leaves the
    window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, now: float | None = None) -> float | None:
        """Count a request; return None if admitted, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.window - now
            seen.append(now)
            return None
