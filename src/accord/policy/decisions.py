"""Decisions: may this caller see this record, and why (or why not).

Two forms of the same rules, kept equivalent by the tests:

- :func:`decide` judges one record and returns a :class:`Decision` with its reason;
- :func:`visibility` returns, for one caller and one class of data, the clauses that make a
  record visible (:class:`Visibility`), which storage turns into a SQL filter so that a
  record the caller may not see is never read at all.

The rules, in order: an administrator sees everything; a partner sees its own submissions;
anyone, signed in or not, sees what is labelled public; nobody else sees what is labelled
originator-only; a record labelled for agreements is seen by a recipient of an agreement in
force whose provider submitted it, which covers its class of data and its object, with a
full grant, or a delayed grant once the record is older than the delay.  A derived-only
grant never releases the record itself; it lets the recipient receive conjunction data
(states and covariance at TCA) for conjunctions with its own objects
(:func:`may_receive_derived`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from accord.policy.model import (
    Agreement,
    DataClass,
    Grant,
    ObjectScope,
    Principal,
    Record,
    Releasability,
)


@dataclass(frozen=True)
class Decision:
    """The answer for one record: ``allowed`` (the record itself), ``derived`` (only data
    derived from it, for conjunctions with the caller's objects), and the reason."""

    allowed: bool
    reason: str
    derived: bool = False
    agreement: int | None = None


def decide(
    principal: Principal, record: Record, agreements: Iterable[Agreement], now: datetime
) -> Decision:
    """Given a caller, a record, the agreements and the time, decide whether the caller may
    see the record, with the reason."""
    if principal.admin:
        return Decision(True, "administrator")
    if principal.partner is not None and principal.partner == record.provider:
        return Decision(True, "the caller's own submission")
    if record.releasability is Releasability.PUBLIC:
        return Decision(True, "labelled public")
    if principal.partner is None:
        return Decision(False, "not public, and the caller is not signed in")
    if record.releasability is Releasability.ORIGINATOR:
        return Decision(False, f"labelled originator-only by {record.provider}")
    derived: Decision | None = None
    held: Decision | None = None
    lapsed: Decision | None = None
    for agreement in agreements:
        if agreement.provider != record.provider:
            continue
        if not agreement.covers(principal.partner, record.data):
            continue
        if not agreement.scope.covers(record.norad, record.owner, record.regime):
            continue
        if not agreement.in_force(now):
            lapsed = lapsed or Decision(False, _lapsed_reason(agreement, now))
            continue
        if agreement.grant is Grant.FULL:
            return Decision(True, f"agreement {agreement.id}: full", agreement=agreement.id)
        if agreement.grant is Grant.DELAYED:
            released = record.received + agreement.delay
            if now >= released:
                return Decision(
                    True,
                    f"agreement {agreement.id}: delayed by {agreement.delay}, released",
                    agreement=agreement.id,
                )
            held = held or Decision(
                False,
                f"agreement {agreement.id}: held until {released.isoformat()}",
                agreement=agreement.id,
            )
        elif agreement.grant is Grant.DERIVED_ONLY:
            derived = derived or Decision(
                False,
                f"agreement {agreement.id}: derived data only",
                derived=True,
                agreement=agreement.id,
            )
    for answer in (derived, held, lapsed):
        if answer is not None:
            return answer
    return Decision(
        False,
        f"no agreement in force with {record.provider} covers {record.data.value} "
        f"for {principal.partner}",
    )


def may_receive_derived(
    principal: Principal, record: Record, agreements: Iterable[Agreement], now: datetime
) -> Decision:
    """Whether the caller may receive conjunction data (states and covariance at TCA)
    derived from ``record``: yes wherever it may see the record itself, and under a
    derived-only grant.  The caller must only ask this for conjunctions with its own
    objects (the service's job)."""
    answer = decide(principal, record, agreements, now)
    if answer.allowed or answer.derived:
        return Decision(True, answer.reason, derived=not answer.allowed,
                        agreement=answer.agreement)  # fmt: skip
    return answer


def _lapsed_reason(agreement: Agreement, now: datetime) -> str:
    if now < agreement.starts:
        return f"agreement {agreement.id}: not in force until {agreement.starts.isoformat()}"
    if agreement.revoked is not None and now >= agreement.revoked:
        return f"agreement {agreement.id}: revoked {agreement.revoked.isoformat()}"
    assert agreement.expires is not None
    return f"agreement {agreement.id}: expired {agreement.expires.isoformat()}"


@dataclass(frozen=True)
class Clause:
    """Records of ``provider`` labelled for agreements, within ``scope``, received no later
    than ``received_by`` (None: any time), are visible under agreement ``agreement``."""

    provider: str
    scope: ObjectScope
    received_by: datetime | None
    agreement: int


@dataclass(frozen=True)
class Visibility:
    """What one caller may see of one class of data (see :func:`visibility`)."""

    everything: bool
    own: str | None
    clauses: tuple[Clause, ...]

    def admits(self, record: Record) -> bool:
        """Apply the clauses to one record (the same test storage expresses in SQL)."""
        if self.everything:
            return True
        if self.own is not None and record.provider == self.own:
            return True
        if record.releasability is Releasability.PUBLIC:
            return True
        if record.releasability is not Releasability.AGREEMENT:
            return False
        return any(
            clause.provider == record.provider
            and clause.scope.covers(record.norad, record.owner, record.regime)
            and (clause.received_by is None or record.received <= clause.received_by)
            for clause in self.clauses
        )


def visibility(
    principal: Principal, data: DataClass, agreements: Iterable[Agreement], now: datetime
) -> Visibility:
    """Given a caller, a class of data, the agreements and the time, return what the caller
    may see: everything (administrators), its own partner's records, public records, and one
    clause per agreement in force that releases that class of data to its partner."""
    if principal.admin:
        return Visibility(True, None, ())
    if principal.partner is None:
        return Visibility(False, None, ())
    clauses = []
    for agreement in agreements:
        if not agreement.covers(principal.partner, data) or not agreement.in_force(now):
            continue
        if agreement.grant is Grant.FULL:
            clauses.append(Clause(agreement.provider, agreement.scope, None, agreement.id))
        elif agreement.grant is Grant.DELAYED:
            clauses.append(
                Clause(agreement.provider, agreement.scope, now - agreement.delay, agreement.id)
            )
    return Visibility(False, principal.partner, tuple(clauses))
