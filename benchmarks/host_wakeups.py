"""Does this host boot guests faster when something else wakes up often? The observer check's blind spot.

The observer check (`uktrace bench --observer-check`) compares traced guests with guests nobody
watches. A traced run wakes uktrace's loop a few hundred times a second while guests print (190-320
on the test guest on 2 cores: `summary.tracer.booting.wakeups_per_s`, `--wake-ms 3.3` here); an
unobserved run wakes almost never. On some hosts wake-ups alone move the figures, whatever the
process that wakes does with its CPU: this script measures it without uktrace reading anything. It
runs the same unobserved guests (`launch.unobserved`) alone and beside a thread of this process
that only sleeps `--wake-ms` and wakes again (at the batch policy, as uktrace's loop), alternating,
and prints each run's figures: total p50 (host clock), QEMU's CPU per guest p50 (its rusage), and
the in-guest phases p50 on the guest clock as printed (no correction: compare runs, not guests).

    .venv/bin/python benchmarks/host_wakeups.py                 # 50 test guests, 3 pairs, 1 ms
    .venv/bin/python benchmarks/host_wakeups.py -n 50 --pairs 4 --wake-ms 3.3     # as often as uktrace
    .venv/bin/python benchmarks/host_wakeups.py --kernel path/to/helloworld_qemu-x86_64

Prints figures only (no assertions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import anyio

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uktrace.launch import unobserved  # noqa: E402
from uktrace.launch.options import RunOptions, prepare  # noqa: E402
from uktrace.launch.waker import Waker  # noqa: E402
from uktrace.recording.logs import trace_log  # noqa: E402

PHASES = ("tsc_calibration", "init_table", "mount", "main")


def one_run(count: int, share: Path, waker_s: float | None, kernel: str | None = None) -> dict[str, float]:
    """One unobserved run of `count` test guests: its figures (p50s, seconds)."""
    costs: list[int] = []
    watch = unobserved._watch

    async def watched(guest: unobserved.Unobserved, process: object) -> None:
        await watch(guest, process)  # type: ignore[arg-type]
        cpu = getattr(process, "cpu_total_ns", None)
        if cpu:
            costs.append(cpu)

    unobserved._watch = watched  # type: ignore[assignment]
    specs, shares = prepare(RunOptions(count=count, fs=share, kernel=kernel))
    try:
        with tempfile.TemporaryDirectory(prefix="uktrace-wakeups-") as scratch:
            run: Callable[[], object] = partial(anyio.run, partial(unobserved.run_unobserved, specs, Path(scratch)))
            if waker_s is None:
                guests = run()
            else:
                with Waker(waker_s):
                    guests = run()
            assert isinstance(guests, list)
            phases: dict[str, list[float]] = {}
            for guest in guests:
                for phase in trace_log(guest.console, name=guest.name).phases():
                    if phase.name in PHASES and phase.guest_start is not None and phase.guest_end is not None:
                        phases.setdefault(phase.name, []).append(phase.guest_end - phase.guest_start)
    finally:
        unobserved._watch = watch
        shares.cleanup()
    totals = [guest.total_s for guest in guests if guest.total_s is not None]
    figures = {"total": statistics.median(totals), "qemu_cpu": statistics.median(costs) / 1e9 if costs else 0.0}
    return figures | {name: statistics.median(values) for name, values in phases.items()}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("-n", "--count", type=int, default=50, help="guests at once (default 50)")
    options.add_argument("--pairs", type=int, default=3, help="runs alone and beside the waker, alternating")
    options.add_argument("--wake-ms", type=float, default=1.0, help="the waker's sleep (default 1 ms)")
    options.add_argument("--kernel", help="a Unikraft kernel image instead of the test guest (its share: --fs's)")
    args = options.parse_args()
    guests = args.kernel or "test guests"
    print(f"load average {os.getloadavg()[0]:.2f}; {args.count} × {guests}; waker every {args.wake_ms:g} ms")
    sides: dict[str, list[dict[str, float]]] = {"alone": [], "waker": []}
    with tempfile.TemporaryDirectory(prefix="uktrace-wakeups-share-") as share:
        (Path(share) / "hello.txt").write_text("Hello from the share\n")
        for pair in range(args.pairs):
            order = ("alone", "waker") if pair % 2 == 0 else ("waker", "alone")
            for side in order:
                time.sleep(1.0)
                waker_s = args.wake_ms / 1e3 if side == "waker" else None
                figures = one_run(args.count, Path(share), waker_s, args.kernel)
                sides[side].append(figures)
                shown = "  ".join(f"{name} {value * 1e3:7.1f}" for name, value in figures.items())
                print(f"{side:6} {shown}  (ms)", flush=True)
    print("medians of runs:")
    for side, runs in sides.items():
        names = sorted({name for run in runs for name in run}, key=list(runs[0]).index)
        medians = {name: statistics.median(run[name] for run in runs if name in run) for name in names}
        print(f"{side:6} " + "  ".join(f"{name} {value * 1e3:7.1f}" for name, value in medians.items()) + "  (ms)")


if __name__ == "__main__":
    main()
