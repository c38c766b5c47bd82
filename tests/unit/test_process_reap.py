"""An exited QEMU's status, whatever order the reaper thread and the event loop run in."""

from __future__ import annotations

import os
import time

import anyio
import pytest

from uktrace.launch.process import GuestProcess

pytestmark = pytest.mark.anyio


def released(pid: int) -> bool:
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return False


async def test_a_poll_after_the_reaper_released_it_still_has_the_status() -> None:
    """On a loaded host the reaper thread can release the zombie long before `wait` resumes; a
    `poll` in between (the halt grace, `stop`) found no child and raised ChildProcessError."""
    process = GuestProcess(["sh", "-c", "exit 3"])
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(process.wait)
            with anyio.fail_after(30):
                while process.exited_ns is None:  # `wait` saw it exit and handed it to the reaper
                    await anyio.sleep(0.01)
            deadline = time.monotonic() + 30
            while not released(process.pid) and time.monotonic() < deadline:
                time.sleep(0.01)  # the event loop held: `wait` cannot resume meanwhile
            assert released(process.pid)
            assert process.poll() == 3
        assert await process.wait() == 3
    finally:
        process.close()
