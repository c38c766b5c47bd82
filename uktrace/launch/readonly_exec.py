"""Run a program with DIR read-only for it: `python -I -S readonly_exec.py DIR -- PROGRAM ARGS...`.

Standard library only (started as a script, like `session_leader`): a private mount namespace
(`unshare(CLONE_NEWNS)`, every mount made private so nothing propagates back to the host), DIR
bound onto itself and remounted read-only, then exec: the program keeps this process, its pid and
its process group. Needs CAP_SYS_ADMIN, as the daemon it starts does. Mounts below DIR stay as
they are (a bind is not recursive in its read-only flag).
"""

from __future__ import annotations

import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        sys.stderr.write(f"readonly_exec: {what} failed: {os.strerror(error)}\n")
        sys.exit(126)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: readonly_exec.py DIR -- PROGRAM [ARGS...]\n")
        sys.exit(2)
    directory = os.path.realpath(argv[0]).encode()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making the mounts private")
    _check(libc.mount(directory, directory, None, MS_BIND, None), "bind mount")
    _check(libc.mount(None, directory, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), "read-only remount")
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
