"""`uktrace bench`: the concurrency × filesystem-mode (× filesystem-type) experiment as one command.

Every cell (N guests at once, each with its own directory or all sharing one, over 9P or VirtioFS) is a normal
run of the fleet, recorded as `uktrace run --record` would, so each cell replays and compares
like any run. Cells run R rounds in an interleaved order shuffled with a seed, after one
unrecorded warm-up cell: slow drift of the host (caches, thermal, a neighbour) then hits every
cell alike instead of the cells that happened to run last. `results.json` is rewritten after
every cell, so an interrupted bench keeps what it measured.

`--vary NAME=V1,V2,...` adds launch options as axes (`launch.axes`): each configuration of their
product (or, for `--what-if`, each lever alone against the baseline) is crossed with the
concurrency and fs modes, and its cells interleave with every other in the same seeded rounds.
"""

from __future__ import annotations

import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uktrace.parsers.phases import PHASES

from .. import __version__
from ..launch import observer_checks
from ..launch.axes import Config
from ..launch.calibration import this_host
from ..launch.cluster.remote import Launcher
from ..launch.options import RunOptions
from ..model.guest import FleetView
from ..model.shapes import formats
from .bench_labels import FS_TYPES
from .bench_plan import BenchPlan, CellRound
from .cpu import PhaseCpu, cpu_shares
from .figures import FIGURES, json_readings
from .pooled import pool_cells
from .stats import Distribution, distribution, median_interval

if TYPE_CHECKING:
    from ..model.shapes import bench as bench_shape
    from ..model.shapes import run as shape

RESULTS_FORMAT = formats.RESULTS


@dataclass
class CellResult:
    cell: CellRound
    position: int
    recording: str
    wall_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    run: shape.RunOutput
    interrupted_by: int | None = None

    def as_dict(self) -> bench_shape.Cell:
        cell: bench_shape.Cell = {
            "id": self.cell.id,
            "concurrency": self.cell.concurrency,
            "fs_mode": self.cell.fs_mode,
            "fs_type": self.cell.fs_type,
            "round": self.cell.round,
            "position": self.position,
            "recording": self.recording,
            "wall_s": round(self.wall_s, 6),
            "load_before": [round(v, 2) for v in self.load_before],
            "load_after": [round(v, 2) for v in self.load_after],
            "interrupted_by": self.interrupted_by,
            "run": self.run,
        }
        if self.cell.config:
            cell["config"] = dict(self.cell.config)
            cell["tag"] = self.cell.tag
        return cell


@dataclass
class Bench:
    """A bench in progress or done; `results()` is results.json's content at any point."""

    plan: BenchPlan
    options: RunOptions
    out: Path
    command: list[str]
    kernel: str
    no_gate: bool = False
    lower_guests: bool = False
    """Guests below uktrace's priority (`--guest-priority low`, `launch.priority`)."""
    cells: list[CellResult] = field(default_factory=list)
    unobserved: list[dict[str, Any]] = field(default_factory=list)
    """The observer check's unobserved cells, as results.json's `unobserved` (`analysis.observer`)."""
    finished: bool = False
    """Every cell has run (or the bench was stopped): the observer check is worked out then, once."""
    started: float = field(default_factory=time.time)
    wall_s: float = 0.0
    interrupted_by: int | None = None
    current: tuple[int, CellRound, FleetView] | None = None
    """While a cell runs: its position (1-based), the cell, its fleet (for progress views)."""
    launcher: Launcher | None = None
    """Where every cell's guests start when on a cluster (`--cluster ray:...`); None: here."""
    levers: dict[str, Any] | None = None
    """`--what-if`: the levers found on this machine and those skipped, with why (`launch.levers`)."""

    def results(self) -> bench_shape.Results:
        results: bench_shape.Results = {
            "format": RESULTS_FORMAT,
            "uktrace": __version__,
            "kind": "bench",
            "command": self.command,
            "plan": self._plan(),
            "host": host_info(self.options.qemu if self.options.command is None else None),
            "started": self.started,
            "wall_s": round(self.wall_s, 3),
            "interrupted_by": self.interrupted_by,
            "cells": [cell.as_dict() for cell in self.cells],
            "summary": summarise([cell.as_dict() for cell in self.cells], self.plan.configs()),
        }
        if self.plan.observer_check:
            results["unobserved"] = self.unobserved
        if self.plan.observer_check and self.finished:
            results["observer"] = self._observer()
        return results

    def _plan(self) -> bench_shape.Plan:
        plan: bench_shape.Plan = {
            **self.plan.as_dict(),  # type: ignore[typeddict-item]  # mypy asks for `what_if` here; it comes below
            "kernel": self.kernel,
            "options": _options_dict(self.options),
            "lower_guests": self.lower_guests,
        }
        if self.levers is not None:
            plan["what_if"] = self.levers
        return plan

    def _observer(self) -> list[dict[str, Any]]:
        """`observer` (the tracer's effect per figure), once every cell has run; each unobserved
        cell's console is parsed now, read with its traced twin's clock, into `unobserved`."""
        from . import observer

        found = {"cells": [cell.as_dict() for cell in self.cells], "unobserved": self.unobserved}
        observer.finish(found, self.out)
        if self.options.command is None:  # kept for later runs here to say what they carry
            observer_checks.save(this_host(self.options.qemu, self.options.accel), observer.kept(found), time.time())
        return observer.as_json(found)


def host_info(qemu: str | None) -> bench_shape.BenchHost:
    """What a reader of the figures needs to know about the machine that made them."""
    info: bench_shape.BenchHost = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "qemu": None,
    }
    if qemu is not None:
        try:
            result = subprocess.run([qemu, "--version"], capture_output=True, text=True, timeout=10)
            info["qemu"] = result.stdout.splitlines()[0] if result.stdout else None
        except (OSError, subprocess.SubprocessError):
            pass
    return info


def _options_dict(options: RunOptions) -> bench_shape.PlanOptions:
    return {
        "accel": options.accel,
        "cpu": options.cpu,
        "mem": options.memory,
        "append": options.append,
        "machine": options.machine,
        "timeout": options.timeout,
        "cmd": options.command,
        "fs": str(options.fs) if options.fs else None,
        "fs_rw": options.fs_writable,
        "virtiofsd": options.virtiofsd,
        "extra": list(options.extra),
    }


def write_results(bench: Bench) -> None:
    """results.json and results.csv, replaced atomically: readable at any moment of the bench."""
    import json

    from .tidy import write_csv

    results = bench.results()
    temporary = bench.out / "results.json.tmp"
    temporary.write_text(json.dumps(results, indent=1) + "\n")
    temporary.replace(bench.out / "results.json")
    write_csv(dict(results), bench.out / "results.csv")


# -- the summary: rounds pooled per (concurrency, fs mode) --------------------------------------


def summarise(cells: Sequence[Mapping[str, Any]], order: Sequence[Config] = ()) -> bench_shape.BenchSummary:
    """Per (concurrency, filesystem, configuration): statuses, failures by reason, every phase and
    figure's distribution with a 95 % interval for its median, and where the CPU went; cells in
    (concurrency, filesystem) order, configurations in `order` (the plan's, baseline first)."""
    summary: list[bench_shape.PooledCell] = []
    for cell in pool_cells(cells).cells.values():
        guests = cell.guests
        reasons = [reason for reason in map(failure_reason, guests) if reason is not None]
        per_guest_cpu = (
            {phase: PhaseCpu(u["wall_s"], u["cpu_s"], u["wait_s"]) for phase, u in g.get("cpu", {}).items()}
            for g in guests
        )
        pooled: bench_shape.PooledCell = {
            "concurrency": cell.concurrency,
            "fs_mode": cell.fs_mode,
            "fs_type": cell.fs_type,
            "rounds": len(cell.rounds),
            "guests": len(guests),
            "statuses": dict(Counter(guest["status"] for guest in guests)),
            "failures": dict(Counter(reasons)),
            "phases": {name: _with_interval(*stats) for name, stats in phase_stats(guests).items()},
            "figures": {name: _with_interval(*stats) for name, stats in figure_stats(guests).items()},
            "cpu": {name: share.as_dict() for name, share in cpu_shares(per_guest_cpu).items()},
        }
        if cell.config:
            pooled["config"] = dict(cell.config)
            pooled["tag"] = cell.tag
        summary.append(pooled)
    rank = {config: index for index, config in enumerate(order)}

    def place(cell: bench_shape.PooledCell) -> tuple[int, str, int, int]:
        config = cell.get("config") or {}
        kind = FS_TYPES.index(cell["fs_type"]) if cell["fs_type"] in FS_TYPES else len(FS_TYPES)
        return cell["concurrency"], cell["fs_mode"], kind, rank.get(tuple(config.items()), len(rank))

    summary.sort(key=place)
    return {"cells": summary}


def failure_reason(guest: dict[str, Any]) -> str | None:
    """None for a clean exit; else the status and its reason (`crashed: Unhandled Trap ...`)."""
    if guest["status"] == "exited" and (guest.get("exit_code") or 0) == 0:
        return None
    crash = guest.get("crash") or {}
    reason = crash.get("reason")
    if guest["status"] == "exited":
        return f"exited with code {guest.get('exit_code')}"
    return f"{guest['status']}: {reason}" if reason else guest["status"]


def phase_stats(guests: Sequence[dict[str, Any]]) -> dict[str, tuple[Distribution, list[float]]]:
    """Per phase in boot order, over the guests it counts for (`figures.readings`): the
    distribution of its duration on its own clock, and the values."""
    return _stats([json_readings(g) for g in guests], PHASES)


def figure_stats(guests: Sequence[dict[str, Any]]) -> dict[str, tuple[Distribution, list[float]]]:
    """Per figure, as `phase_stats`."""
    return _stats([json_readings(g) for g in guests], FIGURES)


def _stats(
    counted: Sequence[dict[str, tuple[float, str]]], names: Sequence[str]
) -> dict[str, tuple[Distribution, list[float]]]:
    result = {}
    for name in names:
        known = [r[name][0] for r in counted if name in r]
        dist = distribution(known, [r[name][1] for r in counted if name in r])
        if dist is not None:
            result[name] = (dist, known)
    return result


def _with_interval(dist: Distribution, values: list[float]) -> dict[str, Any]:
    interval = median_interval(values)
    return dist.as_dict() | {"ci95": None if interval is None else [round(v, 6) for v in interval]}


def default_share(directory: Path) -> Path:
    """A small directory to share when the user gives none: a few files, as an app's rootfs would."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hello.txt").write_text("Hello from uktrace bench's share!\n")
    (directory / "etc").mkdir(exist_ok=True)
    (directory / "etc" / "motd").write_text("uktrace bench\n")
    return directory
