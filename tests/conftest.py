"""Shared helpers: the bundled real logs (tests/data/logs, sources in its SOURCES.md), a wall clock
moved by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"


def log(number: str) -> Path:
    """A bundled real console log by its number prefix, e.g. `log("001")`."""
    (path,) = LOGS.glob(f"{number}-*.log")
    return path


class Wall:
    """A monotonic clock (ns) that moves only when told: a replay's clock runs on it in tests."""

    def __init__(self) -> None:
        self.ns = 5_000_000_000

    def __call__(self) -> int:
        return self.ns

    def advance(self, ms: float) -> None:
        self.ns += int(ms * 1_000_000)


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh `$TMPDIR` (tempfile reads it again): where uktrace's runs, copies and sockets go."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr("tempfile.tempdir", None)
    return scratch
