"""The `ready` phase (`--ready REGEX`) on synthetic consoles: where it starts and ends, on which
clock, and what a guest that never got ready says."""

from __future__ import annotations

import pytest

from uktrace.analysis.figures import guest_times
from uktrace.analysis.results import ended_cleanly
from uktrace.model.axis import AxisMode, spans_of
from uktrace.model.timeline import BootTimeline, Status
from uktrace.parsers import ConsoleParser

MS = 1_000_000
BOOT = (
    (90, b"[    0.000000] Info: [libkvmplat] <setup.c @  468> Entering from KVM (x86)...\n"),
    (150, b"[    0.050000] Info: [libukboot] <boot.c @   90> Init Table @ 0x1 - 0x2\n"),
    (170, b"Powered by Unikraft Testguest (0.10.0~uktrace)\n"),
    (171, b"[    0.071000] Info: [libukboot] <boot.c @  139> Calling main(1, ['g'])\n"),
)
LISTENING = (300, b"Listening on port 8080\n")
EXIT = (400, b"[    0.300000] Info: [libukboot] <boot.c @  148> main returned 0, halting system\n")


def timeline_of(*lines: tuple[int, bytes], ready: str | None = "Listening on") -> BootTimeline:
    timeline = BootTimeline("g", ready=ready)
    timeline.spawned(0)
    parser = ConsoleParser()
    for host_ms, line in lines:
        for record in parser.feed(line, host_ns=host_ms * MS):
            timeline.consume(record)
    return timeline


def phase(timeline: BootTimeline, name: str) -> tuple[float | None, float | None, float | None, float | None, str]:
    found = timeline.phase(name)
    assert found is not None
    return found.guest_start, found.guest_end, found.host_start, found.host_end, found.clock


def test_an_unstamped_ready_line_is_placed_after_the_last_stamp_by_its_arrival() -> None:
    waited = (299, b"[    0.250000] dbg:  [appserve] <serve.c @   59> uktrace.serve: waited 150 ms before listening\n")
    timeline = timeline_of(*BOOT, waited, LISTENING, EXIT)
    start, end, *rest = phase(timeline, "ready")
    assert (start, rest) == (0.071, [0.171, 0.3, "guest"])
    assert end is not None and 0.25 <= end <= 0.252  # by the clock's fit: 1 ms of arrival after the 0.250 stamp
    assert timeline.ready_line == "Listening on port 8080"
    assert [p.name for p in timeline.phases()][-3:] == ["main", "ready", "exit"]  # nested in main, main goes on
    assert phase(timeline, "main")[3] == 0.4
    times = guest_times(timeline)
    assert times.ready is not None and 0.179 <= times.ready <= 0.181 and times.clocks["ready"] == "guest"
    assert timeline.not_ready is None


def test_with_no_stamp_since_main_began_its_arrival_places_it() -> None:
    timeline = timeline_of(*BOOT, LISTENING, EXIT)
    # not the 0 ms of "nothing stamped in between": main's start stamp plus the host time since it arrived
    start, end, *rest = phase(timeline, "ready")
    assert (start, rest) == (0.071, [0.171, 0.3, "guest"]) and end == pytest.approx(0.2)
    assert guest_times(timeline).ready == pytest.approx(0.129)
    for mode in (AxisMode.GUEST, AxisMode.HOST):  # each axis draws it over main's start
        spans = [span.phase for span in spans_of(timeline.phases(), mode)]
        assert spans.index("ready") == spans.index("main") + 1


def test_a_stamped_ready_line_ends_at_its_own_stamp() -> None:
    line = (300, b"[    0.200000] Info: [app] <app.c @ 1> server: Listening on :80\n")
    assert phase(timeline_of(*BOOT, line, EXIT), "ready")[:2] == (0.071, 0.2)


def test_a_match_before_main_is_not_the_ready_line() -> None:
    early = (100, b"[    0.000000] Info: [libkvmplat] <setup.c @  468> Listening on the bus, says a driver\n")
    timeline = timeline_of(*BOOT[:1], early, *BOOT[1:], LISTENING, EXIT)
    assert phase(timeline, "ready")[3] == 0.3


@pytest.mark.parametrize(
    ("ending", "status", "reason"),
    [
        (EXIT, Status.EXITED, "not ready: exited first"),
        ((400, b"[    0.300000] CRIT: [libkvmplat] <traps.c @ 1> Unhandled Trap 0 (divide error), error code=0x0\n"),
         Status.CRASHED, "not ready: crashed first"),
    ],
)  # fmt: skip
def test_a_guest_that_ends_first_says_so_and_is_not_clean(
    ending: tuple[int, bytes], status: Status, reason: str
) -> None:
    timeline = timeline_of(*BOOT, ending)
    timeline.process_exited(500 * MS)
    assert timeline.status is status and timeline.not_ready == reason
    assert timeline.phase("ready") is None and guest_times(timeline).ready is None
    assert not ended_cleanly(timeline)


def test_a_guest_timed_out_before_it_was_ready() -> None:
    timeline = timeline_of(*BOOT)
    assert timeline.not_ready is None  # still running: it may yet be ready
    timeline.timed_out(60_000 * MS, 60)
    assert timeline.not_ready == "not ready: timed out first"


def test_without_a_pattern_nothing_changes() -> None:
    timeline = timeline_of(*BOOT, LISTENING, EXIT, ready=None)
    assert timeline.phase("ready") is None and timeline.not_ready is None and ended_cleanly(timeline)
