"""What every route of the API shares: the store and the caller as dependencies, the one
error shape, pagination bounds and ETags."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from accord.errors import (
    AccordError,
    ConflictError,
    ForbiddenError,
    FormatError,
    InvalidRequestError,
    NotFoundError,
)
from accord.services.access import Principal, principal_for
from accord.services.store import Store

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


STATUS = {
    NotFoundError: (404, "not_found"),
    InvalidRequestError: (400, "invalid_request"),
    FormatError: (400, "invalid_format"),
    ForbiddenError: (403, "forbidden"),
    ConflictError: (409, "conflict"),
    UnauthorizedError: (401, "unauthorized"),
}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    body = {"error": {"status": status, "code": code, "message": message}}
    return JSONResponse(body, status_code=status)


async def get_store(request: Request) -> Store:
    """The application's store (async: no worker thread for a lookup)."""
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


def with_etag(request: Request, response: Response, body: dict[str, Any]) -> Any:
    """Set a strong ETag over the body; answer 304 when the client already has it."""
    text = json.dumps(body, sort_keys=True, default=str)
    tag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return body
