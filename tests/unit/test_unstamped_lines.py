"""A line without a printk stamp (the banner, printf, an application's own logger) gets an honest
place on the guest clock: through its host arrival in a live run; in a saved log, or when it came in
one chunk with the stamp before it, between that stamp and the next one, a bound unless they are
close. Each phase such a line can end (ready, banner's start, main's start, main's end at the exit)
is tried with a guest that waits before it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import log as log_path
from uktrace.model.clock_rate import FixedReference, Reference
from uktrace.model.json_shape import timeline_dict
from uktrace.model.timeline import BootTimeline
from uktrace.parsers import ConsoleParser
from uktrace.recording.logs import trace_log

MS = 1_000_000
BOOT = [
    (0, b"[    0.100000] Info: [libukboot] <boot.c @  245> Calling main(1, ['app'])\n"),
    (2 * MS, b"[    0.101800] Info: [libapp] <main.c @   12> configuring\n"),
    # the application waits 300 ms, then prints its ready line with printf: no stamp
    (302 * MS, b"Listening on port 8080\n"),
    (303 * MS, b"[    0.402000] Info: [libukboot] <boot.c @  289> main returned 0, halting system\n"),
]


def traced(chunks: list[tuple[int, bytes]], live: bool, exit_ms: int | None = None) -> BootTimeline:
    timeline = BootTimeline("guest-1", ready="Listening on")
    parser = ConsoleParser()
    base = 10_000 * MS
    if live:
        timeline.spawned(base - 500 * MS)
    for at, data in chunks:
        for record in parser.feed(data, base + at if live else None):
            timeline.consume(record)
    for record in parser.flush():
        timeline.consume(record)
    if live and exit_ms is not None:
        timeline.process_exited(base + exit_ms * MS)
    else:
        timeline.finish()
    return timeline


def test_live_the_ready_line_is_placed_through_its_arrival() -> None:
    ready = traced(BOOT, live=True).phase("ready")
    assert ready is not None and ready.clock == "guest" and not ready.bound
    assert ready.duration is not None and abs(ready.duration - 0.3018) < 0.002  # not 1.8 ms


def test_a_saved_log_gives_a_bound_not_a_figure() -> None:
    timeline = traced(BOOT, live=False)
    ready = timeline.phase("ready")
    assert ready is not None and ready.bound and ready.duration is None
    (phase,) = [p for p in timeline_dict(timeline)["phases"] if p["name"] == "ready"]
    assert phase["bound"] is True and phase["end"] - phase["start"] < 0.002  # the lower bound, said as one


def test_a_stamped_ready_line_is_read_on_the_guest_clock_as_ever() -> None:
    stamped = [
        *BOOT[:2],
        (302 * MS, b"[    0.401800] Info: [libapp] <main.c @   20> Listening on port 8080\n"),
        BOOT[3],
    ]
    for live in (True, False):
        ready = traced(stamped, live).phase("ready")
        assert ready is not None and not ready.bound and ready.duration is not None
        assert abs(ready.duration - 0.3018) < 1e-6


def test_a_saved_log_read_with_a_known_tsc_frequency_is_corrected(tmp_path: Path) -> None:
    """An unobserved run's consoles (saved logs, no arrivals) are read with the TSC frequency its
    traced twin pooled: a guest whose calibration said 3.112 GHz on a 1.556 GHz host ran 2x slow,
    and its guest-clock phases are divided by that rate, as a traced guest's are."""
    log = tmp_path / "console.log"
    log.write_bytes(log_path("001").read_bytes())
    plain = trace_log(log)
    known = trace_log(log, reference=FixedReference(Reference(1_556_013_885.0, 1.5e9, 1.6e9, 3)))
    assert known.guest_clock().correction == pytest.approx(0.5)
    before, after = plain.phase("main"), known.phase("main")
    assert before is not None and after is not None and before.duration and after.duration
    assert (before.clock, after.clock) == ("guest", "guest (corrected)")
    assert after.duration == pytest.approx(before.duration * 2)


def stamped(stamp: float, library: str, message: str) -> bytes:
    return f"[{stamp:12.6f}] Info: [{library}] <x.c @    1> {message}\n".encode()


# an init function works 300 ms without a word, then Unikraft prints the banner (printf: no stamp)
SILENT_INIT = [
    (0, stamped(0.1, "libukboot", "Init Table @ 0x1 - 0x2")),
    (2 * MS, stamped(0.102, "libukbus", "Probe buses...")),
    (302 * MS, b"Powered by Unikraft Testguest (0.10.0~uktrace)\n"),
    (303 * MS, stamped(0.4025, "libukboot", "Calling main(1, ['app'])")),
    (304 * MS, stamped(0.4035, "libukboot", "main returned 0, halting system")),
]


def test_a_silent_wait_before_the_banner_is_the_init_tables() -> None:
    live = traced(SILENT_INIT, live=True)
    init, banner = live.phase("init_table"), live.phase("banner")
    assert init is not None and banner is not None and not init.bound and init.clock == "guest"
    assert init.duration == pytest.approx(0.302, abs=0.002)  # not the 2 ms of its last stamp
    assert banner.duration is not None and banner.duration < 0.002
    saved = traced(SILENT_INIT, live=False)
    init, banner = saved.phase("init_table"), saved.phase("banner")
    assert init is not None and banner is not None and init.duration is None and banner.duration is None
    assert init.limit == ("≥", pytest.approx(0.002)) and banner.limit == ("≤", pytest.approx(0.3005))


# no `Calling main(` at this level: main begins where the banner ends, and the application says
# nothing for 300 ms
QUIET_MAIN = [
    (0, stamped(0.1, "libukboot", "Init Table @ 0x1 - 0x2")),
    (1 * MS, b"Powered by Unikraft Testguest (0.10.0~uktrace)\n"),
    (301 * MS, b"Hello world!\n"),
    (302 * MS, stamped(0.4015, "libukboot", "main returned 0, halting system")),
]


def test_main_begins_where_the_banner_ends_not_at_its_first_line() -> None:
    live = traced(QUIET_MAIN, live=True)
    banner, main = live.phase("banner"), live.phase("main")
    assert banner is not None and main is not None and not main.bound and main.clock == "guest"
    assert main.duration == pytest.approx(0.3005, abs=0.002)
    assert banner.duration is not None and banner.duration < 0.002  # the wait is main's, not the banner's


# the application prints its last line 300 ms into main, and the VMM exits with no stamped line
UNSTAMPED_END = [
    (0, stamped(0.1, "libukboot", "Calling main(1, ['app'])")),
    (300 * MS, b"done\n"),
]


def test_a_main_that_ends_with_the_process_is_read_on_the_host_clock() -> None:
    main = traced(UNSTAMPED_END, live=True, exit_ms=305).phase("main")
    assert main is not None and main.clock == "host" and main.duration == pytest.approx(0.305)
    saved = traced(UNSTAMPED_END, live=False).phase("main")
    # a saved log ends at its last line, unstamped: main lasted at least 0 ms, and no figure says more
    assert saved is not None and saved.duration is None and saved.limit == ("≥", 0.0)


def test_a_line_placed_beyond_the_next_stamp_moves_back_to_it() -> None:
    """A reader that fell behind gets the stamps and the banner in one chunk, 300 ms late: the
    banner's arrival would place it after the next stamp, which it cannot be."""
    lumped = [(302 * MS if at >= 2 * MS else at, line) for at, line in SILENT_INIT]
    timeline = traced(lumped, live=True)
    init, banner = timeline.phase("init_table"), timeline.phase("banner")
    assert init is not None and banner is not None and not init.bound
    assert init.guest_end is not None and 0.102 <= init.guest_end <= 0.4025  # between the stamps around it
    assert banner.duration is not None and banner.duration >= 0


def test_a_saved_log_keeps_the_figure_when_the_stamps_around_the_line_are_close() -> None:
    """A stamp 300 ms into the table, the banner, the next stamp 0.4 ms on: the banner lies within
    0.4 ms, 0.13 % of init_table's 300 ms, so init_table keeps its figure."""
    close = [
        SILENT_INIT[0],
        (302 * MS, stamped(0.4, "libukbus", "Probe buses...")),
        (302 * MS, SILENT_INIT[2][1]),
        (303 * MS, stamped(0.4004, "libukboot", "Calling main(1, ['app'])")),
    ]
    init = traced(close, live=False).phase("init_table")
    assert init is not None and not init.bound and init.duration == pytest.approx(0.3)
