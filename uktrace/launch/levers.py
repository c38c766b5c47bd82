"""`bench --what-if`: the well-known host-side levers of a boot, as found on this machine.

Firmware (QEMU's default, SeaBIOS on pc, against qboot, the minimal firmware QEMU ships), the
machine type (pc, q35, microvm) and the guest's memory. Nothing is assumed installed: qboot is
looked up in the directories QEMU itself searches for firmware (`qemu -L help`), machine types
in `qemu -machine help`. A lever that is not there is left out with the reason, which the
bench prints and the report keeps.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from .axes import DEFAULT_BIOS

QBOOT = "qboot.rom"
MACHINES = ("pc", "q35", "microvm")
MEMORY = ("64M", "256M")


@dataclass(frozen=True, slots=True)
class Levers:
    """The preset's axes (name and values, the baseline first) and what was left out, and why."""

    varied: tuple[tuple[str, tuple[str, ...]], ...]
    skipped: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"varied": {name: list(values) for name, values in self.varied}, "skipped": list(self.skipped)}


def _lines(qemu: str, *args: str) -> list[str] | None:
    try:
        result = subprocess.run([qemu, *args], capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.splitlines() if result.returncode == 0 else None


def firmware_dirs(qemu: str) -> list[Path] | None:
    """Where QEMU looks for `-bios NAME` (`-L help`), or None when it does not say."""
    found = _lines(qemu, "-L", "help")
    return None if found is None else [Path(line.strip()) for line in found if line.strip()]


def find_firmware(qemu: str, name: str) -> Path | None:
    """`name` in the first of QEMU's firmware directories that has it."""
    for directory in firmware_dirs(qemu) or []:
        candidate = directory / name
        if candidate.is_file():
            return candidate.resolve()
    return None


def machine_types(qemu: str) -> set[str] | None:
    """The machine types this QEMU offers (`-machine help`), or None when it does not say."""
    found = _lines(qemu, "-machine", "help")
    if found is None:
        return None
    return {line.split()[0] for line in found[1:] if line.strip()}


def find_levers(qemu: str, memory: str, firmware: str = QBOOT, machines: tuple[str, ...] = MACHINES) -> Levers:
    """The preset for this QEMU; `memory` (the run's `--mem`) is the memory axis's baseline,
    `firmware` the image tried against QEMU's default, `machines` the machine types tried."""
    varied: list[tuple[str, tuple[str, ...]]] = []
    skipped: list[str] = []
    dirs = firmware_dirs(qemu)
    found = find_firmware(qemu, firmware)
    name = Path(firmware).stem
    if found is not None:
        varied.append(("bios", (DEFAULT_BIOS, str(found))))
    elif dirs is None:
        skipped.append(f"bios={name}: {qemu} -L help did not list its firmware directories")
    else:
        where = ", ".join(map(str, dirs)) or "none listed"
        skipped.append(f"bios={name}: no {firmware} in QEMU's firmware directories ({where})")
    offered = machine_types(qemu)
    if offered is None:
        skipped.append(f"machine: {qemu} -machine help did not list machine types")
    else:
        tried = machines
        machines = tuple(m for m in tried if m in offered)
        skipped += [f"machine={m}: this QEMU has no such machine type" for m in tried if m not in offered]
        if len(machines) > 1:
            varied.append(("machine", machines))
    sizes = (memory, *(m for m in MEMORY if m.upper() != memory.upper()))
    varied.append(("mem", sizes[:2]))
    return Levers(tuple(varied), tuple(skipped))
