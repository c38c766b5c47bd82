"""Unikraft 0.18-0.21 read by the rules, held out: every console line here is a format string of
that release's own source (quoted beside it, with the file), formatted as its printk formats it,
not a line written to fit the rules. The boots below chain such lines in the order the release's
boot code prints them (lib/ukboot/boot.c `uk_boot_entry`, `do_main`; lib/ukboot/init.c `do_init`).

Prefixes: 0.18-0.20 lib/ukdebug/print.c, 0.21 lib/ukprint/console.c `uk_print_console_write`:
`"[%5" __PRInsec ".%06" __PRInsec "] "`, the level header (`"Info:" " "`, none for
`UK_PRINT_KLVL_NONE`), `[libname] `, `<srcname @ %4u> `; crash screens print through
`crash_printk` (`_uk_printk(UK_PRINT_KLVL_CRIT, UKLIBID_NONE, __NULL, 0, ...)`): no library, no
source. Line numbers are placeholders (never matched)."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.invariant import violations
from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import ConsoleParser, parse_printk
from uktrace.parsers.banner import message_version
from uktrace.parsers.calls import debug_option
from uktrace.parsers.outcomes import outcome_of
from uktrace.parsers.phases import marker_of
from uktrace.parsers.releases import info_option
from uktrace.present.timeline import level_notes


class Source(NamedTuple):
    file: str
    """Where the release prints it."""
    fmt: str
    """The format string as the source spells it."""
    message: str
    """It formatted, as the console shows it after the prefix."""
    level: str
    library: str | None


SOURCES: dict[str, Source] = {
    # 0.18: the early-init stage and the console API
    "console": Source(
        "lib/ukconsole/console.c",
        r'uk_pr_info("Registered con%" __PRIu16 ": %s, flags: %c%c\n", ...)',
        "Registered con1: COM1, flags: IO",
        "Info",
        "libukconsole",
    ),
    "cmdline": Source(
        "lib/ukboot/early_init.c",
        r'uk_pr_err("Could not parse cmdline (%d)\n", rc)',
        "Could not parse cmdline (-7)",
        "ERR",
        "libukboot",
    ),
    "early": Source(
        "lib/ukboot/early_init.c",
        r'UK_CRASH("Early init call @ %p failed with %d", entry->init, rc)',
        "Early init call @ 0x10a2c0 failed with -22",
        "CRIT",
        "libukboot",
    ),
    "bootinfo": Source(
        "plat/common/bootinfo.c",
        r'uk_pr_info("Unikraft " STRINGIFY(UK_CODENAME) " (" STRINGIFY(UK_FULLVERSION) ")\n")',
        "Unikraft Helene (0.18.0~20800b7)",
        "Info",
        "libukplat",
    ),
    "ctors": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Unikraft constructor table at %p - %p\n", ...)',
        "Unikraft constructor table at 0x1a8000 - 0x1a8030",
        "Info",
        "libukboot",
    ),
    "memory": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Initialize memory allocator...\n")',
        "Initialize memory allocator...",
        "Info",
        "libukboot",
    ),
    "irq": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Initialize the IRQ subsystem...\n")',
        "Initialize the IRQ subsystem...",
        "Info",
        "libukboot",
    ),
    "time": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Initialize platform time...\n")',
        "Initialize platform time...",
        "Info",
        "libukboot",
    ),
    "sched": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Initialize scheduling...\n")',
        "Initialize scheduling...",
        "Info",
        "libukboot",
    ),
    "inittab": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Init Table @ %p - %p\n", ...)',
        "Init Table @ 0x1a8030 - 0x1a80f0",
        "Info",
        "libukboot",
    ),
    "init_call": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_debug("Call init function: %p(%p)...\n", init_entry->init, &ictx)',
        "Call init function: 0x12a0f0(0x3fdff0)...",
        "dbg",
        "libukboot",
    ),
    "preinit": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Pre-init table at %p - %p\n", ...)',
        "Pre-init table at 0x1a80f0 - 0x1a80f0",
        "Info",
        "libukboot",
    ),
    "calling": Source(
        "lib/ukboot/boot.c",
        r"""uk_pr_info("Calling main(%d, [", argc); uk_pr_info("'%s'", argv[i]); uk_pr_info("])\n")""",
        "Calling main(1, ['helloworld'])",
        "Info",
        "libukboot",
    ),
    "returned": Source(
        "lib/ukboot/boot.c", r'uk_pr_info("main returned %d\n", ret)', "main returned 3", "Info", "libukboot"
    ),
    "halting": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_info("Halting system (%d)\n", tctx.target)',
        "Halting system (0)",
        "Info",
        "libukboot",
    ),
    # 0.19: PID 1 init and graceful shutdown
    "children": Source(
        "lib/ukboot/init.c",
        r'uk_pr_info("All children terminated. Initiating shutdown...\n")',
        "All children terminated. Initiating shutdown...",
        "Info",
        "libukboot",
    ),
    "sigterm": Source(
        "lib/ukboot/init.c",
        r'uk_pr_info("Received SIGTERM. Initiating shutdown...\n")',
        "Received SIGTERM. Initiating shutdown...",
        "Info",
        "libukboot",
    ),
    "terminates": Source(
        "lib/ukboot/boot.c",
        r'uk_pr_debug("Unikraft terminates with exit status %d (target: %d)\n", tctx.exit_code, tctx.target)',
        "Unikraft terminates with exit status 3 (target: 0)",
        "dbg",
        "libukboot",
    ),
    # 0.20: lib/posix-vfs-fstab
    "fstab": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_debug("Mounting from built-in fstab (%zu entries)...\n", ARRAY_SIZE(fstab_builtin) - 1)',
        "Mounting from built-in fstab (2 entries)...",
        "dbg",
        "libposix_vfs_fstab",
    ),
    "fstab_user": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_debug("Mounting from user-provided table...\n")',
        "Mounting from user-provided table...",
        "dbg",
        "libposix_vfs_fstab",
    ),
    "fstab_fallback": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_debug("Mounting from fallback table (%zu entries)...\n", ARRAY_SIZE(fstab_fallback) - 1)',
        "Mounting from fallback table (1 entries)...",
        "dbg",
        "libposix_vfs_fstab",
    ),
    "mounted": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_debug("Successfully mounted %d volumes\n", r)',
        "Successfully mounted 2 volumes",
        "dbg",
        "libposix_vfs_fstab",
    ),
    "extract": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_info("Extracting initrd %s @ %p (%zu bytes) to %s...\n", e->dev, base, len, e->path)',
        "Extracting initrd initrd0 @ 0x3f00000 (1048576 bytes) to /...",
        "Info",
        "libposix_vfs_fstab",
    ),
    "no_initrd": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_crit("Could not find an initrd!\n")',
        "Could not find an initrd!",
        "CRIT",
        "libposix_vfs_fstab",
    ),
    "special": Source(
        "lib/posix-vfs-fstab/fstab.c",
        r'uk_pr_err("Failed to mount special filesystem %s on %s: %d\n", fstype, path, r)',
        "Failed to mount special filesystem devfs on /dev: -19",
        "ERR",
        "libposix_vfs_fstab",
    ),
    # 0.21: lib/ukdebug's crash screen through crash_printk (no library, no source)
    "crash": Source(
        "lib/ukdebug/crash.c",
        r'crash_printk("Unikraft Crash - " STRINGIFY(UK_CODENAME) " (" STRINGIFY(UK_FULLVERSION) ")\n")',
        "Unikraft Crash - Ijiraq (0.21.0)",
        "CRIT",
        None,
    ),
}


def line(name: str, stamp: float = 0.0, level: str | None = None) -> bytes:
    """The source's line with the printk prefix of its release; `level` None: its own."""
    source = SOURCES[name]
    header = {"dbg": "dbg:  ", "Info": "Info: ", "Warn": "Warn: ", "ERR": "ERR:  ", "CRIT": "CRIT: ", "": ""}
    lib = f"[{source.library}] <{source.file.rsplit('/', 1)[1]} @  100> " if source.library else ""
    return f"[{stamp:13.6f}] {header[source.level if level is None else level]}{lib}{source.message}\r\n".encode()


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("console", ("phase", "platform_entry")),
        ("bootinfo", ("phase", "platform_entry")),
        ("ctors", ("phase", "constructors")),
        ("inittab", ("phase", "init_table")),
        ("fstab", ("phase", "mount")),
        ("fstab_user", ("phase", "mount")),
        ("fstab_fallback", ("phase", "mount")),
        ("extract", ("phase", "mount")),
        ("calling", ("phase", "main")),
        ("returned", ("phase", "exit")),
        ("children", ("phase", "exit")),
        ("sigterm", ("phase", "exit")),
        ("terminates", ("phase", "exit")),
        ("mounted", None),  # inside the mount the fstab line started
    ],
)
def test_each_source_line_marks_its_phase(name: str, marker: tuple[str, str] | None) -> None:
    assert marker_of(SOURCES[name].message) == marker


@pytest.mark.parametrize(
    ("name", "status"),
    [("cmdline", "failed"), ("early", "crashed"), ("no_initrd", "failed"), ("special", "failed"), ("crash", "crashed")],
)
def test_error_lines_end_the_boot(name: str, status: str) -> None:
    assert outcome_of(SOURCES[name].message) == status


def test_the_0_21_crash_screen_names_the_release() -> None:
    version = message_version(SOURCES["crash"].message)
    assert version is not None and version.release == "0.21.0 (Ijiraq)"


def test_ukprint_lines_without_level_header_or_library_are_printk_lines() -> None:
    # lib/ukprint/console.c: `default: /* KLVL_NONE: no header */ msghdr = "";`, then [lib] <src>
    headerless = parse_printk("[    0.120606] [libuklibparam] <param.c @  318> uktrace.delay: waited 5 ms in mount")
    assert headerless is not None
    assert (headerless.timestamp, headerless.level, headerless.library) == (0.120606, None, "libuklibparam")
    assert headerless.message == "uktrace.delay: waited 5 ms in mount"
    crash = parse_printk(line("crash", 0.102918).decode().rstrip())
    assert crash is not None and (crash.level, crash.library, crash.message) == ("CRIT", None, SOURCES["crash"].message)


@pytest.mark.parametrize(
    ("version", "info", "debug"),
    [
        ("0.18.0", "CONFIG_LIBUKDEBUG_PRINTK_INFO=y", "CONFIG_LIBUKDEBUG_PRINTD=y"),
        ("0.20.0", "CONFIG_LIBUKDEBUG_PRINTK_INFO=y", "CONFIG_LIBUKDEBUG_PRINTD=y"),
        # lib/ukprint/Config.uk: `choice prompt "Verbosity"`, `config LIBUKPRINT_KLVL_INFO`, `..._DEBUG`
        ("0.21.0", "CONFIG_LIBUKPRINT_KLVL_INFO=y", "CONFIG_LIBUKPRINT_KLVL_DEBUG=y"),
    ],
)
def test_hints_name_the_option_of_the_release(version: str, info: str, debug: str) -> None:
    assert info_option(version) == info
    assert debug_option(version) == debug


CODENAMES = {"0.18": "Helene", "0.19": "Codename", "0.20": "Kiviuq", "0.21": "Ijiraq"}
"""What the boot info says: seen in real logs (0.19's is not confirmed: the rules read the version)."""


def boot(era: str, debug: bool) -> list[bytes]:
    """A boot of `era` as its sources print it, at Info level or with debug lines too."""
    minor = int(era.split(".")[1])
    version = f"{era}.0~0123abc"
    bootinfo = f"Unikraft {CODENAMES[era]} ({version})"
    console = [
        line("console"),
        line("bootinfo").replace(SOURCES["bootinfo"].message.encode(), bootinfo.encode()),
        line("ctors"),
        line("memory"),
        line("irq"),
        line("time"),
        line("sched", 0.001201),
        line("inittab", 0.001302),
    ]
    if debug:
        console.append(line("init_call", 0.001350))
    if minor >= 20 and debug:
        console += [line("fstab", 0.001400), line("mounted", 0.002900)]
    elif minor < 20:
        console.append(line("extract", 0.001400))  # an initrd: the one Info mount line of 0.20
    console += [
        f"Powered by Unikraft {CODENAMES[era]} ({version})\r\n".encode(),
        line("preinit", 0.003000),
        line("calling", 0.003100),
        b"Hello world!\r\n",
        line("returned", 0.004000),
    ]
    if minor >= 19:
        console.append(line("children", 0.004100))
    console.append(line("halting", 0.004200))
    if debug and minor >= 19:
        console.append(line("terminates", 0.004300))
    return console


ERAS = ["0.18", "0.19", "0.20", "0.21"]


def traced(console: list[bytes]) -> BootTimeline:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    parser = ConsoleParser()
    for number, raw in enumerate(console):
        for record in parser.feed(raw, host_ns=1_000_000 * (number + 1)):
            timeline.consume(record)
    timeline.process_exited(1_000_000 * (len(console) + 1))
    return timeline


@pytest.mark.parametrize("debug", [False, True], ids=["info", "debug"])
@pytest.mark.parametrize("era", ERAS)
def test_every_era_reads_into_the_same_phases(era: str, debug: bool) -> None:
    timeline = traced(boot(era, debug))
    names = [p.name for p in timeline.phases()]
    mount = ["mount"] if debug or era < "0.20" else []
    assert names == [
        "spawn",
        "firmware",
        "platform_entry",
        "constructors",
        "subsystems",
        "init_table",
        *mount,
        "banner",
        "main",
        "exit",
    ]
    assert violations(timeline) == []
    assert timeline.status is Status.EXITED and timeline.exit_code == 3
    assert timeline.version is not None and timeline.version.version == f"{era}.0"


@pytest.mark.parametrize("era", ERAS)
def test_a_mount_the_level_hides_is_said_with_the_option_of_the_release(era: str) -> None:
    info, debug = traced(boot(era, False)), traced(boot(era, True))
    notes = level_notes(info)
    if era < "0.20":
        assert not [n for n in notes if n.startswith("mount")]
    else:
        option = "CONFIG_LIBUKPRINT_KLVL_DEBUG=y" if era == "0.21" else "CONFIG_LIBUKDEBUG_PRINTD=y"
        assert [n for n in notes if n.startswith("mount")] == [
            f"mount: not on the console at this level (Unikraft {era}.0 logs mounts at debug level only):"
            f" build with {option} to see it"
        ]
    assert not [n for n in level_notes(debug) if n.startswith("mount")]


def test_a_sigterm_starts_the_exit_while_main_runs() -> None:
    console = boot("0.19", False)
    at = console.index(b"Hello world!\r\n") + 1
    timeline = traced([*console[:at], line("sigterm", 0.003500), *console[at:]])
    exit_phase = timeline.phase("exit")
    assert exit_phase is not None and exit_phase.guest_start == 0.0035
    assert violations(timeline) == []


def test_the_test_guests_refusal_of_an_unknown_era_is_the_failure_reason() -> None:
    """guest/param.c (not Unikraft's): the values known, then libparam's CRIT line."""
    known = "known values are 0.4, 0.5, 0.10, 0.17, 0.18, 0.19, 0.20, 0.21"
    timeline = traced(
        [
            b"[    0.000000] Info: [libukboot] <boot.c @  143> Unikraft constructor table at 0x10b000 - 0x10b010\n",
            f"[    0.000000] ERR:  [libuklibparam] <param.c @  332> Unknown value '0.99' for uktrace.era: {known}\n".encode(),
            b"[    0.000000] CRIT: [libuklibparam] <param.c @  347> Failed to parse the kernel argument\n",
            b"[    0.000000] Info: [libkvmplat] <shutdown.c @   31> Unikraft halted\n",
        ]
    )
    assert timeline.status is Status.FAILED and timeline.ending is not None
    assert timeline.ending.reason == (
        f"Failed to parse the kernel argument; Unknown value '0.99' for uktrace.era: {known}"
    )
