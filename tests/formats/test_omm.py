"""Tests of accord.formats.omm and accord.formats.detect against outside authorities.

Authorities: the CCSDS OMM samples of Orekit (CS-SI/Orekit, Apache-2.0), of the python
packages beyond (MIT) and ccsds-ndm (GPL-3.0; examples from the CCSDS blue books), the
official NDM/XML schema, real CelesTrak catalogues (CSV, JSON), a Space-Track gp_history
JSON, and the gpconf conformance corpus (Apache-2.0), whose manifest, vectors and expected
values drive the corpus tests.  All are read in place from ../shared/data; none is copied.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from accord.errors import FormatError
from accord.formats.detect import detect_format, load
from accord.formats.omm import (
    dump_omm_csv,
    dump_omm_json,
    dump_omm_kvn,
    dump_omm_xml,
    load_omm_csv,
    load_omm_json,
    load_omm_kvn,
    load_omm_xml,
    parse_epoch,
)
from accord.formats.records import ElementSet, ParseResult, raise_first

OREKIT = Path("ccsds/orekit/odm/omm")
BEYOND = Path("ccsds/beyond_pkg")
NDM_PKG = Path("ccsds/ccsds_ndm_pkg")
CORPUS = Path("tle_catalog/gpconf_alpha5_corpus")
ACTIVE_CSV = "tle_catalog/celestrak_active_gp_omm_2026-07-10.csv.gz"
DEBRIS_JSON = "tle_catalog/celestrak_debris_groups_gp_omm_2026-08-11.json.gz"
ISS_HISTORY = "tle_history/spacetrack_object_histories/25544_ISS_gp_history_2025-09_to_2025-12.json"
XSD = "ccsds/beyond_pkg/xsd/ndmxml-1.0-master.xsd"

Loader = Callable[[str], ParseResult[ElementSet]]
LOADERS: dict[str, Loader] = {
    ".txt": load_omm_kvn,
    ".kvn": load_omm_kvn,
    ".xml": load_omm_xml,
    ".json": load_omm_json,
    ".csv": load_omm_csv,
}
WRITERS: dict[str, tuple[Callable[[list[ElementSet]], str], Loader]] = {
    "kvn": (dump_omm_kvn, load_omm_kvn),
    "xml": (dump_omm_xml, load_omm_xml),
    "json": (dump_omm_json, load_omm_json),
    "json-strings": (lambda r: dump_omm_json(r, numbers_as_strings=True), load_omm_json),
    "csv": (dump_omm_csv, load_omm_csv),
}
half_a_tle_epoch_step = timedelta(microseconds=432)  # a TLE epoch has 1e-8 day resolution


def read_text(path: Path) -> str:
    """Given a shared-data file (gzip if it ends .gz), return its text."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("utf-8")


def load_file(path: Path) -> ParseResult[ElementSet]:
    return LOADERS[path.suffix](read_text(path))


# ---------------------------------------------------------------------------------------
# The CCSDS samples, file by file: what each must give.
# ---------------------------------------------------------------------------------------

# (path, NORAD_CAT_ID of each record) for samples that are valid SGP4 OMMs.
ACCEPTED = [
    (OREKIT / "OMMExample1.txt", [23581]),
    (OREKIT / "OMMExample2.txt", [23581]),
    (OREKIT / "OMMExample2.xml", [23581]),
    (OREKIT / "OMMExample4.txt", [7646]),
    (OREKIT / "OMMExample4.xml", [7646]),
    (OREKIT / "OMMExample5.txt", [23581]),  # SGP4-XP with BTERM and AGOM (OMM 3.0)
    (OREKIT / "OMM-with-units.xml", [23581]),
    # Empty OBJECT_ID: 502.0-B-3 7.5.1 wants a value, but CelesTrak writes it empty for
    # analyst objects (and CREATION_DATE, ORIGINATOR always); read as None by default,
    # refused with allow_blank_mandatory=False as Orekit does (test below).
    (OREKIT / "OMM-empty-object-id.txt", [23581]),
    (OREKIT / "OMM-empty-object-id.xml", [7646]),
    (BEYOND / "omm.kvn", [25544]),
    (BEYOND / "omm.xml", [25544]),
    (BEYOND / "omm_bluebook.kvn", [23581]),
    (BEYOND / "omm_bluebook.xml", [23581]),
    (BEYOND / "omm_cov.kvn", [25544]),
    (BEYOND / "omm_cov.xml", [25544]),
    (BEYOND / "omm_cov_qsw.kvn", [25544]),
    (BEYOND / "omm_cov_qsw.xml", [25544]),
    (BEYOND / "omm_cov_tnw.kvn", [25544]),
    (BEYOND / "omm_cov_tnw.xml", [25544]),
    (BEYOND / "omm_user_defined.kvn", [25544]),
    (BEYOND / "omm_user_defined.xml", [25544]),
    (NDM_PKG / "kvn/omm1_ct.kvn", [45018]),
    (NDM_PKG / "kvn/omm1_ct.xml", [45018]),
    (NDM_PKG / "kvn/omm1_st.kvn", [45018]),
    (NDM_PKG / "kvn/omm1_st.xml", [45018]),
    (NDM_PKG / "json/omm1_ct.json", [45018]),
    (NDM_PKG / "json/omm1_ct.xml", [45018]),
    (NDM_PKG / "json/omm1_st.json", [45018]),
    (NDM_PKG / "json/omm1_st.xml", [45018]),
]

# (path, line, keyword, text the reason must hold) for samples that must be refused.
REJECTED = [
    (OREKIT / "OMM-wrong-keyword.txt", 9, "WRONG_KEYWORD", "unknown keyword WRONG_KEYWORD"),
    (
        OREKIT / "OMM-number-format-error.txt",
        15,
        "ARG_OF_PERICENTER",
        "received: this-is-not-a-number",
    ),
    # A second <metadata> where <data> must follow (505.0-B-1 OMM segment).
    (OREKIT / "spurious-metadata.xml", 17, "metadata", "unexpected <metadata> in <segment>"),
    # Not SGP4 mean elements: rejected for their theory, before SEMI_MAJOR_AXIS.
    (OREKIT / "OMMExample3.txt", 14, "MEAN_ELEMENT_THEORY", "received: SOME THEORY"),
    (OREKIT / "OMMExample3_utc.txt", 14, "MEAN_ELEMENT_THEORY", "received: SOME THEORY"),
    (BEYOND / "omm_eh.kvn", 10, "MEAN_ELEMENT_THEORY", "received: ECKSTEIN-HECHLER"),
    (BEYOND / "omm_eh.xml", 15, "MEAN_ELEMENT_THEORY", "received: ECKSTEIN-HECHLER"),
    # The NDM/XML figure of 505.0-B-1 names its theory "TLE": not a registered theory.
    (NDM_PKG / "xml/ndmxml-1.0-omm-2.0.xml", 19, "MEAN_ELEMENT_THEORY", "received: TLE"),
    # Older CelesTrak NDM/XML: an xsi: attribute with no xmlns:xsi declaration.
    (NDM_PKG / "xml/omm_combined.xml", 1, "xsi:noNamespaceSchemaLocation", "not declared"),
    (NDM_PKG / "xml/omm_single_ndm.xml", 1, "xsi:noNamespaceSchemaLocation", "not declared"),
]


@pytest.mark.parametrize(("path", "ids"), ACCEPTED, ids=[str(p) for p, _ in ACCEPTED])
def test_valid_sample_is_read(shared_data: Path, path: Path, ids: list[int]) -> None:
    result = load_file(shared_data / path)
    assert result.rejected == []
    assert [r.norad_cat_id for r in result.records] == ids


@pytest.mark.parametrize(
    ("path", "line", "keyword", "text"), REJECTED, ids=[str(p) for p, *_ in REJECTED]
)
def test_malformed_or_non_sgp4_sample_is_refused_with_line_and_keyword(
    shared_data: Path, path: Path, line: int, keyword: str, text: str
) -> None:
    result = load_file(shared_data / path)
    assert result.accepted == []
    (rejected,) = result.rejected
    assert (rejected.error.line, rejected.error.field) == (line, keyword)
    assert f"line {line}" in rejected.reason and keyword in rejected.reason
    assert text in rejected.reason
    if keyword == "MEAN_ELEMENT_THEORY":
        assert "expected MEAN_ELEMENT_THEORY SGP4" in rejected.reason


@pytest.mark.parametrize(
    ("path", "line"),
    [(OREKIT / "OMM-empty-object-id.txt", 6), (OREKIT / "OMM-empty-object-id.xml", 11)],
)
def test_empty_object_id_is_none_or_refused_as_orekit_does(
    shared_data: Path, path: Path, line: int
) -> None:
    text = read_text(shared_data / path)
    reader = load_omm_xml if path.suffix == ".xml" else load_omm_kvn
    (record,) = raise_first(reader(text))
    assert record.object_id is None  # read as given: nothing invented
    (rejected,) = reader(text, allow_blank_mandatory=False).rejected
    assert (rejected.error.line, rejected.error.field) == (line, "OBJECT_ID")
    assert "OBJECT_ID has no value" in rejected.reason


def test_old_celestrak_ndm_is_read_when_asked_to_tolerate_undeclared_xsi(
    shared_data: Path,
) -> None:
    text = read_text(shared_data / NDM_PKG / "xml/omm_combined.xml")
    result = load_omm_xml(text, tolerate_undeclared_xsi=True)
    assert result.rejected == []
    assert len(result.records) == text.count("<omm ")
    assert result.records[0].norad_cat_id == 41558
    assert result.accepted[1].line == 41  # the line of the second <omm>
    assert result.accepted[1].raw.startswith("<omm") and result.accepted[1].raw.endswith("</omm>")


def test_sample_values_are_those_of_the_standard(shared_data: Path) -> None:
    # 502.0-B-2 figure 4-2 (GOES 9), as Orekit ships it.
    (goes,) = load_file(shared_data / OREKIT / "OMMExample1.txt").records
    assert goes == ElementSet(
        norad_cat_id=23581,
        epoch=datetime(2007, 3, 5, 10, 34, 41, 426400),  # 2007-064T10:34:41.4264
        mean_motion=1.00273272,
        eccentricity=0.0005013,
        inclination=3.0539,
        ra_of_asc_node=81.7939,
        arg_of_pericenter=249.2363,
        mean_anomaly=150.1602,
        bstar=0.0001,
        mean_motion_dot=-0.00000113,
        mean_motion_ddot=0.0,
        object_name="GOES 9",
        object_id="1995-025A",
        ephemeris_type=0,
        element_set_no=925,
        rev_at_epoch=4316,
        mean_element_theory="SGP/SGP4",
        originator="NOAA/USA",
        creation_date=datetime(2007, 3, 6, 16, 0),  # 2007-065T16:00:00
        gm=398600.8,
    )


def test_brackets_in_text_values_are_not_units(shared_data: Path) -> None:
    (goes,) = load_file(shared_data / BEYOND / "omm_bluebook.kvn").records
    assert goes.object_name == "GOES 9 [P]"  # CelesTrak's old "partly operational" mark


def test_optional_sections_go_verbatim_into_extra_in_order(shared_data: Path) -> None:
    (cov,) = load_file(shared_data / OREKIT / "OMMExample2.txt").records
    assert cov.extra[0] == ("COV_REF_FRAME", "TEME")
    assert cov.extra[1] == ("CX_X", "3.331349476038534e-04")
    assert cov.extra[-1] == ("CZ_DOT_Z_DOT", "6.224444338635500e-10")
    assert len(cov.extra) == 22
    (user,) = load_file(shared_data / BEYOND / "omm_user_defined.kvn").records
    assert user.extra == (("USER_DEFINED_FOO", "foo enters"), ("USER_DEFINED_BAR", "a bar"))
    (xp,) = load_file(shared_data / OREKIT / "OMMExample5.txt").records
    assert (xp.mean_element_theory, xp.ephemeris_type) == ("SGP4-XP", 4)
    assert xp.extra == (("BTERM", "0.0015"), ("AGOM", "0.001"))
    assert xp.bstar == 0.0  # BTERM [m**2/kg] is not BSTAR [1/ER]: it stays in extra
    (units,) = load_file(shared_data / OREKIT / "OMM-with-units.xml").records
    assert units.extra[0] == ("MESSAGE_ID", "OMM 201113719185")
    assert units.comments == (
        "THIS IS AN XML VERSION OF THE OMM",
        "mean Elements",
        "tle Parameters",
        "covariance Matrix",
    )


def test_kvn_and_xml_renderings_of_a_sample_agree(shared_data: Path) -> None:
    for stem in ("omm", "omm_cov", "omm_cov_qsw", "omm_user_defined"):
        (kvn,) = load_file(shared_data / BEYOND / f"{stem}.kvn").records
        (xml,) = load_file(shared_data / BEYOND / f"{stem}.xml").records
        # beyond wrote the two files at different times: only CREATION_DATE differs.
        assert replace(kvn, creation_date=None) == replace(xml, creation_date=None)
    # Space-Track's JSON and its XML of one record: identical, extra keys included.
    st_json = load_file(shared_data / NDM_PKG / "json/omm1_st.json").records
    assert st_json == load_file(shared_data / NDM_PKG / "json/omm1_st.xml").records
    assert ("USER_DEFINED_DECAY_DATE", "") in st_json[0].extra
    # Space-Track's KVN writes "COMMENT  =text"; KVN comments are kept verbatim.
    (st_kvn,) = load_file(shared_data / NDM_PKG / "kvn/omm1_st.kvn").records
    (st_xml,) = load_file(shared_data / NDM_PKG / "kvn/omm1_st.xml").records
    assert st_kvn.comments[0] == "=GENERATED VIA SPACE-TRACK.ORG API"
    assert replace(st_kvn, comments=()) == replace(st_xml, comments=())


@pytest.mark.parametrize("fmt", WRITERS)
def test_every_sample_round_trips_through_every_format(shared_data: Path, fmt: str) -> None:
    dump, read = WRITERS[fmt]
    for path, _ in ACCEPTED:
        records = load_file(shared_data / path).records
        assert raise_first(read(dump(records))) == records, path


# ---------------------------------------------------------------------------------------
# Real catalogues.
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def active(shared_data: Path) -> ParseResult[ElementSet]:
    return load_omm_csv(read_text(shared_data / ACTIVE_CSV))


@pytest.fixture(scope="module")
def debris(shared_data: Path) -> ParseResult[ElementSet]:
    return load_omm_json(read_text(shared_data / DEBRIS_JSON))


@pytest.mark.slow
def test_celestrak_catalogues_are_read_whole(
    active: ParseResult[ElementSet], debris: ParseResult[ElementSet]
) -> None:
    assert (len(active.accepted), active.rejected) == (15985, [])
    assert (len(debris.accepted), debris.rejected) == (2647, [])
    first = active.accepted[0]
    assert first.line == 2 and first.raw.startswith("CALSPHERE 1,1964-063C,")
    assert first.record.bstar == 0.40393571e-3  # written ".40393571E-3"
    assert first.record.mean_element_theory == "SGP4"  # CSV leaves out the metadata
    assert active.accepted[-1].line == 15986
    assert debris.records[0].object_name == "COSMOS 1408 DEB"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", WRITERS)
def test_celestrak_catalogues_round_trip(
    active: ParseResult[ElementSet], debris: ParseResult[ElementSet], fmt: str
) -> None:
    dump, read = WRITERS[fmt]
    # CelesTrak's own formats whole; the others on every 4th record, to keep the suite quick.
    sample = active.records[:: 1 if fmt in ("csv", "json") else 4]
    assert raise_first(read(dump(sample))) == sample
    assert raise_first(read(dump(debris.records))) == debris.records


def test_space_track_history_json(shared_data: Path) -> None:
    result = load_omm_json(read_text(shared_data / ISS_HISTORY))
    assert (len(result.accepted), result.rejected) == (304, [])
    raw = json.loads(read_text(shared_data / ISS_HISTORY))
    for p, obj in zip(result.accepted, raw, strict=True):
        # The legacy "tle" class splits the epoch: EPOCH to the second, EPOCH_MICROSECONDS.
        # The authority: the TLE line 1 epoch, of 1e-8 day resolution.
        year, day = 2000 + int(obj["TLE_LINE1"][18:20]), float(obj["TLE_LINE1"][20:32])
        tle_epoch = datetime(year, 1, 1) + timedelta(days=day - 1)
        assert abs(p.record.epoch - tle_epoch) <= half_a_tle_epoch_step
        assert p.record.epoch.microsecond == int(obj["EPOCH_MICROSECONDS"])
    iss = result.records[0]
    assert iss.originator == "18 SPCS" and iss.comments == ("GENERATED VIA SPACETRACK.ORG API",)
    assert ("USER_DEFINED_OBJECT_TYPE", "PAYLOAD") in iss.extra
    assert not any(kw.startswith("USER_DEFINED_TLE_LINE") for kw, _ in iss.extra)
    assert result.accepted[1].line == 36  # each object's first line in the file


# ---------------------------------------------------------------------------------------
# The gpconf conformance corpus, driven by its manifest and expected values.
# ---------------------------------------------------------------------------------------

CANONICAL_FLOATS = (
    "mean_motion",
    "eccentricity",
    "inclination",
    "ra_of_asc_node",
    "arg_of_pericenter",
    "mean_anomaly",
    "bstar",
    "mean_motion_dot",
    "mean_motion_ddot",
)
CORPUS_FORMATS: dict[str, Loader] = {
    "kvn": load_omm_kvn,
    "xml": load_omm_xml,
    "json": load_omm_json,
    "csv": load_omm_csv,
}


def corpus_cases(data: Path | None) -> list[Any]:
    """Return (case id, source path) for every OMM source of the corpus that is shipped."""
    if data is None:
        return []
    manifest = json.loads((data / CORPUS / "manifest.json").read_text())
    return [
        pytest.param(case["id"], source["path"], id=f"{case['id']}:{source['path']}")
        for case in manifest["cases"]
        for source in case["sources"]
        if source["format"] in CORPUS_FORMATS and (data / CORPUS / source["path"]).exists()
    ]


def _data_dir() -> Path | None:
    from tests.conftest import shared_data_dir

    return shared_data_dir()


def corpus_expectations(
    data: Path, case_id: str, path: str
) -> tuple[dict[int, Any], set[int], int]:
    """Return, for one corpus file, (id -> canonical values) to load, ids to refuse, and
    how many rejections without an id (a cut) to expect; read from the case's expected.json."""
    expected = json.loads((data / CORPUS / f"fixtures/{case_id}/expected.json").read_text())
    name = Path(path).name
    load: dict[int, Any] = {}
    refuse: set[int] = set()
    cuts = 0
    for rec in expected["records"]:
        if name not in (rec.get("derived_file"), rec.get("file")):
            continue
        if "NORAD_CAT_ID" in rec.get("keywords_absent", []) or rec.get("role") == "corrupt":
            refuse.add(rec["norad_cat_id"])
        else:
            load[rec["norad_cat_id"]] = rec.get("canonical") or rec.get("expected")
    specific = expected.get("case_specific", {})
    for group in ("unedited", "graded"):
        for file, facts in specific.get(group, {}).items():
            if Path(file).name == name:
                load.update(dict.fromkeys(facts["norad_cat_ids"]))
    if name in specific.get("files", {}) and not refuse:  # a file cut short: records kept
        cuts = 1
        unedited = Path(specific["files"][name]["unedited"]).name
        load.update(
            dict.fromkeys(
                specific["unedited"][f"derived/corrupt-input/{unedited}"]["norad_cat_ids"]
            )
        )
    return load, refuse, cuts


@pytest.mark.parametrize(("case_id", "path"), corpus_cases(_data_dir()))
def test_corpus_file(shared_data: Path, case_id: str, path: str) -> None:
    load_expected, refuse, cuts = corpus_expectations(shared_data, case_id, path)
    assert load_expected or refuse, "the corpus names no record for this file"
    text = read_text(shared_data / CORPUS / path)
    result = CORPUS_FORMATS[Path(path).suffix[1:]](text)
    assert sorted(r.norad_cat_id for r in result.records) == sorted(load_expected)
    assert len(result.rejected) == len(refuse) + cuts
    for rejected in result.rejected:
        assert rejected.reason and rejected.line is not None
    for record in result.records:
        canonical = load_expected[record.norad_cat_id]
        if canonical is None:
            continue
        assert record.epoch == datetime.fromisoformat(canonical["epoch"])
        assert (record.object_name, record.object_id) == (
            canonical["object_name"],
            canonical["object_id"] or None,
        )
        for name in CANONICAL_FLOATS:
            assert getattr(record, name) == float(canonical[name]), name
        for name in ("ephemeris_type", "classification_type", "element_set_no", "rev_at_epoch"):
            assert getattr(record, name) == canonical[name], name


def test_corpus_kvn_without_norad_cat_id_is_refused_naming_it(shared_data: Path) -> None:
    # v05 omits the optional TLE parameters, NORAD_CAT_ID among them; an ElementSet needs
    # the catalogue number, and the file gives no way to know it: refused, not invented.
    path = CORPUS / "derived/kvn-variants/v05-omm-3.0-header-optional-keywords-omitted.kvn"
    (rejected,) = load_omm_kvn(read_text(shared_data / path)).rejected
    assert rejected.error.field == "NORAD_CAT_ID"
    assert "missing mandatory keyword NORAD_CAT_ID" in rejected.reason


def test_corpus_epoch_vectors(shared_data: Path) -> None:
    vectors = json.loads((shared_data / CORPUS / "vectors/ccsds-epoch-strings.json").read_text())
    for v in vectors["valid"]:
        allowed = [v["iso"], *v.get("iso_alternatives", [])]
        assert parse_epoch(v["text"]) in [datetime.fromisoformat(t) for t in allowed], v
    for v in vectors["invalid"]:
        with pytest.raises(FormatError, match="not a CCSDS epoch"):
            parse_epoch(v["text"])


def test_corpus_catalogue_number_vectors(shared_data: Path) -> None:
    vectors = json.loads((shared_data / CORPUS / "vectors/norad-cat-id-text.json").read_text())
    for v in vectors["valid"]:
        (record,) = raise_first(load_omm_kvn(kvn_with("NORAD_CAT_ID", v["text"])))
        assert record.norad_cat_id == v["value"]
    for v in vectors["invalid_in_omm"]:
        (rejected,) = load_omm_kvn(kvn_with("NORAD_CAT_ID", v["text"])).rejected
        assert rejected.error.field == "NORAD_CAT_ID", v


def test_celestrak_empty_answer_is_no_records(shared_data: Path) -> None:
    text = read_text(shared_data / CORPUS / "recorded/celestrak-no-gp-data-found.txt")
    for reader in CORPUS_FORMATS.values():
        result = reader(text)
        assert (result.accepted, result.rejected) == ([], [])
    assert detect_format(text, "gp.json") == "omm-json"


# ---------------------------------------------------------------------------------------
# KVN details (502.0-B-3 section 7), on a small message.
# ---------------------------------------------------------------------------------------

KVN = """CCSDS_OMM_VERS = 3.0
CREATION_DATE = 2023-10-09T00:00:00
ORIGINATOR = TEST
OBJECT_NAME = ISS (ZARYA)
OBJECT_ID = 1998-067A
CENTER_NAME = EARTH
REF_FRAME = TEME
TIME_SYSTEM = UTC
MEAN_ELEMENT_THEORY = SGP4
EPOCH = 2023-10-09T12:34:56.123456
MEAN_MOTION = 15.50103472 [rev/day]
ECCENTRICITY = .0005893
INCLINATION = 51.6416 [deg]
RA_OF_ASC_NODE = 247.4627
ARG_OF_PERICENTER = 130.5360
MEAN_ANOMALY = 325.0288
NORAD_CAT_ID = 25544
BSTAR = -.11606E-4
MEAN_MOTION_DOT = -.2182E-4
MEAN_MOTION_DDOT = 0
"""


def kvn_with(keyword: str, value: str | None) -> str:
    """Return the small message with one keyword's line replaced (or removed if None)."""
    out = []
    for line in KVN.splitlines():
        if line.split("=")[0].strip() == keyword:
            if value is None:
                continue
            line = f"{keyword} = {value}"
        out.append(line)
    return "\n".join(out) + "\n"


def test_kvn_message_is_read() -> None:
    (p,) = load_omm_kvn(KVN).accepted
    assert p.line == 1 and p.raw == KVN
    assert p.record.epoch == datetime(2023, 10, 9, 12, 34, 56, 123456)
    assert (p.record.bstar, p.record.eccentricity) == (-0.11606e-4, 0.0005893)
    assert (p.record.element_set_no, p.record.rev_at_epoch, p.record.classification_type) == (
        999,
        0,
        "U",
    )


def test_kvn_concatenated_messages_crlf_and_one_bad() -> None:
    bad = kvn_with("MEAN_MOTION", "15.5 [deg]")
    text = (KVN + "\n" + bad + "\n" + KVN.replace("25544", "25545")).replace("\n", "\r\n")
    result = load_omm_kvn(text)
    assert [r.norad_cat_id for r in result.records] == [25544, 25545]
    assert [p.line for p in result.accepted] == [1, 43]
    (rejected,) = result.rejected
    assert rejected.line == 22 and rejected.raw.startswith("CCSDS_OMM_VERS")
    assert (rejected.error.line, rejected.error.field) == (32, "MEAN_MOTION")
    assert "wrong unit" in rejected.reason and "[rev/day]" in rejected.reason


@pytest.mark.parametrize(
    ("keyword", "value", "field", "reason"),
    [
        ("ECCENTRICITY", "0.1 [deg]", "ECCENTRICITY", "dimensionless"),
        ("NORAD_CAT_ID", "25544.0", "NORAD_CAT_ID", "integer"),
        ("INCLINATION", "nan", "INCLINATION", "not a number"),
        ("INCLINATION", "1_0", "INCLINATION", "not a number"),
        ("INCLINATION", "181", "INCLINATION", "out of range"),
        ("EPOCH", "2023-10-09 12:34:56", "EPOCH", "not a CCSDS epoch"),
        ("EPOCH", "2023-02-30T00:00:00", "EPOCH", "not a CCSDS epoch"),
        ("MEAN_MOTION", None, "MEAN_MOTION", "missing mandatory keyword MEAN_MOTION"),
        ("MEAN_MOTION_DDOT", None, "MEAN_MOTION_DDOT", "missing mandatory keyword"),
        ("CREATION_DATE", None, "CREATION_DATE", "missing mandatory keyword"),
        ("REF_FRAME", "GCRF", "REF_FRAME", "expected REF_FRAME TEME"),
        ("TIME_SYSTEM", "TAI", "TIME_SYSTEM", "expected TIME_SYSTEM UTC"),
        ("CENTER_NAME", "MOON", "CENTER_NAME", "expected CENTER_NAME EARTH"),
        ("CCSDS_OMM_VERS", "4.0", "CCSDS_OMM_VERS", "unsupported OMM version"),
        ("BSTAR", "0 [1/ER]\nBTERM = 0.1", "BTERM", "BTERM belongs to SGP4-XP"),
        ("ORIGINATOR", "X\nORIGINATOR = Y", "ORIGINATOR", "given twice"),
        ("OBJECT_NAME", "X\nEPOCH_TYPO = 1", "EPOCH_TYPO", "unknown keyword"),
        ("MEAN_ANOMALY", "1\nREF_FRAME_EPOCH = 2000-001T00:00:00", "REF_FRAME_EPOCH", "has ended"),
        ("ECCENTRICITY", "0.1\nCOMMENT in the middle", "COMMENT", "COMMENT inside"),
        ("MEAN_ANOMALY", "1\nmean_anomaly = 2", None, "not a KVN line"),
    ],
)
def test_kvn_errors_name_line_keyword_and_expectation(
    keyword: str, value: str | None, field: str | None, reason: str
) -> None:
    (rejected,) = load_omm_kvn(kvn_with(keyword, value)).rejected
    assert rejected.error.field == field
    assert rejected.error.line is not None and f"line {rejected.error.line}" in rejected.reason
    assert reason in rejected.reason


def test_kvn_dsst_elements_are_refused_for_their_theory() -> None:
    text = kvn_with("MEAN_ELEMENT_THEORY", "DSST").replace(
        "MEAN_MOTION = 15.50103472 [rev/day]", "SEMI_MAJOR_AXIS = 6790 [km]"
    )
    (rejected,) = load_omm_kvn(text).rejected
    assert rejected.error.field == "MEAN_ELEMENT_THEORY"
    assert "expected MEAN_ELEMENT_THEORY SGP4" in rejected.reason
    assert "received: DSST" in rejected.reason


def test_kvn_comments_open_sections_and_are_kept_in_order() -> None:
    text = KVN.replace("CREATION_DATE", "COMMENT first\nCOMMENT  second\nCREATION_DATE")
    text = text.replace("EPOCH", "COMMENT data\nEPOCH").replace("NORAD", "COMMENT tle\nNORAD")
    (record,) = raise_first(load_omm_kvn(text))
    assert record.comments == ("first", "second", "data", "tle")
    assert raise_first(load_omm_kvn(dump_omm_kvn([record]))) == [record]


def test_kvn_text_before_the_first_message_is_refused() -> None:
    result = load_omm_kvn("COMMENT stray\n" + KVN)
    assert len(result.records) == 1
    assert result.rejected[0].error.line == 1
    assert "before the first CCSDS_OMM_VERS" in result.rejected[0].reason


def test_kvn_writer_writes_units_and_reads_back_exactly() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    awkward = replace(record, bstar=0.1 + 0.2, mean_motion_ddot=1e-300, gm=398600.4418)
    text = dump_omm_kvn([awkward])
    assert text.startswith("CCSDS_OMM_VERS       = 3.0\n")
    assert "MEAN_MOTION          = 15.50103472 [rev/day]" in text
    assert "BSTAR                = 0.30000000000000004 [1/ER]" in text
    assert raise_first(load_omm_kvn(text)) == [awkward]
    assert "CCSDS_OMM_VERS       = 2.0" in dump_omm_kvn([record], version="2.0")


def test_writers_refuse_what_they_cannot_write() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    with pytest.raises(FormatError, match="finite"):
        dump_omm_kvn([replace(record, bstar=float("nan"))])
    with pytest.raises(FormatError, match="USER_DEFINED"):
        dump_omm_json([replace(record, extra=(("NOT_A_KEYWORD", "1"),))])
    with pytest.raises(FormatError, match="span lines"):
        dump_omm_kvn([replace(record, object_name="A\nB")])


# ---------------------------------------------------------------------------------------
# Epochs (502.0-B-3 7.5.10).
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-10-09T12:34:56.123456", datetime(2023, 10, 9, 12, 34, 56, 123456)),
        ("2023-10-09T12:34:56Z", datetime(2023, 10, 9, 12, 34, 56)),
        ("2023-282T12:00:00", datetime(2023, 10, 9, 12)),
        ("2024-366T00:00:00.5Z", datetime(2024, 12, 31, 0, 0, 0, 500000)),
        ("2023-10-09T12:34:56.1234565", datetime(2023, 10, 9, 12, 34, 56, 123457)),
        ("2023-12-31T23:59:59.9999996", datetime(2024, 1, 1)),
        ("2016-12-31T23:59:60.5", datetime(2016, 12, 31, 23, 59, 59, 500000)),
    ],
)
def test_epoch_forms(text: str, expected: datetime) -> None:
    assert parse_epoch(text) == expected


@pytest.mark.parametrize(
    "text", ["2023-366T00:00:00", "2023-000T00:00:00", "2023-10-09T12:34:60", "2023-10-09T24:00:00"]
)
def test_impossible_epochs_are_refused(text: str) -> None:
    with pytest.raises(FormatError):
        parse_epoch(text)


# ---------------------------------------------------------------------------------------
# NDM/XML (505.0-B-1).
# ---------------------------------------------------------------------------------------


def test_xml_namespaces_and_prefixes_are_matched_by_local_name() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    plain = dump_omm_xml([record])
    qualified = plain.replace("<omm ", '<ndm:omm xmlns:ndm="urn:ccsds:schema:ndmxml" ').replace(
        "</omm>", "</ndm:omm>"
    )
    assert raise_first(load_omm_xml(qualified)) == [record]
    default_ns = plain.replace("<omm ", '<omm xmlns="urn:ccsds:schema:ndmxml" ')
    assert raise_first(load_omm_xml(default_ns.encode("utf-8"))) == [record]
    undeclared = qualified.replace(' xmlns:ndm="urn:ccsds:schema:ndmxml"', "")
    (rejected,) = load_omm_xml(undeclared).rejected
    assert "'ndm' is used but not declared" in rejected.reason


def test_xml_ndm_keeps_omms_and_reports_other_messages() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    omm = dump_omm_xml([record]).split("\n", 1)[1]
    text = f"<ndm>\n<COMMENT>combined</COMMENT>\n<opm id='CCSDS_OPM_VERS'/>\n{omm}</ndm>"
    result = load_omm_xml(text)
    assert [p.record for p in result.accepted] == [replace(record, comments=("combined",))]
    (rejected,) = result.rejected
    assert (rejected.line, rejected.error.field) == (3, "opm")
    assert "not an OMM" in rejected.reason


def test_xml_cut_short_keeps_the_complete_messages() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    text = dump_omm_xml([record, replace(record, norad_cat_id=25545)])
    result = load_omm_xml(text[: text.rindex("<EPOCH>")])
    assert result.records == [record]
    (rejected,) = result.rejected
    assert "not well-formed XML" in rejected.reason


def test_xml_bytes_are_decoded_by_their_bom_or_declaration() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    record = replace(record, object_name="ISS (ZÄRYA)")
    text = dump_omm_xml([record])
    utf16 = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    latin1 = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    for data in (utf16, latin1, text.encode("utf-8-sig")):
        (p,) = raise_first_parsed(load_omm_xml(data))
        assert p.record == record and "ZÄRYA" in p.raw and p.raw.startswith("<omm ")
    (rejected,) = load_omm_xml(b"<omm>\xff</omm>").rejected
    assert "cannot decode" in rejected.reason


def raise_first_parsed(result: ParseResult[ElementSet]) -> list[Any]:
    raise_first(result)
    return result.accepted


def test_xml_refuses_doctype_and_other_roots() -> None:
    (rejected,) = load_omm_xml('<!DOCTYPE omm [<!ENTITY a "b">]><omm/>').rejected
    assert "DOCTYPE" in rejected.reason
    (rejected,) = load_omm_xml("<opm/>").rejected
    assert "root element <opm>" in rejected.reason


def test_xml_writer_gives_one_omm_or_an_ndm() -> None:
    (record,) = raise_first(load_omm_kvn(KVN))
    assert "<omm " in dump_omm_xml([record]) and "<ndm" not in dump_omm_xml([record])
    two = dump_omm_xml([record, record])
    assert two.count("<omm ") == 2 and "<ndm " in two
    assert raise_first(load_omm_xml(dump_omm_xml([]))) == []


def test_xml_writer_output_is_valid_against_the_ccsds_schema(shared_data: Path) -> None:
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(shared_data / XSD)))
    records = [r for path, _ in ACCEPTED for r in load_file(shared_data / path).records]
    # The 1.0 schema set is of OMM 2.0: leave out what only OMM 3.0 has (SGP4-XP, MESSAGE_ID).
    records = [r for r in records if 'version="2.0"' in dump_omm_xml([r])]
    records.append(replace(records[0], creation_date=None, originator=None, object_id=None))
    craft: tuple[tuple[str, str], ...] = (("MASS", "300"), ("SOLAR_RAD_AREA", "5"))
    craft += (("SOLAR_RAD_COEFF", "0.001"),)
    craft += (("DRAG_AREA", "4"), ("DRAG_COEFF", "0.002"))  # as OMMExample3, all five in 2.0
    records.append(replace(records[0], extra=craft + records[1].extra))
    for document in (dump_omm_xml(records), dump_omm_xml(records[:1])):
        tree = etree.fromstring(document.encode("utf-8"))
        assert schema.validate(tree), schema.error_log


# ---------------------------------------------------------------------------------------
# JSON and CSV tables.
# ---------------------------------------------------------------------------------------

CELESTRAK_OBJECT = {
    "OBJECT_NAME": "ISS (ZARYA)",
    "OBJECT_ID": "1998-067A",
    "EPOCH": "2023-10-09T12:34:56.123456",
    "MEAN_MOTION": 15.50103472,
    "ECCENTRICITY": 0.0005893,
    "INCLINATION": 51.6416,
    "RA_OF_ASC_NODE": 247.4627,
    "ARG_OF_PERICENTER": 130.536,
    "MEAN_ANOMALY": 325.0288,
    "EPHEMERIS_TYPE": 0,
    "CLASSIFICATION_TYPE": "U",
    "NORAD_CAT_ID": 25544,
    "ELEMENT_SET_NO": 999,
    "REV_AT_EPOCH": 42000,
    "BSTAR": -1.1606e-05,
    "MEAN_MOTION_DOT": -2.182e-05,
    "MEAN_MOTION_DDOT": 0,
}


def test_json_bad_record_is_named_by_index_and_key() -> None:
    objects = [dict(CELESTRAK_OBJECT) for _ in range(3)]
    del objects[1]["MEAN_MOTION"]
    objects[2]["INCLINATION"] = "north"
    text = json.dumps(objects, indent=1)
    result = load_omm_json(text)
    assert len(result.records) == 1
    first, second = result.rejected
    assert first.reason.startswith(f"line {first.line}, field MEAN_MOTION: record 2:")
    assert second.error.field == "INCLINATION" and "record 3" in second.reason
    assert first.line == text.count("\n", 0, text.index("{", 10)) + 1
    assert json.loads(first.raw) == objects[1]


def test_json_single_object_strings_nulls_and_unknown_keys() -> None:
    (record,) = raise_first(load_omm_json(json.dumps(CELESTRAK_OBJECT)))
    as_strings = {k: str(v) for k, v in CELESTRAK_OBJECT.items()} | {"GM": None, "FILE": "1"}
    (same,) = raise_first(load_omm_json(json.dumps([as_strings])))
    assert replace(same, extra=()) == record and same.extra == (("USER_DEFINED_FILE", "1"),)
    odd = json.dumps([CELESTRAK_OBJECT | {"ODD_KEY": 1.5}])
    (rejected,) = load_omm_json(odd).rejected
    assert (rejected.error.field, "unknown key ODD_KEY" in rejected.reason) == ("ODD_KEY", True)
    (kept,) = raise_first(load_omm_json(odd, unknown_keys="keep"))
    assert kept.extra == (("USER_DEFINED_ODD_KEY", "1.5"),)
    (twice,) = load_omm_json('[{"EPOCH": "x", "EPOCH": "y"}]').rejected
    assert "given twice" in twice.reason
    (unkeepable,) = load_omm_json(
        json.dumps([CELESTRAK_OBJECT | {"odd key": 1}]), unknown_keys="keep"
    ).rejected
    assert unkeepable.error.field == "odd key"


def test_space_track_legacy_epoch_in_csv() -> None:
    header = ",".join(CELESTRAK_OBJECT) + ",EPOCH_MICROSECONDS,TLE_LINE1"
    row = ",".join(str(v) for v in CELESTRAK_OBJECT.values()) + ",7,1 25544U"
    legacy = row.replace("2023-10-09T12:34:56.123456", "2023-10-09 12:34:56")
    (record,) = raise_first(load_omm_csv(f"{header}\n{legacy}\n"))
    assert record.epoch == datetime(2023, 10, 9, 12, 34, 56, 7) and record.extra == ()


def test_csv_bad_row_and_header_problems() -> None:
    header = ",".join(CELESTRAK_OBJECT)
    row = ",".join(str(v) for v in CELESTRAK_OBJECT.values())
    bad = row.replace("51.6416", "fifty")
    result = load_omm_csv(f"{header}\n{row}\n\n{bad}\n{row[:-2]}")
    assert [p.line for p in result.accepted] == [2]
    first, second = result.rejected
    assert (first.line, first.error.field, first.raw) == (4, "INCLINATION", bad)
    assert second.line == 5 and "row has 16 values" in second.reason
    (unknown,) = load_omm_csv(f"{header},A_KM\n{row},1\n").rejected
    assert (unknown.line, unknown.error.field) == (1, "A_KM")
    assert "unknown columns A_KM" in unknown.reason
    (kept,) = raise_first(load_omm_csv(f"{header},A_KM\n{row},1\n", unknown_keys="keep"))
    assert kept.extra == (("USER_DEFINED_A_KM", "1"),)
    (lacking,) = load_omm_csv(header.replace("MEAN_MOTION,", "") + "\n").rejected
    assert "MEAN_MOTION" in lacking.reason and lacking.line == 1


def test_csv_and_json_writers_keep_what_the_record_holds(shared_data: Path) -> None:
    (record,) = load_file(shared_data / OREKIT / "OMM-with-units.xml").records
    csv_text = dump_omm_csv([record])
    assert csv_text.startswith(",".join(CELESTRAK_OBJECT) + ",")
    assert "COMMENT" in csv_text and "CX_X" in csv_text and "GM" in csv_text
    assert raise_first(load_omm_csv(csv_text)) == [record]
    (st,) = json.loads(dump_omm_json([record], numbers_as_strings=True))
    assert st["NORAD_CAT_ID"] == "23581" and st["CENTER_NAME"] == "EARTH"
    (ct,) = json.loads(dump_omm_json([record]))
    assert ct["NORAD_CAT_ID"] == 23581 and "CENTER_NAME" not in ct


# ---------------------------------------------------------------------------------------
# Format detection and dispatch.
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (OREKIT / "OMMExample1.txt", "omm-kvn"),
        (OREKIT / "OMMExample2.xml", "omm-xml"),
        (NDM_PKG / "xml/omm_combined.xml", "omm-xml"),
        (NDM_PKG / "json/omm1_st.json", "omm-json"),
        (Path(ACTIVE_CSV), "omm-csv"),
        (Path(DEBRIS_JSON), "omm-json"),
        (Path("satcat/celestrak_satcat_subset_india_owner_IND.csv"), "satcat"),
        (Path("satcat/celestrak_satcat_2017-01_from_hrbrmstr_satcat_rds.csv.gz"), "satcat"),
        (Path("tle_history/celestrak_active_2025-11-10.txt.gz"), "tle"),
        (Path("tle_history/spacetrack_object_histories/38077_LARES.tle"), "tle"),
        (CORPUS / "derived/corrupt-input/c4-line-2-missing.tle", "tle"),
        (Path("sgp4_verification/SGP4-VER.TLE"), "tle"),  # after "#" comment lines
    ],
)
def test_detect_format(shared_data: Path, path: Path, fmt: str) -> None:
    data = (shared_data / path).read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    assert detect_format(data) == fmt
    assert detect_format(data.decode("utf-8"), path.name) == fmt


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (BEYOND / "oem.kvn", "a CCSDS OEM, not an OMM"),
        (BEYOND / "opm.xml", "root is <opm>"),
        (Path("tle_history/maneuver_truth/doris_ids_manoeuvres_schedule.csv"), "cannot tell"),
    ],
)
def test_detect_format_says_why_it_cannot_tell(shared_data: Path, path: Path, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        detect_format((shared_data / path).read_bytes())


def test_detect_format_refuses_satcat_json() -> None:
    with pytest.raises(FormatError, match="SATCAT is read as CSV only"):
        detect_format('[{"OBJECT_NAME": "ISS", "NORAD_CAT_ID": 25544, "OPS_STATUS_CODE": "+"}]')


def test_detect_format_of_empty_input_goes_by_name() -> None:
    assert detect_format(b"", "catalogue.kvn") == "omm-kvn"
    with pytest.raises(FormatError, match="empty input"):
        detect_format("  \n")


def test_load_dispatches_on_the_format(shared_data: Path) -> None:
    for path, _ in ACCEPTED[:6]:
        text = read_text(shared_data / path)
        assert load(text, detect_format(text)).records == load_file(shared_data / path).records
    with pytest.raises(FormatError, match="satcat files hold no element sets"):
        load("", "satcat")
    with pytest.raises(FormatError, match="unknown format"):
        load("", "omm-yaml")


def test_load_dispatches_tle_to_the_tle_reader(shared_data: Path) -> None:
    tle = pytest.importorskip("accord.formats.tle")
    text = read_text(shared_data / CORPUS / "derived/corrupt-input/unedited-sets.tle")
    assert detect_format(text) == "tle"
    assert load(text, "tle").records == tle.load_tle(text).records
    assert [r.norad_cat_id for r in load(text, "tle").records] == [25544, 69999, 20453]


@pytest.mark.parametrize("fmt", WRITERS)
def test_tle_records_round_trip_through_omm(shared_data: Path, fmt: str) -> None:
    tle = pytest.importorskip("accord.formats.tle")
    text = read_text(shared_data / "tle_history/celestrak_active_2025-11-10.txt.gz")
    records = raise_first(tle.load_tle(text))[::20]  # no header, names from the 3LE
    dump, read = WRITERS[fmt]
    assert raise_first(read(dump(list(records)))) == records
