"""Alembic environment: runs migrations on the engine that Accord hands over."""

from __future__ import annotations

from alembic import context

from accord.storage.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
