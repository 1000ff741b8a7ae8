"""Partners, users, keys and agreements on a real store, each change in the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from accord.errors import InvalidRequestError, NotFoundError
from accord.policy.model import DataClass, Grant, Regime
from accord.policy.trust import api_key_hash, sign, verify_signature
from accord.services import audit, federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes
from accord.services.store import Store, utcnow
from accord.storage.tables import agreements, api_keys, users

NEW = (DEMO_DIR / "celestrak_active_2026-03-04_sample.txt").read_bytes()


def test_partners_users_keys_agreements(store: Store) -> None:
    fra = federation.add_partner(store, "fra", "CNES", kind="agency", country="FR")
    federation.add_partner(store, "DEU", "GSSAC", kind="nation", country="DE",
                           releasability="originator")  # fmt: skip
    assert {p["code"]: p["releasability"] for p in federation.list_partners(store)} == {
        "DEU": "originator",
        "FRA": "agreement",
        "LOCAL": "agreement",
    }
    # The partner signs with the private key it was given once.
    summary = ingest_bytes(store, NEW, source="FRA", signature=sign(fra.private_key_pem, NEW))
    assert summary.accepted > 0
    assert verify_signature(bytes.fromhex(fra.public_key_hex), NEW, sign(fra.private_key_pem, NEW))

    federation.add_user(store, "Analyst@DEU.example", "deu", "analyst", password="s3cret!")
    with store.engine.connect() as conn:
        stored = conn.execute(select(users.c.email, users.c.password_hash)).one()
    assert stored.email == "analyst@deu.example"
    assert stored.password_hash.startswith("argon2id$")
    key = federation.create_key(store, "analyst@deu.example", ("read",))
    with store.engine.connect() as conn:
        assert conn.execute(select(api_keys.c.key_sha256)).scalar_one() == api_key_hash(key)
    federation.revoke_key(store, key[:12])
    with pytest.raises(NotFoundError):
        federation.revoke_key(store, key[:12])

    number = federation.add_agreement(
        store, "FRA", ["DEU"], ["element-sets", "conjunction-data"], "delayed:6h",
        scope="25544;regime:leo", expires=utcnow() + timedelta(days=30),
    )  # fmt: skip
    (agreement,) = federation.list_agreements(store)
    assert agreement.id == number and agreement.grant is Grant.DELAYED
    assert agreement.delay == timedelta(hours=6)
    assert agreement.data == {DataClass.ELEMENT_SETS, DataClass.CONJUNCTION_DATA}
    assert agreement.scope.objects == {25544} and agreement.scope.regimes == {Regime.LEO}
    assert agreement.in_force(utcnow())
    federation.revoke_agreement(store, number)
    assert not federation.list_agreements(store)[0].in_force(utcnow())

    actions = [e.action for e in audit.log(store)]
    assert actions == [
        "partner.add", "key.partner.add", "partner.add", "key.partner.add", "submission",
        "user.add", "key.create", "key.revoke", "agreement.add", "agreement.revoke",
    ]  # fmt: skip
    assert audit.verify(store) is None

    # Altering the agreement's terms in the database breaks the ledger at its entry.
    with store.engine.begin() as conn:
        conn.execute(update(agreements).values(grant="full"))
    broken = audit.verify(store)
    assert broken is not None and broken.seq == 9 and "agreement:1 altered" in broken.reason


def test_bad_requests(store: Store) -> None:
    federation.add_partner(store, "FRA", "CNES")
    with pytest.raises(InvalidRequestError, match="already exists"):
        federation.add_partner(store, "FRA", "CNES again")
    with pytest.raises(InvalidRequestError, match="kind 'planet'"):
        federation.add_partner(store, "XX", "X", kind="planet")
    with pytest.raises(NotFoundError, match="no partner"):
        federation.add_user(store, "a@b.example", "NOPE", "analyst")
    with pytest.raises(InvalidRequestError, match="role 'boss'"):
        federation.add_user(store, "a@b.example", "FRA", "boss")
    with pytest.raises(InvalidRequestError, match="expected a number and s, m, h, d or w"):
        federation.add_agreement(store, "FRA", ["LOCAL"], ["element-sets"], "delayed:soon")
    with pytest.raises(InvalidRequestError, match="data class 'orbits'"):
        federation.add_agreement(store, "FRA", ["LOCAL"], ["orbits"], "full")
    with pytest.raises(NotFoundError, match="'MARS'"):
        federation.add_agreement(store, "FRA", ["MARS"], ["element-sets"], "full")
    assert federation.list_agreements(store) == []
    assert [e.action for e in audit.log(store)] == ["partner.add", "key.partner.add"]
