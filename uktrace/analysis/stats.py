"""Boot-time statistics across guests: per phase and for boot / mount / main / ready / total, each figure
on the clock that can see it (see `uktrace.model.timeline`), and saying which.

Percentiles are nearest-rank (a value some guest actually had). The confidence interval of the
median is distribution-free (order statistics of the binomial, scipy's `quantile_test`): boot
times are skewed and often bimodal under load, so no normal approximation.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from uktrace.parsers.phases import PHASES

from ..model.clock_rate import CORRECTED
from ..model.timeline import BootTimeline

PART_CORRECTED = "guest (part corrected)"
"""A distribution over guests of which some had a skewed clock, corrected, and some not."""
FIGURES = ("boot", "mount", "main", "ready", "total")
"""The figures users compare per guest (`ready` only with `--ready REGEX`)."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seconds across guests (or boots), and the clock(s) they were read on."""

    count: int
    p50: float
    p95: float
    max: float
    min: float
    mean: float
    stdev: float
    """Sample standard deviation; 0 for a single value."""
    p90: float
    p99: float
    clock: str = "host"
    """`host`, `guest`, or `guest+host` when guests differ (each figure used the clock that saw it)."""

    def as_dict(self) -> dict[str, float | int | str]:
        return {k: round(v, 6) if isinstance(v, float) else v for k, v in asdict(self).items()}


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (the value a guest actually had, never an interpolation)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def distribution(values: Iterable[float | None], clocks: Iterable[str] = ()) -> Distribution | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    return Distribution(
        count=len(known),
        p50=percentile(known, 0.5),
        p95=percentile(known, 0.95),
        max=known[-1],
        min=known[0],
        mean=statistics.fmean(known),
        stdev=statistics.stdev(known) if len(known) > 1 else 0.0,
        p90=percentile(known, 0.90),
        p99=percentile(known, 0.99),
        clock=clock_label(clocks) or "host",
    )


def clock_label(clocks: Iterable[str]) -> str | None:
    """`guest`, `host`, `guest+host` (mixed), `guest (corrected)` (every guest clock was skewed and
    its figures divided by its rate, `model.clock_rate`), `guest (part corrected)` (some were), or
    None when nothing was measured."""
    seen = set(clocks)
    if "guest" in seen and CORRECTED in seen:
        seen -= {"guest", CORRECTED}
        seen.add(PART_CORRECTED)
    return "+".join(sorted(seen)) if seen else None


def clock_words(label: str) -> str:
    """A clock label in a sentence: `host clock`, `guest clock, corrected`, `guest clock, part
    corrected`, `guest+host clocks`."""
    if label == CORRECTED:
        return "guest clock, corrected"
    if label.startswith(PART_CORRECTED):
        return "guest clock, part corrected" + ("" if label == PART_CORRECTED else ", and host clock")
    return f"{label} clocks" if "+" in label else f"{label} clock"


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free confidence interval for the median; None with fewer than 6 values
    (5 values cannot bound the median at 95 %)."""
    if len(values) < 6:
        return None
    from scipy.stats import quantile_test

    interval = quantile_test(sorted(values), q=statistics.median(values), p=0.5).confidence_interval(confidence)
    low, high = float(interval.low), float(interval.high)
    return None if math.isnan(low) or math.isnan(high) else (low, high)


@dataclass(frozen=True, slots=True)
class GuestTimes:
    """The figures users compare, per guest (seconds), each with its clock."""

    boot: float | None
    """Spawn (or first line) until main starts, the wait at the start gate left out (host clock)."""
    mount: float | None
    main: float | None
    total: float | None
    """Spawn until the process exited, the gate wait left out (the log's span for a parsed log)."""
    clocks: dict[str, str]
    """Per figure, the clock it was read on."""
    ready: float | None = None
    """Main's start until the application's ready line (`--ready REGEX`): the `ready` phase."""

    def figure(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def as_dict(self) -> dict[str, object]:
        return {name: self.figure(name) for name in FIGURES} | {"clocks": dict(self.clocks)}


def guest_times(timeline: BootTimeline, wall: float | None = None) -> GuestTimes:
    """boot and total on the host clock (what a user waits for; the guest clock starts late; a log
    without a spawn: the guest's, corrected where it ran skewed), mount, main and ready on their
    phase's clock."""
    phases = {phase.name: phase for phase in timeline.phases()}
    main = phases.get("main")
    mount = phases.get("mount")
    ready = phases.get("ready")
    host = timeline.spawn_ns is not None
    # a log without a spawn: its own clock, divided by its rate where it ran skewed
    rate = None if host or not phases else timeline.guest_clock().correction
    wide = "host" if host else "guest" if rate is None else CORRECTED
    boot = None
    if main is not None:
        boot = main.host_start if host else main.guest_start
    total = wall
    if total is None and phases:
        ends = [p.host_end if host else p.guest_end for p in phases.values()]
        known = [end for end in ends if end is not None]
        total = max(known) if known else None
    if rate is not None:
        boot = None if boot is None else boot / rate
        total = None if total is None else total / rate
    gate = phases.get("gate")
    waited = gate.host_duration if gate is not None and gate.host_duration is not None else 0.0
    # waiting for the rest of the wave is the gate's doing, not the guest's boot
    boot = None if boot is None else boot - waited
    total = None if total is None else total - waited
    clocks = {"boot": wide, "total": wide}
    if mount is not None:
        clocks["mount"] = mount.clock
    if main is not None:
        clocks["main"] = main.clock
    if ready is not None:
        clocks["ready"] = ready.clock
    return GuestTimes(
        boot=boot,
        mount=mount.duration if mount else None,
        main=main.duration if main else None,
        total=total,
        clocks=clocks,
        ready=ready.duration if ready else None,
    )


def phase_distributions(timelines: Iterable[BootTimeline]) -> dict[str, Distribution]:
    """Per canonical phase, the distribution of its duration (on its clock) over the guests that had it."""
    durations: dict[str, list[float | None]] = {name: [] for name in PHASES}
    clocks: dict[str, Counter[str]] = {name: Counter() for name in PHASES}
    for timeline in timelines:
        for phase in timeline.phases():
            duration = phase.duration
            durations[phase.name].append(duration)
            if duration is not None:
                clocks[phase.name][phase.clock] += 1
    result = {}
    for name in PHASES:
        dist = distribution(durations[name], clocks[name])
        if dist is not None:
            result[name] = dist
    return result


def figure_distributions(times: Sequence[GuestTimes]) -> dict[str, Distribution | None]:
    """boot / mount / main / ready / total across guests."""
    return {
        name: distribution(
            (t.figure(name) for t in times), (t.clocks[name] for t in times if t.figure(name) is not None)
        )
        for name in FIGURES
    }
