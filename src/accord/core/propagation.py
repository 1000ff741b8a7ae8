"""SGP4 propagation of mean elements into TEME states, batched over objects and times.

The propagator is the official C++ SGP4 of Vallado, Crawford, Hujsak & Kelso, "Revisiting
Spacetrack Report #3" (AIAA 2006-6753), as python-sgp4 wraps it: WGS-72 constants and the
improved ('i') operation mode, as ``Satrec.twoline2rv`` uses.  States are TEME, in km and
km/s, shaped ``(n_objects, n_times, 3)``.

Failures are data, not exceptions: sgp4's error code per object and time (``uint8``;
0 is success, 1..6 as :data:`ERROR_MESSAGES` lists) and a NaN row for every nonzero
code.  (python-sgp4 itself leaves code 6, "decayed", with its sub-surface state; here it
is NaN too, so that no state of a decayed object is ever used.)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from math import pi
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sgp4.api import SGP4_ERRORS, WGS72, WGS72OLD, WGS84, Satrec, SatrecArray

from accord.core.time import jd_plus_minutes, normalize_jd

FloatArray = NDArray[np.float64]

# The unit conversions of SGP4.cpp's twoline2rv (AIAA 2006-6753 companion code), so that
# the same decimal fields give the same doubles.
_DEG2RAD = pi / 180.0
_XPDOTP = 1440.0 / (2.0 * pi)  # rev/day per rad/min
_SGP4_EPOCH_JD = 2433281.5  # 1949 December 31 0h UT, the origin of sgp4init's epoch
_ALPHA5_MAX = 339_999  # the largest catalogue number sgp4 can store (Alpha-5 "Z9999")
_JD_ORDINAL_OFFSET = 1721424.5

DEFAULT_MAX_STATES = 1 << 20  # per block: about 50 MB of positions and velocities

ERROR_MESSAGES: dict[int, str] = {0: "success", **SGP4_ERRORS}
_MESSAGE_TABLE = np.array(
    [ERROR_MESSAGES.get(code, f"unknown sgp4 error code {code}") for code in range(256)]
)


@dataclass(frozen=True)
class Propagation:
    """TEME states of objects at times, with sgp4's error code for each.

    ``r_teme_km`` (km) and ``v_teme_km_s`` (km/s) are ``(n_objects, n_times, 3)`` in
    TEME; ``error`` is ``(n_objects, n_times)`` uint8, 0 where the state is good.  Rows
    with a nonzero code are NaN.  A single Satrec drops the object axis and a scalar
    time drops the time axis.
    """

    r_teme_km: FloatArray
    v_teme_km_s: FloatArray
    error: NDArray[np.uint8]

    @property
    def ok(self) -> NDArray[np.bool_]:
        """Return True where the state is good, shaped like ``error``."""
        return self.error == 0


def error_messages(error: ArrayLike) -> NDArray[np.str_]:
    """Given sgp4 error codes, return the message for each, in the same shape.

    Source: python-sgp4's ``sgp4.api.SGP4_ERRORS`` (the codes of SGP4.cpp's ``sgp4()``).
    """
    return _MESSAGE_TABLE[np.asarray(error, dtype=np.uint8)]


def satrec_from_elements(
    *,
    norad_cat_id: int,
    epoch: tuple[float, float],
    mean_motion: float,
    eccentricity: float,
    inclination: float,
    ra_of_asc_node: float,
    arg_of_pericenter: float,
    mean_anomaly: float,
    bstar: float = 0.0,
    mean_motion_dot: float = 0.0,
    mean_motion_ddot: float = 0.0,
    classification_type: str = "U",
    element_set_no: int = 999,
    rev_at_epoch: int = 0,
    ephemeris_type: int = 0,
    object_id: str | None = None,
) -> Satrec:
    """Given OMM/TLE mean elements in message units, return an initialised sgp4 Satrec.

    Units are those of CCSDS 502.0-B-3 OMM: ``epoch`` the UTC Julian date as ``(whole,
    fraction)`` (see :func:`accord.core.time.jd_from_datetime`), ``mean_motion`` rev/day
    (Kozai), angles degrees, ``bstar`` 1/earth-radii, ``mean_motion_dot`` rev/day**2 and
    ``mean_motion_ddot`` rev/day**3 (TLE conventions).  The conversions are those of
    SGP4.cpp's ``twoline2rv`` (AIAA 2006-6753), WGS-72 and mode 'i', so that the fields of
    a TLE propagate as ``Satrec.twoline2rv`` of its lines does; the epoch pair is stored
    unrounded in ``jdsatepoch``/``jdsatepochF``.  Bad elements are not refused here: sgp4
    reports them as error codes when propagated.  sgp4 can hold catalogue numbers up to
    339999 (Alpha-5); beyond that, and for negative numbers, the Satrec's ``satnum`` is 0.
    ``object_id`` may be in OMM form (``1998-067A``) or TLE form (``98067A``).
    """
    whole_arr, fraction_arr = normalize_jd(epoch[0], epoch[1])
    whole, fraction = float(whole_arr), float(fraction_arr)
    sat = Satrec()
    sat.sgp4init(
        WGS72,
        "i",
        norad_cat_id if 0 <= norad_cat_id <= _ALPHA5_MAX else 0,
        (whole + fraction) - _SGP4_EPOCH_JD,  # the expression of SGP4.cpp's twoline2rv
        bstar,
        mean_motion_dot / (_XPDOTP * 1440.0),
        mean_motion_ddot / (_XPDOTP * 1440.0 * 1440),
        eccentricity,
        arg_of_pericenter * _DEG2RAD,
        inclination * _DEG2RAD,
        mean_anomaly * _DEG2RAD,
        mean_motion / _XPDOTP,
        ra_of_asc_node * _DEG2RAD,
    )
    # sgp4init derives these from its one-float epoch; keep the exact pair instead.
    sat.jdsatepoch = whole
    sat.jdsatepochF = fraction
    year = date.fromordinal(int(whole - _JD_ORDINAL_OFFSET)).year
    sat.epochyr = year % 100
    sat.epochdays = (whole - (date(year, 1, 1).toordinal() - 1 + _JD_ORDINAL_OFFSET)) + fraction
    sat.classification = classification_type
    sat.elnum = element_set_no
    sat.revnum = rev_at_epoch
    sat.ephtype = ephemeris_type
    if object_id:
        sat.intldesg = object_id[2:].replace("-", "") if "-" in object_id else object_id
    return sat


def satrecs_from_arrays(
    *,
    norad_cat_id: ArrayLike,
    epoch_jd: ArrayLike,
    epoch_fr: ArrayLike,
    mean_motion: ArrayLike,
    eccentricity: ArrayLike,
    inclination: ArrayLike,
    ra_of_asc_node: ArrayLike,
    arg_of_pericenter: ArrayLike,
    mean_anomaly: ArrayLike,
    bstar: ArrayLike = 0.0,
    mean_motion_dot: ArrayLike = 0.0,
    mean_motion_ddot: ArrayLike = 0.0,
) -> list[Satrec]:
    """Given ``(n_objects,)`` arrays of mean elements, return one Satrec per object.

    Units and conversions as :func:`satrec_from_elements`; the epoch is two arrays of UTC
    Julian dates, ``epoch_jd + epoch_fr``.  Scalars broadcast.  Source: AIAA 2006-6753.
    """
    ids = np.asarray(norad_cat_id, dtype=np.int64)
    columns = np.broadcast_arrays(
        ids,
        *(
            np.asarray(a, dtype=np.float64)
            for a in (
                epoch_jd,
                epoch_fr,
                mean_motion,
                eccentricity,
                inclination,
                ra_of_asc_node,
                arg_of_pericenter,
                mean_anomaly,
                bstar,
                mean_motion_dot,
                mean_motion_ddot,
            )
        ),
    )
    rows = zip(*(c.ravel().tolist() for c in columns), strict=True)
    return [
        satrec_from_elements(
            norad_cat_id=int(i),
            epoch=(jd, fr),
            mean_motion=n,
            eccentricity=e,
            inclination=inc,
            ra_of_asc_node=raan,
            arg_of_pericenter=argp,
            mean_anomaly=m,
            bstar=b,
            mean_motion_dot=ndot,
            mean_motion_ddot=nddot,
        )
        for i, jd, fr, n, e, inc, raan, argp, m, b, ndot, nddot in rows
    ]


# What sgp4init takes beside the gravity model, then what it does not set (catalogue fields).
_INIT_FIELDS = ("operationmode", "satnum", "bstar", "ndot", "nddot", "ecco", "argpo", "inclo",
                "mo", "no_kozai", "nodeo")  # fmt: skip
_KEPT_FIELDS = ("jdsatepoch", "jdsatepochF", "epochyr", "epochdays", "classification",
                "intldesg", "elnum", "revnum", "ephtype")  # fmt: skip


def satrec_fields(sat: Satrec) -> tuple[Any, ...]:
    """Given a Satrec, return plain values from which :func:`satrec_from_fields` rebuilds it.

    python-sgp4's ``Satrec`` does not pickle; these fields do, so that element sets can
    travel to other processes (a Dask cluster's workers).  The rebuilt Satrec is initialised
    by sgp4init with the same doubles as the original (the epoch by SGP4.cpp's
    ``twoline2rv`` expression) and propagates bit for bit alike.
    """
    gravity = 2 if sat.radiusearthkm == 6378.137 else 0 if sat.mu == 398600.79964 else 1
    return (gravity, *(getattr(sat, name) for name in _INIT_FIELDS + _KEPT_FIELDS))


def satrec_from_fields(fields: Sequence[Any]) -> Satrec:
    """Given the output of :func:`satrec_fields`, return the Satrec it describes."""
    gravity, *values = fields
    init = dict(zip(_INIT_FIELDS, values[: len(_INIT_FIELDS)], strict=True))
    kept = dict(zip(_KEPT_FIELDS, values[len(_INIT_FIELDS) :], strict=True))
    sat = Satrec()
    sat.sgp4init(
        (WGS72OLD, WGS72, WGS84)[int(gravity)],
        init["operationmode"],
        init["satnum"],
        (kept["jdsatepoch"] + kept["jdsatepochF"]) - _SGP4_EPOCH_JD,
        *(init[name] for name in _INIT_FIELDS[2:]),
    )
    for name, value in kept.items():
        setattr(sat, name, value)
    return sat


def propagate(
    satrecs: Satrec | Sequence[Satrec], jd: ArrayLike, fr: ArrayLike = 0.0
) -> Propagation:
    """Given Satrecs and UTC Julian dates ``(jd, fr)`` shared by all, return TEME states.

    ``jd`` and ``fr`` broadcast to the times' shape (``(n_times,)``; any shape works);
    the result is ``(n_objects, n_times, 3)`` km and km/s TEME with ``(n_objects,
    n_times)`` error codes, computed in one call of sgp4's ``SatrecArray`` (C++).  Never
    raises for a bad object or time: see :class:`Propagation`.  For large inputs use
    :func:`iter_propagate`.  Source: AIAA 2006-6753 (SGP4).
    """
    single = isinstance(satrecs, Satrec)
    sats = [satrecs] if single else satrecs
    jd_flat, fr_flat, time_shape = _flat_times(jd, fr)
    result = _propagate_block(SatrecArray(sats), jd_flat, fr_flat)
    return _shaped(result, single, time_shape)


def iter_propagate(
    satrecs: Sequence[Satrec],
    jd: ArrayLike,
    fr: ArrayLike = 0.0,
    *,
    max_states: int = DEFAULT_MAX_STATES,
) -> Iterator[tuple[slice, Propagation]]:
    """Given Satrecs and shared UTC times, yield ``(objects, Propagation)`` blocks.

    Each block holds consecutive objects ``satrecs[objects]`` at all ``(n_times,)``
    times: ``(block_objects, n_times, 3)`` km and km/s TEME, with at most ``max_states``
    states (one object if a single object's times exceed it), so that memory stays
    bounded whatever the catalogue.  Same results as :func:`propagate`.
    """
    jd_flat, fr_flat, time_shape = _flat_times(jd, fr)
    per_block = max(1, max_states // max(1, jd_flat.size))
    for start in range(0, len(satrecs), per_block):
        block = slice(start, min(start + per_block, len(satrecs)))
        result = _propagate_block(SatrecArray(satrecs[block]), jd_flat, fr_flat)
        yield block, _shaped(result, False, time_shape)


def propagate_minutes(satrecs: Satrec | Sequence[Satrec], tsince_minutes: ArrayLike) -> Propagation:
    """Given Satrecs and minutes since each one's own epoch, return TEME states.

    ``tsince_minutes`` is ``(n_times,)`` (any shape works), the same offsets for every
    object; the result is ``(n_objects, n_times, 3)`` km and km/s TEME with error codes
    as :func:`propagate`.  Objects sharing an epoch are propagated together; each
    epoch's times are built as python-sgp4's tests build them (whole days, then the
    fraction), which returns tsince to about 1e-13 minute.  Source: AIAA 2006-6753.
    """
    single = isinstance(satrecs, Satrec)
    sats: Sequence[Satrec] = [satrecs] if single else satrecs
    minutes = np.asarray(tsince_minutes, dtype=np.float64)
    flat = minutes.ravel()
    n = len(sats)
    r = np.empty((n, flat.size, 3))
    v = np.empty((n, flat.size, 3))
    e = np.empty((n, flat.size), dtype=np.uint8)
    epochs = np.array([(s.jdsatepoch, s.jdsatepochF) for s in sats], dtype=np.float64)
    epochs = epochs.reshape(n, 2)
    order = np.lexsort((epochs[:, 1], epochs[:, 0]))
    sorted_epochs = epochs[order]
    new_group = np.any(np.diff(sorted_epochs, axis=0) != 0, axis=1)
    bounds = np.concatenate(([0], np.flatnonzero(new_group) + 1, [n]))
    for start, stop in pairwise(bounds.tolist()):
        if start == stop:
            continue
        members = order[start:stop]
        epoch_jd, epoch_fr = sorted_epochs[start]
        jd, fr = jd_plus_minutes(epoch_jd, epoch_fr, flat)
        block = _propagate_block(SatrecArray([sats[i] for i in members]), jd, fr)
        r[members], v[members], e[members] = block.r_teme_km, block.v_teme_km_s, block.error
    return _shaped(Propagation(r, v, e), single, minutes.shape)


def _flat_times(jd: ArrayLike, fr: ArrayLike) -> tuple[FloatArray, FloatArray, tuple[int, ...]]:
    """Return the broadcast times as contiguous 1-D float64 arrays, and their shape."""
    jd_arr, fr_arr = np.broadcast_arrays(
        np.asarray(jd, dtype=np.float64), np.asarray(fr, dtype=np.float64)
    )
    flat_jd = np.ascontiguousarray(jd_arr.ravel())
    return flat_jd, np.ascontiguousarray(fr_arr.ravel()), jd_arr.shape


def _propagate_block(array: SatrecArray, jd: FloatArray, fr: FloatArray) -> Propagation:
    """Run sgp4 for every object of ``array`` at 1-D times; NaN every failed row."""
    e, r, v = array.sgp4(jd, fr)
    failed = e != 0
    r[failed] = np.nan
    v[failed] = np.nan
    return Propagation(r, v, e)


def _shaped(result: Propagation, single: bool, time_shape: tuple[int, ...]) -> Propagation:
    """Reshape ``(n_objects, n_flat_times, ...)`` results to the caller's shapes."""
    n_objects = result.error.shape[0]
    lead = time_shape if single else (n_objects, *time_shape)
    return Propagation(
        result.r_teme_km.reshape((*lead, 3)),
        result.v_teme_km_s.reshape((*lead, 3)),
        result.error.reshape(lead),
    )
