"""One recorded guest as a tape of timed events, fed into its live `Guest` up to any instant.

The events are the guest's host events (spawn, VMM ready, gate release, firmware start), its
console chunks, its firmware's debug chunks (`--firmware-timing`) and its end (exit, what only
the record knows), each at its recorded host time.
What the model holds at an instant depends only on the events up to it, so a replay can play
on, or rewind (a fresh guest in the same `Guest` object, which views keep) and feed again up to
an earlier instant: seeking back shows what playing straight there would have shown.
"""

from __future__ import annotations

import bisect
import dataclasses
from pathlib import Path
from typing import Any, Final

from uktrace.parsers import ConsoleParser

from ..kernel.symbols import Symbols, locate_crash
from ..model.clock_rate import ClockReference
from ..model.guest import CpuMark, Guest
from ..model.integrity import check_integrity
from ..model.script import recorded_runs
from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Ending, Status
from .reader import RecordedGuest

COMMAND_ACCEL = "n/a"
"""`host.accel` of a guest a `--cmd` launcher started: not our QEMU line, so no crash is located."""
STDERR_TAIL = 4096

SPAWN: Final = "spawn"
END: Final = "end"
"""The process ended (or the console did): flush, exit, and what the record adds."""
SETTLE: Final = "settle"
"""A guest that never spawned: only the record tells what became of it."""
HOST_EVENTS: Final = (("ready_ns", "vmm_ready"), ("release_ns", "released"), ("firmware_ns", "firmware_started"))
"""`host` keys of a recording and the timeline method each one calls."""


@dataclasses.dataclass(frozen=True, slots=True)
class FirmwareChunk:
    """Bytes read from the firmware's debug console (not the guest's console)."""

    data: bytes


Event = tuple[int, bytes | FirmwareChunk | str]
"""(recorded host ns, a console chunk, a firmware chunk or the name of a host event)."""


def new_guest(
    index: int, recorded: RecordedGuest, symbols: Symbols | None, reference: ClockReference | None = None
) -> Guest:
    """The guest as a live run starts it, before anything happened (its clock pooled with the
    run's other guests through `reference`, as the live run's was)."""
    meta = recorded.meta
    host = meta.get("host", {})
    ready = meta.get("ready") if isinstance(meta.get("ready"), str) else None  # `--ready`, as the run had it
    spec = GuestSpec(
        name=recorded.name,
        kernel=Path(meta.get("kernel", "?")),
        accel=host.get("accel", "?"),
        accel_reason=host.get("accel_reason"),
        fs=Path(meta["fs"]) if meta.get("fs") else None,
        fs_type=host.get("fs_type") or "9p",
        ready=ready,
    )
    # the source a live run gives its timelines: the kernel as it was named then
    timeline = BootTimeline(
        recorded.name,
        source=meta.get("kernel", "?"),
        ready=ready,
        clock_reference=reference,
        share_tags=None if spec.accel == COMMAND_ACCEL else spec.share_tags,
    )
    timeline.symbols = symbols  # names its boot functions, as the live run did
    guest = Guest(index, spec, list(meta.get("argv", [])), timeline)
    guest.recording = recorded.directory
    guest.node = host.get("node")  # a cluster run's: where it ran
    guest.stream = host.get("stream")
    guest.virtiofsd_status = host.get("virtiofsd_status")
    guest.virtiofsd_start_s = host.get("virtiofsd_start_s")
    return guest


def tape_events(recorded: RecordedGuest, origin: int) -> list[Event]:
    """Spawn, host events and console chunks in recorded order, then the end."""
    host = recorded.meta.get("host", {})
    spawn = host.get("spawn_ns")
    if spawn is None and recorded.chunks:
        spawn = origin  # no guest.json (uktrace was killed): its console, from the run's start
    if spawn is None:
        return [(origin, SETTLE)]
    events: list[Event] = [(host[key], name) for key, name in HOST_EVENTS if host.get(key) is not None]
    events += [(spawn + since_spawn, FirmwareChunk(data)) for since_spawn, data in recorded.firmware]
    events += [(spawn + since_spawn, data) for since_spawn, data in recorded.chunks]
    events.sort(key=lambda event: event[0])  # stable: a host event, then the firmware's, then the console's
    last = events[-1][0] if events else spawn
    exit_ns = host.get("exit_ns")
    return [(spawn, SPAWN), *events, (last if exit_ns is None else max(exit_ns, last), END)]


class GuestTape:
    """Feeds one guest's events into its `Guest`, forwards only; `rewind` starts it over."""

    def __init__(
        self,
        index: int,
        recorded: RecordedGuest,
        symbols: Symbols | None,
        origin: int,
        reference: ClockReference | None = None,
    ) -> None:
        self.recorded = recorded
        self.symbols = symbols
        self.reference = reference
        """The replay's pooled guest clocks; a rewound guest registers again, so it counts only
        what it was fed."""
        self.guest = new_guest(index, recorded, symbols, reference)
        self._origin = origin
        self.events = tape_events(recorded, origin)
        self.played = 0
        """Events fed so far."""
        self._parser = ConsoleParser()
        self._boundaries: list[int] | None = None
        self._stderr = recorded.stderr[-STDERR_TAIL:]  # read with the recording: playing never waits on a file
        self._integrity: str | None = None

    @property
    def done(self) -> bool:
        return self.played == len(self.events)

    @property
    def next_at(self) -> int | None:
        """When the next event happens; None once every one was fed."""
        return None if self.done else self.events[self.played][0]

    @property
    def last_at(self) -> int | None:
        """When the last event fed happened; None before the first."""
        return self.events[self.played - 1][0] if self.played else None

    def feed_until(self, host_ns: int) -> bool:
        """Feed every event up to `host_ns` (included); True when any was."""
        start = self.played
        events = self.events
        while self.played < len(events) and events[self.played][0] <= host_ns:
            at, event = events[self.played]
            self.played += 1
            self._feed(at, event)
        if self.played == start:
            return False
        self.guest.changes += 1
        return True

    def seek(self, host_ns: int) -> bool:
        """Show the guest as it stood at `host_ns`: forwards, or from the start again if an event
        after it was already fed. True when the guest changed."""
        last = self.last_at
        if last is not None and last > host_ns:
            self.rewind()
            self.feed_until(host_ns)
            return True
        return self.feed_until(host_ns)

    def rewind(self) -> None:
        """Back to before the spawn, in the same `Guest` (views hold it); `changes` still grows."""
        fresh = new_guest(self.guest.index, self.recorded, self.symbols, self.reference)
        changes = self.guest.changes
        for field in dataclasses.fields(Guest):
            setattr(self.guest, field.name, getattr(fresh, field.name))
        self.guest.changes = changes + 1
        self.played = 0
        self._parser = ConsoleParser()

    def boundaries(self) -> list[int]:
        """Every instant the guest's phase list, status or exit changed: where a step stops.
        Found once, on a scratch copy played through (the replay's own guest stays as it is)."""
        if self._boundaries is None:
            scratch = GuestTape(self.guest.index, self.recorded, self.symbols, self._origin)
            result: list[int] = []
            before = scratch.stage()
            for at, event in scratch.events:
                scratch.played += 1
                scratch._feed(at, event)
                after = scratch.stage()
                if after != before and (not result or result[-1] != at):
                    result.append(at)
                before = after
            self._boundaries = result
            self._integrity = scratch._integrity
        return self._boundaries

    def changes_at(self, host_ns: int) -> bool:
        """Whether a step stops at `host_ns` for this guest."""
        boundaries = self.boundaries()
        index = bisect.bisect_left(boundaries, host_ns)
        return index < len(boundaries) and boundaries[index] == host_ns

    def stage(self) -> tuple[object, ...]:
        """What a step looks for a change of: the phases begun, the status, whether the process is over."""
        guest = self.guest
        timeline = guest.timeline
        return (len(timeline.phases()), timeline.status, guest.spawn_ns is None, guest.exit_ns is None)

    # -- one event ---------------------------------------------------------------------------------

    def _feed(self, at: int, event: bytes | FirmwareChunk | str) -> None:
        guest = self.guest
        timeline = guest.timeline
        if isinstance(event, bytes):
            if guest.first_byte_ns is None:
                guest.first_byte_ns = at
            guest.received += len(event)
            records = self._parser.feed(event, at)
            for record in records:
                timeline.consume(record)
            guest.records.extend(records)
        elif isinstance(event, FirmwareChunk):
            timeline.firmware_output(event.data, at)
        elif event == SPAWN:
            guest.spawn_ns = at
            timeline.spawned(at)
        elif event == END:
            self._end()
        elif event == SETTLE:
            settle(guest, self.recorded.meta)
        else:
            getattr(timeline, event)(at)

    def _end(self) -> None:
        """The console is over: what the live run learnt when QEMU exited, in its order."""
        guest = self.guest
        timeline = guest.timeline
        host = self.recorded.meta.get("host", {})
        for record in self._parser.flush():
            timeline.consume(record)
            guest.records.append(record)
        exit_ns = host.get("exit_ns")
        guest.exit_ns = exit_ns
        guest.qemu_status = host.get("qemu_status")
        guest.lingered = bool(host.get("lingered"))
        held = host.get("held")
        guest.held = held if isinstance(held, str) else None
        guest.cpu_marks = [
            CpuMark(str(phase), int(ns), int(cpu), None if wait is None else int(wait))
            for phase, ns, cpu, wait in host.get("cpu_marks") or []
        ]
        guest.cpu_total_ns = host.get("cpu_total_ns")
        guest.nice = host.get("nice")
        guest.idle_policy = bool(host.get("idle_policy"))
        guest.apart = bool(host.get("apart"))
        guest.stderr_tail = bytearray(self._stderr)
        guest.script = recorded_runs(self.recorded.meta.get("script"), guest.spawn_ns)  # how the live run's went
        if exit_ns is not None:
            timeline.process_exited(exit_ns)
        settle(guest, self.recorded.meta)
        if host.get("accel") != COMMAND_ACCEL:
            locate_crash(timeline, guest.records, self.symbols)
        if self._integrity is None:
            self._integrity = check_integrity(b"".join(chunk for _, chunk in self.recorded.chunks))
        guest.integrity = self._integrity


def settle(guest: Guest, meta: dict[str, Any]) -> None:
    """What the console cannot tell (timeouts, QEMU errors, interruptions, an exit code only QEMU's
    status carried) comes from the record."""
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
        timeline.ending = Ending(crash["reason"], crash["line"], crash.get("where"))
    elif timeline.status is Status.EXITED and timeline.exit_code is None and guest.qemu_status == 0:
        silence = guest.silent_end(0)  # recorded before a silent end was told from a clean one
        if silence is not None:
            timeline.fail(silence)
