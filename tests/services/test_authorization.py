"""The authorization matrix over the catalogue's read paths, record by record, on SQLite and
PostgreSQL: who sees which element sets through current, show, history and export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from accord.errors import NotFoundError
from accord.formats.tle import load_tle
from accord.policy.decisions import decide
from accord.policy.model import (
    ANONYMOUS,
    DataClass,
    Principal,
    Record,
    Releasability,
    regime_of,
)
from accord.services import audit, catalogue, federation
from accord.services.access import principal_for
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes
from accord.services.propagation import propagate_object
from accord.services.store import Store, utcnow
from accord.storage.tables import element_sets

DEMO = (DEMO_DIR / "celestrak_active_2026-03-04_sample.txt").read_text().splitlines(True)


def _tle(names: list[str]) -> bytes:
    """The demo's 3LE records for these object names, as one submission."""
    out: list[str] = []
    for k in range(0, len(DEMO) - 2, 3):
        if DEMO[k].strip() in names:
            out += DEMO[k : k + 3]
    return "".join(out).encode()


# Provider FRA submits three labelled submissions; PUB is public, AGR for agreements, ORG
# originator-only.  Each holds distinct objects.
PUBLIC = ["ISS (ZARYA)"]
AGREEMENT = ["HST", "NOAA 20 (JPSS-1)", "NAVSTAR 43 (USA 132)"]
ORIGINATOR = ["TERRA", "AQUA"]


@pytest.fixture
def world(store: Store) -> dict[str, Principal]:
    for code, name in (("FRA", "CNES"), ("DEU", "GSSAC"), ("ITA", "ASI"), ("JPN", "JAXA"),
                       ("USA", "S&T"), ("GBR", "UKSA"), ("ESP", "S3TOC"), ("KOR", "KASA"),
                       ("CAN", "CSA")):  # fmt: skip
        federation.add_partner(store, code, name)
    for name, labels in ((PUBLIC, "public"), (AGREEMENT, "agreement"), (ORIGINATOR, "originator")):
        ingest_bytes(store, _tle(name), source="FRA", releasability=labels)
    later = utcnow() + timedelta(days=10)
    federation.add_agreement(store, "FRA", ["DEU"], ["element-sets"], "full")
    federation.add_agreement(store, "FRA", ["ITA"], ["conjunction-data", "element-sets"],
                             "derived-only")  # fmt: skip
    federation.add_agreement(store, "FRA", ["JPN"], ["element-sets"], "delayed:30d")
    federation.add_agreement(store, "FRA", ["USA"], ["element-sets"], "delayed:1s")
    federation.add_agreement(store, "FRA", ["GBR"], ["element-sets"], "full",
                             expires=utcnow() - timedelta(seconds=1),
                             starts=utcnow() - timedelta(days=1))  # fmt: skip
    federation.add_agreement(store, "FRA", ["KOR"], ["element-sets"], "full", scope="regime:meo")
    federation.add_agreement(store, "FRA", ["CAN"], ["element-sets"], "full", scope="20580")
    revoked = federation.add_agreement(store, "FRA", ["ESP"], ["element-sets"], "full")
    federation.revoke_agreement(store, revoked)
    del later
    users = {
        "deu": ("DEU", "analyst"), "ita": ("ITA", "analyst"), "jpn": ("JPN", "analyst"),
        "usa": ("USA", "analyst"), "gbr": ("GBR", "analyst"), "esp": ("ESP", "analyst"),
        "obs": ("DEU", "observer"), "fra": ("FRA", "operator"), "admin": ("LOCAL", "admin"),
        "none": ("LOCAL", "analyst"), "kor": ("KOR", "analyst"), "can": ("CAN", "analyst"),
    }  # fmt: skip
    for user, (partner, role) in users.items():
        federation.add_user(store, f"{user}@example.org", partner, role)
    # The delayed:1s grant needs the records to be older than a second.
    with store.engine.begin() as conn:
        conn.execute(update(element_sets).values(received_at=utcnow() - timedelta(minutes=1)))
    principals = {u: principal_for(store, email=f"{u}@example.org") for u in users}
    principals["anonymous"] = ANONYMOUS
    assert [len(_ids(names)) for names in (PUBLIC, AGREEMENT, ORIGINATOR)] == [1, 3, 2]
    return principals


def _ids(names: list[str]) -> set[int]:
    records = load_tle(_tle(names).decode()).records
    return {es.norad_cat_id for es in records}


EVERYTHING = PUBLIC + AGREEMENT + ORIGINATOR
EXPECTED = {
    "anonymous": PUBLIC,
    "none": PUBLIC,  # a partner with no agreement
    "deu": PUBLIC + AGREEMENT,  # full
    "obs": PUBLIC + AGREEMENT,  # an observer of the same partner
    "ita": PUBLIC,  # derived-only: never the orbit
    "jpn": PUBLIC,  # delayed, before the delay
    "usa": PUBLIC + AGREEMENT,  # delayed, after the delay
    "gbr": PUBLIC,  # expired
    "esp": PUBLIC,  # revoked
    "kor": [*PUBLIC, "NAVSTAR 43 (USA 132)"],  # scope: the MEO regime
    "can": [*PUBLIC, "HST"],  # scope: one catalogue number (20580)
    "fra": EVERYTHING,  # the provider itself
    "admin": EVERYTHING,
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_matrix(store: Store, world: dict[str, Principal], who: str) -> None:
    principal = world[who]
    allowed = _ids(EXPECTED[who])
    everything = _ids(EVERYTHING)
    # current catalogue
    current = catalogue.current_catalogue(store, principal=principal)
    assert {e.elements.norad_cat_id for e in current} == allowed
    # export
    exported = load_tle(catalogue.export(store, "3le", principal=principal)).records
    assert {es.norad_cat_id for es in exported} == allowed
    # show, history, metadata: record by record; denied = not found, as a missing object
    reads = {
        "show": lambda n: catalogue.current_entry(store, n, principal),
        "history": lambda n: catalogue.history(store, n, principal=principal),
        "metadata": lambda n: catalogue.object_metadata(store, n, principal),
    }
    for norad in everything:
        if norad in allowed:
            assert reads["show"](norad).elements.norad_cat_id == norad
            assert len(reads["history"](norad)) == 1
            assert reads["metadata"](norad)["norad_cat_id"] == norad
            continue
        for read in reads.values():
            with pytest.raises(NotFoundError) as denied:
                read(norad)
            with pytest.raises(NotFoundError) as missing:
                read(999_999)  # no such object
            assert str(denied.value).replace(str(norad), "N") == str(missing.value).replace(
                "999999", "N"
            )


def test_revocation_takes_effect_on_the_next_read(
    store: Store, world: dict[str, Principal]
) -> None:
    deu = world["deu"]
    assert len(catalogue.current_catalogue(store, principal=deu)) == len(_ids(PUBLIC + AGREEMENT))
    (first,) = [a for a in federation.list_agreements(store) if a.recipients == {"DEU"}]
    federation.revoke_agreement(store, first.id)
    assert len(catalogue.current_catalogue(store, principal=deu)) == len(_ids(PUBLIC))


def test_sql_and_policy_agree(store: Store, world: dict[str, Principal]) -> None:
    """The SQL filter and the policy's decision agree on every stored record."""
    agreements = federation.list_agreements(store)
    entries = catalogue.current_catalogue(store)
    labels = {**dict.fromkeys(_ids(PUBLIC), Releasability.PUBLIC),
              **dict.fromkeys(_ids(AGREEMENT), Releasability.AGREEMENT),
              **dict.fromkeys(_ids(ORIGINATOR), Releasability.ORIGINATOR)}  # fmt: skip
    for principal in world.values():
        current = catalogue.current_catalogue(store, principal=principal)
        seen = {e.elements.norad_cat_id for e in current}
        for e in entries:
            norad = e.elements.norad_cat_id
            regime = regime_of(1440.0 / e.elements.mean_motion, e.elements.eccentricity)
            record = Record(e.source, DataClass.ELEMENT_SETS, labels[norad], e.received_at, norad,
                            e.owner, regime)  # fmt: skip
            assert (norad in seen) is decide(principal, record, agreements, utcnow()).allowed


def test_releases_of_restricted_data_are_in_the_ledger(
    store: Store, world: dict[str, Principal]
) -> None:
    before = len(list(audit.log(store, action="release")))
    catalogue.current_catalogue(store, principal=world["anonymous"])  # public only
    catalogue.current_catalogue(store, principal=world["fra"])  # its own
    assert len(list(audit.log(store, action="release"))) == before
    catalogue.current_catalogue(store, principal=world["deu"])  # FRA's, under agreement
    (release,) = list(audit.log(store, action="release"))[before:]
    assert release.partner == "DEU" and release.actor == "deu@example.org"
    assert audit.verify(store) is None


@pytest.mark.parametrize("who", ["deu", "ita", "anonymous", "fra"])
def test_propagation_follows_the_policy(
    store: Store, world: dict[str, Principal], who: str
) -> None:
    start = utcnow()
    for norad in _ids(AGREEMENT):
        if norad in _ids(EXPECTED[who]):
            eph = propagate_object(store, norad, start, start + timedelta(minutes=10), 300.0,
                                   principal=world[who])  # fmt: skip
            assert len(eph.times) == 3
        else:
            with pytest.raises(NotFoundError):
                propagate_object(store, norad, start, start + timedelta(minutes=10), 300.0,
                                 principal=world[who])  # fmt: skip
