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

import contextlib
import fcntl
import functools
import os
import resource
import shutil
import signal
import subprocess
import termios
import time
from pathlib import Path

import anyio
from ptyprocess import PtyProcess

READ_SIZE = 1 << 16
PIPE_SIZE = 1 << 20
SETPRIV = shutil.which("setpriv")
NICE = shutil.which("nice")


class GuestProcess:
    """A started QEMU: console and stderr reads, input, termination, exit status."""

    def __init__(
        self, argv: list[str], env: dict[str, str] | None = None, nice: int | None = None, tty: bool = False
    ) -> None:
        """`nice`: the QEMU's priority below the tracer's (`launch.priority`), set on both levers
        the kernel may use: the QEMU starts under `nice` (what ranks it where autogroups do not
        apply: a tracer in its own CPU cgroup, a container), and its session's group gets the same
        (`/proc/PID/autogroup`, allowed for one's own processes: with autogroups, a process's own
        nice only ranks it inside its group). Which one the kernel heeds cannot be read from
        /proc inside a cgroup namespace; the unused one changes nothing."""
        self.argv = argv
        self.popen: subprocess.Popen[bytes] | None = None
        if nice is not None and NICE:
            argv = [NICE, "-n", str(nice), *argv]
        command = [SETPRIV, "--pdeathsig", "KILL", "--", *argv] if SETPRIV else argv
        if tty:
            self.spawn_ns = time.monotonic_ns()
            self.pid, master, stderr_read = _spawn_on_pty(command, env)
            console_read = os.dup(master)  # one descriptor each to read and to type, closed apart
        else:
            self.pid, master, console_read, stderr_read = self._spawn_on_pipes(command, env)
        grouped = nice is not None and _autogroups() and _set_autogroup_nice(self.pid, nice)
        self.nice = nice if nice is not None and (NICE or grouped) else None
        """The nice value the QEMU (and its scheduling group) got, when it got one."""
        self.input_fd = master
        self.console_fd = console_read
        self.stderr_fd = stderr_read
        for fd in (master, console_read, stderr_read):
            os.set_blocking(fd, False)
        self._pidfd = os.pidfd_open(self.pid)
        self.returncode: int | None = None
        self.signalled = False
        """uktrace sent it a signal while it ran: its exit status is then no verdict of the guest's."""
        self.cpu_total_ns: int | None = None
        self._threads: dict[str, tuple[int, int]] = {}
        self._ended = (0, 0)
        """CPU time (user + system, every thread) once reaped."""

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
            self.popen = subprocess.Popen(
                command,
                stdin=slave,
                stdout=console_write,
                stderr=stderr_write,
                start_new_session=True,  # Ctrl-C in our terminal is ours to handle, in order
                close_fds=True,
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

    async def wait(self) -> int:
        """QEMU's exit status (negative: killed by that signal).

        Reaped from a worker thread once the pidfd says the process exited: the kernel still had
        work to do in `wait4` for a QEMU on a busy host (its last threads ending, its memory
        freed), up to 0.8 s in one call, which on the event loop held every console and the TUI."""
        if self.returncode is None:
            await anyio.wait_readable(self._pidfd)
            if self.returncode is None:
                reaped = await anyio.to_thread.run_sync(_reap, self.pid)
                if self.returncode is None:  # `poll` may have reaped it meanwhile
                    self._reaped(*reaped)
        assert self.returncode is not None
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            self._reaped(*os.wait4(self.pid, os.WNOHANG))
        return self.returncode

    def _reaped(self, pid: int, status: int, usage: resource.struct_rusage) -> None:
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)
            self.cpu_total_ns = round((usage.ru_utime + usage.ru_stime) * 1e9)

    def cpu_sample(self) -> tuple[int, int | None] | None:
        """(ns on a CPU, ns waiting for one) summed over the process's threads, from the
        scheduler's per-thread accounting (`/proc/PID/task/*/schedstat`, nanoseconds); without
        schedstat, CPU time from `/proc/PID/stat` (clock ticks) and no wait. A thread that ends
        takes its counters with it (QEMU's vCPU thread ends before the process): the sample that
        notices is None (its interval is unknowable), later ones add the thread's last reading.
        The exit status has the whole process's CPU (`cpu_total_ns`)."""
        if self.returncode is not None:
            return None
        readings: dict[str, tuple[int, int]] = {}
        try:
            for task in os.scandir(f"/proc/{self.pid}/task"):
                with open(f"{task.path}/schedstat", "rb") as schedstat:
                    fields = schedstat.read().split()
                readings[task.name] = (int(fields[0]), int(fields[1]))
        except FileNotFoundError:
            return _stat_cpu(self.pid) if not self._threads else None
        except (OSError, ValueError, IndexError):
            return None
        if not readings:
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
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            ticks = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return None
        return fields[0].decode("ascii", "replace"), ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")

    def signal(self, signum: int) -> None:
        """Signal the whole process group: a `--cmd` launcher or a wrapper script forks the QEMU,
        and signalling only the launcher would leave that QEMU running."""
        if self.poll() is None:
            self.signalled = True
        try:
            os.killpg(self.pid, signum)  # started in its own session: its pid is the group's
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
        for fd in (self.input_fd, self.console_fd, self.stderr_fd, self._pidfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.popen is not None:  # Popen's own bookkeeping: it must not try to reap what we reaped
            self.popen.returncode = self.returncode if self.returncode is not None else -signal.SIGKILL


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


@functools.cache
def _autogroups() -> bool:
    """Whether the scheduler groups processes per session (`kernel.sched_autogroup_enabled`)."""
    try:
        return Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return False


def _set_autogroup_nice(pid: int, nice: int) -> bool:
    """Lower the priority of `pid`'s session group; False where the kernel refuses (the guest
    then runs at the tracer's priority, as before: no error, the figures stay valid)."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as autogroup:
            autogroup.write(str(nice))
    except OSError:
        return False
    return True


def _stat_cpu(pid: int) -> tuple[int, int | None] | None:
    """utime + stime from /proc/PID/stat (fields 14 and 15, after the parenthesised name)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = int(fields[11]) + int(fields[12])
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK"), None


def _reap(pid: int) -> tuple[int, int, resource.struct_rusage]:
    """`wait4`; a process `poll` reaped meanwhile reads as not reaped here (pid 0)."""
    try:
        return os.wait4(pid, 0)
    except ChildProcessError:
        return 0, 0, resource.getrusage(resource.RUSAGE_CHILDREN)


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
