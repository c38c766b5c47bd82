"""uktrace's own cost around a boot: start-up, the wait after the last guest, CPU per guest.

Prints figures only (no assertions); `--json` prints them as one object for `benchmarks/regress.py`.
    .venv/bin/python benchmarks/startup.py                    # --version; 1, 10 and 100 test guests
    .venv/bin/python benchmarks/startup.py --sizes 1 --runs 5

Goals (issue "uktrace's own cost"): `uktrace --version` <= 0.15 s; `run --headless` of one test
guest spawns its first QEMU <= 0.25 s after the command starts and is done <= 0.3 s after the
guest's exit; uktrace's own CPU (its process, every thread, QEMU excluded: the JSON's
`summary.tracer`) <= 0.3 s + 5 ms per guest at 1 to 100 guests. Times are read on the monotonic
clock the recording's `spawn_ns` and `exit_ns` use, so they need no instrumentation in uktrace.
Each figure is the median of `--runs` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
UKTRACE = [sys.executable, "-m", "uktrace.tui"]
"""The console script's own entry point (what `.venv/bin/uktrace` runs)."""


def version_s() -> float:
    start = time.perf_counter()
    subprocess.run([*UKTRACE, "--version"], check=True, capture_output=True)
    return time.perf_counter() - start


def one_run(count: int) -> dict[str, float]:
    """One `uktrace run --headless --json` of `count` test guests: start to first spawn, last exit
    to the command's end, uktrace's own CPU seconds."""
    with tempfile.TemporaryDirectory(prefix="uktrace-startup-") as scratch:
        record = Path(scratch) / "rec"
        started = time.monotonic_ns()
        result = subprocess.run(
            [*UKTRACE, "run", "--headless", "--json", "-n", str(count), "--record", str(record)],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        ended = time.monotonic_ns()
        if result.returncode != 0:
            raise SystemExit(f"uktrace run failed ({result.returncode}): {result.stderr.strip()[-400:]}")
        hosts = [json.loads((g / "guest.json").read_text())["host"] for g in sorted(record.glob("guest-*"))]
    tracer = json.loads(result.stdout)["summary"]["tracer"]
    return {
        "first_spawn_s": (min(h["spawn_ns"] for h in hosts) - started) / 1e9,
        "after_exit_s": (ended - max(h["exit_ns"] for h in hosts)) / 1e9,
        "cpu_s": tracer["cpu_user_s"] + tracer["cpu_system_s"],
    }


def measure(sizes: list[int], runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"version_s": statistics.median(version_s() for _ in range(runs))}
    for count in sizes:
        samples = [one_run(count) for _ in range(runs)]
        for key in samples[0]:
            figures[f"run_{count}_{key}"] = statistics.median(s[key] for s in samples)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100], help="guests per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is printed)")
    parser.add_argument("--json", action="store_true", help="one JSON object of figures")
    args = parser.parse_args()
    figures = measure(args.sizes, args.runs)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"uktrace --version                 {figures['version_s']:.3f} s   (goal <= 0.15 s)")
    for count in args.sizes:
        budget = 0.3 + 0.005 * count
        print(f"run --headless -n {count:<3}")
        print(f"  first QEMU spawned after start  {figures[f'run_{count}_first_spawn_s']:.3f} s   (goal <= 0.25 s)")
        print(f"  done after the last exit        {figures[f'run_{count}_after_exit_s']:.3f} s   (goal <= 0.3 s)")
        print(f"  uktrace's own CPU               {figures[f'run_{count}_cpu_s']:.3f} s   (goal <= {budget:.3f} s)")


if __name__ == "__main__":
    main()
