"""Who is asking, and what they may see: callers resolved to policy principals, and the
policy's visibility for a class of data at this moment (agreements read afresh on every
call, so that a revocation takes effect on the next read)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection, select

from accord.errors import NotFoundError
from accord.policy.decisions import Visibility, visibility
from accord.policy.model import DataClass, Principal, Role
from accord.policy.trust import api_key_hash, check_password
from accord.services.federation import agreements_of
from accord.services.store import Store, utcnow
from accord.storage.tables import api_keys, partners, users

__all__ = ["Principal", "Sessions", "authenticate", "principal_for", "view"]


def principal_for(
    store: Store, *, email: str | None = None, api_key: str | None = None
) -> Principal:
    """The principal of a user named by e-mail, or holding an API key (not revoked)."""
    query = select(users.c.email, users.c.role, users.c.disabled_at, partners.c.code).join(
        partners, partners.c.id == users.c.partner_id
    )
    if api_key is not None:
        query = query.add_columns(api_keys.c.scopes)
        query = query.join(api_keys, api_keys.c.user_id == users.c.id).where(
            api_keys.c.key_sha256 == api_key_hash(api_key), api_keys.c.revoked_at.is_(None)
        )
    elif email is not None:
        query = query.where(users.c.email == email.strip().lower())
    else:
        raise ValueError("principal_for needs an e-mail or an API key")
    with store.transaction() as conn:
        row = conn.execute(query).first()
    if row is None or row.disabled_at is not None:
        raise NotFoundError("no such user, or the key is unknown or revoked")
    scopes = frozenset(row.scopes) if api_key is not None else None
    return Principal(row.code, Role(row.role), row.email, scopes)


def view(conn: Connection, principal: Principal | None, data: DataClass) -> Visibility | None:
    """What ``principal`` may see of ``data`` now (None: the local operator, unrestricted)."""
    if principal is None:
        return None
    return visibility(principal, data, agreements_of(conn), utcnow())


def authenticate(store: Store, email: str, password: str) -> Principal | None:
    """The principal of a user whose password matches (Argon2id), or None."""
    with store.engine.connect() as conn:
        row = conn.execute(
            select(
                users.c.email,
                users.c.role,
                users.c.password_hash,
                users.c.disabled_at,
                partners.c.code,
            )
            .join(partners, partners.c.id == users.c.partner_id)
            .where(users.c.email == email.strip().lower())
        ).first()
    if row is None or row.disabled_at is not None or not row.password_hash:
        return None
    if not check_password(password, row.password_hash):
        return None
    return Principal(row.code, Role(row.role), row.email)


class Sessions:
    """Signed session tokens (HMAC-SHA256 with a key kept in the store's home): stateless,
    so every server worker accepts them; they expire after ``lifetime``."""

    def __init__(self, key: bytes, lifetime: timedelta = timedelta(hours=2)) -> None:
        self.key = key
        self.lifetime = lifetime

    @classmethod
    def for_home(cls, home: Path) -> Sessions:
        """Sessions signed with ``home/session.key`` (created, mode 600, if missing)."""
        path = home / "session.key"
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            path.write_bytes(secrets.token_bytes(32))
            path.chmod(0o600)
        return cls(path.read_bytes())

    def issue(self, email: str) -> str:
        """A token for a user, valid for the lifetime."""
        expires = int((utcnow() + self.lifetime).timestamp())
        body = f"{email}|{expires}"
        mac = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()
        return base64.urlsafe_b64encode(f"{body}|{mac}".encode()).decode()

    def email_of(self, token: str) -> str | None:
        """The user a token names, or None if it is forged, malformed or expired."""
        try:
            email, expires, mac = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        except (ValueError, UnicodeDecodeError):
            return None
        expected = hmac.new(self.key, f"{email}|{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return None
        if int(expires) < utcnow().timestamp():
            return None
        return email
