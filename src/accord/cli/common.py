"""What every command shares: the store from the context, JSON output, errors, progress."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from accord.errors import AccordError, ForbiddenError
from accord.services.access import Principal, principal_for
from accord.services.store import Store, open_store
from accord.settings import Settings, load_settings

console = Console()
if not console.is_terminal and "COLUMNS" not in os.environ:
    console.width = 120  # piped output: room for a state-vector table, not 80 columns
err_console = Console(stderr=True)


def settings_from(ctx: click.Context) -> Settings:
    """Return the settings in force for this invocation (``--home`` applied)."""
    obj = ctx.find_root().obj or {}
    return load_settings(home=obj.get("home"))


@contextmanager
def opened_store(ctx: click.Context) -> Iterator[Store]:
    """Open the initialised store for a command, closing it afterwards."""
    store = open_store(settings_from(ctx))
    try:
        yield store
    finally:
        store.close()


def principal_from(ctx: click.Context, store: Store) -> Principal | None:
    """The caller named by ``--as`` or ``--api-key`` (None: the local operator)."""
    obj = ctx.find_root().obj or {}
    if obj.get("api_key"):
        return principal_for(store, api_key=obj["api_key"])
    if obj.get("as"):
        return principal_for(store, email=obj["as"])
    return None


def actor_for(ctx: click.Context, store: Store, *, admin: bool = False) -> Principal | None:
    """The caller of a command that changes the store: None for the local operator; a user
    (``--as``, ``--api-key``) must be allowed to act: an administrator for ``admin``
    actions, any role but observer otherwise."""
    caller = principal_from(ctx, store)
    if caller is None or caller.admin:
        return caller
    if admin:
        raise ForbiddenError(f"{caller.email} is not an administrator")
    if caller.role is not None and caller.role.value == "observer":
        raise ForbiddenError(f"{caller.email} is an observer: read only")
    return caller


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def echo_json(data: Any) -> None:
    """Print data as JSON on standard output."""
    click.echo(json.dumps(data, indent=2, default=_default))


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``(done, total)`` callback that drives a rich progress bar on stderr."""
    if not enabled:
        yield lambda done, total: None
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


class AccordGroup(click.Group):
    """A click group that turns AccordErrors into a clear message and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AccordError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            ctx.exit(1)
