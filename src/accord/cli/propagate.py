"""``accord propagate``."""

from __future__ import annotations

from datetime import datetime

import click
from rich.table import Table

from accord.cli.common import console, echo_json, opened_store, principal_from
from accord.services.propagation import FRAMES, propagate_object


@click.command()
@click.argument("norad", type=int)
@click.option("--start", type=click.DateTime(), required=True, help="First time (UTC).")
@click.option("--end", type=click.DateTime(), required=True, help="Last time (UTC).")
@click.option("--step", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Step in seconds.")  # fmt: skip
@click.option("--frame", type=click.Choice(FRAMES), default="teme", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the states as JSON.")
@click.pass_context
def propagate(
    ctx: click.Context,
    norad: int,
    start: datetime,
    end: datetime,
    step: float,
    frame: str,
    as_json: bool,
) -> None:
    """Propagate an object's current element set with SGP4 (positions km, velocities km/s)."""
    if end < start:
        raise click.BadParameter("--end must not be before --start", param_hint="--end")
    with opened_store(ctx) as store:
        eph = propagate_object(store, norad, start, end, step, frame,
                               principal_from(ctx, store))  # fmt: skip
    if as_json:
        echo_json(eph.to_dict())
        return
    es = eph.entry.elements
    table = Table(
        title=f"{es.object_name or norad} ({norad}), {frame.upper()}, "
        f"element set of {es.epoch.isoformat(timespec='seconds')}"
    )
    table.add_column("UTC", no_wrap=True, min_width=19)
    for col in ("x km", "y km", "z km", "vx km/s", "vy km/s", "vz km/s"):
        table.add_column(col, justify="right")
    for i, t in enumerate(eph.times):
        if eph.error[i]:
            table.add_row(str(t)[:19].replace("T", " "), f"[red]{eph.messages[i]}[/]", *[""] * 5)
        else:
            r, v = eph.r_km[i], eph.v_km_s[i]
            table.add_row(
                str(t)[:19].replace("T", " "), *(f"{x:.3f}" for x in r), *(f"{x:.5f}" for x in v)
            )
    console.print(table)
