"""Typed records that the format readers produce and the writers consume.

Units are those of CCSDS ODM 502.0-B-3 (OMM): angles in degrees, mean motion in rev/day,
its derivatives in rev/day**2 and rev/day**3, BSTAR in 1/earth-radii.  Epochs are naive
:class:`datetime.datetime` values in UTC with microsecond resolution (a TLE's 8-decimal day
fraction is a whole number of 864-microsecond steps, so it survives the round trip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from accord.errors import FormatError

T = TypeVar("T")

# What CelesTrak answers (HTTP 404) where a query has nothing to return, whatever format
# was asked for: an empty result, not an unreadable one (gpconf corpus check
# "empty-answer-yields-no-records").
EMPTY_ANSWERS = ("No GP data found", "No SupGP data found")


def is_empty_answer(text: str) -> bool:
    """Given a whole input, say whether it is one of CelesTrak's :data:`EMPTY_ANSWERS`."""
    return text.strip() in EMPTY_ANSWERS


def naive_utc(t: datetime) -> datetime:
    """Given a datetime, return it as records hold epochs: naive, in UTC."""
    if t.tzinfo is not None:
        t = t.astimezone(UTC).replace(tzinfo=None)
    return t


@dataclass(frozen=True)
class ElementSet:
    """One set of SGP4 mean elements (an OMM, a TLE) for one object at one epoch."""

    norad_cat_id: int
    epoch: datetime
    mean_motion: float  # rev/day (Kozai mean motion, as in the TLE)
    eccentricity: float
    inclination: float  # deg
    ra_of_asc_node: float  # deg
    arg_of_pericenter: float  # deg
    mean_anomaly: float  # deg
    bstar: float = 0.0  # 1/ER
    mean_motion_dot: float = 0.0  # rev/day**2 (the TLE's first derivative / 2 convention)
    mean_motion_ddot: float = 0.0  # rev/day**3 (the TLE's second derivative / 6 convention)
    object_name: str | None = None
    object_id: str | None = None  # international designator, e.g. "1998-067A"
    classification_type: str = "U"
    ephemeris_type: int = 0
    element_set_no: int = 999
    rev_at_epoch: int = 0
    # OMM metadata and header
    center_name: str = "EARTH"
    ref_frame: str = "TEME"
    time_system: str = "UTC"
    mean_element_theory: str = "SGP4"
    originator: str | None = None
    creation_date: datetime | None = None
    gm: float | None = None  # km**3/s**2, when the message states it
    # Optional OMM sections, kept verbatim as (KEYWORD, value-text) pairs in message
    # order so that a round trip loses nothing: spacecraft parameters, covariance
    # (COV_REF_FRAME, CX_X, ...), user-defined parameters (USER_DEFINED_*).
    extra: tuple[tuple[str, str], ...] = ()
    comments: tuple[str, ...] = ()


@dataclass(frozen=True)
class SatcatEntry:
    """One object's catalogue metadata, as in CelesTrak's SATCAT CSV."""

    norad_cat_id: int
    object_name: str | None = None
    object_id: str | None = None  # international designator
    object_type: str | None = None  # PAY | R/B | DEB | UNK
    ops_status_code: str | None = None
    owner: str | None = None  # SATCAT owner/source code, e.g. "US", "PRC", "ESA"
    launch_date: str | None = None  # ISO date YYYY-MM-DD
    launch_site: str | None = None
    decay_date: str | None = None  # ISO date YYYY-MM-DD
    period: float | None = None  # minutes
    inclination: float | None = None  # deg
    apogee: float | None = None  # km
    perigee: float | None = None  # km
    rcs: float | None = None  # m**2
    data_status_code: str | None = None
    orbit_center: str | None = None
    orbit_type: str | None = None


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A record read from an input, with where it was and the exact text it came from."""

    record: T
    line: int  # 1-based number of the record's first line in the input
    raw: str  # the record's own text, as received


@dataclass(frozen=True)
class Rejected:
    """A record that could not be read, with the reason and the text kept as received."""

    line: int | None
    raw: str
    error: FormatError

    @property
    def reason(self) -> str:
        """Return the full, human-readable reason."""
        return self.error.describe()


@dataclass
class ParseResult(Generic[T]):
    """What a reader made of an input: the good records and the rejected ones."""

    accepted: list[Parsed[T]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def records(self) -> list[T]:
        """Return the accepted records alone."""
        return [p.record for p in self.accepted]

    def extend(self, other: ParseResult[T]) -> None:
        """Append another result's records and rejections to this one."""
        self.accepted.extend(other.accepted)
        self.rejected.extend(other.rejected)


def raise_first(result: ParseResult[T]) -> Sequence[T]:
    """Given a parse result, return its records, or raise its first rejection (strict use)."""
    if result.rejected:
        raise result.rejected[0].error
    return result.records
