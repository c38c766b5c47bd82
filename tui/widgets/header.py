"""The fleet header: what the run is (guests, concurrency, 9P mode), where it stands, the phase legend.

Redrawn from the app's timer only when its text changes (counts move a handful of times per
guest; the run clock once per frame while guests run).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from parsers.phases import PHASES
from uktrace.cli.report import format_seconds
from uktrace.model.guest import FleetView

from ..palette import STATUS_BY_NAME, WAITING_STYLE, phase_colour
from ..playback import status as replay_status


def legend(width: int = 0) -> Text:
    """`■ spawn  ■ firmware …` in phase colours (the bars' table), broken into lines of `width` cells
    between entries, never inside one (0: one line)."""
    text = Text()
    used = 0
    for name in PHASES:
        entry = len(name) + 4
        if width and used and used + entry - 2 > width:
            text.append("\n")
            used = 0
        text.append("■ ", style=phase_colour(name))
        text.append(name + "  ", style="dim")
        used += entry
    text.rstrip()
    return text


def run_seconds(fleet: FleetView, now: int) -> float | None:
    """How long the run has been going (or went): first start to now, or to the end once all are over."""
    if fleet.started_ns is None:
        return None
    busy = any(g.spawn_ns is not None and g.exit_ns is None for g in fleet.guests)
    end = fleet.finished_ns if fleet.finished_ns is not None and not busy else now
    return max(0.0, (end - fleet.started_ns) / 1e9)


class FleetHeader(Widget):
    """Counts by status, concurrency, fs mode, run time; the phase legend below."""

    DEFAULT_CSS = """
    FleetHeader {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, fleet: FleetView, clock: Callable[[], int], title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fleet = fleet
        self.clock = clock
        self.title = title
        self.notice = ""
        """A run-wide message (stopping, an engine error), shown until replaced."""
        self._renderable: RenderableType = Text()
        self._key: tuple[object, ...] = ()
        self.tick()

    def details(self, now: int) -> Text:
        """Title, guests, concurrency, fs mode, run time (a replay's is its position, on the right)."""
        fleet = self.fleet
        text = Text.assemble((self.title, "bold"), "  ")
        details = [f"{len(fleet.guests)} guests", f"jobs {fleet.jobs}", f"fs {fleet.fs_mode or 'none'}"]
        seconds = run_seconds(fleet, now)
        if seconds is not None and replay_status(fleet, now) is None:
            details.append(f"run {format_seconds(seconds)}")
        text.append(" · ".join(details), style="dim")
        return text

    def counts(self) -> Text:
        """Guests per status (only those with guests, in a fixed order); `waiting` splits the
        not-yet-spawned off `booting`."""
        fleet = self.fleet
        waiting = sum(1 for g in fleet.guests if g.spawn_ns is None and not g.timeline.status.finished)
        text = Text()
        if waiting:
            text.append(f"waiting {waiting}  ", style=WAITING_STYLE)
        for name, count in fleet.counts().items():
            if name == "booting":
                count -= waiting
            if count:
                text.append(f"{name} {count}  ", style=STATUS_BY_NAME[name])
        text.rstrip()
        return text

    def tick(self, now: int | None = None) -> None:
        now = self.clock() if now is None else now
        details = self.details(now)
        counts = self.counts()
        replay = replay_status(self.fleet, now)
        if replay is not None:  # in the column that never wraps: read whole, where it stood
            counts = Text.assemble("  ", (replay, "bold"), "   ", counts)
        key = (details.plain, counts.plain, self.notice, self.size.width, counts.cell_len)
        if key != self._key:
            # the run clock changes every frame; only a notice, a new width or a wider right column
            # (a replay paused or played) can change the height
            layout = key[2:] != self._key[2:]
            self._key = key
            grid = Table.grid(expand=True)
            grid.add_column(ratio=1)
            grid.add_column(justify="right", no_wrap=True)
            grid.add_row(details, counts)
            parts: list[RenderableType] = [grid]
            if self.notice:
                parts.append(Text(self.notice, style="bold yellow"))
            parts.append(legend(self.size.width - 2))
            self._renderable = Group(*parts)
            self.refresh(layout=layout)

    def set_notice(self, notice: str) -> None:
        self.notice = notice
        self.tick()

    def render(self) -> RenderableType:
        return self._renderable
