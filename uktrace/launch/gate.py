"""The start gate: QEMUs started paused (`-S`) and let go with QMP `cont`, the first wave at once.

A loop of process spawns never starts N guests together on a loaded host; paused QEMUs that are
all ready and then released back to back do (`launch.qmp`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from ..model.guest import Guest
from .qmp import QmpError
from .started import Monitor, StartedGuest


class Wave:
    """The first `size` guests to start: released together once all are ready (or gone).
    `on_release` runs as the wave is let go, `on_out` once every member has been sent its `cont`
    (or is gone): the tracer comes first in between (`launch.tracer_policy.Yielding`)."""

    def __init__(
        self, size: int, on_release: Callable[[], None] | None = None, on_out: Callable[[], None] | None = None
    ) -> None:
        self._open = size
        self._members = 0
        self._arrived: set[int] = set()
        self._out: set[int] = set()
        self.released = anyio.Event()
        self._on_release = on_release
        self._on_out = on_out

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
        if self._open == 0 and len(self._arrived) >= self._members and not self.released.is_set():
            if self._on_release is not None:
                self._on_release()
            self.released.set()
        self._check_out()

    def out(self, index: int) -> None:
        """Guest `index` has been sent its `cont`, or never will be; idempotent."""
        self._out.add(index)
        self._check_out()

    def _check_out(self) -> None:
        if self.released.is_set() and len(self._out) >= self._members and self._on_out is not None:
            on_out, self._on_out = self._on_out, None
            on_out()


async def pass_gate(guest: Guest, process: StartedGuest, wave: Wave | None) -> None:
    """A traced guest through the gate: its timeline and CPU marks told when its QEMU was ready and
    when it was let go. A QEMU that dies on the way is left to the console loop to report."""
    timeline = guest.timeline

    def ready(host_ns: int) -> None:
        timeline.vmm_ready(host_ns)
        guest.mark_cpu("gate", host_ns)
        guest.changes += 1

    if await through_gate(process, wave, guest.index, ready, timeline.released):
        released = timeline.release_ns  # the moment we let go, not QEMU's answer
        assert released is not None
        if process.release_ns is not None:
            timeline.released(process.release_ns)  # when its host let it go
        guest.mark_cpu_unchanged("firmware", released)  # paused since the gate's mark: no /proc read
        guest.changes += 1


async def through_gate(
    process: StartedGuest,
    wave: Wave | None,
    index: int,
    ready: Callable[[int], None],
    releasing: Callable[[int], None],
) -> bool:
    """One paused QEMU through the gate, traced or not (`launch.unobserved`): its monitor once it
    connects (`ready` is told when), then, in `wave`, the wait until every member is ready, and
    `cont` (`releasing` is told the moment it is sent). True once QEMU answered it; False for a QEMU
    that died on the way (its exit says so)."""
    monitor: Monitor
    try:
        monitor = await process.monitor()
    except QmpError:
        if wave is not None:
            wave.out(index)
        return False
    finally:
        if wave is not None:
            wave.arrive(index)
    try:
        ready(time.monotonic_ns())
        if wave is not None:
            await wave.released.wait()
        releasing(time.monotonic_ns())
        await monitor.execute("cont")
        return True
    except QmpError:
        return False
    finally:
        if wave is not None:
            wave.out(index)
        with anyio.CancelScope(shield=True):
            await monitor.close()
