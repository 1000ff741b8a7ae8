"""``accord cdm validate|show``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from accord.cli.common import console, echo_json
from accord.services.cdm import cdm_summary, read_cdm_file

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def cdm() -> None:
    """Read and check CCSDS Conjunction Data Messages (508.0-B-1, KVN or XML)."""


@cdm.command()
@click.argument("file", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def validate(file: Path, as_json: bool) -> None:
    """Check a CDM file against CCSDS 508.0-B-1; exit 1 if any message is invalid."""
    read = read_cdm_file(file)
    errors = [{"line": r.error.line or r.line, "reason": r.reason} for r in read.result.rejected]
    if as_json:
        echo_json({"file": str(file), "valid": read.valid, "messages": len(read.result.accepted),
                   "errors": errors})  # fmt: skip
    else:
        for e in errors:
            console.print(f"[red]invalid[/] {file}: {e['reason']}", highlight=False)
        if read.valid:
            console.print(f"[green]valid[/] {file}: {len(read.result.accepted)} message(s)")
        elif not errors:
            console.print(f"[red]invalid[/] {file}: no CDM in the file")
    if not read.valid:
        raise SystemExit(1)


@cdm.command()
@click.argument("file", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
def show(file: Path, as_json: bool) -> None:
    """Show the messages of a CDM file: TCA, miss distance, objects, Pc."""
    read = read_cdm_file(file)
    summaries = [cdm_summary(m) for m in read.result.records]
    if as_json:
        echo_json(summaries)
    for r in read.result.rejected:
        console.print(f"[red]invalid[/] {file}: {r.reason}", highlight=False)
    if as_json:
        return
    for s in summaries:
        table = Table(title=f"CDM {s['message_id']} from {s['originator']}", show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        o1, o2 = s["object1"], s["object2"]
        table.add_row("TCA", s["tca"])
        table.add_row("miss distance", f"{s['miss_distance_m']:.1f} m")
        if s["relative_speed_m_s"] is not None:
            table.add_row("relative speed", f"{s['relative_speed_m_s']:.1f} m/s")
        table.add_row("object 1", f"{o1['object_designator']} {o1['object_name']}")
        table.add_row("object 2", f"{o2['object_designator']} {o2['object_name']}")
        if s["collision_probability"] is not None:
            method = s["collision_probability_method"] or ""
            table.add_row("Pc (as sent)", f"{s['collision_probability']:.3e} {method}")
        console.print(table)
    if read.result.rejected:
        raise SystemExit(1)
