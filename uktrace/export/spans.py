"""A guest's phases (and its boot tables' calls) as properly nested intervals on one clock, in µs.

Timeline formats (Perfetto, the Gantt chart) need what the JSON does not promise: every span on
one clock, and children inside their parents with no partial overlap between neighbours. The
JSON's seconds are rounded to the microsecond independently per edge, so a child can poke out of
its parent by a rounding step: such a span is clamped into its parent (and flagged), never dropped.

Clocks: `host` places a guest on the run's timeline, microseconds since the first spawn of the
run (each guest's host seconds count from its own spawn; `host.spawn_ns` says where that was), so
guests line up; a phase whose figure is on the guest clock is still placed by its host edges.
`guest` uses the printk stamps: each guest from its own boot, host-only phases left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model.nesting import upgraded
from .runs import ExportError


@dataclass
class Span:
    """One phase or call of a guest, `start`..`end` in integer microseconds on `clock`."""

    name: str
    category: str
    """`phase`, `call`, `table` (the calls of one phase, see `call_spans`) or `step` (`script_spans`)."""
    start: int
    end: int
    source: Mapping[str, Any]
    """The phase or call dict of the JSON it came from (both clocks, the figure's clock)."""
    parent: Span | None = None
    children: list[Span] = field(default_factory=list)
    clamped: bool = False
    """Moved into its parent or past its previous sibling (clock rounding, see the module docstring)."""

    @property
    def duration(self) -> int:
        return self.end - self.start

    @property
    def depth(self) -> int:
        return 0 if self.parent is None else self.parent.depth + 1


def microseconds(seconds: float) -> int:
    return round(seconds * 1_000_000)


def run_origin(guests: Iterable[Mapping[str, Any]]) -> int | None:
    """The run's first spawn, host monotonic ns (None for parsed logs and older JSON)."""
    spawns = [s for g in guests if isinstance(s := _host(g).get("spawn_ns"), int)]
    return min(spawns) if spawns else None


def host_offset(guest: Mapping[str, Any], origin: int | None) -> int:
    """Microseconds from the run's first spawn to this guest's spawn."""
    spawn = _host(guest).get("spawn_ns")
    if origin is None or not isinstance(spawn, int):
        return 0
    return round((spawn - origin) / 1000)


def has_host_clock(guests: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any phase has host edges (a parsed console log has none)."""
    return any(_edges(p, "host") is not None for g in guests for p in _dicts(g.get("phases")))


def pick_clock(guests: Sequence[Mapping[str, Any]], clock: str | None, run: str) -> str:
    """The clock a run is placed on: the one asked for, else host where the run has one."""
    host = has_host_clock(guests)
    if clock == "host" and not host:
        raise ExportError(f"{run}: no host clock (a console log has only the guest's stamps): use --clock guest")
    return clock or ("host" if host else "guest")


def guest_spans(guest: Mapping[str, Any], clock: str, offset_us: int = 0) -> list[Span]:
    """The guest's phases on `clock`, depth first (a parent right before its children), siblings
    in time order; phases without both edges on that clock are left out. A nested phase goes
    inside its `parent` (older JSON is read as today's, `model.nesting.upgraded`)."""
    top: list[Span] = []
    nested: list[tuple[Span, Span]] = []
    seen: dict[str, Span] = {}
    for phase in upgraded(_dicts(guest.get("phases"))):
        name = str(phase.get("name"))
        parent = phase.get("parent")
        span = _span(phase, "phase", clock, offset_us, guest_rate(guest))
        if span is None:
            continue
        seen[name] = span
        if isinstance(parent, str) and parent in seen:
            nested.append((seen[parent], span))  # the JSON lists phases in start order: parents first
        elif parent is None:
            top.append(span)
    _siblings(top, None)
    for outer, span in nested:
        _adopt(outer, span)
    for span in list(_walk(top)):
        _siblings(span.children, span)
    return list(_walk(top))


def call_spans(guest: Mapping[str, Any], clock: str, offset_us: int = 0) -> list[Span]:
    """The guest's calls on `clock`, each inside a `table` span of its phase that runs from its
    table's first call to its last, depth first.

    Calls get a track of their own rather than nesting in their phase's span: an init function
    runs the bus probe or the root mount (see `uktrace.model.timeline`), which begin inside the
    call and are children of `init_table` too, so on one track a call and the phase it runs would
    be siblings that overlap."""
    tables: dict[str, list[Span]] = {}
    for call in _dicts(guest.get("calls")):
        span = _span(call, "call", clock, offset_us, guest_rate(guest))
        if span is not None:
            tables.setdefault(str(call.get("phase")), []).append(span)
    top = [
        Span(
            phase, "table", min(c.start for c in calls), max(c.end for c in calls), {"name": phase, "calls": len(calls)}
        )
        for phase, calls in tables.items()
    ]
    _siblings(top, None)
    for table in top:
        for span in tables[table.name]:
            _adopt(table, span)
        _siblings(table.children, table)
    return list(_walk(top))


def script_spans(guest: Mapping[str, Any], clock: str, offset_us: int = 0) -> list[Span]:
    """The console script's steps (`--expect/--send`), each from the start of its wait to its match
    (or timeout), in order; none on the guest clock: the tracer timed them on the host's."""
    if clock != "host":
        return []
    spans = []
    for number, step in enumerate(_dicts(guest.get("script")), 1):
        start, end = _number(step.get("start")), _number(step.get("end"))
        if start is None or end is None:
            continue
        wanted = step.get("expect")
        name = f"step {number}: " + (f"expect {wanted!r}" if isinstance(wanted, str) else f"send {step.get('send')!r}")
        first = microseconds(start) + offset_us
        spans.append(Span(name, "step", first, max(first, microseconds(end) + offset_us), step))
    return spans


def stopped_at(spans: Sequence[Span]) -> int | None:
    """Where a guest stopped: the end of its last top-level phase before `exit` (a crash, a kill,
    a timeout ends it), else of its last span."""
    top = [s for s in spans if s.parent is None]
    before_exit = [s for s in top if s.name != "exit"]
    last = before_exit[-1] if before_exit else (top[-1] if top else None)
    return None if last is None else last.end


def guest_rate(guest: Mapping[str, Any]) -> float | None:
    """The rate a skewed guest clock's stamps are divided by (`guest_clock.corrected`, see
    `uktrace.model.clock_rate`), so the guest-clock axis shows what the tables say; else None."""
    clock = guest.get("guest_clock")
    if not isinstance(clock, Mapping) or not clock.get("corrected"):
        return None
    rate = _number(clock.get("rate"))
    return rate if rate is not None and rate > 0 else None


def _span(
    source: Mapping[str, Any], category: str, clock: str, offset_us: int, rate: float | None = None
) -> Span | None:
    edges = _edges(source, clock)
    if edges is not None and clock == "guest" and rate is not None:
        edges = (edges[0] / rate, edges[1] / rate)
    # a call the kernel's symbols did not name goes by its address
    name = source.get("name") or (source.get("address") if category == "call" else None)
    if edges is None or not isinstance(name, str):
        return None
    start, end = (microseconds(edge) + (offset_us if clock == "host" else 0) for edge in edges)
    clamped = end < start
    return Span(name, category, start, max(start, end), source, clamped=clamped)


def _edges(source: Mapping[str, Any], clock: str) -> tuple[float, float] | None:
    edges = source.get(clock)
    if not isinstance(edges, Mapping):
        return None
    start, end = _number(edges.get("start")), _number(edges.get("end"))
    return None if start is None or end is None else (start, end)


def _number(value: object) -> float | None:
    """A finite number of seconds, else None (JSON null, a string, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _adopt(parent: Span, child: Span) -> None:
    start, end = min(max(child.start, parent.start), parent.end), max(min(child.end, parent.end), parent.start)
    if (start, end) != (child.start, child.end):
        child.start, child.end, child.clamped = start, max(start, end), True
    child.parent = parent
    parent.children.append(child)


def _siblings(spans: list[Span], parent: Span | None) -> None:
    """Time order; a sibling starting before the previous one ended starts at its end."""
    spans.sort(key=lambda s: (s.start, s.end))
    previous: Span | None = None
    for span in spans:
        if previous is not None and span.start < previous.end:
            span.start, span.clamped = previous.end, True
            span.end = max(span.end, span.start)
            if parent is not None and span.end > parent.end:
                span.start = span.end = parent.end
        previous = span


def _walk(spans: Iterable[Span]) -> Iterable[Span]:
    for span in spans:
        yield span
        yield from _walk(span.children)


def _host(guest: Mapping[str, Any]) -> Mapping[str, Any]:
    host = guest.get("host")
    return host if isinstance(host, Mapping) else {}


def _dicts(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
