"""A thread that only wakes up, as often as uktrace does: uktrace's presence without its work.

A traced run wakes uktrace's event loop at console chunks (each console rests 1 ms after a read,
and one wake-up reads every console with bytes): measured on the test guest on 2 cores, about 190
times a second at 10 guests and 230-240 at 50 and 100 (`summary.tracer.booting.wakeups_per_s`); an
unobserved run wakes almost never. On some hosts that alone changes how fast contended
guests boot (a kernel that ticks at 250 Hz without preemption lets a spinning QEMU keep its CPU
until something else wakes up: `docs/observer.md`), whatever uktrace does with its CPU. The
observer check runs each cell unobserved once more beside this thread, so that the tracer's effect
splits into what its wake-ups alone do and what its work does beyond them.
"""

from __future__ import annotations

import contextlib
import os
import threading

INTERVAL_S = 0.004
"""The sleep when no traced run of the cell has said how often uktrace woke (`observer.waker_interval`
uses theirs): 250 wake-ups a second, about what uktrace's loop does at 50 and 100 guests."""


class Waker:
    """Sleeps `interval_s` and wakes again, doing nothing else, from `__enter__` to `__exit__`; at
    the batch policy, as uktrace's loop while guests boot (`launch.tracer_policy`)."""

    def __init__(self, interval_s: float = INTERVAL_S) -> None:
        self.interval_s = interval_s
        self.wakes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="uktrace-waker", daemon=True)

    def _run(self) -> None:
        if hasattr(os, "SCHED_BATCH"):
            with contextlib.suppress(OSError):  # a policy refused is only a waker at the ordinary one
                os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        while not self._stop.wait(self.interval_s):
            self.wakes += 1

    def __enter__(self) -> Waker:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
