"""Parser throughput: lines per second on the real logs repeated to >= 1 M lines, beside grep.

Prints figures only (no assertions). Goal: >= 1 M lines/s on one core for the parser.
    .venv/bin/python benchmarks/parse_throughput.py [--lines N] [--baseline FILE] [--save]

With `benchmarks/baseline.json` (or `--baseline FILE`), each figure is printed beside the committed
one and what got slower is named; `--save` writes this run's figures there. Timings on a shared
host are noisy: compare with the load average in mind, never gate on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uktrace import native  # noqa: E402
from uktrace.model.timeline import BootTimeline  # noqa: E402
from uktrace.parsers import ConsoleParser  # noqa: E402

CHUNK = 1 << 16
BASELINE = ROOT / "benchmarks" / "baseline.json"
SLOWER = 0.8
"""A figure below this share of its baseline is named as slower."""
GREP_PATTERN = r"^\[ *[0-9]+\.[0-9]{6}\] (dbg|Info|Warn|ERR|CRIT):"


def corpus(lines: int) -> bytes:
    logs = b"".join(path.read_bytes() for path in sorted((ROOT / "tests/data/logs").glob("*.log")))
    repeat = -(-lines // logs.count(b"\n"))
    return logs * repeat


def best_of(runs: int, work: object) -> float:
    assert callable(work)
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def parse_only(data: bytes) -> int:
    parser = ConsoleParser()
    count = 0
    for offset in range(0, len(data), CHUNK):
        count += len(parser.feed(data[offset : offset + CHUNK], offset))
    return count + len(parser.flush())


def parse_and_timeline(data: bytes) -> int:
    parser = ConsoleParser()
    timeline = BootTimeline("bench")
    for offset in range(0, len(data), CHUNK):
        for record in parser.feed(data[offset : offset + CHUNK], offset):
            timeline.consume(record)
    return timeline.lines


def floor(data: bytes) -> None:
    """The least any per-line parser does here: decode, split, one regex match, one tuple."""
    from uktrace.parsers.printk import PRINTK

    for line in data.decode("utf-8", "replace").split("\n"):
        tuple.__new__(tuple, (line, PRINTK.match(line)))


def compare(figures: dict[str, float], path: Path, save: bool) -> None:
    """Each figure (M lines/s) against the baseline's `parse_throughput` entry; `save` replaces it."""
    baseline = json.loads(path.read_text()) if path.is_file() else {}
    before = baseline.get("parse_throughput", {})
    slower = []
    for name, figure in figures.items():
        if name in before:
            print(f"{name:22} {figure:6.2f} M lines/s, baseline {before[name]:.2f} ({figure / before[name]:.2f}x)")
            if figure < SLOWER * before[name]:
                slower.append(name)
    print(f"slower than {path.name}: {', '.join(slower)}" if slower else f"nothing slower than {path.name}")
    if save:
        load = os.getloadavg()[0]
        baseline["parse_throughput"] = {name: round(figure, 3) for name, figure in figures.items()}
        baseline["parse_throughput_load"] = round(load, 2)
        path.write_text(json.dumps(baseline, indent=2) + "\n")
        print(f"saved to {path} (load average {load:.2f})")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--lines", type=int, default=1_000_000)
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--baseline", type=Path, default=BASELINE, help="figures to compare with (JSON)")
    options.add_argument("--save", action="store_true", help="write this run's figures to the baseline")
    args = options.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; parser and timeline: {native.state()}")
    data = corpus(args.lines)
    lines = data.count(b"\n")
    records = parse_only(data)
    print(f"corpus: {lines:,} lines, {len(data) / 2**20:.1f} MiB (real logs repeated), {records:,} records")
    parse_s = best_of(args.runs, lambda: parse_only(data))
    print(f"parser                 {lines / parse_s / 1e6:6.2f} M lines/s  ({parse_s:.3f} s)")
    timeline_s = best_of(args.runs, lambda: parse_and_timeline(data))
    print(f"parser + timeline      {lines / timeline_s / 1e6:6.2f} M lines/s  ({timeline_s:.3f} s)")
    with tempfile.NamedTemporaryFile(suffix=".log") as file:
        file.write(data)
        file.flush()
        grep_s = best_of(
            args.runs, lambda: subprocess.run(["grep", "-cE", GREP_PATTERN, file.name], capture_output=True)
        )
        printk = subprocess.run(["grep", "-cE", GREP_PATTERN, file.name], capture_output=True, text=True).stdout.strip()
    print(f"grep -cE (printk only) {lines / grep_s / 1e6:6.2f} M lines/s  ({grep_s:.3f} s, {printk} printk lines)")
    floor_s = best_of(args.runs, lambda: floor(data))
    print(f"CPython floor          {lines / floor_s / 1e6:6.2f} M lines/s  (decode + split + 1 match + 1 tuple)")
    print(f"parser / grep: {grep_s / parse_s:.3f}x grep's speed")
    compare({"parser": lines / parse_s / 1e6, "parser + timeline": lines / timeline_s / 1e6}, args.baseline, args.save)


if __name__ == "__main__":
    main()
