"""``accord init`` and ``accord ingest``."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from accord.cli.common import (
    actor_for,
    console,
    echo_json,
    opened_store,
    progress_bar,
    settings_from,
)
from accord.errors import ForbiddenError
from accord.services.continuous import after_submission
from accord.services.demo import demo_files
from accord.services.ingest import FORMATS, RELEASABILITY, IngestSummary, ingest_file
from accord.services.store import init_store


@click.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create (or migrate) the store in ACCORD_HOME and its local partner."""
    settings = settings_from(ctx)
    store = init_store(settings)
    store.close()
    console.print(
        f"Store ready at [bold]{settings.url}[/] (local partner [bold]{settings.local_partner}[/])."
    )


def _render(summaries: list[IngestSummary], max_reasons: int = 10) -> None:
    table = Table(title="Ingest")
    for col in ("file", "format", "records", "accepted", "duplicates", "rejected"):
        table.add_column(col, justify="left" if col in ("file", "format") else "right")
    for s in summaries:
        table.add_row(
            s.filename or "-",
            s.format,
            str(s.records),
            str(s.accepted),
            str(s.duplicates),
            f"[red]{s.rejected}[/]" if s.rejected else "0",
        )
    console.print(table)
    for s in summaries:
        for r in s.rejections[:max_reasons]:
            console.print(f"[red]rejected[/] {s.filename}: {r.reason}", highlight=False)
        if len(s.rejections) > max_reasons:
            console.print(f"... and {len(s.rejections) - max_reasons} more in {s.filename}")


@click.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", help="Code of the submitting partner (default: the local partner).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="Input format; auto detects it from the content.",
)
@click.option("--demo", is_flag=True, help="Ingest the bundled demo catalogue.")
@click.option("--releasability", type=click.Choice(RELEASABILITY),
              help="Label of the submissions (default: the partner's).")  # fmt: skip
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign each file with this partner private key (PEM).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context,
    files: tuple[Path, ...],
    source: str | None,
    fmt: str,
    demo: bool,
    releasability: str | None,
    sign_key: Path | None,
    as_json: bool,
) -> None:
    """Ingest element sets (TLE/3LE, OMM KVN/XML/JSON/CSV) or SATCAT CSV files (.gz too)."""
    paths = list(files) + (demo_files() if demo else [])
    if not paths:
        raise click.UsageError("give at least one FILE, or --demo")
    summaries = []
    with opened_store(ctx) as store:
        caller = actor_for(ctx, store)
        actor = None
        if caller is not None and not caller.admin:
            if source is not None and source.upper() != caller.partner:
                raise ForbiddenError(f"{caller.email} submits for {caller.partner} only")
            source, actor = caller.partner, caller.email
        for path in paths:
            with progress_bar(f"ingest {path.name}", enabled=not as_json) as update:
                summaries.append(
                    ingest_file(store, path, source=source, fmt=fmt, progress=update,
                                releasability=releasability, actor=actor,
                                sign_key=sign_key.read_bytes() if sign_key else None)
                )  # fmt: skip
        for s in summaries:  # continuous screening: the pairs the new element sets touch
            if s.accepted:
                after_submission(store, s.submission_id)
    if as_json:
        echo_json([s.to_dict() for s in summaries])
    else:
        _render(summaries)
