"""The VirtioFS daemon of each guest: found, started before its QEMU, watched, ended with it.

QEMU's `vhost-user-fs-pci` device serves no files itself: a `virtiofsd` process does, over a
vhost-user socket, and vhost-user pairs one daemon with one device, so every guest gets its own.
Each daemon starts in the guests' session (`launch.guest_session`), so its process group dies with the
session leader when uktrace dies, however it dies; it ends by itself when its QEMU disconnects, and
uktrace ends any that did not once its QEMU is gone.

Two daemons exist: QEMU's C one (QEMU up to 7.2 ships it in its library directory, Debian's in
`/usr/lib/qemu`; root only, `-o source=`) and the Rust one (its own package since; `--shared-dir`,
`--readonly`). The C one has no read-only switch, so without `--fs-rw` it starts inside a mount
namespace of its own where the share is a read-only bind mount (`launch.readonly`).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from ..model.spec import GuestSpec
from ..model.timeline import BootTimeline, Status
from .guest_session import GuestSession, guest_session
from .leftovers import remove_leftovers, scratch_prefix
from .readonly import READONLY_EXEC

if TYPE_CHECKING:
    from ..model.guest import Guest

FS_TYPES = ("9p", "virtiofs")
LOG_NAME = "virtiofsd.log"
"""The daemon's stdout and stderr, in the guest's recording."""
READY_TIMEOUT_S = 10.0
"""How long a daemon may take to listen on its socket (a few ms normally; a loaded host is slow)."""
DESCRIPTOR_DIRS = ("qemu/vhost-user",)
"""Under each of $XDG_CONFIG_HOME, /etc and <QEMU's prefix>/share: QEMU's vhost-user backend
descriptors (docs/interop/vhost-user.json), whose `fs` entry names the daemon's binary."""


class DaemonError(Exception):
    """No daemon, or one that would not start: the message names it and what to do."""


@dataclass(frozen=True, slots=True)
class Daemon:
    """A virtiofsd binary and the command line it speaks."""

    path: str
    rust: bool
    """The Rust daemon (`--shared-dir`); else QEMU's C one (`-o source=`)."""

    def argv(self, source: Path, socket: Path, writable: bool) -> list[str]:
        """The command line serving `source` on `socket`: read-only unless `writable`."""
        if self.rust:
            argv = [self.path, f"--socket-path={socket}", f"--shared-dir={source}", "--cache=auto"]
            return argv + ([] if writable else ["--readonly"])
        argv = [self.path, f"--socket-path={socket}", "-o", f"source={source}", "-o", "cache=auto"]
        argv += ["-o", "sandbox=namespace"]
        if writable:
            return argv
        return [sys.executable, "-I", "-S", str(READONLY_EXEC), str(source), "--", *argv]


def find_daemon(explicit: str | None, qemu: str) -> Daemon:
    """`--virtiofsd PATH`, else the daemon QEMU's vhost-user descriptors name, else `virtiofsd`
    on PATH, else one in QEMU's library directories; raises DaemonError when there is none."""
    if explicit is not None:
        path = shutil.which(explicit)
        if path is None:
            raise DaemonError(f"--virtiofsd {explicit}: no such executable")
        return daemon_for(path)
    for path in candidates(qemu):
        if os.access(path, os.X_OK) and Path(path).is_file():
            return daemon_for(path)
    raise DaemonError(
        "virtiofsd not found (--fs-type virtiofs needs it): install it (Debian 12: qemu-system-common"
        " ships it; later releases: the virtiofsd package) or pass --virtiofsd PATH"
    )


def candidates(qemu: str) -> list[str]:
    """Where a daemon may be, in order: descriptors of type `fs`, PATH, QEMU's library dirs."""
    prefix = Path(os.path.realpath(shutil.which(qemu) or qemu)).parent.parent
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    found: list[str] = []
    for base in (config, Path("/etc"), prefix / "share"):
        for sub in DESCRIPTOR_DIRS:
            found += _described(base / sub)
    if (on_path := shutil.which("virtiofsd")) is not None:
        found.append(on_path)
    found += [str(prefix / "libexec" / "virtiofsd"), str(prefix / "lib" / "qemu" / "virtiofsd")]
    found.append(str(prefix / "libexec" / "qemu" / "virtiofsd"))
    return found


def _described(directory: Path) -> list[str]:
    """The binaries of the `fs` descriptors in `directory`, in file name order (QEMU's priority)."""
    try:
        names = sorted(entry.name for entry in os.scandir(directory) if entry.name.endswith(".json"))
    except OSError:
        return []
    binaries = []
    for name in names:
        try:
            descriptor = json.loads((directory / name).read_text())
        except (OSError, ValueError):
            continue
        binary = descriptor.get("binary") if isinstance(descriptor, dict) else None
        if isinstance(descriptor, dict) and descriptor.get("type") == "fs" and isinstance(binary, str):
            binaries.append(binary)
    return binaries


def _is_rust(path: str) -> bool:
    """The Rust daemon documents `--shared-dir`; QEMU's C one `-o source=`."""
    try:
        result = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DaemonError(f"{path}: cannot run it ({error})") from None
    return "--shared-dir" in result.stdout + result.stderr


def check_daemon(daemon: Daemon) -> None:
    """QEMU's C daemon sandboxes itself with namespaces, which only root may make: say so before
    a hundred guests fail one by one."""
    if not daemon.rust and os.geteuid() != 0:
        raise DaemonError(
            f"{daemon.path} (QEMU's C virtiofsd) runs as root only: run uktrace as root, or install"
            " the Rust virtiofsd (Debian: the virtiofsd package) and pass --virtiofsd PATH"
        )


class SocketDirectory:
    """A 0700 directory for the run's vhost-user sockets (`uktrace-vfs-PID-*`), removed at the end;
    what killed runs left is removed first."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def socket(self, name: str) -> Path:
        if self.path is None:
            base = "/tmp" if len(tempfile.gettempdir()) > 40 else tempfile.gettempdir()  # a socket's path is short
            remove_leftovers(Path(base), "vfs")
            self.path = Path(tempfile.mkdtemp(prefix=scratch_prefix("vfs"), dir=base))
        return self.path / f"{name}.sock"

    def cleanup(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


class RunningDaemon:
    """One guest's daemon, from its start until it is released."""

    def __init__(
        self, session: GuestSession, argv: list[str], socket: Path, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.session = session
        self.socket = socket
        self.log = log
        self.program = Path(self._program(argv)).name
        self.status: int | None = None
        """Its exit status once released (negative: the signal that killed it)."""
        self.stopped = False
        """Whether uktrace ended it (it had not ended by itself once its QEMU was gone)."""
        self.ready_s: float | None = None
        """Seconds from its start until it listened: what a VirtioFS guest waits before its QEMU starts."""
        log.parent.mkdir(parents=True, exist_ok=True)
        self.started_ns = time.monotonic_ns()
        with open(log, "ab") as out, open(os.devnull, "rb") as null:
            out.write(f"$ {shlex.join(argv)}\n".encode())  # what ran, above what it said
            out.flush()
            self.pid, pidfd = session.spawn(argv, env, (null.fileno(), out.fileno(), out.fileno()))
        os.close(pidfd)

    @staticmethod
    def _program(argv: list[str]) -> str:
        return argv[argv.index("--") + 1] if "--" in argv and argv[0] == sys.executable else argv[0]

    def exited(self) -> bool:
        self.session.drain()
        return self.pid in self.session.statuses or self.pid in self.session.costs

    async def ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until the daemon listens on its socket; raises DaemonError (with the daemon's own
        words) when it exits first or takes longer than `timeout`."""
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if self.exited():
                await self.release()
                raise DaemonError(f"{self.program} {self.ending()} before it listened: {self.words()}")
            if time.monotonic() > deadline:
                await self.stop()
                raise DaemonError(f"{self.program} did not listen on its socket within {timeout:g} s: {self.words()}")
            await anyio.sleep(0.005)
        self.ready_s = (time.monotonic_ns() - self.started_ns) / 1e9

    async def release(self) -> int:
        if self.status is None:
            self.status, _ = await self.session.released(self.pid)
        return self.status

    async def stop(self, grace: float = 2.0) -> int:
        """Once its QEMU is gone: let it end by itself (it does when QEMU disconnects), else
        SIGTERM, then SIGKILL, its whole process group (the C daemon forks a sandboxed child)."""
        if self.status is not None:
            return self.status
        for signum in (None, signal.SIGTERM, signal.SIGKILL):
            if signum is not None and not self.exited():
                self.stopped = True
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, signum)
            with anyio.move_on_after(grace if signum is not signal.SIGKILL else 30):
                return await self.release()
        return await self.release()

    def ending(self) -> str:
        status = self.status
        if status is None:
            return "is still running"
        if status < 0:
            return f"was killed by {signal.Signals(-status).name}"
        return f"exited with status {status}"

    def failure(self) -> str | None:
        """Why the daemon failed its guest, or None: it died of a signal uktrace did not send, or
        exited with an error status by itself."""
        if self.status is None or self.stopped or self.status == 0:
            return None
        return f"{self.program} {self.ending()}: {self.words()}"

    def words(self) -> str:
        """The daemon's last error-like line (its last line otherwise), or a note that it said nothing."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "no output"
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("$ ")]
        errors = [line for line in lines if any(w in line.lower() for w in ("error", "fail", "invalid", "usage"))]
        return (errors or lines or ["no output"])[-1]


def start_error(program: str, error: OSError) -> str:
    """An exec failure, said as the user's problem."""
    if error.errno == errno.ENOENT:
        return f"cannot start {program}: no such file (see --virtiofsd)"
    return f"cannot start {program}: {error.strerror or error}"


@functools.cache
def daemon_for(path: str) -> Daemon:
    """The daemon at `path` (which flavour it is asked once per run)."""
    return Daemon(path, _is_rust(path))


async def start_daemon(
    spec: GuestSpec, log_dir: Path, sockets: SocketDirectory, key: str
) -> tuple[GuestSpec, RunningDaemon | None]:
    """A VirtioFS guest's daemon, listening: `spec` with its socket, and the daemon; any other
    guest as it is, and None. Raises DaemonError, with the daemon's words, when it cannot start."""
    if spec.fs is None or spec.fs_type != "virtiofs" or spec.command is not None:
        return spec, None
    if spec.virtiofsd is None:
        raise DaemonError("--fs-type virtiofs: no virtiofsd was found for this guest")
    daemon = daemon_for(spec.virtiofsd)
    socket = sockets.socket(key)
    with contextlib.suppress(FileNotFoundError):
        socket.unlink()
    argv = daemon.argv(spec.fs, socket, spec.fs_writable)
    try:
        # UKTRACE_RECORDING tells which run a daemon belongs to, as for its QEMU (`ps eww`, the tests)
        env = os.environ | {"UKTRACE_RECORDING": str(log_dir)}
        running = RunningDaemon(guest_session(), argv, socket, log_dir / LOG_NAME, env)
    except OSError as error:
        raise DaemonError(start_error(daemon.path, error)) from None
    try:
        await running.ready()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await running.stop()
        raise
    return replace(spec, vhost_socket=socket), running


class GuestDaemons:
    """A fleet's daemons, one per VirtioFS guest running, and their sockets' directory: a guest's
    daemon starts before its QEMU and ends once its QEMU is gone (`launch.fleet`)."""

    def __init__(self) -> None:
        self.sockets = SocketDirectory()
        self._running: dict[int, RunningDaemon] = {}

    async def start(self, guest: Guest, log_dir: Path, key: str) -> GuestSpec:
        """The guest's spec with its daemon's socket, the daemon listening (any other guest's spec
        as it is); raises DaemonError. Shielded: a daemon started is a daemon owned."""
        with anyio.CancelScope(shield=True):
            spec, daemon = await start_daemon(guest.spec, log_dir, self.sockets, key)
        if daemon is not None:
            self._running[guest.index] = daemon
            guest.virtiofsd_start_s = daemon.ready_s
        return spec

    async def end(self, guest: Guest) -> str | None:
        """End the guest's daemon (its QEMU is gone): why it failed the guest, or None."""
        daemon = self._running.pop(guest.index, None)
        if daemon is None:
            return None
        guest.virtiofsd_status = await daemon.stop()
        return daemon.failure()

    def cleanup(self) -> None:
        self.sockets.cleanup()


def name_daemon_failure(timeline: BootTimeline, failure: str) -> None:
    """The daemon's failure first in the reason of a guest that did not end cleanly (its mount or
    a read failed for want of it), the only reason of one still going; a guest that exited
    cleanly had what it needed, and keeps its status."""
    if timeline.status is Status.EXITED and timeline.exit_code in (None, 0):
        return
    if timeline.ending is None:
        timeline.fail(failure)
    elif failure not in timeline.ending.reason:
        timeline.ending = replace(timeline.ending, reason=f"{failure}; {timeline.ending.reason}")
