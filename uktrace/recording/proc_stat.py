"""`/proc/PID/stat`: the few fields uktrace asks of it, by name, in one place (here, below the
launcher that samples its guests' CPU, for the recordings' inventory that asks whether a
recording's uktrace still runs).

The process's name comes in parentheses and may hold spaces and parentheses itself, so fields are
counted after its last `)`; the indexes below count from the first field after it (the state
letter, field 3 of `proc(5)`).
"""

from __future__ import annotations

import os

STATE = 0
"""The kernel's state letter (`R`, `S`, `Z`, ...)."""
UTIME, STIME = 11, 12
"""CPU time in user and kernel mode, in clock ticks."""
NUM_THREADS = 17
START_TIME = 19
"""When the process started, in clock ticks since the host booted."""


def fields(raw: bytes) -> list[bytes]:
    """The fields after the parenthesised name; IndexError when `raw` has none."""
    return raw.rsplit(b")", 1)[1].split()


def read(pid: int) -> list[bytes] | None:
    """The fields of process `pid` now; None when it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return fields(stat.read())
    except (OSError, IndexError):
        return None


def cpu_ns(found: list[bytes]) -> int:
    """utime + stime in nanoseconds (ValueError, IndexError on a malformed line)."""
    return (int(found[UTIME]) + int(found[STIME])) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
