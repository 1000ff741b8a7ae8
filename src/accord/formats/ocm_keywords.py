"""The CCSDS OCM vocabulary: blocks, keywords, element sets, manoeuvre fields, frames, units.

The keywords of each OCM block of CCSDS 502.0-B-3 section 6 (header, metadata, and the
TRAJ, PHYS, COV, MAN, PERT, OD and USER data blocks), each with its type and the unit the
standard prescribes; the element sets of the SANA orbital elements registry (TRAJ_TYPE,
COV_TYPE) with their elements' units; the manoeuvre fields of MAN_COMPOSITION with theirs.
Unit texts are those of the standard's examples (``km**2/s``, ``deg``); Orekit's tables
(``OrbitElementsType``, ``ManeuverFieldType``, the ``*Key`` enums) are the cross-check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = [
    "BLOCKS",
    "CELESTIAL_FRAMES",
    "DATA_BLOCKS",
    "DEFAULTS",
    "ELEMENT_SETS",
    "KEYWORDS",
    "MANEUVER_FIELDS",
    "ORBIT_RELATIVE_FRAMES",
    "ORDERINGS",
    "REQUIRES",
    "STANDARD",
    "TIME_FIELDS",
    "USER_PREFIX",
    "Key",
    "is_known_frame",
    "lookup",
    "ordering_size",
    "unit_form",
    "unit_scale",
]

STANDARD = "CCSDS 502.0-B-3 section 6"
USER_PREFIX = "USER_DEFINED_"

# Blocks in message order; each data block is delimited by <NAME>_START and <NAME>_STOP.
BLOCKS = ("HEADER", "META", "TRAJ", "PHYS", "COV", "MAN", "PERT", "OD", "USER")
DATA_BLOCKS = BLOCKS[2:]
REPEATED = frozenset(("TRAJ", "COV", "MAN"))  # the blocks that may come more than once


@dataclass(frozen=True)
class Key:
    """One keyword's row: its block, value type, the standard's unit, mandatory or not.

    Kinds: text, real, int, epoch (absolute, 502.0-B-3 7.5.10), time (absolute, or a real
    number of seconds from EPOCH_TZERO), enum (one of ``choices``), frame (a celestial
    body frame), frame_or_lof (that or an orbit-relative frame), units (a bracketed list),
    list (comma-separated names), vector (three reals).
    """

    block: str
    kind: str = "text"
    unit: str | None = None
    mandatory: bool = False
    choices: tuple[str, ...] = ()


def _keys(block: str, spec: str) -> dict[str, Key]:
    """Given a block and its keywords, "NAME[:kind[:unit]]" in order (kind text unless
    given, "!" after the kind for a mandatory keyword), return their rows."""
    keys = {}
    for item in spec.split():
        name, kind, unit = (*item.split(":"), "", "")[:3]
        kind = kind or "text"
        mandatory = kind.endswith("!")
        keys[name] = Key(block, kind.rstrip("!"), unit or None, mandatory)
    return keys


# The element sets of https://sanaregistry.org/r/orbital_elements: elements' units.
_DEG4 = ("deg",) * 4
ELEMENT_SETS: dict[str, tuple[str, ...]] = {
    "ADBARV": (*_DEG4, "km", "km/s"),
    "CARTP": ("km",) * 3,
    "CARTPV": ("km",) * 3 + ("km/s",) * 3,
    "CARTPVA": ("km",) * 3 + ("km/s",) * 3 + ("km/s**2",) * 3,
    "DELAUNAY": ("km**2/s",) * 3 + ("deg",) * 3,
    "DELAUNAYMOD": ("km**0.5",) * 3 + ("deg",) * 3,
    "EIGVAL3EIGVEC3": ("km",) * 3 + ("n/a",) * 9,
    "EQUINOCTIAL": ("km", "n/a", "n/a", "deg", "n/a", "n/a", "n/a"),
    "EQUINOCTIALMOD": ("km", "n/a", "n/a", "deg", "n/a", "n/a", "n/a"),
    "GEODETIC": (*_DEG4, "km", "km/s"),
    "KEPLERIAN": ("km", "n/a", *_DEG4),
    "KEPLERIANMEAN": ("km", "n/a", *_DEG4),
    "LDBARV": (*_DEG4, "km", "km/s"),
    "ONSTATION": ("km", "n/a", "n/a", "n/a", "n/a", "deg"),
    "POINCARE": ("deg", "km/s**0.5", "km/s**0.5", "km**2/s", "km/s**0.5", "km/s**0.5"),
}
# Covariance orderings: LTM/UTM hold a triangle, FULL and the "with cross-correlation"
# forms the whole matrix (the other triangle holding correlation coefficients).
ORDERINGS = ("LTM", "UTM", "FULL", "LTMWCC", "UTMWCC")


def ordering_size(ordering: str, n: int) -> int:
    """Given COV_ORDERING and the number of elements, return the values per data line."""
    return n * (n + 1) // 2 if ordering in ("LTM", "UTM") else n * n


# MAN_COMPOSITION fields and their units ("n/a": dimensionless or not a number).
TIME_FIELDS = ("TIME_ABSOLUTE", "TIME_RELATIVE")
MANEUVER_FIELDS: dict[str, str] = {
    "TIME_ABSOLUTE": "n/a",
    "TIME_RELATIVE": "s",
    "MAN_DURA": "s",
    "DELTA_MASS": "kg",
    "ACC_X": "km/s**2",
    "ACC_Y": "km/s**2",
    "ACC_Z": "km/s**2",
    "ACC_INTERP": "n/a",  # ON | OFF
    "ACC_MAG_SIGMA": "%",
    "ACC_DIR_SIGMA": "deg",
    "DV_X": "km/s",
    "DV_Y": "km/s",
    "DV_Z": "km/s",
    "DV_MAG_SIGMA": "%",
    "DV_DIR_SIGMA": "deg",
    "THR_X": "N",
    "THR_Y": "N",
    "THR_Z": "N",
    "THR_EFFIC": "n/a",
    "THR_INTERP": "n/a",  # ON | OFF
    "THR_ISP": "s",
    "THR_MAG_SIGMA": "%",
    "THR_DIR_SIGMA": "deg",
    "DEPLOY_ID": "n/a",  # text
    "DEPLOY_DV_X": "km/s",
    "DEPLOY_DV_Y": "km/s",
    "DEPLOY_DV_Z": "km/s",
    "DEPLOY_MASS": "kg",
    "DEPLOY_DV_SIGMA": "%",
    "DEPLOY_DIR_SIGMA": "deg",
    "DEPLOY_DV_RATIO": "n/a",
    "DEPLOY_DV_CDA": "m**2",
}

KEYWORDS: dict[str, Key] = {
    **_keys(
        "HEADER",
        """
        CLASSIFICATION CREATION_DATE:epoch! ORIGINATOR:text! MESSAGE_ID
        """,
    ),
    **_keys(
        "META",
        """
        OBJECT_NAME INTERNATIONAL_DESIGNATOR CATALOG_NAME OBJECT_DESIGNATOR
        ALTERNATE_NAMES ORIGINATOR_POC ORIGINATOR_POSITION ORIGINATOR_PHONE
        ORIGINATOR_EMAIL ORIGINATOR_ADDRESS TECH_ORG TECH_POC TECH_POSITION TECH_PHONE
        TECH_EMAIL TECH_ADDRESS PREVIOUS_MESSAGE_ID NEXT_MESSAGE_ID ADM_MSG_LINK
        CDM_MSG_LINK PRM_MSG_LINK RDM_MSG_LINK TDM_MSG_LINK OPERATOR OWNER COUNTRY
        CONSTELLATION OBJECT_TYPE TIME_SYSTEM:enum EPOCH_TZERO:epoch! OPS_STATUS
        ORBIT_CATEGORY OCM_DATA_ELEMENTS SCLK_OFFSET_AT_EPOCH:real:s
        SCLK_SEC_PER_SI_SEC:real:s PREVIOUS_MESSAGE_EPOCH:epoch NEXT_MESSAGE_EPOCH:epoch
        START_TIME:epoch STOP_TIME:epoch TIME_SPAN:real:d TAIMUTC_AT_TZERO:real:s
        NEXT_LEAP_EPOCH:epoch NEXT_LEAP_TAIMUTC:real:s UT1MUTC_AT_TZERO:real:s
        EOP_SOURCE INTERP_METHOD_EOP CELESTIAL_SOURCE
        """,
    ),
    **_keys(
        "TRAJ",
        """
        TRAJ_ID TRAJ_PREV_ID TRAJ_NEXT_ID TRAJ_BASIS TRAJ_BASIS_ID INTERPOLATION:enum
        INTERPOLATION_DEGREE:int PROPAGATOR CENTER_NAME TRAJ_REF_FRAME:frame
        TRAJ_FRAME_EPOCH:time USEABLE_START_TIME:time USEABLE_STOP_TIME:time
        ORB_REVNUM:int ORB_REVNUM_BASIS:enum TRAJ_TYPE:enum ORB_AVERAGING
        TRAJ_UNITS:units
        """,
    ),
    **_keys(
        "PHYS",
        """
        MANUFACTURER BUS_MODEL DOCKED_WITH DRAG_CONST_AREA:real:m**2 DRAG_COEFF_NOM:real
        DRAG_UNCERTAINTY:real:% INITIAL_WET_MASS:real:kg WET_MASS:real:kg
        DRY_MASS:real:kg OEB_PARENT_FRAME:frame_or_lof OEB_PARENT_FRAME_EPOCH:time
        OEB_Q1:real OEB_Q2:real OEB_Q3:real OEB_QC:real OEB_MAX:real:m OEB_INT:real:m
        OEB_MIN:real:m AREA_ALONG_OEB_MAX:real:m**2 AREA_ALONG_OEB_INT:real:m**2
        AREA_ALONG_OEB_MIN:real:m**2 AREA_MIN_FOR_PC:real:m**2 AREA_MAX_FOR_PC:real:m**2
        AREA_TYP_FOR_PC:real:m**2 RCS:real:m**2 RCS_MIN:real:m**2 RCS_MAX:real:m**2
        SRP_CONST_AREA:real:m**2 SOLAR_RAD_COEFF:real SOLAR_RAD_UNCERTAINTY:real:%
        VM_ABSOLUTE:real VM_APPARENT_MIN:real VM_APPARENT:real VM_APPARENT_MAX:real
        REFLECTANCE:real ATT_CONTROL_MODE ATT_ACTUATOR_TYPE ATT_KNOWLEDGE:real:deg
        ATT_CONTROL:real:deg ATT_POINTING:real:deg AVG_MANEUVER_FREQ:real:#/yr
        MAX_THRUST:real:N DV_BOL:real:km/s DV_REMAINING:real:km/s IXX:real:kg*m**2
        IYY:real:kg*m**2 IZZ:real:kg*m**2 IXY:real:kg*m**2 IXZ:real:kg*m**2
        IYZ:real:kg*m**2
        """,
    ),
    **_keys(
        "COV",
        """
        COV_ID COV_PREV_ID COV_NEXT_ID COV_BASIS COV_BASIS_ID COV_REF_FRAME:frame_or_lof
        COV_FRAME_EPOCH:time COV_SCALE_MIN:real COV_SCALE_MAX:real COV_CONFIDENCE:real:%
        COV_TYPE:enum COV_ORDERING:enum COV_UNITS:units
        """,
    ),
    **_keys(
        "MAN",
        """
        MAN_ID:text! MAN_PREV_ID MAN_NEXT_ID MAN_BASIS MAN_BASIS_ID MAN_DEVICE_ID:text!
        MAN_PREV_EPOCH:time MAN_NEXT_EPOCH:time MAN_PURPOSE MAN_PRED_SOURCE
        MAN_REF_FRAME:frame_or_lof MAN_FRAME_EPOCH:time GRAV_ASSIST_NAME DC_TYPE:enum
        DC_WIN_OPEN:time DC_WIN_CLOSE:time DC_MIN_CYCLES:int DC_MAX_CYCLES:int
        DC_EXEC_START:time DC_EXEC_STOP:time DC_REF_TIME:time
        DC_TIME_PULSE_DURATION:real:s DC_TIME_PULSE_PERIOD:real:s DC_REF_DIR:vector
        DC_BODY_FRAME DC_BODY_TRIGGER:vector DC_PA_START_ANGLE:real:deg
        DC_PA_STOP_ANGLE:real:deg MAN_COMPOSITION:list! MAN_UNITS:units
        """,
    ),
    **_keys(
        "PERT",
        """
        ATMOSPHERIC_MODEL GRAVITY_MODEL EQUATORIAL_RADIUS:real:km GM:real:km**3/s**2
        N_BODY_PERTURBATIONS CENTRAL_BODY_ROTATION:real:deg/s OBLATE_FLATTENING:real
        OCEAN_TIDES_MODEL SOLID_TIDES_MODEL REDUCTION_THEORY ALBEDO_MODEL
        ALBEDO_GRID_SIZE:int SHADOW_MODEL SHADOW_BODIES SRP_MODEL SW_DATA_SOURCE
        SW_DATA_EPOCH:time SW_INTERP_METHOD FIXED_GEOMAG_KP:real:nT
        FIXED_GEOMAG_AP:real:nT FIXED_GEOMAG_DST:real:nT FIXED_F10P7:real:SFU
        FIXED_F10P7_MEAN:real:SFU FIXED_M10P7:real:SFU FIXED_M10P7_MEAN:real:SFU
        FIXED_S10P7:real:SFU FIXED_S10P7_MEAN:real:SFU FIXED_Y10P7:real:SFU
        FIXED_Y10P7_MEAN:real:SFU
        """,
    ),
    **_keys(
        "OD",
        """
        OD_ID:text! OD_PREV_ID OD_METHOD:text! OD_EPOCH:time!
        DAYS_SINCE_FIRST_OBS:real:d DAYS_SINCE_LAST_OBS:real:d
        RECOMMENDED_OD_SPAN:real:d ACTUAL_OD_SPAN:real:d OBS_AVAILABLE:int OBS_USED:int
        TRACKS_AVAILABLE:int TRACKS_USED:int MAXIMUM_OBS_GAP:real:d
        OD_EPOCH_EIGMAJ:real:m OD_EPOCH_EIGINT:real:m OD_EPOCH_EIGMIN:real:m
        OD_MAX_PRED_EIGMAJ:real:m OD_MIN_PRED_EIGMIN:real:m OD_CONFIDENCE:real:%
        GDOP:real SOLVE_N:int SOLVE_STATES CONSIDER_N:int CONSIDER_PARAMS SEDR:real:W/kg
        SENSORS_N:int SENSORS WEIGHTED_RMS:real DATA_TYPES
        """,
    ),
}
_CHOICES = {
    "TIME_SYSTEM": (
        *("GMST", "GPS", "MET", "MRT", "SCLK", "TAI", "TCB", "TCG", "TDB", "TOD", "TT"),
        *("UT1", "UTC"),
    ),
    "INTERPOLATION": ("HERMITE", "LAGRANGE", "LINEAR", "PROPAGATE"),
    "ORB_REVNUM_BASIS": ("0", "1"),
    "TRAJ_TYPE": tuple(ELEMENT_SETS),
    "COV_TYPE": tuple(ELEMENT_SETS),
    "COV_ORDERING": ORDERINGS,
    "DC_TYPE": ("CONTINUOUS", "TIME", "TIME_AND_ANGLE"),
}
for _kw, _choices in _CHOICES.items():
    KEYWORDS[_kw] = Key(KEYWORDS[_kw].block, "enum", choices=_choices)
USER_KEY = Key("USER")
RANK = {kw: i for i, kw in enumerate(KEYWORDS)}

# What a message means when it leaves these out (Orekit's defaults, as the standard's).
DEFAULTS = {
    "TIME_SYSTEM": "UTC",
    "CENTER_NAME": "EARTH",
    "TRAJ_REF_FRAME": "ICRF",
    "TRAJ_TYPE": "CARTPV",
    "COV_REF_FRAME": "TNW_INERTIAL",
    "COV_TYPE": "CARTPV",
    "COV_ORDERING": "LTM",
    "MAN_REF_FRAME": "TNW_INERTIAL",
    "DC_TYPE": "CONTINUOUS",
}
_DUTY_CYCLE = (
    *("DC_WIN_OPEN", "DC_WIN_CLOSE", "DC_EXEC_START", "DC_EXEC_STOP", "DC_REF_TIME"),
    *("DC_TIME_PULSE_DURATION", "DC_TIME_PULSE_PERIOD"),
)
_ANGLE_CYCLE = (
    *("DC_REF_DIR", "DC_BODY_FRAME", "DC_BODY_TRIGGER"),
    *("DC_PA_START_ANGLE", "DC_PA_STOP_ANGLE"),
)
# (keyword, its values that need more or None for any, the keywords it then needs).
REQUIRES: tuple[tuple[str, tuple[str, ...] | None, tuple[str, ...]], ...] = (
    ("ORB_REVNUM", None, ("ORB_REVNUM_BASIS",)),
    ("NEXT_LEAP_EPOCH", None, ("NEXT_LEAP_TAIMUTC",)),
    ("DC_TYPE", ("TIME", "TIME_AND_ANGLE"), _DUTY_CYCLE),
    ("DC_TYPE", ("TIME_AND_ANGLE",), _ANGLE_CYCLE),
)


def lookup(kw: str) -> Key | None:
    """Given a keyword, return its row (a USER row for USER_DEFINED_<NAME>), else None."""
    key = KEYWORDS.get(kw)
    if key is None and kw.startswith(USER_PREFIX) and len(kw) > len(USER_PREFIX):
        return USER_KEY
    return key


# ---------------------------------------------------------------------------------------
# Frames: SANA's celestial body frames (as Orekit's CelestialBodyFrame names them, with
# MOD and EFG, which 502.0-B-3's own examples use) and orbit-relative frames.
# ---------------------------------------------------------------------------------------

CELESTIAL_FRAMES = frozenset(
    (
        *("B1950", "ECLIPJ2000", "EFG", "EME2000", "GCRF", "GRC", "GTOD", "ICRF", "ITRF"),
        *("J2000", "MCI", "MOD", "TDR", "TEME", "TOD"),
    )
)
_ITRF = re.compile(r"ITRF-?(\d\d|\d{4})")
ORBIT_RELATIVE_FRAMES = frozenset(
    (
        *("EQW_INERTIAL", "LVLH", "LVLH_INERTIAL", "LVLH_ROTATING", "NSW_INERTIAL"),
        *("NSW_ROTATING", "NTW_INERTIAL", "NTW_ROTATING", "PQW_INERTIAL", "QSW", "RIC"),
        *("RSW", "RSW_INERTIAL", "RSW_ROTATING", "RTN", "SEZ_INERTIAL", "SEZ_ROTATING"),
        *("TNW", "TNW_INERTIAL", "TNW_ROTATING", "VNC_INERTIAL", "VNC_ROTATING"),
    )
)


def is_known_frame(name: str, orbit_relative: bool) -> bool:
    """Given a frame name, say whether it is a known celestial (or orbit-relative) frame."""
    if name in CELESTIAL_FRAMES or _ITRF.fullmatch(name):
        return True
    return orbit_relative and name in ORBIT_RELATIVE_FRAMES


# ---------------------------------------------------------------------------------------
# Units: compared without regard to blanks or case (as the CDM reader does); a unit of
# the prescribed dimension at another scale is read only when the caller allows it.
# ---------------------------------------------------------------------------------------

# unit -> (dimension, factor to the dimension's base unit)
_SCALES: dict[str, tuple[str, float]] = {
    "m": ("length", 1e-3),
    "km": ("length", 1.0),
    "m/s": ("speed", 1e-3),
    "km/s": ("speed", 1.0),
    "m/s**2": ("acceleration", 1e-3),
    "km/s**2": ("acceleration", 1.0),
    "m**2/s": ("area rate", 1e-6),
    "km**2/s": ("area rate", 1.0),
    "rad": ("angle", 180.0 / math.pi),
    "deg": ("angle", 1.0),
    "s": ("time", 1.0),
    "min": ("time", 60.0),
    "h": ("time", 3600.0),
    "d": ("time", 86400.0),
    "g": ("mass", 1e-3),
    "kg": ("mass", 1.0),
    "n": ("force", 1.0),
    "kn": ("force", 1e3),
    "cm**2": ("area", 1e-4),
    "m**2": ("area", 1.0),
}


def unit_form(unit: str) -> str:
    """Given a unit's text, return the form units are compared in (no blanks, lower case)."""
    return "".join(unit.split()).lower()


def unit_scale(given: str, standard: str) -> float | None:
    """Given a unit and the one the standard prescribes, return the factor from the given
    to the standard's (1.0 when they are the same), or None where they differ in dimension.
    """
    a, b = unit_form(given), unit_form(standard)
    if a == b:
        return 1.0
    if a not in _SCALES or b not in _SCALES or _SCALES[a][0] != _SCALES[b][0]:
        return None
    return _SCALES[a][1] / _SCALES[b][1]
