"""What a `kill -9` of uktrace loses of the consoles: printed, never asserted.

    .venv/bin/python benchmarks/crash_loss.py [-n 20] [--rounds 3]

Guests flood their consoles (`uktrace.fault=flood=8192`: they print without pause for seconds);
uktrace is killed mid-run with SIGKILL. What reached its disk is then compared with the instant of
the kill, on the one clock both share (CLOCK_MONOTONIC): per guest, the gap between the kill and
the newest chunk on disk (its arrival stamp), and the bytes that gap held at the guest's own rate.
The recorder flushes every 0.2 s (`uktrace.recording.record.FLUSH_S`): the gap is that bound.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uktrace.recording.reader import read_guest


def one_round(count: int, after_s: float) -> list[tuple[float, float]]:
    """(gap in seconds, bytes lost at that guest's rate) per guest, for one kill."""
    with tempfile.TemporaryDirectory(prefix="uktrace-crash-") as scratch:
        record = Path(scratch) / "rec"
        append = "uktrace.era=0.10 uktrace.fault=flood=8192"
        command = ["-m", "uktrace", "run", "--headless", "-n", str(count), "--append", append, "--record", str(record)]
        process = subprocess.Popen([sys.executable, *command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(after_s)
        killed = time.monotonic_ns()
        process.kill()
        process.wait()
        time.sleep(0.5)
        results = []
        for directory in sorted(record.glob("guest-*")):
            guest = read_guest(directory)
            spawn = guest.meta.get("host", {}).get("spawn_ns")
            if spawn is None or not guest.chunks:
                continue
            first, last = guest.chunks[0][0], guest.chunks[-1][0]
            stored = sum(len(chunk) for _, chunk in guest.chunks)
            rate = stored / max(1e-9, (last - first) / 1e9)
            gap = (killed - (spawn + last)) / 1e9
            results.append((gap, gap * rate))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--after", type=float, default=4.0, help="seconds before the kill (default 4)")
    args = parser.parse_args()
    for round_ in range(1, args.rounds + 1):
        results = one_round(args.count, args.after)
        if not results:
            print(f"round {round_}: nothing on disk yet (kill later with --after)")
            continue
        gaps = [gap * 1000 for gap, _ in results]
        lost = [lost / 1024 for _, lost in results]
        print(
            f"round {round_}: {len(results)} guests; newest chunk on disk {statistics.median(gaps):.0f} ms "
            f"(median), {max(gaps):.0f} ms (max) before the kill; about {statistics.median(lost):.0f} KiB "
            f"(median), {max(lost):.0f} KiB (max) per guest not on disk"
        )


if __name__ == "__main__":
    main()
