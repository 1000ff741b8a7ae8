"""Tests of accord.formats.oem (CCSDS 502.0-B-3 section 5 OEM, KVN and NDM/XML).

Authorities: the OEM samples of Orekit (CS-SI/Orekit, Apache-2.0: the blue-book example and
its variants, deliberately malformed files, real ISS and STK files), of the beyond package
(KVN and XML pairs with covariance, two segments, interplanetary) and of the ccsds-ndm
package (the 502.0-B-2 figure 5-1 example, NDM/XML examples), and the official NDM/XML
schema.  All are read in place from ../shared/data; none is copied.  Expected values are
those of the files, and where Orekit's OemParserTest asserts them, the same ones.
"""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from accord.errors import FormatError
from accord.formats.oem import (
    Oem,
    OemCovariance,
    OemSegment,
    OemState,
    dump_oem_kvn,
    dump_oem_xml,
    load_oem,
    load_oem_kvn,
    load_oem_xml,
)
from accord.formats.records import ParseResult

OREKIT = "ccsds/orekit/odm/oem/"
BEYOND = "ccsds/beyond_pkg/"
NDM_PKG = "ccsds/ccsds_ndm_pkg/"
XSD = "ccsds/beyond_pkg/xsd/ndmxml-1.0-master.xsd"
FIG5_1 = NDM_PKG + "kvn/502x0b2c1e2_fig5_1_oem.kvn"
ODM_NDM = NDM_PKG + "xml/ndmxml-1.0-odm.xml"

# beyond's samples, each in KVN and in XML
BEYOND_PAIRS = ("oem", "oem_cov", "oem_cov_qsw", "oem_cov_tnw", "oem_double", "oem_minimal",
                "oem_interplanetary")  # fmt: skip

# Every OEM sample with its outcome: READ, or the (line, keyword) its rejection names.
# Orekit's OemParserTest says what each malformed file is for; the decisions are ours
# (see the module docstring of accord.formats.oem).
Outcome = str | tuple[int, str]
READ = "read"
SAMPLES: list[tuple[str, Outcome]] = [
    *[(BEYOND + f"{name}.{ext}", READ) for name in BEYOND_PAIRS for ext in ("kvn", "xml")],
    (BEYOND + "oem_unidented.xml", READ),
    (FIG5_1, READ),
    (NDM_PKG + "kvn/502x0b2c1e2_fig5_1_oem.xml", READ),
    (NDM_PKG + "xml/ndmxml-1.0-oem-2.0-single.xml", READ),
    (OREKIT + "OEMExample1.txt", READ),  # 3.0, CLASSIFICATION; a repeated last line
    (OREKIT + "OEMExample2.txt", READ),  # day-of-year epochs, MRT, REF_FRAME_EPOCH
    (OREKIT + "OEMExample3.txt", READ),  # MESSAGE_ID; 6 and 9 numbers in one segment
    (OREKIT + "OEMExample3.xml", READ),  # accelerations, covariance in ITRF1997
    (OREKIT + "OEMExample4.txt", READ),
    (OREKIT + "OEMExample5.txt", READ),  # 12-digit fractions of a second
    (OREKIT + "OEMExample5ITRF.txt", READ),  # CREATION_DATE with a trailing Z
    (OREKIT + "OEMExample6.txt", READ),  # no optional metadata
    (OREKIT + "OEMExample8.txt", READ),  # INTERPOLATION without INTERPOLATION_DEGREE
    (OREKIT + "OEMExample9.txt", READ),  # ITRF-93
    (OREKIT + "OEMExampleWithHeaderComment.txt", READ),
    (OREKIT + "ISS.resampled.truncated.txt", READ),  # empty COMMENT lines
    (OREKIT + "OEM-Issue839.txt", READ),  # TAI, 3.0 without CLASSIFICATION
    (OREKIT + "oemLowerCaseValue.oem", READ),  # 1.0, "Earth", "Lagrange"
    (OREKIT + "test.oem", READ),
    (OREKIT + "test_cov.oem", READ),  # a covariance epoch outside the span: not checked
    # Segments in UTC, TCG, UTC.  TIME_SYSTEM is metadata of each segment (502.0-B-3
    # Table 5-3: the time system of that segment's metadata, data and covariance), and
    # the standard does not ask all segments of a message to share one; Orekit reads the
    # file too (its CCSDS_INCONSISTENT_TIME_SYSTEMS is raised by Oem.checkTimeSystems, for
    # its own single-time-scale view).  So it reads; see test_inconsistent_time_systems.
    (OREKIT + "OEM-inconsistent-time-systems.txt", READ),
    # Malformed on purpose (lines and keywords as in OemParserTest where it names them)
    (OREKIT + "OEM-wrong-keyword.txt", (19, "WRONG_KEYWORD")),
    (OREKIT + "OEM-keyword-within-ephemeris.txt", (24, "USER_DEFINED_TEST_KEY")),
    (OREKIT + "OEM-keyword-within-covariance.txt", (91, "USER_DEFINED_TEST_KEY")),
    (OREKIT + "OEM-ephemeris-number-format-error.txt", (44, "Z")),
    (OREKIT + "OEM-covariance-number-format-error.txt", (52, "CY_Y")),
    (OREKIT + "OEM-too-few-covariance-columns.txt", (55, "CY_DOT_Y_DOT")),  # row 5 of 4
    (OREKIT + "OEM-too-many-covariance-columns.txt", (51, "CX_X")),  # a full 6x6 matrix
    (OREKIT + "OEM-too-large-covariance-dimension.txt", (91, "EPOCH")),  # a 7th row
    (OREKIT + "OEM-too-small-covariance-dimension.txt", (89, "EPOCH")),  # after 4 rows
    # Halves of one message that Orekit's testITRFFrames joins around a REF_FRAME line
    # (see test_orekit_example7_halves_join_around_a_ref_frame); alone, neither is an OEM.
    (OREKIT + "OEMExample7.txt.pre", (9, "META_STOP")),  # the metadata never closes
    (OREKIT + "OEMExample7.txt.post", (2, "CCSDS_OEM_VERS")),  # no version line
]
GOOD = [path for path, outcome in SAMPLES if outcome == READ]
GOOD_AND_NDM = [*GOOD, ODM_NDM]  # the <ndm> also holds two OPMs (see test_ndm_...)


def test_every_sample_in_the_folders_is_listed(shared_data: Path) -> None:
    listed = {path for path, _ in SAMPLES} | {ODM_NDM}
    found = {OREKIT + p.name for p in (shared_data / OREKIT).iterdir()}
    found |= {str(p.relative_to(shared_data)) for p in shared_data.glob(BEYOND + "oem*")}
    found |= {str(p.relative_to(shared_data)) for p in shared_data.glob(NDM_PKG + "*/*oem*")}
    found.add(ODM_NDM)  # the NDM combined instantiation with an <oem>
    assert found == listed


def _read(shared_data: Path, path: str) -> ParseResult[Oem]:
    return load_oem((shared_data / path).read_bytes())


def _one(shared_data: Path, path: str) -> Oem:
    result = _read(shared_data, path)
    assert not result.rejected, result.rejected[0].reason
    (oem,) = result.records
    return oem


@pytest.mark.parametrize(("path", "outcome"), SAMPLES, ids=[p for p, _ in SAMPLES])
def test_sample_outcome(shared_data: Path, path: str, outcome: Outcome) -> None:
    result = _read(shared_data, path)
    if outcome == READ:
        assert not result.rejected, result.rejected[0].reason
        assert len(result.accepted) == 1
        assert all(s.states for s in result.records[0].segments)
        return
    assert not isinstance(outcome, str)
    line, keyword = outcome
    assert not result.accepted
    (rejected,) = result.rejected
    assert (rejected.error.line, rejected.error.field) == (line, keyword), rejected.reason
    assert rejected.reason.startswith(f"line {line}, field {keyword}: ")
    assert rejected.error.expected  # says what was expected
    assert rejected.raw  # keeps the text as received


# For every sample that reads: states per segment, covariances per segment, and the first
# state's epoch and position (km), as the files give them.
ISS_R0 = (4083.902464, -993.632, 5243.603665)  # beyond's ISS (ZARYA), 2008-09-20
ISS_T0 = "2008-09-20T12:25:40.104192"
MGS_R0 = (2789.619, -280.045, -1746.755)  # the blue book's Mars Global Surveyor
MGS_T0 = "1996-12-18T12:00:00.331"
FACTS: dict[str, tuple[list[int], list[int], str, tuple[float, float, float]]] = {
    BEYOND + "oem.kvn": ([41], [0], ISS_T0, ISS_R0),
    BEYOND + "oem.xml": ([41], [0], ISS_T0, ISS_R0),
    BEYOND + "oem_cov.kvn": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_cov.xml": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_cov_qsw.kvn": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_cov_qsw.xml": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_cov_tnw.kvn": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_cov_tnw.xml": ([31], [31], ISS_T0, ISS_R0),
    BEYOND + "oem_double.kvn": ([41, 61], [0, 0], ISS_T0, ISS_R0),
    BEYOND + "oem_double.xml": ([41, 61], [0, 0], ISS_T0, ISS_R0),
    BEYOND + "oem_interplanetary.kvn": (
        [41],
        [0],
        ISS_T0,
        (344549516.541395, 120408072.023174, 50113585.579486),
    ),
    BEYOND + "oem_interplanetary.xml": (
        [41],
        [0],
        ISS_T0,
        (344549516.541395, 120408072.023174, 50113585.579486),
    ),
    BEYOND + "oem_minimal.kvn": ([41], [0], ISS_T0, ISS_R0),
    BEYOND + "oem_minimal.xml": ([41], [0], ISS_T0, ISS_R0),
    BEYOND + "oem_unidented.xml": ([41], [0], ISS_T0, ISS_R0),
    FIG5_1: ([3, 3], [0, 0], MGS_T0, MGS_R0),
    NDM_PKG + "kvn/502x0b2c1e2_fig5_1_oem.xml": ([3, 3], [0, 0], MGS_T0, MGS_R0),
    NDM_PKG + "xml/ndmxml-1.0-oem-2.0-single.xml": ([3], [0], "2004-04-09T00:00", (1, 1, 1)),
    OREKIT + "OEMExample1.txt": ([4, 4, 5], [0, 1, 2], MGS_T0, MGS_R0),
    OREKIT + "OEMExample2.txt": ([4, 4], [0, 0], MGS_T0, MGS_R0),  # 1996-353T12:00:00.331
    OREKIT + "OEMExample3.txt": ([3, 3, 3], [0, 1, 2], MGS_T0, MGS_R0),
    OREKIT + "OEMExample3.xml": ([4], [1], MGS_T0, (2789.6, -280.0, -1746.8)),
    OREKIT + "OEMExample4.txt": ([3], [0], "2002-12-18T12:00:00.331", MGS_R0),
    OREKIT + "OEMExample5.txt": (
        [49],
        [0],
        "2017-04-11T22:31:43.121856",
        (2906.2752178573, 4076.3580691129, 4561.3636609099),
    ),
    OREKIT + "OEMExample5ITRF.txt": (
        [49],
        [0],
        "2017-04-11T22:31:43.121856",
        (-2757.3016318893897, -4173.479601381253, 4566.01849801963),
    ),
    OREKIT + "OEMExample6.txt": ([3, 3, 3], [0, 0, 0], "2002-12-18T12:00:00.331", MGS_R0),
    OREKIT + "OEMExample8.txt": ([4, 4], [0, 0], MGS_T0, MGS_R0),
    OREKIT + "OEMExample9.txt": ([4, 4], [0, 0], MGS_T0, MGS_R0),
    OREKIT + "OEMExampleWithHeaderComment.txt": ([4, 4, 5], [0, 1, 2], MGS_T0, MGS_R0),
    OREKIT + "ISS.resampled.truncated.txt": (
        [25],
        [0],
        "2022-01-17T12:00",
        (545.284043961596, 4217.45741999061, 5288.80993327732),
    ),
    OREKIT + "OEM-Issue839.txt": ([4, 4, 5], [0, 1, 2], MGS_T0, MGS_R0),
    OREKIT + "oemLowerCaseValue.oem": (
        [6],
        [0],
        "2015-08-27T00:00",
        (-1600.19495673011, -6345.33191885036, 1422.104331222477),
    ),
    OREKIT + "test.oem": (
        [2],
        [0],
        "2019-09-09T00:00",
        (3156.6549969124, -5911.7573076895715, -1096.3791113140421),
    ),
    OREKIT + "test_cov.oem": (
        [2],
        [1],
        "2019-09-09T00:00",
        (3156.6549969124, -5911.7573076895715, -1096.3791113140421),
    ),
    OREKIT + "OEM-inconsistent-time-systems.txt": ([4, 4, 5], [0, 1, 2], MGS_T0, MGS_R0),
}


def test_every_sample_that_reads_has_its_facts_listed() -> None:
    assert sorted(FACTS) == sorted(GOOD)


@pytest.mark.parametrize("path", GOOD)
def test_sample_states_covariances_and_first_state(shared_data: Path, path: str) -> None:
    states, covariances, epoch, position = FACTS[path]
    oem = _one(shared_data, path)
    assert [len(s.states) for s in oem.segments] == states
    assert [len(s.covariances) for s in oem.segments] == covariances
    first = oem.segments[0].states[0]
    assert (first.epoch, first.position_km) == (datetime.fromisoformat(epoch), position)
    assert oem.segments[0].start_time <= first.epoch


def test_malformed_samples_say_what_is_wrong(shared_data: Path) -> None:
    def reason(name: str) -> str:
        return _read(shared_data, OREKIT + name).rejected[0].reason

    assert "unknown keyword WRONG_KEYWORD in the metadata" in reason("OEM-wrong-keyword.txt")
    assert "within the ephemeris data" in reason("OEM-keyword-within-ephemeris.txt")
    assert "within the covariance data" in reason("OEM-keyword-within-covariance.txt")
    number = reason("OEM-ephemeris-number-format-error.txt")
    assert "Z is not a number" in number and "received: this-is-not-a-number" in number
    assert "CY_Y is not a number" in reason("OEM-covariance-number-format-error.txt")
    few = reason("OEM-too-few-covariance-columns.txt")
    assert "covariance row 5 has 4 numbers where it needs 5" in few
    assert "row 1 has 6 numbers where it needs 1" in reason("OEM-too-many-covariance-columns.txt")
    assert "a 7th covariance row" in reason("OEM-too-large-covariance-dimension.txt")
    small = reason("OEM-too-small-covariance-dimension.txt")
    assert "matrix of line 83 is complete (4 of 6 rows)" in small


# ---------------------------------------------------------------------------------------
# Values of the samples
# ---------------------------------------------------------------------------------------


def test_orekit_example1_values(shared_data: Path) -> None:
    oem = _one(shared_data, OREKIT + "OEMExample1.txt")
    assert (oem.version, oem.classification, oem.message_id) == ("3.0", "public, test-data", None)
    assert (oem.creation_date, oem.originator) == (datetime(1996, 11, 4, 17, 22, 31), "NASA/JPL")
    assert [len(s.states) for s in oem.segments] == [4, 4, 5]
    assert [len(s.covariances) for s in oem.segments] == [0, 1, 2]
    first = oem.segments[0]
    assert (first.object_name, first.object_id) == ("MARS GLOBAL SURVEYOR", "1996-062A")
    assert (first.center_name, first.ref_frame, first.time_system) == (
        "MARS BARYCENTER",
        "J2000",
        "UTC",
    )
    assert first.start_time == datetime(1996, 12, 18, 12, 0, 0, 331000)
    assert first.useable_start_time == datetime(1996, 12, 18, 12, 10, 0, 331000)
    assert first.useable_stop_time == datetime(1996, 12, 28, 21, 23, 0, 331000)
    assert first.stop_time == datetime(1996, 12, 28, 21, 28, 0, 331000)
    assert (first.interpolation, first.interpolation_degree) == ("HERMITE", 7)
    assert first.data_comments == (
        "This file was produced by M.R. Somebody, MSOO NAV/JPL, 1996NOV 04. It is",
        "to be used for DSN scheduling purposes only.",
    )
    assert first.states[0] == OemState(
        datetime(1996, 12, 18, 12, 0, 0, 331000),
        (2789.619, -280.045, -1746.755),
        (4.73372, -2.49586, -1.04195),
    )
    assert oem.segments[1].states[1].acceleration_km_s2 is None
    assert oem.segments[1].data_comments == (
        "This block begins after trajectory correction maneuver TCM-3.",
    )
    third = oem.segments[2]
    assert third.metadata_comments == ("comment",)
    assert third.states[-1] == third.states[-2]  # the file repeats its last line
    rtn, eme = third.covariances
    assert (rtn.epoch, rtn.ref_frame) == (datetime(1996, 12, 28, 21, 29, 7, 267000), "RTN")
    assert rtn.lower[1] == (4.6189273e-04, 6.7824216e-04)
    assert rtn.lower[5][5] == 6.2244443e-10
    assert (eme.epoch, eme.ref_frame) == (datetime(1996, 12, 29, 21, 0, 0), "EME2000")
    assert eme.lower[0] == (3.4424505e-04,)
    assert eme.lower[3][0] == -3.2382549e-07


def test_orekit_example3_kvn_and_xml_values(shared_data: Path) -> None:
    kvn = _one(shared_data, OREKIT + "OEMExample3.txt")
    assert (kvn.version, kvn.message_id) == ("3.0", "OEM 201113719185")
    assert kvn.comments == ("Copy of OEMExample.txt with changes so that interpolation will work.",)
    assert [len(s.states) for s in kvn.segments] == [3, 3, 3]
    assert [len(s.covariances) for s in kvn.segments] == [0, 1, 2]
    assert kvn.segments[1].states[0].acceleration_km_s2 == (0.0, 0.0, 0.0)
    assert kvn.segments[1].states[1].acceleration_km_s2 is None  # 9 then 6 numbers
    assert kvn.segments[2].states[0].position_km == (-2432.166, -63.042, 1742.754)
    assert kvn.segments[0].interpolation_degree == 2

    xml = _one(shared_data, OREKIT + "OEMExample3.xml")
    assert (xml.version, xml.message_id) == ("3.0", "OEM 201113719185")
    assert xml.comments == ("OEM WITH OPTIONAL ACCELERATIONS",)
    (segment,) = xml.segments
    assert (segment.object_id, segment.ref_frame) == ("2000-028A", "J2000")
    assert segment.data_comments[0] == (
        "Produced by M.R. Sombedody, MSOO NAV/JPL, 1996 OCT 11.  It is"
    )
    assert len(segment.states) == 4
    assert segment.states[0] == OemState(
        datetime(1996, 12, 18, 12, 0, 0, 331000),
        (2789.6, -280.0, -1746.8),
        (4.73, -2.50, -1.04),
        (0.008, 0.001, -0.159),
    )
    assert segment.states[3].acceleration_km_s2 == (-0.003, 0.0, 0.0)
    (covariance,) = segment.covariances
    assert (covariance.epoch, covariance.ref_frame) == (
        datetime(1996, 12, 28, 22, 28, 0, 331000),
        "ITRF1997",
    )
    assert covariance.lower[:3] == ((0.316,), (0.722, 0.518), (0.202, 0.715, 0.002))
    assert covariance.lower[5] == (0.245, 0.965, 0.950, 0.435, 0.621, 0.991)
    matrix = covariance.matrix()
    assert matrix[1, 0] == matrix[0, 1] == 0.722
    assert np.array_equal(matrix, matrix.T)


def test_day_of_year_epochs_mission_time_and_frame_epoch(shared_data: Path) -> None:
    oem = _one(shared_data, OREKIT + "OEMExample2.txt")
    assert oem.comments == ("comment",)
    first, second = oem.segments
    assert first.metadata_comments == ("comment 1", "comment 2")
    assert (first.ref_frame, first.time_system, second.ref_frame) == ("TOD", "MRT", "EME2000")
    # 1996-353 is 18 December 1996; 1996-364 is 29 December
    assert first.ref_frame_epoch == first.start_time == datetime(1996, 12, 18, 12, 0, 0, 331000)
    assert second.states[-1].epoch == datetime(1996, 12, 29, 1, 28, 2, 267000)
    assert second.start_time == datetime(1996, 12, 27, 21, 29, 7, 267000)


def test_iss_file_with_empty_comments(shared_data: Path) -> None:
    (segment,) = _one(shared_data, OREKIT + "ISS.resampled.truncated.txt").segments
    assert segment.object_id == "1998-067-A"
    assert len(segment.data_comments) == 23
    assert segment.data_comments[13] == segment.data_comments[20] == ""
    assert len(segment.states) == 25
    assert segment.states[0].position_km == (545.284043961596, 4217.45741999061, 5288.80993327732)


def test_lower_case_values_and_nanosecond_epochs(shared_data: Path) -> None:
    oem = _one(shared_data, OREKIT + "oemLowerCaseValue.oem")
    assert oem.version == "1.0"
    (segment,) = oem.segments
    assert (segment.center_name, segment.interpolation, segment.interpolation_degree) == (
        "Earth",
        "Lagrange",
        5,
    )
    assert segment.start_time == datetime(2015, 8, 27)  # "...T00:00:00.000000000"
    assert segment.states[1].position_km == (
        -1145.494725098546,
        -6436.464406598495,
        1452.643865624378,
    )
    twelve = _one(shared_data, OREKIT + "OEMExample5.txt").segments[0]
    assert twelve.start_time == datetime(2017, 4, 11, 22, 31, 43, 121856)  # 12 digits


def test_interpolation_degree_is_optional(shared_data: Path) -> None:
    first, second = _one(shared_data, OREKIT + "OEMExample8.txt").segments
    assert (first.interpolation, first.interpolation_degree) == ("HERMITE", None)
    assert second.interpolation_degree == 7
    minimal = _one(shared_data, BEYOND + "oem_minimal.kvn").segments[0]
    assert (minimal.interpolation, minimal.useable_start_time) == (None, None)


def test_covariances_with_and_without_cov_ref_frame(shared_data: Path) -> None:
    plain = _one(shared_data, BEYOND + "oem_cov.kvn").segments[0]
    assert len(plain.states) == len(plain.covariances) == 31
    assert all(c.ref_frame is None for c in plain.covariances)  # REF_FRAME (TEME) applies
    assert plain.covariances[0].lower[2] == (
        -3.070007847730e-04,
        -4.221234189514e-04,
        3.231931992380e-04,
    )
    qsw = _one(shared_data, BEYOND + "oem_cov_qsw.kvn").segments[0]
    assert {c.ref_frame for c in qsw.covariances} == {"RSW"}
    assert qsw.covariances[0].lower[5][4] == -1.283024034331e-10
    tnw = _one(shared_data, BEYOND + "oem_cov_tnw.xml").segments[0]
    assert {c.ref_frame for c in tnw.covariances} == {"TNW"}
    cov = _one(shared_data, OREKIT + "test_cov.oem").segments[0]
    assert cov.ref_frame_epoch == datetime(2019, 9, 9)
    assert cov.covariances[0].epoch == datetime(1996, 12, 28, 21, 29, 7, 267000)
    assert cov.covariances[0].ref_frame == "TOD"


def test_two_segments_and_interplanetary(shared_data: Path) -> None:
    first, second = _one(shared_data, BEYOND + "oem_double.kvn").segments
    assert (len(first.states), len(second.states)) == (41, 61)
    assert second.stop_time == datetime(2008, 9, 20, 17, 25, 40, 104192)
    mars = _one(shared_data, BEYOND + "oem_interplanetary.xml").segments[0]
    assert (mars.center_name, mars.ref_frame) == ("MARS BARYCENTER", "EME2000")
    assert mars.states[0].position_km == (344549516.541395, 120408072.023174, 50113585.579486)


def test_kvn_and_xml_renderings_of_the_same_message_agree(shared_data: Path) -> None:
    fig = _one(shared_data, FIG5_1)
    assert _one(shared_data, NDM_PKG + "kvn/502x0b2c1e2_fig5_1_oem.xml") == fig
    assert [len(s.states) for s in fig.segments] == [3, 3]
    # beyond's pairs were written a few seconds apart: all else is the same
    for name in BEYOND_PAIRS:
        kvn = _one(shared_data, BEYOND + name + ".kvn")
        xml = _one(shared_data, BEYOND + name + ".xml")
        assert kvn.creation_date != xml.creation_date
        assert replace(kvn, creation_date=xml.creation_date) == xml, name
    unindented = _one(shared_data, BEYOND + "oem_unidented.xml")
    assert unindented == _one(shared_data, BEYOND + "oem.xml")


def test_inconsistent_time_systems(shared_data: Path) -> None:
    # read, per segment: see the comment at its line in SAMPLES
    oem = _one(shared_data, OREKIT + "OEM-inconsistent-time-systems.txt")
    assert [s.time_system for s in oem.segments] == ["UTC", "TCG", "UTC"]
    assert oem.segments[1].stop_time == datetime(1996, 12, 30, 1, 28, 2, 267000)  # "KW=value"
    assert _one(shared_data, OREKIT + "OEM-Issue839.txt").segments[2].time_system == "TAI"


def test_orekit_example7_halves_join_around_a_ref_frame(shared_data: Path) -> None:
    pre = (shared_data / OREKIT / "OEMExample7.txt.pre").read_text()
    post = (shared_data / OREKIT / "OEMExample7.txt.post").read_text()
    for frame in ("ITRF-93", "ITRF-97", "ITRF2000", "ITRF2014"):
        (oem,) = load_oem(pre + f"REF_FRAME = {frame}" + post).records
        (segment,) = oem.segments
        assert (segment.object_name, segment.ref_frame) == ("TACO", frame)
        assert segment.metadata_comments == ("Orekit frame: CIO/2010-based ITRF simple EOP",)
        assert [s.epoch for s in segment.states] == [datetime(2012, 7, 6), datetime(2012, 7, 8)]


def test_ndm_keeps_the_oem_and_reports_the_opms(shared_data: Path) -> None:
    result = _read(shared_data, ODM_NDM)
    assert [(r.error.line, r.error.field) for r in result.rejected] == [(9, "opm"), (64, "opm")]
    assert all("not an OEM" in r.reason for r in result.rejected)
    (oem,) = result.records
    assert result.accepted[0].line == 113
    assert oem.comments == ("This instantiation is compatible with NDM/XML R2.0",)
    (segment,) = oem.segments
    assert (segment.center_name, segment.ref_frame) == ("Saturn", "IAU-Saturn")
    assert segment.start_time == datetime(2004, 4, 9)  # 2004-100
    assert [s.position_km for s in segment.states] == [(1.0, 1.0, 1.0)] * 3
    single = _one(shared_data, NDM_PKG + "xml/ndmxml-1.0-oem-2.0-single.xml")
    assert single.segments[0].states == segment.states


# ---------------------------------------------------------------------------------------
# Round trips and the schema
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema(shared_data: Path) -> Any:
    etree = pytest.importorskip("lxml.etree")
    return etree.XMLSchema(etree.parse(str(shared_data / XSD)))


def _valid(schema: Any, xml: str) -> None:
    from lxml import etree

    assert schema.validate(etree.fromstring(xml.encode())), schema.error_log


@pytest.mark.parametrize("path", GOOD_AND_NDM)
def test_sample_round_trips_through_kvn_and_valid_xml(
    shared_data: Path, schema: Any, path: str
) -> None:
    records = _read(shared_data, path).records
    kvn = dump_oem_kvn(records)
    assert load_oem_kvn(kvn).records == records
    xml = dump_oem_xml(records)
    assert load_oem_xml(xml).records == records
    assert load_oem(xml.encode()).records == records
    # and once more, so the writers are stable
    assert dump_oem_kvn(load_oem_kvn(kvn).records) == kvn
    assert dump_oem_xml(load_oem_xml(xml).records) == xml
    # NDM/XML 1.0 fixes version="2.0" and has no 3.0 header keywords: the writer's XML of
    # a 2.0 message is valid as it is, that of a 1.0 or 3.0 one once made a 2.0 message.
    if all(r.version == "2.0" for r in records):
        _valid(schema, xml)
    as_2 = [replace(r, version="2.0", classification=None, message_id=None) for r in records]
    _valid(schema, dump_oem_xml(as_2))


def test_several_records_make_an_ndm(shared_data: Path, schema: Any) -> None:
    one = _one(shared_data, FIG5_1)
    two = _one(shared_data, BEYOND + "oem_cov_qsw.kvn")
    xml = dump_oem_xml([one, two])
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<ndm ')
    _valid(schema, xml)
    assert load_oem(xml).records == [one, two]
    kvn = dump_oem_kvn([one, two])
    result = load_oem(kvn)
    assert result.records == [one, two]
    assert [p.line for p in result.accepted] == [
        1,
        kvn[: kvn.index("CCSDS_OEM_VERS", 1)].count("\n") + 1,
    ]


def test_writers_write_reals_and_epochs_that_read_back_exactly(schema: Any) -> None:
    odd = [0.1 + 0.2, -1e-300, 6.02214076e23, 5e-324, -0.0, 1 / 3]
    state = OemState(
        datetime(2024, 2, 29, 23, 59, 59, 999999),
        (odd[0], odd[1], odd[2]),
        (odd[3], odd[4], odd[5]),
        (1e-9, -2.5e-12, 3.0),
    )
    lower = tuple((*odd[:i], float(i)) for i in range(6))
    segment = OemSegment(
        "OBJ",
        "2024-001A",
        "EARTH",
        "GCRF",
        "TT",
        state.epoch,
        state.epoch,
        (state,),
        covariances=(OemCovariance(state.epoch, lower, "RTN", ("a", "")),),
        data_comments=("", "b"),
    )
    oem = Oem("2.0", datetime(2024, 3, 1), "ACCORD", (segment,), comments=("hi",))
    for text in (dump_oem_kvn([oem]), dump_oem_xml([oem])):
        (back,) = load_oem(text).records
        assert back == oem
        (b_state,) = back.segments[0].states
        assert math.copysign(1.0, b_state.velocity_km_s[1]) == -1.0  # -0.0 stays -0.0
    _valid(schema, dump_oem_xml([oem]))


def test_records_the_ephemeris_service_builds_read_back(shared_data: Path) -> None:
    segments = _one(shared_data, FIG5_1).segments
    oem = Oem("3.0", datetime(2024, 1, 1), "OPERATOR", segments, "MSG-1")  # positional
    assert load_oem_kvn(dump_oem_kvn([oem])).records == [oem]
    assert load_oem_xml(dump_oem_xml([oem])).records == [oem]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"version": "4.0"}, "CCSDS_OEM_VERS"),
        ({"classification": "secret"}, "CLASSIFICATION"),  # a 3.0 keyword in a 2.0 message
        ({"message_id": "M1"}, "MESSAGE_ID"),
        ({"originator": ""}, "ORIGINATOR"),
        ({"originator": "two\nlines"}, None),
        ({"originator": " padded"}, "ORIGINATOR"),
        ({"segments": ()}, "META_START"),
        ({"comments": ("one\ntwo",)}, None),
    ],
)
def test_writers_refuse_what_would_not_read_back(
    shared_data: Path, change: dict[str, Any], field: str | None
) -> None:
    oem = replace(_one(shared_data, FIG5_1), **change)
    for dump in (dump_oem_kvn, dump_oem_xml):
        with pytest.raises(FormatError) as caught:
            dump([oem])
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"states": ()}, "EPOCH"),
        ({"time_system": "LOCAL"}, "TIME_SYSTEM"),
        ({"interpolation_degree": 0}, "INTERPOLATION_DEGREE"),
        ({"object_name": ""}, "OBJECT_NAME"),
        ({"covariances": (OemCovariance(datetime(2000, 1, 1), ((1.0,),)),)}, "EPOCH"),
    ],
)
def test_writers_refuse_bad_segments(shared_data: Path, change: dict[str, Any], field: str) -> None:
    oem = _one(shared_data, FIG5_1)
    bad = replace(oem, segments=(replace(oem.segments[0], **change),))
    for dump in (dump_oem_kvn, dump_oem_xml):
        with pytest.raises(FormatError) as caught:
            dump([bad])
        assert caught.value.field == field
    nan = OemState(datetime(2000, 1, 1), (math.nan, 0.0, 0.0), (0.0, 0.0, 0.0))
    with pytest.raises(FormatError):
        dump_oem_kvn([replace(oem, segments=(replace(oem.segments[0], states=(nan,)),))])


def test_records_are_plain_frozen_values(shared_data: Path) -> None:
    oem = _one(shared_data, FIG5_1)
    with pytest.raises(FrozenInstanceError):
        oem.segments[0].states[0].epoch = datetime(2000, 1, 1)  # type: ignore[misc]
    assert hash(oem.segments[0].states[0]) == hash(_one(shared_data, FIG5_1).segments[0].states[0])


# ---------------------------------------------------------------------------------------
# KVN specifics
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fig5_1(shared_data: Path) -> str:
    text = (shared_data / FIG5_1).read_text(encoding="utf-8")
    return text + "\n"  # the sample has no newline at its end: give it one to append to


def _set(text: str, keyword: str, new: str | None, nth: int = 1) -> str:
    """Given KVN text, replace the nth line that starts with keyword (None: remove it)."""
    lines = text.splitlines()
    found = [i for i, s in enumerate(lines) if s.split("=")[0].strip() == keyword]
    i = found[nth - 1]
    lines[i : i + 1] = [] if new is None else new.split("\n")
    return "\n".join(lines) + "\n"


def _error(text: str | bytes) -> FormatError:
    result = load_oem(text)
    assert not result.accepted, "expected a rejection"
    (rejected,) = result.rejected
    return rejected.error


DEGREE = "INTERPOLATION_DEGREE"
DATA_LINE = "1996-12-18T12:00:00.331 2789.619 -280.045 -1746.755 4.73372 -2.49586 -1.04195"


# 502x0b2c1e2_fig5_1_oem.kvn: 1 CCSDS_OEM_VERS, 2 CREATION_DATE, 3 ORIGINATOR, 5 META_START,
# 6 OBJECT_NAME, 7 OBJECT_ID, 10 TIME_SYSTEM, 11 START_TIME, 16 INTERPOLATION_DEGREE,
# 17 META_STOP, 18 COMMENT, 21-23 data lines, 25 META_START (2), 37 META_STOP (2).
@pytest.mark.parametrize(
    ("keyword", "new", "line", "field", "words"),
    [
        ("CCSDS_OEM_VERS", "CCSDS_OEM_VERS = 4.0", 1, "CCSDS_OEM_VERS", "unsupported"),
        ("CREATION_DATE", "CREATION_DATE = 1996-11-31T17:22:31", 2, "CREATION_DATE", "epoch"),
        ("ORIGINATOR", None, 4, "ORIGINATOR", "lacks mandatory"),  # at META_START
        ("ORIGINATOR", "ORIGINATOR =", 3, "ORIGINATOR", "no value"),
        ("ORIGINATOR", "ORIGINATOR = JPL\nCLASSIFICATION = x", 4, "CLASSIFICATION", "3.0"),
        ("ORIGINATOR", "ORIGINATOR = JPL\nMESSAGE_ID = 7", 4, "MESSAGE_ID", "3.0"),
        ("ORIGINATOR", "ORIGINATOR = JPL\nORIGINATOR = ESA", 4, "ORIGINATOR", "twice"),
        ("ORIGINATOR", "ORIGINATOR = JPL\nOBJECT_NAME = X", 4, "OBJECT_NAME", "header"),
        ("OBJECT_ID", None, 16, "OBJECT_ID", "lacks mandatory"),  # at META_STOP
        ("TIME_SYSTEM", "TIME_SYSTEM = LOCAL", 10, "TIME_SYSTEM", "unknown TIME_SYSTEM"),
        ("START_TIME", "START_TIME = 1996-353", 11, "START_TIME", "epoch"),
        (DEGREE, f"{DEGREE} = 0", 16, DEGREE, "positive"),
        (DEGREE, f"{DEGREE} = 7 [n/a]", 16, DEGREE, "positive"),  # no units in an OEM KVN
        ("OBJECT_ID", "OBJECT_ID = 1996-062A\nCOMMENT late", 8, "COMMENT", "COMMENT inside"),
        ("OBJECT_ID", "OBJECT_ID = 1996-062A\nCOVARIANCE_START", 8, "COVARIANCE_START", "within"),
        ("OBJECT_ID", "OBJECT_ID = 1996-062A\n" + DATA_LINE, 8, None, "a line within the metadata"),
    ],
)
def test_kvn_errors_name_line_keyword_and_expectation(
    fig5_1: str, keyword: str, new: str | None, line: int, field: str | None, words: str
) -> None:
    error = _error(_set(fig5_1, keyword, new))
    assert (error.line, error.field) == (line, field), error.describe()
    assert words in error.message, error.describe()
    assert error.expected


def _data(text: str, line: int, new: str) -> str:
    lines = text.splitlines()
    lines[line - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("new", "field", "words"),
    [
        (DATA_LINE.rsplit(" ", 1)[0], "Z_DOT", "lacks Z_DOT"),  # 5 numbers
        (DATA_LINE + " 0.1 0.2", "Z_DDOT", "lacks Z_DDOT"),  # 8 numbers
        (DATA_LINE + " 0.1", "Y_DDOT", "lacks Y_DDOT"),  # 7 numbers
        (DATA_LINE + " 0.1 0.2 0.3 0.4", "Z_DDOT", "10 numbers"),
        (DATA_LINE.replace("2789.619", "2789,619"), "X", "X is not a number"),
        (DATA_LINE.replace("2789.619", "nan"), "X", "X is not a number"),
        (DATA_LINE.replace("1996-12-18T", "18/12/1996T"), "EPOCH", "EPOCH is not a CCSDS epoch"),
        ("COMMENT between the data lines", "COMMENT", "COMMENT inside the ephemeris data"),
        ("OBJECT_NAME = SOMETHING", "OBJECT_NAME", "within the ephemeris data"),
        ("META_STOP", "META_STOP", "within the ephemeris data"),
    ],
)
def test_kvn_data_line_errors(fig5_1: str, new: str, field: str, words: str) -> None:
    error = _error(_data(fig5_1, 22, new))
    assert (error.line, error.field) == (22, field), error.describe()
    assert words in error.message
    assert error.expected


COVARIANCE = """COVARIANCE_START
COMMENT first
EPOCH = 1996-12-28T21:29:07.267
COV_REF_FRAME = EME2000
1.0
2.0 3.0
4.0 5.0 6.0
7.0 8.0 9.0 10.0
11.0 12.0 13.0 14.0 15.0
16.0 17.0 18.0 19.0 20.0 21.0
COMMENT second
EPOCH = 1996-12-29T21:00:00
1
2 3
4 5 6
7 8 9 10
11 12 13 14 15
16 17 18 19 20 21
COVARIANCE_STOP
"""


def test_kvn_covariance_section(fig5_1: str) -> None:
    (oem,) = load_oem(fig5_1 + COVARIANCE).records
    first, second = oem.segments[1].covariances
    assert (first.comments, first.ref_frame, second.comments, second.ref_frame) == (
        ("first",),
        "EME2000",
        ("second",),
        None,
    )
    assert first.lower == second.lower
    assert first.matrix()[5, 0] == first.matrix()[0, 5] == 16.0
    assert np.array_equal(np.diag(first.matrix()), [1.0, 3.0, 6.0, 10.0, 15.0, 21.0])


# fig5_1 + COVARIANCE: 44 COVARIANCE_START,
# 45 COMMENT, 46 EPOCH, 47 COV_REF_FRAME, 48-53 rows, 54 COMMENT, 55 EPOCH, 56-61 rows,
# 62 COVARIANCE_STOP.
@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        (
            "COV_REF_FRAME = EME2000\n1.0\n",
            "1.0\nCOV_REF_FRAME = EME2000\n",
            48,
            "COV_REF_FRAME",
            "within the covariance data",
        ),
        ("2.0 3.0\n", "2.0 3.0\nCOMMENT inside\n", 50, "COMMENT", "COMMENT inside"),
        ("COVARIANCE_STOP\n", "", 61, "COVARIANCE_STOP", "no COVARIANCE_STOP"),
        (
            "16 17 18 19 20 21\nCOVARIANCE_STOP",
            "COVARIANCE_STOP",
            61,
            "COVARIANCE_STOP",
            "5 of 6 rows",
        ),
        (
            "COMMENT second\n",
            "COMMENT second\nMETA_START\n",
            55,
            "META_START",
            "within the covariance data",
        ),
        (
            "COVARIANCE_STOP\n",
            "COVARIANCE_STOP\n" + DATA_LINE + "\n",
            63,
            None,
            "a line within the segment",
        ),
        (
            "EPOCH = 1996-12-28T21:29:07.267\nCOV_REF_FRAME = EME2000\n",
            "",
            46,
            "EPOCH",
            "covariance data where",
        ),
        ("EPOCH = 1996-12-29T21:00:00\n", "EPOCH = 1996-12-29\n", 55, "EPOCH", "epoch"),
        ("4.0 5.0 6.0", "4.0 5.0 6.0e", 50, "CZ_Z", "CZ_Z is not a number"),
    ],
)
def test_kvn_covariance_errors(
    fig5_1: str, old: str, new: str, line: int, field: str | None, words: str
) -> None:
    assert old in COVARIANCE
    error = _error(fig5_1 + COVARIANCE.replace(old, new, 1))
    assert (error.line, error.field) == (line, field), error.describe()
    assert words in error.message, error.describe()


def test_kvn_structure_errors(fig5_1: str) -> None:
    header = fig5_1[: fig5_1.index("META_START")]
    error = _error(header)
    assert (error.line, error.field) == (3, "META_START") and "without segments" in error.message
    first = fig5_1[: fig5_1.index("1996-12-18T12:00:00.331 2789")]
    error = _error(first)
    assert error.field == "EPOCH" and "without ephemeris data lines" in error.message
    empty_cov = _error(fig5_1 + "COVARIANCE_START\nCOVARIANCE_STOP\n")
    assert (empty_cov.line, empty_cov.field) == (45, "COVARIANCE_STOP")


def test_kvn_layout_is_free_where_the_standard_lets_it_be(fig5_1: str) -> None:
    (oem,) = load_oem(fig5_1).records
    spaced = (
        fig5_1.replace(" = ", "=").replace("\n", "\r\n").replace("META_START", "  META_START  ")
    )
    spaced = spaced.replace(DATA_LINE, "  " + DATA_LINE.replace(" ", " \t ") + "  ")
    assert load_oem(spaced).records == [oem]
    assert load_oem("\ufeff" + fig5_1).records == [oem]
    assert load_oem(b"\xef\xbb\xbf" + fig5_1.encode()).records == [oem]
    assert load_oem(fig5_1 + "\n\n\n").records == [oem]
    assert load_oem("").records == [] and load_oem("").rejected == []


def test_kvn_messages_in_one_input_and_one_bad(fig5_1: str) -> None:
    bad = _set(fig5_1, "OBJECT_ID", "OBJECT_ID = 1996-062A\nWRONG = 1")
    n = fig5_1.count("\n")
    result = load_oem(fig5_1 + bad + fig5_1)
    assert len(result.records) == 2
    assert [p.line for p in result.accepted] == [1, 2 * n + 2]
    (rejected,) = result.rejected
    assert (rejected.line, rejected.error.line, rejected.error.field) == (n + 1, n + 8, "WRONG")
    assert rejected.raw == bad


def test_kvn_text_before_the_first_message_is_refused(fig5_1: str) -> None:
    result = load_oem("hello\n" + fig5_1)
    assert len(result.records) == 1
    (rejected,) = result.rejected
    assert (rejected.error.line, rejected.error.field) == (1, "CCSDS_OEM_VERS")
    assert rejected.raw == "hello\n"
    not_utf8 = _error(fig5_1.encode().replace(b"NASA/JPL", b"NASA\xff"))
    assert (not_utf8.line, "cannot decode") == (1, not_utf8.message[:13])


# ---------------------------------------------------------------------------------------
# XML specifics
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example3_xml(shared_data: Path) -> str:
    return (shared_data / OREKIT / "OEMExample3.xml").read_text(encoding="utf-8")


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# OEMExample3.xml: 2 <oem, 6 <header>, 9 ORIGINATOR, 10 MESSAGE_ID, 14 <metadata>,
# 16 OBJECT_ID, 19 TIME_SYSTEM, 25 INTERPOLATION_DEGREE, 26 </metadata>, 30 <stateVector>,
# 32 X, 38 X_DDOT, 39 Y_DDOT, 78 <covarianceMatrix>, 80 COV_REF_FRAME, 82 CY_X.
@pytest.mark.parametrize(
    ("old", "new", "line", "field", "words"),
    [
        ('version="3.0"', 'version="4.0"', 2, "CCSDS_OEM_VERS", "unsupported"),
        ('id="CCSDS_OEM_VERS" ', "", 2, "CCSDS_OEM_VERS", "id and version"),
        ('version="3.0"', 'version="2.0"', 10, "MESSAGE_ID", "3.0"),
        ("<ORIGINATOR>NASA/JPL</ORIGINATOR>", "", 10, "ORIGINATOR", "lacks <ORIGINATOR>"),
        (
            "<INTERPOLATION_DEGREE>7</INTERPOLATION_DEGREE>",
            "<INTERPOLATION_DEGREE>7</INTERPOLATION_DEGREE><WRONG_KEYWORD>1</WRONG_KEYWORD>",
            25,
            "WRONG_KEYWORD",
            "unexpected <WRONG_KEYWORD> in <metadata>",
        ),
        ("<OBJECT_ID>2000-028A</OBJECT_ID>", "", 17, "OBJECT_ID", "lacks <OBJECT_ID>"),
        (
            "<TIME_SYSTEM>UTC</TIME_SYSTEM>",
            "<TIME_SYSTEM>LOCAL</TIME_SYSTEM>",
            19,
            "TIME_SYSTEM",
            "unknown TIME_SYSTEM",
        ),
        ("<TIME_SYSTEM>UTC", '<TIME_SYSTEM units="s">UTC', 19, "TIME_SYSTEM", "attribute units"),
        ("<X>2789.6</X>", '<X units="m">2789.6</X>', 32, "X", "wrong unit for X"),
        ("<X>2789.6</X>", "<X>2789.6.1</X>", 32, "X", "X is not a number"),
        ("<X>2789.6</X>", "<X><value>2789.6</value></X>", 32, "value", "unexpected <value>"),
        ("<Y_DDOT>0.001</Y_DDOT>", "", 40, "Y_DDOT", "lacks Y_DDOT"),  # where Z_DDOT stands
        ("<X>2789.6</X>", "", 33, "X", "lacks <X>"),  # where <Y> stands
        ("<EPOCH>1996-12-28T22:28:00.331</EPOCH>", "", 80, "EPOCH", "lacks <EPOCH>"),
        ("<CY_X>0.722</CY_X>", "<CY_X>0.722</CY_X><CY_X>0.7</CY_X>", 82, "CY_Y", "lacks <CY_Y>"),
        ("<CY_X>0.722</CY_X>", '<CY_X units="km**2/s">0.722</CY_X>', 82, "CY_X", "wrong unit"),
        ("<body>", "<body>hello", 12, "body", "unexpected text"),
    ],
)
def test_xml_errors_name_line_and_element(
    example3_xml: str, old: str, new: str, line: int, field: str, words: str
) -> None:
    error = _error(_edit(example3_xml, old, new))
    assert (error.line, error.field) == (line, field), error.describe()
    assert words in error.message, error.describe()
    assert error.expected or "unit" in words or "attribute" in words or "number" in words


def test_xml_namespaces_doctype_encodings_and_documents_cut_short(example3_xml: str) -> None:
    (oem,) = load_oem(example3_xml).records
    urn = "urn:ccsds:recommendation:navigation:schema:ndmxml"
    qualified = example3_xml.replace("<oem ", f'<ndm:oem xmlns:ndm="{urn}" ')
    qualified = qualified.replace("</oem>", "</ndm:oem>")
    assert load_oem(qualified).records == [oem]
    undeclared = _error(qualified.replace(f' xmlns:ndm="{urn}"', ""))
    assert "not well-formed" in undeclared.message and undeclared.line == 2
    doctype = _error(example3_xml.replace("<oem ", "<!DOCTYPE oem>\n<oem ", 1))
    assert "DOCTYPE" in doctype.message
    opm = _error(example3_xml.replace("<oem ", "<opm ").replace("</oem>", "</opm>"))
    assert (opm.line, opm.field) == (2, "opm")
    utf16 = example3_xml.replace("UTF-8", "UTF-16").encode("utf-16")
    assert load_oem(utf16).records == [oem]
    two = dump_oem_xml([oem, oem])
    cut = load_oem(two[: two.rindex("<covarianceMatrix>")])
    assert cut.records == [oem]
    (rest,) = cut.rejected
    assert "not well-formed" in rest.reason and rest.raw.startswith("<oem ")
    assert _error(example3_xml[:-200]).line is not None  # a lone <oem> cut short


def test_xml_ndm_comments_and_messages(example3_xml: str) -> None:
    (oem,) = load_oem(example3_xml).records
    inner = example3_xml.split("\n", 1)[1]
    ndm = f"<ndm><COMMENT>combined</COMMENT>{inner}<COMMENT>late</COMMENT>{inner}</ndm>"
    result = load_oem(ndm)
    expected = replace(oem, comments=("combined", *oem.comments))
    assert result.records == [expected, expected]
    (late,) = result.rejected
    assert late.error.field == "COMMENT" and "before its messages" in late.reason
    assert load_oem_xml("  ").records == []


def test_load_oem_tells_kvn_from_xml(shared_data: Path, fig5_1: str) -> None:
    kvn = load_oem(fig5_1)
    xml = load_oem((shared_data / NDM_PKG / "kvn/502x0b2c1e2_fig5_1_oem.xml").read_text())
    assert kvn.records == xml.records
    undeclared = dump_oem_xml(kvn.records).split("\n", 1)[1]  # no <?xml ...?>: blanks may lead
    assert load_oem("  \n" + undeclared).records == kvn.records
    assert load_oem(b"\n\t" + undeclared.encode()).records == kvn.records
    assert load_oem_kvn(dump_oem_xml(kvn.records)).rejected[0].error.field == "CCSDS_OEM_VERS"
