"""The summary view: where the time goes across guests, the slowest guests, and every failure's reason.

Statistics come from the engine (`uktrace.analysis.stats`); this only lays them out. Recomputed when a
guest moved, at most twice a second while guests run (a distribution over 100 guests is not
worth 15 frames a second).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll

from uktrace.analysis.figures import FIGURES, Reading, elapsed, guest_readings
from uktrace.analysis.stats import Distribution, distributions
from uktrace.cli.report import format_seconds, status_text
from uktrace.model.guest import FleetView, Guest
from uktrace.model.nesting import level

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
LABEL = 16
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


def phase_stats(counted: Sequence[dict[str, Reading]], chart_width: int) -> RenderableType:
    """Per phase: how many guests had it, p50/p95/max, and a box plot on one axis for all phases."""
    dists = distributions(counted)
    if not dists:
        return Text("no phase measured yet", style="dim")
    rows = [
        (Text.assemble(" " * level(name), ("■ ", phase_colour(name)), name), dist, phase_colour(name))
        for name, dist in dists.items()  # a nested phase one step in under the phase it is part of
    ]
    table = _distribution_table("phase", rows, chart_width)
    return Group(_title("phases across guests (each on the clock that saw it)   ├ min  █ p50–p95  ┤ max"), table)


def times_stats(counted: Sequence[dict[str, Reading]], chart_width: int) -> RenderableType:
    """Boot (spawn to main), mount, main and total, with the same box plots."""
    known = distributions(counted, FIGURES)
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


def total_histogram(counted: Sequence[dict[str, Reading]], width: int) -> RenderableType:
    """`total` over the guests it counts for, as in the table above."""
    totals = [readings["total"][0] for readings in counted if "total" in readings]
    if not totals:
        return Text("")
    return Group(_title(f"total per guest: {len(totals)} guests"), Histogram(totals, height=3, width=width))


def slowest(guests: Sequence[Guest], now: int, count: int = SLOWEST) -> RenderableType:
    """The slowest guests by total (so far, as the fleet's column shows it), each with its longest
    phase (the first place to look)."""
    timed = [(elapsed(g, now), g) for g in guests]
    ranked = sorted(((t, g) for t, g in timed if t is not None), key=lambda item: -item[0])[:count]
    if not ranked:
        return Text("")
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    for column, justify in (("guest", "left"), ("total", "right"), ("status", "left"), ("longest phase", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for total, guest in ranked:
        phases = [p for p in guest.timeline.phases() if p.duration is not None]
        longest = max(phases, key=lambda p: p.duration or 0.0, default=None)
        table.add_row(
            guest.name,
            format_seconds(total),
            Text(guest.timeline.status.value, style=STATUS_STYLES[guest.timeline.status]),
            Text.assemble(("■ ", phase_colour(longest.name)), f"{longest.name} {format_seconds(longest.duration)}")
            if longest is not None
            else "",
        )
    return Group(_title(f"slowest {len(ranked)}"), table)


def failures(guests: Sequence[Guest]) -> RenderableType:
    """Every guest that did not exit cleanly, with the reason (and QEMU's last word when it failed)."""
    failed = [g for g in guests if g.timeline.status.finished and g.timeline.status.value != "exited"]
    failed += [g for g in guests if g.timeline.status.value == "exited" and (g.timeline.exit_code or 0) != 0]
    if not failed:
        return Group(_title("failures"), Text("none", style="green"))
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("guest", no_wrap=True)
    table.add_column("status and reason")
    for guest in failed:
        reason = status_text(guest.timeline)
        stderr = guest.stderr_tail.decode("utf-8", "replace").strip().splitlines()
        if stderr and guest.timeline.status.value == "failed":
            reason.append(f"\nQEMU: {stderr[-1]}", style="dim")
        table.add_row(guest.name, reason)
    return Group(_title(f"failures: {len(failed)}"), table)


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

    def compose(self) -> ComposeResult:
        yield FleetHeader(self.fleet, self.clock, self.run_title)
        with VerticalScroll(id="summary"):
            for name in ("phase-stats", "times", "histogram", "slowest", "failures"):
                yield Rendered(id=name)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
        self.tick(self.clock())

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
        chart = max(20, self.size.width - STATS_TEXT)
        counted = [guest_readings(g) for g in guests]
        self.query_one("#phase-stats", Rendered).update(phase_stats(counted, chart))
        self.query_one("#times", Rendered).update(times_stats(counted, chart))
        self.query_one("#histogram", Rendered).update(total_histogram(counted, max(20, self.size.width - 4)))
        self.query_one("#slowest", Rendered).update(slowest(guests, now))
        self.query_one("#failures", Rendered).update(failures(guests))
