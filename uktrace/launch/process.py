"""One QEMU process, its console read asynchronously, never left behind.

Console input is a pseudo-terminal (stdin): a user can type into the guest and QEMU puts it in
raw mode. Console output is a pipe enlarged to 1 MiB (stdout): a pty holds only 4 KiB, and a
guest whose output is not read in time stalls on its UART, so a busy tracer would slow the very
boots it measures; the pipe also carries the bytes untranslated. stderr is a third pipe, so QEMU's
warnings never mix into the console (pexpect.spawn puts everything on one pty and closes any
extra descriptor before exec; it drives `uktrace` itself in the tests instead). Each QEMU runs
under `setpriv --pdeathsig KILL`: if uktrace dies without cleaning up, the kernel kills the
guests. Exit is awaited on a pidfd, so nothing polls.

With `tty` (`--tty`, for `--cmd` launchers that want a terminal: `kraft run`, scripts that check
`isatty`), the launcher starts as pexpect starts its children (`ptyprocess`, pexpect's pty layer):
its own session with the pty as controlling terminal, stdin and stdout on it, a person's terminal
settings (echo, 24×80) until the launcher's QEMU makes it raw, but for one: no `\n` to `\r\n`
output translation (`ONLCR`, which QEMU's stdio console leaves on), so the bytes recorded are the
guest's and its integrity line still checks. The console is then read from the pty's master, as
pexpect would read it, and typing goes there too; stderr stays a pipe of its own, so the
launcher's warnings still stay out of the console. The price: a pty holds 4 KiB, not 1 MiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from ptyprocess import PtyProcess

from ..recording import proc_stat
from .console_hub import console_hub
from .guest_session import GuestSession
from .priority import NICE, lowering_prefix, set_session_nice
from .qmp import MonitorSocket, Qmp, QmpError
from .thread_clocks import ThreadClocks


def _idle_thread() -> None:
    """This thread runs only when nothing else wants the CPU (Linux: a policy per thread)."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


REAPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uktrace-reaper", initializer=_idle_thread)
"""Where exited QEMUs are reaped: one at a time, at the idle policy (see `GuestProcess.wait`)."""
OWN_PROCESS_GROUP: dict[str, Any] = {"process_group": 0} if sys.version_info >= (3, 11) else {"preexec_fn": os.setpgrp}
"""A QEMU leads a process group of its own (Ctrl-C in our terminal is ours to handle, in order) in
our session (the scheduler weighs it inside our group: `launch.priority`). Python 3.10 has no
`process_group`: `setpgrp` from `preexec_fn` then, async-signal-safe."""
READ_SIZE = 1 << 16
PIPE_SIZE = 1 << 20
SETPRIV = shutil.which("setpriv")


class GuestProcess:
    """A started QEMU: console and stderr reads, input, termination, exit status."""

    stamp_ns: int | None = None
    """None: a local console chunk is stamped as it is read (`StartedGuest.stamp_ns`)."""
    release_ns: int | None = None
    """None: a local guest is let go the moment `cont` is sent (`StartedGuest.release_ns`)."""
    lost: str | None = None
    """None: a local QEMU is never lost, only ended (`StartedGuest.lost`)."""

    def __init__(
        self,
        argv: list[str],
        env: dict[str, str] | None = None,
        nice: int | None = None,
        tty: bool = False,
        session: GuestSession | None = None,
        monitor: Path | None = None,
    ) -> None:
        """`nice`: run the QEMU below the tracer (`launch.priority`): at the idle scheduling
        policy where the host allows it, at this nice value, in a process group of its own inside
        the tracer's session (a `tty` launcher leads a session: its session's group is lowered).
        `session`: start it in the guests' session instead (`launch.guest_session`), at normal priority
        (not with `tty`: a launcher on a terminal leads a session of its own). `monitor`: the QMP
        socket a paused QEMU connects to (`qemu_argv` of a gated spec), listened on before it starts."""
        self.argv = argv
        self._pidfd = -1
        """Watches the process's exit: from the guests' session leader (`launch.guest_session`), else ours."""
        self.popen: subprocess.Popen[bytes] | None = None
        self.session = session if not tty else None
        """The guests' session it runs in; None: uktrace's own session (or its own, with `tty`)."""
        self.idle_policy = False
        """Whether it runs at `SCHED_IDLE` (`launch.priority`)."""
        self.apart = self.session is not None
        """Whether it runs in the guests' session, apart from uktrace's (`launch.guest_session`)."""
        if nice is not None:
            prefix, self.idle_policy = lowering_prefix(nice)
            argv = [*prefix, *argv]
        command = [SETPRIV, "--pdeathsig", "KILL", "--", *argv] if SETPRIV else argv
        self._monitor = MonitorSocket(monitor) if monitor is not None else None
        """Where its monitor connects, until it did (`monitor`)."""
        try:
            if tty:
                self.spawn_ns = time.monotonic_ns()
                self.pid, master, stderr_read = _spawn_on_pty(command, env)
                console_read = os.dup(master)  # one descriptor each to read and to type, closed apart
                if nice is not None:
                    set_session_nice(self.pid, nice)
            else:
                self.pid, master, console_read, stderr_read = self._spawn_on_pipes(command, env)
        except BaseException:
            if self._monitor is not None:
                self._monitor.close()
            raise
        self.nice = nice if nice is not None and (NICE or self.idle_policy) else None
        """The nice value the QEMU got, when it was lowered."""
        self.input_fd = master
        self.console_fd = console_read
        self.stderr_fd = stderr_read
        for fd in (master, console_read, stderr_read):
            os.set_blocking(fd, False)
        if self._pidfd < 0:
            self._pidfd = os.pidfd_open(self.pid)
        self.returncode: int | None = None
        self._released = False
        """Reaped: the kernel let go of the zombie (`wait`)."""
        self.exited_ns: int | None = None
        """When uktrace saw it exit (before the reap, which may wait its turn: `wait`)."""
        self.signalled = False
        """uktrace sent it a signal while it ran: its exit status is then no verdict of the guest's."""
        self.cpu_total_ns: int | None = None
        """CPU time (user + system, every thread) once reaped."""
        self._clocks = ThreadClocks(self.pid)
        self._threads: dict[str, tuple[int, int]] = {}
        """Each thread's last reading (`cpu_sample`)."""
        self._ended = (0, 0)
        """What threads that ended had spent, up to their last reading."""

    def _spawn_on_pipes(self, command: list[str], env: dict[str, str] | None) -> tuple[int, int, int, int]:
        """QEMU with stdin on a pty (raw), stdout and stderr on pipes: (pid, pty master, console, stderr)."""
        master, slave = os.openpty()
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: QEMU's raw mode from the start
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        console_read, console_write = os.pipe()
        with contextlib.suppress(OSError):  # at most /proc/sys/fs/pipe-max-size; 64 KiB stays
            fcntl.fcntl(console_write, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        stderr_read, stderr_write = os.pipe()
        try:
            self.spawn_ns = time.monotonic_ns()
            if self.session is not None:
                pid, self._pidfd = self.session.spawn(command, env, (slave, console_write, stderr_write))
                return pid, master, console_read, stderr_read
            self.popen = subprocess.Popen(
                command,
                stdin=slave,
                stdout=console_write,
                stderr=stderr_write,
                close_fds=True,
                **OWN_PROCESS_GROUP,
                env=env,
            )
        except BaseException:
            for fd in (master, console_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in (slave, console_write, stderr_write):
                os.close(fd)
        return self.popen.pid, master, console_read, stderr_read

    async def read_console(self) -> bytes:
        """The next console bytes; b"" once QEMU closed the console (usually: it exited)."""
        return await _read(self.console_fd)

    async def stream_console(self, take: Callable[[bytes, int | None], None], pause_s: float) -> None:
        """Through the event loop's `ConsoleHub`: one registration for the console's life."""
        await console_hub(pause_s).stream(self.console_fd, lambda data: take(data, None))

    async def read_stderr(self) -> bytes:
        return await _read(self.stderr_fd)

    def console_read_nowait(self) -> bytes:
        """What is already buffered; raises BlockingIOError when nothing is, b"" at the end."""
        return _read_nowait(self.console_fd)

    def stderr_read_nowait(self) -> bytes:
        return _read_nowait(self.stderr_fd)

    def write(self, data: bytes) -> None:
        """Type into the guest's console."""
        os.write(self.input_fd, data)

    async def monitor(self) -> Qmp:
        """Once the paused QEMU has connected its monitor and answered; QmpError if it ended first.
        Its exit is watched on a copy of the pidfd: `wait` may watch the pidfd itself meanwhile
        (a descriptor has one waiter)."""
        if self._monitor is None:
            raise QmpError("QEMU was not started with a monitor")
        exited = os.dup(self._pidfd)
        try:
            return await self._monitor.accept(exited)
        finally:
            os.close(exited)
            self._monitor = None

    def summary(self) -> None:
        """Nothing to add to guest.json: only a cluster guest has a stream to account for."""
        return None

    async def wait(self) -> int:
        """QEMU's exit status (negative: killed by that signal).

        Reaped off the event loop, one QEMU at a time, by a thread at the idle policy (`REAPER`):
        releasing a zombie makes the kernel drop its /proc entries (`proc_invalidate_siblings_dcache`),
        which on this host spun for up to 0.8 s per QEMU while many exited at once. On the event
        loop that held every console and the TUI; in parallel threads the reaps spun against each
        other (30 s of CPU for 100 guests); one after another, 2-5 s, and from idle time only.
        `poll` reads the status without releasing, so nothing else spins."""
        if not self._released:
            await anyio.wait_readable(self._pidfd)
            if self.exited_ns is None:
                self.exited_ns = time.monotonic_ns()
            # the status now, while the zombie is there: a `poll` once the reaper has released it
            # would find no child (ChildProcessError, seen on a loaded host)
            self.poll()
            if self.session is not None:
                status, self.cpu_total_ns = await self.session.released(self.pid)
                if self.returncode is None:
                    self.returncode = status
            else:
                # shielded: a reap cancelled while the thread runs it would lose the status it took
                with anyio.CancelScope(shield=True):
                    reaped = await asyncio.get_running_loop().run_in_executor(REAPER, _reap, self.pid)
                if reaped is not None:  # None: released already (by a wait cancelled before this one)
                    wait_status, usage = reaped
                    if self.returncode is None:
                        self.returncode = os.waitstatus_to_exitcode(wait_status)
                    self.cpu_total_ns = round((usage.ru_utime + usage.ru_stime) * 1e9)
            self._released = True
        assert self.returncode is not None
        return self.returncode

    async def exited(self) -> None:
        """Once QEMU has exited, on a copy of the pidfd: `wait` may watch the pidfd itself meanwhile
        (a descriptor has one waiter). Notes nothing: `exited_ns` stays the time `wait` saw, after
        the console's last bytes were read and stamped (seen earlier, the exit came before the line
        that announced it)."""
        if self.exited_ns is not None or self._released:
            return
        watched = os.dup(self._pidfd)
        try:
            await anyio.wait_readable(watched)
        finally:
            os.close(watched)

    def poll(self) -> int | None:
        """The exit status once QEMU has exited, else None; never waits. The zombie is left for
        `wait` to release (`waitid` with WNOWAIT reads its status without the kernel's release)."""
        if self.returncode is None and self.session is not None:
            if self.exited_ns is None and select.select([self._pidfd], [], [], 0)[0]:
                self.exited_ns = time.monotonic_ns()  # seen now, though the leader may say it later
            self.session.drain()
            status = self.session.statuses.get(self.pid)
            if status is not None:
                if self.exited_ns is None:
                    self.exited_ns = time.monotonic_ns()
                self.returncode = status
        elif self.returncode is None:
            exited = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if exited is not None and exited.si_pid == self.pid:
                if self.exited_ns is None:
                    self.exited_ns = time.monotonic_ns()
                killed = exited.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
                self.returncode = -exited.si_status if killed else exited.si_status
        return self.returncode

    def cpu_sample(self) -> tuple[int, int | None] | None:
        """(ns on a CPU, ns waiting for one) summed over the process's threads, from the
        scheduler's per-thread accounting (`/proc/PID/task/*/schedstat`, nanoseconds); without
        schedstat, CPU time from `/proc/PID/stat` (clock ticks) and no wait. A thread that ends
        takes its counters with it (QEMU's vCPU thread ends before the process): the sample that
        notices is None (its interval is unknowable), later ones add the thread's last reading.
        The exit status has the whole process's CPU (`cpu_total_ns`)."""
        if self.returncode is not None:
            return None
        try:
            readings = self._clocks.read()
        except FileNotFoundError:
            return _stat_cpu(self.pid) if not self._threads else None
        if readings is None:
            return None
        ended = [tid for tid in self._threads if tid not in readings]
        for tid in ended:  # counted up to its last reading; what it did after is unknown
            cpu, wait = self._threads[tid]
            self._ended = (self._ended[0] + cpu, self._ended[1] + wait)
        self._threads = readings
        if ended:
            return None  # this interval lost a thread's tail: no mark rather than a wrong one
        cpu = self._ended[0] + sum(cpu for cpu, _ in readings.values())
        return cpu, self._ended[1] + sum(wait for _, wait in readings.values())

    def state(self) -> tuple[str, int] | None:
        """(the kernel's state letter, CPU ns of the whole process) from `/proc/PID/stat`; the
        process's own totals keep what ended threads spent, unlike the per-thread schedstat."""
        if self.returncode is not None:
            return None
        found = proc_stat.read(self.pid)
        if found is None:
            return None
        try:
            return found[proc_stat.STATE].decode("ascii", "replace"), proc_stat.cpu_ns(found)
        except (IndexError, ValueError):
            return None

    def signal(self, signum: int) -> None:
        """Signal the whole process group: a `--cmd` launcher or a wrapper script forks the QEMU,
        and signalling only the launcher would leave that QEMU running."""
        if self.poll() is None:
            self.signalled = True
        try:
            os.killpg(self.pid, signum)  # it leads its own process group: its pid is the group's
        except ProcessLookupError:
            pass
        except PermissionError:  # a member changed its credentials: at least the launcher
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def group_alive(self) -> bool:
        """Whether any process of its group is left (the launcher's children included)."""
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    async def stop(self, grace: float = 1.0) -> int:
        """Terminate the group, then kill it after `grace` seconds; always reaps. Call shielded."""
        if self.poll() is None or self.group_alive():
            self.signal(signal.SIGTERM)
            with anyio.move_on_after(grace):
                await self.wait()
                while self.group_alive():  # a launcher's QEMU may outlive the launcher
                    await anyio.sleep(0.02)
            if self.poll() is None or self.group_alive():
                self.signal(signal.SIGKILL)
        status = await self.wait()
        with anyio.move_on_after(grace):
            while self.group_alive():  # SIGKILL takes effect at once; the kernel reaps orphans
                await anyio.sleep(0.02)
        return status

    def close(self) -> None:
        self._clocks.close()
        if self._monitor is not None:  # never waited for (a run stopped before its gate)
            self._monitor.close()
        for fd in (self.input_fd, self.console_fd, self.stderr_fd, self._pidfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.popen is not None:  # Popen's own bookkeeping: it must not try to reap what we reaped
            self.popen.returncode = self.returncode if self.returncode is not None else -signal.SIGKILL


def _reap(pid: int) -> tuple[int, resource.struct_rusage] | None:
    """Release the exited `pid`: its wait status and resource usage; None when it was released already."""
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return None
    return status, usage


def _spawn_on_pty(command: list[str], env: dict[str, str] | None) -> tuple[int, int, int]:
    """`command` on a new pty, as pexpect spawns (`ptyprocess`): (pid, pty master, stderr pipe).

    ptyprocess's object is let go at once, its descriptor kept: left alive it would reap the
    process itself (`isalive`) and kill it when collected, and both are the fleet's to do."""
    stderr_read, stderr_write = os.pipe()

    def prepare_child() -> None:  # in the child, after ptyprocess put the pty on 0, 1 and 2
        os.dup2(stderr_write, 2)
        os.close(stderr_write)
        attributes = termios.tcgetattr(0)
        attributes[1] &= ~termios.ONLCR  # oflag: `\n` stays `\n` (QEMU keeps OPOST on for a terminal)
        termios.tcsetattr(0, termios.TCSANOW, attributes)

    try:
        process = PtyProcess.spawn(command, env=env, preexec_fn=prepare_child, pass_fds=(stderr_write,))
    except BaseException:
        os.close(stderr_read)
        raise
    finally:
        os.close(stderr_write)
    master = os.dup(process.fd)
    process.fileobj.close()
    process.closed = True  # its `__del__` must neither close nor terminate what the fleet owns
    return process.pid, master, stderr_read


def _stat_cpu(pid: int) -> tuple[int, int | None] | None:
    """utime + stime from /proc/PID/stat, and no wait (the kernel has no schedstat)."""
    found = proc_stat.read(pid)
    if found is None:
        return None
    try:
        return proc_stat.cpu_ns(found), None
    except (IndexError, ValueError):
        return None


def _read_nowait(fd: int) -> bytes:
    try:
        return os.read(fd, READ_SIZE)
    except BlockingIOError:
        raise
    except OSError:  # EIO: the pty's other side is closed
        return b""


async def _read(fd: int) -> bytes:
    while True:
        try:
            return os.read(fd, READ_SIZE)
        except BlockingIOError:
            await anyio.wait_readable(fd)
        except OSError:  # EIO: the pty's other side is closed
            return b""
