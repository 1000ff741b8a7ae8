"""submission bytes in a table of their own (submission_contents)

A submission's raw bytes leave its row, so that reading a submission's label (every
policy-filtered catalogue read joins it) never walks past them: SQLite stores a large value
inline, in overflow pages ahead of the columns after it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_contents",
        sa.Column("submission_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_contents_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_submission_contents")),
    )
    op.execute(
        "INSERT INTO submission_contents (submission_id, raw) SELECT id, raw FROM submissions"
    )
    # Not a batch (table copy): other tables' foreign keys name submissions; SQLite drops a
    # plain column in place since 3.35.
    op.execute("ALTER TABLE submissions DROP COLUMN raw")


def downgrade() -> None:
    # The column comes back nullable: neither backend adds a NOT NULL column to rows in place.
    op.add_column("submissions", sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE submissions SET raw = (SELECT raw FROM submission_contents"
        " WHERE submission_contents.submission_id = submissions.id)"
    )
    op.drop_table("submission_contents")
