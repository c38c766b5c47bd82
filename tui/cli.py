"""The `uktrace` console script: the engine's command line with the TUI plugged in."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from uktrace.cli.main import main as engine_main

if TYPE_CHECKING:
    from uktrace.model.guest import FleetView


class Views:
    """The run views as the command line opens them (`uktrace.tui.run_app`: `h` included), once per
    run or bench cell; Textual is imported only when one opens, so a headless run never pays for it."""

    def __init__(self) -> None:
        self.home_requested = False
        """Some run's `h` asked for the home screen, once the command has printed its tables."""

    def show(self, fleet: FleetView, title: str, cleanup: Callable[[], None] | None = None) -> None:
        from .run_app import RunApp

        app = RunApp(fleet, title=title, cleanup=cleanup)
        app.run()
        self.home_requested = self.home_requested or app.home_requested


def wants_home(argv: list[str]) -> bool:
    """`uktrace` alone on a terminal opens the home screen; without one it is the usage error it
    always was (exit 2), so scripts are unaffected."""
    return not argv and sys.stdin.isatty() and sys.stdout.isatty()


def main() -> int:
    if wants_home(sys.argv[1:]):
        from .home_app import run_home

        return run_home()
    views = Views()
    status = engine_main(tui=views.show)
    if views.home_requested and sys.stdin.isatty() and sys.stdout.isatty():
        from .home_app import run_home

        run_home()  # the run's own status stands: it is what the command line did
    return status


if __name__ == "__main__":
    sys.exit(main())
