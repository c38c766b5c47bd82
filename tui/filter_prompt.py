"""The `/` filter prompt a list screen shares: show it, filter as the user types, hide it when empty."""

from __future__ import annotations

from typing import Protocol

from textual import on
from textual.widget import Widget
from textual.widgets import Input


class Filterable(Protocol):
    def set_filter(self, text: str) -> None: ...

    def focus(self, scroll_visible: bool = True) -> Widget: ...


class FilterPrompt(Widget):
    """Mixed into a screen with an `Input#filter`; `filtered` names the list it narrows."""

    @property
    def filtered(self) -> Filterable:
        raise NotImplementedError

    def action_filter(self) -> None:
        prompt = self.query_one("#filter", Input)
        prompt.add_class("-shown")
        prompt.focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.filtered.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.remove_class("-shown")
        self.filtered.focus()

    def action_clear_filter(self) -> None:
        prompt = self.query_one("#filter", Input)
        prompt.value = ""
        prompt.remove_class("-shown")
        self.filtered.set_filter("")
        self.filtered.focus()
