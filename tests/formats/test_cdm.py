"""Tests of accord.formats.cdm (CCSDS 508.0-B-1 CDM, KVN and NDM/XML) against authorities.

Authorities: the CDM samples of Orekit (CS-SI/Orekit, Apache-2.0: the blue-book examples,
deliberately malformed files, Space-Track XML, and a real CSpOC CDM), the section-4
example of the ccsds-ndm package (KVN and XML of the same message), and the official
NDM/XML schema.  All are read in place from ../shared/data; none is copied.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord.errors import FormatError
from accord.formats.cdm import (
    Cdm,
    CdmObject,
    dump_cdm_kvn,
    dump_cdm_xml,
    load_cdm,
    load_cdm_kvn,
    load_cdm_xml,
)
from accord.formats.records import ParseResult

OREKIT = "ccsds/orekit/cdm/"
NDM_PKG = "ccsds/ccsds_ndm_pkg/"
XSD = "ccsds/beyond_pkg/xsd/ndmxml-1.0-master.xsd"
CSPOC = OREKIT + "ION_SCV8_vs_STARLINK_1233.txt"
EXAMPLE1 = OREKIT + "CDMExample1.txt"

# Every CDM sample with its outcome read strictly and with allow_empty=True: "read", or
# the (line, keyword) that the rejection names.  Orekit's CdmParserTest says what each
# malformed file is for; the decisions are ours (see the module docstring of cdm.py).
Outcome = str | tuple[int, str]
READ = "read"
SAMPLES: list[tuple[str, Outcome, Outcome]] = [
    # CCSDS 508.0-B-1 blue-book examples and Orekit's variants of them
    (OREKIT + "CDMExample1.txt", READ, READ),
    (OREKIT + "CDMExample1.xml", READ, READ),
    (OREKIT + "CDMExample2.txt", READ, READ),  # drag and SRP covariance rows
    (OREKIT + "CDMExample3.txt", READ, READ),  # OD parameters with the epochs only
    (OREKIT + "CDMExample4.txt", READ, READ),  # the full 9x9 covariance (thrust row)
    (OREKIT + "CDMExample5.txt", READ, READ),
    (OREKIT + "CDM-no-orbit-center-defined-obj1.txt", READ, READ),  # ORBIT_CENTER optional
    (OREKIT + "CDMExample_issue942.txt", READ, READ),  # MANEUVERABLE = N/A
    (OREKIT + "CDMExample_issue942.xml", READ, READ),
    (OREKIT + "CDMExample_issue988.txt", READ, READ),  # optional YES/NO metadata
    (OREKIT + "CDMExample_issue988.xml", READ, READ),
    (OREKIT + "CDMExample_issue988_2.txt", READ, READ),
    (OREKIT + "CDMExample_issue988_2.xml", READ, READ),
    (OREKIT + "CDMExample_issue988_3.txt", READ, READ),
    (OREKIT + "CDMExample_issue988_3.xml", READ, READ),
    (OREKIT + "CDMExample_issue_944.xml", READ, READ),  # AREA_DRG/AREA_SRP, CATALOG_NAME
    (CSPOC, READ, READ),  # a real CSpOC CDM
    (NDM_PKG + "kvn/cdm_example_section4.kvn", READ, READ),
    (NDM_PKG + "kvn/cdm_example_section4.xml", READ, READ),
    (NDM_PKG + "xml/cdm_example_section4.xml", READ, READ),
    # Malformed on purpose
    (OREKIT + "CDM-covariance-wrong-entry-format.txt", (65, "CRDOT_T"), (65, "CRDOT_T")),
    (OREKIT + "CDM-wrong-key-word.txt", (6, "WRONG_KEYWORD"), (6, "WRONG_KEYWORD")),
    (OREKIT + "CDM-missing-TCA.txt", (5, "TCA"), (5, "TCA")),  # at its section's start
    (OREKIT + "CDM-missing-object2-state-vector.txt", (52, "X"), (52, "X")),
    (
        OREKIT + "CDM-missing-object1-covariance-block.xml",
        (95, "covarianceMatrix"),  # where </data> comes too early
        (95, "covarianceMatrix"),
    ),
    (OREKIT + "CDMExample1InvalidTca.txt", (5, "TCA"), (5, "TCA")),  # 2010-04-31
    # Version 1.0 with keywords of the CDM 2.0 drafts (COVARIANCE_SOURCE, CX_X ...)
    (OREKIT + "CDM-frame-mapper.txt", (41, "COVARIANCE_SOURCE"), (41, "COVARIANCE_SOURCE")),
    # CDM 2.0 (508.0-P-1.0.2 pink book), not 508.0-B-1
    (OREKIT + "CDMExample_issue_940.txt", (1, "CCSDS_CDM_VERS"), (1, "CCSDS_CDM_VERS")),
    (OREKIT + "CDMExample_issue_940.xml", (2, "CCSDS_CDM_VERS"), (2, "CCSDS_CDM_VERS")),
    # Space-Track XML: empty and nil="true" elements, which the schema forbids
    (OREKIT + "CDMExample_issue1319.xml", (24, "START_SCREEN_PERIOD"), READ),
    (OREKIT + "CDMExample_issue1458.xml", (24, "COLLISION_PROBABILITY"), READ),
    (
        OREKIT + "CDMExample_issue1319_mandatory_empty_value.xml",
        (24, "START_SCREEN_PERIOD"),
        (88, "X"),  # a mandatory keyword stays mandatory
    ),
]
STRICT = [(path, strict) for path, strict, _ in SAMPLES]
LENIENT = [(path, lenient) for path, _, lenient in SAMPLES]
GOOD = [path for path, _, lenient in SAMPLES if lenient == READ]


def test_every_sample_in_the_folders_is_listed(shared_data: Path) -> None:
    listed = {path for path, _, _ in SAMPLES}
    found = {OREKIT + p.name for p in (shared_data / OREKIT).iterdir()}
    found |= {str(p.relative_to(shared_data)) for p in shared_data.glob(NDM_PKG + "*/cdm*")}
    assert found == listed


def _read(shared_data: Path, path: str, allow_empty: bool = False) -> ParseResult[Cdm]:
    return load_cdm((shared_data / path).read_bytes(), allow_empty=allow_empty)


def _check_outcome(result: ParseResult[Cdm], outcome: Outcome) -> None:
    if outcome == READ:
        assert not result.rejected, result.rejected[0].reason
        assert len(result.accepted) == 1
        return
    assert not isinstance(outcome, str)
    line, keyword = outcome
    assert not result.accepted
    (rejected,) = result.rejected
    assert (rejected.error.line, rejected.error.field) == (line, keyword), rejected.reason
    assert rejected.reason.startswith(f"line {line}, field {keyword}: ")
    assert rejected.error.expected  # says what was expected
    assert rejected.raw  # keeps the text as received


@pytest.mark.parametrize(("path", "outcome"), STRICT, ids=[p for p, _ in STRICT])
def test_sample_read_strictly(shared_data: Path, path: str, outcome: Outcome) -> None:
    _check_outcome(_read(shared_data, path), outcome)


@pytest.mark.parametrize(("path", "outcome"), LENIENT, ids=[p for p, _ in LENIENT])
def test_sample_read_with_allow_empty(shared_data: Path, path: str, outcome: Outcome) -> None:
    _check_outcome(_read(shared_data, path, allow_empty=True), outcome)


@pytest.fixture(scope="module")
def schema(shared_data: Path) -> Any:
    etree = pytest.importorskip("lxml.etree")
    return etree.XMLSchema(etree.parse(str(shared_data / XSD)))


@pytest.mark.parametrize("path", GOOD)
def test_sample_round_trips_through_kvn_and_valid_xml(
    shared_data: Path, schema: Any, path: str
) -> None:
    from lxml import etree

    records = _read(shared_data, path, allow_empty=True).records
    kvn = dump_cdm_kvn(records)
    assert load_cdm_kvn(kvn).records == records
    xml = dump_cdm_xml(records)
    assert load_cdm_xml(xml).records == records
    assert schema.validate(etree.fromstring(xml.encode())), schema.error_log
    # and once more, so the writers are stable
    assert dump_cdm_kvn(load_cdm_kvn(kvn).records) == kvn
    assert dump_cdm_xml(load_cdm_xml(xml).records) == xml


def test_kvn_and_xml_renderings_of_the_section4_example_agree(shared_data: Path) -> None:
    kvn = _read(shared_data, NDM_PKG + "kvn/cdm_example_section4.kvn").records
    xml = _read(shared_data, NDM_PKG + "xml/cdm_example_section4.xml").records
    assert kvn == xml


def test_blue_book_example_values(shared_data: Path) -> None:
    (cdm,) = _read(shared_data, OREKIT + "CDMExample2.txt").records
    assert cdm.creation_date == datetime(2010, 3, 12, 22, 31, 12)
    assert (cdm.originator, cdm.message_for, cdm.message_id) == (
        "JSPOC",
        "SATELLITE A",
        "201113719185",
    )
    assert cdm.tca == datetime(2010, 3, 13, 22, 37, 52, 618000)
    assert (cdm.miss_distance_m, cdm.relative_speed_m_s) == (715.0, 14762.0)
    assert cdm.relative_position_rtn_m == (27.4, -70.2, 711.8)
    assert cdm.relative_velocity_rtn_m_s == (-7.2, -14692.0, -1437.2)
    assert (cdm.screen_volume_frame, cdm.screen_volume_shape) == ("RTN", "ELLIPSOID")
    assert (cdm.screen_volume_x_m, cdm.screen_volume_y_m, cdm.screen_volume_z_m) == (
        200.0,
        1000.0,
        1000.0,
    )
    assert (cdm.collision_probability, cdm.collision_probability_method) == (
        4.835e-05,
        "FOSTER-1992",
    )
    assert cdm.relative_comments == ("Relative Metadata/Data",)
    one, two = cdm.objects
    assert (one.object_designator, one.object_name, one.object_type) == (
        "12345",
        "SATELLITE A",
        "PAYLOAD",
    )
    assert (one.maneuverable, one.orbit_center, one.ref_frame) == ("YES", "EARTH", "EME2000")
    assert (one.solar_rad_pressure, two.solar_rad_pressure, two.orbit_center) == (
        False,
        True,
        None,
    )
    assert (one.obs_available, one.obs_used, one.tracks_used) == (592, 579, 119)
    assert (one.recommended_od_span_d, one.residuals_accepted_pct) == (7.88, 97.8)
    assert (one.mass_kg, one.cd_area_over_mass_m2_kg, one.sedr_w_kg) == (
        251.6,
        0.045663,
        4.5457e-05,
    )
    assert one.r_km == (2570.097065, 2244.654904, 6281.497978)
    assert two.v_km_s == (-2.8886125, -6.007247516, 3.328770172)
    # Comments stay with the block they open; "Object1 Data" opens the data section,
    # whose first block is the OD parameters.
    assert one.od_comments == ("Object1 Data", "Object1 OD Parameters")
    assert one.additional_comments[0] == "Object1 Additional Parameters"
    assert one.covariance_comments == ("Object1 Covariance in the RTN Coordinate Frame",)
    # Drag and SRP rows (8 x 8), in SI units
    assert [len(row) for row in one.cov_rtn_si] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert one.cov_rtn_si[0] == (41.42,)
    assert one.cov_rtn_si[6][6] == 3.483e-06  # CDRG_DRG, m**4/kg**2
    assert one.cov_rtn_si[7] == (
        -149.2,
        204.4,
        -23.31,
        -0.001254,
        0.02013,
        -0.0047,
        0.000221,
        0.01593,
    )


def test_covariance_helper_is_the_symmetric_6x6(shared_data: Path) -> None:
    (cdm,) = _read(shared_data, OREKIT + "CDMExample4.txt").records
    one = cdm.object1
    assert len(one.cov_rtn_si) == 9  # drag, SRP and thrust rows
    assert one.cov_rtn_si[8][8] == -2.986e-02  # CTHR_THR, m**2/s**4, as given
    cov = one.cov_rtn_m_m_s()
    assert cov.shape == (6, 6) and cov.dtype == np.float64
    assert np.array_equal(cov, cov.T)
    assert cov[0, 0] == 41.42  # CR_R, m**2
    assert cov[1, 0] == cov[0, 1] == -8.579  # CT_R
    assert cov[3, 1] == -5.476  # CRDOT_T, m**2/s
    assert cov[5, 5] == 5.529e-05  # CNDOT_NDOT, m**2/s**2
    assert cov[5, 3] == cov[3, 5] == -3.004e-06  # CNDOT_RDOT


def test_real_cspoc_cdm(shared_data: Path) -> None:
    """The CSpOC message: values, comments, and its relative state against its own states."""
    (cdm,) = _read(shared_data, CSPOC).records
    assert cdm.header_comments == ("=CDM_ID:519959713", "MEETS EMERGENCY CRITERIA")
    assert (cdm.originator, cdm.message_for) == ("CSpOC", "ION SCV-008")
    assert cdm.creation_date == datetime(2023, 7, 5, 14, 13, 59)
    assert (cdm.collision_probability, cdm.collision_probability_method) == (
        0.004450713,
        "FOSTER-1992",
    )
    one, two = cdm.objects
    # CSpOC's screening comment follows the relative data, so it opens object 1's metadata.
    assert one.metadata_comments == ("Screening Option = Covariance",)
    assert (one.maneuverable, two.maneuverable, one.ref_frame) == ("N/A", "YES", "ITRF")
    assert one.operator_phone is not None and one.operator_phone.startswith("https://")
    assert (one.obs_used, two.obs_used, two.residuals_accepted_pct) == (171, 62, 100.0)
    assert (two.thrust_acceleration_m_s2, two.intrack_thrust) == (1e-12, False)
    assert one.od_comments[1] == "Exclusion Volume Radius = 5.000000 [m]"
    assert len(one.cov_rtn_si) == 8 and not any(any(r) for r in one.cov_rtn_si[6:])
    assert one.cov_rtn_si[5][5] == 0.00009287778622823746
    # The relative state is object 2 minus object 1 in object 1's RTN frame, built from
    # the ITRF state with Earth's rotation added back (an inertial RTN): it matches to
    # the last digit CSpOC writes (0.1 m, 0.1 m/s).  The ITRF's own RTN misses by metres.
    r1, r2 = np.array(one.r_km) * 1e3, np.array(two.r_km) * 1e3
    v1 = np.array(one.v_km_s) * 1e3
    dv = np.array(two.v_km_s) * 1e3 - v1
    omega = np.array([0.0, 0.0, 7.292115e-5])  # rad/s (IERS)
    relative_r, relative_v = cdm.relative_position_rtn_m, cdm.relative_velocity_rtn_m_s
    assert relative_r is not None and relative_v is not None
    inertial = _rtn(r1, v1 + np.cross(omega, r1))
    assert np.allclose(inertial @ (r2 - r1), relative_r, rtol=0, atol=0.1)
    assert np.allclose(inertial @ dv, relative_v, rtol=0, atol=0.1)
    assert not np.allclose(_rtn(r1, v1) @ (r2 - r1), relative_r, rtol=0, atol=1.0)
    # MISS_DISTANCE and RELATIVE_SPEED are truncated to the metre, not rounded.
    assert math.floor(np.linalg.norm(r2 - r1)) == cdm.miss_distance_m == 55.0
    assert math.floor(np.linalg.norm(dv)) == cdm.relative_speed_m_s == 14544.0


def _rtn(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Given a position and velocity, return the rows R, T, N of their RTN frame."""
    r_hat = r / np.linalg.norm(r)
    n_hat = np.cross(r, v) / np.linalg.norm(np.cross(r, v))
    return np.array([r_hat, np.cross(n_hat, r_hat), n_hat])


# ---------------------------------------------------------------------------------------
# Synthetic messages: each rule of the reader on its own.
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example1(shared_data: Path) -> str:
    return (shared_data / EXAMPLE1).read_text(encoding="utf-8")


def _set(text: str, keyword: str, new: str | None, nth: int = 1) -> str:
    """Given KVN text, replace the nth line of a keyword by new (None: remove it)."""
    lines = text.splitlines()
    found = [i for i, s in enumerate(lines) if s.split("=")[0].strip() == keyword]
    i = found[nth - 1]
    lines[i : i + 1] = [] if new is None else new.split("\n")
    return "\n".join(lines) + "\n"


def _error(text: str, **kw: bool) -> FormatError:
    result = load_cdm(text, **kw)
    assert not result.accepted, "expected a rejection"
    (rejected,) = result.rejected
    return rejected.error


# CDMExample1.txt: 1 CCSDS_CDM_VERS, 2 CREATION_DATE, 5 TCA, 6 MISS_DISTANCE, 7 OBJECT,
# 10 OBJECT_NAME, 14 MANEUVERABLE, 15 REF_FRAME, 16 X, 22 CR_R, 28 CRDOT_R, 42 CNDOT_NDOT,
# 43 OBJECT (2), 52 X (2), 78 CNDOT_NDOT (2, no newline at the end).
@pytest.mark.parametrize(
    ("keyword", "new", "line", "field", "words"),
    [
        ("MISS_DISTANCE", "MISS_DISTANCE = 715 [km]", 6, "MISS_DISTANCE", "wrong unit"),
        ("CRDOT_R", "CRDOT_R = 2.520E-03 [m**2]", 28, "CRDOT_R", "wrong unit"),
        ("X", "X = 2570.097065 [m]", 16, "X", "wrong unit"),
        ("MISS_DISTANCE", "MISS_DISTANCE = 7I5 [m]", 6, "MISS_DISTANCE", "not a number"),
        ("MISS_DISTANCE", "MISS_DISTANCE = 715 m", 6, "MISS_DISTANCE", "not a number"),
        ("TCA", "TCA = 13/03/2010", 5, "TCA", "epoch"),
        ("MANEUVERABLE", "MANEUVERABLE = MAYBE", 14, "MANEUVERABLE", "not one of"),
        ("REF_FRAME", "REF_FRAME = TEME", 15, "REF_FRAME", "not one of"),
        ("MESSAGE_ID", "MESSAGE_NUMBER = 1", 4, "MESSAGE_NUMBER", "unknown keyword"),
        ("ORIGINATOR", None, 2, "ORIGINATOR", "missing"),  # at the header's first line
        ("CN_N", "CN_N =", 27, "CN_N", "no value"),
        ("MISS_DISTANCE", "MISS DISTANCE = 715 [m]", 6, None, "not a KVN line"),
        ("CCSDS_CDM_VERS", "CCSDS_CDM_VERS = 2.0", 1, "CCSDS_CDM_VERS", "version"),
    ],
)
def test_kvn_errors_name_line_keyword_and_expectation(
    example1: str, keyword: str, new: str | None, line: int, field: str | None, words: str
) -> None:
    error = _error(_set(example1, keyword, new))
    assert (error.line, error.field) == (line, field), error.describe()
    assert words in error.message
    assert error.expected


def test_kvn_sections_come_in_order(example1: str) -> None:
    tca = "TCA = 2010-03-13T22:37:52.618"
    error = _error(_set(_set(example1, "TCA", None), "CATALOG_NAME", f"{tca}\nCATALOG_NAME = X"))
    assert (error.line, error.field) == (8, "TCA") and "has ended" in error.message
    error = _error(_set(_set(example1, "MANEUVERABLE", None), "Z", "Z = 1.0\nMANEUVERABLE = YES"))
    assert (error.line, error.field) == (18, "MANEUVERABLE") and "has ended" in error.message
    error = _error(_set(example1, "OBJECT", None))
    assert (error.line, error.field) == (7, "OBJECT_DESIGNATOR")
    assert "before the first object" in error.message
    error = _error(_set(example1, "Y", "X = 1.0 [km]"))
    assert (error.line, error.field) == (17, "X") and "twice" in error.message
    error = _error(_set(example1, "OBJECT", "OBJECT = OBJECT1", nth=2))
    assert (error.line, error.field) == (43, "OBJECT") and "OBJECT2" in (error.expected or "")
    end = example1.index("OBJECT                        = OBJECT2")
    error = _error(example1[:end])
    assert (error.field, error.message) == ("OBJECT", "the OBJECT2 section is missing")
    error = _error(example1 + "\n" + example1[end:])
    assert (error.line, error.field) == (79, "OBJECT") and "third" in error.message


def test_kvn_comments_open_blocks_only(example1: str) -> None:
    error = _error(_set(example1, "Y", "COMMENT here\nY = 2244.654904 [km]"))
    assert (error.line, error.field) == (17, "COMMENT") and "inside" in error.message
    error = _error(example1 + "\nCOMMENT trailing\n")
    assert (error.line, error.field) == (79, "COMMENT")
    (cdm,) = load_cdm(_set(example1, "X", "COMMENT state\nX = 2570.097065")).records
    assert cdm.object1.state_vector_comments == ("state",)
    assert load_cdm(dump_cdm_xml([cdm])).records == [cdm]


def test_kvn_covariance_rows_are_whole_and_in_order(example1: str) -> None:
    def rows(name: str, axes: str) -> str:
        return "\n".join(f"C{name}_{axis} = 1.0" for axis in axes.split())

    drag = rows("DRG", "R T N RDOT TDOT NDOT DRG")
    srp = rows("SRP", "R T N RDOT TDOT NDOT DRG SRP")
    last = "CNDOT_NDOT = 5.529E-05"
    (cdm,) = load_cdm(_set(example1, "CNDOT_NDOT", f"{last}\n{drag}")).records
    assert cdm.object1.cov_rtn_si[6] == (1.0,) * 7
    assert len(cdm.object2.cov_rtn_si) == 6
    error = _error(_set(example1, "CNDOT_NDOT", f"{last}\n{drag}".replace("CDRG_N =", "CDRG_X =")))
    assert (error.line, error.field) == (45, "CDRG_X") and "unknown" in error.message
    error = _error(_set(example1, "CNDOT_NDOT", f"{last}\n{drag.rsplit(chr(10), 1)[0]}"))
    assert (error.line, error.field) == (43, "CDRG_DRG") and "whole or absent" in error.message
    error = _error(_set(example1, "CNDOT_NDOT", f"{last}\n{srp}"))
    assert (error.line, error.field) == (43, "CSRP_R") and "CDRG" in error.message
    error = _error(_set(example1, "CNDOT_NDOT", f"{last}\nCTHR_THR = 1.0 [m**2/s**3]"))
    assert (error.line, error.field) == (43, "CTHR_THR") and "wrong unit" in error.message


def test_kvn_ranges_and_the_relative_state_are_checked(example1: str) -> None:
    tca = "TCA = 2010-03-13T22:37:52.618"
    error = _error(_set(example1, "TCA", f"{tca}\nCOLLISION_PROBABILITY = 1.5"))
    assert (error.line, error.field) == (6, "COLLISION_PROBABILITY") and "range" in error.message
    error = _error(_set(example1, "X", "OBS_USED = 0\nX = 1.0"))
    assert (error.line, error.field) == (16, "OBS_USED") and "0 < OBS_USED" in str(error)
    error = _error(_set(example1, "TCA", f"{tca}\nRELATIVE_POSITION_R = 1 [m]"))
    assert (error.line, error.field) == (6, "RELATIVE_POSITION_T")
    assert "all or none" in error.message


def test_units_case_blanks_and_na_are_accepted_and_values_normalised(example1: str) -> None:
    text = _set(example1, "CRDOT_T", "CRDOT_T = -5.476E+00 [M**2/S]")
    text = _set(text, "CRDOT_RDOT", "CRDOT_RDOT = 5.744E-03 [ m**2 / s**2 ]")
    text = _set(text, "MANEUVERABLE", "MANEUVERABLE = yes")
    text = _set(text, "OBJECT", "OBJECT = object2", nth=2)
    text = _set(text, "TCA", "TCA = 2010-072T22:37:52.618Z\nCOLLISION_PROBABILITY = 1E-4 [n/a]")
    (cdm,) = load_cdm(text).records
    (plain,) = load_cdm(example1).records
    assert cdm.object1.maneuverable == "YES" and cdm.collision_probability == 1e-4
    assert replace(cdm, collision_probability=None) == plain


def test_kvn_empty_values_are_refused_unless_allowed(example1: str) -> None:
    text = _set(example1, "TCA", "TCA = 2010-03-13T22:37:52.618\nCOLLISION_PROBABILITY =")
    error = _error(text)
    assert (error.line, error.field) == (6, "COLLISION_PROBABILITY")
    assert "allow_empty" in (error.expected or "")
    (cdm,) = load_cdm(text, allow_empty=True).records
    assert cdm.collision_probability is None
    error = _error(_set(example1, "OBJECT_NAME", "OBJECT_NAME ="), allow_empty=True)
    assert (error.line, error.field) == (10, "OBJECT_NAME")


def test_kvn_messages_in_one_input_and_one_bad(example1: str) -> None:
    bad = _set(example1, "MISS_DISTANCE", "MISS_DISTANCE = x")
    text = "\r\n".join([*bad.splitlines(), *example1.splitlines(), *example1.splitlines()])
    result = load_cdm_kvn(text)
    assert [(r.line, r.error.line) for r in result.rejected] == [(1, 6)]
    assert [p.line for p in result.accepted] == [79, 157]
    assert result.accepted[0].record == result.accepted[1].record
    assert result.accepted[0].raw.startswith("CCSDS_CDM_VERS")


def test_kvn_text_before_the_first_message_is_refused(example1: str) -> None:
    result = load_cdm_kvn("hello\n" + example1)
    assert [(r.line, r.error.field) for r in result.rejected] == [(1, "CCSDS_CDM_VERS")]
    assert len(result.accepted) == 1
    assert load_cdm_kvn("").rejected == load_cdm_kvn("").accepted == []


# ---------------------------------------------------------------------------------------
# XML specifics
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_xml(shared_data: Path) -> str:
    return (shared_data / OREKIT / "CDMExample1.xml").read_text(encoding="utf-8")


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# CDMExample1.xml: 2 <cdm ...>, 8 ORIGINATOR, 14 COMMENT, 15 TCA, 16 MISS_DISTANCE,
# 35 COLLISION_PROBABILITY, 41 OBJECT, 44 OBJECT_NAME, 85 </additionalParameters>, 89 X,
# 97 CR_R.
@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ('<MISS_DISTANCE units="m">', '<MISS_DISTANCE units="km">', 16, "MISS_DISTANCE", "unit"),
        ('<MISS_DISTANCE units="m">', "<MISS_DISTANCE>", 16, "MISS_DISTANCE", "units attr"),
        (
            "<COLLISION_PROBABILITY>",
            '<COLLISION_PROBABILITY units="">',
            35,
            "COLLISION_PROBABILITY",
            "dimensionless",
        ),
        (
            "<OBJECT_NAME>SATELLITE A</OBJECT_NAME>",
            "<OBJECT_NAM>SATELLITE A</OBJECT_NAM>",
            44,
            "OBJECT_NAM",
            "unknown",
        ),
        ("<TCA>2010-03-13T22:37:52.618</TCA>", "", 16, "TCA", "lacks <TCA>"),
        ('<X units="km">2570.097065</X>', "", 89, "X", "lacks <X>"),
        ("<ORIGINATOR>JSPOC", "<ORIGINATOR><a/>JSPOC", 8, "ORIGINATOR", "unexpected <a>"),
        ("<CR_R units", '<CR_R nil="true" units', 97, "CR_R", "nil"),
        ("Relative Metadata/Data", "Relative\nMetadata/Data", 14, "COMMENT", "control character"),
        ('version="1.0">', 'version="1.0" x="1">', 2, "cdm", "attribute"),
        ("<OBJECT>OBJECT1", "<OBJECT>OBJECT2", 41, "OBJECT", "OBJECT1"),
        (
            "</additionalParameters>",
            "</additionalParameters><odParameters/>",
            85,
            "odParameters",
            "misplaced",
        ),
    ],
)
def test_xml_errors_name_line_and_element(
    example_xml: str, old: str, new: str, line: int, field: str, words: str
) -> None:
    error = _error(_edit(example_xml, old, new))
    assert (error.line, error.field) == (line, field), error.describe()
    assert words in error.message or words in (error.expected or "")


def test_xml_reports_the_first_problem_in_document_order(example_xml: str) -> None:
    text = _edit(example_xml, "<TCA>2010-03-13T22:37:52.618", "<TCA>soon")
    error = _error(_edit(text, "<CR_R units", '<CR_R nil="true" units'))
    assert (error.line, error.field) == (15, "TCA")


def test_xml_ndm_keeps_cdms_and_reports_the_rest(example_xml: str) -> None:
    (cdm,) = load_cdm(example_xml).records
    two = dump_cdm_xml([cdm, replace(cdm, message_id="2")])
    bad = _edit(two, '<MISS_DISTANCE units="m">715.0', '<MISS_DISTANCE units="m">x')
    ndm = _edit(bad, "  <cdm ", "  <COMMENT>combined</COMMENT>\n  <omm/>\n  <cdm ")
    result = load_cdm_xml(ndm.encode("utf-8"))
    assert [r.record.message_id for r in result.accepted] == ["2"]
    assert result.accepted[0].record.header_comments == ("combined", *cdm.header_comments)
    assert [(r.error.field, "not a CDM" in r.reason) for r in result.rejected] == [
        ("omm", True),
        ("MISS_DISTANCE", False),
    ]


def test_xml_namespaces_doctype_encodings_and_documents_cut_short(example_xml: str) -> None:
    (cdm,) = load_cdm(example_xml).records
    urn = "urn:ccsds:recommendation:navigation:schema:ndmxml"
    qualified = example_xml.replace("<cdm ", f'<ndm:cdm xmlns:ndm="{urn}" ')
    qualified = qualified.replace("</cdm>", "</ndm:cdm>")
    assert load_cdm(qualified).records == [cdm]
    undeclared = qualified.replace(f' xmlns:ndm="{urn}"', "")
    assert "not well-formed" in load_cdm(undeclared).rejected[0].reason
    doctype = example_xml.replace("<cdm ", "<!DOCTYPE cdm>\n<cdm ", 1)
    assert "DOCTYPE" in load_cdm(doctype).rejected[0].reason
    opm = load_cdm(example_xml.replace("<cdm ", "<opm ").replace("</cdm>", "</opm>"))
    assert opm.rejected[0].error.field == "opm"
    two = dump_cdm_xml([cdm, cdm])
    cut = load_cdm(two[: two.rindex("<covarianceMatrix>")])
    assert len(cut.accepted) == 1 and len(cut.rejected) == 1
    utf16 = example_xml.replace("UTF-8", "UTF-16").encode("utf-16")
    assert load_cdm(utf16).records == [cdm]


def test_xml_comments_of_data_and_of_empty_blocks_open_the_next_block(example_xml: str) -> None:
    (cdm,) = load_cdm(example_xml).records
    assert cdm.object1.od_comments == ("Object1 Data", "Object1 OD Parameters")
    # object 1's odParameters left with its comment alone
    start, end = example_xml.index("<TIME_LASTOB_START>"), example_xml.index("</odParameters>")
    (bare,) = load_cdm(example_xml[:start] + example_xml[end:]).records
    assert bare.object1.od_comments == ()
    assert bare.object1.time_lastob_start is None
    assert bare.object1.additional_comments == (
        "Object1 Data",
        "Object1 OD Parameters",
        "Object 1 Additional Parameters",
    )
    assert load_cdm_kvn(dump_cdm_kvn([bare])).records == [bare]


# ---------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------

AWKWARD = (0.1 + 0.2, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 123456789.12345678, 1 / 3)


def test_writers_write_reals_that_read_back_exactly(shared_data: Path, schema: Any) -> None:
    from lxml import etree

    (cdm,) = _read(shared_data, EXAMPLE1).records
    rows = tuple(tuple(AWKWARD[(i + j) % len(AWKWARD)] for j in range(i + 1)) for i in range(9))
    one = replace(cdm.object1, cov_rtn_si=rows, r_km=AWKWARD[:3], mass_kg=5e-324)
    odd = replace(cdm, object1=one, miss_distance_m=2.0**-1074, collision_probability=1 / 3)
    for dump, load in ((dump_cdm_kvn, load_cdm_kvn), (dump_cdm_xml, load_cdm_xml)):
        (back,) = load(dump([odd])).records
        assert back == odd
        assert (
            back.object1.cov_rtn_si[2][2] == AWKWARD[4]
            and str(back.object1.r_km[0]) == "0.30000000000000004"
        )
    assert schema.validate(etree.fromstring(dump_cdm_xml([odd]).encode()))
    assert "CR_R" in dump_cdm_kvn([odd]) and "[m**2]" in dump_cdm_kvn([odd])
    assert dump_cdm_kvn([]) == "" and load_cdm_xml(dump_cdm_xml([])).records == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"miss_distance_m": math.nan}, "MISS_DISTANCE"),
        ({"originator": "two\nlines"}, "ORIGINATOR"),
        ({"message_id": ""}, "MESSAGE_ID"),
        ({"message_for": " padded"}, "MESSAGE_FOR"),
        ({"collision_probability": 2.0}, "COLLISION_PROBABILITY"),
        ({"screen_volume_shape": "sphere"}, "SCREEN_VOLUME_SHAPE"),
        ({"header_comments": ("a\nb",)}, "COMMENT"),
        ({"relative_position_rtn_m": (1.0, 2.0)}, "RELATIVE_POSITION_R"),
    ],
)
def test_writers_refuse_what_would_not_read_back(
    shared_data: Path, change: dict[str, object], field: str
) -> None:
    (cdm,) = _read(shared_data, EXAMPLE1).records
    bad = replace(cdm, **change)  # type: ignore[arg-type]
    for dump in (dump_cdm_kvn, dump_cdm_xml):
        with pytest.raises(FormatError) as info:
            dump([bad])
        assert info.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cov_rtn_si": ((1.0,),) * 6}, "CT_R"),
        ({"cov_rtn_si": ()}, "CR_R"),
        ({"maneuverable": "maybe"}, "MANEUVERABLE"),
        ({"earth_tides": "YES"}, "EARTH_TIDES"),
        ({"obs_used": 0}, "OBS_USED"),
        ({"obs_used": 1.5}, "OBS_USED"),
        ({"time_lastob_start": "2010-01-01"}, "TIME_LASTOB_START"),
    ],
)
def test_writers_refuse_bad_objects(
    shared_data: Path, change: dict[str, object], field: str
) -> None:
    (cdm,) = _read(shared_data, EXAMPLE1).records
    bad = replace(cdm, object2=replace(cdm.object2, **change))  # type: ignore[arg-type]
    with pytest.raises(FormatError) as info:
        dump_cdm_kvn([bad])
    assert info.value.field == field


def test_records_are_plain_frozen_values(shared_data: Path) -> None:
    (cdm,) = _read(shared_data, EXAMPLE1).records
    assert isinstance(cdm.object1, CdmObject)
    with pytest.raises(AttributeError):
        cdm.tca = datetime(2000, 1, 1)  # type: ignore[misc]
    assert hash(cdm) == hash(load_cdm(dump_cdm_kvn([cdm])).records[0])


def test_load_cdm_tells_kvn_from_xml(shared_data: Path) -> None:
    kvn = (shared_data / EXAMPLE1).read_text(encoding="utf-8")
    xml = (shared_data / OREKIT / "CDMExample1.xml").read_text(encoding="utf-8")
    assert load_cdm(kvn).records == load_cdm(kvn.encode()).records == load_cdm_kvn(kvn).records
    assert load_cdm("\ufeff" + xml).records == load_cdm(xml.encode()).records
    assert load_cdm("  \n" + xml[xml.index("<cdm") :]).records == load_cdm(xml).records
    assert len(load_cdm(b"\xef\xbb\xbf" + xml.encode()).records) == 1
    assert load_cdm(b"\xff\xfe\xff").rejected
