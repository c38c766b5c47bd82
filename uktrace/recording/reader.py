"""The one reader of recordings: replay, export, compare, blame, `recordings` and the home screen
all read a recording's session and guests through it, as untrusted input.

Files are opened inside the recording only, regular files only, within limits (`files`); JSON is
parsed with bounded depth and finite numbers (`model.json_input`) and each field checked against
its table (`schema`). What is unsound becomes one line in `problems` (`guest-3: guest.json:
host: spawn_ns is not a time in ns`) and the rest is replayed; a recording of a newer format than
this uktrace knows is refused, naming both versions.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.json_input import JsonError, load_json
from .files import (
    CONSOLE_LIMIT,
    FIRMWARE_LIMIT,
    INDEX_LIMIT,
    JSON_LIMIT,
    RefusedFile,
    checked_name,
    is_directory,
    read_file,
    read_head,
    read_tail,
)
from .record import FORMAT, RecordingError
from .schema import HOST_TIMES, clean_guest, clean_session

MAX_SPAN_NS = 7 * 86400 * 10**9
"""The longest a guest's host times may spread from its spawn (a week): a time beyond is dropped,
so a crafted `exit_ns` cannot make a replay last for ever."""


@dataclass(frozen=True, slots=True)
class RecordedGuest:
    """One guest read back from a recording."""

    name: str
    directory: Path
    chunks: list[tuple[int, bytes]]
    """(host ns since spawn, bytes) in arrival order."""
    meta: dict[str, Any]
    """guest.json's sound fields (`schema.GUEST`, `host` as `schema.HOST`)."""
    missing: tuple[str, ...] = ()
    """What a partial recording lacks (uktrace killed, a full disk, a QEMU that never started)."""
    problems: tuple[str, ...] = ()
    """What was refused or unsound, one line each (`guest-3: guest.json: ...`)."""
    stderr: bytes = b""
    """The end of QEMU's stderr (`files.TAIL_LIMIT` bytes)."""
    firmware: tuple[tuple[int, bytes], ...] = ()
    """The firmware's debug console (`--firmware-timing`), as `chunks` are: (host ns since spawn,
    bytes) per read; empty without it, or when recorded before its reads were timed."""


@dataclass(frozen=True, slots=True)
class Session:
    """A recording's session.json, as far as it is sound."""

    directory: Path
    document: dict[str, Any]
    """The sound fields (`schema.SESSION`, `options` as `schema.OPTIONS`, `guests` as listed)."""
    names: list[str]
    """The guests' names that are names inside the recording, in order, once each."""
    problems: list[str] = field(default_factory=list)

    @property
    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = self.document.get("options", {})
        return options


def tell(problems: list[str], source: str) -> None:
    """Say on stderr, one line each, what a command reading a recording or JSON input left out
    (`replay` lists them itself); the output made of the rest is sound."""
    for line in problems:
        print(f"uktrace: {source}: {line} (left out)", file=sys.stderr)


def read_json_file(root: Path, relative: str, problems: list[str], where: str) -> Any:
    """A JSON file of the recording; None (and a line in `problems`) when refused or unsound,
    None alone when absent."""
    try:
        return load_json(read_file(root, relative, JSON_LIMIT))
    except FileNotFoundError:
        return None
    except RefusedFile as error:
        problems.append(f"{where}: {error}")
    except JsonError as error:
        problems.append(f"{where}: {relative}: {error}")
    except OSError as error:
        problems.append(f"{where}: {relative}: {error.strerror}")
    return None


def read_session(directory: Path) -> Session:
    """`directory`'s session.json, or RecordingError when there is none to read or it is of a
    newer format."""
    problems: list[str] = []
    try:
        data = read_file(directory, "session.json", JSON_LIMIT)
    except FileNotFoundError:
        raise RecordingError(f"{directory}: not a uktrace recording (no session.json)") from None
    except RefusedFile as error:
        raise RecordingError(f"{directory}: {error}") from None
    except OSError as error:
        raise RecordingError(f"{directory}: unreadable session.json ({error.strerror})") from None
    try:
        document = load_json(data)
    except JsonError as error:
        raise RecordingError(f"{directory}: session.json: {error}") from None
    if not isinstance(document, dict):
        raise RecordingError(f"{directory}: session.json is not an object")
    version = document.get("format", 1)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT:
        raise RecordingError(
            f"{directory}: recording format {version}, newer than this uktrace reads (up to {FORMAT}): "
            "a newer uktrace made it"
        )
    session = clean_session(document, "session.json", problems)
    names: list[str] = []
    for name in session.get("guests", []):
        try:
            checked = checked_name(name, "guest")
        except RefusedFile as error:
            problems.append(f"session.json: {error}")
            continue
        if checked not in names:
            names.append(checked)
    return Session(directory, session, names, problems)


def read_guest(root: Path, name: str | None = None) -> RecordedGuest:
    """Guest `name` of the recording in `root` (or the guest directory `root` alone), as much of it
    as is there and sound: a recording cut short (uktrace killed, a full disk, a QEMU that never
    started) is read up to where it stops, and `missing` says what is not there. Only a guest
    that is no directory of the recording is refused."""
    if name is None:
        root, name = root.parent, root.name
    checked_name(name, "guest")
    if not is_directory(root, name):
        raise RecordingError(f"{root / name}: not a guest recording (no such directory, or a link)")
    missing: list[str] = []
    problems: list[str] = []
    data, cut = _read_console(root, name, missing, problems)
    index = _read_index(_read(root, f"{name}/chunks.tsv", INDEX_LIMIT, missing, problems, name), missing)
    document = read_json_file(root, f"{name}/guest.json", problems, name)
    meta = clean_guest(document, f"{name}: guest.json", problems) if document is not None else {}
    if document is None:
        missing.append("guest.json (how the guest ended)")  # interrupted: the console is still complete up to there
    _bound_times(meta, name, problems)
    beyond = [entry for entry in index if entry[0] > len(data) or (cut and entry[0] == len(data))]
    if beyond and cut:
        index = index[: len(index) - len(beyond)]  # past the limit: said once, by `_read_console`
    elif beyond:
        missing.append(f"console bytes from offset {len(data)} on ({len(beyond)} chunks indexed, not stored)")
        index = index[: len(index) - len(beyond)]
    if data and not index:
        # the bytes without their times: one chunk, at the first byte when guest.json knows it
        host = meta.get("host", {})
        first, spawn = host.get("first_byte_ns"), host.get("spawn_ns")
        at = first - spawn if isinstance(first, int) and isinstance(spawn, int) and first >= spawn else 0
        index = [(0, at)]
        missing.append("the chunks' times: the console replays as one chunk")
    elif index and index[0][0] > 0:
        index[0] = (0, index[0][1])  # bytes before the first indexed chunk arrived with it
    chunks = _cut(data, index)
    try:
        stderr = read_tail(root, f"{name}/stderr.log")
    except FileNotFoundError:
        stderr = b""
    except (RefusedFile, OSError) as error:
        problems.append(f"{name}: {error}")
        stderr = b""
    firmware = _read_firmware(root, name, missing, problems)
    return RecordedGuest(name, root / name, chunks, meta, tuple(missing), tuple(problems), stderr, firmware)


def _cut(data: bytes, index: list[tuple[int, int]]) -> list[tuple[int, bytes]]:
    """`data` cut at the offsets of `index` (its first at 0, none beyond `data`): (ns, bytes) per read."""
    ends = [offset for offset, _ in index[1:]] + [len(data)]
    return [(ns, data[offset:end]) for (offset, ns), end in zip(index, ends[: len(index)], strict=True)]


def _read_firmware(root: Path, name: str, missing: list[str], problems: list[str]) -> tuple[tuple[int, bytes], ...]:
    """firmware.log cut at its reads (firmware.tsv): nothing when the run had no `--firmware-timing`,
    or was recorded before the reads were timed (its bytes without times would name no part)."""
    absent: list[str] = []
    index_data = _read(root, f"{name}/firmware.tsv", INDEX_LIMIT, absent, problems, name)
    if not index_data:
        return ()
    try:
        data, size = read_head(root, f"{name}/firmware.log", FIRMWARE_LIMIT)
    except FileNotFoundError:
        missing.append("firmware.log (its reads are indexed, the bytes are not there)")
        return ()
    except (RefusedFile, OSError) as error:
        problems.append(f"{name}: {error}")
        return ()
    if size > len(data):
        problems.append(f"{name}: firmware.log: {size:,} bytes: only the first {len(data):,} replayed (the limit)")
    index = [entry for entry in _read_index(index_data, missing, "firmware.tsv") if entry[0] < len(data)]
    if not index:
        return ()
    index[0] = (0, index[0][1])
    return tuple(_cut(data, index))


def read_meta(directory: Path) -> dict[str, Any] | None:
    """The sound fields of a guest directory's guest.json; None when it has none to read."""
    problems: list[str] = []
    document = read_json_file(directory.parent, f"{directory.name}/guest.json", problems, directory.name)
    return None if document is None else clean_guest(document, "guest.json", problems)


def _bound_times(meta: dict[str, Any], name: str, problems: list[str]) -> None:
    """Drop the host times beyond `MAX_SPAN_NS` of the spawn (each a line in `problems`)."""
    host = meta.get("host", {})
    spawn = host.get("spawn_ns")
    if spawn is None:
        return
    for key in HOST_TIMES[1:]:
        at = host.get(key)
        if at is not None and abs(at - spawn) > MAX_SPAN_NS:
            problems.append(f"{name}: guest.json: host: {key} is {(at - spawn) / 1e9:.3g} s from the spawn: ignored")
            host[key] = None


def _read_console(root: Path, name: str, missing: list[str], problems: list[str]) -> tuple[bytes, bool]:
    """console.raw up to `CONSOLE_LIMIT` bytes, and whether it was cut there (said in `problems`)."""
    try:
        data, size = read_head(root, f"{name}/console.raw", CONSOLE_LIMIT)
    except FileNotFoundError:
        missing.append("console.raw")
        return b"", False
    except RefusedFile as error:
        problems.append(f"{name}: {error}")
        return b"", False
    except OSError as error:
        missing.append(f"console.raw ({error.strerror})")
        return b"", False
    if size > len(data):
        problems.append(f"{name}: console.raw: {size:,} bytes: only the first {len(data):,} replayed (the limit)")
        return data, True
    return data, False


def _read(root: Path, relative: str, limit: int, missing: list[str], problems: list[str], name: str) -> bytes:
    try:
        return read_file(root, relative, limit)
    except FileNotFoundError:
        missing.append(relative.rsplit("/", 1)[-1])
    except RefusedFile as error:
        problems.append(f"{name}: {error}")
    except OSError as error:
        missing.append(f"{relative.rsplit('/', 1)[-1]} ({error.strerror})")
    return b""


def _read_index(data: bytes, missing: list[str], file: str = "chunks.tsv") -> list[tuple[int, int]]:
    """`offset<TAB>ns` lines of `file`, in order, up to the first that is not one (a write cut
    short); a time beyond `MAX_SPAN_NS` after the spawn ends it too."""
    lines = data.decode("ascii", "replace").splitlines()
    index: list[tuple[int, int]] = []
    for number, line in enumerate(lines):
        fields = line.split("\t")
        try:
            offset, ns = int(fields[0]), int(fields[1])
        except (ValueError, IndexError):
            offset, ns = -1, 0
        if len(fields) != 2 or offset < 0 or not 0 <= ns <= MAX_SPAN_NS or (index and offset < index[-1][0]):
            missing.append(f"{file} from line {number + 1} of {len(lines)} (unreadable)")
            break
        index.append((offset, ns))
    return index
