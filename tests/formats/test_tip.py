"""The TIP reader on Space-Track's real TIP messages (shared data, read in place), and its
rejections: each bad record with its index, line, field and reason, the good ones kept."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from accord.formats.detect import detect_format, load
from accord.formats.tip import TipMessage, dump_tip_json, load_tip_json

TIP = "reentry/keeptrack_tip_messages.json"


@pytest.fixture(scope="module")
def text(shared_data: Path) -> str:
    return (shared_data / TIP).read_text()


def test_real_messages(text: str) -> None:
    result = load_tip_json(text)
    assert (len(result.accepted), len(result.rejected)) == (100, 0)
    source = json.loads(text)
    assert len({m.norad_cat_id for m in result.records}) == 22
    first = result.accepted[0]
    assert first.line == 2 and json.loads(first.raw) == source[0]
    assert first.record == TipMessage(
        norad_cat_id=41461,
        message_id=34184,
        msg_epoch=datetime(2024, 8, 7, 4, 2),
        decay_epoch=datetime(2024, 8, 10, 4, 30),
        insert_epoch=datetime(2024, 8, 7, 4, 16, 19),
        window_min=900,
        rev=45748,
        direction="ascending",
        lat_deg=67.0,
        lon_deg=80.5,
        incl_deg=98.1,
        next_report_h=48,
        high_interest="N",
        object_number=41461,
    )
    for message, raw in zip(result.records, source, strict=True):
        assert message.message_id == int(raw["ID"])
        assert message.decay_epoch == datetime.fromisoformat(raw["DECAY_EPOCH"])
        assert message.lon_deg == float(raw["LON"])


def test_round_trip(text: str) -> None:
    records = load_tip_json(text).records
    written = dump_tip_json(records)
    assert json.loads(written) == json.loads(text)  # Space-Track's strings, value for value
    assert load_tip_json(written).records == records


def test_detected_and_not_element_sets(text: str) -> None:
    assert detect_format(text) == "tip"
    assert detect_format(text.encode(), "tip.json") == "tip"
    with pytest.raises(ValueError, match="tip files hold no element sets"):
        load(text, "tip")


def _with(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = {**message, **changes}
    return {k: v for k, v in out.items() if v is not ...}


def test_bad_records_are_rejected_with_index_and_reason(text: str) -> None:
    good = json.loads(text)[:3]
    bad: list[Any] = [
        good[0],
        _with(good[1], DECAY_EPOCH=...),
        _with(good[1], LAT="91"),
        _with(good[1], DIRECTION="sideways"),
        _with(good[1], MEAN_MOTION="15.5"),
        _with(good[1], OBJECT_NUMBER="41462"),
        _with(good[1], MSG_EPOCH="2024-08-07"),
        _with(good[1], WINDOW="-5"),
        ["not", "an", "object"],
        good[2],
    ]
    body = json.dumps(bad, indent=1)
    result = load_tip_json(body)
    kept = [p.record.message_id for p in result.accepted]
    assert kept == [int(good[0]["ID"]), int(good[2]["ID"])]
    reasons = [(r.error.field, r.error.message) for r in result.rejected]
    assert reasons == [
        ("DECAY_EPOCH", "record 2: DECAY_EPOCH is missing"),
        ("LAT", "record 3: not a number in range"),
        ("DIRECTION", "record 4: not one of the values allowed"),
        ("MEAN_MOTION", "record 5: not a TIP key"),
        ("OBJECT_NUMBER", "record 6: OBJECT_NUMBER differs from NORAD_CAT_ID"),
        ("MSG_EPOCH", "record 7: not an epoch"),
        ("WINDOW", "record 8: not a whole number"),
        (None, "record 9: not a JSON object"),
    ]
    lines = body.splitlines()
    for rejected in result.rejected:  # each at the line its record opens, its text kept
        assert rejected.line is not None and lines[rejected.line - 1].strip() in ("{", "[")
        assert json.loads(rejected.raw) in bad
    assert "expected: ascending or descending" in result.rejected[2].reason
    assert "received: 91" in result.rejected[1].reason


def test_duplicate_key_and_cut_file(text: str) -> None:
    one = json.dumps(json.loads(text)[0])
    twice = one.replace('"ID": "34184"', '"ID": "34184", "ID": "34185"')
    result = load_tip_json(f"[{one}, {twice}]")
    assert len(result.accepted) == 1 and result.rejected[0].error.field == "ID"
    assert "key ID given twice" in result.rejected[0].reason
    cut = load_tip_json(f"[{one}, {one[:40]}")
    assert len(cut.accepted) == 1 and len(cut.rejected) == 1
    assert cut.rejected[0].reason.startswith("line 1: record 2: not valid JSON")
