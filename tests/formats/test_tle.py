"""Tests of accord.formats.tle against outside authorities.

Hoots & Roehrich's STR#3 test case and Vallado's SGP4-VER.TLE (read again by python-sgp4's
own reader), full Space-Track catalogues, and the gpconf conformance corpus, whose expected
values and vectors drive the Alpha-5, epoch, corrupt-input and writer tests.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from sgp4.api import Satrec

from accord.errors import FormatError
from accord.formats.records import ElementSet
from accord.formats.tle import (
    LINE1_TEMPLATE,
    LINE2_TEMPLATE,
    checksum,
    decode_catalog_field,
    dump_tle,
    encode_catalog_field,
    format_tle,
    load_tle,
    parse_tle,
)

# Spacetrack Report No. 3 (Hoots & Roehrich 1980), SGP4 test case, as Vallado reprints it.
STR3_LINE1 = "1 88888U          80275.98708465  .00073094  13844-3  66816-4 0    87"
STR3_LINE2 = "2 88888  72.8435 115.9689 0086731  52.6988 110.5714 16.05824518  1058"
# Vallado et al. 2006 (AIAA 2006-6753), first verification case, VANGUARD 1.
VANGUARD_LINE1 = "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753"
VANGUARD_LINE2 = "2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667"

CORPUS = Path("tle_catalog/gpconf_alpha5_corpus")
CATALOGUE_2023 = "tle_catalog/spacetrack_full_3le_2023-10-09.txt"

# Tolerances, in the units of each quantity: far below the TLE's own resolution
# (1e-4 deg, 1e-8 rev/day, 1e-8 day), they only absorb python-sgp4's unit conversions.
one_nanoradian = 1e-9
one_nano_rev_per_day = 1e-9
ten_microseconds_in_days = 1e-5 / 86400.0
xpdotp = 1440.0 / (2.0 * math.pi)  # rev/day per rad/min, as in python-sgp4


def read_text(path: Path) -> str:
    """Given a shared-data file (gzip if it ends .gz), return its text, line endings kept."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return data.decode("ascii")


def read_json(path: Path) -> Any:
    """Given a JSON file, return its content."""
    return json.loads(path.read_text(encoding="utf-8"))


def with_checksums(line1: str, line2: str) -> tuple[str, str]:
    """Given two edited lines, return them with column 69 recomputed."""
    return line1[:68] + str(checksum(line1)), line2[:68] + str(checksum(line2))


# ---------------------------------------------------------------------------------------
# One record
# ---------------------------------------------------------------------------------------


def test_str3_record_fields() -> None:
    record = parse_tle(STR3_LINE1, STR3_LINE2)
    assert record == ElementSet(
        norad_cat_id=88888,
        epoch=datetime(1980, 10, 1, 23, 41, 24, 113760),  # day 275.98708465 of a leap year
        mean_motion=16.05824518,
        eccentricity=0.0086731,
        inclination=72.8435,
        ra_of_asc_node=115.9689,
        arg_of_pericenter=52.6988,
        mean_anomaly=110.5714,
        bstar=0.66816e-4,
        mean_motion_dot=0.00073094,
        mean_motion_ddot=0.13844e-3,
        object_id=None,
        classification_type="U",
        ephemeris_type=0,
        element_set_no=8,
        rev_at_epoch=105,
    )


def test_designator_name_and_century() -> None:
    record = parse_tle(VANGUARD_LINE1, VANGUARD_LINE2, "0 VANGUARD 1  ")
    assert record.object_id == "1958-002B"
    assert record.object_name == "VANGUARD 1"
    assert record.epoch.year == 2000  # '00' is 2000, '58' in the designator 1958
    assert parse_tle(VANGUARD_LINE1, VANGUARD_LINE2, "VANGUARD 1").object_name == "VANGUARD 1"
    assert parse_tle(VANGUARD_LINE1, VANGUARD_LINE2, "0 ").object_name is None


def test_exponent_fields_and_negative_values() -> None:
    line1 = "1 21897U 92011A   06176.02341244 -.00001273  00000-0 -13525-3 0  3044"
    line2 = "2 21897  62.1749 198.0096 7421690 253.0462  20.1561  2.01269994104880"
    record = parse_tle(line1, line2)  # Vallado's MOLNIYA 1-83, negative BSTAR
    assert record.bstar == -0.13525e-3
    assert record.mean_motion_dot == -0.00001273
    assert record.mean_motion_ddot == 0.0


def test_columns_after_69_are_ignored() -> None:
    tail = "     0.00      4320.0        360.00"  # Vallado's start, stop, step
    assert parse_tle(VANGUARD_LINE1, VANGUARD_LINE2 + tail) == parse_tle(
        VANGUARD_LINE1, VANGUARD_LINE2
    )


@pytest.mark.parametrize(
    ("line1", "line2", "line", "field"),
    [
        (VANGUARD_LINE1.replace("58002B ", "58002b "), VANGUARD_LINE2, 1, "10-17 OBJECT_ID"),
        (VANGUARD_LINE1.replace("179.78", "179.7O"), VANGUARD_LINE2, 1, "19-32 EPOCH"),
        (VANGUARD_LINE1.replace("00179.", "00367."), VANGUARD_LINE2, 1, "19-32 EPOCH"),
        (VANGUARD_LINE1.replace("  28098-4", " +28098 4"), VANGUARD_LINE2, 1, "54-61 BSTAR"),
        (VANGUARD_LINE1.replace("00005U", "00005X"), VANGUARD_LINE2, 1, "8 CLASSIFICATION_TYPE"),
        (VANGUARD_LINE1.replace("1 00005", "1 I0005"), VANGUARD_LINE2, 1, "3-7 NORAD_CAT_ID"),
        (VANGUARD_LINE1[:17] + "X" + VANGUARD_LINE1[18:], VANGUARD_LINE2, 1, "1 column 18"),
        (VANGUARD_LINE1, VANGUARD_LINE2.replace(" 34.2682", "184.2682"), 2, "9-16 INCLINATION"),
        (VANGUARD_LINE1, VANGUARD_LINE2.replace("348.7", "360.7"), 2, "18-25 RA_OF_ASC_NODE"),
        (VANGUARD_LINE1, VANGUARD_LINE2.replace("10.82419157", "00.00000000"), 2, "MEAN_MOTION"),
        (VANGUARD_LINE1, VANGUARD_LINE2.replace("2 00005", "2 00006"), 2, "3-7 NORAD_CAT_ID"),
        (VANGUARD_LINE1, "3" + VANGUARD_LINE2[1:], 2, "line 2 column 1"),
    ],
)
def test_strict_errors_name_line_and_field(line1: str, line2: str, line: int, field: str) -> None:
    edited = with_checksums(line1, line2)  # so that only the edit itself is wrong
    with pytest.raises(FormatError) as caught:
        parse_tle(*edited)
    assert caught.value.line == line
    assert caught.value.field is not None and caught.value.field.endswith(field)
    assert caught.value.received == edited[line - 1]
    assert caught.value.expected is not None
    assert caught.value.expected.endswith((LINE1_TEMPLATE, LINE2_TEMPLATE)[line - 1][7:])


def test_wrong_checksum_and_short_line() -> None:
    with pytest.raises(FormatError, match="line 2 columns 1-69: line is 68 characters long"):
        parse_tle(VANGUARD_LINE1, VANGUARD_LINE2[:30] + VANGUARD_LINE2[31:])
    with pytest.raises(FormatError) as caught:
        parse_tle(VANGUARD_LINE1, VANGUARD_LINE2[:68] + "0")
    assert (caught.value.line, caught.value.field) == (2, "line 2 column 69 CHECKSUM")


def test_checksum_error_shows_the_computed_digit() -> None:
    with pytest.raises(FormatError) as caught:
        parse_tle(VANGUARD_LINE1[:68] + "4", VANGUARD_LINE2)
    assert caught.value.expected == LINE1_TEMPLATE[:68] + "3"
    assert "checksum is 4 but the line sums to 3" in caught.value.message
    assert parse_tle(VANGUARD_LINE1[:68] + "4", VANGUARD_LINE2, verify_checksum=False) == (
        parse_tle(VANGUARD_LINE1, VANGUARD_LINE2)
    )


def test_error_message_shows_template_beside_the_input() -> None:
    bad = VANGUARD_LINE1.replace("179.78", "179.7O")
    with pytest.raises(FormatError) as caught:
        parse_tle(bad, VANGUARD_LINE2)
    lines = str(caught.value).splitlines()
    expected = next(s for s in lines if s.strip().startswith("expected:"))
    received = next(s for s in lines if s.strip().startswith("received:"))
    assert expected.endswith(LINE1_TEMPLATE)
    assert received.endswith(bad)
    # Column for column: the template's N sits over each digit of the line.
    assert expected.index(LINE1_TEMPLATE) == received.index(bad)
    assert "line 1 columns 19-32 EPOCH" in lines[0]


def test_non_ascii_is_refused_with_its_code_point() -> None:
    with pytest.raises(FormatError, match=r"non-ASCII character 'é' \(U\+00E9\) at column 13"):
        parse_tle(VANGUARD_LINE1[:12] + "é" + VANGUARD_LINE1[13:], VANGUARD_LINE2)
    with pytest.raises(FormatError, match="non-ASCII"):
        parse_tle(VANGUARD_LINE1, VANGUARD_LINE2, "0 VANGUARD Ⅰ")


# ---------------------------------------------------------------------------------------
# Vallado's verification set, read again by python-sgp4
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vallado(shared_data: Path) -> tuple[list[str], Any]:
    """SGP4-VER.TLE with its '#' annotation lines blanked (line numbers kept), and its reading."""
    text = (shared_data / "sgp4_verification/SGP4-VER.TLE").read_text(encoding="ascii")
    lines = ["" if s.startswith("#") else s for s in text.splitlines()]
    return lines, load_tle("\n".join(lines))


def test_vallado_records_and_deliberately_bad_checksums(vallado: tuple[list[str], Any]) -> None:
    lines, result = vallado
    numbers = [p.record.norad_cat_id for p in result.accepted]
    assert len(numbers) == 30
    assert numbers[:3] == [5, 4632, 6251] and numbers[-1] == 20413
    assert {11801, 88888, 23333, 28872} <= set(numbers)
    # 33333, 33334 and 33335 carry wrong checksums on purpose (lines 100-101, 103, 106-107).
    assert [(r.line, r.error.line, r.error.field) for r in result.rejected] == [
        (100, 100, "line 1 column 69 CHECKSUM"),
        (103, 103, "line 1 column 69 CHECKSUM"),
        (106, 106, "line 1 column 69 CHECKSUM"),
    ]
    assert [r.raw.split()[1] for r in result.rejected] == ["33333U", "33334U", "33335U"]
    lenient = load_tle("\n".join(lines), verify_checksum=False)
    assert len(lenient.accepted) == 33 and not lenient.rejected


def test_vallado_fields_agree_with_python_sgp4(vallado: tuple[list[str], Any]) -> None:
    _, result = vallado
    for parsed in result.accepted:
        line1, line2 = parsed.raw.split("\n")[-2:]
        sat = Satrec.twoline2rv(line1, line2)
        record = parsed.record
        assert record.norad_cat_id == sat.satnum
        assert record.eccentricity == sat.ecco
        assert math.radians(record.inclination) == pytest.approx(sat.inclo, abs=one_nanoradian)
        assert math.radians(record.ra_of_asc_node) == pytest.approx(sat.nodeo, abs=one_nanoradian)
        assert math.radians(record.arg_of_pericenter) == pytest.approx(
            sat.argpo, abs=one_nanoradian
        )
        assert math.radians(record.mean_anomaly) == pytest.approx(sat.mo, abs=one_nanoradian)
        assert record.mean_motion == pytest.approx(sat.no_kozai * xpdotp, abs=one_nano_rev_per_day)
        assert record.bstar == pytest.approx(sat.bstar, rel=1e-12, abs=0.0)
        ndot = sat.ndot * xpdotp * 1440.0
        nddot = sat.nddot * xpdotp * 1440.0 * 1440.0
        assert record.mean_motion_dot == pytest.approx(ndot, rel=1e-12, abs=0.0)
        assert record.mean_motion_ddot == pytest.approx(nddot, rel=1e-12, abs=0.0)
        start = datetime(record.epoch.year, 1, 1)
        days = (record.epoch - start).total_seconds() / 86400.0 + 1.0
        assert record.epoch.year % 100 == sat.epochyr
        assert days == pytest.approx(sat.epochdays, abs=ten_microseconds_in_days)
        assert (record.element_set_no, record.rev_at_epoch) == (sat.elnum, sat.revnum)
        assert record.classification_type == sat.classification
        designator = record.object_id or "-----"  # '1998-067A' is '98067A' in the lines
        assert (designator[2:4] + designator[5:]).strip("-") == sat.intldesg.strip()


# ---------------------------------------------------------------------------------------
# Whole inputs: resynchronisation, orphans, line endings
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue_2023(shared_data: Path) -> str:
    """The full Space-Track 3LE catalogue of 2023-10-09 (CRLF)."""
    return read_text(shared_data / CATALOGUE_2023)


@pytest.fixture()
def excerpt(catalogue_2023: str) -> list[str]:
    """The first 20 records of the 2023 catalogue, as 60 lines without terminators."""
    return catalogue_2023.split("\r\n")[:60]


def test_corrupted_record_in_the_middle_is_the_only_rejection(excerpt: list[str]) -> None:
    lines = list(excerpt)
    lines[31] = lines[31][:25] + "X" + lines[31][26:]  # record 11's line 1, in its epoch
    result = load_tle("\n".join(lines))
    assert len(result.accepted) == 19
    [rejected] = result.rejected
    assert rejected.line == 31  # its name line
    assert rejected.raw == "\n".join(lines[30:33])
    assert rejected.error.line == 32
    assert "line 32" in rejected.reason and "columns 19-32 EPOCH" in rejected.reason
    untouched = load_tle("\n".join(excerpt)).accepted
    assert result.accepted == untouched[:10] + untouched[11:]


@pytest.mark.parametrize(
    ("edit", "line", "text"),
    [
        (lambda s: s[:68] + str((int(s[68]) + 1) % 10), 2, "CHECKSUM"),
        (lambda s: s[:40], 2, "40 characters long"),
        (lambda s: s[:20] + "°" + s[21:], 2, "non-ASCII character '°' (U+00B0) at column 21"),
    ],
)
def test_one_bad_line_rejects_one_record(
    excerpt: list[str], edit: Any, line: int, text: str
) -> None:
    lines = list(excerpt)
    lines[1] = edit(lines[1])
    result = load_tle("\n".join(lines))
    assert len(result.accepted) == 19
    assert result.rejected[0].error.line == line
    assert text in result.rejected[0].reason


def test_mismatched_catalogue_numbers(excerpt: list[str]) -> None:
    lines = list(excerpt)
    line1, line2 = with_checksums(lines[1], lines[5])  # record 1's line 1, record 2's line 2
    result = load_tle("\n".join([lines[0], line1, line2, *lines[3:]]))
    [rejected] = result.rejected
    assert rejected.error.field == "line 2 columns 3-7 NORAD_CAT_ID"
    assert "line 2 is for catalogue number 11, line 1 for 5" in rejected.reason
    assert len(result.accepted) == 19


def test_orphans_and_strays_are_each_rejected_with_a_reason(excerpt: list[str]) -> None:
    # line 4: an orphan line 2; lines 5-6: a name and a line 1 whose line 2 is replaced by
    # 'garbage' (line 7), which therefore reads as that record's damaged line 2.
    lines = excerpt[:3] + excerpt[5:6] + excerpt[6:8] + ["garbage"] + excerpt[9:]
    result = load_tle("\n".join(lines))
    reasons = {r.line: r.reason for r in result.rejected}
    assert list(reasons) == [4, 5]
    assert "line 2 without a line 1 before it" in reasons[4]
    assert "must begin with 2" in reasons[5] and "received: garbage" in reasons[5]
    assert len(result.accepted) == 18  # records 1 and 4-20
    orphan1 = load_tle("\n".join(excerpt[:2] + excerpt[3:]))
    [rejected] = orphan1.rejected
    assert (rejected.line, rejected.error.line) == (1, 2)
    assert "not followed by a line 2" in rejected.reason
    assert rejected.raw == "\n".join(excerpt[:2]) and len(orphan1.accepted) == 19
    stray = load_tle("\n".join(["header", *excerpt]))
    assert [r.line for r in stray.rejected] == [1] and len(stray.accepted) == 20
    assert "not part of a TLE" in stray.rejected[0].reason


def test_line_endings_blank_lines_names_and_mixed_2le_3le(excerpt: list[str]) -> None:
    plain = load_tle("\n".join(excerpt)).records
    mixed: list[str] = []
    first_lines: list[int] = []
    for k in range(20):
        name, line1, line2 = excerpt[3 * k : 3 * k + 3]
        style = k % 3  # 0: Space-Track "0 NAME", 1: CelesTrak padded bare name, 2: no name
        record_lines = [[name], [name[2:].ljust(24)], []][style] + [line1 + " " * (k % 2), line2]
        first_lines.append(len(mixed) + 1)
        mixed += record_lines + [""] * (k % 2)  # a blank line after odd records
    for ending in ("\n", "\r\n"):
        result = load_tle(ending.join(mixed) + ending)
        assert not result.rejected
        assert [p.line for p in result.accepted] == first_lines
        for k, (parsed, record) in enumerate(zip(result.accepted, plain, strict=True)):
            want = record if k % 3 < 2 else replace(record, object_name=None)
            assert parsed.record == want
        second = first_lines[1] - 1
        assert result.accepted[1].raw == "\n".join(mixed[second : second + 3])


def test_empty_inputs_and_the_providers_no_data_answer(shared_data: Path) -> None:
    answer = (shared_data / CORPUS / "recorded/celestrak-no-gp-data-found.txt").read_text()
    assert answer == "No GP data found"
    for text in ("", "\n\r\n  \n", answer, answer + "\n"):
        result = load_tle(text)
        assert result.accepted == [] and result.rejected == []


# ---------------------------------------------------------------------------------------
# Full catalogues: counts, both readers agree, round trip, byte-for-byte writing
# ---------------------------------------------------------------------------------------


def space_track_canonical(line: str) -> str:
    """Given a catalogue TLE line, return it as the writer renders it (checksum recomputed).

    The three renderings an ElementSet cannot tell apart: blank-padded catalogue numbers
    ('  553' for '00553'), a '+' sign where a blank means the same, and '+0' as the
    exponent of a zero mantissa (Space-Track writes '-0' today, as the writer does).
    """
    chars = list(line[:68])
    if chars[2] == " ":
        chars[2:7] = line[2:7].replace(" ", "0")
    if chars[0] == "1":
        for col in (33, 44, 53):
            chars[col] = " " if chars[col] == "+" else chars[col]
        for col in (44, 53):
            if line[col + 1 : col + 6] == "00000":
                chars[col + 6] = "-"
    text = "".join(chars)
    return text + str(checksum(text))


@pytest.mark.slow
def test_catalogue_2023_reads_whole_and_writes_back_byte_for_byte(catalogue_2023: str) -> None:
    result = load_tle(catalogue_2023)
    assert len(result.accepted) == 26140 and not result.rejected
    assert [p.line for p in result.accepted] == list(range(1, 3 * 26140, 3))
    assert result.accepted[0].record.object_name == "VANGUARD 1"
    assert sum(p.record.norad_cat_id >= 270000 for p in result.accepted) == 266  # Alpha-5 'T'
    written = dump_tle(result.records, zero_prefix=True, line_ending="\r\n")
    original = catalogue_2023.split("\r\n")  # the file has no terminator after its last line
    expected = [s if s.startswith("0 ") else space_track_canonical(s) for s in original]
    assert written == "\r\n".join(expected) + "\r\n"
    assert load_tle(written).records == result.records  # and it reads back the same
    identical = sum(format_tle(p.record) == tuple(p.raw.split("\n")[1:]) for p in result.accepted)
    assert identical == 24639  # the other 1,501 differ only as space_track_canonical says


@pytest.mark.slow
def test_catalogue_2023_array_reader_agrees_with_scalar_reader(catalogue_2023: str) -> None:
    for parsed in load_tle(catalogue_2023).accepted:
        name, line1, line2 = parsed.raw.split("\n")
        assert parse_tle(line1, line2, name) == parsed.record


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "count", "names"),
    [
        ("tle_catalog/spacetrack_full_tle_2019-03-16.txt.gz", 17904, False),
        ("tle_catalog/leo_payloads_3le_2026-06-10.txt.gz", 16032, True),
    ],
)
def test_catalogue_round_trip(shared_data: Path, path: str, count: int, names: bool) -> None:
    # The 2023 catalogue's round trip is part of its byte-for-byte test above.
    result = load_tle(read_text(shared_data / path))
    assert len(result.accepted) == count and not result.rejected
    assert all((p.record.object_name is not None) == names for p in result.accepted)
    assert [p.line for p in result.accepted] == list(range(1, (2 + names) * count, 2 + names))
    written = dump_tle(result.records)  # names, if any, bare as CelesTrak writes them
    again = load_tle(written)
    assert not again.rejected
    assert again.records == result.records


# ---------------------------------------------------------------------------------------
# The gpconf corpus
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(shared_data: Path) -> Path:
    return shared_data / CORPUS


@pytest.fixture(scope="module")
def alpha5_vectors(corpus: Path) -> dict[str, Any]:
    vectors: dict[str, Any] = read_json(corpus / "vectors/alpha5.json")
    return vectors


def test_alpha5_vectors_decode_and_encode(alpha5_vectors: dict[str, Any]) -> None:
    groups = ("official_examples", "boundaries", "skip_boundaries", "below_100000")
    pairs = [(v["norad_cat_id"], v["field"]) for g in groups for v in alpha5_vectors[g]]
    assert len(pairs) == 64
    for number, field in pairs:
        assert decode_catalog_field(field) == number
        assert encode_catalog_field(number) == field
    for letter, value in alpha5_vectors["letter_table"].items():
        assert decode_catalog_field(letter + "0000") == value * 10000


def test_alpha5_invalid_fields_are_refused(alpha5_vectors: dict[str, Any]) -> None:
    cases = alpha5_vectors["decode_invalid"]
    assert {c["field"] for c in cases} == {"I0000", "O1234", "a0000", "AA000", "A000", "1A000"}
    for case in cases:
        with pytest.raises(ValueError, match="not five digits, or Alpha-5"):
            decode_catalog_field(case["field"])
        if len(case["field"]) == 5:  # and in a real line, through the reader
            line1, line2 = with_checksums(
                VANGUARD_LINE1[:2] + case["field"] + VANGUARD_LINE1[7:],
                VANGUARD_LINE2[:2] + case["field"] + VANGUARD_LINE2[7:],
            )
            [rejected] = load_tle(f"{line1}\n{line2}\n").rejected
            assert rejected.error.field == "line 1 columns 3-7 NORAD_CAT_ID"


def test_alpha5_unrepresentable_numbers_are_refused_by_the_writer(
    alpha5_vectors: dict[str, Any],
) -> None:
    record = parse_tle(VANGUARD_LINE1, VANGUARD_LINE2)
    numbers = [v["norad_cat_id"] for v in alpha5_vectors["encode_unrepresentable"]]
    assert numbers == [340000, 799501621, -1]
    for number in numbers:
        with pytest.raises(FormatError, match=f"catalogue number {number} cannot be written"):
            format_tle(replace(record, norad_cat_id=number))
        with pytest.raises(FormatError):
            dump_tle([record, replace(record, norad_cat_id=number)])


def test_two_digit_year_vectors(corpus: Path) -> None:
    vectors = read_json(corpus / "vectors/two-digit-epoch-year.json")
    by_year = {v["yy"]: v["year"] for v in vectors["vectors"]}
    text = (corpus / "derived/alpha5-tle/alpha5-synthetic-epoch-years.tle").read_text()
    result = load_tle(text)
    assert len(result.accepted) == 100 and not result.rejected
    for parsed in result.accepted:
        yy = parsed.raw.split("\n")[1][18:20]
        assert parsed.record.epoch.year == by_year.get(yy, int(yy) + (1900 if yy >= "57" else 2000))
    assert {yy for yy in by_year} <= {p.raw.split("\n")[1][18:20] for p in result.accepted}
    iss_line1 = "1 25544U 98067A   98324.28472222 -.00003657  11563-4  00000+0 0    10"
    iss_line2 = "2 25544  51.5908 168.3788 0125362  86.4185 359.7454 16.05064833    05"
    for example in vectors["epoch_field_examples"]:
        line1, line2 = with_checksums(
            iss_line1[:18] + example["tle_epoch_field"] + iss_line1[32:], iss_line2
        )
        assert parse_tle(line1, line2).epoch.isoformat() == example["iso"]


def expected_element_set(values: dict[str, Any]) -> dict[str, Any]:
    """Given a corpus record's values (decimal strings), return ElementSet fields."""
    floats = [
        "mean_motion",
        "eccentricity",
        "inclination",
        "ra_of_asc_node",
        "arg_of_pericenter",
        "mean_anomaly",
        "bstar",
        "mean_motion_dot",
        "mean_motion_ddot",
    ]
    fields: dict[str, Any] = {k: float(values[k]) for k in floats}
    fields["epoch"] = datetime.fromisoformat(values["epoch"])
    as_is = ("norad_cat_id", "object_id", "classification_type", "ephemeris_type")
    for key in (*as_is, "element_set_no", "rev_at_epoch"):
        fields[key] = values[key]
    return fields


ALPHA5_FILES = [
    "alpha5-A-100000-saramago-first.tle",
    "alpha5-T-270449-analyst-first.tle",
    "alpha5-A-last-30-days-snapshot.tle",
    "alpha5-T-analyst-27xxxx-snapshot.tle",
    "alpha5-synthetic-letters.tle",
    "alpha5-synthetic-epoch-years.tle",
]


@pytest.mark.parametrize("name", ALPHA5_FILES)
def test_alpha5_derived_tle_values(corpus: Path, name: str) -> None:
    expected = [
        r
        for r in read_json(corpus / "fixtures/alpha5-tle-derived/expected.json")["records"]
        if r["derived_file"] == name
    ]
    result = load_tle((corpus / "derived/alpha5-tle" / name).read_text())
    assert not result.rejected
    assert len(result.accepted) == len(expected) > 0
    for parsed, want in zip(result.accepted, expected, strict=True):
        tle_values = {**want["canonical"], **want["by_format"]["tle"]["differs_from_omm"]}
        record = parsed.record
        assert record.norad_cat_id == want["alpha5"]["decodes_to"] == want["norad_cat_id"]
        for key, value in expected_element_set(tle_values).items():
            assert getattr(record, key) == value, (want["norad_cat_id"], key)
        assert record.object_name == tle_values["object_name"][:24]  # a 24-column name line
        line1, line2 = parsed.raw.split("\n")[1:]
        assert line1[2:7] == line2[2:7] == want["alpha5"]["expected_field"]


CORRUPT_TLE_FILES = {
    "c1-checksum-digit.tle": (5, "line 1 column 69 CHECKSUM"),
    "c2-line-2-short.tle": (6, "line 2 columns 1-69"),
    "c3-letter-in-epoch.tle": (5, "line 1 columns 19-32 EPOCH"),
    "c4-line-2-missing.tle": (5, "line 2"),
}


@pytest.mark.parametrize("name", sorted(CORRUPT_TLE_FILES))
def test_corrupt_input_refused_and_neighbours_load(corpus: Path, name: str) -> None:
    case = read_json(corpus / "fixtures/corrupt-input/expected.json")
    spec = case["case_specific"]["files"][name]
    assert spec["format"] == "tle"
    records = [r for r in case["records"] if r["file"] == name]
    unedited = load_tle((corpus / spec["unedited"]).read_text()).accepted
    assert [p.record.norad_cat_id for p in unedited] == [r["norad_cat_id"] for r in records]
    result = load_tle((corpus / "derived/corrupt-input" / name).read_text())
    valid = [r["norad_cat_id"] for r in records if r["role"] == "valid"]
    assert [p.record.norad_cat_id for p in result.accepted] == valid
    for parsed in result.accepted:  # exactly as from the unedited file
        assert parsed.record in [p.record for p in unedited]
    [rejected] = result.rejected
    assert rejected.reason
    assert rejected.raw.split("\n")[1][2:7] == str(spec["corrupt_norad_cat_id"])
    assert (rejected.error.line, rejected.error.field) == CORRUPT_TLE_FILES[name]
    if name.startswith("c1"):  # without the checksum the set reads as the unedited one
        lenient = load_tle(
            (corpus / "derived/corrupt-input" / name).read_text(), verify_checksum=False
        )
        assert lenient.records == [p.record for p in unedited] and not lenient.rejected


def test_corrupt_input_neighbour_values(corpus: Path) -> None:
    case = read_json(corpus / "fixtures/corrupt-input/expected.json")
    unedited = load_tle((corpus / "derived/corrupt-input/unedited-sets.tle").read_text())
    want = [r["expected"] for r in case["records"] if r["file"] == "c1-checksum-digit.tle"]
    for parsed, values in zip(unedited.accepted, want, strict=True):
        for key, value in expected_element_set(values).items():
            assert getattr(parsed.record, key) == value, (values["norad_cat_id"], key)


def half_up(text: str, places: int) -> Decimal:
    """Given a decimal string, return it rounded half up to ``places`` decimals."""
    return Decimal(text).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def test_writer_against_the_corpus_renderings(corpus: Path) -> None:
    case = read_json(corpus / "fixtures/tle-writer-alpha5/expected.json")
    columns = {
        "catalog_field": (0, 2, 7),
        "intl_designator_field": (0, 9, 17),
        "epoch_field": (0, 18, 32),
        "ndot_field": (0, 33, 43),
        "nddot_field": (0, 44, 52),
        "bstar_field": (0, 53, 61),
        "element_set_field": (0, 64, 68),
        "ecc_field": (1, 26, 33),
        "rev_field": (1, 63, 68),
    }
    written = 0
    for item in case["records"]:
        record = ElementSet(**expected_element_set(item["canonical"]))
        if not item["representable_in_tle"]:
            with pytest.raises(FormatError, match=str(item["norad_cat_id"])):
                format_tle(record)
            continue
        lines = format_tle(record)
        assert [len(s) for s in lines] == [69, 69]
        assert lines[0][2:7] == lines[1][2:7] == item["expected_catalog_field"]
        for key, (which, start, stop) in columns.items():
            got, reference = lines[which][start:stop], item["reference_tle_fields"][key]
            if key == "ecc_field":  # CelesTrak truncates, Space-Track (and we) round
                reference = str(half_up(item["canonical"]["eccentricity"], 7))[2:]
            elif reference.strip("+- ") == "00000+0":  # zero: CelesTrak '+0', Space-Track '-0'
                reference = reference[:-2] + "-0"
            assert got == reference, (item["norad_cat_id"], key)
        again = parse_tle(*lines)
        assert again.norad_cat_id == record.norad_cat_id
        assert again.epoch == record.epoch  # OMM epochs here sit on the 864 us grid
        written += 1
    assert written == 753


# ---------------------------------------------------------------------------------------
# The writer's refusals and options
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inclination": 180.5}, "INCLINATION"),
        ({"ra_of_asc_node": -0.5}, "RA_OF_ASC_NODE"),
        ({"eccentricity": 1.0}, "ECCENTRICITY"),
        ({"mean_motion": 100.0}, "MEAN_MOTION"),
        ({"mean_motion": 0.0}, "MEAN_MOTION"),
        ({"mean_motion_dot": 1.0}, "MEAN_MOTION_DOT"),
        ({"bstar": 2.5e9}, "BSTAR"),
        ({"mean_motion_ddot": math.nan}, "MEAN_MOTION_DDOT"),
        ({"rev_at_epoch": 100000}, "REV_AT_EPOCH"),
        ({"element_set_no": -1}, "ELEMENT_SET_NO"),
        ({"epoch": datetime(2057, 1, 1)}, "EPOCH"),
        ({"object_id": "1998-67A"}, "OBJECT_ID"),
        ({"classification_type": "X"}, "CLASSIFICATION_TYPE"),
        ({"ephemeris_type": 10}, "EPHEMERIS_TYPE"),
    ],
)
def test_writer_refuses_values_the_columns_cannot_hold(change: dict[str, Any], field: str) -> None:
    record = parse_tle(STR3_LINE1, STR3_LINE2)
    with pytest.raises(FormatError) as caught:
        format_tle(replace(record, **change))
    assert caught.value.field == field


def test_writer_reproduces_reference_lines_and_options() -> None:
    record = parse_tle(STR3_LINE1, STR3_LINE2)
    assert format_tle(record) == (STR3_LINE1, STR3_LINE2)
    vanguard = parse_tle(VANGUARD_LINE1, VANGUARD_LINE2, "0 VANGUARD 1")
    assert format_tle(vanguard) == (VANGUARD_LINE1, VANGUARD_LINE2)
    pair = [vanguard, record]
    three_and_two = ["VANGUARD 1", VANGUARD_LINE1, VANGUARD_LINE2, STR3_LINE1, STR3_LINE2]
    assert dump_tle(pair) == "\n".join(three_and_two) + "\n"
    assert dump_tle(pair, names=False).count("\n") == 4
    assert dump_tle(pair, zero_prefix=True, line_ending="\r\n").startswith("0 VANGUARD 1\r\n1 ")
    assert dump_tle([]) == ""
    with pytest.raises(ValueError, match="line_ending"):
        dump_tle(pair, line_ending="\r")
    with pytest.raises(FormatError, match="OBJECT_NAME"):
        dump_tle([replace(record, object_name="1 WEB")])


def test_writer_rounds_to_the_field_resolution() -> None:
    record = parse_tle(STR3_LINE1, STR3_LINE2)
    finer = replace(
        record,
        epoch=datetime(1980, 10, 1, 23, 41, 24, 113760 + 431),  # under half of 864 us
        eccentricity=0.00867314,
        bstar=0.668164e-4,
        inclination=72.84349,
    )
    assert format_tle(finer) == (STR3_LINE1, STR3_LINE2)
    year_end = replace(record, epoch=datetime(1999, 12, 31, 23, 59, 59, 999900))
    assert format_tle(year_end)[0][18:32] == "00001.00000000"
    tiny = replace(record, bstar=-0.12346e-10)  # below 0.1e-9: mantissa loses digits
    assert format_tle(tiny)[0][53:61] == "-01235-9"
    assert parse_tle(*format_tle(tiny)).bstar == -0.01235e-9


def test_templates_match_the_layout() -> None:
    for template, line in ((LINE1_TEMPLATE, STR3_LINE1), (LINE2_TEMPLATE, VANGUARD_LINE2)):
        assert len(template) == len(line) == 69
        assert all(line[i] == " " for i, c in enumerate(template) if c == " ")
    assert checksum(STR3_LINE1) == 7 and checksum(VANGUARD_LINE2) == 7


def test_comment_lines_are_not_records(shared_data: Path) -> None:
    path = shared_data / "tle_history" / "celestrak_active_2025-11-25.txt.gz"
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.startswith("# TLE Data Last Updated")
    result = load_tle(text)
    assert result.rejected == []
    assert len(result.accepted) == sum(1 for s in text.splitlines() if s.startswith("1 "))
    assert result.accepted[0].line == 2  # the name line after the comment
