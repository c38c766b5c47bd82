"""The fleet table: one row per guest and a timeline bar on a shared axis, drawn with the Line API.

Only visible rows are rendered (`render_line`), and `tick` (10–20 Hz, from the app's timer) asks
for a repaint of just the rows whose guest moved: its `changes` counter, or any guest still in
progress (its bar and total so far grow). No widget per guest, no message per console line, so a
fleet of hundreds scrolls and sorts as smoothly as one of eight.

The axis has three modes (`a`: host since the first spawn, host since each guest's first console
line, the guest clock) and a zoom (`z`: the whole boot, the in-guest phases, one phase, `[`/`]`
to pick it) that fits its phases across the fleet; the engine places the spans and fits the window
(`uktrace.model.axis`), snapped to nice values, so bars rescale a few times per run rather than
every frame. A caption above the column titles says which axis and zoom are shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from uktrace.analysis.figures import elapsed
from uktrace.model.axis import (
    TOP_LEVEL,
    WHOLE_BOOT,
    AxisMode,
    Span,
    Window,
    Zoom,
    fit,
    longest,
    nice_axis,
    placement,
    spans_of,
)
from uktrace.model.guest import FleetView, Guest
from uktrace.model.palette import CURSOR, CURSOR_UNFOCUSED
from uktrace.model.timeline import BootTimeline, Phase, Status
from uktrace.parsers.phases import PHASES
from uktrace.present.timeline import stall_note
from uktrace.present.units import format_seconds

from ..bar import axis_segments, bar_segments
from ..palette import STATUS_BY_NAME, WAITING_STYLE, phase_colour

SORT_KEYS: tuple[str, ...] = ("name", "status", "total", *PHASES)
"""What the fleet can be sorted by: name, status, total (so far while a guest runs: `figures.elapsed`), or
the duration of any phase."""
STATUS_ORDER = {status: n for n, status in enumerate(Status)}
GAP = 1
MIN_BAR = 10
ROOMY_BAR = 30
"""Below this many cells for the bar, the table drops the accelerator column and narrows the phase."""
HEADER = 2
"""Lines above the rows: the axis caption, the column titles with the ticks."""


@dataclass(frozen=True, slots=True)
class SortOrder:
    """The table's order: a key from SORT_KEYS; times sort slowest first unless `descending` is off."""

    key: str = "name"
    descending: bool = False

    @property
    def by_phase(self) -> bool:
        return self.key in PHASES


@dataclass(frozen=True, slots=True)
class Layout:
    """Column widths for one table width; the bar takes what is left."""

    name: int
    extra: int
    """Width of the sort column (the sorted phase's duration), 0 when not sorting by a phase."""
    bar: int
    accel: int = 4
    """0 in a narrow terminal: the column goes, so the bar keeps room."""
    phase: int = 14
    node: int = 0
    """Width of the node column: 0 unless guests run on a cluster (`--cluster ray:...`)."""

    STATUS: ClassVar[int] = 8
    ELAPSED: ClassVar[int] = 9

    @classmethod
    def fit(cls, width: int, name: int, extra: bool, node: int = 0) -> Layout:
        extra_width = cls.ELAPSED if extra else 0
        for accel, phase in ((4, 14), (0, 10)):
            fixed = name + cls.STATUS + phase + cls.ELAPSED + 5 * GAP + (accel + GAP if accel else 0)
            fixed += extra_width + GAP if extra else 0
            fixed += node + GAP if node else 0
            if width - fixed >= ROOMY_BAR:
                break
        return cls(name, extra_width, max(MIN_BAR, width - fixed), accel, phase, node)


def axis_caption(mode: AxisMode | str, zoom: Zoom, fitted: bool, width: int = 0) -> Text:
    """`axis: guest clock (a) · zoom: whole boot (z [ ])`: the widest form that fits `width` (the
    key hints go first, then the zoom's range; the footer and `?` list the keys), else cut with `…`."""
    label = mode.label if isinstance(mode, AxisMode) else mode
    text = Text()
    for keys, zoom_label in ((True, zoom.label), (False, zoom.label), (False, zoom.short_label)):
        # (spaces outside the styled words: an SVG viewer may squeeze a styled run's leading space)
        text = Text.assemble(("axis:", "dim"), " ", (label, "bold"))
        text.append_text(Text.assemble(" ", ("(a)", "dim")) if keys else Text())
        text.append_text(Text.assemble(" ", ("·", "dim"), " ", ("zoom:", "dim"), " ", (zoom_label, "bold")))
        if not fitted:
            text.append_text(Text.assemble(" ", ("(none yet: whole boot)", "dim italic")))
        text.append_text(Text.assemble(" ", ("(z [ ])", "dim")) if keys else Text())
        if not width or text.cell_len <= width:
            return text
    text.truncate(width, overflow="ellipsis")
    return text


def ready_note(timeline: BootTimeline, phases: Sequence[Phase]) -> tuple[str | None, Style]:
    """`ready 105.6 ms` (in the phase's colour) once the ready line came, `not ready: exited first`."""
    if timeline.not_ready is not None:
        return timeline.not_ready, Style(color="yellow", italic=True)
    ready = next((phase for phase in phases if phase.name == "ready"), None)
    if ready is None or ready.duration is None:
        return None, Style()
    return f"ready {format_seconds(ready.duration)}", Style(color=phase_colour("ready"), bold=True)


def natural_key(name: str) -> tuple[object, ...]:
    """`guest-2` before `guest-10`."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def in_progress(guest: Guest) -> bool:
    """Spawned and not yet exited: its bar and total so far grow every frame."""
    return guest.spawn_ns is not None and guest.exit_ns is None


def _cell(text: str, width: int, style: Style, right: bool = False) -> Segment:
    if len(text) > width:
        text = text[: width - 1] + "…"
    return Segment(text.rjust(width) if right else text.ljust(width), style)


class FleetTable(ScrollView, can_focus=True):
    """Every guest of a fleet as a row: name, accelerator, status, phase, total (so far), timeline bar."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "cursor_to(0)", "First", show=False),
        Binding("end,G", "cursor_to(-1)", "Last", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"fleet-table--header", "fleet-table--empty"}
    DEFAULT_CSS = """
    FleetTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .fleet-table--header { text-style: bold; color: $text-muted; }
        & > .fleet-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    cursor: reactive[int] = reactive(0, repaint=False)

    class GuestChosen(Message):
        """The user opened a guest (enter or a double click)."""

        def __init__(self, guest: Guest) -> None:
            super().__init__()
            self.guest = guest

    def __init__(self, fleet: FleetView, clock: Callable[[], int], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fleet = fleet
        self.clock = clock
        self.order = SortOrder()
        self.filter_text = ""
        self.rows: list[Guest] = []
        self.redraws = 0
        """Rows rendered so far (benchmarks read it)."""
        self._now = clock()
        self.mode = AxisMode.HOST
        self.zoom = Zoom()
        self._origin = 0
        self._window = Window(0.0, nice_axis(0))
        self._fitted = True
        """False while no guest has reached the zoomed phases (the window is the whole boot)."""
        self._spans: dict[int, tuple[tuple[object, ...], list[Span]]] = {}
        self._name_width = max(5, min(24, max((len(g.name) for g in fleet.guests), default=5)))
        self._node_cells = self._node_width()
        self._drawn: dict[int, int] = {}
        self._phases: dict[int, tuple[int, list[Phase]]] = {}
        self._strips: dict[int, tuple[tuple[object, ...], Strip]] = {}
        """Each guest's row as last drawn, and what it was drawn from: one strip per guest. (Kept
        for every state seen, a storm's rows filled a cache with stale strips, each a dozen
        objects the garbage collector walks.)"""
        self._cursor_guest: Guest | None = None

    # -- the model ---------------------------------------------------------------------------

    def phases(self, guest: Guest) -> list[Phase]:
        """`timeline.phases()`, recomputed only when the guest moved."""
        key = guest.changes
        cached = self._phases.get(guest.index)
        if cached is None or cached[0] != key:
            cached = (key, guest.timeline.phases())
            self._phases[guest.index] = cached
        return cached[1]

    def spans(self, guest: Guest, origin: int | None = None) -> list[Span]:
        """The guest's phases on the axis in use (`origin`: the first spawn, default the table's)."""
        if guest.spawn_ns is None:
            return []
        origin = self._origin if origin is None else origin
        key = (guest.changes, guest.timeline.firmware_ns, self.mode, origin, self._now if in_progress(guest) else None)
        cached = self._spans.get(guest.index)
        if cached is None or cached[0] != key:
            where = placement(guest, origin, self._now)
            cached = (key, spans_of(self.phases(guest), self.mode, where))
            self._spans[guest.index] = cached
        return cached[1]

    def phase_seconds(self, guest: Guest, phase: str) -> float | None:
        """Duration of `phase` for this guest; a phase in progress counts until now."""
        for item in self.phases(guest):
            if item.name == phase:
                if item.duration is not None:
                    return item.duration
                if item.host_start is not None and in_progress(guest) and guest.spawn_ns is not None:
                    return (self._now - guest.spawn_ns) / 1e9 - item.host_start
                return None
        return None

    def matches(self, guest: Guest, words: Sequence[str]) -> bool:
        """Every word must match: a status name exactly, else part of the name, phase or failure reason."""
        timeline = guest.timeline
        haystack = " ".join(
            (guest.name, timeline.current or "", timeline.ending.reason if timeline.ending else "")
        ).lower()
        for word in words:
            if word in STATUS_BY_NAME:
                if timeline.status.value != word:
                    return False
            elif word not in haystack:
                return False
        return True

    def ordered(self) -> list[Guest]:
        """The guests to show, filtered and sorted."""
        words = self.filter_text.lower().split()
        guests = [g for g in self.fleet.guests if self.matches(g, words)] if words else list(self.fleet.guests)
        key, descending = self.order.key, self.order.descending
        if key == "name":
            return sorted(guests, key=lambda g: natural_key(g.name), reverse=descending)
        if key == "status":
            return sorted(
                guests, key=lambda g: (STATUS_ORDER[g.timeline.status], natural_key(g.name)), reverse=descending
            )
        now = self._now
        values = [(elapsed(g, now) if key == "total" else self.phase_seconds(g, key), g) for g in guests]
        known = sorted(
            ((v, g) for v, g in values if v is not None),
            key=lambda item: (-item[0] if descending else item[0], natural_key(item[1].name)),
        )
        unknown = [g for v, g in values if v is None]
        return [g for _, g in known] + unknown

    def _fleet_axis(self) -> tuple[int, Window, bool]:
        """The host origin (the first spawn, ns), the window the zoom fits across the fleet on the
        axis in use, and whether the zoomed phases were found (else the whole boot is shown)."""
        spawns = [guest.axis_spawn_ns for guest in self.fleet.guests if guest.axis_spawn_ns is not None]
        origin = min(spawns, default=0)
        spans = [self.spans(guest, origin) for guest in self.fleet.guests]
        window = fit(spans, self.zoom)
        if window is None:
            return origin, fit(spans, WHOLE_BOOT) or Window(0.0, nice_axis(0)), False
        return origin, window, True

    def focus_phase(self) -> str | None:
        """The phase under focus: the one the table is sorted by, else the cursor guest's longest
        in-guest phase on the axis in use."""
        if self.order.key in TOP_LEVEL:
            return self.order.key
        guest = self.guest
        return longest(self.spans(guest)) if guest is not None else None

    def caption(self, width: int = 0) -> Text:
        """Which axis and zoom the bars show, with the keys that change them when `width` has room."""
        return axis_caption(self.mode, self.zoom, self._fitted, width)

    @property
    def window(self) -> Window:
        """The stretch of the axis the bars show (seconds on the axis's clock), as the last tick placed it."""
        return self._window

    def set_axis(self, mode: AxisMode | None = None, zoom: Zoom | None = None) -> None:
        """Show another axis mode or zoom; the window is fitted again at once."""
        self.mode = mode if mode is not None else self.mode
        self.zoom = zoom if zoom is not None else self.zoom
        self._strips.clear()
        self.tick(self._now)
        self.refresh()

    # -- driving it --------------------------------------------------------------------------

    def tick(self, now: int | None = None) -> None:
        """Take the model's news: reorder if needed, repaint the rows that moved."""
        self._now = self.clock() if now is None else now
        if (node_cells := self._node_width()) != self._node_cells:  # a cluster run's first guest placed
            self._node_cells = node_cells
            self._strips.clear()
            self.refresh()
        rows = self.ordered()
        origin, window, fitted = self._fleet_axis()
        if rows != self.rows or (origin, window, fitted) != (self._origin, self._window, self._fitted):
            self._origin, self._window, self._fitted = origin, window, fitted
            self._set_rows(rows)
            self.refresh()
            return
        top = round(self.scroll_y)
        for index in range(top, min(len(rows), top + self._visible_rows())):
            guest = rows[index]
            if in_progress(guest) or self._drawn.get(guest.index) != guest.changes:
                self.refresh_line(index + HEADER)

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        self._strips.clear()
        self.tick(self._now)
        self.refresh()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.tick(self._now)

    @property
    def guest(self) -> Guest | None:
        """The guest under the cursor."""
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def _set_rows(self, rows: list[Guest]) -> None:
        self.rows = rows
        self.virtual_size = Size(self.scrollable_content_region.width, len(rows) + HEADER)
        if self._cursor_guest in rows:
            self.cursor = rows.index(self._cursor_guest)
        else:
            self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self._cursor_guest = self.guest
        self._scroll_to_cursor()

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER)

    def _scroll_to_cursor(self) -> None:
        visible = self._visible_rows()
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        self._cursor_guest = self.guest
        self.refresh_line(old + HEADER)
        self.refresh_line(new + HEADER)
        self._scroll_to_cursor()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + HEADER)
        self._scroll_to_cursor()

    def on_focus(self) -> None:
        self._strips.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._strips.clear()
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self._visible_rows())

    def action_cursor_to(self, index: int) -> None:
        if self.rows:
            self.cursor = index % len(self.rows)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < HEADER:
            return
        index = round(self.scroll_y) + offset.y - HEADER
        if 0 <= index < len(self.rows):
            self.cursor = index
            if event.chain >= 2:
                self.post_message(self.GuestChosen(self.rows[index]))

    # -- drawing -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        layout = Layout.fit(width, self._name_width, self.order.by_phase, self._node_cells)
        base = self.rich_style
        if y == 0:
            caption = self.caption(width)
            segments = Segment.apply_style(list(caption.render(self.app.console)), style=base)
            return Strip(segments).adjust_cell_length(width, base)  # (shorter than the width: padded)
        if y == 1:
            return self._header(layout, width, base)
        index = round(self.scroll_y) + y - HEADER
        if index >= len(self.rows):
            if not self.rows and y == HEADER:
                text = f" no guest matches {self.filter_text!r}" if self.filter_text else " no guests"
                style = base + self.get_component_rich_style("fleet-table--empty")
                return Strip([_cell(text, width, style)], width)
            return Strip.blank(width, base)
        guest = self.rows[index]
        selected = index == self.cursor
        key = (
            guest.changes,
            guest.timeline.firmware_ns,
            self._now if in_progress(guest) else None,
            width,
            self._window,
            self._origin,
            self.mode,
            selected,
            self.has_focus,
            self.order.key,
        )
        cached = self._strips.get(guest.index)
        if cached is not None and cached[0] == key:
            strip = cached[1]
        else:
            self.redraws += 1
            segments = self._row(guest, layout)
            row_style = base + self._cursor_style() if selected else base
            strip = Strip(Segment.apply_style(segments, style=row_style), width).adjust_cell_length(width, base)
            self._strips[guest.index] = (key, strip)
        self._drawn[guest.index] = guest.changes
        return strip

    def _node_width(self) -> int:
        """The longest node name of a cluster run (at most 15 cells); 0 on this host."""
        nodes = [len(guest.node) for guest in self.fleet.guests if guest.node is not None]
        return min(15, max(4, *nodes)) if nodes else 0

    def _cursor_style(self) -> Style:
        """A neutral grey no phase uses (`uktrace.model.palette.CURSOR`), lighter while the table
        has focus: a tinted highlight would read as a phase (an orange one looked like firmware)."""
        return Style(bgcolor=CURSOR if self.has_focus else CURSOR_UNFOCUSED, bold=self.has_focus)

    def _header(self, layout: Layout, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("fleet-table--header")
        arrow = " ▼" if self.order.descending else " ▲"

        def title(name: str, key: str) -> str:
            return name + (arrow if self.order.key == key else "")

        segments = [
            _cell(title("guest", "name"), layout.name, style),
            *([Segment(" " * GAP), _cell("acc", layout.accel, style)] if layout.accel else []),
            *([Segment(" " * GAP), _cell("node", layout.node, style)] if layout.node else []),
            Segment(" " * GAP),
            _cell(title("status", "status"), layout.STATUS, style),
            Segment(" " * GAP),
            _cell("phase", layout.phase, style),
            Segment(" " * GAP),
            _cell(title("total", "total"), layout.ELAPSED, style, right=True),
        ]
        if layout.extra:
            segments += [Segment(" " * GAP), _cell(title(self.order.key, self.order.key), layout.extra, style, True)]
        segments.append(Segment(" " * (2 * GAP)))
        segments += axis_segments(self._window.length, layout.bar, style, start=self._window.start)
        return Strip(Segment.apply_style(segments, style=base), width).adjust_cell_length(width, base)

    def _row(self, guest: Guest, layout: Layout) -> list[Segment]:
        timeline = guest.timeline
        spans = self.spans(guest)
        waiting = guest.spawn_ns is None and not timeline.status.finished
        stall = stall_note(guest, self._now) if guest.running else None
        if waiting:
            status, status_style = "waiting", Style.parse(WAITING_STYLE)
        elif guest.stop_requested and guest.running:
            status, status_style = "stopping", Style.parse(STATUS_BY_NAME["stopped"])
        elif stall is not None:
            status, status_style = "stalled", Style(color="yellow", bold=True)
        else:
            status, status_style = timeline.status.value, Style.parse(STATUS_BY_NAME[timeline.status.value])
        # where the guest is, whatever the axis shows: the last top-level phase it entered
        entered = [p.name for p in self.phases(guest) if p.name in TOP_LEVEL and p.host_start is not None]
        phase = entered[-1] if entered else ("" if waiting or guest.spawn_ns is None else timeline.current or "")
        dim = Style(dim=True)
        segments = [
            _cell(guest.name, layout.name, Style(bold=True)),
            *([Segment(" " * GAP), _cell(guest.spec.accel, layout.accel, dim)] if layout.accel else []),
            *([Segment(" " * GAP), _cell(guest.node or "", layout.node, dim)] if layout.node else []),
            Segment(" " * GAP),
            _cell(status, layout.STATUS, status_style),
            Segment(" " * GAP),
            _cell(phase, layout.phase, Style()),
            Segment(" " * GAP),
            _cell("" if waiting else format_seconds(elapsed(guest, self._now)), layout.ELAPSED, Style(), True),
        ]
        if layout.extra:
            value = self.phase_seconds(guest, self.order.key)
            segments += [Segment(" " * GAP), _cell(format_seconds(value), layout.extra, Style(), right=True)]
        segments.append(Segment(" " * (2 * GAP)))
        note = timeline.ending.reason if timeline.ending is not None and timeline.status.finished else None
        note_style = Style(color="red", italic=True)
        if note is None and stall is not None:
            note, note_style = stall, Style(color="yellow", italic=True)
        if note is None and timeline.ready is not None:  # `--ready`: the time to it, after the bar
            note, note_style = ready_note(timeline, self.phases(guest))
        spans = self._window.shift(spans) if self._window.start else spans
        segments += bar_segments(spans, self._window.length, layout.bar, note, note_style)
        return segments
