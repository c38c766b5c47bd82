"""The boot state machine on synthetic consoles with host timestamps."""

from __future__ import annotations

import pytest

from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import ConsoleParser

MS = 1_000_000


def feed(timeline: BootTimeline, *lines: tuple[int, bytes]) -> None:
    parser = ConsoleParser()
    for host_ms, line in lines:
        for record in parser.feed(line, host_ns=host_ms * MS):
            timeline.consume(record)


def booted(*lines: tuple[int, bytes]) -> BootTimeline:
    timeline = BootTimeline("g")
    timeline.spawned(0)
    feed(timeline, *lines)
    return timeline


BOOT = (
    (40, b"SeaBIOS (version 1.16.2)\n"),
    (60, b"Booting from ROM.."),
    (90, b"[    0.000000] Info: [libkvmplat] <setup.c @  468> Entering from KVM (x86)...\n"),
    (91, b"[    0.000000] Info: [libkvmplat] <setup.c @  519> Switch from bootstrap stack to stack @0x7fe0000\n"),
    (92, b"[    0.000000] Info: [libukboot] <boot.c @  245> Unikraft constructor table at 0x1 - 0x2\n"),
    (93, b"[    0.000000] Info: [libukboot] <boot.c @  264> Initialize memory allocator...\n"),
    (150, b"[    0.050000] Info: [libukboot] <boot.c @   90> Init Table @ 0x1 - 0x2\n"),
    (151, b"[    0.051000] Info: [libukbus] <bus.c @  136> Probe buses...\n"),
    (152, b"[    0.052000] Info: [libkvmvirtio9p] <virtio_9p.c @  405> virtio-9p: Configured: features=0x1 tag=fs0\n"),
    (153, b"[    0.053000] Info: [libkvmvirtio9p] <virtio_9p.c @  418> virtio-9p: fs0 started\n"),
    (160, b"[    0.060000] Info: [libvfscore] <rootfs.c @  120> Mount 9pfs to /...\n"),
    (170, b"Powered by Unikraft Testguest (0.10.0~uktrace)\n"),
    (171, b"[    0.071000] Info: [libukboot] <boot.c @  139> Calling main(1, ['g'])\n"),
    (172, b"hello\n"),
    (180, b"[    0.080000] Info: [libukboot] <boot.c @  148> main returned 0, halting system\n"),
    (181, b"[    0.081000] Info: [libkvmplat] <shutdown.c @   35> Unikraft halted\n"),
)


def test_host_phases_and_both_clocks() -> None:
    timeline = booted(*BOOT)
    timeline.process_exited(200 * MS)
    phases = {phase.name: phase for phase in timeline.phases()}
    assert list(phases) == [
        "spawn",
        "firmware",
        "platform_entry",
        "stack_switch",
        "constructors",
        "subsystems",
        "init_table",
        "bus_probe",
        "9p_handshake",
        "mount",
        "banner",
        "main",
        "exit",
    ]
    assert (phases["spawn"].start, phases["spawn"].end) == (0.0, 0.04)
    # firmware: first byte (SeaBIOS) until the first guest line; the glued printk arrived at 60 ms
    assert (phases["firmware"].start, phases["firmware"].end) == (0.04, 0.06)
    assert phases["subsystems"].host_start == 0.093 and phases["subsystems"].guest_end == 0.05
    # without libuk9p debug lines the handshake is the device start
    assert (phases["9p_handshake"].guest_start, phases["9p_handshake"].guest_end) == (0.052, 0.053)
    assert phases["exit"].host_end == 0.2 and phases["exit"].clock == "host"
    assert timeline.status is Status.EXITED and timeline.exit_code == 0
    assert timeline.version is not None and timeline.version.codename == "Testguest"


def test_each_phase_on_the_clock_that_saw_it() -> None:
    """Console chunks arrive lumped under load: mount and main lasted 10 ms and 9 ms by the guest's
    stamps but arrived in one chunk (0.0 ms on the host). Phases begun before the guest clock ran
    (stamps 0.000000) and the exit (ended by the process, not a line) are left to the host clock."""
    lumped = tuple((900 if host_ms >= 150 else host_ms, line) for host_ms, line in BOOT)
    timeline = booted(*lumped)
    timeline.process_exited(950 * MS)
    phases = {phase.name: phase for phase in timeline.phases()}
    assert phases["mount"].host_duration == 0.0
    assert phases["bus_probe"].clock == "guest" and round(phases["bus_probe"].duration or 0, 6) == 0.009
    assert phases["main"].clock == "guest" and round(phases["main"].duration or 0, 6) == 0.009
    # the banner has no stamp and came in the chunk of mount's stamp: placed through that chunk's
    # arrival, never before the stamp before it (here: the fit has too few points to say more)
    mount = phases["mount"]
    assert not mount.bound and mount.clock == "guest" and mount.duration == 0.0
    # subsystems began at 0.000000 and ended at 0.05: the guest clock cannot time it
    assert phases["subsystems"].clock == "host" and phases["subsystems"].duration == phases["subsystems"].host_duration
    assert phases["spawn"].clock == phases["firmware"].clock == "host"
    assert phases["exit"].clock == "host" and phases["exit"].guest_end is None


def test_a_saved_log_keeps_the_guest_clock() -> None:
    timeline = BootTimeline("log")
    parser = ConsoleParser()
    for record in parser.feed(b"".join(line for _, line in BOOT)):
        timeline.consume(record)
    timeline.finish()
    phases = {phase.name: phase for phase in timeline.phases()}
    assert all(phase.clock == "guest" for phase in phases.values())
    # the banner has no stamp and a saved log no arrivals: it began after the last stamp (0.060) and
    # before the next (0.071), so mount lasted at least its stamps and the banner at most the gap
    banner, mount = phases["banner"], phases["mount"]
    assert banner.bound and banner.duration is None and banner.limit == ("≤", pytest.approx(0.011))
    assert mount.bound and mount.duration is None and mount.limit == ("≥", pytest.approx(0.0))


def test_status_moves_booting_running_exited() -> None:
    timeline = booted(*BOOT[:12])
    assert timeline.status is Status.BOOTING and timeline.current == "banner"
    feed(timeline, BOOT[12])
    assert timeline.status is Status.RUNNING and timeline.current == "main"
    assert timeline.phase("main") is not None and timeline.phase("main").end is None  # type: ignore[union-attr]


def test_0_17_halting_system_gives_the_exit_code() -> None:
    timeline = booted(
        (1, b"[    0.1] Info: [libukboot] <boot.c @  1> main returned 3\n"),
        (2, b"[    0.2] Info: [libukboot] <boot.c @  1> Halting system (3)\n"),
    )
    assert timeline.status is Status.EXITED and timeline.exit_code == 3


def test_weak_main_is_a_failure_even_though_main_returned() -> None:
    timeline = booted(
        (1, b"[    0.1] Info: [libukboot] <boot.c @  1> Calling main(1, ['x'])\n"),
        (2, b"weak main() called. Symbol was not replaced!\n"),
        (3, b"[    0.2] Info: [libukboot] <boot.c @  1> main returned -22, halting system\n"),
    )
    assert timeline.status is Status.FAILED and timeline.exit_code == -22
    assert timeline.ending is not None and timeline.ending.reason.startswith("weak main() called")


def test_timeout_and_launcher_failure_keep_the_first_reason() -> None:
    timeline = booted(*BOOT[:8])
    timeline.timed_out(5_000 * MS, 5)
    assert timeline.status is Status.TIMEOUT
    assert timeline.ending is not None and timeline.ending.reason == "no exit after 5 s in bus_probe"
    timeline.fail("QEMU exited with status 1")
    assert timeline.status is Status.FAILED


def test_finished_boot_closes_the_open_phase() -> None:
    timeline = booted(
        (1, b"[    0.100000] Info: [libukboot] <boot.c @  1> Calling main(1, ['x'])\n"),
        (2, b"[    0.200000] CRIT: [libkvmplat] <traps.c @ 84> Unhandled Trap 6 (invalid opcode), error code=0x0\n"),
        (3, b"[    0.300000] CRIT: [libkvmplat] <traps.c @ 90> Crashing\n"),
    )
    assert timeline.status is Status.CRASHED
    main = timeline.phase("main")
    assert main is not None and (main.guest_start, main.guest_end) == (0.1, 0.3)
    assert timeline.ending is not None and timeline.ending.reason == "Unhandled Trap 6 (invalid opcode), error code=0x0"


def test_a_failed_9p_root_mount_says_which_share_was_missing() -> None:
    """Unikraft's own line (`: 22`, a real 0.17 kernel run without a share): the reason adds what
    the kernel wanted when the shares offered are known, and nothing when they are not (a log)."""
    line = b"[    0.101000] CRIT: [libvfscore] <automount.c @  436> Failed to mount fs0 (9pfs) at /: 22\n"
    reasons = {}
    for tags in (None, (), ("fs0",), ("share",)):
        timeline = BootTimeline("g", share_tags=tags)
        feed(timeline, (100, line))
        assert timeline.status is Status.FAILED
        assert timeline.ending is not None
        reasons[tags] = timeline.ending.reason
    assert reasons[None] == reasons[("fs0",)] == "Failed to mount fs0 (9pfs) at /: 22"
    assert reasons[()] == (
        "Failed to mount fs0 (9pfs) at /: 22; the kernel wants a 9P share tagged fs0 and none was given:"
        " pass --fs DIR, the directory to share"
    )
    assert reasons[("share",)].endswith("; the kernel wants a 9P share tagged fs0; --fs shares its directory as share")
