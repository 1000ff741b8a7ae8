"""The catalogue's memo of stored element sets: a read after a change answers what the store
holds now (a newer element set, an object's new metadata), and the memo keeps its bound."""

from __future__ import annotations

from accord.services import spacetrack
from accord.services.catalogue import current_catalogue, whole_catalogue
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes, ingest_file
from accord.services.space_track_fields import GP_FIELDS
from accord.services.store import Memo, Store

OLD = DEMO_DIR / "celestrak_active_2025-11-25_sample.txt"
NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
SATCAT_HEADER = (
    "OBJECT_NAME,OBJECT_ID,NORAD_CAT_ID,OBJECT_TYPE,OPS_STATUS_CODE,OWNER,LAUNCH_DATE,"
    "LAUNCH_SITE,DECAY_DATE,PERIOD,INCLINATION,APOGEE,PERIGEE,RCS,DATA_STATUS_CODE,"
    "ORBIT_CENTER,ORBIT_TYPE\n"
)


def _gp(store: Store, norad: int) -> dict[str, str | None]:
    query = spacetrack.parse("gp", f"NORAD_CAT_ID/{norad}/format/json")
    rows = spacetrack.run(store, query, None)
    assert len(rows) == 1
    return {k: spacetrack._text(rows[0][k]) for k in GP_FIELDS}


def test_reads_follow_new_element_sets_and_metadata(store: Store) -> None:
    ingest_file(store, OLD)
    before = _gp(store, 25544)
    again = current_catalogue(store, [25544])
    assert current_catalogue(store, [25544])[0] is again[0]  # kept, not read again
    ingest_file(store, NEW)
    after = _gp(store, 25544)
    assert after["EPOCH"] is not None and before["EPOCH"] is not None
    assert after["EPOCH"] > before["EPOCH"] and after["GP_ID"] != before["GP_ID"]
    assert after["TLE_LINE1"] != before["TLE_LINE1"]
    assert after["OBJECT_TYPE"] is None and after["COUNTRY_CODE"] is None
    iss = "ISS (ZARYA),1998-067A,25544,PAY,+,ISS,1998-11-20,TYMSC,,92.9,51.6,423,418,399.1,,EA,ORB"
    satcat = SATCAT_HEADER + iss + "\n"
    summary = ingest_bytes(store, satcat.encode(), filename="satcat.csv", fmt="satcat")
    assert summary.accepted == 1, summary.to_dict()
    metadata = _gp(store, 25544)
    assert (metadata["OBJECT_TYPE"], metadata["COUNTRY_CODE"]) == ("PAYLOAD", "ISS")
    assert metadata["GP_ID"] == after["GP_ID"] and metadata["TLE_LINE1"] == after["TLE_LINE1"]


def test_memo_is_bounded() -> None:
    memo = Memo(10)
    for i in range(25):
        memo.put(i, str(i))
    assert len(memo) <= 10
    assert memo.get(24) == "24" and memo.get(0) is None


def test_the_whole_catalogue_is_kept_until_the_store_changes(store: Store) -> None:
    ingest_file(store, OLD)
    first = whole_catalogue(store)
    kept = whole_catalogue(store)
    assert [e.element_set_id for e in kept] == [e.element_set_id for e in first]
    assert kept[0] is first[0]  # from the memo
    epoch = {e.elements.norad_cat_id: e.elements.epoch for e in first}[25544]
    ingest_file(store, NEW)  # newer element sets: read again
    after = {e.elements.norad_cat_id: e for e in whole_catalogue(store)}
    assert after[25544].elements.epoch > epoch
    assert after[25544].object_type is None
    iss = "ISS (ZARYA),1998-067A,25544,PAY,+,ISS,1998-11-20,TYMSC,,92.9,51.6,423,418,399.1,,EA,ORB"
    ingest_bytes(store, (SATCAT_HEADER + iss + "\n").encode(), filename="satcat.csv")
    changed = {e.elements.norad_cat_id: e for e in whole_catalogue(store)}  # new metadata
    assert changed[25544].object_type == "PAY" and changed[25544].owner == "ISS"
    assert changed[25544].element_set_id == after[25544].element_set_id
