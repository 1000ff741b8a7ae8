"""Where the benchmarks find the reference data (never copied into the repository)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """Return ../shared/data, or $ACCORD_SHARED_DATA; exit with a message if missing."""
    env = os.environ.get("ACCORD_SHARED_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        raise SystemExit(f"reference data not found at {path} (set ACCORD_SHARED_DATA)")
    return path
