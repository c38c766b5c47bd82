"""Every figure uktrace prints, defined once: what it spans, on which clock, which guests count,
and how a quantile is taken. Every view reads its numbers from here (the headless tables and
`run --json`, the TUI's fleet and summary, `compare`, the bench's summary and report, exports),
so one recording gives the same number for the same figure wherever it is shown.

Each figure spans, on its clock:
* a phase (and the figures `mount`, `main`, `ready`, which are their phases): its start to its
  end, on the phase's clock (`Phase.clock`): the guest's stamps once its clock runs (corrected
  where it ran skewed), else the host's.
* `boot`: spawn until main starts, the wait at the start gate left out; host clock (a parsed log:
  its own clock, corrected).
* `total`: spawn until the VMM exited, the wait at the start gate left out; host clock (a parsed
  log: its own span, corrected). A VMM that did not exit after its guest halted (microvm with a
  real Unikraft kernel: no ACPI power-off, the vCPU waits in `hlt`) is ended by uktrace after a
  grace period (`Fleet.halt_grace_s`): its guest's `total` then ends at the guest's own end (its
  last console line), and uktrace's wait after it is `halt_wait`, kept apart and labelled, never
  in `total`. Its `exit` phase (which runs to the VMM's end, so the phases still tile the run)
  counts for no figure across guests: it is mostly uktrace's wait.

The fleet's live column is `total` so far (`elapsed`): the gate wait left out there too, and equal
to `total` once the guest exited.

A guest's value of a figure is shown for every guest that has one. Across guests (p50, p95,
compare's medians) a value counts only when it measured the figure (`readings`): a guest that did
not end cleanly (crashed, failed, timeout, stopped) counts every phase that the next phase ended,
but not the phase it stopped in (its end is the crash, the kill or the timeout, not the phase's
own: a hang in `main` would count as a 60 s `main`), nor `exit` or `total` (time to the failure,
not to an exit); `boot` counts once `main` began, since the guest did boot.

Quantiles are nearest-rank (`percentile`): the value some guest actually had, never an
interpolation between two guests. The median is the p50 (`median`), in compare's tables and
intervals as in every other table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uktrace.parsers.phases import NESTED, PARENTS

from ..model.clock_rate import CORRECTED
from ..model.guest import Guest
from ..model.timeline import BootTimeline, gate_wait_ns

if TYPE_CHECKING:
    from ..model.shapes import timeline as shape

FIGURES = ("boot", "mount", "main", "ready", "total")
"""The figures users compare per guest (`ready` only with `--ready REGEX`)."""
SPANS = ("boot", "total")
"""The figures that are not a phase's duration; `mount`, `main` and `ready` are their phases'."""

Reading = tuple[float, str]
"""Seconds and the clock they were read on."""


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of ascending values (the value a guest actually had)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def median(values: Iterable[float]) -> float:
    """The p50: nearest rank, as every table prints it (the lower middle value of an even count)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("median of no values")
    return percentile(ordered, 0.5)


def gate_wait_s(timeline: BootTimeline, now_ns: int | None = None) -> float:
    """Seconds spent waiting at the start gate (VMM ready to release; until the exit or `now_ns`
    while it still waits); 0 for a guest that was not started paused."""
    return gate_wait_ns(timeline.vmm_ready_ns, timeline.release_ns, timeline.exit_ns, now_ns) / 1e9


def elapsed(guest: Guest, now_ns: int) -> float | None:
    """`total` so far: spawn until the exit (else `now_ns`), the gate wait left out. Equal to the
    guest's `total` once it exited; None before it was spawned."""
    if guest.spawn_ns is None:
        return None
    end = guest.exit_ns if guest.exit_ns is not None else now_ns
    return (end - guest.spawn_ns) / 1e9 - gate_wait_s(guest.timeline, end)


@dataclass(frozen=True, slots=True)
class GuestTimes:
    """The figures users compare, per guest (seconds), each with its clock."""

    boot: float | None
    """Spawn (or first line) until main starts, the wait at the start gate left out (host clock)."""
    mount: float | None
    main: float | None
    total: float | None
    """Spawn until the process exited, the gate wait left out (the log's span for a parsed log)."""
    clocks: dict[str, str]
    """Per figure, the clock it was read on."""
    ready: float | None = None
    """Main's start until the application's ready line (`--ready REGEX`): the `ready` phase."""
    halt_wait: float | None = None
    """The VMM did not exit after its guest halted: from the guest's last console line until
    uktrace ended the VMM (host clock), left out of `total`; None for a VMM that exited itself."""

    def figure(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value

    def as_dict(self) -> shape.Times:
        times: shape.Times = {
            "boot": self.boot,
            "mount": self.mount,
            "main": self.main,
            "ready": self.ready,
            "total": self.total,
            "clocks": dict(self.clocks),
        }
        if self.halt_wait is not None:
            times["halt_wait"] = self.halt_wait
        return times


def guest_times(timeline: BootTimeline, wall: float | None = None, lingered: bool = False) -> GuestTimes:
    """boot and total on the host clock (what a user waits for; the guest clock starts late; a log
    without a spawn: the guest's, corrected where it ran skewed), mount, main and ready on their
    phase's clock. `wall`: spawn to exit (`Guest.wall_s`), when known; `lingered`: uktrace ended
    a VMM that outlived its halted guest (`Guest.lingered`), so `total` ends at the guest's end."""
    phases = {phase.name: phase for phase in timeline.phases()}
    main = phases.get("main")
    mount = phases.get("mount")
    ready = phases.get("ready")
    host = timeline.spawn_ns is not None
    # a log without a spawn: its own clock, divided by its rate where it ran skewed
    rate = None if host or not phases else timeline.guest_clock().correction
    wide = "host" if host else "guest" if rate is None else CORRECTED
    boot = None
    if main is not None:
        boot = main.host_start if host else main.guest_start
    total = wall
    if total is None and phases:
        ends = [p.host_end if host else p.guest_end for p in phases.values()]
        known = [end for end in ends if end is not None]
        total = max(known) if known else None
    halt_wait = None
    own_end = timeline.console_end_ns
    if lingered and host and total is not None and own_end is not None and timeline.spawn_ns is not None:
        halted = (own_end - timeline.spawn_ns) / 1e9
        halt_wait = max(0.0, total - halted)
        total = halted
    if rate is not None:
        boot = None if boot is None else boot / rate
        total = None if total is None else total / rate
    # waiting for the rest of the wave is the gate's doing, not the guest's boot
    waited = gate_wait_s(timeline) if host else 0.0
    boot = None if boot is None else boot - waited
    total = None if total is None else total - waited
    clocks = {"boot": wide, "total": wide}
    for name, phase in (("mount", mount), ("main", main), ("ready", ready)):
        if phase is not None:
            clocks[name] = phase.clock
    return GuestTimes(
        boot=boot,
        mount=mount.duration if mount else None,
        main=main.duration if main else None,
        total=total,
        clocks=clocks,
        ready=ready.duration if ready else None,
        halt_wait=halt_wait,
    )


def stopped_in(phases: Sequence[tuple[str, Any]]) -> set[str]:
    """The phases a failed guest's failure ended rather than the boot, from (name, end) in boot
    order: the last one before `exit` (not nested), the ones nested in it that it ended too (a
    failed mount, not the bus probe done before it inside `init_table`), and `exit` (the failure
    until the process ended)."""
    names = [name for name, _ in phases]
    # a nested phase whose parent is not there (JSON written before phases nested) stands alone
    alone = {name for name in names if name in PARENTS and PARENTS[name] not in names}
    outer = [i for i, name in enumerate(names) if (name not in NESTED or name in alone) and name != "exit"]
    if not outer:
        return set(names)
    last = outer[-1]
    end = phases[last][1]
    cut = {name for name, child_end in phases[last + 1 :] if name in NESTED and child_end in (None, end)}
    return {"exit", names[last]} | cut


def uncounted(status: str, phases: Sequence[tuple[str, Any]]) -> set[str]:
    """Of a guest's phases ((name, end) in boot order), those whose duration does not count across
    guests: none for a clean exit, else what its failure ended (`stopped_in`)."""
    return set() if status == "exited" else stopped_in(phases)


def readings(
    status: str,
    phases: Sequence[tuple[str, float | None, str, Any]],
    figures: Mapping[str, Reading | None],
    lingered: bool = False,
) -> dict[str, Reading]:
    """What one guest measured, per phase and figure, that counts across guests (see the module
    docstring): `phases` as (name, seconds or None, clock, end) in boot order, `figures` its `boot`
    and `total`. `mount`, `main` and `ready` are their phases' readings. `lingered`: its `exit`
    is mostly uktrace's wait for a VMM that stayed after the halt, and does not count."""
    clean = status == "exited"
    skip = uncounted(status, [(name, end) for name, _, _, end in phases]) | ({"exit"} if lingered else set())
    counted = {name: (seconds, clock) for name, seconds, clock, _ in phases if seconds is not None and name not in skip}
    for name in SPANS:
        reading = figures.get(name)
        if reading is not None and (clean or name != "total"):
            counted[name] = reading
    return counted


def timeline_readings(timeline: BootTimeline, wall: float | None = None, lingered: bool = False) -> dict[str, Reading]:
    """`readings` of a live or replayed guest."""
    times = guest_times(timeline, wall, lingered)
    phases = [(phase.name, phase.duration, phase.clock, phase.end) for phase in timeline.phases()]
    return readings(timeline.status.value, phases, _figure_readings(times), lingered)


def guest_readings(guest: Guest) -> dict[str, Reading]:
    return timeline_readings(guest.timeline, guest.wall_s, guest.lingered)


def guest_figures(guest: Guest) -> GuestTimes:
    """A live or replayed guest's `guest_times`, with what the fleet knows of its VMM's end."""
    return guest_times(guest.timeline, guest.wall_s, guest.lingered)


def json_readings(guest: Mapping[str, Any]) -> dict[str, Reading]:
    """`readings` of one guest of `run --json` or `parse --json` (boot and total from its `times`;
    an older `parse --json` without them: from its phases, as `guest_times` reads a log: main's
    start and the last end, on the phase clock)."""
    phases = [p for p in guest.get("phases") or [] if isinstance(p, Mapping)]
    spans = [
        (
            str(p.get("name")),
            # a bound on the guest clock is no figure; one read on the host clock instead is
            None if p.get("bound") and p.get("clock") != "host" else _span(p.get("start"), p.get("end")),
            str(p.get("clock", "host")),
            p.get("end"),
        )
        for p in phases
    ]
    times = guest.get("times")
    figures: dict[str, Reading | None]
    if isinstance(times, Mapping):
        clocks = times.get("clocks") or {}
        figures = {name: _reading(times.get(name), str(clocks.get(name, "host"))) for name in SPANS}
    elif "host" in guest or any(p.get("clock") == "host" for p in phases):
        figures = {}  # `run --json` of before it carried `times`: its gate wait is not known
    else:  # `parse --json` of before it carried `times`
        main = next((p for p in phases if p.get("name") == "main"), None)
        ends = [(end, str(p.get("clock"))) for p in phases if isinstance(end := p.get("end"), int | float)]
        figures = {
            "boot": _reading(main.get("start"), str(main.get("clock"))) if main else None,
            "total": _reading(*max(ends)) if ends else None,
        }
    host = guest.get("host")
    lingered = isinstance(host, Mapping) and host.get("lingered") is True
    return readings(str(guest.get("status", "?")), spans, figures, lingered)


def _figure_readings(times: GuestTimes) -> dict[str, Reading | None]:
    return {name: _reading(times.figure(name), times.clocks.get(name, "host")) for name in SPANS}


def _reading(value: object, clock: str) -> Reading | None:
    return (float(value), clock) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _span(start: object, end: object) -> float | None:
    if isinstance(start, int | float) and isinstance(end, int | float):
        return float(end) - float(start)
    return None
