"""The start gate's monitor with a real QEMU: it connects to the socket uktrace listens on, answers
while paused, boots on `cont`; and uktrace's loop is woken by that connection, not by a retry timer,
however long QEMU takes to get there."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import replace
from pathlib import Path

import anyio

from tests.loop_turns import CountingSelector, run_counting
from uktrace.launch.options import RunOptions, prepare
from uktrace.launch.qemu import guest_exit_code, qemu_argv
from uktrace.launch.spawner import Spawner
from uktrace.parsers import ConsoleParser

WAKE_UPS = 40
"""Loop turns from the spawn to the negotiated monitor, whatever QEMU's start takes (about a
dozen: the accept, the greeting, the answer); a retry every 5 ms took a hundred in the half second
QEMU is held below, and more while it started."""


def test_a_paused_qemu_slow_to_start_is_awaited_then_released() -> None:
    specs, shares = prepare(RunOptions(count=1))
    with tempfile.TemporaryDirectory(prefix="uktrace-test-gate-", dir="/tmp") as sockets:
        socket = Path(sockets) / "1.1.sock"
        spec = replace(specs[0], qmp_socket=socket)
        argv = ["sh", "-c", 'sleep 0.5; exec "$@"', "sh", *qemu_argv(spec)]  # the same QEMU, half a second late

        async def main(selector: CountingSelector) -> tuple[int, int, bytes, int]:
            spawner = Spawner(nice=None)  # as the fleet starts guests: in the guests' session
            try:
                process = await spawner.spawn(argv, dict(os.environ), monitor=socket)
                try:
                    before = selector.turns
                    with anyio.fail_after(60):
                        monitor = await process.monitor()
                    turns = selector.turns - before
                    early = b""
                    with contextlib.suppress(BlockingIOError):  # paused: nothing printed yet
                        early = process.console_read_nowait()
                    await monitor.execute("cont")
                    await monitor.close()
                    console = b""
                    with anyio.fail_after(60):
                        while data := await process.read_console():
                            console += data
                        status = await process.wait()
                finally:
                    with anyio.CancelScope(shield=True):
                        await process.stop()
                    process.close()
            finally:
                spawner.close()
            return turns, len(early), console, status

        try:
            turns, early, console, status = run_counting(main)
        finally:
            shares.cleanup()
        assert not socket.exists()  # closed and removed once QEMU connected
    assert turns <= WAKE_UPS
    assert early == 0
    assert guest_exit_code(status, debug_exit=True) == 0
    records = ConsoleParser().feed(console, 0)
    assert any(record.kind != "other" for record in records)  # it booted and talked
