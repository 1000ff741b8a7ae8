"""An OCM's Cartesian trajectories as OEM segments (CCSDS 502.0-B-3 sections 5 and 6).

The screening reads ephemerides as OEM segments (:mod:`.oem`): tables of states that are
interpolated within a segment and never across two (502.0-B-3 5.2.4.6).  An OCM gives the
same states in trajectory blocks (6.2.5) beside its manoeuvres (6.2.8) and covariances
(6.2.7); :func:`ocm_segments` makes the segments.  Decisions worth knowing:

- Trajectories: CARTPV and CARTPVA blocks only, the element sets whose lines are an OEM's
  (position and velocity, acceleration optional: 5.2.4.1-2).  CARTP (no velocity) and the
  other element sets (KEPLERIAN, GEODETIC ...) are skipped, not an error.  TRAJ_UNITS are
  converted to km, km/s, km/s**2 (:meth:`.OcmTrajectory.standard_elements`).  Blocks are
  never joined: each is its own segments, bounded by its own first and last states, as
  6.2.5.7-8 put positional and velocity discontinuities between blocks.
- Metadata: OBJECT_NAME, and INTERNATIONAL_DESIGNATOR as OBJECT_ID (table 6-3: it "was
  typically specified by OBJECT_ID in the OEM"), each UNKNOWN where the OCM lacks it (as
  table 5-3 asks); the block's CENTER_NAME and TRAJ_REF_FRAME (default EARTH and ICRF,
  never the metadata's: the OCM metadata names no frame); TRAJ_FRAME_EPOCH as
  REF_FRAME_EPOCH; TIME_SYSTEM (default UTC); INTERPOLATION and INTERPOLATION_DEGREE as
  given (PROPAGATE too, which an OEM cannot name: the reader of the segment decides).
  Epochs are EPOCH_TZERO plus the relative times (:func:`.ocm.absolute_epochs`), in the
  message's time system, not converted.  START_TIME and STOP_TIME are a segment's first
  and last states; USEABLE_START_TIME and USEABLE_STOP_TIME are the block's, clipped to
  the segment (None where they do not cut into it).
- Time order: 6.2.5.6 wants each block's times monotonically increasing.  A block whose
  times go back or repeat raises FormatError (field trajLine): a repeated time is a
  discontinuity, which 6.2.5.7-8 put between blocks, not inside one.
- Breaks: a segment ends at each epoch where the motion is not smooth, from every
  manoeuvre line of every MAN block (whatever MAN_BASIS or MAN_PURPOSE; deployments
  too): the line's time tag, the start of the manoeuvre (6.2.8.20); with MAN_DURA > 0 the
  end, start + MAN_DURA, where thrust goes off (6.2.8.20.3); and for a line with DV_X,
  DV_Y or DV_Z the impulse at start + MAN_DURA / 2 (6.2.8.20).  A break inside a block
  splits it; one at or beyond its ends changes nothing.  OPM's MAN_EPOCH_IGNIT has no
  OCM keyword: the time tag is the ignition epoch.  Not breaks: the pulses of a duty
  cycle (DC_*) inside a burn, and MAN_PREV_EPOCH / MAN_NEXT_EPOCH, which name
  manoeuvres of other blocks or messages (their own lines break where given).
- A state exactly at a break belongs to both sides: the last state of one segment and
  the first of the next, so that each side reaches the break (5.2.4.4 allows the repeated
  time tag and the shared useable endpoint).  Across ignition and cut-off of a finite
  burn position and velocity are continuous, so the shared state is right for both sides.
  At an impulse the velocity jumps and one state can hold only one side's velocity; the
  message does not say which, and 6.2.5.8 asks for separate blocks there, so the state
  is shared as given and the side it does not belong to interpolates its last interval
  with it.
- Dropped: segments of fewer than 2 states (nothing to interpolate: 5.2.4.7, 6.2.5.9),
  and segments outside the block's useable span (an OEM's useable times lie within
  START_TIME..STOP_TIME, so such a segment has no valid form).
- Covariances: COV blocks of COV_TYPE CARTPV (the OEM's 6x6, 5.2.5.4), converted from
  COV_UNITS to km**2, km**2/s, km**2/s**2 (:meth:`.OcmCovariance.standard_matrices`) and
  kept as lower triangles.  COV_REF_FRAME is always set, to the OCM default TNW_INERTIAL
  where the block gives none: an OEM covariance without COV_REF_FRAME is in the states'
  frame (5.2.5.3), which would change its meaning.  Each goes to every segment whose
  START_TIME..STOP_TIME (closed, as the OEM's span covers its covariances: table 5-3)
  holds its epoch, so one at a break goes to both sides; one outside every segment is
  dropped.  A segment's covariances are in time order (5.2.5.7).  Other COV_TYPEs are
  skipped; COV_FRAME_EPOCH, COV_SCALE_* and COV_CONFIDENCE have no OEM keyword.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime, timedelta

from accord.errors import FormatError
from accord.formats.ocm import (
    FloatArray,
    Ocm,
    OcmManeuver,
    OcmTrajectory,
    Time,
    absolute_epochs,
)
from accord.formats.ocm_keywords import TIME_FIELDS, unit_scale
from accord.formats.ocm_values import data_tag, parse_time
from accord.formats.oem import OemCovariance, OemSegment, OemState

__all__ = ["CARTESIAN_TYPES", "UNKNOWN", "maneuver_breaks", "ocm_segments"]

CARTESIAN_TYPES = ("CARTPV", "CARTPVA")  # the TRAJ_TYPEs an OEM can hold
COVARIANCE_TYPE = "CARTPV"  # the COV_TYPE of an OEM covariance
UNKNOWN = "UNKNOWN"  # OBJECT_NAME and OBJECT_ID where the OCM lacks them (table 5-3)
_DV_FIELDS = ("DV_X", "DV_Y", "DV_Z")


def ocm_segments(ocm: Ocm) -> tuple[OemSegment, ...]:
    """Given a record, return its CARTPV and CARTPVA trajectories as OEM segments: km,
    km/s, km/s**2 in each block's TRAJ_REF_FRAME, epochs in TIME_SYSTEM, split at the
    manoeuvres (:func:`maneuver_breaks`), with the CARTPV covariances whose epochs they
    span (km**2, km**2/s, km**2/s**2 in COV_REF_FRAME).  Blocks in message order, each
    block's segments in time order.

    Raise FormatError for a block whose times do not increase (502.0-B-3 6.2.5.6).
    """
    breaks = maneuver_breaks(ocm)
    covariances = _covariances(ocm)
    out: list[OemSegment] = []
    for traj in ocm.trajectories:
        if traj.element_type in CARTESIAN_TYPES:
            out.extend(_trajectory_segments(ocm, traj, breaks, covariances))
    return tuple(out)


def maneuver_breaks(ocm: Ocm) -> tuple[datetime, ...]:
    """Given a record, return the epochs no interpolation may cross, increasing: each
    manoeuvre line's start, its end (start + MAN_DURA) and, for a line with a ΔV, the
    impulse at start + MAN_DURA / 2 (502.0-B-3 6.2.8.20)."""
    out: set[datetime] = set()
    for man in ocm.maneuvers:
        impulsive = any(f in man.man_composition for f in _DV_FIELDS)
        starts = man.epochs(ocm.epoch_tzero)
        for start, duration_s in zip(starts, _durations_s(man), strict=True):
            out.add(start)
            if duration_s > 0.0:
                out.add(start + timedelta(seconds=duration_s))
                if impulsive:
                    out.add(start + timedelta(seconds=duration_s / 2.0))
    return tuple(sorted(out))


def _durations_s(man: OcmManeuver) -> list[float]:
    """Each line's MAN_DURA in seconds (0 where the composition has none)."""
    if "MAN_DURA" not in man.man_composition:
        return [0.0] * len(man.rows)
    scale = 1.0
    if man.man_units is not None:  # MAN_UNITS name the fields after the time tag(s)
        fields = [f for f in man.man_composition if f not in TIME_FIELDS]
        unit = man.man_units[fields.index("MAN_DURA")]
        factor = unit_scale(unit, "s")
        if factor is None:  # only a record built by hand: the reader rejects it
            raise FormatError(
                "MAN_UNITS give MAN_DURA a unit that is not a time",
                field="MAN_UNITS",
                expected="s",
                received=unit,
            )
        scale = factor
    return [float(d) * scale if isinstance(d, int | float) else 0.0 for d in man.column("MAN_DURA")]


def _trajectory_segments(
    ocm: Ocm, traj: OcmTrajectory, breaks: Sequence[datetime], covs: list[OemCovariance]
) -> list[OemSegment]:
    tzero = ocm.epoch_tzero
    epochs = traj.epochs(tzero)
    _check_increasing(epochs, traj)
    states = _states(epochs, traj.standard_elements())
    u_start, u_stop = (_epoch(t, tzero) for t in (traj.useable_start_time, traj.useable_stop_time))
    frame_epoch = _frame_epoch(traj, tzero)
    out = []
    for first, last in _pieces(epochs, breaks):
        start, stop = epochs[first], epochs[last]
        lo = start if u_start is None else max(start, u_start)
        hi = stop if u_stop is None else min(stop, u_stop)
        if lo >= hi:
            continue  # no useable span in this piece
        out.append(
            OemSegment(
                object_name=ocm.object_name or UNKNOWN,
                object_id=ocm.international_designator or UNKNOWN,
                center_name=traj.center,
                ref_frame=traj.ref_frame,
                time_system=ocm.time_scale,
                start_time=start,
                stop_time=stop,
                states=states[first : last + 1],
                ref_frame_epoch=frame_epoch,
                useable_start_time=lo if lo > start else None,
                useable_stop_time=hi if hi < stop else None,
                interpolation=traj.interpolation,
                interpolation_degree=traj.interpolation_degree,
                covariances=tuple(c for c in covs if start <= c.epoch <= stop),
                data_comments=traj.comments,
            )
        )
    return out


def _epoch(t: Time | None, tzero: datetime) -> datetime | None:
    return None if t is None else absolute_epochs([t], tzero)[0]


def _pieces(epochs: Sequence[datetime], breaks: Sequence[datetime]) -> list[tuple[int, int]]:
    """Given increasing epochs and increasing breaks, return each piece's first and last
    index (inclusive), pieces of fewer than 2 states left out; a state at a break ends one
    piece and starts the next."""
    pieces, first = [], 0
    for b in breaks:
        if not epochs[first] < b < epochs[-1]:
            continue
        i = bisect_left(epochs, b)  # the first state at or after the break
        pieces.append((first, i if epochs[i] == b else i - 1))
        first = i
    pieces.append((first, len(epochs) - 1))
    return [(a, z) for a, z in pieces if z > a]


def _check_increasing(epochs: Sequence[datetime], traj: OcmTrajectory) -> None:
    for i in range(1, len(epochs)):
        if epochs[i] <= epochs[i - 1]:
            name = f" {traj.traj_id}" if traj.traj_id else ""
            raise FormatError(
                f"trajectory{name}: data line {i + 1} does not come after line {i}",
                field=data_tag("TRAJ"),
                expected="times increasing within a trajectory block (502.0-B-3 6.2.5.6)",
                received=f"{epochs[i - 1].isoformat()} then {epochs[i].isoformat()}",
            )


def _states(epochs: Sequence[datetime], values: FloatArray) -> tuple[OemState, ...]:
    """Given epochs and CARTPV or CARTPVA elements (n, 6 or 9) in km, km/s, km/s**2,
    return the OEM states."""
    rows = values.tolist()
    return tuple(
        OemState(
            epoch,
            (row[0], row[1], row[2]),
            (row[3], row[4], row[5]),
            (row[6], row[7], row[8]) if len(row) == 9 else None,
        )
        for epoch, row in zip(epochs, rows, strict=True)
    )


def _frame_epoch(traj: OcmTrajectory, tzero: datetime) -> datetime | None:
    """TRAJ_FRAME_EPOCH (kept in ``extra``) as an epoch, or None."""
    text = next((v for kw, v in traj.extra if kw == "TRAJ_FRAME_EPOCH"), None)
    if text is None:
        return None
    t = parse_time(text)
    if t is None:  # only a record built by hand: the reader checks the value
        raise FormatError(
            "TRAJ_FRAME_EPOCH is not a time",
            field="TRAJ_FRAME_EPOCH",
            expected="an epoch or seconds from EPOCH_TZERO",
            received=text,
        )
    return _epoch(t, tzero)


def _covariances(ocm: Ocm) -> list[OemCovariance]:
    """The CARTPV covariances of every COV block, km**2 ..., in time order."""
    out = []
    for cov in ocm.covariances:
        if cov.element_type != COVARIANCE_TYPE:
            continue
        matrices = cov.standard_matrices().tolist()
        for epoch, m in zip(cov.epochs(ocm.epoch_tzero), matrices, strict=True):
            lower = tuple(tuple(m[i][: i + 1]) for i in range(6))
            out.append(OemCovariance(epoch, lower, cov.ref_frame, cov.comments))
    out.sort(key=lambda c: c.epoch)
    return out
