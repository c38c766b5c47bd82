"""The guest clocks of a run in one sentence and one JSON object: how many ran at a skewed rate,
how far, and that their figures were corrected (the rule is `uktrace.model.clock_rate`'s).

Every place that shows guest-clock figures for many guests (the headless footer, the JSON's
summary, the bench's report, compare) says it with these, so the words match the numbers."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..model.clock_rate import TOLERANCE, GuestClock, slowdown_text
from ..model.timeline import BootTimeline

if TYPE_CHECKING:
    from ..model.shapes import run as shape


@dataclass(frozen=True, slots=True)
class ClockSummary:
    """The guest clocks of a run (or a cell)."""

    guests: int
    known: int
    """Guests whose rate is known (`source` tsc or fit)."""
    skewed: int
    rates: tuple[float, ...]
    """The skewed guests' rates, ascending (slowest first)."""
    reference_hz: float | None
    """The run's pooled TSC frequency, when it had one."""

    def as_dict(self) -> shape.ClockSummary:
        """The JSON's `summary.guest_clock`."""
        return {
            "guests": self.guests,
            "known": self.known,
            "skewed": self.skewed,
            "skewed_rate": None
            if not self.rates
            else {
                "min": round(self.rates[0], 6),
                "median": round(statistics.median(self.rates), 6),
                "max": round(self.rates[-1], 6),
            },
            "reference_hz": None if self.reference_hz is None else round(self.reference_hz),
            "tolerance": TOLERANCE,
        }

    def sentence(self) -> str | None:
        """`guest clock ran 1.4-61.2x slow (median 29.2x) on 99 of 100 guests (TSC calibration
        disturbed): their guest-clock figures are corrected`; None when no guest clock was measured."""
        if not self.known:
            return None
        if not self.skewed:
            within = f"guest clock within {TOLERANCE * 100:.0f} % of the host's on {self.known} of {self.guests} guests"
            return within + ("" if self.known == self.guests else " (the others' rate unknown: figures as printed)")
        slow = [rate for rate in self.rates if rate < 1]
        if len(slow) == len(self.rates):
            low, high = 1 / self.rates[-1], 1 / self.rates[0]
            span = f"{high:.1f}x" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}x"
            how = f"ran {span} slow"
            if len(slow) > 2:
                how += f" (median {1 / statistics.median(slow):.1f}x)"
        else:
            how = "ran at " + ", ".join(slowdown_text(rate) for rate in (self.rates[0], self.rates[-1]))
        unknown = self.guests - self.known
        rest = f"; rate unknown on {unknown} (figures as printed)" if unknown else ""
        return (
            f"guest clock {how} on {self.skewed} of {self.guests} guests (TSC calibration disturbed): "
            f"their guest-clock figures are corrected{rest}"
        )


def summarise(clocks: Iterable[GuestClock]) -> ClockSummary:
    listed = list(clocks)
    skewed = sorted(c.rate for c in listed if c.skewed and c.rate is not None)
    references = [c.reference.hz for c in listed if c.reference is not None]
    return ClockSummary(
        guests=len(listed),
        known=sum(1 for c in listed if c.rate is not None),
        skewed=len(skewed),
        rates=tuple(skewed),
        reference_hz=references[0] if references else None,
    )


def clock_summary(timelines: Iterable[BootTimeline]) -> ClockSummary:
    """The run's guest clocks, read from its timelines."""
    return summarise(t.guest_clock() for t in timelines)


def summary_of_json(guests: Iterable[Any]) -> ClockSummary | None:
    """The same from a run's JSON guests (`guest_clock` per guest); None for JSON written before
    uktrace measured guest clocks."""
    entries: list[dict[str, Any]] = []
    for guest in guests:
        entry = guest.get("guest_clock") if isinstance(guest, dict) else None
        if not isinstance(entry, dict):
            return None
        entries.append(entry)
    if not entries:
        return None
    skewed = sorted(float(e["rate"]) for e in entries if e.get("skewed") and e.get("rate") is not None)
    references = [float(e["reference_hz"]) for e in entries if e.get("reference_hz") is not None]
    return ClockSummary(
        guests=len(entries),
        known=sum(1 for e in entries if e.get("rate") is not None),
        skewed=len(skewed),
        rates=tuple(skewed),
        reference_hz=references[0] if references else None,
    )
