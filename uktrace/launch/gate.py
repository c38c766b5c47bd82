"""The start gate: QEMUs started paused (`-S`) and let go with QMP `cont`, the first wave at once.

A loop of process spawns never starts N guests together on a loaded host; paused QEMUs that are
all ready and then released back to back do (`launch.qmp`).
"""

from __future__ import annotations

import time

import anyio

from ..model.guest import Guest
from .qmp import QmpError
from .started import Monitor, StartedGuest


class Wave:
    """The first `size` guests to start: released together once all are ready (or gone)."""

    def __init__(self, size: int) -> None:
        self._open = size
        self._members = 0
        self._arrived: set[int] = set()
        self.released = anyio.Event()

    def join(self) -> bool:
        """Whether the calling guest belongs to the wave."""
        if self._open <= 0:
            return False
        self._open -= 1
        self._members += 1
        return True

    def arrive(self, index: int) -> None:
        """Guest `index` is ready, or will never be; idempotent."""
        self._arrived.add(index)
        if self._open == 0 and len(self._arrived) >= self._members:
            self.released.set()


async def pass_gate(guest: Guest, process: StartedGuest, wave: Wave | None) -> None:
    """Wait until QEMU is ready and, in the first `wave`, until every guest of the wave is; then
    `cont`. A QEMU that dies on the way is left to the console loop to report."""
    monitor: Monitor
    try:
        monitor = await process.monitor()
    except QmpError:
        return
    finally:
        if wave is not None:
            wave.arrive(guest.index)
    try:
        ready = time.monotonic_ns()
        guest.timeline.vmm_ready(ready)
        guest.mark_cpu("gate", ready)
        guest.changes += 1
        if wave is not None:
            await wave.released.wait()
        released = time.monotonic_ns()
        guest.timeline.released(released)  # the moment we let go, not QEMU's answer
        await monitor.execute("cont")
        if process.release_ns is not None:
            guest.timeline.released(process.release_ns)  # when its host let it go
        guest.mark_cpu_unchanged("firmware", released)  # paused since the gate's mark: no /proc read
        guest.changes += 1
    except QmpError:
        pass
    finally:
        with anyio.CancelScope(shield=True):
            await monitor.close()
