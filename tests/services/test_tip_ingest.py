"""TIP messages through the ingest path on both backends: Space-Track's real messages stored
with provenance, sent again as duplicates, bad records rejected alone with index and reason."""

from __future__ import annotations

import json
from pathlib import Path

from accord.services.ingest import ingest_bytes, ingest_file
from accord.services.store import Store
from accord.storage import repositories as repo

TIP = "reentry/keeptrack_tip_messages.json"


def test_real_tip_messages_are_stored_once(store: Store, shared_data: Path) -> None:
    path = shared_data / TIP
    first = ingest_file(store, path)
    assert (first.format, first.records, first.accepted, first.rejected) == ("tip", 100, 100, 0)
    again = ingest_file(store, path, fmt="tip")
    assert (again.accepted, again.duplicates) == (0, 100)
    source = json.loads(path.read_text())
    with store.engine.connect() as conn:
        rows = repo.tip_messages_with_provenance(conn)
        objects = repo.objects_by_id(conn, [int(m["NORAD_CAT_ID"]) for m in source])
    assert len(rows) == 100 and len(objects) == 22
    by_id = {str(r.message_id): r for r in rows}
    for message in source:
        row = by_id[message["ID"]]
        assert row.norad_cat_id == int(message["NORAD_CAT_ID"])
        assert row.decay_epoch.isoformat(" ") == message["DECAY_EPOCH"]
        assert (row.lat_deg, row.lon_deg) == (float(message["LAT"]), float(message["LON"]))
        assert row.window_min == int(message["WINDOW"]) and row.direction == message["DIRECTION"]
        assert (row.source_code, row.releasability, row.submission_id) == (
            "LOCAL",
            "agreement",
            first.submission_id,
        )


def test_bad_tip_records_are_rejected_alone(store: Store, shared_data: Path) -> None:
    messages = json.loads((shared_data / TIP).read_text())[:4]
    messages[1] = {**messages[1], "LON": "east"}
    messages[2] = {k: v for k, v in messages[2].items() if k != "NORAD_CAT_ID"}
    body = json.dumps(messages, indent=2).encode()
    summary = ingest_bytes(store, body, filename="tip.json", fmt="tip")
    assert (summary.records, summary.accepted, summary.rejected) == (4, 2, 2)
    assert [(r.field, r.line) for r in summary.rejections] == [("LON", 18), ("NORAD_CAT_ID", 34)]
    assert "record 2: not a number in range" in summary.rejections[0].reason
    assert summary.submission_id is not None
    with store.engine.connect() as conn:
        kept = repo.rejections_of(conn, summary.submission_id)
        stored = {r.message_id for r in repo.tip_messages_with_provenance(conn)}
    assert [json.loads(r.raw) for r in kept] == [messages[1], messages[2]]
    assert stored == {int(messages[0]["ID"]), int(messages[3]["ID"])}
