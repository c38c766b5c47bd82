"""A run's results as plain data: the `uktrace run --json` shape, which the bench keeps per cell
and `compare` reads back."""

from __future__ import annotations

import resource
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..launch.tracer_policy import policy
from ..launch.tracer_usage import TracerUsage
from ..model.guest import FleetView, Guest
from ..model.json_shape import timeline_dict
from ..model.shapes import formats
from ..model.timeline import BootTimeline
from .console_cost import guest_console, sentence
from .cpu import phase_cpu
from .figures import FIGURES, guest_figures, guest_readings
from .guest_clock import clock_summary
from .stats import distributions

if TYPE_CHECKING:
    from ..model.shapes import run as shape


def guest_results(guest: Guest) -> shape.RunGuest:
    """One guest: the `parse` fields, `host`, `times` and `cpu` (per host-timed phase: wall, CPU, wait)."""
    return {
        **timeline_dict(guest.timeline),
        "host": guest.host_dict(),
        "times": guest_figures(guest).as_dict(),
        "cpu": {name: usage.as_dict() for name, usage in phase_cpu(guest).items()},
        "script": [run.as_dict(guest.spawn_ns) for run in guest.script],
        "console": guest_console(guest),
    }


def fleet_results(fleet: FleetView) -> shape.RunOutput:
    """The parse JSON, plus per guest `host` and a top-level `summary`."""
    guests = [guest_results(guest) for guest in fleet.guests]
    counted = [guest_readings(g) for g in fleet.guests]
    phases = {name: dist.as_dict() for name, dist in distributions(counted).items()}
    figures = distributions(counted, FIGURES)
    times = {name: figures[name].as_dict() if name in figures else None for name in FIGURES}
    summary: shape.Summary = {
        "guests": len(fleet.guests),
        "jobs": fleet.jobs,
        "accel": accel_summary(fleet.guests),
        "counts": fleet.counts(),
        "spawn_spread_s": fleet.start_spread(),  # the start spread, under the key it always had
        "phases": phases,
        "times": times,
        "record_dir": str(fleet.record_dir),
        "interrupted_by": fleet.interrupted_by,
        "recording_errors": list(fleet.recording_errors),
        "tracer": tracer_usage(getattr(fleet, "usage", None), fleet.tracer_booting),
        "console": sentence([guest["console"] for guest in guests if guest["host"].get("spawn_ns") is not None]),
        "guest_clock": clock_summary(g.timeline for g in fleet.guests).as_dict(),
    }
    figures_of = getattr(getattr(fleet, "launcher", None), "figures", None)
    if figures_of is not None:  # a cluster run: its nodes, start spread and console latency
        summary["cluster"] = figures_of(fleet.started_ns)
    return {"format": formats.RUN, "guests": guests, "summary": summary}


def accel_summary(guests: Sequence[Guest]) -> shape.Accel | None:
    """The run's accelerator and why (`--accel auto`'s reason, else null); null for `--cmd` launchers."""
    chosen = [guest.spec for guest in guests if guest.spec.command is None and guest.spec.accel != "n/a"]
    if not chosen:
        return None
    return {"accel": chosen[0].accel, "reason": chosen[0].accel_reason}


def tracer_usage(usage: TracerUsage | None = None, booting: shape.TracerBooting | None = None) -> shape.Tracer:
    """uktrace's own CPU time over the run (the process's, for a replay) and peak memory (QEMU
    processes excluded), and `booting`: its share of the host's CPUs while the guests booted (a
    replay's, as recorded)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    user, system = (own.ru_utime, own.ru_stime) if usage is None else usage.run_cpu()
    return {
        "cpu_user_s": round(user, 3),
        "cpu_system_s": round(system, 3),
        "max_rss_mib": round(own.ru_maxrss / 1024, 1),
        "booting": booting,
        "policy": usage.policy if usage is not None else policy(),
    }


def ended_cleanly(timeline: BootTimeline) -> bool:
    """The guest exited with code 0 (or an unstated code), and was ready first when `--ready` asked
    for a ready line: the one ending a pipeline can trust. Crashed, failed, timed out, no exit seen
    (a log cut short, a guest still booting or running), or never ready is not clean; `run`'s exit
    status and `parse`'s both follow this."""
    return timeline.status.value == "exited" and (timeline.exit_code or 0) == 0 and timeline.not_ready is None


def failed_guests(guests: Sequence[Guest]) -> int:
    return sum(1 for g in guests if not ended_cleanly(g.timeline))
