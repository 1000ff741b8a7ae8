"""``accord operator``, ``accord ephemeris``, ``accord events`` and ``accord coordinate``:
operators' objects and ephemerides, conjunction events, and who moves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from accord.cli.common import actor_for, console, echo_json, opened_store, principal_from
from accord.errors import ForbiddenError, InvalidRequestError
from accord.policy.model import Principal
from accord.policy.trust import sign
from accord.services import coordination as coord
from accord.services.cdm import write_cdms
from accord.services.cdm_release import released_cdms
from accord.services.ephemerides import (
    STATUSES,
    EphemerisSubmission,
    ephemerides_for,
    ephemeris_for,
    set_operator,
    submit_ephemeris,
)
from accord.services.events import TIERS, event_for, events_for
from accord.services.store import Store

# -- operators -----------------------------------------------------------------------------


@click.group()
def operator() -> None:
    """Who operates an object, whether it can manoeuvre, its hard-body radius."""


@operator.command("set")
@click.argument("norad", type=click.IntRange(min=1))
@click.argument("partner")
@click.option("--maneuverable/--not-maneuverable", default=None,
              help="Whether the object can manoeuvre (default: unknown).")  # fmt: skip
@click.option("--hbr-m", type=click.FloatRange(min=0, min_open=True),
              help="Hard-body radius in metres.")  # fmt: skip
@click.option("--contact", help="Whom to call about the object (e-mail, phone).")
@click.pass_context
def operator_set(
    ctx: click.Context,
    norad: int,
    partner: str,
    maneuverable: bool | None,
    hbr_m: float | None,
    contact: str | None,
) -> None:
    """Record that PARTNER operates object NORAD (administrators, or the partner's own
    users for an object it operates or nobody does)."""
    with opened_store(ctx) as store:
        caller = actor_for(ctx, store)
        if caller is not None and not caller.admin and caller.partner != partner.upper():
            raise ForbiddenError(f"{caller.email} sets {caller.partner}'s objects only")
        actor = "admin" if caller is None else str(caller.email)
        set_operator(store, norad, partner.upper(), maneuverable=maneuverable,
                     hard_body_radius_m=hbr_m, contact=contact, actor=actor)  # fmt: skip
    console.print(f"Object {norad} is operated by [bold]{partner.upper()}[/].")


# -- ephemerides ---------------------------------------------------------------------------


@click.group()
def ephemeris() -> None:
    """Operators' ephemerides (CCSDS OEM or OCM): submit, list, show."""


def _acting(ctx: click.Context, store: Store, partner: str | None) -> tuple[str, str | None]:
    """The partner an ephemeris is submitted for, and the acting user."""
    caller = actor_for(ctx, store)
    if caller is not None and not caller.admin:
        if partner is not None and partner.upper() != caller.partner:
            raise ForbiddenError(f"{caller.email} submits for {caller.partner} only")
        return str(caller.partner), caller.email
    if partner is None:
        raise click.UsageError("name the operator with --partner (or act as a user with --as)")
    return partner.upper(), None if caller is None else caller.email


@ephemeris.command("submit")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partner", help="The operator submitting it (default: the caller's).")
@click.option("--status", type=click.Choice(STATUSES), default="definitive", show_default=True,
              help="hypothetical: seen by its owner only; candidate: a proposed manoeuvre; "
              "definitive: what the object flies (supersedes the earlier ones).")  # fmt: skip
@click.option("--norad", type=click.IntRange(min=1),
              help="The object, where the message does not name it by number.")  # fmt: skip
@click.option("--event", "event_id", type=click.IntRange(min=1),
              help="The event a candidate is proposed for.")  # fmt: skip
@click.option("--threshold-km", type=click.FloatRange(min=0, min_open=True), default=5.0,
              show_default=True, help="Screening sphere radius.")  # fmt: skip
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the file with this partner private key (PEM).")  # fmt: skip
@click.option("--no-screen", is_flag=True, help="Store it without screening it now.")
@click.option("--cdm-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one CCSDS CDM (KVN) per conjunction found here.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ephemeris_submit(
    ctx: click.Context,
    file: Path,
    partner: str | None,
    status: str,
    norad: int | None,
    event_id: int | None,
    threshold_km: float,
    sign_key: Path | None,
    no_screen: bool,
    cdm_dir: Path | None,
    as_json: bool,
) -> None:
    """Submit an OEM or OCM (KVN or XML, .gz too) and screen it against the catalogue and
    the other operators' definitive ephemerides."""
    data = file.read_bytes()
    with opened_store(ctx) as store:
        code, actor = _acting(ctx, store, partner)
        summary = submit_ephemeris(
            store, data, partner=code, status=status, filename=file.name, norad=norad,
            event_id=event_id, actor=actor, screen=not no_screen, threshold_km=threshold_km,
            signature=sign(sign_key.read_bytes(), data) if sign_key else None,
        )  # fmt: skip
        caller = principal_from(ctx, store)
        written = _write_cdms(store, summary, caller, cdm_dir) if cdm_dir is not None else []
    if as_json:
        echo_json(summary.to_dict() | {"cdm_files": [str(p) for p in written]})
        return
    _render_submission(summary)
    if cdm_dir is not None:
        console.print(f"{len(written)} CDMs written to {cdm_dir}")


def _write_cdms(
    store: Store, summary: EphemerisSubmission, caller: Principal | None, directory: Path
) -> list[Path]:
    """The submission's conjunctions the caller may receive, as CDM files written from the
    stored run."""
    result = summary.screening
    if result is None:
        return []
    if result.run_id is None:
        raise InvalidRequestError(
            "CDMs are written from a stored run: a hypothetical ephemeris' conjunctions are "
            "in its summary (--json)"
        )
    return write_cdms(released_cdms(store, result.run_id, caller), directory)


def _render_submission(summary: EphemerisSubmission) -> None:
    objects = ", ".join(str(n) for n in summary.objects) or "-"
    console.print(
        f"{summary.status.capitalize()} ephemeris for {objects}"
        + (f" (submission {summary.submission_id})" if summary.submission_id else "")
        + (f"; supersedes {summary.superseded}" if summary.superseded else "")
    )
    for r in summary.rejections:
        console.print(f"[red]rejected[/] line {r.line}: {r.reason}", highlight=False)
    if summary.screening is not None:
        _render_conjunctions([c.to_dict() for c in summary.screening.conjunctions],
                             f"{len(summary.screening.conjunctions)} conjunctions")  # fmt: skip
    if summary.events:
        console.print(f"Events: {', '.join(str(e) for e in summary.events)}")


def _render_conjunctions(rows: list[dict[str, Any]], title: str) -> None:
    table = Table(title=title)
    for column in ("object 1", "object 2", "TCA (UTC)", "miss km", "speed km/s", "Pc"):
        table.add_column(column)
    for c in sorted(rows, key=lambda c: -(c["pc"] or 0.0))[:20]:
        table.add_row(str(c["object1"]), str(c["object2"]), c["tca"][:23],
                      f"{c['miss_distance_km']:.3f}", f"{c['relative_speed_km_s']:.3f}",
                      "" if c["pc"] is None else f"{c['pc']:.2e}")  # fmt: skip
    console.print(table)


@ephemeris.command("list")
@click.option("--norad", type=click.IntRange(min=1), help="Only this object's.")
@click.option("--status", type=click.Choice(STATUSES), help="Only this status.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def ephemeris_list(
    ctx: click.Context, norad: int | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List the ephemerides the caller may see."""
    with opened_store(ctx) as store:
        found = ephemerides_for(store, principal_from(ctx, store), norad=norad, status=status,
                                limit=limit)  # fmt: skip
    if as_json:
        echo_json(found)
        return
    table = Table(title=f"{len(found)} ephemerides")
    for column in ("id", "object", "partner", "status", "start (UTC)", "stop (UTC)", "states",
                   "superseded by"):  # fmt: skip
        table.add_column(column)
    for e in found:
        table.add_row(str(e["id"]), str(e["norad_cat_id"]), e["partner"], e["status"],
                      e["start_time"][:19], e["stop_time"][:19], str(e["n_states"]),
                      str(e["superseded_by"] or ""))  # fmt: skip
    console.print(table)


@ephemeris.command("show")
@click.argument("ephemeris_id", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (with the OEM).")
@click.pass_context
def ephemeris_show(ctx: click.Context, ephemeris_id: int, as_json: bool) -> None:
    """Print one ephemeris as OEM KVN (or JSON)."""
    with opened_store(ctx) as store:
        found = ephemeris_for(store, principal_from(ctx, store), ephemeris_id)
    if as_json:
        echo_json(found)
    else:
        click.echo(found["oem"], nl=False)


# -- events --------------------------------------------------------------------------------


@click.group()
def events() -> None:
    """Conjunction events: the CDMs of one pair close in time, their risk and coordination."""


@events.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(coord.STATES),
              help="Only events in this state (repeatable).")  # fmt: skip
@click.option("--tier", type=click.Choice(TIERS), help="Only events of this tier.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def events_list(
    ctx: click.Context, states: tuple[str, ...], tier: str | None, limit: int, as_json: bool
) -> None:
    """List the events the caller may see."""
    with opened_store(ctx) as store:
        found = events_for(store, principal_from(ctx, store), states=states or None, tier=tier,
                           limit=limit)  # fmt: skip
    if as_json:
        echo_json(found)
        return
    table = Table(title=f"{len(found)} events")
    for column in ("id", "object 1", "object 2", "TCA (UTC)", "miss km", "Pc", "tier", "state",
                   "mover"):  # fmt: skip
        table.add_column(column)
    colour = {"red": "red", "amber": "yellow", "green": "green"}
    for e in found:
        table.add_row(str(e["id"]), str(e["norad_cat_id_1"]), str(e["norad_cat_id_2"]),
                      e["tca"][:23], f"{e['miss_distance_km']:.3f}",
                      "" if e["pc"] is None else f"{e['pc']:.2e}",
                      f"[{colour[e['tier']]}]{e['tier']}[/]", e["state"],
                      str(e["mover"] or ""))  # fmt: skip
    console.print(table)


@events.command("show")
@click.argument("event_id", type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def events_show(ctx: click.Context, event_id: int, as_json: bool) -> None:
    """Show one event: its CDM history, the parties and the coordination steps."""
    with opened_store(ctx) as store:
        found = event_for(store, principal_from(ctx, store), event_id)
    if as_json:
        echo_json(found)
        return
    console.print(
        f"[bold]Event {found['id']}[/]: {found['norad_cat_id_1']} x {found['norad_cat_id_2']}, "
        f"TCA {found['tca'][:23]} UTC, miss {found['miss_distance_km']:.3f} km, "
        f"tier {found['tier']}, {found['state']}"
    )
    roles = found["roles"]
    for o in roles["objects"]:
        able = {True: "manoeuvrable", False: "not manoeuvrable", None: "manoeuvrability unknown"}
        console.print(f"  {o['norad_cat_id']}: {o['operator'] or 'no operator'}, "
                      f"{able[o['maneuverable']]}")  # fmt: skip
    console.print(f"  recommended mover: {roles['recommended_mover'] or '-'} ({roles['rule']})")
    table = Table(title="CDMs")
    for column in ("conjunction", "run", "TCA (UTC)", "miss km", "Pc", "release"):
        table.add_column(column)
    for c in found["conjunctions"]:
        table.add_row(str(c["id"]), str(c["run_id"]), c["tca"][:23],
                      f"{c['miss_distance_km']:.3f}",
                      "" if c["pc"] is None else f"{c['pc']:.2e}", c["release"])  # fmt: skip
    console.print(table)
    for s in found["steps"]:
        text = f"  {s['at'][:19]} {s['partner']} {s['action']} {s['intent'] or ''} "
        console.print((text + (s["note"] or "")).rstrip(), highlight=False)


# -- coordination --------------------------------------------------------------------------


@click.group()
def coordinate() -> None:
    """Coordinate an event: claim, propose, accept or reject, escalate, decide, close."""


def _party(ctx: click.Context, store: Store) -> Principal:
    caller = principal_from(ctx, store)
    if caller is None:
        raise InvalidRequestError("name the acting user with --as EMAIL or --api-key")
    return caller


def _done(result: coord.StepResult, as_json: bool) -> None:
    if as_json:
        echo_json(result.to_dict())
        return
    e = result.event
    line = f"Event {e['id']}: {e['state']}" + (f", mover {e['mover']}" if e["mover"] else "")
    console.print(line + f" (ledger entry {result.ledger_seq})")
    if result.clear is not None:
        verdict = "[green]clear[/]" if result.clear else "[red]not clear[/]"
        console.print(f"Candidate ephemeris {result.ephemeris_id}: {verdict}")


_NOTE = click.option("--note", help="A note for the other party and the ledger.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
_EVENT = click.argument("event_id", type=click.IntRange(min=1))


@coordinate.command("claim")
@_EVENT
@click.option("--intent", type=click.Choice(coord.INTENTS), default="will-maneuver",
              show_default=True)  # fmt: skip
@_NOTE
@_JSON
@click.pass_context
def coordinate_claim(
    ctx: click.Context, event_id: int, intent: str, note: str | None, as_json: bool
) -> None:
    """Say whether your party will manoeuvre for the event."""
    with opened_store(ctx) as store:
        result = coord.claim(store, event_id, _party(ctx, store), intent, note=note)
    _done(result, as_json)


@coordinate.command("propose")
@_EVENT
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sign-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign the file with this partner private key (PEM).")  # fmt: skip
@_NOTE
@_JSON
@click.pass_context
def coordinate_propose(
    ctx: click.Context,
    event_id: int,
    file: Path,
    sign_key: Path | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Propose a manoeuvre: the planned trajectory (OEM or OCM) as a candidate ephemeris,
    screened at once."""
    data = file.read_bytes()
    with opened_store(ctx) as store:
        result = coord.propose(
            store, event_id, _party(ctx, store), data, filename=file.name, note=note,
            signature=sign(sign_key.read_bytes(), data) if sign_key else None,
        )  # fmt: skip
    _done(result, as_json)


def _simple(name: str, function: Any, help_text: str) -> None:
    @coordinate.command(name, help=help_text)
    @_EVENT
    @_NOTE
    @_JSON
    @click.pass_context
    def command(ctx: click.Context, event_id: int, note: str | None, as_json: bool) -> None:
        with opened_store(ctx) as store:
            result = function(store, event_id, _party(ctx, store), note=note)
        _done(result, as_json)


_simple("accept", coord.accept, "Accept the other party's proposed manoeuvre.")
_simple("reject", coord.reject, "Reject the other party's proposed manoeuvre.")
_simple("escalate", coord.escalate, "Take the event to the mediator of your agreement.")
_simple("close", coord.close, "Close the event.")


@coordinate.command("decide")
@_EVENT
@click.argument("mover", type=click.IntRange(min=1))
@_NOTE
@_JSON
@click.pass_context
def coordinate_decide(
    ctx: click.Context, event_id: int, mover: int, note: str | None, as_json: bool
) -> None:
    """As the mediator of an escalated event, name the object that moves."""
    with opened_store(ctx) as store:
        result = coord.decide(store, event_id, _party(ctx, store), mover, note=note)
    _done(result, as_json)
