"""The ledger's chain, partner signatures, password hashes and API keys."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from accord.policy.trust import (
    GENESIS,
    Entry,
    api_key_hash,
    check_password,
    digest,
    hash_password,
    new_api_key,
    new_key_pair,
    sealed,
    sign,
    verify_chain,
    verify_signature,
)

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def world() -> tuple[list[Entry], dict[str, bytes], dict[str, list[bytes]], bytes]:
    """Four entries: two signed submissions by FRA and DEU, an agreement, a release."""
    fra, deu = new_key_pair(), new_key_pair()
    blobs = {
        "submission:1": b"ISS (ZARYA)\n1 25544U ...\n2 25544 ...\n",
        "submission:2": b"CCSDS_OMM_VERS = 3.0\n...",
        "agreement:1": b'{"provider":"FRA","recipients":["DEU"],"grant":"full"}',
        "release:1": b'{"to":"DEU","records":[1]}',
    }
    signer = {"submission:1": ("FRA", fra), "submission:2": ("DEU", deu)}
    entries: list[Entry] = []
    previous = GENESIS
    for seq, (subject, data) in enumerate(blobs.items(), start=1):
        partner, pair = signer.get(subject, ("FRA", None))
        entry = sealed(
            Entry(
                seq=seq,
                at=T0 + timedelta(minutes=seq),
                actor="ops@fra.example",
                partner=partner,
                action=subject.split(":")[0],
                subject=subject,
                digest=digest(data),
                signature=sign(pair.private_pem, data) if pair else None,
                previous=previous,
            )
        )
        entries.append(entry)
        previous = entry.hash
    keys = {"FRA": [fra.public], "DEU": [deu.public]}
    return entries, blobs, keys, fra.private_pem


def test_intact_chain_verifies(world: tuple) -> None:
    entries, blobs, keys, _ = world
    assert verify_chain(entries, lambda e: blobs[e.subject], keys) is None


@pytest.mark.parametrize("field", ["actor", "action", "subject", "digest", "partner"])
def test_altered_entry_is_named(world: tuple, field: str) -> None:
    entries, blobs, keys, _ = world
    altered = list(entries)
    altered[2] = dataclasses.replace(entries[2], **{field: "X"})
    broken = verify_chain(altered, lambda e: blobs.get(e.subject), keys)
    assert broken is not None and broken.seq == 3


def test_rehashed_entry_breaks_the_next(world: tuple) -> None:
    entries, blobs, keys, _ = world
    altered = list(entries)
    altered[1] = sealed(dataclasses.replace(entries[1], actor="someone else"))
    broken = verify_chain(altered, lambda e: blobs[e.subject], keys)
    assert broken is not None and broken.seq == 3
    assert "previous hash" in broken.reason


def test_removed_or_reordered_entries(world: tuple) -> None:
    entries, blobs, keys, _ = world
    assert verify_chain(entries[:1] + entries[2:], lambda e: blobs[e.subject], keys).seq == 3
    swapped = [entries[1], entries[0], *entries[2:]]
    assert verify_chain(swapped, lambda e: blobs[e.subject], keys).seq == 2


def test_altered_submission_bytes(world: tuple) -> None:
    entries, blobs, keys, _ = world
    changed = {**blobs, "submission:2": blobs["submission:2"].replace(b"3.0", b"2.0")}
    broken = verify_chain(entries, lambda e: changed[e.subject], keys)
    assert broken is not None and broken.seq == 2 and "altered" in broken.reason


def test_signature_by_another_partner_fails(world: tuple) -> None:
    entries, blobs, keys, _ = world
    broken = verify_chain(entries, lambda e: blobs[e.subject], {"FRA": keys["DEU"], **{}})
    assert broken is not None and broken.seq == 1 and "signature" in broken.reason


def test_signatures() -> None:
    pair = new_key_pair()
    signature = sign(pair.private_pem, b"payload")
    assert verify_signature(pair.public, b"payload", signature)
    assert not verify_signature(pair.public, b"payload!", signature)
    assert not verify_signature(new_key_pair().public, b"payload", signature)
    assert not verify_signature(pair.public, b"payload", "not base64 at all")


def test_passwords() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("argon2id$m=65536,t=3,p=4$")
    assert check_password("correct horse battery staple", stored)
    assert not check_password("correct horse battery stapler", stored)
    assert hash_password("same") != hash_password("same")  # salted
    assert not check_password("x", "garbage")


def test_api_keys() -> None:
    key = new_api_key()
    assert key.startswith("acc_") and len(key) == 47
    assert api_key_hash(key) == api_key_hash(key) != api_key_hash(new_api_key())
    assert len(api_key_hash(key)) == 64
