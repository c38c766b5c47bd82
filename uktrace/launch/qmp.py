"""Just enough QMP (QEMU's JSON monitor protocol) to release paused guests together.

QEMU started with `-S` builds the whole machine, then waits with its vCPU stopped. Once every
guest of a wave is ready, `cont` goes to all of them back to back: N guests really start at
once, which a loop of process spawns never achieves on a loaded host (kraft uses the same
`-S` + `cont`).

uktrace listens on each guest's monitor socket before its QEMU starts, and QEMU connects to it
(`-chardev socket` without `server=on`, as QEMU's own test machinery does): QEMU opens its
chardevs first thing, so readiness is a connection to accept and a handshake to answer, each
awaited on its descriptor, and QEMU's exit on its pidfd. With QEMU as the server, uktrace could
only retry until the socket appeared: ~117 tries per guest, each a stat and a check of the
process, 0.8 s of uktrace's CPU while a hundred QEMUs started. Sockets live in a short private
directory (`launch.sockets`): unix socket paths are limited to 108 bytes, recording directories
are not, and a 0700 directory lets no one else connect in QEMU's place.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from pathlib import Path
from typing import Any

import anyio

READ_SIZE = 1 << 16


class QmpError(Exception):
    """QEMU closed the monitor, answered with an error, or exited before it connected."""


class MonitorSocket:
    """The socket one paused QEMU's monitor connects to: bound and listening before QEMU starts
    (QEMU exits at once when nobody listens), closed and removed once it connected or died."""

    def __init__(self, path: Path) -> None:
        self.path = path
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(path))
            listener.listen(1)
        except BaseException:
            listener.close()
            raise
        listener.setblocking(False)
        self._listener = listener

    async def accept(self, exited: int) -> Qmp:
        """The monitor once QEMU has connected and negotiated its capabilities. `exited`: a
        descriptor readable once QEMU has exited (a pidfd): QmpError then, as nothing will connect."""
        try:
            connection, _ = self._listener.accept()
        except BlockingIOError:
            await _first_readable(self._listener.fileno(), exited)
            try:
                connection, _ = self._listener.accept()
            except BlockingIOError:
                raise QmpError("QEMU exited before its monitor was ready") from None
        finally:
            self.close()  # one QEMU, one connection: nothing more to listen for
        qmp = Qmp(connection)
        try:
            greeting = await qmp._message()
            if "QMP" not in greeting:
                raise QmpError(f"not a QMP greeting: {greeting}")
            await qmp.execute("qmp_capabilities")
        except BaseException:
            await qmp.close()
            raise
        return qmp

    def close(self) -> None:
        """Stop listening and remove the socket's file; idempotent."""
        self._listener.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)


class Qmp:
    """One monitor connection: capabilities negotiated, ready for commands."""

    def __init__(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        self._socket = connection
        self._buffer = b""

    async def execute(self, command: str) -> Any:
        await self._send(json.dumps({"execute": command}).encode() + b"\n")
        while True:
            message = await self._message()
            if "return" in message:
                return message["return"]
            if "error" in message:
                raise QmpError(f"{command}: {message['error'].get('desc', message['error'])}")
            # asynchronous events (RESUME, ...) may come first: not what we wait for

    async def close(self) -> None:
        self._socket.close()

    async def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[self._socket.send(view) :]
            except BlockingIOError:
                await anyio.wait_writable(self._socket)
            except OSError:
                raise QmpError("QEMU closed its monitor") from None

    async def _message(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            try:
                data = self._socket.recv(READ_SIZE)
            except BlockingIOError:
                await anyio.wait_readable(self._socket)
                continue
            except OSError:
                data = b""
            if not data:
                raise QmpError("QEMU closed its monitor")
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message


async def _first_readable(*fds: int) -> None:
    """Return once any of `fds` is readable: one waiter each, the first to wake ends the others."""
    async with anyio.create_task_group() as group:

        async def wait(fd: int) -> None:
            await anyio.wait_readable(fd)
            group.cancel_scope.cancel()

        for fd in fds:
            group.start_soon(wait, fd)
