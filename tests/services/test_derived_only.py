"""Derived-only grants on a real store (SQLite and PostgreSQL): a partner receives the
conjunction data for its own satellite, never the other object's element sets.

The pair is real: STARLINK-2742 (48688) and STARLINK-36046 (66810) pass 0.46 km apart on
2026-03-04 in the demo catalogue's element sets.  FRA submits the first, ITA the second;
FRA grants ITA derived-only access to its element sets.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from accord.errors import NotFoundError
from accord.policy.model import ANONYMOUS
from accord.services import audit, catalogue, federation
from accord.services.access import principal_for
from accord.services.conjunctions import conjunctions_for
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes
from accord.services.screening import screen_catalogue
from accord.services.store import Store, utcnow
from accord.storage.tables import element_sets

LINES = (DEMO_DIR / "celestrak_active_2026-03-04_sample.txt").read_text().splitlines(True)


def _object(norad: int) -> bytes:
    for k in range(0, len(LINES) - 2, 3):
        if LINES[k + 1].startswith(f"1 {norad}U"):
            return "".join(LINES[k : k + 3]).encode()
    raise AssertionError(norad)


@pytest.fixture
def run(store: Store) -> int:
    for code in ("FRA", "ITA", "DEU", "JPN"):
        federation.add_partner(store, code, code)
    ingest_bytes(store, _object(48688), source="FRA")
    ingest_bytes(store, _object(66810), source="ITA")
    federation.add_agreement(store, "FRA", ["ITA"], ["element-sets"], "derived-only")
    federation.add_agreement(store, "FRA", ["JPN"], ["element-sets"], "derived-only")
    for user, code in (("ita", "ITA"), ("deu", "DEU"), ("jpn", "JPN"), ("fra", "FRA")):
        federation.add_user(store, f"{user}@example.org", code, "operator")
    result = screen_catalogue(store, window=timedelta(hours=12))
    assert {(c.object1, c.object2) for c in result.conjunctions} == {(48688, 66810)}
    assert min(c.miss_distance_km for c in result.conjunctions) < 1.0
    assert result.run_id is not None
    return result.run_id


def test_derived_only_receives_conjunction_data_for_its_own_asset(store: Store, run: int) -> None:
    ita = principal_for(store, email="ita@example.org")
    run_id, released = conjunctions_for(store, run, ita)
    assert run_id == run and len(released) == len(conjunctions_for(store, run)[1]) > 0
    assert {c.release for c in released} == {"derived"}
    assert min(c.values["miss_distance_km"] for c in released) < 1.0
    assert all(len(c.values["state_1_teme"]) == 6 for c in released)  # the states at TCA
    # ... and never FRA's element sets, by any read.
    with pytest.raises(NotFoundError):
        catalogue.current_entry(store, 48688, ita)
    with pytest.raises(NotFoundError):
        catalogue.history(store, 48688, principal=ita)
    exported = catalogue.export(store, "3le", principal=ita)
    assert "1 66810U" in exported and "48688" not in exported
    assert [e.elements.norad_cat_id for e in catalogue.current_catalogue(store, principal=ita)] == [
        66810
    ]
    # The release is in the ledger, and the ledger verifies.
    (release,) = [e for e in audit.log(store, action="release")]
    assert release.partner == "ITA" and release.subject == f"run:{run}:conjunctions"
    assert audit.verify(store) is None


def test_others_receive_nothing(store: Store, run: int) -> None:
    # DEU has no agreement; JPN has derived-only too, but neither object is its own.
    for user in ("deu", "jpn"):
        principal = principal_for(store, email=f"{user}@example.org")
        assert conjunctions_for(store, run, principal)[1] == []
    # FRA sees its own element set but not ITA's: nothing either.
    assert conjunctions_for(store, run, principal_for(store, email="fra@example.org"))[1] == []
    # The local operator sees everything.
    assert len(conjunctions_for(store, run)[1]) > 0


GRANTS = {
    # grant, agreement terms -> how REC receives the conjunctions of its own satellite
    "full": ("full", {}, "full"),
    "derived-only": ("derived-only", {}, "derived"),
    "delayed, before": ("delayed:30d", {}, None),
    "delayed, after": ("delayed:1s", {}, "full"),
    "expired": ("full", {"expires": -1}, None),
    "revoked": ("full", {"revoke": True}, None),
    "none": ("none", {}, None),
}


@pytest.mark.parametrize("case", sorted(GRANTS))
def test_conjunction_matrix(store: Store, case: str) -> None:
    """REC owns STARLINK-36046 (it submits its element sets); FRA provides STARLINK-2742
    under each grant; who receives their conjunctions, and how."""
    grant, terms, expected = GRANTS[case]
    for code in ("FRA", "REC", "OTH"):
        federation.add_partner(store, code, code)
    ingest_bytes(store, _object(48688), source="FRA")
    ingest_bytes(store, _object(66810), source="REC")
    expires = utcnow() + timedelta(seconds=terms["expires"]) if "expires" in terms else None
    starts = utcnow() - timedelta(days=1)
    number = federation.add_agreement(
        store, "FRA", ["REC"], ["element-sets"], grant, starts=starts, expires=expires
    )
    if terms.get("revoke"):
        federation.revoke_agreement(store, number)
    with store.engine.begin() as conn:  # the delay of 1 s has passed for every record
        conn.execute(update(element_sets).values(received_at=utcnow() - timedelta(minutes=1)))
    users = {"rec": ("REC", "operator"), "obs": ("REC", "observer"), "fra": ("FRA", "operator"),
             "oth": ("OTH", "analyst"), "admin": ("OTH", "admin")}  # fmt: skip
    for user, (code, role) in users.items():
        federation.add_user(store, f"{user}@example.org", code, role)
    run = screen_catalogue(store, window=timedelta(hours=12)).run_id
    total = len(conjunctions_for(store, run)[1])
    assert total > 0

    def received(user: str | None) -> set[str] | None:
        principal = None if user is None else principal_for(store, email=f"{user}@example.org")
        released = conjunctions_for(store, run, principal)[1]
        if not released:
            return None
        assert len(released) == total
        return {r.release for r in released}

    for user in ("rec", "obs"):  # the recipient and an observer of the same partner
        assert received(user) == (None if expected is None else {expected})
    assert received("fra") is None  # the provider: REC's element sets are not its to see
    assert received("oth") is None  # a partner with no agreement
    assert conjunctions_for(store, run, ANONYMOUS)[1] == []
    assert received("admin") == {"full"}
    assert received(None) == {"full"}
