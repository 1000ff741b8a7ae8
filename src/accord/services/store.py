"""Opening and initialising the store that every service works on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.pool import QueuePool

from accord.errors import ConfigurationError
from accord.settings import Settings, load_settings
from accord.storage import repositories as repo
from accord.storage.database import (
    connection_lost,
    make_engine,
    migrate,
    require_current_schema,
)


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


T = TypeVar("T")
_AMBIENT: ContextVar[Connection | None] = ContextVar("accord_transaction", default=None)


class Memo:
    """A bounded memo of values derived from immutable records (stored element sets), by
    key: when full, the oldest tenth of its entries is dropped.  Safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value kept for ``key``, or None."""
        return self._values.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for ``key``."""
        with self._lock:
            if len(self._values) >= self.size:
                for old in list(self._values)[: max(1, self.size // 10)]:
                    del self._values[old]
            self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)


@dataclass
class Store:
    """An initialised store: the settings in force, the engine on its database, and this
    process's memos of what is derived from its immutable records."""

    settings: Settings
    engine: Engine
    memos: dict[str, Memo] = field(default_factory=dict, compare=False, repr=False)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction, committed at the end: the one already open in this
        context (so that a request's reads share one connection), or a new one."""
        ambient = _AMBIENT.get()
        if ambient is not None:
            yield ambient
            return
        with self.engine.begin() as conn:
            token = _AMBIENT.set(conn)
            try:
                yield conn
            finally:
                _AMBIENT.reset(token)

    def retrying(self, work: Callable[[], T]) -> T:
        """Run ``work``; once more if the database connection was lost on the way (after a
        database restart), when its transaction was rolled back with it."""
        try:
            return work()
        except Exception as exc:
            if not connection_lost(exc):
                raise
        return work()

    def connection_free(self) -> bool:
        """True when taking a connection from the pool will not wait for another to be
        returned: one is idle in the pool, or the pool has not reached its size."""
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return True  # no bounded pool: each checkout opens or reuses without waiting
        return pool.checkedin() > 0 or pool.checkedout() < pool.size()

    def memo(self, name: str, size: int = 100_000) -> Memo:
        """The memo called ``name`` (created with room for ``size`` values)."""
        memo = self.memos.get(name)
        if memo is None:
            memo = self.memos.setdefault(name, Memo(size))
        return memo

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
