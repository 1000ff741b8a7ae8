"""CCSDS Conjunction Data Messages (CDM, CCSDS 508.0-B-1) <-> :class:`Cdm` records.

Reads and writes the CDM of CCSDS 508.0-B-1 (2013, with its corrigendum), version 1.0, in
KVN (this module) and NDM/XML (CCSDS 505.0-B-1, schema ``ndmxml-1.0-cdm-1.0.xsd``;
:mod:`accord.formats.cdm_xml`).  Built like the OMM readers and like Orekit: each
rendering's lexer turns text into tokens ``(line, keyword, value, unit)`` and one builder
(:func:`build_cdm`) checks every token against a per-keyword table (section, type, unit,
range; 508.0-B-1 Tables 3-1 to 3-4) and makes the record.

Decisions worth knowing:

- Units are those of the standard, kept as they are: m and m/s for the relative state,
  km and km/s for each object's state vector, SI for the covariance.  Field names say the
  unit (``miss_distance_m``, ``r_km``).  A unit in brackets (KVN) or ``units=`` (XML) must
  be the standard's, compared without regard to case or blanks.
- The covariance ``CdmObject.cov_rtn_si`` is a lower triangle, a tuple of rows (row i
  holds i + 1 entries) in the order R, T, N, RDOT, TDOT, NDOT, DRG, SRP, THR of Table 3-4,
  in the standard's SI units (m**2, m**2/s, m**2/s**2, m**3/kg ...).  The 6x6 part is
  mandatory; the drag, SRP and thrust rows are optional, each whole or absent, and a row
  needs those before it (its entries refer to them).  ``CdmObject.cov_rtn_m_m_s()`` gives
  the symmetric 6x6 position-velocity matrix as a numpy array.
- Comments are kept per block, where the KVN puts them: a COMMENT belongs to the block of
  the keyword that follows it.  XML comments of ``<data>`` and of a block with no
  keywords therefore belong to the next block.  A COMMENT inside a block is an error.
- Enumerated values (OBJECT_TYPE, REF_FRAME, ...) are read without regard to case (the
  schema allows "yes" and "YES") and kept in upper case; YES/NO keywords are booleans.
- Values and comments are single lines of printable characters, as KVN holds them; an
  XML value or comment with a line break or a tab is refused rather than reflowed.
- Ranges are the schema's (COLLISION_PROBABILITY in [0, 1], OBS_USED > 0, ...), so that
  every record read can be written as valid NDM/XML.
- 508.0-B-1 has no user-defined keywords, so a valid message has nothing a record does
  not model.  Keywords of the CDM 2.0 drafts (COVARIANCE_SOURCE, CX_X ...) and version
  2.0 messages are refused as unknown.
- Strict by default, with one named exception: ``allow_empty`` reads an optional keyword
  with an empty value (or, in XML, a ``nil="true"`` element, as Space-Track serves CSpOC
  CDMs) as absent.  The standard and the schema forbid both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import FormatError
from accord.formats.omm_keywords import parse_epoch, read_integer, read_real, real_text
from accord.formats.records import Parsed, ParseResult, Rejected, naive_utc

__all__ = [
    "COVARIANCE_AXES",
    "Cdm",
    "CdmObject",
    "dump_cdm_kvn",
    "dump_cdm_xml",
    "load_cdm",
    "load_cdm_kvn",
    "load_cdm_xml",
]

Vector3 = tuple[float, float, float]


@dataclass(frozen=True)
class CdmObject:
    """One object of a conjunction: its metadata and data (508.0-B-1 Tables 3-3 and 3-4).

    Vectors and the covariance are in the frame REF_FRAME (state) and RTN (covariance) of
    the object at TCA.  Comment fields hold the COMMENT lines that open each block.
    """

    object_designator: str
    catalog_name: str
    object_name: str
    international_designator: str
    ephemeris_name: str
    covariance_method: str  # CALCULATED | DEFAULT
    maneuverable: str  # YES | NO | N/A
    ref_frame: str  # EME2000 | GCRF | ITRF
    r_km: Vector3  # X, Y, Z
    v_km_s: Vector3  # X_DOT, Y_DOT, Z_DOT
    # Lower triangle, 6 to 9 rows over COVARIANCE_AXES, SI units (see the module docstring).
    cov_rtn_si: tuple[tuple[float, ...], ...]
    object_type: str | None = None  # PAYLOAD | ROCKET BODY | DEBRIS | UNKNOWN | OTHER
    operator_contact_position: str | None = None
    operator_organization: str | None = None
    operator_phone: str | None = None
    operator_email: str | None = None
    orbit_center: str | None = None  # None: not stated, which means EARTH
    gravity_model: str | None = None
    atmospheric_model: str | None = None
    n_body_perturbations: str | None = None
    solar_rad_pressure: bool | None = None
    earth_tides: bool | None = None
    intrack_thrust: bool | None = None
    # OD parameters
    time_lastob_start: datetime | None = None
    time_lastob_end: datetime | None = None
    recommended_od_span_d: float | None = None
    actual_od_span_d: float | None = None
    obs_available: int | None = None
    obs_used: int | None = None
    tracks_available: int | None = None
    tracks_used: int | None = None
    residuals_accepted_pct: float | None = None
    weighted_rms: float | None = None
    # Additional parameters
    area_pc_m2: float | None = None
    area_drg_m2: float | None = None
    area_srp_m2: float | None = None
    mass_kg: float | None = None
    cd_area_over_mass_m2_kg: float | None = None
    cr_area_over_mass_m2_kg: float | None = None
    thrust_acceleration_m_s2: float | None = None
    sedr_w_kg: float | None = None
    metadata_comments: tuple[str, ...] = ()
    od_comments: tuple[str, ...] = ()
    additional_comments: tuple[str, ...] = ()
    state_vector_comments: tuple[str, ...] = ()
    covariance_comments: tuple[str, ...] = ()

    def cov_rtn_m_m_s(self) -> NDArray[np.float64]:
        """Return the 6x6 position-velocity covariance in RTN, symmetric, shape (6, 6).

        Rows and columns R, T, N (m) then RDOT, TDOT, NDOT (m/s): entries in m**2, m**2/s
        and m**2/s**2, the units of 508.0-B-1 Table 3-4.
        """
        lower = np.zeros((6, 6))
        for i, row in enumerate(self.cov_rtn_si[:6]):
            lower[i, : i + 1] = row
        return lower + np.tril(lower, -1).T


@dataclass(frozen=True)
class Cdm:
    """One Conjunction Data Message: header, relative metadata/data and two objects.

    508.0-B-1 Tables 3-1 (header) and 3-2 (relative metadata/data); epochs are naive UTC
    datetimes with microsecond resolution; relative vectors are RTN of object 1 at TCA.
    """

    creation_date: datetime
    originator: str
    message_id: str
    tca: datetime
    miss_distance_m: float
    object1: CdmObject
    object2: CdmObject
    message_for: str | None = None
    relative_speed_m_s: float | None = None
    relative_position_rtn_m: Vector3 | None = None
    relative_velocity_rtn_m_s: Vector3 | None = None
    start_screen_period: datetime | None = None
    stop_screen_period: datetime | None = None
    screen_volume_frame: str | None = None  # RTN | TVN
    screen_volume_shape: str | None = None  # ELLIPSOID | BOX
    screen_volume_x_m: float | None = None
    screen_volume_y_m: float | None = None
    screen_volume_z_m: float | None = None
    screen_entry_time: datetime | None = None
    screen_exit_time: datetime | None = None
    collision_probability: float | None = None
    collision_probability_method: str | None = None
    header_comments: tuple[str, ...] = ()
    relative_comments: tuple[str, ...] = ()

    @property
    def objects(self) -> tuple[CdmObject, CdmObject]:
        """Return (object1, object2)."""
        return self.object1, self.object2


# ---------------------------------------------------------------------------------------
# The keyword table: CCSDS 508.0-B-1 Tables 3-1 to 3-4, with the schema's ranges.
# ---------------------------------------------------------------------------------------

BLOCKS = (
    "header",
    "relativeMetadataData",
    "metadata",
    "odParameters",
    "additionalParameters",
    "stateVector",
    "covarianceMatrix",
)
HEADER, RELATIVE, METADATA, OD, ADDITIONAL, STATE, COVARIANCE = range(len(BLOCKS))
_BLOCK_NAMES = (
    "header",
    "relative metadata/data",
    "metadata",
    "OD parameters",
    "additional parameters",
    "state vector",
    "covariance matrix",
)
_STANDARD = "CCSDS 508.0-B-1"
_TABLES = f"{_STANDARD} Tables 3-1 to 3-4"


@dataclass(frozen=True)
class Key:
    """One keyword's row: its block, type, unit, record field and allowed values."""

    block: int
    kind: str  # "text" | "real" | "int" | "epoch" | "enum" | "yesno"
    attr: str | None = None  # the record's field; None for parts of vectors and matrices
    unit: str | None = None  # the standard's unit; None if dimensionless
    mandatory: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None  # smallest value allowed
    positive: bool = False  # values must exceed low rather than reach it
    high: float | None = None  # largest value allowed


COVARIANCE_AXES = ("R", "T", "N", "RDOT", "TDOT", "NDOT", "DRG", "SRP", "THR")
_AXIS_KIND = "pppvvvaat"  # position, velocity, area over mass (drag, SRP), thrust
_COVARIANCE_UNITS = {
    "pp": "m**2",
    "vp": "m**2/s",
    "vv": "m**2/s**2",
    "ap": "m**3/kg",
    "av": "m**3/(kg*s)",
    "aa": "m**4/kg**2",
    "tp": "m**2/s**2",
    "tv": "m**2/s**3",
    "ta": "m**3/(kg*s**2)",
    "tt": "m**2/s**4",
}
COVARIANCE_ROWS = tuple(
    tuple(f"C{row}_{col}" for col in COVARIANCE_AXES[: i + 1])
    for i, row in enumerate(COVARIANCE_AXES)
)
_COVARIANCE_CELL = {kw: (i, j) for i, row in enumerate(COVARIANCE_ROWS) for j, kw in enumerate(row)}

_REL_POSITION = ("RELATIVE_POSITION_R", "RELATIVE_POSITION_T", "RELATIVE_POSITION_N")
_REL_VELOCITY = ("RELATIVE_VELOCITY_R", "RELATIVE_VELOCITY_T", "RELATIVE_VELOCITY_N")
_POSITION = ("X", "Y", "Z")
_VELOCITY = ("X_DOT", "Y_DOT", "Z_DOT")
# Vectors held as one field: field -> its keywords (all or none).
VECTORS = {
    "relative_position_rtn_m": _REL_POSITION,
    "relative_velocity_rtn_m_s": _REL_VELOCITY,
    "r_km": _POSITION,
    "v_km_s": _VELOCITY,
}
_VECTOR_PART = {kw: (attr, i) for attr, kws in VECTORS.items() for i, kw in enumerate(kws)}


def _part(block: int, unit: str, mandatory: bool = False) -> Key:
    return Key(block, "real", None, unit, mandatory)


KEYWORDS: dict[str, Key] = {
    # Table 3-1, the header
    "CREATION_DATE": Key(HEADER, "epoch", "creation_date", mandatory=True),
    "ORIGINATOR": Key(HEADER, "text", "originator", mandatory=True),
    "MESSAGE_FOR": Key(HEADER, "text", "message_for"),
    "MESSAGE_ID": Key(HEADER, "text", "message_id", mandatory=True),
    # Table 3-2, relative metadata/data
    "TCA": Key(RELATIVE, "epoch", "tca", mandatory=True),
    "MISS_DISTANCE": Key(RELATIVE, "real", "miss_distance_m", "m", mandatory=True),
    "RELATIVE_SPEED": Key(RELATIVE, "real", "relative_speed_m_s", "m/s"),
    **{kw: _part(RELATIVE, "m") for kw in _REL_POSITION},
    **{kw: _part(RELATIVE, "m/s") for kw in _REL_VELOCITY},
    "START_SCREEN_PERIOD": Key(RELATIVE, "epoch", "start_screen_period"),
    "STOP_SCREEN_PERIOD": Key(RELATIVE, "epoch", "stop_screen_period"),
    "SCREEN_VOLUME_FRAME": Key(RELATIVE, "enum", "screen_volume_frame", choices=("RTN", "TVN")),
    "SCREEN_VOLUME_SHAPE": Key(
        RELATIVE, "enum", "screen_volume_shape", choices=("ELLIPSOID", "BOX")
    ),
    "SCREEN_VOLUME_X": Key(RELATIVE, "real", "screen_volume_x_m", "m"),
    "SCREEN_VOLUME_Y": Key(RELATIVE, "real", "screen_volume_y_m", "m"),
    "SCREEN_VOLUME_Z": Key(RELATIVE, "real", "screen_volume_z_m", "m"),
    "SCREEN_ENTRY_TIME": Key(RELATIVE, "epoch", "screen_entry_time"),
    "SCREEN_EXIT_TIME": Key(RELATIVE, "epoch", "screen_exit_time"),
    "COLLISION_PROBABILITY": Key(RELATIVE, "real", "collision_probability", low=0.0, high=1.0),
    "COLLISION_PROBABILITY_METHOD": Key(RELATIVE, "text", "collision_probability_method"),
    # Table 3-3, object metadata
    "OBJECT": Key(METADATA, "enum", None, mandatory=True, choices=("OBJECT1", "OBJECT2")),
    "OBJECT_DESIGNATOR": Key(METADATA, "text", "object_designator", mandatory=True),
    "CATALOG_NAME": Key(METADATA, "text", "catalog_name", mandatory=True),
    "OBJECT_NAME": Key(METADATA, "text", "object_name", mandatory=True),
    "INTERNATIONAL_DESIGNATOR": Key(METADATA, "text", "international_designator", mandatory=True),
    "OBJECT_TYPE": Key(
        METADATA,
        "enum",
        "object_type",
        choices=("PAYLOAD", "ROCKET BODY", "DEBRIS", "UNKNOWN", "OTHER"),
    ),
    "OPERATOR_CONTACT_POSITION": Key(METADATA, "text", "operator_contact_position"),
    "OPERATOR_ORGANIZATION": Key(METADATA, "text", "operator_organization"),
    "OPERATOR_PHONE": Key(METADATA, "text", "operator_phone"),
    "OPERATOR_EMAIL": Key(METADATA, "text", "operator_email"),
    "EPHEMERIS_NAME": Key(METADATA, "text", "ephemeris_name", mandatory=True),
    "COVARIANCE_METHOD": Key(
        METADATA, "enum", "covariance_method", mandatory=True, choices=("CALCULATED", "DEFAULT")
    ),
    "MANEUVERABLE": Key(
        METADATA, "enum", "maneuverable", mandatory=True, choices=("YES", "NO", "N/A")
    ),
    "ORBIT_CENTER": Key(METADATA, "text", "orbit_center"),
    "REF_FRAME": Key(
        METADATA, "enum", "ref_frame", mandatory=True, choices=("EME2000", "GCRF", "ITRF")
    ),
    "GRAVITY_MODEL": Key(METADATA, "text", "gravity_model"),
    "ATMOSPHERIC_MODEL": Key(METADATA, "text", "atmospheric_model"),
    "N_BODY_PERTURBATIONS": Key(METADATA, "text", "n_body_perturbations"),
    "SOLAR_RAD_PRESSURE": Key(METADATA, "yesno", "solar_rad_pressure", choices=("YES", "NO")),
    "EARTH_TIDES": Key(METADATA, "yesno", "earth_tides", choices=("YES", "NO")),
    "INTRACK_THRUST": Key(METADATA, "yesno", "intrack_thrust", choices=("YES", "NO")),
    # Table 3-4, object data: OD parameters, additional parameters, state, covariance
    "TIME_LASTOB_START": Key(OD, "epoch", "time_lastob_start"),
    "TIME_LASTOB_END": Key(OD, "epoch", "time_lastob_end"),
    "RECOMMENDED_OD_SPAN": Key(OD, "real", "recommended_od_span_d", "d", low=0.0, positive=True),
    "ACTUAL_OD_SPAN": Key(OD, "real", "actual_od_span_d", "d", low=0.0, positive=True),
    "OBS_AVAILABLE": Key(OD, "int", "obs_available", low=0, positive=True),
    "OBS_USED": Key(OD, "int", "obs_used", low=0, positive=True),
    "TRACKS_AVAILABLE": Key(OD, "int", "tracks_available", low=0, positive=True),
    "TRACKS_USED": Key(OD, "int", "tracks_used", low=0, positive=True),
    "RESIDUALS_ACCEPTED": Key(OD, "real", "residuals_accepted_pct", "%", low=0.0, high=100.0),
    "WEIGHTED_RMS": Key(OD, "real", "weighted_rms", low=0.0),
    "AREA_PC": Key(ADDITIONAL, "real", "area_pc_m2", "m**2", low=0.0),
    "AREA_DRG": Key(ADDITIONAL, "real", "area_drg_m2", "m**2", low=0.0),
    "AREA_SRP": Key(ADDITIONAL, "real", "area_srp_m2", "m**2", low=0.0),
    "MASS": Key(ADDITIONAL, "real", "mass_kg", "kg", low=0.0),
    "CD_AREA_OVER_MASS": Key(ADDITIONAL, "real", "cd_area_over_mass_m2_kg", "m**2/kg", low=0.0),
    "CR_AREA_OVER_MASS": Key(ADDITIONAL, "real", "cr_area_over_mass_m2_kg", "m**2/kg", low=0.0),
    "THRUST_ACCELERATION": Key(ADDITIONAL, "real", "thrust_acceleration_m_s2", "m/s**2"),
    "SEDR": Key(ADDITIONAL, "real", "sedr_w_kg", "W/kg", low=0.0),
    **{kw: _part(STATE, "km", True) for kw in _POSITION},
    **{kw: _part(STATE, "km/s", True) for kw in _VELOCITY},
    **{
        kw: _part(COVARIANCE, _COVARIANCE_UNITS[_AXIS_KIND[i] + _AXIS_KIND[j]], i < 6)
        for kw, (i, j) in _COVARIANCE_CELL.items()
    },
}
# The schema makes units= optional on these and required on every other keyword with one.
XML_UNITS_OPTIONAL = frozenset(("AREA_PC", "AREA_DRG", "AREA_SRP", "MASS"))
VERSION = "1.0"
_KEYWORD_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_MESSAGE_BLOCKS = (HEADER, RELATIVE)
_OBJECT_BLOCKS = (METADATA, OD, ADDITIONAL, STATE, COVARIANCE)

# A token: (line, keyword, value text, unit or None); keyword "COMMENT" for comments.
Token = tuple[int, str, str, str | None]


# ---------------------------------------------------------------------------------------
# The builder: tokens -> Cdm, the same for KVN and XML.
# ---------------------------------------------------------------------------------------


class _Part:
    """What the tokens of one part said: the message-level blocks, or one object."""

    __slots__ = ("comments", "first", "lines", "start", "values")

    def __init__(self, start: int) -> None:
        self.start = start  # line of the part's first keyword
        self.values: dict[str, Any] = {}  # keyword -> typed value (absent if empty)
        self.lines: dict[str, int] = {}  # keyword -> line
        self.first: dict[int, int] = {}  # block -> line of its first keyword
        self.comments: dict[int, tuple[str, ...]] = {}


def check_version(version: str, line: int) -> None:
    """Given CCSDS_CDM_VERS, raise unless it is the version 508.0-B-1 defines (1.0)."""
    if version != VERSION:
        raise FormatError(
            "unsupported CDM version",
            line=line,
            field="CCSDS_CDM_VERS",
            expected=f"{VERSION} ({_STANDARD}; CDM 2.0 is not read)",
            received=version,
        )


def build_cdm(
    tokens: Iterable[Token | FormatError], *, line: int, xml: bool, allow_empty: bool
) -> Cdm:
    """Given the tokens of one CDM (the version first), return its record or raise.

    Checks each keyword against Tables 3-1 to 3-4 of 508.0-B-1: known, in its section,
    in the section order (header, relative metadata/data, then OBJECT1 and OBJECT2, each
    metadata then OD parameters, additional parameters, state vector, covariance), given
    once, typed, in range and in the standard's unit; then the mandatory keywords.  A
    FormatError among the tokens (a lexical error) is raised when reached.  ``xml`` makes
    units= required where the schema requires it.
    """
    it = iter(tokens)
    first = next(it)
    if isinstance(first, FormatError):
        raise first
    check_version(first[2], first[0])
    parts = [_Part(line)]
    block, previous, pending, pending_line = HEADER, "CCSDS_CDM_VERS", [], 0
    last = line
    for token in it:
        if isinstance(token, FormatError):
            raise token
        at, kw, raw, unit = token
        last = at
        if not raw.isprintable():
            raise FormatError(
                f"{kw} holds a control character (a line break, a tab ...)",
                line=at,
                field=kw,
                expected="printable characters on one line, as a KVN line holds them",
                received=repr(raw[:80]),
            )
        if kw == "COMMENT":
            pending.append(raw)
            pending_line = pending_line or at
            continue
        key = KEYWORDS.get(kw)
        if key is None:
            raise FormatError(
                f"unknown keyword {kw}",
                line=at,
                field=kw,
                expected=f"a keyword of {_TABLES} (CDM 1.0)",
            )
        if kw == "OBJECT":
            if len(parts) == 3:
                raise FormatError("a third OBJECT section", line=at, field=kw, expected="two")
            parts.append(_Part(at))
            block = -1
        _check_place(key, kw, at, block, len(parts))
        part = parts[-1]
        if pending:
            if key.block == block and previous != "CCSDS_CDM_VERS":
                _misplaced_comment(pending_line, _BLOCK_NAMES[block])
            part.comments[key.block] = tuple(pending)
            pending, pending_line = [], 0
        part.first.setdefault(key.block, at)
        block, previous = key.block, kw
        if kw in part.lines:
            raise FormatError(
                f"{kw} given twice",
                line=at,
                field=kw,
                received=f"first given on line {part.lines[kw]}",
            )
        part.lines[kw] = at
        value = _value(key, kw, raw, unit, at, xml, allow_empty)
        if value is not None:
            part.values[kw] = value
    if pending:
        _misplaced_comment(pending_line, "last")
    return _record(parts, last)


def _check_place(key: Key, kw: str, at: int, block: int, n_parts: int) -> None:
    """Raise unless the keyword may come here: its part, and its block not yet ended."""
    if key.block >= METADATA and n_parts == 1:
        raise FormatError(
            f"{kw} comes before the first object section",
            line=at,
            field=kw,
            expected="OBJECT = OBJECT1 to open the object sections (508.0-B-1 Table 3-3)",
        )
    if key.block < block or (key.block < METADATA and n_parts > 1):
        raise FormatError(
            f"{kw} belongs to the {_BLOCK_NAMES[key.block]} section, which has ended",
            line=at,
            field=kw,
            expected="header, relative metadata/data, then per object metadata, OD "
            "parameters, additional parameters, state vector, covariance "
            f"({_TABLES})",
        )


def _misplaced_comment(line: int, block: str) -> None:
    raise FormatError(
        f"COMMENT inside the {block} block",
        line=line,
        field="COMMENT",
        expected="COMMENT lines only at the start of the header, the relative "
        "metadata/data, the metadata and each block of the data (508.0-B-1, NDM/XML schema)",
    )


def _value(
    key: Key, kw: str, raw: str, unit: str | None, at: int, xml: bool, allow_empty: bool
) -> Any:
    """Given one token's value, return it typed by the table (None for absent), or raise."""
    if not raw:
        if allow_empty and not key.mandatory:
            return None
        hint = "" if key.mandatory else "; pass allow_empty=True to read it as absent"
        raise FormatError(f"{kw} has no value", line=at, field=kw, expected=f"a value{hint}")
    _check_unit(key, kw, unit, at, xml)
    kind = key.kind
    if kind == "text":
        return raw
    if kind == "epoch":
        try:
            return parse_epoch(raw)
        except FormatError as exc:
            raise FormatError(
                f"{kw} is not a CCSDS epoch",
                line=at,
                field=kw,
                expected=exc.expected,
                received=exc.received,
            ) from None
    if kind in ("enum", "yesno"):
        upper = raw.upper()
        if upper not in key.choices:
            raise FormatError(
                f"{kw} is not one of its values",
                line=at,
                field=kw,
                expected=" | ".join(key.choices) + f" ({_TABLES})",
                received=raw,
            )
        return upper == "YES" if kind == "yesno" else upper
    number = read_real(raw) if kind == "real" else read_integer(raw)
    if number is None:
        expected = "a real number such as 715 or -4.152E-02" if kind == "real" else "an integer"
        raise FormatError(
            f"{kw} is not a number", line=at, field=kw, expected=expected, received=raw
        )
    _check_range(key, kw, number, at)
    return number


def _unit_form(unit: str) -> str:
    return "".join(unit.split()).lower()


def _check_unit(key: Key, kw: str, unit: str | None, at: int, xml: bool) -> None:
    if unit is None:
        if xml and key.unit is not None and kw not in XML_UNITS_OPTIONAL:
            raise FormatError(
                f"{kw} lacks its units attribute",
                line=at,
                field=kw,
                expected=f'units="{key.unit}" (ndmxml-1.0-cdm-1.0.xsd)',
            )
        return
    if key.unit is None:
        if xml or unit.lower() != "n/a":
            raise FormatError(
                f"{kw} is dimensionless but carries a unit",
                line=at,
                field=kw,
                expected="no unit" if xml else "no unit (or [n/a])",
                received=unit,
            )
    elif _unit_form(unit) != _unit_form(key.unit):
        raise FormatError(
            f"wrong unit for {kw}",
            line=at,
            field=kw,
            expected=f"{key.unit} ({_TABLES})",
            received=unit,
        )


def _range_text(key: Key, kw: str) -> str | None:
    low = "" if key.low is None else f"{key.low:g} {'<' if key.positive else '<='} "
    high = "" if key.high is None else f" <= {key.high:g}"
    return f"{low}{kw}{high}" if low or high else None


def _check_range(key: Key, kw: str, x: float, at: int | None) -> None:
    low, high = key.low, key.high
    if (low is None or x > low or (x == low and not key.positive)) and (high is None or x <= high):
        return
    raise FormatError(
        f"{kw} out of range",
        line=at,
        field=kw,
        expected=f"{_range_text(key, kw)} (NDM/XML schema)",
        received=str(x),
    )


def _missing(kw: str, line: int, why: str = "") -> FormatError:
    return FormatError(
        f"missing mandatory keyword {kw}{why}", line=line, field=kw, expected=f"{kw} = ..."
    )


def _record(parts: list[_Part], last: int) -> Cdm:
    """Given the parts read, check what is mandatory and return the Cdm."""
    if len(parts) < 3:
        name = f"OBJECT{len(parts)}"
        raise FormatError(
            f"the {name} section is missing",
            line=last,
            field="OBJECT",
            expected=f"OBJECT = {name} and its metadata and data (508.0-B-1 Table 3-3)",
        )
    top, one, two = parts
    _check_mandatory(top, _MESSAGE_BLOCKS)
    _settle_comments(top, _MESSAGE_BLOCKS)
    for n, part in ((1, one), (2, two)):
        if part.values["OBJECT"] != f"OBJECT{n}":
            raise FormatError(
                f"object section {n} is not OBJECT{n}",
                line=part.start,
                field="OBJECT",
                expected=f"OBJECT{n}: OBJECT1 first, then OBJECT2",
                received=part.values["OBJECT"],
            )
        _check_mandatory(part, _OBJECT_BLOCKS)
        _settle_comments(part, _OBJECT_BLOCKS)
    return Cdm(
        **_fields(top, _MESSAGE_BLOCKS),
        object1=_object(one),
        object2=_object(two),
        header_comments=top.comments.get(HEADER, ()),
        relative_comments=top.comments.get(RELATIVE, ()),
    )


def _check_mandatory(part: _Part, blocks: Sequence[int]) -> None:
    for kw, key in KEYWORDS.items():
        if key.block in blocks and key.mandatory and kw not in part.values:
            raise _missing(kw, part.first.get(key.block, part.start), f" ({_TABLES})")


def _settle_comments(part: _Part, blocks: Sequence[int]) -> None:
    """Move the comments of a block left without values (all empty) to the next block."""
    filled = {KEYWORDS[kw].block for kw in part.values}
    carried: tuple[str, ...] = ()
    for block in blocks:
        texts = carried + part.comments.pop(block, ())
        carried = () if block in filled else texts
        if texts and not carried:
            part.comments[block] = texts


def _fields(part: _Part, blocks: Sequence[int]) -> dict[str, Any]:
    """Given a part, return its record fields: plain keywords, then vectors (all or none)."""
    values = part.values
    fields = {
        key.attr: values.get(kw)
        for kw, key in KEYWORDS.items()
        if key.block in blocks and key.attr is not None
    }
    for attr, kws in VECTORS.items():
        if KEYWORDS[kws[0]].block not in blocks:
            continue
        given = [kw for kw in kws if kw in values]
        if given and len(given) < 3:
            absent = next(kw for kw in kws if kw not in values)
            raise _missing(absent, part.lines[given[0]], f" (the {attr} vector is all or none)")
        fields[attr] = tuple(values[kw] for kw in kws) if given else None
    return fields


def _object(part: _Part) -> CdmObject:
    comments = part.comments
    return CdmObject(
        **_fields(part, _OBJECT_BLOCKS),
        cov_rtn_si=_covariance(part),
        metadata_comments=comments.get(METADATA, ()),
        od_comments=comments.get(OD, ()),
        additional_comments=comments.get(ADDITIONAL, ()),
        state_vector_comments=comments.get(STATE, ()),
        covariance_comments=comments.get(COVARIANCE, ()),
    )


def _covariance(part: _Part) -> tuple[tuple[float, ...], ...]:
    """Given an object's part, return its covariance rows: the 6x6, then whole rows."""
    values, rows = part.values, []
    for i, names in enumerate(COVARIANCE_ROWS):
        given = [kw for kw in names if kw in values]
        if not given:
            for later in COVARIANCE_ROWS[i + 1 :]:
                stray = next((kw for kw in later if kw in values), None)
                if stray is not None:
                    raise FormatError(
                        f"{stray} given without the C{COVARIANCE_AXES[i]} row",
                        line=part.lines[stray],
                        field=stray,
                        expected=f"the rows of {', '.join(COVARIANCE_AXES[: i + 1])} first: "
                        f"{stray} refers to them (508.0-B-1 Table 3-4)",
                    )
            break
        if len(given) < len(names):
            absent = next(kw for kw in names if kw not in values)
            why = " (a covariance row is whole or absent)"
            raise _missing(absent, part.lines[given[0]], why)
        rows.append(tuple(values[kw] for kw in names))
    return tuple(rows)


# ---------------------------------------------------------------------------------------
# What the writers write: a record's blocks and keywords, checked, in the standard's order.
# ---------------------------------------------------------------------------------------

Block = tuple[int, tuple[str, ...], list[tuple[str, Any]]]  # (block, comments, items)


def message_blocks(cdm: Cdm) -> list[Block]:
    """Given a record, return its blocks in message order with their typed keyword values.

    Checks every value as the readers would (type, values, ranges, text that survives a
    round trip) and raises FormatError naming the keyword otherwise.  A block without
    keywords is left out and its comments move to the next block, as a reader would.
    """
    blocks: list[Block] = []
    carried: tuple[str, ...] = ()
    comments = {HEADER: cdm.header_comments, RELATIVE: cdm.relative_comments}
    sources: list[tuple[Any, int, str | None]] = [(cdm, b, None) for b in _MESSAGE_BLOCKS]
    for n, obj in ((1, cdm.object1), (2, cdm.object2)):
        sources += [(obj, b, f"OBJECT{n}") for b in _OBJECT_BLOCKS]
    for record, block, name in sources:
        items = _items(record, block, name)
        texts = carried + _block_comments(record, block, comments)
        for text in texts:
            _check_text("COMMENT", text, empty_ok=True)
        if items:
            blocks.append((block, texts, items))
            carried = ()
        else:
            carried = texts
    return blocks


def _block_comments(record: Any, block: int, top: dict[int, tuple[str, ...]]) -> tuple[str, ...]:
    if block in top:
        return top[block]
    attr = ("metadata", "od", "additional", "state_vector", "covariance")[block - METADATA]
    return tuple(getattr(record, f"{attr}_comments"))


def _items(record: Any, block: int, name: str | None) -> list[tuple[str, Any]]:
    """Given a Cdm or CdmObject, return the (keyword, value) pairs of one of its blocks."""
    items: list[tuple[str, Any]] = []
    for kw, key in KEYWORDS.items():
        if key.block != block:
            continue
        if kw == "OBJECT":
            value: Any = name
        elif key.attr is not None:
            value = getattr(record, key.attr)
        elif kw in _VECTOR_PART:
            attr, i = _VECTOR_PART[kw]
            vector = getattr(record, attr)
            if vector is not None and len(vector) != 3:
                raise FormatError(f"{attr} must hold 3 values", field=kw, received=repr(vector))
            value = None if vector is None else vector[i]
        else:
            value = _covariance_cell(record.cov_rtn_si, kw)
        if value is None:
            if key.mandatory:
                raise FormatError(f"the record lacks mandatory {kw}", field=kw)
            continue
        _check_written(key, kw, value)
        items.append((kw, value))
    return items


def _covariance_cell(rows: Sequence[Sequence[float]], kw: str) -> float | None:
    i, j = _COVARIANCE_CELL[kw]
    if j == 0 and not 6 <= len(rows) <= 9:
        raise FormatError("cov_rtn_si must hold 6 to 9 rows", field=kw, received=str(len(rows)))
    if i >= len(rows):
        return None
    if len(rows[i]) != i + 1:
        raise FormatError(f"covariance row {i + 1} must hold {i + 1} values", field=kw)
    return rows[i][j]


def _check_written(key: Key, kw: str, value: Any) -> None:
    """Given a value bound for a message, raise unless a reader would read it back."""
    kind = key.kind
    if kind == "text":
        _check_text(kw, value)
    elif kind == "epoch":
        ok = isinstance(value, datetime)
    elif kind == "yesno":
        ok = isinstance(value, bool)
    elif kind == "enum":
        ok = value in key.choices
    else:
        ok = isinstance(value, int if kind == "int" else int | float)
        ok = ok and not isinstance(value, bool) and math.isfinite(float(value))
        if ok:
            _check_range(key, kw, value, None)
    if kind != "text" and not ok:
        expected = " | ".join(key.choices) if key.choices else f"a value of type {kind}"
        raise FormatError(
            f"{kw} cannot be written", field=kw, expected=expected, received=repr(value)
        )


def _check_text(kw: str, text: Any, *, empty_ok: bool = False) -> None:
    if not isinstance(text, str) or (not text and not empty_ok):
        raise FormatError(f"{kw} must be a non-empty string", field=kw, received=repr(text))
    if text != text.strip() or not text.isprintable():
        raise FormatError(
            f"{kw} would not survive a round trip",
            field=kw,
            expected="printable text on one line, without leading or trailing blanks",
            received=repr(text),
        )


def value_text(value: Any) -> str:
    """Given a typed value, return its text in a message (reals read back exactly)."""
    if isinstance(value, bool):
        return "YES" if value else "NO"
    if isinstance(value, float):
        return real_text(value)
    if isinstance(value, datetime):
        return naive_utc(value).isoformat(timespec="microseconds")
    return str(value)


# ---------------------------------------------------------------------------------------
# KVN: the lexer, the reader and the writer (508.0-B-1 KVN syntax).
# ---------------------------------------------------------------------------------------

_UNIT = re.compile(r"(.*?)[ \t]*\[[ \t]*([^\]]*?)[ \t]*\]")
_VERSION_LINE = re.compile(r"[ \t]*CCSDS_CDM_VERS[ \t]*=")
_WIDTH = 28


def load_cdm_kvn(text: str, *, allow_empty: bool = False) -> ParseResult[Cdm]:
    """Given KVN text of one or more CDMs (CCSDS 508.0-B-1), return the records.

    Each message starts at a ``CCSDS_CDM_VERS`` line; a bad message is one Rejected,
    naming the line and keyword, and the next message is read.  LF or CRLF, blank lines,
    COMMENT lines and units in brackets are accepted.  ``allow_empty`` reads an optional
    keyword with an empty value as absent (the standard forbids it).
    """
    result: ParseResult[Cdm] = ParseResult()
    for line, raw, tokens in _kvn_messages(text.lstrip("\ufeff")):
        try:
            if isinstance(tokens, FormatError):
                raise tokens
            record = build_cdm(tokens, line=line, xml=False, allow_empty=allow_empty)
        except FormatError as exc:
            result.rejected.append(Rejected(line, raw, exc))
        else:
            result.accepted.append(Parsed(record, line, raw))
    return result


def _kvn_messages(
    text: str,
) -> Iterator[tuple[int, str, list[Token | FormatError] | FormatError]]:
    """Given KVN text, yield (first line, raw text, tokens or error) per message."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, body in enumerate(lines) if _VERSION_LINE.match(body)]
    stray = next((i for i, body in enumerate(lines) if body.strip()), None)
    if stray is not None and (not starts or stray < starts[0]):
        end = starts[0] if starts else len(lines)
        error = FormatError(
            "text before the first CCSDS_CDM_VERS line",
            line=stray + 1,
            field="CCSDS_CDM_VERS",
            expected="CCSDS_CDM_VERS = 1.0 as the first line of a CDM (508.0-B-1 Table 3-1)",
            received=lines[stray].strip()[:80],
        )
        yield stray + 1, "".join(lines[stray:end]), error
    for start, end in zip(starts, [*starts[1:], len(lines)][: len(starts)], strict=True):
        tokens = [
            _kvn_token(i + 1, lines[i].rstrip("\r\n"))
            for i in range(start, end)
            if lines[i].strip()
        ]
        yield start + 1, "".join(lines[start:end]), tokens


def _kvn_token(line: int, body: str) -> Token | FormatError:
    """Given one non-blank KVN line, return its token, or the error that describes it."""
    text = body.strip()
    if text.startswith("COMMENT") and (len(text) == 7 or text[7] in " \t"):
        return line, "COMMENT", text[7:].strip(), None
    kw, equals, value = text.partition("=")
    kw, value = kw.rstrip(), value.strip()
    if not equals or _KEYWORD_NAME.fullmatch(kw) is None:
        return FormatError(
            "not a KVN line",
            line=line,
            expected="KEYWORD = value [unit], or COMMENT text (508.0-B-1 KVN)",
            received=text[:80],
        )
    unit = None
    key = KEYWORDS.get(kw)
    if key is not None and key.kind in ("real", "int") and value.endswith("]"):
        match = _UNIT.fullmatch(value)
        if match is not None:
            value, unit = match.groups()
    return line, kw, value, unit


def dump_cdm_kvn(cdms: Iterable[Cdm]) -> str:
    """Given records, return KVN text with one CDM each (CCSDS 508.0-B-1).

    Units in brackets as in Tables 3-1 to 3-4; reals as the shortest text that reads back
    as the same float; epochs to the microsecond.  Raise FormatError for a record that
    would not read back (a missing mandatory value, text over several lines ...).
    """
    return "\n".join(_kvn_message(cdm) for cdm in cdms)


def _kvn_message(cdm: Cdm) -> str:
    out = [f"{'CCSDS_CDM_VERS':<{_WIDTH}} = {VERSION}"]
    for block, comments, items in message_blocks(cdm):
        if block in (RELATIVE, METADATA):
            out.append("")
        out += [f"COMMENT {text}".rstrip() for text in comments]
        for kw, value in items:
            unit = KEYWORDS[kw].unit
            out.append(f"{kw:<{_WIDTH}} = {value_text(value)}" + (f" [{unit}]" if unit else ""))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------
# NDM/XML (in accord.formats.cdm_xml, imported when used) and the reader for either.
# ---------------------------------------------------------------------------------------


def load_cdm_xml(data: str | bytes, *, allow_empty: bool = False) -> ParseResult[Cdm]:
    """Given NDM/XML (CCSDS 505.0-B-1), a <cdm> or an <ndm> of several, return the records.

    See :func:`accord.formats.cdm_xml.load_cdm_xml`.
    """
    from accord.formats import cdm_xml

    return cdm_xml.load_cdm_xml(data, allow_empty=allow_empty)


def dump_cdm_xml(cdms: Iterable[Cdm]) -> str:
    """Given records, return NDM/XML valid against ndmxml-1.0-master.xsd (CCSDS 505.0-B-1).

    See :func:`accord.formats.cdm_xml.dump_cdm_xml`.
    """
    from accord.formats import cdm_xml

    return cdm_xml.dump_cdm_xml(cdms)


def load_cdm(data: str | bytes, *, allow_empty: bool = False) -> ParseResult[Cdm]:
    """Given CDM text in KVN or NDM/XML, tell which by its first character, return records.

    XML starts with "<" (after blanks and a byte order mark); anything else is read as
    KVN, bytes as UTF-8.  ``allow_empty`` as in :func:`load_cdm_kvn`.
    """
    text = data
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.lstrip(_BLANKS)[:1] == b"<":
            return load_cdm_xml(data, allow_empty=allow_empty)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            result: ParseResult[Cdm] = ParseResult()
            error = FormatError(f"cannot decode the input as UTF-8: {exc}", line=1)
            result.rejected.append(Rejected(1, data.decode("utf-8", "replace"), error))
            return result
    assert isinstance(text, str)
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return load_cdm_xml(text, allow_empty=allow_empty)
    return load_cdm_kvn(text, allow_empty=allow_empty)


_BLANKS = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte order mark and blanks
