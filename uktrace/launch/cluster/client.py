"""The Ray backend of the launcher: the only module that imports Ray.

`connect` joins the cluster as a native driver (streaming generators do not work through Ray
Client), with worker log forwarding off so nothing writes into the TUI. It picks the nodes that
offer the `uktrace_slots` resource, starts one `GuestHost` actor per node (`num_cpus=0`, holding
the slots its guests take), checks QEMU there and measures each node's clock offset. `spawn`
places a guest on the node with the most free slots (or fills nodes `per_node` at a time) and
returns a `RemoteGuestProcess` fed by that node's stream. A node whose actor dies takes its
guests with it (their QEMUs die by parent-death signal): they are marked lost, with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy

from ...model.spec import DEFAULT_QEMU, GuestSpec
from .address import ClusterAddress, ClusterError, check_reachable
from .host import ARRIVED, GuestHost
from .remote import RemoteGuestProcess

SLOT = "uktrace_slots"
"""The custom resource a node offers for guests (`ray start --resources '{"uktrace_slots": 64}'`)."""
ACTOR_START_S = 60.0
"""How long the actors may take to start (a new worker process imports Ray and uktrace)."""
CLOCK_SAMPLES = 15
SPAWN_ANSWER_S = 120.0
"""How long a node may take to start a guest (fetch the kernel, fork QEMU) before it is given up."""
RELEASE_LEAD_S = 0.05
"""The start gate's release happens this long after it is sent: every node gets the instant ahead
(measured on this 2-core host under load: a call reaches one node up to 30 ms after another)."""
SLOTS_EXAMPLE = '{"uktrace_slots": 64}'


def import_ray() -> Any:
    """Ray, or one clear line on how to install it."""
    try:
        import ray
    except ImportError:
        raise ClusterError("--cluster ray needs Ray: pip install 'uktrace[ray]'") from None
    return ray


@dataclass
class Node:
    """One node the run uses: its actor, its share of the slots and its clock."""

    node_id: str
    address: str
    slots: int
    """Slots this run holds there (what its actor reserved)."""
    actor: Any = None
    facts: dict[str, Any] = field(default_factory=dict)
    offset_ns: int = 0
    """Node's monotonic clock minus the client's (at the shortest round trip)."""
    rtt_ns: int = 0
    running: int = 0
    lost: str | None = None
    release_lateness_ns: list[int] = field(default_factory=list)
    """Per gate release: when the call reached the node minus the instant it was for (<0: in time)."""
    cont_lateness_ns: list[int] = field(default_factory=list)
    """Per gate release: the node's first `cont` minus the instant (its wake-up, on a busy host)."""

    @property
    def free(self) -> int:
        return self.slots - self.running


def cluster_nodes(ray: Any) -> list[dict[str, Any]]:
    """The alive nodes that offer guest slots, with their total and free slots."""
    free: dict[str, dict[str, float]] = {}
    with contextlib.suppress(Exception):  # an older Ray without per-node availability: totals only
        free = ray._private.state.available_resources_per_node()
    nodes = []
    for node in ray.nodes():
        if not node.get("Alive"):
            continue
        total = int(node.get("Resources", {}).get(SLOT, 0))
        available = free.get(node["NodeID"], {}).get(SLOT, total)
        nodes.append(
            {
                "node_id": node["NodeID"],
                "address": node["NodeManagerAddress"],
                "hostname": node.get("NodeManagerHostname", ""),
                "slots": total,
                "free": int(available),
            }
        )
    return sorted(nodes, key=lambda n: (n["address"], n["node_id"]))


RAY_MESSAGES: deque[str] = deque(maxlen=200)
"""What Ray's driver would have printed on stdout (a dead worker, a dead raylet's log tail)."""


def _keep_ray_message(data: dict[str, Any], ignore_prefix: bool = False) -> None:
    RAY_MESSAGES.extend(str(line) for line in data.get("lines", []))


def connect_ray(address: ClusterAddress) -> Any:
    """`ray.init` as a native driver, quietly; ClusterError when there is no cluster there.

    Even with log forwarding off, Ray's driver prints the cluster's error messages (a worker that
    died, the last lines of a dead raylet's log) straight onto stdout, which would corrupt `--json`
    and the TUI: its printer is replaced by one that keeps them in `RAY_MESSAGES`."""
    ray = import_ray()
    import ray._private.worker as ray_worker

    ray_worker.print_to_stdstream = _keep_ray_message
    assert address.ray is not None
    if address.ray == "auto":
        if not os.environ.get("RAY_ADDRESS") and not Path("/tmp/ray/ray_current_cluster").exists():
            raise ClusterError("--cluster ray:auto: no Ray cluster started on this machine (ray start --head ...)")
    else:
        check_reachable(address.ray)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        ray.init(
            address=address.ray,
            log_to_driver=False,
            logging_level=logging.ERROR,
            configure_logging=True,
            include_dashboard=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ClusterError(f"cannot join the Ray cluster at {address.ray}: {str(error).splitlines()[0]}") from None
    return ray


class RayLauncher:
    """Guests on a Ray cluster, one actor per node, consoles streamed back."""

    def __init__(self, address: ClusterAddress, per_node: int | None = None) -> None:
        self.address = address
        self.per_node = per_node
        self.nodes: list[Node] = []
        self._ray: Any = None
        self._kernels: dict[Path, tuple[str, list[Any]]] = {}
        self._guests: dict[str, tuple[Node, RemoteGuestProcess]] = {}
        self._releases: dict[str, list[tuple[RemoteGuestProcess, asyncio.Future[int | None]]]] = {}
        self.released: list[int] = []
        """Each gated guest's `cont` on its node, on this host's clock: the start spread across nodes."""
        self.processes: list[RemoteGuestProcess] = []
        """Every guest started (for latency and loss figures)."""
        self._tasks: set[asyncio.Future[None]] = set()
        """Answers to gate releases being awaited (kept referenced until done)."""

    # -- set-up -----------------------------------------------------------------------------------------

    def connect(self, specs: Sequence[GuestSpec], jobs: int) -> None:
        """Join the cluster, start the actors that `jobs` guests at once need, ship the kernels."""
        ray = self._ray = connect_ray(self.address)
        available = [node for node in cluster_nodes(ray) if node["free"] > 0]
        if not available:
            raise ClusterError(
                f"no node of the cluster offers free {SLOT}: start nodes with ray start --resources '{SLOTS_EXAMPLE}'"
            )
        shares = place(jobs, [node["free"] for node in available], self.per_node)
        if sum(shares) < jobs:
            free = sum(node["free"] for node in available)
            raise ClusterError(f"{jobs} guests at once need {jobs} {SLOT}; the cluster has {free} free: lower -j")
        self.nodes = [
            Node(node["node_id"], node["address"], share)
            for node, share in zip(available, shares, strict=True)
            if share > 0
        ]
        self._start_actors(next((spec.qemu for spec in specs if spec.command is None), DEFAULT_QEMU))
        for spec in specs:
            if spec.command is None and spec.kernel not in self._kernels:
                data = spec.kernel.read_bytes()
                self._kernels[spec.kernel] = (hashlib.sha256(data).hexdigest(), [ray.put(data)])

    def _start_actors(self, qemu: str) -> None:
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(GuestHost)
        for node in self.nodes:
            node.actor = remote.options(
                num_cpus=0,
                resources={SLOT: node.slots},
                scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
                max_concurrency=100_000,
            ).remote()
        hellos = [node.actor.hello.remote(qemu) for node in self.nodes]
        ready, _ = ray.wait(hellos, num_returns=len(hellos), timeout=ACTOR_START_S)
        if len(ready) < len(hellos):
            stuck = [node.address for node, ref in zip(self.nodes, hellos, strict=True) if ref not in ready]
            raise ClusterError(
                f"uktrace's actor did not start on {', '.join(stuck)} within {ACTOR_START_S:g} s"
                f" (its {SLOT} held by another run?)"
            )
        for node, facts in zip(self.nodes, ray.get(hellos), strict=True):
            node.facts = facts
            if facts["qemu"] is None:
                raise ClusterError(f"node {node.address}: {Path(qemu).name} not found there (install qemu-system-x86)")
            node.offset_ns, node.rtt_ns = measure_offset(ray, node.actor)

    # -- running ----------------------------------------------------------------------------------------

    async def spawn(self, key: str, spec: GuestSpec, marker: str, nice: int | None, gated: bool) -> RemoteGuestProcess:
        """Start `spec` on the node with the most free slots; returns once the node spawned it."""
        node = self._choose()
        node.running += 1
        process = RemoteGuestProcess(self, key, node.address, node.offset_ns)
        self._guests[key] = (node, process)
        self.processes.append(process)
        kernel = self._kernels.get(spec.kernel, ("", []))
        stream = node.actor.run_guest.options(num_returns="streaming").remote(key, spec, kernel, marker, nice, gated)
        process.pump = asyncio.ensure_future(self._pump(node, process, stream))
        try:  # the fleet waits shielded for a spawn: a node that never answers must not hold the run
            await asyncio.wait_for(process.spawned(), SPAWN_ANSWER_S)
        except asyncio.TimeoutError:
            process.ended(f"node {node.address}: no answer to the spawn within {SPAWN_ANSWER_S:g} s")
            self.stop(process, 0)
        return process

    def _choose(self) -> Node:
        alive = [node for node in self.nodes if node.lost is None] or self.nodes
        if self.per_node is not None:  # fill nodes in order, K at a time
            for node in alive:
                if node.free > 0:
                    return node
        return max(alive, key=lambda node: node.free)

    async def _pump(self, node: Node, process: RemoteGuestProcess, stream: Any) -> None:
        ray = self._ray
        reason = None
        try:
            async for ref in stream:
                batch = await ref
                process.feed(batch, time.monotonic_ns())
        except asyncio.CancelledError:
            raise
        except ray.exceptions.RayError as error:
            reason = describe_loss(node, error)
            node.lost = reason
            # the node is gone for every guest on it: their own streams may take far longer to
            # fail (seen: more than 30 s for one of two, on a loaded host), so they end now
            for other_node, other in list(self._guests.values()):
                if other_node is node and other is not process:
                    other.ended(reason)
        finally:
            process.ended(reason)

    async def release(self, process: RemoteGuestProcess) -> int | None:
        """`cont` for the guest, sent in one call per node with every other release of this turn."""
        node, _ = self._guests[process.key]
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        if not self._releases:
            asyncio.get_running_loop().call_soon(self._send_releases)
        self._releases.setdefault(node.node_id, []).append((process, future))
        return await future

    def _send_releases(self) -> None:
        """One instant for every node: `RELEASE_LEAD_S` from now on this host's clock, each node
        given it on its own clock, so the wave starts together however late each call arrives."""
        at = time.monotonic_ns() + int(RELEASE_LEAD_S * 1e9)
        releases, self._releases = self._releases, {}
        for node in self.nodes:
            if node.node_id in releases:
                self._send_release(node, releases[node.node_id], at + node.offset_ns)

    def _send_release(
        self, node: Node, pending: list[tuple[RemoteGuestProcess, asyncio.Future[int | None]]], at: int
    ) -> None:
        keys = [process.key for process, _ in pending]
        call = node.actor.release.remote(keys, at)

        async def answer() -> None:
            try:
                stamps: dict[str, int] = await call
            except Exception:
                stamps = {}
            if (arrived := stamps.get(ARRIVED)) is not None:
                node.release_lateness_ns.append(arrived - at)
            conts = [stamp for key, stamp in stamps.items() if key != ARRIVED]
            if conts:
                node.cont_lateness_ns.append(min(conts) - at)
            for process, future in pending:
                stamp = stamps.get(process.key)
                if stamp is not None:
                    self.released.append(process.local_ns(stamp))
                if not future.done():
                    future.set_result(stamp)

        task = asyncio.ensure_future(answer())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def signal(self, process: RemoteGuestProcess, signum: int) -> None:
        node, _ = self._guests[process.key]
        node.actor.signal.remote(process.key, signum)

    def write(self, process: RemoteGuestProcess, data: bytes) -> None:
        node, _ = self._guests[process.key]
        node.actor.write.remote(process.key, data)

    def stop(self, process: RemoteGuestProcess, grace: float) -> None:
        node, _ = self._guests[process.key]
        node.actor.stop.remote(process.key, grace)

    def closed(self, process: RemoteGuestProcess) -> None:
        entry = self._guests.pop(process.key, None)
        if entry is not None:
            entry[0].running -= 1

    def close(self) -> None:
        """Every actor stops its QEMUs and goes; then the driver leaves the cluster."""
        ray = self._ray
        if ray is None:
            return
        closing = [node.actor.close.remote() for node in self.nodes if node.actor is not None and node.lost is None]
        with contextlib.suppress(Exception):
            ray.wait(closing, num_returns=len(closing), timeout=10)
        for node in self.nodes:
            if node.actor is not None:
                with contextlib.suppress(Exception):
                    ray.kill(node.actor)
        ray.shutdown()
        self._ray = None

    # -- figures ------------------------------------------------------------------------------------------

    def figures(self, since_ns: int | None = None) -> dict[str, Any]:
        """The cluster figures of the guests started since `since_ns` (a bench cell's; None: all):
        nodes, start spread across them, console latency, losses."""
        processes = [p for p in self.processes if since_ns is None or p.spawn_ns >= since_ns]
        latencies = [ns for process in processes for ns in process.latencies_ns]
        return {
            "cluster": str(self.address),
            "nodes": {
                node.address: {
                    "slots": node.slots,
                    "clock_offset_ms": round(node.offset_ns / 1e6, 3),
                    "rtt_ms": round(node.rtt_ns / 1e6, 3),
                    "lost": node.lost,
                    "release_arrived_ms": [round(-ns / 1e6, 3) for ns in node.release_lateness_ns],
                    "cont_late_ms": [round(ns / 1e6, 3) for ns in node.cont_lateness_ns],
                }
                for node in self.nodes
            },
            "start_spread_s": self.start_spread_s(since_ns),
            "console_latency_ms": latency_figures(latencies),
            "events": sum(process.events for process in processes),
            "lost_events": sum(process.lost_events for process in processes),
        }

    def start_spread_s(self, since_ns: int | None = None) -> float | None:
        """First to last `cont` of the first wave of gated guests (a relaunch is no part of it),
        across nodes, on this host's clock."""
        wave = sum(node.slots for node in self.nodes)  # as many as run at once
        released = [ns for ns in self.released if since_ns is None or ns >= since_ns][:wave]
        if len(released) < 2:
            return None
        return (max(released) - min(released)) / 1e9


def place(jobs: int, free: Sequence[int], per_node: int | None) -> list[int]:
    """Slots to take per node for `jobs` guests at once: spread evenly (default), or K per node."""
    shares = [0] * len(free)
    if per_node is not None:
        left = jobs
        for i, slots in enumerate(free):
            shares[i] = min(per_node, slots, left)
            left -= shares[i]
        return shares
    left = jobs
    while left > 0:
        open_nodes = [i for i, slots in enumerate(free) if shares[i] < slots]
        if not open_nodes:
            break
        for i in open_nodes:
            if left == 0:
                break
            shares[i] += 1
            left -= 1
    return shares


def latency_figures(latencies_ns: Sequence[int]) -> dict[str, Any] | None:
    """Node read → here, per console chunk: n, p50, p99, max in ms (numpy's percentiles)."""
    if not latencies_ns:
        return None
    values = numpy.asarray(latencies_ns, dtype=float) / 1e6
    p50, p99 = numpy.percentile(values, [50, 99])
    return {
        "n": len(values),
        "p50": round(float(p50), 3),
        "p99": round(float(p99), 3),
        "max": round(float(values.max()), 3),
    }


def measure_offset(ray: Any, actor: Any) -> tuple[int, int]:
    """NTP-style: the node's clock at the middle of the shortest of a few round trips."""
    best: tuple[int, int] | None = None
    for _ in range(CLOCK_SAMPLES):
        sent = time.monotonic_ns()
        remote: int = ray.get(actor.clock.remote())
        back = time.monotonic_ns()
        rtt = back - sent
        if best is None or rtt < best[1]:
            best = (remote - (sent + back) // 2, rtt)
    assert best is not None
    return best


LOSSES = {
    "ActorDiedError": "uktrace's actor there died",
    "ActorUnavailableError": "uktrace's actor there cannot be reached",
    "NodeDiedError": "the node died",
}


def describe_loss(node: Node, error: Exception) -> str:
    """One line on why a node's guests are gone: the node, what happened, Ray's error's name."""
    kind = type(error).__name__
    what = LOSSES.get(kind) or (str(error).strip().splitlines() or [kind])[0][:120]
    return f"node {node.address}: {what} ({kind})"


def cluster_check(address: ClusterAddress) -> dict[str, Any]:
    """Per node offering slots: its slots, what its probe actor found (QEMU, versions), its clock."""
    ray = connect_ray(address)
    try:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        every = cluster_nodes(ray)
        nodes = [node for node in every if node["slots"] > 0]
        probe = ray.remote(GuestHost)
        for node in nodes:  # a probe takes no slot: it answers even while a run holds them all
            node["actor"] = probe.options(
                num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(node["node_id"], soft=False)
            ).remote()
        hellos = {node["node_id"]: node["actor"].hello.remote() for node in nodes}
        ready, _ = ray.wait(list(hellos.values()), num_returns=len(hellos), timeout=ACTOR_START_S)
        for node in nodes:
            ref = hellos[node["node_id"]]
            if ref not in ready:
                node["error"] = f"its probe actor did not answer within {ACTOR_START_S:g} s"
                continue
            try:
                node["facts"] = ray.get(ref)
                node["offset_ns"], node["rtt_ns"] = measure_offset(ray, node["actor"])
            except ray.exceptions.RayError as error:
                node["error"] = str(error).strip().splitlines()[0]
        for node in nodes:
            with contextlib.suppress(Exception):
                ray.get(node["actor"].close.remote(), timeout=5)
            with contextlib.suppress(Exception):
                ray.kill(node.pop("actor"))
        return {"nodes": nodes, "without_slots": len(every) - len(nodes), "ray": ray.__version__}
    finally:
        ray.shutdown()
