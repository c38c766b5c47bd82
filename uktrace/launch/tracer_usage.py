"""uktrace's own CPU over a run, and over the seconds its guests booted: what it took from them.

uktrace runs on the CPUs its guests boot on. Whatever CPU it uses while they boot is CPU they do
not get when the host is saturated (under TCG, a few guests on a small host already are), so its
share of the host's CPUs over that window bounds what it can have taken from them. The process's
CPU clock (every thread: the event loop, the recording writer, the reaper) is read at the run's
start, as each guest starts booting and as each ends: a clock read, no /proc.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass

from ..model.shapes.recording import TracerBooting
from .tracer_policy import wait_per_wake_ns


def host_cpus() -> int:
    """The CPUs this process (and the guests it starts) may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass
class TracerUsage:
    """uktrace's CPU seconds where a run's count starts (`now`, or zero for the process's start),
    and (host ns, CPU s) as its first guest started and as its last one ended."""

    start_user: float
    start_system: float
    first: tuple[int, float] | None = None
    last: tuple[int, float] | None = None
    running: int = 0
    """Guests started and not yet ended."""
    policy: str = "normal"
    """The event loop thread's scheduling policy during the run (`launch.tracer_policy`)."""
    waits: tuple[tuple[int, int], tuple[int, int]] | None = None
    """(ns waited for a CPU, times run) of the event loop's thread at the window's opening and
    latest close: how late its wake-ups came while the guests booted."""

    @classmethod
    def now(cls) -> TracerUsage:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(usage.ru_utime, usage.ru_stime)

    def booting(self) -> None:
        """A guest was let go (or spawned, without a gate): the window opens at the first."""
        self.running += 1
        if self.first is None:
            self.first = (time.monotonic_ns(), time.process_time())
            waited = wait_per_wake_ns()
            self.waits = None if waited is None else (waited, waited)

    def ended(self, at: tuple[int, float] | None = None) -> None:
        """A guest's VMM exited: the window closes at the last. `at`: (host ns, uktrace's CPU
        seconds) read as its exit was seen, when uktrace held the guest long after it (`Guest.held`):
        the window closes there, not after the wait."""
        self.running = max(0, self.running - 1)
        if self.first is not None:
            end = (time.monotonic_ns(), time.process_time()) if at is None else at
            if self.last is None or end[0] >= self.last[0]:
                self.last = end
            waited = wait_per_wake_ns()
            if self.waits is not None and waited is not None:
                self.waits = (self.waits[0], waited)

    def booting_window(self, cpus: int | None = None) -> tuple[float, float, float] | None:
        """(seconds, uktrace's CPU seconds in them, their share of the host's CPUs), or None before
        a guest started and ended."""
        if self.last is None:
            return None
        return self._window(self.last, cpus)

    def _window(self, end: tuple[int, float], cpus: int | None) -> tuple[float, float, float] | None:
        """The window from the first guest's start to `end` (host ns, CPU s)."""
        if self.first is None or end[0] <= self.first[0]:
            return None
        seconds = (end[0] - self.first[0]) / 1e9
        cpu = max(0.0, end[1] - self.first[1])
        return seconds, cpu, cpu / (seconds * (cpus or host_cpus()))

    def summary(self) -> TracerBooting | None:
        """The booting window as the JSON (`summary.tracer.booting`) and the recording (session.json
        `tracer`) keep it; None before a guest started and ended."""
        window = self.booting_window()
        if window is None:
            return None
        seconds, cpu, share = window
        wait, wakeups = self.wait_per_wake_s(), self.wakeups_per_s()
        return {
            "window_s": round(seconds, 6),
            "cpu_s": round(cpu, 4),
            "cpus": host_cpus(),
            "share": round(share, 5),
            "wait_per_wake_s": None if wait is None else round(wait, 6),
            "wakeups_per_s": None if wakeups is None else round(wakeups, 1),
        }

    def wait_per_wake_s(self) -> float | None:
        """The event loop's mean wait for a CPU per wake-up in the window: how late, on average, a
        console chunk was read for want of a CPU (None before a guest ended, or without schedstat)."""
        if self.waits is None:
            return None
        (wait0, runs0), (wait1, runs1) = self.waits
        return (wait1 - wait0) / (runs1 - runs0) / 1e9 if runs1 > runs0 else None

    def wakeups_per_s(self) -> float | None:
        """The event loop's wake-ups a second in the window (the times its thread was run on a CPU:
        it sleeps between console reads): how often uktrace's presence alone disturbed the guests'
        scheduling, what the observer check's waker stands for (`launch.waker`)."""
        window = self.booting_window()
        if self.waits is None or window is None:
            return None
        (_, runs0), (_, runs1) = self.waits
        return (runs1 - runs0) / window[0]

    def share_so_far(self, cpus: int | None = None) -> float | None:
        """The booting window's share while it is open (up to now), and once every guest ended, up
        to the last exit: what a live view shows; None before the first guest started."""
        ended = self.last if self.running == 0 else None
        window = self._window(ended or (time.monotonic_ns(), time.process_time()), cpus)
        return None if window is None else window[2]

    def run_cpu(self) -> tuple[float, float]:
        """(user, system) CPU seconds since `start_user` and `start_system` were read (zero: since
        the process started)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return max(0.0, usage.ru_utime - self.start_user), max(0.0, usage.ru_stime - self.start_system)
