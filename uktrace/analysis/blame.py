"""Which boot functions cost the most across guests: per constructor, init or term function, how
many guests ran it, and its p50 and p95 duration on the clock that timed it.

A function is its name where symbols named it, else its address (the same address in two
different kernels is two different functions: blame one kernel at a time, or name them).
Every call is one sample; a call no clock could time (a saved log's constructors) counts as run
but not as a duration. Percentiles are nearest-rank, as everywhere else (`stats.percentile`).

A named part of a phase that no table runs but a console marks (`phases.NAMED_PARTS`: the TSC
calibration inside `subsystems`, often the longest thing a boot does under TCG; with
`--firmware-timing`, the parts of SeaBIOS's work inside `firmware`) is blamed beside the
functions, kind `part`: no call line would name it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from uktrace.parsers.phases import NAMED_PARTS, PARENTS

from ..model.calls import Call
from ..model.timeline import Phase
from .figures import percentile
from .stats import clock_label

if TYPE_CHECKING:
    from ..model.shapes import commands as shape


@dataclass(frozen=True, slots=True)
class FunctionBlame:
    """One function across guests (seconds)."""

    function: str
    """Its name, or its address (hex) where no symbols named it."""
    named: bool
    library: str | None
    """The library most calls were attributed to, where any was (`model.calls`)."""
    phase: str
    kind: str
    guests: int
    """Guests that ran it."""
    calls: int
    timed: int
    """Calls with a duration: the samples behind p50 and p95."""
    p50: float | None
    p95: float | None
    clock: str | None
    """`guest`, `host`, `guest+host` when guests differ, None when no call was timed."""

    def as_dict(self) -> shape.FunctionBlame:
        return {
            "function": self.function,
            "named": self.named,
            "library": self.library,
            "phase": self.phase,
            "kind": self.kind,
            "guests": self.guests,
            "calls": self.calls,
            "timed": self.timed,
            "p50": None if self.p50 is None else round(self.p50, 6),
            "p95": None if self.p95 is None else round(self.p95, 6),
            "clock": self.clock,
        }


PART = "part"
"""The `kind` of a named part's row (a function's is its table's: `constructor`, `init`, ...)."""


def part_key(name: str) -> tuple[str, str, str]:
    """(table, kind, function) of the row named part `name` counts in, as a call's is
    (`Call.phase`, `Call.kind`, `Call.label`): the parent it runs in, `part`, its name."""
    return PARENTS[name], PART, name


def covered(rows: Sequence[FunctionBlame], guests: int) -> str:
    """What a blame table covers: `6 functions and 1 part across 8 guests`."""
    parts = sum(row.kind == PART for row in rows)
    functions = len(rows) - parts
    text = f"{functions} function{'' if functions == 1 else 's'}"
    if parts:
        text += f" and {parts} part{'' if parts == 1 else 's'}"
    return f"{text} across {guests} guest{'' if guests == 1 else 's'}"


def blame(guests: Iterable[Sequence[Call]], parts: Iterable[Sequence[Phase]] = ()) -> list[FunctionBlame]:
    """Per function, from each guest's calls, and per named part of a phase from each guest's
    phases (`parts`); the slowest (p95) first, untimed ones last."""
    groups: dict[tuple[str, str, str], list[tuple[int, Call]]] = {}
    for index, calls in enumerate(guests):
        for call in calls:
            groups.setdefault((call.phase, call.kind, call.label), []).append((index, call))
    rows = [_row(phase, kind, function, group) for (phase, kind, function), group in groups.items()]
    rows += part_rows(parts)
    return sorted(rows, key=lambda row: (row.p95 is None, -(row.p95 or 0.0), row.function))


def part_rows(guests: Iterable[Sequence[Phase]]) -> list[FunctionBlame]:
    """Per named part (`phases.NAMED_PARTS`), over the guests whose phases have it."""
    found: dict[str, list[tuple[int, Phase]]] = {}
    for index, phases in enumerate(guests):
        for phase in phases:
            if phase.name in NAMED_PARTS:
                found.setdefault(phase.name, []).append((index, phase))
    rows = []
    for name, group in found.items():
        durations = sorted(d for _, phase in group if (d := phase.duration) is not None)
        parent, kind, _ = part_key(name)
        rows.append(
            FunctionBlame(
                function=name,
                named=True,
                library=None,
                phase=parent,
                kind=kind,
                guests=len({index for index, _ in group}),
                calls=len(group),
                timed=len(durations),
                p50=percentile(durations, 0.5) if durations else None,
                p95=percentile(durations, 0.95) if durations else None,
                clock=clock_label(p.clock for _, p in group if p.duration is not None),
            )
        )
    return rows


def _row(phase: str, kind: str, function: str, group: list[tuple[int, Call]]) -> FunctionBlame:
    calls = [call for _, call in group]
    durations = sorted(d for call in calls if (d := call.duration) is not None)
    libraries = Counter(call.library for call in calls if call.library)
    return FunctionBlame(
        function=function,
        named=calls[0].name is not None,
        library=libraries.most_common(1)[0][0] if libraries else None,
        phase=phase,
        kind=kind,
        guests=len({index for index, _ in group}),
        calls=len(calls),
        timed=len(durations),
        p50=percentile(durations, 0.5) if durations else None,
        p95=percentile(durations, 0.95) if durations else None,
        clock=clock_label(call.clock for call in calls if call.clock is not None and call.duration is not None),
    )
