"""The redraw pace: slower while the event loop's CPU is over budget, back up once it is not."""

from __future__ import annotations

from uktrace.tui.pace import RedrawPace

SECOND = 1_000_000_000


def feed(pace: RedrawPace, share: float, seconds: int, start: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """`seconds` windows in which the thread used `share` of a core; returns the clocks at the end."""
    wall, cpu = start
    for _ in range(seconds):
        wall += SECOND
        cpu += int(share * SECOND)
        pace.update(wall, cpu)
    return wall, cpu


def test_an_idle_loop_redraws_at_the_ceiling() -> None:
    pace = RedrawPace(ceiling_hz=15)
    pace.update(0, 0)
    feed(pace, 0.05, 5)
    assert pace.hz == 15 and pace.interval_s == 1 / 15


def test_a_live_run_starts_at_the_floor_a_replay_at_the_ceiling() -> None:
    pace = RedrawPace(ceiling_hz=15, floor_hz=4)
    pace.update(0, 0)
    feed(pace, 0.05, 2)
    pace.restart(booting=True)  # the first second is a live run's busiest
    assert pace.hz == 4
    pace.update(10 * SECOND, 0)
    feed(pace, 0.05, 4, (10 * SECOND, 0))
    assert pace.hz == 15  # quiet consoles: back up
    pace.restart(booting=False)
    assert pace.hz == 15


def test_a_busy_loop_slows_down_to_the_floor_and_no_further() -> None:
    pace = RedrawPace(ceiling_hz=15, floor_hz=4, budget=0.35)
    pace.update(0, 0)
    clocks = feed(pace, 0.7, 1)
    assert pace.hz == 7.5  # twice the budget: half the rate
    feed(pace, 0.9, 5, clocks)
    assert pace.hz == 4


def test_the_rate_comes_back_once_the_storm_is_over() -> None:
    pace = RedrawPace(ceiling_hz=15, floor_hz=4, budget=0.35)
    pace.update(0, 0)
    clocks = feed(pace, 0.9, 5)
    assert pace.hz == 4
    feed(pace, 0.1, 4, clocks)
    assert pace.hz == 15


def test_within_the_budget_the_rate_holds() -> None:
    pace = RedrawPace(ceiling_hz=15, floor_hz=4, budget=0.35)
    pace.update(0, 0)
    clocks = feed(pace, 0.7, 1)
    feed(pace, 0.3, 3, clocks)  # between half the budget and the budget: neither faster nor slower
    assert pace.hz == 7.5


def test_updates_within_a_window_change_nothing() -> None:
    pace = RedrawPace(ceiling_hz=15)
    pace.update(0, 0)
    pace.update(SECOND // 2, SECOND // 2)  # 100 % for half a second: not a window yet
    assert pace.hz == 15


def test_the_apps_budget_is_uktraces_share_goal() -> None:
    """While guests boot the animation may use what uktrace allows itself: 2 % of the host's CPUs."""
    from uktrace.launch.tracer_usage import host_cpus
    from uktrace.tui.app import TracerApp
    from uktrace.tui.pace import tracer_budget

    assert tracer_budget() == 0.02 * host_cpus()
    assert TracerApp().pace.budget == tracer_budget()
