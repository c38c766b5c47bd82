"""uktrace's own cost, as a run's footer says it."""

from __future__ import annotations

from ..model.shapes.recording import TracerBooting
from .units import format_seconds

GOAL_SHARE = 0.02
"""uktrace's share of the host's CPUs while its guests boot that it keeps under (2 %)."""


def tracer_sentence(booting: TracerBooting | None, recorded: bool = False) -> str | None:
    """`uktrace's own CPU while the guests booted: 31.0 ms, 1.6 % of 2 CPUs over 960.0 ms (the most
    it took from them); it woke 240 times a second` (`recorded`: a replay's, as its recording says);
    None for a run in which no guest started and ended, or a recording that does not say."""
    if booting is None:
        return None
    wakeups = booting.get("wakeups_per_s")
    when = "booted (recorded)" if recorded else "booted"
    return (
        f"uktrace's own CPU while the guests {when}: {format_seconds(booting['cpu_s'])}, "
        f"{booting['share'] * 100:.1f} % of {booting['cpus']} CPUs over {format_seconds(booting['window_s'])} "
        "(the most it took from them)" + ("" if wakeups is None else f"; it woke {wakeups:.0f} times a second")
    )


def over_goal(booting: TracerBooting | None) -> bool:
    return booting is not None and booting["share"] > GOAL_SHARE
