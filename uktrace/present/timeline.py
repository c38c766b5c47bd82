"""A guest on the terminal: its status line and colours, a stall note, its guest clock, its phase table."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uktrace.parsers.calls import debug_option
from uktrace.parsers.releases import hidden_mount_note, info_option

from ..analysis.results import accel_summary
from ..model.calls import Call
from ..model.clock_rate import TOLERANCE, slowdown_text
from ..model.guest import Guest
from ..model.nesting import rows
from ..model.timeline import BootTimeline, Phase, Status
from .table import SafeTable
from .units import format_seconds

STATUS_STYLE = {
    Status.BOOTING: "yellow",
    Status.RUNNING: "cyan",
    Status.EXITED: "green",
    Status.CRASHED: "bold red",
    Status.FAILED: "red",
    Status.TIMEOUT: "magenta",
    Status.STOPPED: "blue",
    Status.LOST: "bold magenta",
}


def format_bound(phase: Phase) -> str | None:
    """A bound phase's duration cell: what its bound still says (`≥ 10.6 ms`: the line that ended
    it had no stamp, in a saved log), else `…`; None for a phase with a figure."""
    if not phase.bound:
        return None
    limit = phase.limit
    return "…" if limit is None else f"{limit[0]} {format_seconds(limit[1])}"


def status_text(timeline: BootTimeline) -> Text:
    """`exited (0)`, `crashed: <reason>` and so on, coloured."""
    text = Text(timeline.status.value, style=STATUS_STYLE[timeline.status])
    if timeline.exit_code is not None:
        text.append(f" ({timeline.exit_code})")
    if timeline.ending is not None:
        text.append(f": {timeline.ending.reason}")
        if timeline.ending.where:
            text.append(f" at {timeline.ending.where}", style="bold")
    if timeline.not_ready is not None:
        text.append(f"; {timeline.not_ready}", style="yellow")
    return text


def stall_note(guest: Guest, now_ns: int) -> str | None:
    """`no output for 5.2 s; QEMU busy (98 % CPU)`: what a quiet guest's QEMU is doing, or None."""
    if not guest.stalled(now_ns):
        return None
    quiet = guest.quiet_s(now_ns) or 0.0
    return f"no output for {quiet:.0f} s; {guest.stall.describe() if guest.stall else 'QEMU alive'}"


UNTIMED = "untimed"
"""The clock cell of a call neither clock could time (a saved log's constructors)."""


def calls_hint(timeline: BootTimeline) -> str:
    """What to rebuild with when a console shows no call lines."""
    version = timeline.version.version if timeline.version else None
    return f"no constructor or init function lines: build with {debug_option(version)} to time each one"


def level_notes(timeline: BootTimeline) -> list[str]:
    """What the console's print level kept off it, each with the option of its release that shows
    it: every phase marker (no Info lines), and on 0.20+ the mount (dbg lines only)."""
    version = timeline.version.version if timeline.version else None
    phases = timeline.phases()
    notes = []
    if not phases:
        notes.append(f"no boot phase markers: build with {info_option(version)} to see them")
    elif not timeline.level_counts.get("dbg") and not any(phase.name == "mount" for phase in phases):
        note = hidden_mount_note(version)
        if note is not None:
            notes.append(note)
    return notes


def timeline_table(timeline: BootTimeline) -> RenderableType:
    """The phases of one guest with start, duration and the clock they are measured on, each
    table's functions nested under its phase."""
    version = timeline.version
    header = Text(timeline.name, style="bold")
    if version is not None:
        sha = f"~{version.sha}" if version.sha else ""
        header.append(f"  Unikraft {version.codename} {version.version}{sha}", style="cyan")
    phases = timeline.phases()
    calls = timeline.calls()
    table = SafeTable(expand=False)
    table.add_column("phase")
    table.add_column("start", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("clock")
    if calls:
        table.add_column("library")
    for row in rows(phases, calls):  # nested phases and calls one step in from what contains them
        item, indent = row.item, "  " * row.depth
        if isinstance(item, Phase):
            duration = format_bound(item) or format_seconds(item.duration)
            table.add_row(indent + item.name, format_seconds(item.start), duration, item.clock)
        else:
            _call_row(table, item, indent)
    footer = Text.assemble(
        "status: ", status_text(timeline), f"   lines: {timeline.lines}", f"   unrecognised: {timeline.unrecognised}"
    )
    clock_line = guest_clock_line(timeline)
    if clock_line is not None:
        footer.append("\n")
        footer.append_text(clock_line)
    for note in level_notes(timeline):
        footer.append(f"\n({note})", style="dim")
    if not calls:
        footer.append(f"\n({calls_hint(timeline)})", style="dim")
    elif any(call.clock is None for call in calls):
        footer.append("\n(untimed: ran before the guest clock started, and a saved log has no host clock)", style="dim")
    return Group(header, table, footer)


def guest_clock_line(timeline: BootTimeline) -> Text | None:
    """`guest clock: ran 1.6x slow (rate 0.630, 95 % 0.622-0.639, from the TSC estimate 3.88 GHz):
    guest-clock figures corrected`; None when there is nothing to say (no stamps, no estimate)."""
    clock = timeline.guest_clock()
    estimate = f"{clock.tsc_estimate_hz / 1e9:.2f} GHz" if clock.tsc_estimate_hz else None
    if clock.rate is None or clock.low is None or clock.high is None:
        if estimate is None:
            return None
        why = "no host times to measure it against" if clock.fit is None else "too few stamped reads to tell"
        return Text(f"guest clock: TSC estimate {estimate}, rate unknown ({why}): figures as printed", style="dim")
    if clock.source == "tsc":
        source = f"the TSC estimate {estimate}"
    else:
        source = f"its stamps over {clock.fit.points} reads" if clock.fit else "?"
    rate = f"rate {clock.rate:.3f}, 95 % {clock.low:.3f}-{clock.high:.3f}, from {source}"
    if clock.skewed:
        return Text(
            f"guest clock: ran {slowdown_text(clock.rate)} ({rate}): TSC calibration disturbed, "
            f"guest-clock figures corrected",
            style="yellow",
        )
    return Text(f"guest clock: right within {TOLERANCE * 100:.0f} % ({rate})", style="dim")


def _call_row(table: Table, call: Call, indent: str) -> None:
    name = Text(indent + call.label, style="" if call.name else "dim")
    table.add_row(
        name, format_seconds(call.start), format_seconds(call.duration), call.clock or UNTIMED, call.library or ""
    )


def accel_line(guests: Sequence[Guest]) -> str | None:
    """`accelerator tcg (auto: KVM had not run a probe guest after 1.0 s; TCG ran it in 0.21 s)` when
    `--accel auto` chose; None when the accelerator was asked for by name (the table shows it)."""
    summary = accel_summary(guests)
    if summary is None or summary["reason"] is None:
        return None
    return f"accelerator {summary['accel']} ({summary['reason']})"
