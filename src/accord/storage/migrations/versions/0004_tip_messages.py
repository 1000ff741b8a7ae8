"""re-entry predictions: TIP messages with provenance

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tip_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("norad_cat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("msg_epoch", sa.DateTime(), nullable=False),
        sa.Column("insert_epoch", sa.DateTime(), nullable=True),
        sa.Column("decay_epoch", sa.DateTime(), nullable=False),
        sa.Column("window_min", sa.Integer(), nullable=True),
        sa.Column("rev", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=12), nullable=True),
        sa.Column("lat_deg", sa.Float(), nullable=True),
        sa.Column("lon_deg", sa.Float(), nullable=True),
        sa.Column("incl_deg", sa.Float(), nullable=True),
        sa.Column("next_report_h", sa.Integer(), nullable=True),
        sa.Column("high_interest", sa.String(length=1), nullable=True),
        sa.Column("object_number", sa.BigInteger(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("record_line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["norad_cat_id"],
            ["space_objects.norad_cat_id"],
            name=op.f("fk_tip_messages_norad_cat_id_space_objects"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["partners.id"], name=op.f("fk_tip_messages_source_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_tip_messages_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_messages")),
        sa.UniqueConstraint("message_id", "source_id", name="uq_tip_messages_message_source"),
    )
    op.create_index(
        "ix_tip_messages_norad_msg_epoch", "tip_messages", ["norad_cat_id", "msg_epoch"]
    )


def downgrade() -> None:
    op.drop_index("ix_tip_messages_norad_msg_epoch", table_name="tip_messages")
    op.drop_table("tip_messages")
