"""The guests' session: every QEMU of this uktrace process in one session of their own (a
process session, as `setsid` makes; nothing to do with a recording's session.json).

Why: Linux's scheduler (with `kernel.sched_autogroup_enabled`, most distributions) shares the CPUs
between sessions first, then between the tasks inside one. Guests in uktrace's own session at
normal priority crowd its event loop (a hundred QEMUs against one loop thread); at the idle
policy they run only on what nothing else wants, so the figures report the host's other load, and
a storm of 50 real guests read 30 % slower than at normal priority (the priority's distortion,
`launch.priority`). Together in one session of their own, the guests weigh as much as uktrace:
uktrace gets a CPU when it wakes, the guests get everything it does not use, at normal priority
against the rest of the host (measured on 2 cores with 60 guests: the loop woke within 1-2.3 ms
p99, the guests' batch took as long as in uktrace's session).

A process joins a session only by being forked inside it, so one small process leads it and
starts the guests on uktrace's behalf (`session_leader`, standard library only, started once per
uktrace process on the first spawn). uktrace passes the child's stdin, stdout and stderr over a
socket; the leader `posix_spawn`s the command in a process group of its own and answers its pid;
it says each child's exit status as soon as it exits and releases the zombie itself (the kernel's
release of a QEMU spins for up to ~0.8 s: in the guests' session, not in uktrace). uktrace watches
each guest on a pidfd as before, and signals its process group directly. If uktrace dies, the
leader reads end of file and kills every guest's group; each guest also runs under `setpriv
--pdeathsig KILL` from the leader.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import anyio

LEADER = Path(__file__).with_name("session_leader.py")


class SessionError(OSError):
    """The leader could not be started or went away."""


class GuestSession:
    """uktrace's side of the leader: spawn requests (any thread, one at a time) and exit events
    (read from the event loop, or by `poll` without waiting)."""

    def __init__(self) -> None:
        requests, leader_requests = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        events, leader_events = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds = (leader_requests.fileno(), leader_events.fileno())
        try:
            self.leader = subprocess.Popen(
                [sys.executable, "-I", "-S", str(LEADER), *map(str, fds)],
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            leader_requests.close()
            leader_events.close()
        self._requests = requests
        self._events = events
        self._events.setblocking(False)
        self._spawning = threading.Lock()
        self._reading: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.Lock] = weakref.WeakKeyDictionary()
        self.statuses: dict[int, int] = {}
        """Exit status per pid, as soon as the leader saw the exit."""
        self.costs: dict[int, int] = {}
        """CPU ns per pid (every thread), once the leader released it."""

    def spawn(self, argv: list[str], env: dict[str, str] | None, stdio: tuple[int, int, int]) -> tuple[int, int]:
        """Start `argv` in the guests' session with these descriptors as its 0, 1 and 2: its pid and
        a pidfd of it (the caller closes it). Raises OSError as exec would (ENOENT for a missing
        program)."""
        request = json.dumps({"argv": argv, "env": env}).encode()
        with self._spawning:
            try:
                socket.send_fds(self._requests, [request], list(stdio))
                message, fds, _, _ = socket.recv_fds(self._requests, 1 << 16, 1, socket.MSG_CMSG_CLOEXEC)
            except OSError as error:
                raise SessionError(f"the guests' session leader is gone ({error})") from error
        reply = json.loads(message or b"null")
        if not isinstance(reply, dict) or ("pid" in reply and len(fds) != 1):
            for fd in fds:
                os.close(fd)
            raise SessionError("the guests' session leader is gone")
        if "pid" not in reply:
            raise OSError(int(reply.get("errno") or 0), str(reply.get("error")), argv[0])
        return int(reply["pid"]), fds[0]

    def drain(self) -> None:
        """Take every event already sent, without waiting."""
        while True:
            try:
                message = self._events.recv(1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not message:
                return
            event = json.loads(message)
            if "exited" in event:
                self.statuses[int(event["exited"])] = int(event["status"])
            elif "reaped" in event:
                self.costs[int(event["reaped"])] = int(event["cpu_ns"])

    async def released(self, pid: int) -> tuple[int, int]:
        """Wait until the leader has released `pid`: its exit status and CPU ns. One task per event
        loop reads the socket at a time (an fd has one waiter); the others find their event in the
        tables."""
        loop = asyncio.get_running_loop()
        reading = self._reading.get(loop)
        if reading is None:
            reading = self._reading[loop] = anyio.Lock()
        while pid not in self.costs:
            async with reading:
                self.drain()
                if pid in self.costs:
                    break
                if self.leader.poll() is not None:
                    raise SessionError("the guests' session leader is gone")
                await anyio.wait_readable(self._events)
        return self.statuses.pop(pid), self.costs.pop(pid)

    def close(self) -> None:
        """End the leader: it kills whatever is left of the guests (normally nothing) and exits."""
        with contextlib.suppress(OSError):
            self._requests.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.leader.wait(timeout=5)
        if self.leader.poll() is None:
            self.leader.kill()
            self.leader.wait()
        self._events.close()


@functools.cache
def guest_session() -> GuestSession:
    """This process's guests' session, started on first use and ended at exit."""
    session = GuestSession()
    atexit.register(session.close)
    return session
