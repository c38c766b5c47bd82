"""Screens: a run (`run.RunScreen`, the fleet view that owns its fleet), one guest, the summary,
the blame table, the home screen, and the pickers on top."""

from __future__ import annotations

from textual.screen import Screen


class LiveScreen(Screen[None]):
    """A screen drawn from the fleet model: the app's timer calls `tick` with the current time.

    One timer in the app, not one per screen, so a screen out of sight costs nothing and the
    clock is read in one place (a test injects a fixed one)."""

    def tick(self, now: int) -> None:
        """Redraw what moved since the last tick."""

    def shown(self, now: int) -> None:
        """The view is about to be switched to (made before, kept): by default brought up to date
        first, so its first frame is current."""
        self.tick(now)
