"""CCSDS Orbit Comprehensive Messages (OCM, CCSDS 502.0-B-3 section 6) <-> :class:`Ocm`.

Operators submit OCMs as ephemerides with covariance and manoeuvres for screening.  Built
like the CDM and OMM readers and like Orekit: a lexer per rendering (KVN in
:mod:`.ocm_kvn`, NDM/XML in :mod:`.ocm_xml`) turns text into tokens, one builder
(:mod:`.ocm_builder`) checks every token against the keyword table of
:mod:`.ocm_keywords` (block, type, unit) and makes the records below.

Decisions worth knowing:

- Records hold what the message says.  A keyword left out is None (or absent from
  ``extra``), never filled in; the standard's defaults (TIME_SYSTEM UTC, CENTER_NAME
  EARTH, TRAJ_TYPE CARTPV, COV_ORDERING LTM ..., :data:`.ocm_keywords.DEFAULTS`) apply in
  the helpers (``element_type``, ``epochs()``, ``cartesian_states()``, ``matrices()``).
- The keywords Accord acts on are typed fields; every other keyword of the header,
  metadata, TRAJ, COV and MAN blocks is checked (type, unit) and kept in ``extra`` as
  ``(KEYWORD, value text)`` in message order, and the PHYS, PERT, OD and USER blocks are
  :class:`OcmBlock` of such pairs, so a round trip loses nothing.  Units are checked,
  then dropped: the writer writes the standard's.  Data blocks are written in the
  standard's order (TRAJ, PHYS, COV, MAN, PERT, OD, USER), each kind in message order.
- Data lines: a time (an epoch, or seconds from EPOCH_TZERO, kept as given: a datetime
  or a float) then the values; epochs are in the message's TIME_SYSTEM, naive, to the
  microsecond, and are not converted to UTC.
- Comments open a block (header, metadata, each data block); a COMMENT after a keyword
  of its block is an error, as in Orekit.
- Strict by default, with two named exceptions.  ``allow_scaled_units``: TRAJ_UNITS,
  COV_UNITS and MAN_UNITS may name units of the prescribed dimension at another scale
  (m for km); the values are kept as given and ``cartesian_states()`` converts.  By
  default they must be the units of the SANA element set (sample
  OCM-incompatible-units-scale.txt, m for km, is rejected, as Orekit rejects it).
  ``allow_unknown_frames``: TRAJ_REF_FRAME, COV_REF_FRAME, MAN_REF_FRAME and
  OEB_PARENT_FRAME may name any frame.  By default they must be a SANA celestial body
  frame (or, but for TRAJ_REF_FRAME, an orbit-relative frame) that Accord can name
  (:func:`.ocm_keywords.is_known_frame`): a screening service cannot use a trajectory in
  a frame it does not know.  Orekit reads OCM-unknown-frame.txt (frame ZZRF) and fails
  only when the frame is used; here it is rejected unless allowed.
- CENTER_NAME and other body names are not checked: SANA's orbit centres registry is
  open (natural bodies, spacecraft, barycentres), so a generic reader cannot judge them.
  OCM-unknown-frame-center.txt (centre ZZ, frame ZZRF) is therefore rejected for its
  frame alone, and read with ``allow_unknown_frames``.
- :func:`ocm_segments` gives a record's Cartesian trajectories as OEM segments (split at
  manoeuvres), the form the screening reads (:mod:`.ocm_oem`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from accord.errors import FormatError, InvalidRequestError
from accord.formats.ocm_keywords import DEFAULTS, ELEMENT_SETS, ordering_size, unit_scale
from accord.formats.records import ParseResult

if TYPE_CHECKING:
    from accord.formats.oem import OemSegment

__all__ = [
    "Ocm",
    "OcmBlock",
    "OcmCovariance",
    "OcmManeuver",
    "OcmTrajectory",
    "dump_ocm_kvn",
    "dump_ocm_xml",
    "load_ocm",
    "load_ocm_kvn",
    "load_ocm_xml",
    "ocm_segments",
]

Time = datetime | float  # an epoch, or seconds from EPOCH_TZERO
Extra = tuple[tuple[str, str], ...]  # (KEYWORD, value text) in message order
FloatArray = NDArray[np.float64]


def absolute_epochs(times: Iterable[Time], epoch_tzero: datetime | None) -> tuple[datetime, ...]:
    """Given data-line times and EPOCH_TZERO, return the epochs (message time system).

    Relative times are seconds from EPOCH_TZERO, rounded to the microsecond; raise
    InvalidRequestError if one is relative and ``epoch_tzero`` is None.
    """
    out = []
    for t in times:
        if isinstance(t, datetime):
            out.append(t)
        elif epoch_tzero is None:
            raise InvalidRequestError("relative times need EPOCH_TZERO (Ocm.epoch_tzero)")
        else:
            out.append(epoch_tzero + timedelta(seconds=t))
    return tuple(out)


def unit_scales(units: tuple[str, ...], element_type: str, block: str) -> FloatArray:
    """Given TRAJ_UNITS or COV_UNITS, the element set and the block (TRAJ or COV), return
    the factors from the given units to the element set's, shape (n_elements,).

    Raise FormatError where the units do not fit the element set (only a record built by
    hand can hold such units: the reader rejects them).
    """
    standard = ELEMENT_SETS[element_type]
    scales = [unit_scale(u, s) for u, s in zip(units, standard, strict=False)]
    if len(units) != len(standard) or any(s is None for s in scales):
        raise FormatError(
            f"{block}_UNITS do not fit {block}_TYPE {element_type}",
            field=f"{block}_UNITS",
            expected=f"[{', '.join(standard)}]",
            received=f"[{', '.join(units)}]",
        )
    return np.array(scales, dtype=np.float64)


@dataclass(frozen=True)
class OcmBlock:
    """A PHYS, PERT, OD or USER block: its (KEYWORD, value text) pairs and comments."""

    items: Extra = ()
    comments: tuple[str, ...] = ()

    def get(self, keyword: str) -> str | None:
        """Given a keyword, return its value text, or None when the block lacks it."""
        return next((text for kw, text in self.items if kw == keyword), None)


@dataclass(frozen=True)
class OcmTrajectory:
    """A trajectory state time history (TRAJ_START ... TRAJ_STOP).

    ``times[i]`` and ``elements[i]`` are data line i: the time (epoch or seconds from
    EPOCH_TZERO) and the TRAJ_TYPE elements in TRAJ_UNITS (the element set's units when
    None, e.g. km and km/s for CARTPV).  None fields were not given (see the defaults).
    """

    times: tuple[Time, ...] = ()
    elements: tuple[tuple[float, ...], ...] = ()
    traj_type: str | None = None  # None: CARTPV
    center_name: str | None = None  # None: EARTH
    traj_ref_frame: str | None = None  # None: ICRF
    traj_units: tuple[str, ...] | None = None
    interpolation: str | None = None
    interpolation_degree: int | None = None
    traj_id: str | None = None
    traj_basis: str | None = None
    useable_start_time: Time | None = None
    useable_stop_time: Time | None = None
    extra: Extra = ()
    comments: tuple[str, ...] = ()

    @property
    def element_type(self) -> str:
        """Return TRAJ_TYPE, or its default CARTPV."""
        return self.traj_type or DEFAULTS["TRAJ_TYPE"]

    @property
    def ref_frame(self) -> str:
        """Return TRAJ_REF_FRAME, or its default ICRF."""
        return self.traj_ref_frame or DEFAULTS["TRAJ_REF_FRAME"]

    @property
    def center(self) -> str:
        """Return CENTER_NAME, or its default EARTH."""
        return self.center_name or DEFAULTS["CENTER_NAME"]

    def epochs(self, epoch_tzero: datetime | None = None) -> tuple[datetime, ...]:
        """Given EPOCH_TZERO (needed for relative times), return each line's epoch."""
        return absolute_epochs(self.times, epoch_tzero)

    def elements_array(self) -> FloatArray:
        """Return the elements as given, shape (n_lines, n_elements), TRAJ_UNITS."""
        n = len(ELEMENT_SETS[self.element_type])
        return np.array(self.elements, dtype=np.float64).reshape(len(self.elements), n)

    def standard_elements(self) -> FloatArray:
        """Return the elements converted from TRAJ_UNITS to the element set's units (for
        CARTPVA: km, km/s, km/s**2), shape (n_lines, n_elements).

        Raise FormatError where TRAJ_UNITS do not fit TRAJ_TYPE (only a record built by
        hand can hold such units: the reader rejects them).
        """
        values = self.elements_array()
        if self.traj_units is None:
            return values
        return values * unit_scales(self.traj_units, self.element_type, "TRAJ")

    def cartesian_states(
        self, epoch_tzero: datetime | None = None
    ) -> tuple[tuple[datetime, ...], FloatArray, FloatArray | None]:
        """Given EPOCH_TZERO (needed for relative times), return (epochs, r_km, v_km_s).

        For CARTP, CARTPV and CARTPVA: positions shape (n, 3) in km and velocities shape
        (n, 3) in km/s (None for CARTP), in TRAJ_REF_FRAME about CENTER_NAME, converted
        from TRAJ_UNITS; epochs in the message's time system.  Raise InvalidRequestError
        for another element set.
        """
        kind = self.element_type
        if kind not in ("CARTP", "CARTPV", "CARTPVA"):
            raise InvalidRequestError(f"a {kind} trajectory has no Cartesian states")
        values = self.standard_elements()
        r_km = np.ascontiguousarray(values[:, 0:3])
        v_km_s = None if kind == "CARTP" else np.ascontiguousarray(values[:, 3:6])
        return self.epochs(epoch_tzero), r_km, v_km_s


@dataclass(frozen=True)
class OcmCovariance:
    """A covariance time history (COV_START ... COV_STOP).

    ``values[i]`` holds data line i's entries in COV_ORDERING (LTM: row by row of the
    lower triangle; UTM: of the upper; FULL: the whole matrix; LTMWCC/UTMWCC: the whole
    matrix, whose other triangle holds correlation coefficients), for the elements of
    COV_TYPE in COV_UNITS (products of the elements' units, e.g. km**2, km**2/s).
    """

    times: tuple[Time, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()
    cov_type: str | None = None  # None: CARTPV
    cov_ref_frame: str | None = None  # None: TNW_INERTIAL
    cov_ordering: str | None = None  # None: LTM
    cov_units: tuple[str, ...] | None = None
    cov_id: str | None = None
    extra: Extra = ()
    comments: tuple[str, ...] = ()

    @property
    def element_type(self) -> str:
        """Return COV_TYPE, or its default CARTPV."""
        return self.cov_type or DEFAULTS["COV_TYPE"]

    @property
    def ordering(self) -> str:
        """Return COV_ORDERING, or its default LTM."""
        return self.cov_ordering or DEFAULTS["COV_ORDERING"]

    @property
    def ref_frame(self) -> str:
        """Return COV_REF_FRAME, or its default TNW_INERTIAL."""
        return self.cov_ref_frame or DEFAULTS["COV_REF_FRAME"]

    def epochs(self, epoch_tzero: datetime | None = None) -> tuple[datetime, ...]:
        """Given EPOCH_TZERO (needed for relative times), return each line's epoch."""
        return absolute_epochs(self.times, epoch_tzero)

    def matrices(self) -> FloatArray:
        """Return the covariances, symmetric, shape (n_lines, n, n), in COV_UNITS products.

        LTMWCC and UTMWCC repeat each covariance as a correlation coefficient in the other
        triangle (in 502.0-B-3's example, rho_ij = c_ij / sqrt(c_ii c_jj)); the matrix is
        built from the covariance triangle.
        """
        n = len(ELEMENT_SETS[self.element_type])
        ordering = self.ordering
        size = ordering_size(ordering, n)  # a block without data lines gives shape (0, n, n)
        a = np.array(self.values, dtype=np.float64).reshape(len(self.values), size)
        lower = np.zeros((len(self.values), n, n))
        rows, cols = np.tril_indices(n)
        if ordering == "LTM":
            lower[:, rows, cols] = a
        elif ordering == "UTM":
            upper = np.zeros_like(lower)
            upper[(slice(None), *np.triu_indices(n))] = a
            lower = np.transpose(upper, (0, 2, 1))
        else:
            full = a.reshape(len(self.values), n, n)
            lower = np.transpose(full, (0, 2, 1)) if ordering == "UTMWCC" else full
        lower = np.tril(lower)
        return lower + np.transpose(np.tril(lower, -1), (0, 2, 1))

    def standard_matrices(self) -> FloatArray:
        """Return :meth:`matrices` converted from COV_UNITS (the elements' units) to the
        element set's (for CARTPV: km**2, km**2/s, km**2/s**2), shape (n_lines, n, n)."""
        matrices = self.matrices()
        if self.cov_units is None:
            return matrices
        scales = unit_scales(self.cov_units, self.element_type, "COV")
        return matrices * np.multiply.outer(scales, scales)


@dataclass(frozen=True)
class OcmManeuver:
    """A manoeuvre specification (MAN_START ... MAN_STOP).

    ``rows[i]`` is data line i, one value per MAN_COMPOSITION field: a datetime
    (TIME_ABSOLUTE), a str (DEPLOY_ID, ON/OFF of ACC_INTERP and THR_INTERP), else a float
    in MAN_UNITS (which name the fields after the time fields).
    """

    man_id: str
    man_device_id: str
    man_composition: tuple[str, ...]
    rows: tuple[tuple[datetime | float | str, ...], ...] = ()
    man_units: tuple[str, ...] | None = None
    man_ref_frame: str | None = None  # None: TNW_INERTIAL
    man_basis: str | None = None
    man_purpose: str | None = None
    extra: Extra = ()
    comments: tuple[str, ...] = ()

    def column(self, field: str) -> tuple[datetime | float | str, ...]:
        """Given a MAN_COMPOSITION field, return its value on each data line."""
        i = self.man_composition.index(field)
        return tuple(row[i] for row in self.rows)

    def epochs(self, epoch_tzero: datetime | None = None) -> tuple[datetime, ...]:
        """Given EPOCH_TZERO (needed for TIME_RELATIVE), return each line's epoch."""
        times = [row[0] for row in self.rows]
        return absolute_epochs((t for t in times if not isinstance(t, str)), epoch_tzero)


@dataclass(frozen=True)
class Ocm:
    """One Orbit Comprehensive Message: header, metadata and the data blocks.

    Header and metadata keywords without a field here are in ``extra``.  Epochs are naive
    datetimes in TIME_SYSTEM (None: UTC), to the microsecond.
    """

    creation_date: datetime
    originator: str
    epoch_tzero: datetime
    message_id: str | None = None
    time_system: str | None = None  # None: UTC
    object_name: str | None = None
    international_designator: str | None = None
    catalog_name: str | None = None
    object_designator: str | None = None
    start_time: datetime | None = None
    stop_time: datetime | None = None
    time_span_d: float | None = None
    version: str = "3.0"  # CCSDS_OCM_VERS
    trajectories: tuple[OcmTrajectory, ...] = ()
    physical: OcmBlock | None = None
    covariances: tuple[OcmCovariance, ...] = ()
    maneuvers: tuple[OcmManeuver, ...] = ()
    perturbations: OcmBlock | None = None
    orbit_determination: OcmBlock | None = None
    user: OcmBlock | None = None
    extra: Extra = ()
    header_comments: tuple[str, ...] = ()
    metadata_comments: tuple[str, ...] = ()

    @property
    def time_scale(self) -> str:
        """Return TIME_SYSTEM, or its default UTC."""
        return self.time_system or DEFAULTS["TIME_SYSTEM"]


# ---------------------------------------------------------------------------------------
# Readers and writers (in accord.formats.ocm_kvn and ocm_xml, imported when used).
# ---------------------------------------------------------------------------------------


def load_ocm_kvn(
    text: str, *, allow_scaled_units: bool = False, allow_unknown_frames: bool = False
) -> ParseResult[Ocm]:
    """Given KVN text of one or more OCMs (502.0-B-3 section 6), return the records.

    Each message starts at a ``CCSDS_OCM_VERS`` line; a bad message is one Rejected that
    names its line and keyword, and the next message is read.  The options are the named
    leniencies of the module docstring.
    """
    from accord.formats import ocm_kvn

    return ocm_kvn.load_ocm_kvn(
        text, allow_scaled_units=allow_scaled_units, allow_unknown_frames=allow_unknown_frames
    )


def dump_ocm_kvn(ocms: Iterable[Ocm]) -> str:
    """Given records, return KVN text with one OCM each (502.0-B-3 section 6).

    Raise FormatError for a record that would not read back (a value of the wrong type,
    an ``extra`` keyword of another block, text over several lines ...).
    """
    from accord.formats import ocm_kvn

    return ocm_kvn.dump_ocm_kvn(ocms)


def load_ocm_xml(
    data: str | bytes, *, allow_scaled_units: bool = False, allow_unknown_frames: bool = False
) -> ParseResult[Ocm]:
    """Given NDM/XML, an ``<ocm>`` or an ``<ndm>`` of several, return the records.

    See :func:`accord.formats.ocm_xml.load_ocm_xml`.
    """
    from accord.formats import ocm_xml

    return ocm_xml.load_ocm_xml(
        data, allow_scaled_units=allow_scaled_units, allow_unknown_frames=allow_unknown_frames
    )


def dump_ocm_xml(ocms: Iterable[Ocm]) -> str:
    """Given records, return NDM/XML: one ``<ocm>``, or an ``<ndm>`` of several.

    See :func:`accord.formats.ocm_xml.dump_ocm_xml`.
    """
    from accord.formats import ocm_xml

    return ocm_xml.dump_ocm_xml(ocms)


def ocm_segments(ocm: Ocm) -> tuple[OemSegment, ...]:
    """Given a record, return its CARTPV and CARTPVA trajectories as OEM segments (km,
    km/s), split at manoeuvres, with their covariances.

    See :func:`accord.formats.ocm_oem.ocm_segments`.
    """
    from accord.formats import ocm_oem

    return ocm_oem.ocm_segments(ocm)


def load_ocm(
    data: str | bytes, *, allow_scaled_units: bool = False, allow_unknown_frames: bool = False
) -> ParseResult[Ocm]:
    """Given OCM text in KVN or NDM/XML, tell which by its first character, return records.

    XML starts with "<" (after blanks and a byte order mark); anything else is read as
    KVN, bytes as UTF-8.  Options as in :func:`load_ocm_kvn`.
    """
    options = {
        "allow_scaled_units": allow_scaled_units,
        "allow_unknown_frames": allow_unknown_frames,
    }
    if isinstance(data, bytes):
        if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.lstrip(_BLANKS)[:1] == b"<":
            return load_ocm_xml(data, **options)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            from accord.formats.records import Rejected

            result: ParseResult[Ocm] = ParseResult()
            error = FormatError(f"cannot decode the input as UTF-8: {exc}", line=1)
            result.rejected.append(Rejected(1, data.decode("utf-8", "replace"), error))
            return result
    else:
        text = data
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return load_ocm_xml(text, **options)
    return load_ocm_kvn(text, **options)


_BLANKS = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte order mark and blanks
