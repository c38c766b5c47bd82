"""The accelerator each guest gets: TCG (software) or KVM, chosen explicitly and shown.

TCG is the default: on nested-KVM hosts creating a VM costs seconds and real Unikraft images die
with "KVM internal error", while TCG boots them in ~0.3 s. `auto` picks KVM only when /dev/kvm
opens read-write.
"""

from __future__ import annotations

import errno
import os

ACCELS = ("tcg", "kvm", "auto")
KVM_DEVICE = "/dev/kvm"


class AccelError(Exception):
    """KVM was asked for and cannot be used; the message says why."""


def kvm_problem(device: str = KVM_DEVICE) -> str | None:
    """Why KVM cannot be used here, or None when /dev/kvm opens read-write."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return f"{device} does not exist (KVM disabled in the BIOS, module not loaded, or a VM without nesting)"
    except PermissionError:
        return f"{device}: permission denied (join the 'kvm' group: sudo usermod -aG kvm $USER, then log in again)"
    except OSError as error:
        return f"{device}: {os.strerror(error.errno or errno.EIO)}"
    os.close(fd)
    return None


def choose_accel(requested: str, device: str = KVM_DEVICE) -> str:
    """`tcg` or `kvm` for `requested` (`tcg`, `kvm`, `auto`); raises when `kvm` is impossible."""
    if requested == "tcg":
        return "tcg"
    problem = kvm_problem(device)
    if requested == "kvm":
        if problem:
            raise AccelError(f"--accel kvm: {problem}; use --accel tcg")
        return "kvm"
    return "tcg" if problem else "kvm"
