"""Federation routes of ``/api/v1``: partners (public), the agreements the caller is a party
to, the caller's own API keys (listed by prefix, revoked), and the ledger (filtered, paged,
each partner's own entries; verification for administrators).

The role rules are the command line's: administrators read every agreement and the whole
ledger; other users read the agreements their partner provides, receives or mediates and
the entries that concern their partner.  A record the caller may not read is a 404 like a
missing one; verifying the ledger, an action whose existence is no secret, is a 403 for a
user who is not an administrator.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from accord.api.deps import MAX_ID, MAX_PAGE, ErrorResponse, Page, StoreDep
from accord.api.screening import Member
from accord.errors import ForbiddenError, InvalidRequestError, NotFoundError
from accord.policy.model import Agreement
from accord.services import audit
from accord.services import federation as svc

router = APIRouter(prefix="/api/v1")

PartnerCode = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Action = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9.-]{0,63}$")]


@router.get("/partners", tags=["federation"])
def list_partners(store: StoreDep) -> Any:
    """Every partner of the federation: code, name, kind, country, default label and the
    Ed25519 public key it signs submissions with (hex; the newest in force)."""
    return {"items": svc.partner_directory(store)}


def _agreement(a: Agreement, now: datetime) -> dict[str, Any]:
    return {
        "id": a.id,
        "provider": a.provider,
        "recipients": sorted(a.recipients),
        "data": sorted(d.value for d in a.data),
        "grant": a.grant.value,
        "delay_s": a.delay.total_seconds(),
        "objects": str(a.scope),
        "starts": a.starts,
        "expires": a.expires,
        "revoked": a.revoked,
        "onward": a.onward,
        "mediator": a.mediator,
        "mover_rule": a.mover_rule,
        "in_force": a.in_force(now),
    }


@router.get("/agreements", tags=["federation"])
def list_agreements(principal: Member, store: StoreDep) -> Any:
    """The agreements the caller's partner is a party to (administrators: all), in force
    or not."""
    now = svc.utcnow()
    return {"items": [_agreement(a, now) for a in svc.agreements_for(store, principal)]}


@router.get("/agreements/{agreement_id}", tags=["federation"])
def get_agreement(
    agreement_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: Member, store: StoreDep
) -> Any:
    """One agreement the caller's partner is a party to."""
    found = [a for a in svc.agreements_for(store, principal) if a.id == agreement_id]
    if not found:
        raise NotFoundError(f"no agreement {agreement_id}")
    return _agreement(found[0], svc.utcnow())


@router.get("/keys", tags=["federation"])
def list_keys(principal: Member, store: StoreDep) -> Any:
    """The caller's own API keys: prefix, scopes, created, revoked (never the key or its
    hash)."""
    assert principal.email is not None  # every user has one
    return {"items": svc.keys_of(store, principal.email)}


@router.delete("/keys/{prefix}", status_code=204, response_class=Response, tags=["federation"])
def revoke_key(
    prefix: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,12}$")],
    principal: Member,
    store: StoreDep,
) -> Response:
    """Revoke one of the caller's own active API keys, named by its prefix (another user's
    key is a 404, as a missing one is)."""
    assert principal.email is not None
    svc.revoke_own_key(store, principal.email, prefix)
    return Response(status_code=204)


def _utc(moment: datetime | None, name: str) -> datetime | None:
    """A naive UTC datetime (as the store keeps them) from a naive or zoned one."""
    if moment is None or moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        raise InvalidRequestError(f"{name}: {moment.isoformat()} is out of range") from None


@router.get("/audit", response_model=Page, tags=["federation"])
def list_audit(
    principal: Member,
    store: StoreDep,
    partner: PartnerCode = None,
    action: Action = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    cursor: Annotated[str | None, Query(pattern=r"^\d{1,9}$")] = None,
) -> Any:
    """Ledger entries in order, filtered by partner, action (a prefix ending in ``.``
    matches a family), and time (``since`` inclusive, ``until`` exclusive, UTC); a user
    other than an administrator sees only its own partner's entries (``cursor``: the last
    sequence number of the previous page)."""
    entries = audit.entries_for(
        store, principal, after=int(cursor) if cursor else None, limit=limit + 1,
        partner=partner.upper() if partner else None, action=action,
        since=_utc(since, "since"), until=_utc(until, "until"),
    )  # fmt: skip
    more = len(entries) > limit
    return {
        "items": [dataclasses.asdict(e) for e in entries[:limit]],
        "next_cursor": str(entries[limit - 1].seq) if more else None,
    }


@router.get("/audit/verify", tags=["federation"], responses={403: {"model": ErrorResponse}})
def verify_audit(principal: Member, store: StoreDep) -> Any:
    """Recompute the ledger's chain, digests and signatures (administrators only); name the
    first broken entry."""
    if not principal.admin:
        raise ForbiddenError(f"{principal.email} is not an administrator")
    broken = audit.verify(store)
    count = sum(1 for _ in audit.log(store))
    return {
        "intact": broken is None,
        "entries": count,
        "broken": None if broken is None else dataclasses.asdict(broken),
    }
