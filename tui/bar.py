"""The timeline bar: a guest's boot phases as coloured spans on a time axis, at eighth-cell resolution.

Pure Rich (no Textual), so it is tested as a string and reused by every view: the fleet table
turns its segments into strips, the guest view and the summary print it. Like `rich.bar.Bar` it
draws partial cells with the left eighth blocks; where two phases meet inside one cell the block
takes the left phase's colour and the cell's background the right one's, so every boundary keeps
its 1/8-cell position. Where a bar starts inside a cell (a guest spawned a little later than the
first one), the block is drawn reversed: its painted part shows the background, the rest the
first phase's colour.

Time is never read here: callers pass the spans and the axis, both from the engine
(`uktrace.model.axis`: spans per axis mode, the window a zoom fits). Tick labels are the axis's own
seconds, so a zoomed window that starts at 750 ms is labelled from 750ms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

from uktrace.model.axis import Span as Span
from uktrace.model.axis import nice_axis as nice_axis

from .palette import phase_colour

EIGHTHS = " ▏▎▍▌▋▊▉█"
"""EIGHTHS[k]: a block filling the left k/8 of a cell (0 = empty, 8 = full)."""
TICK_STEPS = (1.0, 2.0, 5.0)
_EMPTY = -1


def tick_step(axis: float, width: int, min_gap: int = 14) -> float:
    """Tick spacing (1, 2, 5 × 10^k seconds) leaving at least `min_gap` cells between labels."""
    if width <= 0 or axis <= 0:
        return axis
    wanted = axis * min_gap / width
    decade = 10.0 ** math.floor(math.log10(wanted))
    for factor in (*TICK_STEPS, 10.0):
        step = round(factor * decade, 12)
        if step >= wanted:
            return step
    return 10 * decade  # pragma: no cover


def tick_label(seconds: float) -> str:
    """`0`, `250ms`, `1.5s`: short enough to sit under a bar."""
    if seconds == 0:
        return "0"
    if seconds < 1:
        return f"{seconds * 1000:.4g}ms"
    return f"{seconds:.4g}s"


@lru_cache(maxsize=512)
def _style(left: str | None, right: str | None) -> Style:
    """Style of a cell whose left part is `left`'s colour and the rest `right`'s (None: empty)."""
    if left is None and right is None:
        return Style.null()
    if left is None:
        return Style(color=right, reverse=True)
    return Style(color=left, bgcolor=right)


def bar_segments(
    spans: Sequence[Span], axis: float, width: int, note: str | None = None, note_style: Style | str = ""
) -> list[Segment]:
    """Exactly `width` cells: each span's phase colour over [start, end) of an axis `axis` seconds long.

    `note` (a failure reason) is written in the free cells after the last span when it fits.
    Work is per span edge, not per cell: the fleet table draws dozens of these every frame."""
    if width <= 0:
        return []
    total = width * 8
    owners = [_EMPTY] * total
    scale = total / axis if axis > 0 else 0.0
    edges = {0, width}
    last = 0
    for index, span in enumerate(spans):
        start = min(total, max(0, round(span.start * scale)))
        end = min(total, max(0, round(span.end * scale)))
        if end > start:
            owners[start:end] = [index] * (end - start)
            edges.update((start // 8, min(width, end // 8)))
            last = max(last, end)
    drawn = width
    if note:
        first_free = math.ceil(last / 8) + 1
        if width - first_free >= 4:
            drawn = first_free  # every cell from here on is empty: the note goes there
    colours = [phase_colour(span.phase) for span in spans]
    out = _Segments()
    cuts = sorted(edge for edge in edges if edge < drawn)
    for cell, following in zip(cuts, [*cuts[1:], drawn], strict=True):
        # a run can only change in a cell holding a span edge; the cells up to the next such are uniform
        out.add(*_cell(owners[cell * 8 : cell * 8 + 8], colours))
        if following > cell + 1:
            owner = owners[(cell + 1) * 8]
            if owner == _EMPTY:
                out.add(" " * (following - cell - 1), _NULL)
            else:
                out.add("█" * (following - cell - 1), _style(colours[owner], None))
    if drawn < width:
        room = width - drawn
        text = note if note is not None and len(note) <= room else (note or "")[: room - 1] + "…"
        out.add(text, Style.parse(note_style) if isinstance(note_style, str) else note_style)
        out.add(" " * (room - len(text)), _NULL)
    return out.segments


_NULL = Style.null()


def _cell(eighths: list[int], colours: list[str]) -> tuple[str, Style]:
    """One cell from the owners of its eighths: the left run as a left block in its colour, the
    rest of the cell as background in the colour of its largest phase (ties: the later one). A
    phase beats a gap, so a span shorter than a cell still shows in the cell it starts in."""
    left = eighths[0]
    if eighths.count(left) == 8:
        return (" ", _NULL) if left == _EMPTY else ("█", _style(colours[left], None))
    filled = 1
    while eighths[filled] == left:
        filled += 1
    rest = [owner for owner in eighths[filled:] if owner != _EMPTY] or [_EMPTY]
    right = max(rest, key=lambda owner: (rest.count(owner), owner))
    left_colour = None if left == _EMPTY else colours[left]
    right_colour = None if right == _EMPTY else colours[right]
    return EIGHTHS[filled], _style(left_colour, right_colour)


class _Segments:
    """Segments built left to right; adjacent text in the same (cached, so identical) style joins."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []

    def add(self, text: str, style: Style) -> None:
        if not text:
            return
        if self.segments and self.segments[-1].style is style:
            self.segments[-1] = Segment(self.segments[-1].text + text, style)
        else:
            self.segments.append(Segment(text, style))


def axis_segments(axis: float, width: int, style: Style | str = "dim", start: float = 0.0) -> list[Segment]:
    """Exactly `width` cells of tick labels (`0`, `200ms`, …) at their position on an axis `axis`
    seconds long from `start` (a zoomed window: its ticks are the multiples of the step in it)."""
    if width <= 0:
        return []
    chars = [" "] * width
    step = tick_step(axis, width)
    free_from = 0
    first = math.ceil(start / step - 1e-9) if step > 0 else 0
    last = math.floor((start + axis) / step + 1e-9) if step > 0 else 0
    for n in range(first, last + 1):
        value = round(n * step, 12)
        label = tick_label(value)
        position = min(round((value - start) / axis * width), width - len(label)) if axis > 0 else 0
        if position < free_from or position < 0:
            continue
        chars[position : position + len(label)] = label
        free_from = position + len(label) + 1
    end = tick_label(round(start + axis, 12))
    if axis > 0 and free_from <= width - len(end) - 1 and chars[-1] == " ":
        # too narrow for a second tick: the axis's end, so the scale is never a lone `0`
        chars[width - len(end) :] = end
    return [Segment("".join(chars), Style.parse(style) if isinstance(style, str) else style)]


class TimelineBar:
    """A Rich renderable: one bar of phase spans on an axis `axis` seconds long."""

    def __init__(self, spans: Sequence[Span], axis: float, width: int | None = None, note: str | None = None) -> None:
        self.spans = spans
        self.axis = axis
        self.width = width
        self.note = note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width or options.max_width, options.max_width)
        yield from bar_segments(self.spans, self.axis, width, self.note, "italic red")
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width or 1, self.width or options.max_width)


class TimeAxis:
    """A Rich renderable: the tick labels under (or over) timeline bars of the same axis and width."""

    def __init__(self, axis: float, width: int | None = None, start: float = 0.0) -> None:
        self.axis = axis
        self.width = width
        self.start = start

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from axis_segments(self.axis, min(self.width or options.max_width, options.max_width), start=self.start)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(self.width or 1, self.width or options.max_width)
