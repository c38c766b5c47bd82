"""Timelines as plain data: the JSON that `uktrace parse --json` and `uktrace run --json` print
(its shape: `shapes.timeline`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from uktrace.parsers.banner import UnikraftVersion

from .calls import Call
from .timeline import BootTimeline, Phase

if TYPE_CHECKING:
    from .shapes import timeline as shape


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def phase_dict(phase: Phase) -> shape.Phase:
    """`start`/`end` in the phase's own clock; both clocks alongside where known; `parent` the phase
    it runs inside (null at the top level); `bound`: an end is an unstamped line nothing placed on
    the guest clock, so `end` is a lower bound and the phase no figure (`timeline.Phase.bound`)."""
    return {
        "name": phase.name,
        "parent": phase.parent,
        "start": _seconds(phase.start),
        "end": _seconds(phase.end),
        "bound": phase.bound,
        "clock": phase.clock,
        "guest": {"start": _seconds(phase.guest_start), "end": _seconds(phase.guest_end)},
        "host": {"start": _seconds(phase.host_start), "end": _seconds(phase.host_end)},
    }


def call_dict(call: Call) -> shape.Call:
    """A call as a phase is written, plus what it ran: `clock` is None (and `start`/`end` with
    it) when neither clock timed it."""
    return {
        "phase": call.phase,
        "kind": call.kind,
        "address": f"{call.address:#x}",
        "name": call.name,
        "library": call.library,
        "library_from": call.library_from,
        "start": _seconds(call.start),
        "end": _seconds(call.end),
        "clock": call.clock,
        "guest": {"start": _seconds(call.guest_start), "end": _seconds(call.guest_end)},
        "host": {"start": _seconds(call.host_start), "end": _seconds(call.host_end)},
    }


def ending_dict(timeline: BootTimeline) -> shape.Crash | None:
    """`BootTimeline.ending` as the JSON's `crash` object (the key it always had)."""
    ending = timeline.ending
    return None if ending is None else {"reason": ending.reason, "line": ending.line, "where": ending.where}


def timeline_dict(timeline: BootTimeline) -> shape.TimelineGuest:
    """One guest, in the documented JSON shape."""
    return {
        "name": timeline.name,
        "source": timeline.source,
        "unikraft": unikraft_dict(timeline.version),
        "status": timeline.status.value,
        "exit_code": timeline.exit_code,
        "crash": ending_dict(timeline),
        "phases": [phase_dict(phase) for phase in timeline.phases()],
        "calls": [call_dict(call) for call in timeline.calls()],
        "lines": timeline.lines,
        "unrecognised": timeline.unrecognised,
        "ready": ready_dict(timeline),
        "guest_clock": timeline.guest_clock().as_dict(),
    }


def ready_dict(timeline: BootTimeline) -> shape.Ready | None:
    """`--ready REGEX`: the pattern, the line that matched (the phase `ready` has the times), and
    why there is none (`not ready: exited first`); None without a pattern."""
    if timeline.ready is None:
        return None
    return {"regex": timeline.ready, "line": timeline.ready_line, "not_ready": timeline.not_ready}


def unikraft_dict(version: UnikraftVersion | None) -> shape.Unikraft | None:
    """The release a banner or an image names; None when none does."""
    if version is None:
        return None
    return {"version": version.version, "codename": version.codename, "sha": version.sha}
