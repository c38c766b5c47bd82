"""Boot phases and the console markers that start them, as one table per concern.

Adding a Unikraft release that renames a message means adding a row here. Patterns match the
printk *message* (prefix removed) at its start; never match on `<file @ line>`, line numbers
differ per release. Markers per era: docs/concepts/phases.md and the log-format notes. The
firmware's rules (`FIRMWARE_RULES`) match a line of SeaBIOS's debug console at its start.
"""

from __future__ import annotations

from typing import NamedTuple

from .rules import row, starts, table

# canonical phases in boot order; `spawn`, `gate` and `firmware` (and the firmware's parts) are
# measured on the host (`gate`: a guest started paused waits there until every guest of its wave is ready)
PHASES = (
    "spawn",
    "gate",
    "firmware",
    "pci_init",
    "device_init",
    "option_roms",
    "kernel_load",
    "platform_entry",
    "stack_switch",
    "constructors",
    "subsystems",
    "tsc_calibration",
    "init_table",
    "bus_probe",
    "mount",
    "9p_handshake",
    "fuse_handshake",
    "banner",
    "main",
    "ready",
    "exit",
)
FIRMWARE_PARTS = ("pci_init", "device_init", "option_roms", "kernel_load")
"""What SeaBIOS does inside `firmware`, as its debug console (port 0x402, `--firmware-timing`)
says it (`FIRMWARE_RULES`): the parts a user can shorten (fewer PCI devices, no CD-ROM or floppy
to probe, no network card's boot ROM, a smaller kernel to copy in)."""
HOST_PHASES = frozenset({"spawn", "gate", "firmware", *FIRMWARE_PARTS})
"""Measured on the host only: the guest cannot see its own start."""
INIT_PARTS = ("bus_probe", "mount")
"""Phases that functions of the init table run: Unikraft probes the buses and mounts the root from
init functions (`uk_bus_init_all`, `vfscore_rootfs`, automount), so these are parts of
`init_table`, never phases after it. Yet they are what users compare: bars draw them over
`init_table`, and views sort by and zoom on them as on a top-level phase."""
PARENTS = {
    **dict.fromkeys(FIRMWARE_PARTS, "firmware"),
    **dict.fromkeys(INIT_PARTS, "init_table"),
    "ready": "main",
    "tsc_calibration": "subsystems",
}
"""Nested phases and the top-level phase they always run in (`ready` is the first part of main;
the TSC calibration against the i8254, most of `subsystems` under TCG, is part of the platform's
time init, which every release runs before the init table; the firmware's parts are SeaBIOS's).
The 9P handshake has no fixed parent: the phase it starts in (mount for the protocol's
TVERSION…RATTACH; the bus probe that starts the device when only that shows); nor has the FUSE
handshake of a VirtioFS mount (FUSE_INIT until its reply, in mount)."""
HANDSHAKES = ("9p_handshake", "fuse_handshake")
NESTED = frozenset({*PARENTS, *HANDSHAKES})
"""Phases that run inside another one and do not end it."""
OVERLAID = frozenset({"bus_probe", "mount", "ready", "tsc_calibration"})
"""Nested phases a bar draws over the phase they run in: the bus probe and the mount, the longest
parts of the init table and what users compare; `ready`, where main's wait ends; the TSC
calibration, most of `subsystems` under TCG. No console marker
starts `ready`: the user's `--ready REGEX` ends it (`uktrace.model.timeline`)."""


PART_ENDS = {"tsc_calibration": "Clock source: "}
"""Nested phases that a line of their own ends (its message starts with this), not only the next
phase: the calibration ends when the platform names the clock source it calibrated."""


NAMED_PARTS = frozenset({*PART_ENDS, *FIRMWARE_PARTS})
"""Nested phases that no boot table runs but a console names (the TSC calibration, the firmware's
parts): `uktrace blame` lists them beside the functions, kind `part`."""


def ends_part(phase: str, message: str) -> bool:
    """Whether `message` ends the nested phase `phase` (`PART_ENDS`)."""
    end = PART_ENDS.get(phase)
    return end is not None and message.startswith(end)


class PhaseRule(NamedTuple):
    phase: str
    pattern: str
    """Regex matched at the start of the printk message."""


PHASE_RULES: tuple[PhaseRule, ...] = (
    # platform entry: trap vectors, BSP, boot info (plat/kvm/x86/setup.c; 0.12+ bootinfo)
    PhaseRule("platform_entry", r"Entering from (?:KVM|Xen|Firecracker)"),
    PhaseRule("platform_entry", r"\s*(?:multiboot|initrd|heap start(?: \(2\))?|stack top|pagetable start): "),
    PhaseRule("platform_entry", r"No initrd present|Found device tree on|PSCI method"),
    PhaseRule("platform_entry", r"Unikraft [A-Z][a-z]+ \(\d"),  # 0.12+ ukplat_bootinfo_print()
    PhaseRule("platform_entry", r"Architecture: |Boot loader ?: |Command line: |Boot memory map:"),
    PhaseRule("platform_entry", r"Failed to init bootstrap processor|Bootstrap processor init failed"),
    # 0.18+ lib/ukconsole: the console registers from the early-init table, before the boot info
    PhaseRule("platform_entry", r"Registered con\d+: "),
    PhaseRule("stack_switch", r"Switch from bootstrap stack"),
    # uk_ctortab; libparam parses the command line from a constructor
    # (0.2-0.3: `Unikraft constructors table at`, `Call constructor 0x..`; see calls.py for every call line)
    PhaseRule(
        "constructors", r"Unikraft constructors? table at|Call constructor:? (?:0x|\(nil\))|Found \d+ library args"
    ),
    # memory, IRQ, timer calibration, scheduler (0.15+ says "the IRQ subsystem")
    PhaseRule("subsystems", r"Initiali[sz]e memory allocator|Try memory region|Initiali[sz]e binary buddy"),
    PhaseRule("subsystems", r"Initiali[sz]e (?:the )?IRQ subsystem|Initiali[sz]e platform time"),
    PhaseRule("tsc_calibration", r"Calibrating TSC clock"),  # ended by `Clock source: ` (PART_ENDS)
    PhaseRule("subsystems", r"Clock source: "),
    PhaseRule("subsystems", r"Initiali[sz]ing (?:cooperative )?scheduler|Initiali[sz]e scheduling"),
    PhaseRule("init_table", r"Init Table @|Call init function: "),
    # bus handlers, PCI (x86 port I/O or ECAM), platform bus (arm64), virtio devices
    PhaseRule("bus_probe", r"Initiali[sz]e bus handlers|Probe buses|Probe PCI"),
    PhaseRule("bus_probe", r"PCI [0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]{2} |Added virtio-pci|Virtio device "),
    PhaseRule("bus_probe", r"pf_driver_probe_device|generic pci config"),
    # vfscore rootfs (0.4-0.13), automount/fstab (0.14+), initrd extraction
    PhaseRule("mount", r"Mount \S+ to /|VFS: mounting |Mounting '|Extracting initrd|vfs\.fstab: Mounting"),
    PhaseRule("mount", r"Failed to mount "),
    # 0.20+ lib/posix-vfs-fstab: dbg only (at Info the mount shows only as `Extracting initrd`)
    PhaseRule("mount", r"Mounting from (?:built-in fstab|user-provided table|fallback table)"),
    PhaseRule("main", r"Pre-init table at|Constructor table at|Environment variables:|Calling main\("),
    PhaseRule("main", r"Call pre-init constructor|Call constructor \(entry"),  # the application's, before main
    PhaseRule("exit", r"main returned |Halting system|Unikraft halted|Call term function"),
    # 0.19+ lib/ukboot init.c (PID 1: the last child gone, or a SIGTERM while main runs), boot.c's last dbg line
    PhaseRule("exit", r"All children terminated\. |Received SIGTERM\. |Unikraft terminates with exit status"),
)

FIRMWARE_RULES: tuple[PhaseRule, ...] = (
    # SeaBIOS's debug lines (src/post.c, src/fw/pciinit.c, src/optionroms.c, src/boot.c), matched at
    # a line's start; each part lasts until the next one starts, the last until the kernel's first line
    # buses, BARs, each device's init; then the CPUs counted, the MP, SMBIOS and ACPI tables made
    PhaseRule("pci_init", r"=== PCI bus & bridge init ==="),
    # the VGA ROM, then the drives (ATA, a CD-ROM asked for its medium), keyboard, serial ports, USB,
    # until every init thread is done
    PhaseRule("device_init", r"Scan for VGA option rom"),
    # every PCI device's ROM (a network card's PXE ROM), the kernel loader's, kvmvapic; the boot order
    PhaseRule("option_roms", r"Scan for option roms"),
    # handle_19: the boot ROM (QEMU's multiboot or linuxboot ROM) copies the kernel in and jumps to it
    PhaseRule("kernel_load", r"Booting from "),
)
_FIRMWARE = table([rule.pattern for rule in FIRMWARE_RULES])


def firmware_part_of(line: str) -> str | None:
    """The firmware part a line of SeaBIOS's debug console starts, or None."""
    match = _FIRMWARE.match(line)
    return None if match is None else FIRMWARE_RULES[row(match)].phase


NINEP_RULES: tuple[tuple[str, str], ...] = (
    # (edge, pattern): libuk9p debug lines give the handshake; without them, the device start
    ("protocol_start", r"TVERSION "),
    ("protocol_end", r"RATTACH |RERROR |RLERROR "),
    ("device_start", r"virtio-9p: Configured"),
    ("device_end", r"virtio-9p: \S+ started"),
    # VirtioFS: the FUSE session's INIT until its reply (the test guest's libvirtiofs debug lines;
    # Unikraft 0.21 prints nothing on success, only `FUSE_INIT failed`-like errors)
    ("fuse_start", r"FUSE_INIT major "),
    ("fuse_end", r"FUSE_INIT reply |FUSE error |FUSE_INIT failed"),
)
HANDSHAKE_EDGES: tuple[tuple[str, str, str], ...] = (
    ("9p_handshake", "protocol_start", "protocol_end"),
    ("9p_handshake", "device_start", "device_end"),
    ("fuse_handshake", "fuse_start", "fuse_end"),
)
"""(phase, start edge, end edge): the first pair whose start was seen gives each handshake."""


_MARKERS: tuple[tuple[str, str], ...] = tuple(("phase", rule.phase) for rule in PHASE_RULES) + tuple(
    ("9p", edge) for edge, _ in NINEP_RULES
)
_MARKER = table([rule.pattern for rule in PHASE_RULES] + [pattern for _, pattern in NINEP_RULES])
_MARKER_STARTS = starts([rule.pattern for rule in PHASE_RULES] + [pattern for _, pattern in NINEP_RULES])
"""What a marker message can begin with: a flood's `113000: Add allocate unit` is no marker by its
first character (the table's regex spent 3,800 instructions a line finding none of its rows)."""


def marker_of(message: str) -> tuple[str, str] | None:
    """`("phase", name)` or `("9p", edge)` for a marker message, else None: one regex match
    for both tables, since the timeline asks this of every printk line."""
    if _MARKER_STARTS is not None and message[:1] not in _MARKER_STARTS:
        return None
    match = _MARKER.match(message)
    return None if match is None else _MARKERS[row(match)]


def phase_of(message: str) -> str | None:
    """The phase a printk message marks, or None."""
    marker = marker_of(message)
    return marker[1] if marker and marker[0] == "phase" else None
