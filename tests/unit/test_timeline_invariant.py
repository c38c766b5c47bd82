"""The timeline invariant (`tests.invariant`) on every bundled real log (the corpus's, all copied into
tests/data/logs) and every recording, replayed; and the two shapes issue 19 found broken: early
lines before the first marker (0.17's `memory.c` coalescing before `Unikraft Calypso`), and init
functions that run the bus probe and the mount."""

from __future__ import annotations

import itertools
from pathlib import Path

import anyio
import pytest

from tests.conftest import DATA, LOGS
from tests.invariant import violations
from uktrace.model.axis import AxisMode, Placement, Span, spans_of
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser
from uktrace.parsers.phases import NESTED
from uktrace.recording.logs import trace_log
from uktrace.recording.replay import ReplayFleet

RECORDINGS = DATA / "recordings"


@pytest.mark.parametrize("path", sorted(LOGS.glob("*.log")), ids=lambda p: p.name[:3])
def test_every_bundled_log_holds_the_invariant(path: Path) -> None:
    assert violations(trace_log(path)) == []


@pytest.mark.parametrize("name", sorted(p.name for p in RECORDINGS.iterdir() if p.is_dir()))
def test_every_recording_replays_holding_the_invariant(name: str) -> None:
    fleet = ReplayFleet(RECORDINGS / name, speed=0)
    anyio.run(fleet.run)
    assert fleet.guests
    for guest in fleet.guests:
        assert violations(guest.timeline) == [], guest.name


COALESCING = [  # a 0.17 debug build's first lines (plat/common/memory.c), then its bootinfo
    (100, b"[    0.000000] dbg:  [libkvmplat] <memory.c @  320> Coalescing memory region list.\n"),
    (110, b"[    0.000000] dbg:  [libkvmplat] <memory.c @  340> No adjustment for these mrd's.\n"),
    (200, b"[    0.000000] Info: [libkvmplat] <bootinfo.c @   68> Unikraft Calypso (0.17.0)\n"),
    (210, b"[    0.000000] Info: [libkvmplat] <setup.c @  135> Switch from bootstrap stack to stack @0x3fe0000\n"),
    (300, b"[    0.050000] Info: [libukboot] <boot.c @   39> Init Table @ 0x109010 - 0x109018\n"),
    (310, b"[    0.051000] dbg:  [libukboot] <boot.c @   48> Call init function: 0x102bd0(0x109170)...\n"),
    (320, b"[    0.052000] Info: [libukbus] <bus.c @   25> Initialize bus handlers...\n"),
    (330, b"[    0.060000] dbg:  [libukboot] <boot.c @   48> Call init function: 0x104a00(0x109170)...\n"),
    (340, b"[    0.061000] Info: [libvfscore] <mount.c @   10> VFS: mounting 9pfs at /\n"),
    (350, b"[    0.062000] dbg:  [libuk9p] <9p.c @  165> TVERSION msize 65536 version 9P2000.L\n"),
    (360, b"[    0.070000] dbg:  [libuk9p] <9p.c @  199> RATTACH qid type 128 version 1 path 2\n"),
    (370, b"[    0.071000] dbg:  [libukboot] <boot.c @   48> Call init function: 0x105000(0x109170)...\n"),
    (380, b"Powered by Unikraft Calypso (0.17.0)\n"),
    (390, b"[    0.080000] Info: [libukboot] <boot.c @   76> Calling main(1, ['app'])\n"),
]


def booted(chunks: list[tuple[int, bytes]], exit_ms: int = 400) -> BootTimeline:
    """A guest spawned at 0, its VMM up at 50 ms, these console chunks (ms), its VMM exiting at `exit_ms`."""
    ms = 1_000_000
    timeline = BootTimeline(name="g")
    timeline.spawned(0)
    timeline.firmware_started(50 * ms)
    parser = ConsoleParser()
    for at, chunk in chunks:
        for record in parser.feed(chunk, at * ms):
            timeline.consume(record)
    for record in parser.flush():
        timeline.consume(record)
    timeline.process_exited(exit_ms * ms)
    return timeline


def test_lines_before_the_first_marker_are_the_platform_entry() -> None:
    timeline = booted(COALESCING)
    assert violations(timeline) == []
    phases = {p.name: p for p in timeline.phases()}
    assert phases["firmware"].host_end == phases["platform_entry"].host_start == 0.1  # the first memory.c line
    assert phases["platform_entry"].host_end == 0.21  # until the stack switch


def test_bars_on_the_console_axis_start_at_0() -> None:
    timeline = booted(COALESCING)
    where = Placement(first_line=(timeline.first_guest_ns or 0) / 1e9)
    spans = spans_of(timeline.phases(), AxisMode.CONSOLE, where)
    assert spans[0] == Span("platform_entry", 0.0, pytest.approx(0.11))  # type: ignore[arg-type]
    top = [span for span in spans if span.phase not in NESTED]
    assert all(a.end == b.start for a, b in itertools.pairwise(top))  # no hole between bar segments


def test_init_functions_hold_the_bus_probe_and_the_mount() -> None:
    timeline = booted(COALESCING)
    phases = {p.name: p for p in timeline.phases()}
    init, probe, mount = phases["init_table"], phases["bus_probe"], phases["mount"]
    assert (probe.parent, mount.parent, phases["9p_handshake"].parent) == ("init_table", "init_table", "mount")
    # from its marker to the banner, which has no stamp: placed through its arrival, 10 ms of host time
    # after the last stamp's line (this clock's fit is not sure of its rate yet: the host's), never
    # beyond the next stamp (0.080)
    assert init.guest_start == 0.05 and init.guest_end is not None and 0.071 < init.guest_end <= 0.08
    assert (probe.guest_start, probe.guest_end) == (0.052, 0.06)  # until the function that ran it returned
    assert (mount.guest_start, mount.guest_end) == (0.061, 0.071)
    calls = [(c.guest_start, c.guest_end) for c in timeline.calls()]
    assert calls == [(0.051, 0.06), (0.06, 0.071), (0.071, init.guest_end)]  # each inside init_table


def test_a_mount_after_the_init_table_belongs_to_the_phase_in_progress() -> None:
    app_mount = (395, b"[    0.090000] Info: [libvfscore] <mount.c @   10> VFS: mounting ramfs at /tmp\n")
    timeline = booted([*COALESCING[:8], COALESCING[12], COALESCING[13], app_mount])
    names = [p.name for p in timeline.phases()]
    assert "mount" not in names and names[-1] == "main"
    assert violations(timeline) == []


def test_a_log_from_a_running_kernel_is_an_excerpt_without_a_made_up_phase() -> None:
    timeline = trace_log(LOGS / "014-v0.8-kvm-arm64-pf-pci-ecam.log")
    assert timeline.excerpt and [p.name for p in timeline.phases()] == ["init_table", "bus_probe"]
    assert not trace_log(LOGS / "012-v0.16-firecracker-x86-memory-assert.log").excerpt  # memory.c at t=0
