"""Lines on a Unikraft serial console that the kernel did not print, as a table of patterns.

Firmware (SeaBIOS, SGABIOS, iPXE) talks before the kernel starts; the monitor or launcher (QEMU,
Firecracker, Xen, kraft, Unikraft's qemu-guest script) can write to the same stream.
Xen prefixes guest output: `strip_guest_prefix` removes that so the printk grammar applies.
"""

from __future__ import annotations

import re

from .records import Kind
from .rules import row, table

NOISE_RULES: tuple[tuple[str, str], ...] = (
    (Kind.FIRMWARE, r"SeaBIOS \(version"),
    (Kind.FIRMWARE, r"Booting from (?:ROM|Hard Disk|Floppy|DVD/CD)"),
    (Kind.FIRMWARE, r"Boot failed|No bootable device"),
    (Kind.FIRMWARE, r"iPXE |Press Ctrl-B"),
    (Kind.FIRMWARE, r"Machine UUID "),
    # SGABIOS, loaded by kraftkit with QEMU < 8 (`-device sga`)
    (Kind.FIRMWARE, r"Google, Inc\.|Serial Graphics Adapter|SGABIOS"),
    # QEMU and other monitors writing to the same terminal
    (Kind.VMM, r"qemu-system-\w+: |qemu: |QEMU \d+\.\d+"),
    (Kind.VMM, r"KVM internal error|KVM: entry failed|emulation failure"),
    # Firecracker: `2024-09-16T10:46:36.488090104 [anonymous-instance:main] ...`
    (Kind.VMM, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+ \["),
    # Xen hypervisor lines that are not guest output
    (Kind.VMM, r"\(XEN\) "),
    # kraft CLI glyph lines: ` i  using arch=x86_64 plat=qemu`, ` E  machine fatally exited`
    (Kind.VMM, r"\s+[iWED]  \S"),
    # Unikraft's support/scripts/qemu-guest box and messages
    (Kind.VMM, r"\*{20,}|\s*QEMU:$"),
    (Kind.VMM, r"\s{2,}(?:Name|PID|Monitor socket|VNC listen|SMP configuration|Memory|Kernel|Parameters|Initrd):"),
    (Kind.VMM, r"\s{2,}Warning: "),
    (Kind.VMM, r"Starting VM\.\.\.|Connecting to serial output\.\.\.|Console terminated"),
)

_NOISE = table([pattern for _, pattern in NOISE_RULES])
_XEN_GUEST = re.compile(r"\(d\d+\) |\(XEN\) DOM\d+: ")


def classify_noise(text: str) -> str | None:
    """Firmware or VMM when `text` matches a noise rule at its start, else None."""
    match = _NOISE.match(text)
    return None if match is None else NOISE_RULES[row(match)][0]


def strip_guest_prefix(text: str) -> str:
    """Remove Xen's `(d1) ` / `(XEN) DOM1: ` guest-console prefix, if any."""
    if text.startswith("(") and (match := _XEN_GUEST.match(text)):
        return text[match.end() :]
    return text
