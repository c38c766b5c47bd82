"""The values the console parser produces: one `Record` per console line, never dropped.

`Record` is a NamedTuple rather than a frozen dataclass on purpose: one is built per console line
(millions per second on a flood), and tuple construction is several times cheaper.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Kind:
    """What produced a console line.

    Plain strings, not an Enum: a tuple of atomic values (str, int, float, bytes, None) drops out
    of the garbage collector's bookkeeping, an Enum member keeps every record tracked, and full
    collections then pause the event loop in proportion to the consoles kept in memory."""

    PRINTK: Final = "printk"
    """A Unikraft `uk_printk` line with its `[timestamp] Level:` prefix."""
    BANNER: Final = "banner"
    """Part of a Unikraft banner (the ASCII art, its version line, or the one-line banner)."""
    APP: Final = "app"
    """Unprefixed output once the application runs (after the banner or `Calling main`)."""
    FIRMWARE: Final = "firmware"
    """SeaBIOS, SGABIOS, iPXE: what the virtual machine prints before the kernel."""
    VMM: Final = "vmm"
    """The monitor or launcher: QEMU warnings, Firecracker logs, Xen, kraft, qemu-guest."""
    OTHER: Final = "other"
    """Anything else; kept and counted as unrecognised (unless blank)."""

    ALL: Final = (PRINTK, BANNER, APP, FIRMWARE, VMM, OTHER)


LEVELS = ("dbg", "Info", "Warn", "ERR", "CRIT")
"""printk levels as Unikraft prints them, least to most severe."""


class Record(NamedTuple):
    """One console line (or the part of one that a glued printk prefix splits off)."""

    seq: int
    """0-based position in the console's record stream."""
    kind: str
    """One of `Kind`'s values."""
    text: str
    """Decoded line: invalid UTF-8 replaced, escape sequences and line ending removed."""
    raw: bytes
    """The exact bytes, line ending included; joining every record's `raw` gives the input."""
    message: str
    """The text after the printk prefix (the whole text for other kinds)."""
    timestamp: float | None = None
    """Guest clock in seconds, from the printk prefix."""
    level: str | None = None
    thread: str | None = None
    caller: tuple[int, int] | None = None
    """`{r:,f:}`: return address and frame address of the printk call (0.10+)."""
    library: str | None = None
    source: str | None = None
    """Source file from `<file.c @ line>` or `file.c @ line :`."""
    source_line: int | None = None
    host_ns: int | None = None
    """Host monotonic nanoseconds at which the record's first byte arrived, when known."""
    partial: bool = False
    """True when the line had no terminator: cut at the length cap, followed by a glued printk
    without a newline (`Booting from ROM..[    0.0] ...`), or ended by the end of input."""
