"""The fleet view: header, one row per guest, a filter prompt; keys to open, sort, stop, relaunch,
and to choose the bars' axis (`a`) and zoom (`z`, `[`/`]`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from uktrace.model.guest import FleetView, Guest

from ..commands import relaunch_guest, stop_guest
from ..filter_prompt import FilterPrompt
from ..widgets.fleet_table import FleetTable, SortOrder
from ..widgets.footer import KeyFooter
from ..widgets.header import FleetHeader
from . import LiveScreen
from .guest import GuestScreen
from .sort import SortPicker


class FleetScreen(FilterPrompt, LiveScreen):
    """Every guest at a glance; the starting point of every other view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Details"),
        Binding("slash", "filter", "Filter"),
        Binding("s", "sort", "Sort"),
        Binding("x", "stop_guest", "Stop"),
        Binding("r", "relaunch", "Relaunch"),
        Binding("a", "axis", "Axis"),
        Binding("z", "zoom", "Zoom"),
        Binding("left_square_bracket", "zoom_step(-1)", "Previous phase", show=False),
        Binding("right_square_bracket", "zoom_step(1)", "Next phase", show=False),
        Binding("tab", "app.view('summary')", "Summary"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    FleetScreen #filter { dock: bottom; display: none; border: tall $accent; }
    FleetScreen #filter.-shown { display: block; }
    """

    def __init__(self, fleet: FleetView, clock: Callable[[], int], title: str) -> None:
        super().__init__(name="fleet")
        self.fleet = fleet
        self.clock = clock
        self.run_title = title

    def compose(self) -> ComposeResult:
        yield FleetHeader(self.fleet, self.clock, self.run_title, id="header")
        yield FleetTable(self.fleet, self.clock, id="fleet")
        yield Input(placeholder="filter: name, phase, reason, or a status (running, crashed…)", id="filter")
        yield KeyFooter()

    @property
    def table(self) -> FleetTable:
        return self.query_one(FleetTable)

    @property
    def header(self) -> FleetHeader:
        return self.query_one(FleetHeader)

    def on_mount(self) -> None:
        self.table.focus()
        self.tick(self.clock())

    def tick(self, now: int) -> None:
        self.header.tick(now)
        self.table.tick(now)

    # -- filter ----------------------------------------------------------------------------------

    @property
    def filtered(self) -> FleetTable:
        return self.table

    # -- sort ------------------------------------------------------------------------------------

    def action_sort(self) -> None:
        def chosen(order: SortOrder | None) -> None:
            if order is not None:
                self.table.set_order(order)

        self.app.push_screen(SortPicker(self.table.order), chosen)

    # -- axis and zoom -----------------------------------------------------------------------------

    def action_axis(self) -> None:
        """Host since the first spawn → host since each first console line → guest clock."""
        mode = self.table.mode.next()
        self.table.set_axis(mode=mode)
        self.header.set_legend(mode.phases)

    def action_zoom(self) -> None:
        """Whole boot → in-guest phases → the phase under focus."""
        table = self.table
        table.set_axis(zoom=table.zoom.cycled(table.focus_phase()))

    def action_zoom_step(self, delta: int) -> None:
        """Zoom on the previous or next phase (from another zoom: on the phase under focus)."""
        table = self.table
        table.set_axis(zoom=table.zoom.stepped(delta, table.focus_phase()))

    # -- a guest ---------------------------------------------------------------------------------

    def action_open(self) -> None:
        guest = self.table.guest
        if guest is not None:
            self.open(guest)

    @on(FleetTable.GuestChosen)
    def chosen(self, event: FleetTable.GuestChosen) -> None:
        self.open(event.guest)

    def open(self, guest: Guest) -> None:
        table = self.table
        self.app.push_screen(GuestScreen(self.fleet, guest, self.clock, table.mode, table.zoom))

    def action_stop_guest(self) -> None:
        stop_guest(self, self.fleet, self.table.guest)

    def action_relaunch(self) -> None:
        relaunch_guest(self, self.fleet, self.table.guest)
