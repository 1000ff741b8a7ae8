"""The ledger on a real store (SQLite and PostgreSQL): signed submissions, verification,
tampering with any single row named, forged signatures rejected without loss."""

from __future__ import annotations

from sqlalchemy import select, update

from accord.policy.trust import new_key_pair, sign
from accord.services import audit
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo
from accord.storage.tables import element_sets, ledger, submission_contents

NEW = (DEMO_DIR / "celestrak_active_2026-03-04_sample.txt").read_bytes()
OLD = (DEMO_DIR / "celestrak_active_2025-11-25_sample.txt").read_bytes()


def _partner_with_key(store: Store, code: str) -> bytes:
    pair = new_key_pair()
    with store.engine.begin() as conn:
        partner_id = repo.add_partner(conn, code, f"Partner {code}", "agency", "FR", utcnow())
        repo.add_partner_key(conn, partner_id, pair.public, utcnow())
    return pair.private_pem


def _signed_store(store: Store) -> bytes:
    private = _partner_with_key(store, "FRA")
    ingest_bytes(store, NEW, filename="new.txt", source="FRA", signature=sign(private, NEW))
    ingest_bytes(store, OLD, filename="old.txt", source="FRA", signature=sign(private, OLD))
    ingest_bytes(store, OLD[:2000], filename="unsigned.txt")  # the local partner, no signature
    return private


def test_intact_store_verifies(store: Store) -> None:
    _signed_store(store)
    entries = list(audit.log(store))
    assert [e.action for e in entries] == ["submission"] * 3
    assert [e.subject for e in entries] == [f"submission:{k}" for k in (1, 2, 3)]
    assert entries[0].signature is not None and entries[2].signature is None
    assert audit.verify(store) is None
    assert [e.seq for e in audit.log(store, partner="FRA")] == [1, 2]


def test_altered_ledger_row_is_named(store: Store) -> None:
    _signed_store(store)
    with store.engine.begin() as conn:
        conn.execute(update(ledger).where(ledger.c.seq == 2).values(actor="someone else"))
    broken = audit.verify(store)
    assert broken is not None and broken.seq == 2 and "altered" in broken.reason


def test_altered_submission_is_named(store: Store) -> None:
    _signed_store(store)
    with store.engine.begin() as conn:
        contents = submission_contents.c
        raw = conn.execute(select(contents.raw).where(contents.submission_id == 1)).scalar_one()
        changed = bytes(raw).replace(b"ISS (ZARYA)", b"ISS (ZARYB)")
        conn.execute(
            update(submission_contents).where(contents.submission_id == 1).values(raw=changed)
        )
    broken = audit.verify(store)
    assert broken is not None and broken.seq == 1 and "submission:1 altered" in broken.reason


def test_forged_signature_is_rejected_and_recorded(store: Store) -> None:
    _signed_store(store)
    with store.engine.connect() as conn:
        before = conn.execute(select(element_sets.c.id)).all()
    forger = new_key_pair()
    summary = ingest_bytes(
        store, NEW, filename="forged.txt", source="FRA", signature=sign(forger.private_pem, NEW)
    )
    assert summary.rejected == 1 and summary.accepted == 0
    assert "signature does not verify" in summary.rejections[0].reason
    with store.engine.connect() as conn:
        row = repo.submission(conn, summary.submission_id)
        assert row is not None and row.status == "rejected"
        assert conn.execute(select(element_sets.c.id)).all() == before  # nothing else lost
    last = list(audit.log(store))[-1]
    assert last.action == "submission.rejected" and last.signature is None
    assert audit.verify(store) is None


def test_altered_element_set_is_named(store: Store) -> None:
    _signed_store(store)
    assert audit.verify(store) is None
    with store.engine.begin() as conn:
        target = conn.execute(
            select(element_sets.c.id).where(element_sets.c.submission_id == 2).limit(1)
        ).scalar_one()
        conn.execute(
            update(element_sets)
            .where(element_sets.c.id == target)
            .values(mean_motion=element_sets.c.mean_motion + 1e-6)
        )
    broken = audit.verify(store)
    assert broken is not None and broken.seq == 2
    assert broken.reason == f"element set {target} of submission:2 altered"
