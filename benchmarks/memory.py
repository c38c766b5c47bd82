"""What uktrace itself holds in memory per guest, quiet and chatty: peak RSS, printed, never asserted.

    .venv/bin/python benchmarks/memory.py              # 1 quiet guest, 50 quiet, 50 printing 1 MiB each
    .venv/bin/python benchmarks/memory.py -n 20 --flood 4096

Each case is a real `uktrace run --json` of test guests under QEMU (TCG); the figure is uktrace's
own peak RSS from its JSON (`summary.tracer.max_rss_mib`, QEMU excluded), and the growth per guest
over the one-guest run. A guest's console is kept whole on disk and as a tail of parsed lines in
memory (`uktrace.model.guest.CONSOLE_TAIL`): what a chatty guest costs is bounded by that tail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def peak_rss(count: int, flood_kib: int | None) -> tuple[float, int]:
    """(uktrace's peak RSS in MiB, console bytes received) of one run."""
    append = "uktrace.era=0.10" + (f" uktrace.fault=flood={flood_kib}" if flood_kib else "")
    with tempfile.TemporaryDirectory(prefix="uktrace-memory-") as scratch:
        command = ["-m", "uktrace", "run", "--json", "-n", str(count), "--append", append]
        result = subprocess.run(
            [sys.executable, *command, "--record", str(Path(scratch) / "rec")],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    output = json.loads(result.stdout)
    received = sum(guest["host"]["bytes"] for guest in output["guests"])
    return output["summary"]["tracer"]["max_rss_mib"], received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--count", type=int, default=50, help="guests in the larger runs (default 50)")
    parser.add_argument("--flood", type=int, default=1024, metavar="KIB", help="console KiB per chatty guest")
    args = parser.parse_args()
    base, _ = peak_rss(1, None)
    print(f"1 quiet guest: uktrace peak RSS {base:.1f} MiB")
    for label, flood in (("quiet", None), (f"printing {args.flood} KiB each", args.flood)):
        rss, received = peak_rss(args.count, flood)
        per_guest = (rss - base) / (args.count - 1)
        print(
            f"{args.count} guests {label}: {received / 2**20:.1f} MiB of console, "
            f"peak RSS {rss:.1f} MiB, {per_guest:.2f} MiB per extra guest"
        )


if __name__ == "__main__":
    main()
