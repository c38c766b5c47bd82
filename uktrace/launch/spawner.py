"""Starting QEMUs on this host without holding the event loop.

fork/exec blocks the caller until the child runs, and on a host busy with a hundred QEMUs that
took 0.1-0.2 s per spawn: the event loop (consoles, the TUI) must not wait for it. One thread,
alive for the whole run, because the kernel's parent-death signal follows the thread that
forked: a pool that retires idle threads would kill their guests.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .guest_session import guest_session
from .process import GuestProcess


class Spawner:
    """The run's spawning thread; `nice`: each QEMU's nice below the tracer's (None: in the guests' session)."""

    def __init__(self, nice: int | None) -> None:
        self.nice = nice
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uktrace-spawner")
        if nice is None:  # the guests' session leader starts (a Python) while the run sets up its first guest
            self._thread.submit(guest_session)

    async def spawn(
        self, argv: list[str], env: dict[str, str], tty: bool = False, monitor: Path | None = None
    ) -> GuestProcess:
        """`monitor`: the QMP socket its paused QEMU connects to (`GuestProcess`)."""
        nice = self.nice
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._thread,
            lambda: GuestProcess(
                argv, env=env, nice=nice, tty=tty, session=guest_session() if nice is None else None, monitor=monitor
            ),
        )

    def close(self) -> None:
        """Once every guest is over: the thread may go."""
        self._thread.shutdown(wait=True)
