"""Boot-time statistics across guests: per phase and per guest, on the host clock where known."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from parsers.phases import PHASES

from ..model.timeline import BootTimeline


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seconds across guests."""

    count: int
    p50: float
    p95: float
    max: float
    min: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in self._asdict().items()}

    def _asdict(self) -> dict[str, float | int]:
        return {
            "count": self.count,
            "p50": self.p50,
            "p95": self.p95,
            "max": self.max,
            "min": self.min,
            "mean": self.mean,
        }


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (the value a guest actually had, never an interpolation)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def distribution(values: Iterable[float | None]) -> Distribution | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    return Distribution(
        len(known), percentile(known, 0.5), percentile(known, 0.95), known[-1], known[0], sum(known) / len(known)
    )


@dataclass(frozen=True, slots=True)
class GuestTimes:
    """The four figures users compare, per guest (seconds; host clock when there is one)."""

    boot: float | None
    """Spawn (or first line) until main starts, the wait at the start gate left out."""
    mount: float | None
    main: float | None
    total: float | None
    """Spawn until the process exited, the gate wait left out (the log's span for a parsed log)."""
    clock: str


def guest_times(timeline: BootTimeline, wall: float | None = None) -> GuestTimes:
    phases = {phase.name: phase for phase in timeline.phases()}
    main = phases.get("main")
    mount = phases.get("mount")
    clock = "host" if timeline.spawn_ns is not None else "guest"
    boot = None
    if main is not None:
        boot = main.host_start if clock == "host" else main.guest_start
    total = wall
    if total is None and phases:
        ends = [p.end for p in phases.values() if p.end is not None]
        total = max(ends) if ends else None
    gate = phases.get("gate")
    waited = gate.duration if gate is not None and gate.duration is not None else 0.0
    # waiting for the rest of the wave is the gate's doing, not the guest's boot
    boot = None if boot is None else boot - waited
    total = None if total is None else total - waited
    return GuestTimes(
        boot=boot,
        mount=mount.duration if mount else None,
        main=main.duration if main else None,
        total=total,
        clock=clock,
    )


def phase_distributions(timelines: Iterable[BootTimeline]) -> dict[str, Distribution]:
    """Per canonical phase, the distribution of its duration over the guests that had it."""
    durations: dict[str, list[float | None]] = {name: [] for name in PHASES}
    for timeline in timelines:
        for phase in timeline.phases():
            durations[phase.name].append(phase.duration)
    result = {}
    for name in PHASES:
        dist = distribution(durations[name])
        if dist is not None:
            result[name] = dist
    return result
