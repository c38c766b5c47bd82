"""One QEMU process on a pseudo-terminal, read asynchronously, never left behind.

The serial console is the pty (stdin/stdout): a user can type into it, QEMU puts it in raw mode,
and ONLCR is cleared first so every byte arrives exactly as the guest sent it. stderr is a
separate pipe, so QEMU's warnings never mix into the console bytes (pexpect.spawn would put
both on one pty, and closes any extra descriptor before exec; it drives `uktrace` itself in
the tests instead). Each QEMU runs under `setpriv --pdeathsig KILL`: if uktrace dies without
cleaning up, the kernel kills the guests. Exit is awaited on a pidfd, so nothing polls.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import termios
import time

import anyio

READ_SIZE = 1 << 16
SETPRIV = shutil.which("setpriv")


class GuestProcess:
    """A started QEMU: console and stderr reads, input, termination, exit status."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv
        master, slave = os.openpty()
        attributes = termios.tcgetattr(slave)
        attributes[1] &= ~termios.ONLCR  # oflag: no "\n" -> "\r\n" translation on the way out
        attributes[3] &= ~(termios.ECHO | termios.ICANON)  # lflag
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        stderr_read, stderr_write = os.pipe()
        command = [SETPRIV, "--pdeathsig", "KILL", "--", *argv] if SETPRIV else argv
        try:
            self.spawn_ns = time.monotonic_ns()
            self.popen = subprocess.Popen(
                command,
                stdin=slave,
                stdout=slave,
                stderr=stderr_write,
                start_new_session=True,  # Ctrl-C in our terminal is ours to handle, in order
                close_fds=True,
            )
        except BaseException:
            for fd in (master, stderr_read):
                os.close(fd)
            raise
        finally:
            os.close(slave)
            os.close(stderr_write)
        self.pid = self.popen.pid
        self.console_fd = master
        self.stderr_fd = stderr_read
        for fd in (master, stderr_read):
            os.set_blocking(fd, False)
        self._pidfd = os.pidfd_open(self.pid)
        self.returncode: int | None = None

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
        os.write(self.console_fd, data)

    async def wait(self) -> int:
        """QEMU's exit status (negative: killed by that signal)."""
        if self.returncode is None:
            await anyio.wait_readable(self._pidfd)
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signum)

    async def stop(self, grace: float = 1.0) -> int:
        """Terminate, then kill after `grace` seconds; always reaps. Call shielded."""
        if self.poll() is None:
            self.signal(signal.SIGTERM)
            with anyio.move_on_after(grace):
                return await self.wait()
            self.signal(signal.SIGKILL)
        return await self.wait()

    def close(self) -> None:
        for fd in (self.console_fd, self.stderr_fd, self._pidfd):
            with contextlib.suppress(OSError):
                os.close(fd)
        # Popen's own bookkeeping: it must not try to reap what we reaped
        self.popen.returncode = self.returncode if self.returncode is not None else -signal.SIGKILL


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
