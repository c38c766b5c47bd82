"""Human output for the terminal: a phase table and a status line per guest (rich renderables)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..model.timeline import BootTimeline, Status

STATUS_STYLE = {
    Status.BOOTING: "yellow",
    Status.RUNNING: "cyan",
    Status.EXITED: "green",
    Status.CRASHED: "bold red",
    Status.FAILED: "red",
    Status.TIMEOUT: "magenta",
}


def format_seconds(value: float | None) -> str:
    """Seconds for a table cell: milliseconds below 1 s, `…` when unknown."""
    if value is None:
        return "…"
    return f"{value * 1000:.1f} ms" if abs(value) < 1 else f"{value:.3f} s"


def status_text(timeline: BootTimeline) -> Text:
    """`exited (0)`, `crashed: <reason>` and so on, coloured."""
    text = Text(timeline.status.value, style=STATUS_STYLE[timeline.status])
    if timeline.exit_code is not None:
        text.append(f" ({timeline.exit_code})")
    if timeline.crash is not None:
        text.append(f": {timeline.crash.reason}")
        if timeline.crash.where:
            text.append(f" at {timeline.crash.where}", style="bold")
    return text


def timeline_table(timeline: BootTimeline) -> RenderableType:
    """The phases of one guest with start, duration and the clock they are measured on."""
    version = timeline.version
    header = Text(timeline.name, style="bold")
    if version is not None:
        sha = f"~{version.sha}" if version.sha else ""
        header.append(f"  Unikraft {version.codename} {version.version}{sha}", style="cyan")
    table = Table(expand=False)
    table.add_column("phase")
    table.add_column("start", justify="right")
    table.add_column("duration", justify="right")
    table.add_column("clock")
    for phase in timeline.phases():
        table.add_row(phase.name, format_seconds(phase.start), format_seconds(phase.duration), phase.clock)
    footer = Text.assemble(
        "status: ", status_text(timeline), f"   lines: {timeline.lines}", f"   unrecognised: {timeline.unrecognised}"
    )
    if not timeline.phases():
        footer.append("\n(no boot phase markers: build with CONFIG_LIBUKDEBUG_PRINTK_INFO=y to see them)", style="dim")
    return Group(header, table, footer)
