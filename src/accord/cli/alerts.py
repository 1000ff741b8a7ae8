"""``accord alerts``: partners' webhooks, the alerts raised to partners, their
acknowledgement, dead letters, and the dispatcher that delivers webhooks."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from accord.cli.common import actor_for, console, echo_json, opened_store, principal_from
from accord.errors import ForbiddenError
from accord.services import alerts as svc


@click.group()
def alerts() -> None:
    """Alerts to partners: webhooks, reading, acknowledging, delivering."""


@alerts.group()
def webhook() -> None:
    """Partners' webhooks (signed HTTP POSTs of their alerts)."""


@webhook.command("add")
@click.argument("partner")
@click.argument("url")
@click.option("--secret", help="The signing secret (default: 32 random bytes, generated).")
@click.option("--json", "as_json", is_flag=True, help="Print the webhook as JSON.")
@click.pass_context
def webhook_add(
    ctx: click.Context, partner: str, url: str, secret: str | None, as_json: bool
) -> None:
    """Register a webhook of PARTNER at URL (https; http only to loopback); print its
    signing secret, shown this once."""
    with opened_store(ctx) as store:
        actor = svc.webhook_actor(actor_for(ctx, store), partner)
        made = svc.add_webhook(store, partner, url, secret, actor=actor)
    if as_json:
        echo_json(asdict(made))
        return
    console.print(f"Webhook [bold]{made.id}[/] of {made.partner}: {made.url}")
    console.print("Signing secret (shown once):")
    click.echo(made.secret)


@webhook.command("list")
@click.argument("partner")
@click.option("--all", "everything", is_flag=True, help="Include removed webhooks.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def webhook_list(ctx: click.Context, partner: str, everything: bool, as_json: bool) -> None:
    """List PARTNER's webhooks (never their secrets)."""
    with opened_store(ctx) as store:
        caller = principal_from(ctx, store)
        if caller is not None and not caller.admin and caller.partner != partner.upper():
            raise ForbiddenError(f"{caller.email} may list only {caller.partner}'s webhooks")
        found = svc.list_webhooks(store, partner, disabled=everything)
    if as_json:
        echo_json([asdict(w) for w in found])
        return
    table = Table(title=f"{partner.upper()}: {len(found)} webhooks")
    for column in ("ID", "URL", "CREATED (UTC)", "REMOVED (UTC)"):
        table.add_column(column)
    for w in found:
        removed = w.disabled.isoformat(sep=" ", timespec="seconds") if w.disabled else ""
        table.add_row(str(w.id), w.url, w.created.isoformat(sep=" ", timespec="seconds"),
                      removed)  # fmt: skip
    console.print(table)


@webhook.command("remove")
@click.argument("webhook_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_context
def webhook_remove(ctx: click.Context, webhook_id: int) -> None:
    """Remove (disable) webhook ID; its pending deliveries become dead letters."""
    with opened_store(ctx) as store:
        caller = actor_for(ctx, store)
        own = None if caller is None or caller.admin else caller.partner
        actor = svc.webhook_actor(caller, own or "")
        removed = svc.remove_webhook(store, webhook_id, partner_code=own, actor=actor)
    console.print(f"Webhook {removed.id} of {removed.partner} removed.")


def _print_alert(alert: svc.Alert, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(asdict(alert), default=str))
        return
    ack = f" (acknowledged by {alert.acknowledged_by})" if alert.acknowledged else ""
    stamp = alert.created.isoformat(sep=" ", timespec="seconds")
    payload = json.dumps(alert.payload, default=str)
    click.echo(f"{alert.id}  {stamp}  {alert.partner}  {alert.kind}{ack}  {payload}")


@alerts.command()
@click.option("--partner", help="Only this partner's alerts (a user reads its own partner's).")
@click.option("--after", type=click.IntRange(min=0), default=0, help="Only ids above this.")
@click.option("--follow", is_flag=True, help="Keep waiting for new alerts (Ctrl-C stops).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many alerts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def tail(
    ctx: click.Context,
    partner: str | None,
    after: int,
    follow: bool,
    limit: int | None,
    as_json: bool,
) -> None:
    """Print alerts by id, oldest first; with --follow, keep printing new ones."""
    shown = 0
    with opened_store(ctx) as store:
        caller = principal_from(ctx, store)
        signal = svc.signal_of(store)
        try:
            while limit is None or shown < limit:
                generation = signal.generation
                room = svc.MAX_LIMIT if limit is None else min(svc.MAX_LIMIT, limit - shown)
                found = svc.alerts_for(store, caller, after, room, partner=partner)
                for alert in found:
                    _print_alert(alert, as_json)
                    after, shown = alert.id, shown + 1
                if len(found) == room:
                    continue
                if not follow:
                    break
                signal.wait(generation, 0.5)
        except KeyboardInterrupt:
            pass


@alerts.command()
@click.argument("alert_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_context
def ack(ctx: click.Context, alert_id: int) -> None:
    """Acknowledge alert ID (as the user of --as / --api-key, of the alert's partner)."""
    with opened_store(ctx) as store:
        done = svc.acknowledge(store, principal_from(ctx, store), alert_id)
    assert done.acknowledged is not None
    when = done.acknowledged.isoformat(sep=" ", timespec="seconds")
    console.print(f"Alert {done.id} acknowledged by {done.acknowledged_by} at {when} UTC.")


def _deliveries_table(title: str, rows: list[svc.Delivery]) -> Table:
    table = Table(title=title)
    for column in ("ID", "ALERT", "PARTNER", "URL", "ATTEMPTS", "LAST STATUS", "LAST ERROR"):
        table.add_column(column)
    for d in rows:
        table.add_row(str(d.id), str(d.alert_id), d.partner, d.url, str(d.attempts),
                      str(d.last_status or ""), d.last_error or "")  # fmt: skip
    return table


@alerts.command()
@click.option("--partner", help="Only deliveries to this partner's webhooks.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def dead(ctx: click.Context, partner: str | None, as_json: bool) -> None:
    """List dead letters: deliveries that failed every attempt."""
    with opened_store(ctx) as store:
        found = svc.dead_letters(store, principal_from(ctx, store), partner=partner,
                                 limit=svc.MAX_LIMIT)  # fmt: skip
    if as_json:
        echo_json([asdict(d) for d in found])
        return
    console.print(_deliveries_table(f"{len(found)} dead letters", found))


@alerts.command()
@click.argument("delivery_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_context
def retry(ctx: click.Context, delivery_id: int) -> None:
    """Make dead delivery ID pending again: a running dispatcher attempts it once more."""
    with opened_store(ctx) as store:
        caller = actor_for(ctx, store)
        again = svc.redeliver(store, caller, delivery_id)
    console.print(f"Delivery {again.id} of alert {again.alert_id} is pending again.")


@alerts.command()
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Delivery threads.")  # fmt: skip
@click.option("--max-attempts", type=click.IntRange(min=1),
              help="Attempts before a dead letter (ACCORD_ALERTS_MAX_ATTEMPTS).")  # fmt: skip
@click.pass_context
def dispatch(ctx: click.Context, workers: int, max_attempts: int | None) -> None:
    """Deliver pending webhook deliveries in the foreground until Ctrl-C (beside, or
    instead of, the API server's own dispatcher: claims keep them from delivering one
    twice)."""
    with opened_store(ctx) as store:
        attempts = max_attempts or store.settings.alerts_max_attempts
        dispatcher = svc.Dispatcher(store, workers=workers, max_attempts=attempts).start()
        console.print(f"Dispatching alerts from {store.settings.url} (Ctrl-C stops).")
        counts: dict[str, Any] = {}
        try:
            while dispatcher.running:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            dispatcher.stop()
            counts = dict(dispatcher.counts)
    console.print(", ".join(f"{n} {what}" for what, n in counts.items()))
