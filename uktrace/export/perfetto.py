"""Runs as a Chrome trace-event JSON, which ui.perfetto.dev (and chrome://tracing) open.

One process per run (a bench: one per cell, named by the cell), one thread per guest named after
it and sorted in guest order, a complete event (`ph: X`) per phase (the 9P handshake inside
mount), and an instant event (`ph: i`, thread scope) where a crashed, failed or timed-out guest
stopped, with the reason. A guest whose JSON has `calls` gets a second thread right below its
own, `<guest> calls`: per boot table a `table` slice named after its phase, the calls inside it
(an init function runs the bus probe and the mount, so calls cannot nest in the phase slices
without overlapping them; see `uktrace.export.spans.call_spans`); one with a console script
(`--expect/--send`) gets `<guest> script` too: a slice per step's wait. `ts` and `dur` are integer
microseconds.

On the host clock (the default) `ts` counts from the first spawn of the run, so the guests of a
run line up as they really ran. A phase whose figure is on the guest clock (`args.phase_clock`)
is still placed there by its host edges, so the track nests and tiles; the figure the tables give
is in `args.figure_us` (the stamps' own difference in `args.guest.duration_us`: they differ for a
`guest (corrected)` phase, whose clock ran at a skewed rate). On the guest clock (`--clock guest`, and
always for console logs, which have no host clock) `ts` is the printk stamp (divided by the clock's
rate where it ran skewed, `guest_clock.corrected`) and host-only phases
are left out. Every slice and instant names the clock of its `ts`/`dur` in `args.clock`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import __version__
from .runs import Run
from .spans import (
    Span,
    call_spans,
    guest_spans,
    host_offset,
    microseconds,
    pick_clock,
    run_origin,
    script_spans,
    stopped_at,
)

Event = dict[str, Any]


def trace(runs: Sequence[Run], clock: str | None = None) -> dict[str, Any]:
    """The whole trace: `traceEvents` plus what uktrace wrote it from in `otherData`."""
    events: list[Event] = []
    clocks = []
    for pid, run in enumerate(runs, 1):
        placed_on = pick_clock(run.guests, clock, run.name)
        clocks.append(placed_on)
        events += _metadata(pid, 0, "process_name", {"name": run.name})
        events += _metadata(pid, 0, "process_sort_index", {"sort_index": pid})
        origin = run_origin(run.guests)
        for index, guest in enumerate(run.guests, 1):
            name = str(guest.get("name", f"guest {index}"))
            offset = host_offset(guest, origin)
            spans = guest_spans(guest, placed_on, offset)
            events += _thread(pid, index, name, 2 * index, spans, placed_on)
            crash = _crash(pid, index, guest, spans, placed_on)
            if crash is not None:
                events.append(crash)
            calls = call_spans(guest, placed_on, offset)
            if calls:  # right below the guest's own track
                events += _thread(pid, len(run.guests) + index, f"{name} calls", 2 * index + 1, calls, placed_on)
            steps = script_spans(guest, placed_on, offset)
            if steps:  # below it too: the console script's waits (`--expect/--send`)
                tid = 2 * len(run.guests) + index
                events += _thread(pid, tid, f"{name} script", 2 * index + 1, steps, placed_on)
    other = {"uktrace": __version__, "clocks": sorted(set(clocks)), "runs": [run.name for run in runs]}
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": other}


def _thread(pid: int, tid: int, name: str, sort_index: int, spans: Sequence[Span], clock: str) -> list[Event]:
    events = _metadata(pid, tid, "thread_name", {"name": name})
    events += _metadata(pid, tid, "thread_sort_index", {"sort_index": sort_index})
    return events + [_complete(pid, tid, span, clock) for span in spans]


def _metadata(pid: int, tid: int, name: str, args: Mapping[str, Any]) -> list[Event]:
    return [{"ph": "M", "name": name, "pid": pid, "tid": tid, "args": dict(args)}]


def _complete(pid: int, tid: int, span: Span, clock: str) -> Event:
    source = span.source
    args: dict[str, Any] = {"clock": clock}
    if span.category == "phase":
        args["phase_clock"] = source.get("clock")
        start, end = source.get("start"), source.get("end")
        if isinstance(start, int | float) and isinstance(end, int | float):
            args["figure_us"] = microseconds(end - start)  # on phase_clock: what the tables say
    elif span.category == "table":
        args |= {"phase": span.name, "calls": source.get("calls")}
    elif span.category == "step":
        keys = ("expect", "send", "outcome", "matched", "wait", "timeout")
        args |= {key: source[key] for key in keys if source.get(key) is not None}
    else:
        keys = ("phase", "kind", "address", "library", "library_from", "clock")
        args |= {("call_clock" if k == "clock" else k): source[k] for k in keys if source.get(k) is not None}
    for side in ("guest", "host"):
        edges = _edges(source.get(side))
        if edges is not None:
            args[side] = edges
    if span.clamped:
        args["clamped"] = True  # moved into its parent by a rounding step (see uktrace.export.spans)
    return {
        "ph": "X",
        "cat": span.category,
        "name": span.name,
        "pid": pid,
        "tid": tid,
        "ts": span.start,
        "dur": span.duration,
        "args": args,
    }


def _edges(edges: object) -> dict[str, Any] | None:
    """A clock's edges in seconds, as in the JSON, and the duration in microseconds when both are known."""
    if not isinstance(edges, Mapping) or edges.get("start") is None:
        return None
    start, end = edges.get("start"), edges.get("end")
    result: dict[str, Any] = {"start_s": start, "end_s": end}
    if isinstance(start, int | float) and isinstance(end, int | float):
        result["duration_us"] = microseconds(end - start)
    return result


def _crash(pid: int, tid: int, guest: Mapping[str, Any], spans: Sequence[Span], clock: str) -> Event | None:
    crash = guest.get("crash")
    if not isinstance(crash, Mapping):
        return None
    at = stopped_at(spans)
    status = str(guest.get("status", "crashed"))
    reason = str(crash.get("reason") or status)
    args = {"clock": clock, "status": status, "reason": reason, "line": crash.get("line"), "where": crash.get("where")}
    return {
        "ph": "i",
        "s": "t",
        "cat": "crash",
        "name": f"{status}: {reason}",
        "pid": pid,
        "tid": tid,
        "ts": at if at is not None else 0,
        "args": {k: v for k, v in args.items() if v is not None},
    }
