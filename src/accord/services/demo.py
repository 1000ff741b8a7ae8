"""The bundled demo catalogue (CelesTrak-derived; see src/accord/demo/README.md)."""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def demo_files() -> list[Path]:
    """Return the demo files in the order they are meant to be ingested."""
    return sorted(p for p in DEMO_DIR.iterdir() if p.suffix in (".txt", ".csv", ".json"))
