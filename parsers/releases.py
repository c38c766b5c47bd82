"""What a Unikraft release prints at which level, and the Kconfig option that makes it print more,
as one table: the hints uktrace gives name the option of the release the console came from.

    0.2 - 0.20   lib/ukdebug: level choice `LIBUKDEBUG_PRINTK_{INFO,WARN,ERR,CRIT}` (ERR is the
                 default), every `uk_pr_debug` behind `LIBUKDEBUG_PRINTD`
    0.21+        lib/ukprint: one choice `LIBUKPRINT_KLVL_{DEBUG,INFO,WARN,ERR,CRIT}` (ERR is
                 the default; lib/ukprint/Config.uk), DEBUG prints every level

0.20 replaced the VFS stack: lib/posix-vfs-fstab mounts the volumes with dbg lines only
(fstab.c: `Mounting from built-in fstab (%zu entries)...`), Info keeps only `Extracting initrd
%s @ %p (%zu bytes) to %s...`; below debug level the mount is not on the console at all.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Printing(NamedTuple):
    since: tuple[int, int]
    """The first release with these options."""
    info: str
    """The option that prints the Info lines (every phase marker)."""
    debug: str
    """The option that prints the dbg lines (call lines, 9P handshake, 0.20+ mounts)."""


PRINTING: tuple[Printing, ...] = (
    Printing((0, 2), "CONFIG_LIBUKDEBUG_PRINTK_INFO=y", "CONFIG_LIBUKDEBUG_PRINTD=y"),
    Printing((0, 21), "CONFIG_LIBUKPRINT_KLVL_INFO=y", "CONFIG_LIBUKPRINT_KLVL_DEBUG=y"),
)
"""Oldest first: a release uses the last row it is not older than."""

DEBUG_ONLY_MOUNT = (0, 20)
"""The first release whose mounts are dbg lines only (lib/posix-vfs-fstab)."""


def release(version: str | None) -> tuple[int, int] | None:
    """`(0, 21)` of `0.21.0~abc`; None when unknown."""
    match = re.match(r"(\d+)\.(\d+)", version or "")
    return None if match is None else (int(match[1]), int(match[2]))


def printing(version: str | None) -> Printing | None:
    """The printing options of `version`; None when the release is unknown."""
    found = release(version)
    if found is None:
        return None
    rows = [row for row in PRINTING if row.since <= found]
    return rows[-1] if rows else PRINTING[0]


def info_option(version: str | None) -> str:
    """The option that prints a kernel's phase markers (both names when the release is unknown)."""
    row = printing(version)
    if row is None:
        return f"{PRINTING[0].info} ({PRINTING[-1].info} on 0.21+)"
    return row.info


def mount_hidden(version: str | None) -> bool:
    """Whether `version` prints its mounts at debug level only."""
    found = release(version)
    return found is not None and found >= DEBUG_ONLY_MOUNT


def hidden_mount_note(version: str | None) -> str | None:
    """What to say of a console of `version` without dbg lines and without a mount: on 0.20+ the
    mount is invisible at that level, and which option shows it; None on older releases."""
    row = printing(version)
    if row is None or not mount_hidden(version):
        return None
    return (
        f"mount: not on the console at this level (Unikraft {version} logs mounts at debug level only):"
        f" build with {row.debug} to see it"
    )
