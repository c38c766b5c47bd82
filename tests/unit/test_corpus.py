"""Every bundled real log parses to the phases and status a careful reader would state."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import LOGS, log
from uktrace.recording.logs import trace_log


@dataclass(frozen=True)
class Expected:
    phases: list[str]
    status: str
    reason: str | None = None
    """Start of the crash/failure reason."""
    exit_code: int | None = None
    version: tuple[str, str, str | None] | None = None


FULL_BOOT = [
    "platform_entry",
    "stack_switch",
    "constructors",
    "subsystems",
    "tsc_calibration",
    "init_table",
    "bus_probe",
]

EXPECTED = {
    "001": Expected([*FULL_BOOT, "banner", "main", "exit"], "exited", None, 0, ("0.5.0", "Tethys", "b8be82b-custom")),
    "003": Expected(["init_table", "mount"], "failed", "Failed to mount /: 0"),
    "004": Expected(["init_table", "mount"], "failed", "Failed to mount /: 0"),
    "005": Expected([], "failed", "Failed to allocate thread stack"),
    "006": Expected([], "booting"),
    "007": Expected([], "crashed", "Unhandled Trap 8 (double fault)"),
    "008": Expected([], "booting"),
    "010": Expected(["platform_entry"], "failed", "Failed to init bootstrap processor"),
    "011": Expected(["platform_entry"], "crashed", "Assertion failure: ukarch_paddr_range_isvalid(pa)"),
    "012": Expected(["platform_entry"], "crashed", "Assertion failure: ml->flags == mr->flags"),
    "014": Expected(["init_table", "bus_probe"], "booting"),
    "015": Expected(["platform_entry"], "crashed", "Assertion failure: assert"),
    "016": Expected(
        ["banner", "main"], "crashed", "Cannot handle write page fault", None, ("0.17.0", "Calypso", "ddc5bf7")
    ),
    "017": Expected(
        ["banner", "main"], "crashed", "Cannot handle read page fault", None, ("0.18.0", "Helene", "20800b7")
    ),
    "019": Expected(["platform_entry", "banner", "main"], "running", None, None, ("0.17.0", "Calypso", "3c884328")),
    "020": Expected(["main"], "running"),
    "022": Expected([], "crashed", "Unhandled page fault vaddr=0", None, ("0.15.0", "Pandora", "689db89")),
    "023": Expected([], "crashed", "Cannot handle write page fault", None, ("0.16.2", "Telesto", "3a5017b")),
    "025": Expected(["constructors", "subsystems"], "failed", "Failed to initialize memory allocator"),
    "026": Expected(["stack_switch", "constructors"], "booting"),
    "028": Expected([], "crashed", "Assertion failure: exception < UK_PLAT_NATIVE_ARM64_EXCEPT_ID_MAX"),
    "030": Expected([], "booting"),
    "031": Expected([], "booting"),
    "040": Expected(["platform_entry", "stack_switch", "init_table", "bus_probe", "mount", "9p_handshake"], "booting"),
    "041": Expected(
        [*FULL_BOOT[:6], "exit"],
        "crashed",
        "Init function at 0x125ba0 returned error -95",
        3,
        ("0.17.0", "Calypso", None),
    ),
    "042": Expected(
        [*FULL_BOOT, "mount", "fuse_handshake", "banner", "main", "exit"],
        "exited",
        None,
        0,
        ("0.17.0", "Testguest", "uktrace"),
    ),
}


def test_every_bundled_log_has_an_expectation() -> None:
    assert sorted(path.name[:3] for path in LOGS.glob("*.log")) == sorted(EXPECTED)


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_log_timeline(number: str) -> None:
    expected = EXPECTED[number]
    timeline = trace_log(log(number))
    assert [phase.name for phase in timeline.phases()] == expected.phases
    assert timeline.status.value == expected.status
    assert timeline.exit_code == expected.exit_code
    if expected.reason is None:
        assert timeline.ending is None
    else:
        assert timeline.ending is not None and timeline.ending.reason.startswith(expected.reason)
    version = timeline.version
    assert (None if version is None else (version.version, version.codename, version.sha)) == expected.version


def test_full_debug_boot_durations_on_the_guest_clock() -> None:
    timeline = trace_log(log("001"))
    phases = {phase.name: phase for phase in timeline.phases()}
    assert all(phase.clock == "guest" for phase in phases.values())
    # the TSC calibration against the i8254 is where the first 100 ms go: a part of subsystems,
    # from its start line to the clock source it found
    assert phases["subsystems"].guest_start == 0.0 and phases["subsystems"].guest_end == 0.101047
    calibration = phases["tsc_calibration"]
    assert (calibration.parent, calibration.guest_start, calibration.guest_end) == ("subsystems", 0.0, 0.100032)
    assert phases["main"].guest_start == 0.114346
    assert phases["exit"].guest_start == 0.11905 and phases["exit"].guest_end == 0.120498
    assert timeline.lines == 66 and timeline.unrecognised == 0


def test_9p_handshake_spans_tversion_to_rattach() -> None:
    phase = trace_log(log("040")).phase("9p_handshake")
    assert phase is not None and (phase.guest_start, phase.guest_end) == (0.154595, 0.167976)


def test_failed_mount_is_the_reason_not_the_init_error_after_it() -> None:
    timeline = trace_log(log("003"))
    assert timeline.ending is not None
    assert timeline.ending.line == "[   69.438952] CRIT: [libvfscore] rootfs.c @ 85   : Failed to mount /: 0"


def test_a_crash_whose_cause_an_earlier_error_line_names_says_it() -> None:
    """A real 0.17.0 helloworld under TCG: ukrandom finds no RDSEED, its init function fails; the
    crash's own line says only `returned error -95`, the reason says why and what to do."""
    timeline = trace_log(log("041"))
    assert timeline.ending is not None
    assert timeline.ending.reason.startswith("Init function at 0x125ba0 returned error -95; ")
    assert (
        "no hardware RNG" in timeline.ending.reason
        and "run under KVM, or build without LIBUKRANDOM" in timeline.ending.reason
    )
