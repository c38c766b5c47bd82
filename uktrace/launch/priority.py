"""How far below the tracer the guests run: together they weigh about twice what uktrace does.

Each QEMU runs in its own session, and with `kernel.sched_autogroup_enabled` (most distributions)
each session is a scheduling group that competes with uktrace's group as an equal: a hundred
guests leave the tracer 1 % of the CPU, and its event loop (consoles, timestamps, keys) lags by
seconds. A group's nice value sets its weight (the kernel's `sched_prio_to_weight`): the guests'
nice is chosen so that all of them together weigh at most `FLEET_WEIGHT`, twice the tracer's.
The tracer then gets at least a third of a CPU whenever it wants one, however many guests run,
and guests still share the rest equally among themselves: their figures relative to each other
do not change. One or two guests keep nice 0 (they cannot crowd the tracer out); a hundred get
nice 18, which also means other busy programs on the host come before them.
"""

from __future__ import annotations

WEIGHTS = (1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15)
"""The Linux scheduler's weight of nice 0 to 19 (kernel/sched/core.c, `sched_prio_to_weight`)."""
FLEET_WEIGHT = 2 * WEIGHTS[0]


def guest_nice(concurrency: int) -> int:
    """The nice value for each of `concurrency` guests running at once (0 to 19)."""
    for nice, weight in enumerate(WEIGHTS):
        if max(1, concurrency) * weight <= FLEET_WEIGHT:
            return nice
    return len(WEIGHTS) - 1
