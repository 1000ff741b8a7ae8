"""The Space-Track-compatible API on Space-Track's own paths: ``/ajaxauth/login`` and
``logout`` with a session cookie, ``modeldef`` and ``query`` under ``basicspacedata`` and
``expandedspacedata`` (the query language is :mod:`accord.services.spacetrack`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from accord.api.deps import StoreDep, UnauthorizedError
from accord.errors import NotFoundError
from accord.services import spacetrack
from accord.services.access import Principal, Sessions, authenticate, principal_for
from accord.services.space_track_classes import controllers_of

COOKIE = "chocolatechip"  # the session cookie's name at space-track.org
router = APIRouter(tags=["space-track"])


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


@router.post("/ajaxauth/login")
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


@router.get("/ajaxauth/logout")
def logout() -> Response:
    """End the session."""
    response = JSONResponse("Successfully logged out")
    response.delete_cookie(COOKIE)
    return response


@router.get("/{controller}/modeldef/class/{class_}")
def modeldef(controller: str, class_: str, principal: SessionCaller) -> Any:
    """The fields of a request class, as clients validate predicates against them."""
    _controller(controller, class_)
    return spacetrack.modeldef(class_)


@router.get("/{controller}/query/class/{class_}")
@router.get("/{controller}/query/class/{class_}/{path:path}")
async def query(
    request: Request, controller: str, class_: str, store: StoreDep, path: str = ""
) -> Response:
    """A query in Space-Track's language (see :mod:`accord.services.spacetrack`): the
    session's user, the policy and the rows read in one transaction.

    A query that names a few objects' current rows (:func:`spacetrack.is_small`) is
    answered at once when the pool has a connection to spare: it is a few indexed reads,
    and handing it to a worker thread and back costs more than the reads (with the threads
    and the event loop taking turns at the GIL).  Anything else runs on a worker thread."""
    _controller(controller, class_)
    parsed = spacetrack.parse(class_, path)

    def answer() -> Response:
        with store.transaction():
            principal = session_caller(request, store)
            rows = spacetrack.run(store, parsed, principal)
        if not rows and parsed.format == "json" and not parsed.show_empty:
            return JSONResponse([])
        body, media_type = spacetrack.render(parsed, rows)
        return Response(body, media_type=media_type)

    if spacetrack.is_small(parsed) and store.connection_free():
        return store.retrying(answer)
    return await run_in_threadpool(store.retrying, answer)


def _controller(name: str, class_: str) -> None:
    if name not in ("basicspacedata", "expandedspacedata"):
        raise NotFoundError(f"no request controller {name!r}")
    if name not in controllers_of(class_):  # cdm is expandedspacedata's only
        raise NotFoundError(f"no request class {class_!r} under {name}")
