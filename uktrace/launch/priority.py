"""How the guests run below the tracer: in its session, at the scheduler's idle policy.

The tracer's event loop reads every console, stamps every line and answers the user's keys: if it
waits for a CPU, timestamps and keys wait too. Linux gives the tracer that CPU only if the guests
weigh little against it, and two things decide their weight:
- Scheduling groups. With `kernel.sched_autogroup_enabled` (most distributions) every session is a
  group, weighed against the others as a whole: a QEMU in a session of its own is a group as heavy
  as the tracer's, whatever its nice, and even at the lowest group nice (19) a hundred of them
  outweigh the tracer. So each QEMU keeps a process group of its own (signals reach it and what it
  forks, Ctrl-C in the terminal does not) inside the tracer's session: one group for all.
- Inside the group, each QEMU runs at `SCHED_IDLE` (`chrt --idle`), weight 3 against the tracer's
  1024, and is preempted at once when the tracer wakes; nice 19 as well, for a host that refuses
  the policy (checked once) and for `ps`.
Measured with 100 flooding guests on 2 cores (`benchmarks/ui_lag.py`): the event loop's thread
waited for a CPU 32-41 % of the storm with every QEMU in its own session at nice 18, 10-16 %
with this. The guests share what the tracer leaves (at least one CPU of two, as it runs one
thread), equally among themselves: their figures relative to each other do not change, and their
absolute boot times include the tracer's work, as they did before. `--guest-priority normal`
turns it off: QEMUs at the tracer's priority, in its session.
A `--tty` launcher needs a session of its own (the pty becomes its controlling terminal): its
session's group gets nice 19 (`/proc/PID/autogroup`, allowed for one's own processes) instead.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

GUEST_NICE = 19
CHRT = shutil.which("chrt")
NICE = shutil.which("nice")


def lowering_prefix(nice: int) -> tuple[list[str], bool]:
    """The commands that start a guest lowered (argv prefix), and whether it gets the idle policy."""
    prefix: list[str] = []
    idle = idle_policy_allowed()
    if idle:
        assert CHRT is not None
        prefix += [CHRT, "--idle", "0"]
    if NICE:
        prefix += [NICE, "-n", str(nice)]
    return prefix, idle


@functools.cache
def idle_policy_allowed() -> bool:
    """Whether this host lets a process take `SCHED_IDLE` (a container's seccomp profile may not):
    tried once on a throwaway `chrt --idle 0 true`, so a refusal never fails a guest."""
    if CHRT is None:
        return False
    try:
        done = subprocess.run(
            [CHRT, "--idle", "0", "true"], stdin=subprocess.DEVNULL, capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def set_session_nice(pid: int, nice: int) -> bool:
    """Lower the scheduling group of `pid`'s session, which `pid` must lead (never the tracer's own
    group); False where the kernel refuses or has no such groups (nothing else changes)."""
    try:
        if os.getsid(pid) != pid or os.getsid(pid) == os.getsid(0):
            return False
        with open(f"/proc/{pid}/autogroup", "w") as autogroup:
            autogroup.write(str(nice))
    except OSError:
        return False
    return True
