"""`uktrace run --headless`: a live progress view while guests boot, then the tables.

The live view redraws from the fleet model at 10 Hz: one line per guest up to `DETAIL_LIMIT`
guests, a compact summary (counts by status and by phase) above that.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence

import anyio
import anyio.to_thread
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ..analysis.console_cost import guest_console
from ..analysis.console_cost import sentence as console_sentence
from ..analysis.figures import FIGURES, GuestTimes, Reading, elapsed, guest_figures, guest_readings, median
from ..analysis.guest_clock import clock_summary
from ..analysis.results import ended_cleanly
from ..analysis.stats import distributions
from ..model.guest import STALL_FIRST_S, STALL_S, FleetView, Guest
from ..model.nesting import level
from ..model.timeline import BootTimeline
from ..present.table import SafeTable
from ..present.timeline import STATUS_STYLE, accel_line, level_notes, stall_note, status_text
from ..present.units import format_seconds
from ..recording.record import recordings_base

DETAIL_LIMIT = 20
REFRESH_HZ = 10


def progress(fleet: FleetView) -> RenderableType:
    """The live view: per-guest lines, or a summary for large fleets."""
    counts = fleet.counts()
    header = Text.assemble(
        ("uktrace ", "bold"),
        f"{len(fleet.guests)} guests, at most {fleet.jobs} at once   ",
        *[(f"{name} {count}  ", STATUS_STYLE_BY_NAME[name]) for name, count in counts.items() if count],
    )
    if len(fleet.guests) > DETAIL_LIMIT:
        phases = Counter(g.timeline.current or "spawn" for g in fleet.guests if not g.timeline.status.finished)
        line = Text("in progress: " + ", ".join(f"{p} {n}" for p, n in phases.most_common()) if phases else "")
        nodes = Counter(g.node for g in fleet.guests if g.node is not None and g.running)
        if nodes:
            line.append("\nrunning per node: " + ", ".join(f"{node} {n}" for node, n in sorted(nodes.items())))
        now = fleet.clock()
        stalled = sum(1 for g in fleet.guests if g.stalled(now))
        if stalled:
            quiet = f"{STALL_S:g} s, {STALL_FIRST_S:g} s before the first line"
            line.append(f"\n{stalled} stalled: no console output for {quiet}", style="yellow")
        return Group(header, line)
    table = SafeTable.grid(padding=(0, 2))
    now = fleet.clock()
    on_nodes = any(guest.node is not None for guest in fleet.guests)
    for guest in fleet.guests:
        timeline = guest.timeline
        table.add_row(
            guest.name,
            *([guest.node or "…"] if on_nodes else []),
            guest.spec.accel,
            Text(timeline.status.value, style=STATUS_STYLE[timeline.status]),
            timeline.current or ("spawn" if guest.spawn_ns else "waiting"),
            format_seconds(elapsed(guest, now)),
            ready_note(timeline),
            script_note(guest),
            Text(note, style="yellow") if (note := stall_note(guest, now)) else "",
        )
    return Group(header, table)


STATUS_STYLE_BY_NAME = {status.value: style for status, style in STATUS_STYLE.items()}


async def live_progress(fleet: FleetView, console: Console) -> None:
    """Redraw `progress` until cancelled.

    The terminal is written from a thread: a terminal nobody reads (a paused pager, a pty whose
    reader is busy) blocks the write once its buffer is full, and on the event loop that would
    stop every console being read, so the guests being traced would stall on their UARTs. Frames
    are skipped meanwhile; the run's own work never waits for the screen."""
    with Live(progress(fleet), console=console, auto_refresh=False, transient=True) as live:
        while True:
            await anyio.sleep(1 / REFRESH_HZ)
            await anyio.to_thread.run_sync(
                functools.partial(live.update, progress(fleet), refresh=True), abandon_on_cancel=True
            )


def summary_tables(fleet: FleetView) -> RenderableType:
    """Per-phase distribution, per-guest figures, failures with reasons."""
    guests = fleet.guests
    phase_table = SafeTable(title="phases across guests (each on the clock that saw it)", title_justify="left")
    for column in ("phase", "guests", "p50", "p95", "max", "clock"):
        phase_table.add_column(column, justify="left" if column in ("phase", "clock") else "right")
    counted = [guest_readings(g) for g in guests]
    for name, dist in distributions(counted).items():
        phase_table.add_row(
            "  " * level(name) + name,  # a nested phase under the one it runs in: its time is part of that one's
            str(dist.count),
            *(format_seconds(v) for v in (dist.p50, dist.p95, dist.max)),
            dist.clock,
        )
    times = [guest_figures(g) for g in guests]
    readying = any(g.timeline.ready is not None for g in guests)
    totals = SafeTable(title=f"boot / mount / main / {'ready / ' if readying else ''}total", title_justify="left")
    for column in ("", "p50", "p95", "max", "clock"):
        totals.add_column(column, justify="right" if column not in ("", "clock") else "left")
    for label, figures in distributions(counted, FIGURES).items():
        totals.add_row(label, *(format_seconds(v) for v in (figures.p50, figures.p95, figures.max)), figures.clock)
    parts: list[RenderableType] = [phase_table, totals]
    on_nodes = any(guest.node is not None for guest in guests)
    if on_nodes:
        parts.append(node_table(guests, counted))
    if len(guests) <= 50:
        per_guest = SafeTable(title="per guest", title_justify="left")
        shown = FIGURES if readying else tuple(name for name in FIGURES if name != "ready")
        for column in ("guest", *(("node",) if on_nodes else ()), "accel", "status", *shown, "bytes", "integrity"):
            per_guest.add_column(
                column, justify="left" if column in ("guest", "node", "accel", "status", "integrity") else "right"
            )
        for guest, t in zip(guests, times, strict=True):
            per_guest.add_row(
                guest.name,
                *([guest.node or "-"] if on_nodes else []),
                guest.spec.accel,
                Text(guest.timeline.status.value, style=STATUS_STYLE[guest.timeline.status]),
                *(figure_cell(guest.timeline, t, name) for name in shown),
                str(guest.received),
                guest.integrity or "-",
            )
        parts.append(per_guest)
    failures = [
        g
        for g in guests
        if g.timeline.ending is not None or g.timeline.status.value in ("failed", "timeout") or g.timeline.not_ready
    ]
    if failures:
        failed = SafeTable(title="failures", title_justify="left")
        failed.add_column("guest")
        failed.add_column("status and reason")
        for guest in failures:
            failed.add_row(guest.name, status_text(guest.timeline))
        parts.append(failed)
    kept = [(guest, t.halt_wait) for guest, t in zip(guests, times, strict=True) if t.halt_wait is not None]
    if kept:
        waits = [wait for _, wait in kept]
        parts.append(
            Text(
                f"VMM did not exit after halt: {len(kept)} of {len(guests)} guests; uktrace ended each after "
                f"{format_seconds(median(waits))} (halt_wait, p50), which total leaves out (it ends at the "
                "guest's last console line)",
                style="yellow",
            )
        )
    return Group(*parts)


def node_table(guests: Sequence[Guest], counted: Sequence[dict[str, Reading]]) -> Table:
    """A cluster run per node: guests, how they ended, p50 boot and total (host clock) over the
    guests that count (`figures.readings`), as the tables above."""
    table = SafeTable(title="per node (medians on this host's clock)", title_justify="left")
    for column in ("node", "guests", "statuses", "boot p50", "total p50"):
        table.add_column(column, justify="left" if column in ("node", "statuses") else "right")
    by_node: dict[str, list[tuple[Guest, dict[str, Reading]]]] = {}
    for guest, readings in zip(guests, counted, strict=True):
        by_node.setdefault(guest.node or "not started", []).append((guest, readings))
    for node, members in sorted(by_node.items()):
        statuses = Counter(guest.timeline.status.value for guest, _ in members)
        boots = [r["boot"][0] for _, r in members if "boot" in r]
        totals = [r["total"][0] for _, r in members if "total" in r]
        table.add_row(
            node,
            str(len(members)),
            ", ".join(f"{n} {status}" for status, n in statuses.most_common()),
            format_seconds(median(boots) if boots else None),
            format_seconds(median(totals) if totals else None),
        )
    return table


def cluster_line(fleet: FleetView) -> Text | None:
    """`on ray:...: 3 nodes, start spread across nodes 4.1 ms, console latency p50 ... p99 ...`."""
    figures_of = getattr(getattr(fleet, "launcher", None), "figures", None)
    if figures_of is None:
        return None
    figures = figures_of(fleet.started_ns)
    text = Text(f"on {figures['cluster']}: {len(figures['nodes'])} nodes")
    if figures["start_spread_s"] is not None:
        text.append(f", gate released across nodes within {format_seconds(figures['start_spread_s'])}")
    latency = figures["console_latency_ms"]
    if latency is not None:
        text.append(f", console node → here p50 {latency['p50']:.1f} ms, p99 {latency['p99']:.1f} ms")
    text.append(f", {figures['lost_events']} of {figures['events']} stream events missing")
    lost = [facts["lost"] for facts in figures["nodes"].values() if facts["lost"]]
    if lost:
        text.append("\nlost " + "; ".join(lost), style="bold magenta")
    return text


def ready_note(timeline: BootTimeline) -> Text | str:
    """`ready in 212.4 ms (host)` once the ready line came, `not ready: exited first`, else nothing."""
    if timeline.ready is None:
        return ""
    if timeline.not_ready is not None:
        return Text(timeline.not_ready, style="yellow")
    phase = timeline.phase("ready") if timeline.ready_line is not None else None
    if phase is None:
        return ""
    return Text(f"ready in {format_seconds(phase.duration)} ({phase.clock})", style="green")


def script_note(guest: Guest) -> Text | str:
    """`script 1/2: waiting for 'echo: hi'` while a console script runs; how it ended once it did."""
    runs = guest.script
    if not runs:
        return ""
    done = sum(1 for run in runs if run.outcome in ("matched", "matched, sent", "sent"))
    current = next((run for run in runs if run.outcome not in ("matched", "matched, sent", "sent")), None)
    if current is None:
        return Text(f"script {done}/{len(runs)} done", style="green")
    if current.outcome == "waiting" and current.step.expect is not None:
        return Text(f"script {done}/{len(runs)}: waiting for {current.step.expect!r}")
    style = "red" if current.outcome == "timeout" else "dim"
    return Text(f"script {done}/{len(runs)}: step {done + 1} {current.outcome}", style=style)


def figure_cell(timeline: BootTimeline, times: GuestTimes, name: str) -> Text | str:
    """A figure; for `ready` without one, why (`not ready: exited first`), or `…` while it may come."""
    if name == "ready" and timeline.not_ready is not None and times.ready is None:
        return Text(timeline.not_ready, style="yellow")
    return format_seconds(times.figure(name))


ENDINGS_SHOWN = 10
"""Distinct endings listed under the counts after the TUI; the recording keeps every one."""
NAMES_SHOWN = 4


def endings(guests: Sequence[Guest]) -> Text | None:
    """Why the guests that did not end cleanly ended, one line per distinct reason, under the
    counts the TUI leaves on the terminal: `2 crashed: Unhandled Trap 0 (divide error), error
    code=0x0 at 0x10317c app_divide+0x1c (guest-1, guest-2)`. None when every guest exited cleanly."""
    groups: dict[str, tuple[Text, list[str]]] = {}
    for guest in guests:
        if ended_cleanly(guest.timeline) or not guest.timeline.status.finished:
            continue
        text = status_text(guest.timeline)
        groups.setdefault(text.plain, (text, []))[1].append(guest.name)
    if not groups:
        return None
    lines = Text()
    for number, (text, names) in enumerate(groups.values()):
        if number == ENDINGS_SHOWN:
            rest = sum(len(names) for _, names in list(groups.values())[ENDINGS_SHOWN:])
            more = f"… and {len(groups) - ENDINGS_SHOWN} more reasons ({rest} guests)"
            lines.append(f"\n{more}: `uktrace replay --headless` of the recording lists them")
            break
        shown = ", ".join(names[:NAMES_SHOWN]) + (
            f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
        )
        lines.append("\n" if number else "")
        lines.append(f"{len(names)} ")
        lines.append_text(text)
        lines.append(f" ({shown})")
    return lines


def run_footer(fleet: FleetView, reasons: bool = False) -> Text:
    """The counts, spread and duration, the clocks, where the consoles are; with `reasons` (after
    the TUI, where no failures table is printed) why each guest that did not end cleanly ended."""
    counts = fleet.counts()
    footer = Text()
    footer.append(", ".join(f"{n} {name}" for name, n in counts.items() if n))
    spread = fleet.start_spread()
    if spread is not None:
        footer.append(f"   first wave of {fleet.jobs} started within {format_seconds(spread)}")
    if fleet.started_ns is not None and fleet.finished_ns is not None:
        footer.append(f"   run took {format_seconds((fleet.finished_ns - fleet.started_ns) / 1e9)}")
    why = endings(fleet.guests) if reasons else None
    if why is not None:
        footer.append("\n")
        footer.append_text(why)
    accel = accel_line(fleet.guests)
    if accel is not None:
        footer.append(f"\n{accel}")
    for note in sorted({note for g in fleet.guests if g.timeline.status.finished for note in level_notes(g.timeline)}):
        footer.append(f"\n({note})", style="dim")
    cluster = cluster_line(fleet)
    if cluster is not None:
        footer.append("\n")
        footer.append_text(cluster)
    clocks = clock_summary(g.timeline for g in fleet.guests)
    sentence = clocks.sentence()
    if sentence is not None:
        footer.append("\n" + sentence, style="yellow" if clocks.skewed else "")
    console = console_sentence([guest_console(g) for g in fleet.guests if g.spawn_ns is not None])
    if console is not None:
        footer.append("\n" + console)
    from ..analysis.observer_effect import effect_sentence, moved, run_effect, unmeasured_sentence  # at the end only
    from ..launch.tracer_usage import host_cpus
    from ..present.tracer import over_goal, tracer_sentence

    booting = fleet.tracer_booting
    own = tracer_sentence(booting, recorded=not fleet.live)
    if own is not None:
        footer.append("\n" + own, style="yellow" if over_goal(booting) else "")
    effect = run_effect(fleet) if fleet.guests else None
    if effect is not None:  # what this host's observer check found uktrace itself changes at this size
        footer.append("\n" + effect_sentence(effect, recorded=not fleet.live), style="yellow" if moved(effect) else "")
    elif (unknown := unmeasured_sentence(fleet, booting["cpus"] if booting else host_cpus())) is not None:
        footer.append("\n" + unknown, style="yellow")
    for guest in fleet.guests:
        if guest.held is not None:  # a hang of uktrace's own: the guest's figures stand
            footer.append(f"\n{guest.name}: uktrace waited until the timeout for {guest.held}", style="red")
    if fleet.recording_errors:
        footer.append(f"\nconsoles NOT fully recorded in {fleet.record_dir}: ", style="bold red")
        footer.append(fleet.recording_errors[0], style="red")
    else:
        footer.append(f"\nconsoles recorded in {fleet.record_dir}")
    if fleet.record_dir.parent == recordings_base():
        footer.append("\nlist kept runs: uktrace recordings; remove old ones: uktrace recordings prune --older-than 7d")
    return footer
