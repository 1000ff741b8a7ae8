"""Coordination of one conjunction event between its operators: who moves, and how.

Each event (:mod:`accord.services.events`) carries a small state machine::

    open --claim(will-maneuver)--> claimed --propose(clear)--> proposed --accept--> accepted
      \\                              ^   \\                       |  \\--reject--> claimed
       \\--escalate--> escalated --decide--/   \\--escalate-->      ...
    any state but closed --close--> closed

- **Parties** are the operators of the event's two objects; an object nobody operates
  (debris, a dead payload) has no party, and its side needs no acceptance.  A party acts
  through its users with the analyst, operator or admin role.
- **Roles**: each object's manoeuvrability, hard-body radius and launch date come from
  the object data (``object_operators``, the SATCAT).  The *rules of the road*
  recommend the mover: the manoeuvrable object moves; if both can, the agreement between
  the two parties decides (its ``mover_rule``: ``newer-moves``, ``older-moves`` or
  ``partner:CODE``), and without one the object launched later moves (``newer-moves``:
  the newcomer adapts to what was there).  No treaty or standard fixes a right of way in
  orbit; the best-practice guides leave it to the operators' arrangement (Space Safety
  Coalition, *Best Practices for the Sustainability of Space Operations*, 2019).  The
  recommendation is advice; the parties' claims decide.
- **Claims and intents**: a party says it *will manoeuvre*, *will not*, or is
  *undetermined*; the first will-manoeuvre claim makes its object the mover (a second
  party claiming it too is a conflict for the mediator).
- **Proposal**: the mover submits the planned trajectory as a *candidate* ephemeris (OEM or
  OCM).  It is screened at once against the catalogue and the other operators' definitive
  ephemerides; it is *clear* when the event's pair is green in it (apart beyond the
  screening threshold, or Pc below 1e-7) and none of its other conjunctions is red (Pc >=
  1e-4): the mitigation takes the event out of the monitored tiers without making a new
  high-risk conjunction (NASA Spacecraft Conjunction Assessment and Collision Avoidance
  Best Practices Handbook, NASA/SP-20205011318, 2020, on mitigation screening).  Only a clear
  proposal moves the event to *proposed*; one that is not is recorded with its
  conjunctions and the event stays *claimed*.
- **Acceptance** is the other party's (not the mover's); it may reject instead.
- **Escalation**: either party may take a disagreement to the mediator named in an
  agreement in force between the two parties; the mediator *decides* who moves, and the
  event goes back to *claimed* with that mover.
- **Closure** by a party (or the mediator of an escalated event), with a note.

Every step is a row of ``coordination_steps`` and a ledger entry (``coordination.<action>``
on ``event:<id>``) over the step's canonical JSON, so the ledger verification recomputes
it (:func:`step_payload`); the other parties (and the mediator) are alerted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from accord.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from accord.policy.model import Agreement, Principal, Role
from accord.services import audit
from accord.services.events import AMBER_PC, RED_PC, alert_partner, event_summary, json_ready
from accord.services.federation import agreements_of
from accord.services.store import Store, utcnow
from accord.storage import coordination as crepo
from accord.storage.tables import coordination_steps, space_objects

INTENTS = ("will-maneuver", "will-not", "undetermined")
ACTIONS = ("claim", "propose", "accept", "reject", "escalate", "decide", "close")
STATES = ("open", "claimed", "proposed", "accepted", "escalated", "closed")
ACTING_ROLES = (Role.ADMIN, Role.ANALYST, Role.OPERATOR)
DEFAULT_MOVER_RULE = "newer-moves"


@dataclass
class StepResult:
    """What one coordination action did: the event after it, the step and its ledger entry,
    and for a proposal the candidate ephemeris, its screening and whether it is clear."""

    event: dict[str, Any]
    step_id: int
    ledger_seq: int
    ephemeris_id: int | None = None
    clear: bool | None = None
    conjunctions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "event": self.event,
            "step_id": self.step_id,
            "ledger_seq": self.ledger_seq,
            "ephemeris_id": self.ephemeris_id,
            "clear": self.clear,
            "conjunctions": self.conjunctions,
        }


# -- roles and the rules of the road -------------------------------------------------------


def event_roles(conn: Connection, event: Row[Any]) -> dict[str, Any]:
    """Each object's party and manoeuvrability, the recommended mover and why."""
    pair = (event.norad_cat_id_1, event.norad_cat_id_2)
    operators = crepo.operators_of(conn, pair)
    launches = _launch_dates(conn, pair)
    objects = []
    for n in pair:
        op = operators.get(n)
        objects.append(
            {
                "norad_cat_id": n,
                "operator": None if op is None else op.code,
                "maneuverable": None if op is None or op.maneuverable is None
                else bool(op.maneuverable),
                "hard_body_radius_m": None if op is None else op.hard_body_radius_m,
                "launch_date": launches.get(n),
            }
        )  # fmt: skip
    mover, rule = recommended_mover(conn, event, objects)
    return {"objects": objects, "recommended_mover": mover, "rule": rule}


def recommended_mover(
    conn: Connection, event: Row[Any], objects: list[dict[str, Any]]
) -> tuple[int | None, str]:
    """The object the rules of the road say moves (None: none can, or unknown), and the
    rule that said so (see the module docstring)."""
    able = [o for o in objects if o["maneuverable"]]
    if not able:
        return None, "no object is known to be manoeuvrable"
    if len(able) == 1:
        return able[0]["norad_cat_id"], "the only manoeuvrable object moves"
    parties = {o["operator"] for o in objects}
    agreement = _between(agreements_of(conn), parties, lambda a: a.mover_rule is not None)
    rule = agreement.mover_rule if agreement and agreement.mover_rule else DEFAULT_MOVER_RULE
    source = f"agreement {agreement.id}" if agreement else "the default rule"
    if rule.startswith("partner:"):
        code = rule.partition(":")[2]
        named = [o for o in objects if o["operator"] == code]
        if named:
            return named[0]["norad_cat_id"], f"{rule} ({source})"
        rule = DEFAULT_MOVER_RULE
    dates = [o["launch_date"] for o in objects]
    if None in dates or dates[0] == dates[1]:
        return None, f"{rule} ({source}): launch dates unknown or equal"
    newer = max(objects, key=lambda o: str(o["launch_date"]))
    older = min(objects, key=lambda o: str(o["launch_date"]))
    chosen = newer if rule == "newer-moves" else older
    return chosen["norad_cat_id"], f"{rule} ({source})"


def _launch_dates(conn: Connection, pair: tuple[int, int]) -> dict[int, str]:
    o = space_objects.c
    query = select(o.norad_cat_id, o.launch_date).where(o.norad_cat_id.in_(list(pair)))
    return {int(n): d for n, d in conn.execute(query) if d}


def _between(
    agreements: list[Agreement], parties: set[str | None], wanted: Any
) -> Agreement | None:
    """The latest agreement in force between the two parties that ``wanted`` accepts."""
    now = utcnow()
    codes = {p for p in parties if p}
    if len(codes) != 2:
        return None
    found = [
        a
        for a in agreements
        if a.in_force(now) and a.provider in codes and (codes - {a.provider}) <= a.recipients
        and wanted(a)
    ]  # fmt: skip
    return max(found, key=lambda a: a.id) if found else None


# -- the steps -----------------------------------------------------------------------------


def step_document(row: Row[Any] | dict[str, Any]) -> bytes:
    """The canonical JSON of a step, as the ledger entry hashes it."""
    values = dict(row._mapping) if isinstance(row, Row) else dict(row)
    document = {k: values.get(k) for k in
                ("event_id", "at", "partner", "actor", "action", "intent", "ephemeris_id",
                 "note")}  # fmt: skip
    if isinstance(document["at"], datetime):
        document["at"] = document["at"].isoformat(timespec="microseconds")
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def step_payload(conn: Connection, seq: int) -> bytes | None:
    """The stored step a ledger entry recorded, as its canonical JSON (None: no step has
    that entry, as after a deletion: the verification then reports the entry broken)."""
    row = conn.execute(
        select(coordination_steps).where(coordination_steps.c.ledger_seq == seq)
    ).first()
    return None if row is None else step_document(row)


def step_summary(row: Row[Any]) -> dict[str, Any]:
    """One step as JSON-ready data."""
    return json_ready(dict(row._mapping))


def _party(principal: Principal, parties: dict[int, str]) -> int:
    """The object the caller's partner operates in this event (ForbiddenError if none)."""
    if principal.partner is None or principal.role not in ACTING_ROLES:
        raise ForbiddenError("coordination is for the users of the objects' operators")
    if not principal.allows("submit"):
        raise ForbiddenError("coordination needs an API key with the submit scope")
    mine = [n for n, code in parties.items() if code == principal.partner]
    if not mine:
        raise ForbiddenError(f"{principal.partner} operates neither object of this event")
    return mine[0]


def _load(conn: Connection, event_id: int, principal: Principal) -> tuple[Row[Any], dict[int, str]]:
    from accord.services.events import concerned_partners, may_see_event

    event = crepo.event(conn, event_id)
    if event is None or not may_see_event(conn, principal, event):
        raise NotFoundError(f"no event {event_id}")
    return event, concerned_partners(conn, event)


def _step(
    conn: Connection,
    event: Row[Any],
    parties: dict[int, str],
    principal: Principal,
    action: str,
    *,
    intent: str | None = None,
    ephemeris_id: int | None = None,
    note: str | None = None,
    changes: dict[str, Any] | None = None,
) -> StepResult:
    now = utcnow()
    values = {
        "event_id": event.id,
        "at": now,
        "partner": principal.partner,
        "actor": principal.email or principal.partner,
        "action": action,
        "intent": intent,
        "ephemeris_id": ephemeris_id,
        "note": note,
    }
    entry = audit.record(conn, actor=str(values["actor"]), partner=principal.partner,
                         action=f"coordination.{action}", subject=f"event:{event.id}",
                         data=step_document(values), at=now)  # fmt: skip
    step_id = crepo.add_step(conn, ledger_seq=entry.seq, **values)
    crepo.update_event(conn, event.id, updated_at=now, **(changes or {}))
    after = crepo.event(conn, event.id)
    assert after is not None
    recipients = set(parties.values()) | ({after.mediator} if after.mediator else set())
    step = step_summary(crepo.steps_of(conn, event.id)[-1])
    for code in sorted(recipients - {principal.partner}):
        alert_partner(conn, code, f"coordination.{action}", after, extra={"step": step})
    return StepResult(event_summary(after), step_id, entry.seq, ephemeris_id)


def _open(event: Row[Any]) -> None:
    if event.state == "closed":
        raise ConflictError(f"event {event.id} is closed")


def claim(
    store: Store, event_id: int, principal: Principal, intent: str, *, note: str | None = None
) -> StepResult:
    """A party says whether it will manoeuvre (``will-maneuver``, ``will-not``,
    ``undetermined``); the first will-manoeuvre claim makes its object the mover."""
    if intent not in INTENTS:
        raise InvalidRequestError(f"unknown intent {intent!r}: expected one of {INTENTS}")
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        mine = _party(principal, parties)
        changes: dict[str, Any] = {}
        if intent == "will-maneuver":
            if event.mover is not None and event.mover != mine:
                raise ConflictError(
                    f"object {event.mover} is already the mover of event {event_id}: "
                    "escalate to the mediator to settle it"
                )
            if event.state in ("open", "claimed"):
                changes = {"mover": mine, "state": "claimed"}
        elif event.mover == mine and event.state in ("claimed", "proposed"):
            changes = {"mover": None, "state": "open"}  # the mover withdraws
        result = _step(conn, event, parties, principal, "claim", intent=intent, note=note,
                       changes=changes)  # fmt: skip
    _notify(store)
    return result


def propose(
    store: Store,
    event_id: int,
    principal: Principal,
    data: bytes,
    *,
    filename: str | None = None,
    signature: str | None = None,
    note: str | None = None,
) -> StepResult:
    """The mover's party submits its planned trajectory (an OEM or OCM) as a candidate
    ephemeris for the event; it is screened at once, and the event becomes *proposed* when
    the candidate is clear (see the module docstring)."""
    from accord.services.ephemerides import submit_ephemeris

    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        mine = _party(principal, parties)
        if event.state not in ("claimed", "proposed") or event.mover != mine:
            raise ConflictError(
                f"event {event_id} is {event.state}: only the mover's party proposes, after "
                "claiming the manoeuvre (or being named the mover by the mediator)"
            )
    submitted = submit_ephemeris(
        store, data, partner=str(principal.partner), status="candidate", filename=filename,
        norad=mine, event_id=event_id, signature=signature,
        actor=principal.email or principal.partner,
    )  # fmt: skip
    screening = submitted.screening
    assert screening is not None
    ephemeris_id = submitted.ephemeris_ids[0]
    found = [c.to_dict() for c in screening.conjunctions]
    pair = {event.norad_cat_id_1, event.norad_cat_id_2}
    remaining = [c for c in found if {c["object1"], c["object2"]} == pair
                 and (c["pc"] is None or c["pc"] >= AMBER_PC)]  # fmt: skip
    red = [c for c in found if c["pc"] is not None and c["pc"] >= RED_PC
           and {c["object1"], c["object2"]} != pair]  # fmt: skip
    clear = not remaining and not red
    text = f"candidate ephemeris {ephemeris_id}: " + (
        f"clear ({len(found)} conjunctions; the event's pair green or apart, none red)"
        if clear
        else "not clear: "
        + ", ".join(
            f"{c['object1']}-{c['object2']} miss {c['miss_distance_km']:.3f} km Pc "
            + ("unknown" if c["pc"] is None else f"{c['pc']:.2e}")
            for c in [*remaining, *red][:5]
        )
    )
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        changes = {"state": "proposed"} if clear else {}
        note_text = text if note is None else f"{text}; {note}"
        result = _step(conn, event, parties, principal, "propose", ephemeris_id=ephemeris_id,
                       note=note_text, changes=changes)  # fmt: skip
    result.clear, result.conjunctions = clear, found
    _notify(store)
    return result


def _answer(
    store: Store, event_id: int, principal: Principal, action: str, note: str | None
) -> StepResult:
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        mine = _party(principal, parties)
        if event.state != "proposed":
            raise ConflictError(f"event {event_id} is {event.state}: nothing is proposed")
        if mine == event.mover:
            raise ForbiddenError("the other party answers a proposal, not the proposer")
        changes = {"state": "accepted" if action == "accept" else "claimed"}
        result = _step(conn, event, parties, principal, action, note=note, changes=changes)
    _notify(store)
    return result


def accept(
    store: Store, event_id: int, principal: Principal, *, note: str | None = None
) -> StepResult:
    """The other party accepts the proposed manoeuvre."""
    return _answer(store, event_id, principal, "accept", note)


def reject(
    store: Store, event_id: int, principal: Principal, *, note: str | None = None
) -> StepResult:
    """The other party rejects the proposed manoeuvre (the event goes back to *claimed*)."""
    return _answer(store, event_id, principal, "reject", note)


def escalate(
    store: Store, event_id: int, principal: Principal, *, note: str | None = None
) -> StepResult:
    """A party takes the event to the mediator named in an agreement in force between the
    two parties."""
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        _party(principal, parties)
        if event.state == "escalated":
            raise ConflictError(f"event {event_id} is already with {event.mediator}")
        agreement = _between(agreements_of(conn), set(parties.values()),
                             lambda a: a.mediator is not None)  # fmt: skip
        if agreement is None:
            raise InvalidRequestError(
                "no agreement in force between the two parties names a mediator"
            )
        changes = {"state": "escalated", "mediator": agreement.mediator}
        result = _step(conn, event, parties, principal, "escalate", note=note, changes=changes)
    _notify(store)
    return result


def decide(
    store: Store, event_id: int, principal: Principal, mover: int, *, note: str | None = None
) -> StepResult:
    """The mediator of an escalated event names the object that moves."""
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _mediator(principal, event)
        if event.state != "escalated":
            raise ConflictError(f"event {event_id} is {event.state}, not escalated")
        if mover not in parties:
            raise InvalidRequestError(
                f"object {mover} is not an operated object of event {event_id}: expected one "
                f"of {sorted(parties)}"
            )
        changes = {"state": "claimed", "mover": mover}
        result = _step(conn, event, parties, principal, "decide", intent="will-maneuver",
                       note=note or f"object {mover} moves", changes=changes)  # fmt: skip
    _notify(store)
    return result


def _mediator(principal: Principal, event: Row[Any]) -> None:
    if principal.partner is None or principal.partner != event.mediator:
        raise ForbiddenError(f"only the mediator of event {event.id} decides")
    if principal.role not in ACTING_ROLES or not principal.allows("submit"):
        raise ForbiddenError("deciding needs an analyst, operator or admin with submit scope")


def close(
    store: Store, event_id: int, principal: Principal, *, note: str | None = None
) -> StepResult:
    """A party (or the mediator of an escalated event) closes the event."""
    with store.engine.begin() as conn:
        event, parties = _load(conn, event_id, principal)
        _open(event)
        if event.mediator is not None and principal.partner == event.mediator:
            _mediator(principal, event)
        else:
            _party(principal, parties)
        now = utcnow()
        result = _step(conn, event, parties, principal, "close", note=note,
                       changes={"state": "closed", "closed_at": now})  # fmt: skip
    _notify(store)
    return result


def _notify(store: Store) -> None:
    from accord.services.alerts import notify

    notify(store)
