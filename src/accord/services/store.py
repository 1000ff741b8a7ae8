"""Opening and initialising the store that every service works on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from accord.errors import ConfigurationError
from accord.settings import Settings, load_settings
from accord.storage import repositories as repo
from accord.storage.database import make_engine, migrate, require_current_schema


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Store:
    """An initialised store: the settings in force and the engine on its database."""

    settings: Settings
    engine: Engine

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()


def init_store(settings: Settings | None = None) -> Store:
    """Create (or migrate) the store and its local partner; return it.  Idempotent."""
    settings = settings or load_settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    migrate(engine)
    with engine.begin() as conn:
        if repo.partner_by_code(conn, settings.local_partner) is None:
            repo.add_partner(
                conn,
                settings.local_partner,
                "Local partner (owner of data ingested without --source)",
                "operator",
                None,
                utcnow(),
            )
    return Store(settings, engine)


def open_store(settings: Settings | None = None) -> Store:
    """Open an initialised store; raise ConfigurationError if `accord init` has not run."""
    settings = settings or load_settings()
    if settings.url.startswith("sqlite:///") and not Path(settings.url[10:]).is_file():
        raise ConfigurationError(f"no Accord store at {settings.url[10:]}: run `accord init` first")
    engine = make_engine(settings.url)
    try:
        require_current_schema(engine)
    except ConfigurationError:
        engine.dispose()
        raise
    return Store(settings, engine)
