"""SATCAT ingest: object metadata kept per object, updates counted, on both backends."""

from __future__ import annotations

from accord.services.catalogue import current_entry, object_metadata
from accord.services.demo import DEMO_DIR
from accord.services.ingest import ingest_bytes, ingest_file
from accord.services.store import Store

SATCAT = DEMO_DIR / "celestrak_satcat_2017-01_sample.csv"
TLE = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


def test_satcat_before_and_after_element_sets(store: Store) -> None:
    first = ingest_file(store, SATCAT)
    assert first.format == "satcat"
    assert (first.records, first.accepted, first.rejected) == (33, 33, 0)
    hst = object_metadata(store, 20580)
    assert (hst["object_name"], hst["owner"], hst["object_type"]) == ("HST", "US", "PAY")
    assert hst["launch_date"] == "1990-04-24" and hst["rcs_m2"] > 1
    # Element sets for objects that already have metadata, and for new ones.
    summary = ingest_file(store, TLE)
    assert summary.rejected == 0 and summary.accepted == summary.records
    assert current_entry(store, 20580).owner == "US"
    assert object_metadata(store, 20580)["launch_site"] == "AFETR"


def test_satcat_twice_is_all_duplicates_and_a_change_is_an_update(store: Store) -> None:
    ingest_file(store, SATCAT)
    again = ingest_file(store, SATCAT)
    assert (again.accepted, again.duplicates) == (0, 33)
    lines = SATCAT.read_text().splitlines()
    # CALSPHERE 1 changes owner; HST is sent again unchanged.
    assert lines[1].startswith("CALSPHERE 1,") and lines[2].startswith("HST,")
    text = "\n".join([lines[0], lines[1].replace(",US,", ",ESA,"), lines[2]]) + "\n"
    update = ingest_bytes(store, text.encode(), filename="u.csv")
    assert (update.accepted, update.duplicates) == (1, 1)
    assert object_metadata(store, 900)["owner"] == "ESA"
    assert object_metadata(store, 20580)["owner"] == "US"


def test_a_bad_satcat_row_is_rejected_alone(store: Store) -> None:
    lines = SATCAT.read_text().splitlines()
    bad = lines[2].split(",")
    bad[9] = "ninety"  # PERIOD
    text = "\n".join([lines[0], lines[1], ",".join(bad), lines[3]]) + "\n"
    summary = ingest_bytes(store, text.encode(), filename="bad.csv")
    assert (summary.accepted, summary.rejected) == (2, 1)
    (rejection,) = summary.rejections
    assert rejection.line == 3 and "PERIOD" in rejection.reason
