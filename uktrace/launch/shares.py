"""The 9P share per guest: one directory for all (`shared`) or a private copy each (`independent`).

Copies live in `$TMPDIR/uktrace-fs-PID-*`: a run removes its own when it ends, however it ends
short of SIGKILL, and the next run removes what a killed one left (a directory of this user's
whose process is gone). Before copying, the space the copies need is checked, so a run never
fills the disk it shares with everything else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .leftovers import remove_leftovers, scratch_prefix

FS_MODES = ("shared", "independent")
SPACE_MARGIN = 1.1
"""The copies' size times this must fit in the free space: a tenth is left for everything else."""

Progress = Callable[[int, int, float], None]
"""(copies done, copies in all, seconds so far): called after each copy."""


class ShareError(Exception):
    """The share directory is missing or cannot be copied."""


def check_share(directory: Path) -> Path:
    if not directory.exists():
        raise ShareError(f"--fs {directory}: no such directory")
    if not directory.is_dir():
        raise ShareError(f"--fs {directory}: not a directory")
    return directory.resolve()


class Shares:
    """Prepares the directory each guest shares, and removes the copies afterwards."""

    def __init__(self, source: Path | None, mode: str) -> None:
        self.source = source
        self.mode = mode
        self._temporary: Path | None = None
        self._copies: list[Path] = []

    def prepare(self, count: int, progress: Progress | None = None) -> None:
        """Make every guest's copy now (independent mode), after checking there is room; on any
        failure or interrupt, what was copied is removed before the error goes on."""
        if self.source is None or self.mode == "shared":
            return
        remove_abandoned_copies()
        base = Path(tempfile.gettempdir())
        need = tree_size(self.source) * count
        free = shutil.disk_usage(base).free
        if need * SPACE_MARGIN > free:
            raise ShareError(
                f"--fs {self.source}: {count} copies need {_size(need)}, {base} has {_size(free)} free; "
                "use fewer guests, --fs-mode shared, or TMPDIR on a larger disk"
            )
        started = time.monotonic()
        try:
            self._temporary = Path(tempfile.mkdtemp(prefix=scratch_prefix("fs"), dir=base))
            for index in range(count):
                copy = self._temporary / f"guest-{index}"
                try:
                    shutil.copytree(self.source, copy, symlinks=True)
                except shutil.Error as error:
                    raise ShareError(f"--fs {self.source}: cannot copy for guest {index}: {_first(error)}") from None
                except OSError as error:
                    raise ShareError(
                        f"--fs {self.source}: cannot copy for guest {index}: {error.strerror or error}"
                    ) from None
                self._copies.append(copy)
                if progress is not None:
                    progress(index + 1, count, time.monotonic() - started)
        except BaseException:
            self.cleanup()
            raise

    def for_guest(self, index: int) -> Path | None:
        if self.source is None or self.mode == "shared":
            return self.source
        if index >= len(self._copies):
            raise ShareError(f"--fs {self.source}: no copy prepared for guest {index}")
        return self._copies[index]

    def cleanup(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
        self._copies.clear()


def tree_size(directory: Path) -> int:
    """Bytes of the regular files under `directory` (links not followed): what a copy takes."""
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += info.st_size
    return total


def remove_abandoned_copies(base: Path | None = None) -> list[Path]:
    """Copies a killed run left (this user's, their process gone): removed, and returned."""
    return remove_leftovers(base or Path(tempfile.gettempdir()), "fs")


def _first(error: shutil.Error) -> str:
    """shutil.Error carries a list of (source, destination, why): the first, and how many more."""
    problems = error.args[0] if error.args and isinstance(error.args[0], list) else []
    if not problems:
        return str(error)
    source, _, why = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{source}: {why}{more}"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = float(count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            break
    return f"{value:.1f} {unit}"
