"""Operators' ephemerides screened against the catalogue (and against each other).

An ephemeris is the segments of an OEM for one object (:class:`Ephemeris`).  Each segment
becomes one arc of :mod:`accord.core.ephemeris`: times read in the segment's TIME_SYSTEM
are turned into UTC, states in its REF_FRAME into TEME, and consecutive segments are a
break that the screening bounds (a manoeuvre).  The catalogue's element sets are first
narrowed to those whose radius range over the window can come within the threshold of the
ephemeris' (the apogee/perigee filter of Hoots, Crawford & Roehrich 1984, with the
margins below), then screened with the ephemerides as primaries.

Pc: the ephemeris' own covariance nearest TCA where its segment has one (OEM
COVARIANCE, in an RTN-type frame or an inertial one), the default element-set covariance
for catalogue objects (:mod:`accord.services.collision`), Foster's method.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from accord.core.encounter import cov_rtn_to_inertial, rtn_to_inertial
from accord.core.ephemeris import (
    DEFAULT_DEGREE,
    DEFAULT_METHOD,
    Arc,
    EphemerisEnsemble,
    JoinedEnsemble,
)
from accord.core.frames import frame_to_teme
from accord.core.pc import PcMethod, probability_of_collision
from accord.core.screening import (
    DEFAULT_STEP_S,
    Conjunctions,
    Sgp4Ensemble,
    screen,
)
from accord.core.time import datetime_from_jd, jd_from_datetime, utc_from_time_system
from accord.errors import InvalidRequestError
from accord.formats.oem import OemCovariance, OemSegment
from accord.formats.records import ElementSet
from accord.services.collision import (
    DEFAULT_HBR_M,
    default_covariances_km2,
    perigee_apogee_km,
)
from accord.services.propagation import satrec_of
from accord.services.screening import Conjunction, ScreeningResult, screenable, triple

EARTH_RADIUS_KM = 6_378.135
# The filter's margins: SGP4's short-period terms move the radius about 10 km from the
# mean elements' perigee and apogee (J2 R^2 / p, Brouwer 1959), lunisolar terms more for
# deep-space orbits; drag lowers both at most by twice what the element set's mean motion
# derivative gives over the window.
SHORT_PERIOD_MARGIN_KM = 30.0
DEEP_SPACE_MARGIN_KM = 300.0
LOW_RADIUS_KM = EARTH_RADIUS_KM + 200.0
# Above about 1,000 s the bound's H^4 growth outruns the saving: at 1,800 s a GPS
# satellite's 7-day ephemeris made so many candidates that refinement took 19 s (1.6 s at
# 1,080 s), so the step stops there.
MAX_NODE_STEP_S = 1_080.0
# With a few primaries against the catalogue, propagating the secondaries is the cost (it
# falls as 1/H) while the sieve's bound, which grows as H^4, only adds candidates that
# refinement on exact states discards: 360 s (and twice the sieve window) halves the time of
# 180 s for the same conjunctions (docs/screening.md, "Ephemerides").
FEW_PRIMARIES_NODE_STEP_S = 360.0
FEW_PRIMARIES_STEP_S = 2.0 * DEFAULT_STEP_S
RTN_FRAMES = ("RTN", "RSW", "RIC", "LVLH_ROTATING", "QSW")


@dataclass(frozen=True)
class Ephemeris:
    """One object's ephemeris: its catalogue number and its OEM segments, in time order."""

    norad_cat_id: int
    segments: tuple[OemSegment, ...]
    name: str | None = None


def _seconds(
    segment: OemSegment, epochs: Sequence[datetime], jd0: float, fr0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seconds from the window start of epochs read in the segment's time system, and the
    epochs as UTC Julian dates (whole, fraction)."""
    parts = np.array([jd_from_datetime(e) for e in epochs])
    w, f = utc_from_time_system(segment.time_system, parts[:, 0], parts[:, 1])
    return ((w - jd0) + (f - fr0)) * 86_400.0, w, f


def utc_of(segment: OemSegment, epoch: datetime) -> datetime:
    """An epoch read in the segment's time system, as UTC."""
    w, f = utc_from_time_system(segment.time_system, *jd_from_datetime(epoch))
    return datetime_from_jd(float(w), float(f))


def segment_arc(segment: OemSegment, jd0: float, fr0: float) -> Arc:
    """Given an OEM segment and the window start (UTC Julian date), return its arc (TEME,
    seconds from the start); a ``ValueError`` names what cannot be used."""
    if segment.center_name.strip().upper() != "EARTH":
        raise ValueError(f"CENTER_NAME {segment.center_name!r}: only EARTH can be screened")
    epochs = [s.epoch for s in segment.states]
    t, w, f = _seconds(segment, epochs, jd0, fr0)
    r = np.array([s.position_km for s in segment.states])
    v = np.array([s.velocity_km_s for s in segment.states])
    r, v = frame_to_teme(segment.ref_frame, r, v, w, f)
    start = segment.useable_start_time or segment.start_time
    stop = segment.useable_stop_time or segment.stop_time
    span = _seconds(segment, [start, stop], jd0, fr0)[0]
    method = (segment.interpolation or DEFAULT_METHOD).strip().upper()
    degree = segment.interpolation_degree or DEFAULT_DEGREE
    lo, hi = max(float(span[0]), float(t[0])), min(float(span[1]), float(t[-1]))
    return Arc(t, r, v, lo, hi, method, degree)


def radius_range_km(arcs: Sequence[Arc]) -> tuple[float, float]:
    """Given arcs, bound the object's distance from the Earth's centre over them: the
    tabulated extremes widened by ``max(v^2/r) dt^2 / 4`` between states (the radius'
    second derivative is at most ``|a| + v^2 / r <= 2 v^2 / r``)."""
    lo, hi = np.inf, 0.0
    for arc in arcs:
        radius = np.linalg.norm(arc.r_km, axis=1)
        speed2 = np.sum(arc.v_km_s**2, axis=1)
        pad = float(np.max(speed2 / radius) * np.max(np.diff(arc.times_s)) ** 2 / 4.0)
        lo, hi = min(lo, float(radius.min()) - pad), max(hi, float(radius.max()) + pad)
    return lo, hi


def _element_set_range(es: ElementSet, window_days: float) -> tuple[float, float]:
    """Radius range (km) an element set's object can reach over the window."""
    perigee, apogee = perigee_apogee_km(es)
    n = es.mean_motion
    a = EARTH_RADIUS_KM + 0.5 * (perigee + apogee)
    decay = 2.0 * (2.0 / 3.0) * a * abs(2.0 * es.mean_motion_dot * window_days) / n
    margin = SHORT_PERIOD_MARGIN_KM if n >= 6.4 else DEEP_SPACE_MARGIN_KM  # 225 min period
    return EARTH_RADIUS_KM + perigee - margin - decay, EARTH_RADIUS_KM + apogee + margin


def node_step_for(radius_km: float) -> float:
    """Given the least distance from the Earth's centre at which the primaries can meet
    anything, return the node step: the interpolation bound grows as ``g^2 r H^4`` with
    ``g = mu / r^3`` (:func:`accord.core.sieve.interval_bounds`), so ``H`` may grow as
    ``r^(5/4)`` for the same bound as :data:`FEW_PRIMARIES_NODE_STEP_S` gives at 200 km
    altitude (at most :data:`MAX_NODE_STEP_S`)."""
    scale = (max(radius_km, LOW_RADIUS_KM) / LOW_RADIUS_KM) ** 1.25
    return min(FEW_PRIMARIES_NODE_STEP_S * scale, MAX_NODE_STEP_S)


def screen_ephemerides(
    ephemerides: Sequence[Ephemeris],
    records: Sequence[ElementSet],
    *,
    others: Sequence[Ephemeris] = (),
    start: datetime | None = None,
    window: timedelta | None = None,
    threshold_km: float = 5.0,
    step_s: float = FEW_PRIMARIES_STEP_S,
    workers: int = 1,
) -> ScreeningResult:
    """Screen ephemerides against element sets (the catalogue), against each other and
    against ``others`` (other objects' ephemerides, screened only against these).

    The window defaults to the ephemerides' span; element sets of the ephemerides' objects
    (and of the others') are left out: the ephemeris stands for the object.
    """
    if not ephemerides:
        raise InvalidRequestError("no ephemeris to screen")
    segments = [s for e in ephemerides for s in e.segments]
    first = min(utc_of(s, s.useable_start_time or s.start_time) for s in segments)
    last = max(utc_of(s, s.useable_stop_time or s.stop_time) for s in segments)
    start = start or first
    window = window or (last - start)
    if threshold_km <= 0 or window.total_seconds() <= 0:
        raise InvalidRequestError("threshold and window must be positive")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    jd0, fr0 = jd_from_datetime(start)
    arcs = []
    for e in [*ephemerides, *others]:
        try:
            arcs.append([segment_arc(s, jd0, fr0) for s in e.segments])
        except ValueError as error:
            raise InvalidRequestError(f"ephemeris of {e.norad_cat_id}: {error}") from error
    own = {e.norad_cat_id for e in [*ephemerides, *others]}
    usable, skipped = screenable([es for es in records if es.norad_cat_id not in own])
    ranges = [radius_range_km(a) for a in arcs[: len(ephemerides)]]
    lo = min(r[0] for r in ranges) - threshold_km
    hi = max(r[1] for r in ranges) + threshold_km
    days = window.total_seconds() / 86_400.0
    near = []
    for es in usable:
        r_lo, r_hi = _element_set_range(es, days)
        if r_lo <= hi and r_hi >= lo:
            near.append(es)
    timings["filter"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ensemble = JoinedEnsemble(
        [EphemerisEnsemble(arcs), Sgp4Ensemble([satrec_of(es) for es in near], jd0, fr0)]
    )
    found = screen(ensemble, window.total_seconds(), threshold_km=threshold_km, step_s=step_s,
                   node_step_s=node_step_for(lo), primaries=np.arange(len(ephemerides)),
                   workers=workers)  # fmt: skip
    timings["screen"] = time.perf_counter() - t0
    return ScreeningResult(
        start=start,
        window_s=window.total_seconds(),
        threshold_km=threshold_km,
        step_s=step_s,
        n_objects=len(arcs) + len(near),
        primaries=[e.norad_cat_id for e in ephemerides],
        conjunctions=_conjunctions(found, [*ephemerides, *others], near, start),
        timings=timings,
        skipped=skipped,
        elements={es.norad_cat_id: es for es in near},
    )


def _covariance_km2(
    ephemeris: Ephemeris, tca: datetime, r_km: np.ndarray, v_km_s: np.ndarray
) -> np.ndarray | None:
    """The ephemeris' position covariance nearest ``tca``, in TEME (km**2), or None."""
    cov = covariance_rtn_km2(ephemeris, tca, r_km, v_km_s)
    return None if cov is None else cov_rtn_to_inertial(cov[:3, :3], r_km, v_km_s)


def covariance_rtn_km2(
    ephemeris: Ephemeris, tca: datetime, r_km: np.ndarray, v_km_s: np.ndarray
) -> np.ndarray | None:
    """The ephemeris' 6x6 covariance nearest ``tca`` in the object's RTN frame at TCA
    (km**2, km**2/s, km**2/s**2), or None where it has none; ``r_km``, ``v_km_s``: the
    object's TEME state at TCA.  An inertial COV_REF_FRAME's position and velocity blocks
    are rotated alike (the frame's own rotation rate, zero for inertial frames, ignored)."""
    nearest: tuple[float, OemSegment, OemCovariance] | None = None
    for segment in ephemeris.segments:
        for cov in segment.covariances:
            gap = abs((cov.epoch - tca).total_seconds())
            if nearest is None or gap < nearest[0]:
                nearest = (gap, segment, cov)
    if nearest is None:
        return None
    _, segment, cov = nearest
    frame = (cov.ref_frame or segment.ref_frame).strip().upper()
    matrix = cov.matrix()
    if frame in RTN_FRAMES:
        return matrix
    jd = np.array(jd_from_datetime(tca))
    w, f = jd[:1], jd[1:]
    axes = frame_to_teme(frame, np.eye(3), np.zeros((3, 3)), np.repeat(w, 3), np.repeat(f, 3))[0]
    # frame -> TEME is axes.T; TEME -> RTN is the transpose of rtn_to_inertial
    rotation = rtn_to_inertial(r_km, v_km_s).T @ axes.T
    block = np.zeros((6, 6))
    block[:3, :3] = block[3:, 3:] = rotation
    return block @ matrix @ block.T


def _conjunctions(
    found: Conjunctions,
    ephemerides: Sequence[Ephemeris],
    near: Sequence[ElementSet],
    start: datetime,
) -> list[Conjunction]:
    """Rows for the result; ``i`` is always an ephemeris (primaries come first, then the
    other ephemerides, then the element sets).  Pc: one vectorized Foster pass."""
    count = len(ephemerides)
    rel_r, rel_v = found.relative_rtn()
    n = len(found)
    tcas = [start + timedelta(microseconds=round(float(t) * 1e6)) for t in found.tca_s]
    covs = np.zeros((2, n, 3, 3))
    ids = np.zeros((2, n), dtype=np.int64)
    names: list[list[str | None]] = [[None] * n, [None] * n]
    sources = ["ephemeris"] * n
    states = ((found.r1_km, found.v1_km_s), (found.r2_km, found.v2_km_s))
    for side, index in enumerate((found.i, found.j)):
        r_all, v_all = states[side]
        catalogue = [k for k in range(n) if int(index[k]) >= count]
        if catalogue:
            covs[side, catalogue] = default_covariances_km2(
                [near[int(index[k]) - count] for k in catalogue],
                [tcas[k] for k in catalogue], r_all[catalogue], v_all[catalogue],
            )  # fmt: skip
        for k in range(n):
            a = int(index[k])
            if a < count:
                e = ephemerides[a]
                cov = _covariance_km2(e, tcas[k], r_all[k], v_all[k])
                ids[side, k], names[side][k] = e.norad_cat_id, e.name
                if cov is None:
                    sources[k] = "ephemeris without covariance"
                else:
                    covs[side, k] = cov
            else:
                es = near[a - count]
                ids[side, k], names[side][k] = es.norad_cat_id, es.object_name
                if sources[k] == "ephemeris":
                    sources[k] = "ephemeris and default"
    pc = np.full(n, np.nan)
    if n:
        pc = np.atleast_1d(probability_of_collision(
            found.r1_km, found.v1_km_s, covs[0], found.r2_km, found.v2_km_s, covs[1],
            DEFAULT_HBR_M / 1000.0, PcMethod.FOSTER,
        ).pc)  # fmt: skip
    out = []
    for k in range(n):
        value = float(pc[k])
        out.append(
            Conjunction(
                object1=int(ids[0, k]),
                object2=int(ids[1, k]),
                object1_name=names[0][k],
                object2_name=names[1][k],
                tca=tcas[k],
                miss_distance_km=float(found.miss_km[k]),
                relative_speed_km_s=float(found.relative_speed_km_s[k]),
                relative_position_rtn_km=triple(rel_r[k]),
                relative_velocity_rtn_km_s=triple(rel_v[k]),
                state1_teme=tuple(float(x) for x in (*found.r1_km[k], *found.v1_km_s[k])),
                state2_teme=tuple(float(x) for x in (*found.r2_km[k], *found.v2_km_s[k])),
                at_edge=bool(found.at_edge[k]),
                pc=value if np.isfinite(value) else None,
                pc_method=PcMethod.FOSTER.ccsds_name,
                covariance_source=sources[k],
            )
        )
    return out
