"""How responsive the TUI stays with 100 guests: event-loop lag and redraw rate, printed, never asserted.

    .venv/bin/python benchmarks/ui_lag.py                 # replay of 100 flooding consoles, real time
    .venv/bin/python benchmarks/ui_lag.py --live          # 100 real test guests under QEMU instead
    .venv/bin/python benchmarks/ui_lag.py --view guest    # the same with one guest's console open

The replay (the default) plays a recording of 100 test guests booted together, each printing
64 KiB of debug lines at full speed (`uktrace.fault=flood=64`), at its recorded pace: every
console byte goes through the parser and the timeline in the TUI's own event loop, as live.
The recording is made on first use (`uktrace run --headless -n 100 --append ... --record DIR`).

The TUI runs headless (Textual's `run_test`) at a fixed size; it composes every frame as for a
terminal and the ANSI output is encoded too (then dropped), so drawing costs what it would.
A probe task sleeps 10 ms in a loop and records how late it wakes: that lateness is what a key
press waits. Goal on the 2-core reference machine: p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import RenderableType
from textual._compositor import CompositorUpdate
from textual.screen import Screen

from tui.app import UktraceApp
from tui.widgets.fleet_table import FleetTable
from uktrace.analysis.stats import percentile
from uktrace.launch.fleet import Fleet
from uktrace.launch.options import RunOptions, prepare
from uktrace.model.guest import FleetView
from uktrace.recording.replay import ReplayFleet

PROBE_S = 0.010
DEFAULT_RECORDING = Path(tempfile.gettempdir()) / "uktrace-rec100-flood64"


FRAME_SECONDS: list[float] = []
"""Time of every screen update: layout, rendering the dirty regions, encoding the frame."""


def _timed_screen_update(update: Any) -> Any:
    def timed(screen: Screen[Any]) -> None:
        start = time.perf_counter()
        update(screen)
        FRAME_SECONDS.append(time.perf_counter() - start)

    return timed


# Textual's private per-frame hook: the only place a whole frame's cost can be measured from
Screen._on_timer_update = _timed_screen_update(Screen._on_timer_update)  # type: ignore[method-assign]


class MeasuredApp(UktraceApp):
    """The app with counters: timer ticks, time spent in them, frames written."""

    def __init__(self, fleet: FleetView, **kwargs: Any) -> None:
        super().__init__(fleet, **kwargs)
        self.ticks = 0
        self.tick_seconds: list[float] = []
        self.frames = 0
        self.frame_bytes = 0

    def tick(self) -> None:
        start = time.perf_counter()
        super().tick()
        self.tick_seconds.append(time.perf_counter() - start)
        self.ticks += 1

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        # headless skips the terminal write: encode the frame anyway, so it costs what it would
        if isinstance(renderable, CompositorUpdate):
            self.frames += 1
            self.frame_bytes += len(renderable.render_segments(self.console))
        super()._display(screen, renderable)


def make_recording(directory: Path, count: int, flood_kib: int) -> None:
    print(f"recording {count} flooding guests into {directory} (once)…", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uktrace",
            "run",
            "--headless",
            "-n",
            str(count),
            "--append",
            f"uktrace.era=0.10 uktrace.fault=flood={flood_kib}",
            "--record",
            str(directory),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


async def probe(lags: list[float], done: anyio.Event) -> None:
    while not done.is_set():
        start = time.perf_counter()
        await anyio.sleep(PROBE_S)
        lags.append(time.perf_counter() - start - PROBE_S)


def all_ended(fleet: FleetView) -> bool:
    return all(g.timeline.status.finished and g.exit_ns is not None for g in fleet.guests)


def print_lag(lags: list[float]) -> None:
    lags_ms = sorted(lag * 1000 for lag in lags)
    print(
        f"event-loop lag ({len(lags_ms)} probes of {PROBE_S * 1000:.0f} ms): "
        f"p50 {percentile(lags_ms, 0.5):.1f} ms  p99 {percentile(lags_ms, 0.99):.1f} ms  max {lags_ms[-1]:.1f} ms"
    )


async def baseline(fleet: FleetView, args: argparse.Namespace) -> None:
    """The same run without the TUI (what `--headless` costs at least): the engine's own lag."""
    lags: list[float] = []
    done = anyio.Event()
    async with anyio.create_task_group() as group:
        group.start_soon(probe, lags, done)
        group.start_soon(fleet.run)
        start = time.perf_counter()
        with anyio.fail_after(args.timeout):
            while not all_ended(fleet):
                await anyio.sleep(0.05)
        seconds = time.perf_counter() - start
        done.set()
        fleet.stop()
    print(f"{len(fleet.guests)} guests, no UI (baseline), {seconds:.2f} s until every guest ended")
    print_lag(lags)


async def measure(fleet: FleetView, args: argparse.Namespace) -> None:
    width, height = (int(n) for n in args.size.split("x"))
    app = MeasuredApp(fleet, title="ui_lag")
    app.animation_level = "none"
    lags: list[float] = []
    done = anyio.Event()
    async with app.run_test(size=(width, height)) as pilot, anyio.create_task_group() as group:
        group.start_soon(probe, lags, done)
        if args.view == "guest":
            await pilot.press("enter")
        elif args.view == "summary":
            await pilot.press("tab")
        start = time.perf_counter()
        with anyio.fail_after(args.timeout):
            while not all_ended(fleet):
                if app.return_code is not None:
                    raise RuntimeError("the app ended before the guests did")
                await anyio.sleep(0.05)
        seconds = time.perf_counter() - start
        done.set()
        table_rows = sum(table.redraws for screen in app.screen_stack for table in screen.query(FleetTable))
        await pilot.press("q")
        while app.return_code is None:
            await anyio.sleep(0.02)
    ticks_ms = sorted(t * 1000 for t in app.tick_seconds)
    lines = sum(g.timeline.lines for g in fleet.guests)
    received = sum(g.received for g in fleet.guests)
    print(f"{len(fleet.guests)} guests, view {args.view}, {width}x{height}, {seconds:.2f} s until every guest ended")
    print(f"console: {received / 1e6:.1f} MB, {lines} lines parsed in the TUI's loop ({lines / seconds:,.0f} lines/s)")
    print_lag(lags)
    print(
        f"redraws: {app.ticks / seconds:.1f} ticks/s (timer {app.refresh_hz:g} Hz), "
        f"{app.frames / seconds:.1f} frames/s, {table_rows / seconds:.0f} fleet rows rendered/s, "
        f"{app.frame_bytes / seconds / 1e3:.0f} kB/s to the terminal"
    )
    frames_ms = sorted(f * 1000 for f in FRAME_SECONDS)
    print(
        f"UI cost: tick (model to dirty rows) p50 {percentile(ticks_ms, 0.5):.2f} ms  "
        f"p99 {percentile(ticks_ms, 0.99):.2f} ms; frame (layout, render, encode) "
        f"p50 {percentile(frames_ms, 0.5):.2f} ms  p99 {percentile(frames_ms, 0.99):.2f} ms  max {frames_ms[-1]:.1f} ms"
    )
    busy = (sum(app.tick_seconds) + sum(FRAME_SECONDS)) / seconds
    print(f"the UI's share of the event loop: {busy * 100:.1f} % (the rest: parsing consoles, the engine, idle)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--live", action="store_true", help="boot real test guests instead of replaying")
    parser.add_argument("-n", "--count", type=int, default=100, help="guests (default 100)")
    parser.add_argument("-j", "--jobs", type=int, help="--live: at most J guests at once (default all)")
    parser.add_argument("--flood", type=int, default=64, metavar="KIB", help="debug KiB per guest (default 64)")
    parser.add_argument("--recording", type=Path, default=DEFAULT_RECORDING, help="replay this recording")
    parser.add_argument("--speed", type=float, default=1.0, help="replay time factor (default 1: as recorded)")
    parser.add_argument("--view", choices=("fleet", "guest", "summary"), default="fleet")
    parser.add_argument("--size", default="160x50", help="terminal WIDTHxHEIGHT (default 160x50)")
    parser.add_argument("--no-ui", action="store_true", help="baseline: the same run without the TUI")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    if args.live:
        with tempfile.TemporaryDirectory(prefix="uktrace-ui-lag-") as scratch:
            options = RunOptions(count=args.count, append=f"uktrace.era=0.10 uktrace.fault=flood={args.flood}")
            specs, shares = prepare(options)
            try:
                fleet = Fleet(specs, jobs=args.jobs, record_dir=Path(scratch))
                anyio.run(baseline if args.no_ui else measure, fleet, args)
            finally:
                shares.cleanup()
        return
    if not (args.recording / "session.json").is_file():
        make_recording(args.recording, args.count, args.flood)
    anyio.run(baseline if args.no_ui else measure, ReplayFleet(args.recording, speed=args.speed), args)


if __name__ == "__main__":
    main()
