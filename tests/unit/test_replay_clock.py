"""The replay's clock on a wall clock moved by hand: it plays at its rate, pauses, changes rate
without a jump, seeks within the recording, and stops at the end."""

from __future__ import annotations

import math

import pytest

from tests.conftest import Wall
from uktrace.recording.clock import INSTANT, SPEEDS, ReplayClock, faster, slower, speed_label

MS = 1_000_000


def clock(rate: float = 1.0, start: int = 1_000 * MS, end: int = 2_000 * MS) -> tuple[ReplayClock, Wall]:
    wall = Wall()
    return ReplayClock(start, end, rate=rate, wall=wall), wall


def test_it_waits_at_the_start_until_played_then_follows_the_wall_at_its_rate() -> None:
    replay, wall = clock(rate=2)
    wall.advance(100)
    assert (replay.now(), replay.paused) == (replay.start, True)
    replay.play()
    wall.advance(100)
    assert replay.now() == replay.start + 200 * MS


def test_paused_it_stands_still_and_resumes_where_it_stood() -> None:
    replay, wall = clock()
    replay.play()
    wall.advance(100)
    replay.pause()
    wall.advance(500)
    assert replay.now() == replay.start + 100 * MS
    replay.play()
    wall.advance(50)
    assert replay.now() == replay.start + 150 * MS


def test_a_new_rate_applies_from_now_on_without_a_jump() -> None:
    replay, wall = clock()
    replay.play()
    wall.advance(100)
    replay.set_rate(0.25)
    assert replay.now() == replay.start + 100 * MS
    wall.advance(400)
    assert replay.now() == replay.start + 200 * MS
    with pytest.raises(ValueError):
        replay.set_rate(0)


def test_a_seek_stays_within_the_recording_and_keeps_playing_or_paused() -> None:
    replay, wall = clock()
    replay.seek(replay.start - 5 * MS)
    assert replay.now() == replay.start and replay.paused
    replay.seek(replay.start + 300 * MS)
    wall.advance(10)
    assert replay.now() == replay.start + 300 * MS
    replay.play()
    replay.seek(replay.start + 700 * MS)
    wall.advance(10)
    assert replay.now() == replay.start + 710 * MS


def test_reaching_the_end_pauses_it_there() -> None:
    replay, wall = clock(rate=10)
    replay.play()
    wall.advance(1_000)
    assert (replay.now(), replay.paused, replay.ended) == (replay.end, True, True)
    replay.seek(replay.start)
    assert not replay.ended and replay.paused


def test_instant_shows_the_end_as_soon_as_it_plays() -> None:
    replay, _ = clock(rate=INSTANT)
    assert replay.now() == replay.start
    replay.play()
    assert replay.now() == replay.end and replay.ended


def test_wall_delay_says_how_long_until_an_instant_or_that_it_will_not_come_by_itself() -> None:
    replay, wall = clock(rate=2)
    target = replay.start + 100 * MS
    assert replay.wall_delay(target) is None  # paused
    replay.play()
    assert replay.wall_delay(target) == pytest.approx(0.05)
    wall.advance(50)
    assert replay.wall_delay(target) == 0.0


def test_speeds_step_along_the_ladder_and_stop_at_its_ends() -> None:
    assert SPEEDS[0] == 0.1 and math.isinf(SPEEDS[-1])
    assert [faster(rate) for rate in (0.1, 1, 3, 100)] == [0.25, 2, 5, INSTANT]
    assert faster(INSTANT) == INSTANT
    assert [slower(rate) for rate in (INSTANT, 1, 3, 0.1)] == [100, 0.5, 2, 0.1]
    assert [speed_label(rate) for rate in (0.25, 2, INSTANT)] == ["0.25×", "2×", "instant"]
