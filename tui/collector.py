"""When Python's full garbage collections run: not while consoles stream, but once they go quiet.

A full collection walks every object the collector tracks and stops the event loop meanwhile.
With the screens' caches of rendered lines (Textual keeps each strip with its own small caches)
that is ~100,000 objects and 40-90 ms a collection, and the collector started one about every
1.5 s of a 100-guest boot storm (`benchmarks/ui_lag.py`): each a stall of the keys and rows.
While console bytes arrive, automatic full collections are held off (the youngest generations
still run, and reference counting frees everything that is not in a cycle); once no byte has come
for `QUIET_S`, one full collection runs and the usual thresholds return. Cyclic garbage made
meanwhile waits at most `MAX_HELD_S`: a console that never goes quiet still gets a collection
that often, so memory stays bounded.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

QUIET_S = 1.0
MAX_HELD_S = 60.0
HELD_THRESHOLD = 1_000_000
"""The oldest generation's threshold while held: younger collections before a full one."""


@dataclass
class CollectorPace:
    """Holds off full collections while `busy` (fed at every redraw), runs one when it ends."""

    held_since_ns: int | None = field(default=None, init=False)
    """When full collections were last held off; None while the collector runs as usual."""
    _last_busy_ns: int = field(default=0, init=False)
    _thresholds: tuple[int, int, int] = field(default_factory=gc.get_threshold, init=False)

    def update(self, now_ns: int, busy: bool) -> bool:
        """Feed the time and whether console bytes came since the last call; True when a full
        collection ran here."""
        if busy:
            self._last_busy_ns = now_ns
            if self.held_since_ns is None:
                self.held_since_ns = now_ns
                self._thresholds = gc.get_threshold()
                gc.set_threshold(self._thresholds[0], self._thresholds[1], HELD_THRESHOLD)
            elif now_ns - self.held_since_ns < MAX_HELD_S * 1e9:
                return False
            else:  # streaming for a minute: collect now, and hold again
                gc.collect()
                self.held_since_ns = now_ns
                return True
            return False
        if self.held_since_ns is not None and now_ns - self._last_busy_ns >= QUIET_S * 1e9:
            self.release()
            gc.collect()
            return True
        return False

    def release(self) -> None:
        """The usual thresholds again (quiet, or the app ends)."""
        if self.held_since_ns is not None:
            gc.set_threshold(*self._thresholds)
            self.held_since_ns = None
