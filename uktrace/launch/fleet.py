"""The fleet: N guests started together (at most J at once), every console byte traced.

Structured concurrency with anyio (on asyncio, which Textual runs on too): one task per guest
inside one task group; a capacity limiter
bounds how many run; a start gate releases the first wave together (a for-loop that boots one
guest after another never reaches the intended concurrency). Per guest: the console is read as
it arrives, stamped with a host monotonic time, recorded, parsed and fed to its timeline.
Whatever ends the run (exit, timeout, Ctrl-C, SIGTERM, SIGHUP, an error), every QEMU is
terminated then killed in a shielded scope, and what was received is flushed to disk.

The model (`Fleet.guests`) is plain data that views read at their own pace; nothing is pushed
per console line.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import anyio.to_thread

from uktrace.parsers import ConsoleParser

from ..kernel.symbols import Symbols, find_symbols, locate_crash
from ..model.clock_rate import ClockReference
from ..model.guest import CpuMark, Guest, Stall, spawn_spread, status_counts
from ..model.integrity import IntegrityWatch, check_integrity
from ..model.json_shape import crash_dict
from ..model.script import StepRun
from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Status
from ..recording.kernels import record_kernel
from ..recording.record import GuestRecorder, RecordingWriter
from .cluster.remote import Launcher, RemoteGuestProcess, RemoteMonitor
from .leftovers import remove_leftovers, scratch_prefix
from .priority import GUEST_NICE
from .process import GuestProcess
from .qemu import guest_exit_code, qemu_argv
from .qmp import Qmp, QmpError
from .script import ConsoleScript
from .session import guest_session
from .started import StartedGuest
from .watchdog import GroupWatchdog

if TYPE_CHECKING:
    from ..model.shapes.recording import GuestFile, KernelImage

STDERR_TAIL = 4096
HALT_GRACE_S = 5.0
"""How long QEMU may run on after its guest finished (halted, crashed, failed) before it is stopped."""
COALESCE_S = 0.001
"""Pause after each console read. Reading every few bytes as they come costs a guest ~6% of its
boot on 2 cores (1,800 wake-ups per boot of the test guest); 1 ms batches them, and host
timestamps stay at most 1 ms late (never early: a chunk is stamped when it is read)."""
STALL_POLL_S = 1.0
"""How often quiet guests' QEMUs are looked at (a /proc read each, only while quiet)."""
KVM_FAILURE = (b"KVM internal error", b"KVM: entry failed")
FIRMWARE_FIFO = "firmware.fifo"


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
        self.start_gate = start_gate
        self.guest_nice: int | None = None
        """Each QEMU's nice below the tracer's (`launch.priority`); None: the same as uktrace's."""
        """Start QEMU paused and release each wave with QMP `cont`, all at once."""
        self._wave = _Wave(0)
        self._sockets: Path | None = None
        self.fs_mode: str | None = None
        """`shared`/`independent` when guests share a 9P directory (for views)."""
        self.clock_reference = ClockReference()
        """The run's TSC frequency, pooled from its guests' clocks (`model.clock_rate`)."""
        self.guests = [Guest(i, spec, qemu_argv(spec), self._timeline(spec)) for i, spec in enumerate(specs)]
        self.jobs = max(1, min(jobs or len(specs), len(specs)))
        if lower_guests:
            self.guest_nice = GUEST_NICE
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
        self._spawner: ThreadPoolExecutor | None = None
        self._finished: dict[int, anyio.Event] = {}
        """Per guest, set once its console says it is over (halted, crashed, failed)."""
        self._writer: RecordingWriter | None = None
        self._kernel_images: dict[Path, KernelImage | None] = {}
        self._kernel_symbols: dict[Path, Symbols | None] = {}
        """Per kernel booted, its identity in the recording (filled on the recorder's thread)."""
        self._clock: Callable[[], int] = time.monotonic_ns
        self._scripts: dict[int, ConsoleScript] = {}
        """Per guest running a console script (`--expect/--send`), its runner, fed every console chunk."""

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
        guest.attempt += 1
        if guest.first_start_ns is None:
            guest.first_start_ns = guest.timeline.release_ns or guest.spawn_ns
            guest.first_spawn_ns = guest.spawn_ns
        guest.timeline = self._timeline(guest.spec)
        guest.timeline.symbols = self._kernel_symbols.get(guest.spec.kernel)
        guest.records.clear()
        guest.stderr_tail.clear()
        guest.received = 0
        guest.spawn_ns = guest.first_byte_ns = guest.exit_ns = guest.qemu_status = None
        guest.integrity = None
        guest.watch = IntegrityWatch()
        guest.cpu_marks.clear()
        guest.cpu_total_ns = None
        guest.last_output_ns = None
        guest.stall = None
        guest.stop_requested = False
        guest.lingered = False
        guest.changes += 1
        self._group.start_soon(self._trace, guest)
        return True

    # -- running ----------------------------------------------------------------------------

    async def run(self, keep_alive: bool = False) -> None:
        """Run every guest to its end; returns when all are over (or the run was stopped).

        With `keep_alive` (the TUI) it returns only on `stop()`, so guests can be relaunched."""
        limiter = anyio.CapacityLimiter(self.jobs)
        gate = anyio.Event()
        self._wave = _Wave(self.jobs)
        self._sockets = socket_directory()
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uktrace-spawner")
        self._writer = RecordingWriter()
        if any(guest.spec.command is not None for guest in self.guests):
            self._watchdog = GroupWatchdog()  # a launcher's QEMU must not outlive a killed uktrace
        # the writer's first job, so every guest.json written after it can name its kernel
        self._writer.submit(self._record_kernels)
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
                    group.start_soon(self._watch_stalls)
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
            self._spawner.shutdown(wait=True)  # every guest is over: the thread may go
            self._spawner = None
        if self._writer is not None:
            await anyio.to_thread.run_sync(self._writer.close)  # every byte on disk before we return
            self._recording_errors = self._writer.errors
            self._writer = None
        for guest in self.guests:  # held back by -j when the run ended: never started
            if guest.spawn_ns is None and not guest.timeline.status.finished:
                guest.timeline.stop(f"{self._end_reason() or 'run ended'} before it started")
                guest.changes += 1
        if self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
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

    async def _watch_stalls(self) -> None:
        """About once a second, what each quiet QEMU is doing (alive? on a CPU?), for the views."""
        previous: dict[int, tuple[int, int]] = {}
        while True:
            await anyio.sleep(self.stall_poll_s)
            now = time.monotonic_ns()
            for guest in self.guests:
                process = guest.process
                if process is None or not guest.stalled(now):
                    previous.pop(guest.index, None)
                    guest.stall = None
                    continue
                reading = process.state()
                if reading is None:
                    continue
                state, cpu_ns = reading
                last = previous.get(guest.index)
                share = (cpu_ns - last[1]) / (now - last[0]) if last is not None and now > last[0] else None
                previous[guest.index] = (now, cpu_ns)
                guest.stall = Stall(share, state)
                guest.changes += 1

    async def _run_guest(self, guest: Guest, limiter: anyio.CapacityLimiter, gate: anyio.Event) -> None:
        async with limiter:
            await gate.wait()
            in_wave = self._wave.join()
            try:
                if guest.stop_requested:
                    guest.timeline.stop("stopped by the user before it started")
                    guest.changes += 1
                    return
                await self._trace(guest, in_wave)
            finally:
                if in_wave:
                    self._wave.arrive(guest)

    async def _trace(self, guest: Guest, in_wave: bool = False) -> None:
        directory = guest.name if guest.attempt == 1 else f"{guest.name}.{guest.attempt}"
        assert self._writer is not None
        recorder = GuestRecorder(self.record_dir / directory, self._writer)
        guest.recording = recorder.directory
        qmp_socket = None
        if guest.spec.command is None:
            if self.start_gate:
                assert self._sockets is not None
                qmp_socket = self._sockets / f"{guest.index}.{guest.attempt}.sock"
            guest.argv = qemu_argv(
                replace(
                    guest.spec,
                    # SeaBIOS's debug console on a FIFO in the recording: tells VMM start from firmware
                    firmware_pipe=recorder.directory / FIRMWARE_FIFO if self.firmware_console else None,
                    qmp_socket=qmp_socket,
                )
            )
        parser = ConsoleParser()
        timeline = guest.timeline
        firmware_fd = self._open_firmware_pipe(guest)
        try:
            # one spawn per loop turn: consoles of guests already started are read in between
            # UKTRACE_RECORDING tells which run a QEMU belongs to (`ps eww`, the tests)
            env = os.environ | {"UKTRACE_RECORDING": str(guest.recording)}
            with anyio.CancelScope(shield=True):  # a QEMU started is a QEMU owned: see it through
                process = await self._start(guest, env, gated=qmp_socket is not None)
        except OSError as error:
            timeline.fail(_spawn_failure(guest, error))
            guest.changes += 1
            recorder.finish(lambda _directory: self._meta(guest))
            self._close_firmware_pipe(guest, firmware_fd)
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
        recorder.started(lambda: self._meta(guest))
        _mark_cpu(guest, "spawn", process.spawn_ns)
        guest.changes += 1
        timed_out = False
        try:
            with anyio.move_on_after(self.timeout) as deadline:
                async with anyio.create_task_group() as group:
                    group.start_soon(self._read_stderr, guest, process, recorder)
                    finished = self._finished[guest.index] = anyio.Event()
                    group.start_soon(self._end_lingering, guest, process, finished)
                    if firmware_fd is not None:
                        group.start_soon(self._read_firmware, guest, firmware_fd, recorder)
                    if guest.spec.script:
                        self._start_script(guest, process, group)
                    if qmp_socket is not None:
                        await self._pass_gate(guest, process, qmp_socket, in_wave)
                    while data := await process.read_console():
                        self._console(guest, parser, recorder, data, _stamp(process))
                        # a UART delivers a few bytes per write: let a line gather before waking again
                        await anyio.sleep(self.coalesce_s)
                    if (script := self._scripts.get(guest.index)) is not None:
                        script.ended()
                    await process.wait()
                    group.cancel_scope.cancel()  # the firmware FIFO never ends by itself
            timed_out = deadline.cancelled_caught
        finally:
            with anyio.CancelScope(shield=True):
                await self._finish(guest, process, parser, recorder, timed_out)
                self._close_firmware_pipe(guest, firmware_fd)
                self._scripts.pop(guest.index, None)

    async def _start(self, guest: Guest, env: dict[str, str], gated: bool) -> StartedGuest:
        """Here (`_spawn`), or on a cluster node: raises OSError when the node cannot start it."""
        if self.launcher is None:
            return await self._spawn(guest.argv, env, tty=guest.spec.tty)
        key = f"{guest.index}.{guest.attempt}"
        process = await self.launcher.spawn(key, guest.spec, str(guest.recording), self.guest_nice, gated)
        guest.node = process.node
        failure = process.error or process.lost
        if failure is not None:
            process.close()
            raise OSError(errno.EHOSTDOWN, failure)
        guest.argv = process.argv
        return process

    def _start_script(self, guest: Guest, process: StartedGuest, group: anyio.abc.TaskGroup) -> None:
        """The guest's console script, in its task group: it ends with the guest."""
        script = self._scripts[guest.index] = ConsoleScript(guest.spec.script, process.write, guest.script)

        def timed_out(number: int, run: StepRun) -> None:
            guest.timeline.fail(f"script step {number} ({run.step.describe()}): no match in {run.step.timeout:g} s")
            guest.changes += 1
            process.signal(signal.SIGTERM)

        group.start_soon(script.run, timed_out)

    async def _spawn(self, argv: list[str], env: dict[str, str], tty: bool = False) -> GuestProcess:
        """Start QEMU from the fleet's spawner thread.

        fork/exec blocks the caller until the child runs, and on a host busy with a hundred QEMUs
        that took 0.1-0.2 s per spawn: the event loop (consoles, the TUI) must not wait for it.
        One thread, alive for the whole run, because the kernel's parent-death signal follows
        the thread that forked: a pool that retires idle threads would kill their guests."""
        nice = self.guest_nice
        session = guest_session() if nice is None else None
        if self._spawner is None:
            return GuestProcess(argv, env=env, nice=nice, tty=tty, session=session)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._spawner, lambda: GuestProcess(argv, env=env, nice=nice, tty=tty, session=session)
        )

    async def _pass_gate(self, guest: Guest, process: StartedGuest, socket: Path, in_wave: bool) -> None:
        """Wait until QEMU is ready and, in the first wave, until every guest of the wave is;
        then `cont`. A QEMU that dies on the way is left to the console loop to report."""
        qmp: Qmp | RemoteMonitor
        try:
            if isinstance(process, RemoteGuestProcess):
                qmp = await process.monitor()
            else:
                qmp = await Qmp.connect(socket, alive=lambda: process.poll() is None)
        except QmpError:
            return
        finally:
            if in_wave:
                self._wave.arrive(guest)
        try:
            ready = time.monotonic_ns()
            guest.timeline.vmm_ready(ready)
            _mark_cpu(guest, "gate", ready)
            guest.changes += 1
            if in_wave:
                await self._wave.released.wait()
            released = time.monotonic_ns()
            guest.timeline.released(released)  # the moment we let go, not QEMU's answer
            await qmp.execute("cont")
            if isinstance(process, RemoteGuestProcess) and process.release_ns is not None:
                guest.timeline.released(process.release_ns)  # when its node let it go
            # read after `cont`: reading /proc for each guest before it would delay the rest of the
            # wave (100 guests: ~12 ms of spread instead of ~1 ms); a paused QEMU barely ran meanwhile
            _mark_cpu(guest, "firmware", released)
            guest.changes += 1
        except QmpError:
            pass
        finally:
            with anyio.CancelScope(shield=True):
                await qmp.close()

    def _console(
        self, guest: Guest, parser: ConsoleParser, recorder: GuestRecorder, data: bytes, stamp: int | None = None
    ) -> None:
        """`stamp`: when a cluster node read the bytes (on this host's clock); else now."""
        now = time.monotonic_ns() if stamp is None else stamp
        guest.last_output_ns = now
        if guest.first_byte_ns is None:
            guest.first_byte_ns = now
            if guest.timeline.release_ns is None and guest.timeline.firmware_ns is None:
                _mark_cpu(guest, "firmware", now)  # no gate: the first byte ends the VMM's start
        guest.received += len(data)
        guest.watch.feed(data)
        if (script := self._scripts.get(guest.index)) is not None:
            script.feed(data, now)
        assert guest.spawn_ns is not None
        recorder.console(data, now - guest.spawn_ns)
        records = parser.feed(data, now)
        consume = guest.timeline.consume
        for record in records:
            consume(record)
        guest.records.extend(records)
        guest.changes += 1
        current = guest.timeline.current
        if current is not None and (not guest.cpu_marks or guest.cpu_marks[-1].phase != current):
            _mark_cpu(guest, current, now)
        if guest.timeline.status.finished:
            self._finished[guest.index].set()

    async def _end_lingering(self, guest: Guest, process: StartedGuest, finished: anyio.Event) -> None:
        """Stop a QEMU that outlives its guest: Unikraft halts with an ACPI power-off and, when the
        machine has none, spins in `hlt`; waiting for the timeout would add a minute per guest."""
        await finished.wait()
        await anyio.sleep(self.halt_grace_s)
        if process.poll() is None:
            guest.lingered = True
            process.signal(signal.SIGTERM)
        await anyio.sleep_forever()

    async def _read_stderr(self, guest: Guest, process: StartedGuest, recorder: GuestRecorder) -> None:
        while data := await process.read_stderr():
            self._stderr(guest, process, recorder, data)
        await anyio.sleep_forever()  # keep the group open until the console ends

    def _open_firmware_pipe(self, guest: Guest) -> int | None:
        if not self.firmware_console or guest.spec.command is not None or guest.recording is None:
            return None
        path = guest.recording / FIRMWARE_FIFO
        os.mkfifo(path)
        # read-write: holding a writer ourselves, the FIFO reads "no data" instead of EOF before QEMU opens it
        return os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    def _close_firmware_pipe(self, guest: Guest, fd: int | None) -> None:
        if fd is None:
            return
        os.close(fd)
        if guest.recording is not None:
            with contextlib.suppress(OSError):
                (guest.recording / FIRMWARE_FIFO).unlink()

    async def _read_firmware(self, guest: Guest, fd: int, recorder: GuestRecorder) -> None:
        while True:
            await anyio.wait_readable(fd)
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if guest.timeline.firmware_ns is None:
                _mark_cpu(guest, "firmware", time.monotonic_ns())
            guest.timeline.firmware_started(time.monotonic_ns())
            recorder.firmware(data)
            guest.changes += 1

    def _stderr(self, guest: Guest, process: StartedGuest, recorder: GuestRecorder, data: bytes) -> None:
        recorder.stderr(data)
        guest.stderr_tail += data
        del guest.stderr_tail[:-STDERR_TAIL]
        if any(marker in data for marker in KVM_FAILURE):
            # QEMU stops the VM and hangs after a KVM internal error: fail the guest, end QEMU
            lines = guest.stderr_tail.decode("utf-8", "replace").splitlines()
            line = next((text for text in lines if "KVM" in text), "KVM internal error")
            guest.timeline.fail(f"{line.strip()} (try --accel tcg)", line)
            process.signal(signal.SIGTERM)
        guest.changes += 1

    async def _finish(
        self, guest: Guest, process: StartedGuest, parser: ConsoleParser, recorder: GuestRecorder, timed_out: bool
    ) -> None:
        timeline = guest.timeline
        now = time.monotonic_ns()
        if timed_out and self.timeout is not None:
            quiet = guest.quiet_s(now) or 0.0
            timeline.timed_out(now, self.timeout)
            if guest.stall is not None and timeline.crash is not None:  # what it was doing meanwhile
                reason = f"{timeline.crash.reason}; no output for the last {quiet:.0f} s, {guest.stall.describe()}"
                timeline.crash = replace(timeline.crash, reason=reason)
        status = await process.stop()
        exited = process.exited_ns  # not when its reap's turn came
        guest.exit_ns = exited if exited is not None else time.monotonic_ns()
        if process.group_alive():  # a process that left the group's session cannot be reached
            self.survivors.append(process.pid)
        elif self._watchdog is not None:
            self._watchdog.remove(process.pid)
        # what is still buffered in the pty and the pipe
        for data in _buffered(process.console_read_nowait):
            self._console(guest, parser, recorder, data, _stamp(process))
        for data in _buffered(process.stderr_read_nowait):
            self._stderr(guest, process, recorder, data)
        for record in parser.flush():
            timeline.consume(record)
            guest.records.append(record)
        guest.qemu_status = status
        guest.cpu_total_ns = process.cpu_total_ns
        timeline.process_exited(guest.exit_ns)
        if isinstance(process, RemoteGuestProcess):
            guest.stream = process.summary()
        if isinstance(process, RemoteGuestProcess) and process.lost is not None:
            timeline.lose(process.lost)
        else:
            self._judge(guest, status, process.signalled)
        if guest.spec.command is None and timeline.status is Status.CRASHED:
            # reading a large kernel's symbol table takes a while: not on the event loop
            records = list(guest.records)
            await anyio.to_thread.run_sync(locate_crash, timeline, records, guest.spec.kernel)
        process.close()
        guest.process = None
        guest.integrity = guest.watch.verdict
        recorder.finish(lambda directory: self._check_integrity(guest, directory))
        guest.changes += 1

    def _check_integrity(self, guest: Guest, directory: Path) -> GuestFile:
        """On the writer's thread, once the console file is complete; guest.json's content. The
        verdict is the received bytes' (judged as they came); the disk's copy is checked apart."""
        meta = self._meta(guest)
        try:
            stored = (directory / "console.raw").stat().st_size
        except OSError:
            stored = 0
        if stored != guest.received:  # a full disk: say what is not there, and the stored verdict
            meta["host"]["stored_bytes"] = stored
            meta["host"]["stored_integrity"] = check_integrity_file(directory)
        return meta

    def _judge(self, guest: Guest, status: int, signalled: bool) -> None:
        """Settle the status from QEMU's exit when the console did not."""
        timeline = guest.timeline
        # isa-debug-exit's status 1 is also QEMU's error status: trust it only once the guest ran
        code = guest_exit_code(status, guest.spec.debug_exit) if guest.first_byte_ns is not None else None
        if timeline.status.finished:
            if code is not None and timeline.exit_code is None and timeline.status is Status.EXITED:
                timeline.exit_code = code
            return
        # QEMU exits 0 on SIGTERM: a guest we ended is `stopped`, whatever its status says
        if signalled:
            timeline.stop("stopped by the user" if guest.stop_requested else self._end_reason() or "stopped by uktrace")
        elif code is None and status == 0 and (silence := guest.silent_end(status)) is not None:
            timeline.fail(silence)
        elif status == 0 or code is not None:
            timeline.status = Status.EXITED
            timeline.exit_code = code
        else:
            timeline.fail(_qemu_failure(guest.program, status, guest.stderr_tail.decode("utf-8", "replace")))

    def _end_reason(self) -> str | None:
        """Why the whole run ended early: a signal, or a view's `stop`; None while it goes on."""
        if self.interrupted_by is not None:
            return f"run interrupted by {signal.Signals(self.interrupted_by).name}"
        return self.stopped_by

    def _record_kernels(self) -> None:
        """On the recorder's thread: each kernel's identity and symbols into the recording."""
        for kernel in dict.fromkeys(spec.kernel for spec in (g.spec for g in self.guests) if spec.command is None):
            try:
                self._kernel_images[kernel] = record_kernel(self.record_dir, kernel)
            except OSError:
                raise  # the writer reports disk errors
            except Exception:  # a malformed image must not stop the recorder: it is only unnamed
                self._kernel_images[kernel] = None
            found = find_symbols(kernel)  # cached: record_kernel has just read it
            self._kernel_symbols[kernel] = found[1] if found else None
            for guest in self.guests:
                if guest.spec.kernel == kernel:
                    guest.timeline.symbols = self._kernel_symbols[kernel]  # names its boot functions

    def _meta(self, guest: Guest) -> GuestFile:
        """guest.json's content (on the recorder's thread, after `_record_kernels`)."""
        timeline = guest.timeline
        return {
            "name": guest.name,
            "argv": guest.argv,
            "kernel": str(guest.spec.kernel),
            "kernel_image": self._kernel_images.get(guest.spec.kernel) if guest.spec.command is None else None,
            "fs": str(guest.spec.fs) if guest.spec.fs else None,
            "host": guest.host_dict(),
            "status": timeline.status.value,
            "exit_code": timeline.exit_code,
            "crash": crash_dict(timeline),
            "ready": guest.spec.ready,
            "script": [run.as_dict(guest.spawn_ns) for run in guest.script],
        }

    # -- reading ----------------------------------------------------------------------------

    def spawn_spread(self) -> float | None:
        return spawn_spread(self.guests, self.jobs)

    def counts(self) -> dict[str, int]:
        return status_counts(self.guests)


class _Wave:
    """The first `size` guests to start: released together once all are ready (or gone)."""

    def __init__(self, size: int) -> None:
        self._open = size
        self._members = 0
        self._arrived: set[int] = set()
        self.released = anyio.Event()

    def join(self) -> bool:
        """Whether the calling guest belongs to the wave."""
        if self._open <= 0:
            return False
        self._open -= 1
        self._members += 1
        return True

    def arrive(self, guest: Guest) -> None:
        """The guest is ready, or will never be; idempotent."""
        self._arrived.add(guest.index)
        if self._open == 0 and len(self._arrived) >= self._members:
            self.released.set()


SOCKET_PATH_MAX = 107
"""Bytes in a Unix socket's path (`sun_path` is 108 with its NUL)."""


def socket_directory() -> Path:
    """A new 0700 directory for the QMP sockets (`uktrace-qmp-PID-*`), in $TMPDIR unless its path is too long for a
    socket's (a long TMPDIR made every run fail with `AF_UNIX path too long`), then in /tmp."""
    longest = len("/uktrace-qmp-4194304-xxxxxxxx/100000.100.sock")
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(os.fsencode(base)) + longest <= SOCKET_PATH_MAX:
            remove_leftovers(Path(base), "qmp")  # what runs killed with SIGKILL left
            return Path(tempfile.mkdtemp(prefix=scratch_prefix("qmp"), dir=base))
    raise OSError(errno.ENAMETOOLONG, "no directory short enough for a QMP socket")


def check_integrity_file(directory: Path) -> str | None:
    try:
        return check_integrity((directory / "console.raw").read_bytes())
    except OSError:
        return None


def _mark_cpu(guest: Guest, phase: str, host_ns: int) -> None:
    """Note QEMU's CPU accounting as `phase` begins (a few file reads: only at phase changes)."""
    if guest.process is None:
        return
    sample = guest.process.cpu_sample()
    if sample is not None:
        guest.cpu_marks.append(CpuMark(phase, host_ns, *sample))


def _stamp(process: StartedGuest) -> int | None:
    """A remote chunk's time on its node (converted); None: a local chunk is stamped on arrival."""
    return process.stamp_ns if isinstance(process, RemoteGuestProcess) else None


def _buffered(read_nowait: Callable[[], bytes]) -> Iterator[bytes]:
    """Chunks already readable, until nothing is left or the end."""
    while True:
        try:
            data = read_nowait()
        except BlockingIOError:
            return
        if not data:
            return
        yield data


def _spawn_failure(guest: Guest, error: OSError) -> str:
    """Why QEMU could not even start, with the limit to raise when it is one."""
    program = guest.argv[0] if guest.argv else "QEMU"
    if error.errno == errno.EAGAIN:
        return f"cannot start {program}: process limit reached (ulimit -u); lower -j"
    if error.errno in (errno.EMFILE, errno.ENFILE):
        return f"cannot start {program}: open-file limit reached (ulimit -n); lower -j"
    if error.errno == errno.ENOMEM:
        return f"cannot start {program}: out of memory; lower -j or --mem"
    return f"cannot start {program}: {error.strerror or error}"


def _qemu_failure(program: str, status: int, stderr: str) -> str:
    """QEMU's own words (its first error line, else its last line) and a hint where we know one."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    detail = errors[0] if errors else lines[-1] if lines else "no message"
    how = f"killed by {signal.Signals(-status).name}" if status < 0 else f"exited with status {status}"
    hint = ""
    if "failed to set MSR" in stderr or "-cpu host" in stderr:
        hint = " (nested KVM rejects -cpu host: try --cpu qemu64 or --accel tcg)"
    elif "invalid kernel header" in stderr or "Error loading" in stderr:
        hint = " (not a kernel QEMU can boot with -kernel)"
    return f"{program} {how}: {detail}{hint}"
