"""Recording a run to disk, byte-exact, so it can be replayed and re-parsed later, anywhere.

Layout of a recording directory (docs/recordings.md documents the fields):
    session.json             format, uktrace and QEMU versions, host, start, recorder (pid, boot),
                             command line, options, guest names; once the run ended, `tracer`:
                             uktrace's own CPU while the guests booted
    kernels/<sha256>.symbols the booted kernel's function symbols, once per distinct image
    <guest>/console.raw      every console byte, as received
    <guest>/chunks.tsv       one line per read: byte offset, host ns since spawn
    <guest>/stderr.log       QEMU's stderr
    <guest>/firmware.log     SeaBIOS's debug console (port 0x402), with --firmware-timing
    <guest>/firmware.tsv     one line per read of it: byte offset, host ns since spawn
    <guest>/guest.json       argv, kernel and its identity, host times, exit status, final status
Every run writes one (a temporary directory unless `--record DIR`), so no console byte is lost.
Files are appended as bytes arrive; guest.json comes last, so a killed run leaves every console.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import json
import os
import platform
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..model.shapes import formats
from . import qemu_version

if TYPE_CHECKING:
    from ..model.shapes import recording as shape

FORMAT = formats.RECORDING
"""The recording layout's version (`shapes.formats.RECORDING` says what each added)."""


def recordings_base() -> Path:
    """Where runs without `--record` are kept: `$TMPDIR/uktrace-UID`, the user's own, mode 0700
    (one base for all users would let one plant links for another, or lock the others out)."""
    return Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / f"uktrace-{os.getuid()}"


def own_directory(path: Path) -> Path:
    """`path` made (0700), or checked when it exists: a real directory, the user's, that nobody
    else can write into; refused otherwise, never followed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise RecordingError(f"{path}: cannot create ({error.strerror})") from None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise RecordingError(f"{path}: not a directory (a link or a file someone left): refusing to record there")
    if info.st_uid != os.getuid():
        raise RecordingError(f"{path}: belongs to another user (uid {info.st_uid}): refusing; use --record DIR")
    if info.st_mode & 0o077:
        os.chmod(path, 0o700, follow_symlinks=False)
    return path


def default_recording() -> Path:
    """A new recording in the user's base (where one goes without `--record`): an unpredictable
    name (made like `mkdtemp`, 0700) that still says when and by which process it was recorded."""
    prefix = time.strftime(f"run-%Y%m%d-%H%M%S-{os.getpid()}-")
    try:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=own_directory(recordings_base())))
    except OSError as error:
        raise RecordingError(f"{recordings_base()}: cannot create a run directory ({error.strerror})") from None


class RecordingError(Exception):
    """The recording directory cannot be written or read; the message says why."""


MARKER = ".uktrace-recording"
"""The file uktrace writes first in every directory it records into (a run's, a bench's): what
`recordings prune` requires before it deletes one. A copied session.json does not make it."""
MARKER_TEXT = "made by uktrace: `uktrace recordings prune` may delete this directory\n"


def mark(directory: Path) -> None:
    """Write the marker into `directory` (a new file, never through a link) unless it is there."""
    try:
        fd = os.open(directory / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as file:
        file.write(MARKER_TEXT)


def is_marked(directory: Path) -> bool:
    """Whether `directory` holds uktrace's marker (a regular file of its own, not a link)."""
    try:
        return stat.S_ISREG(os.lstat(directory / MARKER).st_mode)
    except OSError:
        return False


def claim(directory: Path, what: str = "--record") -> None:
    """Make `directory` uktrace's (0700, marked), refusing one that holds anything but a recording
    of uktrace's: the user's files are never mixed with a recording, nor deleted with it."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.path.islink(directory) or not directory.is_dir():
        raise RecordingError(f"{what} {directory}: not a directory")
    if not is_marked(directory) and any(directory.iterdir()):
        raise RecordingError(
            f"{what} {directory}: not empty and not a uktrace recording; choose a new or empty directory"
        )
    mark(directory)


def start_session(directory: Path, command: list[str], options: dict[str, Any], names: list[str]) -> None:
    """Create `directory` (or take an empty one, or a recording of uktrace's), mark it as
    uktrace's, and write its session.json (with QEMU's version unless the run traces a `--cmd`
    launcher, which never runs our QEMU)."""
    try:
        claim(directory)
        if any(directory.joinpath(name).exists() for name in names):
            raise RecordingError(f"{directory}: already holds a recording; choose an empty directory")
        session: shape.Session = {
            "format": FORMAT,
            "uktrace": __version__,
            "qemu": None if options.get("cmd") else qemu_version.answer(options.get("qemu") or "qemu-system-x86_64"),
            "host": {"cpus": os.cpu_count(), "kernel": platform.release()},
            "started": time.time(),
            "recorder": {"pid": os.getpid(), "boot_id": boot_id()},
            "command": command,
            "options": options,  # type: ignore[typeddict-item]  # the command line's, as given
            "guests": names,
        }
        # strict: an option that is not a JSON value is a bug to see, not a repr to keep
        _write_json(directory / "session.json", session, strict=True)
    except OSError as error:
        raise RecordingError(f"{directory}: cannot write the recording ({error.strerror})") from None


def end_session(
    directory: Path, tracer: shape.TracerBooting | None, observer: shape.ObserverEffect | None = None
) -> None:
    """Add to session.json, as the run ends, uktrace's CPU while the guests booted (`tracer`) and the
    host's observer check of this size (`observer`): a replay and compare read there what uktrace
    itself took from the recorded guests and changed of them. A directory without session.json (a
    fleet run without `start_session`) is left as it is."""
    path = directory / "session.json"
    try:
        with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC), "rb") as file:
            session = json.loads(file.read())  # this run's own, never through a link
        if not isinstance(session, dict):
            raise ValueError("not an object")
        session["tracer"] = tracer
        session["observer"] = observer
        _write_json(path, session, strict=True)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as error:
        raise RecordingError(f"{path}: cannot add uktrace's own CPU ({error})") from None


def boot_id() -> str | None:
    """This boot of the host's kernel: with a pid, names the process that records, on no other
    machine or boot (a copied recording's pid is someone else's here)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


MAX_ERRORS = 20
"""Distinct disk errors kept (a full disk fails every write after the first)."""
FLUSH_S = 0.2
"""At most this long between a console chunk's arrival and its bytes reaching the kernel."""


class RecordingWriter:
    """One thread doing all of a run's disk I/O, in order: the event loop never waits on a disk.

    Profiling 100 guests showed writes, opens and mkdirs on a busy host's disk taking a third
    of the event loop's time, in stalls of up to 200 ms. Jobs run in submission order, so a
    guest's files are complete when its `finish` job runs. The thread takes the jobs every
    `FLUSH_S`, runs them and flushes the open files, so what reached uktrace is on disk soon
    after (a quiet guest's few lines too, or they would be lost if uktrace is killed). A console
    chunk wakes nobody: a wake-up per chunk (3,000 at 100 guests) handed the interpreter's lock back
    and forth between the two threads for every one of them. A guest's end does: the command waits
    for its files (left for the next turn, they made it end 40 ms later)."""

    def __init__(self) -> None:
        self._jobs: collections.deque[Callable[[], object]] = collections.deque()
        self._wake = threading.Event()
        self._closing = False
        self.errors: list[str] = []
        """The distinct disk errors met (the first few), appended from the writer's thread."""
        self.failures = 0
        """Jobs that failed, all told."""
        self._open: dict[int, GuestRecorder] = {}
        """Recorders with files open (on the writer's thread only)."""
        self._thread = threading.Thread(target=self._work, name="uktrace-recorder", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], object], now: bool = False) -> None:
        """Queue `job` (atomic: the thread takes it within FLUSH_S); `now` wakes the thread for it
        (a guest's end: the command waits for its files before it can end)."""
        self._jobs.append(job)
        if now:
            self._wake.set()

    def close(self) -> None:
        """Run every job submitted so far, then stop the thread."""
        self._closing = True
        self._wake.set()
        self._thread.join()

    def _work(self) -> None:
        while True:
            self._wake.wait(FLUSH_S)
            self._wake.clear()
            closing = self._closing
            while self._jobs:
                self._run(self._jobs.popleft())
            for recorder in list(self._open.values()):
                self._run(recorder.flush)
            if closing:
                break

    def _run(self, job: Callable[[], object]) -> None:
        try:
            job()
        except OSError as error:  # a full disk must not kill the run: the views say so, loudly
            self.failures += 1
            message = f"{error.filename or ''}: {error.strerror}"
            if message not in self.errors and len(self.errors) < MAX_ERRORS:
                self.errors.append(message)

    def opened(self, recorder: GuestRecorder) -> None:
        self._open[id(recorder)] = recorder

    def closed(self, recorder: GuestRecorder) -> None:
        self._open.pop(id(recorder), None)


class GuestRecorder:
    """Appends one guest's console and stderr as they arrive; `finish` writes its metadata.

    Without a writer (tests, tools) the I/O happens at once; with one, on its thread."""

    def __init__(self, directory: Path, writer: RecordingWriter | None = None) -> None:
        self.directory = directory
        self._writer = writer
        self._offset = 0
        self._firmware_offset = 0
        self._files: dict[str, IO[Any]] = {}
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # before QEMU starts (firmware FIFO)

    def console(self, data: bytes, since_spawn_ns: int) -> None:
        line = f"{self._offset}\t{since_spawn_ns}\n"
        self._offset += len(data)
        self._do(lambda: (self._file("console.raw").write(data), self._file("chunks.tsv", text=True).write(line)))

    def stderr(self, data: bytes) -> None:
        self._do(lambda: self._file("stderr.log").write(data))

    def firmware(self, data: bytes, since_spawn_ns: int) -> None:
        """The firmware's debug console, indexed as the console is: its lines' arrival times name
        the firmware's parts, in a replay as live."""
        line = f"{self._firmware_offset}\t{since_spawn_ns}\n"
        self._firmware_offset += len(data)
        self._do(lambda: (self._file("firmware.log").write(data), self._file("firmware.tsv", text=True).write(line)))

    def started(self, meta: Callable[[], shape.GuestFile]) -> None:
        """guest.json as the guest starts (its command line, kernel, spawn time, `booting`): a
        uktrace killed before the guest ends still leaves what it was; `finish` replaces it."""
        self._do(lambda: _write_json(self.directory / "guest.json", meta()))

    def finish(self, meta: shape.GuestFile | Callable[[Path], shape.GuestFile]) -> None:
        """Close every file, then write guest.json: `meta`, or what `meta(directory)` returns once
        the files are complete (on the writer's thread: it may read them)."""

        def finish() -> None:
            for name in ("console.raw", "chunks.tsv", "stderr.log"):
                self._file(name, text=name.endswith(".tsv"))  # present even when empty
            if self._writer is not None:
                self._writer.closed(self)
            for file in self._files.values():
                file.close()
            _write_json(self.directory / "guest.json", meta(self.directory) if callable(meta) else meta)

        self._do(finish, now=True)

    def flush(self) -> None:
        """Hand what is buffered to the kernel: the console before its index, so an index line on
        disk never points past the bytes it indexes."""
        for file in self._files.values():
            if not file.closed:
                file.flush()

    def _do(self, job: Callable[[], object], now: bool = False) -> None:
        if self._writer is None:
            job()
        else:
            self._writer.submit(functools.partial(_naming, self.directory, job), now)

    def _file(self, name: str, text: bool = False) -> IO[Any]:
        file = self._files.get(name)
        if file is None:
            path = self.directory / name
            # 0600, never through a link: a console holds whatever the guest printed
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            file = os.fdopen(fd, "w", encoding="ascii") if text else os.fdopen(fd, "wb")
            self._files[name] = file
            if self._writer is not None:
                self._writer.opened(self)
        return file


def _naming(directory: Path, job: Callable[[], object]) -> None:
    """Run `job`; a write error that names no file (a full disk) names the guest's directory."""
    try:
        job()
    except OSError as error:
        if error.filename is None:
            error.filename = str(directory)
        raise


def _write_json(path: Path, value: Mapping[str, Any], strict: bool = False) -> None:
    """Whole or not at all (a temporary file renamed over it); the temporary is made like `mkstemp`
    (a new name, 0600, never an existing file or link someone planted)."""
    text = json.dumps(value, indent=2) if strict else json.dumps(value, indent=2, default=str)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(text + "\n")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
