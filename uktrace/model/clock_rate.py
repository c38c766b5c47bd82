"""How fast each guest's clock ran against the host's, and the factor that corrects it.

Why: a Unikraft printk stamp is TSC ticks divided by the frequency the kernel calibrated at boot
against the i8254 PIT (plat/kvm/x86/tscclock.c: channel 0 as a 100 Hz rate generator, a busy-wait
that adds up the down-counter's deltas, one wrap = 10 ms). A vCPU descheduled for more than 10 ms
during that wait misses wraps, counts too little PIT time, overestimates the frequency, and its
clock runs slow by the same factor for the whole boot (`Clock source: TSC, frequency estimate is N
Hz` says so: ~2.6 GHz on this host alone, up to 158 GHz with 100 guests on 2 cores). The TSC itself
runs at a constant rate (under TCG the host's, whatever the vCPU's scheduling), so a stamp divided
by the clock's rate is host time since the kernel's entry: the guest clock stays worth reading, once
corrected.

What is measured, per guest (rate = guest seconds per host second, 1 when right, 0.1 = 10x slow):
* `fit`: Theil-Sen slope (`theil_sen`: scipy's `theilslopes`, its 95 % interval) of guest stamp against host
  arrival, one point per console chunk: the chunk's latest stamp, the line emitted closest to the
  read. Arrival lags emission (the tracer's lag, lines lumped into one read), which a robust slope
  over the boot's span absorbs; a guest whose stamped lines came in one or two reads has no fit.
* `tsc`: the calibration line's estimate N. Every guest of a run shares the host's TSC frequency
  f0, so its rate is f0 / N exactly, also for a guest whose lines came in one read. f0 is pooled
  (`ClockReference`, `pooled`): the median of N x fitted rate over the run's guests with a fit,
  and the median's interval.
The rate is `tsc` when the guest printed N and the run has a reference, else its own fit when that
is known to ±`KNOWN` from `MIN_POINTS` points (or, looser, lies wholly beyond the tolerance: skewed
for sure, corrected by its point estimate, its interval said), else unknown (nothing corrected).

A clock is skewed when its rate is more than `TOLERANCE` from 1 and its interval excludes 1.
A skewed guest's guest-clock figures are divided by the rate and labelled `guest (corrected)`
(`CORRECTED`) rather than read on the host clock: the host clock would bring back what the guest
clock is used to avoid (a 5 ms mount lumped into one read times at 0.0 ms), while the corrected
stamps keep their resolution and are off only by the rate's interval (well under 1 % with `tsc`,
measured on a run of 100 guests). Within the tolerance nothing is corrected: a quiet host's
guests differ from 1 by the calibration's own noise, and their figures stay plain `guest`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .theil_sen import theil_sen

if TYPE_CHECKING:
    from .shapes import timeline as shape

TOLERANCE = 0.05
"""How far from 1 a rate may be before the clock counts as skewed (its interval must exclude 1 too):
well above a calibration's own noise (guests alone on this host printed 2.599-2.609 GHz for a TSC
of ~2.59 GHz: under 1 %), well below what a disturbed one does (5-60x with 50-100 guests)."""
PRECISE = 0.05
"""A fit whose interval is within ± this share of its rate helps pool the run's TSC frequency."""
KNOWN = 0.10
"""A fit whose interval is within ± this share of its rate is the rate of a guest without `tsc`."""
MIN_POINTS = 4
"""Chunk points a fit needs to be used at all (theilslopes' interval means little below)."""
POOL_GUESTS = 5
"""Guests with a fit and an estimate from which the run's TSC frequency is their plain median."""
MAX_POINTS = 128
"""Chunk points kept per guest: beyond, every other one is dropped (the first and latest kept),
so a flooding console costs a bounded list and a fit of ~1 ms."""
CORRECTED = "guest (corrected)"
"""The clock label of a figure read on a skewed guest clock and divided by its rate."""


class ClockSamples:
    """(host ns, latest guest stamp read then) per console chunk, bounded (`MAX_POINTS`)."""

    __slots__ = ("added", "points")

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []
        self.added = 0
        """Chunk points seen in all: grows with the console, drives when to fit again."""

    def add(self, host_ns: int, stamp: float) -> bool:
        """Take a stamped line read at `host_ns`; True when it began a new chunk point."""
        points = self.points
        if points and points[-1][0] == host_ns:
            if stamp > points[-1][1]:
                points[-1] = (host_ns, stamp)
            return False
        points.append((host_ns, stamp))
        self.added += 1
        if len(points) > MAX_POINTS:
            self.points = [*points[:-1:2], points[-1]]
        return True


@dataclass(frozen=True, slots=True)
class RateFit:
    """Theil-Sen slope of guest stamp against host arrival, with its 95 % interval."""

    rate: float
    low: float
    high: float
    points: int
    host_span_s: float
    """Host seconds from the first chunk point to the last."""

    @property
    def half_width(self) -> float:
        """Half the interval, as a share of the rate (inf for a rate of 0 or less)."""
        return (self.high - self.low) / 2 / self.rate if self.rate > 0 else math.inf

    def within(self, share: float) -> bool:
        return self.points >= MIN_POINTS and self.half_width <= share


def fit_rate(points: list[tuple[int, float]]) -> RateFit | None:
    """The fit over `points`; None with fewer than 3 points or no host span."""
    if len(points) < 3:
        return None
    origin = points[0][0]
    host = [(ns - origin) / 1e9 for ns, _ in points]
    if host[-1] <= host[0]:
        return None
    result = theil_sen([stamp for _, stamp in points], host)
    if result is None:
        return None
    rate, low, high = result
    if not all(math.isfinite(v) for v in (rate, low, high)) or rate <= 0:
        return None
    return RateFit(rate, min(low, rate), max(high, rate), len(points), host[-1] - host[0])


class FitSource(Protocol):
    """What the reference reads of a guest (a `BootTimeline` is one)."""

    @property
    def tsc_estimate_hz(self) -> int | None: ...

    def clock_fit(self) -> RateFit | None: ...


@dataclass(frozen=True, slots=True)
class Reference:
    """The run's TSC frequency (Hz), pooled, with its interval and how many guests gave it."""

    hz: float
    low_hz: float
    high_hz: float
    guests: int


class ClockReference:
    """The TSC frequency a run's guests share, pooled from their precise fits (see the module).

    Guests register under their name (a relaunch or a replay's rewind replaces its entry), and the
    reference reads their current fits when asked, so no guest's figures depend on the order in
    which guests were read."""

    def __init__(self) -> None:
        self._guests: dict[str, FitSource] = {}
        self.version = 0
        """Bumped when any guest's evidence changes: the cached reference is recomputed then."""
        self._cached: tuple[int, Reference | None] = (-1, None)

    def register(self, name: str, guest: FitSource) -> None:
        self._guests[name] = guest
        self.version += 1

    def reference(self) -> Reference | None:
        version, cached = self._cached
        if version == self.version:
            return cached
        evidence = [(g.tsc_estimate_hz, g.clock_fit()) for g in list(self._guests.values())]
        fits = [(e, fit) for e, fit in evidence if e and fit is not None and fit.points >= MIN_POINTS]
        found = pooled(fits)
        self._cached = (self.version, found)
        return found


class FixedReference(ClockReference):
    """A TSC frequency known already, whatever the guests registered: an unobserved run's guests
    (no arrival times, so no fits) are read with the one pooled from its traced twin
    (`analysis.observer`)."""

    def __init__(self, known: Reference) -> None:
        super().__init__()
        self._known = known

    def reference(self) -> Reference | None:
        return self._known


def pooled(fits: list[tuple[int, RateFit]]) -> Reference | None:
    """The run's TSC frequency from (estimate, fit) pairs: the median of estimate x rate. From
    `POOL_GUESTS` guests on, over every fit (a fit's point estimate is much better than its own
    interval says: measured, 10 guests whose intervals spanned ±20 % gave products within ±1 %)
    with the median's distribution-free interval (order statistics); below that, over the fits
    within ±`PRECISE` if any, else over all, with the medians of their bounds as the interval."""
    if len(fits) >= POOL_GUESTS:
        products = sorted(estimate * fit.rate for estimate, fit in fits)
        low, high = median_bounds(products)
        return Reference(statistics.median(products), low, high, len(products))
    # fewer guests: the precise fits if any, else every fit with the medians of its loose bounds
    # (3 guests stalled 100 ms each under load: 4 points apiece, intervals of ±50 %, products
    # within 5 % of each other: the point is good, the interval says what is known)
    chosen = [(estimate, fit) for estimate, fit in fits if fit.within(PRECISE)] or fits
    if not chosen:
        return None
    return Reference(
        statistics.median(e * f.rate for e, f in chosen),
        statistics.median(e * f.low for e, f in chosen),
        statistics.median(e * f.high for e, f in chosen),
        len(chosen),
    )


def median_bounds(ordered: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """The order statistics that bound the median with at least `confidence` (the binomial
    sign-test interval), or the whole range when there are too few values for it."""
    n = len(ordered)
    tail = (1 - confidence) / 2
    rank, below = 0, 0.0
    while rank < n // 2:
        below += math.comb(n, rank) / 2**n
        if below > tail:
            break
        rank += 1
    rank = max(rank, 1)
    return ordered[rank - 1], ordered[n - rank]


@dataclass(frozen=True, slots=True)
class GuestClock:
    """One guest's clock against the host's: the rate, how it was known, and whether it is skewed."""

    rate: float | None
    """Guest seconds per host second (0.1: the guest clock ran 10x slow); None when unknown."""
    low: float | None
    high: float | None
    source: str | None
    """`tsc` (the run's TSC frequency / this guest's estimate), `fit` (its own stamps), None."""
    tsc_estimate_hz: int | None
    fit: RateFit | None
    reference: Reference | None

    @property
    def skewed(self) -> bool | None:
        """More than `TOLERANCE` from 1 with the interval excluding 1; None when the rate is unknown."""
        if self.rate is None or self.low is None or self.high is None:
            return None
        return abs(self.rate - 1) > TOLERANCE and not (self.low <= 1 <= self.high)

    @property
    def correction(self) -> float | None:
        """The rate guest-clock figures are divided by: only for a skewed clock."""
        return self.rate if self.skewed else None

    def as_dict(self) -> shape.GuestClock:
        """The JSON's `guest_clock`."""
        fit = self.fit
        reference = self.reference
        return {
            "rate": _round(self.rate),
            "ci": None if self.low is None or self.high is None else [round(self.low, 6), round(self.high, 6)],
            "source": self.source,
            "skewed": self.skewed,
            "corrected": self.correction is not None,
            "tsc_estimate_hz": self.tsc_estimate_hz,
            "fit": None
            if fit is None
            else {
                "rate": _round(fit.rate),
                "ci": [round(fit.low, 6), round(fit.high, 6)],
                "points": fit.points,
                "host_span_s": round(fit.host_span_s, 6),
            },
            "reference_hz": None if reference is None else round(reference.hz),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def assess(estimate_hz: int | None, fit: RateFit | None, reference: Reference | None) -> GuestClock:
    """The rule of the module: `tsc` when possible, else a known fit, else unknown."""
    if estimate_hz and reference is not None:
        return GuestClock(
            reference.hz / estimate_hz,
            reference.low_hz / estimate_hz,
            reference.high_hz / estimate_hz,
            "tsc",
            estimate_hz,
            fit,
            reference,
        )
    if fit is not None and (fit.within(KNOWN) or (fit.points >= MIN_POINTS and _far_from_1(fit))):
        return GuestClock(fit.rate, fit.low, fit.high, "fit", estimate_hz, fit, reference)
    return GuestClock(None, None, None, None, estimate_hz, fit, reference)


def _far_from_1(fit: RateFit) -> bool:
    """The whole interval beyond the tolerance: skewed for sure, however loose the fit."""
    return fit.high < 1 - TOLERANCE or fit.low > 1 + TOLERANCE


def slowdown_text(rate: float) -> str:
    """`3.1x slow`, `1.2x fast`: how a rate reads to a person."""
    return f"{1 / rate:.1f}x slow" if rate < 1 else f"{rate:.1f}x fast"
