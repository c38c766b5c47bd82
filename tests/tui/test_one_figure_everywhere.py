"""One recording read through every output gives the same number for the same figure: `run`'s
JSON and tables (`replay --json`, `replay --headless`), `compare`, a bench's summary and report,
the TUI's fleet and summary, and the CSV export (`uktrace.analysis.figures` defines them once)."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.tui.conftest import RECORDINGS, replay_app, screen_text, settle
from uktrace.analysis.bench import CellResult, summarise
from uktrace.analysis.bench_plan import CellRound
from uktrace.analysis.report import _s, render_report
from uktrace.present.units import format_seconds
from uktrace.tui.screens.summary import SummaryScreen

pytestmark = pytest.mark.anyio

SHOWN = ("boot", "mount", "main", "total")
"""The figures the tables show without `--ready`."""
EDGES = 2e-6
"""The JSON rounds each phase edge to the microsecond: a duration read back from it (compare, the
bench) may differ from the exact one by that much."""
SECONDS = re.compile(r"\d+(?:\.\d+)? m?s\b|…")


def uktrace(*args: str) -> str:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "uktrace", *args], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


@functools.cache
def replayed(recording: str) -> str:
    """`replay --json` of a bundled recording, run once per session (each test reads it three times)."""
    return uktrace("replay", "--json", str(RECORDINGS / recording))


def run_json(recording: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(replayed(recording))
    return document


def rows(text: str, title: str) -> Iterator[list[str]]:
    """The cells of each body row of the rich table under `title` in headless output."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    for line in lines[start + 4 :]:
        if not line.startswith("│"):
            return
        yield [cell.strip() for cell in line.strip("│").split("│")]


def distribution_rows(text: str) -> dict[str, tuple[int, list[str]]]:
    """`name: (guests, [p50, p95, max])` from a TUI statistics table's lines (`■ mount  8  21.5 ms ...`)."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"\s*(?:■\s+)?([a-z_0-9]+)\s+(\d+)\s+(.*)", line)
        if match and len(values := SECONDS.findall(match.group(3))) >= 3:
            found[match.group(1)] = (int(match.group(2)), values[:3])
    return found


def expected(dist: dict[str, Any]) -> tuple[int, list[str]]:
    return dist["count"], [format_seconds(dist[key]) for key in ("p50", "p95", "max")]


def bench_document(recordings: list[tuple[str, int]]) -> dict[str, Any]:
    """A bench's results.json whose cells are these recordings' `run --json` (as `Bench.results`)."""
    cells = [
        CellResult(CellRound(n, "shared", 1), i + 1, name, 1.0, (0, 0, 0), (0, 0, 0), run_json(name)).as_dict()
        for i, (name, n) in enumerate(recordings)
    ]
    plan = {"kernel": "k", "options": {"accel": "tcg", "mem": "64M"}, "concurrency": [n for _, n in recordings]}
    plan |= {"fs_modes": ["shared"], "repeat": 1, "seed": 1, "warmup": None}
    host = {"cpus": 2, "platform": "Linux", "qemu": None}
    return {"kind": "bench", "plan": plan, "host": host, "wall_s": 2.0, "cells": cells, "summary": summarise(cells)}


@pytest.mark.parametrize("recording", ["shared-8", "crash-3"])
async def test_every_output_gives_the_same_numbers(recording: str) -> None:
    path = str(RECORDINGS / recording)
    truth = run_json(recording)
    summary, guests = truth["summary"], truth["guests"]
    figures = {name: dist for name, dist in summary["times"].items() if dist is not None}
    totals = {g["name"]: g["times"]["total"] for g in guests}
    assert "total" in figures or recording == "crash-3"  # crashed guests measured no total

    # run's tables (`replay --headless`): the phases, the figures and each guest's
    headless = uktrace("replay", "--headless", path)
    for name, guests_, *values, _clock in rows(headless, "phases across guests"):
        assert (int(guests_), values) == expected(summary["phases"][name]), name
    shown = {cells[0]: cells[1:4] for cells in rows(headless, "boot / mount / main")}
    assert shown == {name: expected(figures[name])[1] for name in SHOWN if name in figures}
    per_guest = {cells[0]: cells[6] for cells in rows(headless, "per guest")}
    assert per_guest == {name: format_seconds(total) for name, total in totals.items()}

    # compare: its medians are the tables' p50s, for every phase and figure it compares
    compared = json.loads(uktrace("compare", path, path, "--json"))["comparisons"][0]["cells"][0]["metrics"]
    every = summary["phases"] | figures
    assert {m["metric"] for m in compared} == set(every)
    for metric in compared:
        assert metric["median_a"] == pytest.approx(every[metric["metric"]]["p50"], abs=EDGES), metric["metric"]
        assert metric["n_a"] == every[metric["metric"]]["count"], metric["metric"]

    # exports: each guest's figures as the JSON gives them
    exported = [row for row in csv.DictReader(io.StringIO(uktrace("export", "-f", "csv", path)))]
    for row in (r for r in exported if r["kind"] == "figure" and r["name"] == "total"):
        assert float(row["seconds"]) == pytest.approx(totals[row["guest"]], abs=1e-6)

    # the bench: this recording as a cell (beside the other one, so the report has a scaling finding)
    other = {"shared-8": ("crash-3", 3), "crash-3": ("shared-8", 8)}[recording]
    n = len(guests)
    bench = bench_document(sorted([(recording, n), other], key=lambda cell: cell[1]))
    cell = next(c for c in bench["summary"]["cells"] if c["concurrency"] == n)
    for name, dist in summary["phases"].items():
        assert cell["phases"][name]["p50"] == pytest.approx(dist["p50"], abs=EDGES), name
        assert cell["phases"][name]["count"] == dist["count"], name
    assert {name for name, d in cell["figures"].items() if d} == set(figures)
    for name, dist in figures.items():
        assert cell["figures"][name]["p50"] == pytest.approx(dist["p50"], abs=EDGES), name
    report = render_report(bench, [])
    for name, dist in figures.items():
        assert f"| {n} shared | {name} | {dist['clock']} | {dist['count']} |" in report
        row = next(line for line in report.splitlines() if line.startswith(f"| {n} shared | {name} |"))
        assert row.split(" | ")[6] == _s(dist["p50"]), name
    scaling = next(line for line in report.splitlines() if "shared fs, 3 → 8 guests" in line)
    position = 0 if n == 3 else 1
    for name in ("total", "mount", "main"):
        quoted = re.findall(rf"(?:\*\*|[:;,]) {name} (?:p50 )?(\S+ m?s|…) → (\S+ m?s|…)", scaling)
        want = _s(figures[name]["p50"] if name in figures else None)
        assert quoted and all(pair[position] == want for pair in quoted), (name, quoted, want)

    # the TUI: the fleet's total column and the summary's tables and slowest guests
    app = replay_app(recording)
    async with app.run_test(size=(160, 80)) as pilot:
        await settle(pilot)
        fleet = screen_text(app)
        column = {}
        for name in totals:
            line = next(line for line in fleet.splitlines() if line.lstrip().startswith(name))
            column[name] = SECONDS.findall(line)[0]
        assert column == {name: format_seconds(total) for name, total in totals.items()}
        await pilot.press("tab")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.pause()
        text = screen_text(app)
        stats, times = text.split("phases across guests", 1)[1].split("slowest", 1)[0].split("boot / mount", 1)
        assert distribution_rows(stats) == {name: expected(dist) for name, dist in summary["phases"].items()}
        assert distribution_rows(times) == {name: expected(dist) for name, dist in figures.items()}
        slowest = text.split("slowest", 1)[1].split("failures", 1)[0]
        listed = {m.group(1): m.group(2) for m in re.finditer(r"(guest-\d+)\s+(\S+ m?s)", slowest)}
        assert listed == {name: format_seconds(totals[name]) for name in listed} and listed
