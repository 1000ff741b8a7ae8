"""Every real catalogue ingests with zero lost records; a killed ingest loses nothing."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from accord.cli.main import cli
from accord.services.catalogue import current_catalogue
from accord.services.ingest import ingest_file
from accord.services.store import Store, init_store
from accord.settings import Settings
from accord.storage import repositories as repo
from accord.storage.tables import element_sets, rejections, submissions

CATALOGUES = [
    "spacetrack_full_tle_2019-03-16.txt.gz",
    "spacetrack_full_3le_2019-03-19.txt.gz",
    "spacetrack_full_3le_2019-12-19.txt.gz",
    "spacetrack_full_3le_2021-05-29.txt.gz",
    "spacetrack_full_3le_2022-01-22.txt.gz",
    "spacetrack_full_3le_2022-07-14.txt.gz",
    "spacetrack_full_3le_2023-09-04.txt.gz",
    "spacetrack_full_3le_2023-10-09.txt",
    "leo_payloads_3le_2026-06-10.txt.gz",
    "celestrak_active_gp_omm_2026-07-10.csv.gz",
    "celestrak_debris_groups_gp_omm_2026-08-11.json.gz",
]
FULL_2023 = "spacetrack_full_3le_2023-10-09.txt"


def _text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _independent_count(path: Path) -> tuple[int, set[str]]:
    """Count records and distinct catalogue numbers without Accord's parsers."""
    text = _text(path)
    if path.name.endswith((".json", ".json.gz")):
        records = json.loads(text)
        return len(records), {str(r["NORAD_CAT_ID"]) for r in records}
    if path.name.endswith((".csv", ".csv.gz")):
        rows = list(csv.DictReader(io.StringIO(text)))
        return len(rows), {r["NORAD_CAT_ID"] for r in rows}
    ones = [line for line in text.splitlines() if line.startswith("1 ")]
    return len(ones), {line[2:7].strip() for line in ones}


@pytest.mark.slow
@pytest.mark.parametrize("name", CATALOGUES)
def test_every_catalogue_ingests_with_zero_lost_records(
    name: str, shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / "tle_catalog" / name
    n_records, distinct = _independent_count(path)
    settings = Settings(home=tmp_path, database_url=None)
    store = init_store(settings)
    try:
        summary = ingest_file(store, path)
        assert summary.records == n_records
        assert summary.accepted + summary.duplicates + summary.rejected == n_records
        assert all(r.reason for r in summary.rejections)
        with store.engine.connect() as conn:
            stored_rejections = conn.execute(select(func.count()).select_from(rejections))
            assert stored_rejections.scalar_one() == summary.rejected
            stored = conn.execute(select(func.count()).select_from(element_sets)).scalar_one()
        assert stored == summary.accepted
    finally:
        store.close()
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "catalogue", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert len(listed) == len(distinct)
    if name == FULL_2023:
        assert len(listed) == 26_140


def test_full_catalogue_on_both_backends(store: Store, shared_data: Path) -> None:
    path = shared_data / "tle_catalog" / FULL_2023
    summary = ingest_file(store, path)
    assert (summary.accepted, summary.duplicates, summary.rejected) == (26_140, 0, 0)
    assert len(current_catalogue(store)) == 26_140
    again = ingest_file(store, path)
    assert (again.accepted, again.duplicates) == (0, 26_140)


_CHILD = """
import sys
from pathlib import Path
from accord.services.ingest import ingest_file
from accord.services.store import open_store
store = open_store()
ingest_file(store, Path(sys.argv[1]))
"""


def test_sigkill_mid_ingest_leaves_a_consistent_store(
    store: Store, settings: Settings, shared_data: Path
) -> None:
    path = shared_data / "tle_catalog" / FULL_2023
    env = {
        **os.environ,
        "ACCORD_HOME": str(settings.home),
        "ACCORD_DATABASE_URL": settings.url,
        "ACCORD_INGEST_BATCH_SIZE": "1000",
    }
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)], env=env)
    deadline = time.monotonic() + 120
    committed = 0
    while committed < 3000 and time.monotonic() < deadline and child.poll() is None:
        with store.engine.connect() as conn:
            committed = conn.execute(select(func.count()).select_from(element_sets)).scalar_one()
        time.sleep(0.02)
    assert child.poll() is None, "the ingest finished before it could be killed"
    child.send_signal(signal.SIGKILL)
    child.wait()

    with store.engine.connect() as conn:
        sub = conn.execute(select(submissions)).one()
        stored = conn.execute(select(func.count()).select_from(element_sets)).scalar_one()
    assert sub.status == "in-progress"
    assert stored >= committed >= 3000
    # Whole batches only, and the submission's counts agree with what is stored.
    assert stored % 1000 == 0
    assert sub.accepted == stored == sub.records

    summary = ingest_file(store, path)
    assert summary.accepted == 26_140 - stored and summary.duplicates == stored
    with store.engine.connect() as conn:
        assert repo.count_element_sets(conn) == 26_140
    assert len(current_catalogue(store)) == 26_140
