"""The path of `readonly_exec.py`, which runs a program with one directory made read-only for it.

QEMU's C virtiofsd has no read-only switch: uktrace starts it through this script, in a mount
namespace of its own where the share is bound read-only onto itself, so no guest can change the
user's files without `--fs-rw` (as QEMU's `readonly=on` does for 9P).
"""

from __future__ import annotations

from pathlib import Path

READONLY_EXEC = Path(__file__).with_name("readonly_exec.py")
