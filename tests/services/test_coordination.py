"""Conjunction events and their coordination on a real store (SQLite and PostgreSQL).

The pair is real: STARLINK-2742 (48688) and STARLINK-36046 (66810) pass 0.46 km apart on
2026-03-04 in the demo catalogue's element sets.  CNES (France) operates the first, JAXA
(Japan) the second; the rest of the demo catalogue is public; their agreements name
UNOOSA as mediator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from accord.errors import ConflictError, ForbiddenError, InvalidRequestError, NotFoundError
from accord.formats.cdm import dump_cdm_kvn, load_cdm
from accord.policy.model import Principal
from accord.services import audit, coordination, federation
from accord.services.access import principal_for
from accord.services.cdm_release import numbered_conjunctions, released_cdm
from accord.services.continuous import after_submission
from accord.services.ephemerides import (
    ephemerides_for,
    ephemeris_for,
    set_operator,
    submit_ephemeris,
)
from accord.services.events import event_for, events_for, tier_of
from accord.services.ingest import ingest_bytes
from accord.services.screening import screen_catalogue, screen_element_sets
from accord.services.store import Store
from accord.services.submissions import submission_for, submissions_for
from accord.storage.tables import alerts, screening_runs, space_objects
from tests.ephemerides import demo_catalogue_without, demo_elements, demo_object, oem_bytes

CNES_SAT, JAXA_SAT = 48688, 66810


@dataclass
class World:
    store: Store
    tca: datetime
    run_id: int
    event_id: int
    cnes: Principal
    jaxa: Principal
    unoosa: Principal
    admin: Principal


def _tca() -> datetime:
    records = [es for es in demo_elements() if es.norad_cat_id in (CNES_SAT, JAXA_SAT)]
    found = screen_element_sets(records, window=timedelta(hours=12)).conjunctions
    return min(found, key=lambda c: c.miss_distance_km).tca


TCA = _tca()


def _alerts(store: Store, code: str) -> list[Any]:
    with store.engine.connect() as conn:
        from accord.storage import repositories as repo

        partner = repo.partner_by_code(conn, code)
        assert partner is not None
        query = select(alerts).where(alerts.c.partner_id == partner.id).order_by(alerts.c.id)
        return list(conn.execute(query))


@pytest.fixture
def world(store: Store) -> World:
    for code, name, country in (("CNES", "CNES", "FR"), ("JAXA", "JAXA", "JP"),
                                ("UNOOSA", "UNOOSA", None)):  # fmt: skip
        federation.add_partner(store, code, name, country=country)
    federation.add_partner(store, "ADMINS", "Administrators")
    ingest_bytes(store, demo_catalogue_without(CNES_SAT, JAXA_SAT), releasability="public")
    ingest_bytes(store, demo_object(CNES_SAT), source="CNES")
    ingest_bytes(store, demo_object(JAXA_SAT), source="JAXA")
    classes = ["element-sets", "ephemerides", "manoeuvre-plans"]
    federation.add_agreement(store, "CNES", ["JAXA"], classes, "full", mediator="UNOOSA")
    federation.add_agreement(store, "JAXA", ["CNES"], classes, "full", mediator="UNOOSA")
    for user, code, role in (("ops@cnes.fr", "CNES", "operator"),
                             ("ops@jaxa.jp", "JAXA", "operator"),
                             ("desk@unoosa.org", "UNOOSA", "analyst"),
                             ("root@admins.org", "ADMINS", "admin")):  # fmt: skip
        federation.add_user(store, user, code, role)
    set_operator(store, CNES_SAT, "CNES", maneuverable=True, hard_body_radius_m=5.0)
    set_operator(store, JAXA_SAT, "JAXA", maneuverable=False)
    result = screen_catalogue(store, start=TCA - timedelta(hours=1), window=timedelta(hours=2))
    assert result.run_id is not None
    found = events_for(store, None)
    assert [(e["norad_cat_id_1"], e["norad_cat_id_2"]) for e in found] == [(CNES_SAT, JAXA_SAT)]
    return World(
        store, TCA, result.run_id, found[0]["id"],
        *(principal_for(store, email=e) for e in
          ("ops@cnes.fr", "ops@jaxa.jp", "desk@unoosa.org", "root@admins.org")),
    )  # fmt: skip


def test_a_conjunction_of_operated_objects_is_an_event_and_both_operators_are_alerted(
    world: World,
) -> None:
    event = event_for(world.store, world.cnes, world.event_id)
    (cdm,) = event["conjunctions"]
    assert cdm["miss_distance_km"] < 1.0 and cdm["release"] == "full"
    assert event["miss_distance_km"] == cdm["miss_distance_km"]
    assert event["tier"] == tier_of(cdm["pc"]) and event["state"] == "open"
    assert abs(datetime.fromisoformat(event["tca"][:-1]) - world.tca) < timedelta(seconds=1)
    # only the operated pair makes an event: the run holds other conjunctions
    with world.store.engine.connect() as conn:
        run = conn.execute(select(screening_runs).where(screening_runs.c.id == world.run_id)).one()
    assert run.n_conjunctions >= 1
    for code in ("CNES", "JAXA"):
        (alert,) = _alerts(world.store, code)
        assert alert.kind == "event.created" and alert.event_id == world.event_id
        assert alert.payload["event"]["id"] == world.event_id
        assert alert.payload["conjunctions"][0]["miss_distance_km"] == cdm["miss_distance_km"]
    assert _alerts(world.store, "UNOOSA") == []
    # the roles: only CNES's satellite can manoeuvre, so it is the one to move
    roles = event["roles"]
    assert roles["recommended_mover"] == CNES_SAT
    assert roles["rule"] == "the only manoeuvrable object moves"
    # a partner with no object in it does not see the event
    with pytest.raises(NotFoundError):
        event_for(world.store, world.unoosa, world.event_id)
    assert events_for(world.store, world.unoosa) == []


def test_a_second_cdm_of_the_same_encounter_joins_the_event(world: World) -> None:
    screen_catalogue(world.store, start=world.tca - timedelta(minutes=30),
                     window=timedelta(hours=1))  # fmt: skip
    (event,) = events_for(world.store, None)
    assert event["id"] == world.event_id
    assert len(event_for(world.store, world.jaxa, world.event_id)["conjunctions"]) == 2
    assert [a.kind for a in _alerts(world.store, "JAXA")] == ["event.created", "event.updated"]


def _candidate(world: World, drift: float = 1e-4) -> bytes:
    (es,) = [e for e in demo_elements() if e.norad_cat_id == CNES_SAT]
    start = world.tca - timedelta(hours=12)
    return oem_bytes(es, start, world.tca + timedelta(hours=12),
                     manoeuvre_at=world.tca - timedelta(hours=6), drift=drift)  # fmt: skip


def test_claim_propose_accept_close_each_step_in_the_ledger(world: World) -> None:
    store, e = world.store, world.event_id
    with pytest.raises(ConflictError):  # nothing is proposed yet
        coordination.accept(store, e, world.jaxa)
    with pytest.raises(ConflictError):  # nobody has claimed the manoeuvre
        coordination.propose(store, e, world.cnes, _candidate(world))
    claimed = coordination.claim(store, e, world.cnes, "will-maneuver", note="we move")
    assert claimed.event["state"] == "claimed" and claimed.event["mover"] == CNES_SAT
    with pytest.raises(NotFoundError):  # UNOOSA is no party: the event is not its to see
        coordination.claim(store, e, world.unoosa, "will-not")
    with pytest.raises(ConflictError):  # only the mover's party proposes
        coordination.propose(store, e, world.jaxa, _candidate(world))
    proposed = coordination.propose(store, e, world.cnes, _candidate(world))
    assert proposed.clear is True and proposed.event["state"] == "proposed"
    assert proposed.ephemeris_id is not None
    # the manoeuvre takes the pair apart: no conjunction of the two within 5 km any more
    assert not [c for c in proposed.conjunctions if c["object2"] == JAXA_SAT
                or c["object1"] == JAXA_SAT]  # fmt: skip
    candidate = ephemeris_for(store, world.jaxa, proposed.ephemeris_id)
    assert candidate["status"] == "candidate" and candidate["event_id"] == e
    with pytest.raises(ForbiddenError):  # the proposer does not accept its own proposal
        coordination.accept(store, e, world.cnes)
    accepted = coordination.accept(store, e, world.jaxa, note="fine by us")
    assert accepted.event["state"] == "accepted"
    closed = coordination.close(store, e, world.cnes, note="manoeuvre executed")
    assert closed.event["state"] == "closed" and closed.event["closed_at"] is not None
    with pytest.raises(ConflictError):
        coordination.claim(store, e, world.jaxa, "will-not")
    steps = event_for(store, world.jaxa, e)["steps"]
    assert [s["action"] for s in steps] == ["claim", "propose", "accept", "close"]
    assert [s["partner"] for s in steps] == ["CNES", "CNES", "JAXA", "CNES"]
    entries = [x for x in audit.log(store) if x.subject == f"event:{e}"]
    assert [x.action for x in entries] == [
        "coordination.claim", "coordination.propose", "coordination.accept",
        "coordination.close",
    ]  # fmt: skip
    assert [x.seq for x in entries] == [s["ledger_seq"] for s in steps]
    assert audit.verify(store) is None
    # each step reached the other party
    kinds = [a.kind for a in _alerts(store, "JAXA")]
    assert kinds[-3:] == ["coordination.claim", "coordination.propose", "coordination.close"]
    assert [a.kind for a in _alerts(store, "CNES")][-1] == "coordination.accept"


def test_a_step_altered_in_the_database_breaks_the_ledger(world: World) -> None:
    from accord.storage.tables import coordination_steps

    coordination.claim(world.store, world.event_id, world.cnes, "will-maneuver")
    assert audit.verify(world.store) is None
    with world.store.engine.begin() as conn:
        conn.execute(update(coordination_steps).values(intent="will-not"))
    broken = audit.verify(world.store)
    assert (
        broken is not None
        and broken.seq == event_for(world.store, None, world.event_id)["steps"][0]["ledger_seq"]
    )


def test_a_proposal_that_is_not_clear_leaves_the_event_claimed(world: World) -> None:
    store, e = world.store, world.event_id
    coordination.claim(store, e, world.cnes, "will-maneuver")
    result = coordination.propose(store, e, world.cnes, _candidate(world, drift=0.0))
    assert result.clear is False and result.event["state"] == "claimed"
    assert any(JAXA_SAT in (c["object1"], c["object2"]) for c in result.conjunctions)
    (step,) = [s for s in event_for(store, None, e)["steps"] if s["action"] == "propose"]
    assert step["note"].startswith(f"candidate ephemeris {result.ephemeris_id}: not clear")
    # the candidate's conjunctions are CDMs like any: the ephemeris side is named as such
    assert result.ephemeris_id is not None
    run_id = ephemeris_for(store, world.jaxa, result.ephemeris_id)["screening_run_id"]
    pair = min((n for n in numbered_conjunctions(store, run_id, world.jaxa)
                if JAXA_SAT in (n.conjunction.values["norad_cat_id_1"],
                                n.conjunction.values["norad_cat_id_2"])),
               key=lambda n: n.conjunction.values["miss_distance_km"])  # fmt: skip
    assert pair.conjunction.values["miss_distance_km"] < 1.0
    cdm = released_cdm(store, run_id, world.jaxa, index=pair.index)
    sides = {cdm.object1.object_designator: cdm.object1, cdm.object2.object_designator: cdm.object2}
    assert sides[str(CNES_SAT)].ephemeris_name == f"ACCORD-EPH-{result.ephemeris_id}"
    assert sides[str(JAXA_SAT)].ephemeris_name == "NONE"
    assert sides[str(JAXA_SAT)].covariance_method == "DEFAULT"
    assert abs(cdm.miss_distance_m - pair.conjunction.values["miss_distance_km"] * 1e3) < 1e-6
    (again,) = load_cdm(dump_cdm_kvn([cdm])).records
    assert again == cdm


def test_a_dispute_goes_to_the_mediator_who_decides(world: World) -> None:
    store, e = world.store, world.event_id
    set_operator(store, JAXA_SAT, "JAXA", maneuverable=True)
    coordination.claim(store, e, world.cnes, "will-not", note="we are low on fuel")
    coordination.claim(store, e, world.jaxa, "will-not", note="so are we")
    escalated = coordination.escalate(store, e, world.jaxa, note="please decide")
    assert escalated.event["state"] == "escalated" and escalated.event["mediator"] == "UNOOSA"
    assert [a.kind for a in _alerts(store, "UNOOSA")] == ["coordination.escalate"]
    # now the mediator sees the event, and decides
    assert event_for(store, world.unoosa, e)["state"] == "escalated"
    with pytest.raises(ForbiddenError):
        coordination.decide(store, e, world.cnes, CNES_SAT)
    with pytest.raises(InvalidRequestError):
        coordination.decide(store, e, world.unoosa, 25544)
    decided = coordination.decide(store, e, world.unoosa, JAXA_SAT, note="JAXA moves")
    assert decided.event["state"] == "claimed" and decided.event["mover"] == JAXA_SAT
    assert [a.kind for a in _alerts(store, "CNES")][-1] == "coordination.decide"
    with pytest.raises(ConflictError):  # CNES is not the mover now
        coordination.claim(store, e, world.cnes, "will-maneuver")
    assert audit.verify(store) is None


def test_rules_of_the_road_when_both_can_manoeuvre(world: World) -> None:
    store = world.store
    set_operator(store, JAXA_SAT, "JAXA", maneuverable=True)
    roles = event_for(store, None, world.event_id)["roles"]
    assert roles["recommended_mover"] is None and "launch dates unknown" in roles["rule"]
    with store.engine.begin() as conn:
        for norad, launched in ((CNES_SAT, "2021-05-26"), (JAXA_SAT, "2025-11-13")):
            conn.execute(update(space_objects).where(space_objects.c.norad_cat_id == norad)
                         .values(launch_date=launched))  # fmt: skip
    roles = event_for(store, None, world.event_id)["roles"]
    assert roles["recommended_mover"] == JAXA_SAT  # the newer one
    assert roles["rule"] == "newer-moves (the default rule)"
    agreement = federation.add_agreement(store, "CNES", ["JAXA"], ["element-sets"], "full",
                                         mover_rule="partner:CNES")  # fmt: skip
    roles = event_for(store, None, world.event_id)["roles"]
    assert roles["recommended_mover"] == CNES_SAT
    assert roles["rule"] == f"partner:CNES (agreement {agreement})"


def test_a_hypothetical_ephemeris_is_its_owners_alone(world: World) -> None:
    store = world.store
    (es,) = [e for e in demo_elements() if e.norad_cat_id == CNES_SAT]
    data = oem_bytes(es, world.tca - timedelta(hours=3), world.tca + timedelta(hours=3))
    before = {code: len(_alerts(store, code)) for code in ("CNES", "JAXA")}
    runs_before = len(list(store.engine.connect().execute(select(screening_runs.c.id))))
    summary = submit_ephemeris(store, data, partner="CNES", status="hypothetical",
                               actor="ops@cnes.fr")  # fmt: skip
    # screened for its owner: the pair is still there, but nothing stored as a run or event
    assert summary.screening is not None and summary.screening.run_id is None
    assert any(JAXA_SAT in (c.object1, c.object2) for c in summary.screening.conjunctions)
    assert summary.events == []
    (eid,) = summary.ephemeris_ids
    with store.engine.connect() as conn:
        assert len(list(conn.execute(select(screening_runs.c.id)))) == runs_before
    assert {code: len(_alerts(store, code)) for code in ("CNES", "JAXA")} == before
    # the owner sees it ...
    assert ephemeris_for(store, world.cnes, eid)["status"] == "hypothetical"
    assert [x["id"] for x in ephemerides_for(store, world.cnes)] == [eid]
    assert (
        submission_for(store, world.cnes, summary.submission_id or 0).format == "oem:hypothetical"
    )
    # ... nobody else, by any path: the other party, the mediator, an administrator, the
    # local operator, anonymous
    for who in (world.jaxa, world.unoosa, world.admin, None, Principal()):
        with pytest.raises(NotFoundError):
            ephemeris_for(store, who, eid)
        assert ephemerides_for(store, who) == []
        assert ephemerides_for(store, who, norad=CNES_SAT, status="hypothetical") == []
    for who in (world.jaxa, world.admin):
        with pytest.raises(NotFoundError):
            submission_for(store, who, summary.submission_id or 0)
        assert summary.submission_id not in [s.id for s in submissions_for(store, who)]


def test_continuous_screening_rescreens_what_a_new_element_set_touches(world: World) -> None:
    store = world.store
    text = demo_object(JAXA_SAT).decode().splitlines()
    # the same orbit, a new element set number: a new element set of JAXA's satellite
    line1 = text[1][:64] + " 998"
    line1 = line1[:68] + str(_checksum(line1[:68]))
    summary = ingest_bytes(store, f"{text[0]}\n{line1}\n{text[2]}\n".encode(), source="JAXA")
    assert summary.accepted == 1
    results = after_submission(store, summary.submission_id)
    assert results, "JAXA's satellite is operated: its new element set is re-screened"
    assert results[0].primaries == [JAXA_SAT]
    # over its 7 days it meets others too: each is an event of JAXA's satellite, and the
    # encounter with CNES's joins the event it already has
    found = events_for(store, None)
    pairs = {tuple(sorted((c.object1, c.object2))) for c in results[0].conjunctions}
    assert (CNES_SAT, JAXA_SAT) in pairs
    assert {(e["norad_cat_id_1"], e["norad_cat_id_2"]) for e in found} == pairs
    assert found[0]["id"] == world.event_id
    assert len(event_for(store, None, world.event_id)["conjunctions"]) == 2
    # green events (nothing to act on) are kept but raise no alert
    greens = {e["id"] for e in found if e["tier"] == "green"}
    assert greens and len(greens) < len(found)
    alerted = {a.event_id for a in _alerts(store, "JAXA") if a.kind.startswith("event.")}
    assert alerted == {e["id"] for e in found} - greens
    # a debris object's new element set is screened against the operated objects only
    other = next(es for es in demo_elements() if es.norad_cat_id not in (CNES_SAT, JAXA_SAT))
    text = demo_object(other.norad_cat_id).decode().splitlines()
    line1 = text[1][:64] + " 997"
    line1 = line1[:68] + str(_checksum(line1[:68]))
    summary = ingest_bytes(store, f"{text[0]}\n{line1}\n{text[2]}\n".encode())
    (result,) = after_submission(store, summary.submission_id)
    assert result.n_objects == 3 and sorted(result.primaries) == [CNES_SAT, JAXA_SAT]


def _checksum(line: str) -> int:
    return sum(int(c) if c.isdigit() else c == "-" for c in line) % 10
