"""``accord serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import click

from accord.cli.common import console, settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes.")  # fmt: skip
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the REST API (/api/v1, OpenAPI at /openapi.json) on the store."""
    import os

    import uvicorn

    settings = settings_from(ctx)
    os.environ["ACCORD_HOME"] = str(settings.home)  # the workers open the same store
    console.print(f"Accord API on http://{host}:{port} (store {settings.url})")
    uvicorn.run("accord.api.asgi:app", host=host, port=port, workers=workers,
                log_level="warning")  # fmt: skip
