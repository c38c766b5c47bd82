"""The test guest as Unikraft 0.18-0.21, at Info and at debug level, booted in real QEMU with a 9P
share: every boot reads into the same phases with a complete timeline (`tests.invariant`), the
mount where the level shows it and a note naming the option where it does not (0.20+ at Info);
an era the guest does not know stops the boot, and the run says which ones it knows."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.conftest import uktrace
from tests.integration.conftest import run_json
from tests.invariant import violations
from uktrace.recording.replay import ReplayFleet

ERAS = ["0.18", "0.19", "0.20", "0.21"]
BEFORE_MOUNT = ["spawn", "gate", "firmware", "platform_entry", "stack_switch", "constructors", "subsystems"]
AFTER_MOUNT = ["banner", "main", "exit"]
DEBUG_OPTION = {"0.20": "CONFIG_LIBUKDEBUG_PRINTD=y", "0.21": "CONFIG_LIBUKPRINT_KLVL_DEBUG=y"}


@pytest.mark.parametrize("level", ["info", "debug"])
@pytest.mark.parametrize("era", ERAS)
def test_every_new_era_reads_into_a_complete_timeline(tmp_path: Path, share: Path, era: str, level: str) -> None:
    recording = tmp_path / "rec"
    append = f"uktrace.era={era} uktrace.level={level}"
    result, process = run_json("--fs", str(share), "--append", append, "--record", str(recording))
    assert process.returncode == 0, process.stderr
    (guest,) = result["guests"]
    assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
    assert guest["unikraft"]["version"] == f"{era}.0" and guest["host"]["integrity"] == "ok"
    console = (recording / "guest-1" / "console.raw").read_bytes()
    assert b"Registered con1: COM1, flags: IO\r\n" in console and b"Hello from the 9P share!\r\n" in console
    assert (b"dbg:" in console) == (level == "debug")
    fleet = ReplayFleet(recording, speed=0)
    anyio.run(fleet.run)
    (replayed,) = fleet.guests
    timeline = replayed.timeline
    assert timeline.status.finished and violations(timeline) == []
    top = [p.name for p in timeline.phases() if p.parent is None]
    assert top == [*BEFORE_MOUNT, "init_table", *AFTER_MOUNT]
    nested = {p.name for p in timeline.phases() if p.parent is not None}
    hidden = level == "info" and era in DEBUG_OPTION
    shown = {"tsc_calibration", "bus_probe", "9p_handshake"}
    assert nested == (shown if hidden else shown | {"mount"})
    if hidden:  # what `uktrace parse` says of the console
        parsed = uktrace("parse", str(recording / "guest-1" / "console.raw"))
        assert (
            f"mount: not on the console at this level (Unikraft {era}.0 logs mounts at debug level only): "
            f"build with {DEBUG_OPTION[era]} to see it" in " ".join(parsed.stdout.split())
        )


def test_an_era_the_guest_does_not_know_is_refused_with_the_ones_it_knows(tmp_path: Path) -> None:
    result, _ = run_json("--append", "uktrace.era=0.99", "--record", str(tmp_path / "rec"))
    (guest,) = result["guests"]
    assert guest["status"] == "failed"
    assert guest["crash"]["reason"] == (
        "Failed to parse the kernel argument; Unknown value '0.99' for uktrace.era: "
        "known values are 0.4, 0.5, 0.10, 0.17, 0.18, 0.19, 0.20, 0.21"
    )
    names = [p["name"] for p in guest["phases"]]
    assert names[-2:] == ["constructors", "exit"] and "main" not in names  # refused in libparam's constructor
    assert guest["host"]["qemu_status"] == 3  # isa-debug-exit: (1 << 1) | 1, failed
