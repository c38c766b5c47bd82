"""A guest started on a cluster node, as the fleet sees it: the surface of a local `GuestProcess`.

The fleet reads consoles, stderr and the exit from this object exactly as from a local QEMU, so
parsing, timelines, the start gate and recordings do not change. It is fed by the node's stream
(`feed`): every event is checked against the guest's sequence (a missing number is counted in
`lost_events`), and its node stamp is converted to this host's monotonic clock. Commands (signal,
input, stop, the gate's `cont`) go back to the node through `Control`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import anyio

from ...model.spec import GuestSpec
from ..qmp import QmpError
from . import wire

if TYPE_CHECKING:
    from ...model.shapes.recording import Stream

STOP_ANSWER_S = 15.0
"""How long a stop may take to be confirmed by the node before the guest is declared lost."""
LOST_STATUS = -signal.SIGKILL
"""The exit status given to a guest whose node was lost (its QEMU died with the actor)."""


class Control(Protocol):
    """What a remote guest asks of its node (the Ray launcher)."""

    def signal(self, guest: RemoteGuestProcess, signum: int) -> None: ...
    def write(self, guest: RemoteGuestProcess, data: bytes) -> None: ...
    def stop(self, guest: RemoteGuestProcess, grace: float) -> None: ...
    async def release(self, guest: RemoteGuestProcess) -> int | None: ...
    def closed(self, guest: RemoteGuestProcess) -> None: ...


class Launcher(Protocol):
    """Starts guests elsewhere (the Ray launcher); the fleet gives it what it gives a local spawn."""

    async def spawn(
        self, key: str, spec: GuestSpec, marker: str, nice: int | None, gated: bool
    ) -> RemoteGuestProcess: ...


class RemoteGuestProcess:
    """A QEMU on a node: console and stderr reads, input, termination, exit status."""

    def __init__(self, control: Control, key: str, node: str, offset_ns: int) -> None:
        self.key = key
        self.node = node
        """The node's name in views (its address)."""
        self._control = control
        self._offset_ns = offset_ns
        """Node clock minus this host's, measured by round trips."""
        self.pid = 0
        self.argv: list[str] = []
        self.spawn_ns = 0
        self.nice: int | None = None
        self.idle_policy = False
        self.apart = False
        self.returncode: int | None = None
        self.signalled = False
        self.cpu_total_ns: int | None = None
        self.exited_ns: int | None = None
        """As `GuestProcess.exited_ns`; not known here (the fleet takes the time its stop returned)."""
        self.stamp_ns = 0
        """This host's time of the console chunk `read_console` returned last (stamped on the node)."""
        self.release_ns: int | None = None
        """When the node let the guest go (`cont`), on this host's clock."""
        self.lost: str | None = None
        """Why the node's stream ended without the guest's exit (the node or its actor died)."""
        self.error: str | None = None
        """Why the node could not start the guest."""
        self.events = 0
        self.lost_events = 0
        """Sequence numbers that never arrived: 0 unless something between the node and here lost data."""
        self.latencies_ns: list[int] = []
        """Per console chunk: arrival here minus its (converted) stamp on the node."""
        self._next = 0
        self._console: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._stderr: asyncio.Queue[tuple[int, bytes]] = asyncio.Queue()
        self._spawned = asyncio.Event()
        self._ready = asyncio.Event()
        self._exited = asyncio.Event()
        self.pump: asyncio.Task[None] | None = None
        """The task that reads the node's stream into this object (the launcher's)."""

    # -- fed by the stream ------------------------------------------------------------------------

    def local_ns(self, node_ns: int) -> int:
        return node_ns - self._offset_ns

    def feed(self, batch: list[wire.Event], arrived_ns: int) -> None:
        for event in batch:
            self.events += 1
            if event.seq != self._next:
                self.lost_events += max(0, event.seq - self._next)
            self._next = event.seq + 1
            stamp = self.local_ns(event.stamp_ns)
            if event.kind == wire.CONSOLE:
                self.latencies_ns.append(arrived_ns - stamp)
                self._console.put_nowait((stamp, event.payload))
            elif event.kind == wire.STDERR:
                self._stderr.put_nowait((stamp, event.payload))
            elif event.kind == wire.SPAWNED:
                self.pid = event.payload["pid"]
                self.argv = event.payload["argv"]
                self.nice = event.payload["nice"]
                self.idle_policy = bool(event.payload.get("idle_policy", False))
                self.apart = bool(event.payload.get("apart", False))
                self.spawn_ns = stamp
                self._spawned.set()
            elif event.kind == wire.READY:
                self._ready.set()
            elif event.kind == wire.EXIT:
                self.cpu_total_ns = event.payload["cpu_total_ns"]
                self._end(event.payload["status"])
            elif event.kind == wire.ERROR:
                self.error = str(event.payload)
                self._spawned.set()
                self._end(1)

    def ended(self, reason: str | None) -> None:
        """The stream is over: after the exit nothing changes; before it, the guest is lost."""
        if self.returncode is None:
            self.lost = reason or "the node's stream ended before the guest's exit"
            self._spawned.set()
            self._end(LOST_STATUS)

    def _end(self, status: int) -> None:
        if self.returncode is None:
            self.returncode = status
        for queue in (self._console, self._stderr):
            queue.put_nowait((0, b""))
        self._exited.set()

    async def spawned(self) -> None:
        """Until the node started the QEMU, or said why it could not."""
        await self._spawned.wait()

    # -- what the fleet calls (GuestProcess's surface) ----------------------------------------------

    async def read_console(self) -> bytes:
        stamp, data = await self._console.get()
        return self._took(self._console, stamp, data)

    async def stream_console(self, take: Callable[[bytes, int | None], None], pause_s: float) -> None:
        while data := await self.read_console():
            take(data, self.stamp_ns)
            await anyio.sleep(pause_s)

    async def read_stderr(self) -> bytes:
        _, data = await self._stderr.get()
        return self._took(self._stderr, 0, data)

    def console_read_nowait(self) -> bytes:
        try:
            stamp, data = self._console.get_nowait()
        except asyncio.QueueEmpty:
            raise BlockingIOError from None
        return self._took(self._console, stamp, data)

    def stderr_read_nowait(self) -> bytes:
        try:
            _, data = self._stderr.get_nowait()
        except asyncio.QueueEmpty:
            raise BlockingIOError from None
        return self._took(self._stderr, 0, data)

    def _took(self, queue: asyncio.Queue[tuple[int, bytes]], stamp: int, data: bytes) -> bytes:
        if not data:
            queue.put_nowait((0, b""))  # the end stays the end for every later read
        elif queue is self._console:
            self.stamp_ns = stamp
        return data

    def write(self, data: bytes) -> None:
        self._control.write(self, data)

    async def wait(self) -> int:
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode

    async def exited(self) -> None:
        """A node's QEMU is not watched from here (its stream's end says it is over): never returns."""
        await anyio.sleep_forever()

    def poll(self) -> int | None:
        return self.returncode

    def signal(self, signum: int) -> None:
        if self.returncode is None:
            self.signalled = True
            self._control.signal(self, signum)

    def group_alive(self) -> bool:
        """The node reaps the QEMU and its group before it sends the exit."""
        return False

    async def stop(self, grace: float = 1.0) -> int:
        """Terminate, kill after `grace` (on the node); a node that does not confirm is lost."""
        if self.returncode is None:
            self.signalled = True
            self._control.stop(self, grace)
            try:
                await asyncio.wait_for(self._exited.wait(), grace + STOP_ANSWER_S)
            except asyncio.TimeoutError:
                self.ended(f"node {self.node} did not confirm the stop within {grace + STOP_ANSWER_S:g} s")
        return await self.wait()

    def cpu_sample(self) -> tuple[int, int | None] | None:
        """Not measured across the cluster (the node's /proc is not here)."""
        return None

    def state(self) -> tuple[str, int] | None:
        return None

    def close(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        self._control.closed(self)

    # -- the start gate ------------------------------------------------------------------------------

    async def monitor(self) -> RemoteMonitor:
        """Once the paused QEMU answers on its node's monitor; QmpError if it ended first."""
        ready = asyncio.ensure_future(self._ready.wait())
        exited = asyncio.ensure_future(self._exited.wait())
        try:
            await asyncio.wait([ready, exited], return_when=asyncio.FIRST_COMPLETED)
        finally:
            ready.cancel()
            exited.cancel()
        if not self._ready.is_set():
            raise QmpError("QEMU exited before its monitor was ready")
        return RemoteMonitor(self)

    def summary(self) -> Stream:
        """For guest.json: where it ran and what the stream proved."""
        return {"node": self.node, "events": self.events, "lost_events": self.lost_events, "lost": self.lost}


class RemoteMonitor:
    """The start gate's `cont`, sent by the node (batched per node by the launcher)."""

    def __init__(self, process: RemoteGuestProcess) -> None:
        self._process = process

    async def execute(self, command: str) -> Any:
        if command != "cont":
            raise QmpError(f"{command}: not forwarded to cluster nodes")
        released = await self._process._control.release(self._process)
        if released is None:
            raise QmpError("the node could not release the guest")
        self._process.release_ns = self._process.local_ns(released)
        return {}

    async def close(self) -> None:
        """The node closes its monitor after `cont`."""
