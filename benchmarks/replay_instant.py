"""A recording played at instant speed: the CPU seconds to feed every guest's events to the end.

What `uktrace replay --speed 0` and a seek to the end cost beyond reading the files: every console
chunk through the parser and the timeline, each guest's end. Goal: a recording of 100 flooding
guests (56,000 lines) under 0.2 s. Prints figures only; the recording (100 guests,
`uktrace.fault=flood=64`) is made on first use (`flood_recording.py`), or name one.

    .venv/bin/python benchmarks/replay_instant.py [DIR] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flood_recording  # noqa: E402  (beside this script)

from uktrace import native  # noqa: E402
from uktrace.recording.replay import ReplayFleet  # noqa: E402


def feed_all(directory: Path) -> tuple[float, int]:
    """CPU seconds to feed a freshly read recording to its end, and the records it made."""
    fleet = ReplayFleet(directory, speed=0)
    start = time.process_time()
    fleet._feed(fleet.playback.end)
    seconds = time.process_time() - start
    return seconds, sum(len(guest.records) for guest in fleet.guests)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("directory", type=Path, nargs="?", default=flood_recording.DEFAULT, help="a recording")
    options.add_argument("--runs", type=int, default=5)
    args = options.parse_args()
    if args.directory == flood_recording.DEFAULT:
        flood_recording.ensure(args.directory)
    print(f"load average {os.getloadavg()[0]:.2f}")
    runs = [feed_all(args.directory) for _ in range(args.runs)]
    print(f"parser and timeline: {native.state()}")
    best = min(seconds for seconds, _ in runs)
    print(f"{args.directory}: {runs[0][1]:,} records, fed to the end in {best:.3f} s CPU (best of {args.runs})")


if __name__ == "__main__":
    main()
