"""A Rich table that shows text as it is, for every table the command line and the TUI print."""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from rich.table import Column, Table

from ..model.text import markup


class SafeTable(Table):
    """A Rich table whose text is shown as it is: a cell, title, caption or header given as a
    string has its markup escaped (a guest named `[/red]` is that name, not a `MarkupError`) and
    its control characters shown (`model.text.markup`), and renders as any string would. Every
    table the commands print is one."""

    def __init__(self, *headers: Column | str, **kwargs: Any) -> None:
        for key in ("title", "caption"):
            if isinstance(kwargs.get(key), str):
                kwargs[key] = markup(kwargs[key])
        super().__init__(*(markup(h) if isinstance(h, str) else h for h in headers), **kwargs)

    def add_column(self, header: RenderableType = "", *args: Any, **kwargs: Any) -> None:
        super().add_column(markup(header) if isinstance(header, str) else header, *args, **kwargs)

    def add_row(self, *renderables: RenderableType | None, **kwargs: Any) -> None:
        super().add_row(*(markup(cell) if isinstance(cell, str) else cell for cell in renderables), **kwargs)
