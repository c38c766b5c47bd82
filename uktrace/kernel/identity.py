"""Which kernel a run booted, beyond its path: content hash, size, and the Unikraft release when
the image itself says which.

A path names a kernel only until it is rebuilt, moved or deleted; a recording keeps this identity
so a replay knows whether a file at the old path is still the kernel that ran. The release comes
from the image alone, or not at all: Unikraft 0.14+ carries it in `.uk_libinfo` (lib/uklibid:
the global header's UKFULLVERSION and UKCODENAME records); older images only as the strings the
boot prints (`Unikraft Calypso (0.17.0~...)`, the banner's `Tethys 0.5.0~...`). An image with
none, or with several different ones (the test guest prints four eras), has no known release.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from uktrace.parsers import UnikraftVersion

LIBINFO = ".uk_libinfo"
_LIBNAME, _UKVERSION, _UKFULLVERSION, _UKCODENAME = 0x0001, 0x0006, 0x0007, 0x0008
_LAYOUT = 1
_HEADER = 6
"""`struct uk_libid_info_hdr` (u32 len, u16 version) and `_rec` (u16 type, u32 len) are 6 bytes each."""

_VERSION = rb"(\d+\.\d+(?:\.\d+)?(?:~[0-9A-Za-z]+)?(?:-custom)?)"
_STRINGS = (
    re.compile(rb"Unikraft ([A-Z][a-z]+) \(" + _VERSION + rb"\)"),
    # a banner's last line, `STRINGIFY(UK_CODENAME) " " STRINGIFY(UK_FULLVERSION)`: a whole C string,
    # and only with the git sha (`Foo 1.2` alone could be any library's string)
    re.compile(rb"(?<=\0) *([A-Z][a-z]+) (\d+\.\d+\.\d+~[0-9a-f]{7,40}(?:-custom)?)(?=\0)"),
)
_Order = Literal["little", "big"]
_SPLIT = re.compile(r"(?P<version>\d+\.\d+(?:\.\d+)?)(?:~(?P<sha>[0-9A-Za-z]+))?(?P<custom>-custom)?")


@dataclass(frozen=True, slots=True)
class KernelImage:
    """One kernel file's identity."""

    sha256: str
    size: int
    unikraft: UnikraftVersion | None


MAX_IMAGE = 1 << 30
"""The largest kernel image hashed (1 GiB; a Unikraft image is a few MB): a path naming a huge or
sparse file is refused, not read whole."""


def identify(kernel: Path, limit: int = MAX_IMAGE) -> KernelImage:
    """Hash `kernel` and look for its Unikraft release (raises OSError when it cannot be read, or is
    not a regular file, or is larger than `limit` bytes: a FIFO, a device or a huge file is not hashed)."""
    digest = hashlib.sha256()
    size = 0
    fd = os.open(kernel, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(kernel))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"{info.st_size:,} bytes, over the {limit:,}-byte limit", str(kernel))
        while size <= limit and (chunk := file.read(1 << 20)):
            digest.update(chunk)
            size += len(chunk)
    return KernelImage(digest.hexdigest(), size, unikraft_release(kernel))


def unikraft_release(kernel: Path) -> UnikraftVersion | None:
    """The release the image names (`.uk_libinfo`, else one version string in its read-only data)."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with kernel.open("rb") as file:
            elf = ELFFile(file)
            libinfo = elf.get_section_by_name(LIBINFO)
            if libinfo is not None:
                found = libinfo_release(libinfo.data(), elf.little_endian)
                if found is not None:
                    return found
            # strings live in allocated, non-executable sections (.rodata and friends)
            data = b"\0".join(
                section.data()
                for section in elf.iter_sections()
                if section["sh_type"] == "SHT_PROGBITS" and section["sh_flags"] & 0x2 and not section["sh_flags"] & 0x4
            )
    except (OSError, ELFError, ValueError):
        return None
    return string_release(b"\0" + data + b"\0")


def libinfo_release(data: bytes, little_endian: bool = True) -> UnikraftVersion | None:
    """The release in a `.uk_libinfo` section: the header without a library name is Unikraft's own."""
    order: _Order = "little" if little_endian else "big"
    at = 0
    while at + _HEADER <= len(data):
        length = int.from_bytes(data[at : at + 4], order)
        if length < _HEADER or at + length > len(data):
            return None  # not the layout we know: say nothing rather than guess
        if int.from_bytes(data[at + 4 : at + 6], order) == _LAYOUT:
            records = _records(data[at + _HEADER : at + length], order)
            version = records.get(_UKFULLVERSION) or records.get(_UKVERSION)
            if _LIBNAME not in records and version:
                return _release(version, records.get(_UKCODENAME, ""))
        at += length
    return None


def _records(data: bytes, order: _Order) -> dict[int, str]:
    """Record type to its text (C strings; a binary record reads as garbage, never used)."""
    records: dict[int, str] = {}
    at = 0
    while at + _HEADER <= len(data):
        kind = int.from_bytes(data[at : at + 2], order)
        length = int.from_bytes(data[at + 2 : at + 6], order)
        if length < _HEADER or at + length > len(data):
            break
        records.setdefault(kind, data[at + _HEADER : at + length].split(b"\0", 1)[0].decode("ascii", "replace"))
        at += length
    return records


def string_release(data: bytes) -> UnikraftVersion | None:
    """The one release named by version strings in `data`; None for none or several."""
    found = {
        _release(match[2].decode("ascii"), match[1].decode("ascii"))
        for pattern in _STRINGS
        for match in pattern.finditer(data)
    }
    found.discard(None)
    return found.pop() if len(found) == 1 else None


def _release(full: str, codename: str) -> UnikraftVersion | None:
    match = _SPLIT.fullmatch(full.strip())
    if match is None:
        return None
    sha = match["sha"]
    if match["custom"]:
        sha = f"{sha or ''}-custom"
    return UnikraftVersion(version=match["version"], codename=codename.strip(), sha=sha)
