"""Who is asking, and what they may see: callers resolved to policy principals, and the
policy's visibility for a class of data at this moment (agreements read afresh on every
call, so that a revocation takes effect on the next read)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from accord.errors import NotFoundError
from accord.policy.decisions import Visibility, visibility
from accord.policy.model import DataClass, Principal, Role
from accord.policy.trust import api_key_hash
from accord.services.federation import agreements_of
from accord.services.store import Store, utcnow
from accord.storage.tables import api_keys, partners, users

__all__ = ["Principal", "principal_for", "view"]


def principal_for(
    store: Store, *, email: str | None = None, api_key: str | None = None
) -> Principal:
    """The principal of a user named by e-mail, or holding an API key (not revoked)."""
    query = select(users.c.email, users.c.role, users.c.disabled_at, partners.c.code).join(
        partners, partners.c.id == users.c.partner_id
    )
    if api_key is not None:
        query = query.join(api_keys, api_keys.c.user_id == users.c.id).where(
            api_keys.c.key_sha256 == api_key_hash(api_key), api_keys.c.revoked_at.is_(None)
        )
    elif email is not None:
        query = query.where(users.c.email == email.strip().lower())
    else:
        raise ValueError("principal_for needs an e-mail or an API key")
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.disabled_at is not None:
        raise NotFoundError("no such user, or the key is unknown or revoked")
    return Principal(row.code, Role(row.role), row.email)


def view(conn: Connection, principal: Principal | None, data: DataClass) -> Visibility | None:
    """What ``principal`` may see of ``data`` now (None: the local operator, unrestricted)."""
    if principal is None:
        return None
    return visibility(principal, data, agreements_of(conn), utcnow())
