"""``accord audit verify|log``: the tamper-evident ledger."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

import click
from rich.table import Table

from accord.cli.common import console, echo_json, opened_store, principal_from
from accord.services import audit as svc


@click.group()
def audit() -> None:
    """Verify and read the ledger."""


@audit.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool) -> None:
    """Recompute the ledger's chain, digests and signatures; exit 1 naming the first broken
    entry."""
    with opened_store(ctx) as store:
        broken = svc.verify(store)
        count = sum(1 for _ in svc.log(store))
    if as_json:
        echo_json({"intact": broken is None, "entries": count,
                   "broken": None if broken is None else asdict(broken)})  # fmt: skip
    elif broken is None:
        console.print(f"Ledger intact: {count} entries verified.")
    else:
        console.print(f"[red]Ledger broken at entry {broken.seq}[/red]: {broken.reason}")
    if broken is not None:
        ctx.exit(1)


@audit.command("log")
@click.option("--partner", help="Only entries concerning this partner (code).")
@click.option("--action", help="Only this action (a prefix ending in '.' matches a family).")
@click.option("--since", type=click.DateTime(), help="Only entries at or after (UTC).")
@click.option("--until", type=click.DateTime(), help="Only entries before (UTC).")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many entries.")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@click.pass_context
def log_(
    ctx: click.Context,
    partner: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List ledger entries in order, with filters (a user other than an administrator sees
    only the entries that concern its own partner)."""
    with opened_store(ctx) as store:
        caller = principal_from(ctx, store)
        restricted = caller is not None and not caller.admin
        own = caller.partner if caller is not None else None
        if restricted and partner not in (None, own):
            entries = []  # another partner's entries: none for this caller
        else:
            who = own if restricted else partner
            found = svc.log(store, partner=who, action=action, since=since, until=until,
                            limit=limit)  # fmt: skip
            entries = list(found)
    if as_json:
        echo_json([asdict(e) for e in entries])
        return
    table = Table(title=f"Ledger: {len(entries)} entries")
    for column in ("SEQ", "AT (UTC)", "ACTOR", "PARTNER", "ACTION", "SUBJECT", "SIGNED", "HASH"):
        table.add_column(column, no_wrap=column in ("AT (UTC)", "HASH"))
    for e in entries:
        table.add_row(str(e.seq), e.at.isoformat(sep=" ", timespec="seconds"), e.actor,
                      e.partner or "", e.action, e.subject, "yes" if e.signature else "",
                      e.hash[:12])  # fmt: skip
    console.print(table)
