"""QEMU's version line for session.json, asked as soon as the command knows which QEMU it runs.

`qemu --version` takes ~20 ms (QEMU loading its libraries); asked when session.json is written, it
stood between the command's start and its first guest. Asked before the run's modules are
imported, it is answered on the other CPU meanwhile."""

from __future__ import annotations

import contextlib
import subprocess

TIMEOUT_S = 10.0
_asked: dict[str, subprocess.Popen[str]] = {}


def ask(qemu: str) -> None:
    """Start `qemu --version` now, for `answer` to collect (nothing if it cannot start)."""
    if qemu not in _asked:
        with contextlib.suppress(OSError):
            _asked[qemu] = _start(qemu)


def answer(qemu: str) -> str | None:
    """The first line of `qemu --version` (`QEMU emulator version 7.2.22 (Debian ...)`), or None."""
    try:
        process = _asked.pop(qemu, None) or _start(qemu)
    except OSError:
        return None
    try:
        stdout, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
    lines = stdout.strip().splitlines()
    return lines[0] if process.returncode == 0 and lines else None


def _start(qemu: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [qemu, "--version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
