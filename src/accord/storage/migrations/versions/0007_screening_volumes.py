"""screening volumes of conjunctions (NASA CARA ellipsoids)

Each conjunction of an ellipsoid run keeps both objects' screening ellipsoids (radial,
in-track, cross-track semi-axes, km) and each object's normalized distance in the other's,
so that CDMs issued later from the stored run carry the volume it was screened with.  Both
are NULL for a sphere run (its radius is the run's threshold_km).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conjunctions", sa.Column("volume_rtn_km", sa.JSON(), nullable=True))
    op.add_column("conjunctions", sa.Column("volume_distance", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("conjunctions", "volume_distance")
    op.drop_column("conjunctions", "volume_rtn_km")
