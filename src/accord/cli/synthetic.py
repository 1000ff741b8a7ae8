"""``accord synthetic``."""

from __future__ import annotations

from pathlib import Path

import click

from accord.cli.common import console, opened_store
from accord.services.catalogue import EXPORT_FORMATS
from accord.services.synthetic import FIRST_NUMBER, reference_of, synthetic_element_sets


@click.command()
@click.argument("count", type=click.IntRange(min=0))
@click.option(
    "--reference",
    "references",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Catalogue file(s) to draw from (default: the stored catalogue).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--first-number",
    type=click.IntRange(min=1),
    default=FIRST_NUMBER,
    show_default=True,
    help="Catalogue number of the first object (TLE formats: at most 339999).",
)
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="omm-csv",
              show_default=True)  # fmt: skip
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File (default stdout).")  # fmt: skip
@click.pass_context
def synthetic(
    ctx: click.Context,
    count: int,
    references: tuple[Path, ...],
    seed: int,
    first_number: int,
    fmt: str,
    output: Path | None,
) -> None:
    """Write COUNT synthetic objects drawn from a catalogue's orbits (for scale tests).

    Each copies the shape of a real element set picked at random (mean motion, perigee,
    apogee and inclination jittered slightly, drag terms kept) with its node, argument of
    perigee and mean anomaly drawn uniform, all at the reference's median epoch; the same
    seed gives the same catalogue (docs/scale.md)."""
    if references:
        reference = reference_of(None, references)
    else:
        with opened_store(ctx) as store:
            reference = reference_of(store, ())
    records = synthetic_element_sets(reference, count, seed=seed, first_number=first_number)
    text = EXPORT_FORMATS[fmt](records)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {count} synthetic objects drawn from {len(reference)} element sets "
                  f"(seed {seed}) to {output}")  # fmt: skip
