"""Guests on a local 3-node Ray cluster against the local backend: what the cluster path costs.

Starts a head and two workers with `ray start` on loopback (tests/ray_cluster.py), then, per
round, the same `uktrace run --json` with `--cluster local` and `--cluster ray:HOST:PORT`, and
prints: launch rate (guests spawned per second, first to last spawn, and the whole command's wall
time, Ray's join and actor start included), start skew across nodes (each guest's `cont` on its
node minus the first one's, on the client's clock), console latency node → client, client memory
per guest (peak RSS at N guests minus at a few, per added guest), stream events lost, and what the
cluster's own processes take (PSS). Prints figures, asserts nothing.
    .venv/bin/python benchmarks/cluster.py [--guests 100] [--rounds 2] [--slots 40]
Goals: start skew p99 <= 5 ms; console latency p50 <= 15 ms, p99 <= 50 ms at 100 guests; client
memory <= 1 MiB per guest; 0 events lost.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ray_cluster import LocalRayCluster  # noqa: E402

FEW = 4
"""The small run whose peak RSS is the baseline of the per-guest memory figure."""


def run(count: int, cluster: str, record: Path) -> tuple[dict[str, Any], float]:
    """`uktrace run --json` and its wall seconds."""
    command = [sys.executable, "-m", "uktrace", "run", "--json", "-n", str(count), "--cluster", cluster]
    began = time.monotonic()
    result = subprocess.run(
        [*command, "--record", str(record)], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900
    )
    wall = time.monotonic() - began
    if not result.stdout.strip():
        raise SystemExit(f"uktrace run failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout), wall


def launch_rate(results: dict[str, Any]) -> float | None:
    """Guests spawned per second, first spawn to last."""
    spawns = sorted(g["host"]["spawn_ns"] for g in results["guests"] if g["host"]["spawn_ns"] is not None)
    if len(spawns) < 2 or spawns[-1] == spawns[0]:
        return None
    return (len(spawns) - 1) / ((spawns[-1] - spawns[0]) / 1e9)


def skews_ms(results: dict[str, Any]) -> list[float]:
    """Each gated guest's release minus the first release of the run, in ms."""
    released = [g["host"]["release_ns"] for g in results["guests"] if g["host"]["release_ns"] is not None]
    first = min(released, default=0)
    return [(ns - first) / 1e6 for ns in released]


def cluster_pss_mib(cluster: LocalRayCluster) -> float:
    """Proportional set size of every process of the cluster (shared pages counted once overall)."""
    total_kib = 0
    for node in cluster.nodes:
        for pid in cluster.node_pids(node):
            try:
                text = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            for line in text.splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    p50, p99 = numpy.percentile(numpy.asarray(values), [50, 99])
    return f"p50 {p50:.2f}, p99 {p99:.2f}, max {max(values):.2f} (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--slots", type=int, default=40, help="uktrace_slots per node (3 nodes)")
    args = parser.parse_args()
    began = time.monotonic()
    cluster = LocalRayCluster(workers=2, slots=args.slots).start()
    print(f"cluster: 3 nodes on loopback, head {cluster.address}, started in {time.monotonic() - began:.1f} s")
    print(f"cluster memory idle (PSS of its processes): {cluster_pss_mib(cluster):.0f} MiB")
    address = f"ray:{cluster.address}"
    rates: dict[str, list[float]] = {"local": [], "ray": []}
    walls: dict[str, list[float]] = {"local": [], "ray": []}
    skews: list[float] = []
    spreads: list[float] = []
    p50s: list[float] = []
    p99s: list[float] = []
    lost = events = 0
    arrived: list[float] = []
    late: list[float] = []
    rss: list[float] = []
    busy_pss = 0.0
    try:
        with tempfile.TemporaryDirectory(prefix="uktrace-cluster-bench-") as scratch:
            for round_ in range(args.rounds):
                for kind, where in (("local", "local"), ("ray", address)):  # interleaved: noise hits both
                    results, wall = run(args.guests, where, Path(scratch) / f"{kind}-{round_}")
                    walls[kind].append(wall)
                    if (rate := launch_rate(results)) is not None:
                        rates[kind].append(rate)
                    counts = {k: v for k, v in results["summary"]["counts"].items() if v}
                    print(f"round {round_ + 1} {kind:5}: {counts}, command took {wall:.1f} s", flush=True)
                    if kind != "ray":
                        continue
                    figures = results["summary"]["cluster"]
                    skews.extend(skews_ms(results))
                    if figures["start_spread_s"] is not None:
                        spreads.append(figures["start_spread_s"] * 1e3)
                    if figures["console_latency_ms"] is not None:
                        p50s.append(figures["console_latency_ms"]["p50"])
                        p99s.append(figures["console_latency_ms"]["p99"])
                    for facts in figures["nodes"].values():
                        arrived.extend(facts["release_arrived_ms"])
                        late.extend(facts["cont_late_ms"])
                    lost += figures["lost_events"]
                    events += figures["events"]
                    rss.append(results["summary"]["tracer"]["max_rss_mib"])
                    busy_pss = max(busy_pss, cluster_pss_mib(cluster))
            few, _ = run(FEW, address, Path(scratch) / "few")
    finally:
        cluster.stop()
    few_rss = few["summary"]["tracer"]["max_rss_mib"]
    print()
    print(f"launch rate, guests/s first to last spawn: local {percentiles(rates['local'])}")
    print(f"                                            ray   {percentiles(rates['ray'])}")
    print(f"command wall s ({args.guests} guests):          local {percentiles(walls['local'])}")
    print(f"                                            ray   {percentiles(walls['ray'])}")
    print(f"start skew across nodes, ms (per guest):    {percentiles(skews)}   goal p99 <= 5")
    print(f"start spread per run, ms (first to last):   {percentiles(spreads)}")
    print(f"  release call reached its node ahead, ms:   {percentiles(arrived)}")
    print(f"  node's first cont after the instant, ms:   {percentiles(late)}   (the node's wake-up)")
    print(f"console latency node -> client, ms:         per-run p50s {p50s}, p99s {p99s}   goal p50 <= 15, p99 <= 50")
    per_guest = (max(rss) - few_rss) / (args.guests - FEW) if rss and args.guests > FEW else float("nan")
    print(f"client peak RSS: {FEW} guests {few_rss:.0f} MiB, {args.guests} guests {max(rss, default=0):.0f} MiB")
    print(f"  -> {per_guest * 1024:.0f} KiB per added guest   goal <= 1 MiB")
    print(f"stream events lost: {lost} of {events}   goal 0")
    print(f"cluster memory (PSS, its processes, peak seen between runs): {busy_pss:.0f} MiB")


if __name__ == "__main__":
    main()
