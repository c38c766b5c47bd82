"""A recording travels: copied elsewhere, its kernel deleted, `uktrace replay` still shows the run
that was recorded — on real runs of the test guest under QEMU.

"Equal" means identical JSON values (`==` after `json.loads`, floats included: host times are
recorded in ns and every figure is a difference of them, rounded the same way) for, per guest,
every `parse` field (`name, source, unikraft, status, exit_code, crash` with its `where`, every
phase with both clocks, `lines, unrecognised`), `times`, `cpu` (QEMU's CPU per phase), and the `host` facts in `HOST`; and
for the summary's `SUMMARY` keys (counts, spawn spread, per-phase and per-figure distributions).
Left out: where the recording lives (`host.recording`, `record_dir`) and the tracer's own CPU
and memory, which are the replaying process's; but what uktrace took from the guests while they
booted (`summary.tracer.booting`) is the recorded run's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import run_json, uktrace
from uktrace.kernel.find import TEST_GUEST
from uktrace.parsers.phases import FIRMWARE_PARTS

PARSE = (
    "name",
    "source",
    "unikraft",
    "status",
    "exit_code",
    "crash",
    "phases",
    "lines",
    "unrecognised",
    "times",
    "cpu",
)
HOST = (
    "accel",
    "spawn_ns",
    "ready_ns",
    "release_ns",
    "firmware_ns",
    "first_byte_ns",
    "exit_ns",
    "wall_s",
    "bytes",
    "qemu_status",
    "stderr_tail",
    "integrity",
    "lingered",
    "cpu_marks",
    "cpu_total_ns",
)
SUMMARY = ("guests", "jobs", "counts", "spawn_spread_s", "phases", "times", "interrupted_by")
HOST_PHASES = ("spawn", "gate", "firmware")
DEBUG_EXIT = ("--", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
"""A copied kernel is not the built-in test guest: its exit device is passed by hand."""
CRASH_DUMP = (
    "[    0.047944] CRIT: [libkvmplat] <traps.c @   74> Unhandled Trap 0 (divide error), error code=0x0\\n"
    "[    0.048282] CRIT: [libkvmplat] <trace.c @   17> RIP: 000000000010317c CS: 0008\\n"
)


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """The part of a run's JSON a replay must reproduce exactly (see the module docstring)."""
    return {
        "guests": [
            {key: guest[key] for key in PARSE} | {"host": {key: guest["host"][key] for key in HOST}}
            for guest in result["guests"]
        ],
        "summary": {key: result["summary"][key] for key in SUMMARY},
    }


def replay(directory: Path) -> dict[str, Any]:
    process = uktrace("replay", str(directory), "--json", "--speed", "0")
    assert "Traceback" not in process.stderr, process.stderr
    result: dict[str, Any] = json.loads(process.stdout)
    return result


def movable_kernel(tmp_path: Path, stripped: bool) -> Path:
    """A copy of the test guest to boot and then delete; `stripped` keeps the symbols only in
    kraft's `<kernel>.dbg` sibling."""
    kernel = tmp_path / "kernel" / "app_qemu-x86_64"
    kernel.parent.mkdir()
    if stripped:
        objcopy = shutil.which("objcopy")
        if objcopy is None:
            pytest.skip("needs objcopy (binutils)")
        subprocess.run([objcopy, "--strip-all", str(TEST_GUEST), str(kernel)], check=True)
        shutil.copy(TEST_GUEST, kernel.with_name(kernel.name + ".dbg"))
    else:
        shutil.copy(TEST_GUEST, kernel)
    return kernel


SCENARIOS = {
    # name: (uktrace run arguments, boot a copy of the test guest (stripped, symbols in a .dbg?) or None: a launcher)
    "9p-share": (["-n", "3", "--fs", "{share}", "--append", "uktrace.era=0.17"], False),
    "crash": (["-n", "2", "--append", "uktrace.era=0.10 uktrace.fault=crash"], True),
    "mount-failure-in-two-waves": (
        ["-n", "3", "-j", "2", "--fs", "{share}", "--append", "uktrace.fault=mountfail"],
        False,
    ),
    "weak-main": (["-n", "2", "--append", "uktrace.era=0.5 uktrace.fault=weakmain"], False),
    "firmware-timing-without-gate": (
        ["-n", "2", "--no-gate", "--firmware-timing", "--append", "uktrace.era=0.4"],
        False,
    ),
    "timeout": (["--timeout", "2", "--append", "uktrace.era=0.10 uktrace.fault=hang"], False),
    "launcher-crash": (["-n", "2", "--cmd", f"printf '{CRASH_DUMP}'"], None),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_copied_recording_replays_as_the_live_run(tmp_path: Path, share: Path, scenario: str) -> None:
    arguments, stripped = SCENARIOS[scenario]
    args = [arg.replace("{share}", str(share)) for arg in arguments] + ["--record", str(tmp_path / "rec")]
    kernel = None if stripped is None else movable_kernel(tmp_path, stripped)
    if kernel is not None:
        args = [str(kernel), *args, *DEBUG_EXIT]
    live, _ = run_json(*args)
    assert live["guests"] and all(guest["status"] != "booting" for guest in live["guests"])
    shutil.copytree(tmp_path / "rec", tmp_path / "copy")
    shutil.rmtree(tmp_path / "rec")
    if kernel is not None:
        shutil.rmtree(kernel.parent)  # the kernel and its .dbg are gone: only the recording knows them
    replayed = replay(tmp_path / "copy")
    assert comparable(replayed) == comparable(live)
    # what uktrace took from the guests while they booted is the run's, kept for the replay to say
    assert live["summary"]["tracer"]["booting"]["share"] > 0
    assert replayed["summary"]["tracer"]["booting"] == live["summary"]["tracer"]["booting"]
    if scenario == "crash":  # named from the recording's own table, made from the .dbg sibling
        assert all(g["crash"]["where"].endswith(" app_divide+0x1c") for g in replayed["guests"])
    if scenario == "firmware-timing-without-gate":  # the firmware's parts, from the recorded debug console
        assert all(
            {p["name"] for p in g["phases"] if p["parent"] == "firmware"} == set(FIRMWARE_PARTS) for g in live["guests"]
        )
    if scenario == "launcher-crash":  # not our QEMU line, not our kernel: located in neither
        assert all(g["status"] == "crashed" and g["crash"]["where"] is None for g in replayed["guests"])
    if stripped is not None and scenario != "firmware-timing-without-gate":  # the start gate's phases survive
        assert all([p["name"] for p in g["phases"][:3]] == list(HOST_PHASES) for g in replayed["guests"])


def as_format_1(directory: Path) -> None:
    """Strip a recording to what uktrace wrote before recordings travelled: no format, no gate
    times, no kernel identity or symbols, no crash location, no tracer's cost; the kernel only by
    its path."""
    session = json.loads((directory / "session.json").read_text())
    for key in ("format", "qemu", "host", "tracer"):
        del session[key]
    (directory / "session.json").write_text(json.dumps(session))
    shutil.rmtree(directory / "kernels")
    for name in session["guests"]:
        meta = json.loads((directory / name / "guest.json").read_text())
        del meta["kernel_image"], meta["host"]["ready_ns"], meta["host"]["release_ns"]
        if meta["crash"]:
            del meta["crash"]["where"]
        (directory / name / "guest.json").write_text(json.dumps(meta))


def test_a_format_1_recording_still_replays_with_what_it_has(tmp_path: Path) -> None:
    kernel = movable_kernel(tmp_path, stripped=False)
    live, _ = run_json(str(kernel), "-n", "2", "--append", "uktrace.fault=crash", "--record", str(tmp_path / "rec"))
    as_format_1(tmp_path / "rec")
    kernel.unlink()
    replayed = replay(tmp_path / "rec")
    assert replayed["summary"]["tracer"]["booting"] is None  # not recorded then: not said
    for was, now in zip(live["guests"], replayed["guests"], strict=True):
        assert (now["status"], now["exit_code"], now["crash"]["reason"]) == ("crashed", None, was["crash"]["reason"])
        address, _name = was["crash"]["where"].split()
        assert now["crash"]["where"] == address  # the kernel is gone, and nothing else names it
        # no gate times: the VMM's start runs until the first byte; the guest's own phases are untouched
        assert [p["name"] for p in now["phases"][:2]] == ["spawn", "firmware"]
        assert [p for p in now["phases"] if p["name"] not in HOST_PHASES] == [
            p for p in was["phases"] if p["name"] not in HOST_PHASES
        ]
        assert now["host"]["spawn_ns"] == was["host"]["spawn_ns"] and now["host"]["ready_ns"] is None
