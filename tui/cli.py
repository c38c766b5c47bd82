"""The `uktrace` console script: the engine's command line with the TUI plugged in."""

from __future__ import annotations

import sys
from collections.abc import Callable

from uktrace.cli.main import main as engine_main
from uktrace.model.guest import FleetView


def show(fleet: FleetView, title: str, cleanup: Callable[[], None] | None = None) -> None:
    from . import run_tui

    run_tui(fleet, title=title, cleanup=cleanup)


def main() -> int:
    return engine_main(tui=show)


if __name__ == "__main__":
    sys.exit(main())
