"""Recording a run to disk, byte-exact, so it can be replayed and re-parsed later.

Layout of a recording directory:
    session.json             uktrace version, command line, options, guest names
    <guest>/console.raw      every console byte, as received
    <guest>/chunks.tsv       one line per read: byte offset, host ns since spawn
    <guest>/stderr.log       QEMU's stderr
    <guest>/firmware.log     SeaBIOS's debug console (port 0x402), when QEMU was built here
    <guest>/guest.json       argv, accelerator, host timings, exit status, final status
Every run writes one (a temporary directory unless `--record DIR`), so no console byte is lost.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__


def default_run_dir() -> Path:
    base = Path(os.environ.get("TMPDIR", tempfile.gettempdir())) / "uktrace"
    return base / time.strftime(f"run-%Y%m%d-%H%M%S-{os.getpid()}")


class RecordingError(Exception):
    """The recording directory cannot be written or read; the message says why."""


def start_session(directory: Path, command: list[str], options: dict[str, Any], names: list[str]) -> None:
    """Create `directory` and write its session.json."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.joinpath(name).exists() for name in names):
            raise RecordingError(f"{directory}: already holds a recording; choose an empty directory")
        session = {"uktrace": __version__, "started": time.time(), "command": command, "options": options}
        _write_json(directory / "session.json", session | {"guests": names})
    except OSError as error:
        raise RecordingError(f"{directory}: cannot write the recording ({error.strerror})") from None


class GuestRecorder:
    """Appends one guest's console and stderr as they arrive; `finish` writes its metadata."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._console: BinaryIO = (directory / "console.raw").open("wb")
        self._chunks = (directory / "chunks.tsv").open("w", encoding="ascii")
        self._stderr: BinaryIO = (directory / "stderr.log").open("wb")
        self._firmware: BinaryIO | None = None
        self._offset = 0

    def console(self, data: bytes, since_spawn_ns: int) -> None:
        self._console.write(data)
        self._chunks.write(f"{self._offset}\t{since_spawn_ns}\n")
        self._offset += len(data)

    def stderr(self, data: bytes) -> None:
        self._stderr.write(data)

    def firmware(self, data: bytes) -> None:
        if self._firmware is None:
            self._firmware = (self.directory / "firmware.log").open("wb")
        self._firmware.write(data)

    def finish(self, meta: dict[str, Any]) -> None:
        """Flush everything and write guest.json; safe to call once, at the end."""
        for file in (self._console, self._chunks, self._stderr, self._firmware):
            if file is not None:
                file.close()
        _write_json(self.directory / "guest.json", meta)


@dataclass(frozen=True, slots=True)
class RecordedGuest:
    """One guest read back from a recording."""

    name: str
    directory: Path
    chunks: list[tuple[int, bytes]]
    """(host ns since spawn, bytes) in arrival order."""
    meta: dict[str, Any]


def read_guest(directory: Path) -> RecordedGuest:
    try:
        data = (directory / "console.raw").read_bytes()
        index = [tuple(map(int, line.split("\t"))) for line in (directory / "chunks.tsv").read_text().splitlines()]
    except (OSError, ValueError) as error:
        raise RecordingError(f"{directory}: not a readable guest recording ({error})") from None
    try:
        meta = json.loads((directory / "guest.json").read_text())
    except (OSError, ValueError):
        meta = {}  # interrupted before the end: the console is still complete up to there
    ends = [offset for offset, _ in index[1:]] + [len(data)]
    chunks = [(ns, data[offset:end]) for (offset, ns), end in zip(index, ends, strict=True)]
    return RecordedGuest(directory.name, directory, chunks, meta)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=2, default=str) + "\n")
    temporary.replace(path)
