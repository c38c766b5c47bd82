"""uktrace's own CPU while its guests boot, as a share of the host's CPUs: the most it took from them.

Runs `uktrace run --headless --json` of the test guest at each size and reads the JSON's
`summary.tracer.booting` (the first guest's start to the last one's exit: `launch.tracer_usage`)
and the whole process's CPU. Prints figures only (no assertions). Goal (issue "the observer
effect"): under 2 % at 1 to 100 guests.

    .venv/bin/python benchmarks/tracer_share.py                        # 1, 10, 50, 100 guests, 3 runs
    .venv/bin/python benchmarks/tracer_share.py --sizes 100 --runs 5
    .venv/bin/python benchmarks/tracer_share.py --checkout ../other    # another checkout's code, alternated

With `--checkout DIR` each run of this checkout is followed by one of DIR's (its `uktrace` package
first on the path, the same Python and test guest): a before/after on the same host minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def one_run(count: int, checkout: Path) -> dict[str, float]:
    env = os.environ | {"PYTHONPATH": str(checkout)}
    with tempfile.TemporaryDirectory(prefix="uktrace-share-") as scratch:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "uktrace",
                "run",
                "--headless",
                "--json",
                "-n",
                str(count),
                "--record",
                scratch + "/r",
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
            env=env,
            cwd=checkout,
        )
    if result.returncode != 0:
        raise SystemExit(f"uktrace run failed ({result.returncode}): {result.stderr.strip()[-400:]}")
    tracer: dict[str, Any] = json.loads(result.stdout)["summary"]["tracer"]
    booting = tracer.get("booting")
    if booting is None:
        raise SystemExit(f"{checkout}: its JSON has no summary.tracer.booting (measure a checkout that has it)")
    return {
        "share": booting["share"],
        "booting_cpu_s": booting["cpu_s"],
        "window_s": booting["window_s"],
        "process_cpu_s": tracer["cpu_user_s"] + tracer["cpu_system_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 100], help="guests per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per size and checkout (medians printed)")
    parser.add_argument("--checkout", type=Path, help="another checkout to alternate with (before/after)")
    args = parser.parse_args()
    checkouts = [ROOT] + ([args.checkout.resolve()] if args.checkout else [])
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} CPUs")
    header = ("checkout", "guests", "share p50", "range", "CPU booting", "window", "process CPU")
    print("{:<28} {:>6} {:>10} {:>13} {:>12} {:>9} {:>12}".format(*header))
    for count in args.sizes:
        samples: dict[Path, list[dict[str, float]]] = {checkout: [] for checkout in checkouts}
        for _ in range(args.runs):
            for checkout in checkouts:
                samples[checkout].append(one_run(count, checkout))
        for checkout, runs in samples.items():
            shares = sorted(run["share"] * 100 for run in runs)
            p50 = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            print(
                f"{checkout.name:<28} {count:>6} {statistics.median(shares):>9.2f}% "
                f"{shares[0]:>5.2f}-{shares[-1]:<5.2f} % {p50['booting_cpu_s']:>10.3f} s "
                f"{p50['window_s']:>7.2f} s {p50['process_cpu_s']:>10.3f} s"
            )


if __name__ == "__main__":
    main()
