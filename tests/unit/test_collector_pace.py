"""Full garbage collections held off while consoles stream, run once they go quiet (`uktrace.tui.collector`)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from uktrace.tui.collector import HELD_THRESHOLD, MAX_HELD_S, QUIET_S, CollectorPace

SECOND = 1_000_000_000


@pytest.fixture(autouse=True)
def usual_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_held_while_busy_then_one_collection_when_quiet(usual_thresholds: tuple[int, int, int]) -> None:
    pace = CollectorPace()
    full_before = gc.get_stats()[2]["collections"]
    assert pace.update(0, busy=True) is False
    assert gc.get_threshold() == (*usual_thresholds[:2], HELD_THRESHOLD)
    assert pace.update(int(QUIET_S * SECOND) // 2, busy=False) is False  # not quiet long enough
    assert gc.get_threshold()[2] == HELD_THRESHOLD
    assert pace.update(int(QUIET_S * SECOND) * 2, busy=False) is True
    assert gc.get_stats()[2]["collections"] > full_before
    assert gc.get_threshold() == usual_thresholds
    assert pace.update(int(QUIET_S * SECOND) * 5, busy=False) is False  # nothing held: nothing to do


def test_a_console_that_never_goes_quiet_still_gets_a_collection_every_so_often() -> None:
    pace = CollectorPace()
    full_before = gc.get_stats()[2]["collections"]
    ran = [pace.update(n * SECOND // 10, busy=True) for n in range(int(MAX_HELD_S * 10) + 11)]
    assert ran.count(True) == 1 and gc.get_stats()[2]["collections"] == full_before + 1
    assert gc.get_threshold()[2] == HELD_THRESHOLD  # and held again after it


def test_the_app_ending_restores_the_thresholds(usual_thresholds: tuple[int, int, int]) -> None:
    pace = CollectorPace()
    pace.update(0, busy=True)
    pace.release()
    assert gc.get_threshold() == usual_thresholds
