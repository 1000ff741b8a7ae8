"""CCSDS Orbit Ephemeris Messages (OEM, CCSDS 502.0-B-3 section 5) <-> :class:`Oem` records.

An OEM holds one or more segments; each segment has its metadata (object, centre, frame,
time system, span, interpolation) and a list of states (epoch, position in km, velocity in
km/s, optionally acceleration in km/s**2), optionally followed by covariance matrices (6x6
lower triangle, km**2, km**2/s, km**2/s**2).  Consecutive segments of the same object model
a discontinuity such as a manoeuvre: the ephemeris is not to be interpolated across them.

Two renderings, each with its own module: KVN (502.0-B-3 sections 5 and 7) in
:mod:`.oem_kvn` and NDM/XML (CCSDS 505.0-B-1, schema ``ndmxml-1.0-oem-2.0.xsd``, with the
3.0 header keywords) in :mod:`.oem_xml`.  Each checks its own structure (KVN blocks and
lines, XML elements against the schema's sequences) and hands keyword values, data lines
and covariance entries to the checks of this module, which are the same for both, as in
Orekit's parsers.

Decisions worth knowing:

- Records hold what the message says.  Epochs are naive datetimes in the segment's
  TIME_SYSTEM, not converted, rounded to the microsecond; text values keep their case
  ("Lagrange", "Earth").  Units are those of 502.0-B-3 5.2.4 and 5.2.5 (km, km/s, km/s**2
  and their products); KVN carries none, XML ``units=`` attributes are checked.
- Strict.  A message is rejected, naming line and keyword, for: an unknown or repeated
  keyword, a missing mandatory one, a value of the wrong type, a TIME_SYSTEM outside
  SANA's time systems registry, a 3.0 keyword (CLASSIFICATION, MESSAGE_ID) in an earlier
  version, a COMMENT that does not open its section (7.8), a keyword among ephemeris or
  covariance data lines (the OEM has no USER_DEFINED_* parameters), a data line without
  6 or 9 numbers, a covariance row of the wrong length or a matrix without 6 rows.
- Not checked, since the standard leaves them open or does not ask for them: the names of
  REF_FRAME, COV_REF_FRAME and CENTER_NAME (open SANA registries), INTERPOLATION values
  (Table 5-3 gives examples), epoch order and span (Orekit's OEMExample1 repeats its last
  line), and one TIME_SYSTEM across segments: TIME_SYSTEM is metadata of each segment
  (Table 5-3: "time system used for metadata, ephemeris data, and covariance data"), so
  Orekit's OEM-inconsistent-time-systems.txt (UTC, TCG, UTC) reads.
- Each data line has 6 or 9 numbers on its own (the schema makes X_DDOT ... optional per
  stateVector).  Comments: header, metadata, data (before the first data line) and
  covariance (before each EPOCH) comments, in message order.
- Several messages in one input (KVN messages from each CCSDS_OEM_VERS line on, the
  <oem> elements of an <ndm>): each is accepted or rejected on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from accord.errors import FormatError
from accord.formats.omm_keywords import parse_epoch, read_integer, read_real
from accord.formats.records import ParseResult, Rejected

FloatArray = NDArray[np.float64]

__all__ = [
    "Oem",
    "OemCovariance",
    "OemSegment",
    "OemState",
    "dump_oem_kvn",
    "dump_oem_xml",
    "load_oem",
    "load_oem_kvn",
    "load_oem_xml",
]


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
    """A whole OEM: header and segments.  ``classification`` and ``message_id`` are the
    CLASSIFICATION and MESSAGE_ID of version 3.0 (None where not given)."""

    version: str
    creation_date: datetime
    originator: str
    segments: tuple[OemSegment, ...]
    message_id: str | None = None
    comments: tuple[str, ...] = ()
    classification: str | None = None


# ---------------------------------------------------------------------------------------
# Readers and writers (in accord.formats.oem_kvn and oem_xml, imported when used).
# ---------------------------------------------------------------------------------------


def load_oem_kvn(text: str) -> ParseResult[Oem]:
    """Given KVN text of one or more OEMs (502.0-B-3 sections 5 and 7), return the records.

    Each message starts at a ``CCSDS_OEM_VERS`` line; a bad message is one Rejected that
    names its line and keyword, and the next message is read.
    """
    from accord.formats import oem_kvn

    return oem_kvn.load_oem_kvn(text)


def load_oem_xml(data: str | bytes) -> ParseResult[Oem]:
    """Given NDM/XML, an ``<oem>`` or an ``<ndm>`` of messages, return one record per <oem>.

    See :func:`accord.formats.oem_xml.load_oem_xml`.
    """
    from accord.formats import oem_xml

    return oem_xml.load_oem_xml(data)


def dump_oem_kvn(oems: Iterable[Oem]) -> str:
    """Given records, return KVN text with one OEM each (502.0-B-3 sections 5 and 7).

    Raise FormatError for a record that would not read back.
    """
    from accord.formats import oem_kvn

    return oem_kvn.dump_oem_kvn(oems)


def dump_oem_xml(oems: Iterable[Oem]) -> str:
    """Given records, return NDM/XML: one ``<oem>``, or an ``<ndm>`` of several.

    See :func:`accord.formats.oem_xml.dump_oem_xml`.
    """
    from accord.formats import oem_xml

    return oem_xml.dump_oem_xml(oems)


def load_oem(data: str | bytes) -> ParseResult[Oem]:
    """Given OEM text in KVN or NDM/XML, tell which by its first character, return records.

    XML starts with "<" (after blanks and a byte order mark); anything else is read as
    KVN, bytes as UTF-8.
    """
    from accord.formats.xml_reading import is_xml

    if is_xml(data):
        return load_oem_xml(data)
    if isinstance(data, str):
        return load_oem_kvn(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        error = FormatError(f"cannot decode the input as UTF-8: {exc}", line=1)
        return unreadable(data, error)
    return load_oem_kvn(text)


def unreadable(data: str | bytes, error: FormatError) -> ParseResult[Oem]:
    """Given an input that cannot be read at all, return a result of one rejection."""
    raw = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    result: ParseResult[Oem] = ParseResult()
    result.rejected.append(Rejected(error.line, raw, error))
    return result


# ---------------------------------------------------------------------------------------
# What both readers check: the keywords of Tables 5-1 (header) and 5-3 (metadata), data
# lines (5.2.4) and covariance matrices (5.2.5) of 502.0-B-3, and the message as a whole.
# ---------------------------------------------------------------------------------------

Field = tuple[int, str, str, str | None]  # (line, keyword or element, value text, unit)

VERSIONS = ("1.0", "2.0", "3.0")
V3_KEYWORDS = frozenset(("CLASSIFICATION", "MESSAGE_ID"))
HEADER_KEYWORDS = ("CLASSIFICATION", "CREATION_DATE", "ORIGINATOR", "MESSAGE_ID")
METADATA_KEYWORDS = (
    *("OBJECT_NAME", "OBJECT_ID", "CENTER_NAME", "REF_FRAME", "REF_FRAME_EPOCH"),
    *("TIME_SYSTEM", "START_TIME", "USEABLE_START_TIME", "USEABLE_STOP_TIME", "STOP_TIME"),
    *("INTERPOLATION", "INTERPOLATION_DEGREE"),
)
MANDATORY = frozenset(
    (
        *("CREATION_DATE", "ORIGINATOR", "OBJECT_NAME", "OBJECT_ID", "CENTER_NAME"),
        *("REF_FRAME", "TIME_SYSTEM", "START_TIME", "STOP_TIME"),
    )
)
_EPOCHS = frozenset(
    (
        *("CREATION_DATE", "REF_FRAME_EPOCH", "START_TIME", "USEABLE_START_TIME"),
        *("USEABLE_STOP_TIME", "STOP_TIME"),
    )
)
# SANA time systems registry (https://sanaregistry.org/r/time_systems), as Orekit has it.
TIME_SYSTEMS = (
    *("BDT", "GLONASST", "GMST", "GPS", "GST", "IRNSST", "MET", "MRT", "QZSST", "SCLK"),
    *("TAI", "TCB", "TCG", "TDB", "TT", "UT1", "UTC"),
)
_AXES = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")
STATE_FIELDS = ("EPOCH", *_AXES, "X_DDOT", "Y_DDOT", "Z_DDOT")
COVARIANCE_FIELDS = tuple(f"C{_AXES[i]}_{_AXES[j]}" for i in range(6) for j in range(i + 1))
UNITS = {
    **dict.fromkeys(_AXES[:3], "km"),
    **dict.fromkeys(_AXES[3:], "km/s"),
    **dict.fromkeys(STATE_FIELDS[7:], "km/s**2"),
    **{
        f"C{_AXES[i]}_{_AXES[j]}": ("km**2", "km**2/s", "km**2/s**2")[(i > 2) + (j > 2)]
        for i in range(6)
        for j in range(i + 1)
    },
}
STATE_FORM = "an epoch then X Y Z X_DOT Y_DOT Z_DOT [X_DDOT Y_DDOT Z_DDOT] (502.0-B-3 5.2.4)"
_REAL_FORM = "a real number such as -2432.166 or 3.3313494e-04 (502.0-B-3 7.5.6)"


def read_keywords(
    fields: Iterable[Field], names: Sequence[str], *, version: str, end: int
) -> dict[str, Any]:
    """Given the keywords of a header or a metadata block and that block's keyword names
    (:data:`HEADER_KEYWORDS` or :data:`METADATA_KEYWORDS`), return their typed values.

    ``end`` is the line that closes the block, named when a mandatory keyword is missing.
    """
    values: dict[str, Any] = {}
    seen: dict[str, int] = {}
    block, table = ("header", "5-1") if names is HEADER_KEYWORDS else ("metadata", "5-3")
    for line, kw, text, unit in fields:
        if kw not in names:
            raise FormatError(
                f"unknown keyword {kw} in the {block}",
                line=line,
                field=kw,
                expected=f"a {block} keyword of 502.0-B-3 Table {table}: {', '.join(names)}",
            )
        if kw in seen:
            raise FormatError(
                f"{kw} given twice",
                line=line,
                field=kw,
                expected=f"{kw} once in the {block}",
                received=f"first on line {seen[kw]}",
            )
        if unit is not None:
            raise FormatError(f"{kw} takes no unit", line=line, field=kw, received=unit)
        if kw in V3_KEYWORDS and version != "3.0":
            raise FormatError(
                f"{kw} is a keyword of OEM version 3.0, this message is version {version}",
                line=line,
                field=kw,
                expected="CCSDS_OEM_VERS = 3.0 (502.0-B-3 Table 5-1)",
            )
        seen[kw] = line
        values[kw] = typed_value(kw, text, line)
    for kw in names:
        if kw in MANDATORY and kw not in values:
            raise FormatError(
                f"the {block} lacks mandatory {kw}",
                line=end,
                field=kw,
                expected=f"{kw} = ... in the {block} (502.0-B-3 Table {table})",
            )
    return values


def typed_value(kw: str, text: str, line: int | None) -> Any:
    """Given a header, metadata or COV_REF_FRAME keyword's value text and its line (None
    when writing), return the typed value (text, epoch or integer), or raise."""
    if not text:
        raise FormatError(
            f"{kw} has no value", line=line, field=kw, expected="a value (502.0-B-3 7.5.1)"
        )
    if kw in _EPOCHS:
        return _epoch(kw, text, line)
    if kw == "INTERPOLATION_DEGREE":
        degree = read_integer(text)
        if degree is None or degree < 1:
            raise FormatError(
                "INTERPOLATION_DEGREE is not a positive integer",
                line=line,
                field=kw,
                expected="a positive integer such as 7 (502.0-B-3 Table 5-3)",
                received=text,
            )
        return degree
    if kw == "TIME_SYSTEM" and text.upper() not in TIME_SYSTEMS:
        raise FormatError(
            "unknown TIME_SYSTEM",
            line=line,
            field=kw,
            expected=f"one of SANA's time systems: {', '.join(TIME_SYSTEMS)}",
            received=text,
        )
    return text


def _epoch(kw: str, text: str, line: int | None) -> datetime:
    try:
        return parse_epoch(text)
    except FormatError as exc:
        raise FormatError(
            f"{kw} is not a CCSDS epoch",
            line=line,
            field=kw,
            expected=exc.expected,
            received=text,
        ) from None


def _real(field: Field) -> float:
    line, name, text, unit = field
    if unit is not None and unit != UNITS[name]:
        raise FormatError(
            f"wrong unit for {name}",
            line=line,
            field=name,
            expected=f"{UNITS[name]} (502.0-B-3 5.2.4, 5.2.5)",
            received=unit,
        )
    value = read_real(text)
    if value is None:
        raise FormatError(
            f"{name} is not a number", line=line, field=name, expected=_REAL_FORM, received=text
        )
    return value


def make_state(fields: Sequence[Field], received: str | None = None) -> OemState:
    """Given one data line's fields, named EPOCH, X ... Z_DOT and maybe X_DDOT ... Z_DDOT
    (in order; a KVN line names its numbers by position) and the line's text to show in
    errors, return its state."""
    names = [name for _, name, _, _ in fields]
    n = len(names)
    known = len(STATE_FIELDS)
    i = next((i for i, name in enumerate(names) if i >= known or name != STATE_FIELDS[i]), n)
    if i < n or n not in (7, 10):  # names[i] is not the i-th field, or the line ends early
        line = fields[min(i, n - 1)][0]
        if i >= len(STATE_FIELDS):
            raise FormatError(
                f"{n - 1} numbers on an ephemeris data line",
                line=line,
                field=STATE_FIELDS[-1],
                expected=STATE_FORM,
                received=received,
            )
        raise FormatError(
            f"ephemeris data line lacks {STATE_FIELDS[i]}",
            line=line,
            field=STATE_FIELDS[i],
            expected=STATE_FORM,
            received=received,
        )
    line, _, text, _ = fields[0]
    epoch = _epoch("EPOCH", text, line)
    x, y, z, vx, vy, vz, *acc = (_real(f) for f in fields[1:])
    a = (acc[0], acc[1], acc[2]) if acc else None
    return OemState(epoch, (x, y, z), (vx, vy, vz), a)


def make_covariance(
    epoch: Field, frame: Field | None, entries: Sequence[Field], comments: Sequence[str]
) -> OemCovariance:
    """Given a matrix's EPOCH, COV_REF_FRAME (or None) and its 21 entries (named as
    :data:`COVARIANCE_FIELDS`, in that order), return the covariance (502.0-B-3 5.2.5)."""
    assert [name for _, name, _, _ in entries] == list(COVARIANCE_FIELDS)
    values = [_real(f) for f in entries]
    lower = tuple(tuple(values[i * (i + 1) // 2 : (i + 1) * (i + 2) // 2]) for i in range(6))
    ref_frame = None
    if frame is not None:
        ref_frame = typed_value("COV_REF_FRAME", frame[2], frame[0])
    return OemCovariance(_epoch("EPOCH", epoch[2], epoch[0]), lower, ref_frame, tuple(comments))


def make_segment(
    metadata: dict[str, Any],
    states: Sequence[OemState],
    covariances: Sequence[OemCovariance],
    comments: tuple[Sequence[str], Sequence[str]],
) -> OemSegment:
    """Given a segment's typed metadata, states, covariances and (metadata, data)
    comments, return the segment."""
    return OemSegment(
        **{kw.lower(): value for kw, value in metadata.items()},
        states=tuple(states),
        covariances=tuple(covariances),
        metadata_comments=tuple(comments[0]),
        data_comments=tuple(comments[1]),
    )


def make_oem(
    version: str, header: dict[str, Any], segments: Sequence[OemSegment], comments: Sequence[str]
) -> Oem:
    """Given the version, typed header keywords, segments and header comments, return the
    message."""
    return Oem(
        version=version,
        segments=tuple(segments),
        comments=tuple(comments),
        **{kw.lower(): value for kw, value in header.items()},
    )


def check_version(version: str, line: int | None) -> None:
    """Given CCSDS_OEM_VERS, raise FormatError unless it is 1.0, 2.0 or 3.0."""
    if version not in VERSIONS:
        raise FormatError(
            "unsupported OEM version",
            line=line,
            field="CCSDS_OEM_VERS",
            expected="1.0, 2.0 or 3.0 (502.0-B-3 Table 5-1)",
            received=version,
        )
