"""Shared fixtures: where the reference data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """Return ../shared/data (or $ACCORD_SHARED_DATA) when it exists."""
    env = os.environ.get("ACCORD_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real reference data.  Missing data fails under CI and skips elsewhere."""
    d = shared_data_dir()
    if d is None:
        message = "../shared/data not found (set ACCORD_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return d
