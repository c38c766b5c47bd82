"""What this host's observer check found uktrace itself changes, said for a run of that size.

`bench --observer-check` keeps its verdicts per host and cell (`launch.observer_checks`); a live run
of as many guests at once reads them back (and its recording keeps them, so that its replay says
the recording host's), at its end, to say what its figures carry: a light module (no compare
machinery), as it runs after every run.
"""

from __future__ import annotations

import time
from typing import Any

from ..model.guest import FleetView
from .verdicts import FASTER, NO_CHANGE, SLOWER


def run_effect(fleet: FleetView) -> dict[str, Any] | None:
    """The host's observer check of as many guests at once as `fleet` ran (of its filesystem
    first): this host's last for a live run, the recording host's for a replay (`FleetView.
    observer_effect`); None when no check measured it."""
    effect = fleet.observer_effect
    return None if effect is None else dict(effect)


def unmeasured_sentence(fleet: FleetView, cpus: int) -> str | None:
    """For a live run of more guests at once than the host has CPUs and no check of that size here:
    that its figures' share of uktrace itself is not known, and the command that measures it (on 2
    CPUs, checks of 50 and 100 guests found uktrace's presence moving in-guest phases by 20-50 %)."""
    if not fleet.live or fleet.observer_effect is not None:
        return None
    if not any(guest.spec.command is None for guest in fleet.guests):
        return None  # a launcher's guests: the check runs QEMU itself
    at_once = min(len(fleet.guests), fleet.jobs or len(fleet.guests))
    if at_once <= cpus:
        return None
    fs = f" --fs-mode {fleet.fs_mode.split()[0]}" if fleet.fs_mode else ""
    return (
        f"uktrace's own effect at {at_once} guests: not measured on this host (more guests than its {cpus} CPUs: "
        f"it can be large); `uktrace bench --observer-check --concurrency {at_once}{fs}` measures it"
    )


def moved(entry: dict[str, Any]) -> bool:
    """Whether the check found uktrace moved a figure beyond the noise (slower or faster traced)."""
    return any(metric.get("verdict") in (SLOWER, FASTER) for metric in entry["metrics"])


def effect_sentence(entry: dict[str, Any], brief: bool = False, recorded: bool = False) -> str:
    """`uktrace's own effect at 100 guests here (bench --observer-check, shared fs, 2026-12-07):
    main +38.5 % slower traced (95 % CI +29.3 % to +46.0 %), ...; can't tell: total`. `brief` (the
    TUI's header, two lines at most): what moved and its split, without intervals or the rest.
    `recorded`: a replay's, measured where the run was recorded (`where recorded`, not `here`)."""
    moved, unknown, same = [], [], []
    for metric in entry["metrics"]:
        name, verdict, base = metric.get("metric"), metric.get("verdict"), metric.get("median_unobserved")
        difference, interval = metric.get("difference"), metric.get("interval")
        if verdict in (SLOWER, FASTER) and difference is not None and base and interval:
            low, high = (100 * value / base for value in interval)
            ci = "" if brief else f"; 95 % CI {signed_percent(low)} to {signed_percent(high)}"
            moved.append(f"{name} {signed_percent(100 * difference / base)} ({verdict} traced{ci})")
        elif verdict == NO_CHANGE:
            same.append(str(name))
        else:
            unknown.append(str(name))
    made = time.strftime("%Y-%m-%d", time.localtime(entry["made"]))
    fs = f", {entry['fs']} fs" if entry.get("fs") else ""
    parts = ["; ".join(moved)] if moved else ["nothing moved beyond the noise"]
    if same and not brief:
        parts.append("no change: " + ", ".join(same))
    if unknown and not brief:
        parts.append("can't tell: " + ", ".join(unknown))
    sentence = (
        f"uktrace's own effect at {entry['concurrency']} guests {'where recorded' if recorded else 'here'} "
        f"(bench --observer-check{fs}, {made}): " + "; ".join(parts)
    )
    if entry.get("wakeups") is not None and entry.get("beyond_wakeups") is not None:
        alone, work = _directions(entry["wakeups"]), _directions(entry["beyond_wakeups"])
        waking = "" if brief else f" (any program waking as often does as much {'there' if recorded else 'here'})"
        sentence += f". Of it, its wake-ups alone{waking}: {alone}; its work beyond them: {work}"
    return sentence


def signed_percent(value: float) -> str:
    """`+12.3 %`, `−4.0 %` (a minus sign, not a hyphen), as the report writes an effect's share."""
    return f"{value:+.1f} %".replace("-", "−")


def _directions(metrics: list[dict[str, Any]]) -> str:
    """`faster: init_table, mount; slower: main`, or `nothing moved beyond the noise`."""
    ways = {way: [str(m.get("metric")) for m in metrics if m.get("verdict") == way] for way in (FASTER, SLOWER)}
    said = [f"{way}: {', '.join(names)}" for way, names in ways.items() if names]
    return "; ".join(said) if said else "nothing moved beyond the noise"
