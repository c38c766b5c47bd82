"""Every local guest's console read through one epoll: one wake-up per batch, not one per guest.

A read loop per guest (wait until readable, read, pause 1 ms for a line to gather, again) cost
uktrace about 0.3 ms of CPU per console chunk at 100 guests: each wait registered the pipe with
the event loop's selector and removed it again, each pause armed a timer, each chunk woke its
task twice; over a 100-guest boot that was most of uktrace's own CPU while the guests booted,
CPU they did not get. Here each console is registered once, with an epoll of the hub's own; the
event loop watches that one descriptor, and when any console has bytes, one callback reads every
console that has some and hands each chunk to its guest; a console read is watched again after
the same 1 ms pause as before, so a chunk is still stamped when it is read, at most one pause late.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

READ_SIZE = 1 << 16
ARMED = select.EPOLLIN | select.EPOLLONESHOT

Take = Callable[[bytes], None]
"""What a guest does with a chunk of its console (parse, record, stamp: `launch.attempt`)."""


@dataclass
class _Stream:
    take: Take
    ended: anyio.Event = field(default_factory=anyio.Event)
    error: BaseException | None = None


class ConsoleHub:
    """The consoles being read in one event loop (`stream` registers one until its end)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, pause_s: float) -> None:
        self._loop = loop
        self._epoll = select.epoll()
        self._streams: dict[int, _Stream] = {}
        self._resting: list[int] = []
        """Consoles read since the re-arming timer was set, watched again when it fires."""
        self._rearm: asyncio.TimerHandle | None = None
        self._loop.add_reader(self._epoll.fileno(), self._round)
        self.pause_s = pause_s
        self.rounds = 0
        """Wake-ups so far (each reads every console that had bytes)."""

    async def stream(self, fd: int, take: Take) -> None:
        """Hand every chunk read from `fd` to `take` until the end of the stream (EOF; EIO from a
        pty whose other side closed). An exception from `take` ends it and is raised here."""
        stream = self._streams[fd] = _Stream(take)
        self._epoll.register(fd, ARMED)
        try:
            await stream.ended.wait()
        finally:
            self._forget(fd)
        if stream.error is not None:
            raise stream.error

    def _round(self) -> None:
        """The event loop saw a console with bytes: read each that has some. Each console is
        watched once (`EPOLLONESHOT`) and armed again `pause_s` later: a UART delivers a few bytes
        per write, and the pause lets lines gather before its guest costs another wake-up. One
        timer re-arms every console read in its `pause_s` (a timer per round cost as much as the
        round: the event loop's timer heap compares in Python): a console read just before it
        fires rests less than `pause_s`, which costs at most one more wake-up."""
        self.rounds += 1
        again = self._resting
        for fd, _ in self._epoll.poll(0):
            stream = self._streams.get(fd)
            if stream is None or stream.ended.is_set():
                continue
            try:
                data = os.read(fd, READ_SIZE)
            except BlockingIOError:
                self._arm(fd)
                continue
            except OSError:  # EIO: the pty's other side is closed
                data = b""
            if not data:
                stream.ended.set()
                continue
            try:
                stream.take(data)
            except BaseException as error:  # the guest's task raises it: nothing is lost in a callback
                stream.error = error
                stream.ended.set()
                continue
            again.append(fd)
        if again and self._rearm is None:
            self._rearm = self._loop.call_later(self.pause_s, self._arm_again)

    def _arm_again(self) -> None:
        fds, self._resting, self._rearm = self._resting, [], None
        for fd in fds:
            stream = self._streams.get(fd)
            if stream is not None and not stream.ended.is_set():
                self._arm(fd)

    def _arm(self, fd: int) -> None:
        with contextlib.suppress(OSError, ValueError):  # gone meanwhile
            self._epoll.modify(fd, ARMED)

    def _forget(self, fd: int) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone, or the epoll is closed
            self._epoll.unregister(fd)
        self._streams.pop(fd, None)
        if not self._streams:
            self.close()

    def close(self) -> None:
        """Stop watching (its last stream ended): the next stream opens a new hub."""
        if self._epoll.closed:
            return
        if self._rearm is not None:
            self._rearm.cancel()
        self._loop.remove_reader(self._epoll.fileno())
        if _HUBS.get(self._loop) is self:
            del _HUBS[self._loop]
        self._epoll.close()


_HUBS: dict[asyncio.AbstractEventLoop, ConsoleHub] = {}


def console_hub(pause_s: float) -> ConsoleHub:
    """The running event loop's hub (a new one when none is open); its pause is the shortest asked."""
    loop = asyncio.get_running_loop()
    hub = _HUBS.get(loop)
    if hub is None:
        hub = _HUBS[loop] = ConsoleHub(loop, pause_s)
    hub.pause_s = min(hub.pause_s, pause_s)
    return hub
