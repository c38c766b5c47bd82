"""Replaying a recording through the same model a live run fills: demos, snapshots, re-analysis.

The console bytes are fed to fresh parsers and timelines with their recorded host times, so a
replay shows what the current parser makes of an old run. `speed` scales time (2 = twice as
fast); `speed=0` feeds everything at once, which makes replays deterministic for tests.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio

from parsers import ConsoleParser

from ..kernel.symbols import locate_crash
from ..model.guest import Guest, spawn_spread, status_counts
from ..model.integrity import check_integrity
from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Crash, Status
from .record import RecordedGuest, RecordingError, read_guest


class ReplayFleet:
    """A recorded run, played back; offers the reading side of `Fleet` to views."""

    def __init__(self, directory: Path, speed: float = 1.0) -> None:
        try:
            session = json.loads((directory / "session.json").read_text())
        except FileNotFoundError:
            raise RecordingError(f"{directory}: not a uktrace recording (no session.json)") from None
        except (OSError, ValueError) as error:
            raise RecordingError(f"{directory}: unreadable session.json ({error})") from None
        self.record_dir = directory
        self.speed = speed
        names = [name for name in session.get("guests", []) if (directory / name).is_dir()]
        self.recorded = [read_guest(directory / name) for name in names]
        if not self.recorded:
            raise RecordingError(f"{directory}: the recording holds no guest")
        options = session.get("options", {})
        self.jobs = int(options.get("jobs") or len(self.recorded))
        self.fs_mode: str | None = options.get("fs_mode") if options.get("fs") else None
        spawns = [r.meta.get("host", {}).get("spawn_ns") for r in self.recorded]
        known = [s for s in spawns if s is not None]
        self._origin = min(known) if known else 0
        self.guests = [self._guest(i, r) for i, r in enumerate(self.recorded)]
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.interrupted_by: int | None = None
        self._start = time.monotonic_ns()
        self._end = max((self._offset(r, "exit_ns") or 0) for r in self.recorded)
        self._scope: anyio.CancelScope | None = None

    def clock(self) -> int:
        """Replay time: recorded nanoseconds since the first spawn."""
        if self.speed <= 0:
            return self._end
        return int((time.monotonic_ns() - self._start) * self.speed)

    def _offset(self, recorded: RecordedGuest, key: str) -> int | None:
        value = recorded.meta.get("host", {}).get(key)
        return None if value is None else value - self._origin

    def _guest(self, index: int, recorded: RecordedGuest) -> Guest:
        meta = recorded.meta
        host = meta.get("host", {})
        spec = GuestSpec(
            name=recorded.name,
            kernel=Path(meta.get("kernel", "?")),
            accel=host.get("accel", "?"),
            fs=Path(meta["fs"]) if meta.get("fs") else None,
        )
        guest = Guest(index, spec, list(meta.get("argv", [])), BootTimeline(recorded.name, source=spec.kernel.name))
        guest.recording = recorded.directory
        return guest

    # -- the control side views may call: a recording cannot be steered -----------------------

    def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()

    def stop_guest(self, guest: Guest) -> None:
        return None

    def relaunch(self, guest: Guest) -> bool:
        return False

    # -- playing --------------------------------------------------------------------------------

    async def run(self, keep_alive: bool = False) -> None:
        self._start = time.monotonic_ns()
        self.started_ns = 0
        with anyio.CancelScope() as scope:
            self._scope = scope
            async with anyio.create_task_group() as group:
                for guest, recorded in zip(self.guests, self.recorded, strict=True):
                    group.start_soon(self._play, guest, recorded)
            self.finished_ns = self._end
            if keep_alive:
                await anyio.sleep_forever()

    async def _until(self, offset_ns: int) -> None:
        if self.speed > 0:
            delay = offset_ns / self.speed - (time.monotonic_ns() - self._start)
            if delay > 0:
                await anyio.sleep(delay / 1e9)

    async def _play(self, guest: Guest, recorded: RecordedGuest) -> None:
        host = recorded.meta.get("host", {})
        spawn = self._offset(recorded, "spawn_ns")
        if spawn is None:
            self._settle(guest, recorded)
            return
        await self._until(spawn)
        timeline = guest.timeline
        guest.spawn_ns = spawn
        timeline.spawned(spawn)
        firmware = self._offset(recorded, "firmware_ns")
        parser = ConsoleParser()
        for since_spawn, data in recorded.chunks:
            at = spawn + since_spawn
            if firmware is not None and firmware <= at:
                timeline.firmware_started(firmware)
            await self._until(at)
            if guest.first_byte_ns is None:
                guest.first_byte_ns = at
            guest.received += len(data)
            records = parser.feed(data, at)
            for record in records:
                timeline.consume(record)
            guest.records.extend(records)
            guest.changes += 1
        exit_ns = self._offset(recorded, "exit_ns")
        if exit_ns is not None:
            await self._until(exit_ns)
        for record in parser.flush():
            timeline.consume(record)
            guest.records.append(record)
        guest.exit_ns = exit_ns
        guest.qemu_status = host.get("qemu_status")
        stderr = recorded.directory / "stderr.log"
        if stderr.is_file():
            guest.stderr_tail = bytearray(stderr.read_bytes()[-4096:])
        if exit_ns is not None:
            timeline.process_exited(exit_ns)
        self._settle(guest, recorded)
        if recorded.meta.get("kernel"):
            locate_crash(timeline, guest.records, Path(recorded.meta["kernel"]))
        guest.integrity = check_integrity(b"".join(chunk for _, chunk in recorded.chunks))
        guest.changes += 1

    @staticmethod
    def _settle(guest: Guest, recorded: RecordedGuest) -> None:
        """What the console cannot tell (timeouts, QEMU errors, interruptions) comes from the record."""
        meta: dict[str, Any] = recorded.meta
        timeline = guest.timeline
        status = meta.get("status")
        if timeline.status.finished or status is None:
            return
        crash = meta.get("crash")
        timeline.status = Status(status)
        timeline.exit_code = meta.get("exit_code")
        if crash:
            timeline.crash = Crash(crash["reason"], crash["line"])

    # -- reading, as Fleet offers it ---------------------------------------------------------------

    def spawn_spread(self) -> float | None:
        return spawn_spread(self.guests, self.jobs)

    def counts(self) -> dict[str, int]:
        return status_counts(self.guests)
