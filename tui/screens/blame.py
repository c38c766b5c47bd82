"""The blame view: which constructor or init function costs most across the fleet's guests.

The same table as `uktrace blame`, from the same aggregation (`uktrace.analysis.blame`): the
functions, and the named parts of phases (the TSC calibration, the firmware's parts) beside them;
this only lays it out, orders it (`s`) and opens the guest whose run of a row was the slowest
(enter): a function's slowest call, a part's longest phase.
Recomputed when a guest moved, at most twice a second while guests run, as the summary is. Each
guest's kernel symbols are read once, off the event loop: until then its functions are addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.console import JustifyMethod
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from uktrace.analysis.blame import FunctionBlame, blame, covered, part_key
from uktrace.analysis.naming import SymbolCache, guest_symbols
from uktrace.kernel.symbols import Symbols
from uktrace.model.calls import Call
from uktrace.model.guest import FleetView, Guest
from uktrace.model.timeline import Phase
from uktrace.parsers.phases import NAMED_PARTS
from uktrace.present.timeline import UNTIMED, calls_hint
from uktrace.present.units import format_seconds

from ..widgets.fleet_table import in_progress
from ..widgets.footer import KeyFooter
from ..widgets.header import FleetHeader
from . import LiveScreen
from .guest import GuestScreen
from .summary import REDRAW_NS

ORDERS = ("p95", "p50", "guests", "name")
"""What `s` cycles through; p95 first, as `uktrace blame` prints it."""
COLUMNS: tuple[tuple[str, JustifyMethod], ...] = (
    ("function", "left"),
    ("library", "left"),
    ("table", "left"),
    ("guests", "right"),
    ("p50", "right"),
    ("p95", "right"),
    ("clock", "left"),
)
SILENT_SHOWN = 5
"""Guests named in the "printed no call lines" note; the rest are counted."""


def sort_rows(rows: Sequence[FunctionBlame], order: str) -> list[FunctionBlame]:
    """Slowest (or most common) first, untimed last; names alphabetically. Ties by name, so the
    order is stable across redraws."""
    if order == "name":
        return sorted(rows, key=lambda row: (row.function, row.phase))
    if order == "guests":
        return sorted(rows, key=lambda row: (-row.guests, row.function))
    return sorted(rows, key=lambda row: (getattr(row, order) is None, -(getattr(row, order) or 0.0), row.function))


def row_key(row: FunctionBlame) -> str:
    """`blame` groups by (table, kind, function): the row's identity across redraws."""
    return f"{row.phase}/{row.kind}/{row.function}"


def call_key(call: Call) -> str:
    """The `row_key` of the row a call counts in."""
    return f"{call.phase}/{call.kind}/{call.label}"


def phase_key(phase: Phase) -> str:
    """The `row_key` of the row a named part counts in (`analysis.blame.part_key`)."""
    return "/".join(part_key(phase.name))


Run = tuple[float | None, Guest]
"""One run of a row's function or part: its duration (None: untimed) and the guest it ran in."""


def runs_by_row(guests: Sequence[tuple[Guest, Sequence[Call], Sequence[Phase]]]) -> dict[str, list[Run]]:
    """Every run behind each row, by `row_key`: each call of a function, each guest's phase of a
    named part (`phases.NAMED_PARTS`), as `blame` counts them."""
    runs: dict[str, list[Run]] = {}
    for guest, calls, phases in guests:
        for call in calls:
            runs.setdefault(call_key(call), []).append((call.duration, guest))
        for phase in phases:
            if phase.name in NAMED_PARTS:
                runs.setdefault(phase_key(phase), []).append((phase.duration, guest))
    return runs


def slowest_guest(runs: dict[str, list[Run]], key: str) -> Guest | None:
    """The guest whose run of the row `key` took longest (any run when none was timed)."""
    found = runs.get(key)
    if not found:
        return None
    return max(found, key=lambda run: -1.0 if run[0] is None else run[0])[1]


def notes(rows: Sequence[FunctionBlame], guests: Sequence[Guest], silent: Sequence[Guest], order: str) -> Text:
    """Below the table, as `uktrace blame` says it: how much it covers, and what would make the
    guests that finished without a call line print theirs."""
    text = Text(covered(rows, len(guests)))
    text.append(f"  ·  sorted by {order} (s)  ·  enter: the guest with the slowest run", style="dim")
    if any(not row.named for row in rows):
        text.append("\n(addresses: no symbols named them, or not read yet)", style="dim")
    if silent:
        names = ", ".join(g.name for g in silent[:SILENT_SHOWN])
        text.append(f"\n{len(silent)} of {len(guests)} printed no call lines: {names}")
        if len(silent) > SILENT_SHOWN:
            text.append(f" and {len(silent) - SILENT_SHOWN} more")
        for hint in sorted({calls_hint(g.timeline) for g in silent}):
            text.append(f"\n({hint})", style="dim")
    return text


class BlameScreen(LiveScreen):
    """Every boot function (and named part) across guests, p50 and p95, kept current while guests boot."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_order", "Sort"),
        Binding("tab", "app.view('fleet')", "Fleet"),
        Binding("escape", "app.view('fleet')", "Back", show=False),
    ]
    DEFAULT_CSS = """
    BlameScreen DataTable { height: auto; max-height: 1fr; margin: 0 1; }
    BlameScreen #notes { height: auto; padding: 0 1; margin-top: 1; }
    """

    def __init__(self, fleet: FleetView, clock: Callable[[], int], title: str) -> None:
        super().__init__(name="blame")
        self.fleet = fleet
        self.clock = clock
        self.run_title = title
        self.order = ORDERS[0]
        self.runs: dict[str, list[Run]] = {}
        """Each row's runs as last drawn (`runs_by_row`): enter looks up the slowest here."""
        self._symbols: dict[str, Symbols | None] = {}
        """Per guest name, its kernel's symbols (None: none found); replaced whole by the reader thread."""
        self._seen: tuple[object, ...] | None = None
        self._drawn_at = 0

    def compose(self) -> ComposeResult:
        yield FleetHeader(self.fleet, self.clock, self.run_title)
        table: DataTable[str | Text] = DataTable(cursor_type="row", id="blame")
        for column, justify in COLUMNS:
            table.add_column(Text(column, justify=justify), key=column)
        yield table
        yield Static(id="notes")
        yield KeyFooter()

    @property
    def table(self) -> DataTable[str | Text]:
        return self.query_one(DataTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.tick(self.clock())

    def _read_symbols(self, guests: list[Guest]) -> None:
        """On a worker thread (a large kernel's table takes a while); the next tick redraws. Each
        guest is tried once: a failure is reported by the app, not retried 15 times a second."""
        cache: SymbolCache = {}
        found: dict[str, Symbols | None] = {**self._symbols, **{guest.name: None for guest in guests}}
        try:
            for guest in guests:
                found[guest.name] = guest_symbols(guest, cache)
        finally:
            self._symbols = found

    def tick(self, now: int) -> None:
        self.query_one(FleetHeader).tick(now)
        guests = self.fleet.guests
        unread = [g for g in guests if g.name not in self._symbols]
        if unread and not any(w.group == "symbols" and not w.is_finished for w in self.workers):
            self.run_worker(lambda: self._read_symbols(unread), thread=True, exit_on_error=False, group="symbols")
        seen = (sum(g.changes for g in guests), len(self._symbols), self.order)
        busy = any(in_progress(g) for g in guests)
        if seen == self._seen and not busy:
            return
        if self._seen is not None and seen[1:] == self._seen[1:] and busy and now - self._drawn_at < REDRAW_NS:
            return
        self._seen, self._drawn_at = seen, now
        made = [(g, g.timeline.calls(self._symbols.get(g.name)), g.timeline.phases()) for g in guests]
        self.runs = runs_by_row(made)
        rows = sort_rows(blame((calls for _, calls, _ in made), (phases for _, _, phases in made)), self.order)
        silent = [g for g, calls, _ in made if not calls and g.timeline.status.finished]
        self._fill(rows)
        self.query_one("#notes", Static).update(notes(rows, guests, silent, self.order))

    def _fill(self, rows: list[FunctionBlame]) -> None:
        """Replace the rows, keeping the cursor on the same function."""
        table = self.table
        current = self._cursor_key()
        table.clear()
        for row in rows:
            table.add_row(
                Text(row.function, style="" if row.named else "dim"),
                Text(row.library or ""),  # names from a console: shown, never read as markup
                Text(row.phase),
                Text(str(row.guests), justify="right"),
                Text(format_seconds(row.p50), justify="right"),
                Text(format_seconds(row.p95), justify="right"),
                Text(row.clock or UNTIMED, style="dim"),
                key=row_key(row),
            )
        if current is not None and current in table.rows:
            table.move_cursor(row=table.get_row_index(current), animate=False)

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # -- keys ------------------------------------------------------------------------------------

    def action_cycle_order(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self.tick(self.clock())

    @on(DataTable.RowSelected)
    def open_slowest(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        guest = slowest_guest(self.runs, key) if key is not None else None
        if guest is not None:
            self.app.push_screen(GuestScreen(self.fleet, guest, self.clock))
