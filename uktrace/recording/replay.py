"""Replaying a recording through the same model a live run fills: demos, snapshots, re-analysis.

The console bytes are fed to fresh parsers and timelines with their recorded host times, and the
host events (spawn, VMM ready, gate release, firmware start, exit) at theirs, so a replay shows
the run's phases on both clocks, statuses and figures, as the current parser makes of them. Host
times stay the recorded monotonic nanoseconds; the replay's clock (`ReplayClock`) runs from the
first spawn to the last event. Crashes are named from the recording's own symbol table. Older
recordings (format 1: no gate times, no kernel identity) replay with what they have. `speed`
scales time (2 = twice as fast); `speed=0` feeds everything at once, which makes replays
deterministic for tests.

A replay can be steered where a live run cannot: paused, sped up or slowed down, sought to any
instant (back: each guest that had gone past it is fed again from its start, see `GuestTape`)
and stepped from one phase boundary to the next. The model at an instant is the same however the
replay got there.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import anyio

from ..kernel.symbols import Symbols
from ..model.clock_rate import ClockReference
from ..model.guest import Guest, start_spread, status_counts
from ..model.shapes.recording import ObserverEffect, TracerBooting
from .clock import INSTANT, ReplayClock
from .files import is_directory
from .kernels import recorded_symbols
from .reader import MAX_SPAN_NS, RecordedGuest, read_guest, read_session
from .record import RecordingError
from .tape import COMMAND_ACCEL, GuestTape


class ReplayFleet:
    """A recorded run, played back; offers the reading side of `Fleet` to views, and a replay's
    own controls (pause, rate, seek, step) to whoever shows it."""

    def __init__(
        self,
        directory: Path,
        speed: float = 1.0,
        *,
        wall: Callable[[], int] = time.monotonic_ns,
        symbols: bool = True,
    ) -> None:
        """`symbols=False`: crashes are not located, and no symbol table is read (nor the kernel file
        hashed, for a recording that holds no table): for a reader that wants the figures only."""
        session = read_session(directory)
        self.record_dir = directory
        names = [name for name in session.names if is_directory(directory, name)]
        self.recorded = [read_guest(directory, name) for name in names]
        self.problems: list[str] = session.problems + [line for r in self.recorded for line in r.problems]
        """What was refused or unsound in the recording, one line each (the rest is replayed)."""
        self.recorded = _within_span(self.recorded, self.problems)
        if not self.recorded:
            raise RecordingError(f"{directory}: the recording holds no guest")
        self.missing: dict[str, tuple[str, ...]] = {r.name: r.missing for r in self.recorded if r.missing}
        """Per guest, what its partial recording lacks (replayed as far as it goes)."""
        self.missing |= {name: ("its directory",) for name in session.names if name not in names}
        options = session.options
        self.tracer_booting: TracerBooting | None = session.document.get("tracer")
        """uktrace's own CPU while the recorded guests booted, as the recording says (None from a
        recording made before uktrace kept it)."""
        self.observer_effect: ObserverEffect | None = session.document.get("observer")
        """The recording host's observer check of this size, as the recording says (None when no
        check had measured it, or from before uktrace kept it)."""
        self.jobs = min(options.get("jobs") or len(self.recorded), len(self.recorded))
        self.fs_mode: str | None = options.get("fs_mode") if options.get("fs") else None
        self.live = False
        if self.fs_mode and options.get("fs_type") not in (None, "9p"):  # named as the live run's views
            self.fs_mode = f"{self.fs_mode} {options['fs_type']}"
        spawns = [r.meta.get("host", {}).get("spawn_ns") for r in self.recorded]
        known = [s for s in spawns if s is not None]
        origin = min(known) if known else 0
        # read before playing (the end of a guest's replay must not wait on a file), once per kernel
        tables: dict[str, Symbols | None] = {}
        self.clock_reference = ClockReference()
        """The run's TSC frequency, pooled from the guests as far as they were fed (`model.clock_rate`)."""
        self.tapes = [
            GuestTape(i, r, self._symbols_of(r, tables) if symbols else None, origin, self.clock_reference)
            for i, r in enumerate(self.recorded)
        ]
        self.guests: list[Guest] = [tape.guest for tape in self.tapes]
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.interrupted_by: int | None = None
        self.recording_errors: list[str] = []
        end = max(tape.events[-1][0] for tape in self.tapes)
        self.playback = ReplayClock(origin, end, rate=speed if speed > 0 else INSTANT, wall=wall)
        """Where the replay stands and how it moves; change it through the methods below."""
        self._scope: anyio.CancelScope | None = None
        self._moved: anyio.Event | None = None
        """Set when the user moved the clock: the player stops waiting for the next event."""

    @property
    def speed(self) -> float:
        """The rate as `--speed` gives it: 0 for instant."""
        rate = self.playback.rate
        return 0 if math.isinf(rate) else rate

    def clock(self) -> int:
        """Replay time, on the recorded host clock: the instant the model shows."""
        return self.playback.now()

    def _symbols_of(self, recorded: RecordedGuest, tables: dict[str, Symbols | None]) -> Symbols | None:
        meta = recorded.meta
        if meta.get("host", {}).get("accel") == COMMAND_ACCEL:
            return None  # a launcher's console: no crash is located, as in the live run
        key = json.dumps([meta.get("kernel"), meta.get("kernel_image")])
        if key not in tables:
            tables[key] = recorded_symbols(self.record_dir, meta)
        return tables[key]

    # -- the control side views may call: a recorded guest cannot be stopped or relaunched -----

    def stop(self, reason: str = "replay stopped") -> None:
        """End the replay; recorded guests keep the status they had (`reason` is for live runs)."""
        if self._scope is not None:
            self._scope.cancel()

    def stop_guest(self, guest: Guest) -> None:
        return None

    def relaunch(self, guest: Guest) -> bool:
        return False

    # -- a replay's own controls ---------------------------------------------------------------------

    def play(self) -> None:
        """Play on; from the start again when the replay is at its end."""
        if self.playback.ended:
            self.seek(self.playback.start)
        self.playback.play()
        self._moved_by_user()

    def pause(self) -> None:
        self.playback.pause()
        self._moved_by_user()

    def toggle(self) -> None:
        if self.playback.paused:
            self.play()
        else:
            self.pause()

    def set_rate(self, rate: float) -> None:
        self.playback.set_rate(rate)
        self._moved_by_user()

    def seek(self, host_ns: int) -> None:
        """Show the run as it stood at `host_ns` (kept within the recording), at once."""
        self.playback.seek(host_ns)
        self._moved_by_user()

    def step(self, direction: int, guest: Guest | None = None) -> int | None:
        """Pause at the next (direction > 0) or previous phase boundary of any guest, or of `guest`
        only; the instant stepped to, or None when there is none that way (nothing moves)."""
        tapes = self.tapes if guest is None else [t for t in self.tapes if t.guest is guest]
        here = self.playback.now()
        if direction > 0:
            target = min((b for t in tapes for b in t.boundaries() if b > here), default=None)
        else:
            target = max((b for t in tapes for b in t.boundaries() if b < here), default=None)
        self.playback.pause()
        if target is not None:
            self.playback.seek(target)
        self._moved_by_user()
        return target

    def changed_at(self, host_ns: int) -> list[Guest]:
        """The guests whose phase, status or process changed at `host_ns` (where a step stopped)."""
        return [tape.guest for tape in self.tapes if tape.changes_at(host_ns)]

    def _moved_by_user(self) -> None:
        """Bring the model to the clock now (the next frame shows it) and wake the player."""
        self._feed(self.playback.now())
        if self._moved is not None:
            self._moved.set()

    # -- playing --------------------------------------------------------------------------------

    async def run(self, keep_alive: bool = False) -> None:
        """Play to the end (then, with `keep_alive`, wait for seeks and the stop)."""
        self.started_ns = self.playback.start
        self._moved = anyio.Event()
        self.playback.play()
        with anyio.CancelScope() as scope:
            self._scope = scope
            while True:
                self._feed(self.playback.now())
                if self.finished_ns is not None and not keep_alive:
                    return
                upcoming = [at for tape in self.tapes if (at := tape.next_at) is not None]
                delay = self.playback.wall_delay(min(upcoming)) if upcoming else None
                with anyio.move_on_after(math.inf if delay is None else delay):
                    await self._moved.wait()
                self._moved = anyio.Event()

    def _feed(self, host_ns: int) -> None:
        """Every guest as it stood at `host_ns`."""
        for tape in self.tapes:
            tape.seek(host_ns)
        self.finished_ns = self.playback.end if all(tape.done for tape in self.tapes) else None

    # -- reading, as Fleet offers it ---------------------------------------------------------------

    def start_spread(self) -> float | None:
        return start_spread(self.guests, self.jobs)

    def counts(self) -> dict[str, int]:
        return status_counts(self.guests)


def _within_span(recorded: list[RecordedGuest], problems: list[str]) -> list[RecordedGuest]:
    """The guests spawned within `MAX_SPAN_NS` of the run's median spawn: one crafted spawn time
    cannot stretch the replay for ever (the others are left out, each with a line in `problems`)."""
    spawns = [s for r in recorded if (s := r.meta.get("host", {}).get("spawn_ns")) is not None]
    if not spawns:
        return recorded
    middle = statistics.median_low(spawns)
    kept = []
    for guest in recorded:
        spawn = guest.meta.get("host", {}).get("spawn_ns")
        if spawn is not None and abs(spawn - middle) > MAX_SPAN_NS:
            away = f"{(spawn - middle) / 1e9:.3g} s"
            problems.append(f"{guest.name}: guest.json: host: spawn_ns is {away} from the other guests': not replayed")
        else:
            kept.append(guest)
    return kept
