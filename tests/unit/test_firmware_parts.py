"""The firmware's parts (`--firmware-timing`): SeaBIOS's debug lines name them
(`phases.FIRMWARE_RULES`), the timeline nests them in `firmware` on the host clock, and a recording
keeps the debug console with the times of its reads, so a replay names the same parts."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import anyio

from tests.conftest import DATA, RECORDINGS, uktrace
from tests.invariant import violations
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser
from uktrace.parsers.phases import FIRMWARE_PARTS, FIRMWARE_RULES, HOST_PHASES, PARENTS, firmware_part_of
from uktrace.recording.reader import read_guest
from uktrace.recording.record import GuestRecorder
from uktrace.recording.replay import ReplayFleet

SEABIOS = (RECORDINGS / "format-1-crash-3" / "guest-1" / "firmware.log").read_bytes()
"""SeaBIOS 1.16.2's debug console (Debian's QEMU, `-machine pc`), booting the test guest."""
FIRMWARE = DATA / "firmware" / "firmware-2"
"""Two test guests run with `--no-gate --firmware-timing` (recorded with firmware.tsv)."""
MS = 1_000_000
KERNEL_LINE = b"[    0.000000] Info: [libkvmplat] <setup.c @  401> Entering from KVM (x86)...\n"


def test_seabios_lines_name_each_part_in_boot_order() -> None:
    named = [part for line in SEABIOS.decode().splitlines() if (part := firmware_part_of(line)) is not None]
    # `Booting from ROM...`, then `Booting from c100:003c`: a part named again stays where it began
    assert named == [*FIRMWARE_PARTS, "kernel_load"]
    assert [rule.phase for rule in FIRMWARE_RULES] == list(FIRMWARE_PARTS)  # one rule a part, in boot order
    assert all(PARENTS[part] == "firmware" and part in HOST_PHASES for part in FIRMWARE_PARTS)
    assert firmware_part_of("SeaBIOS (version 1.16.2-debian-1.16.2-1)") is None
    assert firmware_part_of("PCI: init bdf=00:02.0 id=8086:100e") is None


def booted(lines_late: int = 0) -> tuple[BootTimeline, list[int]]:
    """A guest spawned at 0 whose SeaBIOS prints one debug line a millisecond from 10 ms on, and
    whose kernel prints its first line just after the last one, or `lines_late` lines before the
    debug console is all read (the two are read apart); its VMM exits 100 ms after that.
    Returns the timeline and when each debug line arrived."""
    timeline = BootTimeline(name="g")
    timeline.spawned(0)
    lines = SEABIOS.splitlines(keepends=True)
    arrivals = [(10 + index) * MS for index in range(len(lines))]
    kernel_at = arrivals[-1] + MS // 2 - lines_late * MS
    parser = ConsoleParser()
    fed_kernel = False
    for at, line in zip(arrivals, lines, strict=True):
        if not fed_kernel and at > kernel_at:
            for record in parser.feed(KERNEL_LINE, kernel_at):
                timeline.consume(record)
            fed_kernel = True
        # cut mid-line: a line's time is its first byte's arrival, not its newline's
        timeline.firmware_output(line[:5], at)
        timeline.firmware_output(line[5:], at + MS // 4)
    if not fed_kernel:
        for record in parser.feed(KERNEL_LINE, kernel_at):
            timeline.consume(record)
    timeline.process_exited(kernel_at + 100 * MS)
    return timeline, arrivals


def arrival_of(line: str, arrivals: list[int]) -> float:
    index = next(i for i, text in enumerate(SEABIOS.decode().splitlines()) if text.startswith(line))
    return arrivals[index] / 1e9


def test_each_part_runs_from_its_line_to_the_next_inside_the_firmware() -> None:
    timeline, arrivals = booted()
    assert violations(timeline) == []
    phases = timeline.phases()
    assert [p.name for p in phases[:6]] == ["spawn", "firmware", *FIRMWARE_PARTS]
    firmware = phases[1]
    parts = {p.name: p for p in phases if p.parent == "firmware"}
    starts = ["=== PCI bus", "Scan for VGA option rom", "Scan for option roms", "Booting from ROM"]
    for name, line in zip(FIRMWARE_PARTS, starts, strict=True):
        assert parts[name].host_start == arrival_of(line, arrivals), name
        assert parts[name].clock == "host" and parts[name].guest_start is None
    for before, after in itertools.pairwise(FIRMWARE_PARTS):
        assert parts[before].host_end == parts[after].host_start
    assert parts["kernel_load"].host_end == firmware.host_end == phases[6].host_start  # the kernel's first line
    assert firmware.host_start == 0.01  # SeaBIOS's first byte


def test_a_debug_line_read_after_the_kernels_first_stays_inside_the_firmware() -> None:
    timeline, _ = booted(lines_late=2)  # `Booting from ROM...` read after the kernel's first line
    assert violations(timeline) == []
    firmware = timeline.phase("firmware")
    load = timeline.phase("kernel_load")
    assert firmware is not None and load is not None
    assert load.host_start == load.host_end == firmware.host_end


def test_a_recorder_keeps_the_reads_and_the_reader_gives_them_back(tmp_path: Path) -> None:
    recorder = GuestRecorder(tmp_path / "guest-1")
    reads = [(5 * MS, SEABIOS[:100]), (6 * MS, SEABIOS[100:101]), (9 * MS, SEABIOS[101:])]
    for at, data in reads:
        recorder.firmware(data, at)
    recorder.finish({"name": "guest-1"})  # type: ignore[typeddict-item]
    recorded = read_guest(tmp_path / "guest-1")
    assert recorded.firmware == tuple(reads)
    assert (tmp_path / "guest-1" / "firmware.log").read_bytes() == SEABIOS


def test_a_recording_without_the_reads_times_replays_without_parts() -> None:
    recorded = read_guest(RECORDINGS / "format-1-crash-3" / "guest-1")  # firmware.log, no firmware.tsv
    assert recorded.firmware == () and not any("firmware" in line for line in recorded.missing)
    fleet = ReplayFleet(RECORDINGS / "format-1-crash-3", speed=0)
    anyio.run(fleet.run)
    assert all(p.parent != "firmware" for g in fleet.guests for p in g.timeline.phases())


def test_a_recording_replays_the_firmwares_parts() -> None:
    fleet = ReplayFleet(FIRMWARE, speed=0)
    anyio.run(fleet.run)
    assert fleet.guests
    for guest in fleet.guests:
        assert violations(guest.timeline) == [], guest.name
        parts = [p for p in guest.timeline.phases() if p.parent == "firmware"]
        assert [p.name for p in parts] == list(FIRMWARE_PARTS), guest.name
        assert all(p.duration is not None and p.clock == "host" for p in parts)


def test_blame_lists_the_firmwares_parts() -> None:
    result = uktrace("blame", "--json", str(FIRMWARE))
    assert result.returncode == 0, result.stderr
    rows = {row["function"]: row for row in json.loads(result.stdout)["functions"]}
    for name in FIRMWARE_PARTS:
        assert (rows[name]["kind"], rows[name]["phase"], rows[name]["clock"]) == ("part", "firmware", "host")
        assert rows[name]["guests"] == rows[name]["timed"] == 2


def test_an_unsound_firmware_index_is_said_and_left_out(tmp_path: Path) -> None:
    guest = tmp_path / "guest-1"
    shutil.copytree(FIRMWARE / "guest-1", guest)
    (guest / "firmware.tsv").write_text("0\tnot a time\n")
    recorded = read_guest(guest)
    assert recorded.firmware == () and "firmware.tsv from line 1 of 1 (unreadable)" in recorded.missing
    (guest / "firmware.tsv").write_text("0\t5\n")
    (guest / "firmware.log").unlink()
    (guest / "firmware.log").symlink_to(RECORDINGS / "format-1-crash-3" / "guest-1" / "firmware.log")
    recorded = read_guest(guest)
    assert recorded.firmware == () and any("firmware.log" in line for line in recorded.problems)
