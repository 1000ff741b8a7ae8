"""Two-float UTC Julian dates and the offline skyfield timescale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from sgp4.api import Satrec

from accord.core import time as time_module
from accord.core.time import (
    datetime64_from_jd,
    datetime_from_jd,
    eop_coverage,
    iso_from_jd,
    jd_from_datetime,
    jd_from_datetime64,
    jd_from_iso,
    jd_plus_minutes,
    normalize_jd,
    skyfield_time,
    timescale,
)
from accord.errors import AccordError, FormatError

one_microsecond = 1e-6 / 86400.0  # days
ten_picoseconds = 1e-11 / 86400.0  # days
one_milliarcsecond = 1e-3  # arcseconds
one_tenth_millisecond = 1e-4  # seconds

LINE2 = "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667"


def tle_line1(epoch_field: str) -> str:
    return f"1 00005U 58002B   {epoch_field}  .00000023  00000-0  28098-4 0  4753"


def test_tle_epochs_give_twoline2rv_jdsatepoch_exactly() -> None:
    rng = np.random.default_rng(2026)
    for _ in range(2000):
        yy = int(rng.integers(0, 100))
        year = yy + (2000 if yy < 57 else 1900)
        day = int(rng.integers(1, 366))
        digits = int(rng.integers(0, 10**8))
        sat = Satrec.twoline2rv(tle_line1(f"{yy:02d}{day:03d}.{digits:08d}"), LINE2)
        epoch = datetime(year, 1, 1) + timedelta(days=day - 1, microseconds=digits * 864)
        assert jd_from_datetime(epoch) == (sat.jdsatepoch, sat.jdsatepochF)


def test_vallado_set_epochs(shared_data: Path) -> None:
    text = (shared_data / "sgp4_verification" / "SGP4-VER.TLE").read_text("ascii")
    lines = text.replace("\r", "").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("1 "):
            sat = Satrec.twoline2rv(line, lines[i + 1])
            yy = int(line[18:20])
            start = datetime(yy + (2000 if yy < 57 else 1900), 1, 1)
            us = int(line[24:32].ljust(8, "0")) * 864
            epoch = start + timedelta(days=int(line[20:23]) - 1, microseconds=us)
            assert jd_from_datetime(epoch) == (sat.jdsatepoch, sat.jdsatepochF)
            assert datetime_from_jd(sat.jdsatepoch, sat.jdsatepochF) == epoch


def test_aware_datetimes_are_converted_to_utc() -> None:
    naive = datetime(2023, 10, 9, 12, 0, 0, 123456)
    aware = naive.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert jd_from_datetime(aware) == jd_from_datetime(naive)


def test_datetime_round_trip_is_exact_to_the_microsecond() -> None:
    rng = np.random.default_rng(7)
    start = datetime(1957, 10, 4)
    for offset in rng.integers(0, 100 * 365 * 86_400_000_000, 1000):
        dt = start + timedelta(microseconds=int(offset))
        whole, fraction = jd_from_datetime(dt)
        assert whole % 1.0 == 0.5 and 0.0 <= fraction < 1.0
        assert datetime_from_jd(whole, fraction) == dt


def test_datetime64_scalar_array_and_nat() -> None:
    whole, fraction = jd_from_datetime64(np.datetime64("2000-01-01T12:00:00"))
    assert whole.shape == fraction.shape == ()
    assert (whole, fraction) == (2451544.5, 0.5)
    values = np.array(["2000-06-27T18:50:19.733568123", "NaT"], dtype="datetime64[ns]")
    whole, fraction = jd_from_datetime64(values)
    assert whole.shape == (2,)
    assert np.isnan(whole[1]) and np.isnan(fraction[1])
    us = (18 * 3600 + 50 * 60 + 19) * 1_000_000 + 733568
    assert abs(fraction[0] - (us + 0.123) / 86_400_000_000) < ten_picoseconds
    days = jd_from_datetime64(np.array(["2000-01-01", "1858-11-17"], dtype="datetime64[D]"))
    np.testing.assert_array_equal(days[0], [2451544.5, 2400000.5])
    back = datetime64_from_jd(*jd_from_datetime64(values[:1]))
    assert back[0] == np.datetime64("2000-06-27T18:50:19.733568")


def test_iso_forms() -> None:
    calendar = jd_from_iso("2000-06-27T18:50:19.733568")
    for text in ("2000-179T18:50:19.733568", "2000-06-27 18:50:19.733568Z"):
        assert jd_from_iso(text) == calendar
    assert jd_from_iso("2000-06-27") == (2451722.5, 0.0)
    whole, fraction = jd_from_iso(["2000-06-27T00:00", "2024-366T23:59:59.5"])
    assert whole.tolist() == [2451722.5, 2460675.5]
    assert fraction[1] == (86_399_500_000 / 86_400_000_000)
    assert iso_from_jd(*calendar) == "2000-06-27T18:50:19.733568Z"
    assert iso_from_jd(whole, fraction) == [
        "2000-06-27T00:00:00.000000Z",
        "2024-12-31T23:59:59.500000Z",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "now",
        "today",
        "2020-01-01T00:00:00+01:00",
        "2023-366T00:00",
        "20200101",
        "",
        "2023-02-30",
        "2023-01-01T25:00",
    ],
)
def test_iso_rejects_other_text(text: str) -> None:
    with pytest.raises(FormatError) as caught:
        jd_from_iso(text)
    assert isinstance(caught.value, AccordError) and isinstance(caught.value, ValueError)
    assert caught.value.received == repr(text)


def test_non_finite_dates() -> None:
    assert iso_from_jd(np.nan) == "NaT"
    assert np.isnat(datetime64_from_jd(np.inf, 0.0))
    with pytest.raises(FormatError):
        datetime_from_jd(np.nan)


def test_normalize_keeps_the_sum() -> None:
    rng = np.random.default_rng(3)
    whole = rng.uniform(2.4e6, 2.5e6, 1000)
    fraction = rng.uniform(-3.0, 3.0, 1000)
    w, f = normalize_jd(whole, fraction)
    assert ((w % 1.0) == 0.5).all()
    assert ((f >= 0.0) & (f < 1.0)).all()
    error = (w - whole) + (f - fraction)
    assert np.abs(error).max() < ten_picoseconds
    assert normalize_jd(2451545.0, 1.25) == (2451545.5, 0.75)


def test_jd_plus_minutes_returns_sgp4_tsince() -> None:
    jd0, fr0 = 2451722.5, 0.78495062
    minutes = np.array([-5184.0, -0.5, 0.0, 360.0, 1844345.0])
    jd, fr = jd_plus_minutes(jd0, fr0, minutes)
    tsince = (jd - jd0) * 1440.0 + (fr - fr0) * 1440.0  # sgp4's own expression
    assert np.abs(tsince - minutes).max() < 1e-9


def test_skyfield_time_is_the_same_utc_instant() -> None:
    whole, fraction = jd_from_iso(["2016-12-31T23:59:59", "2017-01-01T00:00:00"])
    t = skyfield_time(whole, fraction)
    assert t.utc_iso() == ["2016-12-31T23:59:59Z", "2017-01-01T00:00:00Z"]
    # The leap second at the end of 2016 lies between them: two SI seconds.
    tai_days = (t.whole[1] - t.whole[0]) + (t.tai_fraction[1] - t.tai_fraction[0])
    assert tai_days * 86400.0 == pytest.approx(2.0, abs=1e-9)
    scalar = skyfield_time(*jd_from_iso("2004-04-06T07:51:28.386009"))
    assert scalar.shape == ()
    assert scalar.utc_iso(places=6) == "2004-04-06T07:51:28.386009Z"


def test_timescale_is_built_once_with_polar_motion() -> None:
    ts = timescale()
    assert timescale() is ts
    assert ts.polar_motion_table is not None  # astropy-iers-data is a dependency


def test_earth_orientation_matches_vallado_2006_example() -> None:
    # AIAA 2006-6753 appendix C (also Vallado, Fundamentals, ex. 3-15) uses the IERS values
    # of 2004-04-06: UT1-UTC = -0.4399619 s, xp = -0.140682", yp = 0.333309".
    t = skyfield_time(*jd_from_iso("2004-04-06"))
    assert abs(t.dut1 - (-0.4399619)) < one_tenth_millisecond
    _, x, y = t.polar_motion_angles()
    assert abs(x - (-0.140682)) < one_milliarcsecond
    assert abs(y - 0.333309) < one_milliarcsecond


def test_eop_coverage() -> None:
    coverage = eop_coverage()
    first_2000s = jd_from_iso("1973-01-02")[0]
    assert coverage.ut1_first_tt_jd == pytest.approx(first_2000s, abs=1.0)
    assert coverage.ut1_last_tt_jd > jd_from_iso("2026-01-01")[0]
    assert coverage.polar_motion_first_tt_jd is not None
    assert coverage.polar_motion_last_tt_jd is not None
    assert coverage.polar_motion_last_tt_jd > coverage.polar_motion_first_tt_jd


def test_without_the_finals_file_there_is_no_polar_motion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time_module, "_finals_path", lambda: None)
    bare = time_module.timescale.__wrapped__()  # build afresh, bypassing the cache
    assert bare.polar_motion_table is None
    assert bare is not timescale()


def test_time_systems_to_utc() -> None:
    """On 2023-10-09 TAI - UTC = 37 s, GPS - UTC = 18 s, TT - UTC = 69.184 s, and TDB - TT
    stays within 1.7 ms."""
    from accord.core.time import utc_from_time_system

    whole, fraction = 2460226.5, 0.5
    offsets = {}
    for system in ("UTC", "TAI", "gps", "TT", "TDB"):
        w, f = utc_from_time_system(system, whole, fraction)
        offsets[system.upper()] = ((whole - w) + (fraction - f)) * 86_400.0
    assert offsets["UTC"] == 0.0
    assert abs(offsets["TAI"] - 37.0) < 1e-6 and abs(offsets["GPS"] - 18.0) < 1e-6
    assert abs(offsets["TT"] - 69.184) < 1e-6 and abs(offsets["TDB"] - 69.184) < 1.7e-3
    with pytest.raises(ValueError, match="MET"):
        utc_from_time_system("MET", whole, fraction)
