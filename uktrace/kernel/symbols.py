"""Kernel addresses to function names, from the ELF's symbol table (pyelftools).

Crash dumps print `RIP: 000000000010317c`, 0.10+ printk prefixes carry `{r:0x...}`: with the
kernel image (or kraft's `<kernel>.dbg` sibling, which keeps the symbols) those become
`app_divide+0x1c`. Reading the table once per kernel is cheap; lookups are a bisect.

A recording keeps the table as a small text file (`write_symbols`/`read_symbols`: one
`start size name` line per function, hex), so a crash is still named once the kernel is gone.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from uktrace.parsers import Kind, Record

from ..model.text import shown
from ..model.timeline import BootTimeline, Status

RIP = re.compile(r"\b(?:RIP|rip): (?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{8,16})\b")
"""The instruction pointer in a register dump: `RIP: 0000...` (trace.c) or `rip: 0008:...` (crash screens)."""


class Symbols:
    """Function symbols of one kernel image, sorted by address."""

    def __init__(self, entries: list[tuple[int, int, str]]) -> None:
        # names come from files of any origin (an ELF, a recording's table): shown, never interpreted
        self._entries = sorted((start, size, shown(name)) for start, size, name in entries)
        self._starts = [start for start, _, _ in self._entries]

    def function_at(self, address: int) -> tuple[int, str] | None:
        """(start, name) of the function containing `address`, or None."""
        index = bisect.bisect_right(self._starts, address) - 1
        if index < 0:
            return None
        start, size, name = self._entries[index]
        if size and address >= start + size:
            return None
        return start, name

    def lookup(self, address: int) -> str | None:
        """`name+0xoffset` for the function containing `address`, or None."""
        function = self.function_at(address)
        if function is None:
            return None
        start, name = function
        return name if address == start else f"{name}+{address - start:#x}"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[int, int, str]]:
        """(start, size, name), by address."""
        return iter(self._entries)


def load_symbols(kernel: Path) -> Symbols | None:
    """The symbols of `kernel`, preferring kraft's `<kernel>.dbg`; None without a symbol table."""
    found = find_symbols(kernel)
    return None if found is None else found[1]


@lru_cache(maxsize=16)
def find_symbols(kernel: Path) -> tuple[Path, Symbols] | None:
    """`load_symbols`, and the file the table came from (`<kernel>.dbg` or `kernel`)."""
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
            return candidate, Symbols(entries)
    return None


SYMBOLS_HEADER = "# uktrace symbols: start size name (hex, hex, name), one function per line"


def write_symbols(symbols: Symbols, path: Path, source: str = "") -> None:
    """Save `symbols` as text (`read_symbols` reads it back exactly); atomic, so never half-written."""
    lines = [SYMBOLS_HEADER + (f"; from {source}" if source else "")]
    lines += [f"{start:x}\t{size:x}\t{name}" for start, size, name in symbols]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    temporary.replace(path)


def read_symbols(path: Path) -> Symbols | None:
    """A table `write_symbols` saved; None when the file is missing or unreadable."""
    try:
        return parse_symbols(path.read_bytes())
    except OSError:
        return None


def parse_symbols(data: bytes) -> Symbols | None:
    """The table in `data` (`write_symbols`'s text); None when it is not one."""
    try:
        entries = []
        for line in data.decode("utf-8").splitlines():
            if line and not line.startswith("#"):
                start, size, name = line.split("\t", 2)
                entries.append((int(start, 16), int(size, 16), name))
    except ValueError:
        return None
    return Symbols(entries)


class SymbolsError(Exception):
    """A symbol file that cannot be used; the message is meant for the user."""


def symbols_file(path: Path) -> Symbols:
    """The function symbols in `path`: a kernel image (kraft's `<kernel>.dbg` first, when there is
    one), a `.dbg`, or a table a recording keeps (`kernels/<sha256>.symbols`)."""
    if not path.exists():
        raise SymbolsError(f"{path}: no such file")
    if path.is_dir():
        raise SymbolsError(f"{path}: is a directory, not a kernel image")
    if not os.access(path, os.R_OK):
        raise SymbolsError(f"{path}: permission denied")
    symbols = load_symbols(path)
    if symbols is None:
        with path.open("rb") as file:
            table = file.read(len(SYMBOLS_HEADER)) == SYMBOLS_HEADER.encode()
        symbols = read_symbols(path) if table else None
    if not symbols:
        raise SymbolsError(f"{path}: no function symbols (a stripped image? give its .dbg or the unstripped ELF)")
    return symbols


def locate_crash(timeline: BootTimeline, records: Iterable[Record], kernel: Symbols | Path | None) -> None:
    """Name where a crashed guest crashed (`Ending.where`), from its register dump and `kernel`'s
    symbols (a table, or the image to read it from)."""
    if timeline.status is not Status.CRASHED or timeline.ending is None or timeline.ending.where is not None:
        return
    where = crash_location([r.text for r in records if r.kind == Kind.PRINTK and r.level == "CRIT"], kernel)
    if where is not None:
        timeline.ending = replace(timeline.ending, where=where)


def crash_location(lines: list[str], kernel: Symbols | Path | None) -> str | None:
    """Where a crash happened: the last RIP of a register dump, named from the kernel's symbols
    (the bare address without them)."""
    addresses = [int(match[1], 16) for line in lines if (match := RIP.search(line))]
    if not addresses:
        return None
    symbols = load_symbols(kernel) if isinstance(kernel, Path) else kernel
    name = symbols.lookup(addresses[-1]) if symbols else None
    return f"{addresses[-1]:#x} {name}" if name else f"{addresses[-1]:#x}"
