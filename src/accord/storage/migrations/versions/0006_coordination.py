"""coordination: object operators, ephemerides, events, coordination steps, alerts

Operators' ephemerides (hypothetical, candidate, definitive), the conjunctions screened from
them, events of conjunctions with their coordination, and alerts with their webhook
deliveries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("norad_cat_id_1", sa.BigInteger(), nullable=False),
        sa.Column("norad_cat_id_2", sa.BigInteger(), nullable=False),
        sa.Column("tca", sa.DateTime(), nullable=False),
        sa.Column("miss_distance_km", sa.Float(), nullable=False),
        sa.Column("pc", sa.Float(), nullable=True),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("mover", sa.BigInteger(), nullable=True),
        sa.Column("mediator", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index(
        "ix_events_pair_tca", "events", ["norad_cat_id_1", "norad_cat_id_2", "tca"], unique=False
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_alerts_event_id_events")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_alerts_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(op.f("ix_alerts_partner_id"), "alerts", ["partner_id"], unique=False)
    op.create_table(
        "object_operators",
        sa.Column("norad_cat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("maneuverable", sa.Integer(), nullable=True),
        sa.Column("hard_body_radius_m", sa.Float(), nullable=True),
        sa.Column("contact", sa.String(length=320), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_object_operators_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("norad_cat_id", name=op.f("pk_object_operators")),
    )
    op.create_index(
        op.f("ix_object_operators_partner_id"), "object_operators", ["partner_id"], unique=False
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("disabled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_webhooks_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_index(op.f("ix_webhooks_partner_id"), "webhooks", ["partner_id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_deliveries_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"], ["webhooks.id"], name=op.f("fk_deliveries_webhook_id_webhooks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(op.f("ix_deliveries_alert_id"), "deliveries", ["alert_id"], unique=False)
    op.create_index(
        "ix_deliveries_status_next", "deliveries", ["status", "next_attempt_at"], unique=False
    )
    op.create_table(
        "ephemerides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("norad_cat_id", sa.BigInteger(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("stop_time", sa.DateTime(), nullable=False),
        sa.Column("n_states", sa.Integer(), nullable=False),
        sa.Column("n_segments", sa.Integer(), nullable=False),
        sa.Column("has_covariance", sa.Integer(), nullable=False),
        sa.Column("oem", sa.Text(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("screening_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_ephemerides_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["screening_run_id"],
            ["screening_runs.id"],
            name=op.f("fk_ephemerides_screening_run_id_screening_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_ephemerides_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ephemerides")),
    )
    op.create_index(
        "ix_ephemerides_norad_status", "ephemerides", ["norad_cat_id", "status"], unique=False
    )
    op.create_table(
        "coordination_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("partner", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=16), nullable=True),
        sa.Column("ephemeris_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ephemeris_id"],
            ["ephemerides.id"],
            name=op.f("fk_coordination_steps_ephemeris_id_ephemerides"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_coordination_steps_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordination_steps")),
    )
    op.create_index(
        op.f("ix_coordination_steps_event_id"), "coordination_steps", ["event_id"], unique=False
    )
    op.create_table(
        "event_conjunctions",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("conjunction_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conjunction_id"],
            ["conjunctions.id"],
            name=op.f("fk_event_conjunctions_conjunction_id_conjunctions"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_conjunctions_event_id_events")
        ),
        sa.PrimaryKeyConstraint("event_id", "conjunction_id", name=op.f("pk_event_conjunctions")),
    )
    op.add_column("agreements", sa.Column("mover_rule", sa.String(length=32), nullable=True))
    op.add_column("conjunctions", sa.Column("ephemeris_id_1", sa.Integer(), nullable=True))
    op.add_column("conjunctions", sa.Column("ephemeris_id_2", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("agreements", "mover_rule")
    op.drop_column("conjunctions", "ephemeris_id_2")
    op.drop_column("conjunctions", "ephemeris_id_1")
    op.drop_table("event_conjunctions")
    op.drop_index(op.f("ix_coordination_steps_event_id"), table_name="coordination_steps")
    op.drop_table("coordination_steps")
    op.drop_index("ix_ephemerides_norad_status", table_name="ephemerides")
    op.drop_table("ephemerides")
    op.drop_index("ix_deliveries_status_next", table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_alert_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_webhooks_partner_id"), table_name="webhooks")
    op.drop_table("webhooks")
    op.drop_index(op.f("ix_object_operators_partner_id"), table_name="object_operators")
    op.drop_table("object_operators")
    op.drop_index(op.f("ix_alerts_partner_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_events_pair_tca", table_name="events")
    op.drop_table("events")
