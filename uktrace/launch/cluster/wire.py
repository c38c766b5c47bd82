"""What a node's actor streams back per guest: numbered, stamped events, sent in batches.

Every event of a guest carries the next number of one sequence, so the client proves that nothing
was lost between QEMU's pipe and its parser (a gap is counted, never hidden). Stamps are the node's
`time.monotonic_ns()` when the bytes were read there; the client converts them with the node's
measured clock offset. A NamedTuple pickles small and fast: a batch is a plain list of them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

SPAWNED = "spawned"
"""payload: {"pid", "argv", "nice"}; the stamp is the spawn."""
CONSOLE = "console"
"""payload: the console bytes read at the stamp."""
STDERR = "stderr"
"""payload: QEMU's stderr bytes."""
READY = "ready"
"""The QEMU started paused answered on its monitor: ready for the start gate."""
EXIT = "exit"
"""payload: {"status", "cpu_total_ns"}; the last event of a guest."""
ERROR = "error"
"""payload: why the guest could not start on that node (no QEMU, spawn failed); the last event."""

BATCH_S = 0.010
"""A batch is sent at most this long after its first event (console lines gather)."""
BATCH_BYTES = 64 * 1024
"""... or as soon as it holds this many console bytes."""
URGENT = frozenset({SPAWNED, READY, EXIT, ERROR})
"""Kinds sent at once: the gate and the end must not wait for a batch to fill."""


class Event(NamedTuple):
    seq: int
    kind: str
    stamp_ns: int
    payload: Any = None
