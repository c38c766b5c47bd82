"""Guests run as uktrace runs them, but unobserved: the yardstick of the observer effect.

A traced run reads every console live, stamps each chunk, parses each line and draws; all of it
takes CPU from the guests it measures, on the same host. To know how much that changes the
figures, `uktrace bench --observer-check` also runs each cell this way: the same QEMU command
line, guests' session, priority and start gate (every QEMU started paused, released together
with QMP `cont`); each console goes into a pipe as a traced run's does, but nobody reads it as it
comes: it is emptied into a file on a timer (`DRAIN_S`), so nothing is woken by a guest's
printing. Only the QEMUs' start and exit are watched (a pidfd each). The consoles are parsed
afterwards, with the same parser, as saved logs.

What such a run can give: `total` on the host clock (spawn to the VMM's exit, as traced) and
every in-guest phase on the guest clock (printk stamps). What it cannot: anything timed by a
line's host arrival (`firmware`, `boot`, the host clock of any in-guest phase), as nothing
arrived anywhere while it ran.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import anyio

from ..model.spec import GuestSpec
from ..model.timeline import gate_wait_ns
from .gate import Wave, through_gate
from .priority import GUEST_NICE
from .process import GuestProcess
from .qemu import qemu_argv
from .sockets import socket_directory
from .spawner import Spawner
from .started import buffered
from .tracer_policy import Yielding
from .virtiofsd import DaemonError, RunningDaemon, SocketDirectory, start_daemon

CONSOLE = "console.raw"


@dataclass
class Unobserved:
    """One guest of an unobserved run: where its console went, when it started and ended."""

    name: str
    console: Path
    spawn_ns: int | None = None
    ready_ns: int | None = None
    """When its QEMU was ready at the start gate (its monitor connected; None: no gate)."""
    released_ns: int | None = None
    """When the gate let it go (None: no gate, or it never got there)."""
    exit_ns: int | None = None
    qemu_status: int | None = None
    error: str | None = None

    @property
    def total_s(self) -> float | None:
        """Spawn to the VMM's exit on the host clock, the wait at the start gate (ready to released)
        left out: `total`, as a traced run defines it (`model.timeline.gate_wait_ns`). Counted in,
        50 guests' unobserved total read 18 % longer than their traced twins'."""
        if self.spawn_ns is None or self.exit_ns is None:
            return None
        waited = gate_wait_ns(self.ready_ns, self.released_ns, self.exit_ns)
        return (self.exit_ns - self.spawn_ns - waited) / 1e9


async def run_unobserved(
    specs: Sequence[GuestSpec], directory: Path, *, gate: bool = True, lower: bool = False, timeout: float = 60.0
) -> list[Unobserved]:
    """Run every guest at once, consoles into `directory/<name>/console.raw`; each ends by itself
    or is killed after `timeout` seconds (its `error` says so). Started as a traced run starts
    them: spawned one after another by the spawner's thread, each QEMU's monitor taken as it
    connects, all released together once all are ready (`_pass`). Accepted only after the last
    spawn, 50 guests waited for uktrace, not for themselves, and that wait counted in `total`."""
    run = _Run(directory, gate, lower)
    with Yielding(not lower) as policy:  # this thread as a traced run's: it never preempts the guests
        wave = Wave(len(specs), on_release=policy.prompt, on_out=policy.resume)
        for _ in specs:
            wave.join()
        try:
            await run.start(specs, wave)
            await run.watch(timeout)
        finally:
            with anyio.CancelScope(shield=True):
                await run.stop()
    return run.guests


class _Run:
    """One unobserved run's guests, their processes (None: it never started) and what they need."""

    def __init__(self, directory: Path, gate: bool, lower: bool) -> None:
        self.directory = directory
        self.sockets = socket_directory() if gate else None  # as a traced run's: a recording's path may be too long
        self.vhost_sockets = SocketDirectory()
        self.spawner = Spawner(GUEST_NICE if lower else None)
        self.daemons: list[RunningDaemon] = []
        self.guests: list[Unobserved] = []
        self.processes: list[GuestProcess | None] = []
        """In step with `guests`, whatever happens."""

    async def start(self, specs: Sequence[GuestSpec], wave: Wave) -> None:
        """Every guest spawned, one after another; returns once every one went through the gate."""
        async with anyio.create_task_group() as gating:
            for index, spec in enumerate(specs):
                (self.directory / spec.name).mkdir(parents=True, exist_ok=True)
                guest = Unobserved(spec.name, self.directory / spec.name / CONSOLE)
                self.guests.append(guest)
                self.processes.append(None)
                process, daemon = await _start(
                    guest, spec, index, self.directory, self.sockets, self.vhost_sockets, self.spawner
                )
                if daemon is not None:
                    self.daemons.append(daemon)
                self.processes[-1] = process
                if process is not None and self.sockets is not None:
                    gating.start_soon(_pass, guest, process, wave, index)
                else:
                    wave.arrive(index)
                    wave.out(index)

    async def watch(self, timeout: float) -> None:
        """Until every QEMU has exited or `timeout` seconds passed, the consoles emptied on a timer."""
        with anyio.move_on_after(timeout) as deadline:
            async with anyio.create_task_group() as draining:
                draining.start_soon(_drain_every, self.guests, self.processes)
                async with anyio.create_task_group() as group:
                    for guest, process in self.running():
                        group.start_soon(_watch, guest, process)
                draining.cancel_scope.cancel()
        if deadline.cancelled_caught:
            for guest in self.guests:
                if guest.exit_ns is None and guest.error is None:
                    guest.error = f"no exit after {timeout:g} s"

    async def stop(self) -> None:
        """Every QEMU stopped and its console emptied, then what they needed taken down."""
        for guest, process in self.running():
            status = await process.stop()
            if guest.exit_ns is None:
                guest.exit_ns = process.exited_ns
            guest.qemu_status = status if guest.qemu_status is None else guest.qemu_status
            _drain(guest, process)
            process.close()
        self.spawner.close()
        for daemon in self.daemons:
            await daemon.stop()
        if self.sockets is not None:
            shutil.rmtree(self.sockets, ignore_errors=True)
        self.vhost_sockets.cleanup()

    def running(self) -> list[tuple[Unobserved, GuestProcess]]:
        """The guests whose QEMU started, with it."""
        return [(g, p) for g, p in zip(self.guests, self.processes, strict=True) if p is not None]


async def _start(
    guest: Unobserved,
    spec: GuestSpec,
    index: int,
    directory: Path,
    sockets: Path | None,
    vhost_sockets: SocketDirectory,
    spawner: Spawner,
) -> tuple[GuestProcess | None, RunningDaemon | None]:
    """One guest's QEMU (and its VirtioFS daemon first, listening before QEMU starts, as in a
    traced run); None for a QEMU that could not start (its `error` says why)."""
    try:
        with anyio.CancelScope(shield=True):
            spec, daemon = await start_daemon(spec, directory / spec.name, vhost_sockets, spec.name)
    except DaemonError as error:
        guest.error = str(error)
        return None, None
    monitor = sockets / f"{index}.sock" if sockets is not None else None
    argv = qemu_argv(replace(spec, qmp_socket=monitor))
    env = os.environ | {"UKTRACE_RECORDING": str(directory / spec.name)}  # whose QEMU (`ps eww`)
    try:
        with anyio.CancelScope(shield=True):  # a QEMU started is a QEMU owned: see it through
            process = await spawner.spawn(argv, env, monitor=monitor)
    except OSError as error:
        guest.error = f"cannot start {argv[0]}: {error.strerror or error}"
        return None, daemon
    guest.spawn_ns = process.spawn_ns
    return process, daemon


async def _pass(guest: Unobserved, process: GuestProcess, wave: Wave, index: int) -> None:
    """Through the gate as a traced guest goes (`gate.through_gate`), its times noted."""

    def ready(host_ns: int) -> None:
        guest.ready_ns = host_ns

    def releasing(host_ns: int) -> None:
        guest.released_ns = host_ns

    await through_gate(process, wave, index, ready, releasing)


DRAIN_S = 0.25
"""How often the consoles' pipes are emptied into their files while the guests run: rarely, as
each turn is uktrace's work beside its guests (every 50 ms, 50 guests' pipes read and files
appended 20 times a second); a pipe of 1 MiB holds a quarter second of a flood (~0.3 MiB)."""


async def _drain_every(guests: Sequence[Unobserved], processes: Sequence[GuestProcess | None]) -> None:
    """Empty every console's pipe every `DRAIN_S`, on a timer, never on a console's readiness: a
    read woken by each write would be an observer too, and QEMU writing into a file (the earlier
    yardstick) cost each printed byte a file write: at 100 guests `main` read 29 % slower
    unobserved than traced. A pipe holds 64 KiB to 1 MiB (`process.PIPE_SIZE`)."""
    while True:
        await anyio.sleep(DRAIN_S)
        for guest, process in zip(guests, processes, strict=True):
            if process is not None:
                _drain(guest, process)


def _drain(guest: Unobserved, process: GuestProcess) -> None:
    chunks = list(buffered(process.console_read_nowait))
    if chunks:
        with guest.console.open("ab") as console:
            console.write(b"".join(chunks))


async def _watch(guest: Unobserved, process: GuestProcess) -> None:
    guest.qemu_status = await process.wait()
    guest.exit_ns = process.exited_ns if process.exited_ns is not None else time.monotonic_ns()
