"""What a killed run left in a temporary directory, found by name and removed by the next run.

A run names its scratch directories `uktrace-KIND-PID-RANDOM` (share copies, QMP sockets) and
removes them when it ends, however it ends short of SIGKILL. A directory of this user's whose
run is gone (no such process, or a newer process that reuses the pid: it began after the
directory was last changed) is a leftover.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..recording.inventory import process_start


def scratch_pattern(kind: str) -> re.Pattern[str]:
    """`uktrace-KIND-PID-RANDOM`, the pid as group 1."""
    return re.compile(rf"uktrace-{re.escape(kind)}-(\d+)-\w+")


def scratch_prefix(kind: str) -> str:
    """The mkdtemp prefix of this run's directory of `kind`."""
    return f"uktrace-{kind}-{os.getpid()}-"


def remove_leftovers(base: Path, kind: str) -> list[Path]:
    """The `kind` directories in `base` that killed runs left: removed, and returned."""
    pattern = scratch_pattern(kind)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        started = process_start(int(match[1]))
        # still its run's: that process lives and began before the directory changed last
        if info.st_uid != os.getuid() or (started is not None and started <= info.st_mtime + 1):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(Path(entry.path))
    return removed
