"""What to launch: one guest's specification, as plain data the launcher, a replay and the views share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .script import Step

DEFAULT_QEMU = "qemu-system-x86_64"
MOUNT_TAG = "fs0"
"""The mount tag of the `--fs` share (kraft's)."""


@dataclass(frozen=True, slots=True)
class GuestSpec:
    """Everything needed to start one guest; `uktrace run` options map onto these fields."""

    name: str
    kernel: Path
    accel: str
    """`tcg` or `kvm`, already resolved (never `auto`); `n/a` for a `--cmd` launcher."""
    accel_reason: str | None = None
    """Why `accel`, when `--accel auto` chose it (`launch.accel`); None when it was asked for by name."""
    qemu: str = DEFAULT_QEMU
    memory: str = "64M"
    machine: str = "pc"
    cpu: str | None = None
    append: str = ""
    fs: Path | None = None
    """Directory shared over virtio-9p with mount tag `fs0` (`MOUNT_TAG`)."""
    fs_writable: bool = False
    """`--fs-rw`: let the guest change `fs`; otherwise QEMU exports it read-only (`readonly=on`),
    so a guest cannot overwrite or delete the user's files."""
    fs_type: str = "9p"
    """`--fs-type`: `9p` (QEMU serves `fs` over virtio-9p) or `virtiofs` (a virtiofsd per guest
    serves it over vhost-user-fs, `launch.virtiofsd`)."""
    virtiofsd: str | None = None
    """With `fs_type` virtiofs: the daemon's binary (found by `launch.virtiofsd.find_daemon`)."""
    vhost_socket: Path | None = None
    """The daemon's vhost-user socket QEMU connects to, set when the guest's daemon starts."""
    debug_exit: bool = False
    """Add isa-debug-exit (port 0xf4): the test guest exits QEMU with status (code << 1) | 1."""
    extra: tuple[str, ...] = field(default_factory=tuple)
    """Arguments after `--`, appended verbatim."""
    firmware_pipe: Path | None = None
    """A FIFO for SeaBIOS's debug console (port 0x402): its first byte marks firmware start."""
    qmp_socket: Path | None = None
    """Start paused (`-S`) with a QMP monitor that connects to this socket (uktrace listens on it);
    the fleet releases the guest with `cont`."""
    command: tuple[str, ...] | None = None
    """`--cmd`: run this launcher (kraft, firecracker, a script) instead of building a QEMU line."""
    ready: str | None = None
    """`--ready REGEX`: the application's ready line, which ends the `ready` phase."""
    tty: bool = False
    """`--tty`: start the `--cmd` launcher on a terminal (`launch.process`), for launchers that need one."""
    script: tuple[Step, ...] = ()
    """`--expect/--send`, `--script FILE`: a conversation with the console (`launch.script`)."""

    @property
    def share_tags(self) -> tuple[str, ...] | None:
        """The 9P mount tags the guest is offered; None for a `--cmd` launcher (its own command line)."""
        if self.command is not None:
            return None
        return (MOUNT_TAG,) if self.fs is not None else ()
