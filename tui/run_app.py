"""The run views as `uktrace run`, `demo`, `replay` and `bench` open them, with `h` for home:
the run is stopped as `q` stops it, its tables are printed as usual, then the home screen opens
(`uktrace.tui.cli`), so a run started from a shell leads to the same place as `uktrace` alone."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from .app import HOME, UktraceApp


class RunApp(UktraceApp):
    """A run that `h` ends with `HOME` as the app's result: the console script opens the home
    screen once the command has printed its tables."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # the footer is full at 120 columns: `h` takes the place of ctrl+s there (`?` lists both)
        Binding("ctrl+s", "save_svg", "SVG", show=False),
        Binding("h", "home", "Home"),
    ]

    def action_home(self) -> None:
        if not self.quitting:  # a bench's cell: `q` stops the whole bench, so does `h`
            self.shutdown(HOME)
