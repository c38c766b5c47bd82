"""Where a guest's boot phases go on a timeline axis: three axis modes, and the window a zoom fits.

On one host axis from the first spawn, spawn, the start gate and the firmware take most of the
width under load, and every phase after `subsystems` is a few cells. So each view offers three
axes, each on one clock and labelled with it:
* `host`: host seconds since the fleet's first spawn; each bar starts at its guest's spawn. What a
  user waits for (today's view).
* `console`: host seconds since each guest's first console line (the kernel's first line; firmware
  noise does not count); every bar starts at 0 and the host phases before it are off the axis.
* `guest`: the guest's own clock, its printk stamps (`guest_start`/`guest_end`; divided by the
  clock's rate where it ran skewed, `model.clock_rate`). Host phases have
  no stamps and are left out; a phase stamped 0.000000 before the guest's timer ran takes no width;
  a phase the process ended (`exit`) lasts until the last stamp, a lower bound, as the timeline's
  banner does.
A zoom fits a range of phases (the whole boot, the in-guest phases, one phase) across the guests
shown, on the axis in use.

Pure: views pass phases, each guest's `Placement` and the zoom; nothing here reads a clock. Axis
lengths snap to NICE_STEPS and window starts to a grid, so a live axis rescales a few times per
run, not every frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from uktrace.parsers.phases import HOST_PHASES, INIT_PARTS, NESTED, OVERLAID, PHASES

from .guest import Guest
from .timeline import Phase

NICE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
"""Axis lengths per decade: an axis snaps up to one of these, so it rescales rarely."""
MIN_AXIS = 0.01
"""Seconds: the shortest axis (a fleet that has only just started)."""
TOP_LEVEL = tuple(name for name in PHASES if name not in NESTED or name in INIT_PARTS)
"""The phases a bar shows and a view zooms on or sorts by: the top level and the init table's
parts (`phases.INIT_PARTS`, drawn over it); not the 9P handshake inside mount, nor `ready`."""
IN_GUEST = tuple(name for name in TOP_LEVEL if name not in HOST_PHASES)
"""`platform_entry` … `exit`: what the unikernel itself does."""


class AxisMode(str, Enum):
    """Which clock a timeline axis shows, and where its zero is."""

    HOST = "host"
    CONSOLE = "console"
    GUEST = "guest"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """What the axis shows, for a header: `host, since first spawn`, `guest clock`…"""
        return _LABELS[self]

    @property
    def phases(self) -> tuple[str, ...]:
        """The phases this axis can show (a legend lists them): every one on the host's from the
        first spawn; the others leave the host phases out."""
        return PHASES if self is AxisMode.HOST else tuple(name for name in PHASES if name not in HOST_PHASES)

    def next(self) -> AxisMode:
        modes = list(AxisMode)
        return modes[(modes.index(self) + 1) % len(modes)]


_LABELS = {
    AxisMode.HOST: "host, since first spawn",
    AxisMode.CONSOLE: "host, since first console line",
    AxisMode.GUEST: "guest clock",
}


class Clocked(Protocol):
    """A span on both clocks (a `Phase`, a `Call`): seconds, host relative to the guest's spawn."""

    @property
    def guest_start(self) -> float | None: ...
    @property
    def guest_end(self) -> float | None: ...
    @property
    def host_start(self) -> float | None: ...
    @property
    def host_end(self) -> float | None: ...
    @property
    def rate(self) -> float | None:
        """A skewed guest clock's rate (`model.clock_rate`): its stamps are divided by it."""
        ...


@dataclass(frozen=True, slots=True)
class Span:
    """One phase on an axis, in seconds from the axis zero."""

    phase: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Placement:
    """One guest's clocks, as the axis modes need them (seconds)."""

    offset: float = 0.0
    """Host mode: the guest's spawn after the axis zero (the fleet's first spawn; 0 for one guest)."""
    first_line: float | None = None
    """Host seconds from the guest's spawn to its first console line: the console mode's zero."""
    host_now: float | None = None
    """While the guest runs, host seconds since its spawn: its open phase grows until then."""
    guest_now: float | None = None
    """The guest's latest stamp: a phase with no guest end (open, or ended by the process) ends there."""


def placement(guest: Guest, origin_ns: int | None, now_ns: int) -> Placement:
    """Where `guest` goes on an axis whose host zero is `origin_ns` (the fleet's first spawn), at `now_ns`."""
    timeline = guest.timeline
    spawn = guest.spawn_ns
    if spawn is None:
        return Placement(guest_now=timeline.guest_now)
    first = timeline.first_guest_ns if timeline.first_guest_ns is not None else timeline.first_byte_ns
    return Placement(
        offset=((guest.axis_spawn_ns or spawn) - (origin_ns if origin_ns is not None else spawn)) / 1e9,
        first_line=None if first is None else (first - spawn) / 1e9,
        host_now=(now_ns - spawn) / 1e9 if guest.exit_ns is None else None,
        guest_now=timeline.guest_now,
    )


def place(name: str, span: Clocked, mode: AxisMode, where: Placement) -> Span | None:
    """`span` (of phase `name`) on the axis of `mode`, or None when that axis cannot show it."""
    if mode is AxisMode.GUEST:
        if name in HOST_PHASES or span.guest_start is None:
            return None
        end = span.guest_end if span.guest_end is not None else where.guest_now
        if end is None:
            return None
        rate = span.rate or 1.0  # a skewed clock's stamps, on the host's time scale
        return Span(name, span.guest_start / rate, max(end, span.guest_start) / rate)
    start = span.host_start
    if start is None:
        return None
    end = span.host_end
    if end is None:
        end = where.host_now if where.host_now is not None else start
    end = max(end, start)
    if mode is AxisMode.HOST:
        return Span(name, where.offset + start, where.offset + end)
    if name in HOST_PHASES or where.first_line is None:
        return None  # before the first console line: off this axis
    return Span(name, max(0.0, start - where.first_line), max(0.0, end - where.first_line))


def spans_of(phases: Iterable[Phase], mode: AxisMode = AxisMode.HOST, where: Placement = Placement()) -> list[Span]:
    """Every top-level phase the axis of `mode` can show, in the order given, and the overlaid ones
    (`ready`) after the phase they run in, so a bar paints them over its start."""
    result = []
    for phase in phases:
        if phase.name in OVERLAID and mode is AxisMode.GUEST and phase.guest_end is None:
            continue  # ended by an unstamped line with no stamp since main began: no guest end to draw
        if phase.name not in NESTED or phase.name in OVERLAID:
            span = place(phase.name, phase, mode, where)
            if span is not None:
                result.append(span)
    return result


def nice_axis(seconds: float) -> float:
    """The smallest 'nice' axis length (1, 1.5, 2, 3, 4, 5, 6, 8 × 10^k) that holds `seconds`
    (give or take a float's rounding: 0.4000000000000001 fits in 0.4)."""
    seconds = max(seconds, MIN_AXIS)
    decade = 10.0 ** math.floor(math.log10(seconds))
    for step in (*NICE_STEPS, 10.0):
        length = round(step * decade, 12)
        if length >= seconds * (1 - 1e-9):
            return length
    return 10 * decade  # pragma: no cover - the loop ends at 10 × decade


@dataclass(frozen=True, slots=True)
class Window:
    """The part of an axis a view draws: `length` seconds from `start` (both on the axis's clock)."""

    start: float
    length: float

    @property
    def end(self) -> float:
        return self.start + self.length

    def shift(self, spans: Iterable[Span]) -> list[Span]:
        """`spans` measured from the window's start, as a bar of `length` seconds draws them."""
        return [Span(s.phase, s.start - self.start, s.end - self.start) for s in spans]


def snapped(low: float, high: float) -> Window:
    """The window holding [low, high]: a nice length from a start on a grid of half its decade, so
    a range that moves a little (a live fleet) keeps its window."""
    length = nice_axis(high - low)
    while True:
        grain = 10.0 ** math.floor(math.log10(length)) / 2
        start = round(math.floor(low / grain + 1e-9) * grain, 12)
        if start + length >= high - 1e-12:
            return Window(start, length)
        length = nice_axis(length * (1 + 1e-6))  # the next nice length


@dataclass(frozen=True, slots=True)
class Zoom:
    """The phases an axis fits: the whole boot, the in-guest phases, or one phase."""

    preset: str = "boot"
    """`boot`, `guest` or `phase` (ZOOMS)."""
    phase: str = "main"
    """The phase of the `phase` preset (a top-level one)."""

    @property
    def phases(self) -> tuple[str, ...]:
        if self.preset == "guest":
            return IN_GUEST
        if self.preset == "phase":
            return (self.phase,)
        return TOP_LEVEL

    @property
    def label(self) -> str:
        """`whole boot`, `in guest (platform_entry…exit)`, or the phase's name."""
        if self.preset == "guest":
            return f"in guest ({IN_GUEST[0]}…{IN_GUEST[-1]})"
        if self.preset == "phase":
            return self.phase
        return "whole boot"

    @property
    def short_label(self) -> str:
        """The label without the range, for a narrow terminal."""
        return "in guest" if self.preset == "guest" else self.label

    def cycled(self, focus: str | None = None) -> Zoom:
        """The next preset; the `phase` one zooms on `focus` when given (the phase under focus)."""
        preset = ZOOMS[(ZOOMS.index(self.preset) + 1) % len(ZOOMS)]
        return Zoom(preset, focus if preset == "phase" and focus in TOP_LEVEL and focus else self.phase)

    def stepped(self, delta: int, focus: str | None = None) -> Zoom:
        """One phase earlier or later in boot order; from another preset, the phase under focus."""
        if self.preset != "phase":
            return Zoom("phase", focus if focus in TOP_LEVEL and focus else self.phase)
        index = (TOP_LEVEL.index(self.phase) + delta) % len(TOP_LEVEL)
        return Zoom("phase", TOP_LEVEL[index])


ZOOMS = ("boot", "guest", "phase")
WHOLE_BOOT = Zoom()


def fit(spans: Iterable[Sequence[Span]], zoom: Zoom) -> Window | None:
    """The window that fits `zoom`'s phases across every guest's spans (each on one axis); the
    whole boot starts at the axis zero. None when no guest has reached the phases yet."""
    if zoom.preset == "boot":
        end = max((span.end for guest in spans for span in guest), default=0.0)
        return Window(0.0, nice_axis(end))
    wanted = set(zoom.phases)
    low, high = math.inf, -math.inf
    for guest in spans:
        for span in guest:
            if span.phase in wanted:
                low, high = min(low, span.start), max(high, span.end)
    if low > high:
        return None
    return snapped(low, high)


def longest(spans: Iterable[Span], among: Sequence[str] = IN_GUEST) -> str | None:
    """The phase among `among` that takes longest in `spans`: the one to zoom on first."""
    best = max((span for span in spans if span.phase in among), key=lambda s: s.end - s.start, default=None)
    return best.phase if best is not None else None
