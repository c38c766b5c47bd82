"""Which symbols name a guest's functions: the table its recording keeps, else its kernel file.

A recorded guest (its guest.json written) is named from the recording, as a replay names its
crash: the table copied when it booted, or the kernel at the recorded path only while it is still
the same image. A guest still booting has no guest.json yet: its kernel file is the source. A
`--cmd` launcher's console has no kernel we know of, so nothing names it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeAlias

from ..kernel.symbols import Symbols, load_symbols
from ..model.guest import Guest
from ..recording.kernels import recorded_symbols
from ..recording.reader import read_meta
from ..recording.tape import COMMAND_ACCEL

SymbolCache: TypeAlias = dict[str, Symbols | None]
"""Tables already read, by kernel identity: 100 guests of one kernel read it once."""


def guest_symbols(guest: Guest, cache: SymbolCache | None = None) -> Symbols | None:
    """The symbols of the kernel `guest` booted, or None. Reading an ELF can take seconds for a
    large kernel: call it off the event loop."""
    cache = {} if cache is None else cache
    if guest.spec.accel == COMMAND_ACCEL:
        return None
    meta = _meta(guest.recording)
    if guest.recording is not None and meta is not None:
        key = json.dumps([meta.get("kernel"), meta.get("kernel_image")], sort_keys=True)
        if key not in cache:
            cache[key] = recorded_symbols(guest.recording.parent, meta)
        return cache[key]
    kernel = guest.spec.kernel
    return load_symbols(kernel) if kernel.is_file() else None


def _meta(directory: Path | None) -> dict[str, Any] | None:
    return None if directory is None else read_meta(directory)
