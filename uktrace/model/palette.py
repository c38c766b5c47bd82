"""The colour of each boot phase, one table for every view: the TUI's bars, the bench's plots and
the exported Gantt chart, so a phase looks the same wherever a user meets it.

Fixed hex values (not theme variables): a bar must look the same in a screenshot, a snapshot
test, an SVG and any terminal theme.

Every colour comes from a palette designed for colour-blind readers: Okabe & Ito's (Color
Universal Design, 2008; `oi`) and Paul Tol's qualitative schemes (personal.sron.nl/~pault, 2021:
`bright`, `vibrant`, `muted`, `light`). Twenty-one phases are more than any one of them holds (Tol's
largest has nine), so their colours were picked, and placed in boot order (`ready`, drawn over the
start of main, `init_table` and `bus_probe`, since the bus probe and the mount are drawn over
the init table, and the firmware's parts were searched for in the sRGB cube: none of theirs left
passed), for:
* neighbours that contrast: every two phases that meet in a bar differ by at least 25 CIEDE2000
  units for normal vision and under simulated deuteranopia and protanopia (the red-green
  deficiencies, ~8 % of men); tritanopia (~0.01 %) keeps most boundaries, not all;
* every phase distinct from every other (at least 10 units), so the legend identifies it;
* no grey, black or red: grey is the interface's (the cursor row, `UNKNOWN_PHASE`), red its failures
  (a crash note, the `failed` status); lightness between 40 and 90 L*, visible on a dark terminal
  and on the plots' white.
`tests/unit/test_palette.py` measures all of it.
"""

from __future__ import annotations

PHASE_COLOURS: dict[str, str] = {
    "spawn": "#999933",  # Tol muted olive
    "gate": "#77aadd",  # Tol light blue
    "firmware": "#e69f00",  # Okabe-Ito orange
    # the firmware's parts, found by search: a chain from firmware to platform_entry (listed in that
    # order in the guest view), no two next to each other alike
    "pci_init": "#00eeee",  # cyan
    "device_init": "#00aa00",  # green
    "option_roms": "#8866ff",  # violet
    "kernel_load": "#ffcc00",  # yellow
    "platform_entry": "#cc79a7",  # Okabe-Ito reddish purple
    "stack_switch": "#eedd88",  # Tol light yellow
    "constructors": "#117733",  # Tol muted green
    "subsystems": "#ffaabb",  # Tol light pink
    "tsc_calibration": "#aa33cc",  # purple, found by search: it meets subsystems, constructors, init_table
    "init_table": "#aa6622",  # ochre, found by search: the bus probe and the mount are drawn over it
    "bus_probe": "#ccee00",  # lime, found by search: it meets subsystems when no `Init Table` line shows
    "mount": "#0077bb",  # Tol vibrant blue
    "9p_handshake": "#d55e00",  # Okabe-Ito vermillion
    "fuse_handshake": "#aa3377",  # Tol bright purple
    "banner": "#99ddff",  # Tol light cyan
    "main": "#009e73",  # Okabe-Ito bluish green
    "ready": "#5555bb",  # blue-violet, found by search: no palette colour met the measures over main
    "exit": "#33bbee",  # Tol vibrant cyan
}
"""Colour of each canonical phase (`uktrace.parsers.phases.PHASES`). A phase added to the engine without a
row here is drawn in UNKNOWN_PHASE (and a test fails)."""
UNKNOWN_PHASE = "#a0a0a0"
CURSOR = "#3a3a3a"
"""The fleet table's cursor row when focused: a neutral grey no phase uses, so the highlighted row
never reads as a phase (the bars keep their colours on it)."""
CURSOR_UNFOCUSED = "#262626"


def phase_colour(name: str) -> str:
    return PHASE_COLOURS.get(name, UNKNOWN_PHASE)
