"""`uktrace compare`: samples from every input kind, the interval and verdict logic, the CLI's exit
statuses. Synthetic data throughout (seeded), plus the bundled recordings."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from tests.pages import page
from uktrace.analysis.compare import (
    CANT_TELL,
    FAILED,
    NO_CHANGE,
    NOT_JUDGED,
    PASSED,
    Method,
    compare,
    compare_metric,
    guest_interval,
    mann_whitney,
    run_interval,
    runs_differ,
    unit_of,
    verdict,
)
from uktrace.analysis.samples import RUN_CELL, CellSamples, Samples, SamplesError, from_document, load
from uktrace.cli.main import main
from uktrace.present.comparison import clock_note

RECORDINGS = DATA / "recordings"
MS = 0.001


# -- synthetic samples ---------------------------------------------------------------------------

GUEST_METRICS = {"init_table": 0.3 * MS, "bus_probe": 3 * MS, "mount": 5 * MS, "main": 1 * MS}
HOST_METRICS = {"firmware": 400 * MS, "total": 900 * MS}


def synthetic(seed: int, runs: int = 3, guests: int = 10, slower: dict[str, float] | None = None) -> Samples:
    """Guest-clock phases that jitter per guest (a few % plus scheduling gaps), host-clock figures
    that also move per run (host load); `slower` adds seconds to a metric in every guest."""
    rng = random.Random(seed)
    cell = CellSamples()
    for run in range(runs):
        load = rng.uniform(0.9, 1.1)
        for _ in range(guests):
            for metric, base in GUEST_METRICS.items():
                gap = rng.choice([0.0, 0.0, 0.0, rng.uniform(0, 1 * MS)])
                cell.add(metric, base * rng.uniform(0.97, 1.03) + gap + (slower or {}).get(metric, 0.0), "guest", run)
            for metric, base in HOST_METRICS.items():
                cell.add(metric, base * load * rng.uniform(0.98, 1.02) + (slower or {}).get(metric, 0.0), "host", run)
            cell.statuses["exited"] += 1
    return Samples(f"synthetic-{seed}", "bench", {"n10-shared": cell})


def verdicts(a: Samples, b: Samples) -> dict[str, str]:
    (cell,) = compare(a, b).cells
    return {m.metric: m.verdict for m in cell.metrics}


def on_guest_clock(result: dict[str, str]) -> dict[str, str]:
    return {metric: verdict for metric, verdict in result.items() if metric in GUEST_METRICS}


def test_exactly_the_slower_metric_is_called_slower() -> None:
    result = verdicts(synthetic(1), synthetic(2, slower={"main": 30 * MS}))
    assert set(result) == set(GUEST_METRICS) | set(HOST_METRICS)
    assert on_guest_clock(result) == {m: "slower" if m == "main" else "no change" for m in GUEST_METRICS}
    # 3 runs a side whose host load moves by ±10 %: their intervals are wider than ±5 %, so no verdict
    assert {result[m] for m in HOST_METRICS} == {CANT_TELL}


def test_the_other_way_round_it_is_faster() -> None:
    result = verdicts(synthetic(2, slower={"mount": 20 * MS}), synthetic(1))
    assert on_guest_clock(result) == {m: "faster" if m == "mount" else "no change" for m in GUEST_METRICS}
    assert not {result[m] for m in HOST_METRICS} & {"slower", "faster"}


@pytest.mark.parametrize("seeds", [(1, 2), (3, 4), (5, 6), (7, 8)])
def test_identical_distributions_are_no_change_where_the_data_can_tell(seeds: tuple[int, int]) -> None:
    result = verdicts(synthetic(seeds[0]), synthetic(seeds[1]))
    assert set(on_guest_clock(result).values()) == {NO_CHANGE}
    assert {result[m] for m in HOST_METRICS} <= {NO_CHANGE, CANT_TELL}
    # enough runs a side narrow the host-clock intervals into the band: no change there too
    many = verdicts(synthetic(seeds[0], runs=80, guests=2), synthetic(seeds[1], runs=80, guests=2))
    assert set(many.values()) == {NO_CHANGE}, many


def test_a_sample_against_itself_has_an_interval_around_zero() -> None:
    samples = synthetic(9)
    (cell,) = compare(samples, samples).cells
    for metric in cell.metrics:
        assert metric.difference == 0.0 and metric.ratio == 1.0
        assert metric.interval is not None and metric.interval[0] <= 0.0 <= metric.interval[1]
    rows = {m.metric: m for m in cell.metrics}
    assert {rows[m].verdict for m in GUEST_METRICS} == {NO_CHANGE}
    # around zero, but wider than the band: three runs of ±10 % host load cannot rule out a 5 % change
    firmware = rows["firmware"]
    assert firmware.interval is not None and firmware.band is not None
    assert firmware.interval[1] > firmware.band and firmware.verdict == CANT_TELL


def test_host_clock_metrics_resample_runs() -> None:
    """A shift of the host figures that all 3 runs of B share beyond all of A's is called; within
    one run each the same shift is not (host load moves every guest of a run)."""
    total = {"total": 300 * MS}
    assert verdicts(synthetic(1), synthetic(2, slower=total))["total"] == "slower"
    (cell,) = compare(synthetic(1, runs=1), synthetic(2, runs=1, slower=total)).cells
    row = next(m for m in cell.metrics if m.metric == "total")
    assert (row.unit, row.runs_a, row.runs_b, row.interval, row.verdict) == ("run", 1, 1, None, CANT_TELL)
    assert row.why() == "1 run in A and 1 in B, too few for an interval (2+ a side)"
    assert row.needs() == "1 more run a side (benches with --repeat 2 or more)"
    assert row.difference is not None and row.difference > 200 * MS  # still shown
    main = next(m for m in cell.metrics if m.metric == "main")
    assert (main.unit, main.n_a, main.interval is not None) == ("guest", 10, True)


def contended(seed: int, runs: int = 4, guests: int = 50) -> Samples:
    """`main` as 50 guests on 2 cores have it: each run's contention scales every guest of the run
    (medians of one bench's 4 rounds: 443, 151, 456, 198 ms), the guests jitter within it."""
    rng = random.Random(seed)
    cell = CellSamples()
    for run in range(runs):
        contention = rng.uniform(0.5, 2.0)
        for _ in range(guests):
            cell.add("main", 0.25 * contention * rng.uniform(0.8, 1.25), "guest (corrected)", run)
            cell.statuses["exited"] += 1
    return Samples(f"contended-{seed}", "bench", {"n50-shared": cell})


def test_guests_that_move_with_their_run_are_not_independent_samples() -> None:
    """Ten pairs of benches of one kernel under run-wide contention: resampling their 200 guests a
    side as if independent calls half of them slower or faster; compare resamples the runs
    instead and calls none."""
    flat_calls = 0
    for seed in range(1, 21, 2):
        a, b = contended(seed), contended(seed + 1)
        (cell,) = compare(a, b).cells
        (main,) = cell.metrics
        values_a, values_b = a.cells["n50-shared"].values["main"], b.cells["n50-shared"].values["main"]
        assert main.median_a is not None
        flat_calls += verdict(main.median_a, guest_interval(values_a, values_b)) in ("slower", "faster")
        assert (main.unit, main.runs_differ, main.verdict) == ("run", True, CANT_TELL)
        by_run = a.cells["n50-shared"].by_run("main"), b.cells["n50-shared"].by_run("main")
        assert main.interval == run_interval(*by_run)
    assert flat_calls >= 3
    why = main.why(("A", "B"), "round")
    assert why is not None and why.startswith("its guests moved with their round (a side's rounds differ)")
    assert main.needs(("A", "B"), "round") == "more rounds a side (now 4 and 4) to narrow it"
    assert main.as_dict()["runs_differ"] is True


def test_runs_that_agree_keep_the_guest_as_the_unit() -> None:
    (cell,) = compare(synthetic(1), synthetic(2, slower={"main": 30 * MS})).cells
    main = next(m for m in cell.metrics if m.metric == "main")
    assert (main.unit, main.runs_differ, main.runs_a, main.verdict) == ("guest", False, 3, "slower")
    assert runs_differ([[1.0, 2.0, 3.0], [1.5, 2.5, 3.5]]) is False
    assert runs_differ([[1.0, 1.1, 1.2, 1.3, 1.4, 1.5], [3.0, 3.1, 3.2, 3.3, 3.4, 3.5]]) is True
    assert runs_differ([[1.0], [5.0]]) is False  # one value a run: nothing to test


def test_reproducible() -> None:
    a, b = synthetic(1), synthetic(2, slower={"main": 2 * MS})
    first, second = compare(a, b), compare(a, b)
    assert [m.as_dict() for m in first.cells[0].metrics] == [m.as_dict() for m in second.cells[0].metrics]


# -- the interval, the test and the verdict on tiny samples -------------------------------------


def test_no_interval_with_too_few_on_a_side() -> None:
    assert guest_interval([0.001], [0.002, 0.003]) is None
    assert guest_interval([0.001, 0.002], []) is None
    assert guest_interval([0.001] * 4, [0.002] * 9) is None  # the bootstrap needs 5+ guests a side
    assert guest_interval([0.001] * 5, [0.002] * 5) == pytest.approx((0.001, 0.001))
    assert run_interval([[0.1, 0.2]], [[0.3], [0.4]]) is None  # Welch needs 2+ runs a side
    row = compare_metric("main", [[0.001]], [[0.050]], Counter(guest=2))
    assert (row.interval, row.p_value, row.verdict) == (None, None, CANT_TELL)
    assert row.difference == pytest.approx(0.049)
    assert (row.why(), row.needs()) == (
        "1 guest in A and 1 in B, too few for an interval (5+ a side)",
        "4 more guests a side",
    )


def test_one_guest_against_ten_cannot_tell_and_says_what_would() -> None:
    """The issue's case: a 1-guest run against a 10-guest run, `total` 198.6 ms → 1.081 s, was
    `no change`; neither side's spread is known, so nothing can be said."""
    one = [[0.1986]]
    ten = [[1.081 + i * 0.01 for i in range(-5, 5)]]
    total = compare_metric("total", one, ten, Counter(host=11))
    assert (total.verdict, total.interval) == (CANT_TELL, None)
    assert total.units == (1, 1)
    assert total.why(run="round") == "1 round in A and 1 in B, too few for an interval (2+ a side)"
    assert total.needs(run="round") == "1 more round a side (--repeat 2 or more)"
    main = compare_metric("main", [[0.0004]], [[0.0005 + i * 1e-5 for i in range(10)]], Counter(guest=11))
    assert (main.verdict, main.units) == (CANT_TELL, (1, 10))
    assert main.why() == "1 guest in A and 10 in B, too few for an interval (5+ a side)"
    assert main.needs() == "4 more guests in A" and main.needs(("base", "new")) == "4 more guests in base"
    assert main.as_dict()["why"] == main.why() and main.as_dict()["verdict"] == "can't tell"


def test_an_interval_wider_than_the_band_cannot_tell() -> None:
    """The issue's second case: two rounds a side, an interval of about −699 … +729 ms on a 776 ms
    median was `no change`; it is as wide as the median itself."""
    a = [[0.70, 0.72, 0.74], [0.80, 0.81, 0.83]]
    b = [[0.55, 0.56, 0.58], [1.00, 1.02, 1.05]]
    row = compare_metric("total", a, b, Counter(host=12))
    assert row.interval is not None and row.interval[0] < -0.5 and row.interval[1] > 0.5
    assert row.verdict == CANT_TELL
    assert row.median_a is not None and row.band == pytest.approx(0.05 * row.median_a)
    why = row.why()
    assert why is not None and why.startswith("its interval −") and "is neither inside nor beyond ±3" in why
    assert row.needs() == "more runs a side (now 2 and 2) to narrow it"


def test_two_guests_a_side_are_too_few_however_far_apart() -> None:
    """A percentile bootstrap of 2 values a side is no 95 % interval (`MIN_GUESTS`); 5 a side is."""
    row = compare_metric("main", [[0.010, 0.011]], [[0.050, 0.052]], Counter(guest=4))
    assert (row.interval, row.verdict, row.needs()) == (None, CANT_TELL, "3 more guests a side")
    far = compare_metric(
        "main", [[0.010, 0.011, 0.010, 0.012, 0.011]], [[0.050, 0.052, 0.051, 0.050, 0.053]], Counter(guest=10)
    )
    assert far.interval is not None and far.interval[0] > 0.035
    assert far.verdict == "slower"


def test_all_equal_values() -> None:
    row = compare_metric("stack_switch", [[0.0] * 5], [[0.0] * 6], Counter(guest=11))
    assert (row.interval, row.p_value, row.ratio, row.verdict) == ((0.0, 0.0), None, None, "no change")


def test_one_side_never_measured_it() -> None:
    row = compare_metric("mount", [[0.004, 0.005]], [], Counter(guest=2))
    assert (row.verdict, row.median_b, row.n_b, row.band, row.why()) == ("missing", None, 0, None, None)


def test_mann_whitney() -> None:
    assert mann_whitney([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]) == pytest.approx(0.1)
    assert mann_whitney([1.0], [2.0, 3.0]) is None


def test_verdict_needs_the_whole_interval_beyond_the_band_or_inside_it() -> None:
    method = Method(min_effect=0.05, floor_s=0.005)
    assert verdict(1.0, (0.06, 0.08), method) == "slower"
    assert verdict(1.0, (-0.08, -0.06), method) == "faster"
    assert verdict(1.0, (0.01, 0.04), method) == "no change"  # excludes 0, but under 5 %: no change that counts
    assert verdict(1.0, (-0.04, 0.03), method) == "no change"  # straddles 0, wholly inside the band
    assert verdict(1.0, (-0.05, 0.05), method) == "no change"  # the band's own edges are inside it
    assert verdict(1.0, (0.04, 0.08), method) == "can't tell"  # a 4 % shift or an 8 % one
    assert verdict(1.0, (-0.08, 0.04), method) == "can't tell"
    assert verdict(1.0, (0.05, 0.06), method) == "can't tell"  # from the band's edge outwards
    assert verdict(0.776, (-0.6986, 0.7286), method) == "can't tell"  # wider than the band both ways
    assert verdict(0.010, (0.004, 0.005), method) == "no change"  # +50 % of a 10 ms phase, under the floor
    assert verdict(0.010, (0.004, 0.006), method) == "can't tell"
    assert verdict(0.010, (0.006, 0.008), method) == "slower"
    assert verdict(1.0, None, method) == "can't tell"


def test_a_statistically_clear_sub_percent_shift_is_no_change() -> None:
    rng = random.Random(4)
    a = [[1.0 + rng.uniform(-0.002, 0.002) for _ in range(200)]]
    b = [[1.008 + rng.uniform(-0.002, 0.002) for _ in range(200)]]
    row = compare_metric("main", a, b, Counter(guest=400))
    assert row.interval is not None and row.interval[0] > 0  # clear, and meaningless
    assert row.verdict == "no change"
    strict = compare_metric("main", a, b, Counter(guest=400), Method(min_effect=0.005, floor_s=0.0))
    assert strict.verdict == "slower"


def test_microsecond_phases_are_under_the_floor() -> None:
    a, b = [[20e-6, 21e-6, 19e-6, 20e-6, 22e-6]], [[40e-6, 41e-6, 39e-6, 40e-6, 42e-6]]
    assert compare_metric("init_table", a, b, Counter(guest=8)).verdict == "no change"
    assert compare_metric("init_table", a, b, Counter(guest=8), Method(floor_s=0.0)).verdict == "slower"


def test_units_by_clock() -> None:
    assert [unit_of(c) for c in ("guest", "host", "guest+host")] == ["guest", "run", "run"]


def test_gate_judges_its_own_line() -> None:
    """failed: the whole interval above max(fraction of A's median, band); passed: wholly at or
    below it; not judged otherwise."""
    row = compare_metric(
        "main", [[0.010, 0.011, 0.010, 0.010, 0.011]], [[0.030, 0.031, 0.030, 0.030, 0.031]], Counter(guest=10)
    )
    assert row.verdict == "slower" and row.interval is not None
    assert row.interval == pytest.approx((0.019, 0.021)) and row.median_a == pytest.approx(0.010)
    assert row.gate(1.5) == FAILED  # at least +19 ms: above +15 ms
    assert row.gate(2.0) == NOT_JUDGED  # +19 ms … +21 ms: across +20 ms
    assert row.gate(2.5) == PASSED  # at most +21 ms: under +25 ms
    same = compare_metric("main", [[0.010, 0.011, 0.010] * 2], [[0.010, 0.011, 0.010] * 2], Counter(guest=12))
    assert (same.verdict, same.gate(0.0)) == (NO_CHANGE, PASSED)
    faster = compare_metric("main", [[0.030, 0.031, 0.030] * 2], [[0.010, 0.011, 0.010] * 2], Counter(guest=12))
    assert (faster.verdict, faster.gate(0.0)) == ("faster", PASSED)
    # can't tell (slower by up to 9 ms, or faster), but never slower by 50 %: the gate can say so
    wide = compare_metric(
        "main", [[0.020, 0.028, 0.020, 0.027] * 2], [[0.018, 0.029, 0.020, 0.028] * 2], Counter(guest=16)
    )
    assert wide.verdict == CANT_TELL and wide.interval is not None and wide.interval[1] < 0.5 * 0.0235
    assert (wide.gate(0.5), wide.gate(0.0)) == (PASSED, NOT_JUDGED)
    one = compare_metric("total", [[0.2]], [[1.0, 1.1]], Counter(host=3))
    assert one.gate(10.0) == NOT_JUDGED  # no interval: not even a 1000 % change is ruled out
    missing = compare_metric("mount", [[0.004, 0.005] * 3], [], Counter(guest=6))
    assert missing.gate(0.1) == NOT_JUDGED


# -- loaders -------------------------------------------------------------------------------------


def phase(name: str, start: float | None, end: float | None, clock: str = "guest") -> dict[str, Any]:
    ends = {"start": start, "end": end}
    none = {"start": None, "end": None}
    return {
        "name": name,
        "start": start,
        "end": end,
        "clock": clock,
        "guest": ends if clock == "guest" else none,
        "host": ends if clock == "host" else none,
    }


def parsed_guest(name: str, main_ms: float = 1.0, status: str = "exited", exit_code: int | None = 0) -> dict[str, Any]:
    """A `parse --json` guest: guest-clock phases only."""
    main_end = 0.100 + main_ms / 1000
    phases = [
        phase("platform_entry", 0.0, 0.0),
        phase("subsystems", 0.0, 0.090),
        phase("bus_probe", 0.090, 0.095),
        phase("banner", 0.095, 0.100),
        phase("main", 0.100, main_end),
    ]
    if status == "exited":
        phases.append(phase("exit", main_end, main_end + 0.001))
    return {
        "name": name,
        "source": f"{name}.log",
        "unikraft": None,
        "status": status,
        "exit_code": exit_code,
        "crash": None if status == "exited" else {"reason": "Unhandled Trap 0", "line": "...", "where": None},
        "phases": phases,
        "lines": 40,
        "unrecognised": 0,
    }


def run_guest(name: str, main_ms: float = 1.0, status: str = "exited") -> dict[str, Any]:
    """A `run --json` guest: host phases first, `host`, `times`."""
    guest = parsed_guest(name, main_ms, status, 0 if status == "exited" else None)
    guest["phases"] = [phase("spawn", 0.0, 0.2, "host"), phase("firmware", 0.2, 0.5, "host"), *guest["phases"][2:]]
    if status == "exited":
        guest["phases"][-1] = phase("exit", 0.61, 0.62, "host")
    guest["host"] = {"accel": "tcg", "spawn_ns": 1, "wall_s": 0.62}
    guest["times"] = {
        "boot": 0.6,
        "mount": None,
        "main": main_ms / 1000,
        "total": 0.62 if status == "exited" else 0.7,
        "clocks": {"boot": "host", "main": "guest", "total": "host"},
    }
    guest["cpu"] = {}
    return guest


def run_document(guests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"guests": guests, "summary": {"guests": len(guests)}}


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def test_parse_json(tmp_path: Path) -> None:
    samples = load(write(tmp_path / "parse.json", {"guests": [parsed_guest("a"), parsed_guest("b", 3.0)]}))
    assert (samples.kind, list(samples.cells), samples.guests) == ("parse", [RUN_CELL], 2)
    cell = samples.cells[RUN_CELL]
    assert cell.values["main"] == pytest.approx([0.001, 0.003])
    assert cell.values["bus_probe"] == pytest.approx([0.005, 0.005])
    # no `times` in parse output: boot is main's start, total the last end, both on the guest clock
    assert cell.values["boot"] == pytest.approx([0.100, 0.100])
    assert cell.values["total"] == pytest.approx([0.102, 0.104])
    assert cell.clocks["boot"] == Counter(guest=2)
    assert cell.by_run("main") == [[pytest.approx(0.001)], [pytest.approx(0.003)]]  # each log its own boot


def test_run_json_with_a_crashed_guest(tmp_path: Path) -> None:
    guests = [run_guest("guest-1"), run_guest("guest-2", 2.0), run_guest("guest-3", status="crashed")]
    samples = load(write(tmp_path / "run.json", run_document(guests)))
    cell = samples.cells[RUN_CELL]
    assert samples.kind == "run"
    assert cell.statuses == Counter(exited=2, crashed=1)
    assert cell.failures() == {"crashed": 1}
    # the crashed guest's phases before the crash count; the one it crashed in and total do not
    assert len(cell.values["bus_probe"]) == 3 and len(cell.values["boot"]) == 3
    assert cell.values["main"] == pytest.approx([0.001, 0.002])
    assert len(cell.values["total"]) == 2 and len(cell.values["exit"]) == 2
    assert cell.clocks["firmware"] == Counter(host=3)
    assert cell.clocks["total"] == Counter(host=2)
    assert cell.by_run("main") == [[pytest.approx(0.001), pytest.approx(0.002)]]  # one run


def test_a_non_zero_exit_is_its_own_status(tmp_path: Path) -> None:
    samples = load(write(tmp_path / "p.json", {"guests": [parsed_guest("a", exit_code=3), parsed_guest("b")]}))
    assert samples.cells[RUN_CELL].statuses == Counter({"exited (3)": 1, "exited": 1})
    assert len(samples.cells[RUN_CELL].values["total"]) == 2  # it ran to its end


def bench_document() -> dict[str, Any]:
    cells = []
    for position, (concurrency, fs_mode, round_) in enumerate(
        [(1, "shared", 1), (2, "independent", 1), (1, "shared", 2), (2, "independent", 2)], start=1
    ):
        guests = [run_guest(f"guest-{i}", main_ms=1.0 + round_) for i in range(1, concurrency + 1)]
        cells.append(
            {
                "id": f"n{concurrency}-{fs_mode}-r{round_}",
                "concurrency": concurrency,
                "fs_mode": fs_mode,
                "round": round_,
                "position": position,
                "recording": f"cells/n{concurrency}-{fs_mode}-r{round_}",
                "wall_s": 1.0,
                "run": run_document(guests),
            }
        )
    return {"format": 1, "kind": "bench", "plan": {}, "cells": cells, "summary": {"cells": []}}


def test_bench_results(tmp_path: Path) -> None:
    (tmp_path / "bench").mkdir()
    write(tmp_path / "bench" / "results.json", bench_document())
    for path in (tmp_path / "bench", tmp_path / "bench" / "results.json"):
        samples = load(path)
        assert (samples.kind, list(samples.cells), samples.guests) == ("bench", ["n1-shared", "n2-independent"], 6)
        cell = samples.cells["n2-independent"]
        assert cell.by_run("main") == [[pytest.approx(0.002)] * 2, [pytest.approx(0.003)] * 2]  # rounds are runs


def test_a_recording_is_replayed() -> None:
    samples = load(RECORDINGS / "shared-8")
    assert (samples.kind, list(samples.cells), samples.guests) == ("recording", [RUN_CELL], 8)
    cell = samples.cells[RUN_CELL]
    # 5 of its 8 guests calibrated their TSC 1.4-1.7x too high (`frequency estimate is`): corrected
    counted = Counter({"guest": 3, "guest (corrected)": 5})
    assert len(cell.values["mount"]) == 8 and cell.clocks["mount"] == counted
    assert cell.clocks["total"] == Counter(host=8)
    crashed = load(RECORDINGS / "crash-3").cells[RUN_CELL]
    assert crashed.statuses == Counter(crashed=3)
    assert "main" not in crashed.values and "total" not in crashed.values  # crashed in main
    assert len(crashed.values["bus_probe"]) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file or directory"),
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not uktrace's JSON"),
        ('{"guests": []}', "no guests to compare"),
        ('{"kind": "bench", "cells": []}', "no guests to compare"),
    ],
)
def test_unusable_files(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(SamplesError, match=message):
        load(path)


def test_unusable_directories(tmp_path: Path) -> None:
    with pytest.raises(SamplesError, match="neither a bench"):
        load(tmp_path)
    write(tmp_path / "results.json", {"kind": "something else"})
    with pytest.raises(SamplesError, match="not a uktrace bench's"):
        load(tmp_path)
    empty = tmp_path / "recording"
    empty.mkdir()
    write(empty / "session.json", {"guests": []})
    with pytest.raises(SamplesError, match="holds no guest"):
        load(empty)


def test_from_document_rejects_other_json() -> None:
    with pytest.raises(SamplesError):
        from_document([1, 2, 3], "list.json")


# -- the command line ----------------------------------------------------------------------------


def pair(tmp_path: Path, main_ms_b: float) -> tuple[str, str]:
    """Two `run --json` files of 8 guests; B's main lasts `main_ms_b` instead of ~1 ms."""
    a = [run_guest(f"guest-{i}", 1.0 + i / 10) for i in range(8)]
    b = [run_guest(f"guest-{i}", main_ms_b + i / 10) for i in range(8)]
    return str(write(tmp_path / "a.json", run_document(a))), str(write(tmp_path / "b.json", run_document(b)))


def test_cli_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(tmp_path, 31.0)
    assert main(["compare", a, b]) == 0
    out = capsys.readouterr().out
    main_row = next(line for line in out.splitlines() if line.startswith("│ main "))
    assert "guest" in main_row and "slower" in main_row and "+30.0 ms" in main_row
    bus_row = next(line for line in out.splitlines() if line.startswith("│ bus_probe "))
    assert "no change" in bus_row
    assert "A: 8 guests; B: 8 guests" in out


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(tmp_path, 31.0)
    assert main(["compare", "--json", a, b, a]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["baseline"] == a and [i["kind"] for i in result["inputs"]] == ["run", "run", "run"]
    against_b, against_a = result["comparisons"]
    rows = {m["metric"]: m for m in against_b["cells"][0]["metrics"]}
    on_host = {name for name, m in rows.items() if m["unit"] == "run"}
    assert on_host == {"spawn", "firmware", "exit", "boot", "total"}
    assert {name: m["verdict"] for name, m in rows.items() if name not in on_host} == {
        "bus_probe": "no change",
        "banner": "no change",
        "main": "slower",
    }
    assert rows["main"]["clock"] == "guest" and rows["main"]["difference"] == pytest.approx(0.030)
    assert rows["main"]["ci95"][0] > 0.025 and rows["main"]["p_value"] < 0.01
    assert rows["main"]["band"] == pytest.approx(0.005) and rows["main"]["why"] is None
    total = rows["total"]
    assert (total["unit"], total["ci95"], total["verdict"]) == ("run", None, "can't tell")
    assert total["why"] == "1 run in A and 1 in B, too few for an interval (2+ a side)"
    assert total["needs"] == "1 more run a side (benches with --repeat 2 or more)"
    assert {m["verdict"] for m in against_a["cells"][0]["metrics"] if m["unit"] == "run"} == {"can't tell"}
    assert {m["verdict"] for m in against_a["cells"][0]["metrics"] if m["unit"] == "guest"} == {"no change"}
    assert (result["regressions"], result["not_judged"], result["fail_above"], result["gate"]) == ([], [], None, None)


def test_cli_fail_above(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(tmp_path, 31.0)  # main: ~1.35 ms -> ~31.35 ms, at least ~ +2000 %
    assert main(["compare", a, b, "--fail-above", "100"]) == 1  # a regression, whatever else is not judged
    err = capsys.readouterr().err
    assert "main (guest clock) slower by +30.0 ms" in err and "1 metric(s) slower by more than 100 %" in err
    assert "; 5 not judged" in err
    assert main(["compare", "--json", a, b, "--fail-above", "100"]) == 1
    result = json.loads(capsys.readouterr().out)
    (regression,) = result["regressions"]
    assert (regression["metric"], regression["cell"], regression["b"]) == ("main", RUN_CELL, b)
    assert (result["gate"], result["exit_status"]) == ("failed", 1)


def test_cli_a_gate_that_cannot_judge_does_not_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One run a side: main is judged (well under +100000 %), the host-clock figures are not, so
    the gate neither fails nor passes: exit 3, and stderr names what it could not judge and why."""
    a, b = pair(tmp_path, 31.0)
    assert main(["compare", a, b, "--fail-above", "100000"]) == 3
    *reasons, last = capsys.readouterr().err.strip().splitlines()
    assert reasons == [
        f"uktrace compare: {b}: cell run: not judged: spawn, firmware, exit, boot, total: 1 run in A and 1 in B, "
        "too few for an interval (2+ a side); it needs 1 more run a side (benches with --repeat 2 or more)"
    ]
    assert last == (
        "uktrace compare: could not judge 5 metric(s) against --fail-above 100000 (spawn, firmware, exit, boot, "
        "total): neither a regression nor ruled out; exit status 3"
    )
    assert main(["compare", a, a, "--fail-above", "0"]) == 3
    capsys.readouterr()
    assert main(["compare", "--json", a, b, "--fail-above", "100000"]) == 3
    result = json.loads(capsys.readouterr().out)
    assert (result["gate"], result["exit_status"], result["regressions"]) == ("not judged", 3, [])
    assert [row["metric"] for row in result["not_judged"]] == ["spawn", "firmware", "exit", "boot", "total"]
    assert all(row["gate_why"].startswith("1 run in A and 1 in B") for row in result["not_judged"])


def test_cli_a_gate_that_judges_everything_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`parse --json` of the same logs: guest clock throughout, every figure has an interval."""
    guests = [parsed_guest(f"g{i}", 1.0 + i / 10) for i in range(6)]
    a = str(write(tmp_path / "a.json", {"guests": guests}))
    assert main(["compare", a, a, "--fail-above", "0"]) == 0
    assert capsys.readouterr().err == ""


def test_cli_one_guest_against_ten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: every figure `can't tell`, in the table and with why; the gate exits 3."""
    one = str(write(tmp_path / "one.json", run_document([run_guest("guest-1")])))
    ten = str(write(tmp_path / "ten.json", run_document([run_guest(f"guest-{i}", 1 + i / 10) for i in range(10)])))
    assert main(["compare", one, ten]) == 0
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("│ ")]
    assert len(table) == 8 and all(line.rstrip(" │").endswith("can't tell") for line in table), out
    assert "A: 1 guest; B: 10 guests" in out
    assert "can't tell  bus_probe, banner, main: 1 guest in A and 10 in B, too few for an interval" in out
    assert "it needs 4 more guests in A" in out
    assert "can't tell  spawn, firmware, exit, boot, total: 1 run in A and 1 in B" in out
    assert main(["compare", one, ten, "--fail-above", "10"]) == 3
    err = capsys.readouterr().err
    assert "not judged: bus_probe, banner, main: 1 guest in A and 10 in B" in err
    assert "could not judge 8 metric(s) against --fail-above 10" in err


def test_cli_a_third_input_is_named_as_the_tables_name_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(tmp_path, 31.0)
    one = str(write(tmp_path / "one.json", run_document([run_guest("guest-1")])))
    assert main(["compare", a, b, one, "--fail-above", "100000"]) == 3
    captured = capsys.readouterr()
    assert "A: 8 guests; C: 1 guest" in captured.out and "8 guests in A and 1 in C" in captured.out
    assert "it needs 4 more guests in C" in captured.err


def test_cli_min_effect_and_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = pair(tmp_path, 4.0)  # +3 ms: under the default 5 ms floor
    main(["compare", "--json", a, b])
    rows = {m["metric"]: m for m in json.loads(capsys.readouterr().out)["comparisons"][0]["cells"][0]["metrics"]}
    assert rows["main"]["verdict"] == "no change"
    main(["compare", "--json", "--min-ms", "1", a, b])
    rows = {m["metric"]: m for m in json.loads(capsys.readouterr().out)["comparisons"][0]["cells"][0]["metrics"]}
    assert rows["main"]["verdict"] == "slower"
    main(["compare", "--json", "--min-ms", "1", "--min-effect", "500", a, b])
    rows = {m["metric"]: m for m in json.loads(capsys.readouterr().out)["comparisons"][0]["cells"][0]["metrics"]}
    assert rows["main"]["verdict"] == "no change"


def one_line_error(capsys: pytest.CaptureFixture[str], *expected: str) -> None:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("uktrace compare: "), captured.err
    assert all(text in lines[0] for text in expected), lines[0]
    assert "Traceback" not in captured.err


def test_cli_bad_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, _ = pair(tmp_path, 31.0)
    assert main(["compare", a, str(tmp_path / "missing.json")]) == 2
    one_line_error(capsys, "missing.json", "no such file")
    write(tmp_path / "empty.json", {"guests": []})
    assert main(["compare", a, str(tmp_path / "empty.json")]) == 2
    one_line_error(capsys, "empty.json", "no guests")
    (tmp_path / "bench").mkdir()
    write(tmp_path / "bench" / "results.json", bench_document())
    assert main(["compare", a, str(tmp_path / "bench")]) == 2
    one_line_error(capsys, "no cell in common", "run against n1-shared, n2-independent")
    assert main(["compare", a]) == 2
    one_line_error(capsys, "at least two inputs")
    assert main(["compare", a, a, "--min-effect", "-5"]) == 2
    one_line_error(capsys, "--min-effect")
    (tmp_path / "unreadable.json").write_bytes(b"\xff\xfe\x00")
    assert main(["compare", a, str(tmp_path / "unreadable.json")]) == 2
    one_line_error(capsys, "unreadable.json")


def test_each_input_says_how_its_guest_clocks_ran() -> None:
    recording = load(RECORDINGS / "shared-8")
    assert recording.clocks is not None and (recording.clocks.skewed, recording.clocks.guests) == (5, 8)
    assert clock_note(recording) == (
        "guest clock ran 1.4-1.6x slow (median 1.5x) on 5 of 8 guests (TSC calibration disturbed): "
        "their guest-clock figures are corrected"
    )
    old = from_document({"guests": [{"name": "g", "status": "exited", "phases": []}], "summary": {}}, "old.json")
    assert old.clocks is None and "predates uktrace's guest clock check" in (clock_note(old) or "")


def test_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0 when" in text and "1 when one is" in text and "2 on bad input" in text
    assert "3 when --fail-above could not judge a figure" in text and "can't tell" in text
    documented = " ".join(page("commands/compare.md").split())
    assert "3 when no figure is but some could not be judged" in documented


def two_round_bench(totals: tuple[float, float]) -> dict[str, Any]:
    """A bench of one cell (4 guests, 2 rounds) whose rounds' totals differ as a busy host makes them."""
    cells = []
    for round_, total in enumerate(totals, start=1):
        guests = [run_guest(f"guest-{i}") for i in range(4)]
        for i, guest in enumerate(guests):
            guest["times"]["total"] = total + i / 1000
        cells.append(
            {"id": f"n4-shared-r{round_}", "concurrency": 4, "fs_mode": "shared", "round": round_,
             "position": round_, "recording": f"cells/n4-shared-r{round_}", "wall_s": 1.0,
             "run": run_document(guests)}
        )  # fmt: skip
    return {"format": 1, "kind": "bench", "plan": {}, "cells": cells, "summary": {"cells": []}}


def test_cli_a_wide_interval_cannot_tell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two rounds a side whose totals move by half a second from round to round: the interval of
    `total` is as wide as its median, and that reads `can't tell` with its band, not `no change`."""
    a = str(write(tmp_path / "a.json", two_round_bench((0.50, 1.05))))
    b = str(write(tmp_path / "b.json", two_round_bench((0.55, 1.00))))
    assert main(["compare", a, b]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "│ total │ host │ 8/8 (2/2 runs) │" in out and "│ can't tell │" in out
    assert (
        "can't tell total (±25.2 ms): each interval in the table is neither inside nor beyond its band (the smallest "
        "change that counts, ± beside the name); it needs more rounds a side (now 2 and 2) to narrow it"
    ) in out
    assert main(["compare", a, b, "--fail-above", "10"]) == 3
    err = capsys.readouterr().err.splitlines()
    assert (
        err[0].startswith(f"uktrace compare: {b}: cell n4-shared: not judged: total (−")
        and " across +50.3 ms)" in err[0]
    )
    assert err[0].endswith(
        "the interval reaches across the gate's line (10 % of median A, at least the smallest change that counts); "
        "it needs more rounds a side (now 2 and 2) to narrow it"
    )
    assert main(["compare", "--json", a, b, "--fail-above", "10"]) == 3
    (row,) = json.loads(capsys.readouterr().out)["not_judged"]
    assert (row["metric"], row["verdict"]) == ("total", "can't tell")
    assert (row["band"], row["gate_line"]) == pytest.approx(
        (0.05 * 0.503, 0.1 * 0.503)
    )  # median A: nearest rank, as the tables
    assert row["ci95"][0] < -0.5 and row["ci95"][1] > 0.5
