"""Where a run's QMP sockets live: a short private directory, since a socket's path is short."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .leftovers import remove_leftovers, scratch_prefix

SOCKET_PATH_MAX = 107
"""Bytes in a Unix socket's path (`sun_path` is 108 with its NUL)."""


def socket_directory() -> Path:
    """A new 0700 directory for the QMP sockets (`uktrace-qmp-PID-*`), in $TMPDIR unless its path is too long for a
    socket's (under a long TMPDIR every run would fail with `AF_UNIX path too long`), then in /tmp."""
    longest = len("/uktrace-qmp-4194304-xxxxxxxx/100000.100.sock")
    for base in (tempfile.gettempdir(), "/tmp"):
        if len(os.fsencode(base)) + longest <= SOCKET_PATH_MAX:
            remove_leftovers(Path(base), "qmp")  # what runs killed with SIGKILL left
            return Path(tempfile.mkdtemp(prefix=scratch_prefix("qmp"), dir=base))
    raise OSError(errno.ENAMETOOLONG, "no directory short enough for a QMP socket")
