"""The key reference (`?`): every key by view, the way k9s and htop users look for them."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from uktrace.model.axis import AxisMode
from uktrace.recording.clock import SPEEDS, speed_label

from .. import bar
from ..widgets.header import legend

AXES = {
    AxisMode.HOST: "each bar from its guest's spawn (what a user waits for)",
    AxisMode.CONSOLE: "each bar from its guest's first console line; spawn, gate, firmware off the axis",
    AxisMode.GUEST: "the guest's own stamps; a phase stamped 0.000000 before its timer ran has no width",
}
"""What each axis mode shows (`a`), in a sentence."""

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "everywhere",
        (
            ("?", "this help"),
            ("q", "quit: stops every guest cleanly, then exits"),
            ("ctrl+s", "save an SVG screenshot into the run's recording (the toast says where)"),
            ("1 / 2 / 3, tab", "fleet view / summary view / blame view (each function across guests)"),
            ("esc", "back (close a prompt first)"),
            ("h", "home (`uktrace` alone): stops the run, back to the list of runs"),
        ),
    ),
    (
        "home",
        (
            ("enter", "replay the run under the cursor"),
            ("space, c", "mark runs (two or more), compare them: the oldest marked is the baseline A"),
            ("d", "delete the run under the cursor (asks first)"),
            ("n", "launch a run from a form; the command line it shows does the same from a shell"),
            ("/, esc", "filter by any words of a row; clear the filter"),
            ("r", "read the recordings directory again"),
        ),
    ),
    (
        "fleet",
        (
            ("↑ ↓ j k, pgup pgdn, g G", "move the cursor"),
            ("enter, double click", "open the guest under the cursor"),
            ("/", "filter: words match name, phase, reason; a status name (crashed…) its status"),
            ("s", "sort by name, status, total or any phase (again: reverse)"),
            ("x", "stop the guest under the cursor"),
            ("r", "relaunch a finished guest"),
            ("a", "axis: host since the first spawn, host since each first console line, guest clock"),
            ("z", "zoom: whole boot, in-guest phases, the phase under focus (sorted by, else the longest)"),
            ("[ ]", "zoom on the previous / next phase"),
        ),
    ),
    (
        "guest",
        (
            ("f", "follow the console (scrolling up leaves follow)"),
            ("/, n, N", "search the console, next and previous hit"),
            ("b", "raw bytes, escaped, instead of parsed lines"),
            ("i", "type into the guest's console (enter sends the line)"),
            ("p", "show or hide the phase breakdown"),
            ("c", "each constructor and init function under its phase: boot order, longest first, hidden again"),
            ("a, z, [ ]", "the bars' axis and zoom, as in the fleet, for this guest"),
            ("x, r", "stop, relaunch this guest"),
        ),
    ),
    (
        "blame",
        (
            ("s", "sort by p95, p50, guests, name"),
            ("enter", "open the guest with the slowest run of the function under the cursor"),
        ),
    ),
    (
        "replay",
        (
            ("space", "pause, play; at the end, again from the start (these keys: uktrace replay only)"),
            (", .", "step back, forward to a phase change of any guest (in the guest view: of that guest); pauses"),
            ("< >", "seek back, forward by a tenth of the run"),
            ("{ }", "the start, the end of the run"),
            ("- +", "slower, faster: " + " ".join(speed_label(rate) for rate in SPEEDS)),
        ),
    ),
)


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for view, keys in KEYS:
        table.add_row(Text(view, style="bold underline"), "")
        for key, what in keys:
            table.add_row(key, what)
        table.add_row("", "")
    table.add_row(Text("bars", style="bold underline"), "")
    table.add_row("", f"one colour per phase; {bar.EIGHTHS[1:]} = eighths of a cell; the line above says the axis")
    for mode, what in AXES.items():
        table.add_row("", Text.assemble((mode.label, "bold"), ": ", what))
    table.add_row("", legend())
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "uktrace keys"
            yield Static(help_table())
