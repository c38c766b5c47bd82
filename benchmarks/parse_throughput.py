"""Parser throughput: lines per second on the real logs repeated to >= 1 M lines, beside grep.

Prints figures only (no assertions). Goal: >= 1 M lines/s on one core for the parser.
    .venv/bin/python benchmarks/parse_throughput.py [--lines N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uktrace.model.timeline import BootTimeline  # noqa: E402
from uktrace.parsers import ConsoleParser  # noqa: E402

CHUNK = 1 << 16
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


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--lines", type=int, default=1_000_000)
    options.add_argument("--runs", type=int, default=3)
    args = options.parse_args()
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


if __name__ == "__main__":
    main()
