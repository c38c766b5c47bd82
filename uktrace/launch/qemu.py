"""What to launch: one guest's specification and the QEMU command line built from it.

The command line follows kraft's conventions (`-fsdev local,...,security_model=none -device
virtio-9p-pci,...,mount_tag=fs0`, `-machine pc`, `-no-reboot`) with the serial console on the
process's stdio, which uktrace reads on a pty. Unlike kraft, the share is read-only
(`readonly=on`) unless the spec asks for writes: a tracer should not let a guest change the
user's files as a side effect of watching it boot.
"""

from __future__ import annotations

from ..model.spec import MOUNT_TAG, GuestSpec

DEFAULT_CPU = {"tcg": "max", "kvm": "host"}
"""kraft's choice per accelerator; `--cpu` overrides (nested KVM may need `--cpu qemu64`)."""


def qemu_argv(spec: GuestSpec) -> list[str]:
    """The full QEMU command line for `spec` (or its `--cmd` command)."""
    if spec.command is not None:
        return list(spec.command)
    virtiofs = spec.fs is not None and spec.fs_type == "virtiofs"
    argv = [
        spec.qemu,
        "-name", spec.name,
        # vhost-user needs the guest's RAM shareable with the daemon: a memfd backend
        "-machine", f"{spec.machine},memory-backend=mem" if virtiofs else spec.machine,
        "-accel", spec.accel,
        "-cpu", spec.cpu or DEFAULT_CPU[spec.accel],
        "-m", spec.memory,
        "-display", "none",
        "-vga", "none",
        "-no-reboot",
        "-parallel", "none",
        "-monitor", "none",
        # the serial console on stdio (signal=off: a typed Ctrl-C goes to the guest), or in a file
        *CONSOLE,
        "-serial", "chardev:console",
        "-kernel", str(spec.kernel),
    ]  # fmt: skip
    if spec.append:
        argv += ["-append", spec.append]
    if virtiofs:
        argv += virtiofs_argv(spec)
    elif spec.fs is not None:
        readonly = "" if spec.fs_writable else ",readonly=on"
        argv += [
            "-fsdev", f"local,id=hvirtio0,path={spec.fs},security_model=none{readonly}",
            "-device", f"virtio-9p-pci,fsdev=hvirtio0,mount_tag={MOUNT_TAG}",
        ]  # fmt: skip
    if spec.firmware_pipe is not None:
        argv += [
            "-chardev", f"pipe,id=firmware,path={spec.firmware_pipe}",
            "-device", "isa-debugcon,iobase=0x402,chardev=firmware",
        ]  # fmt: skip
    if spec.debug_exit:
        argv += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if spec.qmp_socket is not None:
        # paused, its monitor a client of the socket uktrace listens on (`launch.qmp`)
        argv += ["-S", "-chardev", f"socket,id=qmp,path={spec.qmp_socket}", "-mon", "chardev=qmp,mode=control"]
    return argv + list(spec.extra)


def virtiofs_argv(spec: GuestSpec) -> list[str]:
    """The VirtioFS share: the guest's RAM in a shared memfd, and a vhost-user-fs device talking
    to the guest's daemon on its socket (the daemon serves `fs`, read-only or not)."""
    socket = spec.vhost_socket if spec.vhost_socket is not None else "VHOST_SOCKET"
    return [
        "-object", f"memory-backend-memfd,id=mem,size={spec.memory},share=on",
        "-chardev", f"socket,id=vhostfs0,path={socket}",
        "-device", f"vhost-user-fs-pci,chardev=vhostfs0,tag={MOUNT_TAG}",
    ]  # fmt: skip


CONSOLE = ("-chardev", "stdio,id=console,signal=off")
"""The serial console on QEMU's stdout: a pipe uktrace reads (or, unobserved, drains on a timer)."""


def guest_exit_code(qemu_status: int, debug_exit: bool) -> int | None:
    """The guest's own exit code when QEMU's status carries it (isa-debug-exit), else None."""
    if debug_exit and qemu_status > 0 and qemu_status & 1:
        return qemu_status >> 1
    return None
