"""How responsive the TUI stays with 100 booting guests: loop lag, frames, key-to-screen latency.
Printed, never asserted.

    .venv/bin/python benchmarks/ui_lag.py                          # 100 real test guests (QEMU, TCG)
    .venv/bin/python benchmarks/ui_lag.py --guest-priority low  # QEMUs at the idle policy (before)
    .venv/bin/python benchmarks/ui_lag.py --replay                 # a recording of 100 flooding consoles
    .venv/bin/python benchmarks/ui_lag.py --view guest             # with one guest's console open

Live (the default), 100 test guests boot at once, each printing 64 KiB of debug lines
(`uktrace.fault=flood=64`): every console byte goes through the parser and the timeline in the
TUI's own event loop while 100 QEMUs compete for two cores. `--replay` plays a recording of the
same at its recorded pace (made on first use), which isolates the UI from the QEMUs' CPU load.

The TUI runs headless (Textual's `run_test`) at a fixed size; it composes every frame as for a
terminal and the ANSI output is encoded too (then dropped), so drawing costs what it would.
- loop lag: a probe task sleeps 10 ms in a loop and records how late it wakes;
- key-to-screen: every 0.25 s during the storm a key is posted as the terminal would deliver it
  (cursor down/up, then a switch to the summary and back; `--keys cursor`: cursor moves only),
  and the latency runs until a frame that shows its effect has been written;
- first paint: from the app's start to the first frame with the fleet table.
Goals on the 2-core reference machine: loop lag p99 <= 50 ms, key-to-screen p99 <= 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flood_recording
from rich.console import RenderableType
from textual import events
from textual._compositor import CompositorUpdate
from textual.screen import Screen

from uktrace.analysis.figures import percentile
from uktrace.launch.fleet import Fleet
from uktrace.launch.options import RunOptions, prepare
from uktrace.model.guest import FleetView
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.summary import SummaryScreen
from uktrace.tui.widgets.fleet_table import FleetTable

PROBE_S = 0.010
KEY_INTERVAL_S = 0.25


GC_SECONDS = [0.0]
"""Seconds spent collecting garbage so far."""
GC_PAUSES: list[tuple[int, float]] = []
"""(generation, seconds) of every garbage collection: a full one stops the event loop meanwhile."""
_gc_started = [0.0]


def _time_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        GC_PAUSES.append((info["generation"], pause := time.perf_counter() - _gc_started[0]))
        GC_SECONDS[0] += pause


gc.callbacks.append(_time_gc)

SLOW_CALLBACKS: list[tuple[float, float, float, str]] = []
"""(seconds, of which on a CPU, of which collecting garbage, what) of every event-loop callback that
ran over SLOW_S: what the loop was doing in a stall."""
SLOW_S = 0.03
SAMPLE_S = 0.005
STACK_DEPTH = 6


def _describe(handle: asyncio.Handle) -> str:
    """A callback as a person would name it: the task's coroutine, or the function called."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return f"{task.get_name()} at {_suspended_at(task.get_coro())}"
    return getattr(callback, "__qualname__", repr(callback))


def _suspended_at(coro: Any) -> str:
    """Where a task's step ended: its innermost awaiting coroutine's function and line."""
    where = "?"
    while coro is not None and (frame := getattr(coro, "cr_frame", None)) is not None:
        where = f"{frame.f_code.co_qualname}:{frame.f_lineno}"
        coro = getattr(coro, "cr_await", None)
    return where


RUNNING_SINCE = [0.0]
"""When the event loop's current callback began (0: between callbacks), for the stall sampler."""
STALL_STACKS: dict[str, int] = {}
"""Where the loop stood, sampled every SAMPLE_S in callbacks that ran over SLOW_S (`--stall-stacks`)."""


def sample_stalls(loop_thread: int, done: threading.Event) -> None:
    """A thread: while the loop is stuck in one callback, note the loop's stack every SAMPLE_S."""
    while not done.wait(SAMPLE_S):
        began = RUNNING_SINCE[0]
        if began and time.perf_counter() - began > SLOW_S:
            frame = sys._current_frames().get(loop_thread)
            stack = []
            while frame is not None:
                code = frame.f_code
                stack.append(f"{Path(code.co_filename).name}:{code.co_qualname}")
                frame = frame.f_back
            key = " < ".join(stack[:STACK_DEPTH])
            STALL_STACKS[key] = STALL_STACKS.get(key, 0) + 1


def _timed_run(run: Callable[[asyncio.Handle], None]) -> Callable[[asyncio.Handle], None]:
    def timed(handle: asyncio.Handle) -> None:
        start, cpu, collecting = time.perf_counter(), time.thread_time(), GC_SECONDS[0]
        RUNNING_SINCE[0] = start
        try:
            run(handle)
        finally:
            RUNNING_SINCE[0] = 0.0
        if (seconds := time.perf_counter() - start) > SLOW_S:
            on_cpu = time.thread_time() - cpu
            SLOW_CALLBACKS.append((seconds, on_cpu, GC_SECONDS[0] - collecting, _describe(handle)))

    return timed


asyncio.Handle._run = _timed_run(asyncio.Handle._run)  # type: ignore[method-assign]

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
        self.started = time.perf_counter()
        self.first_paint: float | None = None
        self.pending: tuple[str, float, Callable[[], bool]] | None = None
        """The key posted last, when, and what the screen shows once it took effect."""
        self.key_latencies: dict[str, list[float]] = {}

    def post_key(self, key: str, effect: Callable[[], bool]) -> None:
        """Post `key` as the terminal driver would; `effect` says when the screen shows it."""
        self.pending = (key, time.perf_counter(), effect)
        self.post_message(events.Key(key, None))

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
        now = time.perf_counter()
        if self.first_paint is None and screen.query(FleetTable):
            self.first_paint = now - self.started
        if self.pending is not None and self.pending[2]():
            key, sent, _ = self.pending
            self.key_latencies.setdefault(key, []).append(now - sent)
            self.pending = None


STALLS: list[tuple[float, float]] = []
"""(seconds since the probe began, lag) of every probe: when the worst stalls happened."""


async def probe(lags: list[float], done: anyio.Event) -> None:
    began = time.perf_counter()
    while not done.is_set():
        start = time.perf_counter()
        await anyio.sleep(PROBE_S)
        lag = time.perf_counter() - start - PROBE_S
        lags.append(lag)
        STALLS.append((start - began, lag))


def run_queue_wait() -> float:
    """Seconds this thread has spent ready to run but waiting for a CPU (the kernel's schedstat)."""
    try:
        with open("/proc/thread-self/schedstat") as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def thread_cpu() -> dict[str, float]:
    """CPU seconds per thread name of this process, threads that ended excepted (`/proc`)."""
    ticks = os.sysconf("SC_CLK_TCK")
    names = {thread.native_id: thread.name.split("_")[0].rstrip("-0123456789") for thread in threading.enumerate()}
    used: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = names.get(int(task.name)) or (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return used


def all_ended(fleet: FleetView) -> bool:
    return all(g.timeline.status.finished and g.exit_ns is not None for g in fleet.guests)


def print_lag(lags: list[float]) -> None:
    lags_ms = sorted(lag * 1000 for lag in lags)
    print(
        f"event-loop lag ({len(lags_ms)} probes of {PROBE_S * 1000:.0f} ms): "
        f"p50 {percentile(lags_ms, 0.5):.1f} ms  p99 {percentile(lags_ms, 0.99):.1f} ms  max {lags_ms[-1]:.1f} ms"
    )
    worst = sorted(STALLS, key=lambda stall: stall[1], reverse=True)[: max(1, len(STALLS) // 100)]
    when = ", ".join(f"{lag * 1000:.0f} ms at {at:.1f} s" for at, lag in sorted(worst))
    print(f"the worst 1 % of the loop's stalls, in order: {when}")


async def press_keys(app: MeasuredApp, done: anyio.Event, switch_views: bool = True) -> None:
    """Keys a user presses while the guests boot, one every KEY_INTERVAL_S, each waited for."""

    def table() -> FleetTable | None:
        tables = app.screen.query(FleetTable)
        return tables.first() if tables else None

    def cursor_at(row: int) -> Callable[[], bool]:
        return lambda: (found := table()) is not None and found.cursor == row

    plan: list[tuple[str, Callable[[], bool]]] = [
        ("down", cursor_at(1)),
        ("up", cursor_at(0)),
        ("2", lambda: isinstance(app.screen, SummaryScreen)),
        ("1", lambda: isinstance(app.screen, FleetScreen)),
    ]
    if not switch_views:
        plan = plan[:2]
    step = 0
    while not done.is_set():
        await anyio.sleep(KEY_INTERVAL_S)
        if app.pending is not None:
            continue  # the last key has not shown yet: a user would wait too
        key, effect = plan[step % len(plan)]
        app.post_key(key, effect)
        step += 1


def print_keys(app: MeasuredApp) -> None:
    every = sorted(ms * 1000 for latencies in app.key_latencies.values() for ms in latencies)
    if not every:
        print("key-to-screen: no key was shown")
        return
    per_key = "  ".join(
        f"{key} p50 {percentile(sorted(v * 1000 for v in values), 0.5):.0f}"
        for key, values in app.key_latencies.items()
    )
    print(
        f"key-to-screen ({len(every)} keys): p50 {percentile(every, 0.5):.0f} ms  "
        f"p99 {percentile(every, 0.99):.0f} ms  max {every[-1]:.0f} ms   ({per_key} ms)"
    )
    if app.pending is not None:
        print(f"  one key ({app.pending[0]!r}) was still not shown when the run ended")


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
    sampled = threading.Event()
    if args.stall_stacks:
        threading.Thread(target=sample_stalls, args=(threading.get_ident(), sampled), daemon=True).start()
    async with app.run_test(size=(width, height)) as pilot, anyio.create_task_group() as group:
        group.start_soon(probe, lags, done)
        if args.keys != "none":
            group.start_soon(press_keys, app, done, args.keys == "all")
        if args.view == "guest":
            await pilot.press("enter")
        elif args.view == "summary":
            await pilot.press("tab")
        start, cpu_start, wait_start = time.perf_counter(), time.thread_time(), run_queue_wait()
        with anyio.fail_after(args.timeout):
            while not all_ended(fleet):
                if app.return_code is not None:
                    raise RuntimeError("the app ended before the guests did")
                await anyio.sleep(0.05)
        seconds = time.perf_counter() - start
        loop_cpu = time.thread_time() - cpu_start
        loop_wait = run_queue_wait() - wait_start
        threads = thread_cpu()
        done.set()
        sampled.set()
        walked, frozen = len(gc.get_objects()), gc.get_freeze_count()
        kinds: dict[str, int] = {}
        for thing in gc.get_objects():
            kind = type(thing).__qualname__
            kinds[kind] = kinds.get(kind, 0) + 1
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
    if app.first_paint is not None:
        print(f"first paint: {app.first_paint * 1000:.0f} ms after the app started")
    print_keys(app)
    print(
        f"redraws: {app.ticks / seconds:.1f} ticks/s (at most {app.refresh_hz:g} Hz, {app.pace.hz:g} Hz at the end), "
        f"{app.frames / seconds:.1f} frames/s, {table_rows / seconds:.0f} fleet rows rendered/s, "
        f"{app.frame_bytes / seconds / 1e3:.0f} kB/s to the terminal"
    )
    frames_ms = sorted(f * 1000 for f in FRAME_SECONDS)
    print(
        f"UI cost: tick (model to dirty rows) p50 {percentile(ticks_ms, 0.5):.2f} ms  "
        f"p99 {percentile(ticks_ms, 0.99):.2f} ms; frame (layout, render, encode) "
        f"p50 {percentile(frames_ms, 0.5):.2f} ms  p99 {percentile(frames_ms, 0.99):.2f} ms  max {frames_ms[-1]:.1f} ms"
    )
    for generation in (1, 2):
        pauses = sorted((ms * 1000 for g, ms in GC_PAUSES if g == generation), reverse=True)
        if pauses:
            slowest = ", ".join(f"{ms:.0f}" for ms in pauses[:3])
            print(f"garbage collections of generation {generation}: {len(pauses)}, slowest {slowest} ms")
    slowest: dict[str, list[tuple[float, float, float]]] = {}
    for seconds_taken, on_cpu, collecting, what in SLOW_CALLBACKS:
        slowest.setdefault(what, []).append((seconds_taken * 1000, on_cpu * 1000, collecting * 1000))
    print(f"callbacks that held the loop over {SLOW_S * 1000:.0f} ms: {len(SLOW_CALLBACKS)}")
    for what, times in sorted(slowest.items(), key=lambda item: -sum(t[0] for t in item[1]))[:8]:
        wall, cpu, collecting = (sum(t[n] for t in times) for n in range(3))
        print(
            f"  {len(times):4d} × {what[:70]}: max {max(t[0] for t in times):.0f} ms, total {wall:.0f} ms "
            f"(on a CPU {cpu:.0f}, of which collecting garbage {collecting:.0f})"
        )
    if STALL_STACKS:
        print(f"where the loop stood in those callbacks (samples every {SAMPLE_S * 1000:.0f} ms):")
        for stack, count in sorted(STALL_STACKS.items(), key=lambda item: -item[1])[:15]:
            print(f"  {count:4d}  {stack}")
    print(f"objects a full collection walks at the end: {walked:,} (frozen at first paint: {frozen:,})")
    common = ", ".join(f"{kind} {count:,}" for kind, count in sorted(kinds.items(), key=lambda item: -item[1])[:10])
    print(f"  the most common: {common}")
    busy = (sum(app.tick_seconds) + sum(FRAME_SECONDS)) / seconds
    print(f"the UI's share of the event loop: {busy * 100:.1f} % (the rest: parsing consoles, the engine, idle)")
    others = ", ".join(f"{name} {cpu:.1f} s" for name, cpu in sorted(threads.items(), key=lambda item: -item[1]))
    print(f"CPU per thread over the whole run: {others}")
    print(
        f"the event loop's thread ran on a CPU {loop_cpu / seconds * 100:.0f} % of the time, "
        f"waited for one {loop_wait / seconds * 100:.0f} % (ready to run, the CPUs busy elsewhere)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replay", action="store_true", help="replay a recording instead of booting guests")
    parser.add_argument(
        "--guest-priority", choices=("normal", "low"), default="normal", help="as uktrace's option (default normal)"
    )
    parser.add_argument(
        "--keys",
        choices=("all", "cursor", "none"),
        default="all",
        help="keys pressed meanwhile: cursor moves and view switches (default), cursor moves only, none",
    )
    parser.add_argument("-n", "--count", type=int, default=100, help="guests (default 100)")
    parser.add_argument("-j", "--jobs", type=int, help="at most J guests at once (default all)")
    parser.add_argument("--flood", type=int, default=64, metavar="KIB", help="debug KiB per guest (default 64)")
    parser.add_argument("--recording", type=Path, default=flood_recording.DEFAULT, help="replay this recording")
    parser.add_argument("--speed", type=float, default=1.0, help="replay time factor (default 1: as recorded)")
    parser.add_argument("--view", choices=("fleet", "guest", "summary"), default="fleet")
    parser.add_argument("--size", default="160x50", help="terminal WIDTHxHEIGHT (default 160x50)")
    parser.add_argument("--no-ui", action="store_true", help="baseline: the same run without the TUI")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--stall-stacks", action="store_true", help="sample the loop's stack in callbacks that run long, and print them"
    )
    args = parser.parse_args()
    if not args.replay:
        with tempfile.TemporaryDirectory(prefix="uktrace-ui-lag-") as scratch:
            options = RunOptions(count=args.count, append=f"uktrace.era=0.10 uktrace.fault=flood={args.flood}")
            specs, shares = prepare(options)
            low = args.guest_priority == "low"
            try:
                fleet = Fleet(specs, jobs=args.jobs, record_dir=Path(scratch), lower_guests=low)
                lowered = f"nice {fleet.guest_nice}, idle policy where allowed" if low else "normal, a session apart"
                print(f"guest priority: {args.guest_priority} (QEMUs at {lowered})")
                anyio.run(baseline if args.no_ui else measure, fleet, args)
            finally:
                shares.cleanup()
        return
    flood_recording.ensure(args.recording, args.count, args.flood)
    anyio.run(baseline if args.no_ui else measure, ReplayFleet(args.recording, speed=args.speed), args)


if __name__ == "__main__":
    main()
