"""A watchdog that outlives uktrace: it kills the process groups of `--cmd` launchers if uktrace
dies without stopping them (SIGKILL, a crash).

QEMU itself runs under `setpriv --pdeathsig KILL`, but a launcher (`kraft run`, a script) forks
its QEMU, and the parent-death signal reaches only the launcher. The watchdog is a small Python
process in its own session, told each guest's process group as it starts and ends; when its
standard input closes without the word `done`, uktrace is gone, and it kills what is left.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys

SCRIPT = """
import os, signal, sys
groups = set()
for line in sys.stdin:
    word = line.strip()
    if word == "done":
        sys.exit(0)
    if word.startswith("-"):
        groups.discard(int(word[1:]))
    elif word:
        groups.add(int(word))
for group in groups:
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
"""


class GroupWatchdog:
    """Started once per run; `add` and `remove` each guest's process group (its pid)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # not in the terminal's process group: Ctrl-C is not for it
            close_fds=True,
            text=True,
        )

    def _say(self, word: str) -> None:
        stdin = self._process.stdin
        if stdin is None:
            return
        with contextlib.suppress(OSError, ValueError):
            stdin.write(word + "\n")
            stdin.flush()

    def add(self, group: int) -> None:
        self._say(str(group))

    def remove(self, group: int) -> None:
        self._say(f"-{group}")

    def close(self) -> None:
        """uktrace stopped every guest itself: the watchdog ends without killing anything."""
        self._say("done")
        with contextlib.suppress(OSError, ValueError):
            if self._process.stdin is not None:
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
