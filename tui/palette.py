"""Every colour the TUI uses, as tables: phases, statuses, printk levels, record kinds, libraries.

One place so the bar, the legend, the guest view and the summary always agree, and so a theme
change is an edit here. Phase colours are fixed hex values (not theme variables) because a bar
must look the same in a screenshot, a snapshot test and any terminal theme; neighbours in boot
order get contrasting hues so a boundary between two phases is visible at a glance.
"""

from __future__ import annotations

import zlib

from rich.style import Style

from uktrace.cli.report import STATUS_STYLE
from uktrace.model.timeline import Status

PHASE_COLOURS: dict[str, str] = {
    "spawn": "#6b7280",
    "gate": "#0e7490",
    "firmware": "#a47148",
    "platform_entry": "#3b82f6",
    "stack_switch": "#06b6d4",
    "constructors": "#a855f7",
    "subsystems": "#14b8a6",
    "init_table": "#f97316",
    "bus_probe": "#eab308",
    "mount": "#ec4899",
    "9p_handshake": "#f9a8d4",
    "banner": "#e5e7eb",
    "main": "#22c55e",
    "exit": "#94a3b8",
}
"""Colour of each canonical phase (`parsers.phases.PHASES`), in the bar, legend and tables.
A phase added to the engine without a row here is drawn in UNKNOWN_PHASE (and a test fails)."""
UNKNOWN_PHASE = "#9ca3af"


def phase_colour(name: str) -> str:
    return PHASE_COLOURS.get(name, UNKNOWN_PHASE)


STATUS_STYLES: dict[Status, str] = dict(STATUS_STYLE)
"""Status colours: the engine's table (`uktrace.cli.report.STATUS_STYLE`), so headless and TUI agree."""
STATUS_BY_NAME: dict[str, str] = {status.value: style for status, style in STATUS_STYLES.items()}
WAITING_STYLE = "dim"
"""A guest not yet spawned (held back by `-j`)."""

LEVEL_STYLES: dict[str | None, Style] = {
    "dbg": Style(dim=True),
    "Info": Style(),
    "Warn": Style(color="yellow"),
    "ERR": Style(color="red", bold=True),
    "CRIT": Style(color="bright_white", bgcolor="red", bold=True),
    None: Style(),
}
"""Style of a whole printk line by level (Unikraft's spelling)."""
LEVEL_TAG_STYLES: dict[str, Style] = {
    "dbg": Style(color="bright_black"),
    "Info": Style(color="blue", bold=True),
    "Warn": Style(color="yellow", bold=True),
    "ERR": Style(color="red", bold=True),
    "CRIT": Style(color="bright_white", bgcolor="red", bold=True),
}
"""Style of the level word itself, stronger than the line so the eye finds it."""

KIND_STYLES: dict[str, Style] = {
    "banner": Style(color="cyan", bold=True),
    "app": Style(color="bright_white"),
    "firmware": Style(color="bright_black", italic=True),
    "vmm": Style(color="magenta"),
    "other": Style(),
}
"""Non-printk lines by `parsers.Kind` value."""
TIMESTAMP_STYLE = Style(color="bright_black")
SEARCH_STYLE = Style(color="black", bgcolor="yellow")
RAW_ESCAPE_STYLE = Style(color="magenta")

_LIBRARY_COLOURS = ("#60a5fa", "#34d399", "#f472b6", "#fbbf24", "#a78bfa", "#22d3ee", "#fb923c", "#a3e635")


def library_style(library: str) -> Style:
    """A stable colour per library name (the same library is the same colour in every guest)."""
    return Style(color=_LIBRARY_COLOURS[zlib.crc32(library.encode()) % len(_LIBRARY_COLOURS)])
