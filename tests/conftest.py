"""Shared helpers: the bundled real logs (tests/data/logs, sources in its SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"


def log(number: str) -> Path:
    """A bundled real console log by its number prefix, e.g. `log("001")`."""
    (path,) = LOGS.glob(f"{number}-*.log")
    return path
