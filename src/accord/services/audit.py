"""The ledger: appending what happened, verifying the chain, listing entries.

Every submission, agreement change, key change and release of restricted data is appended
in the same transaction as the change itself (:func:`record`), so the ledger and the store
cannot disagree.  :func:`verify` recomputes every hash, the link to the previous entry, the
digest of each subject's stored bytes and each submission's signature, and names the first
entry that fails (:mod:`accord.policy.trust`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row

from accord.errors import AccordError
from accord.formats.detect import load
from accord.policy.model import Principal
from accord.policy.trust import GENESIS, Break, Entry, digest, sealed, verify_chain
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    data: bytes,
    partner: str | None = None,
    signature: str | None = None,
    at: datetime | None = None,
) -> Entry:
    """Append an entry for ``action`` on ``subject`` (whose bytes are ``data``) in the
    caller's transaction; return it.  Two writers racing for the same sequence number
    collide on the primary key, and the loser's transaction fails whole."""
    tail = repo.ledger_tail(conn)
    entry = sealed(
        Entry(
            seq=1 if tail is None else tail.seq + 1,
            at=at or utcnow(),
            actor=actor,
            partner=partner,
            action=action,
            subject=subject,
            digest=digest(data),
            signature=signature,
            previous=GENESIS if tail is None else tail.hash,
        )
    )
    repo.add_ledger_entry(conn, **entry.__dict__)
    return entry


def _entry(row: Row[Any]) -> Entry:
    return Entry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        partner=row.partner,
        action=row.action,
        subject=row.subject,
        digest=row.digest,
        signature=row.signature,
        previous=row.previous,
        hash=row.hash,
    )


def verify(store: Store) -> Break | None:
    """Recompute the whole chain; return the first broken entry, or None if it holds."""
    with store.engine.connect() as conn:
        keys = repo.partner_public_keys(conn)

        def payload(entry: Entry) -> bytes | None:
            """The subject's bytes as stored now, where the store keeps the subject."""
            from accord.services.federation import agreement_payload

            kind, _, ident = entry.subject.partition(":")
            if kind == "submission" and ident.isdigit():
                raw = repo.submission_raw(conn, int(ident))
                return raw if raw is not None else b""  # a deleted submission breaks
            if kind == "agreement":
                return agreement_payload(conn, ident)
            if kind == "event" and entry.action.startswith("coordination."):
                from accord.services.coordination import step_payload

                return step_payload(conn, entry.seq) or b""  # a deleted step breaks
            return None

        def derived(entry: Entry, data: bytes) -> str | None:
            """The element sets stored from a submission must be records of its bytes."""
            kind, _, ident = entry.subject.partition(":")
            if kind != "submission" or entry.action != "submission" or not ident.isdigit():
                return None
            return _stored_records_match(conn, int(ident), data)

        entries = (_entry(row) for row in repo.ledger_entries(conn))
        return verify_chain(entries, payload, keys, derived)


def _stored_records_match(conn: Connection, submission_id: int, data: bytes) -> str | None:
    """Check every element set stored from a submission: its fields must hash to its stored
    content digest, and that digest must be one of the records parsed again from the
    submission's bytes.  Return why not, or None."""
    from accord.services.catalogue import entry_of_row
    from accord.services.ingest import content_digest, decode_submission

    rows = repo.element_sets_of_submission(conn, submission_id)
    if not rows:
        return None
    submission = repo.submission(conn, submission_id)
    assert submission is not None
    try:
        parsed = load(decode_submission(data), submission.format)
    except (AccordError, ValueError):
        return f"submission:{submission_id}: its bytes no longer parse"
    sent = {content_digest(p.record) for p in parsed.accepted}
    for row in rows:
        elements = entry_of_row(row).elements
        if content_digest(elements) != row.content_sha256 or row.content_sha256 not in sent:
            return f"element set {row.id} of submission:{submission_id} altered"
    return None


def log(
    store: Store,
    *,
    partner: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> Iterator[Entry]:
    """Yield ledger entries in order, filtered (see :func:`repo.ledger_entries`)."""
    with store.engine.connect() as conn:
        rows = repo.ledger_entries(
            conn, partner=partner, action=action, since=since, until=until, limit=limit
        )
        for row in rows:
            yield _entry(row)


def entries_for(
    store: Store,
    principal: Principal,
    *,
    after: int | None = None,
    limit: int = 100,
    partner: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Entry]:
    """Up to ``limit`` ledger entries after sequence number ``after``, filtered as
    :func:`log` filters them; a user other than an administrator reads only the entries
    that concern its own partner (as ``accord audit log --as``)."""
    if not principal.admin:
        if partner not in (None, principal.partner):
            return []  # another partner's entries: none for this caller
        partner = principal.partner
    with store.engine.connect() as conn:
        rows = repo.ledger_entries_after(
            conn, after, limit, partner=partner, action=action, since=since, until=until
        )
    return [_entry(row) for row in rows]
