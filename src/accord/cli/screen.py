"""``accord screen``."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import click
from click.core import ParameterSource
from rich.table import Table

from accord.cli.common import (
    console,
    echo_json,
    opened_store,
    principal_from,
    progress_bar,
    settings_from,
)
from accord.services.cdm import conjunction_cdms, write_cdms
from accord.services.conjunctions import restrict
from accord.services.screening import (
    DEFAULT_STEP_S,
    DEFAULT_WINDOW,
    screen_catalogue,
    screen_files,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta:
    """Given ``90s``, ``30m``, ``6h`` or ``7d``, return the duration."""
    match = _DURATION.match(text)
    if match is None:
        raise click.BadParameter(
            f"expected a number and a unit s, m, h or d (e.g. 7d), got {text!r}"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _primaries(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(
            f"expected catalogue numbers separated by commas, got {text!r}"
        ) from None


@click.command()
@click.option("--input", "inputs", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Screen these files (any element-set format) instead of the store.")  # fmt: skip
@click.option(
    "--start", type=click.DateTime(), help="Window start, UTC (default: the latest epoch)."
)
@click.option("--window", default="7d", show_default=True, help="Window length: 6h, 7d...")
@click.option("--threshold-km", type=click.FloatRange(min=0, min_open=True), default=5.0,
              show_default=True, help="Screening sphere radius.")  # fmt: skip
@click.option("--volume", type=click.Choice(["sphere", "cara"]), default="sphere",
              show_default=True,
              help="A sphere of --threshold-km, or NASA CARA's RTN ellipsoids by orbit regime "
                   "(setting ACCORD_SCREENING_CARA_VOLUMES).")  # fmt: skip
@click.option("--primaries", help="Screen only these objects (NORAD,NORAD,...) against all.")
@click.option("--step", type=click.FloatRange(min=1.0), default=DEFAULT_STEP_S,
              show_default=True, help="Sieve window in seconds (any value is safe).")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="Rows in the table.")  # fmt: skip
@click.option("--cdm-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one CCSDS CDM per conjunction into this directory.")  # fmt: skip
@click.option("--cdm-format", type=click.Choice(["kvn", "xml"]), default="kvn", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Screen on this Dask scheduler's cluster (default: setting "
                   "ACCORD_SCREENING_SCHEDULER, else in this process).")  # fmt: skip
@click.pass_context
def screen(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    start: datetime | None,
    window: str,
    threshold_km: float,
    volume: str,
    primaries: str | None,
    step: float,
    limit: int,
    cdm_dir: Path | None,
    cdm_format: str,
    as_json: bool,
    scheduler: str | None,
) -> None:
    """Screen the catalogue (or --input files) for conjunctions."""
    explicit = ctx.get_parameter_source("threshold_km") is not ParameterSource.DEFAULT
    if volume == "cara" and explicit:
        raise click.UsageError(
            "--volume cara and --threshold-km exclude each other: the CARA ellipsoids have "
            "their own sizes (ACCORD_SCREENING_CARA_VOLUMES); give one or the other"
        )
    options = {
        "start": start,
        "window": parse_duration(window) if window else DEFAULT_WINDOW,
        "threshold_km": threshold_km,
        "primaries": _primaries(primaries),
        "step_s": step,
        "volume": volume,
        "scheduler": scheduler or settings_from(ctx).screening_scheduler,
    }
    with progress_bar("screening", enabled=not as_json) as update:
        if inputs:
            settings = settings_from(ctx)
            result = screen_files(list(inputs), progress=update, **options,
                                  workers=settings.screening_workers,
                                  cara_volumes=settings.screening_cara_volumes)  # fmt: skip
        else:
            with opened_store(ctx) as store:
                result = screen_catalogue(store, progress=update, **options)
                result = restrict(store, result, principal_from(ctx, store))
    written = []
    if cdm_dir is not None:
        written = write_cdms(conjunction_cdms(result), cdm_dir, cdm_format)
    if as_json:
        echo_json({**result.to_dict(), "cdm_files": [str(p) for p in written]})
        return
    # Riskiest first: highest Pc, then closest.
    rows = sorted(result.conjunctions, key=lambda c: (-(c.pc or 0.0), c.miss_distance_km))
    rows = rows[:limit]
    table = Table(
        title=f"{len(result.conjunctions)} conjunctions "
        + ("in NASA CARA ellipsoids" if volume == "cara" else f"under {threshold_km:g} km")
        + " among "
        f"{result.n_objects} objects, {result.start.isoformat(timespec='seconds')} + "
        f"{result.window_s / 86400:g} d (riskiest first)"
    )
    for col in ("object 1", "object 2", "TCA (UTC)", "miss km", "speed km/s", "Pc"):
        table.add_column(col, justify="right" if col in ("miss km", "speed km/s", "Pc") else "left")
    for c in rows:
        table.add_row(
            f"{c.object1} {c.object1_name or ''}".strip(),
            f"{c.object2} {c.object2_name or ''}".strip(),
            c.tca.isoformat(sep=" ", timespec="milliseconds"),
            f"{c.miss_distance_km:.3f}",
            f"{c.relative_speed_km_s:.3f}",
            "" if c.pc is None else f"{c.pc:.2e}",
        )
    console.print(table)
    console.print("Pc: Foster, default element-set covariances, 5 m combined hard-body radius")
    if written:
        console.print(f"{len(written)} CDMs written to {cdm_dir}")
    console.print(f"screened in {sum(result.timings.values()):.1f} s"
                  + (f"; run {result.run_id} stored" if result.run_id else ""))  # fmt: skip
