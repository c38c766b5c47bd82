"""The `uktrace` console script: the engine's command line with the TUI plugged in.

The one module of the TUI that imports the command line (an import contract keeps the others off
it): it hands the command line the run views, and the home screen a launcher that runs the form's
command line as `uktrace run` would."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from uktrace.cli.main import main as engine_main

if TYPE_CHECKING:
    from uktrace.model.guest import FleetView

    from .launch_line import Launched


class Views:
    """The run views as the command line opens them (`uktrace.tui.run_app`: `h` included), once per
    run or bench cell; Textual is imported only when one opens, so a headless run never pays for it."""

    def __init__(self) -> None:
        self.home_requested = False
        """Some run's `h` asked for the home screen, once the command has printed its tables."""

    def show(self, fleet: FleetView, title: str, cleanup: Callable[[], None] | None = None) -> None:
        from .app import HOME
        from .run_app import RunApp

        if RunApp(fleet, title=title, cleanup=cleanup).run() == HOME:
            self.home_requested = True


def launch(argv: list[str]) -> Launched:
    """The home screen's launcher: `argv` (after `uktrace`) through the command line's own parser,
    a run made as `uktrace run` makes it; a bench is left to run as itself. (Imported here: every
    command starts through this module, and only the home screen launches.)"""
    from uktrace.cli.main import build_parser
    from uktrace.cli.run import USER_ERRORS, Interrupted, make_fleet
    from uktrace.launch.options import LaunchError

    from .launch_line import BenchAsked, Refused, RunMade, parse_launch

    try:
        args = parse_launch(argv, build_parser())
        if args.command == "bench":
            return BenchAsked(args.out)
        fleet, shares = make_fleet(args, command=["uktrace", *argv])
    except LaunchError as error:
        return Refused(f"cannot launch: {error}")
    except USER_ERRORS as error:
        return Refused(f"uktrace run: {error}")
    except Interrupted as interrupted:
        return Refused(f"uktrace run: interrupted by {interrupted} before the run started")
    return RunMade(fleet, shares.cleanup)


def wants_home(argv: list[str]) -> bool:
    """`uktrace` alone on a terminal opens the home screen; without one it is the usage error it
    always was (exit 2), so scripts are unaffected."""
    return not argv and sys.stdin.isatty() and sys.stdout.isatty()


def main() -> int:
    if wants_home(sys.argv[1:]):
        from .home_app import run_home

        return run_home(launch)
    views = Views()
    status = engine_main(tui=views.show)
    if views.home_requested and sys.stdin.isatty() and sys.stdout.isatty():
        from .home_app import run_home

        run_home(launch)  # the run's own status stands: it is what the command line did
    return status


if __name__ == "__main__":
    sys.exit(main())
