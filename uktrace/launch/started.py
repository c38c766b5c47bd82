"""A started guest, whichever launcher started it: a local QEMU or one on a cluster node.

Both have the same surface (console and stderr reads, input, signals, stop, exit status), so the
fleet, the parser, timelines and recordings do not care where a guest runs.
"""

from __future__ import annotations

from .cluster.remote import RemoteGuestProcess
from .process import GuestProcess

StartedGuest = GuestProcess | RemoteGuestProcess
