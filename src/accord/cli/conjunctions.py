"""``accord conjunctions list``: stored conjunctions, released through the policy."""

from __future__ import annotations

import click
from rich.table import Table

from accord.cli.common import console, echo_json, opened_store, principal_from
from accord.services.conjunctions import conjunctions_for


@click.group()
def conjunctions() -> None:
    """Conjunctions of stored screening runs."""


@conjunctions.command("list")
@click.option("--run", "run_id", type=int, help="The run (default: the latest).")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def list_(ctx: click.Context, run_id: int | None, limit: int | None, as_json: bool) -> None:
    """List a run's conjunctions that the caller may receive, by TCA."""
    with opened_store(ctx) as store:
        run, released = conjunctions_for(store, run_id, principal_from(ctx, store))
    rows = [{**r.values, "release": r.release} for r in released][:limit]
    if as_json:
        echo_json({"run": run, "conjunctions": rows})
        return
    table = Table(title=f"Run {run}: {len(released)} conjunctions")
    for column in ("object 1", "object 2", "TCA (UTC)", "miss km", "speed km/s", "Pc", "release"):
        table.add_column(column)
    for r in rows:
        pc = r["pc"]
        table.add_row(str(r["norad_cat_id_1"]), str(r["norad_cat_id_2"]),
                      r["tca"].isoformat(sep=" ", timespec="milliseconds"),
                      f"{r['miss_distance_km']:.3f}", f"{r['relative_speed_km_s']:.3f}",
                      "" if pc is None else f"{pc:.2e}", r["release"])  # fmt: skip
    console.print(table)
