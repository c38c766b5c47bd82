"""How often the views redraw: as often as the tracer's CPU budget allows, between a floor and a ceiling.

During a boot storm every visible row changes every frame, and a frame of a large terminal costs
tens of milliseconds of Python (measured: ~25 ms at 160x50 with 100 flooding guests). At a fixed
15 Hz that is a third of a core taken from the guests being measured, and the event loop that
reads their consoles and answers keys is busy meanwhile. The pace looks at the CPU the event loop's
thread used over the last second (parsing, the engine, drawing) and lowers the redraw rate while it
is above the budget, raising it again once there is room. Keys never wait for it: a key's effect is
drawn by Textual at once, only the animation of the rows slows down.

The budget is uktrace's own share goal while guests boot (`uktrace.present.tracer.GOAL_SHARE` of
the host's CPUs, as a share of one core): a budget of a third of a core let the TUI take 14 % of
2 CPUs from 50 guests booting (they took 4.5-6.1 s), this one 8.5-8.9 % (3.6-3.7 s). The engine
alone costs more than that in a storm, so the animation runs at its floor then (2 Hz: what a frame
costs the guests is in `RedrawPace.floor_hz`), and at its ceiling again once the consoles are quiet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WINDOW_NS = 1_000_000_000
"""The pace is reconsidered once per second of wall time."""


@dataclass
class RedrawPace:
    """The redraw rate (Hz) for the next window, from the CPU share of the last one."""

    ceiling_hz: float = 15.0
    floor_hz: float = 2.0
    """The storm's rate: a frame of 50 booting rows costs ~12 ms of the guests' CPU. At 50 test
    guests on 2 cores (3 runs each, alternated, session.json's `tracer`) uktrace took 5.7-7.1 % of
    the CPUs from them at a 4 Hz floor, 4.5-4.9 % at 2 Hz, 4.2-4.5 % at 1 Hz, 3.5-3.6 % headless;
    keys stayed as prompt (`benchmarks/ui_lag.py`: key-to-screen p50 6 ms either way)."""
    budget: float = 0.35
    """Share of one core the event loop's thread may use before the animation slows down (the
    app's is uktrace's share goal: `tracer_budget`)."""
    hz: float = field(init=False)
    _window: tuple[int, int] | None = field(default=None, init=False)
    """(wall ns, thread CPU ns) at the start of the current window."""

    def __post_init__(self) -> None:
        self.hz = self.ceiling_hz

    def restart(self, booting: bool) -> None:
        """A run begins: at the floor when guests boot here now, else at the ceiling (a replay, the
        home screen). A live run's first second is its busiest and the pace judges whole seconds:
        started at the ceiling, a boot of 4 guests (0.4 s) was drawn at 15 Hz and uktrace took
        9.6-10.6 % of 2 CPUs from it, 7.5-8.2 % started at the floor (4 Hz then). The rate rises once the
        consoles are quiet."""
        self.hz = self.floor_hz if booting else self.ceiling_hz
        self._window = None

    @property
    def interval_s(self) -> float:
        return 1.0 / self.hz

    def update(self, wall_ns: int, cpu_ns: int) -> float:
        """Feed the clocks at a redraw; returns the rate to use next."""
        if self._window is None:
            self._window = (wall_ns, cpu_ns)
            return self.hz
        wall, cpu = wall_ns - self._window[0], cpu_ns - self._window[1]
        if wall < WINDOW_NS:
            return self.hz
        share = cpu / wall
        if share > self.budget:
            self.hz = max(self.floor_hz, self.hz * max(0.5, self.budget / share))
        elif share < self.budget / 2:
            self.hz = min(self.ceiling_hz, self.hz * 1.5)
        self._window = (wall_ns, cpu_ns)
        return self.hz


def tracer_budget() -> float:
    """uktrace's share goal of the host's CPUs, as a share of one core (2 % of 2 CPUs: 0.04)."""
    from uktrace.launch.tracer_usage import host_cpus
    from uktrace.present.tracer import GOAL_SHARE

    return GOAL_SHARE * host_cpus()
