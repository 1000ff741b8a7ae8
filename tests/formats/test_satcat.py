"""Tests of accord.formats.satcat on real CelesTrak SATCAT files.

The current 17-column CSV (the OWNER=IND subset, saved by a spreadsheet with M/D/YYYY
dates) and the full catalogue of January 2017 in the older layout, read in place from
../shared/data.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from accord.formats.records import ParseResult, SatcatEntry, raise_first
from accord.formats.satcat import CURRENT_COLUMNS, dump_satcat_csv, load_satcat_csv

INDIA = "satcat/celestrak_satcat_subset_india_owner_IND.csv"
SATCAT_2017 = "satcat/celestrak_satcat_2017-01_from_hrbrmstr_satcat_rds.csv.gz"
HEADER = ",".join(CURRENT_COLUMNS)


def read_text(path: Path) -> str:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8")


@pytest.fixture(scope="module")
def india(shared_data: Path) -> ParseResult[SatcatEntry]:
    return load_satcat_csv(read_text(shared_data / INDIA))


@pytest.fixture(scope="module")
def satcat_2017(shared_data: Path) -> ParseResult[SatcatEntry]:
    return load_satcat_csv(read_text(shared_data / SATCAT_2017))


def test_current_layout_with_spreadsheet_dates(india: ParseResult[SatcatEntry]) -> None:
    assert (len(india.accepted), india.rejected) == (766, [])
    first = india.accepted[0]
    assert first.line == 2 and first.raw.startswith("ARYABHATA,1975-033A,7752,")
    assert first.record == SatcatEntry(
        norad_cat_id=7752,
        object_name="ARYABHATA",
        object_id="1975-033A",
        object_type="PAY",
        ops_status_code="D",
        owner="IND",
        launch_date="1975-04-19",  # written 4/19/1975
        launch_site="KYMSC",
        decay_date="1992-02-11",  # written 2/11/1992
        period=87.46,
        inclination=50.62,
        apogee=152.0,
        perigee=145.0,
        rcs=2.215,
        data_status_code=None,
        orbit_center="EA",
        orbit_type="IMP",
    )
    assert {e.owner for e in india.records} == {"IND"}
    assert sum(e.decay_date is None for e in india.records) == 199


@pytest.mark.slow
def test_2017_layout_is_mapped_to_the_current_fields(
    satcat_2017: ParseResult[SatcatEntry],
) -> None:
    assert (len(satcat_2017.accepted), satcat_2017.rejected) == (41916, [])
    by_id = {e.norad_cat_id: e for e in satcat_2017.records}
    assert by_id[1] == SatcatEntry(
        norad_cat_id=1,
        object_name="SL-1 R/B",
        object_id="1957-001A",
        object_type="R/B",  # not a payload; "R/B" in the name
        ops_status_code="D",
        owner="CIS",
        launch_date="1957-10-04",
        launch_site="TYMSC",
        decay_date="1957-12-01",
        period=96.2,
        inclination=65.1,
        apogee=938.0,
        perigee=214.0,
        rcs=20.42,
        orbit_center="EA",  # blank status: Earth ...
        orbit_type="IMP",  # ... and decayed
    )
    assert by_id[2].object_type == "PAY" and by_id[2].rcs is None  # SPUTNIK 1
    assert by_id[949].object_type == "PAY"  # the payload flag wins over "R/B" in the name
    assert by_id[25544].orbit_type == "ORB" and by_id[25544].decay_date is None
    kinds = {e.object_type for e in by_id.values()}
    assert kinds == {"PAY", "R/B", "DEB", "UNK"}
    platforms = [e for e in by_id.values() if (e.object_name or "").endswith(" PLAT")]
    assert platforms and {e.object_type for e in platforms} == {"UNK"}
    statuses = {(e.orbit_center, e.orbit_type, e.data_status_code) for e in by_id.values()}
    assert ("MO", "IMP", None) in statuses  # MO2: impact on the Moon
    assert ("SU", "ORB", None) in statuses  # SU0: heliocentric orbit
    assert ("EA", "ORB", "NEA") in statuses  # NEA: no elements available
    assert ("EA", "DOC", None) in statuses  # ISS / DOC: docked


@pytest.mark.slow
@pytest.mark.parametrize("name", ["india", "satcat_2017"])
def test_round_trip_through_the_current_columns(name: str, request: pytest.FixtureRequest) -> None:
    result: ParseResult[SatcatEntry] = request.getfixturevalue(name)
    text = dump_satcat_csv(result.records)
    assert text.startswith(HEADER + "\n")
    assert raise_first(load_satcat_csv(text)) == result.records


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("X,2000-001A,,PAY,,US,2000-01-01,AFETR,,,,,,,,EA,ORB", "NORAD_CAT_ID", "empty"),
        ("X,2000-001A,12A,PAY,,US,2000-01-01,AFETR,,,,,,,,EA,ORB", "NORAD_CAT_ID", "catalogue"),
        ("X,2000-001A,1,PAY,,US,13/1/2000,AFETR,,,,,,,,EA,ORB", "LAUNCH_DATE", "not a date"),
        ("X,2000-001A,1,PAY,,US,2000-01-01,AFETR,,ninety,,,,,,EA,ORB", "PERIOD", "number"),
        ("X,2000-001A,1,PAY,,US,2000-01-01,AFETR,,nan,,,,,,EA,ORB", "PERIOD", "number"),
        ("X,2000-001A,1,PAY", None, "row has 4 values"),
    ],
)
def test_bad_row_is_refused_with_line_and_column(row: str, field: str | None, reason: str) -> None:
    good = "OK,2000-001A,7,PAY,+,US,2000-01-01,AFETR,,95.5,51.6,400,390,1.5,,EA,ORB"
    result = load_satcat_csv(f"{HEADER}\n{good}\n{row}\n")
    assert [e.norad_cat_id for e in result.records] == [7]
    (rejected,) = result.rejected
    assert (rejected.line, rejected.error.field, rejected.raw) == (3, field, row)
    assert reason in rejected.reason


def test_unknown_header_is_one_rejection() -> None:
    result = load_satcat_csv("NAME,ID\nX,1\n")
    assert result.accepted == []
    (rejected,) = result.rejected
    assert rejected.line == 1 and "not a SATCAT header" in rejected.reason


def test_writer_uses_iso_dates_and_blank_for_none() -> None:
    entry = SatcatEntry(norad_cat_id=5, object_name="VANGUARD 1", launch_date="1958-03-17")
    text = dump_satcat_csv([entry])
    assert text == f"{HEADER}\nVANGUARD 1,,5,,,,1958-03-17,,,,,,,,,,\n"
    assert raise_first(load_satcat_csv(text)) == [entry]
