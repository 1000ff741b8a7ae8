"""``accord screen --scheduler``: the demo catalogue screened on a LocalCluster of 2 workers."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from distributed import LocalCluster

import accord.services.cluster
from accord.cli.main import cli
from accord.services.demo import DEMO_DIR

SAMPLE = DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a LocalCluster of two single-threaded worker processes."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_screen_on_a_scheduler_gives_the_same_run(tmp_path: Path, scheduler: str) -> None:
    here = run(tmp_path, "screen", "--input", str(SAMPLE), "--window", "2d", "--json")
    there = run(tmp_path, "screen", "--input", str(SAMPLE), "--window", "2d", "--json",
                "--scheduler", scheduler)  # fmt: skip
    assert here.exit_code == 0 and there.exit_code == 0, there.output
    mine, theirs = json.loads(here.output), json.loads(there.output)
    assert len(mine["conjunctions"]) > 10
    assert theirs["conjunctions"] == mine["conjunctions"]


def test_the_setting_names_the_scheduler(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screening of the store (the run stored) on the scheduler of the setting."""
    home = tmp_path / "home"
    assert run(home, "init").exit_code == 0
    assert run(home, "ingest", "--demo").exit_code == 0
    here = json.loads(run(home, "screen", "--window", "3h", "--json").output)
    monkeypatch.setenv("ACCORD_SCREENING_SCHEDULER", scheduler)
    result = run(home, "screen", "--window", "3h", "--json")
    assert result.exit_code == 0, result.output
    there = json.loads(result.output)
    assert there["run_id"] == here["run_id"] + 1
    assert there["conjunctions"] == here["conjunctions"] and here["conjunctions"]


def test_no_scheduler_at_the_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accord.services.cluster, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run(tmp_path, "screen", "--input", str(SAMPLE), "--window", "1h",
                 "--scheduler", f"tcp://127.0.0.1:{port}")  # fmt: skip
    assert result.exit_code == 1
    assert f"could not connect to a Dask scheduler at tcp://127.0.0.1:{port}" in result.output
