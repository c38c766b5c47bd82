"""Replaying a recording through the same model a live run fills: demos, snapshots, re-analysis.

The console bytes are fed to fresh parsers and timelines with their recorded host times, and the
host events (spawn, VMM ready, gate release, firmware start, exit) at theirs, so a replay shows
the run's phases on both clocks, statuses and figures, as the current parser makes of them. Host
times stay the recorded monotonic nanoseconds; the replay's clock runs from the first spawn.
Crashes are named from the recording's own symbol table. Older recordings (format 1: no gate
times, no kernel identity) replay with what they have. `speed` scales time (2 = twice as fast);
`speed=0` feeds everything at once, which makes replays deterministic for tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from parsers import ConsoleParser

from ..kernel.symbols import Symbols, locate_crash
from ..model.guest import CpuMark, Guest, spawn_spread, status_counts
from ..model.integrity import check_integrity
from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Crash, Status
from .kernels import recorded_symbols
from .record import RecordedGuest, RecordingError, read_guest

COMMAND_ACCEL = "n/a"
"""`host.accel` of a guest a `--cmd` launcher started: not our QEMU line, so no crash is located."""


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
        self.jobs = min(int(options.get("jobs") or len(self.recorded)), len(self.recorded))
        self.fs_mode: str | None = options.get("fs_mode") if options.get("fs") else None
        spawns = [r.meta.get("host", {}).get("spawn_ns") for r in self.recorded]
        known = [s for s in spawns if s is not None]
        self._origin = min(known) if known else 0
        self.guests = [self._guest(i, r) for i, r in enumerate(self.recorded)]
        # read before playing (the end of a guest's replay must not wait on a file), once per kernel
        tables: dict[str, Symbols | None] = {}
        self._symbols = [self._symbols_of(r, tables) for r in self.recorded]
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.interrupted_by: int | None = None
        self._start = time.monotonic_ns()
        exits = [r.meta.get("host", {}).get("exit_ns") for r in self.recorded]
        self._end = max((e for e in exits if e is not None), default=self._origin)
        self._scope: anyio.CancelScope | None = None

    def clock(self) -> int:
        """Replay time, on the recorded host clock: the first spawn, plus what has been replayed."""
        if self.speed <= 0:
            return self._end
        return self._origin + int((time.monotonic_ns() - self._start) * self.speed)

    def _guest(self, index: int, recorded: RecordedGuest) -> Guest:
        meta = recorded.meta
        host = meta.get("host", {})
        spec = GuestSpec(
            name=recorded.name,
            kernel=Path(meta.get("kernel", "?")),
            accel=host.get("accel", "?"),
            fs=Path(meta["fs"]) if meta.get("fs") else None,
        )
        # the source a live run gives its timelines: the kernel as it was named then
        timeline = BootTimeline(recorded.name, source=meta.get("kernel", "?"))
        guest = Guest(index, spec, list(meta.get("argv", [])), timeline)
        guest.recording = recorded.directory
        return guest

    def _symbols_of(self, recorded: RecordedGuest, tables: dict[str, Symbols | None]) -> Symbols | None:
        meta = recorded.meta
        if meta.get("host", {}).get("accel") == COMMAND_ACCEL:
            return None  # a launcher's console: no crash is located, as in the live run
        key = json.dumps([meta.get("kernel"), meta.get("kernel_image")])
        if key not in tables:
            tables[key] = recorded_symbols(self.record_dir, meta)
        return tables[key]

    # -- the control side views may call: a recording cannot be steered -----------------------

    def stop(self, reason: str = "replay stopped") -> None:
        """End the replay; recorded guests keep the status they had (`reason` is for live runs)."""
        if self._scope is not None:
            self._scope.cancel()

    def stop_guest(self, guest: Guest) -> None:
        return None

    def relaunch(self, guest: Guest) -> bool:
        return False

    # -- playing --------------------------------------------------------------------------------

    async def run(self, keep_alive: bool = False) -> None:
        self._start = time.monotonic_ns()
        self.started_ns = self._origin
        with anyio.CancelScope() as scope:
            self._scope = scope
            async with anyio.create_task_group() as group:
                for guest, recorded, symbols in zip(self.guests, self.recorded, self._symbols, strict=True):
                    group.start_soon(self._play, guest, recorded, symbols)
            self.finished_ns = self._end
            if keep_alive:
                await anyio.sleep_forever()

    async def _until(self, host_ns: int) -> None:
        """Wait until the replay reaches recorded host time `host_ns`."""
        if self.speed > 0:
            delay = (host_ns - self._origin) / self.speed - (time.monotonic_ns() - self._start)
            if delay > 0:
                await anyio.sleep(delay / 1e9)

    async def _play(self, guest: Guest, recorded: RecordedGuest, symbols: Symbols | None) -> None:
        guest.timeline.symbols = symbols  # names its boot functions, as the live run did
        host = recorded.meta.get("host", {})
        spawn = host.get("spawn_ns")
        if spawn is None:
            self._settle(guest, recorded)
            guest.changes += 1
            return
        await self._until(spawn)
        timeline = guest.timeline
        guest.spawn_ns = spawn
        timeline.spawned(spawn)
        guest.changes += 1
        parser = ConsoleParser()
        for at, event in _events(timeline, recorded, spawn):
            await self._until(at)
            if isinstance(event, bytes):
                if guest.first_byte_ns is None:
                    guest.first_byte_ns = at
                guest.received += len(event)
                records = parser.feed(event, at)
                for record in records:
                    timeline.consume(record)
                guest.records.extend(records)
            else:
                event(at)
            guest.changes += 1
        exit_ns = host.get("exit_ns")
        if exit_ns is not None:
            await self._until(exit_ns)
        for record in parser.flush():
            timeline.consume(record)
            guest.records.append(record)
        guest.exit_ns = exit_ns
        guest.qemu_status = host.get("qemu_status")
        guest.lingered = bool(host.get("lingered"))
        guest.cpu_marks = [
            CpuMark(str(phase), int(ns), int(cpu), None if wait is None else int(wait))
            for phase, ns, cpu, wait in host.get("cpu_marks") or []
        ]
        guest.cpu_total_ns = host.get("cpu_total_ns")
        stderr = recorded.directory / "stderr.log"
        if stderr.is_file():
            guest.stderr_tail = bytearray(stderr.read_bytes()[-4096:])
        if exit_ns is not None:
            timeline.process_exited(exit_ns)
        self._settle(guest, recorded)
        if host.get("accel") != COMMAND_ACCEL:
            locate_crash(timeline, guest.records, symbols)
        guest.integrity = check_integrity(b"".join(chunk for _, chunk in recorded.chunks))
        guest.changes += 1

    @staticmethod
    def _settle(guest: Guest, recorded: RecordedGuest) -> None:
        """What the console cannot tell (timeouts, QEMU errors, interruptions, an exit code only
        QEMU's status carried) comes from the record."""
        meta: dict[str, Any] = recorded.meta
        timeline = guest.timeline
        status = meta.get("status")
        if status is None:
            return
        if timeline.status.finished:
            if timeline.status.value == status and timeline.exit_code is None:
                timeline.exit_code = meta.get("exit_code")
            return
        crash = meta.get("crash")
        timeline.status = Status(status)
        timeline.exit_code = meta.get("exit_code")
        if crash:
            timeline.crash = Crash(crash["reason"], crash["line"], crash.get("where"))

    # -- reading, as Fleet offers it ---------------------------------------------------------------

    def spawn_spread(self) -> float | None:
        return spawn_spread(self.guests, self.jobs)

    def counts(self) -> dict[str, int]:
        return status_counts(self.guests)


def _events(
    timeline: BootTimeline, recorded: RecordedGuest, spawn: int
) -> list[tuple[int, bytes | Callable[[int], None]]]:
    """Console chunks and host events (VMM ready, gate release, firmware start) in recorded order."""
    host = recorded.meta.get("host", {})
    marks: list[tuple[str, Callable[[int], None]]] = [
        ("ready_ns", timeline.vmm_ready),
        ("release_ns", timeline.released),
        ("firmware_ns", timeline.firmware_started),
    ]
    events: list[tuple[int, bytes | Callable[[int], None]]] = [
        (host[key], event) for key, event in marks if host.get(key) is not None
    ]
    events += [(spawn + since_spawn, data) for since_spawn, data in recorded.chunks]
    return sorted(events, key=lambda event: event[0])  # stable: a host event before a chunk at the same ns
