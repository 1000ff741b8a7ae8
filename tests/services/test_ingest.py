"""Ingest: idempotence, rejections kept with reasons, history, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.errors import FormatError
from accord.formats.omm import dump_omm_json
from accord.formats.tle import load_tle
from accord.services.catalogue import current_catalogue, current_entry, history
from accord.services.demo import DEMO_DIR
from accord.services.ingest import decode_submission, ingest_bytes, ingest_file
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo
from accord.storage.tables import element_sets, rejections, submissions

DEMO_NEW = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"
DEMO_OLD = DEMO_DIR / "celestrak_active_2025-11-25_sample.txt"


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_ingest_counts_every_record(store: Store) -> None:
    expected = sum(1 for line in DEMO_NEW.read_text().splitlines() if line.startswith("1 "))
    summary = ingest_file(store, DEMO_NEW)
    assert summary.format == "tle"
    assert (summary.records, summary.accepted, summary.duplicates, summary.rejected) == (
        expected,
        expected,
        0,
        0,
    )
    assert len(current_catalogue(store)) == expected
    iss = current_entry(store, 25544)
    assert iss.elements.object_name == "ISS (ZARYA)"
    assert iss.source == "LOCAL"
    # The raw message is kept as received.
    with store.engine.connect() as conn:
        row = repo.submission(conn, summary.submission_id or 0)
    assert row is not None and row.raw == DEMO_NEW.read_bytes() and row.status == "complete"


def test_ingesting_twice_changes_nothing(store: Store) -> None:
    first = ingest_file(store, DEMO_NEW)
    before = (_count(store, element_sets), [e.to_dict() for e in current_catalogue(store)])
    second = ingest_file(store, DEMO_NEW)
    assert second.accepted == 0
    assert second.duplicates == first.accepted
    after = (_count(store, element_sets), [e.to_dict() for e in current_catalogue(store)])
    assert before == after


def test_same_element_set_in_another_format_is_a_duplicate(store: Store) -> None:
    ingest_file(store, DEMO_NEW)
    records = load_tle(DEMO_NEW.read_text()).records
    again = ingest_bytes(store, dump_omm_json(records).encode(), filename="same.json")
    assert again.format == "omm-json"
    assert (again.accepted, again.duplicates) == (0, len(records))


def test_a_bad_record_is_rejected_and_the_others_kept(store: Store) -> None:
    lines = DEMO_NEW.read_text().splitlines()
    # Corrupt the 5th record's line 2 (its mean motion), which breaks its checksum.
    bad_line = 4 * 3 + 3  # 1-based number of that line 2
    original = lines[bad_line - 1]
    lines[bad_line - 1] = original[:52] + ("9" if original[52] != "9" else "8") + original[53:]
    text = "\n".join(lines[:30]) + "\n"
    summary = ingest_bytes(store, text.encode(), filename="ten.tle")
    assert (summary.records, summary.accepted, summary.rejected) == (10, 9, 1)
    (rejection,) = summary.rejections
    assert rejection.line in (bad_line - 2, bad_line)
    assert "checksum" in rejection.reason.lower()
    with store.engine.connect() as conn:
        (row,) = conn.execute(select(rejections)).all()
    assert lines[bad_line - 1].encode() in row.raw
    assert row.reason == rejection.reason


def test_unreadable_submission_is_kept_with_its_reason(store: Store) -> None:
    data = b"\x00\x01\xff\xfe garbage \xff"
    summary = ingest_bytes(store, data, filename="junk.bin")
    assert summary.accepted == 0 and summary.rejected == 1
    with store.engine.connect() as conn:
        (submission_id,) = conn.execute(select(submissions.c.id)).one()
        row = repo.submission(conn, submission_id)
    assert row is not None and row.status == "rejected" and row.raw == data and row.reason


def test_history_keeps_every_element_set(store: Store) -> None:
    for path in sorted(DEMO_DIR.glob("celestrak_active_*_sample.txt")):
        ingest_file(store, path)
    entries = history(store, 25544)
    assert len(entries) == 3
    epochs = [e.elements.epoch for e in entries]
    assert epochs == sorted(epochs)
    assert current_entry(store, 25544).elements.epoch == epochs[-1]
    window = history(store, 25544, start=epochs[1], end=epochs[1])
    assert [e.elements.epoch for e in window] == [epochs[1]]


def test_gzip_and_source_partner(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "old.txt.gz"
    path.write_bytes(gzip.compress(DEMO_OLD.read_bytes()))
    with store.engine.begin() as conn:
        repo.add_partner(conn, "ESA", "European Space Agency", "agency", None, utcnow())
    summary = ingest_file(store, path, source="ESA")
    assert summary.filename == "old.txt" and summary.accepted > 300
    assert {e.source for e in current_catalogue(store)} == {"ESA"}
    assert json.dumps(summary.to_dict())


def test_gzip_members_padding_and_expansion_bound() -> None:
    text = DEMO_OLD.read_text()
    half = len(text) // 2
    members = gzip.compress(text[:half].encode()) + gzip.compress(text[half:].encode())
    assert decode_submission(members + b"\x00" * 8) == text  # members joined, padding skipped
    bomb = gzip.compress(b"0" * 10_000_000)  # about 10 kB expanding to 10 MB
    assert len(bomb) < 20_000
    with pytest.raises(FormatError, match="expands past the limit") as refused:
        decode_submission(bomb, limit=1_000_000)
    assert refused.value.expected == "at most 1000000 bytes once decompressed"
    assert len(decode_submission(bomb, limit=10_000_000)) == 10_000_000
    with pytest.raises(FormatError, match="not a whole gzip file"):
        decode_submission(members + b"trailing garbage")
