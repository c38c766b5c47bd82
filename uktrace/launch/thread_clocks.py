"""A process's threads' scheduler clocks, read at each phase change without listing /proc each time.

Each reading is every thread's nanoseconds on a CPU and waiting for one (`/proc/PID/task/TID/
schedstat`). Listing the task directory and opening each file at every phase change cost ~100 µs
a reading on a loaded host (1,000 readings at 100 guests: a tenth of uktrace's CPU while they
booted); here each file is opened once and read again in place (`pread`), and the task directory
is listed again only when the thread count (`/proc/PID/stat`) changed or a thread's file failed.
"""

from __future__ import annotations

import contextlib
import os

from ..recording import proc_stat

SCHEDSTAT_SIZE = 128
STAT_SIZE = 1024


class ThreadClocks:
    """Open files on one process's /proc entries; `close` them with the process."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._stat: int | None = None
        self._threads: dict[str, int] = {}

    def read(self) -> dict[str, tuple[int, int]] | None:
        """Each thread's (ns on a CPU, ns waiting for one) by thread id; None when the process is
        gone or its threads cannot be read. Raises FileNotFoundError without schedstat (a
        kernel built without it), as the first open of a thread's file does."""
        count = self._thread_count()
        if count is None:
            return None
        readings = self._read_all() if count == len(self._threads) else None
        if readings is None:
            self._rescan()
            readings = self._read_all()
        return readings

    def _thread_count(self) -> int | None:
        try:
            if self._stat is None:
                self._stat = os.open(f"/proc/{self._pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
            return int(proc_stat.fields(os.pread(self._stat, STAT_SIZE, 0))[proc_stat.NUM_THREADS])
        except (OSError, ValueError, IndexError):
            return None

    def _read_all(self) -> dict[str, tuple[int, int]] | None:
        readings = {}
        try:
            for tid, fd in self._threads.items():
                fields = os.pread(fd, SCHEDSTAT_SIZE, 0).split()
                readings[tid] = (int(fields[0]), int(fields[1]))
        except (OSError, ValueError, IndexError):  # a thread ended (ESRCH) since the last listing
            return None
        return readings or None

    def _rescan(self) -> None:
        try:
            tids = set(os.listdir(f"/proc/{self._pid}/task"))
        except FileNotFoundError:
            raise
        except OSError:
            tids = set()
        for tid in set(self._threads) - tids:
            with contextlib.suppress(OSError):
                os.close(self._threads.pop(tid))
        for tid in tids - set(self._threads):
            try:
                self._threads[tid] = os.open(f"/proc/{self._pid}/task/{tid}/schedstat", os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                if not os.path.isdir(f"/proc/{self._pid}/task/{tid}"):
                    continue  # the thread ended meanwhile
                raise  # the kernel has no schedstat
            except OSError:
                continue

    def close(self) -> None:
        for fd in [*self._threads.values(), *([self._stat] if self._stat is not None else [])]:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._threads.clear()
        self._stat = None
