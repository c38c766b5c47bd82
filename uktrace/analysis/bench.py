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
import random
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uktrace.parsers.phases import PHASES

from .. import __version__
from ..launch import observer_checks
from ..launch.axes import Axis, Config, apply, config_label, configs, one_at_a_time
from ..launch.calibration import this_host
from ..launch.cluster.remote import Launcher
from ..launch.fleet import Fleet
from ..launch.options import LaunchError, RunOptions, prepare
from ..launch.tracer_usage import TracerUsage
from ..model.guest import FleetView
from ..model.shapes import formats
from ..recording.record import start_session
from .bench_labels import FS_TYPES, fs_label
from .cpu import PhaseCpu, cpu_shares
from .figures import FIGURES, json_readings
from .pooled import pool_cells
from .results import fleet_results
from .stats import Distribution, distribution, median_interval

if TYPE_CHECKING:
    from ..model.shapes import bench as bench_shape
    from ..model.shapes import run as shape

FS_MODES = ("independent", "shared")
NO_SHARE = "none"
"""The fs mode of a bench that shares no directory (`--vary` and `--what-if` without `--fs`)."""
RESULTS_FORMAT = formats.RESULTS


@dataclass(frozen=True, slots=True)
class CellRound:
    """N guests at once in one filesystem mode, one round."""

    concurrency: int
    fs_mode: str
    round: int
    observed: bool = True
    """False: the same guests run unobserved, for the observer check (`analysis.observer`)."""
    fs_type: str = "9p"
    """`9p` or `virtiofs` (`--fs-type`); a 9P cell keeps the name it had before VirtioFS."""
    config: Config = ()
    """The `--vary` axes' values this cell runs with (empty without `--vary`)."""
    tag: str = ""
    """The configuration's labels for the cell's id (`config_tag`)."""
    waker: bool = False
    """Unobserved beside a thread that only wakes up (`launch.waker`): uktrace's wake-ups without
    its work, the observer check's third side."""

    @property
    def fs(self) -> str:
        """The filesystem as cells, reports and plots name it (`fs_label`)."""
        return fs_label({"fs_mode": self.fs_mode, "fs_type": self.fs_type})

    @property
    def id(self) -> str:
        tag = f"-{self.tag}" if self.tag else ""
        fs = self.fs.replace(" ", "-")
        side = "" if self.observed else "-unobserved" + ("-waker" if self.waker else "")
        return f"n{self.concurrency}-{fs}{tag}-r{self.round}{side}"

    @property
    def key(self) -> tuple[int, str, Config]:
        """The cell without its round: rounds of one key are pooled."""
        return self.concurrency, self.fs, self.config


def config_tag(config: Config, axes: Sequence[Axis]) -> str:
    """`machine=q35-bios=qboot`: a configuration in a cell's id (and directory name)."""
    return config_label(config, axes).replace(" ", "-") if config else ""


@dataclass(frozen=True)
class BenchPlan:
    concurrency: tuple[int, ...]
    fs_modes: tuple[str, ...]
    repeat: int
    seed: int
    fs_types: tuple[str, ...] = ("9p",)
    warmup: bool = True
    cooldown_s: float = 1.0
    """Pause between cells, so the previous cell's QEMUs are gone and the host settles."""
    observer_check: bool = False
    """Each cell also runs unobserved, in the same rounds (`analysis.observer`)."""
    axes: tuple[Axis, ...] = ()
    """`--vary`: launch options varied, each value crossed with every cell (`launch.axes`)."""
    design: str = "product"
    """`product`: every combination of the axes' values; `one at a time`: the baseline and each
    other value alone (`--what-if`)."""

    def configs(self) -> list[Config]:
        """The configurations each (concurrency, fs mode) runs, the baseline first."""
        if not self.axes:
            return [()]
        return one_at_a_time(self.axes) if self.design == "one at a time" else configs(self.axes)

    def order(self) -> list[CellRound]:
        """Every round holds every cell once, each round shuffled with the seed. With the observer
        check a cell's runs are triplets, run one right after the other: traced, unobserved, and
        unobserved beside a thread that only wakes up (`launch.waker`); which goes first turns from
        round to round (where each cell starts is drawn), so that the host's drift and the
        after-effects of the cell before (a larger one's exit, memory given back, caches) fall on
        every side alike. Shuffled apart as separate cells, a cell's two runs were up to six cells
        away from each other, and one side came first in most rounds as often as not."""
        rng = random.Random(self.seed)
        cells: list[CellRound] = []
        tagged = [(config, config_tag(config, self.axes)) for config in self.configs()]
        keys = [
            (n, mode, fs_type, config, tag)
            for n in self.concurrency
            for mode in self.fs_modes
            for fs_type in self.fs_types
            for config, tag in tagged
        ]
        turns = random.Random(f"{self.seed} sides")  # apart: the traced cells' order is the same without the check
        starts = [turns.randrange(3) for _ in keys]
        for round_ in range(1, self.repeat + 1):
            block = list(enumerate(keys))
            rng.shuffle(block)
            for index, (n, mode, fs_type, config, tag) in block:
                traced = CellRound(n, mode, round_, True, fs_type, config, tag)
                if not self.observer_check:
                    cells.append(traced)
                    continue
                sides = [traced, replace(traced, observed=False), replace(traced, observed=False, waker=True)]
                first = (starts[index] + round_) % len(sides)
                cells += sides[first:] + sides[:first]
        return cells

    def warmup_cell(self) -> CellRound | None:
        baseline = self.configs()[0]
        first = CellRound(min(self.concurrency), self.fs_modes[0], 0, True, self.fs_types[0], baseline)
        return first if self.warmup else None

    def as_dict(self) -> bench_shape.Schedule:
        warmup = self.warmup_cell()
        schedule: bench_shape.Schedule = {
            "concurrency": list(self.concurrency),
            "fs_modes": list(self.fs_modes),
            "fs_types": list(self.fs_types),
            "repeat": self.repeat,
            "seed": self.seed,
            "warmup": None
            if warmup is None
            else {"concurrency": warmup.concurrency, "fs_mode": warmup.fs_mode, "fs_type": warmup.fs_type},
            "cooldown_s": self.cooldown_s,
            "observer_check": self.observer_check,
            "order": [cell.id for cell in self.order()],
        }
        if self.axes:
            schedule["axes"] = [axis.as_dict() for axis in self.axes]
            schedule["design"] = self.design
            schedule["configs"] = len(self.configs())
        return schedule


def parse_concurrency(text: str) -> tuple[int, ...]:
    """`1,10,50,100` → (1, 10, 50, 100); raises LaunchError for anything else."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise LaunchError(f"--concurrency {text}: a comma-separated list of guest counts (e.g. 1,10,50,100)") from None
    if not values or any(v < 1 for v in values):
        raise LaunchError(f"--concurrency {text}: every count must be at least 1")
    return tuple(sorted(set(values)))


def parse_fs_types(text: str) -> tuple[str, ...]:
    """`9p,virtiofs` → ("9p", "virtiofs"); raises LaunchError for anything else."""
    types = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not types or [t for t in types if t not in FS_TYPES]:
        raise LaunchError(f"--fs-type {text}: choose from 9p, virtiofs (comma-separated)")
    return types


def parse_fs_modes(text: str) -> tuple[str, ...]:
    modes = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    unknown = [mode for mode in modes if mode not in FS_MODES]
    if not modes or unknown:
        raise LaunchError(f"--fs-mode {text}: choose from independent, shared (comma-separated)")
    return modes


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


Progress = Callable[[Bench], None]
FleetRunner = Callable[[Fleet, str], None]
"""Runs one cell's fleet to its end, showing it (the TUI, or the headless progress); gets the
cell's caption (`cell 3/24: 10 guests, independent fs, round 1`)."""


class BenchStopped(Exception):
    """The user stopped the bench from its view (`q` in the TUI)."""


def run_bench(
    bench: Bench,
    run_fleet: FleetRunner,
    on_cell_done: Progress | None = None,
    on_unobserved: Callable[[str], None] | None = None,
) -> None:
    """Every cell in the plan's order (after the warm-up), results written after each;
    `on_unobserved` is told the caption of each unobserved cell as it starts (no view shows it)."""
    begin = time.monotonic()
    order = bench.plan.order()
    warmup = bench.plan.warmup_cell()
    try:
        if warmup is not None:
            with tempfile.TemporaryDirectory(prefix="uktrace-warmup-") as scratch:
                result = _run_cell(bench, warmup, 0, Path(scratch) / "warmup", run_fleet, len(order))
            if result.interrupted_by is not None:
                bench.interrupted_by = result.interrupted_by
                return
        for position, cell in enumerate(order, start=1):
            time.sleep(bench.plan.cooldown_s)
            if not cell.observed:
                from . import observer

                if on_unobserved is not None:
                    on_unobserved(caption(cell, position, len(order)))
                bench.unobserved.append(observer.run_cell(bench, cell, bench.out / "cells" / cell.id))
                bench.wall_s = time.monotonic() - begin
                write_results(bench)
                continue
            result = _run_cell(bench, cell, position, bench.out / "cells" / cell.id, run_fleet, len(order))
            bench.cells.append(result)
            bench.wall_s = time.monotonic() - begin
            write_results(bench)
            if on_cell_done is not None:
                on_cell_done(bench)
            if result.interrupted_by is not None:
                bench.interrupted_by = result.interrupted_by
                return
    finally:
        bench.current = None
        bench.finished = True
        bench.wall_s = time.monotonic() - begin
        write_results(bench)


def caption(cell: CellRound, position: int, total: int) -> str:
    guests = "1 guest" if cell.concurrency == 1 else f"{cell.concurrency} guests"
    fs = "no share" if cell.fs_mode == NO_SHARE else f"{cell.fs} fs"
    config = "".join(f", {name}={value}" for name, value in cell.config)
    if position == 0:
        return f"warm-up: {guests}, {fs}{config} (not recorded)"
    side = "" if cell.observed else ", unobserved" + (" beside a waker" if cell.waker else "")
    return f"cell {position}/{total}: {guests}, {fs}{config}, round {cell.round}{side}"


def _run_cell(
    bench: Bench, cell: CellRound, position: int, record_dir: Path, run_fleet: FleetRunner, total: int
) -> CellResult:
    options = cell_options(bench.options, cell)
    specs, shares = prepare(options)
    try:
        start_session(
            record_dir,
            bench.command,
            {
                "bench_cell": cell.id,
                "count": cell.concurrency,
                "fs_mode": cell.fs_mode,
                "fs_type": cell.fs_type,
                "fs": str(options.fs),
            }
            | ({"config": dict(cell.config)} if cell.config else {}),
            [spec.name for spec in specs],
        )
        fleet = Fleet(
            specs,
            timeout=options.timeout,
            record_dir=record_dir,
            start_gate=not bench.no_gate,
            lower_guests=bench.lower_guests,
            launcher=bench.launcher,
        )
        fleet.fs_mode = cell.fs
        fleet.usage = TracerUsage.now()  # this cell's, not the bench's so far
        bench.current = (position, cell, fleet)
        load_before = os.getloadavg()
        began = time.monotonic()
        run_fleet(fleet, caption(cell, position, total))
        wall = time.monotonic() - began
        load_after = os.getloadavg()
    finally:
        shares.cleanup()
    run = fleet_results(fleet)
    run["summary"]["record_dir"] = os.path.relpath(record_dir, bench.out)
    return CellResult(
        cell,
        position,
        os.path.relpath(record_dir, bench.out),
        wall,
        load_before,
        load_after,
        run,
        fleet.interrupted_by,
    )


def cell_options(options: RunOptions, cell: CellRound) -> RunOptions:
    """The run options of one cell: its guest count, fs mode (no share for `none`) and axes' values."""
    fs = None if cell.fs_mode == NO_SHARE else options.fs
    cell_options_ = replace(
        options, count=cell.concurrency, jobs=None, fs=fs, fs_mode=cell.fs_mode, fs_type=cell.fs_type
    )
    return apply(cell_options_, cell.config)


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
