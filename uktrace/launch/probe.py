"""A probe guest: a few instructions that prove an accelerator runs a guest, and how long it takes.

`/dev/kvm` opening says nothing about whether KVM can run a guest: on a nested-KVM host it opens,
then QEMU rejects the CPU model, or the VM dies with "KVM internal error", or it runs and every VM
exit costs the outer hypervisor a round trip (here creating and starting a VM took 2-7 s, while
TCG boots the same image in 0.2-0.4 s). The probe boots the smallest guest that shows it ran: a
multiboot image (the a.out kludge: a flat binary, no ELF) that prints `uktrace-probe` on the first
serial port and leaves through isa-debug-exit with a status only it can produce.
"""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass

LOAD_ADDRESS = 0x100000
MULTIBOOT_MAGIC = 0x1BADB002
MULTIBOOT_AOUT_KLUDGE = 1 << 16
"""Header flag: the load addresses are in the header (a flat image, no ELF headers to read)."""
MARKER = b"uktrace-probe"
EXIT_VALUE = 0x2A
EXIT_STATUS = (EXIT_VALUE << 1) | 1
"""QEMU's status when the guest writes EXIT_VALUE to isa-debug-exit: only a guest that ran gives it."""


def probe_image() -> bytes:
    """The image: a multiboot header, then (32-bit protected mode, as multiboot enters) the marker
    byte by byte to COM1, a newline, the exit value to port 0xf4, and `hlt` forever."""
    code = bytearray(b"\x66\xba\xf8\x03")  # mov dx, 0x3f8
    for byte in MARKER + b"\n":
        code += bytes((0xB0, byte, 0xEE))  # mov al, byte; out dx, al
    code += b"\x66\xba\xf4\x00"  # mov dx, 0xf4
    code += bytes((0xB0, EXIT_VALUE, 0xEE))  # mov al, EXIT_VALUE; out dx, al
    code += b"\xf4\xeb\xfd"  # hlt; jmp back to hlt
    flags = MULTIBOOT_AOUT_KLUDGE
    checksum = -(MULTIBOOT_MAGIC + flags) & 0xFFFFFFFF
    header_size = 32
    # magic, flags, checksum, header_addr, load_addr, load_end_addr (0: the whole file),
    # bss_end_addr (0: none), entry_addr (the code right after the header)
    header = struct.pack(
        "<8I", MULTIBOOT_MAGIC, flags, checksum, LOAD_ADDRESS, LOAD_ADDRESS, 0, 0, LOAD_ADDRESS + header_size
    )
    return header + bytes(code)


@dataclass(frozen=True, slots=True)
class ProbeRun:
    """One boot of the probe guest under one accelerator."""

    accel: str
    ran: bool
    """The guest printed its marker and left with its own exit status."""
    seconds: float
    """Spawn to exit (or to the deadline)."""
    problem: str | None = None
    """Why it did not run: QEMU's status and its own words (on a deadline, its words if any)."""
    late: bool = False
    """Killed at the deadline, still running (or hung: QEMU hangs after a KVM internal error)."""


def run_probe(qemu: str, accel: str, cpu: str, machine: str, deadline_s: float) -> ProbeRun:
    """Boot the probe guest under `accel` with `cpu`; killed after `deadline_s` seconds."""
    with tempfile.TemporaryDirectory(prefix="uktrace-probe-") as scratch:
        image = os.path.join(scratch, "probe.bin")
        with open(image, "wb") as file:
            file.write(probe_image())
        argv = [
            qemu, "-machine", machine, "-accel", accel, "-cpu", cpu, "-m", "8M", "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", image,
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]  # fmt: skip
        started = time.monotonic()
        try:
            done = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=deadline_s, start_new_session=True
            )
        except subprocess.TimeoutExpired as late:  # killed and reaped by `run`
            seconds = time.monotonic() - started
            said = _said((late.stderr or b"").decode("utf-8", "replace"))  # a KVM internal error hangs QEMU
            return ProbeRun(accel, False, seconds, said, late=True)
        except OSError as error:
            return ProbeRun(accel, False, time.monotonic() - started, f"cannot start {qemu}: {error.strerror}")
        seconds = time.monotonic() - started
    if done.returncode == EXIT_STATUS and MARKER in done.stdout:
        return ProbeRun(accel, True, seconds)
    return ProbeRun(accel, False, seconds, _failure(done.returncode, done.stderr.decode("utf-8", "replace")))


def _failure(status: int, stderr: str) -> str:
    """QEMU's status and its own words."""
    ended = f"exited with status {status}" if status >= 0 else f"killed by signal {-status}"
    said = _said(stderr)
    return f"QEMU {ended}: {said}" if said else f"QEMU {ended}"


def _said(stderr: str) -> str | None:
    """QEMU's first error line (a KVM one first), else its last line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for words in ("KVM", "error"):
        found = next((line for line in lines if words.lower() in line.lower()), None)
        if found is not None:
            return found
    return lines[-1] if lines else None
