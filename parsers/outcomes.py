"""How a boot ends, as tables: crash and failure markers, and the exit-code lines.

The first crash or failure marker decides (a failed mount is followed by "Init function ...
returned error", a trap by a register dump); later ones are context, not the reason.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .rules import row, table


class OutcomeRule(NamedTuple):
    status: str
    """`crashed` (trap, assertion, page fault, crash screen, init error) or `failed`."""
    pattern: str
    """Regex matched at the start of the printk message (or of a VMM line)."""


OUTCOME_RULES: tuple[OutcomeRule, ...] = (
    # x86 traps (plat/common/x86/traps.c), arm64 exceptions
    OutcomeRule("crashed", r"Unhandled Trap \d+|EL1 sync trap caught|Unhandled irq="),
    OutcomeRule("crashed", r"Assertion failure: "),
    # page faults: <=0.9 wording, 0.10+ wording, ukvmem (0.14+)
    OutcomeRule("crashed", r"Page fault at linear address|Unhandled page fault|page fault handler returned error"),
    OutcomeRule("crashed", r"Cannot handle (?:read |write |exec |instruction fetch )?page fault"),
    # crash screens: cloud branch 0.15/0.16, mainline 0.20+ (CONFIG_LIBUKDEBUG_CRASH_SCREEN)
    OutcomeRule("crashed", r"Unikraft [Cc]rash - |The system crashed|System rebooting in "),
    OutcomeRule("crashed", r"Crashing$|Init function at \S+ returned error|Early init call @ \S+ failed"),
    # failures: the application or the configuration, not a fault
    OutcomeRule("failed", r"weak main\(\) called|Failed to launch application's main"),
    OutcomeRule("failed", r"Failed to mount |Could not find an initrd|Parameter 'vfs\.rootfs' is invalid"),
    OutcomeRule("failed", r"Failed to initiali[sz]e memory allocator"),
    OutcomeRule("failed", r"Failed to init bootstrap processor|Bootstrap processor init failed|SMP init failed"),
    OutcomeRule("failed", r"Cmdline init failed|Could not parse cmdline|Boot stack alloc failed|Mem init failed"),
    OutcomeRule("failed", r"Failed to allocate thread stack|Could not create main thread"),
    OutcomeRule("failed", r"Failed to parse the kernel argument"),
    # QEMU on nested KVM: the VM stops with an internal error and QEMU hangs
    OutcomeRule("failed", r"KVM internal error|KVM: entry failed"),
)

_OUTCOME = table([rule.pattern for rule in OUTCOME_RULES])


class CauseRule(NamedTuple):
    pattern: str
    """Regex matched at the start of an error line's message, before the crash or failure it causes."""
    cause: str
    """What it means and what to do, in the user's terms: said with the crash's reason (`{line}`
    stands for the error line's message, when it says it best itself)."""


CAUSE_RULES: tuple[CauseRule, ...] = (
    # lib/ukrandom (0.16+, on by default in 0.17): random.c `Could not initialize the HWRNG (%d)`,
    # then `Init function at %p returned error %d`: it needs RDRAND and RDSEED, and QEMU's TCG CPU
    # (7.2) has no RDSEED, whatever `-cpu` says; seen on a real 0.17.0 helloworld build here
    CauseRule(
        r"Could not initialize the HWRNG",
        "the kernel's random library (LIBUKRANDOM) found no hardware RNG: it needs RDRAND and RDSEED,"
        " which QEMU's TCG CPU lacks; run under KVM, or build without LIBUKRANDOM",
    ),
    # the test guest (guest/param.c) refuses a value of a knob that picks its console format, then
    # libparam's `Failed to parse the kernel argument`: the line names the values it knows
    CauseRule(r"Unknown value '[^']*' for uktrace\.\w+: known values are ", "{line}"),
)
"""Error lines whose meaning the crash's own line does not say."""

_CAUSE = table([rule.pattern for rule in CAUSE_RULES])
_NINEP_MOUNT = re.compile(r"Failed to mount (\S+) \(9pfs\)")
"""0.10+ rootfs.c / 0.14+ automount: the 9P mount of the root failed (0.4/0.5 name no device)."""
_MAIN_RETURNED = re.compile(r"main returned (-?\d+)")
_HALTING = re.compile(r"Halting system \((-?\d+)\)")


def outcome_of(message: str) -> str | None:
    """`crashed` or `failed` when the message marks such an end, else None."""
    match = _OUTCOME.match(message)
    return None if match is None else OUTCOME_RULES[row(match)].status


def cause_of(message: str) -> str | None:
    """What an error line means for the end it leads to (`CAUSE_RULES`), else None."""
    match = _CAUSE.match(message)
    return None if match is None else CAUSE_RULES[row(match)].cause.replace("{line}", message.strip())


def exit_code_of(message: str) -> int | None:
    """The code from `main returned N` or 0.16+ `Halting system (N)`."""
    match = _MAIN_RETURNED.match(message) or _HALTING.match(message)
    return int(match[1]) if match else None


def wanted_share(message: str) -> str | None:
    """The mount tag of the 9P share a failed mount wanted (`fs0`), else None."""
    match = _NINEP_MOUNT.match(message)
    return match[1] if match else None
