"""The command line, end to end on a real SQLite store (CliRunner)."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from accord.cli.main import cli
from accord.formats.cdm import load_cdm
from accord.formats.tle import load_tle
from accord.services.demo import DEMO_DIR

REPO = Path(__file__).resolve().parents[2]


def run(home: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--home", str(home), *args])
    return result


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert run(home, "init").exit_code == 0
    result = run(home, "ingest", "--demo", "--json")
    assert result.exit_code == 0, result.output
    return home


def test_commands_need_an_initialised_store(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere", "catalogue", "list")
    assert result.exit_code == 1
    assert "accord init" in result.output


def test_ingest_demo_summary(tmp_path: Path) -> None:
    home = tmp_path / "h"
    run(home, "init")
    result = run(home, "ingest", "--demo", "--json")
    summaries = json.loads(result.output)
    names = sorted(p.name for p in DEMO_DIR.iterdir() if p.suffix in (".txt", ".csv"))
    assert [s["filename"] for s in summaries] == names
    assert [s["format"] for s in summaries] == ["tle", "tle", "tle", "satcat"]
    assert all(s["rejected"] == 0 and s["accepted"] == s["records"] > 0 for s in summaries)
    again = json.loads(run(home, "ingest", "--demo", "--json").output)
    assert all(s["accepted"] == 0 and s["duplicates"] == s["records"] for s in again)
    hst = json.loads(run(home, "catalogue", "show", "20580", "--json").output)
    assert hst["object"]["owner"] == "US" and hst["object"]["launch_date"] == "1990-04-24"


def test_catalogue_list_show_history(home: Path) -> None:
    listed = json.loads(run(home, "catalogue", "list", "--json").output)
    demo = load_tle((DEMO_DIR / "celestrak_active_2026-03-04_sample.txt").read_text())
    assert len(listed) == len(demo.records)
    iss = next(r for r in listed if r["NORAD_CAT_ID"] == 25544)
    assert iss["OBJECT_NAME"] == "ISS (ZARYA)" and iss["OBJECT_ID"] == "1998-067A"
    assert iss["EPOCH"].startswith("2026-03-0")
    shown = json.loads(run(home, "catalogue", "show", "25544", "--json").output)
    assert shown["element_set"] == iss
    hist = json.loads(run(home, "catalogue", "history", "25544", "--json").output)
    assert [h["EPOCH"][:7] for h in hist] == ["2025-11", "2025-11", "2026-03"]
    table = run(home, "catalogue", "list", "--limit", "5")
    assert table.exit_code == 0
    assert f"Catalogue: {len(listed)} objects" in table.output
    assert f"({len(listed) - 5} more" in table.output


def test_unknown_object_is_not_found(home: Path) -> None:
    result = run(home, "catalogue", "show", "99999999")
    assert result.exit_code == 1 and "no object 99999999" in result.output


@pytest.mark.parametrize("fmt", ["tle", "3le", "omm-kvn", "omm-xml", "omm-json", "omm-csv"])
def test_export_then_ingest_elsewhere_gives_the_same_catalogue(
    home: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"export.{fmt}"
    assert run(home, "export", "--format", fmt, "--output", str(out)).exit_code == 0
    other = tmp_path / "other"
    run(other, "init")
    summary = json.loads(run(other, "ingest", str(out), "--json").output)[0]
    assert summary["rejected"] == 0 and summary["format"] == ("tle" if "le" in fmt else fmt)
    first = json.loads(run(home, "catalogue", "list", "--json").output)
    second = json.loads(run(other, "catalogue", "list", "--json").output)
    keys = ("NORAD_CAT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "BSTAR", "MEAN_ANOMALY")
    assert [[r[k] for k in keys] for r in first] == [[r[k] for k in keys] for r in second]


def test_propagate_json(home: Path) -> None:
    result = run(
        home,
        "propagate", "25544",
        "--start", "2026-03-04T12:00:00", "--end", "2026-03-04T13:00:00",
        "--step", "600", "--frame", "itrf", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["frame"] == "ITRF" and len(data["states"]) == 7
    r = np.array([s["r_km"] for s in data["states"]])
    altitude = np.linalg.norm(r, axis=1) - 6378.137
    assert np.all((altitude > 370) & (altitude < 440))  # the ISS's altitude band


def test_propagate_refuses_a_reversed_window(home: Path) -> None:
    result = run(
        home, "propagate", "25544", "--start", "2026-03-04T12:00:00",
        "--end", "2026-03-04T11:00:00", "--step", "60",
    )  # fmt: skip
    assert result.exit_code != 0 and "end" in result.output


def _commands(group: object, prefix: str = "") -> list[str]:
    import click

    assert isinstance(group, click.Group)
    names = []
    for name, cmd in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            names += _commands(cmd, full + " ")
        else:
            names.append(full)
    return names


def test_every_command_has_help_and_is_documented() -> None:
    doc = (REPO / "docs" / "cli.md").read_text()
    for name in _commands(cli):
        result = CliRunner().invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        assert f"accord {name}" in doc, f"`accord {name}` is not in docs/cli.md"


def test_every_setting_is_documented() -> None:
    from accord.settings import Settings

    doc = (REPO / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"ACCORD_{name.upper()}" in doc, f"ACCORD_{name.upper()} not in docs/settings.md"


def test_screen_json(home: Path) -> None:
    result = run(home, "screen", "--window", "6h", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["n_objects"] == 378 and data["conjunctions"]
    first = data["conjunctions"][0]
    for key in ("object1", "object2", "tca", "miss_distance_km", "relative_speed_km_s", "pc",
                "pc_method"):  # fmt: skip
        assert key in first
    assert first["tca"].endswith("Z") and "." in first["tca"]
    files = run(home, "screen", "--input", str(DEMO_DIR / "celestrak_active_2026-03-04_sample.txt"),
                "--window", "6h", "--json")  # fmt: skip
    assert json.loads(files.output)["conjunctions"] == data["conjunctions"]
    bad = run(home, "screen", "--window", "7 weeks")
    assert bad.exit_code == 2 and "expected a number and a unit" in bad.output


def _in_ellipsoid(state: list[float], other: list[float], axes: list[float]) -> float:
    """Normalized distance of ``other`` in the RTN ellipsoid ``axes`` (km) of ``state``
    (TEME position and velocity, km, km/s)."""
    r, v, p = np.array(state[:3]), np.array(state[3:]), np.array(other[:3])
    radial = r / np.linalg.norm(r)
    normal = np.cross(r, v) / np.linalg.norm(np.cross(r, v))
    offset = np.array([radial, np.cross(normal, radial), normal]) @ (p - r)
    return float(np.linalg.norm(offset / np.array(axes)))


def test_screen_in_cara_ellipsoids(home: Path, tmp_path: Path) -> None:
    demo = str(DEMO_DIR / "celestrak_active_2026-03-04_sample.txt")
    result = run(home, "screen", "--input", demo, "--window", "6h", "--volume", "cara",
                 "--json", "--cdm-dir", str(tmp_path / "cdm"))  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["volume"] == "cara" and data["threshold_km"] == 51.0
    assert data["conjunctions"] and len(data["cdm_files"]) == len(data["conjunctions"])
    for c, path in zip(data["conjunctions"], data["cdm_files"], strict=True):
        axes1, axes2 = c["volume_rtn_km"]
        d1 = _in_ellipsoid(c["state1_teme"], c["state2_teme"], axes1)
        d2 = _in_ellipsoid(c["state2_teme"], c["state1_teme"], axes2)
        assert min(d1, d2) <= 1.0, c  # inside object 1's volume or object 2's
        assert np.allclose(c["volume_distance"], [d1, d2], rtol=0, atol=1e-9)
        cdm = load_cdm(Path(path).read_text()).records[0]
        assert (cdm.screen_volume_frame, cdm.screen_volume_shape) == ("RTN", "ELLIPSOID")
        volume_m = [cdm.screen_volume_x_m, cdm.screen_volume_y_m, cdm.screen_volume_z_m]
        assert volume_m == [1000.0 * a for a in axes1]  # object 1's ellipsoid, in m
    both = run(home, "screen", "--input", demo, "--volume", "cara", "--threshold-km", "3")
    assert both.exit_code == 2
    assert "--volume cara and --threshold-km exclude each other" in both.output
    stored = run(home, "screen", "--window", "6h", "--volume", "cara", "--json")
    assert stored.exit_code == 0, stored.output
    run_id = json.loads(stored.output)["run_id"]
    with sqlite3.connect(home / "accord.db") as db:
        (volume,) = db.execute(
            "SELECT volume FROM screening_runs WHERE id = ?", (run_id,)
        ).fetchone()
    assert volume == "cara"
    sphere = json.loads(run(home, "screen", "--window", "6h", "--json").output)
    assert sphere["volume"] == "sphere" and sphere["conjunctions"][0]["volume_rtn_km"] is None


def test_cdm_show_and_validate(shared_data: Path, tmp_path: Path) -> None:
    real = shared_data / "ccsds" / "orekit" / "cdm" / "ION_SCV8_vs_STARLINK_1233.txt"
    shown = CliRunner().invoke(cli, ["cdm", "show", str(real), "--json"])
    assert shown.exit_code == 0, shown.output
    (message,) = json.loads(shown.output)
    assert message["tca"] == "2023-07-05T20:31:15.893000Z"
    assert message["object1"]["object_designator"] == "55051"
    assert message["collision_probability_method"] == "FOSTER-1992"
    ok = CliRunner().invoke(cli, ["cdm", "validate", str(real), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["valid"] is True
    bad = shared_data / "ccsds" / "orekit" / "cdm" / "CDM-wrong-key-word.txt"
    refused = CliRunner().invoke(cli, ["cdm", "validate", str(bad), "--json"])
    assert refused.exit_code == 1
    (error,) = json.loads(refused.output)["errors"]
    assert error["line"] == 6 and "WRONG_KEYWORD" in error["reason"]


def test_pc_command(shared_data: Path) -> None:
    real = shared_data / "ccsds" / "orekit" / "cdm" / "ION_SCV8_vs_STARLINK_1233.txt"
    result = CliRunner().invoke(cli, ["pc", str(real), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["method"] == "foster" and data["hbr_m"] == 5.0 and 1e-4 < data["pc"] < 3e-3
    square = json.loads(CliRunner().invoke(cli, ["pc", str(real), "--shape", "square",
                                                 "--hbr-m", "5", "--json"]).output)  # fmt: skip
    assert square["pc"] > data["pc"]  # the square holds the circle


def test_audit_verify_and_log(home: Path) -> None:
    log = json.loads(run(home, "audit", "log", "--json").output)
    assert [e["action"] for e in log] == ["submission"] * 4  # the four demo files
    assert [e["seq"] for e in log] == [1, 2, 3, 4]
    assert all(e["previous"] == prev["hash"] for prev, e in itertools.pairwise(log))
    intact = run(home, "audit", "verify")
    assert intact.exit_code == 0 and "Ledger intact: 4 entries verified" in intact.output
    with sqlite3.connect(home / "accord.db") as db:
        db.execute("UPDATE ledger SET subject = 'submission:9' WHERE seq = 3")
    broken = run(home, "audit", "verify", "--json")
    assert broken.exit_code == 1
    assert json.loads(broken.output)["broken"]["seq"] == 3


def test_federation_commands(home: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "fra.pem"
    added = run(home, "partner", "add", "FRA", "--name", "CNES", "--country", "FR",
                "--key-out", str(key_file))  # fmt: skip
    assert added.exit_code == 0, added.output
    assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--kind", "nation")
    codes = [p["code"] for p in json.loads(run(home, "partner", "list", "--json").output)]
    assert codes == ["DEU", "FRA", "LOCAL"]
    user = CliRunner().invoke(
        cli, ["--home", str(home), "user", "add", "a@deu.example", "--partner", "DEU",
              "--role", "analyst", "--password-stdin"], input="pw\n",
    )  # fmt: skip
    assert user.exit_code == 0, user.output
    api_key = run(home, "key", "create", "--user", "a@deu.example").output.strip()
    assert api_key.startswith("acc_")
    assert run(home, "key", "revoke", api_key[:12]).exit_code == 0
    terms = ["--data", "element-sets", "--grant", "delayed:6h", "--objects", "regime:leo"]
    made = run(home, "agreement", "add", "--provider", "FRA", "--recipients", "DEU", *terms)
    assert made.exit_code == 0 and "Agreement 1 recorded" in made.output
    shown = json.loads(run(home, "agreement", "show", "1", "--json").output)
    assert shown["grant"] == "delayed" and shown["delay_s"] == 21600 and shown["in_force"]
    assert run(home, "agreement", "revoke", "1").exit_code == 0
    assert not json.loads(run(home, "agreement", "list", "--json").output)[0]["in_force"]
    bad = run(home, "agreement", "add", "--provider", "FRA", "--recipients", "DEU",
              "--data", "orbits", "--grant", "full")  # fmt: skip
    assert bad.exit_code != 0 and "data class 'orbits'" in bad.output
    # A signed submission from FRA, and the ledger that holds everything.
    demo = DEMO_DIR / "celestrak_active_2025-11-10_sample.txt"
    signed = run(home, "ingest", str(demo), "--source", "FRA", "--sign-key", str(key_file),
                 "--releasability", "public", "--json")  # fmt: skip
    assert json.loads(signed.output)[0]["rejected"] == 0
    actions = [e["action"] for e in json.loads(run(home, "audit", "log", "--json").output)]
    assert actions[4:] == ["partner.add", "key.partner.add", "partner.add", "key.partner.add",
                           "user.add", "key.create", "key.revoke", "agreement.add",
                           "agreement.revoke", "submission"]  # fmt: skip
    assert run(home, "audit", "verify").exit_code == 0


def test_reads_as_a_user(home: Path) -> None:
    """The demo is the local partner's (label: agreement); another partner's user sees
    nothing until an agreement releases it, and a denied object reads as a missing one."""
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--key-out", str(home / "k.pem"))
    run(home, "user", "add", "a@deu.example", "--partner", "DEU", "--role", "analyst")
    everything = json.loads(run(home, "catalogue", "list", "--json").output)
    assert len(everything) > 300
    as_deu = ["--as", "a@deu.example"]
    assert json.loads(run(home, *as_deu, "catalogue", "list", "--json").output) == []
    denied = run(home, *as_deu, "catalogue", "show", "25544")
    missing = run(home, *as_deu, "catalogue", "show", "99999")
    assert denied.exit_code == missing.exit_code == 1
    assert denied.output.replace("25544", "N") == missing.output.replace("99999", "N")
    assert run(home, *as_deu, "export").output == ""
    run(home, "agreement", "add", "--provider", "LOCAL", "--recipients", "DEU",
        "--data", "element-sets", "--grant", "full", "--objects", "25544")  # fmt: skip
    listed = json.loads(run(home, *as_deu, "catalogue", "list", "--json").output)
    assert [r["NORAD_CAT_ID"] for r in listed] == [25544]
    propagated = run(home, *as_deu, "propagate", "25544", "--start", "2026-03-04T12:00:00",
                     "--end", "2026-03-04T12:10:00", "--step", "300", "--json")  # fmt: skip
    assert propagated.exit_code == 0, propagated.output
    key = run(home, "key", "create", "--user", "a@deu.example").output.strip()
    by_key = CliRunner().invoke(cli, ["--home", str(home), "catalogue", "list", "--json"],
                                env={"ACCORD_API_KEY": key})  # fmt: skip
    assert [r["NORAD_CAT_ID"] for r in json.loads(by_key.output)] == [25544]
    run(home, "key", "revoke", key[:12])
    revoked = CliRunner().invoke(cli, ["--home", str(home), "--api-key", key, "catalogue", "list"])
    assert revoked.exit_code == 1 and "unknown or revoked" in revoked.output


def test_conjunctions_list(home: Path) -> None:
    screened = run(home, "screen", "--window", "6h", "--json")
    assert screened.exit_code == 0, screened.output
    stored = json.loads(screened.output)
    listed = json.loads(run(home, "conjunctions", "list", "--json").output)
    assert listed["run"] == stored["run_id"]
    assert len(listed["conjunctions"]) == len(stored["conjunctions"]) > 0
    assert {c["release"] for c in listed["conjunctions"]} == {"full"}
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--key-out", str(home / "k.pem"))
    run(home, "user", "add", "a@deu.example", "--partner", "DEU", "--role", "observer")
    as_deu = json.loads(run(home, "--as", "a@deu.example", "conjunctions", "list", "--json").output)
    assert as_deu["conjunctions"] == []
    assert run(home, "conjunctions", "list", "--run", "99").exit_code == 1


def test_screen_as_a_user_shows_only_what_it_may_receive(home: Path) -> None:
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--key-out", str(home / "k.pem"))
    run(home, "user", "add", "a@deu.example", "--partner", "DEU", "--role", "analyst")
    everything = json.loads(run(home, "screen", "--window", "6h", "--json").output)
    assert len(everything["conjunctions"]) > 0
    as_deu = run(home, "--as", "a@deu.example", "screen", "--window", "6h", "--json")
    assert json.loads(as_deu.output)["conjunctions"] == []


def test_audit_log_as_a_user_shows_its_partner_only(home: Path) -> None:
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--key-out", str(home / "k.pem"))
    run(home, "user", "add", "a@deu.example", "--partner", "DEU", "--role", "analyst")
    mine = json.loads(run(home, "--as", "a@deu.example", "audit", "log", "--json").output)
    assert {e["partner"] for e in mine} == {"DEU"} and len(mine) == 3
    other = run(home, "--as", "a@deu.example", "audit", "log", "--partner", "LOCAL", "--json")
    assert json.loads(other.output) == []


def test_roles_limit_what_a_user_may_do(home: Path, tmp_path: Path) -> None:
    run(home, "partner", "add", "DEU", "--name", "GSSAC", "--key-out", str(home / "k.pem"))
    run(home, "partner", "add", "FRA", "--name", "CNES", "--key-out", str(home / "f.pem"))
    for email, role in (("obs@deu.example", "observer"), ("ana@deu.example", "analyst"),
                        ("adm@deu.example", "admin")):  # fmt: skip
        run(home, "user", "add", email, "--partner", "DEU", "--role", role)
    terms = ["--provider", "DEU", "--recipients", "FRA", "--data", "element-sets", "--grant",
             "full"]  # fmt: skip
    denied = run(home, "--as", "ana@deu.example", "agreement", "add", *terms)
    assert denied.exit_code == 1 and "not an administrator" in denied.output
    assert run(home, "--as", "adm@deu.example", "agreement", "add", *terms).exit_code == 0
    demo = str(DEMO_DIR / "celestrak_active_2025-11-10_sample.txt")
    observer = run(home, "--as", "obs@deu.example", "ingest", demo)
    assert observer.exit_code == 1 and "read only" in observer.output
    other = run(home, "--as", "ana@deu.example", "ingest", demo, "--source", "FRA")
    assert other.exit_code == 1 and "submits for DEU only" in other.output
    mine = run(home, "--as", "ana@deu.example", "ingest", demo, "--json")
    assert mine.exit_code == 0, mine.output
    last = json.loads(run(home, "audit", "log", "--json").output)[-1]
    assert (last["actor"], last["partner"], last["action"]) == (
        "ana@deu.example", "DEU", "submission")  # fmt: skip
    agreed = json.loads(run(home, "agreement", "list", "--json").output)
    assert [a["provider"] for a in agreed] == ["DEU"]
    run(home, "partner", "add", "ITA", "--name", "ASI", "--key-out", str(home / "i.pem"))
    run(home, "user", "add", "x@ita.example", "--partner", "ITA", "--role", "analyst")
    as_ita = run(home, "--as", "x@ita.example", "agreement", "list", "--json")
    assert json.loads(as_ita.output) == []
