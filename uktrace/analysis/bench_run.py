"""`uktrace bench`'s runner: every cell of the plan in its order, each a recorded run of the fleet
(the observer check's unobserved ones through `analysis.observer`), results written after each.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..launch.fleet import Fleet
from ..launch.options import prepare
from ..launch.tracer_usage import TracerUsage
from ..recording.record import start_session
from .bench import Bench, CellResult, write_results
from .bench_plan import NO_SHARE, CellRound, cell_options
from .results import fleet_results

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
