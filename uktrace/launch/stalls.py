"""The stall watch: what each quiet guest's QEMU is doing (alive? on a CPU?), for the views.

Only quiet guests are looked at (a /proc read each): a guest that prints costs nothing here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import anyio

from ..model.guest import Guest, Stall


async def watch_stalls(guests: Sequence[Guest], poll_s: float) -> None:
    """Every `poll_s` seconds, until cancelled: each stalled guest's `Stall`, None for the others."""
    previous: dict[int, tuple[int, int]] = {}
    while True:
        await anyio.sleep(poll_s)
        now = time.monotonic_ns()
        for guest in guests:
            process = guest.process
            if process is None or not guest.stalled(now):
                previous.pop(guest.index, None)
                guest.stall = None
                continue
            reading = process.state()
            if reading is None:
                continue
            state, cpu_ns = reading
            last = previous.get(guest.index)
            share = (cpu_ns - last[1]) / (now - last[0]) if last is not None and now > last[0] else None
            previous[guest.index] = (now, cpu_ns)
            guest.stall = Stall(share, state)
            guest.changes += 1
