"""Engines and schema migrations, for the SQLite default and for PostgreSQL.

SQLite runs in WAL mode with ``synchronous=NORMAL``: a committed transaction survives the
process being killed (SQLite documentation, "Write-Ahead Logging", section 2).  Foreign keys
are enforced on both backends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from accord.errors import ConfigurationError

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Given a database URL, return an engine configured for Accord.

    A SQLite file's parent directory is created if missing.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # Disconnects are handled optimistically (SQLAlchemy, "Dealing with Disconnects"): no
    # round trip to test each connection taken from the pool; a statement that finds its
    # connection lost invalidates the whole pool, and callers retry (connection_lost).
    return create_engine(url, pool_pre_ping=False)


def connection_lost(exc: BaseException) -> bool:
    """True for an error raised because the database connection was lost (the pool then
    holds only fresh connections, so the work can be tried again)."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema of ``engine``'s database up to the newest migration."""
    command.upgrade(_alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    """Return the database's current migration revision, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise ConfigurationError unless the database is initialised and up to date."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    current = schema_revision(engine)
    if current is None:
        raise ConfigurationError(
            f"no Accord store at {engine.url.render_as_string(hide_password=True)}: "
            "run `accord init` first"
        )
    if current != head:
        raise ConfigurationError(
            f"the store's schema is at revision {current}, this Accord expects {head}: "
            "run `accord init` to migrate it"
        )
