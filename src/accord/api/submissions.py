"""Submission routes of ``/api/v1``: a partner's user submits a file (the raw request body,
in any format ingest reads) for its partner; the caller's partner's submissions
(administrators: every partner's), newest first, and one with its rejected records.

The whole body is received before anything is stored: a client that disconnects mid-upload
leaves no trace, and a body over ``api_max_submission_bytes`` is refused with 413, by its
``Content-Length`` before it is read and by its length while it is read.  A submission the
caller may not read is a 404 like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from accord.api.deps import MAX_ID, MAX_PAGE, ErrorResponse, StoreDep, error_response
from accord.api.screening import Member
from accord.services import submissions as svc
from accord.services.continuous import after_submission
from accord.services.ingest import FORMATS, RELEASABILITY

router = APIRouter(prefix="/api/v1")


def _one_of(names: Iterable[str]) -> str:
    return "^(" + "|".join(names) + ")$"


FormatName = Annotated[str, Query(alias="format", pattern=_one_of(FORMATS))]
Label = Annotated[str | None, Query(pattern=_one_of(RELEASABILITY))]
# A file name as a person would give it: no control characters, as long as the store keeps.
FileName = Annotated[str | None, Query(pattern=r"^[^\x00-\x1f\x7f]{1,500}$")]
# An Ed25519 signature (64 bytes, RFC 8032) in base64.
Signature = Annotated[
    str | None, Header(alias="X-Accord-Signature", pattern=r"^[A-Za-z0-9+/]{86}==$")
]
PartnerCode = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class Rejection(BaseModel):
    """A rejected record: its line in the file (1-based), the field at fault, and why."""

    line: int | None
    field: str | None
    reason: str


class Submission(BaseModel):
    """A stored submission and what became of it: ``status`` ``complete``, or ``rejected``
    as a whole (unreadable, or a signature that does not verify) with the ``reason``."""

    id: int
    partner: str
    received: datetime
    filename: str | None
    format: str = Field(description="The format read (auto: the one detected).")
    size_bytes: int
    sha256: str
    status: str
    reason: str | None
    releasability: str
    signed: bool
    records: int
    accepted: int
    duplicates: int
    rejected: int
    rejections: list[Rejection] = Field(
        default_factory=list, description="The rejected records (one submission only)."
    )


class SubmissionPage(BaseModel):
    """A page of submissions and the cursor of the next one (None: the last page)."""

    items: list[Submission]
    next_cursor: str | None = None


_FILE = {
    "requestBody": {
        "required": True,
        "description": "The file, as is: TLE/3LE, CCSDS OMM (KVN, XML, JSON, CSV) or SATCAT "
        "CSV, gzip-compressed or not.",
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "An observer (read only)."},
    413: {"model": ErrorResponse, "description": "Over api_max_submission_bytes."},
}


async def whole_body(request: Request, limit: int) -> bytes | None:
    """The whole request body, or None when it is over ``limit`` bytes (declared or
    received); :class:`ClientDisconnect` when the client leaves before its end."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            return None
    return bytes(received)


@router.post(
    "/submissions",
    status_code=201,
    response_model=Submission,
    responses=_REFUSALS,
    openapi_extra=_FILE,
    tags=["submissions"],
)
async def submit(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    principal: Member,
    store: StoreDep,
    fmt: FormatName = "auto",
    filename: FileName = None,
    releasability: Label = None,
    signature: Signature = None,
) -> Any:
    """Submit a file for the caller's partner: its good records are stored, its bad ones
    kept with their line and reason; ``X-Accord-Signature``: the partner's Ed25519
    signature over the body (base64), checked against the partner's keys.  The answer
    (201, ``Location``) is the submission as stored; then the pairs its element sets touch
    are re-screened (continuous screening) and the partners concerned alerted."""
    svc.check_may_submit(principal)  # before receiving what would be refused
    limit = store.settings.api_max_submission_bytes
    try:
        data = await whole_body(request, limit)
    except ClientDisconnect:  # nobody to answer; nothing was stored
        return error_response(400, "client_disconnected", "the body ended early")
    if data is None:
        return error_response(413, "too_large", f"a submission is at most {limit} bytes")
    stored = await run_in_threadpool(
        svc.submit, store, principal, data, fmt=fmt, filename=filename,
        releasability=releasability, signature=signature,
    )  # fmt: skip
    response.headers["Location"] = f"{router.prefix}/submissions/{stored.id}"
    if stored.accepted:  # re-screen what it touched, once the answer has gone
        background.add_task(after_submission, store, stored.id)
    return stored.to_dict()


@router.get("/submissions", response_model=SubmissionPage, tags=["submissions"])
def list_submissions(
    principal: Member,
    store: StoreDep,
    partner: PartnerCode = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """The caller's partner's submissions (administrators: every partner's, or
    ``partner``'s), newest first, without their rejections (``cursor``: the last id of the
    previous page)."""
    found = svc.submissions_for(
        store, principal, before=int(cursor) if cursor else None, limit=limit + 1,
        partner=partner.upper() if partner else None,
    )  # fmt: skip
    more = len(found) > limit
    return {
        "items": [s.to_dict() for s in found[:limit]],
        "next_cursor": str(found[limit - 1].id) if more else None,
    }


@router.get("/submissions/{submission_id}", response_model=Submission, tags=["submissions"])
def get_submission(
    submission_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: Member, store: StoreDep
) -> Any:
    """One submission of the caller's partner (administrators: any) with its rejected
    records in input order."""
    return svc.submission_for(store, principal, submission_id).to_dict()
