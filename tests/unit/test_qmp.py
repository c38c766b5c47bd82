"""The start gate's monitor socket: uktrace listens, QEMU connects, so uktrace waits on descriptors
(the connection, the process's exit) and never retries on a timer; the socket goes when it is done."""

from __future__ import annotations

import errno
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from tests.loop_turns import CountingSelector, run_counting
from uktrace.launch.process import GuestProcess
from uktrace.launch.qmp import QmpError

WAKE_UPS = 25
"""Loop turns a wait woken by its descriptors takes, whatever its length, with room to spare (it
takes about ten); retrying every 5 ms, the half second below took a hundred."""


@pytest.fixture
def sockets() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="uktrace-test-qmp-", dir="/tmp") as directory:  # a socket's path is short
        yield Path(directory)


def test_a_qemu_that_exits_without_connecting_is_seen_at_its_exit_not_polled_for(sockets: Path) -> None:
    path = sockets / "1.1.sock"

    async def main(selector: CountingSelector) -> int:
        process = GuestProcess(["sh", "-c", "sleep 0.5; exit 1"], monitor=path)
        try:
            assert stat.S_ISSOCK(path.stat().st_mode)  # listened on before the process started
            before = selector.turns
            with pytest.raises(QmpError, match="QEMU exited before its monitor was ready"), anyio.fail_after(30):
                await process.monitor()
            turns = selector.turns - before
            assert not path.exists()
            assert await process.wait() == 1
        finally:
            process.close()
        return turns

    assert run_counting(main) <= WAKE_UPS


def test_a_guest_stopped_before_its_gate_leaves_no_socket(sockets: Path) -> None:
    path = sockets / "1.1.sock"
    process = GuestProcess(["sh", "-c", "exit 0"], monitor=path)
    assert anyio.run(process.wait) == 0
    assert path.exists()
    process.close()
    assert not path.exists()


def test_a_socket_that_cannot_be_listened_on_starts_nothing(sockets: Path) -> None:
    path = sockets / "taken"
    path.touch()
    marker = sockets / "started"
    with pytest.raises(OSError) as raised:
        GuestProcess(["touch", str(marker)], monitor=path)
    assert raised.value.errno == errno.EADDRINUSE
    assert not marker.exists()
