"""The 9P share per guest: one directory for all (`shared`) or a private copy each (`independent`)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

FS_MODES = ("shared", "independent")


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

    def for_guest(self, index: int) -> Path | None:
        if self.source is None or self.mode == "shared":
            return self.source
        if self._temporary is None:
            self._temporary = Path(tempfile.mkdtemp(prefix="uktrace-fs-"))
        copy = self._temporary / f"guest-{index}"
        try:
            shutil.copytree(self.source, copy, symlinks=True)
        except (OSError, shutil.Error) as error:
            raise ShareError(f"--fs {self.source}: cannot copy for guest {index}: {error}") from None
        return copy

    def cleanup(self) -> None:
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None
