"""TUI test helpers: deterministic replays of the bundled recordings, a fleet that records calls,
a fake QEMU process for typing, and a way to wait for the app to settle."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import anyio
import pytest
from rich.console import Console
from textual.pilot import Pilot

from uktrace.model.guest import Guest
from uktrace.model.timeline import Status
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import TracerApp, UktraceApp

REPO = Path(__file__).resolve().parents[2]
RECORDINGS = Path("tests/data/recordings")
"""Relative to the repository root (the tests chdir there), so snapshots show no machine's paths."""
SIZE = (120, 36)
Tracer = TypeVar("Tracer", bound=TracerApp)
STATUSES = [status.value for status in Status]


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


class FakeProcess:
    """Stands in for a running QEMU: `Guest.send` writes here, `Fleet.stop_guest` signals here."""

    returncode: int | None = None

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)


class RecordingFleet(ReplayFleet):
    """A replay (everything fed at once) that records the control calls views make."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, speed=0)
        self.stopped = 0
        self.stop_reasons: list[str] = []
        self.stopped_guests: list[Guest] = []
        self.relaunched: list[Guest] = []

    def stop(self, reason: str = "run stopped by the user") -> None:
        self.stopped += 1
        self.stop_reasons.append(reason)
        super().stop(reason)

    def stop_guest(self, guest: Guest) -> None:
        self.stopped_guests.append(guest)

    def relaunch(self, guest: Guest) -> bool:
        self.relaunched.append(guest)
        return True

    def guest(self, name: str) -> Guest:
        return next(g for g in self.guests if g.name == name)


class StaticFleet:
    """Guests already fed (copies of a replay's, as many as wanted): a fleet that only waits to be stopped."""

    def __init__(self, guests: list[Guest], like: ReplayFleet) -> None:
        self.guests = guests
        self.jobs = len(guests)
        self.record_dir = like.record_dir
        self.fs_mode = like.fs_mode
        self.live = False
        self.started_ns = like.started_ns
        self.finished_ns = like.finished_ns
        self.interrupted_by: int | None = None
        self.recording_errors: list[str] = []
        self.tracer_booting = like.tracer_booting
        self.observer_effect = like.observer_effect
        self._like = like
        self._stopped = anyio.Event()

    def clock(self) -> int:
        return self._like.clock()

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for g in self.guests if g.timeline.status.value == status) for status in STATUSES}

    def start_spread(self) -> float | None:
        return None

    def stop(self, reason: str = "run stopped by the user") -> None:
        self._stopped.set()

    def stop_guest(self, guest: Guest) -> None:
        return None

    def relaunch(self, guest: Guest) -> bool:
        return False

    async def run(self, keep_alive: bool = False) -> None:
        await self._stopped.wait()


async def many_guests(recording: str, count: int) -> StaticFleet:
    """`count` guests copied round-robin from a recording, named guest-001…"""
    source = ReplayFleet(RECORDINGS / recording, speed=0)
    await source.run()
    width = len(str(count))
    guests = [
        replace(g, index=i, spec=replace(g.spec, name=f"guest-{i + 1:0{width}d}"))
        for i, g in ((i, source.guests[i % len(source.guests)]) for i in range(count))
    ]
    return StaticFleet(guests, like=source)


def replay_app(recording: str, tmp_path: Path | None = None, **kwargs: Any) -> UktraceApp:
    fleet = RecordingFleet(RECORDINGS / recording)
    return still(UktraceApp(fleet, title=f"uktrace replay {recording}", screenshot_dir=tmp_path, **kwargs))


def still(app: Tracer) -> Tracer:
    """No animation (a scroll would take a second; a snapshot would catch it half way)."""
    app.animation_level = "none"
    return app


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until the replay has been fed completely, then draw once more."""
    app = pilot.app
    assert isinstance(app, UktraceApp)
    with anyio.fail_after(10):
        while not all(g.timeline.status.finished and g.exit_ns is not None for g in app.fleet.guests):
            await pilot.pause(0.01)
    await pilot.pause()
    app.tick()
    await pilot.pause()


async def symbols_read(pilot: Pilot[Any]) -> None:
    """Wait until the guest view has read its kernel's symbols (on a worker thread), then draw once more."""
    app = pilot.app
    pending = [worker for worker in app.workers if worker.group == "symbols"]
    if pending:  # (none: already done; an empty list would wait for every worker, the fleet's too)
        await app.workers.wait_for_complete(pending)
    await pilot.pause()
    assert isinstance(app, UktraceApp)
    app.tick()
    await pilot.pause()


def screen_text(app: TracerApp) -> str:
    """The screen as plain text (what a user reads), for assertions on content."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()
