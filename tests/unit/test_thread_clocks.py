"""A process's thread clocks read in place: a thread that starts later is found (the thread count
changed), one that ends is left out, a process that is gone reads as None, and every file is closed."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from uktrace.launch.thread_clocks import ThreadClocks

CHILD = """
import sys, threading, time
def spin():
    while time.thread_time() < 0.2:
        pass
sys.stdin.readline()  # go: start a thread that spins, then ends
worker = threading.Thread(target=spin)
worker.start()
print("started", flush=True)
worker.join()
print("ended", flush=True)
sys.stdin.readline()
"""


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_threads_come_and_go() -> None:
    before = open_fds()
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    clocks = ThreadClocks(child.pid)
    try:
        first = clocks.read()
        assert first is not None and list(first) == [str(child.pid)]
        child.stdin.write(b"go\n")
        child.stdin.flush()
        assert child.stdout.readline() == b"started\n"
        during = clocks.read()
        assert during is not None and len(during) == 2  # the new thread, found by the count
        assert child.stdout.readline() == b"ended\n"
        deadline = time.monotonic() + 10
        after = clocks.read()
        while (after is None or len(after) != 1) and time.monotonic() < deadline:
            time.sleep(0.01)
            after = clocks.read()
        assert after is not None and list(after) == [str(child.pid)]
        assert after[str(child.pid)][0] >= first[str(child.pid)][0]
        child.stdin.write(b"bye\n")
        child.stdin.flush()
        child.wait(10)
        assert clocks.read() is None  # reaped: nothing to read
    finally:
        clocks.close()
        child.kill()
        child.wait()
        for pipe in (child.stdin, child.stdout):
            if pipe is not None:
                pipe.close()
    assert open_fds() == before
