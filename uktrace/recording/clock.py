"""A replay's clock: the recorded instant being shown, which plays at a rate, pauses and jumps.

A replay shows the run as it stood at one recorded host instant (`now()`, monotonic ns on the
recording's clock). While playing, that instant moves with the wall clock times the rate; paused,
it stays; a seek puts it anywhere between the first spawn and the last event. It never leaves the
recording: reaching the end pauses it there. The wall clock is injected (`time.monotonic_ns` unless
given) so tests move time by hand, the way textual's `MockClock` does.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable

INSTANT = math.inf
"""The rate that shows the end at once: `--speed 0`, the last step of `faster`."""
SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, INSTANT)
"""The rates `faster` and `slower` step through."""


def faster(rate: float) -> float:
    """The next rate up the ladder (a rate off it, from `--speed 3`, goes to the next one above)."""
    index = bisect.bisect_right(SPEEDS, rate)
    return SPEEDS[index] if index < len(SPEEDS) else rate


def slower(rate: float) -> float:
    """The next rate down the ladder; the slowest stays."""
    index = bisect.bisect_left(SPEEDS, rate)
    return SPEEDS[index - 1] if index > 0 else rate


def speed_label(rate: float) -> str:
    """`0.25×`, `2×`, `instant`."""
    return "instant" if math.isinf(rate) else f"{rate:g}×"


class ReplayClock:
    """Recorded time shown by a replay: `start`..`end` host ns, paused until `play()`."""

    def __init__(self, start: int, end: int, *, rate: float = 1.0, wall: Callable[[], int] = time.monotonic_ns) -> None:
        if not rate > 0:
            raise ValueError(f"a replay rate must be above 0 (got {rate})")
        self.start = start
        self.end = max(start, end)
        self._wall = wall
        self._rate = rate
        self._paused = True
        self._at = start
        """The position when the clock was last set (paused, rate changed, sought)..."""
        self._since = wall()
        """...and the wall time then: the position moves from there while playing."""

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def paused(self) -> bool:
        self.now()  # the end may have come since
        return self._paused

    @property
    def ended(self) -> bool:
        """At the end of the recording (and so paused): nothing more happens unless sought back."""
        return self.now() >= self.end

    def now(self) -> int:
        """The recorded host instant shown now; reaching the end pauses the clock there."""
        if self._paused:
            return self._at
        moved = math.inf if math.isinf(self._rate) else (self._wall() - self._since) * self._rate
        if self._at + moved >= self.end:
            self._at, self._paused = self.end, True
            return self.end
        return self._at + int(moved)

    def _set(self, position: int) -> None:
        self._at = min(self.end, max(self.start, position))
        self._since = self._wall()

    def play(self) -> None:
        if self._paused:
            self._set(self._at)
            self._paused = False

    def pause(self) -> None:
        if not self._paused:
            self._set(self.now())
            self._paused = True

    def set_rate(self, rate: float) -> None:
        """From the position shown now, at `rate` (INSTANT: to the end at once, unless paused)."""
        if not rate > 0:
            raise ValueError(f"a replay rate must be above 0 (got {rate})")
        self._set(self.now())
        self._rate = rate

    def seek(self, position: int) -> None:
        """Show `position` (kept within the recording); playing or paused as before."""
        self._set(position)

    def wall_delay(self, position: int) -> float | None:
        """Wall seconds until the clock shows `position`: 0 once it does, None while paused (it will
        not get there by itself)."""
        now = self.now()
        if position <= now:
            return 0.0
        if self._paused or position > self.end:
            return None
        return (position - now) / self._rate / 1e9
