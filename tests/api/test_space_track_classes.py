"""The Space-Track classes built on stored data (cdm_public, cdm, decay, tip, boxscore),
through the unmodified ``spacetrack`` client from PyPI against uvicorn on loopback, on SQLite
and PostgreSQL.

The world: LOCAL's demo catalogue screened for 6 h (four conjunctions, as in
tests/api/test_api_screening.py), the demo SATCAT and the real India SATCAT subset, and
Space-Track's real TIP messages (shared data).  DEU receives LOCAL's element sets of the first
and third pairs, their conjunction data and all object metadata; FRA the same element sets
but no conjunction data, and object metadata of Indian objects only; REC submits 66810 itself
and holds derived-only grants from LOCAL (element sets and conjunction data); ITA has no
agreement.  Expected values are read from the shared files and the stored run.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from spacetrack import SpaceTrackClient

from accord.api.app import create_app
from accord.formats.tle import load_tle
from accord.services import federation
from accord.services.access import principal_for
from accord.services.cdm_release import released_cdm
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes, ingest_file
from accord.services.screening import ScreeningResult, screen_catalogue
from accord.services.space_track_fields import BOXSCORE_FIELDS, CDM_PUBLIC_FIELDS, COVARIANCE
from accord.services.store import Store
from accord.storage import repositories as repo
from tests.served import Served

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
SATCAT = DEMO_DIR / "celestrak_satcat_2017-01_sample.csv"
INDIA = "satcat/celestrak_satcat_subset_india_owner_IND.csv"
TIP = "reentry/keeptrack_tip_messages.json"
PAIRS = [(51975, 65877), (48688, 66810), (57203, 62213), (59725, 62380)]
PASSWORD = "correct horse battery staple"
USERS = {"deu": ("DEU", "analyst"), "fra": ("FRA", "analyst"), "rec": ("REC", "operator"),
         "ita": ("ITA", "analyst"), "admin": ("ITA", "admin")}  # fmt: skip


def _object(norad: int) -> bytes:
    lines = DEMO.read_text().splitlines(True)
    for k in range(0, len(lines) - 2, 3):
        if lines[k + 1].startswith(f"1 {norad}U"):
            return "".join(lines[k : k + 3]).encode()
    raise AssertionError(norad)


@dataclass
class World:
    store: Store
    url: str
    result: ScreeningResult
    data: Path

    def client(self, user: str) -> SpaceTrackClient:
        return SpaceTrackClient(f"{user}@example.org", PASSWORD, base_url=self.url)

    def tip(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = json.loads((self.data / TIP).read_text())
        return rows


@pytest.fixture
def world(
    store: Store, shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the client's cache
    ingest_file(store, DEMO)
    ingest_file(store, SATCAT)
    ingest_file(store, shared_data / INDIA)
    assert ingest_file(store, shared_data / TIP).accepted == 100
    for code in ("DEU", "FRA", "REC", "ITA"):
        federation.add_partner(store, code, code)
    ingest_bytes(store, _object(66810), source="REC")
    scope = "51975,65877,57203,62213"
    federation.add_agreement(store, "LOCAL", ["DEU", "FRA"], ["element-sets"], "full", scope=scope)
    federation.add_agreement(store, "LOCAL", ["DEU"], ["conjunction-data", "object-metadata"],
                             "full")  # fmt: skip
    federation.add_agreement(store, "LOCAL", ["FRA"], ["object-metadata"], "full",
                             scope="owner:IND")  # fmt: skip
    federation.add_agreement(store, "LOCAL", ["REC"], ["element-sets", "conjunction-data"],
                             "derived-only")  # fmt: skip
    for user, (code, role) in USERS.items():
        federation.add_user(store, f"{user}@example.org", code, role, password=PASSWORD)
    result = screen_catalogue(store, window=timedelta(hours=6))
    assert [(c.object1, c.object2) for c in result.conjunctions] == PAIRS
    with Served(create_app(store=store)) as served:
        yield World(store, served.base + "/", result, shared_data)


def _pairs(rows: list[dict[str, str]]) -> list[tuple[int, int]]:
    return [(int(r["SAT_1_ID"]), int(r["SAT_2_ID"])) for r in rows]


def test_cdm_public(world: World) -> None:
    admin = world.client("admin")
    rows = admin.cdm_public(orderby="cdm_id")
    assert _pairs(rows) == PAIRS and list(rows[0]) == list(CDM_PUBLIC_FIELDS)
    with world.store.engine.connect() as conn:
        stored = repo.conjunctions_of(conn, world.result.run_id or 0)
        run = repo.screening_run(conn, world.result.run_id or 0)
    assert run is not None
    names = {es.norad_cat_id: es.object_name for es in load_tle(DEMO.read_text()).records}
    for row, c, kept in zip(rows, world.result.conjunctions, stored, strict=True):
        assert int(row["CDM_ID"]) == kept.id
        assert row["TCA"] == c.tca.isoformat(timespec="microseconds")
        assert row["CREATED"] == run.created_at.isoformat(timespec="microseconds")
        assert float(row["MIN_RNG"]) == c.miss_distance_km * 1000.0
        assert c.pc is not None and float(row["PC"]) == c.pc
        assert row["EMERGENCY_REPORTABLE"] == ("Y" if c.pc >= 1e-4 else "N")
        assert (row["SAT_1_NAME"], row["SAT_2_NAME"]) == (names[c.object1], names[c.object2])
        assert row["SAT_1_EXCL_VOL"] == row["SAT_2_EXCL_VOL"] == "5.00"
    # Predicates, ordering, limits and formats through the same machinery as gp.
    assert _pairs(admin.cdm_public(min_rng="<1000", orderby="tca")) == PAIRS[:2]
    assert _pairs(admin.cdm_public(sat_2_id="62213,62380", orderby="cdm_id desc")) == [
        PAIRS[3],
        PAIRS[2],
    ]
    highest = max(world.result.conjunctions, key=lambda c: c.pc or 0.0)
    (top,) = admin.cdm_public(orderby="pc desc", limit=1)
    assert int(top["SAT_1_ID"]) == highest.object1
    text = admin.cdm_public(format="csv", orderby="cdm_id")
    assert text.splitlines()[0] == ",".join(CDM_PUBLIC_FIELDS) and len(text.splitlines()) == 5
    xml = admin.cdm_public(sat_1_id=57203, format="xml")
    assert f"<CDM_ID>{stored[2].id}</CDM_ID>" in xml and "<SAT_2_ID>62213</SAT_2_ID>" in xml
    assert "<td>STARLINK-3674</td>" in admin.cdm_public(sat_1_id=51975, format="html")
    # Each partner sees the conjunctions whose both element sets it may see.
    assert _pairs(world.client("deu").cdm_public(orderby="cdm_id")) == [PAIRS[0], PAIRS[2]]
    assert _pairs(world.client("fra").cdm_public(orderby="cdm_id")) == [PAIRS[0], PAIRS[2]]
    assert world.client("rec").cdm_public() == []  # derived-only: not the public summary
    assert world.client("ita").cdm_public() == []


def test_expanded_cdm_needs_conjunction_data(world: World) -> None:
    run = world.result.run_id
    assert run is not None
    for user, pairs in (("deu", [PAIRS[0], PAIRS[2]]), ("rec", [PAIRS[1]]), ("admin", PAIRS)):
        rows = world.client(user).cdm(orderby="cdm_id")
        assert _pairs(rows) == pairs
        principal = principal_for(world.store, email=f"{user}@example.org")
        for row in rows:
            # The native API's CDM of the same conjunction, field for field.
            cdm = released_cdm(world.store, run, principal, conjunction_id=int(row["CDM_ID"]))
            assert row["MESSAGE_ID"] == cdm.message_id
            assert float(row["MISS_DISTANCE"]) == cdm.miss_distance_m
            assert float(row["RELATIVE_SPEED"]) == cdm.relative_speed_m_s
            assert row["COLLISION_PROBABILITY_METHOD"] == cdm.collision_probability_method
            for n, obj in ((1, cdm.object1), (2, cdm.object2)):
                assert row[f"SAT{n}_OBJECT_DESIGNATOR"] == obj.object_designator
                assert row[f"SAT{n}_REF_FRAME"] == obj.ref_frame == "GCRF"
                state = [float(row[f"SAT{n}_{k}"]) for k in ("X", "Y", "Z", "X_DOT", "Y_DOT",
                                                               "Z_DOT")]  # fmt: skip
                assert state == [*obj.r_km, *obj.v_km_s]
                terms = [v for line in obj.cov_rtn_si for v in line]
                assert [float(row[f"SAT{n}_{k}"]) for k in COVARIANCE] == terms
    one = world.client("admin").cdm(sat_1_id=48688, format="csv")
    assert one.splitlines()[0].startswith("CDM_ID,CREATED,") and "ACCORD-" in one
    # Element sets without a conjunction-data grant: none of the restricted records.
    assert world.client("fra").cdm() == []
    assert world.client("ita").cdm() == []
    with world.store.engine.connect() as conn:
        releases = [e for e in repo.ledger_entries(conn, action="release", partner="REC")]
    assert "spacetrack:cdm" in {e.subject for e in releases}


def test_cdm_only_under_expandedspacedata(world: World) -> None:
    with httpx.Client(base_url=world.url) as http:
        login = http.post("/ajaxauth/login", data={"identity": "deu@example.org",
                                                   "password": PASSWORD})  # fmt: skip
        assert login.status_code == 200
        for path in ("basicspacedata/query/class/cdm", "basicspacedata/modeldef/class/cdm"):
            answer = http.get(path)
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        model = http.get("expandedspacedata/modeldef/class/cdm").json()
        assert model["controller"] == "expandedspacedata"
        assert [f["Field"] for f in model["data"]][:16] == list(CDM_PUBLIC_FIELDS)
        assert http.get("expandedspacedata/query/class/cdm_public").status_code == 200
        refused = http.get("basicspacedata/query/class/tip/format/tle")
        assert refused.status_code == 400  # tle, 3le and kvn are for element sets


def test_tip(world: World) -> None:
    source = world.tip()
    by_id = sorted(source, key=lambda m: int(m["ID"]))
    admin = world.client("admin")
    assert admin.tip(orderby="id") == by_id  # Space-Track's values, string for string
    latest = max((m for m in source if m["NORAD_CAT_ID"] == "41461"),
                 key=lambda m: m["MSG_EPOCH"])  # fmt: skip
    assert admin.tip(norad_cat_id=41461, orderby="msg_epoch desc", limit=1) == [latest]
    late = [m["ID"] for m in by_id if m["DECAY_EPOCH"] > "2024-08-14"]
    assert [r["ID"] for r in admin.tip(decay_epoch=">2024-08-14", orderby="id")] == late
    final = sorted(int(m["ID"]) for m in source if m["NEXT_REPORT"] == "0")
    assert [int(r["ID"]) for r in admin.tip(next_report=0, orderby="id")] == final
    ascending = Counter(m["DIRECTION"] for m in source)["ascending"]
    assert len(admin.tip(direction="ascending")) == ascending
    xml = admin.tip(id=by_id[0]["ID"], format="xml")
    assert f"<DECAY_EPOCH>{by_id[0]['DECAY_EPOCH']}</DECAY_EPOCH>" in xml
    # Object metadata of LOCAL: DEU holds it for all objects, FRA for Indian ones only.
    assert world.client("deu").tip(orderby="id") == by_id
    assert world.client("fra").tip() == []
    assert world.client("ita").tip() == []
    with world.store.engine.connect() as conn:
        releases = list(repo.ledger_entries(conn, action="release", partner="DEU"))
    assert "tip-messages" in {e.subject for e in releases}


def _india(data: Path) -> list[dict[str, str]]:
    with (data / INDIA).open(newline="") as f:
        return list(csv.DictReader(f))


def _iso(us_date: str) -> str:
    return datetime.strptime(us_date, "%m/%d/%Y").date().isoformat()


def test_decay(world: World) -> None:
    admin = world.client("admin")
    source = world.tip()
    predicted = admin.decay(source="TIP_msg", orderby="norad_cat_id")
    assert len(predicted) == 22
    for row in predicted:
        messages = [m for m in source if m["NORAD_CAT_ID"] == row["NORAD_CAT_ID"]]
        last = max(messages, key=lambda m: m["MSG_EPOCH"])
        assert (row["MSG_EPOCH"], row["DECAY_EPOCH"]) == (last["MSG_EPOCH"], last["DECAY_EPOCH"])
        assert (row["MSG_TYPE"], row["PRECEDENCE"]) == ("Prediction", "2")
    decayed = {r["NORAD_CAT_ID"]: r for r in _india(world.data) if r["DECAY_DATE"]}
    historical = admin.decay(source="satcat", country="IND", orderby="norad_cat_id")
    assert [r["NORAD_CAT_ID"] for r in historical] == sorted(decayed, key=int)
    for row in historical:
        entry = decayed[row["NORAD_CAT_ID"]]
        assert row["DECAY_EPOCH"] == _iso(entry["DECAY_DATE"])
        assert (row["OBJECT_NAME"], row["INTLDES"]) == (entry["OBJECT_NAME"], entry["OBJECT_ID"])
        assert (row["MSG_TYPE"], row["PRECEDENCE"]) == ("Historical", "1")
    (aryabhata,) = admin.decay(norad_cat_id=7752)
    assert aryabhata["OBJECT_NAME"] == "ARYABHATA" and aryabhata["DECAY_EPOCH"] == "1992-02-11"
    before = [k for k, r in decayed.items() if _iso(r["DECAY_DATE"]) < "1990-01-01"]
    assert len(admin.decay(decay_epoch="<1990-01-01", source="satcat")) == len(before)
    # FRA holds the Indian objects' metadata, not LOCAL's TIP messages; ITA nothing.
    fra = world.client("fra").decay(orderby="norad_cat_id")
    assert fra == historical
    assert world.client("ita").decay() == []


def _boxscore(data: Path) -> dict[str, Counter[str]]:
    """The boxscore of the two SATCAT files, by owner (the later file wins per object)."""
    objects: dict[str, dict[str, str]] = {}
    with SATCAT.open(newline="") as f:
        objects.update((r["NORAD_CAT_ID"], r) for r in csv.DictReader(f))
    objects.update((r["NORAD_CAT_ID"], r) for r in _india(data))
    kinds = {"PAY": "PAYLOAD_COUNT", "R/B": "ROCKET_BODY_COUNT", "DEB": "DEBRIS_COUNT"}
    out: dict[str, Counter[str]] = {}
    for r in objects.values():
        tally = out.setdefault(r["OWNER"], Counter())
        state = "DECAYED" if r["DECAY_DATE"] else "ORBITAL"
        kind = kinds.get(r["OBJECT_TYPE"])
        if kind is not None:
            tally[f"{state}_{kind}"] += 1
        elif state == "ORBITAL":
            tally["ORBITAL_TBA"] += 1
        tally[f"{state}_TOTAL_COUNT"] += 1
        tally["COUNTRY_TOTAL"] += 1
    return out


def _counts(row: dict[str, str]) -> Counter[str]:
    return Counter({k: int(v) for k, v in row.items() if k not in ("COUNTRY", "SPADOC_CD")})


def test_boxscore(world: World) -> None:
    expected = _boxscore(world.data)
    admin = world.client("admin")
    rows = admin.boxscore(orderby="country")
    assert list(rows[0]) == list(BOXSCORE_FIELDS)
    by_owner = {r["COUNTRY"]: r for r in rows}
    assert set(by_owner) == set(expected) | {"TBD"}
    for owner, tally in expected.items():
        assert _counts(by_owner[owner]) == tally and by_owner[owner]["SPADOC_CD"] == owner
    # Objects known only from element sets and TIP messages have no owner or type.
    tle = {es.norad_cat_id for es in load_tle(DEMO.read_text()).records}
    tip = {int(m["NORAD_CAT_ID"]) for m in world.tip()}
    with SATCAT.open(newline="") as f:
        known = {int(r["NORAD_CAT_ID"]) for r in csv.DictReader(f)}
    known |= {int(r["NORAD_CAT_ID"]) for r in _india(world.data)}
    unowned = len((tle | tip) - known)
    assert _counts(by_owner["TBD"]) == Counter(
        ORBITAL_TBA=unowned, ORBITAL_TOTAL_COUNT=unowned, COUNTRY_TOTAL=unowned
    )
    (top,) = admin.boxscore(orderby="country_total desc", limit=1)
    assert top["COUNTRY"] == max(by_owner, key=lambda k: int(by_owner[k]["COUNTRY_TOTAL"]))
    assert [r["COUNTRY"] for r in admin.boxscore(decayed_debris_count=">0")] == ["IND"]
    # FRA: the Indian objects' metadata, and the four objects it sees element sets of.
    fra = {r["COUNTRY"]: r for r in world.client("fra").boxscore()}
    assert fra["IND"] == by_owner["IND"] and _counts(fra["TBD"])["ORBITAL_TBA"] == 4
    assert set(fra) == {"IND", "TBD"}
    assert world.client("ita").boxscore() == []


def test_tip_submitted_through_the_api(world: World) -> None:
    """A partner's own TIP messages, posted to /api/v1/submissions, are its to see; a bad
    record is reported with its line and field, the good ones kept."""
    messages = world.tip()[:3]
    messages[0] = {**messages[0], "ID": "990001", "NORAD_CAT_ID": "25544", "OBJECT_NUMBER": "25544"}
    messages[1] = {**messages[1], "ID": "990002", "INCL": "181"}
    messages[2] = {**messages[2], "ID": "990003"}
    key = federation.create_key(world.store, "ita@example.org", ("read", "submit"))
    posted = httpx.post(f"{world.url}api/v1/submissions?format=tip", content=json.dumps(messages),
                        headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert posted.status_code == 201
    body = posted.json()
    assert (body["format"], body["accepted"], body["rejected"]) == ("tip", 2, 1)
    (rejection,) = body["rejections"]
    assert (rejection["line"], rejection["field"]) == (1, "INCL")
    ita = world.client("ita").tip(orderby="id")
    assert [r["ID"] for r in ita] == ["990001", "990003"]  # its own, not LOCAL's
    assert ita[0]["NORAD_CAT_ID"] == "25544" and ita[1]["DECAY_EPOCH"] == messages[2]["DECAY_EPOCH"]
    assert {r["ID"] for r in world.client("deu").tip()} == {m["ID"] for m in world.tip()}
