"""Partners, users, keys and agreements: the federation's administration.

Each change is written with its ledger entry in one transaction.  Agreements are read back
as :class:`accord.policy.model.Agreement` for the policy's decisions; their ledger digest
covers a canonical JSON document of their terms (:func:`agreement_document`), which the
ledger verification recomputes from the stored row, so altering an agreement's terms in the
database breaks the chain's verification.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from accord.errors import InvalidRequestError, NotFoundError
from accord.policy.model import (
    Agreement,
    DataClass,
    Grant,
    ObjectScope,
    PartnerKind,
    Principal,
    Releasability,
    Role,
)
from accord.policy.trust import api_key_hash, hash_password, new_api_key, new_key_pair
from accord.services import audit
from accord.services.store import Store, utcnow

__all__ = ["Agreement", "NotFoundError", "Store", "utcnow"]
from accord.storage import repositories as repo
from accord.storage.tables import agreements, api_keys, partners, users

KEY_SCOPES = ("read", "submit", "admin")


@dataclass(frozen=True)
class NewPartner:
    """A partner just created, with its signing key's private half (shown once)."""

    code: str
    private_key_pem: bytes
    public_key_hex: str


def add_partner(
    store: Store,
    code: str,
    name: str,
    *,
    kind: str = "agency",
    country: str | None = None,
    releasability: str = "agreement",
    actor: str = "admin",
) -> NewPartner:
    """Create a partner and its Ed25519 signing key pair; only the public key is kept."""
    code = code.strip().upper()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidRequestError(f"partner code {code!r}: 1-32 letters, digits, - or _")
    kind = _choice("kind", kind, PartnerKind)
    releasability = _choice("releasability", releasability, Releasability)
    pair = new_key_pair()
    now = utcnow()
    with store.engine.begin() as conn:
        if repo.partner_by_code(conn, code) is not None:
            raise InvalidRequestError(f"partner {code} already exists")
        partner_id = repo.add_partner(conn, code, name, kind, country, now)
        conn.execute(
            update(partners)
            .where(partners.c.id == partner_id)
            .values(default_releasability=releasability)
        )
        repo.add_partner_key(conn, partner_id, pair.public, now)
        document = {"code": code, "name": name, "kind": kind, "country": country,
                    "releasability": releasability}  # fmt: skip
        audit.record(conn, actor=actor, partner=code, action="partner.add",
                     subject=f"partner:{code}", data=_canonical(document), at=now)  # fmt: skip
        audit.record(conn, actor=actor, partner=code, action="key.partner.add",
                     subject=f"partner-key:{code}", data=pair.public, at=now)  # fmt: skip
    return NewPartner(code, pair.private_pem, pair.public.hex())


def list_partners(store: Store) -> list[dict[str, Any]]:
    """Every partner with its kind, country and default label."""
    with store.engine.connect() as conn:
        rows = repo.list_partners(conn)
    return [
        {
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "country": r.country,
            "releasability": r.default_releasability,
        }
        for r in rows
    ]


def add_user(
    store: Store,
    email: str,
    partner: str,
    role: str,
    *,
    password: str | None = None,
    actor: str = "admin",
) -> None:
    """Create a user of a partner with a role (and a password, hashed with Argon2id)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidRequestError(f"user {email!r}: expected an e-mail address")
    role = _choice("role", role, Role)
    with store.engine.begin() as conn:
        row = repo.partner_by_code(conn, partner.upper())
        if row is None:
            raise NotFoundError(f"no partner with code {partner!r}")
        if conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise InvalidRequestError(f"user {email} already exists")
        conn.execute(
            insert(users).values(
                email=email,
                partner_id=row.id,
                role=role,
                password_hash=hash_password(password) if password else None,
                created_at=utcnow(),
            )
        )
        document = _canonical({"email": email, "partner": row.code, "role": role})
        audit.record(conn, actor=actor, partner=row.code, action="user.add",
                     subject=f"user:{email}", data=document)  # fmt: skip


def create_key(store: Store, email: str, scopes: tuple[str, ...] = ("read",),
               *, actor: str = "admin") -> str:  # fmt: skip
    """Create an API key for a user; return it (it is stored only as its SHA-256)."""
    for scope in scopes:
        if scope not in KEY_SCOPES:
            raise InvalidRequestError(f"key scope {scope!r}: expected {', '.join(KEY_SCOPES)}")
    key = new_api_key()
    with store.engine.begin() as conn:
        user = _user(conn, email)
        conn.execute(
            insert(api_keys).values(
                user_id=user.id,
                key_sha256=api_key_hash(key),
                prefix=key[:12],
                scopes=list(scopes),
                created_at=utcnow(),
            )
        )
        audit.record(conn, actor=actor, partner=user.partner, action="key.create",
                     subject=f"api-key:{key[:12]}", data=api_key_hash(key).encode())  # fmt: skip
    return key


def revoke_key(store: Store, prefix: str, *, actor: str = "admin") -> None:
    """Revoke an API key, named by its first 12 characters (as listed)."""
    with store.engine.begin() as conn:
        row = conn.execute(
            select(api_keys, users.c.email, partners.c.code)
            .join(users, users.c.id == api_keys.c.user_id)
            .join(partners, partners.c.id == users.c.partner_id)
            .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
        ).first()
        if row is None:
            raise NotFoundError(f"no active API key {prefix!r}")
        now = utcnow()
        conn.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=now))
        audit.record(conn, actor=actor, partner=row.code, action="key.revoke",
                     subject=f"api-key:{prefix}", data=row.key_sha256.encode(), at=now)  # fmt: skip


def add_agreement(
    store: Store,
    provider: str,
    recipients: list[str],
    data: list[str],
    grant: str,
    *,
    scope: str | None = None,
    starts: datetime | None = None,
    expires: datetime | None = None,
    onward: bool = True,
    mediator: str | None = None,
    mover_rule: str | None = None,
    actor: str = "admin",
) -> int:
    """Record an agreement; ``grant`` is full, derived-only, none or delayed:DURATION
    (``6h``, ``3d``, ``90m``); ``mover_rule`` who moves when both parties' objects can
    (:data:`MOVER_RULES`, or ``partner:CODE``; None: the default).  Return its id."""
    kind, delay = parse_grant(grant)
    if mover_rule is not None:
        mover_rule = _mover_rule(mover_rule)
    classes = sorted({_choice("data class", d, DataClass) for d in data})
    object_scope = ObjectScope.parse(scope)
    now = utcnow()
    with store.engine.begin() as conn:
        row = repo.partner_by_code(conn, provider.upper())
        if row is None:
            raise NotFoundError(f"no partner with code {provider!r}")
        codes = sorted({r.upper() for r in recipients})
        named = [mover_rule.partition(":")[2]] if mover_rule and ":" in mover_rule else []
        for code in [*codes, *([mediator.upper()] if mediator else []), *named]:
            if repo.partner_by_code(conn, code) is None:
                raise NotFoundError(f"no partner with code {code!r}")
        values = {
            "provider_id": row.id,
            "recipients": codes,
            "data_classes": classes,
            "grant": kind.value,
            "delay_s": delay.total_seconds(),
            "object_scope": str(object_scope),
            "onward": int(onward),
            "mediator": mediator.upper() if mediator else None,
            "mover_rule": mover_rule,
            "starts_at": starts or now,
            "expires_at": expires,
            "created_at": now,
        }
        result = conn.execute(insert(agreements).values(**values))
        agreement_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        stored = _agreement_row(conn, agreement_id)
        audit.record(conn, actor=actor, partner=row.code, action="agreement.add",
                     subject=f"agreement:{agreement_id}", data=agreement_document(stored),
                     at=now)  # fmt: skip
    return agreement_id


def revoke_agreement(store: Store, agreement_id: int, *, actor: str = "admin") -> None:
    """Revoke an agreement now; reads that relied on it stop at once."""
    with store.engine.begin() as conn:
        row = _agreement_row(conn, agreement_id)
        if row.revoked_at is not None:
            raise InvalidRequestError(f"agreement {agreement_id} is already revoked")
        now = utcnow()
        conn.execute(
            update(agreements).where(agreements.c.id == agreement_id).values(revoked_at=now)
        )
        audit.record(conn, actor=actor, partner=row.provider, action="agreement.revoke",
                     subject=f"agreement:{agreement_id}:revoked",
                     data=_canonical({"id": agreement_id, "revoked_at": now.isoformat()}),
                     at=now)  # fmt: skip


def list_agreements(store: Store) -> list[Agreement]:
    """Every agreement (in force or not), as the policy sees them."""
    with store.engine.connect() as conn:
        return agreements_of(conn)


def agreements_of(conn: Connection) -> list[Agreement]:
    """Every agreement on an open connection, as policy records."""
    rows = conn.execute(_agreement_query().order_by(agreements.c.id))
    return [_policy_agreement(r) for r in rows]


def agreement_document(row: Row[Any]) -> bytes:
    """The canonical terms of an agreement row (everything but its revocation); the mover
    rule only where one is set, so that earlier agreements keep their digests."""
    rule = {"mover_rule": row.mover_rule} if row.mover_rule is not None else {}
    return _canonical(
        rule
        | {
            "id": row.id,
            "provider": row.provider,
            "recipients": sorted(row.recipients),
            "data": sorted(row.data_classes),
            "grant": row.grant,
            "delay_s": row.delay_s,
            "scope": row.object_scope,
            "onward": bool(row.onward),
            "mediator": row.mediator,
            "starts": row.starts_at.isoformat(),
            "expires": row.expires_at.isoformat() if row.expires_at else None,
        }
    )


def agreement_payload(conn: Connection, ident: str) -> bytes:
    """The bytes the ledger's ``agreement:ID`` (terms) and ``agreement:ID:revoked`` entries
    cover, recomputed from the stored row (empty when the row is gone)."""
    number, _, part = ident.partition(":")
    row = conn.execute(_agreement_query().where(agreements.c.id == int(number))).first()
    if row is None:
        return b""
    if part == "revoked":
        revoked = row.revoked_at.isoformat() if row.revoked_at else None
        return _canonical({"id": row.id, "revoked_at": revoked})
    return agreement_document(row)


# When both objects of a conjunction can manoeuvre: the object launched later moves (the
# newcomer adapts to what was there; the default), or the one launched earlier, or always
# the named partner's.
MOVER_RULES = ("newer-moves", "older-moves")


def _mover_rule(text: str) -> str:
    rule = text.strip().lower()
    kind, _, code = rule.partition(":")
    if rule in MOVER_RULES:
        return rule
    if kind == "partner" and code:
        return "partner:" + code.upper()
    raise InvalidRequestError(
        f"unknown mover rule {text!r}: expected {', '.join(MOVER_RULES)} or partner:CODE"
    )


def parse_grant(text: str) -> tuple[Grant, timedelta]:
    """``full``, ``derived-only``, ``none`` or ``delayed:DURATION`` -> grant and delay."""
    kind, _, duration = text.strip().lower().partition(":")
    if kind == "delayed":
        return Grant.DELAYED, parse_duration(duration)
    if duration:
        raise InvalidRequestError(f"grant {text!r}: only delayed takes a duration")
    return Grant(_choice("grant", kind, Grant)), timedelta(0)


def parse_duration(text: str) -> timedelta:
    """``90m``, ``6h``, ``3d`` or ``2w`` -> a duration."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units:
        raise InvalidRequestError(f"duration {text!r}: expected a number and s, m, h, d or w")
    try:
        value = float(text[:-1])
    except ValueError:
        raise InvalidRequestError(f"duration {text!r}: expected a number before the unit") from None
    if value <= 0:
        raise InvalidRequestError(f"duration {text!r}: must be positive")
    return timedelta(seconds=value * units[text[-1]])


def _agreement_query() -> Any:
    return select(agreements, partners.c.code.label("provider")).join(
        partners, partners.c.id == agreements.c.provider_id
    )


def _agreement_row(conn: Connection, agreement_id: int) -> Row[Any]:
    row = conn.execute(_agreement_query().where(agreements.c.id == agreement_id)).first()
    if row is None:
        raise NotFoundError(f"no agreement {agreement_id}")
    return row


def _policy_agreement(row: Row[Any]) -> Agreement:
    return Agreement(
        id=row.id,
        provider=row.provider,
        recipients=frozenset(row.recipients),
        data=frozenset(DataClass(d) for d in row.data_classes),
        grant=Grant(row.grant),
        starts=row.starts_at,
        scope=ObjectScope.parse(row.object_scope),
        delay=timedelta(seconds=row.delay_s),
        expires=row.expires_at,
        revoked=row.revoked_at,
        onward=bool(row.onward),
        mediator=row.mediator,
        mover_rule=row.mover_rule,
    )


def _user(conn: Connection, email: str) -> Row[Any]:
    row = conn.execute(
        select(users, partners.c.code.label("partner"))
        .join(partners, partners.c.id == users.c.partner_id)
        .where(users.c.email == email.strip().lower())
    ).first()
    if row is None:
        raise NotFoundError(f"no user {email!r}")
    return row


def _choice(what: str, value: str, enum: Any) -> str:
    try:
        return str(enum(value.strip().lower()).value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidRequestError(f"{what} {value!r}: expected one of {allowed}") from None


def _canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


# -- reads for the REST API ----------------------------------------------------------------


def partner_directory(store: Store) -> list[dict[str, Any]]:
    """Every partner (as :func:`list_partners`) with the Ed25519 public key it signs with
    (hex: the newest not revoked, or None)."""
    with store.engine.connect() as conn:
        keys = repo.partner_keys_in_force(conn)
    return [
        {**p, "public_key": keys[p["code"]][-1].hex() if keys.get(p["code"]) else None}
        for p in list_partners(store)
    ]


def agreements_for(store: Store, principal: Principal) -> list[Agreement]:
    """The agreements ``principal`` may read: all for an administrator, else those its
    partner provides, receives or mediates (as ``accord agreement list --as``)."""
    found = list_agreements(store)
    if principal.admin:
        return found
    mine = principal.partner
    return [a for a in found if mine in (a.provider, a.mediator) or mine in a.recipients]


def keys_of(store: Store, email: str) -> list[dict[str, Any]]:
    """A user's API keys: prefix, scopes, created, revoked (never the key or its hash)."""
    with store.engine.connect() as conn:
        rows = repo.api_keys_of_user(conn, email.strip().lower())
    return [{"prefix": r.prefix, "scopes": list(r.scopes), "created": r.created_at,
             "revoked": r.revoked_at} for r in rows]  # fmt: skip


def revoke_own_key(store: Store, email: str, prefix: str) -> None:
    """Revoke one of a user's own active API keys; another user's is missing
    (:class:`NotFoundError`), as a key that does not exist is."""
    with store.engine.connect() as conn:
        holder = repo.active_api_key_holder(conn, prefix)
    if holder is None or holder != email.strip().lower():
        raise NotFoundError(f"no active API key {prefix!r}")
    revoke_key(store, prefix, actor=email)
