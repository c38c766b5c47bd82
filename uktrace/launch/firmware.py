"""SeaBIOS's debug console, read from a FIFO in the guest's recording (`--firmware-console`).

The firmware's first byte tells the VMM's start (building the machine) from the firmware's own
work, which the serial console cannot: the firmware says nothing there; its lines name the parts of
that work (`BootTimeline.firmware_output`). QEMU writes the debug port to the FIFO; the fleet reads
it as it comes, stamps each read and records the bytes with their times, so a replay names the same
parts.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import anyio

from ..model.guest import Guest
from ..recording.record import GuestRecorder

FIFO = "firmware.fifo"
"""The FIFO's name in the guest's recording directory (QEMU's `-chardev pipe` writes to it)."""


class FirmwarePipe:
    """One guest attempt's FIFO: made before QEMU starts, read while it runs, removed after."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FIFO
        os.mkfifo(self.path)
        # read-write: holding a writer ourselves, the FIFO reads "no data" instead of EOF before QEMU opens it
        self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)

    async def read(self, guest: Guest, recorder: GuestRecorder, pause_s: float) -> None:
        """Until cancelled (the FIFO never ends by itself: we hold a writer). SeaBIOS writes a byte
        at a time: `pause_s` after each read lets bytes gather, as the console's reads do
        (`fleet.COALESCE_S`), rather than waking ~1,400 times a boot."""
        while True:
            await anyio.wait_readable(self._fd)
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                continue
            now = time.monotonic_ns()
            if guest.timeline.firmware_ns is None:
                guest.mark_cpu("firmware", now)
            guest.timeline.firmware_output(data, now)
            assert guest.spawn_ns is not None  # read from the spawn on
            recorder.firmware(data, now - guest.spawn_ns)
            guest.changes += 1
            await anyio.sleep(pause_s)

    def close(self) -> None:
        os.close(self._fd)
        with contextlib.suppress(OSError):
            self.path.unlink()
