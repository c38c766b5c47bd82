"""Shared helpers: the bundled real logs (tests/data/logs, sources in its SOURCES.md) and recordings,
a wall clock moved by hand, uktrace run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import anyio
import pytest

from uktrace.recording.replay import ReplayFleet

# what uktrace caches per host (the accelerator probe, the console calibration) is the suite's own:
# a figure or a line a test checks never depends on what someone ran on this machine before
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="uktrace-test-cache-")

DATA = Path(__file__).parent / "data"
LOGS = DATA / "logs"
RECORDINGS = DATA / "recordings"


def log(number: str) -> Path:
    """A bundled real console log by its number prefix, e.g. `log("001")`."""
    (path,) = LOGS.glob(f"{number}-*.log")
    return path


def replayed(name: str, speed: float = 0) -> ReplayFleet:
    """A bundled recording (tests/data/recordings) replayed to its end, at `speed` (0: at once)."""
    fleet = ReplayFleet(RECORDINGS / name, speed=speed)
    anyio.run(fleet.run)
    return fleet


def uktrace(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m uktrace ARGS` as a user runs it, without a terminal on its input."""
    return subprocess.run(
        [sys.executable, "-m", "uktrace", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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


QEMU_SUITES = (Path(__file__).parent / "integration", Path(__file__).parent / "cluster")
"""Every test here needs QEMU and the test guest (their conftest skips them all without): marked
`qemu` here, so `-m "not qemu"` leaves them out. Elsewhere a test that boots QEMU says so itself."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(suite in item.path.parents for suite in QEMU_SUITES):
            item.add_marker(pytest.mark.qemu)
