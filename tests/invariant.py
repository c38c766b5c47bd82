"""The timeline invariant, checked the same way on every log, recording and live guest the tests see.

Stated precisely, for a finished `BootTimeline`:
1. Top-level phases (no `parent`) are contiguous and do not overlap: each ends where the next one
   starts, on every clock that reads both edges (host seconds, guest stamps, console lines).
2. They cover the whole run: on the host clock the first starts at the spawn (0) and the last ends
   at the VMM's exit; in console lines the first in-guest one starts at the guest's first line (a
   saved log's excerpt from a running kernel, `BootTimeline.excerpt`, at its first marker) and the
   last ends at the last line read.
3. A nested phase lies within its parent (which is among the phases), on every clock that reads
   both; so does each call within the phase whose table ran it (the phase it is drawn under).
4. Every span starts no later than it ends, and a figure (`start`/`end` on the phase's own clock)
   of a child lies within its parent's when both are on the same clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from uktrace.model.calls import Call
from uktrace.model.timeline import BootTimeline, Phase
from uktrace.parsers.phases import NESTED

Span = Phase | Call


def _edges(span: Span, clock: str) -> tuple[float | None, float | None]:
    if clock == "host":
        return span.host_start, span.host_end
    if clock == "guest":
        return span.guest_start, span.guest_end
    if clock == "lines":
        end = span.last_line if isinstance(span, Phase) else None
        return span.first_line, end
    return span.start, span.end  # the figure


def _label(span: Span) -> str:
    return span.name if isinstance(span, Phase) else f"call {span.label} ({span.phase})"


def _within(child: Span, parent: Span, problems: list[str]) -> None:
    for clock in ("host", "guest", "lines"):
        (start, end), (outer_start, outer_end) = _edges(child, clock), _edges(parent, clock)
        if start is not None and outer_start is not None and start < outer_start:
            problems.append(f"{_label(child)} starts before {_label(parent)} on {clock}: {start} < {outer_start}")
        if end is not None and outer_end is not None and end > outer_end:
            problems.append(f"{_label(child)} outlasts {_label(parent)} on {clock}: {end} > {outer_end}")
        if clock == "lines" and start is not None and outer_end is not None and start > outer_end:
            problems.append(f"{_label(child)} starts after {_label(parent)} ended (line {start} > {outer_end})")
    if child.clock == parent.clock:
        (start, end), (outer_start, outer_end) = _edges(child, "figure"), _edges(parent, "figure")
        if start is not None and outer_start is not None and start < outer_start:
            problems.append(f"{_label(child)}'s figure starts before {_label(parent)}'s")
        if end is not None and outer_end is not None and end > outer_end:
            problems.append(f"{_label(child)}'s figure outlasts {_label(parent)}'s: {end} > {outer_end}")


def _ordered(spans: Sequence[Span], problems: list[str]) -> None:
    for span in spans:
        for clock in ("host", "guest", "lines", "figure"):
            start, end = _edges(span, clock)
            if start is not None and end is not None and end < start:
                problems.append(f"{_label(span)} ends before it starts on {clock}: {end} < {start}")


def violations(timeline: BootTimeline) -> list[str]:
    """Where `timeline` (finished: its console over) breaks the invariant; empty when it holds."""
    phases, calls = timeline.phases(), timeline.calls()
    problems: list[str] = []
    _ordered([*phases, *calls], problems)
    top = [p for p in phases if p.parent is None]
    by_name = {p.name: p for p in phases}
    for phase in phases:
        if (phase.parent is None) == (phase.name in NESTED):
            problems.append(f"{phase.name}: parent {phase.parent!r} for a {'' if phase.parent else 'non-'}nested phase")
    # 1. contiguous, no overlap
    for before, after in itertools.pairwise(top):
        for clock in ("host", "guest", "lines"):
            end, start = _edges(before, clock)[1], _edges(after, clock)[0]
            if end is not None and start is not None and end != start:
                gap = "hole" if end < start else "overlap"
                problems.append(f"{gap} on {clock} between {before.name} ({end}) and {after.name} ({start})")
        if before.host_end is None and after.host_start is not None:
            problems.append(f"{before.name} has no host end, yet {after.name} started at {after.host_start}")
    # 2. coverage
    if timeline.spawn_ns is not None:
        if not top or top[0].host_start != 0.0:
            problems.append(f"the first phase does not start at the spawn: {top[0] if top else None}")
        if timeline.exit_ns is not None and top:
            exit_s = (timeline.exit_ns - timeline.spawn_ns) / 1e9
            if top[-1].host_end != exit_s:
                problems.append(f"the last phase {top[-1].name} ends at {top[-1].host_end}, the VMM exited at {exit_s}")
    in_guest = [p for p in top if p.first_line is not None]
    if timeline.excerpt and timeline.spawn_ns is not None:
        problems.append("a run whose VMM was seen taken for a log's excerpt")
    if timeline.first_guest_line is None:
        if in_guest:
            problems.append(f"in-guest phases without a guest line: {[p.name for p in in_guest]}")
    elif not in_guest and not timeline.excerpt:
        problems.append(f"the guest printed from line {timeline.first_guest_line} but no in-guest phase covers it")
    elif in_guest:
        if in_guest[0].first_line != timeline.first_guest_line and not timeline.excerpt:
            problems.append(
                f"hole before {in_guest[0].name}: the guest's first line is {timeline.first_guest_line}, "
                f"{in_guest[0].name} starts at {in_guest[0].first_line}"
            )
        if in_guest[-1].last_line != timeline.lines:
            problems.append(f"{in_guest[-1].name} ends at line {in_guest[-1].last_line} of {timeline.lines}")
    # 3. nesting
    for phase in phases:
        if phase.parent is not None:
            parent = by_name.get(phase.parent)
            if parent is None:
                problems.append(f"{phase.name}: its parent {phase.parent} is not among the phases")
            else:
                _within(phase, parent, problems)
    for call in calls:
        parent = by_name.get(call.phase)
        if parent is None:
            problems.append(f"call {call.label}: its phase {call.phase} is not among the phases")
        else:
            _within(call, parent, problems)
    return problems
