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

BATCH = "batch"
NORMAL = "normal"


def policy() -> str:
    """This thread's policy as the JSON names it: `batch`, `normal`, or the kernel's number."""
    try:
        current = os.sched_getscheduler(0)
    except (OSError, AttributeError):
        return NORMAL
    return {os.SCHED_BATCH: BATCH, os.SCHED_OTHER: NORMAL}.get(current, str(current))


class Yielding:
    """This thread at `SCHED_BATCH` for a block (its previous policy after), where the host allows
    it, but for the moments it must come first (`prompt`/`resume`): releasing a wave of guests,
    which would otherwise wait behind the guests released first (100 guests started within 67 ms
    once, 4-13 ms other times)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.name = policy()
        """The policy the block runs at, as the JSON names it."""
        self._before: tuple[int, os.sched_param] | None = None

    def __enter__(self) -> Yielding:
        if not self.enabled:
            return self
        try:
            self._before = (os.sched_getscheduler(0), os.sched_getparam(0))
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        except (OSError, AttributeError):  # a host (or seccomp profile) that refuses: the ordinary policy
            self._before = None
            return self
        self.name = BATCH
        return self

    def __exit__(self, *_: object) -> None:
        self.prompt()
        self._before = None

    def prompt(self) -> None:
        """Back to the policy before the block, until `resume`."""
        if self._before is not None:
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, *self._before)

    def resume(self) -> None:
        """Yield to the guests again (after `prompt`)."""
        if self._before is not None:
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def wait_per_wake_ns() -> tuple[int, int] | None:
    """(ns this thread waited for a CPU, times it was run) so far, from `/proc/thread-self/schedstat`;
    None without schedstat. Their changes over a run say how late its wake-ups came."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as schedstat:
            fields = schedstat.read().split()
        return int(fields[1]), int(fields[2])
    except (OSError, ValueError, IndexError):
        return None
