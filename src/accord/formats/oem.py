"""CCSDS Orbit Ephemeris Messages (OEM, CCSDS 502.0-B-3) <-> :class:`Oem` records.

An OEM holds one or more segments; each segment has its metadata (object, centre, frame,
time system, span, interpolation) and a list of states (epoch, position in km, velocity in
km/s, optionally acceleration in km/s**2), optionally followed by covariance matrices (6x6
lower triangle, km**2, km**2/s, km**2/s**2).  Consecutive segments of the same object model
a discontinuity such as a manoeuvre: the ephemeris is not to be interpolated across them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["Oem", "OemCovariance", "OemSegment", "OemState"]


@dataclass(frozen=True)
class OemState:
    """One ephemeris line: epoch, position (km), velocity (km/s), acceleration (km/s**2)."""

    epoch: datetime
    position_km: tuple[float, float, float]
    velocity_km_s: tuple[float, float, float]
    acceleration_km_s2: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class OemCovariance:
    """One covariance matrix of a segment, a lower triangle of 6 rows (row i holds i + 1
    entries) in the order X, Y, Z, X_DOT, Y_DOT, Z_DOT, units km**2, km**2/s, km**2/s**2;
    ``ref_frame`` is COV_REF_FRAME, ``None`` where the message gives none (the segment's
    REF_FRAME applies)."""

    epoch: datetime
    lower: tuple[tuple[float, ...], ...]
    ref_frame: str | None = None
    comments: tuple[str, ...] = ()

    def matrix(self) -> FloatArray:
        """Return the symmetric 6x6 matrix."""
        out = np.zeros((6, 6))
        for i, row in enumerate(self.lower):
            for j, value in enumerate(row):
                out[i, j] = out[j, i] = value
        return out


@dataclass(frozen=True)
class OemSegment:
    """One segment: metadata, states in time order, covariances."""

    object_name: str
    object_id: str
    center_name: str
    ref_frame: str
    time_system: str
    start_time: datetime
    stop_time: datetime
    states: tuple[OemState, ...]
    ref_frame_epoch: datetime | None = None
    useable_start_time: datetime | None = None
    useable_stop_time: datetime | None = None
    interpolation: str | None = None  # e.g. LAGRANGE, HERMITE
    interpolation_degree: int | None = None
    covariances: tuple[OemCovariance, ...] = ()
    metadata_comments: tuple[str, ...] = ()
    data_comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Oem:
    """A whole OEM: header and segments."""

    version: str
    creation_date: datetime
    originator: str
    segments: tuple[OemSegment, ...]
    message_id: str | None = None
    comments: tuple[str, ...] = ()
