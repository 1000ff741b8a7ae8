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
    Column("raw", LargeBinary, nullable=False),
    Column("status", String(16), nullable=False),  # in-progress | complete | rejected
    Column("records", Integer, nullable=False, default=0),
    Column("accepted", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("reason", Text),  # why a whole submission was refused (unreadable, unknown format)
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
    Index("ix_conjunctions_pair_tca", "norad_cat_id_1", "norad_cat_id_2", "tca"),
)
