"""The fleet header: what the run is (guests, concurrency, 9P mode), where it stands, the phase legend.

Redrawn from the app's timer only when its text changes (counts move a handful of times per
guest; the run clock once per frame while guests run). In a narrow terminal the details and the
counts break between items, never inside one, and the header grows by whole lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widget import Widget

from uktrace.model.guest import FleetView
from uktrace.parsers.phases import FIRMWARE_PARTS, PHASES
from uktrace.present.timeline import accel_line
from uktrace.present.units import format_seconds

from ..palette import STATUS_BY_NAME, WAITING_STYLE, phase_colour
from ..playback import status as replay_status

NARROW = 100
"""Below this width the legend's entries are one space apart instead of two."""


def legend(width: int = 0, names: Sequence[str] = PHASES) -> Text:
    """`■ spawn  ■ firmware …` in phase colours (the bars' table), broken into lines of `width` cells
    between entries, never inside one (0: one line)."""
    gap = 1 if 0 < width < NARROW else 2
    text = Text()
    used = 0
    for name in names:
        entry = len(name) + 2 + gap
        if width and used and used + entry - gap > width:
            text.rstrip()
            text.append("\n")
            used = 0
        text.append("■ ", style=phase_colour(name))
        text.append(name + " " * gap, style="dim")
        used += entry
    text.rstrip()
    return text


def title_lines(title: str, details: Sequence[str], counts: Text, width: int) -> Text:
    """The title, then the details (`·` between them), then the counts right-aligned: in as few lines
    of `width` cells as they fit, breaking between items, never inside one."""
    lines: list[list[str]] = [[]]
    used = len(title) + 2
    for item in details:
        joint = 3 if lines[-1] else 0
        if used + joint + len(item) > width and (lines[-1] or len(lines) == 1):  # never a line left empty
            lines.append([])
            used, joint = 0, 0
        lines[-1].append(item)
        used += joint + len(item)
    text = Text.assemble((title, "bold"), "  ")
    for n, items in enumerate(lines):
        text.append(("\n" if n else "") + " · ".join(items), style="dim")
    if counts.plain:
        room = width - used - 2
        if room >= len(counts.plain):
            text.append(" " * (room - len(counts.plain) + 2))
        else:
            text.append("\n" + " " * max(0, width - len(counts.plain)))
        text.append_text(counts)
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
        self.legend_phases: tuple[str, ...] = self._drawn(PHASES)
        """The phases the legend lists: those the bars can show (`set_legend`)."""
        self._renderable: RenderableType = Text()
        self._key: tuple[object, ...] = ()
        self._lines = 0
        self.tick()

    def details(self, now: int) -> list[str]:
        """Guests, concurrency, fs mode, run time (a replay's is its position, with the counts)."""
        fleet = self.fleet
        details = [f"{len(fleet.guests)} guests", f"jobs {fleet.jobs}", f"fs {fleet.fs_mode or 'none'}"]
        accel = accel_line(fleet.guests)
        if accel is not None:  # `--accel auto`: which one and why
            details.append(accel)
        nodes = len({guest.node for guest in fleet.guests if guest.node is not None})
        if nodes:  # a cluster run (or its replay)
            details.append(f"{nodes} node{'s' if nodes > 1 else ''}")
        seconds = run_seconds(fleet, now)
        if seconds is not None and replay_status(fleet, now) is None:
            details.append(f"run {format_seconds(seconds)}")
        usage = getattr(fleet, "usage", None)  # a live run's: uktrace's own CPU while guests boot
        if usage is not None:
            share = usage.share_so_far()
            if share is not None:
                details.append(f"uktrace {share * 100:.1f} % CPU")
        elif (recorded := fleet.tracer_booting) is not None:  # a replay's: as its recording says
            details.append(f"uktrace {recorded['share'] * 100:.1f} % CPU (recorded)")
        return details

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
        if replay is not None:  # with the counts, which are never broken: read whole, where it stood
            counts = Text.assemble((replay, "bold"), "   ", counts)
        key = (tuple(details), counts.plain, self.notice, self.size.width, self.legend_phases)
        if key != self._key:
            self._key = key
            width = self.size.width  # (the content's: the padding is outside)
            title = title_lines(self.title, details, counts, width)
            parts: list[Text] = [title]
            if self.notice:
                parts.append(Text(self.notice, style="bold yellow"))
            parts.append(legend(width, self.legend_phases))
            # the run clock changes every frame, the height only when a line comes or goes
            lines = sum(-(-len(line) // max(1, width)) or 1 for part in parts for line in part.plain.split("\n"))
            self._renderable = Group(*parts)
            self.refresh(layout=lines != self._lines)
            self._lines = lines

    def set_legend(self, names: Sequence[str]) -> None:
        """List only `names` (the phases the bars can show on the axis in use)."""
        self.legend_phases = self._drawn(names)
        self.tick()

    def _drawn(self, names: Sequence[str]) -> tuple[str, ...]:
        """`names` without `ready` unless a guest looks for a ready line (`--ready`), without
        `fuse_handshake` unless a guest mounts a VirtioFS share (`--fs-type virtiofs`), and without
        the firmware's parts, which no bar draws (the guest view lists them, in their colours)."""
        guests = self.fleet.guests
        hidden = set(FIRMWARE_PARTS)
        if not any(guest.spec.ready is not None for guest in guests):
            hidden.add("ready")
        if not any(guest.spec.fs is not None and guest.spec.fs_type == "virtiofs" for guest in guests):
            hidden.add("fuse_handshake")
        return tuple(name for name in names if name not in hidden)

    def set_notice(self, notice: str) -> None:
        self.notice = notice
        self.tick()

    def render(self) -> RenderableType:
        return self._renderable
