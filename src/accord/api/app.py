"""The native REST API (``/api/v1``): FastAPI over the same services as the command line.

Every answer passes the policy: the caller is the holder of the bearer API key (none:
anonymous), and a record the caller may not see is a 404 like a missing one.  Errors share
one JSON shape: ``{"error": {"status": 404, "code": "not_found", "message": "..."}}``.
"""

from __future__ import annotations

import hashlib

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from accord import __version__
from accord.api import catalogue, coordination, federation, screening, spacetrack, submissions
from accord.api.alerts import lifespan as alerts_lifespan
from accord.api.alerts import router as alerts_router
from accord.api.deps import STATUS, ErrorResponse, error_response
from accord.api.quota import Quotas, request_class
from accord.api.spacetrack import COOKIE
from accord.errors import AccordError
from accord.services.access import Sessions
from accord.services.store import Store, connection_lost, open_store
from accord.settings import Settings


class QuotaMiddleware:
    """Per-caller quotas (the API key, the session's user or the client address), overall
    and per request class; a refusal is 429 with ``Retry-After``.  Plain ASGI, so an
    admitted request costs a header lookup and a count."""

    def __init__(self, app: ASGIApp, quotas: Quotas, sessions: Sessions) -> None:
        self.app, self.quotas, self.sessions = app, quotas, sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        bearer = headers.get("authorization")
        session = _cookie(headers.get("cookie"), COOKIE)
        user = self.sessions.email_of(session) if session else None
        if bearer:
            key = "k:" + hashlib.sha256(bearer.encode()).hexdigest()
        elif user:
            key = "u:" + user  # one quota per user, however many sessions
        else:
            client = scope.get("client")
            key = "a:" + (client[0] if client else "?")
        refusal = self.quotas.admit(key, request_class(scope["path"]))
        if refusal is None:
            await self.app(scope, receive, send)
            return
        seconds, what = refusal
        response = error_response(429, "quota_exceeded", f"over {what}; retry in {seconds} s")
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)


def _cookie(header: str | None, name: str) -> str | None:
    if not header or name not in header:
        return None
    value = cookie_parser(header).get(name)
    return value or None


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the application on a store (opened from ``settings`` when not given)."""
    app = FastAPI(
        title="Accord",
        version=__version__,
        description="Cooperative space situational awareness: the shared catalogue, "
        "conjunctions and federation, under each partner's agreements.",
        lifespan=alerts_lifespan,
        responses={
            400: {"model": ErrorResponse},
            401: {"model": ErrorResponse},
            404: {"model": ErrorResponse},
            409: {"model": ErrorResponse},
            422: {"model": ErrorResponse},
            429: {"model": ErrorResponse},
            503: {"model": ErrorResponse},
        },
    )
    app.state.store = store or open_store(settings)
    app.state.sessions = Sessions.for_home(app.state.store.settings.home)
    settings_in_force = app.state.store.settings
    quotas = Quotas(
        settings_in_force.api_quota,
        settings_in_force.api_quota_window_s,
        settings_in_force.api_class_quotas,
    )

    app.add_middleware(QuotaMiddleware, quotas=quotas, sessions=app.state.sessions)

    @app.exception_handler(AccordError)
    async def accorderror_response(_: Request, exc: AccordError) -> JSONResponse:
        for kind, (status, code) in STATUS.items():
            if isinstance(exc, kind):
                return error_response(status, code, str(exc))
        return error_response(500, "internal", "internal error")

    @app.exception_handler(DBAPIError)
    async def databaseerror_response(_: Request, exc: DBAPIError) -> JSONResponse:
        if not connection_lost(exc):
            raise exc
        response = error_response(503, "database_unavailable",
                                  "the database connection was lost; try again")  # fmt: skip
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(StarletteHTTPException)
    async def httperror_response(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        return response

    @app.exception_handler(RequestValidationError)
    async def validationerror_response(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "invalid_parameter", f"{where}: {first.get('msg', 'invalid')}")

    app.include_router(catalogue.router)
    app.include_router(spacetrack.router)
    app.include_router(screening.router)
    app.include_router(federation.router)
    app.include_router(submissions.router)
    app.include_router(alerts_router)
    app.include_router(coordination.router)
    return app
