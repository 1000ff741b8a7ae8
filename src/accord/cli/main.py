"""The ``accord`` command."""

from __future__ import annotations

from pathlib import Path

import click

from accord import __version__
from accord.cli.alerts import alerts
from accord.cli.audit import audit
from accord.cli.catalogue import catalogue, export
from accord.cli.cdm import cdm
from accord.cli.common import AccordGroup
from accord.cli.conjunctions import conjunctions
from accord.cli.coordination import coordinate, ephemeris, events, operator
from accord.cli.federation import agreement, key, partner, user
from accord.cli.ingest import ingest, init
from accord.cli.pc import pc
from accord.cli.propagate import propagate
from accord.cli.screen import screen
from accord.cli.serve import serve
from accord.cli.synthetic import synthetic


@click.group(cls=AccordGroup)
@click.version_option(__version__, prog_name="accord")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: $ACCORD_HOME, else ~/.accord).",
)
@click.option("--as", "as_user", metavar="EMAIL",
              help="Read as this user: only what the policy lets that user see.")  # fmt: skip
@click.option("--api-key", envvar="ACCORD_API_KEY", metavar="KEY",
              help="Read as the holder of this API key (or $ACCORD_API_KEY).")  # fmt: skip
@click.pass_context
def cli(ctx: click.Context, home: Path | None, as_user: str | None, api_key: str | None) -> None:
    """Accord: a shared space catalogue between partners."""
    ctx.obj = {"home": home, "as": as_user, "api_key": api_key}


cli.add_command(init)
cli.add_command(ingest)
cli.add_command(catalogue)
cli.add_command(export)
cli.add_command(propagate)
cli.add_command(screen)
cli.add_command(synthetic)
cli.add_command(cdm)
cli.add_command(pc)
cli.add_command(audit)
cli.add_command(partner)
cli.add_command(user)
cli.add_command(key)
cli.add_command(agreement)
cli.add_command(conjunctions)
cli.add_command(operator)
cli.add_command(ephemeris)
cli.add_command(events)
cli.add_command(coordinate)
cli.add_command(alerts)
cli.add_command(serve)
