"""``accord partner``, ``accord user``, ``accord key``, ``accord agreement``."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.table import Table

from accord.cli.common import actor_for, console, echo_json, opened_store, principal_from
from accord.services import federation as svc


def _actor(ctx: click.Context, store: svc.Store) -> str:
    """The administrator acting (the ledger's actor), or the local operator."""
    caller = actor_for(ctx, store, admin=True)
    return "local" if caller is None else caller.email or "admin"


def _agreements_for(ctx: click.Context, store: svc.Store) -> list[svc.Agreement]:
    """The agreements the caller may read: all for the local operator and administrators,
    else those its partner provides, receives or mediates."""
    caller = principal_from(ctx, store)
    agreements = svc.list_agreements(store)
    if caller is None or caller.admin:
        return agreements
    mine = caller.partner
    return [a for a in agreements if mine in (a.provider, a.mediator) or mine in a.recipients]


DATA_HELP = (
    "CLASS[,CLASS]: element-sets, ephemerides, covariance, observations, conjunction-data, "
    "manoeuvre-plans, sensor-schedules, object-metadata."
)


@click.group()
def partner() -> None:
    """Partners of the federation."""


@partner.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The partner's name.")
@click.option("--kind", default="agency", show_default=True,
              help="nation, agency, operator, alliance, academic or commercial.")  # fmt: skip
@click.option("--country", help="ISO 3166 country code.")
@click.option(
    "--releasability",
    default="agreement",
    show_default=True,
    help="Default label of its submissions: public, agreement, originator.",
)
@click.option(
    "--key-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the private signing key (PEM) here instead of printing it.",
)
@click.pass_context
def partner_add(
    ctx: click.Context, code: str, name: str, kind: str, country: str | None,
    releasability: str, key_out: Path | None,
) -> None:  # fmt: skip
    """Add a partner and create its Ed25519 signing key pair (the private key is shown
    once and not kept)."""
    with opened_store(ctx) as store:
        actor = _actor(ctx, store)
        made = svc.add_partner(store, code, name, kind=kind, country=country,
                               releasability=releasability, actor=actor)  # fmt: skip
    if key_out is not None:
        key_out.write_bytes(made.private_key_pem)
        key_out.chmod(0o600)
        console.print(f"Partner [bold]{made.code}[/] added; private key written to {key_out}.")
    else:
        console.print(f"Partner [bold]{made.code}[/] added. Its private signing key (shown once):")
        click.echo(made.private_key_pem.decode(), nl=False)
    console.print(f"Public key: {made.public_key_hex}")


@partner.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def partner_list(ctx: click.Context, as_json: bool) -> None:
    """List partners."""
    with opened_store(ctx) as store:
        rows = svc.list_partners(store)
    if as_json:
        echo_json(rows)
        return
    table = Table(title=f"Partners: {len(rows)}")
    for column in ("code", "name", "kind", "country", "releasability"):
        table.add_column(column.upper())
    for row in rows:
        table.add_row(*(str(row[c] or "") for c in ("code", "name", "kind", "country",
                                                     "releasability")))  # fmt: skip
    console.print(table)


@click.group()
def user() -> None:
    """Users of partners."""


@user.command("add")
@click.argument("email")
@click.option("--partner", "partner_code", required=True, help="The user's partner (code).")
@click.option("--role", required=True, help="admin, analyst, operator or observer.")
@click.option("--password-stdin", is_flag=True, help="Read a password from standard input.")
@click.pass_context
def user_add(
    ctx: click.Context, email: str, partner_code: str, role: str, password_stdin: bool
) -> None:
    """Add a user of a partner with a role (password hashed with Argon2id)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    if password_stdin and not password:
        raise click.UsageError("--password-stdin: no password on standard input")
    with opened_store(ctx) as store:
        svc.add_user(store, email, partner_code, role, password=password,
                     actor=_actor(ctx, store))  # fmt: skip
    console.print(f"User [bold]{email.lower()}[/] added to {partner_code.upper()} as {role}.")


@click.group()
def key() -> None:
    """API keys of users."""


@key.command("create")
@click.option("--user", "email", required=True, help="The user (e-mail).")
@click.option("--scope", "scopes", multiple=True, default=("read",), show_default=True,
              help="read, submit or admin (repeat for several).")  # fmt: skip
@click.pass_context
def key_create(ctx: click.Context, email: str, scopes: tuple[str, ...]) -> None:
    """Create an API key; it is printed once and stored only as its hash."""
    with opened_store(ctx) as store:
        made = svc.create_key(store, email, scopes, actor=_actor(ctx, store))
    click.echo(made)


@key.command("revoke")
@click.argument("prefix")
@click.pass_context
def key_revoke(ctx: click.Context, prefix: str) -> None:
    """Revoke an API key, named by its first 12 characters."""
    with opened_store(ctx) as store:
        svc.revoke_key(store, prefix, actor=_actor(ctx, store))
    console.print(f"Key {prefix} revoked.")


@click.group()
def agreement() -> None:
    """Data-sharing agreements."""


@agreement.command("add")
@click.option("--provider", required=True, help="The partner whose data it covers.")
@click.option("--recipients", required=True, help="Partners who receive it: CODE[,CODE].")
@click.option("--data", "data_classes", required=True, help=DATA_HELP)
@click.option("--grant", required=True, help="full, derived-only, none or delayed:DURATION.")
@click.option("--objects", "scope", help="all, NORAD,..., owner:CODE,... or regime:leo,...")
@click.option("--starts", type=click.DateTime(), help="In force from (UTC; default now).")
@click.option("--expires", type=click.DateTime(), help="In force until (UTC).")
@click.option("--no-onward", is_flag=True, help="Recipients may not pass the data on.")
@click.option("--mediator", help="Partner named to settle disputes.")
@click.option(
    "--mover-rule",
    help="Who moves when both objects of a conjunction can: "
    "newer-moves (the default), older-moves or partner:CODE.",
)
@click.pass_context
def agreement_add(
    ctx: click.Context, provider: str, recipients: str, data_classes: str, grant: str,
    scope: str | None, starts: datetime | None, expires: datetime | None, no_onward: bool,
    mediator: str | None, mover_rule: str | None,
) -> None:  # fmt: skip
    """Record an agreement between a provider and recipients."""
    with opened_store(ctx) as store:
        actor = _actor(ctx, store)
        number = svc.add_agreement(
            store, provider, recipients.split(","), data_classes.split(","), grant,
            scope=scope, starts=starts, expires=expires, onward=not no_onward,
            mediator=mediator, mover_rule=mover_rule, actor=actor,
        )  # fmt: skip
    console.print(f"Agreement {number} recorded.")


def _agreement_dict(a: svc.Agreement, now: datetime) -> dict[str, object]:
    return {
        "id": a.id,
        "provider": a.provider,
        "recipients": sorted(a.recipients),
        "data": sorted(d.value for d in a.data),
        "grant": a.grant.value,
        "delay_s": a.delay.total_seconds(),
        "objects": str(a.scope),
        "starts": a.starts,
        "expires": a.expires,
        "revoked": a.revoked,
        "onward": a.onward,
        "mediator": a.mediator,
        "mover_rule": a.mover_rule,
        "in_force": a.in_force(now),
    }


@agreement.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def agreement_list(ctx: click.Context, as_json: bool) -> None:
    """List agreements, in force or not."""
    with opened_store(ctx) as store:
        rows = [_agreement_dict(a, svc.utcnow()) for a in _agreements_for(ctx, store)]
    if as_json:
        echo_json(rows)
        return
    table = Table(title=f"Agreements: {len(rows)}")
    for column in ("id", "provider", "recipients", "data", "grant", "objects", "in_force"):
        table.add_column(column.upper())
    for row in rows:
        table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in
                        (row[c] for c in ("id", "provider", "recipients", "data", "grant",
                                          "objects", "in_force"))))  # fmt: skip
    console.print(table)


@agreement.command("show")
@click.argument("number", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def agreement_show(ctx: click.Context, number: int, as_json: bool) -> None:
    """Show one agreement's terms and state."""
    with opened_store(ctx) as store:
        found = [a for a in _agreements_for(ctx, store) if a.id == number]
    if not found:
        raise svc.NotFoundError(f"no agreement {number}")
    row = _agreement_dict(found[0], svc.utcnow())
    if as_json:
        echo_json(row)
        return
    table = Table(title=f"Agreement {number}", show_header=False)
    for name, value in row.items():
        table.add_row(name, ", ".join(value) if isinstance(value, list) else str(value))
    console.print(table)


@agreement.command("revoke")
@click.argument("number", type=int)
@click.pass_context
def agreement_revoke(ctx: click.Context, number: int) -> None:
    """Revoke an agreement now (it stops releasing data at the next read)."""
    with opened_store(ctx) as store:
        svc.revoke_agreement(store, number, actor=_actor(ctx, store))
    console.print(f"Agreement {number} revoked.")
