"""Boot-time statistics across guests: per phase and for boot / mount / main / ready / total, each figure
on the clock that can see it (see `uktrace.model.timeline`), and saying which. What each figure
spans, which guests count and how a percentile is taken: `uktrace.analysis.figures`.

The confidence interval of the median is distribution-free (order statistics of the binomial,
scipy's `quantile_test`): boot times are skewed and often bimodal under load, so no normal
approximation.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from uktrace.parsers.phases import PHASES

from ..model.clock_rate import CORRECTED
from .figures import Reading, median, percentile

if TYPE_CHECKING:
    from ..model.shapes import run as shape

PART_CORRECTED = "guest (part corrected)"
"""A distribution over guests of which some had a skewed clock, corrected, and some not."""


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

    def as_dict(self) -> shape.Distribution:
        return {
            "count": self.count,
            "p50": round(self.p50, 6),
            "p95": round(self.p95, 6),
            "max": round(self.max, 6),
            "min": round(self.min, 6),
            "mean": round(self.mean, 6),
            "stdev": round(self.stdev, 6),
            "p90": round(self.p90, 6),
            "p99": round(self.p99, 6),
            "clock": self.clock,
        }


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

    interval = quantile_test(sorted(values), q=median(values), p=0.5).confidence_interval(confidence)
    low, high = float(interval.low), float(interval.high)
    return None if math.isnan(low) or math.isnan(high) else (low, high)


def distributions(readings: Iterable[Mapping[str, Reading]], names: Sequence[str] = PHASES) -> dict[str, Distribution]:
    """Per name (the phases in boot order by default, or `FIGURES`), the distribution of the
    guests' readings (`figures.readings`: what counts across guests) over the guests that have one."""
    values: dict[str, list[float]] = {name: [] for name in names}
    clocks: dict[str, list[str]] = {name: [] for name in names}
    for counted in readings:
        for name in names:
            reading = counted.get(name)
            if reading is not None:
                values[name].append(reading[0])
                clocks[name].append(reading[1])
    result = {}
    for name in names:
        dist = distribution(values[name], clocks[name])
        if dist is not None:
            result[name] = dist
    return result
