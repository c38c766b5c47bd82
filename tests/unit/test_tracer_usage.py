"""uktrace's own CPU: a bench cell's count starts at the cell (not the process's start), and the
booting window's share is its CPU over the window's seconds times the CPUs."""

from __future__ import annotations

import time

import pytest

from uktrace.launch.tracer_usage import TracerUsage, host_cpus
from uktrace.present.tracer import over_goal, tracer_sentence


def burn(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_a_count_started_later_leaves_out_what_came_before() -> None:
    burn(0.2)
    since_process = TracerUsage(0.0, 0.0)
    cell = TracerUsage.now()
    burn(0.1)
    assert 0.09 <= sum(cell.run_cpu()) < 0.19
    assert sum(since_process.run_cpu()) >= 0.29


def test_the_booting_window() -> None:
    usage = TracerUsage.now()
    assert usage.booting_window() is None  # no guest started yet
    usage.ended()
    assert usage.booting_window() is None  # an exit before any start opens nothing
    usage.booting()
    burn(0.05)
    usage.booting()  # a later start does not move the window's opening
    burn(0.05)
    usage.ended()
    window = usage.booting_window(cpus=2)
    assert window is not None
    seconds, cpu, share = window
    assert cpu >= 0.09 and seconds >= 0.05 and share == cpu / (seconds * 2)
    assert host_cpus() >= 1


def test_a_guest_held_after_its_exit_closes_the_window_at_its_exit() -> None:
    usage = TracerUsage.now()
    usage.booting()
    assert usage.first is not None
    seen = (usage.first[0] + 50_000_000, usage.first[1] + 0.01)  # its exit seen 50 ms in, 10 ms of CPU then
    burn(0.05)  # uktrace's wait for its console meanwhile
    usage.ended(seen)
    assert usage.booting_window(cpus=1) == pytest.approx((0.05, 0.01, 0.2))
    usage.booting()
    usage.ended()  # another guest ending now, after it: the window closes now
    window = usage.booting_window(cpus=1)
    assert window is not None and window[0] > 0.05


def test_wake_ups_a_second_are_the_loops_runs_over_the_window() -> None:
    usage = TracerUsage.now()
    usage.booting()
    time.sleep(0.05)
    usage.ended()
    usage.waits = ((0, 100), (0, 150))  # (ns waited, times run) at the opening and the close: 50 runs
    window = usage.booting_window()
    assert window is not None and usage.wakeups_per_s() == pytest.approx(50 / window[0])


def test_the_sentence() -> None:
    booting = {"window_s": 9.6, "cpu_s": 0.31, "cpus": 2, "share": 0.31 / 19.2}
    assert tracer_sentence(booting) == (  # type: ignore[arg-type]
        "uktrace's own CPU while the guests booted: 310.0 ms, 1.6 % of 2 CPUs over 9.600 s (the most it took from them)"
    )
    woke = tracer_sentence(booting | {"wakeups_per_s": 238.4})  # type: ignore[arg-type, operator]
    assert woke is not None and woke.endswith("(the most it took from them); it woke 238 times a second")
    assert not over_goal(booting) and over_goal(booting | {"share": 0.03})  # type: ignore[arg-type, operator]
    assert tracer_sentence(None) is None
    recorded = tracer_sentence(booting, recorded=True)  # type: ignore[arg-type]  # a replay's
    assert recorded is not None and recorded.startswith(
        "uktrace's own CPU while the guests booted (recorded): 310.0 ms"
    )


def test_the_summary_is_the_window_as_the_json_keeps_it() -> None:
    usage = TracerUsage.now()
    assert usage.summary() is None  # no guest started and ended
    usage.booting()
    time.sleep(0.02)
    usage.ended()
    summary = usage.summary()
    window = usage.booting_window()
    assert summary is not None and window is not None
    assert summary["window_s"] == round(window[0], 6) and summary["share"] == round(window[2], 5)
    assert summary["cpus"] == host_cpus()
