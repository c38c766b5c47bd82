"""The summary view: where the time goes across guests, the slowest guests, and every failure's reason.

Statistics come from the engine (`uktrace.analysis.stats`); this only lays them out. Recomputed when a
guest moved, at most twice a second while guests run (a distribution over 100 guests is not
worth 15 frames a second), and on the switch to this view. Each guest's figures are read once per
update for every section, and a section is rendered again only when what it shows changed: with
100 guests booting, the switch's recomputation was most of a `tab`'s cost.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from uktrace.analysis.figures import FIGURES, elapsed, guest_readings
from uktrace.analysis.stats import Distribution, distributions
from uktrace.model.guest import FleetView, Guest
from uktrace.model.nesting import level
from uktrace.model.timeline import Status
from uktrace.present.timeline import status_text
from uktrace.present.units import format_seconds

from ..bar import TimeAxis, nice_axis
from ..charts import BoxPlot, Histogram
from ..palette import STATUS_STYLES, phase_colour
from ..widgets.fleet_table import in_progress
from ..widgets.footer import KeyFooter
from ..widgets.header import FleetHeader
from ..widgets.rendered import Rendered
from . import LiveScreen

SLOWEST = 5
REDRAW_NS = 500_000_000
"""While guests run, the summary is recomputed at most this often."""
AFTER_FRAME_S = 1 / 30
"""After a switch, the sections are brought up to date this much later: after the switch's frame."""
LABEL = 18
"""The first column of both statistics tables, so their box plots line up."""
STATS_TEXT = 66
"""Cells the statistics tables' text columns take; the box plots get the rest of the width."""
TIMES_COLOUR = {
    "boot": "#60a5fa",
    "mount": phase_colour("mount"),
    "main": phase_colour("main"),
    "ready": phase_colour("ready"),
    "total": "#e5e7eb",
}


def _title(text: str) -> Text:
    return Text(text, style="bold underline")


def phase_stats(dists: Mapping[str, Distribution], chart_width: int) -> RenderableType:
    """Per phase (`stats.distributions` of the guests' readings): how many guests had it,
    p50/p95/max, and a box plot on one axis for all phases."""
    if not dists:
        return Text("no phase measured yet", style="dim")
    rows = [
        (Text.assemble(" " * level(name), ("■ ", phase_colour(name)), name), dist, phase_colour(name))
        for name, dist in dists.items()  # a nested phase one step in under the phase it is part of
    ]
    table = _distribution_table("phase", rows, chart_width)
    return Group(_title("phases across guests (each on the clock that saw it)   ├ min  █ p50–p95  ┤ max"), table)


def times_stats(known: Mapping[str, Distribution], chart_width: int) -> RenderableType:
    """Boot (spawn to main), mount, main and total (`figures.FIGURES`), with the same box plots."""
    if not known:
        return Text("no guest has finished a boot yet", style="dim")
    rows = [(Text(label), dist, TIMES_COLOUR[label]) for label, dist in known.items()]
    title = " / ".join(name for name in FIGURES if name != "ready" or name in known)
    return Group(_title(title), _distribution_table("", rows, chart_width))


def short_clock(label: str) -> str:
    """A clock label for a narrow column: `guest (corrected)` (a skewed guest clock's figures divided
    by its rate, `uktrace.model.clock_rate`) reads `guest corr.`, `guest (part corrected)` `guest part-corr.`."""
    return label.replace(" (part corrected)", " part-corr.").replace(" (corrected)", " corr.")


def _distribution_table(first: str, rows: list[tuple[Text, Distribution, str]], chart_width: int) -> Table:
    """Label, guests, p50/p95/max and a box plot per row, every row on one time axis."""
    axis = nice_axis(max(dist.max for _, dist, _ in rows))
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column(first, no_wrap=True, min_width=LABEL)
    table.add_column("guests", justify="right", no_wrap=True, min_width=len("guests"))
    for column in ("p50", "p95", "max"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len("999.9 ms"))
    table.add_column("clock", no_wrap=True, min_width=max(len(short_clock(dist.clock)) for _, dist, _ in rows))
    table.add_column(TimeAxis(axis, chart_width), width=chart_width, no_wrap=True)
    for label, dist, colour in rows:
        table.add_row(
            label,
            str(dist.count),
            *(format_seconds(v) for v in (dist.p50, dist.p95, dist.max)),
            Text(short_clock(dist.clock), style="dim"),
            BoxPlot(dist, axis, colour, chart_width),
        )
    return table


def total_histogram(totals: Sequence[float], width: int) -> RenderableType:
    if not totals:
        return Text("")
    return Group(_title(f"total per guest: {len(totals)} guests"), Histogram(totals, height=3, width=width))


@dataclass(frozen=True, slots=True)
class Slow:
    """One of the slowest guests, as its row shows it."""

    guest: str
    total: float
    status: Status
    longest: tuple[str, float] | None
    """Its longest phase and that phase's duration (the first place to look)."""


def ranked(guests: Sequence[Guest], totals: Sequence[float | None], count: int = SLOWEST) -> tuple[Slow, ...]:
    """The slowest guests by total (`totals[i]` is guest i's: so far, as the fleet's column shows
    it, `figures.elapsed`), each with its longest phase."""
    timed = sorted(((t, g) for t, g in zip(totals, guests, strict=True) if t is not None), key=lambda item: -item[0])
    rows = []
    for total, guest in timed[:count]:
        phases = [(p.name, p.duration) for p in guest.timeline.phases() if p.duration is not None]
        longest = max(phases, key=lambda phase: phase[1], default=None)
        rows.append(Slow(guest.name, total, guest.timeline.status, longest))
    return tuple(rows)


def slowest(rows: Sequence[Slow]) -> RenderableType:
    """The slowest guests (`ranked`), each with its longest phase."""
    if not rows:
        return Text("")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for column, justify in (("guest", "left"), ("total", "right"), ("status", "left"), ("longest phase", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(
            row.guest,
            format_seconds(row.total),
            Text(row.status.value, style=STATUS_STYLES[row.status]),
            Text.assemble(("■ ", phase_colour(row.longest[0])), f"{row.longest[0]} {format_seconds(row.longest[1])}")
            if row.longest is not None
            else "",
        )
    return Group(_title(f"slowest {len(rows)}"), table)


def failed(guests: Sequence[Guest]) -> tuple[tuple[str, Text], ...]:
    """Every guest that did not exit cleanly, with the reason (and QEMU's last word when it failed)."""
    chosen = [g for g in guests if g.timeline.status.finished and g.timeline.status.value != "exited"]
    chosen += [g for g in guests if g.timeline.status.value == "exited" and (g.timeline.exit_code or 0) != 0]
    rows = []
    for guest in chosen:
        reason = status_text(guest.timeline)
        stderr = guest.stderr_tail.decode("utf-8", "replace").strip().splitlines()
        if stderr and guest.timeline.status.value == "failed":
            reason.append(f"\nQEMU: {stderr[-1]}", style="dim")
        rows.append((guest.name, reason))
    return tuple(rows)


def failures(rows: Sequence[tuple[str, Text]]) -> RenderableType:
    """The guests that did not exit cleanly (`failed`), each with its reason."""
    if not rows:
        return Group(_title("failures"), Text("none", style="green"))
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("guest", no_wrap=True)
    table.add_column("status and reason")
    for name, reason in rows:
        table.add_row(name, reason)
    return Group(_title(f"failures: {len(rows)}"), table)


class SummaryScreen(LiveScreen):
    """Distributions across the fleet, kept current while guests boot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.view('fleet')", "Fleet"),
        Binding("escape", "app.view('fleet')", "Back", show=False),
    ]
    DEFAULT_CSS = """
    SummaryScreen VerticalScroll { padding: 0 1; }
    SummaryScreen VerticalScroll > Rendered { margin-bottom: 1; }
    """

    def __init__(self, fleet: FleetView, clock: Callable[[], int], title: str) -> None:
        super().__init__(name="summary")
        self.fleet = fleet
        self.clock = clock
        self.run_title = title
        self._seen: tuple[int, int] | None = None
        self._drawn_at = 0
        self._drawn: dict[str, Hashable] = {}
        """Per section, what it was last rendered from: rendered again only when that changed."""

    def compose(self) -> ComposeResult:
        yield FleetHeader(self.fleet, self.clock, self.run_title)
        with VerticalScroll(id="summary"):
            for name in ("phase-stats", "times", "histogram", "slowest", "failures"):
                yield Rendered(id=name)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self.shown(self.clock())

    def shown(self, now: int) -> None:
        """Shown at once as it was last drawn, the header current; the sections are brought up to
        date just after that frame (Textual draws at 60 Hz: a thirtieth of a second later), not
        before it. Recomputed and rendered before the switch, with 100 guests booting a `tab` took
        over a second to show while the other keys took a tenth."""
        self.query_one(FleetHeader).tick(now)
        self.set_timer(AFTER_FRAME_S, lambda: self.tick(self.clock()), name="summary up to date")

    def tick(self, now: int) -> None:
        self.query_one(FleetHeader).tick(now)
        guests = self.fleet.guests
        seen = (sum(g.changes for g in guests), self.size.width)
        busy = any(in_progress(g) for g in guests)
        if seen == self._seen and not busy:
            return
        if self._seen is not None and busy and now - self._drawn_at < REDRAW_NS:
            return
        self._seen, self._drawn_at = seen, now
        self.draw(guests)

    def draw(self, guests: Sequence[Guest]) -> None:
        """Every section from one reading of each guest's figures; a section whose figures are
        those it shows already is left as it is."""
        chart = max(20, self.size.width - STATS_TEXT)
        width = max(20, self.size.width - 4)
        counted = [guest_readings(g) for g in guests]
        phases = distributions(counted)
        figures = distributions(counted, FIGURES)
        known = tuple(readings["total"][0] for readings in counted if "total" in readings)
        now = self.clock()
        rows, failing = ranked(guests, [elapsed(g, now) for g in guests]), failed(guests)
        self._section("phase-stats", (tuple(phases.items()), chart), lambda: phase_stats(phases, chart))
        self._section("times", (tuple(figures.items()), chart), lambda: times_stats(figures, chart))
        self._section("histogram", (known, width), lambda: total_histogram(known, width))
        self._section("slowest", rows, lambda: slowest(rows))
        self._section("failures", tuple((name, reason.markup) for name, reason in failing), lambda: failures(failing))

    def _section(self, name: str, shows: Hashable, renderable: Callable[[], RenderableType]) -> None:
        if self._drawn.get(name) != shows:
            self._drawn[name] = shows
            self.query_one(f"#{name}", Rendered).update(renderable())
