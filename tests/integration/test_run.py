"""`uktrace run` on the real test guest under QEMU (TCG): phases, statuses, bytes, concurrency."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import GUEST_CLOCKS, qemu_processes_mentioning, run_json
from uktrace.launch.accel import kvm_problem
from uktrace.launch.fleet import HALT_GRACE_S
from uktrace.parsers.phases import FIRMWARE_PARTS
from uktrace.recording.reader import read_guest

FULL = [
    "spawn",
    "gate",
    "firmware",
    "platform_entry",
    "stack_switch",
    "constructors",
    "subsystems",
    "tsc_calibration",
    "init_table",
    "bus_probe",
]
WITH_FS = [*FULL, "mount", "9p_handshake", "banner", "main", "exit"]
WITHOUT_FS = [*FULL, "banner", "main", "exit"]


def phase_names(guest: dict[str, object]) -> list[str]:
    return [p["name"] for p in guest["phases"]]  # type: ignore[index,union-attr]


def assert_clean_exit(guest: dict[str, object], phases: list[str]) -> None:
    assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
    assert phase_names(guest) == phases
    host = guest["host"]
    assert host["integrity"] == "ok"  # type: ignore[index]
    assert host["accel"] == "tcg"  # type: ignore[index]
    assert host["qemu_status"] == 1  # type: ignore[index]  # isa-debug-exit: (0 << 1) | 1


def test_one_guest_every_phase(tmp_path: Path) -> None:
    result, process = run_json("--no-gate", "--firmware-timing", "--record", str(tmp_path / "rec"))
    assert process.returncode == 0, process.stderr
    (guest,) = result["guests"]
    # SeaBIOS's debug console names the parts of the firmware: inside it, on the host clock
    assert_clean_exit(guest, ["spawn", "firmware", *FIRMWARE_PARTS, *WITHOUT_FS[3:]])
    assert guest["host"]["firmware_ns"] > guest["host"]["spawn_ns"]
    assert (tmp_path / "rec" / "guest-1" / "firmware.log").read_bytes().startswith(b"SeaBIOS (version")
    # each phase on the clock that saw it: the host for host phases, for phases that began before the
    # guest calibrated its clock (stamps 0.000000) and for the exit; the guest's stamps for the rest
    phases = {p["name"]: p for p in guest["phases"]}
    # (`guest (corrected)` when this guest's TSC calibration was disturbed: its clock ran skewed)
    on_guest = "guest (corrected)" if guest["guest_clock"]["corrected"] else "guest"
    for phase in phases.values():
        running = (phase["guest"]["start"] or 0) > 0 and phase["guest"]["end"] is not None
        expected = on_guest if running and phase["name"] not in ("spawn", "gate", "firmware") else "host"
        assert phase["clock"] == expected, phase
    assert phases["main"]["clock"] == on_guest and phases["spawn"]["clock"] == "host"
    assert phases["exit"]["clock"] == "host" and phases["exit"]["guest"]["end"] is None
    assert guest["times"]["clocks"] == {"boot": "host", "main": on_guest, "total": "host"}
    assert phases["spawn"]["end"] > 0 and phases["firmware"]["end"] > phases["firmware"]["start"]
    parts = [phases[name] for name in FIRMWARE_PARTS]
    assert all(part["parent"] == "firmware" and part["clock"] == "host" for part in parts)
    assert phases["firmware"]["start"] <= parts[0]["start"] and parts[-1]["end"] == phases["firmware"]["end"]
    assert all(before["end"] == after["start"] for before, after in itertools.pairwise(parts))
    assert guest["unikraft"] == {"version": "0.10.0", "codename": "Testguest", "sha": "uktrace"}
    recorded = read_guest(tmp_path / "rec" / "guest-1")
    console = b"".join(chunk for _, chunk in recorded.chunks)
    assert len(console) == guest["host"]["bytes"]
    assert b"Hello world!\n" in console
    assert recorded.meta["status"] == "exited"


@pytest.mark.parametrize("mode", ["shared", "independent"])
def test_ten_guests_with_a_9p_share(tmp_path: Path, share: Path, mode: str) -> None:
    result, process = run_json("-n", "10", "--fs", str(share), "--fs-mode", mode, "--record", str(tmp_path / "rec"))
    assert process.returncode == 0, process.stderr
    assert len(result["guests"]) == 10
    for guest in result["guests"]:
        assert_clean_exit(guest, WITH_FS)
        console = (tmp_path / "rec" / guest["name"] / "console.raw").read_bytes()
        assert b"Hello from the 9P share!" in console
        # mount and main from the guest's own stamps: never the 0.0 ms of lumped console chunks
        times = guest["times"]
        assert times["clocks"]["mount"] == times["clocks"]["main"] in GUEST_CLOCKS
        assert times["mount"] > 0 and times["main"] > 0
    summary = result["summary"]
    assert summary["times"]["mount"]["clock"] in GUEST_CLOCKS and summary["phases"]["spawn"]["clock"] == "host"
    assert summary["counts"]["exited"] == 10 and summary["jobs"] == 10
    assert summary["phases"]["9p_handshake"]["count"] == 10
    assert summary["times"]["mount"]["count"] == 10
    # the independent copies are gone, the share itself untouched
    assert list(share.iterdir()) == [share / "hello.txt"]


def test_fifty_guests_at_once(tmp_path: Path) -> None:
    result, process = run_json("-n", "50", "--record", str(tmp_path / "rec"), timeout=600)
    assert process.returncode == 0, process.stderr
    statuses = [g["status"] for g in result["guests"]]
    assert statuses == ["exited"] * 50
    assert all(g["host"]["integrity"] == "ok" for g in result["guests"])
    # released together by the start gate: every guest's wait ends at (nearly) the same instant
    releases = sorted(g["host"]["spawn_ns"] + g["phases"][1]["end"] * 1e9 for g in result["guests"])
    assert [g["phases"][1]["name"] for g in result["guests"]] == ["gate"] * 50
    assert (releases[-1] - releases[0]) / 1e9 == pytest.approx(result["summary"]["spawn_spread_s"], abs=1e-3)
    assert qemu_processes_mentioning(str(tmp_path)) == []


def test_jobs_bound_concurrency(tmp_path: Path) -> None:
    result, process = run_json("-n", "6", "-j", "2", "--record", str(tmp_path / "rec"))
    assert process.returncode == 0
    spans = sorted((g["host"]["spawn_ns"], g["host"]["exit_ns"]) for g in result["guests"])
    # never more than two guests alive at any spawn instant
    for start, _ in spans:
        assert sum(1 for s, e in spans if s <= start < e) <= 2


@pytest.mark.parametrize("era", ["0.4", "0.5", "0.10", "0.17"])
def test_every_era_parses_to_the_full_sequence(tmp_path: Path, share: Path, era: str) -> None:
    result, process = run_json("--fs", str(share), "--append", f"uktrace.era={era}", "--record", str(tmp_path / "r"))
    assert process.returncode == 0, process.stderr
    (guest,) = result["guests"]
    assert_clean_exit(guest, WITH_FS)
    assert guest["unikraft"]["version"].startswith(era)


def test_cmd_traces_any_launcher(tmp_path: Path) -> None:
    # QEMU as a user would type it: -nographic puts SeaBIOS on the serial too, glued to the first line
    from uktrace.kernel.find import TEST_GUEST

    command = (
        f"qemu-system-x86_64 -nographic -no-reboot -m 64M -accel tcg -kernel {TEST_GUEST} "
        "-append uktrace.era=0.5 -device isa-debug-exit,iobase=0xf4,iosize=0x04"
    )
    result, process = run_json("-n", "2", "--cmd", command, "--record", str(tmp_path / "rec"))
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0
        assert phase_names(guest) == [p for p in WITHOUT_FS if p != "gate"]  # not our QEMU line: no gate
        assert guest["host"]["accel"] == "n/a"
        firmware = next(p for p in guest["phases"] if p["name"] == "firmware")
        assert firmware["end"] > firmware["start"]  # SeaBIOS printed on the console this time
    assert process.returncode == 0


@pytest.mark.skipif(kvm_problem() is not None, reason="KVM is not usable here")
def test_kvm_boots_the_test_guest_too(tmp_path: Path) -> None:
    # qemu64: nested KVM hosts reject -cpu host (see test_bad_input); slow VM creation is expected there
    result, _ = run_json("--accel", "kvm", "--cpu", "qemu64", "--record", str(tmp_path / "rec"))
    (guest,) = result["guests"]
    assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
    assert guest["host"]["accel"] == "kvm"
    assert phase_names(guest) == WITHOUT_FS
    assert guest["host"]["integrity"] == "ok"


def test_a_vmm_that_outlives_its_halted_guest_is_stopped(tmp_path: Path) -> None:
    # Unikraft halts with an ACPI power-off; where the machine has none it spins in hlt and the
    # VMM never exits: the guest is done, so uktrace stops the VMM instead of waiting for --timeout
    halted = (
        "[    0.100000] Info: [libukboot] <boot.c @  148> main returned 0, halting system\\n"
        "[    0.100100] Info: [libkvmplat] <shutdown.c @   35> Unikraft halted\\n"
    )
    command = f"sh -c 'printf \"{halted}\"; exec sleep 600'"
    result, process = run_json("--cmd", command, "--timeout", "3600", "--record", str(tmp_path / "rec"), timeout=120)
    (guest,) = result["guests"]
    assert (guest["status"], guest["exit_code"], guest["host"]["lingered"]) == ("exited", 0, True)
    assert process.returncode == 0  # and it returned well before --timeout (or run_json's 120 s) ran out
    assert qemu_processes_mentioning(str(tmp_path)) == []  # the lingering `sleep` included
    assert_halt_wait_apart(guest, result)


def assert_halt_wait_apart(guest: dict[str, Any], result: dict[str, Any]) -> None:
    """`total` ends at the guest's own end; uktrace's wait for the VMM is `halt_wait`, and the two
    add up to the VMM's life; the `exit` phase (mostly that wait) counts for no figure."""
    times = guest["times"]
    assert times["halt_wait"] >= HALT_GRACE_S
    assert times["total"] + times["halt_wait"] == pytest.approx(guest["host"]["wall_s"], abs=1e-5)
    assert "exit" not in result["summary"]["phases"]
