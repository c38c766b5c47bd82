"""The `uktrace` console script: the engine's command line with the TUI plugged in."""

from __future__ import annotations

import sys

from uktrace.cli.main import main as engine_main
from uktrace.model.guest import FleetView


def show(fleet: FleetView, title: str) -> None:
    from . import run_tui

    run_tui(fleet, title=title)


def main() -> int:
    return engine_main(tui=show)


if __name__ == "__main__":
    sys.exit(main())
