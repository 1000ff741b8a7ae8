"""The catalogue's memo of stored element sets: a read after a change answers what the store
holds now (a newer element set, an object's new metadata), and the memo keeps its bound."""

from __future__ import annotations

from accord.services import spacetrack
from accord.services.catalogue import current_catalogue
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
