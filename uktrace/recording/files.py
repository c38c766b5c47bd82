"""Reading a recording's files as untrusted input: recordings travel (bug reports, CI artifacts,
tarballs), so every file in one is from a stranger, like a tar archive's.

A file is read only when it is a regular file inside the recording: each path component is opened
relative to the one before it with `O_NOFOLLOW` (a symbolic link anywhere on the way is refused, so
nothing outside is reached, even through a linked guest directory), the file itself with
`O_NONBLOCK` (a FIFO cannot hang the open) and checked with `fstat` (a FIFO, a device or a socket is
refused), and no more than its limit is read (a huge or sparse file is refused, saying so). Names
come from the recording too: one that is absolute, empty or climbs (`..`) is refused before any
open. JSON is parsed with its nesting depth bounded and only finite numbers (`jsonfile`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..model.text import shown
from .record import RecordingError

MiB = 1 << 20
JSON_LIMIT = 16 * MiB
"""session.json, guest.json, results.json: far above any uktrace writes (a few KB per guest)."""
CONSOLE_LIMIT = 64 * MiB
"""console.raw: what a replay reads of it (the rest is said to be left out): a replay holds the
console and its records, about 4 bytes of memory a console byte, so at most about 256 MB."""
INDEX_LIMIT = 64 * MiB
"""chunks.tsv, firmware.tsv: about 20 bytes a read, so over three million reads."""
FIRMWARE_LIMIT = 1 * MiB
"""firmware.log: SeaBIOS says about 3.5 KB a boot; a firmware that says more is replayed this far."""
SYMBOLS_LIMIT = 64 * MiB
"""kernels/<sha256>.symbols: one line per function."""
TAIL_LIMIT = 4096
"""stderr.log: only its end is read (what a replay shows)."""


class RefusedFile(RecordingError):
    """A file of the recording not read, for a reason given (a link, a FIFO, too big, outside)."""


def checked_name(name: object, what: str = "name") -> str:
    """A single path component from a recording (a guest's directory): never absolute, empty,
    `.`, `..`, nor holding a separator or a NUL."""
    if not isinstance(name, str):
        raise RefusedFile(f"{what} is not a string")
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise RefusedFile(f"{what} {shown(name)!r} is not a name inside the recording")
    if shown(name) != name:
        raise RefusedFile(f"{what} {shown(name)!r} holds control characters (uktrace never names a guest so)")
    return name


def relative_parts(relative: str) -> list[str]:
    """`kernels/x.symbols` as its components, each `checked_name`; refused when absolute or climbing."""
    if not relative or relative.startswith("/"):
        raise RefusedFile(f"{relative!r}: not a path inside the recording")
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts:
        raise RefusedFile(f"{relative!r}: not a path inside the recording")
    for part in parts:
        checked_name(part, "path")
    return parts


@contextlib.contextmanager
def _opened(root: Path, relative: str) -> Iterator[int]:
    """A read-only descriptor of `root/relative`, a regular file reached without following any
    link below `root` (`root` itself is the directory the user named)."""
    parts = relative_parts(relative)
    flags = os.O_RDONLY | os.O_CLOEXEC
    try:
        directory = os.open(root, flags | os.O_DIRECTORY)
    except OSError as error:
        raise FileNotFoundError(error.errno, error.strerror, str(root)) from None
    try:
        for part in parts[:-1]:
            try:
                below = os.open(part, flags | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=directory)
            except OSError as error:
                raise _refusal(relative, error, directory, part) from None
            os.close(directory)
            directory = below
        try:
            fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=directory)
        except OSError as error:
            raise _refusal(relative, error, directory, parts[-1]) from None
    finally:
        os.close(directory)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RefusedFile(f"{relative}: {_kind(mode)}, not a regular file: not read")
        yield fd
    finally:
        os.close(fd)


def _refusal(relative: str, error: OSError, directory: int, part: str) -> Exception:
    """The error an open met, as a refusal when it was a link (ELOOP, ENOTDIR on a linked directory)."""
    try:
        info = os.lstat(part, dir_fd=directory)
    except OSError:
        return error  # absent: the caller says what is missing
    if stat.S_ISLNK(info.st_mode):
        return RefusedFile(f"{relative}: a symbolic link, not followed")
    if not stat.S_ISDIR(info.st_mode) and error.errno == errno.ENOTDIR:
        return RefusedFile(f"{relative}: {part} is {_kind(info.st_mode)}, not a directory")
    return error


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def read_file(root: Path, relative: str, limit: int) -> bytes:
    """The bytes of `root/relative` (see the module docstring), refused over `limit` bytes.

    Raises FileNotFoundError when absent, RefusedFile when refused, OSError otherwise."""
    with _opened(root, relative) as fd:
        size = os.fstat(fd).st_size
        if size > limit:
            raise RefusedFile(f"{relative}: {size:,} bytes, over the {limit:,}-byte limit: not read")
        data = bytearray()
        while len(data) <= limit:
            piece = os.read(fd, min(1 << 20, limit + 1 - len(data)))
            if not piece:
                break
            data += piece
        if len(data) > limit:  # grew while read
            raise RefusedFile(f"{relative}: over the {limit:,}-byte limit: not read")
        return bytes(data)


def read_head(root: Path, relative: str, limit: int) -> tuple[bytes, int]:
    """The first `limit` bytes of `root/relative` (as `read_file` opens it) and the file's size:
    a console longer than its limit is replayed as far as the limit."""
    with _opened(root, relative) as fd:
        size = os.fstat(fd).st_size
        data = bytearray()
        while len(data) < limit and (piece := os.read(fd, min(1 << 20, limit - len(data)))):
            data += piece
        return bytes(data), size


def read_tail(root: Path, relative: str, size: int = TAIL_LIMIT) -> bytes:
    """The last `size` bytes of `root/relative` (a file of any length: only its end is read)."""
    with _opened(root, relative) as fd:
        length = os.fstat(fd).st_size
        os.lseek(fd, max(0, length - size), os.SEEK_SET)
        return os.read(fd, size)


def is_directory(root: Path, name: str) -> bool:
    """Whether `root/name` is a directory of its own (a link to one is not)."""
    try:
        return stat.S_ISDIR(os.lstat(root / checked_name(name)).st_mode)
    except (OSError, RefusedFile):
        return False


def inside(root: Path, relative: object, what: str) -> Path:
    """`root/relative` for a path a recording names (a bench cell's recording): refused unless it
    stays inside `root` with no link on the way."""
    if not isinstance(relative, str):
        raise RefusedFile(f"{what} is not a path")
    parts = relative_parts(relative)
    path = root
    for part in parts:
        path = path / part
        try:
            info = os.lstat(path)
        except OSError:
            raise RefusedFile(f"{what} {relative!r}: no such directory in {root}") from None
        if stat.S_ISLNK(info.st_mode):
            raise RefusedFile(f"{what} {relative!r}: a symbolic link, not followed")
    if not stat.S_ISDIR(os.lstat(path).st_mode):
        raise RefusedFile(f"{what} {relative!r}: not a directory")
    return path


def read_named(path: Path, limit: int) -> bytes:
    """A file the user named on the command line (a link they made is theirs to follow): read
    only when it is a regular file within `limit` bytes. Raises as `read_file`."""
    resolved = path.resolve()
    return read_file(resolved.parent, resolved.name, limit)
