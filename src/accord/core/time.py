"""Time as a two-float UTC Julian date, and the timescale that rotates frames with it.

A time is a pair of float64 arrays ``(whole, fraction)`` whose sum is the UTC Julian date,
as in skyfield and in sgp4's ``jd, fr`` arguments.  Normalised pairs have ``whole`` at a
midnight (``n + 0.5``) and ``fraction`` in ``[0, 1)``: the fraction of an 86,400-second
UTC day.  A float64 holding a whole Julian date resolves only 40 microseconds; the pair
resolves about 10 picoseconds.  A day with a leap second is still divided by 86,400 here,
as sgp4 does, so 23:59:60 cannot be written and the leap second itself is not counted
when two times are subtracted.

Earth orientation for the frame rotations comes from one skyfield ``Timescale``
(:func:`timescale`), built once and offline:

* UTC-TAI leap seconds and UT1-UTC come from the ``iers.npz`` file that skyfield ships
  (``load.timescale(builtin=True)``; daily values from the IERS ``finals2000A.all`` of
  skyfield's release, predictions included).  Before 1973-01-02 and after the table's
  last day (2027-01-23 for skyfield 1.55), UT1 follows skyfield's long-term Delta-T
  curve, whose error grows to tenths of a second within a few years (at 7.3e-5 rad/s,
  0.1 s turns the ITRF by 7.3e-6 rad: 50 m in LEO).  After the last leap second in the
  table, TAI-UTC is held at its last value.
* Polar motion (x_p, y_p) comes from ``finals2000A.all`` as shipped by the
  ``astropy-iers-data`` package (IERS Rapid Service / Prediction Centre, IAU 2000A
  series, predictions about a year ahead).  Outside the file's span, ``numpy.interp``
  holds the first or last value, wrong by up to about 0.5 arcsecond (2.4e-6 rad: 16 m
  at the Earth's surface, 100 m at GEO); without the file, polar motion is zero.
  :func:`eop_coverage` gives both spans.

Nothing is downloaded, ever.  Sources: Urban & Seidelmann (eds.), *Explanatory
Supplement to the Astronomical Almanac*, 3rd ed. (2013), ch. 3 (time scales, Julian
dates); IERS Conventions (2010), IERS Technical Note 36, ch. 5 (UT1, polar motion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from accord.errors import FormatError

FloatArray = NDArray[np.float64]

JD_UNIX_EPOCH = 2440587.5  # 1970-01-01T00:00:00 UTC
MINUTES_PER_DAY = 1440.0
_US_PER_DAY = 86_400_000_000
_NS_PER_DAY = 86_400_000_000_000
_JD_ORDINAL_OFFSET = 1721424.5  # JD at 0h of date.toordinal() == 0 (proleptic Gregorian)

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2}|\d{4}-\d{3})"
    r"(?P<time>[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?Z?"
)
_ISO_TEMPLATE = "YYYY-MM-DDThh:mm:ss.ffffff[Z] or YYYY-DDDThh:mm:ss.ffffff[Z]"


def normalize_jd(whole: ArrayLike, fraction: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Given a UTC Julian date as two floats, return it with whole at midnight.

    Returns ``(whole, fraction)`` float64 arrays, broadcast together, with ``whole`` of the
    form ``n + 0.5`` and ``0 <= fraction < 1``.  Their sum is unchanged to within one
    rounding of ``fraction`` (about 1e-16 day, 10 picoseconds).
    """
    w = np.asarray(whole, dtype=np.float64)
    f = np.asarray(fraction, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # infinities give NaN, quietly
        midnight = np.floor(w - 0.5) + 0.5
        f = f + (w - midnight)  # w - midnight is exact (Sterbenz)
        carry = np.floor(f)
        return midnight + carry, f - carry


def jd_from_datetime(dt: datetime) -> tuple[float, float]:
    """Given a datetime, return its UTC Julian date as ``(whole, fraction)`` floats.

    A naive ``dt`` is taken to be UTC; an aware one is converted to UTC.  ``whole`` is the
    Julian date of the day's 0h and ``fraction`` is microseconds-of-day / 86,400,000,000,
    correctly rounded.  A TLE epoch (8 decimals of a day, whole multiples of 864 us) thus
    yields exactly the fraction that sgp4's ``Satrec.twoline2rv`` stores in
    ``jdsatepochF``, the nearest double to ``round(F * 1e8) / 1e8``.
    """
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    whole = dt.toordinal() + _JD_ORDINAL_OFFSET
    us = ((dt.hour * 60 + dt.minute) * 60 + dt.second) * 1_000_000 + dt.microsecond
    return whole, us / _US_PER_DAY


def jd_from_datetime64(t: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Given numpy datetime64 values (UTC), return their ``(whole, fraction)`` Julian dates.

    Accepts any datetime64 unit, a naive ``datetime`` or a sequence of them; arrays of
    shape S give two float64 arrays of shape S.  Units finer than a microsecond are kept
    to the nanosecond.  NaT gives NaN.  Source: JD 2440587.5 = 1970-01-01T00:00 UTC.
    """
    arr = np.asarray(t)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[us]")
    unit = np.datetime_data(arr.dtype)[0]
    if unit in ("ns", "ps", "fs", "as"):
        ticks, per_day = arr.astype("datetime64[ns]").astype(np.int64), _NS_PER_DAY
    else:
        ticks, per_day = arr.astype("datetime64[us]").astype(np.int64), _US_PER_DAY
    days, rem = np.divmod(ticks, per_day)
    nat = np.isnat(arr)
    whole = np.where(nat, np.nan, days.astype(np.float64) + JD_UNIX_EPOCH)
    # rem < 2**53, so it is exact before dividing, and the quotient is correctly rounded.
    fraction = np.where(nat, np.nan, rem.astype(np.float64) / per_day)
    return whole, fraction


def jd_from_iso(text: str | list[str] | tuple[str, ...]) -> tuple[FloatArray, FloatArray]:
    """Given ISO 8601 UTC text, return the ``(whole, fraction)`` Julian dates.

    Accepts a calendar date (``2023-10-09T12:34:56.789012``) or an ordinal date
    (``2023-282T12:34:56.789012``), a ``T`` or a space before the time, any number of
    second decimals (nanoseconds are kept) and an optional ``Z``; nothing else: other zone
    offsets and words like ``now`` raise :class:`~accord.errors.FormatError`.
    A string gives 0-d arrays; a list gives 1-D arrays.
    """
    items = [text] if isinstance(text, str) else list(text)
    values = np.array([_iso_datetime64(item) for item in items], dtype="datetime64")
    whole, fraction = jd_from_datetime64(values)
    if isinstance(text, str):
        return whole.reshape(()), fraction.reshape(())
    return whole, fraction


def _iso_datetime64(item: str) -> np.datetime64:
    """Return ``item`` as a datetime64, or raise a FormatError that quotes it."""
    try:
        return np.datetime64(_iso_calendar_text(item))
    except ValueError as error:  # numpy's own complaint: a 13th month, a 25th hour...
        raise FormatError(str(error), expected=_ISO_TEMPLATE, received=repr(item)) from None


def _iso_calendar_text(item: str) -> str:
    """Return ``item`` as calendar-date text numpy parses, or raise a FormatError."""
    match = _ISO.fullmatch(item.strip())
    if match is None:
        raise FormatError("not an ISO 8601 UTC time", expected=_ISO_TEMPLATE, received=repr(item))
    day = match["date"]
    if len(day) == 8:  # ordinal date YYYY-DDD
        year, doy = int(day[:4]), int(day[5:])
        if not 1 <= doy <= (366 if _is_leap(year) else 365):
            raise FormatError(
                "day of year out of range", expected="001..365 (366)", received=repr(item)
            )
        day = (date(year, 1, 1) + timedelta(days=doy - 1)).isoformat()
    return day + (match["time"] or "").replace(" ", "T")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def datetime64_from_jd(whole: ArrayLike, fraction: ArrayLike = 0.0) -> NDArray[np.datetime64]:
    """Given UTC Julian dates as ``(whole, fraction)``, return datetime64[us] values.

    Rounds to the nearest microsecond; the result has the broadcast shape of the inputs.
    Non-finite dates give NaT.
    """
    w, f = normalize_jd(whole, fraction)
    bad = ~(np.isfinite(w) & np.isfinite(f))
    w = np.where(bad, JD_UNIX_EPOCH, w)
    f = np.where(bad, 0.0, f)
    ticks = (w - JD_UNIX_EPOCH).astype(np.int64) * _US_PER_DAY
    ticks = ticks + np.rint(f * _US_PER_DAY).astype(np.int64)
    return np.where(bad, np.datetime64("NaT", "us"), np.asarray(ticks).astype("datetime64[us]"))


def datetime_from_jd(whole: float, fraction: float = 0.0) -> datetime:
    """Given one UTC Julian date as ``(whole, fraction)``, return a naive UTC datetime.

    Rounds to the nearest microsecond.  Raises FormatError for a non-finite date or one
    outside the years 1 to 9999.
    """
    value = datetime64_from_jd(whole, fraction).item()
    if not isinstance(value, datetime):
        raise FormatError(
            "Julian date has no datetime",
            expected="a finite date in the years 1..9999",
            received=f"({whole!r}, {fraction!r})",
        )
    return value


def iso_from_jd(whole: ArrayLike, fraction: ArrayLike = 0.0) -> str | list[str]:
    """Given UTC Julian dates, return ISO 8601 text ``YYYY-MM-DDThh:mm:ss.ffffffZ``.

    Rounds to the nearest microsecond.  A scalar date gives a string; an array gives a
    flat list of strings in C order.  A non-finite date gives ``"NaT"``.
    """
    text = np.datetime_as_string(datetime64_from_jd(whole, fraction), unit="us")
    strings = [s if s == "NaT" else s + "Z" for s in text.ravel().tolist()]
    return strings[0] if text.ndim == 0 else strings


def jd_plus_minutes(
    whole: ArrayLike, fraction: ArrayLike, minutes: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Given UTC Julian dates and minutes to add, return the new ``(whole, fraction)``.

    Whole days of ``minutes`` are added to ``whole`` and the rest to ``fraction``, the
    split python-sgp4's own tests use, so that sgp4's ``(jd - jdsatepoch) * 1440 +
    (fr - jdsatepochF) * 1440`` gives the minutes back to within about 1e-13 minute.
    Shapes broadcast.
    """
    days, part = np.divmod(np.asarray(minutes, dtype=np.float64) / MINUTES_PER_DAY, 1.0)
    return np.asarray(whole, dtype=np.float64) + days, np.asarray(fraction, np.float64) + part


@dataclass(frozen=True)
class EopCoverage:
    """The span of the Earth-orientation tables, as TT Julian dates (UTC + about 70 s).

    ``polar_motion_*`` are None when no polar-motion table was found.
    """

    ut1_first_tt_jd: float
    ut1_last_tt_jd: float
    polar_motion_first_tt_jd: float | None
    polar_motion_last_tt_jd: float | None


@cache
def timescale() -> Any:
    """Return the skyfield ``Timescale`` that all of Accord shares, building it once.

    Leap seconds and UT1-UTC: skyfield's bundled table (``builtin=True``).  Polar motion:
    ``finals2000A.all`` from the installed ``astropy-iers-data`` package, when present.
    Never touches the network.  See the module docstring for what happens outside the
    tables' spans.
    """
    from skyfield.api import load
    from skyfield.data import iers

    ts = load.timescale(builtin=True)
    path = _finals_path()
    if path is not None:
        with path.open("rb") as f:
            finals = iers.parse_x_y_dut1_from_finals_all(f)
        if len(finals):
            iers.install_polar_motion_table(ts, finals)
    return ts


def _finals_path() -> Path | None:
    """Return the path of the finals2000A.all file astropy-iers-data ships, if any."""
    try:
        from astropy_iers_data import IERS_A_FILE
    except ImportError:
        return None
    path = Path(IERS_A_FILE)
    return path if path.is_file() else None


def eop_coverage() -> EopCoverage:
    """Return the span of the UT1 and polar-motion tables :func:`timescale` uses."""
    ts = timescale()
    ut1_tt = ts.delta_t_table[0]
    table = ts.polar_motion_table
    first = last = None
    if table is not None:
        first, last = float(table[0][0]), float(table[0][-1])
    return EopCoverage(float(ut1_tt[0]), float(ut1_tt[-1]), first, last)


def skyfield_time(whole: ArrayLike, fraction: ArrayLike = 0.0) -> Any:
    """Given UTC Julian dates as ``(whole, fraction)``, return a skyfield ``Time``.

    The Time belongs to :func:`timescale`, so UT1 and polar motion apply to it.  Leap
    seconds are looked up at each date's 0h UTC, as skyfield's ``Timescale.utc`` does.
    The shape of the broadcast inputs is kept (0-d gives a scalar Time).
    """
    w, f = normalize_jd(whole, fraction)
    # JD 2451544.5 is 2000-01-01 0h; skyfield's julian_day() is linear in ``day``.
    return timescale().utc(2000, 1, w - 2451543.5, 0, 0, f * 86400.0)


# Time systems :func:`utc_from_time_system` reads (CCSDS 502.0-B-3 Annex A, TIME_SYSTEM).
TIME_SYSTEMS = ("UTC", "TAI", "TT", "GPS", "TDB")
GPS_MINUS_TAI_S = -19.0


def utc_from_time_system(
    system: str, whole: ArrayLike, fraction: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Given Julian dates ``(whole, fraction)`` read in time system ``system`` (one of
    :data:`TIME_SYSTEMS`, case ignored), return the same instants as UTC Julian dates.

    TAI - UTC comes from skyfield's leap-second table, TT = TAI + 32.184 s, GPS = TAI -
    19 s, TDB from TT by skyfield's series (Fairhead & Bretagnon 1990, to about 10 us);
    the offset is found at the UTC instant by two fixed-point steps (exact but within a
    second of a leap second).  Source: Explanatory Supplement to the Astronomical Almanac,
    3rd ed. (2013), ch. 3.
    """
    name = system.strip().upper()
    if name not in TIME_SYSTEMS:
        raise ValueError(f"time system {system!r}: expected one of {', '.join(TIME_SYSTEMS)}")
    w, f = normalize_jd(whole, fraction)
    if name == "UTC":
        return w, f
    guess_w, guess_f = w, f
    for _ in range(2):
        t = skyfield_time(guess_w, guess_f)
        utc_w, utc_f = normalize_jd(guess_w, guess_f)
        own = {"TAI": t.tai_fraction, "GPS": t.tai_fraction, "TT": t.tt_fraction}.get(name)
        own_fraction = t.tdb_fraction if own is None else own
        offset = (np.asarray(t.whole) - utc_w) + (np.asarray(own_fraction) - utc_f)
        if name == "GPS":
            offset = offset + GPS_MINUS_TAI_S / 86_400.0
        guess_w, guess_f = normalize_jd(w, f - offset)
    return guess_w, guess_f
