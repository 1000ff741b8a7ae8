"""Operators' ephemerides: submission, supersession, release, and screening on arrival.

An operator submits an OEM or OCM (KVN or XML, CCSDS 502.0-B-3 sections 5 and 6) for one or
more of its objects, marked:

- ``hypothetical``: a what-if (a manoeuvre being studied).  Screened on demand for its
  owner and returned, never stored as a screening run, never in an event or alert, and
  visible to nobody but the submitting partner, administrators included.
- ``candidate``: a proposed manoeuvre (usually for an event, see
  :mod:`accord.services.coordination`).  Screened and the run stored; it supersedes
  nothing and raises no event: it is not flown until the operator says so.
- ``definitive``: the trajectory the object flies.  It supersedes the object's earlier
  definitive ephemerides for screening (history kept), is screened against the catalogue
  and the other operators' definitive ephemerides, and its conjunctions go to events and
  alerts (:mod:`accord.services.events`).

Each submission is kept as received (bytes, signature) and appended to the ledger in the
transaction that stores it, like an element-set submission.  The object is named by the
message (OEM OBJECT_ID as a catalogue number or an international designator known to the
catalogue, OCM OBJECT_DESIGNATOR, or the name) or by the caller; an object that another
partner operates cannot be submitted for.  A partner that submits for an object nobody
operates becomes its operator (its manoeuvrability unknown until it says).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from accord.errors import ForbiddenError, FormatError, InvalidRequestError, NotFoundError
from accord.formats.oem import Oem, OemSegment, dump_oem_kvn, load_oem, load_oem_kvn
from accord.formats.records import Rejected
from accord.policy.decisions import decide
from accord.policy.model import DataClass, Principal, Record, Releasability
from accord.policy.trust import verify_signature
from accord.services import audit
from accord.services.catalogue import whole_catalogue
from accord.services.ephemeris import Ephemeris, screen_ephemerides
from accord.services.federation import agreements_of
from accord.services.ingest import RejectionInfo, decode_submission
from accord.services.screening import ScreeningResult, store_run
from accord.services.store import Store, utcnow
from accord.storage import coordination as crepo
from accord.storage import repositories as repo
from accord.storage.tables import space_objects

STATUSES = ("hypothetical", "candidate", "definitive")
# What a candidate or definitive ephemeris is, to an agreement.
DATA_CLASS = {"candidate": DataClass.MANOEUVRE_PLANS, "definitive": DataClass.EPHEMERIDES}


@dataclass
class EphemerisSubmission:
    """What one ephemeris submission did: the stored ephemerides (none for a hypothetical
    one), the objects, the rejected messages, and the screening (with its run id unless
    hypothetical)."""

    submission_id: int | None
    status: str
    objects: list[int] = field(default_factory=list)
    ephemeris_ids: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    rejections: list[RejectionInfo] = field(default_factory=list)
    screening: ScreeningResult | None = None
    events: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data."""
        return {
            "submission_id": self.submission_id,
            "status": self.status,
            "objects": self.objects,
            "ephemeris_ids": self.ephemeris_ids,
            "superseded": self.superseded,
            "rejected": len(self.rejections),
            "rejections": [r.__dict__ for r in self.rejections],
            "screening": None if self.screening is None else self.screening.to_dict(),
            "events": self.events,
        }


def message_format(text: str) -> str:
    """``oem`` or ``ocm``, from the message's version keyword or XML element."""
    head = text.lstrip("\ufeff \t\r\n")[:4000].upper()
    if "CCSDS_OCM_VERS" in head or "<OCM" in head:
        return "ocm"
    if "CCSDS_OEM_VERS" in head or "<OEM" in head:
        return "oem"
    raise FormatError(
        "not an ephemeris message",
        line=1,
        expected="a CCSDS OEM or OCM (CCSDS_OEM_VERS / CCSDS_OCM_VERS, or <oem> / <ocm>)",
    )


def _segments_of(text: str, fmt: str) -> tuple[list[tuple[Oem, int | None]], list[Rejected]]:
    """The messages as OEMs, each with the catalogue number an OCM names (None for OEMs)."""
    if fmt == "oem":
        parsed = load_oem(text)
        return [(o, None) for o in parsed.records], parsed.rejected
    from accord.formats.ocm import load_ocm, ocm_segments

    result = load_ocm(text)
    out: list[tuple[Oem, int | None]] = []
    rejected = list(result.rejected)
    for p in result.accepted:
        ocm = p.record
        try:
            segments = ocm_segments(ocm)
        except (FormatError, InvalidRequestError) as error:
            fe = error if isinstance(error, FormatError) else FormatError(str(error), line=p.line)
            rejected.append(Rejected(p.line, "", fe))
            continue
        number = ocm.object_designator
        norad = int(number) if number is not None and number.strip().isdigit() else None
        oem = Oem("3.0", ocm.creation_date, ocm.originator, segments, ocm.message_id)
        out.append((oem, norad))
    return out, rejected


def _norad_of(conn: Connection, segment: OemSegment, named: int | None) -> int:
    if named is not None:
        return named
    ident = segment.object_id.strip()
    if ident.isdigit():
        return int(ident)
    o = space_objects.c
    for column, value in ((o.object_id, ident.upper()), (o.object_name, segment.object_name)):
        found = list(conn.execute(select(o.norad_cat_id).where(column == value)).scalars())
        if len(found) == 1:
            return int(found[0])
    raise InvalidRequestError(
        f"object {segment.object_name!r} ({segment.object_id}) is not in the catalogue: name "
        "it by catalogue number (OBJECT_ID, or the norad parameter)"
    )


def _span_utc(segments: Sequence[OemSegment]) -> tuple[datetime, datetime]:
    from accord.services.ephemeris import utc_of

    first = min(utc_of(s, s.useable_start_time or s.start_time) for s in segments)
    last = max(utc_of(s, s.useable_stop_time or s.stop_time) for s in segments)
    return first, last


def submit_ephemeris(
    store: Store,
    data: bytes,
    *,
    partner: str,
    status: str = "definitive",
    filename: str | None = None,
    norad: int | None = None,
    event_id: int | None = None,
    signature: str | None = None,
    releasability: str | None = None,
    actor: str | None = None,
    screen: bool = True,
    threshold_km: float = 5.0,
) -> EphemerisSubmission:
    """Given an OEM or OCM's bytes, store the ephemerides and screen them; return a summary.

    ``norad`` names the object where the message does not (one object only); ``event_id``
    the event a candidate is proposed for.  A message that does not read is rejected with
    its line and keyword and the others are kept.  See the module docstring for statuses.
    """
    if status not in STATUSES:
        raise InvalidRequestError(f"unknown status {status!r}: expected one of {STATUSES}")
    text = decode_submission(data)
    fmt = message_format(text)
    messages, rejected = _segments_of(text, fmt)
    summary = EphemerisSubmission(None, status)
    summary.rejections = [RejectionInfo(r.line, r.error.field, r.reason) for r in rejected]
    now = utcnow()
    with store.engine.begin() as conn:
        row = repo.partner_by_code(conn, partner)
        if row is None:
            raise NotFoundError(f"no partner with code {partner!r}")
        if signature is not None:
            keys = repo.partner_public_keys(conn).get(partner, [])
            if not any(verify_signature(key, data, signature) for key in keys):
                raise ForbiddenError(f"the signature does not verify against {partner}'s keys")
        by_object: dict[int, list[OemSegment]] = defaultdict(list)
        header: dict[int, Oem] = {}
        for oem, named in messages:
            for segment in oem.segments:
                number = _norad_of(conn, segment, named if named is not None else norad)
                by_object[number].append(segment)
                header.setdefault(number, oem)
        if not by_object:
            if not summary.rejections:
                raise InvalidRequestError("the message holds no ephemeris")
            first = summary.rejections[0]
            raise FormatError(first.reason, line=first.line, field=first.field)
        operators = crepo.operators_of(conn, by_object)
        for number in by_object:
            op = operators.get(number)
            if op is not None and op.partner_id != row.id:
                raise ForbiddenError(
                    f"object {number} is operated by {op.code}: only its operator submits "
                    "ephemerides for it"
                )
        if event_id is not None:
            _check_event(conn, event_id, set(by_object))
        submission_id = repo.add_submission(
            conn,
            partner_id=row.id,
            received_at=now,
            filename=filename,
            format=f"{fmt}:{status}",
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            raw=data,
            status="complete",
            records=len(messages) + len(rejected),
            accepted=len(messages),
            duplicates=0,
            rejected=len(rejected),
            releasability=(
                Releasability.ORIGINATOR.value
                if status == "hypothetical"
                else releasability or row.default_releasability
            ),
            signature=signature,
        )
        summary.submission_id = submission_id
        audit.record(conn, actor=actor or partner, partner=partner,
                     action=f"ephemeris.{status}", subject=f"submission:{submission_id}",
                     data=data, signature=signature, at=now)  # fmt: skip
        # one OEM in KVN for one object, read whole: kept as sent (it reads back equal)
        kvn = not text.lstrip("\ufeff \t\r\n").startswith("<")
        as_sent = fmt == "oem" and kvn and len(messages) == 1 and len(by_object) == 1
        as_sent = as_sent and not rejected
        for number, segments in sorted(by_object.items()):
            if number not in operators:
                crepo.set_operator(conn, number, row.id, updated_at=now)
            start, stop = _span_utc(segments)
            oem = header[number]
            kept = Oem(oem.version, oem.creation_date, oem.originator, tuple(segments),
                       oem.message_id)  # fmt: skip
            ephemeris_id = crepo.add_ephemeris(
                conn,
                norad_cat_id=number,
                partner_id=row.id,
                submission_id=submission_id,
                status=status,
                event_id=event_id,
                start_time=start,
                stop_time=stop,
                n_states=sum(len(s.states) for s in segments),
                n_segments=len(segments),
                has_covariance=int(any(s.covariances for s in segments)),
                oem=text if as_sent else dump_oem_kvn([kept]),
                created_at=now,
            )
            summary.objects.append(number)
            summary.ephemeris_ids.append(ephemeris_id)
            if status == "definitive":
                summary.superseded += crepo.supersede(conn, number, ephemeris_id)
    ephemerides = [
        Ephemeris(n, tuple(by_object[n]), name=by_object[n][0].object_name) for n in summary.objects
    ]
    memo = store.memo("ephemerides", 1_000)
    for ephemeris_id, e in zip(summary.ephemeris_ids, ephemerides, strict=True):
        memo.put((ephemeris_id, submission_id), e)  # as read back from the stored OEM
    if screen:
        summary.screening = screen_submitted(
            store, ephemerides, summary.ephemeris_ids, status=status, threshold_km=threshold_km
        )
        if status == "definitive" and summary.screening.run_id is not None:
            from accord.services.events import events_from_run

            summary.events = events_from_run(store, summary.screening.run_id)
    return summary


def _check_event(conn: Connection, event_id: int, objects: set[int]) -> None:
    event = crepo.event(conn, event_id)
    if event is None:
        raise NotFoundError(f"no event {event_id}")
    if not objects & {event.norad_cat_id_1, event.norad_cat_id_2}:
        raise InvalidRequestError(
            f"event {event_id} is between {event.norad_cat_id_1} and {event.norad_cat_id_2}: "
            "a candidate for it is an ephemeris of one of them"
        )


def definitive_ephemerides(
    store: Store, *, excluding: Sequence[int] = ()
) -> list[tuple[int, Ephemeris]]:
    """The current definitive ephemeris of each object (but ``excluding``), with its id."""
    with store.engine.begin() as conn:
        rows = crepo.list_ephemerides(
            conn, statuses=("definitive",), current_only=True, limit=1_000_000
        )
    return [(r.id, stored_ephemeris(store, r)) for r in rows if r.norad_cat_id not in excluding]


def stored_ephemeris(store: Store, row: Row[Any]) -> Ephemeris:
    """A stored ephemeris row as the screening's :class:`Ephemeris`, read once per process
    (stored ephemerides never change: the store's memo keeps them)."""
    memo = store.memo("ephemerides", 1_000)
    key = (int(row.id), int(row.submission_id))
    found: Ephemeris | None = memo.get(key)
    if found is None:
        segments = tuple(s for o in load_oem_kvn(row.oem).records for s in o.segments)
        name = segments[0].object_name if segments else None
        found = Ephemeris(int(row.norad_cat_id), segments, name=name)
        memo.put(key, found)
    return found


def screen_submitted(
    store: Store,
    ephemerides: Sequence[Ephemeris],
    ephemeris_ids: Sequence[int],
    *,
    status: str,
    threshold_km: float = 5.0,
) -> ScreeningResult:
    """Screen newly submitted ephemerides against the current catalogue and the other
    objects' definitive ephemerides; store the run (not for a hypothetical one)."""
    own = [e.norad_cat_id for e in ephemerides]
    others = definitive_ephemerides(store, excluding=own)
    entries = whole_catalogue(store)
    records = [e.elements for e in entries]
    result = screen_ephemerides(
        ephemerides,
        records,
        others=[e for _, e in others],
        threshold_km=threshold_km,
        workers=store.settings.screening_workers,
    )
    if status == "hypothetical":
        return result
    element_ids = {
        e.elements.norad_cat_id: e.element_set_id
        for e in entries
        if e.elements.norad_cat_id in result.elements
    }
    ephemeris_of = dict(zip(own, ephemeris_ids, strict=True))
    ephemeris_of |= {e.norad_cat_id: i for i, e in others}
    result.run_id = store_run(store, result, element_ids, ephemeris_of)
    with store.engine.begin() as conn:
        for ephemeris_id in ephemeris_ids:
            crepo.set_ephemeris_run(conn, ephemeris_id, result.run_id)
    return result


# -- reads ---------------------------------------------------------------------------------


def ephemeris_record(row: Row[Any]) -> Record:
    """What the policy needs of one ephemeris row."""
    return Record(
        provider=row.partner_code,
        data=DATA_CLASS.get(row.status, DataClass.EPHEMERIDES),
        releasability=Releasability(row.releasability),
        received=row.received_at,
        norad=row.norad_cat_id,
    )


def may_see(conn: Connection, principal: Principal | None, row: Row[Any]) -> bool:
    """Whether the caller may see one ephemeris: its owner always; a hypothetical one
    nobody else; others as the policy says (None: the local operator, all)."""
    if principal is not None and principal.partner == row.partner_code:
        return True
    if row.status == "hypothetical":
        return False
    if principal is None:
        return True
    return decide(principal, ephemeris_record(row), agreements_of(conn), utcnow()).allowed


def _summary(row: Row[Any], with_oem: bool = False) -> dict[str, Any]:
    out = {
        "id": row.id,
        "norad_cat_id": row.norad_cat_id,
        "partner": row.partner_code,
        "status": row.status,
        "event_id": row.event_id,
        "start_time": row.start_time.isoformat() + "Z",
        "stop_time": row.stop_time.isoformat() + "Z",
        "n_states": row.n_states,
        "n_segments": row.n_segments,
        "has_covariance": bool(row.has_covariance),
        "superseded_by": row.superseded_by,
        "screening_run_id": row.screening_run_id,
        "submission_id": row.submission_id,
        "created_at": row.created_at.isoformat() + "Z",
    }
    if with_oem:
        out["oem"] = row.oem
    return out


def ephemerides_for(
    store: Store,
    principal: Principal | None,
    *,
    norad: int | None = None,
    status: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The ephemerides the caller may see (see :func:`may_see`), by id."""
    if status is not None and status not in STATUSES:
        raise InvalidRequestError(f"unknown status {status!r}: expected one of {STATUSES}")
    out: list[dict[str, Any]] = []
    with store.engine.begin() as conn:
        while len(out) < limit:
            rows = crepo.list_ephemerides(
                conn, norad=norad, statuses=None if status is None else (status,),
                after=after, limit=limit,
            )  # fmt: skip
            if not rows:
                break
            out += [_summary(r) for r in rows if may_see(conn, principal, r)]
            after = rows[-1].id
    return out[:limit]


def ephemeris_for(store: Store, principal: Principal | None, ephemeris_id: int) -> dict[str, Any]:
    """One ephemeris with its OEM text, if the caller may see it (else NotFoundError)."""
    with store.engine.begin() as conn:
        row = crepo.ephemeris(conn, ephemeris_id)
        if row is None or not may_see(conn, principal, row):
            raise NotFoundError(f"no ephemeris {ephemeris_id}")
        if principal is not None and principal.partner != row.partner_code:
            audit.record(conn, actor=principal.email or principal.partner or "anonymous",
                         partner=principal.partner, action="release",
                         subject=f"ephemeris:{ephemeris_id}",
                         data=json.dumps({"ephemeris": ephemeris_id}).encode())  # fmt: skip
        return _summary(row, with_oem=True)


# -- operators -----------------------------------------------------------------------------


def set_operator(
    store: Store,
    norad: int,
    partner: str,
    *,
    maneuverable: bool | None = None,
    hard_body_radius_m: float | None = None,
    contact: str | None = None,
    actor: str = "admin",
) -> None:
    """Record who operates an object, whether it can manoeuvre, its hard-body radius."""
    if hard_body_radius_m is not None and not hard_body_radius_m > 0:
        raise InvalidRequestError("the hard-body radius must be positive (m)")
    now = utcnow()
    with store.engine.begin() as conn:
        row = repo.partner_by_code(conn, partner)
        if row is None:
            raise NotFoundError(f"no partner with code {partner!r}")
        values = {
            "maneuverable": None if maneuverable is None else int(maneuverable),
            "hard_body_radius_m": hard_body_radius_m,
            "contact": contact,
            "updated_at": now,
        }
        crepo.set_operator(conn, norad, row.id, **values)
        document = {"norad_cat_id": norad, "partner": partner} | {
            k: v for k, v in values.items() if k != "updated_at"
        }
        audit.record(conn, actor=actor, partner=partner, action="object.operator",
                     subject=f"object:{norad}",
                     data=json.dumps(document, sort_keys=True).encode(), at=now)  # fmt: skip


def operator_rows(conn: Connection, norads: Sequence[int]) -> dict[int, Row[Any]]:
    """The operators of these objects, by number."""
    return crepo.operators_of(conn, norads)
