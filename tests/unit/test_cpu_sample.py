"""QEMU's CPU accounting as the fleet reads it, on a real process whose worker thread ends."""

from __future__ import annotations

import contextlib
import sys
import time

import anyio
import pytest

from uktrace.launch.process import GuestProcess

WORKER = """
import threading, time
def spin():
    while time.thread_time() < 0.4:  # CPU time: a loaded host stretches the wall time, not this
        pass
worker = threading.Thread(target=spin)
worker.start()
worker.join()
print("worker done", flush=True)
time.sleep(30)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_thread_that_ends_gives_no_mark_and_sums_never_go_back() -> None:
    process = GuestProcess([sys.executable, "-c", WORKER])
    try:
        deadline = time.monotonic() + 30
        during = process.cpu_sample()
        while (during is None or during[0] <= 0.05e9) and time.monotonic() < deadline:
            time.sleep(0.02)
            during = process.cpu_sample()
        assert during is not None and during[0] > 0.05e9  # the worker has spun a while
        console = b""
        deadline = time.monotonic() + 30
        while b"worker done" not in console and time.monotonic() < deadline:
            time.sleep(0.05)
            with contextlib.suppress(BlockingIOError):
                console += process.console_read_nowait()
        assert b"worker done" in console
        assert process.cpu_sample() is None  # the worker ended in this interval: its tail is unknown
        after = process.cpu_sample()
        assert after is not None and after[0] >= during[0] and (after[1] or 0) >= (during[1] or 0)
    finally:
        anyio.run(process.stop)
        process.close()
    assert process.cpu_total_ns is not None and process.cpu_total_ns >= 0.3e9  # the exit status has it all
