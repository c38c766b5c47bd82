"""The Textual TUI: a thin layer over uktrace's fleet model (`uktrace.model.guest.FleetView`)."""

from __future__ import annotations

from collections.abc import Callable

from uktrace.model.guest import FleetView


def run_tui(fleet: FleetView, *, title: str, cleanup: Callable[[], None] | None = None) -> None:
    """Run the app until the user quits; the fleet is stopped cleanly before this returns.
    `cleanup` (the run's shares) is run by the app itself if its terminal goes away."""
    from .app import UktraceApp

    UktraceApp(fleet, title=title, cleanup=cleanup).run()
