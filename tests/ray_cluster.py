"""A real Ray cluster on this machine: a head and workers started with the `ray start` CLI.

Each node listens on its own loopback address (127.0.0.2, .3, ...: Ray replaces 127.0.0.1 given to
`--node-ip-address` by the host's routable address, so that one is not used), has its own temp
dir and its `uktrace_slots`, and runs in its own session. Every process of a node (Ray's daemons,
its workers, the QEMUs they start) carries the node's marker in its environment, so `stop` and
`kill_node` end exactly what this cluster started and nothing of anyone else's (never `ray stop`,
which ends every Ray on the machine). Used by the tests' session fixture and benchmarks/cluster.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

RAY = str(Path(sys.executable).with_name("ray"))
MARKER = "UKTRACE_TEST_RAY_NODE"
START_TIMEOUT_S = 60.0
OBJECT_STORE_BYTES = 128 * 1024 * 1024


class ClusterStartError(Exception):
    """The cluster could not start: the tests fail with Ray's own words."""


@dataclass
class RayNode:
    name: str
    ip: str
    directory: Path
    process: subprocess.Popen[bytes]

    @property
    def marker(self) -> str:
        return str(self.directory)

    @property
    def log(self) -> Path:
        return self.directory.with_suffix(".log")


class LocalRayCluster:
    """`workers` + 1 nodes with `slots` uktrace_slots each, all on loopback."""

    def __init__(self, workers: int = 2, slots: int = 8) -> None:
        self.workers = workers
        self.slots = slots
        self.root = Path(tempfile.mkdtemp(prefix="ukr-", dir="/tmp"))  # socket paths must stay short
        self.port = _free_port("127.0.0.2")
        self.nodes: list[RayNode] = []

    @property
    def address(self) -> str:
        return f"127.0.0.2:{self.port}"

    def start(self) -> LocalRayCluster:
        try:
            self.nodes.append(self._start_node("head", "127.0.0.2", ["--head", f"--port={self.port}"]))
            added = [self._add_worker() for _ in range(self.workers)]  # they wait for the head's GCS
            for node in [self.nodes[0], *added]:
                self._wait_started(node)
        except BaseException:
            self.stop()
            raise
        return self

    def add_worker(self) -> RayNode:
        """One more worker node, started and registered."""
        node = self._add_worker()
        self._wait_started(node)
        return node

    def _add_worker(self) -> RayNode:
        number = len(self.nodes)
        node = self._start_node(f"worker{number}", f"127.0.0.{2 + number}", [f"--address={self.address}"])
        self.nodes.append(node)
        return node

    def _start_node(self, name: str, ip: str, role: list[str]) -> RayNode:
        directory = self.root / name
        env = os.environ | {MARKER: str(directory), "RAY_USAGE_STATS_ENABLED": "0"}
        command = [
            RAY, "start", "--block", *role,
            f"--node-ip-address={ip}",
            f"--temp-dir={directory}",
            "--num-cpus=1",
            f"--resources={{\"uktrace_slots\": {self.slots}}}",
            f"--object-store-memory={OBJECT_STORE_BYTES}",
            "--disable-usage-stats",
        ]  # fmt: skip
        if name == "head":
            command.append("--include-dashboard=false")
        log = directory.with_suffix(".log").open("wb")
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
        log.close()
        return RayNode(name, ip, directory, process)

    def _wait_started(self, node: RayNode) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            text = node.log.read_text(errors="replace") if node.log.exists() else ""
            if "Ray runtime started" in text:
                return
            if node.process.poll() is not None:
                raise ClusterStartError(f"ray start ({node.name}) exited {node.process.returncode}:\n{text[-3000:]}")
            time.sleep(0.2)
        raise ClusterStartError(f"ray start ({node.name}) did not start within {START_TIMEOUT_S:g} s")

    def node_pids(self, node: RayNode) -> list[int]:
        """Every live process of the node: its `ray start`, daemons, workers and their QEMUs (the
        raylet starts its agents with an environment of its own: those are found by their session)."""
        return marked_pids(node.marker, node.process.pid)

    def actor_pids(self, node: RayNode, name: str = "GuestHost") -> list[int]:
        """The node's worker processes that run an actor of class `name` (Ray titles them `ray::NAME`)."""
        title = f"ray::{name}".encode()
        pids = []
        for pid in self.node_pids(node):
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(title):
                    pids.append(pid)
        return pids

    def kill_node(self, node: RayNode, spare_guests: bool = False) -> None:
        """As if the machine died: SIGKILL to every process of the node at once; `spare_guests`
        leaves its QEMUs to the kernel's parent-death signal (what the test is about)."""
        for _ in range(3):  # a worker being forked meanwhile is caught by the next pass
            pids = [pid for pid in self.node_pids(node) if not (spare_guests and _is_qemu(pid))]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.1)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.process.wait(timeout=5)

    def stop(self) -> None:
        for node in self.nodes:
            self.kill_node(node)
        deadline = time.monotonic() + 10
        while any(self.node_pids(node) for node in self.nodes) and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(self.root, ignore_errors=True)


def marked_pids(marker: str, session: int) -> list[int]:
    """Live (not zombie) processes whose environment carries `MARKER=marker`, or in `session`."""
    wanted = f"{MARKER}={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            if fields[0] == "Z":
                continue
            if int(fields[3]) == session or wanted in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _is_qemu(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("qemu-system")
    except OSError:
        return False


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
