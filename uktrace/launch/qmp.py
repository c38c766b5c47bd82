"""Just enough QMP (QEMU's JSON monitor protocol) to release paused guests together.

QEMU started with `-S` builds the whole machine, then waits with its vCPU stopped. Once every
guest of a wave is ready, `cont` goes to all of them back to back: N guests really start at
once, which a loop of process spawns never achieves on a loaded host (kraft uses the same
`-S` + `cont`). Sockets live in a short temporary directory: unix socket paths are limited to
108 bytes, recording directories are not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

CONNECT_RETRY_S = 0.005


class QmpError(Exception):
    """QEMU closed the monitor or answered with an error."""


class Qmp:
    """One monitor connection: capabilities negotiated, ready for commands."""

    def __init__(self, stream: anyio.abc.SocketStream) -> None:
        self._stream = stream
        self._buffer = b""

    @classmethod
    async def connect(cls, path: Path, alive: Any) -> Qmp:
        """Connect once QEMU has created the socket; `alive()` False stops the wait (QEMU died).
        Until the socket's file exists, a stat is all each retry costs: a connection attempt (a
        socket made, refused and closed) every 5 ms while a hundred QEMUs started took ~1 s of
        uktrace's CPU."""
        while True:
            try:
                if path.exists():
                    stream = await anyio.connect_unix(path)
                    break
            except (FileNotFoundError, ConnectionRefusedError):
                pass
            if not alive():
                raise QmpError("QEMU exited before its monitor was ready")
            await anyio.sleep(CONNECT_RETRY_S)
        qmp = cls(stream)
        greeting = await qmp._message()
        if "QMP" not in greeting:
            raise QmpError(f"not a QMP greeting: {greeting}")
        await qmp.execute("qmp_capabilities")
        return qmp

    async def execute(self, command: str) -> Any:
        await self._stream.send(json.dumps({"execute": command}).encode() + b"\n")
        while True:
            message = await self._message()
            if "return" in message:
                return message["return"]
            if "error" in message:
                raise QmpError(f"{command}: {message['error'].get('desc', message['error'])}")
            # asynchronous events (RESUME, ...) may come first: not what we wait for

    async def close(self) -> None:
        await self._stream.aclose()

    async def _message(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            try:
                data = await self._stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                raise QmpError("QEMU closed its monitor") from None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message
