"""Where a phase's wall time went: on a CPU, waiting for one, or neither (paused, blocked).

CPU and wait are thread-seconds summed over QEMU's threads (its vCPU and its main loop may both
be runnable), so they are compared with each other (`wait_share`), not with the wall time.

The fleet notes QEMU's scheduler accounting whenever it sees a phase begin (`CpuMark`); the
difference between consecutive marks is what QEMU got during that phase, on the same host clock
as the phase's wall time. Under a boot storm this is the answer the guests' stamps cannot give:
"firmware took 2.3 s, of which QEMU ran 0.2 s and waited 1.9 s for a CPU".
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model.guest import CpuMark, Guest

if TYPE_CHECKING:
    from ..model.shapes import bench as bench_shape
    from ..model.shapes import run as shape


@dataclass(frozen=True, slots=True)
class PhaseCpu:
    """Seconds of one phase of one guest (summed over QEMU's threads for `cpu_s` and `wait_s`)."""

    wall_s: float
    cpu_s: float
    wait_s: float | None
    """None when the kernel does not say (no schedstat), or for the phase the process exit ended."""

    def as_dict(self) -> shape.PhaseUsage:
        return {
            "wall_s": round(self.wall_s, 6),
            "cpu_s": round(self.cpu_s, 6),
            "wait_s": None if self.wait_s is None else round(self.wait_s, 6),
        }


def phase_cpu(guest: Guest) -> dict[str, PhaseCpu]:
    """Per phase the tracer saw begin, its wall, CPU and wait time: from its mark to the next one,
    the last one until the process exit (its CPU from the exit status, its wait unknown)."""
    return marks_to_phases(guest.cpu_marks, guest.exit_ns, guest.cpu_total_ns)


def marks_to_phases(marks: Sequence[CpuMark], exit_ns: int | None, total_ns: int | None) -> dict[str, PhaseCpu]:
    result: dict[str, PhaseCpu] = {}
    for mark, following in itertools.pairwise(marks):
        wait = None
        if mark.waiting_ns is not None and following.waiting_ns is not None:
            wait = (following.waiting_ns - mark.waiting_ns) / 1e9
        result[mark.phase] = PhaseCpu(
            (following.host_ns - mark.host_ns) / 1e9, (following.on_cpu_ns - mark.on_cpu_ns) / 1e9, wait
        )
    if marks and exit_ns is not None and total_ns is not None:
        last = marks[-1]
        result[last.phase] = PhaseCpu((exit_ns - last.host_ns) / 1e9, max(0, total_ns - last.on_cpu_ns) / 1e9, None)
    return result


@dataclass(frozen=True, slots=True)
class CpuShare:
    """One phase summed over guests: how much of its wall time QEMU ran, and waited for a CPU."""

    guests: int
    wall_s: float
    cpu_s: float
    wait_s: float | None

    @property
    def cpu_share(self) -> float | None:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else None

    @property
    def wait_share(self) -> float | None:
        """Of the time QEMU's threads were runnable (on a CPU or queued for one), the share spent
        queued: 0 on an idle host, near 1 in a boot storm. Thread-seconds on both sides, so a
        multi-threaded QEMU cannot push it past 1."""
        if self.wait_s is None or self.cpu_s + self.wait_s <= 0:
            return None
        return self.wait_s / (self.cpu_s + self.wait_s)

    def as_dict(self) -> bench_shape.CpuShare:
        return {
            "guests": self.guests,
            "wall_s": round(self.wall_s, 6),
            "cpu_s": round(self.cpu_s, 6),
            "wait_s": None if self.wait_s is None else round(self.wait_s, 6),
            "cpu_share": None if self.cpu_share is None else round(self.cpu_share, 4),
            "wait_share": None if self.wait_share is None else round(self.wait_share, 4),
        }


def cpu_shares(per_guest: Iterable[dict[str, PhaseCpu]]) -> dict[str, CpuShare]:
    """Per phase, summed over guests (a wait share only over guests whose wait is known)."""
    sums: dict[str, list[float]] = {}
    waits: dict[str, list[float]] = {}
    for phases in per_guest:
        for name, usage in phases.items():
            wall, cpu, count = sums.setdefault(name, [0.0, 0.0, 0])
            sums[name] = [wall + usage.wall_s, cpu + usage.cpu_s, count + 1]
            if usage.wait_s is not None:
                known = waits.setdefault(name, [0.0, 0.0])
                known[0] += usage.wait_s
                known[1] += usage.wall_s
    result = {}
    for name, (wall, cpu, count) in sums.items():
        wait = None
        if name in waits and waits[name][1] > 0:
            # scale the known waits to the phase's whole wall time (guests whose wait is unknown)
            wait = waits[name][0] * wall / waits[name][1]
        result[name] = CpuShare(int(count), wall, cpu, wait)
    return result
