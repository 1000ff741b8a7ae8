"""One typed settings object, read from ``ACCORD_*`` environment variables and a TOML file.

Precedence, highest first: environment variables, ``$ACCORD_HOME/accord.toml`` (or the file
named by ``ACCORD_CONFIG``), defaults.  ``ACCORD_HOME`` is the data directory (default
``~/.accord``); the default database is the SQLite file ``$ACCORD_HOME/accord.db``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.core.volumes import CARA_VOLUMES, volume_table
from accord.errors import ConfigurationError


def _default_home() -> Path:
    return Path(os.environ.get("ACCORD_HOME") or Path.home() / ".accord").expanduser()


class Settings(BaseSettings):
    """Accord's settings.  Every field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="forbid")

    home: Path = Field(default_factory=_default_home, description="Data directory.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///$ACCORD_HOME/accord.db. "
        "PostgreSQL: postgresql+psycopg://user:password@host:port/dbname",
    )
    local_partner: str = Field(
        default="LOCAL",
        description="Code of the partner that owns what is ingested without --source.",
    )
    ingest_batch_size: int = Field(
        default=5000,
        gt=0,
        description="Records committed per transaction during ingest.",
    )
    screening_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        gt=0,
        description="Threads that screen blocks of time in parallel.",
    )
    screening_scheduler: str | None = Field(
        default=None,
        description="Address of a Dask scheduler (tcp://HOST:PORT) to screen on; none: "
        "screen in this process.",
    )
    screening_cara_volumes: list[tuple[float, float, float, float]] = Field(
        default_factory=lambda: list(CARA_VOLUMES),
        description="The ellipsoids of --volume cara by perigee band: rows of the band's "
        "upper perigee bound and the radial, in-track and cross-track semi-axes (km), bounds "
        "increasing, the last inf (NASA CARA's by default); JSON in the environment.",
    )
    api_quota: int = Field(
        default=300,
        gt=0,
        description="Requests each caller may make per quota window (API and Space-Track API).",
    )
    api_class_quotas: dict[str, int] = Field(
        default_factory=lambda: {"gp_history": 100, "submissions": 60},
        description="Requests each caller may make per quota window in one request class "
        "(a Space-Track class such as gp_history, or a native path such as submissions), "
        "within the overall quota; JSON in the environment.",
    )
    api_quota_window_s: float = Field(
        default=60.0,
        gt=0,
        description="The quota window in seconds.",
    )
    api_max_submission_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="The largest file POST /api/v1/submissions accepts, in bytes (413 over it).",
    )

    alerts_dispatch: bool = Field(
        default=True,
        description="Run the alert dispatcher (webhook deliveries) in each API server worker.",
    )
    alerts_max_attempts: int = Field(
        default=12,
        gt=0,
        description="Attempts of a webhook delivery before it is a dead letter.",
    )
    alerts_heartbeat_s: float = Field(
        default=15.0,
        gt=0,
        description="Seconds between heartbeat comments on an idle alert event stream.",
    )

    @field_validator("screening_cara_volumes")
    @classmethod
    def _volume_table(
        cls, rows: list[tuple[float, float, float, float]]
    ) -> list[tuple[float, float, float, float]]:
        volume_table(rows)  # raises ValueError with what was expected
        return rows

    @property
    def url(self) -> str:
        """Return the database URL in force."""
        return self.database_url or f"sqlite:///{self.home / 'accord.db'}"


def load_settings(**overrides: Any) -> Settings:
    """Return the settings from the environment and the TOML file, with ``overrides`` on top."""
    home = Path(overrides.get("home") or _default_home()).expanduser()
    config = os.environ.get("ACCORD_CONFIG")
    path = Path(config) if config else home / "accord.toml"
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc
        values = values.get("accord", values)
    # Environment variables outrank the file: drop file values the environment sets.
    for name in list(values):
        if f"ACCORD_{name.upper()}" in os.environ:
            values.pop(name)
    values.update({k: v for k, v in overrides.items() if v is not None})
    values.setdefault("home", home)
    try:
        return Settings(**values)
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings ({path}): {exc}") from exc
