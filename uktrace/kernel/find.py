"""Which kernel to boot: a file, a kraft project directory, or the built-in test guest.

Checked before anything is launched, so a typo or a non-kernel file is one clear message, not
a QEMU error 100 times over.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_GUEST = ROOT / "guest" / "build" / "uktrace-guest.elf"

MULTIBOOT1 = 0x1BADB002
MULTIBOOT2 = 0xE85250D6
# kraft: <app>/.unikraft/build/<name>_<plat>-<arch>; make/pykraft (<= 0.12): <app>/build/<name>_kvm-x86_64
KRAFT_BUILD_GLOBS = (".unikraft/build/*_qemu-x86_64", "build/*_qemu-x86_64", "build/*_kvm-x86_64")


class KernelError(Exception):
    """The kernel cannot be booted; the message says why and what to do."""


def find_kernel(argument: str | None) -> Path:
    """The kernel file `argument` names (file or kraft project directory), or the test guest."""
    if argument is None:
        if not TEST_GUEST.is_file():
            raise KernelError(f"the built-in test guest is not built: run `make -C {ROOT / 'guest'}` (or `make demo`)")
        return TEST_GUEST
    path = Path(argument)
    if path.is_dir():
        return _kernel_in_project(path)
    if not path.exists():
        raise KernelError(f"{path}: no such kernel file or kraft project directory")
    if not path.is_file():  # a FIFO or a device would block the read forever
        raise KernelError(f"{path}: not a regular file, not a kernel")
    check_bootable(path)
    return path


def _kernel_in_project(directory: Path) -> Path:
    candidates = sorted(
        (p for pattern in KRAFT_BUILD_GLOBS for p in directory.glob(pattern) if p.is_file() and p.suffix != ".dbg"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    if not candidates:
        raise KernelError(
            f"{directory}: no built x86_64 QEMU kernel in this directory "
            f"(looked for {', '.join(KRAFT_BUILD_GLOBS)}); build it with `kraft build --plat qemu --arch x86_64`"
        )
    check_bootable(candidates[0])
    return candidates[0]


def check_bootable(path: Path) -> None:
    """Raise unless `path` is a readable kernel QEMU's `-kernel` can boot on x86."""
    if not os.access(path, os.R_OK):
        raise KernelError(f"{path}: permission denied")
    with path.open("rb") as file:
        head = file.read(32 * 1024)
    if not head:
        raise KernelError(f"{path}: empty file, not a kernel")
    if _has_magic(head[:8192], MULTIBOOT1, 4) or _has_magic(head, MULTIBOOT2, 8):
        return
    if head[0x202:0x206] == b"HdrS":  # Linux/x86 boot protocol (bzImage, lxboot)
        return
    if head[:4] == b"\x7fELF" and _has_pvh_note(path):
        return
    raise KernelError(
        f"{path}: not a bootable x86 kernel (no multiboot header, Linux boot header or PVH note); "
        "pass the kernel image, e.g. .unikraft/build/<app>_qemu-x86_64"
    )


def _has_magic(data: bytes, magic: int, alignment: int) -> bool:
    needle = struct.pack("<I", magic)
    offset = data.find(needle)
    while offset >= 0:
        if offset % alignment == 0:
            return True
        offset = data.find(needle, offset + 1)
    return False


def _has_pvh_note(path: Path) -> bool:
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile
    from elftools.elf.segments import NoteSegment

    xen_elfnote_phys32_entry = 18
    try:
        with path.open("rb") as file:
            for segment in ELFFile(file).iter_segments():
                if not isinstance(segment, NoteSegment):
                    continue
                for note in segment.iter_notes():
                    # pyelftools gives unknown note types as plain numbers
                    if note["n_name"] == "Xen" and str(note["n_type"]) == str(xen_elfnote_phys32_entry):
                        return True
    except (ELFError, OSError, ValueError):
        return False
    return False
