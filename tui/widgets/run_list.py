"""The home screen's list of recorded runs: one row per recording, newest first, with marks.

A DataTable: the recordings are tens to hundreds, not live data, so a widget row each is cheap.
Rows come from `inventory` at once; the Unikraft release and total p50 fill in as each
recording is read through (`analysis.overview`), on a worker, so the list shows immediately.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from uktrace.analysis.overview import Digest
from uktrace.present.units import format_seconds
from uktrace.recording.inventory import Recording

COLUMNS = ("", "when", "kind", "kernel", "unikraft", "guests", "statuses", "total p50", "recording")
STATUS_STYLE = {"exited": "green", "crashed": "bold red", "failed": "red", "timeout": "yellow", "stopped": "magenta"}
MARK = "●"
READING = "…"


def statuses_text(recording: Recording) -> Text:
    """`8 exited`, `2 exited 1 crashed`, each status in its colour."""
    text = Text()
    for status, count in sorted(recording.statuses.items(), key=lambda item: -item[1]):
        if text:
            text.append(" ")
        text.append(f"{count} {status}", style=STATUS_STYLE.get(status, ""))
    return text


def total_text(recording: Recording, digest: Digest | None) -> Text:
    if digest is None:
        return Text(READING, style="dim")
    if digest.total_range is not None:
        low, high = digest.total_range
        return Text(f"{format_seconds(low)}–{format_seconds(high)}")
    if digest.total_p50 is not None:
        return Text(format_seconds(digest.total_p50))
    return Text("?" if digest.problem else "–", style="dim")


def when_text(recording: Recording) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(recording.started))


class RunList(DataTable[Text | str]):
    """Recordings, newest first; `/` filters by any words of a row, space marks."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Replay")]
    DEFAULT_CSS = """
    RunList { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.recordings: list[Recording] = []
        self.digests: dict[str, Digest] = {}
        self.marks: list[str] = []
        """Paths of the marked recordings, in the order they were marked."""
        self.words: list[str] = []
        self.busy: set[Path] = set()
        """Recordings a uktrace still writes (shown with a yellow dot, never deleted)."""

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(column, key=column or "mark")

    # -- content -----------------------------------------------------------------------------------

    def set_recordings(self, recordings: Sequence[Recording]) -> None:
        """A new listing (newest first); marks and the cursor stay on the recordings still there."""
        current = self.current
        self.recordings = list(recordings)
        paths = {str(r.path) for r in self.recordings}
        self.marks = [m for m in self.marks if m in paths]
        self._rebuild(str(current.path) if current else None)

    def set_digest(self, recording: Recording, digest: Digest) -> None:
        key = str(recording.path)
        self.digests[key] = digest
        if key in self.rows:
            self.update_cell(key, "unikraft", self._unikraft(key), update_width=True)
            self.update_cell(key, "total p50", total_text(recording, digest), update_width=True)

    def set_filter(self, text: str) -> None:
        self.words = text.lower().split()
        current = self.current
        self._rebuild(str(current.path) if current else None)

    def matches(self, recording: Recording) -> bool:
        digest = self.digests.get(str(recording.path))
        haystack = " ".join(
            [
                when_text(recording),
                recording.kind,
                recording.kernel,
                " ".join(recording.statuses),
                recording.path.name,
                (digest.unikraft or "") if digest else "",
            ]
        ).lower()
        return all(word in haystack for word in self.words)

    @property
    def shown(self) -> list[Recording]:
        return [r for r in self.recordings if self.matches(r)]

    def _rebuild(self, keep: str | None) -> None:
        self.clear()
        for recording in self.shown:
            key = str(recording.path)
            self.add_row(*self._cells(recording), key=key)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def _cells(self, recording: Recording) -> list[Text | str]:
        key = str(recording.path)
        kind = Text(recording.kind, style="bold cyan" if recording.kind == "bench" else "")
        guests = Text(str(recording.guests), justify="right")
        if recording.path in self.busy:
            kind.append(" ●", style="yellow")
        return [
            self._mark(key),
            when_text(recording),
            kind,
            Text(recording.kernel),  # a string cell would be read as markup: a name from a recording
            self._unikraft(key),
            guests,
            statuses_text(recording),
            total_text(recording, self.digests.get(key)),
            Text(recording.path.name, style="dim"),
        ]

    def _mark(self, key: str) -> Text:
        return Text(MARK, style="bold yellow") if key in self.marks else Text(" ")

    def _unikraft(self, key: str) -> Text:
        digest = self.digests.get(key)
        if digest is None:
            return Text(READING, style="dim")
        if not digest.unikraft:
            return Text("–", style="dim")
        # the versions only (`0.17.0 (Calypso)` → `0.17.0`): the codename adds width, not news
        return Text(", ".join(part.split(" (")[0] for part in digest.unikraft.split(", ")))

    # -- cursor and marks --------------------------------------------------------------------------

    @property
    def current(self) -> Recording | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:  # no row under the cursor (an empty table after a filter)
            return None
        return next((r for r in self.recordings if str(r.path) == key), None)

    def select(self, path: Path) -> None:
        """The cursor on `path`'s row, if it is shown."""
        if str(path) in self.rows:
            self.move_cursor(row=self.get_row_index(str(path)), animate=False)

    def toggle_mark(self) -> None:
        recording = self.current
        if recording is None:
            return
        key = str(recording.path)
        if key in self.marks:
            self.marks.remove(key)
        else:
            self.marks.append(key)
        for mark in {key, *self.marks}:
            if mark in self.rows:
                self.update_cell(mark, "mark", self._mark(mark))

    @property
    def marked(self) -> list[Recording]:
        """The marked recordings, oldest first: the first is the baseline a comparison measures against."""
        chosen = [r for r in self.recordings if str(r.path) in self.marks]
        return sorted(chosen, key=lambda r: r.started)
