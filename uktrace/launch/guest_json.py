"""What a run writes into each guest's guest.json, and the kernels it names.

Both are written on the recorder's thread: the kernels first (an image's identity and its
symbols into the recording), then each guest.json as its guest starts and ends, naming its kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..kernel.symbols import Symbols, find_symbols
from ..model.guest import Guest
from ..model.integrity import check_integrity
from ..model.json_shape import ending_dict
from ..recording.kernels import record_kernel

if TYPE_CHECKING:
    from ..model.shapes.recording import GuestFile, KernelImage


class Kernels:
    """Per kernel booted, its identity in the recording and its symbols (filled on the recorder's thread)."""

    def __init__(self) -> None:
        self.images: dict[Path, KernelImage | None] = {}
        self.symbols: dict[Path, Symbols | None] = {}

    def record(self, record_dir: Path, guests: Sequence[Guest]) -> None:
        """On the recorder's thread: each kernel's identity and symbols into the recording, and
        into its guests' timelines (which name their boot functions by them)."""
        for kernel in dict.fromkeys(spec.kernel for spec in (g.spec for g in guests) if spec.command is None):
            try:
                self.images[kernel] = record_kernel(record_dir, kernel)
            except OSError:
                raise  # the writer reports disk errors
            except Exception:  # a malformed image must not stop the recorder: it is only unnamed
                self.images[kernel] = None
            found = find_symbols(kernel)  # cached: record_kernel has just read it
            self.symbols[kernel] = found[1] if found else None
            for guest in guests:
                if guest.spec.kernel == kernel:
                    guest.timeline.symbols = self.symbols[kernel]

    def guest_json(self, guest: Guest) -> GuestFile:
        """guest.json's content (on the recorder's thread, after `record`)."""
        timeline = guest.timeline
        return {
            "name": guest.name,
            "argv": guest.argv,
            "kernel": str(guest.spec.kernel),
            "kernel_image": self.images.get(guest.spec.kernel) if guest.spec.command is None else None,
            "fs": str(guest.spec.fs) if guest.spec.fs else None,
            "host": guest.host_dict(),
            "status": timeline.status.value,
            "exit_code": timeline.exit_code,
            "crash": ending_dict(timeline),
            "ready": guest.spec.ready,
            "script": [run.as_dict(guest.spawn_ns) for run in guest.script],
        }

    def final_guest_json(self, guest: Guest, directory: Path) -> GuestFile:
        """On the writer's thread, once the console file is complete; guest.json's content. The
        verdict is the received bytes' (judged as they came); the disk's copy is checked apart."""
        meta = self.guest_json(guest)
        try:
            stored = (directory / "console.raw").stat().st_size
        except OSError:
            stored = 0
        if stored != guest.received:  # a full disk: say what is not there, and the stored verdict
            meta["host"]["stored_bytes"] = stored
            meta["host"]["stored_integrity"] = check_integrity_file(directory)
        return meta


def check_integrity_file(directory: Path) -> str | None:
    try:
        return check_integrity((directory / "console.raw").read_bytes())
    except OSError:
        return None
