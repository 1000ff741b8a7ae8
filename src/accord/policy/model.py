"""The vocabulary of federation: partners, users, agreements, releasability, records.

Plain frozen dataclasses and enums, no I/O: storage keeps them, services pass them to the
decisions in :mod:`accord.policy.decisions`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class PartnerKind(enum.StrEnum):
    """What kind of organisation a partner is."""

    NATION = "nation"
    AGENCY = "agency"
    OPERATOR = "operator"
    ALLIANCE = "alliance"
    ACADEMIC = "academic"
    COMMERCIAL = "commercial"


class Role(enum.StrEnum):
    """What a user may do: administrators manage partners, users, keys and agreements and
    see everything; analysts and operators read what their partner may see and submit for
    it; observers only read what their partner may see."""

    ADMIN = "admin"
    ANALYST = "analyst"
    OPERATOR = "operator"
    OBSERVER = "observer"


class DataClass(enum.StrEnum):
    """The kinds of data an agreement can cover."""

    ELEMENT_SETS = "element-sets"
    EPHEMERIDES = "ephemerides"
    COVARIANCE = "covariance"
    OBSERVATIONS = "observations"
    CONJUNCTION_DATA = "conjunction-data"
    MANOEUVRE_PLANS = "manoeuvre-plans"
    SENSOR_SCHEDULES = "sensor-schedules"
    OBJECT_METADATA = "object-metadata"


class Releasability(enum.StrEnum):
    """A submission's label: everyone may see it, partners under an agreement, or only the
    partner that submitted it."""

    PUBLIC = "public"
    AGREEMENT = "agreement"
    ORIGINATOR = "originator"


class Grant(enum.StrEnum):
    """How much of the covered data a recipient gets.

    ``full``: the data itself. ``derived-only``: only what a conjunction warning needs
    (states and covariance at TCA, for conjunctions with the recipient's own objects), never
    the orbit. ``delayed``: the data, once it is older than the agreement's delay.
    ``none``: nothing (an agreement that records a refusal).
    """

    FULL = "full"
    DERIVED_ONLY = "derived-only"
    DELAYED = "delayed"
    NONE = "none"


class Regime(enum.StrEnum):
    """Orbit regimes an object scope can name (by period and eccentricity, see
    :func:`regime_of`)."""

    LEO = "leo"
    MEO = "meo"
    GEO = "geo"
    HEO = "heo"


def regime_of(period_min: float, eccentricity: float) -> Regime:
    """Given an orbit's period (minutes) and eccentricity, return its regime: HEO if
    ``e >= 0.25``, else LEO below 225 minutes (SGP4's near-Earth limit), GEO between 1,300 and
    1,800 minutes, MEO otherwise."""
    if eccentricity >= 0.25:
        return Regime.HEO
    if period_min < 225.0:
        return Regime.LEO
    if 1300.0 <= period_min <= 1800.0:
        return Regime.GEO
    return Regime.MEO


@dataclass(frozen=True)
class Partner:
    """A party to the federation."""

    code: str
    name: str
    kind: PartnerKind = PartnerKind.AGENCY
    country: str | None = None
    default_releasability: Releasability = Releasability.AGREEMENT


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user of a partner with a role, or nobody (anonymous)."""

    partner: str | None = None
    role: Role | None = None
    email: str | None = None
    # The scopes of the API key the caller holds (read, submit, admin: what the key may be
    # used for beyond reading); None for a user signed in otherwise (a session, the command
    # line), limited by the role alone.
    scopes: frozenset[str] | None = None

    @property
    def anonymous(self) -> bool:
        """True for a caller that has not authenticated."""
        return self.partner is None

    @property
    def admin(self) -> bool:
        """True for an administrator."""
        return self.role is Role.ADMIN

    def allows(self, scope: str) -> bool:
        """True if the caller's key has ``scope`` (``admin`` grants every scope); always
        true without a key."""
        return self.scopes is None or scope in self.scopes or "admin" in self.scopes


ANONYMOUS = Principal()


@dataclass(frozen=True)
class ObjectScope:
    """Which of the provider's objects an agreement covers: all of them (the default), or
    those in ``objects`` (catalogue numbers), owned by one of ``owners``, or in one of
    ``regimes``; an object matches if it matches any list given."""

    objects: frozenset[int] = frozenset()
    owners: frozenset[str] = frozenset()
    regimes: frozenset[Regime] = frozenset()

    @property
    def everything(self) -> bool:
        """True when no list restricts the scope."""
        return not (self.objects or self.owners or self.regimes)

    def covers(self, norad: int | None, owner: str | None, regime: Regime | None) -> bool:
        """True if the scope covers an object with these attributes."""
        if self.everything:
            return True
        return (
            (norad is not None and norad in self.objects)
            or (owner is not None and owner in self.owners)
            or (regime is not None and regime in self.regimes)
        )

    @classmethod
    def parse(cls, text: str | None) -> ObjectScope:
        """Parse ``all``, ``25544,43013``, ``owner:US,FR`` or ``regime:leo,geo`` (terms
        separated by ``;`` combine)."""
        if text is None or text.strip().lower() in ("", "all"):
            return cls()
        objects: set[int] = set()
        owners: set[str] = set()
        regimes: set[Regime] = set()
        for term in text.split(";"):
            term = term.strip()
            kind, _, values = term.partition(":") if ":" in term else ("objects", "", term)
            items = [v.strip() for v in values.split(",") if v.strip()]
            if kind == "objects":
                try:
                    objects.update(int(v) for v in items)
                except ValueError:
                    raise ValueError(
                        f"object scope {term!r}: expected catalogue numbers, "
                        "owner:CODE,... or regime:leo|meo|geo|heo,..."
                    ) from None
            elif kind == "owner":
                owners.update(v.upper() for v in items)
            elif kind == "regime":
                try:
                    regimes.update(Regime(v.lower()) for v in items)
                except ValueError:
                    raise ValueError(
                        f"object scope {term!r}: regimes are leo, meo, geo, heo"
                    ) from None
            else:
                raise ValueError(f"object scope {term!r}: expected objects, owner: or regime:")
        return cls(frozenset(objects), frozenset(owners), frozenset(regimes))

    def __str__(self) -> str:
        if self.everything:
            return "all"
        parts = []
        if self.objects:
            parts.append(",".join(str(n) for n in sorted(self.objects)))
        if self.owners:
            parts.append("owner:" + ",".join(sorted(self.owners)))
        if self.regimes:
            parts.append("regime:" + ",".join(sorted(r.value for r in self.regimes)))
        return ";".join(parts)


@dataclass(frozen=True)
class Agreement:
    """A provider's terms for one or more recipients.

    Valid from ``starts`` until ``expires`` (exclusive) unless ``revoked`` earlier. A
    ``delayed`` grant releases data once it is ``delay`` old. ``onward``: whether recipients
    may pass the data on.
    """

    id: int
    provider: str
    recipients: frozenset[str]
    data: frozenset[DataClass]
    grant: Grant
    starts: datetime
    scope: ObjectScope = field(default_factory=ObjectScope)
    delay: timedelta = timedelta(0)
    expires: datetime | None = None
    revoked: datetime | None = None
    onward: bool = True
    mediator: str | None = None
    # who moves when both objects of a conjunction can manoeuvre (see
    # accord.services.coordination); None: the default rule
    mover_rule: str | None = None

    def in_force(self, now: datetime) -> bool:
        """True while the agreement is valid: started, not expired, not revoked."""
        if now < self.starts:
            return False
        if self.expires is not None and now >= self.expires:
            return False
        return self.revoked is None or now < self.revoked

    def covers(self, recipient: str, data: DataClass) -> bool:
        """True if the agreement is for this recipient and this class of data."""
        return recipient in self.recipients and data in self.data


@dataclass(frozen=True)
class Record:
    """What the policy needs to know of one stored record: who provided it, what it is,
    which object it describes, its label and when it arrived."""

    provider: str
    data: DataClass
    releasability: Releasability
    received: datetime
    norad: int | None = None
    owner: str | None = None
    regime: Regime | None = None


def partners_of(agreements: Iterable[Agreement]) -> set[str]:
    """Every partner code an agreement names."""
    codes: set[str] = set()
    for agreement in agreements:
        codes.add(agreement.provider)
        codes.update(agreement.recipients)
    return codes
