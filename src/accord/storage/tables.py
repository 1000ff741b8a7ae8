"""The relational schema (SQLAlchemy 2 Core tables), shared by SQLite and PostgreSQL.

No business rules here: the tables keep what partners sent, with provenance, and never
overwrite an accepted element set.  Times are naive UTC datetimes.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names, so that migrations behave the same on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = Table(
    "partners",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False, default="operator"),
    Column("country", String(8)),
    Column("created_at", DateTime, nullable=False),
    Column("default_releasability", String(16), nullable=False, default="agreement"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("filename", String(500)),
    Column("format", String(32), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # in-progress | complete | rejected
    Column("records", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("reason", Text),  # why a whole submission was refused (unreadable, unknown format)
    Column("releasability", String(16), nullable=False, default="agreement"),
    Column("signature", String(200)),  # the partner's Ed25519 signature over raw, base64
)

# A submission's bytes as received, apart from its row: reads of a submission's label (every
# policy-filtered catalogue read) never walk past them (SQLite keeps a large value inline,
# in overflow pages ahead of the columns after it).
submission_contents = Table(
    "submission_contents",
    metadata,
    Column(
        "submission_id",
        Integer,
        ForeignKey("submissions.id"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("raw", LargeBinary, nullable=False),
)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False, index=True),
    Column("line", Integer),
    Column("field", String(100)),
    Column("reason", Text, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)

space_objects = Table(
    "space_objects",
    metadata,
    Column("norad_cat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("object_name", String(100)),
    Column("object_id", String(32)),
    Column("object_type", String(16)),
    Column("ops_status_code", String(8)),
    Column("owner", String(32)),
    Column("launch_date", String(10)),
    Column("launch_site", String(16)),
    Column("decay_date", String(10)),
    Column("period_min", Float),
    Column("inclination_deg", Float),
    Column("apogee_km", Float),
    Column("perigee_km", Float),
    Column("rcs_m2", Float),
    Column("metadata_source_id", Integer, ForeignKey("partners.id")),
    Column("updated_at", DateTime, nullable=False),
)

element_sets = Table(
    "element_sets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "norad_cat_id",
        BigInteger,
        ForeignKey("space_objects.norad_cat_id"),
        nullable=False,
    ),
    Column("epoch", DateTime, nullable=False),
    Column("mean_motion", Float, nullable=False),
    Column("eccentricity", Float, nullable=False),
    Column("inclination", Float, nullable=False),
    Column("ra_of_asc_node", Float, nullable=False),
    Column("arg_of_pericenter", Float, nullable=False),
    Column("mean_anomaly", Float, nullable=False),
    Column("bstar", Float, nullable=False),
    Column("mean_motion_dot", Float, nullable=False),
    Column("mean_motion_ddot", Float, nullable=False),
    Column("object_name", String(100)),
    Column("object_id", String(32)),
    Column("classification_type", String(1), nullable=False),
    Column("ephemeris_type", Integer, nullable=False),
    Column("element_set_no", Integer, nullable=False),
    Column("rev_at_epoch", Integer, nullable=False),
    Column("center_name", String(32), nullable=False),
    Column("ref_frame", String(16), nullable=False),
    Column("time_system", String(8), nullable=False),
    Column("mean_element_theory", String(16), nullable=False),
    Column("originator", String(100)),
    Column("creation_date", DateTime),
    Column("gm", Float),
    Column("extra", JSON, nullable=False),
    Column("comments", JSON, nullable=False),
    # provenance
    Column("source_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("record_line", Integer),
    Column("raw_sha256", String(64), nullable=False),
    Column("content_sha256", String(64), nullable=False),
    UniqueConstraint("content_sha256", "source_id", name="uq_element_sets_content_source"),
    Index("ix_element_sets_norad_epoch", "norad_cat_id", "epoch"),
    Index("ix_element_sets_epoch", "epoch"),
)

screening_runs = Table(
    "screening_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Column("window_start", DateTime, nullable=False),
    Column("window_s", Float, nullable=False),
    Column("volume", String(16), nullable=False),  # sphere | cara
    Column("threshold_km", Float, nullable=False),
    Column("step_s", Float, nullable=False),
    Column("primaries", JSON, nullable=False),  # catalogue numbers; [] = all against all
    Column("n_objects", Integer, nullable=False),
    Column("n_conjunctions", Integer, nullable=False),
    Column("timings", JSON, nullable=False),  # stage -> seconds
    Column("status", String(16), nullable=False),
)

# The input snapshot: which element sets a run screened.
screening_inputs = Table(
    "screening_inputs",
    metadata,
    Column("run_id", Integer, ForeignKey("screening_runs.id"), primary_key=True),
    Column("element_set_id", Integer, ForeignKey("element_sets.id"), primary_key=True),
)

conjunctions = Table(
    "conjunctions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, ForeignKey("screening_runs.id"), nullable=False, index=True),
    Column("norad_cat_id_1", BigInteger, nullable=False),
    Column("norad_cat_id_2", BigInteger, nullable=False),
    Column("element_set_id_1", Integer, ForeignKey("element_sets.id")),
    Column("element_set_id_2", Integer, ForeignKey("element_sets.id")),
    Column("tca", DateTime, nullable=False),
    Column("miss_distance_km", Float, nullable=False),
    Column("relative_speed_km_s", Float, nullable=False),
    Column("relative_position_rtn_km", JSON, nullable=False),
    Column("relative_velocity_rtn_km_s", JSON, nullable=False),
    Column("state_1_teme", JSON, nullable=False),  # [x, y, z, vx, vy, vz] km, km/s
    Column("state_2_teme", JSON, nullable=False),
    Column("pc", Float),
    Column("pc_method", String(32)),
    Column("covariance_source", String(32)),  # cdm | ephemeris | default
    Column("hard_body_radius_m", Float),
    Column("at_edge", Integer, nullable=False),  # 0/1: the TCA lies outside the window
    # the operators' ephemerides a side was screened from (migration 0006), else None
    Column("ephemeris_id_1", Integer),
    Column("ephemeris_id_2", Integer),
    # an ellipsoid run's volumes (migration 0007), else None: [[R, T, N] of object 1, of
    # object 2] (km) and [object 2 in object 1's, object 1 in object 2's] (None: not applied)
    Column("volume_rtn_km", JSON),
    Column("volume_distance", JSON),
    Index("ix_conjunctions_pair_tca", "norad_cat_id_1", "norad_cat_id_2", "tca"),
)

# Federation: users, keys, agreements and the ledger (migration 0003).

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("role", String(16), nullable=False),  # admin | analyst | operator | observer
    Column("password_hash", String(200)),  # Argon2id; None: API keys only
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("prefix", String(12), nullable=False),  # the first characters, to recognise it
    Column("scopes", JSON, nullable=False),  # e.g. ["read", "submit"]
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)

partner_keys = Table(
    "partner_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("public_key", LargeBinary, nullable=False),  # raw Ed25519, 32 bytes
    Column("created_at", DateTime, nullable=False),
    Column("revoked_at", DateTime),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("recipients", JSON, nullable=False),  # partner codes
    Column("data_classes", JSON, nullable=False),
    Column("grant", String(16), nullable=False),  # full | derived-only | delayed | none
    Column("delay_s", Float, nullable=False, default=0.0),
    Column("object_scope", String(2000), nullable=False, default="all"),
    Column("onward", Integer, nullable=False, default=1),
    Column("mediator", String(32)),
    # who moves when both objects of a conjunction can (migration 0006; None: the default)
    Column("mover_rule", String(32)),
    Column("starts_at", DateTime, nullable=False),
    Column("expires_at", DateTime),
    Column("revoked_at", DateTime),
    Column("created_at", DateTime, nullable=False),
)

ledger = Table(
    "ledger",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime, nullable=False),
    Column("actor", String(320), nullable=False),
    Column("partner", String(32)),
    Column("action", String(64), nullable=False, index=True),
    Column("subject", String(200), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("signature", String(200)),
    Column("previous", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)

# Re-entry predictions (migration 0004): Tracking and Impact Prediction messages as partners
# submit them (Space-Track's tip class), with provenance; never overwritten.
tip_messages = Table(
    "tip_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "norad_cat_id",
        BigInteger,
        ForeignKey("space_objects.norad_cat_id"),
        nullable=False,
    ),
    Column("message_id", BigInteger, nullable=False),  # the message's own number (ID)
    Column("msg_epoch", DateTime, nullable=False),
    Column("insert_epoch", DateTime),
    Column("decay_epoch", DateTime, nullable=False),
    Column("window_min", Integer),
    Column("rev", Integer),
    Column("direction", String(12)),
    Column("lat_deg", Float),
    Column("lon_deg", Float),
    Column("incl_deg", Float),
    Column("next_report_h", Integer),
    Column("high_interest", String(1)),
    Column("object_number", BigInteger),
    # provenance
    Column("source_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("record_line", Integer),
    UniqueConstraint("message_id", "source_id", name="uq_tip_messages_message_source"),
    Index("ix_tip_messages_norad_msg_epoch", "norad_cat_id", "msg_epoch"),
)

# Coordination (migration 0006): operators' ephemerides, who operates which object, events
# of conjunctions, the coordination steps of each event, and alerts with their deliveries.

# An object's operator as the federation knows it: the partner that flies it, whether it
# can manoeuvre, its hard-body radius and whom to call.
object_operators = Table(
    "object_operators",
    metadata,
    Column("norad_cat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("maneuverable", Integer),  # 1 yes, 0 no, None unknown
    Column("hard_body_radius_m", Float),
    Column("contact", String(320)),
    Column("updated_at", DateTime, nullable=False),
)

# One object's ephemeris from one submission (an OEM or OCM may carry several objects).
# ``oem`` is the object's segments as OEM KVN, in the message's own frame and time system
# (the message itself where it is one KVN OEM of one object, else written back), so that a
# read gives exactly what was screened.
ephemerides = Table(
    "ephemerides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("norad_cat_id", BigInteger, nullable=False),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("status", String(16), nullable=False),  # hypothetical | candidate | definitive
    Column("event_id", Integer),  # the event a candidate manoeuvre is proposed for
    Column("start_time", DateTime, nullable=False),  # UTC
    Column("stop_time", DateTime, nullable=False),
    Column("n_states", Integer, nullable=False),
    Column("n_segments", Integer, nullable=False),
    Column("has_covariance", Integer, nullable=False),
    Column("oem", Text, nullable=False),
    Column("superseded_by", Integer),
    Column("screening_run_id", Integer, ForeignKey("screening_runs.id")),
    Column("created_at", DateTime, nullable=False),
    Index("ix_ephemerides_norad_status", "norad_cat_id", "status"),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("norad_cat_id_1", BigInteger, nullable=False),
    Column("norad_cat_id_2", BigInteger, nullable=False),
    Column("tca", DateTime, nullable=False),  # the latest CDM's
    Column("miss_distance_km", Float, nullable=False),
    Column("pc", Float),
    Column("tier", String(8), nullable=False),  # red | amber | green
    Column("state", String(16), nullable=False),  # open | claimed | proposed | ... | closed
    Column("mover", BigInteger),  # the object that will manoeuvre, once claimed
    Column("mediator", String(32)),  # partner code, once escalated
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Index("ix_events_pair_tca", "norad_cat_id_1", "norad_cat_id_2", "tca"),
)

# An event's history of CDMs: each is one stored conjunction.
event_conjunctions = Table(
    "event_conjunctions",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id"), primary_key=True),
    Column("conjunction_id", Integer, ForeignKey("conjunctions.id"), primary_key=True),
    Column("added_at", DateTime, nullable=False),
)

coordination_steps = Table(
    "coordination_steps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", Integer, ForeignKey("events.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("partner", String(32), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("action", String(16), nullable=False),  # claim | propose | accept | ...
    Column("intent", String(16)),  # will-maneuver | will-not | undetermined
    Column("ephemeris_id", Integer, ForeignKey("ephemerides.id")),
    Column("note", Text),
    Column("ledger_seq", Integer, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),  # the HMAC-SHA256 key, shared with them
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("partner_id", Integer, ForeignKey("partners.id"), nullable=False, index=True),
    Column("event_id", Integer, ForeignKey("events.id")),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),  # as released to this partner
    Column("created_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime),
    Column("acknowledged_by", String(320)),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("alert_id", Integer, ForeignKey("alerts.id"), nullable=False, index=True),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | dead
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("delivered_at", DateTime),
    Index("ix_deliveries_status_next", "status", "next_attempt_at"),
)
