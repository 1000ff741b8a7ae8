"""The unmodified ``spacetrack`` client from PyPI against Accord's Space-Track-compatible
API, served by uvicorn on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from spacetrack import AuthenticationError, SpaceTrackClient

from accord.api.app import create_app
from accord.formats.tle import load_tle
from accord.services import federation
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_file
from accord.services.store import Store
from tests.served import Served

NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
OLD = DEMO_DIR / "celestrak_active_2025-11-25_sample.txt"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # the client's cache
    ingest_file(store, OLD)
    ingest_file(store, NEW)  # the local partner's, labelled for agreements
    federation.add_partner(store, "DEU", "GSSAC")
    federation.add_partner(store, "ITA", "ASI")
    federation.add_user(store, "a@deu.example", "DEU", "analyst", password=PASSWORD)
    federation.add_user(store, "b@ita.example", "ITA", "analyst", password=PASSWORD)
    federation.add_agreement(store, "LOCAL", ["DEU"], ["element-sets"], "full",
                             scope="regime:leo")  # fmt: skip
    with Served(create_app(store=store)) as served:
        yield served.base + "/"


def _leo_numbers() -> set[int]:
    return {es.norad_cat_id for es in load_tle(NEW.read_text()).records if es.mean_motion > 6.4}


def test_client_queries(server: str) -> None:
    client = SpaceTrackClient("a@deu.example", PASSWORD, base_url=server)
    one = client.gp(norad_cat_id=25544)
    assert [r["NORAD_CAT_ID"] for r in one] == ["25544"]
    assert one[0]["OBJECT_NAME"] == "ISS (ZARYA)" and one[0]["TLE_LINE1"].startswith("1 25544U")
    everything = client.gp(orderby="norad_cat_id")
    numbers = [int(r["NORAD_CAT_ID"]) for r in everything]
    assert set(numbers) == _leo_numbers() and numbers == sorted(numbers)
    starlink = client.gp(object_name="~~STARLINK", orderby="norad_cat_id desc", limit=5)
    assert len(starlink) == 5 and all("STARLINK" in r["OBJECT_NAME"] for r in starlink)
    named = sorted((int(r["NORAD_CAT_ID"]) for r in everything if "STARLINK" in r["OBJECT_NAME"]),
                   reverse=True)  # fmt: skip
    assert [int(r["NORAD_CAT_ID"]) for r in starlink] == named[:5]
    recent = client.gp(epoch=">now-3650", norad_cat_id="25544,20580")
    assert {r["NORAD_CAT_ID"] for r in recent} == {"25544", "20580"}
    history = client.gp_history(norad_cat_id=25544, orderby="epoch asc")
    assert len(history) == 2 and history[0]["EPOCH"] < history[1]["EPOCH"]
    tle = client.gp(norad_cat_id=25544, format="tle")
    lines = tle.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("1 25544U")
    three = client.gp(norad_cat_id=25544, format="3le").strip().splitlines()
    assert three[0] == "0 ISS (ZARYA)" and three[1] == lines[0]
    csv_text = client.gp(norad_cat_id=25544, format="csv")
    assert csv_text.splitlines()[0].startswith("CCSDS_OMM_VERS,") and "25544" in csv_text
    xml = client.gp(norad_cat_id=25544, format="xml")
    assert "<NORAD_CAT_ID>25544</NORAD_CAT_ID>" in xml
    satcat = client.satcat(norad_cat_id=25544)
    assert satcat[0]["NORAD_CAT_ID"] == "25544"


def test_policy_and_login(server: str) -> None:
    ita = SpaceTrackClient("b@ita.example", PASSWORD, base_url=server)
    assert ita.gp(norad_cat_id=25544) == []  # no agreement: none of the restricted records
    assert json.loads(ita.gp(norad_cat_id=25544, format="json")) == []
    deu = SpaceTrackClient("a@deu.example", PASSWORD, base_url=server)
    geo = [int(r["NORAD_CAT_ID"]) for r in deu.gp(mean_motion="<1.2")]
    assert geo == []  # the agreement covers LEO only
    wrong = SpaceTrackClient("a@deu.example", "wrong", base_url=server)
    with pytest.raises(AuthenticationError):
        wrong.gp(norad_cat_id=25544)
