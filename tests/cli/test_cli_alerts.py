"""``accord alerts`` end to end on a real SQLite store (CliRunner)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from click.testing import CliRunner, Result

from accord.cli.main import cli
from accord.services import alerts
from accord.services.store import open_store
from accord.settings import load_settings


def run(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--home", str(home), *args])


def test_webhooks_alerts_and_acknowledgement(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run(home, "init").exit_code == 0
    assert run(home, "partner", "add", "DEU", "--name", "GSSAC").exit_code == 0
    assert run(home, "partner", "add", "ITA", "--name", "ASI").exit_code == 0
    for email, code, role in [("ops@deu.example", "DEU", "operator"),
                              ("ops@ita.example", "ITA", "operator")]:  # fmt: skip
        assert run(home, "user", "add", email, "--partner", code, "--role", role).exit_code == 0

    added = run(home, "alerts", "webhook", "add", "DEU", "https://ops.deu.example/h", "--json")
    assert added.exit_code == 0, added.output
    hook = json.loads(added.output)
    assert hook["partner"] == "DEU" and len(hook["secret"]) == 43
    refused = run(home, "--as", "ops@ita.example", "alerts", "webhook", "add", "DEU",
                  "https://x.example/")  # fmt: skip
    assert refused.exit_code == 1 and "only ITA's" in refused.output
    bad = run(home, "alerts", "webhook", "add", "DEU", "http://x.example/")
    assert bad.exit_code == 1 and "loopback" in bad.output
    listed = json.loads(run(home, "alerts", "webhook", "list", "DEU", "--json").output)
    assert [w["id"] for w in listed] == [hook["id"]] and listed[0]["secret"] is None

    store = open_store(load_settings(home=home))
    try:
        first = alerts.publish(store, "DEU", "conjunction.red", {"pc": 3e-4})
        alerts.publish(store, "ITA", "conjunction.amber", {"pc": 2e-6})
        lines = run(home, "--as", "ops@deu.example", "alerts", "tail", "--json").output
        assert [json.loads(line)["id"] for line in lines.splitlines()] == [first]
        assert len(run(home, "alerts", "tail").output.splitlines()) == 2  # the local operator

        later: list[int] = []
        raiser = threading.Timer(0.3, lambda: later.append(
            alerts.publish(store, "DEU", "conjunction.red", {"pc": 1e-3})))  # fmt: skip
        raiser.start()
        followed = run(home, "--as", "ops@deu.example", "alerts", "tail", "--after",
                       str(first), "--follow", "--limit", "1", "--json")  # fmt: skip
        raiser.join()
        assert [json.loads(line)["id"] for line in followed.output.splitlines()] == later
    finally:
        store.close()

    assert run(home, "--as", "ops@ita.example", "alerts", "ack", str(first)).exit_code == 1
    acked = run(home, "--as", "ops@deu.example", "alerts", "ack", str(first))
    assert acked.exit_code == 0 and "acknowledged by ops@deu.example" in acked.output
    assert json.loads(run(home, "alerts", "dead", "--json").output) == []
    removed = run(home, "alerts", "webhook", "remove", str(hook["id"]))
    assert removed.exit_code == 0, removed.output
    dead = json.loads(run(home, "alerts", "dead", "--json").output)
    assert [(d["alert_id"], d["last_error"]) for d in dead] == [
        (first, "webhook removed"), (later[0], "webhook removed")]  # fmt: skip
    retried = run(home, "alerts", "retry", str(dead[0]["id"]))
    assert retried.exit_code == 1 and "removed" in retried.output
