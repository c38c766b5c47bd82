"""A started guest, whichever launcher started it: a local QEMU or one on a cluster node.

Both have the same surface (console and stderr reads, input, signals, stop, exit status, the
start gate's monitor), so the fleet, the parser, timelines and recordings do not care where a
guest runs. Where the two differ (whose clock stamped a console chunk, a guest lost with its
node), the difference is a value of the surface, never a test of the type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..model.shapes.recording import Stream


class Monitor(Protocol):
    """The paused QEMU's monitor, enough to let it go (`cont`)."""

    async def execute(self, command: str) -> Any: ...
    async def close(self) -> None: ...


class StartedGuest(Protocol):
    """One QEMU process (here or on a node), its console read asynchronously, never left behind."""

    @property
    def pid(self) -> int: ...
    @property
    def spawn_ns(self) -> int: ...
    @property
    def nice(self) -> int | None: ...
    @property
    def idle_policy(self) -> bool: ...
    @property
    def apart(self) -> bool: ...
    @property
    def returncode(self) -> int | None: ...
    @property
    def signalled(self) -> bool: ...
    @property
    def cpu_total_ns(self) -> int | None: ...
    @property
    def exited_ns(self) -> int | None: ...
    @property
    def stamp_ns(self) -> int | None:
        """This host's time of the console chunk read last when another host stamped it (a
        cluster node); None: a chunk is stamped when it is read here."""
        ...

    @property
    def release_ns(self) -> int | None:
        """When the guest's host let it go after `cont`, on this host's clock; None: unknown (a
        local guest is let go the moment `cont` is sent)."""
        ...

    @property
    def lost(self) -> str | None:
        """Why the guest was lost with its host before it exited (a cluster node died); None: it was not."""
        ...

    async def read_console(self) -> bytes: ...
    async def stream_console(self, take: Callable[[bytes, int | None], None], pause_s: float) -> None:
        """Every console chunk to `take` with its stamp (`stamp_ns`'s meaning) until the console
        ends, pausing `pause_s` after each read so that lines gather."""
        ...

    async def read_stderr(self) -> bytes: ...
    def console_read_nowait(self) -> bytes: ...
    def stderr_read_nowait(self) -> bytes: ...
    def write(self, data: bytes) -> None: ...
    async def wait(self) -> int: ...
    async def exited(self) -> None:
        """Returns once the VMM has exited, where that can be watched; never returns where it
        cannot. Notes nothing (`exited_ns` is the time `wait` saw)."""

    def poll(self) -> int | None: ...
    def signal(self, signum: int) -> None: ...
    def group_alive(self) -> bool: ...
    async def stop(self, grace: float = 1.0) -> int: ...
    def cpu_sample(self) -> tuple[int, int | None] | None: ...
    def state(self) -> tuple[str, int] | None: ...
    def close(self) -> None: ...
    async def monitor(self) -> Monitor:
        """Once the paused QEMU answers on its monitor (here, or on its node); QmpError if it
        ended first."""
        ...

    def summary(self) -> Stream | None:
        """For guest.json: what its node's stream proved (a cluster guest); None for a local one."""
        ...


def buffered(read_nowait: Callable[[], bytes]) -> Iterator[bytes]:
    """Chunks already readable (a `*_read_nowait`), until nothing is left or the end."""
    while True:
        try:
            data = read_nowait()
        except BlockingIOError:
            return
        if not data:
            return
        yield data
