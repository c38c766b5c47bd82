"""The actor on each node: starts QEMUs for the client and streams their consoles back.

Plain Python (the client wraps it with `ray.remote`), so this module never imports Ray. One
async actor per node runs every guest placed there, each as a streaming generator of batched
`wire.Event`s. The QEMU itself is the local launcher's `GuestProcess` (pty, 1 MiB console pipe,
pidfd, process group), started under `setpriv --pdeathsig KILL` from one spawner thread that lives
as long as the actor: the parent-death signal follows the thread that forked, so when the actor's
worker dies (killed, its node lost, its driver gone), the kernel kills its QEMUs. No `preexec_fn`:
forking Python code in a Ray worker can deadlock; setpriv is an exec'd wrapper.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import itertools
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ... import __version__
from ...model.spec import DEFAULT_QEMU, GuestSpec
from ..fleet import COALESCE_S
from ..guest_session import guest_session
from ..process import SETPRIV, GuestProcess
from ..qemu import qemu_argv
from ..qmp import Qmp, QmpError
from ..sockets import SOCKET_PATH_MAX
from . import wire

STOP_GRACE_S = 1.0
ARRIVED = "arrived"
"""In `release`'s answer: when the call reached the node (no guest key has this form)."""


@dataclass
class _Hosted:
    """One guest's QEMU on this node, and its monitor while it waits for the start gate."""

    process: GuestProcess
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    qmp: Qmp | None = None


class GuestHost:
    """Runs the guests the client places on this node; one instance per node and run."""

    def __init__(self) -> None:
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uktrace-spawner")
        self._guests: dict[str, _Hosted] = {}
        self._kernels: dict[str, asyncio.Task[Path]] = {}
        self._dir = scratch_directory()
        """Kernels shipped from the client and QMP sockets: short enough for a socket's path."""

    async def hello(self, qemu_name: str = DEFAULT_QEMU) -> dict[str, Any]:
        """What `cluster check` and the client's start-up check need to know about this node
        (`qemu_name`: the `--qemu` asked for; as a path, or by its name on this node's PATH)."""
        qemu = shutil.which(qemu_name) or shutil.which(Path(qemu_name).name)
        version = None
        if qemu is not None:
            loop = asyncio.get_running_loop()
            version = await loop.run_in_executor(None, _qemu_version, qemu)
        ray = sys.modules.get("ray")
        return {
            "hostname": socket.gethostname(),
            "pid": os.getpid(),
            "qemu": qemu,
            "qemu_version": version,
            "setpriv": SETPRIV,
            "kvm": os.access("/dev/kvm", os.R_OK | os.W_OK),
            "python": platform.python_version(),
            "ray": getattr(ray, "__version__", None),
            "uktrace": __version__,
            "guests": len(self._guests),
        }

    async def clock(self) -> int:
        """This node's monotonic clock, for the client's offset measurement."""
        return time.monotonic_ns()

    async def run_guest(
        self,
        key: str,
        spec: GuestSpec,
        kernel: tuple[str, list[Any]],
        marker: str,
        nice: int | None,
        gated: bool,
    ) -> AsyncIterator[list[wire.Event]]:
        """Start one guest and stream its events until its QEMU is gone.

        `kernel` is the image's digest and, in a list so Ray does not fetch it eagerly, the
        object holding its bytes: fetched once per node. `marker` goes into the QEMU's
        environment as UKTRACE_RECORDING (which run it belongs to: `ps eww`, the tests)."""
        numbers = itertools.count()

        def event(kind: str, payload: Any = None, stamp: int | None = None) -> wire.Event:
            return wire.Event(next(numbers), kind, time.monotonic_ns() if stamp is None else stamp, payload)

        qemu = shutil.which(spec.qemu) or shutil.which(Path(spec.qemu).name)
        if qemu is None:
            yield [event(wire.ERROR, f"{Path(spec.qemu).name} not found on node {socket.gethostname()}")]
            return
        if spec.fs is not None and not spec.fs.is_dir():
            yield [event(wire.ERROR, f"--fs {spec.fs}: no such directory on node {socket.gethostname()}")]
            return
        image = await self._kernel(*kernel)
        qmp_socket = self._dir / f"{key}.sock" if gated else None
        argv = qemu_argv(replace(spec, qemu=qemu, kernel=image, qmp_socket=qmp_socket, firmware_pipe=None))
        env = os.environ | {"UKTRACE_RECORDING": marker}
        loop = asyncio.get_running_loop()
        try:
            session = guest_session() if nice is None else None
            process = await loop.run_in_executor(
                self._spawner, lambda: GuestProcess(argv, env=env, nice=nice, session=session, monitor=qmp_socket)
            )
        except OSError as error:
            yield [event(wire.ERROR, f"cannot start {argv[0]}: {error.strerror or error}")]
            return
        hosted = self._guests[key] = _Hosted(process)
        queue: asyncio.Queue[wire.Event] = asyncio.Queue()
        tasks = [asyncio.create_task(self._watch(hosted, queue, event, qmp_socket))]
        try:
            spawned = {
                "pid": process.pid,
                "argv": argv,
                "nice": process.nice,
                "idle_policy": process.idle_policy,
                "apart": process.apart,
            }
            yield [event(wire.SPAWNED, spawned, process.spawn_ns)]
            while True:
                batch = await _batch(queue)
                yield batch
                if batch[-1].kind == wire.EXIT:
                    return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _reap(hosted)
            self._guests.pop(key, None)
            if qmp_socket is not None:
                with contextlib.suppress(OSError):
                    qmp_socket.unlink()

    async def _watch(
        self, hosted: _Hosted, queue: asyncio.Queue[wire.Event], event: Any, qmp_socket: Path | None
    ) -> None:
        """Console, stderr and the monitor into the queue as they come; the exit last."""
        process = hosted.process

        async def read(kind: str) -> None:
            reader = process.read_console if kind == wire.CONSOLE else process.read_stderr
            while data := await reader():
                queue.put_nowait(event(kind, data))
                await asyncio.sleep(COALESCE_S)  # a UART writes a few bytes at a time: let a line gather

        async def gate() -> None:
            with contextlib.suppress(QmpError):
                hosted.qmp = await process.monitor()
                queue.put_nowait(event(wire.READY))

        readers = [asyncio.create_task(read(wire.CONSOLE)), asyncio.create_task(read(wire.STDERR))]
        gating = asyncio.create_task(gate()) if qmp_socket is not None else None
        try:
            await asyncio.gather(*readers)
            status = await process.wait()
            hosted.exited.set()
            queue.put_nowait(event(wire.EXIT, {"status": status, "cpu_total_ns": process.cpu_total_ns}))
        finally:
            others = [*readers, *([gating] if gating else [])]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

    async def release(self, keys: list[str], at_ns: int | None = None) -> dict[str, int]:
        """The start gate: at `at_ns` on this node's clock (at once when that has passed), `cont` to
        every guest together (each on its own monitor, none waits for another's answer); the node's
        time of each."""
        arrived = time.monotonic_ns()
        if at_ns is not None:
            await _until(at_ns)
        released: dict[str, int] = {ARRIVED: arrived}

        async def cont(key: str, qmp: Qmp) -> None:
            released[key] = time.monotonic_ns()
            try:
                await qmp.execute("cont")
            except QmpError:
                released.pop(key)

        monitors = {key: hosted.qmp for key in keys if (hosted := self._guests.get(key)) and hosted.qmp}
        await asyncio.gather(*(cont(key, qmp) for key, qmp in monitors.items()))
        for key in [key for key in released if key != ARRIVED]:  # closed after every `cont`: the wave first
            qmp, self._guests[key].qmp = self._guests[key].qmp, None
            if qmp is not None:
                with contextlib.suppress(QmpError, OSError):
                    await qmp.close()
        return released

    async def signal(self, key: str, signum: int) -> None:
        hosted = self._guests.get(key)
        if hosted is not None:
            hosted.process.signal(signum)

    async def write(self, key: str, data: bytes) -> None:
        hosted = self._guests.get(key)
        if hosted is not None and hosted.process.returncode is None:
            with contextlib.suppress(OSError):
                hosted.process.write(data)

    async def stop(self, key: str, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM to the guest's group, SIGKILL after `grace`; its stream then ends with the exit."""
        hosted = self._guests.get(key)
        if hosted is None:
            return
        hosted.process.signal(signal.SIGTERM)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(hosted.exited.wait(), grace)
        if not hosted.exited.is_set():
            hosted.process.signal(signal.SIGKILL)

    async def close(self) -> int:
        """Stop every guest still here and remove the node's scratch directory; how many ran."""
        running = list(self._guests)
        await asyncio.gather(*(self.stop(key) for key in running))
        shutil.rmtree(self._dir, ignore_errors=True)
        return len(running)

    async def _kernel(self, digest: str, holder: list[Any]) -> Path:
        """The image on this node's disk, fetched from the object store once per node."""
        if digest not in self._kernels:
            self._kernels[digest] = asyncio.create_task(self._fetch(digest, holder[0]))
        return await self._kernels[digest]

    async def _fetch(self, digest: str, ref: Any) -> Path:
        data: bytes = await ref
        if hashlib.sha256(data).hexdigest() != digest:
            raise ValueError("the kernel image arrived corrupted")
        path = self._dir / f"{digest[:16]}.kernel"
        path.write_bytes(data)
        return path


async def _batch(queue: asyncio.Queue[wire.Event]) -> list[wire.Event]:
    """The next events: at most `BATCH_S` after the first, or `BATCH_BYTES` of console."""
    first = await queue.get()
    batch = [first]
    if first.kind in wire.URGENT:
        return batch
    size = len(first.payload) if isinstance(first.payload, bytes) else 0
    deadline = time.monotonic() + wire.BATCH_S
    while size < wire.BATCH_BYTES:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            item = await asyncio.wait_for(queue.get(), remaining)
        except asyncio.TimeoutError:
            break
        batch.append(item)
        if item.kind in wire.URGENT:
            break
        size += len(item.payload) if isinstance(item.payload, bytes) else 0
    return batch


SPIN_S = 0.002
"""The last stretch before a timed release is waited for by spinning: a sleep wakes late."""


async def _until(at_ns: int) -> None:
    """Until this node's monotonic clock reads `at_ns`, to a few microseconds."""
    left = (at_ns - time.monotonic_ns()) / 1e9
    if left > SPIN_S:
        await asyncio.sleep(left - SPIN_S)
    while time.monotonic_ns() < at_ns:
        pass


async def _reap(hosted: _Hosted) -> None:
    """However the stream ended (its exit, a cancel, the client gone): no QEMU left behind."""
    process = hosted.process
    if process.poll() is None:
        process.signal(signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        await process.wait()
    if hosted.qmp is not None:
        with contextlib.suppress(QmpError, OSError):
            await hosted.qmp.close()
    process.close()


SCRATCH_PREFIX = "uktrace-node-"
OWNER = "actor.pid"


def scratch_directory() -> Path:
    """A new 0700 directory for this actor's kernels and QMP sockets, in $TMPDIR unless its path is
    too long for a socket's, then in /tmp. Directories left by actors that were killed (their
    owner's pid is gone) are removed first: a killed actor cannot clean up after itself."""
    longest = len(f"/{SCRATCH_PREFIX}xxxxxxxx/100000.100.sock")
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(os.fsencode(base)) + longest <= SOCKET_PATH_MAX:
            _remove_stale(Path(base))
            directory = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=base))
            (directory / OWNER).write_text(str(os.getpid()))
            return directory
    raise OSError(errno.ENAMETOOLONG, "no directory short enough for a QMP socket")


def _remove_stale(base: Path) -> None:
    for directory in base.glob(f"{SCRATCH_PREFIX}*"):
        try:
            owner = int((directory / OWNER).read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except (OSError, ValueError):
            continue  # not ours to judge (another user's, or being made right now)


def _qemu_version(qemu: str) -> str | None:
    try:
        result = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    first = result.stdout.strip().splitlines()
    return first[0].removeprefix("QEMU emulator version ").strip() if first else None
