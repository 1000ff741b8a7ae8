"""The ASGI application for servers (``uvicorn accord.api.asgi:app``), on the store the
settings name (``ACCORD_HOME``, ``ACCORD_DATABASE_URL``)."""

from __future__ import annotations

from accord.api.app import create_app

app = create_app()
