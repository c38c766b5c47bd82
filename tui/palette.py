"""Every colour the TUI uses, as tables: phases, statuses, printk levels, record kinds, libraries.

One place so the bar, the legend, the guest view and the summary always agree, and so a theme
change is an edit here. Phase colours come from the engine (`uktrace.model.palette`), which the
bench's plots and the exported charts use too.
"""

from __future__ import annotations

import zlib

from rich.style import Style

from uktrace.model.palette import PHASE_COLOURS as PHASE_COLOURS
from uktrace.model.palette import UNKNOWN_PHASE as UNKNOWN_PHASE
from uktrace.model.palette import phase_colour as phase_colour
from uktrace.model.timeline import Status
from uktrace.present.timeline import STATUS_STYLE

STATUS_STYLES: dict[Status, str] = dict(STATUS_STYLE)
"""Status colours: the engine's table (`uktrace.present.timeline.STATUS_STYLE`), so headless and TUI agree."""
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
