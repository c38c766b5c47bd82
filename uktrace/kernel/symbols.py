"""Kernel addresses to function names, from the ELF's symbol table (pyelftools).

Crash dumps print `RIP: 000000000010317c`, 0.10+ printk prefixes carry `{r:0x...}`: with the
kernel image (or kraft's `<kernel>.dbg` sibling, which keeps the symbols) those become
`app_divide+0x1c`. Reading the table once per kernel is cheap; lookups are a bisect.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from parsers import Kind, Record

from ..model.timeline import BootTimeline, Status

RIP = re.compile(r"\b(?:RIP|rip): (?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{8,16})\b")
"""The instruction pointer in a register dump: `RIP: 0000...` (trace.c) or `rip: 0008:...` (crash screens)."""


class Symbols:
    """Function symbols of one kernel image, sorted by address."""

    def __init__(self, entries: list[tuple[int, int, str]]) -> None:
        self._entries = sorted(entries)
        self._starts = [start for start, _, _ in self._entries]

    def lookup(self, address: int) -> str | None:
        """`name+0xoffset` for the function containing `address`, or None."""
        index = bisect.bisect_right(self._starts, address) - 1
        if index < 0:
            return None
        start, size, name = self._entries[index]
        if size and address >= start + size:
            return None
        return name if address == start else f"{name}+{address - start:#x}"

    def __len__(self) -> int:
        return len(self._entries)


@lru_cache(maxsize=16)
def load_symbols(kernel: Path) -> Symbols | None:
    """The symbols of `kernel`, preferring kraft's `<kernel>.dbg`; None without a symbol table."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    for candidate in (kernel.with_name(kernel.name + ".dbg"), kernel):
        try:
            with candidate.open("rb") as file:
                elf = ELFFile(file)
                table = elf.get_section_by_name(".symtab")
                if not isinstance(table, SymbolTableSection):
                    continue
                entries = [
                    (symbol["st_value"], symbol["st_size"], symbol.name)
                    for symbol in table.iter_symbols()
                    if symbol["st_info"]["type"] == "STT_FUNC" and symbol["st_value"]
                ]
        except (OSError, ELFError, ValueError):
            continue
        if entries:
            return Symbols(entries)
    return None


def locate_crash(timeline: BootTimeline, records: Iterable[Record], kernel: Path) -> None:
    """Name where a crashed guest crashed (`Crash.where`), from its register dump and symbols."""
    if timeline.status is not Status.CRASHED or timeline.crash is None or timeline.crash.where is not None:
        return
    where = crash_location([r.text for r in records if r.kind == Kind.PRINTK and r.level == "CRIT"], kernel)
    if where is not None:
        timeline.crash = replace(timeline.crash, where=where)


def crash_location(lines: list[str], kernel: Path) -> str | None:
    """Where a crash happened: the last RIP of a register dump, named from the kernel's symbols."""
    addresses = [int(match[1], 16) for line in lines if (match := RIP.search(line))]
    if not addresses:
        return None
    symbols = load_symbols(kernel)
    name = symbols.lookup(addresses[-1]) if symbols else None
    return f"{addresses[-1]:#x} {name}" if name else f"{addresses[-1]:#x}"
