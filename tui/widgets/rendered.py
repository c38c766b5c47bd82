"""A Rich renderable drawn once per update: for views that redraw tables while guests boot.

`Static.update` with a Rich table costs two renderings: one to learn the height (layout) and one
to draw, and a layout pass every time. In the summary view during a 100-guest storm that was
~60-80 ms every half second, each a stall of the keys. This widget renders the lines once at its
width, answers the layout from them, and asks for a layout only when their count changes.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget


class Rendered(Widget):
    """Lines of a Rich renderable, rendered at the widget's width when updated or resized."""

    DEFAULT_CSS = """
    Rendered { height: auto; }
    """

    def __init__(self, renderable: RenderableType = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._renderable: RenderableType = renderable
        self._lines: list[Strip] = []
        self._width: int | None = None
        """The width `_lines` were rendered at; None: render again."""

    @property
    def renderable(self) -> RenderableType:
        """What it draws."""
        return self._renderable

    def update(self, renderable: RenderableType) -> None:
        lines = len(self._lines)
        self._renderable = renderable
        self._width = None
        if self.size.width:
            self._render_at(self.size.width)
        self.refresh(layout=self._width is None or len(self._lines) != lines)

    def _render_at(self, width: int) -> None:
        console = self.app.console
        options = console.options.update(width=width, height=None, highlight=False)
        renderable = Text(self._renderable) if isinstance(self._renderable, str) else self._renderable
        rendered = console.render_lines(renderable, options, pad=False)
        base = self.rich_style
        self._lines = [
            Strip(Segment.apply_style(line, style=base)).adjust_cell_length(width, base) for line in rendered
        ]
        self._width = width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width != self._width:
            self._render_at(width)
        return len(self._lines)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if width != self._width:
            self._render_at(width)
        return self._lines[y] if y < len(self._lines) else Strip.blank(width, self.rich_style)
