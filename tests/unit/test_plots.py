"""The bench's figures on a synthetic results.json: every file is an SVG with the right texts and
as many bars and lines as cells, the same results give the same bytes, and partial results lose a
figure instead of raising."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import matplotlib
import pytest

from uktrace.analysis.plots import (
    STACKED,
    phase_scaling_figure,
    stack_medians,
    total_cdf_figure,
    write_plots,
)
from uktrace.analysis.pooled import pool_results
from uktrace.analysis.stats import percentile
from uktrace.model.nesting import upgraded
from uktrace.model.palette import PHASE_COLOURS
from uktrace.parsers.phases import PHASES

SVG = "{http://www.w3.org/2000/svg}"
NAMES = ["phases_stacked.svg", "total_cdf.svg", "phase_scaling.svg", "cpu_wait.svg"]

# host seconds per phase for one guest on an idle host; `load` stretches the host-side ones
BASE = {
    "spawn": 0.15,
    "gate": 0.05,
    "firmware": 0.2,
    "platform_entry": 0.008,
    "stack_switch": 0.0,
    "constructors": 0.004,
    "subsystems": 0.13,
    "init_table": 0.0004,
    "bus_probe": 0.013,
    "mount": 0.012,
    "banner": 0.006,
    "main": 0.024,
    "exit": 0.01,
}
MADE = tuple(name for name in PHASES if name in {*BASE, "9p_handshake", "ready"})
"""The phases these guests have (not the TSC calibration: their consoles do not name it)."""
GUEST_CLOCK_FROM = "init_table"
"""Phases from here to `main` are read on the guest clock (it calibrated during subsystems)."""


def make_guest(index: int, concurrency: int, mode: str, round_: int) -> dict[str, Any]:
    """One guest in `run --json`'s shape: contiguous host phases, a 9P handshake nested in mount,
    early phases on the host clock, later ones on the guest's, `subsystems` on either (as when the
    guest's first stamp lands before or after calibration), `times` and `cpu` to match."""
    load = 1 + concurrency / 20
    jitter = 1 + 0.1 * ((index * 7 + round_ * 3) % 5)
    phases: list[dict[str, Any]] = []
    host = 0.0
    guest_zero = None
    for name, base in BASE.items():
        scale = load * jitter if name in ("spawn", "firmware", "subsystems") else jitter
        if name == "gate":
            scale = concurrency / 10
        if name == "mount" and mode == "shared":
            scale *= 2 + concurrency / 25
        start, end = host, host + base * scale
        host = end
        if name == "platform_entry":
            guest_zero = start
        guest_edges: dict[str, float | None] = {"start": None, "end": None}
        clock = "host"
        if guest_zero is not None and name != "exit":
            guest_edges = {"start": round((start - guest_zero) * 0.9, 6), "end": round((end - guest_zero) * 0.9, 6)}
            late = list(BASE).index(name) >= list(BASE).index(GUEST_CLOCK_FROM)
            clock = "guest" if late or (name == "subsystems" and index % 2) else "host"
        host_edges = {"start": round(start, 6), "end": round(end, 6)}
        own = guest_edges if clock == "guest" else host_edges
        edges = {"start": own["start"], "end": own["end"]}
        phases.append({"name": name, **edges, "clock": clock, "guest": guest_edges, "host": host_edges})
        if name == "mount":
            assert guest_zero is not None
            inner = {"start": round(start + (end - start) / 4, 6), "end": round(end, 6)}
            guest_inner = {k: round((v - guest_zero) * 0.9, 6) for k, v in inner.items()}
            phases.append(
                {"name": "9p_handshake", **guest_inner, "clock": "guest", "guest": guest_inner, "host": inner}
            )
        if name == "main":  # `--ready`: the first half of main
            assert guest_zero is not None
            inner = {"start": round(start, 6), "end": round(start + (end - start) / 2, 6)}
            guest_inner = {k: round((v - guest_zero) * 0.9, 6) for k, v in inner.items()}
            phases.append({"name": "ready", **guest_inner, "clock": "guest", "guest": guest_inner, "host": inner})
    phases = upgraded(phases)  # written as a boot's sequence: init_table holds the bus probe and the mount
    by_name = {p["name"]: p for p in phases}
    gate = by_name["gate"]["host"]["end"] - by_name["gate"]["host"]["start"]
    times = {
        "boot": by_name["main"]["host"]["start"] - gate,
        "mount": by_name["mount"]["end"] - by_name["mount"]["start"],
        "main": by_name["main"]["end"] - by_name["main"]["start"],
        "ready": by_name["ready"]["end"] - by_name["ready"]["start"],
        "total": host - gate,
        "clocks": {"boot": "host", "total": "host", "mount": "guest", "main": "guest", "ready": "guest"},
    }
    cpu = {}
    for p in phases:
        if p["name"] in ("9p_handshake", "ready"):
            continue
        wall = p["host"]["end"] - p["host"]["start"]
        waiting = p["name"] != "gate"
        cpu[p["name"]] = {
            "wall_s": wall,
            "cpu_s": wall * 0.5 / load,
            "wait_s": None if p["name"] == "exit" else (wall * (1 - 1 / load) if waiting else 0.0),
        }
    return {
        "name": f"guest-{index:02d}",
        "status": "exited",
        "exit_code": 0,
        "phases": phases,
        "times": times,
        "cpu": cpu,
    }


def make_results(
    concurrencies: tuple[int, ...] = (1, 10),
    modes: tuple[str, ...] = ("independent", "shared"),
    rounds: int = 2,
    guests: int | None = 3,
) -> dict[str, Any]:
    """A bench results.json: `guests` per cell (None: as many as the concurrency), cells interleaved."""
    cells = []
    for round_ in range(1, rounds + 1):
        for concurrency in concurrencies:
            for mode in modes:
                count = concurrency if guests is None else guests
                run = {"guests": [make_guest(i, concurrency, mode, round_) for i in range(count)], "summary": {}}
                name = f"n{concurrency}-{mode}-r{round_}"
                cells.append({"id": name, "concurrency": concurrency, "fs_mode": mode, "round": round_, "run": run})
    plan = {"concurrency": list(concurrencies), "fs_modes": list(modes), "repeat": rounds}
    return {"format": 1, "kind": "bench", "plan": plan, "cells": cells, "summary": {"cells": []}}


def svg(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> set[str]:
    """Every text matplotlib drew, the lines of a multi-line one joined by newlines."""
    found = set()
    for group in root.iter(f"{SVG}g"):
        lines = ["".join(node.itertext()).strip() for node in group.findall(f"{SVG}text")]
        if lines:
            found.add("\n".join(lines))
    return found


def ids(root: ET.Element, prefix: str) -> list[str]:
    return sorted(node.get("id", "") for node in root.iter() if node.get("id", "").startswith(prefix))


@pytest.fixture(scope="module")
def plotted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default synthetic bench, plotted once for the module (a figure takes seconds)."""
    out = tmp_path_factory.mktemp("plots")
    assert write_plots(make_results(), out) == [out / name for name in NAMES]
    return out


@pytest.fixture(scope="module")
def written(plotted: Path) -> dict[str, ET.Element]:
    return {name: svg(plotted / name) for name in NAMES}


def test_stacked_bars_one_per_cell_and_phase_without_gate_or_nested(written: dict[str, ET.Element]) -> None:
    root = written["phases_stacked.svg"]
    bars = ids(root, "bar-")
    assert len(bars) == 2 * 2 * len(STACKED)
    assert not [b for b in bars if b.startswith(("bar-gate-", "bar-9p_handshake-"))]
    assert "bar-init_table-n10-shared" in bars
    assert not [b for b in bars if b.startswith(("bar-bus_probe-", "bar-mount-"))]  # inside init_table
    assert len(ids(root, "total-")) == 4
    words = texts(root)
    assert set(STACKED) <= words
    assert {"gate", "9p_handshake"}.isdisjoint(words)
    assert "seconds (host clock, median per phase)" in words
    assert {"independent", "shared", "median total"} <= words


def test_stack_medians_are_nearest_rank_host_durations_and_sum_to_the_total() -> None:
    guests = [make_guest(i, 10, "shared", 1) for i in range(4)]
    medians = stack_medians(guests)
    assert list(medians) == list(STACKED)
    firmware = sorted(
        p["host"]["end"] - p["host"]["start"] for g in guests for p in g["phases"] if p["name"] == "firmware"
    )
    assert len(set(firmware)) > 1
    assert medians["firmware"] == percentile(firmware, 0.5)
    # one guest: the stack is exactly its total (gate left out, as `times.total` does)
    alone = guests[0]
    assert sum(stack_medians([alone]).values()) == pytest.approx(alone["times"]["total"])


def test_cdf_one_line_per_concurrency_per_mode(written: dict[str, ET.Element]) -> None:
    root = written["total_cdf.svg"]
    assert ids(root, "cdf-") == ["cdf-independent-n1", "cdf-independent-n10", "cdf-shared-n1", "cdf-shared-n10"]
    words = texts(root)
    assert {"fs mode: independent", "fs mode: shared", "fraction of guests"} <= words
    assert "1 at once (6)" in words  # 3 guests x 2 rounds pooled


def test_scaling_panels_say_their_clock(written: dict[str, ET.Element]) -> None:
    root = written["phase_scaling.svg"]
    panels = len(MADE) + 5
    assert len(ids(root, "scaling-")) == panels * 2 * 2
    assert "scaling-gate-shared-p95" in ids(root, "scaling-")
    words = texts(root)
    titles = {"spawn\nhost clock", "mount\nguest clock", "9p_handshake\nguest clock", "times.total\nhost clock"}
    assert titles | {"subsystems\nguest+host clock", "p50", "p95", "independent", "shared"} <= words


def test_cpu_wait_one_line_per_mode_for_phases_with_a_wait(written: dict[str, ET.Element]) -> None:
    root = written["cpu_wait.svg"]
    phases = {line.split("-")[1] for line in ids(root, "cpuwait-")}
    # not the gate (QEMU paused), the nested handshake and ready (no CPU mark), exit (the process
    # exit ends it: wait unknown), nor stack_switch (no wall time here, so no share)
    assert phases == set(MADE) - {"gate", "9p_handshake", "ready", "exit", "stack_switch"}
    assert len(ids(root, "cpuwait-")) == len(phases) * 2
    assert {"firmware", "CPU wait share = wait / (CPU + wait)"} <= texts(root)


def test_same_results_same_bytes_and_no_style_leaks(plotted: Path, tmp_path: Path) -> None:
    before = dict(matplotlib.rcParams)
    again = write_plots(make_results(), tmp_path)
    assert [p.read_bytes() for p in again] == [(plotted / name).read_bytes() for name in NAMES]
    assert dict(matplotlib.rcParams) == before


def test_cdf_goes_log_when_totals_span_more_than_20x() -> None:
    results = make_results()
    cells = pool_results(results)
    linear = total_cdf_figure(cells)
    assert linear is not None
    assert [ax.get_xscale() for ax in linear.axes] == ["linear", "linear"]
    for guest in cells.of(10, "shared"):
        guest["times"]["total"] *= 100
    spread = total_cdf_figure(cells)
    assert spread is not None
    assert [ax.get_xscale() for ax in spread.axes] == ["log", "log"]


def test_no_cpu_data_no_cpu_wait_figure(tmp_path: Path) -> None:
    results = make_results()
    for cell in results["cells"]:
        for guest in cell["run"]["guests"]:
            del guest["cpu"]
    assert [p.name for p in write_plots(results, tmp_path)] == NAMES[:3]
    assert not (tmp_path / "cpu_wait.svg").exists()


def test_older_results_lose_figures_without_raising(tmp_path: Path) -> None:
    results = make_results()
    for cell in results["cells"]:
        for guest in cell["run"]["guests"]:
            del guest["cpu"], guest["times"]
            for phase in guest["phases"]:
                del phase["host"], phase["guest"]
    names = [p.name for p in write_plots(results, tmp_path)]
    # host-clock phases still stack; no totals, so no CDF
    assert names == ["phases_stacked.svg", "phase_scaling.svg"]
    assert write_plots({}, tmp_path / "empty") == []
    assert write_plots({"cells": [{"concurrency": 1, "fs_mode": "shared"}, "junk"]}, tmp_path / "junk") == []


def test_one_concurrency_one_mode_still_plots(tmp_path: Path) -> None:
    results = make_results(concurrencies=(4,), modes=("shared",), rounds=1)
    roots = {p.name: svg(p) for p in write_plots(results, tmp_path)}
    assert list(roots) == NAMES
    assert len(ids(roots["total_cdf.svg"], "cdf-")) == 1
    assert len(ids(roots["phase_scaling.svg"], "scaling-")) == (len(MADE) + 5) * 2


def test_modes_follow_the_plan_then_cells() -> None:
    results = make_results(modes=("shared", "independent"))
    results["cells"].append({"concurrency": 2, "fs_mode": "other", "run": {"guests": [make_guest(0, 2, "other", 1)]}})
    cells = pool_results(results)
    assert cells.modes == ("shared", "independent", "other")
    assert cells.concurrencies == (1, 2, 10)
    assert len(cells.of(10, "shared")) == 6
    figure = phase_scaling_figure(cells)
    assert figure is not None
    spawn = {line.get_gid(): line.get_color() for line in figure.axes[0].get_lines()}
    assert {"scaling-spawn-other-p50", "scaling-spawn-shared-p95"} <= set(spawn)
    assert len({spawn[f"scaling-spawn-{mode}-p50"] for mode in cells.modes}) == 3


def test_every_phase_has_a_colour() -> None:
    assert set(PHASE_COLOURS) == set(PHASES)
