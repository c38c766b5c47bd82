"""What tracing costs: the same N test guests launched bare and under `uktrace run --headless`.

Bare = `xargs -P N` starting QEMU with the console written to a file, as one would without a
tracer. Traced = `uktrace run --no-gate`, the same QEMU command line, each guest started as
soon as it is spawned, like xargs. A third run per round with the start gate (the default)
reports how close together the N guests really start.
Rounds alternate bare / traced so machine noise hits both. Prints figures, asserts nothing.
    .venv/bin/python benchmarks/launch_overhead.py [--sizes 1 10 50 100] [--rounds 3]
Goals: median guest wall time ratio <= 1.05, launch throughput ratio >= 0.9,
tracer memory <= 1 MiB per guest (QEMU excluded).
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from uktrace.kernel.find import TEST_GUEST  # noqa: E402
from uktrace.launch.qemu import qemu_argv  # noqa: E402
from uktrace.model.spec import GuestSpec  # noqa: E402

BARE = r"""
start=$(date +%s%N)
{argv} </dev/null >/dev/null 2>"$1/stderr-$2.log"
status=$?
echo "$2 $start $(date +%s%N) $status"
"""


def bare(count: int, directory: Path) -> tuple[list[float], float]:
    """Per-guest wall seconds and the whole batch's seconds, launched with xargs -P."""
    spec = GuestSpec("bare", TEST_GUEST, "tcg", append="uktrace.era=0.10", debug_exit=True)
    # the console to a file, as kraft does (`-serial file:`), and nothing on stdin
    argv = [a.replace("stdio,id=console,signal=off", "file,id=console,path=CONSOLE") for a in qemu_argv(spec)]
    script = BARE.format(argv=shlex.join(argv).replace("path=CONSOLE", 'path="$1/console-$2.log"'))
    numbers = "\n".join(str(i) for i in range(count))
    output = subprocess.run(
        ["xargs", "-P", str(count), "-I{}", "sh", "-c", script, "sh", str(directory), "{}"],
        input=numbers,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [tuple(map(int, line.split()[1:3])) for line in output.splitlines()]
    walls = [(end - start) / 1e9 for start, end in rows]
    batch = (max(end for _, end in rows) - min(start for start, _ in rows)) / 1e9
    return walls, batch


def traced(count: int, directory: Path, *gate: str) -> tuple[list[float], float, dict[str, float]]:
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "run", "--json", "-n", str(count), "--record", str(directory), *gate],
        capture_output=True,
        text=True,
    )
    data = json.loads(result.stdout)
    hosts = [g["host"] for g in data["guests"]]
    walls = [h["wall_s"] for h in hosts]
    batch = (max(h["exit_ns"] for h in hosts) - min(h["spawn_ns"] for h in hosts)) / 1e9
    exited = sum(1 for g in data["guests"] if g["status"] == "exited")
    if exited != count:
        print(f"  warning: {count - exited} traced guests did not exit cleanly", file=sys.stderr)
    usage = data["summary"]["tracer"] | {"spread": data["summary"]["spawn_spread_s"] or 0.0}
    return walls, batch, usage


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    options.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 50, 100])
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    if not TEST_GUEST.is_file():
        sys.exit("build the test guest first: make -C guest")
    print(
        f"{'N':>4} {'bare wall':>10} {'traced wall':>12} {'ratio':>6} {'bare thr':>9} {'traced thr':>11} "
        f"{'thr ratio':>9} {'tracer cpu/guest':>17} {'tracer MiB':>11}"
    )
    baseline_rss: float | None = None
    for count in args.sizes:
        bare_walls: list[float] = []
        traced_walls: list[float] = []
        bare_batches: list[float] = []
        traced_batches: list[float] = []
        usages: list[dict[str, float]] = []
        gated_spreads: list[float] = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as scratch:
                walls, batch = bare(count, Path(scratch))
                bare_walls += walls
                bare_batches.append(batch)
            with tempfile.TemporaryDirectory() as scratch:
                # like for like: no start gate, each guest starts as soon as it is spawned
                walls, batch, usage = traced(count, Path(scratch) / "rec", "--no-gate")
                traced_walls += walls
                traced_batches.append(batch)
                usages.append(usage)
            with tempfile.TemporaryDirectory() as scratch:
                _, _, gated_usage = traced(count, Path(scratch) / "rec")
                gated_spreads.append(gated_usage["spread"])
        bare_median = statistics.median(bare_walls)
        traced_median = statistics.median(traced_walls)
        bare_throughput = count / statistics.median(bare_batches)
        traced_throughput = count / statistics.median(traced_batches)
        cpu = statistics.median(u["cpu_user_s"] + u["cpu_system_s"] for u in usages)
        rss = statistics.median(u["max_rss_mib"] for u in usages)
        if baseline_rss is None:
            baseline_rss = rss
        per_guest = (rss - baseline_rss) / (count - 1) if count > 1 else 0.0
        print(
            f"{count:>4} {bare_median:>9.3f}s {traced_median:>11.3f}s {traced_median / bare_median:>6.2f} "
            f"{bare_throughput:>8.1f}/s {traced_throughput:>10.1f}/s {traced_throughput / bare_throughput:>9.2f} "
            f"{cpu / count * 1000:>14.1f} ms {rss:>6.1f} ({per_guest:+.2f}/guest)"
        )
        ungated_spread = statistics.median(u["spread"] for u in usages)
        gated_spread = statistics.median(gated_spreads)
        print(
            f"      start spread of the {count}: spawned one after another {ungated_spread * 1000:.1f} ms, "
            f"released by the start gate {gated_spread * 1000:.2f} ms"
        )
    print("wall = spawn to exit per guest (median over rounds); thr = guests per second over the whole batch;")
    print("tracer MiB = peak RSS of uktrace itself, and its growth per extra guest over the N=1 run")


if __name__ == "__main__":
    main()
