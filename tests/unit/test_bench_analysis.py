"""The bench's plan, summary and findings on synthetic results (the real matrix is in integration)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from uktrace.analysis.bench import summarise
from uktrace.analysis.bench_plan import BenchPlan, CellRound, parse_concurrency, parse_fs_modes, parse_fs_types
from uktrace.analysis.cpu import CpuMark, PhaseCpu, cpu_shares, marks_to_phases
from uktrace.analysis.pooled import pool_results
from uktrace.analysis.report import (
    clock_findings,
    console_findings,
    cpu_findings,
    fs_type_findings,
    mode_findings,
    render_report,
)
from uktrace.launch.options import LaunchError


def test_order_is_interleaved_seeded_and_complete() -> None:
    plan = BenchPlan(concurrency=(1, 10, 50), fs_modes=("independent", "shared"), repeat=3, seed=7)
    order = plan.order()
    assert len(order) == 18 and len(set(order)) == 18
    for round_ in (1, 2, 3):  # every round holds every cell once, before the next round starts
        block = order[(round_ - 1) * 6 : round_ * 6]
        assert {cell.round for cell in block} == {round_}
        assert {cell.key for cell in block} == {(n, m, ()) for n in (1, 10, 50) for m in ("independent", "shared")}
    assert plan.order() == order  # the seed fixes it
    assert BenchPlan((1, 10, 50), ("independent", "shared"), 3, seed=8).order() != order
    assert plan.warmup_cell() == CellRound(1, "independent", 0)


def test_the_observer_check_runs_each_cell_unobserved_in_the_same_round() -> None:
    plan = BenchPlan((1, 10), ("shared",), repeat=2, seed=3, observer_check=True)
    order = plan.order()
    assert len(order) == 12 and len({cell.id for cell in order}) == 12
    for round_ in (1, 2):
        block = order[(round_ - 1) * 6 : round_ * 6]
        assert {(cell.key, cell.observed, cell.waker) for cell in block} == {
            (k, o, w)
            for k in ((1, "shared", ()), (10, "shared", ()))
            for o, w in ((True, False), (False, False), (False, True))
        }
    assert {cell.id.partition("-r1")[2] for cell in order if cell.round == 1} == {
        "",
        "-unobserved",
        "-unobserved-waker",
    }
    assert plan.warmup_cell() == CellRound(1, "shared", 0)  # the warm-up is traced, as ever
    assert not any(not cell.observed for cell in BenchPlan((1,), ("shared",), 2, 3).order())


def test_a_check_too_thin_for_an_interval_is_named_before_it_runs() -> None:
    """compare's interval needs 5 guests a side: 1 guest at 4 rounds never gets one."""
    assert BenchPlan((1, 2, 10), ("shared",), repeat=2, seed=1, observer_check=True).thin_checks() == {1: 5, 2: 3}
    assert BenchPlan((1, 10), ("shared",), repeat=5, seed=1, observer_check=True).thin_checks() == {}
    assert BenchPlan((1,), ("shared",), repeat=4, seed=1).thin_checks() == {}  # no check, nothing to judge


@pytest.mark.parametrize(("text", "expected"), [("1,10,50,100", (1, 10, 50, 100)), ("10, 1,10", (1, 10)), ("4", (4,))])
def test_concurrency_lists(text: str, expected: tuple[int, ...]) -> None:
    assert parse_concurrency(text) == expected


@pytest.mark.parametrize("text", ["", "1,x", "0", "-3", "1,,a"])
def test_bad_concurrency_lists(text: str) -> None:
    with pytest.raises(LaunchError, match="--concurrency"):
        parse_concurrency(text)


def test_fs_modes() -> None:
    assert parse_fs_modes("shared,independent,shared") == ("shared", "independent")
    with pytest.raises(LaunchError, match="--fs-mode"):
        parse_fs_modes("private")


def test_cpu_marks_to_phases_and_shares() -> None:
    ms = 1_000_000
    marks = [
        CpuMark("spawn", 0, 0, 0),
        CpuMark("firmware", 100 * ms, 20 * ms, 60 * ms),
        CpuMark("main", 300 * ms, 70 * ms, 160 * ms),
    ]
    phases = marks_to_phases(marks, exit_ns=350 * ms, total_ns=90 * ms)
    assert phases["spawn"] == PhaseCpu(0.1, 0.02, 0.06)
    assert phases["firmware"] == PhaseCpu(0.2, 0.05, 0.1)
    assert phases["main"] == PhaseCpu(0.05, 0.02, None)  # the exit's CPU from the exit status, its wait unknown
    share = cpu_shares([phases, phases])["firmware"]
    assert share.guests == 2 and share.wait_share == pytest.approx(0.1 / 0.15)


def guest(total: float, mount: float, status: str = "exited") -> dict[str, Any]:
    phases = [
        {"name": "spawn", "start": 0.0, "end": 0.1, "clock": "host", "guest": {"start": None, "end": None},
         "host": {"start": 0.0, "end": 0.1}},
        {"name": "firmware", "start": 0.1, "end": total - mount - 0.01, "clock": "host",
         "guest": {"start": None, "end": None}, "host": {"start": 0.1, "end": total - mount - 0.01}},
        {"name": "mount", "start": 0.5, "end": 0.5 + mount, "clock": "guest", "guest": {"start": 0.5, "end": 0.5 + mount},
         "host": {"start": total - mount - 0.01, "end": total - 0.01}},
    ]  # fmt: skip
    return {
        "name": "g",
        "status": status,
        "exit_code": 0 if status == "exited" else None,
        "crash": None if status == "exited" else {"reason": "no exit after 5 s in mount", "line": "", "where": None},
        "phases": phases,
        "times": {"boot": total - 0.01, "mount": mount, "main": 0.001, "total": total,
                  "clocks": {"boot": "host", "mount": "guest", "main": "guest", "total": "host"}},
        "cpu": {"firmware": {"wall_s": 0.3, "cpu_s": 0.1, "wait_s": 0.2}},
    }  # fmt: skip


def results(mount_by_mode: dict[str, float], rounds: int = 2, n: int = 8) -> dict[str, Any]:
    rng = random.Random(3)
    cells = []
    for round_ in range(1, rounds + 1):
        for mode, mount in mount_by_mode.items():
            guests = [guest(1.0 + rng.uniform(-0.05, 0.05), mount * rng.uniform(0.9, 1.1)) for _ in range(n)]
            cells.append(
                {"id": f"n{n}-{mode}-r{round_}", "concurrency": n, "fs_mode": mode, "round": round_, "wall_s": 1.0,
                 "run": {"guests": guests, "summary": {}}}
            )  # fmt: skip
    return {"kind": "bench", "cells": cells, "summary": summarise(cells)}


def test_summary_pools_rounds_and_counts_failures() -> None:
    data = results({"independent": 0.03, "shared": 0.01})
    data["cells"][0]["run"]["guests"][0] = guest(5.0, 0.02, status="timeout")
    summary = summarise(data["cells"])
    independent = next(c for c in summary["cells"] if c["fs_mode"] == "independent")
    assert independent["rounds"] == 2 and independent["guests"] == 16
    assert independent["statuses"] == {"exited": 15, "timeout": 1}
    assert independent["failures"] == {"timeout: no exit after 5 s in mount": 1}
    mount = independent["figures"]["mount"]
    # the guest that timed out in mount did not measure a mount: its 15 peers did (figures.readings)
    assert mount["clock"] == "guest" and mount["count"] == 15
    assert independent["phases"]["mount"]["count"] == 15 and independent["figures"]["total"]["count"] == 15
    assert mount["ci95"][0] <= mount["p50"] <= mount["ci95"][1]
    assert independent["cpu"]["firmware"]["wait_share"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_real_difference_between_modes_is_found_and_noise_is_not() -> None:
    differs = mode_findings(results({"independent": 0.03, "shared": 0.01}))
    assert len(differs) == 1 and "beyond the noise: mount +" in differs[0] and "guest clock, per guest" in differs[0]
    assert "total +" not in differs[0] and "total −" not in differs[0]  # ±50 ms of host-clock noise is no finding
    many = mode_findings(results({"independent": 0.02, "shared": 0.02}, rounds=40, n=2))
    assert many == ["**2 guests:** no figure differs between independent and shared beyond the noise."]


def test_figures_the_rounds_cannot_judge_are_named_with_what_is_missing() -> None:
    """One round a side: no interval for a host-clock figure, said with the counts and the
    --repeat that would give one (it read "need 2+ rounds a side" even after `--repeat 2`)."""
    (one,) = mode_findings(results({"independent": 0.02, "shared": 0.02}, rounds=1))
    assert one == (
        "**8 guests:** can't tell spawn, firmware, boot, total: 1 round in shared and 1 in independent, too few "
        "for an interval (2+ a side); it needs 1 more round a side (--repeat 2 or more). No change: mount."
    )
    (two,) = mode_findings(results({"independent": 0.02, "shared": 0.02}, rounds=2))
    assert "2+ rounds" not in two and "too few" not in two
    undecided = two[two.index("can't tell ") : two.index(". No change")]
    assert "total (95 % CI −" in undecided and " against ±5" in undecided
    assert undecided.endswith("it needs more rounds a side (now 2 and 2) to narrow them")
    assert two.endswith("No change: spawn, mount.")


def test_report_quotes_the_data() -> None:
    data = results({"independent": 0.03, "shared": 0.01})
    data |= {
        "plan": {"kernel": "k", "options": {"accel": "tcg", "mem": "64M"}, "concurrency": [8],
                 "fs_modes": ["independent", "shared"], "repeat": 2, "seed": 1, "warmup": None},
        "host": {"cpus": 2, "platform": "Linux", "qemu": None},
        "wall_s": 9.0,
    }  # fmt: skip
    report = render_report(data, [])
    p50 = data["summary"]["cells"][0]["figures"]["total"]["p50"]
    shown = f"{p50 * 1000:.1f} ms" if p50 < 1 else f"{p50:.2f} s"
    assert "| 8 independent | total | host | 16 |" in report and shown in report
    assert "4 cells ran for 4.00 s" in report and "The bench took 9.00 s" in report
    # the phase's own p50, as the phase table prints it; QEMU's accounting is quoted apart
    firmware = data["summary"]["cells"][0]["phases"]["firmware"]["p50"]
    assert f"| {firmware * 1000:.1f} ms (host) |" in report
    finding = cpu_findings(pool_results(data))[0]
    assert finding.startswith(f"**8 guests, independent fs:** firmware took {firmware * 1000:.1f} ms (p50, host clock)")
    assert "QEMU's threads ran 100.0 ms and waited 200.0 ms for a CPU (p50 over 16 guests)" in finding


def test_the_report_says_whose_clock_ran_slow_and_never_trusts_results_that_predate_the_check() -> None:
    data = results({"shared": 0.02}, rounds=1, n=4)
    old = clock_findings(pool_results(data))
    assert len(old) == 1 and old[0].startswith("These results predate uktrace's guest clock check")
    rates = [0.05, 0.1, 1.0, None]  # the last one's rate unknown (too few stamped reads)
    for entry, rate in zip(data["cells"][0]["run"]["guests"], rates, strict=True):
        entry["guest_clock"] = {"rate": rate, "skewed": None if rate is None else rate < 0.9, "reference_hz": 2.6e9}
    (finding,) = clock_findings(pool_results(data))
    assert finding.startswith("4 guests, shared fs (rounds pooled): guest clock ran 10.0-20.0x slow on 2 of 4 guests")
    assert "their guest-clock figures are corrected; rate unknown on 1" in finding


def test_the_report_says_what_each_cells_consoles_cost() -> None:
    data = results({"shared": 0.02}, rounds=1, n=3)
    assert console_findings(data) == []  # results from before consoles were priced: nothing said
    for cell in data["cells"]:
        for index, guest in enumerate(cell["run"]["guests"]):
            nbytes = 7000 + 100 * index
            guest["console"] = {
                "bytes": nbytes, "debug_bytes": 4000, "cost_s": nbytes * 1e-6, "ci": [nbytes * 0.9e-6, nbytes * 1.1e-6],
                "debug_cost_s": 0.004, "in_guest_s": 0.1, "per_byte_s": 1e-6, "why": None,
            }  # fmt: skip
    (line,) = console_findings(data)
    assert line.startswith("**3 guests, shared fs:** console ≈ 7.1 ms (95 % CI 6.4 ms-7.8 ms) of 100.0 ms")
    assert "7.1 KB; a build without debug lines ≈ 4.0 ms faster" in line


def test_the_filesystem_type_is_an_axis_of_cells() -> None:
    plan = BenchPlan((1, 10), ("shared",), repeat=2, seed=5, fs_types=("9p", "virtiofs"))
    order = plan.order()
    assert len(order) == 8 and len({cell.id for cell in order}) == 8
    for round_ in (1, 2):
        block = order[(round_ - 1) * 4 : round_ * 4]
        assert {cell.key for cell in block} == {(n, fs, ()) for n in (1, 10) for fs in ("shared", "shared virtiofs")}
    ids = {cell.id for cell in order}
    assert {"n10-shared-r1", "n10-shared-virtiofs-r1"} <= ids  # a 9P cell keeps its name
    assert plan.as_dict()["fs_types"] == ["9p", "virtiofs"]
    assert parse_fs_types("virtiofs,9p,virtiofs") == ("virtiofs", "9p")
    with pytest.raises(LaunchError, match="--fs-type nfs: choose from 9p, virtiofs"):
        parse_fs_types("nfs")


def typed(mount_by_type: dict[str, float], rounds: int = 2, n: int = 8) -> dict[str, Any]:
    """Shared cells of each filesystem type, as `results` makes them per mode."""
    data = results(dict.fromkeys(mount_by_type, 0.0), rounds, n)
    rng = random.Random(5)
    for cell in data["cells"]:
        kind = cell["fs_mode"]
        mount = mount_by_type[kind]
        cell |= {"fs_mode": "shared", "fs_type": kind, "id": cell["id"].replace(kind, f"shared-{kind}")}
        cell["run"]["guests"] = [guest(1.0 + rng.uniform(-0.05, 0.05), mount * rng.uniform(0.9, 1.1)) for _ in range(n)]
    data["summary"] = summarise(data["cells"])
    return data


def test_9p_against_virtiofs_is_compared_and_kept_apart() -> None:
    data = typed({"9p": 0.01, "virtiofs": 0.03})
    summary = data["summary"]["cells"]
    assert [(c["fs_mode"], c["fs_type"], c["guests"]) for c in summary] == [
        ("shared", "9p", 16),
        ("shared", "virtiofs", 16),
    ]
    assert pool_results(data).modes == ("shared", "shared virtiofs")
    (finding,) = fs_type_findings(data)
    assert finding.startswith("**8 guests, shared:** beyond the noise: mount +")
    assert "with VirtioFS (" in finding
    assert mode_findings(data) == []  # one mode per type: nothing to set against it


def test_observer_sides_run_one_after_the_other_and_take_turns_going_first() -> None:
    plan = BenchPlan((1, 10, 50), ("shared",), repeat=3, seed=5, observer_check=True)
    order = plan.order()
    assert len(order) == 27
    firsts: dict[tuple[object, ...], list[tuple[bool, bool]]] = {}
    for position in range(0, len(order), 3):
        sides = order[position : position + 3]
        assert len({(cell.key, cell.round) for cell in sides}) == 1  # one cell's sides, adjacent
        assert {(cell.observed, cell.waker) for cell in sides} == {(True, False), (False, False), (False, True)}
        firsts.setdefault(sides[0].key, []).append((sides[0].observed, sides[0].waker))
    for turns in firsts.values():  # over three rounds each side of a cell goes first once
        assert len(set(turns)) == 3
    assert BenchPlan((1, 10, 50), ("shared",), repeat=3, seed=5).order() == [c for c in order if c.observed]
