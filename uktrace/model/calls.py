"""One constructor, init or term function of a boot table, as a span on both clocks, and how it is
named from a kernel's symbols.

A call starts at its `Call ...` line and ends when the next call line comes or when its table is
done (see `BootTimeline`); the figure uses the clock that could see it, like a phase: the guest's
stamps once the guest clock runs, else the host's. Constructors run before the timer is
calibrated (every stamp reads 0.000000), so in a live run they are host spans and in a saved log
they have no duration at all (`clock` None) rather than a made-up 0.

The library is only said where something shows it: a line printed during the call from inside
the function itself (0.10+ `{r:...}` caller addresses resolved to it) carries the function's
`[lib]` (`caller`); or the symbol starts with the name of a library that printed while the
tables ran, as 0.16+ registration constructors' names do (`libukbus_pci_uk_bus_register`:
`symbol`). Otherwise unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from .clock_rate import CORRECTED


class SymbolTable(Protocol):
    """What naming needs of a kernel's symbols (`uktrace.kernel.symbols.Symbols` is one)."""

    def function_at(self, address: int) -> tuple[int, str] | None:
        """(start, name) of the function containing `address`, or None."""
        ...


@dataclass(frozen=True, slots=True)
class Call:
    """One function a boot table ran (seconds; host relative to spawn)."""

    phase: str
    """The table's phase: `constructors`, `init_table`, `main` (the application's constructors),
    `exit` (0.16+ term functions)."""
    kind: str
    """`constructor`, `init`, `preinit` or `term` (`uktrace.parsers.calls.CALL_RULES`)."""
    address: int
    name: str | None = None
    """The function, from the kernel's symbols; None until they are known."""
    library: str | None = None
    library_from: str | None = None
    """What said the library: `caller` or `symbol` (see the module); None when unknown."""
    guest_start: float | None = None
    guest_end: float | None = None
    host_start: float | None = None
    host_end: float | None = None
    printed: tuple[tuple[int, str | None], ...] = ()
    """(return address, `[lib]`) of the lines with caller info printed while it ran: evidence
    for the library once symbols say which of them came from the function itself."""
    rate: float | None = None
    """The guest clock's rate when it was skewed (`clock_rate`): guest-clock figures are divided by it."""
    first_line: int | None = None
    """The timeline's `lines` at its call line (`Phase.first_line`): orders it among nested phases."""

    @property
    def label(self) -> str:
        """The name, or the address while there is none."""
        return self.name or f"{self.address:#x}"

    @property
    def clock(self) -> str | None:
        """`guest` when the guest clock ran at the start and the call ended, `host` when the host
        saw both ends, else None: nothing timed it."""
        if self.guest_start is not None and self.guest_end is not None and self.guest_start > 0:
            return "guest" if self.rate is None else CORRECTED
        if self.host_start is not None and self.host_end is not None:
            return "host"
        return None

    @property
    def start(self) -> float | None:
        return self._on_clock(self.guest_start, self.host_start)

    @property
    def end(self) -> float | None:
        return self._on_clock(self.guest_end, self.host_end)

    def _on_clock(self, guest: float | None, host: float | None) -> float | None:
        clock = self.clock
        if clock == "host":
            return host
        if clock is None or guest is None:
            return None
        return guest / self.rate if clock == CORRECTED and self.rate else guest

    @property
    def duration(self) -> float | None:
        start, end = self.start, self.end
        return None if start is None or end is None else end - start


def named(call: Call, symbols: SymbolTable | None, libraries: Iterable[str] = ()) -> Call:
    """`call` with its function's name and, where the evidence shows it, its library. An address
    inside a function rather than at its start is named `name+0xoffset`: a table entry should
    point at a function's first byte, so the offset is worth seeing."""
    if symbols is None:
        return call
    function = symbols.function_at(call.address)
    if function is None:
        return call
    start, name = function
    label = name if start == call.address else f"{name}+{call.address - start:#x}"
    library, source = call.library, call.library_from
    if library is None:
        library = next((lib for ra, lib in call.printed if lib and _start(symbols, ra) == start), None)
        source = "caller" if library else None
    if library is None:
        library = _prefix_library(name, libraries)
        source = "symbol" if library else None
    return replace(call, name=label, library=library, library_from=source)


def _start(symbols: SymbolTable, address: int) -> int | None:
    function = symbols.function_at(address)
    return None if function is None else function[0]


def _prefix_library(name: str, libraries: Iterable[str]) -> str | None:
    """The longest library name `name` starts with, followed by `_`."""
    matches = [lib for lib in libraries if name.startswith(lib + "_")]
    return max(matches, key=len) if matches else None


def sort_calls(calls: Sequence[Call], longest_first: bool) -> list[Call]:
    """Boot order, or longest first (untimed calls last, in boot order)."""
    if not longest_first:
        return list(calls)
    return sorted(calls, key=lambda call: (call.duration is None, -(call.duration or 0.0)))
