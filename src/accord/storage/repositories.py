"""Reads and writes of the catalogue store, on a SQLAlchemy Core connection.

Repositories hold no business rules: they insert what a service decided, and answer the
queries services ask.  Every function takes an open connection; the caller owns the
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    Row,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    insert,
    or_,
    select,
    update,
)

from accord.policy.decisions import Visibility
from accord.policy.model import ObjectScope
from accord.storage.tables import (
    api_keys,
    conjunctions,
    element_sets,
    ledger,
    partner_keys,
    partners,
    rejections,
    screening_inputs,
    screening_runs,
    space_objects,
    submission_contents,
    submissions,
    tip_messages,
    users,
)

# Parameters per statement stay under SQLite's limit (32,766) and PostgreSQL's (65,535).
_IN_CHUNK = 900


def _bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in one round trip, inside the connection's transaction.

    SQLite: one executemany straight to the driver, values converted as SQLAlchemy's own
    types would store them (DateTime as ISO text, JSON as text).  PostgreSQL: COPY FROM
    STDIN through psycopg.  SQLAlchemy's generic path costs more than either database's
    insert itself.  Other dialects take the generic path.
    """
    if not rows:
        return
    columns = list(rows[0])
    values = [[r[c] for r in rows] for c in columns]
    for i, name in enumerate(columns):
        if isinstance(table.c[name].type, JSON):
            values[i] = [json.dumps(v) for v in values[i]]
    if conn.dialect.name == "sqlite":
        for i, name in enumerate(columns):
            if isinstance(table.c[name].type, DateTime):
                values[i] = [None if v is None else v.isoformat(" ") for v in values[i]]
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        conn.exec_driver_sql(sql, list(zip(*values, strict=True)))
    elif conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    else:
        conn.execute(insert(table), list(rows))


def _chunks(values: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


# -- partners ----------------------------------------------------------------------------


def partner_by_code(conn: Connection, code: str) -> Row[Any] | None:
    """Return the partner row with this code, or None."""
    return conn.execute(select(partners).where(partners.c.code == code)).first()


def add_partner(
    conn: Connection, code: str, name: str, kind: str, country: str | None, now: datetime
) -> int:
    """Insert a partner and return its id."""
    result = conn.execute(
        insert(partners).values(code=code, name=name, kind=kind, country=country, created_at=now)
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def list_partners(conn: Connection) -> list[Row[Any]]:
    """Return every partner, by code."""
    return list(conn.execute(select(partners).order_by(partners.c.code)))


# -- submissions -------------------------------------------------------------------------


def add_submission(conn: Connection, **values: Any) -> int:
    """Insert a submission row (its bytes, ``raw``, in submission_contents) and return its
    id."""
    raw = values.pop("raw")
    result = conn.execute(insert(submissions).values(**values))
    submission_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    conn.execute(insert(submission_contents).values(submission_id=submission_id, raw=raw))
    return submission_id


def add_to_submission_counts(
    conn: Connection,
    submission_id: int,
    *,
    records: int,
    accepted: int,
    duplicates: int,
    rejected: int,
) -> None:
    """Add a batch's counts to its submission, in the batch's own transaction."""
    c = submissions.c
    conn.execute(
        update(submissions)
        .where(c.id == submission_id)
        .values(
            records=c.records + records,
            accepted=c.accepted + accepted,
            duplicates=c.duplicates + duplicates,
            rejected=c.rejected + rejected,
        )
    )


def set_submission_status(
    conn: Connection,
    submission_id: int,
    status: str,
    reason: str | None = None,
    fmt: str | None = None,
) -> None:
    """Mark a submission complete (or rejected, with the reason); record its format."""
    values: dict[str, Any] = {"status": status, "reason": reason}
    if fmt is not None:
        values["format"] = fmt
    conn.execute(update(submissions).where(submissions.c.id == submission_id).values(**values))


def submission(conn: Connection, submission_id: int) -> Row[Any] | None:
    """Return one submission row with its bytes (``raw``), or None."""
    query = select(submissions, submission_contents.c.raw).join(
        submission_contents, submission_contents.c.submission_id == submissions.c.id
    )
    return conn.execute(query.where(submissions.c.id == submission_id)).first()


def _submission_records() -> Any:
    """Submissions without their bytes, with their partner's ``partner_code`` and whether
    they came ``signed``."""
    s = submissions.c
    return select(
        s.id, partners.c.code.label("partner_code"), s.received_at, s.filename, s.format,
        s.size_bytes, s.sha256, s.status, s.reason, s.releasability,
        s.signature.is_not(None).label("signed"),
        s.records, s.accepted, s.duplicates, s.rejected,
    ).join(partners, partners.c.id == s.partner_id)  # fmt: skip


def submission_record(conn: Connection, submission_id: int) -> Row[Any] | None:
    """One submission as :func:`submissions_before` lists them, or None."""
    query = _submission_records().where(submissions.c.id == submission_id)
    return conn.execute(query).first()


def submissions_before(
    conn: Connection, before: int | None, limit: int, partner: str | None = None
) -> list[Row[Any]]:
    """Up to ``limit`` submissions (without their bytes), newest first, with ids below
    ``before`` (None: from the newest), of the partner coded ``partner`` (None: all)."""
    query = _submission_records().order_by(submissions.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(submissions.c.id < before)
    if partner is not None:
        query = query.where(partners.c.code == partner)
    return list(conn.execute(query))


def add_rejections(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rejected records (submission_id, line, field, reason, raw bytes)."""
    _bulk_insert(conn, rejections, rows)


def rejections_of(conn: Connection, submission_id: int) -> list[Row[Any]]:
    """Return a submission's rejected records, in input order."""
    return list(
        conn.execute(
            select(rejections)
            .where(rejections.c.submission_id == submission_id)
            .order_by(rejections.c.id)
        )
    )


# -- objects -----------------------------------------------------------------------------


def existing_object_ids(conn: Connection, norad_ids: Iterable[int]) -> set[int]:
    """Return which of these catalogue numbers already have an object row."""
    ids = sorted(set(norad_ids))
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(
            conn.execute(
                select(space_objects.c.norad_cat_id).where(space_objects.c.norad_cat_id.in_(chunk))
            ).scalars()
        )
    return found


def add_objects(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert object rows (norad_cat_id, names, metadata, updated_at)."""
    _bulk_insert(conn, space_objects, rows)


def update_object(conn: Connection, norad_cat_id: int, values: dict[str, Any]) -> None:
    """Update one object's metadata columns."""
    conn.execute(
        update(space_objects).where(space_objects.c.norad_cat_id == norad_cat_id).values(**values)
    )


def objects_by_id(conn: Connection, norad_ids: Iterable[int]) -> dict[int, Row[Any]]:
    """Return object rows by catalogue number."""
    ids = sorted(set(norad_ids))
    out: dict[int, Row[Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(
            select(space_objects).where(space_objects.c.norad_cat_id.in_(chunk))
        ):
            out[row.norad_cat_id] = row
    return out


# -- element sets ------------------------------------------------------------------------


def existing_content_digests(conn: Connection, source_id: int, digests: Sequence[str]) -> set[str]:
    """Return which of these content digests this source has already stored."""
    found: set[str] = set()
    c = element_sets.c
    for chunk in _chunks(digests):
        found.update(
            conn.execute(
                select(c.content_sha256).where(
                    and_(c.source_id == source_id, c.content_sha256.in_(chunk))
                )
            ).scalars()
        )
    return found


def add_element_sets(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert element-set rows (one executemany)."""
    _bulk_insert(conn, element_sets, rows)


def _regime() -> Any:
    """The orbit regime of an element set, in SQL (as :func:`accord.policy.model.regime_of`:
    HEO from e >= 0.25, LEO below 225 min, GEO between 1,300 and 1,800 min, else MEO)."""
    c = element_sets.c
    return case(
        (c.eccentricity >= 0.25, "heo"),
        (c.mean_motion > 1440.0 / 225.0, "leo"),
        (and_(c.mean_motion >= 1440.0 / 1800.0, c.mean_motion <= 1440.0 / 1300.0), "geo"),
        else_="meo",
    )


def _scope(scope: ObjectScope) -> ColumnElement[bool] | None:
    if scope.everything:
        return None
    terms: list[ColumnElement[bool]] = []
    if scope.objects:
        terms.append(element_sets.c.norad_cat_id.in_(sorted(scope.objects)))
    if scope.owners:
        terms.append(space_objects.c.owner.in_(sorted(scope.owners)))
    if scope.regimes:
        terms.append(_regime().in_(sorted(r.value for r in scope.regimes)))
    return or_(*terms)


def visible(view: Visibility | None) -> ColumnElement[bool] | None:
    """The SQL condition on element sets joined with their submission, source partner and
    object that :meth:`Visibility.admits` states (None: no restriction)."""
    if view is None or view.everything:
        return None
    label = submissions.c.releasability
    terms: list[ColumnElement[bool]] = [label == "public"]
    if view.own is not None:
        terms.append(partners.c.code == view.own)
    for clause in view.clauses:
        parts = [partners.c.code == clause.provider, label == "agreement"]
        scope = _scope(clause.scope)
        if scope is not None:
            parts.append(scope)
        if clause.received_by is not None:
            parts.append(element_sets.c.received_at <= clause.received_by)
        terms.append(and_(*parts))
    return or_(*terms) if terms else false()


def _latest_per_object(view: Visibility | None = None, columns: Sequence[Any] = ()) -> Any:
    """Return a subquery of the newest element set per object (by epoch, then arrival)
    among those ``view`` admits: every column, or the ``columns`` given."""
    c = element_sets.c
    rank = (
        func.row_number()
        .over(partition_by=c.norad_cat_id, order_by=(c.epoch.desc(), c.id.desc()))
        .label("rank")
    )
    query = select(*(columns or [element_sets]), rank)
    condition = visible(view)
    if condition is not None:
        query = (
            query.join(submissions, submissions.c.id == c.submission_id)
            .join(partners, partners.c.id == c.source_id)
            .join(space_objects, space_objects.c.norad_cat_id == c.norad_cat_id)
            .where(condition)
        )
    return query.subquery("ranked")


_KEY_STATEMENTS: dict[tuple[Visibility | None, bool], Any] = {}


def current_element_set_keys(
    conn: Connection, norad_ids: Sequence[int] | None = None, view: Visibility | None = None
) -> list[Row[Any]]:
    """The current element set of each object (latest epoch) that ``view`` admits (None:
    every one), by catalogue number: only what names it and decides its release: ``id``,
    ``content_sha256``, ``norad_cat_id``, ``source_code``, ``releasability`` (its
    submission's label), ``obj_object_type`` and ``obj_owner``; the records themselves are
    read by id (:func:`element_sets_by_id`).

    The statement is built once per view (and kept: a view is a frozen value)."""
    named = norad_ids is not None
    query = _KEY_STATEMENTS.get((view, named))
    if query is None:
        query = _key_statement(view, named)
        if len(_KEY_STATEMENTS) >= 256:
            _KEY_STATEMENTS.clear()
        _KEY_STATEMENTS[(view, named)] = query
    if norad_ids is None:
        return list(conn.execute(query))
    out: list[Row[Any]] = []
    for chunk in _chunks(sorted(set(norad_ids))):
        out.extend(conn.execute(query, {"norad_ids": list(chunk)}))
    return out


def _key_statement(view: Visibility | None, named: bool) -> Any:
    c = element_sets.c
    ranked = _latest_per_object(
        view, (c.id, c.norad_cat_id, c.content_sha256, c.source_id, c.submission_id)
    )
    query = (
        select(
            ranked.c.id,
            ranked.c.content_sha256,
            ranked.c.norad_cat_id,
            partners.c.code.label("source_code"),
            submissions.c.releasability,
            space_objects.c.object_type.label("obj_object_type"),
            space_objects.c.owner.label("obj_owner"),
        )
        .join(partners, partners.c.id == ranked.c.source_id)
        .join(submissions, submissions.c.id == ranked.c.submission_id)
        .join(space_objects, space_objects.c.norad_cat_id == ranked.c.norad_cat_id)
        .where(ranked.c.rank == 1)
        .order_by(ranked.c.norad_cat_id)
    )
    if named:
        query = query.where(ranked.c.norad_cat_id.in_(bindparam("norad_ids", expanding=True)))
    return query


def element_set_history(
    conn: Connection,
    norad_cat_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    view: Visibility | None = None,
) -> list[Row[Any]]:
    """Return every stored element set of one object that ``view`` admits, oldest epoch
    first, in [start, end]."""
    c = element_sets.c
    query = (
        select(element_sets, partners.c.code.label("source_code"))
        .join(partners, partners.c.id == c.source_id)
        .where(c.norad_cat_id == norad_cat_id)
    )
    condition = visible(view)
    if condition is not None:
        query = (
            query.join(submissions, submissions.c.id == c.submission_id)
            .join(space_objects, space_objects.c.norad_cat_id == c.norad_cat_id)
            .where(condition)
        )
    if start is not None:
        query = query.where(c.epoch >= start)
    if end is not None:
        query = query.where(c.epoch <= end)
    return list(conn.execute(query.order_by(c.epoch, c.id)))


def count_element_sets(conn: Connection) -> int:
    """Return how many element sets are stored."""
    return int(conn.execute(select(func.count()).select_from(element_sets)).scalar_one())


def count_objects(conn: Connection) -> int:
    """Return how many objects have at least one element set or metadata row."""
    return int(conn.execute(select(func.count()).select_from(space_objects)).scalar_one())


# -- screening -----------------------------------------------------------------------------


def add_screening_run(conn: Connection, **values: Any) -> int:
    """Insert a screening run and return its id."""
    result = conn.execute(insert(screening_runs).values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def add_screening_inputs(conn: Connection, run_id: int, element_set_ids: Sequence[int]) -> None:
    """Record which element sets a run screened (its input snapshot)."""
    _bulk_insert(
        conn,
        screening_inputs,
        [{"run_id": run_id, "element_set_id": k} for k in element_set_ids],
    )


def add_conjunctions(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a run's conjunctions."""
    _bulk_insert(conn, conjunctions, rows)


def screening_run(conn: Connection, run_id: int) -> Row[Any] | None:
    """Return one screening run, or None."""
    return conn.execute(select(screening_runs).where(screening_runs.c.id == run_id)).first()


def conjunctions_of(conn: Connection, run_id: int) -> list[Row[Any]]:
    """Return a run's conjunctions by TCA."""
    return list(
        conn.execute(
            select(conjunctions)
            .where(conjunctions.c.run_id == run_id)
            .order_by(conjunctions.c.tca, conjunctions.c.id)
        )
    )


def screening_input_ids(conn: Connection, run_id: int) -> list[int]:
    """Return the element-set ids a run screened."""
    c = screening_inputs.c
    return list(
        conn.execute(
            select(c.element_set_id).where(c.run_id == run_id).order_by(c.element_set_id)
        ).scalars()
    )


# -- ledger ------------------------------------------------------------------------------


def ledger_tail(conn: Connection) -> Row[Any] | None:
    """Return the last ledger entry (highest ``seq``), or None for an empty ledger."""
    return conn.execute(select(ledger).order_by(ledger.c.seq.desc()).limit(1)).first()


def add_ledger_entry(conn: Connection, **values: Any) -> None:
    """Append one ledger row (the caller computed its sequence and hashes)."""
    conn.execute(insert(ledger).values(**values))


def ledger_entries(
    conn: Connection,
    *,
    partner: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> Iterator[Row[Any]]:
    """Yield ledger rows in ``seq`` order, filtered by partner, action (a prefix ending in
    ``.`` matches a family: ``agreement.``) and time."""
    query = select(ledger).order_by(ledger.c.seq)
    if partner is not None:
        query = query.where(ledger.c.partner == partner)
    if action is not None:
        if action.endswith("."):
            query = query.where(ledger.c.action.startswith(action))
        else:
            query = query.where(ledger.c.action == action)
    if since is not None:
        query = query.where(ledger.c.at >= since)
    if until is not None:
        query = query.where(ledger.c.at < until)
    if limit is not None:
        query = query.limit(limit)
    yield from conn.execute(query)


def partner_public_keys(conn: Connection) -> dict[str, list[bytes]]:
    """Every partner's Ed25519 public keys (revoked ones too), by partner code."""
    rows = conn.execute(
        select(partners.c.code, partner_keys.c.public_key).join(
            partner_keys, partner_keys.c.partner_id == partners.c.id
        )
    )
    keys: dict[str, list[bytes]] = {}
    for code, key in rows:
        keys.setdefault(code, []).append(bytes(key))
    return keys


def submission_raw(conn: Connection, submission_id: int) -> bytes | None:
    """The raw bytes of a submission as stored, or None."""
    value = conn.execute(
        select(submission_contents.c.raw).where(
            submission_contents.c.submission_id == submission_id
        )
    ).scalar_one_or_none()
    return None if value is None else bytes(value)


def add_partner_key(conn: Connection, partner_id: int, public_key: bytes, now: datetime) -> int:
    """Register a partner's Ed25519 public key; return its id."""
    result = conn.execute(
        insert(partner_keys).values(partner_id=partner_id, public_key=public_key, created_at=now)
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def element_sets_of_submission(conn: Connection, submission_id: int) -> list[Row[Any]]:
    """Every element set stored from one submission (with its source code), by id."""
    c = element_sets.c
    return list(
        conn.execute(
            select(element_sets, partners.c.code.label("source_code"))
            .join(partners, partners.c.id == c.source_id)
            .where(c.submission_id == submission_id)
            .order_by(c.id)
        )
    )


def latest_run_id(conn: Connection) -> int | None:
    """The newest screening run's id, or None."""
    value = conn.execute(select(func.max(screening_runs.c.id))).scalar_one_or_none()
    return None if value is None else int(value)


def element_set_provenance(conn: Connection, ids: Iterable[int]) -> dict[int, Row[Any]]:
    """For element set ids: object, source partner code, label, arrival, owner and the mean
    motion and eccentricity (for the regime), by id."""
    c = element_sets.c
    query = (
        select(
            c.id,
            c.norad_cat_id,
            c.received_at,
            c.mean_motion,
            c.eccentricity,
            partners.c.code.label("source_code"),
            submissions.c.releasability,
            space_objects.c.owner,
        )
        .join(partners, partners.c.id == c.source_id)
        .join(submissions, submissions.c.id == c.submission_id)
        .join(space_objects, space_objects.c.norad_cat_id == c.norad_cat_id)
    )
    out: dict[int, Row[Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows: list[Row[Any]] = list(conn.execute(query.where(c.id.in_(chunk))))
        out.update((row.id, row) for row in rows)
    return out


def catalogue_version(conn: Connection) -> tuple[Any, ...]:
    """What changes whenever the current catalogue may: the largest element-set id (stored
    element sets never change) and the latest object update (metadata, SATCAT)."""
    return (
        conn.execute(select(func.max(element_sets.c.id))).scalar(),
        conn.execute(select(func.max(space_objects.c.updated_at))).scalar(),
    )


def objects_submitted_by(conn: Connection, partner_code: str) -> set[int]:
    """Catalogue numbers of the objects a partner has submitted element sets for."""
    query = (
        select(element_sets.c.norad_cat_id)
        .join(partners, partners.c.id == element_sets.c.source_id)
        .where(partners.c.code == partner_code)
        .distinct()
    )
    return {int(n) for n in conn.execute(query).scalars()}


# -- the REST API's reads ------------------------------------------------------------------


def screening_runs_before(conn: Connection, before: int | None, limit: int) -> list[Row[Any]]:
    """Up to ``limit`` screening runs, newest first, with ids below ``before`` (None: from
    the newest)."""
    query = select(screening_runs).order_by(screening_runs.c.id.desc()).limit(limit)
    if before is not None:
        query = query.where(screening_runs.c.id < before)
    return list(conn.execute(query))


def conjunction_ids_of(conn: Connection, run_id: int) -> list[int]:
    """A run's conjunction ids in the order of :func:`conjunctions_of` (by TCA)."""
    c = conjunctions.c
    query = select(c.id).where(c.run_id == run_id).order_by(c.tca, c.id)
    return [int(k) for k in conn.execute(query).scalars()]


def element_sets_by_id(conn: Connection, ids: Iterable[int]) -> dict[int, Row[Any]]:
    """Element-set rows (with the source partner's code, ``source_code``), by id."""
    c = element_sets.c
    query = select(element_sets, partners.c.code.label("source_code")).join(
        partners, partners.c.id == c.source_id
    )
    out: dict[int, Row[Any]] = {}
    for chunk in _chunks(sorted(set(ids))):
        out.update((row.id, row) for row in conn.execute(query.where(c.id.in_(chunk))))
    return out


def partner_keys_in_force(conn: Connection) -> dict[str, list[bytes]]:
    """Every partner's Ed25519 public keys not revoked, oldest first, by partner code."""
    rows = conn.execute(
        select(partners.c.code, partner_keys.c.public_key)
        .join(partner_keys, partner_keys.c.partner_id == partners.c.id)
        .where(partner_keys.c.revoked_at.is_(None))
        .order_by(partner_keys.c.created_at, partner_keys.c.id)
    )
    keys: dict[str, list[bytes]] = {}
    for code, key in rows:
        keys.setdefault(code, []).append(bytes(key))
    return keys


def api_keys_of_user(conn: Connection, email: str) -> list[Row[Any]]:
    """A user's API keys (prefix, scopes, created_at, revoked_at: never the hash), oldest
    first."""
    k = api_keys.c
    return list(
        conn.execute(
            select(k.prefix, k.scopes, k.created_at, k.revoked_at)
            .join(users, users.c.id == k.user_id)
            .where(users.c.email == email)
            .order_by(k.created_at, k.id)
        )
    )


def active_api_key_holder(conn: Connection, prefix: str) -> str | None:
    """The e-mail of the user holding the active API key with this prefix, or None."""
    value = conn.execute(
        select(users.c.email)
        .join(api_keys, api_keys.c.user_id == users.c.id)
        .where(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
        .limit(1)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def ledger_entries_after(
    conn: Connection,
    after: int | None,
    limit: int,
    *,
    partner: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[Row[Any]]:
    """Up to ``limit`` ledger rows with ``seq`` above ``after``, filtered as
    :func:`ledger_entries` filters them."""
    query = select(ledger).order_by(ledger.c.seq).limit(limit)
    if after is not None:
        query = query.where(ledger.c.seq > after)
    if partner is not None:
        query = query.where(ledger.c.partner == partner)
    if action is not None:
        if action.endswith("."):
            query = query.where(ledger.c.action.startswith(action, autoescape=True))
        else:
            query = query.where(ledger.c.action == action)
    if since is not None:
        query = query.where(ledger.c.at >= since)
    if until is not None:
        query = query.where(ledger.c.at < until)
    return list(conn.execute(query))


def conjunction_in_run(conn: Connection, run_id: int, conjunction_id: int) -> Row[Any] | None:
    """One stored conjunction of a run (with its element-set ids), or None."""
    c = conjunctions.c
    query = select(conjunctions).where(c.run_id == run_id, c.id == conjunction_id)
    return conn.execute(query).first()


# -- re-entry predictions and the Space-Track classes built on stored data ---------------


def existing_tip_message_ids(conn: Connection, source_id: int, ids: Sequence[int]) -> set[int]:
    """Return which of these TIP message numbers this source has already stored."""
    found: set[int] = set()
    c = tip_messages.c
    for chunk in _chunks(sorted(set(ids))):
        query = select(c.message_id).where(c.source_id == source_id, c.message_id.in_(chunk))
        found.update(int(k) for k in conn.execute(query).scalars())
    return found


def add_tip_messages(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert TIP message rows (one executemany)."""
    _bulk_insert(conn, tip_messages, rows)


def tip_messages_with_provenance(conn: Connection) -> list[Row[Any]]:
    """Every stored TIP message with its source partner's code (``source_code``), its
    submission's label (``releasability``) and its object's metadata (``obj_``), by object,
    message epoch and arrival."""
    t, o = tip_messages.c, space_objects.c
    query = (
        select(
            tip_messages,
            partners.c.code.label("source_code"),
            submissions.c.releasability,
            o.object_name.label("obj_object_name"),
            o.object_id.label("obj_object_id"),
            o.owner.label("obj_owner"),
            o.rcs_m2.label("obj_rcs_m2"),
        )
        .join(partners, partners.c.id == t.source_id)
        .join(submissions, submissions.c.id == t.submission_id)
        .join(space_objects, o.norad_cat_id == t.norad_cat_id)
        .order_by(t.norad_cat_id, t.msg_epoch, t.id)
    )
    return list(conn.execute(query))


def objects_with_metadata_source(conn: Connection) -> list[Row[Any]]:
    """Every object row with the code of the partner that sent its metadata
    (``metadata_source``; None for objects known only from element sets or messages), by
    catalogue number."""
    query = (
        select(space_objects, partners.c.code.label("metadata_source"))
        .outerjoin(partners, partners.c.id == space_objects.c.metadata_source_id)
        .order_by(space_objects.c.norad_cat_id)
    )
    return list(conn.execute(query))


def conjunctions_with_runs(conn: Connection) -> list[Row[Any]]:
    """Every stored conjunction (with its element-set ids) and its run's creation time
    (``run_created_at``) and screening threshold (``run_threshold_km``), by run and TCA."""
    c = conjunctions.c
    query = (
        select(
            conjunctions,
            screening_runs.c.created_at.label("run_created_at"),
            screening_runs.c.threshold_km.label("run_threshold_km"),
        )
        .join(screening_runs, screening_runs.c.id == c.run_id)
        .order_by(c.run_id, c.tca, c.id)
    )
    return list(conn.execute(query))
