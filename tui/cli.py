"""The `uktrace` console script: the engine's command line with the TUI plugged in."""

from __future__ import annotations

import sys
from collections.abc import Callable

from uktrace.cli.main import main as engine_main
from uktrace.model.guest import FleetView


def show(fleet: FleetView, title: str, cleanup: Callable[[], None] | None = None) -> None:
    """The run views, `h` included (`uktrace.tui.run_app`); `run_tui` is the same without it."""
    from .run_app import RunApp

    RunApp(fleet, title=title, cleanup=cleanup).run()


def wants_home(argv: list[str]) -> bool:
    """`uktrace` alone on a terminal opens the home screen; without one it is the usage error it
    always was (exit 2), so scripts are unaffected."""
    return not argv and sys.stdin.isatty() and sys.stdout.isatty()


def main() -> int:
    if wants_home(sys.argv[1:]):
        from .home_app import run_home

        return run_home()
    status = engine_main(tui=show)
    from .run_app import RunApp

    if RunApp.home_requested and sys.stdin.isatty() and sys.stdout.isatty():
        from .home_app import run_home

        run_home()  # the run's own status stands: it is what the command line did
    return status


if __name__ == "__main__":
    sys.exit(main())
