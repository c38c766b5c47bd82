"""The last lines of one guest's console, kept where Python's garbage collector does not walk them.

A `Record` is a NamedTuple, and CPython's collector stops tracking only exact tuples whose items
need no tracking: a record stays tracked for as long as it lives. A hundred guests flooding their
consoles keep some 56,000 records in memory, four in ten of the objects each full collection then
walks while the TUI's event loop waits (a 100-guest flood replayed in the TUI: 135,000 tracked
objects, 70,000 with the records stored as plain tuples; a full collection 94 → 53 ms). The tail
stores each record as a plain tuple, which the collector stops tracking within its first young
collections, before it reaches the generation full collections walk, and gives `Record`s back
when read.

A row holds only what the record is made from, `(seq, kind, raw, host_ns, partial)`; its text and
printk fields are parsed again when read (`parsers.console.rebuild`). A flooding guest's thousand
lines then cost ~0.3 MiB instead of ~0.9: the decoded text and message, the float, the caller pair
and the library and source names were a record's larger part, and what reads the tail (a console
view's new lines, a crash's register dump) reads few.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from uktrace.parsers import Record
from uktrace.parsers.console import rebuild


def _as_record(row: tuple[Any, ...]) -> Record:
    return rebuild(*row)


_row: Callable[[Record], tuple[Any, ...]] = itemgetter(0, 1, 3, 12, 13)
"""A record's `(seq, kind, raw, host_ns, partial)`, picked in C (a Python function was a call per line)."""


class ConsoleTail:
    """A bounded, append-only sequence of records, oldest dropped first (a `deque` that reads
    and writes `Record`s)."""

    __slots__ = ("_rows",)

    def __init__(self, maxlen: int) -> None:
        self._rows: deque[tuple[Any, ...]] = deque(maxlen=maxlen)

    @property
    def maxlen(self) -> int | None:
        return self._rows.maxlen

    def append(self, record: Record) -> None:
        self._rows.append(_row(record))

    def extend(self, records: Iterable[Record]) -> None:
        self._rows.extend(map(_row, records))

    def clear(self) -> None:
        self._rows.clear()

    def __len__(self) -> int:
        return len(self._rows)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __getitem__(self, index: int) -> Record:
        return _as_record(self._rows[index])

    def __iter__(self) -> Iterator[Record]:
        return map(_as_record, self._rows)

    def after(self, seq: int) -> list[Record]:
        """The records whose `seq` is above `seq`, oldest first: what a view has not read yet.
        Walks back from the newest, so a view that keeps up reads only what is new."""
        rows = self._rows
        count = 0
        for row in reversed(rows):
            if row[0] <= seq:
                break
            count += 1
        return [_as_record(rows[index]) for index in range(len(rows) - count, len(rows))]
