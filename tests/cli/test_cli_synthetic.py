"""``accord synthetic``: synthetic catalogues from the demo catalogue, written, read back and
screened."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from accord.cli.main import cli
from accord.formats.detect import detect_format, load
from accord.services.demo import DEMO_DIR
from accord.services.propagation import satrec_of

SAMPLE = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def test_written_read_back_and_screened(tmp_path: Path) -> None:
    out = tmp_path / "synthetic.csv"
    done = run(tmp_path, "synthetic", "3000", "--reference", str(SAMPLE), "--seed", "7",
               "--output", str(out))  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "wrote 3000 synthetic objects drawn from 378 element sets (seed 7)" in done.output
    text = out.read_text()
    records = load(text, detect_format(text, out.name)).records
    assert len(records) == 3000
    assert [r.norad_cat_id for r in records[:2]] == [900_000_000, 900_000_001]
    assert records[0].object_name == "SYNTH-900000000"
    assert len({r.epoch for r in records}) == 1
    assert all(0.0 <= r.ra_of_asc_node < 360.0 for r in records)
    # Written and read back, each object propagates as the generator's own elements do.
    sats = [satrec_of(r) for r in records[:50]]
    assert all(s.sgp4(s.jdsatepoch, s.jdsatepochF + 0.1)[0] == 0 for s in sats)
    again = run(tmp_path, "synthetic", "3000", "--reference", str(SAMPLE), "--seed", "7")
    assert again.output == text  # the same seed, the same catalogue
    screened = run(tmp_path, "screen", "--input", str(out), "--window", "2h", "--json")
    assert screened.exit_code == 0, screened.output
    found = json.loads(screened.output)["conjunctions"]
    assert len(found) > 50  # 3,000 objects in the demo's few shells: dense
    assert all(c["object1"] >= 900_000_000 and c["miss_distance_km"] < 5 for c in found)


def test_tle_needs_numbers_that_fit(tmp_path: Path) -> None:
    refused = run(tmp_path, "synthetic", "2", "--reference", str(SAMPLE), "--format", "3le")
    assert refused.exit_code == 1
    assert "cannot be written as TLE" in refused.output and "NORAD_CAT_ID" in refused.output
    done = run(tmp_path, "synthetic", "2", "--reference", str(SAMPLE), "--format", "3le",
               "--first-number", "100000")  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == "SYNTH-100000" and lines[1].startswith("1 A0000U")


def test_from_the_store(tmp_path: Path) -> None:
    assert run(tmp_path, "init").exit_code == 0
    assert run(tmp_path, "ingest", str(SAMPLE)).exit_code == 0
    done = run(tmp_path, "synthetic", "10", "--format", "omm-json")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)
    assert len(rows) == 10 and rows[0]["OBJECT_NAME"] == "SYNTH-900000000"
    empty = tmp_path / "empty"
    assert run(empty, "init").exit_code == 0
    refused = run(empty, "synthetic", "10")
    assert refused.exit_code == 1 and "no SGP4 element sets" in refused.output
