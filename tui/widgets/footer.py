"""Textual's footer, recomposed only when the keys it shows change.

The footer rebuilds its key widgets whenever the screen says its bindings were updated: on every
switch between views and every focus change, even when the keys shown are the same. Each rebuild
mounts and styles a widget per key, and it was half the cost of a switch to the summary and back
(~60-80 ms of the event loop during a 100-guest storm, `benchmarks/ui_lag.py`).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[object]) -> tuple[tuple[str, str, bool, str], ...]:
    """What the footer would show for `screen`: key, description, enabled, tooltip of each binding."""
    return tuple(
        (binding.key, binding.description, enabled, tooltip)
        for _node, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show
    )


class KeyFooter(Footer):
    """The footer, rebuilt only when the keys it shows differ from those it shows now."""

    def __init__(self) -> None:
        super().__init__()
        self._shown: tuple[tuple[str, str, bool, str], ...] | None = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = shown_keys(screen)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
