"""Ingest of partner submissions: element sets (TLE, OMM), object metadata (SATCAT) and
re-entry predictions (TIP messages).

Guarantees:
- nothing received is lost: the submission's bytes are kept as received, every rejected
  record is kept with its line, field and reason;
- a bad record never takes good ones down: parsing collects rejections as data;
- idempotent: an element set is identified by its content (catalogue number, epoch and
  elements, whatever the format carried them), a TIP message by its number (ID), and a
  source that sends it again is counted as a duplicate, not stored twice;
- transactional per batch: records are committed ``ingest_batch_size`` at a time together
  with their submission's counts, so a killed ingest leaves a consistent store and a
  re-run completes it.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from accord.errors import FormatError, InvalidRequestError, NotFoundError
from accord.formats.detect import detect_format, load
from accord.formats.records import ElementSet, Parsed, ParseResult, Rejected, SatcatEntry
from accord.formats.satcat import load_satcat_csv
from accord.formats.tip import TipMessage, load_tip_json
from accord.policy.model import Releasability
from accord.policy.trust import sign, verify_signature
from accord.services import audit
from accord.services.store import Store, utcnow
from accord.storage import repositories as repo

FORMATS = ("auto", "tle", "omm-kvn", "omm-xml", "omm-json", "omm-csv", "satcat", "tip")
RELEASABILITY = tuple(label.value for label in Releasability)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RejectionInfo:
    """Where a rejected record was and why."""

    line: int | None
    field: str | None
    reason: str


@dataclass
class IngestSummary:
    """What one ingest did."""

    submission_id: int | None
    filename: str | None
    format: str
    records: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[RejectionInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-ready data."""
        return asdict(self)


def content_digest(es: ElementSet) -> str:
    """Given an element set, return the SHA-256 that identifies its content.

    Two messages carry the same element set when they give the same object, epoch and mean
    elements, whatever their format or the object's name in them.
    """
    key = (
        f"{es.norad_cat_id}|{es.epoch:%Y-%m-%dT%H:%M:%S.%f}|{es.mean_motion!r}|"
        f"{es.eccentricity!r}|{es.inclination!r}|{es.ra_of_asc_node!r}|"
        f"{es.arg_of_pericenter!r}|{es.mean_anomaly!r}|{es.bstar!r}|{es.mean_motion_dot!r}|"
        f"{es.mean_motion_ddot!r}|{es.ephemeris_type}|{es.classification_type}|"
        f"{es.element_set_no}|{es.rev_at_epoch}|{es.mean_element_theory}"
    )
    return hashlib.sha256(key.encode()).hexdigest()


# The most text a compressed submission may expand to: a bound against decompression
# bombs, far above any catalogue or history file (a full catalogue is about 5 MB).
MAX_DECOMPRESSED_BYTES = 1 << 30


def _gunzip(data: bytes, limit: int) -> bytes:
    """The members of a gzip file (RFC 1952), decompressed, refused past ``limit`` bytes."""
    out: list[bytes] = []
    size = 0
    while data:
        stream = zlib.decompressobj(wbits=31)
        chunk = stream.decompress(data, limit - size + 1)
        size += len(chunk)
        if size > limit:
            raise FormatError(
                "the submission expands past the limit",
                expected=f"at most {limit} bytes once decompressed",
                received=f"more than {limit} bytes from {len(data)} compressed",
            )
        if not stream.eof:
            raise EOFError("the stream ends before its last block")
        out.append(chunk)
        data = stream.unused_data.lstrip(b"\x00")  # members may be padded with zeros
    return b"".join(out)


def decode_submission(data: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> str:
    """Given the bytes received, return the text (gzip and UTF-8/UTF-16 BOMs understood;
    a gzip file that would expand past ``limit`` bytes is refused)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = _gunzip(data, limit)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(
                "the submission is not a whole gzip file",
                expected="a gzip stream (RFC 1952) to its end",
                received=str(exc) or type(exc).__name__,
            ) from exc
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(
                "the submission is not UTF-16 text",
                expected="UTF-16 after its byte-order mark",
                received=f"{exc.reason} at offset {exc.start}",
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            "the submission is not UTF-8 text",
            line=line,
            expected="UTF-8 (or UTF-16 with a byte-order mark)",
            received=f"byte 0x{data[exc.start]:02x} at offset {exc.start}",
        ) from exc


def _refuse_nul(text: str) -> None:
    """Refuse text with a NUL character: no format read here has one, and PostgreSQL text
    cannot keep one (in a reason quoting it, or in a record)."""
    at = text.find("\x00")
    if at >= 0:
        raise FormatError(
            "the submission holds a NUL character",
            line=text.count("\n", 0, at) + 1,
            expected="text without NUL (U+0000)",
            received=f"NUL at character {at}",
        )


def _element_row(p: Parsed[ElementSet], digest: str, common: dict[str, Any]) -> dict[str, Any]:
    es = p.record
    return {
        "norad_cat_id": es.norad_cat_id,
        "epoch": es.epoch,
        "mean_motion": es.mean_motion,
        "eccentricity": es.eccentricity,
        "inclination": es.inclination,
        "ra_of_asc_node": es.ra_of_asc_node,
        "arg_of_pericenter": es.arg_of_pericenter,
        "mean_anomaly": es.mean_anomaly,
        "bstar": es.bstar,
        "mean_motion_dot": es.mean_motion_dot,
        "mean_motion_ddot": es.mean_motion_ddot,
        "object_name": es.object_name,
        "object_id": es.object_id,
        "classification_type": es.classification_type,
        "ephemeris_type": es.ephemeris_type,
        "element_set_no": es.element_set_no,
        "rev_at_epoch": es.rev_at_epoch,
        "center_name": es.center_name,
        "ref_frame": es.ref_frame,
        "time_system": es.time_system,
        "mean_element_theory": es.mean_element_theory,
        "originator": es.originator,
        "creation_date": es.creation_date,
        "gm": es.gm,
        "extra": [list(kv) for kv in es.extra],
        "comments": list(es.comments),
        "record_line": p.line,
        "raw_sha256": hashlib.sha256(p.raw.encode()).hexdigest(),
        "content_sha256": digest,
        **common,
    }


def _rejection_rows(submission_id: int, rejected: Sequence[Rejected]) -> list[dict[str, Any]]:
    return [
        {
            "submission_id": submission_id,
            "line": r.line,
            "field": r.error.field,
            "reason": r.reason,
            "raw": r.raw.encode("utf-8", "surrogateescape"),
        }
        for r in rejected
    ]


class _Ingest:
    """One submission's ingest, batch by batch."""

    def __init__(self, store: Store, source_id: int, submission_id: int) -> None:
        self.store = store
        self.source_id = source_id
        self.submission_id = submission_id
        self.received_at = utcnow()

    def element_batch(
        self, accepted: Sequence[Parsed[ElementSet]], rejected: Sequence[Rejected]
    ) -> tuple[int, int]:
        """Store one batch in one transaction; return (accepted, duplicates)."""
        digests = [content_digest(p.record) for p in accepted]
        common = {
            "source_id": self.source_id,
            "submission_id": self.submission_id,
            "received_at": self.received_at,
        }
        with self.store.engine.begin() as conn:
            seen = repo.existing_content_digests(conn, self.source_id, digests)
            rows = []
            for p, digest in zip(accepted, digests, strict=True):
                if digest not in seen:
                    seen.add(digest)
                    rows.append(_element_row(p, digest, common))
            self._ensure_objects(conn, [p.record for p in accepted])
            repo.add_element_sets(conn, rows)
            self._account(conn, len(accepted), len(rows), rejected)
        return len(rows), len(accepted) - len(rows)

    def _account(self, conn: Any, parsed: int, stored: int, rejected: Sequence[Rejected]) -> None:
        """Keep a batch's rejected records and add the batch to the submission's counts
        (``parsed`` good records, of which ``stored`` new, the rest duplicates)."""
        repo.add_rejections(conn, _rejection_rows(self.submission_id, rejected))
        repo.add_to_submission_counts(
            conn,
            self.submission_id,
            records=parsed + len(rejected),
            accepted=stored,
            duplicates=parsed - stored,
            rejected=len(rejected),
        )

    def _ensure_objects(self, conn: Any, records: Sequence[ElementSet | TipMessage]) -> None:
        known = repo.existing_object_ids(conn, (r.norad_cat_id for r in records))
        new: dict[int, dict[str, Any]] = {}
        for r in records:
            if r.norad_cat_id not in known and r.norad_cat_id not in new:
                new[r.norad_cat_id] = {
                    "norad_cat_id": r.norad_cat_id,
                    "object_name": getattr(r, "object_name", None),
                    "object_id": getattr(r, "object_id", None),
                    "updated_at": self.received_at,
                }
        repo.add_objects(conn, list(new.values()))

    def tip_batch(
        self, accepted: Sequence[Parsed[TipMessage]], rejected: Sequence[Rejected]
    ) -> tuple[int, int]:
        """Store one batch of TIP messages; return (accepted, duplicates).  A message is
        the same message when its source sends its number (ID) again."""
        with self.store.engine.begin() as conn:
            seen = repo.existing_tip_message_ids(
                conn, self.source_id, [p.record.message_id for p in accepted]
            )
            rows = []
            for p in accepted:
                if p.record.message_id not in seen:
                    seen.add(p.record.message_id)
                    rows.append(self._tip_row(p))
            self._ensure_objects(conn, [p.record for p in accepted])
            repo.add_tip_messages(conn, rows)
            self._account(conn, len(accepted), len(rows), rejected)
        return len(rows), len(accepted) - len(rows)

    def _tip_row(self, p: Parsed[TipMessage]) -> dict[str, Any]:
        m = p.record
        return {
            "norad_cat_id": m.norad_cat_id,
            "message_id": m.message_id,
            "msg_epoch": m.msg_epoch,
            "insert_epoch": m.insert_epoch,
            "decay_epoch": m.decay_epoch,
            "window_min": m.window_min,
            "rev": m.rev,
            "direction": m.direction,
            "lat_deg": m.lat_deg,
            "lon_deg": m.lon_deg,
            "incl_deg": m.incl_deg,
            "next_report_h": m.next_report_h,
            "high_interest": m.high_interest,
            "object_number": m.object_number,
            "source_id": self.source_id,
            "submission_id": self.submission_id,
            "received_at": self.received_at,
            "record_line": p.line,
        }

    def satcat_batch(
        self, accepted: Sequence[Parsed[SatcatEntry]], rejected: Sequence[Rejected]
    ) -> tuple[int, int]:
        """Store one batch of object metadata; return (accepted, duplicates)."""
        changed = 0
        # Who sent the metadata, and when, goes with it: on new rows and on updates of rows
        # that element sets or messages created (the policy decides on it).
        stamp = {"metadata_source_id": self.source_id, "updated_at": self.received_at}
        with self.store.engine.begin() as conn:
            existing = repo.objects_by_id(conn, (p.record.norad_cat_id for p in accepted))
            new_rows: dict[int, dict[str, Any]] = {}
            for p in accepted:
                values = _satcat_values(p.record)
                row = existing.get(p.record.norad_cat_id)
                if row is None:
                    if p.record.norad_cat_id not in new_rows:
                        changed += 1
                    new_rows[p.record.norad_cat_id] = values
                elif any(getattr(row, k) != v for k, v in values.items()):
                    repo.update_object(conn, p.record.norad_cat_id, {**values, **stamp})
                    changed += 1
            repo.add_objects(
                conn,
                [{"norad_cat_id": k, **v, **stamp} for k, v in new_rows.items()],
            )
            self._account(conn, len(accepted), changed, rejected)
        return changed, len(accepted) - changed


def _satcat_values(e: SatcatEntry) -> dict[str, Any]:
    return {
        "object_name": e.object_name,
        "object_id": e.object_id,
        "object_type": e.object_type,
        "ops_status_code": e.ops_status_code,
        "owner": e.owner,
        "launch_date": e.launch_date,
        "launch_site": e.launch_site,
        "decay_date": e.decay_date,
        "period_min": e.period,
        "inclination_deg": e.inclination,
        "apogee_km": e.apogee,
        "perigee_km": e.perigee,
        "rcs_m2": e.rcs,
    }


def _batches(
    accepted: Sequence[Parsed[Any]], rejected: Sequence[Rejected], size: int
) -> list[tuple[list[Parsed[Any]], list[Rejected]]]:
    """Split records into input-ordered batches of at most ``size`` records."""
    items: list[tuple[int, int, Any]] = [(p.line, 0, p) for p in accepted]
    items += [(r.line or 0, 1, r) for r in rejected]
    items.sort(key=lambda t: (t[0], t[1]))
    out = []
    for i in range(0, len(items), size):
        chunk = items[i : i + size]
        out.append(
            (
                [t[2] for t in chunk if t[1] == 0],
                [t[2] for t in chunk if t[1] == 1],
            )
        )
    return out


def ingest_bytes(
    store: Store,
    data: bytes,
    *,
    filename: str | None = None,
    source: str | None = None,
    fmt: str = "auto",
    progress: Progress | None = None,
    signature: str | None = None,
    releasability: str | None = None,
    actor: str | None = None,
) -> IngestSummary:
    """Given a submission's bytes, store what is good and keep what is not; return a summary.

    ``source`` is the submitting partner's code (default: the local partner); ``fmt`` one of
    FORMATS; ``releasability`` the submission's label (default: the partner's);
    ``signature`` the partner's Ed25519 signature over ``data`` (base64); ``actor`` who
    submits (for the ledger; default: the partner).  The submission is appended to the
    ledger in the transaction that stores it.  A submission that cannot be read at all
    (not text, unknown format) or whose signature does not verify against the partner's
    keys is kept with status ``rejected`` and its reason.
    """
    if fmt not in FORMATS:
        raise InvalidRequestError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if releasability is not None and releasability not in RELEASABILITY:
        raise InvalidRequestError(
            f"unknown releasability {releasability!r}: expected one of {', '.join(RELEASABILITY)}"
        )
    code = source or store.settings.local_partner
    with store.engine.begin() as conn:
        partner = repo.partner_by_code(conn, code)
        if partner is None:
            raise NotFoundError(f"no partner with code {code!r}")
        refused = None
        if signature is not None:
            keys = repo.partner_public_keys(conn).get(code, [])
            if not any(verify_signature(key, data, signature) for key in keys):
                refused = f"the signature does not verify against {code}'s keys"
        submission_id = repo.add_submission(
            conn,
            partner_id=partner.id,
            received_at=utcnow(),
            filename=filename,
            format=fmt,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            raw=data,
            status="in-progress" if refused is None else "rejected",
            reason=refused,
            records=0,
            accepted=0,
            duplicates=0,
            rejected=0,
            releasability=releasability or partner.default_releasability,
            signature=signature,
        )
        audit.record(
            conn,
            actor=actor or code,
            partner=code,
            action="submission" if refused is None else "submission.rejected",
            subject=f"submission:{submission_id}",
            data=data,
            signature=signature if refused is None else None,
        )
    summary = IngestSummary(submission_id, filename, fmt)
    if refused is not None:
        summary.rejected = 1
        summary.rejections.append(RejectionInfo(None, "signature", refused))
        return summary
    try:
        text = decode_submission(data)
        _refuse_nul(text)
        if fmt == "auto":
            fmt = detect_format(text, filename)
            summary.format = fmt
        readers: dict[str, Callable[[str], ParseResult[Any]]] = {
            "satcat": load_satcat_csv,
            "tip": load_tip_json,
        }
        result = readers[fmt](text) if fmt in readers else load(text, fmt)
    except FormatError as exc:
        with store.engine.begin() as conn:
            repo.set_submission_status(conn, submission_id, "rejected", exc.describe())
        summary.rejected = 1
        summary.rejections.append(RejectionInfo(exc.line, exc.field, exc.describe()))
        return summary

    job = _Ingest(store, partner.id, submission_id)
    batches: dict[str, Callable[[Any, list[Rejected]], tuple[int, int]]] = {
        "satcat": job.satcat_batch,
        "tip": job.tip_batch,
    }
    batch = batches.get(fmt, job.element_batch)
    total = len(result.accepted) + len(result.rejected)
    done = 0
    for acc, rej in _batches(result.accepted, result.rejected, store.settings.ingest_batch_size):
        n_new, n_dup = batch(acc, rej)
        summary.accepted += n_new
        summary.duplicates += n_dup
        summary.rejected += len(rej)
        done += len(acc) + len(rej)
        if progress is not None:
            progress(done, total)
    summary.records = total
    summary.rejections = [RejectionInfo(r.line, r.error.field, r.reason) for r in result.rejected]
    with store.engine.begin() as conn:
        repo.set_submission_status(conn, submission_id, "complete", fmt=fmt)
    return summary


def ingest_file(
    store: Store,
    path: Path,
    *,
    source: str | None = None,
    fmt: str = "auto",
    progress: Progress | None = None,
    releasability: str | None = None,
    sign_key: bytes | None = None,
    actor: str | None = None,
) -> IngestSummary:
    """Ingest one file (``.gz`` read directly); see ingest_bytes.  ``sign_key``: the
    partner's private key (PEM), to sign the bytes as the partner's client would."""
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    data = path.read_bytes()
    return ingest_bytes(
        store,
        data,
        filename=name,
        source=source,
        fmt=fmt,
        progress=progress,
        releasability=releasability,
        signature=sign(sign_key, data) if sign_key is not None else None,
        actor=actor,
    )
