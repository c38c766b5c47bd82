"""The sort picker: name, status, total, or any phase; picking the current key again reverses it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from uktrace.parsers.phases import PHASES

from ..palette import phase_colour
from ..widgets.fleet_table import SORT_KEYS, SortOrder

DESCENDING_FIRST = frozenset({"total", *PHASES})
"""Times sort slowest first: the guest you are looking for is the slow one."""


def next_order(current: SortOrder, key: str) -> SortOrder:
    """The order after picking `key`: the same key flips the direction, a new key starts at its default."""
    if key == current.key:
        return SortOrder(key, not current.descending)
    return SortOrder(key, key in DESCENDING_FIRST)


class SortPicker(ModalScreen[SortOrder | None]):
    """A list of sort keys; enter picks, escape keeps the current order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss(None)", "Cancel"),
        Binding("s", "pick_highlighted", "Pick", show=False),
    ]
    DEFAULT_CSS = """
    SortPicker { align: center middle; }
    SortPicker > Vertical {
        width: 40; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    SortPicker OptionList { height: auto; max-height: 20; border: none; }
    """

    def __init__(self, current: SortOrder) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        options = []
        for key in SORT_KEYS:
            label = Text()
            label.append("■ " if key in PHASES else "  ", style=phase_colour(key) if key in PHASES else "")
            label.append(key if key in PHASES else {"total": "total (elapsed)"}.get(key, key))
            if key == self.current.key:
                label.append("  ▼" if self.current.descending else "  ▲", style="bold")
            options.append(Option(label, id=key))
        with Vertical():
            yield Label("[b]sort by[/b] [dim](pick the current key again to reverse)[/dim]")
            yield OptionList(*options, id="sort-keys")

    def on_mount(self) -> None:
        keys = self.query_one(OptionList)
        keys.highlighted = SORT_KEYS.index(self.current.key)
        keys.focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.dismiss(next_order(self.current, event.option.id))

    def action_pick_highlighted(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(next_order(self.current, option.id))
