"""The guest view: status and failure, the phase breakdown on both clocks (each boot table's
functions nested under its phase with `c`: boot order, longest first), QEMU's stderr, the console.

The phase bars have the fleet's axis modes and zooms (`a`, `z`, `[`/`]`; `uktrace.model.axis`), for
this guest alone: host time since its spawn or since its first console line, or its own clock. The
view opens on the fleet's choice and keeps its own afterwards.

Typing (`i`) sends a line to the guest's serial console while it runs; the engine writes it to
the pty (`Guest.send`). Enter sends CR, as a terminal in raw mode does: a serial console reads
what a user at a real terminal would type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from uktrace.analysis.console_cost import guest_console, guest_sentence
from uktrace.analysis.figures import elapsed
from uktrace.analysis.naming import guest_symbols
from uktrace.kernel.symbols import Symbols
from uktrace.model.axis import (
    WHOLE_BOOT,
    AxisMode,
    Placement,
    Span,
    Window,
    Zoom,
    fit,
    longest,
    place,
    placement,
    spans_of,
)
from uktrace.model.calls import Call, sort_calls
from uktrace.model.guest import FleetView, Guest
from uktrace.model.nesting import rows
from uktrace.model.text import markup
from uktrace.model.timeline import Phase
from uktrace.parsers.phases import HOST_PHASES
from uktrace.present.timeline import format_bound, guest_clock_line, stall_note, status_text
from uktrace.present.units import format_seconds

from .. import playback
from ..bar import TimeAxis, TimelineBar, nice_axis
from ..commands import relaunch_guest, stop_guest
from ..palette import phase_colour
from ..widgets.console_view import ConsoleView
from ..widgets.conversation import ready_text, script_lines
from ..widgets.fleet_table import axis_caption, in_progress
from ..widgets.footer import KeyFooter
from . import LiveScreen

ENTER = b"\r"
PHASE_TABLE_TEXT = 78
"""Cells the phase table's text columns take; the bar column gets the rest of the width."""
NARROW = 100
"""Below this width the phase table keeps the two columns of the axis's clock, and shorter names."""
NARROW_TEXT = 48
STDERR_LINES = 8
"""QEMU stderr lines shown (the tail; the whole of it is in the recording)."""
NAME_WIDTH = 26
"""Cells for a phase or function name; a longer function name ends in `…`."""
NARROW_NAME = 16
CALL_ORDERS = ("hidden", "boot order", "longest first")
"""What `c` cycles through for the nested functions: hidden first, so the console keeps its room
(a real kernel runs dozens of constructors)."""


def info_text(guest: Guest, now: int) -> Text:
    """Name, status (with the failure reason), accelerator, cluster node, version, counts, where it is recorded."""
    timeline = guest.timeline
    text = Text.assemble((guest.name, "bold"), "  ", status_text(timeline))
    so_far = elapsed(guest, now)
    details = [guest.spec.accel] + ([f"on node {guest.node}"] if guest.node is not None else [])
    if so_far is not None:
        details.append(f"total {format_seconds(so_far)}")
    if timeline.version is not None:
        version = timeline.version
        details.append(f"Unikraft {version.codename} {version.version}" + (f"~{version.sha}" if version.sha else ""))
    details += [f"{guest.received} bytes", f"{timeline.lines} lines", f"{timeline.unrecognised} unrecognised"]
    if guest.integrity:
        details.append(f"integrity {guest.integrity}")
    if guest.attempt > 1:
        details.append(f"attempt {guest.attempt}")
    text.append("\n" + " · ".join(details), style="dim")
    ready = ready_text(timeline)
    if ready is not None:
        text.append("\n").append(ready)
    if timeline.guest_clock().skewed:  # a clock within 10 % of the host's is not worth a line here
        clock = guest_clock_line(timeline)
        if clock is not None:
            text.append("\n").append(clock)
    for line in script_lines(guest, now):
        text.append("\n").append(line)
    if not guest.running and guest.received:  # priced once it printed all it will
        text.append("\n" + guest_sentence(guest_console(guest)), style="dim")
    stall = stall_note(guest, now) if guest.running else None
    if stall is not None:
        text.append(f"\n{stall}", style="bold yellow")
    if guest.recording is not None:
        text.append(f"\nrecorded in {guest.recording}", style="dim")
    return text


@dataclass(frozen=True, slots=True)
class PhaseAxis:
    """How the phase table draws its bars: the axis mode, the zoom, and the table's width."""

    mode: AxisMode = AxisMode.HOST
    zoom: Zoom = WHOLE_BOOT
    bar_width: int = 16
    width: int = 0
    """The table's whole width (the caption drops its key hints below what it needs)."""
    narrow: bool = False
    """Only the two columns of the axis's clock, and shorter names (a narrow terminal)."""


def guest_window(guest: Guest, phases: list[Phase], now: int, axis: PhaseAxis) -> tuple[Window, bool]:
    """The window `axis.zoom` fits over this guest's phases, and whether it found them (else the
    whole boot is shown)."""
    spans = [spans_of(phases, axis.mode, placement(guest, guest.spawn_ns, now))]
    window = fit(spans, axis.zoom)
    if window is None:
        return fit(spans, WHOLE_BOOT) or Window(0.0, nice_axis(0)), False
    return window, True


def focus_phase(guest: Guest, now: int, mode: AxisMode) -> str | None:
    """The phase to zoom on first: this guest's longest in-guest phase on the axis in use."""
    return longest(spans_of(guest.timeline.phases(), mode, placement(guest, guest.spawn_ns, now)))


def phase_table(
    guest: Guest,
    phases: list[Phase],
    now: int,
    axis: PhaseAxis,
    calls: list[Call] | None = None,
    calls_in_order: bool = False,
) -> Table:
    """One row per phase: host start and duration, guest start and duration, and its span as a bar
    on `axis` (its mode and zoom); under a boot table's phase, one row per function it ran (`calls`,
    in the order given)."""
    running = in_progress(guest)
    where = placement(guest, guest.spawn_ns, now)
    window, fitted = guest_window(guest, phases, now, axis)
    mode = axis.mode.label.replace("first spawn", "spawn")  # one guest: its own spawn
    caption = axis_caption(mode, axis.zoom, fitted, axis.width)
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold", title=caption, title_justify="left")
    table.add_column("phase", no_wrap=True, max_width=NARROW_NAME if axis.narrow else NAME_WIDTH)
    corrected = any(phase.rate is not None for phase in phases)
    for column in _columns(axis):
        title = f"{column} (corr.)" if corrected and column.startswith("guest") else column
        table.add_column(title, justify="right", no_wrap=True, min_width=len(title))
    table.add_column(TimeAxis(window.length, axis.bar_width, window.start), no_wrap=True, width=axis.bar_width)
    shown = {phase.name for phase in phases if _in_view(phase, axis, where, window)}
    for row in rows(phases, calls or [], calls_in_order):  # each phase, then what runs inside it, one step further in
        item, indent = row.item, "  " * max(0, row.depth - 1)
        if isinstance(item, Phase):
            if item.name not in shown:
                continue  # zoomed: rows the window does not show would only push its phases out of sight
            name = Text.assemble("  " * row.depth, ("■ ", phase_colour(item.name)), item.name)
            table.add_row(name, *_timing(item, item.name, where, window, axis))
        elif item.phase in shown or item.phase not in {p.name for p in phases}:
            branch = indent + ("  └ " if row.last else "  ├ ")
            label = Text(item.label, style="" if item.name else "dim")
            name = Text.assemble((branch, phase_colour(item.phase)), label)
            table.add_row(name, *_timing(item, item.phase, where, window, axis))
    if not phases:
        table.add_row(Text("no phase yet" if running or guest.spawn_ns is None else "no phase markers", "dim"))
    return table


def _in_view(phase: Phase, axis: PhaseAxis, where: Placement, window: Window) -> bool:
    """Whether the table lists `phase`: every phase for the whole boot, the guest's own when zoomed
    in guest, those the window shows when zoomed on one phase (itself and where it meets others)."""
    if axis.zoom.preset == "guest":
        return phase.name not in HOST_PHASES
    if axis.zoom.preset == "phase":
        span = place(phase.name, phase, axis.mode, where)
        return span is not None and span.end >= window.start and span.start <= window.end
    return True


def _columns(axis: PhaseAxis) -> tuple[str, ...]:
    if not axis.narrow:
        return ("host start", "host time", "guest start", "guest time")
    return ("guest start", "guest time") if axis.mode is AxisMode.GUEST else ("host start", "host time")


def _timing(
    span: Phase | Call, phase: str, where: Placement, window: Window, axis: PhaseAxis
) -> tuple[RenderableType, ...]:
    """Host start and time (growing, with `…`, while open), guest start and time, and the bar."""
    host_time = None if span.host_end is None or span.host_start is None else span.host_end - span.host_start
    host_label = format_seconds(host_time)
    if span.host_end is None and where.host_now is not None and span.host_start is not None:
        host_label = format_seconds(where.host_now - span.host_start) + "…"
    rate = span.rate or 1.0  # a skewed guest clock: its stamps divided by its rate (the columns say so)
    guest_start = None if span.guest_start is None else span.guest_start / rate
    guest_time = (
        None if span.guest_end is None or span.guest_start is None else (span.guest_end - span.guest_start) / rate
    )
    placed = place(phase, span, axis.mode, where)
    bar = []
    if placed is not None:
        # at least an eighth of a cell, so a span that took no time still shows where it happened
        eighth = window.length / (axis.bar_width * 8)
        bar = window.shift([Span(phase, placed.start, max(placed.end, placed.start + eighth))])
    cells = {
        "host start": format_seconds(span.host_start),
        "host time": host_label,
        "guest start": format_seconds(guest_start),
        "guest time": (isinstance(span, Phase) and format_bound(span)) or format_seconds(guest_time),
    }
    return (*(cells[column] for column in _columns(axis)), TimelineBar(bar, window.length, axis.bar_width))


def stderr_panel(guest: Guest) -> RenderableType | None:
    if not guest.stderr_tail.strip():
        return None
    lines = guest.stderr_tail.decode("utf-8", "replace").rstrip().splitlines()[-STDERR_LINES:]
    return Panel(Text("\n".join(lines), style="red"), title="QEMU stderr", title_align="left", border_style="red")


class GuestScreen(LiveScreen):
    """One guest in detail, kept live while it boots."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match(1)", "Next", show=False),
        Binding("N", "next_match(-1)", "Previous", show=False),
        Binding("b", "toggle_raw", "Raw"),
        Binding("i", "type", "Type"),
        Binding("p", "toggle_phases", "Phases", show=False),
        Binding("c", "cycle_calls", "Calls", show=False),
        Binding("a", "axis", "Axis"),
        Binding("z", "zoom", "Zoom"),
        Binding("left_square_bracket", "zoom_step(-1)", "Previous phase", show=False),
        Binding("right_square_bracket", "zoom_step(1)", "Next phase", show=False),
        Binding("x", "stop_guest", "Stop"),
        Binding("r", "relaunch", "Relaunch"),
    ]
    DEFAULT_CSS = """
    GuestScreen #info { height: auto; max-height: 25%; padding: 0 1; background: $panel; }
    GuestScreen #phases {
        height: auto; max-height: 50%; overflow-y: auto; padding: 0 1; border-bottom: solid $panel-lighten-2;
    }
    GuestScreen #phases.-functions { max-height: 70%; }
    GuestScreen #phases.-hidden { display: none; }
    GuestScreen #stderr { height: auto; display: none; }
    GuestScreen #stderr.-shown { display: block; }
    GuestScreen ConsoleView { height: 1fr; min-height: 3; }
    GuestScreen #status-line { height: 1; padding: 0 1; color: $text-muted; }
    GuestScreen Input { dock: bottom; display: none; border: tall $accent; }
    GuestScreen Input.-shown { display: block; }
    """

    def __init__(
        self,
        fleet: FleetView,
        guest: Guest,
        clock: Callable[[], int],
        mode: AxisMode = AxisMode.HOST,
        zoom: Zoom = WHOLE_BOOT,
    ) -> None:
        super().__init__(name="guest")
        self.fleet = fleet
        self.guest = guest
        self.clock = clock
        self.mode = mode
        self.zoom = zoom
        """The bars' axis mode and zoom: the fleet's when the view opened, then this view's own."""
        self._seen: tuple[object, ...] = ()
        self._status = ""
        self._symbols: Symbols | None = None
        """The guest's kernel symbols, read off the event loop (`_load_symbols`) to name its calls."""
        self._calls_order = 0
        """Index into CALL_ORDERS."""
        self._has_calls = False

    def compose(self) -> ComposeResult:
        yield Static(id="info")
        yield Static(id="phases")
        yield Static(id="stderr")
        yield ConsoleView(self.guest, id="console")
        yield Static(id="status-line")
        yield Input(placeholder="search the console (enter: next hit, esc: clear)", id="search")
        yield Input(placeholder=f"type into {self.guest.name}'s console: enter sends the line, esc leaves", id="type")
        yield KeyFooter()

    @property
    def console(self) -> ConsoleView:
        return self.query_one(ConsoleView)

    def on_mount(self) -> None:
        self.console.focus()
        self.run_worker(self._load_symbols, thread=True, exit_on_error=False, group="symbols")
        self.tick(self.clock())

    def _load_symbols(self) -> None:
        """On a worker thread: a large kernel's symbol table takes a while to read. The next tick
        sees the table and redraws."""
        self._symbols = guest_symbols(self.guest)

    def tick(self, now: int) -> None:
        guest = self.guest
        self.console.tick()
        replay = playback.status(self.fleet, now)
        seen = (
            guest.attempt,
            guest.changes,
            guest.timeline.firmware_ns,
            self.size.width,
            self._symbols is not None,
            self._calls_order,
            self.mode,
            self.zoom,
            replay,
        )
        if seen != self._seen or in_progress(guest):
            self._seen = seen
            narrow = self.size.width < NARROW
            text = NARROW_TEXT if narrow else PHASE_TABLE_TEXT
            axis = PhaseAxis(self.mode, self.zoom, max(16, self.size.width - text), self.size.width - 4, narrow)
            info = info_text(guest, now)
            if replay is not None:  # after `recorded in …`: where the replay stands
                info.append("  ").append(replay, style="bold")
            self.query_one("#info", Static).update(info)
            calls = guest.timeline.calls(self._symbols)
            self._has_calls = bool(calls)
            order = CALL_ORDERS[self._calls_order]
            shown = [] if order == "hidden" else sort_calls(calls, longest_first=order == "longest first")
            longest = order == "longest first"
            table = phase_table(guest, guest.timeline.phases(), now, axis, shown, calls_in_order=longest)
            self.query_one("#phases", Static).update(table)
            panel = stderr_panel(guest)
            stderr = self.query_one("#stderr", Static)
            stderr.set_class(panel is not None, "-shown")
            stderr.update(panel if panel is not None else "")
        self._status_line()

    def _status_line(self) -> None:
        console = self.console
        parts = [
            Text("follow", style="bold green" if console.follow else "dim strike"),
            Text("raw bytes" if console.raw else "parsed", style="bold magenta" if console.raw else "dim"),
            Text(
                f"{len(console.records)} lines (the last ones; the whole console is in the recording)"
                if console.records and console.records[0].seq > 0
                else f"{len(console.records)} lines",
                style="dim",
            ),
        ]
        if console.search:
            parts.append(Text(f"/{console.search}: {len(console.matches)} hits", style="yellow"))
        if self._has_calls:
            parts.append(Text(f"functions: {CALL_ORDERS[self._calls_order]} (c)", style="dim"))
        if not self.guest.running:
            parts.append(Text("not running: typing is off", style="dim"))
        line = Text("  ·  ").join(parts)
        if line.markup != self._status:  # the timer calls this 15 times a second: update on change only
            self._status = line.markup
            self.query_one("#status-line", Static).update(line)

    # -- keys ------------------------------------------------------------------------------------

    def action_back(self) -> None:
        for prompt in self.query(Input):
            if prompt.has_class("-shown"):
                if prompt.id == "search":
                    prompt.value = ""
                    self.console.search = ""
                prompt.remove_class("-shown")
                self.console.focus()
                return
        self.dismiss()

    def action_toggle_follow(self) -> None:
        self.console.follow = not self.console.follow
        self._status_line()

    def action_toggle_raw(self) -> None:
        self.console.raw = not self.console.raw
        self._status_line()

    def action_toggle_phases(self) -> None:
        self.query_one("#phases").toggle_class("-hidden")

    def action_cycle_calls(self) -> None:
        """The functions under each boot table's phase: boot order, longest first, hidden."""
        self._calls_order = (self._calls_order + 1) % len(CALL_ORDERS)
        self.query_one("#phases").set_class(CALL_ORDERS[self._calls_order] != "hidden", "-functions")
        self.tick(self.clock())

    def action_axis(self) -> None:
        """Host since spawn → host since the first console line → the guest's clock."""
        self.mode = self.mode.next()
        self.tick(self.clock())

    def action_zoom(self) -> None:
        """Whole boot → in-guest phases → this guest's longest in-guest phase."""
        self.zoom = self.zoom.cycled(focus_phase(self.guest, self.clock(), self.mode))
        self.tick(self.clock())

    def action_zoom_step(self, delta: int) -> None:
        self.zoom = self.zoom.stepped(delta, focus_phase(self.guest, self.clock(), self.mode))
        self.tick(self.clock())

    def action_search(self) -> None:
        self._show_prompt("search")

    def action_type(self) -> None:
        if not self.guest.running:
            self.notify(f"{markup(self.guest.name)} is not running: nothing to type into", severity="warning")
            return
        self._show_prompt("type")

    def _show_prompt(self, name: str) -> None:
        for prompt in self.query(Input):
            prompt.set_class(prompt.id == name, "-shown")
        self.query_one(f"#{name}", Input).focus()

    def action_next_match(self, direction: int) -> None:
        if not self.console.next_match(direction):
            self.notify("no match" if self.console.search else "no search: press /", severity="warning")
        self._status_line()

    @on(Input.Changed, "#search")
    def search_changed(self, event: Input.Changed) -> None:
        self.console.search = event.value
        self._status_line()

    @on(Input.Submitted, "#search")
    def search_submitted(self, event: Input.Submitted) -> None:
        """First hit; focus back on the console so `n`/`N` step (the prompt stays until esc)."""
        self.console.focus()
        if event.value:
            self.action_next_match(1)

    @on(Input.Submitted, "#type")
    def typed(self, event: Input.Submitted) -> None:
        if self.guest.send(event.value.encode() + ENTER):
            event.input.value = ""
        else:
            self.notify(f"{markup(self.guest.name)} is not running: nothing sent", severity="warning")

    def action_stop_guest(self) -> None:
        stop_guest(self, self.fleet, self.guest)

    def action_relaunch(self) -> None:
        relaunch_guest(self, self.fleet, self.guest)
