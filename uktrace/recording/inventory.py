"""Which recordings a directory holds, and what each is: the listing behind `uktrace recordings`.

Every run records (`recordings_base()` unless `--record DIR`), so recordings pile up. A directory
is listed as a recording by what it holds: a run's session.json (an object naming `uktrace` and
its `guests`, in every format) or a bench's results.json (`"kind": "bench"`), each read as the
reader reads a recording (`files`: a regular file inside, within its limit). Pruning (prune.py)
needs more: uktrace's own mark (`Recording.ours`), which a copied session.json does not make.
No symbolic link is followed (a link is never a recording, sizes count links themselves).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..kernel.find import TEST_GUEST
from ..model.json_input import JsonError, load_json
from ..model.text import shown_json
from . import proc_stat
from .files import JSON_LIMIT, read_file
from .record import RecordingError, boot_id, is_marked, recordings_base
from .schema import LAST_EPOCH

if TYPE_CHECKING:
    from ..model.shapes.commands import Listed

DEFAULT_NAME = re.compile(r"run-\d{8}-\d{6}-(\d+)(?:-\w+)?")
"""`default_recording`'s names carry the recording process's pid (recordings from before session.json had one)."""


class NotARecording(RecordingError):
    """The path is not a recording uktrace may list or delete; the message says why."""


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording, as a listing shows it."""

    path: Path
    kind: str
    """`run`, `demo` or `bench`."""
    started: float
    """Epoch seconds (session.json's `started`, else the directory's modification time)."""
    kernel: str
    """The booted image's file name (a kraft project's too), or `--cmd` and the launcher."""
    guests: int
    """Guests in the run (a bench: boots over every cell)."""
    statuses: Mapping[str, int]
    """Guests per final status; `in progress` or `unfinished` for a guest without its guest.json."""
    size: int
    """Bytes on disk (allocated blocks, like `du`)."""
    recorder: int | None
    """The pid of the uktrace still writing it (or showing it, and able to relaunch a guest into
    it); None once that process is gone."""
    ours: bool = False
    """uktrace made it and said so: its marker (`record.MARKER`), or, from before markers, a run
    directory by its default name in the user's own base. Only such a recording is ever pruned."""

    @property
    def in_progress(self) -> bool:
        return self.recorder is not None

    def as_dict(self) -> Listed:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "started": self.started,
            "kernel": self.kernel,
            "guests": self.guests,
            "statuses": dict(self.statuses),
            "bytes": self.size,
            "in_progress": self.in_progress,
            "marked": self.ours,
        }


@dataclass(frozen=True, slots=True)
class Listing:
    base: Path
    recordings: list[Recording]
    """Newest first."""
    others: list[Path]
    """Entries of `base` that are not recordings: never listed, never touched."""


def list_recordings(base: Path) -> Listing:
    """Every recording directly in `base`, newest first (an absent `base` holds none)."""
    recordings, others = [], []
    try:
        entries = sorted(base.iterdir())
    except FileNotFoundError:
        entries = []
    except OSError as error:
        raise RecordingError(f"{base}: cannot list ({error.strerror})") from None
    for entry in entries:
        try:
            recordings.append(read_recording(entry))
        except NotARecording:
            others.append(entry)
    recordings.sort(key=lambda r: r.started, reverse=True)
    return Listing(base, recordings, others)


def read_recording(path: Path) -> Recording:
    """`path` as a recording, or NotARecording saying why it is not one."""
    if path.is_symlink():
        raise NotARecording(f"{path}: a symbolic link, not followed; give the recording's own directory")
    if not path.is_dir():
        raise NotARecording(f"{path}: not a directory" if path.exists() else f"{path}: no such directory")
    session = json_object(path, "session.json")
    if session is not None and isinstance(session.get("uktrace"), str) and isinstance(session.get("guests"), list):
        options = _mapping(session.get("options"))
        if "bench_cell" in options:
            raise NotARecording(f"{path}: one cell of the bench in {path.parent.parent}; give the bench's directory")
        return _run(path, session, options)
    results = json_object(path, "results.json")
    if results is not None and results.get("kind") == "bench" and isinstance(results.get("uktrace"), str):
        return _bench(path, results)
    raise NotARecording(f"{path}: not a uktrace recording (no session.json, no bench results.json)")


def _run(path: Path, session: Mapping[str, Any], options: Mapping[str, Any]) -> Recording:
    names = [n for n in session["guests"] if isinstance(n, str) and n not in ("", ".", "..") and "/" not in n]
    metas = [json_object(path, f"{name}/guest.json") for name in names]
    started = _started(path, session)
    recorder = _recorder(session, path.name, started)
    unfinished = "in progress" if recorder is not None else "unfinished"
    statuses = Counter(str(meta.get("status", "?")) if meta is not None else unfinished for meta in metas)
    first = next((meta for meta in metas if meta is not None), None)
    kind = "demo" if options.get("command") == "demo" else "run"
    kernel = _kernel(first, options)
    return Recording(path, kind, started, kernel, len(names), statuses, disk_usage(path), recorder, _ours(path))


def _bench(path: Path, results: Mapping[str, Any]) -> Recording:
    statuses: Counter[str] = Counter()
    guests = 0
    cells_run = results.get("cells")
    for cell in cells_run if isinstance(cells_run, list) else []:
        summary = _mapping(_mapping(_mapping(cell).get("run")).get("summary"))
        for status, count in _mapping(summary.get("counts")).items():
            if isinstance(count, int) and count:
                statuses[str(status)] += count
        count = summary.get("guests")
        guests += count if isinstance(count, int) else 0
    started = _started(path, results)
    # the bench's process writes every cell's session: the newest cell says whether it still runs
    cells = [s for s in (json_object(c, "session.json") for c in _subdirectories(path / "cells")) if s is not None]
    newest = max(cells, key=lambda s: _epoch(s.get("started")) or 0.0, default=None)
    recorder = _recorder(newest, "", started) if newest is not None else None
    plan = _mapping(results.get("plan"))
    kernel = plan.get("kernel")
    name = kernel if isinstance(kernel, str) and kernel.startswith("--cmd") else Path(str(kernel or "?")).name
    return Recording(path, "bench", started, name, guests, statuses, disk_usage(path), recorder, _ours(path))


def _ours(path: Path) -> bool:
    """Marked as uktrace's; or a recording from before markers that only uktrace makes: named as
    `default_recording` names them, directly in the user's own base (0700, uktrace's)."""
    if is_marked(path):
        return True
    try:
        in_base = path.parent.resolve() == recordings_base().resolve()
    except OSError:
        return False
    return in_base and DEFAULT_NAME.fullmatch(path.name) is not None


def _kernel(meta: Mapping[str, Any] | None, options: Mapping[str, Any]) -> str:
    if options.get("cmd"):
        return f"--cmd {options['cmd']}"
    kernel = (meta or {}).get("kernel") or options.get("kernel") or str(TEST_GUEST)
    return Path(kernel).name if isinstance(kernel, str) else "?"


def _started(path: Path, document: Mapping[str, Any]) -> float:
    started = _epoch(document.get("started"))
    if started is not None:
        return started
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _recorder(session: Mapping[str, Any], name: str, started: float) -> int | None:
    """The pid of the uktrace process still recording: session.json's `recorder` if it ran in this
    boot of this host, lives, and began before the recording did (a pid reused later is not it).
    Recordings from before `recorder` have the pid in their default name only: that process must
    also name uktrace on its command line."""
    recorder = _mapping(session.get("recorder"))
    pid = recorder.get("pid")
    if isinstance(pid, int) and not isinstance(pid, bool):
        if recorder.get("boot_id") != boot_id():
            return None  # another machine or an earlier boot: its recorder is gone
        must_name_uktrace = False
    else:
        match = DEFAULT_NAME.fullmatch(name)
        if match is None:
            return None
        pid, must_name_uktrace = int(match[1]), True
    began = process_start(pid)
    if began is None or began > started + 1.0:
        return None
    if must_name_uktrace and b"uktrace" not in _command_line(pid):
        return None
    return pid


def process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), None when there is no such process."""
    if pid <= 0:
        return None
    found = proc_stat.read(pid)
    if found is None or found[proc_stat.STATE] == b"Z":
        return None  # no such process, or a zombie: it records nothing
    try:
        with open("/proc/stat") as system:
            boot = next(float(line.split()[1]) for line in system if line.startswith("btime "))
        return boot + int(found[proc_stat.START_TIME]) / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b"uktrace"  # unreadable: assume the worst, it may be recording


def disk_usage(path: Path) -> int:
    """Allocated bytes under `path`, links counted as themselves (never followed)."""
    try:
        total = os.lstat(path).st_blocks * 512
    except OSError:
        return 0
    for root, directories, files in os.walk(path, followlinks=False):
        for name in (*directories, *files):
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                continue  # gone meanwhile
    return total


def _subdirectories(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir() and not p.is_symlink()]
    except OSError:
        return []


def recorded_command(path: Path) -> list[str] | None:
    """The command line that made a recording, as recorded (session.json's `command`, a bench's in
    its results.json); None when neither names one."""
    for name in ("session.json", "results.json"):
        document = json_object(path, name)
        command = document.get("command") if document is not None else None
        if isinstance(command, list) and all(isinstance(word, str) for word in command):
            return command
    return None


def json_object(root: Path, relative: str) -> dict[str, Any] | None:
    """A recording's small JSON file (session.json, results.json, guest.json) as an object, its
    strings `shown`; None for a link, a FIFO, a huge, missing or unreadable file, or other JSON
    (read as `files` reads: inside its directory, a regular file, within the JSON limit)."""
    try:
        value = shown_json(load_json(read_file(root, relative, JSON_LIMIT)))
    except (OSError, RecordingError, JsonError):
        return None
    return value if isinstance(value, dict) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _epoch(value: object) -> float | None:
    """Epoch seconds that a date can show (a `started` of 1e300 is not one)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return float(value) if 0 < value <= LAST_EPOCH else None
