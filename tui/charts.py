"""Terminal charts for the summary view: a box plot per phase and a histogram, as Rich renderables.

Pure Rich like the timeline bar (tested as strings); the statistics come from `uktrace.analysis.stats`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from uktrace.analysis.stats import Distribution

from .bar import axis_segments, nice_axis

LOWER_EIGHTHS = " ▁▂▃▄▅▆▇█"
"""LOWER_EIGHTHS[k]: a block filling the bottom k/8 of a cell."""


class BoxPlot:
    """`├──███──┤`: whiskers from min to max, a box from p50 to p95, on an axis `axis` seconds long."""

    def __init__(self, dist: Distribution, axis: float, colour: str, width: int | None = None) -> None:
        self.dist = dist
        self.axis = axis
        self.colour = colour
        self.width = width

    def cells(self, width: int) -> list[tuple[str, Style]]:
        dist = self.dist

        def cell(value: float) -> int:
            return min(width - 1, max(0, int(value / self.axis * width))) if self.axis > 0 else 0

        whisker = Style(color=self.colour, dim=True)
        box = Style(color=self.colour)
        cells: list[tuple[str, Style]] = [(" ", Style.null())] * width
        low, high = cell(dist.min), cell(dist.max)
        for i in range(low, high + 1):
            cells[i] = ("─", whisker)
        if high > low:
            cells[low] = ("├", whisker)
            cells[high] = ("┤", whisker)
        for i in range(cell(dist.p50), cell(dist.p95) + 1):
            cells[i] = ("█", box)
        return cells

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width or options.max_width, options.max_width)
        for char, style in self.cells(width):
            yield Segment(char, style)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width or 8, self.width or options.max_width)


class Histogram:
    """A vertical histogram of seconds, one column per bin, eighth-block tall; an axis line below."""

    def __init__(self, values: Sequence[float], height: int = 4, colour: str = "cyan", width: int | None = None):
        self.values = values
        self.height = height
        self.colour = colour
        self.width = width

    def bins(self, width: int) -> tuple[list[int], float, float]:
        """Counts per column, and the range [0, high) they cover (a nice axis over the largest value)."""
        counts = [0] * width
        if not self.values:
            return counts, 0.0, 0.0
        high = nice_axis(max(self.values))
        for value in self.values:
            counts[min(width - 1, int(value / high * width))] += 1
        return counts, 0.0, high

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width or options.max_width, options.max_width)
        counts, _, high = self.bins(width)
        tallest = max(counts) or 1
        levels = [0 if n == 0 else max(1, round(n / tallest * self.height * 8)) for n in counts]
        style = Style(color=self.colour)
        for row in range(self.height):
            floor = (self.height - 1 - row) * 8
            line = "".join(LOWER_EIGHTHS[min(8, max(0, level - floor))] for level in levels)
            yield Segment(line, style)
            yield Segment.line()
        yield from axis_segments(high, width)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width or 8, self.width or options.max_width)
