"""The fleet: N guests started together (at most J at once), every console byte traced.

Structured concurrency with anyio (on asyncio, which Textual runs on too): one task per guest
inside one task group; a capacity limiter bounds how many run; a start gate releases the first
wave together (`launch.gate`: a for-loop that boots one guest after another never reaches the
intended concurrency). Per guest and attempt, `launch.attempt` stamps, records and parses the
console. Whatever ends the run (exit, timeout, Ctrl-C, SIGTERM, SIGHUP, an error), every QEMU is
terminated then killed in a shielded scope, and what was received is flushed to disk.

The model (`Fleet.guests`) is plain data that views read at their own pace; nothing is pushed
per console line.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import anyio
import anyio.abc
import anyio.to_thread

from ..kernel.symbols import locate_crash
from ..model.clock_rate import ClockReference
from ..model.guest import Guest, start_spread, status_counts
from ..model.shapes.checks import Bad
from ..model.shapes.recording import OBSERVER_EFFECT, ObserverEffect, TracerBooting
from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Status
from ..recording.record import GuestRecorder, RecordingError, RecordingWriter, end_session
from . import observer_checks
from .attempt import Attempt
from .calibration import this_host
from .cluster.remote import Launcher
from .firmware import FIFO as FIRMWARE_FIFO
from .firmware import FirmwarePipe
from .gate import Wave, pass_gate
from .guest_json import Kernels
from .judge import judge, spawn_failure
from .priority import GUEST_NICE
from .qemu import qemu_argv
from .sockets import socket_directory
from .spawner import Spawner
from .stalls import watch_stalls
from .started import StartedGuest
from .tracer_policy import Yielding
from .tracer_usage import TracerUsage
from .virtiofsd import DaemonError, GuestDaemons, name_daemon_failure
from .watchdog import GroupWatchdog

HALT_GRACE_S = 5.0
"""How long QEMU may run on after its guest finished (halted, crashed, failed) before it is stopped."""
COALESCE_S = 0.001
"""Pause after each console read. Reading every few bytes as they come costs a guest ~6% of its
boot on 2 cores (1,800 wake-ups per boot of the test guest); 1 ms batches them, and host
timestamps stay at most 1 ms late (never early: a chunk is stamped when it is read)."""
HELD_NS = 1_000_000_000
"""A guest whose task outlived its QEMU's exit by more than this, until the timeout, was held by
uktrace (`Guest.held`): a second is far beyond any console's last bytes or any release."""
STALL_POLL_S = 1.0
"""How often quiet guests' QEMUs are looked at (a /proc read each, only while quiet)."""


class Fleet:
    """Runs guests concurrently and keeps their model up to date."""

    def __init__(
        self,
        specs: Sequence[GuestSpec],
        *,
        jobs: int | None = None,
        timeout: float | None = None,
        record_dir: Path,
        firmware_console: bool = False,
        start_gate: bool = True,
        lower_guests: bool = False,
        launcher: Launcher | None = None,
    ) -> None:
        self.launcher = launcher
        """Where guests start when not on this host (`--cluster ray:...`); None: here."""
        self.coalesce_s = COALESCE_S
        self.halt_grace_s = HALT_GRACE_S
        self.stall_poll_s = STALL_POLL_S
        self._recording_errors: list[str] = []
        self.firmware_console = firmware_console
        """Read SeaBIOS's debug console (`launch.firmware`)."""
        self.start_gate = start_gate
        """Start QEMU paused and release each wave with QMP `cont`, all at once (`launch.gate`)."""
        self.guest_nice = GUEST_NICE if lower_guests else None
        """Each QEMU's nice below the tracer's (`launch.priority`); None: the same as uktrace's."""
        self._wave = Wave(0)
        self._policy = Yielding(False)
        """uktrace's thread yields to the guests but for the wave's release (`launch.tracer_policy`)."""
        self._sockets: Path | None = None
        self.fs_mode: str | None = None
        self.live = True
        """`shared`/`independent` when guests share a 9P directory (for views)."""
        self.clock_reference = ClockReference()
        """The run's TSC frequency, pooled from its guests' clocks (`model.clock_rate`)."""
        self.guests = [Guest(i, spec, qemu_argv(spec), self._timeline(spec)) for i, spec in enumerate(specs)]
        self.jobs = max(1, min(jobs or len(specs), len(specs)))
        self.timeout = timeout
        self.record_dir = record_dir
        self.started_ns: int | None = None
        self.finished_ns: int | None = None
        self.interrupted_by: int | None = None
        """The signal that ended the run early, if one did."""
        self._watchdog: GroupWatchdog | None = None
        self.survivors: list[int] = []
        """Process groups still alive after their guest was stopped (checked, not assumed)."""
        self.stopped_by: str | None = None
        """Why the run was ended early by a view (`stop`), if it was."""
        self._scope: anyio.CancelScope | None = None
        self._group: anyio.abc.TaskGroup | None = None
        self._spawner: Spawner | None = None
        self._writer: RecordingWriter | None = None
        self._kernels = Kernels()
        self._clock: Callable[[], int] = time.monotonic_ns
        self._daemons = GuestDaemons()
        """The daemons of the VirtioFS guests running and their sockets (`launch.virtiofsd`)."""
        self.usage = TracerUsage(0.0, 0.0)
        """uktrace's own CPU (from the process's start: the run is the process; a bench gives each
        cell's from its start) and while its guests booted (`launch.tracer_usage`)."""

    @property
    def tracer_booting(self) -> TracerBooting | None:
        return self.usage.summary()

    @functools.cached_property
    def observer_effect(self) -> ObserverEffect | None:
        """This host's last observer check of as many guests at once (of this filesystem first):
        what these figures carry of uktrace itself; None when no check measured this size here.
        Looked up once per fleet (the host's key asks QEMU its version, the check is a file), so the
        recording, the footer, the JSON and the TUI say the same check."""
        spec = next((guest.spec for guest in self.guests if guest.spec.command is None), None)
        if spec is None:
            return None
        at_once = min(len(self.guests), self.jobs or len(self.guests))
        entry = observer_checks.find(this_host(spec.qemu, spec.accel), at_once, self.fs_mode)
        try:
            return None if entry is None else OBSERVER_EFFECT(entry)
        except Bad:  # a damaged cache says nothing
            return None

    @property
    def recording_errors(self) -> list[str]:
        """Disk errors met while recording, as they happen (the run goes on from memory; every
        view says so: stderr, the JSON, the TUI's header, the exit status)."""
        return self._writer.errors if self._writer is not None else self._recording_errors

    def _timeline(self, spec: GuestSpec) -> BootTimeline:
        return BootTimeline(
            spec.name,
            source=str(spec.kernel),
            ready=spec.ready,
            clock_reference=self.clock_reference,
            share_tags=spec.share_tags,
        )

    def clock(self) -> int:
        """Host clock for views (a replay or a snapshot test has its own)."""
        return self._clock()

    # -- control from views -----------------------------------------------------------------

    def stop(self, reason: str = "run stopped by the user") -> None:
        """End the whole run (views call this on quit); guests still going become `stopped`."""
        if self.stopped_by is None:
            self.stopped_by = reason
        if self._scope is not None:
            self._scope.cancel()

    def stop_guest(self, guest: Guest) -> None:
        guest.stop_requested = True
        if guest.process is not None:
            guest.process.signal(signal.SIGTERM)

    def relaunch(self, guest: Guest) -> bool:
        """Start a finished guest again (TUI `r`); False while it still runs or the run is over."""
        if guest.running or self._group is None or not guest.timeline.status.finished:
            return False
        guest.next_attempt(qemu_argv(guest.spec), self._timeline(guest.spec))
        guest.timeline.symbols = self._kernels.symbols.get(guest.spec.kernel)
        self._group.start_soon(self._trace, guest)
        return True

    # -- running ----------------------------------------------------------------------------

    async def run(self, keep_alive: bool = False) -> None:
        """Run every guest to its end; returns when all are over (or the run was stopped).

        With `keep_alive` (the TUI) it returns only on `stop()`, so guests can be relaunched. Guests
        on this host at the ordinary priority are never preempted by uktrace's reads
        (`launch.tracer_policy`)."""
        with Yielding(self.guest_nice is None and self.launcher is None) as policy:
            self.usage.policy = policy.name
            self._policy = policy
            await self._run(keep_alive)

    async def _run(self, keep_alive: bool) -> None:
        limiter = anyio.CapacityLimiter(self.jobs)
        gate = anyio.Event()
        self._wave = Wave(self.jobs, on_release=self._policy.prompt, on_out=self._policy.resume)
        self._sockets = socket_directory()
        self._spawner = Spawner(self.guest_nice)
        self._writer = RecordingWriter()
        if any(guest.spec.command is not None for guest in self.guests):
            self._watchdog = GroupWatchdog()  # a launcher's QEMU must not outlive a killed uktrace
        # the writer's first job, so every guest.json written after it can name its kernel
        self._writer.submit(lambda: self._kernels.record(self.record_dir, self.guests), now=True)
        self.started_ns = time.monotonic_ns()
        # signals are watched from outside the run's scope, so that a second Ctrl-C (or a SIGTERM
        # after it) during the shielded clean-up is taken too, instead of Python's default
        # KeyboardInterrupt tearing through it and losing the JSON and the guests' metadata
        async with anyio.create_task_group() as watching:
            watching.start_soon(self._watch_signals)
            try:
                async with anyio.create_task_group() as group:
                    self._scope = group.cancel_scope
                    self._group = group
                    if self.interrupted_by is not None:  # a signal came before the scope existed
                        group.cancel_scope.cancel()
                    group.start_soon(watch_stalls, self.guests, self.stall_poll_s)
                    async with anyio.create_task_group() as guests:
                        for guest in self.guests:
                            guests.start_soon(self._run_guest, guest, limiter, gate)
                        await anyio.sleep(0)  # let every task reach the limiter first
                        gate.set()
                    self.finished_ns = time.monotonic_ns()
                    if keep_alive:
                        await anyio.sleep_forever()
                    group.cancel_scope.cancel()  # all guests done: stop watching stalls
            finally:
                with anyio.CancelScope(shield=True):
                    await self._clean_up()
                watching.cancel_scope.cancel()

    async def _clean_up(self) -> None:
        """After the run, however it ended: the spawner, every byte on disk, the never-started."""
        self._group = None
        if self._spawner is not None:
            self._spawner.close()  # every guest is over: the thread may go
            self._spawner = None
        if self._writer is not None:
            await anyio.to_thread.run_sync(self._writer.close)  # every byte on disk before we return
            self._recording_errors = self._writer.errors
            self._writer = None
            try:  # what uktrace took from the guests and changes of them, for a replay and compare to say
                booting = self.tracer_booting
                # off the event loop: finding the host's check may ask QEMU its version
                await anyio.to_thread.run_sync(lambda: end_session(self.record_dir, booting, self.observer_effect))
            except RecordingError as error:
                self._recording_errors.append(str(error))
        for guest in self.guests:  # held back by -j when the run ended: never started
            if guest.spawn_ns is None and not guest.timeline.status.finished:
                guest.timeline.stop(f"{self._end_reason() or 'run ended'} before it started")
                guest.changes += 1
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
        self._daemons.cleanup()
        if self._watchdog is not None:
            await anyio.to_thread.run_sync(self._watchdog.close)
            self._watchdog = None
        if self.finished_ns is None:
            self.finished_ns = time.monotonic_ns()

    async def _watch_signals(self) -> None:
        """The first SIGINT, SIGTERM or SIGHUP ends the run; later ones find it ending already."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
            async for signum in signals:
                if self.interrupted_by is None:
                    self.interrupted_by = signum
                    if self._scope is not None:
                        self._scope.cancel()

    async def _run_guest(self, guest: Guest, limiter: anyio.CapacityLimiter, gate: anyio.Event) -> None:
        async with limiter:
            await gate.wait()
            in_wave = self._wave.join()
            try:
                if guest.stop_requested:
                    guest.timeline.stop("stopped by the user before it started")
                    guest.changes += 1
                    return
                await self._trace(guest, self._wave if in_wave else None)
            finally:
                if in_wave:
                    self._wave.arrive(guest.index)
                    self._wave.out(guest.index)

    async def _trace(self, guest: Guest, wave: Wave | None = None) -> None:
        directory = guest.name if guest.attempt == 1 else f"{guest.name}.{guest.attempt}"
        assert self._writer is not None
        recorder = GuestRecorder(self.record_dir / directory, self._writer)
        guest.recording = recorder.directory
        attempt = Attempt(guest, recorder)
        qmp_socket = None
        firmware = None
        try:  # a VirtioFS guest's daemon first: QEMU connects to it as it starts
            spec = await self._daemons.start(guest, recorder.directory, directory)
        except DaemonError as error:
            guest.timeline.fail(str(error))
            guest.changes += 1
            recorder.finish(lambda _directory: self._kernels.guest_json(guest))
            return
        if guest.spec.command is None:
            if self.start_gate:
                assert self._sockets is not None
                qmp_socket = self._sockets / f"{guest.index}.{guest.attempt}.sock"
            guest.argv = qemu_argv(
                replace(
                    spec,
                    # SeaBIOS's debug console on a FIFO in the recording: tells VMM start from firmware
                    firmware_pipe=recorder.directory / FIRMWARE_FIFO if self.firmware_console else None,
                    qmp_socket=qmp_socket,
                )
            )
            if self.firmware_console:
                firmware = FirmwarePipe(recorder.directory)
        timeline = guest.timeline
        try:
            # one spawn per loop turn: consoles of guests already started are read in between
            # UKTRACE_RECORDING tells which run a QEMU belongs to (`ps eww`, the tests)
            env = os.environ | {"UKTRACE_RECORDING": str(guest.recording)}
            with anyio.CancelScope(shield=True):  # a QEMU started is a QEMU owned: see it through
                process = await self._start(guest, env, qmp_socket)
        except OSError as error:
            timeline.fail(spawn_failure(guest, error))
            guest.changes += 1
            with anyio.CancelScope(shield=True):
                await self._daemons.end(guest)
            recorder.finish(lambda _directory: self._kernels.guest_json(guest))
            if firmware is not None:
                firmware.close()
            return
        guest.process = process
        if self._watchdog is not None:
            self._watchdog.add(process.pid)
        guest.nice = process.nice
        guest.idle_policy = process.idle_policy
        guest.apart = process.apart
        guest.gated = qmp_socket is not None
        guest.spawn_ns = process.spawn_ns
        timeline.spawned(process.spawn_ns)
        recorder.started(lambda: self._kernels.guest_json(guest))
        guest.mark_cpu("spawn", process.spawn_ns)
        guest.changes += 1
        timed_out = False
        awaiting = "the start gate"
        seen_exit: list[tuple[int, float]] = []

        async def note_exit() -> None:
            """When QEMU exited, and uktrace's CPU then: should its console outlive it (`Guest.held`)."""
            await process.exited()
            seen_exit.append((time.monotonic_ns(), time.process_time()))

        try:
            with anyio.move_on_after(self.timeout) as deadline:
                async with anyio.create_task_group() as group:
                    group.start_soon(attempt.read_stderr, process)
                    group.start_soon(attempt.end_lingering, process, self.halt_grace_s)
                    group.start_soon(note_exit)
                    if firmware is not None:
                        group.start_soon(firmware.read, guest, recorder, self.coalesce_s)
                    if guest.spec.script:
                        attempt.start_script(process, group)
                    if qmp_socket is not None:
                        await pass_gate(guest, process, wave)
                    self.usage.booting()
                    awaiting = "the console's end"
                    # a UART delivers a few bytes per write: lines gather for coalesce_s between reads
                    await process.stream_console(attempt.console, self.coalesce_s)
                    if attempt.script is not None:
                        attempt.script.ended()
                    awaiting = "QEMU's release"
                    await process.wait()
                    group.cancel_scope.cancel()  # the firmware FIFO never ends by itself
            timed_out = deadline.cancelled_caught
        finally:
            with anyio.CancelScope(shield=True):
                await self._finish(attempt, process, timed_out, awaiting, seen_exit[0] if seen_exit else None)
                if firmware is not None:
                    firmware.close()

    async def _start(self, guest: Guest, env: dict[str, str], monitor: Path | None) -> StartedGuest:
        """Here (the spawner's thread), or on a cluster node: raises OSError when the node cannot
        start it. `monitor`: the QMP socket of the start gate (a node makes its own)."""
        gated = monitor is not None
        if self.launcher is None:
            assert self._spawner is not None
            return await self._spawner.spawn(guest.argv, env, tty=guest.spec.tty, monitor=monitor)
        key = f"{guest.index}.{guest.attempt}"
        process = await self.launcher.spawn(key, guest.spec, str(guest.recording), self.guest_nice, gated)
        guest.node = process.node
        failure = process.error or process.lost
        if failure is not None:
            process.close()
            raise OSError(errno.EHOSTDOWN, failure)
        guest.argv = process.argv
        return process

    async def _finish(
        self,
        attempt: Attempt,
        process: StartedGuest,
        timed_out: bool,
        awaiting: str,
        seen_exit: tuple[int, float] | None,
    ) -> None:
        guest = attempt.guest
        timeline = guest.timeline
        now = time.monotonic_ns()
        if timed_out and seen_exit is not None and now - seen_exit[0] > HELD_NS:
            # QEMU was over long before the timeout: what held the run was uktrace's, not the guest's
            guest.held = f"{awaiting}, {(now - seen_exit[0]) / 1e9:.1f} s after QEMU's exit"
        if timed_out and self.timeout is not None:
            quiet = guest.quiet_s(now) or 0.0
            timeline.timed_out(now, self.timeout)
            if guest.stall is not None and timeline.ending is not None:  # what it was doing meanwhile
                reason = f"{timeline.ending.reason}; no output for the last {quiet:.0f} s, {guest.stall.describe()}"
                timeline.ending = replace(timeline.ending, reason=reason)
        status = await process.stop()
        self.usage.ended(seen_exit if guest.held is not None else None)
        daemon_failure = await self._daemons.end(guest)
        exited = process.exited_ns  # not when its reap's turn came
        if guest.held is not None and seen_exit is not None:  # its exit as watched, not the timeout's
            exited = max(seen_exit[0], guest.last_output_ns or 0)
        guest.exit_ns = exited if exited is not None else time.monotonic_ns()
        if process.group_alive():  # a process that left the group's session cannot be reached
            self.survivors.append(process.pid)
        elif self._watchdog is not None:
            self._watchdog.remove(process.pid)
        attempt.drain(process)  # what is still buffered in the pty and the pipe
        guest.qemu_status = status
        guest.cpu_total_ns = process.cpu_total_ns
        timeline.process_exited(guest.exit_ns)
        guest.stream = process.summary()
        if process.lost is not None:
            timeline.lose(process.lost)
        else:
            judge(guest, status, process.signalled, self._end_reason())
        if daemon_failure is not None:
            name_daemon_failure(timeline, daemon_failure)
        if guest.spec.command is None and timeline.status is Status.CRASHED:
            # reading a large kernel's symbol table takes a while: not on the event loop
            records = list(guest.records)
            await anyio.to_thread.run_sync(locate_crash, timeline, records, guest.spec.kernel)
        process.close()
        guest.process = None
        guest.integrity = guest.watch.verdict
        attempt.recorder.finish(lambda directory: self._kernels.final_guest_json(guest, directory))
        guest.changes += 1

    def _end_reason(self) -> str | None:
        """Why the whole run ended early: a signal, or a view's `stop`; None while it goes on."""
        if self.interrupted_by is not None:
            return f"run interrupted by {signal.Signals(self.interrupted_by).name}"
        return self.stopped_by

    # -- reading ----------------------------------------------------------------------------

    def start_spread(self) -> float | None:
        return start_spread(self.guests, self.jobs)

    def counts(self) -> dict[str, int]:
        return status_counts(self.guests)
