"""The guest clock's calibration line: what frequency a kernel believes its TSC runs at.

Unikraft's x86 platform (plat/kvm/x86/tscclock.c, every release) calibrates the TSC against the
i8254 PIT at boot and prints `Clock source: TSC, frequency estimate is N Hz` (Info). Every later
printk stamp is TSC ticks divided by N, so an N that is off makes the whole guest clock off by
the same factor (see `uktrace.model.clock_rate`).
"""

from __future__ import annotations

import re

_ESTIMATE = re.compile(r"Clock source: TSC, frequency estimate is (\d+) Hz")


def tsc_estimate_hz(message: str) -> int | None:
    """N from the calibration line, or None for any other line (and for N = 0)."""
    if not message.startswith("Clock source: "):
        return None
    found = _ESTIMATE.match(message)
    return int(found.group(1)) or None if found else None
