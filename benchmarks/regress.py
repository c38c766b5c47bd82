"""`make bench`: uktrace's own cost, measured now and against the figures committed beside this file.

Runs the quick benchmarks in-process or as the user would run uktrace, and prints each figure beside
`benchmarks/baseline.json` with what got slower (beyond `--tolerance`, 15 % by default: these
machines are shared and noisy, so this is a guard for a closing note, not a CI gate). Never asserts.

    .venv/bin/python benchmarks/regress.py             # measure and compare
    .venv/bin/python benchmarks/regress.py --update    # measure and write the baseline

Figures (lower is better for all but the parser's lines per second):
- `version_s`, `run_N_first_spawn_s`, `run_N_after_exit_s`, `run_N_cpu_s`: `benchmarks/startup.py`
- `parse_mlines_s`, `parse_timeline_mlines_s`: `benchmarks/parse_throughput.py` (M lines/s, one core)
- `run_10_booting_cpu_s`: uktrace's own CPU while 10 guests booted, `benchmarks/tracer_share.py`
  (what it can have taken from them: the observer effect's bound)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import parse_throughput  # noqa: E402
import startup  # noqa: E402
import tracer_share  # noqa: E402

BASELINE = HERE / "baseline.json"
HIGHER_IS_BETTER = ("parse_mlines_s", "parse_timeline_mlines_s")


def measure(lines: int, runs: int) -> dict[str, float]:
    figures: dict[str, float] = dict(startup.measure([1, 10], runs))
    data = parse_throughput.corpus(lines)
    count = data.count(b"\n")
    parse_s = parse_throughput.best_of(runs, lambda: parse_throughput.parse_only(data))
    timeline_s = parse_throughput.best_of(runs, lambda: parse_throughput.parse_and_timeline(data))
    figures["parse_mlines_s"] = count / parse_s / 1e6
    figures["parse_timeline_mlines_s"] = count / timeline_s / 1e6
    booting = [tracer_share.one_run(10, tracer_share.ROOT)["booting_cpu_s"] for _ in range(runs)]
    figures["run_10_booting_cpu_s"] = sorted(booting)[len(booting) // 2]
    return figures


def verdict(name: str, now: float, then: float, tolerance: float) -> str:
    if then <= 0:
        return ""
    change = (now - then) / then
    worse = -change if name in HIGHER_IS_BETTER else change
    if worse > tolerance:
        return f"SLOWER ({change:+.0%})"
    if worse < -tolerance:
        return f"faster ({change:+.0%})"
    return f"same ({change:+.0%})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="write the figures as the new baseline")
    parser.add_argument("--tolerance", type=float, default=0.15, help="share a figure may move by (default 0.15)")
    parser.add_argument("--lines", type=int, default=300_000, help="parser corpus lines (default 300,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args()
    with open("/proc/loadavg") as load:
        before = load.read().split()[0]
    figures = measure(args.lines, args.runs)
    record: dict[str, Any] = {
        "figures": {name: round(value, 4) for name, value in figures.items()},
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "host": {"python": platform.python_version(), "machine": platform.machine(), "load_before": before},
    }
    baseline = json.loads(BASELINE.read_text()) if BASELINE.is_file() else None
    print(f"load average before: {before}; baseline: {baseline['measured'] if baseline else 'none'}")
    slower = []
    for name, value in figures.items():
        then = baseline["figures"].get(name) if baseline else None
        said = "" if then is None else verdict(name, value, then, args.tolerance)
        if said.startswith("SLOWER"):
            slower.append(name)
        shown = "" if then is None else f"{then:10.4f}"
        print(f"{name:32} {value:10.4f}  {shown:>10}  {said}")
    if slower:
        print(f"slower than the baseline beyond {args.tolerance:.0%}: {', '.join(slower)}")
    if args.update:
        BASELINE.write_text(json.dumps(record, indent=2) + "\n")
        print(f"baseline written: {BASELINE}")


if __name__ == "__main__":
    main()
