"""The guests' session: one process that starts every QEMU of a uktrace process, in a session of
its own, so the scheduler weighs all the guests together as one group beside uktrace's
(`uktrace.launch.guest_session`: why, and the uktrace side of the protocol).

Run as a script (`python -I -S session_leader.py REQUESTS EVENTS`), standard library only: it starts
in milliseconds and imports nothing of uktrace. Two inherited sequenced-packet sockets:
- REQUESTS: uktrace sends `{"argv": [...], "env": {...} | null}` with the child's stdin, stdout and
  stderr as SCM_RIGHTS; the leader answers `{"pid": N}` with a pidfd of the child (opened before
  the leader can release it, so uktrace's always names this child) or `{"errno": E, "error": "..."}`.
- EVENTS: the leader says `{"exited": pid, "status": S}` (the wait status, read without releasing
  the zombie) as soon as a child exits, then `{"reaped": pid, "cpu_ns": N}` once released (the
  kernel's release of a QEMU can spin for most of a second: it happens here, not in uktrace).
When uktrace goes away (REQUESTS reads end of file), every child's process group is killed and
reaped before the leader exits: no guest outlives its tracer.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys

MAX_MESSAGE = 1 << 20
DEFAULT_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGHUP, signal.SIGTERM)
"""Ignored here (Python ignores the first two, `main` the others); a spawned child would inherit
the ignoring, so each is reset to its default in the child (subprocess resets Python's too)."""


def spawn(request: dict[str, object], fds: list[int]) -> dict[str, object]:
    argv = request["argv"]
    env = request.get("env")
    assert isinstance(argv, list) and len(fds) == 3
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
    try:
        pid = os.posix_spawnp(
            argv[0],
            argv,
            env if isinstance(env, dict) else os.environ,
            file_actions=actions,
            setpgroup=0,  # a process group of its own: uktrace signals the group (a launcher's QEMU)
            setsigdef=DEFAULT_SIGNALS,
            setsigmask=(),
        )
    except OSError as error:
        return {"errno": error.errno, "error": error.strerror or str(error)}
    return {"pid": pid}


def announce(events: socket.socket, children: set[int], announced: set[int]) -> None:
    """Say each newly exited child's status at once, without releasing it (`waitid` WNOWAIT)."""
    for pid in children - announced:
        try:
            exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            continue
        if exited is None or exited.si_pid != pid:
            continue
        killed = exited.si_code in (os.CLD_KILLED, os.CLD_DUMPED)
        _send(events, {"exited": pid, "status": -exited.si_status if killed else exited.si_status})
        announced.add(pid)


def release(events: socket.socket, children: set[int], announced: set[int]) -> None:
    """Release one exited child and say what it cost: one at a time, so a spawn request waits for
    at most one release (each may spin in the kernel for most of a second)."""
    pid = announced.pop()
    children.discard(pid)
    try:
        _, _, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return
    _send(events, {"reaped": pid, "cpu_ns": round((usage.ru_utime + usage.ru_stime) * 1e9)})


def end(children: set[int]) -> None:
    """uktrace is gone: kill what is left, group and all, and release it."""
    for pid in children:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _send(sock: socket.socket, message: dict[str, object]) -> None:
    with contextlib.suppress(OSError):  # uktrace stopped listening: it is going away, `end` follows
        sock.send(json.dumps(message).encode())


def main(requests_fd: int, events_fd: int) -> None:
    # the guests run at the ordinary policy, whatever uktrace's own thread runs at (it yields to
    # them: `uktrace.launch.tracer_policy`), and every QEMU started here inherits it
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    requests = socket.socket(fileno=requests_fd)
    events = socket.socket(fileno=events_fd)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    for name in ("SIGINT", "SIGHUP", "SIGTERM"):
        # a Ctrl-C in uktrace's terminal does not reach this session; uktrace's own end does (EOF)
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    children: set[int] = set()
    announced: set[int] = set()
    try:
        while True:
            ready, _, _ = select.select([requests.fileno(), wake_read], [], [], 0 if announced else None)
            if wake_read in ready:
                try:
                    while os.read(wake_read, 4096):
                        pass
                except BlockingIOError:
                    pass
            announce(events, children, announced)
            if announced and requests.fileno() not in ready:
                release(events, children, announced)
            if requests.fileno() not in ready:
                continue
            try:
                message, fds, _, _ = socket.recv_fds(requests, MAX_MESSAGE, 3, socket.MSG_CMSG_CLOEXEC)
            except OSError:
                return
            if not message:
                return
            try:
                reply = spawn(json.loads(message), fds)
            finally:
                for fd in fds:
                    os.close(fd)
            if "pid" in reply:
                pid = int(str(reply["pid"]))
                children.add(pid)
                pidfd = os.pidfd_open(pid)  # a zombie still has one; released only after this
                try:
                    with contextlib.suppress(OSError):
                        socket.send_fds(requests, [json.dumps(reply).encode()], [pidfd])
                finally:
                    os.close(pidfd)
                continue
            _send(requests, reply)
    finally:
        end(children)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
