"""The Textual TUI: a thin layer over uktrace's fleet model (`uktrace.model.guest.FleetView`)."""

from __future__ import annotations

from uktrace.model.guest import FleetView


def run_tui(fleet: FleetView, *, title: str) -> None:
    """Run the app until the user quits; the fleet is stopped cleanly before this returns."""
    from .app import UktraceApp

    UktraceApp(fleet, title=title).run()
