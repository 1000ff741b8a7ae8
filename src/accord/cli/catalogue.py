"""``accord catalogue list|show|history`` and ``accord export``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from accord.cli.common import console, echo_json, opened_store, principal_from
from accord.services import catalogue as svc

_COLUMNS = ("NORAD_CAT_ID", "OBJECT_NAME", "OBJECT_ID", "EPOCH", "SOURCE")


def _cell(column: str, value: object) -> str:
    if value is None:
        return ""
    if column in ("EPOCH", "RECEIVED_AT"):
        return str(value)[:19].replace("T", " ")  # to the second, for reading
    return str(value)


def _table(title: str, rows: list[dict[str, object]], columns: tuple[str, ...]) -> Table:
    table = Table(title=title)
    for col in columns:
        wide = col in ("EPOCH", "RECEIVED_AT")
        table.add_column(col, no_wrap=wide, min_width=19 if wide else None)
    for row in rows:
        table.add_row(*(_cell(c, row.get(c)) for c in columns))
    return table


@click.group()
def catalogue() -> None:
    """Query the fused catalogue."""


@catalogue.command("list")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many objects.")
@click.option("--json", "as_json", is_flag=True, help="Print every record as JSON.")
@click.pass_context
def list_(ctx: click.Context, limit: int | None, as_json: bool) -> None:
    """List the current element set of every object (latest epoch)."""
    with opened_store(ctx) as store:
        entries = svc.current_catalogue(store, principal=principal_from(ctx, store))
    rows = [e.to_dict() for e in entries]
    if as_json:
        echo_json(rows[:limit] if limit else rows)
        return
    shown = rows[:limit] if limit else rows
    console.print(_table(f"Catalogue: {len(rows)} objects", shown, _COLUMNS))
    if len(shown) < len(rows):
        console.print(f"({len(rows) - len(shown)} more; --limit to change, --json for all)")


@catalogue.command()
@click.argument("norad", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def show(ctx: click.Context, norad: int, as_json: bool) -> None:
    """Show one object's current element set and metadata."""
    with opened_store(ctx) as store:
        principal = principal_from(ctx, store)
        meta = svc.object_metadata(store, norad, principal)
        entry = svc.current_entry(store, norad, principal).to_dict()
    data = {"object": meta, "element_set": entry}
    if as_json:
        echo_json(data)
        return
    table = Table(title=f"Object {norad}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, value in {**{k.upper(): v for k, v in meta.items()}, **entry}.items():
        if value is not None:
            table.add_row(key, str(value))
    console.print(table)


@catalogue.command()
@click.argument("norad", type=int)
@click.option("--start", type=click.DateTime(), help="Earliest epoch (UTC).")
@click.option("--end", type=click.DateTime(), help="Latest epoch (UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def history(
    ctx: click.Context,
    norad: int,
    start: datetime | None,
    end: datetime | None,
    as_json: bool,
) -> None:
    """List every element set of one object, oldest epoch first."""
    with opened_store(ctx) as store:
        principal = principal_from(ctx, store)
        rows = [e.to_dict() for e in svc.history(store, norad, start, end, principal)]
    if as_json:
        echo_json(rows)
        return
    columns = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "SOURCE", "RECEIVED_AT")
    console.print(_table(f"History of {norad}: {len(rows)} element sets", rows, columns))


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(svc.EXPORT_FORMATS)),
    default="3le",
    show_default=True,
)
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), help="File (default stdout)."
)
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the current catalogue."""
    with opened_store(ctx) as store:
        text = svc.export(store, fmt, principal=principal_from(ctx, store))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
