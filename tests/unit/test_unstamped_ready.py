"""A ready line without a printk stamp (printf, an application's own logger) gets an honest place
on the guest clock: through its host arrival in a live run, no figure at all in a saved log."""

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


def traced(chunks: list[tuple[int, bytes]], live: bool) -> BootTimeline:
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
    before, after = plain.phase("init_table"), known.phase("init_table")
    assert before is not None and after is not None and before.duration and after.duration
    assert (before.clock, after.clock) == ("guest", "guest (corrected)")
    assert after.duration == pytest.approx(before.duration * 2)
