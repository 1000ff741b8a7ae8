"""The policy's decisions, record by record, and the SQL-side clauses that must agree."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from accord.policy.decisions import decide, may_receive_derived, visibility
from accord.policy.model import (
    ANONYMOUS,
    Agreement,
    DataClass,
    Grant,
    ObjectScope,
    Principal,
    Record,
    Regime,
    Releasability,
    Role,
    regime_of,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def record(
    provider: str = "FRA",
    label: Releasability = Releasability.AGREEMENT,
    age: timedelta = DAY,
    norad: int = 25544,
    data: DataClass = DataClass.ELEMENT_SETS,
) -> Record:
    return Record(provider, data, label, NOW - age, norad, "ISS", Regime.LEO)


def agreement(
    id: int,
    grant: Grant,
    recipients: str = "DEU",
    delay: timedelta = timedelta(0),
    **terms: object,
) -> Agreement:
    fields: dict[str, object] = {
        "provider": "FRA",
        "recipients": frozenset(recipients.split(",")),
        "data": frozenset({DataClass.ELEMENT_SETS, DataClass.CONJUNCTION_DATA}),
        "grant": grant,
        "starts": NOW - 30 * DAY,
        "delay": delay,
    }
    fields.update(terms)
    return Agreement(id=id, **fields)  # type: ignore[arg-type]


DEU = Principal("DEU", Role.ANALYST, "analyst@deu.example")
DEU_OBSERVER = Principal("DEU", Role.OBSERVER, "observer@deu.example")
ITA = Principal("ITA", Role.ANALYST, "analyst@ita.example")
FRA = Principal("FRA", Role.OPERATOR, "ops@fra.example")
ADMIN = Principal("OPS", Role.ADMIN, "admin@accord.example")


@pytest.mark.parametrize(
    ("principal", "agreements", "expected", "reason"),
    [
        (ANONYMOUS, [agreement(1, Grant.FULL)], False, "not signed in"),
        (DEU_OBSERVER, [agreement(1, Grant.FULL)], True, "agreement 1: full"),
        (ITA, [agreement(1, Grant.FULL)], False, "no agreement in force"),
        (DEU, [], False, "no agreement in force with FRA"),
        (DEU, [agreement(1, Grant.FULL)], True, "agreement 1: full"),
        (DEU, [agreement(2, Grant.DERIVED_ONLY)], False, "derived data only"),
        (DEU, [agreement(3, Grant.DELAYED, delay=2 * DAY)], False, "held until"),
        (DEU, [agreement(3, Grant.DELAYED, delay=DAY / 2)], True, "released"),
        (DEU, [agreement(4, Grant.FULL, expires=NOW - DAY)], False, "expired"),
        (DEU, [agreement(5, Grant.FULL, revoked=NOW - timedelta(seconds=1))], False, "revoked"),
        (DEU, [agreement(6, Grant.FULL, starts=NOW + DAY)], False, "not in force until"),
        (DEU, [agreement(7, Grant.NONE)], False, "no agreement in force"),
        (DEU, [agreement(8, Grant.FULL, scope=ObjectScope.parse("43013"))], False, "no agree"),
        (DEU, [agreement(9, Grant.FULL, scope=ObjectScope.parse("owner:ISS"))], True, "full"),
        (DEU, [agreement(10, Grant.FULL, scope=ObjectScope.parse("regime:geo"))], False, "no"),
        (DEU, [agreement(11, Grant.FULL, data=frozenset({DataClass.EPHEMERIDES}))], False, "no"),
        (FRA, [], True, "own submission"),
        (ADMIN, [], True, "administrator"),
    ],
)
def test_agreement_record(
    principal: Principal, agreements: list[Agreement], expected: bool, reason: str
) -> None:
    answer = decide(principal, record(), agreements, NOW)
    assert answer.allowed is expected
    assert reason in answer.reason
    # The SQL-side clauses say the same.
    view = visibility(principal, DataClass.ELEMENT_SETS, agreements, NOW)
    assert view.admits(record()) is expected


def test_labels() -> None:
    full = [agreement(1, Grant.FULL)]
    public = record(label=Releasability.PUBLIC)
    private = record(label=Releasability.ORIGINATOR)
    assert decide(ANONYMOUS, public, [], NOW).allowed
    assert decide(ITA, public, [], NOW).allowed
    assert not decide(DEU, private, full, NOW).allowed
    assert "originator-only" in decide(DEU, private, full, NOW).reason
    assert decide(FRA, private, [], NOW).allowed
    assert decide(ADMIN, private, [], NOW).allowed


def test_derived_only_releases_conjunction_data_not_the_orbit() -> None:
    grant = [agreement(2, Grant.DERIVED_ONLY)]
    orbit = record()
    assert not decide(DEU, orbit, grant, NOW).allowed
    derived = may_receive_derived(DEU, orbit, grant, NOW)
    assert derived.allowed and derived.derived and derived.agreement == 2
    assert not may_receive_derived(ITA, orbit, grant, NOW).allowed
    # Full grants release derived data too, as the data itself.
    full = may_receive_derived(DEU, orbit, [agreement(1, Grant.FULL)], NOW)
    assert full.allowed and not full.derived


def test_delay_boundary() -> None:
    grant = [agreement(3, Grant.DELAYED, delay=DAY)]
    assert decide(DEU, record(age=DAY), grant, NOW).allowed  # exactly the delay: released
    assert not decide(DEU, record(age=DAY - timedelta(microseconds=1)), grant, NOW).allowed


def test_decide_and_visibility_agree_on_random_cases() -> None:
    rng = random.Random(7)
    partners = ["FRA", "DEU", "ITA", "JPN"]
    principals = [ANONYMOUS, ADMIN] + [
        Principal(p, role) for p, role in itertools.product(partners, [Role.ANALYST])
    ]
    scopes = ["all", "25544", "owner:ISS", "regime:geo", "43013;regime:leo"]
    for _ in range(400):
        agreements = [
            Agreement(
                id=k,
                provider=rng.choice(partners),
                recipients=frozenset(rng.sample(partners, rng.randint(1, 3))),
                data=frozenset(rng.sample(list(DataClass), rng.randint(1, 3))),
                grant=rng.choice(list(Grant)),
                starts=NOW - rng.choice([DAY, -DAY]),
                scope=ObjectScope.parse(rng.choice(scopes)),
                delay=rng.choice([timedelta(0), DAY / 2, 2 * DAY]),
                expires=rng.choice([None, NOW - DAY / 3, NOW + DAY]),
                revoked=rng.choice([None, None, NOW - DAY / 4]),
            )
            for k in range(rng.randint(0, 4))
        ]
        data = rng.choice(list(DataClass))
        rec = Record(
            rng.choice(partners),
            data,
            rng.choice(list(Releasability)),
            NOW - rng.choice([DAY / 4, DAY, 3 * DAY]),
            rng.choice([25544, 43013, 20580]),
            rng.choice(["ISS", "ESA"]),
            rng.choice(list(Regime)),
        )
        for principal in principals:
            view = visibility(principal, data, agreements, NOW)
            assert view.admits(rec) is decide(principal, rec, agreements, NOW).allowed


def test_object_scope_parsing() -> None:
    scope = ObjectScope.parse("25544, 43013; owner:us,fr; regime:LEO")
    assert scope.objects == {25544, 43013}
    assert scope.owners == {"US", "FR"}
    assert scope.regimes == {Regime.LEO}
    assert ObjectScope.parse(str(scope)) == scope
    assert ObjectScope.parse("all").everything
    with pytest.raises(ValueError, match="regimes are leo, meo, geo, heo"):
        ObjectScope.parse("regime:lunar")
    with pytest.raises(ValueError, match="expected catalogue numbers"):
        ObjectScope.parse("ISS")


def test_regimes() -> None:
    assert regime_of(92.7, 0.0005) is Regime.LEO  # the ISS
    assert regime_of(1436.1, 0.0002) is Regime.GEO
    assert regime_of(717.9, 0.01) is Regime.MEO  # GPS
    assert regime_of(717.8, 0.72) is Regime.HEO  # Molniya
