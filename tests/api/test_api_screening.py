"""Screening runs over the REST API on real stores (SQLite and PostgreSQL): a real run on the
demo catalogue, its conjunctions as each partner may receive them, and their CDMs.

The demo catalogue (LOCAL's) screened for 6 h from its latest epoch has four conjunctions,
by TCA: 51975-65877 (0.96 km), 48688-66810 (0.46 km), 57203-62213 (2.4 km) and 59725-62380
(4.0 km).  DEU receives LOCAL's element sets of the first and third pairs in full; REC
submits 66810 itself and holds a derived-only grant from LOCAL, so it receives the second
pair's conjunction data and nothing else; ITA has no agreement.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.formats.cdm import load_cdm_kvn, load_cdm_xml
from accord.services import federation
from accord.services.access import principal_for
from accord.services.cdm import conjunction_cdms
from accord.services.conjunctions import conjunctions_for
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes, ingest_file
from accord.services.screening import ScreeningResult, screen_catalogue
from accord.services.store import Store
from accord.storage import repositories as repo

DEMO = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
XSD = "ccsds/beyond_pkg/xsd/ndmxml-1.0-master.xsd"
PAIRS = [(51975, 65877), (48688, 66810), (57203, 62213), (59725, 62380)]
USERS = {"deu": ("DEU", "analyst"), "rec": ("REC", "operator"), "ita": ("ITA", "analyst"),
         "admin": ("ITA", "admin")}  # fmt: skip


def _object(norad: int) -> bytes:
    lines = DEMO.read_text().splitlines(True)
    for k in range(0, len(lines) - 2, 3):
        if lines[k + 1].startswith(f"1 {norad}U"):
            return "".join(lines[k : k + 3]).encode()
    raise AssertionError(norad)


class Screened:
    """A store with one screening run, a client, and an API key per user."""

    def __init__(self, store: Store) -> None:
        ingest_file(store, DEMO)
        for code in ("DEU", "REC", "ITA"):
            federation.add_partner(store, code, code)
        ingest_bytes(store, _object(66810), source="REC")
        federation.add_agreement(store, "LOCAL", ["DEU"], ["element-sets"], "full",
                                 scope="51975,65877,57203,62213")  # fmt: skip
        federation.add_agreement(store, "LOCAL", ["REC"], ["element-sets"], "derived-only")
        self.keys = {}
        for user, (code, role) in USERS.items():
            federation.add_user(store, f"{user}@example.org", code, role)
            self.keys[user] = federation.create_key(store, f"{user}@example.org")
        self.result: ScreeningResult = screen_catalogue(store, window=timedelta(hours=6))
        assert self.result.run_id is not None
        self.run = self.result.run_id
        self.store = store
        self.client = TestClient(create_app(store=store))

    def get(self, path: str, user: str | None, **params: Any) -> Any:
        headers = {} if user is None else {"Authorization": f"Bearer {self.keys[user]}"}
        return self.client.get(path, headers=headers, params=params)


@pytest.fixture
def screened(store: Store) -> Screened:
    made = Screened(store)
    assert [(c.object1, c.object2) for c in made.result.conjunctions] == PAIRS
    return made


def test_runs_are_listed_paged_and_shown(screened: Screened) -> None:
    second = screen_catalogue(screened.store, window=timedelta(hours=3)).run_id
    first = screened.get("/api/v1/screening-runs", "deu", limit=1)
    assert first.status_code == 200 and first.headers["ETag"]
    (newest,) = first.json()["items"]
    assert newest["id"] == second and first.json()["next_cursor"] == str(second)
    rest = screened.get("/api/v1/screening-runs", "deu", limit=1, cursor=str(second)).json()
    assert [r["id"] for r in rest["items"]] == [screened.run] and rest["next_cursor"] is None
    run = screened.get(f"/api/v1/screening-runs/{screened.run}", "ita").json()
    assert run == rest["items"][0]
    assert run["window"]["duration_s"] == 6 * 3600.0 and run["threshold_km"] == 5.0
    assert run["window"]["start"] == screened.result.start.isoformat()
    assert (run["n_objects"], run["n_conjunctions"], run["status"]) == (378, 4, "complete")
    assert run["volume"] == "sphere" and set(run["timings_s"]) == {"initialise", "screen"}


def test_anonymous_and_missing(screened: Screened) -> None:
    for path in ("", f"/{screened.run}", f"/{screened.run}/conjunctions",
                 f"/{screened.run}/conjunctions/1/cdm"):  # fmt: skip
        answer = screened.get("/api/v1/screening-runs" + path, None)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    missing = screened.get("/api/v1/screening-runs/99999", "admin")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert screened.get("/api/v1/screening-runs/99999/conjunctions", "admin").status_code == 404
    assert screened.get("/api/v1/screening-runs/0", "admin").status_code == 422


@pytest.mark.parametrize(
    ("user", "pairs", "release"),
    [
        ("deu", [PAIRS[0], PAIRS[2]], "full"),
        ("rec", [PAIRS[1]], "derived"),
        ("ita", [], None),
        ("admin", PAIRS, "full"),
    ],
)
def test_conjunctions_are_those_the_caller_may_receive(
    screened: Screened, user: str, pairs: list[tuple[int, int]], release: str | None
) -> None:
    answer = screened.get(f"/api/v1/screening-runs/{screened.run}/conjunctions", user)
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(c["norad_cat_id_1"], c["norad_cat_id_2"]) for c in items] == pairs
    assert [c["index"] for c in items] == [PAIRS.index(p) + 1 for p in pairs]
    assert {c["release"] for c in items} <= {release}
    principal = principal_for(screened.store, email=f"{user}@example.org")
    _, stored = conjunctions_for(screened.store, screened.run, principal)
    assert [(c["id"], c["miss_distance_km"], c["pc"], c["state_1_teme"]) for c in items] == [
        (r.values["id"], r.values["miss_distance_km"], r.values["pc"], r.values["state_1_teme"])
        for r in stored
    ]
    for c, k in zip(items, [PAIRS.index(p) for p in pairs], strict=True):
        assert c["miss_distance_km"] == screened.result.conjunctions[k].miss_distance_km


def test_conjunction_filters_and_pages(screened: Screened) -> None:
    path = f"/api/v1/screening-runs/{screened.run}/conjunctions"

    def pairs(**params: Any) -> list[tuple[int, int]]:
        items = screened.get(path, "admin", **params).json()["items"]
        return [(c["norad_cat_id_1"], c["norad_cat_id_2"]) for c in items]

    assert pairs(max_miss_km=1.0) == [PAIRS[0], PAIRS[1]]
    assert pairs(min_pc=1e-5) == [PAIRS[1]]
    assert pairs(object=62213) == [PAIRS[2]]
    assert pairs(object=25544) == []
    assert screened.get(path, "deu", max_miss_km=1.0).json()["items"][0]["index"] == 1
    page = screened.get(path, "admin", limit=3).json()
    assert len(page["items"]) == 3 and page["next_cursor"] == "3"
    assert pairs(limit=3, cursor="3") == [PAIRS[3]]
    assert screened.get(path, "admin", min_pc=2).status_code == 422


def _cdm(screened: Screened, user: str, ref: str, fmt: str) -> Any:
    return screened.get(
        f"/api/v1/screening-runs/{screened.run}/conjunctions/{ref}/cdm", user, format=fmt
    )


def test_cdm_is_the_one_the_run_issues(screened: Screened, shared_data: Path) -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(shared_data / XSD)))
    with screened.store.engine.connect() as conn:
        run = repo.screening_run(conn, screened.run)
    assert run is not None
    issued = conjunction_cdms(screened.result, created=run.created_at)
    for user, index in (("deu", 1), ("deu", 3), ("rec", 2), ("admin", 4)):
        kvn = _cdm(screened, user, str(index), "kvn")
        assert kvn.status_code == 200 and kvn.headers["content-type"].startswith("text/plain")
        (from_kvn,) = load_cdm_kvn(kvn.text).records
        xml = _cdm(screened, user, str(index), "xml")
        assert xml.headers["content-type"].startswith("application/xml")
        schema.assertValid(etree.fromstring(xml.content))
        (from_xml,) = load_cdm_xml(xml.content).records
        # Built from the stored rows, it is the CDM the screening issued for the conjunction.
        assert from_kvn == from_xml == issued[index - 1]
        conjunction = screened.result.conjunctions[index - 1]
        assert from_kvn.tca == conjunction.tca
        assert from_kvn.miss_distance_m == conjunction.miss_distance_km * 1000.0
        objects = (from_kvn.object1.object_designator, from_kvn.object2.object_designator)
        assert objects == tuple(str(n) for n in PAIRS[index - 1])
        assert from_kvn.message_id == f"ACCORD-{screened.run}-{index}-{objects[0]}-{objects[1]}"
    as_json = _cdm(screened, "deu", "1", "json")
    assert as_json.headers["content-type"].startswith("application/json")
    body = as_json.json()
    assert body["message_id"] == issued[0].message_id
    assert body["miss_distance_m"] == issued[0].miss_distance_m
    assert body["tca"] == issued[0].tca.isoformat()
    assert body["object2"]["object_designator"] == "65877"


def test_cdm_by_stored_id(screened: Screened) -> None:
    items = screened.get(f"/api/v1/screening-runs/{screened.run}/conjunctions", "admin").json()
    third = items["items"][2]
    by_id = _cdm(screened, "deu", f"id-{third['id']}", "kvn")
    assert by_id.status_code == 200 and by_id.text == _cdm(screened, "deu", "3", "kvn").text


def test_cdm_not_received_is_missing(screened: Screened) -> None:
    def error(user: str, ref: str) -> dict[str, Any]:
        answer = _cdm(screened, user, ref, "kvn")
        assert answer.status_code == 404
        body: dict[str, Any] = answer.json()["error"]
        return {**body, "message": body["message"].replace(f"index {ref} ", "index N ")}

    missing = error("ita", "99")
    for user, ref in (("ita", "1"), ("ita", "2"), ("rec", "1"), ("deu", "2"), ("deu", "4")):
        assert error(user, ref) == missing
    assert _cdm(screened, "deu", "1", "pdf").status_code == 422


def test_an_ellipsoid_run_is_stored_and_its_cdms_carry_the_ellipsoid(
    screened: Screened, shared_data: Path
) -> None:
    """A run in NASA CARA's ellipsoids: stored as volume "cara", each conjunction with both
    objects' ellipsoids and distances, and its CDMs (served from the stored rows) with
    object 1's ellipsoid as SCREEN_VOLUME_X/Y/Z (RTN), valid against the XSD."""
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(shared_data / XSD)))
    result = screen_catalogue(screened.store, window=timedelta(hours=6), volume="cara")
    assert result.volume == "cara" and result.threshold_km == 51.0 and result.conjunctions
    run = screened.get(f"/api/v1/screening-runs/{result.run_id}", "admin").json()
    assert (run["volume"], run["threshold_km"]) == ("cara", 51.0)
    assert run["n_conjunctions"] == len(result.conjunctions)
    path = f"/api/v1/screening-runs/{result.run_id}/conjunctions"
    items = screened.get(path, "admin").json()["items"]
    assert [i["volume_rtn_km"] for i in items] == [
        [list(a) for a in c.volume_rtn_km or ()] for c in result.conjunctions
    ]
    assert [i["volume_distance"] for i in items] == [
        list(c.volume_distance or ()) for c in result.conjunctions
    ]
    with screened.store.engine.connect() as conn:
        stored = repo.screening_run(conn, int(result.run_id or 0))
    assert stored is not None
    issued = conjunction_cdms(result, created=stored.created_at)
    for index, conjunction in enumerate(result.conjunctions, start=1):
        xml = screened.get(f"{path}/{index}/cdm", "admin", format="xml")
        schema.assertValid(etree.fromstring(xml.content))
        (cdm,) = load_cdm_xml(xml.content).records
        assert cdm == issued[index - 1]
        assert (cdm.screen_volume_frame, cdm.screen_volume_shape) == ("RTN", "ELLIPSOID")
        assert conjunction.volume_rtn_km is not None
        axes_m = [1000.0 * a for a in conjunction.volume_rtn_km[0]]
        assert [cdm.screen_volume_x_m, cdm.screen_volume_y_m, cdm.screen_volume_z_m] == axes_m
        kvn = screened.get(f"{path}/{index}/cdm", "admin", format="kvn").text
        assert re.search(r"^SCREEN_VOLUME_SHAPE\s+= ELLIPSOID$", kvn, re.M)
        x = re.search(r"^SCREEN_VOLUME_X\s+= (\S+) \[m\]$", kvn, re.M)
        assert x is not None and float(x.group(1)) == axes_m[0]
