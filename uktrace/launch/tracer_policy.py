"""uktrace's event loop yields to its guests: it reads their consoles without preempting them.

Every console chunk wakes uktrace, and Linux lets a task that wakes preempt the one running on its
CPU, which is, most often, the QEMU that just wrote (the waker). So each line a guest printed cost
that guest a trip off its CPU and back: the phases that print the most read slower traced.
Measured on 2 cores (test guest, 3 runs each): at 50 guests `bus_probe` p50 25-36 ms and total
2.72-3.13 s at the ordinary policy, 1.4-11.6 ms and 2.27-2.48 s at the batch policy; at 100,
total 6.95-8.02 s against 6.52-6.74 s. At `SCHED_BATCH` uktrace keeps its fair share of the CPUs
but never preempts on waking: it runs at the next scheduling point (a tick at most) when every CPU
is busy, at once when one is idle. Its arrival stamps can be that much later on a saturated host,
which uktrace measures (`wait_per_wake_ms`, its thread's scheduler delay per wake-up).

Only the event loop's thread (and the threads it starts later: the recorder, the reaper) take it;
the guests' session leader sets the ordinary policy back for itself and every QEMU
(`session_leader.py`), so the guests run exactly as they would without uktrace.
`--guest-priority low` does the opposite (the guests at the idle policy, uktrace first): there
uktrace keeps the ordinary policy.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

BATCH = "batch"
NORMAL = "normal"


def policy() -> str:
    """This thread's policy as the JSON names it: `batch`, `normal`, or the kernel's number."""
    try:
        current = os.sched_getscheduler(0)
    except (OSError, AttributeError):
        return NORMAL
    return {os.SCHED_BATCH: BATCH, os.SCHED_OTHER: NORMAL}.get(current, str(current))


@contextlib.contextmanager
def yielding(enabled: bool = True) -> Iterator[str]:
    """This thread at `SCHED_BATCH` for the block (its previous policy after), where the host
    allows it; yields the policy it ran at."""
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield policy()
        return
    try:
        before = os.sched_getscheduler(0)
        previous = os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (OSError, AttributeError):  # a host (or seccomp profile) that refuses: the ordinary policy
        yield policy()
        return
    try:
        yield BATCH
    finally:
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, before, previous)


def wait_per_wake_ns() -> tuple[int, int] | None:
    """(ns this thread waited for a CPU, times it was run) so far, from `/proc/thread-self/schedstat`;
    None without schedstat. Their changes over a run say how late its wake-ups came."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as schedstat:
            fields = schedstat.read().split()
        return int(fields[1]), int(fields[2])
    except (OSError, ValueError, IndexError):
        return None
