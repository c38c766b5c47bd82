"""The colour of each boot phase, one table for every view: the TUI's bars, the bench's plots and
the exported Gantt chart, so a phase looks the same wherever a user meets it.

Fixed hex values (not theme variables): a bar must look the same in a screenshot, a snapshot
test, an SVG and any terminal theme. Neighbours in boot order get contrasting hues, so a
boundary between two phases is visible at a glance.
"""

from __future__ import annotations

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
"""Colour of each canonical phase (`parsers.phases.PHASES`). A phase added to the engine without a
row here is drawn in UNKNOWN_PHASE (and a test fails)."""
UNKNOWN_PHASE = "#9ca3af"


def phase_colour(name: str) -> str:
    return PHASE_COLOURS.get(name, UNKNOWN_PHASE)
