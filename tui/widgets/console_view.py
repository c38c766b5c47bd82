"""One guest's console, as parsed records (highlighted by level and library) or as escaped raw bytes.

A Line API view over the guest's in-memory tail (`Guest.records`, the last 1,000 lines;
the whole console is on disk in the recording): only visible lines are styled, the record list
is re-read only when the guest's `changes` counter moved. Follow mode keeps the end in view
until the user scrolls up; search highlights every hit and `n`/`N` step through them.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from uktrace.model.guest import Guest
from uktrace.parsers import Kind, Record
from uktrace.present.units import format_seconds

from ..palette import (
    KIND_STYLES,
    LEVEL_STYLES,
    LEVEL_TAG_STYLES,
    RAW_ESCAPE_STYLE,
    SEARCH_STYLE,
    TIMESTAMP_STYLE,
    library_style,
)

GUTTER = 10
"""Cells for the host time of each line (since spawn) on the left."""
LINE_CACHE = 256
"""Drawn lines kept for scrolling back and forth: a few screens' worth. Each is a dozen objects
the garbage collector walks, so not the whole tail's."""
_CONTROL = {code: 0x2400 + code for code in range(0x20) if code != 0x09} | {0x7F: 0x2421}
"""C0 controls left in a decoded line become their visible pictures (␁), never terminal input."""
_NAMED_ESCAPES = {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x1B: "\\e", 0x5C: "\\\\"}


def escape_raw(raw: bytes) -> list[tuple[str, bool]]:
    """The bytes as printable pieces: `(text, is_escape)`; printable ASCII stays, the rest is `\\xNN`."""
    pieces: list[tuple[str, bool]] = []
    plain: list[str] = []
    for byte in raw:
        if 0x20 <= byte < 0x7F and byte != 0x5C:
            plain.append(chr(byte))
            continue
        if plain:
            pieces.append(("".join(plain), False))
            plain = []
        pieces.append((_NAMED_ESCAPES.get(byte, f"\\x{byte:02x}"), True))
    if plain:
        pieces.append(("".join(plain), False))
    return pieces


def raw_text(record: Record) -> Text:
    text = Text(no_wrap=True)
    for piece, escaped in escape_raw(record.raw):
        text.append(piece, RAW_ESCAPE_STYLE if escaped else None)
    return text


def record_text(record: Record) -> Text:
    """A parsed line: coloured by level (printk) or kind; timestamp, level and library picked out."""
    line = record.text.translate(_CONTROL).expandtabs(8)
    if record.kind == Kind.PRINTK:
        text = Text(line, style=LEVEL_STYLES.get(record.level, Style()), no_wrap=True)
        position = 0
        if record.timestamp is not None and line.startswith("["):
            position = line.find("]") + 1
            text.stylize(TIMESTAMP_STYLE, 0, position)
        if record.level:
            found = line.find(record.level, position)
            if found >= 0:
                position = found + len(record.level)
                text.stylize(LEVEL_TAG_STYLES.get(record.level, Style()), found, position)
        if record.library:
            found = line.find(record.library, position)
            if found >= 0:
                text.stylize(library_style(record.library), found, found + len(record.library))
        return text
    return Text(line, style=KIND_STYLES.get(record.kind, Style()), no_wrap=True)


class ConsoleView(ScrollView, can_focus=True):
    """A guest's console lines with a host-time gutter; follow, search and raw modes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"console-view--gutter", "console-view--match-line"}
    DEFAULT_CSS = """
    ConsoleView {
        & > .console-view--gutter { color: $text-muted; }
        & > .console-view--match-line { background: $warning 20%; }
    }
    """

    follow: reactive[bool] = reactive(True)
    raw: reactive[bool] = reactive(False)
    search: reactive[str] = reactive("")

    def __init__(self, guest: Guest, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.guest = guest
        self.records: list[Record] = []
        self.matches: list[int] = []
        """Indexes of the records containing the search text."""
        self.current_match: int | None = None
        self._seen: tuple[int, int] | None = None
        self._widths = (0, 0)
        self._lines: LRUCache[tuple[object, ...], Strip] = LRUCache(LINE_CACHE)

    # -- the model ---------------------------------------------------------------------------

    def tick(self) -> None:
        """Re-read the records if the guest moved; keep the end in view when following."""
        guest = self.guest
        seen = (guest.attempt, guest.changes)
        if seen == self._seen:
            return
        tail = guest.records
        newest = tail[-1].seq if tail else None
        # a relaunch, or a replay sought back: the records start over (a record's seq names one
        # record of one console, so the same seq is the same line)
        rewound = bool(self.records) and (newest is None or newest < self.records[-1].seq)
        restarted = self._seen is None or self._seen[0] != guest.attempt or rewound
        self._seen = seen
        previous = self.records[-1].seq if self.records and not restarted else -1
        new = tail.after(previous)
        if restarted:
            self.records = new
        else:
            self.records += new
        dropped = len(self.records) - len(tail)  # what the tail let go of meanwhile
        if dropped > 0:
            del self.records[:dropped]
            self._shift_matches(dropped)
        start = len(self.records) - len(new)
        parsed, raw = (0, 0) if restarted else self._widths
        for record in new:
            parsed = max(parsed, cell_len(record.text) + 8)
            raw = max(raw, 4 * len(record.raw))
        self._widths = (parsed, raw)
        if restarted:
            self._lines.clear()
        self._find(start=0 if restarted else start, reset=restarted)
        self._resize()
        if self.follow:
            self._scroll_end()

    def _shift_matches(self, dropped: int) -> None:
        """The first `dropped` records are gone: the search hits move up with the rest."""
        self.matches = [index - dropped for index in self.matches if index >= dropped]
        if self.current_match is not None:
            self.current_match = self.current_match - dropped if self.current_match >= dropped else None

    def _resize(self) -> None:
        width = GUTTER + (self._widths[1] if self.raw else self._widths[0])
        self.virtual_size = Size(width, len(self.records))

    def _scroll_end(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True)

    def _line_text(self, record: Record) -> str:
        return "".join(piece for piece, _ in escape_raw(record.raw)) if self.raw else record.text

    def _find(self, start: int = 0, reset: bool = True) -> None:
        if reset:
            self.matches = []
            self.current_match = None
        needle = self.search.lower()
        if not needle:
            return
        self.matches += [
            index for index in range(start, len(self.records)) if needle in self._line_text(self.records[index]).lower()
        ]

    # -- view state ----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        if self.follow:
            self.call_after_refresh(self._scroll_end)

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._scroll_end()

    def watch_raw(self) -> None:
        self._find()
        self._resize()
        self.refresh()

    def watch_search(self) -> None:
        self._find()
        self.refresh()

    def next_match(self, direction: int = 1) -> bool:
        """Move to the next (or previous) line holding the search text; False when there is none."""
        if not self.matches:
            return False
        if self.current_match is None:
            here = round(self.scroll_y) + (0 if direction > 0 else self.scrollable_content_region.height)
            candidates = [m for m in self.matches if (m >= here if direction > 0 else m < here)]
            target = candidates[0 if direction > 0 else -1] if candidates else self.matches[0 if direction > 0 else -1]
        else:
            position = self.matches.index(self.current_match) if self.current_match in self.matches else -1
            target = self.matches[(position + direction) % len(self.matches)]
        self.current_match = target
        self.follow = False
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, target - height // 2), animate=False, immediate=True)
        self.refresh()
        return True

    # -- the user scrolling up leaves follow mode, like `tail -f` in a pager --------------------

    def action_scroll_up(self) -> None:
        self.follow = False
        super().action_scroll_up()

    def action_page_up(self) -> None:
        self.follow = False
        super().action_page_up()

    def action_scroll_home(self) -> None:
        self.follow = False
        super().action_scroll_home()

    def action_scroll_end(self) -> None:
        self.follow = True

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.follow = False
        super()._on_mouse_scroll_up(event)

    # -- drawing -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        base = self.rich_style
        if index >= len(self.records):
            return Strip.blank(width, base)
        record = self.records[index]
        current = index == self.current_match
        key = (record.seq, self.raw, self.search, current, scroll_x, width)
        strip = self._lines.get(key)
        if strip is None:
            strip = self._line_strip(record, current, scroll_x, width, base)
            self._lines[key] = strip
        return strip

    def _line_strip(self, record: Record, current: bool, scroll_x: int, width: int, base: Style) -> Strip:
        text = raw_text(record) if self.raw else record_text(record)
        if self.search:
            text.highlight_words([self.search], SEARCH_STYLE, case_sensitive=False)
        console = self.app.console
        line = Strip(text.render(console), text.cell_len)
        body = line.crop(scroll_x, scroll_x + width - GUTTER)
        spawn = self.guest.spawn_ns
        since = None if record.host_ns is None or spawn is None else (record.host_ns - spawn) / 1e9
        gutter = format_seconds(since).rjust(GUTTER - 1) + " " if since is not None else " " * GUTTER
        gutter_style = base + self.get_component_rich_style("console-view--gutter")
        style = base + self.get_component_rich_style("console-view--match-line") if current else base
        segments = [Segment(gutter, gutter_style), *Segment.apply_style(body, style=style)]
        return Strip(segments).adjust_cell_length(width, style)
