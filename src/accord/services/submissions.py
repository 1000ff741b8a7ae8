"""Submissions made by a partner's users (the API's ``/submissions``): who may submit, the
submission as stored, and who may read it.

The rules are the command line's (``accord ingest --as``): any role but observer submits,
always for the user's own partner, and the ledger names the user; a user reads its own
partner's submissions, an administrator every partner's.  A submission the caller may not
read is missing (:class:`NotFoundError`), as one that does not exist is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from accord.errors import ForbiddenError, NotFoundError
from accord.policy.model import Principal, Role
from accord.services.ingest import RejectionInfo, ingest_bytes
from accord.services.store import Store
from accord.storage import repositories as repo


@dataclass(frozen=True)
class Submission:
    """One stored submission: where it came from, what it was, and what became of it
    (``status`` ``complete``, or ``rejected`` as a whole with the ``reason``; the records it
    held were accepted, duplicates or rejected, each rejection with its line and reason)."""

    id: int
    partner: str
    received: datetime
    filename: str | None
    format: str
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
    rejections: list[RejectionInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the submission as plain JSON-ready data."""
        return asdict(self)


def _submission(row: Row[Any], rejections: list[RejectionInfo] | None = None) -> Submission:
    return Submission(
        id=row.id, partner=row.partner_code, received=row.received_at, filename=row.filename,
        format=row.format, size_bytes=row.size_bytes, sha256=row.sha256, status=row.status,
        reason=row.reason, releasability=row.releasability, signed=bool(row.signed),
        records=row.records, accepted=row.accepted, duplicates=row.duplicates,
        rejected=row.rejected, rejections=rejections or [],
    )  # fmt: skip


def check_may_submit(principal: Principal) -> None:
    """Refuse (:class:`ForbiddenError`) a caller who may not submit: anonymous, or an
    observer (read only)."""
    if principal.anonymous:
        raise ForbiddenError("submitting needs a user of a partner")
    if principal.role is Role.OBSERVER:
        raise ForbiddenError(f"{principal.email} is an observer: read only")
    if not principal.allows("submit"):
        raise ForbiddenError("this API key is not for submitting: create one with scope submit")


def submit(
    store: Store,
    principal: Principal,
    data: bytes,
    *,
    fmt: str = "auto",
    filename: str | None = None,
    releasability: str | None = None,
    signature: str | None = None,
) -> Submission:
    """Given the whole of a file a user submits, ingest it for the user's partner (the
    ledger's actor: the user) and return the submission as stored; see
    :func:`accord.services.ingest.ingest_bytes`."""
    check_may_submit(principal)
    summary = ingest_bytes(
        store, data, filename=filename, source=principal.partner, fmt=fmt,
        signature=signature, releasability=releasability, actor=principal.email,
    )  # fmt: skip
    assert summary.submission_id is not None  # ingest_bytes always stores the submission
    return submission_for(store, principal, summary.submission_id)


def _readable(principal: Principal, partner: str, fmt: str = "") -> bool:
    """Own submissions, and every one for an administrator but a hypothetical ephemeris
    (``oem:hypothetical``, ``ocm:hypothetical``): that is its owner's alone."""
    own = not principal.anonymous and partner == principal.partner
    return own or (principal.admin and not fmt.endswith(":hypothetical"))


def submissions_for(
    store: Store,
    principal: Principal,
    *,
    before: int | None = None,
    limit: int = 100,
    partner: str | None = None,
) -> list[Submission]:
    """Up to ``limit`` submissions ``principal`` may read, newest first, with ids below
    ``before``: its own partner's (an administrator: every partner's, or ``partner``'s);
    without their rejections."""
    if not principal.admin:
        if principal.anonymous or partner not in (None, principal.partner):
            return []  # another partner's submissions: none for this caller
        partner = principal.partner
    with store.engine.connect() as conn:
        rows = repo.submissions_before(conn, before, limit, partner)
    return [_submission(r) for r in rows if _readable(principal, r.partner_code, r.format)]


def submission_for(store: Store, principal: Principal, submission_id: int) -> Submission:
    """One submission ``principal`` may read, with its rejected records in input order."""
    with store.engine.connect() as conn:
        row = repo.submission_record(conn, submission_id)
        if row is None or not _readable(principal, row.partner_code, row.format):
            raise NotFoundError(f"no submission {submission_id}")
        rejected = repo.rejections_of(conn, submission_id)
    return _submission(row, [RejectionInfo(r.line, r.field, r.reason) for r in rejected])
