"""`uktrace run --cluster ray:HOST:PORT` on a real 3-node Ray cluster with real QEMU guests."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.integration.conftest import qemu_processes_mentioning, run_json, uktrace
from tests.ray_cluster import LocalRayCluster


def test_twelve_guests_land_on_every_node_with_complete_timelines(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    record = tmp_path / "run"
    result, process = run_json("--cluster", f"ray:{ray_cluster.address}", "-n", "12", "--record", str(record))
    assert process.returncode == 0, process.stderr
    guests = result["guests"]
    nodes = Counter(guest["host"]["node"] for guest in guests)
    assert nodes == {node.ip: 4 for node in ray_cluster.nodes}  # spread: 4 on each of the 3 nodes
    for guest in guests:
        assert guest["status"] == "exited", guest
        stream = guest["host"]["stream"]
        assert stream["lost_events"] == 0 and stream["events"] > 2 and stream["lost"] is None
        phases = [phase["name"] for phase in guest["phases"]]
        assert phases[:3] == ["spawn", "gate", "firmware"] and "main" in phases and phases[-1] == "exit"
        directory = Path(guest["host"]["recording"])
        assert (directory / "console.raw").stat().st_size == guest["host"]["bytes"] > 0
        assert json.loads((directory / "guest.json").read_text())["host"]["node"] == guest["host"]["node"]
    cluster = result["summary"]["cluster"]
    assert cluster["lost_events"] == 0 and cluster["start_spread_s"] is not None
    assert sorted(cluster["nodes"]) == sorted(node.ip for node in ray_cluster.nodes)
    # the recording is an ordinary one: a replay tells the same story
    replay = uktrace("replay", str(record), "--speed", "0", "--json")
    replayed = json.loads(replay.stdout)["guests"]
    assert [g["status"] for g in replayed] == [g["status"] for g in guests]
    assert [g["host"]["node"] for g in replayed] == [g["host"]["node"] for g in guests]


def _start_hanging_run(address: str, record: Path, count: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "uktrace", "run", "--headless", "--cluster", f"ray:{address}"]
    command += ["-n", str(count), "--append", "uktrace.fault=hang", "--record", str(record)]
    return subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(count: int, record: Path, seconds: float) -> list[int]:
    """The run's live QEMUs (on any node) once there are `count`, or whatever there is at the deadline."""
    deadline = time.monotonic() + seconds
    while len(pids := qemu_processes_mentioning(str(record))) != count and time.monotonic() < deadline:
        time.sleep(0.1)
    return pids


def test_a_run_cancelled_mid_boot_leaves_no_qemu_on_any_node(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    record = tmp_path / "run"
    run = _start_hanging_run(ray_cluster.address, record, 6)
    assert len(_wait_for(6, record, 60)) == 6
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 128 + signal.SIGINT, stderr
    assert "Traceback" not in stderr
    assert _wait_for(0, record, 5) == []
    statuses = {json.loads(p.read_text())["status"] for p in record.glob("guest-*/guest.json")}
    assert statuses == {"stopped"}


def test_kill_9_of_the_client_leaves_no_qemu(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    record = tmp_path / "run"
    run = _start_hanging_run(ray_cluster.address, record, 6)
    assert len(_wait_for(6, record, 60)) == 6
    run.kill()
    run.communicate(timeout=10)
    assert _wait_for(0, record, 15) == []


def test_a_console_conversation_and_ready_line_across_the_cluster(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    """`--expect/--send` types into QEMUs on other nodes; `--ready` reads their streamed consoles."""
    result, process = run_json(
        "--cluster", f"ray:{ray_cluster.address}", "-n", "3",
        "--append", "uktrace.era=0.10 uktrace.serve=150", "--ready", "Listening on",
        "--expect", "Listening", "--send", "hello there", "--expect", "echo: hello there", "--send", "quit",
        "--record", str(tmp_path / "run"),
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    assert {guest["host"]["node"] for guest in result["guests"]} == {node.ip for node in ray_cluster.nodes[:3]}
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
        assert [step["outcome"] for step in guest["script"]] == ["matched, sent", "matched, sent"]
        assert guest["ready"]["line"] == "Listening on port 8080" and guest["times"]["ready"] is not None


def test_per_node_fills_nodes_in_order(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    result, process = run_json(
        "--cluster", f"ray:{ray_cluster.address}", "-n", "4", "--per-node", "2", "--record", str(tmp_path / "run")
    )
    assert process.returncode == 0, process.stderr
    nodes = Counter(guest["host"]["node"] for guest in result["guests"])
    assert sorted(nodes.values()) == [2, 2] and len(nodes) == 2


def test_cluster_check_lists_every_node_with_its_qemu(ray_cluster: LocalRayCluster) -> None:
    result = uktrace("cluster", "check", f"ray:{ray_cluster.address}")
    assert result.returncode == 0, result.stdout + result.stderr
    for node in ray_cluster.nodes:
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"│ {node.ip} "))
        assert "8/8" in line and "ms" in line
    assert "ok: 3 node(s), 24 free slots" in result.stdout


def test_no_cluster_at_the_address_or_no_qemu_on_a_node_is_one_line_and_status_2(
    ray_cluster: LocalRayCluster, tmp_path: Path
) -> None:
    for command in (
        ["run", "--cluster", "ray:127.0.0.2:1", "--record", str(tmp_path / "run")],
        ["cluster", "check", "ray:127.0.0.2:1"],
        ["run", "--cluster", "ray:nowhere"],
        ["run", "--cluster", f"ray:{ray_cluster.address}", "--qemu", "no-such-qemu", "--record", str(tmp_path / "q")],
    ):
        result = uktrace(*command)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def _status(path: Path) -> str | None:
    try:
        status: str = json.loads(path.read_text())["status"]
    except (OSError, ValueError):  # being written
        return None
    return status


def test_ray_auto_finds_the_cluster_ray_address_names(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uktrace", "run", "--json", "--cluster", "ray:auto", "-n", "3"]
    result = subprocess.run(
        [*command, "--record", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env=os.environ | {"RAY_ADDRESS": ray_cluster.address},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["counts"]["exited"] == 3


def test_more_guests_at_once_than_free_slots_is_refused_before_anything_starts(
    ray_cluster: LocalRayCluster, tmp_path: Path
) -> None:
    result = uktrace("run", "--cluster", f"ray:{ray_cluster.address}", "-n", "30", "--record", str(tmp_path / "run"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("30 guests at once need 30 uktrace_slots; the cluster has 24 free: lower -j")
    assert len(result.stderr.strip().splitlines()) == 1


def test_bench_runs_its_cells_across_the_cluster(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    command = ["bench", "--cluster", f"ray:{ray_cluster.address}", "--concurrency", "3,6", "--repeat", "1"]
    result = uktrace(*command, "--fs-mode", "shared", "--no-warmup", "--cooldown", "0", "--out", str(out))
    assert result.returncode == 0, result.stderr
    cells = json.loads((out / "results.json").read_text())["cells"]
    assert sorted(cell["run"]["summary"]["counts"]["exited"] for cell in cells) == [3, 6]  # cells interleave
    for cell in cells:
        cluster = cell["run"]["summary"]["cluster"]
        nodes = {guest["host"]["node"] for guest in cell["run"]["guests"]}
        assert nodes == {node.ip for node in ray_cluster.nodes[:3]}
        assert cluster["lost_events"] == 0 and cluster["console_latency_ms"]["n"] > 0
    with (out / "results.csv").open() as table:  # the tidy table groups by node too
        assert {row["node"] for row in csv.DictReader(table)} == {node.ip for node in ray_cluster.nodes[:3]}


def _lost_guests(record: Path, expected: int, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    lost: list[str] = []
    while time.monotonic() < deadline and len(lost) < expected:
        lost = [p.parent.name for p in record.glob("guest-*/guest.json") if _status(p) == "lost"]
        time.sleep(0.2)
    return lost


def _end_run(run: subprocess.Popen[str]) -> str:
    run.send_signal(signal.SIGINT)
    stdout, stderr = run.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert "(raylet)" not in stdout + stderr  # Ray's own error printer is kept off the output
    return stderr


def test_kill_9_of_a_nodes_actor_kills_its_qemus_and_marks_its_guests_lost(
    ray_cluster: LocalRayCluster, tmp_path: Path
) -> None:
    record = tmp_path / "run"
    run = _start_hanging_run(ray_cluster.address, record, 6)  # spread over the nodes' free slots
    try:
        assert len(_wait_for(6, record, 60)) == 6
        node = ray_cluster.nodes[1]
        # where the guests went: even shares of the slots Ray said were free (a slot the test before
        # had not yet given back makes them uneven)
        nodes = _nodes(record, 6, 10)
        placed = sorted(name for name, ip in nodes.items() if ip == node.ip)
        assert len(nodes) == 6 and placed, nodes
        (actor,) = ray_cluster.actor_pids(node)
        (scratch,) = [d for d in Path(tempfile.gettempdir()).glob("uktrace-node-*") if _owner(d) == actor]
        os.kill(actor, signal.SIGKILL)  # its QEMUs are left to the parent-death signal
        lost = _lost_guests(record, len(placed), 30)
        assert sorted(lost) == placed
        # the lost node's QEMUs died with the actor; the rest run
        assert len(_wait_for(6 - len(placed), record, 5)) == 6 - len(placed)
        _end_run(run)
    finally:
        if run.poll() is None:
            run.kill()
    guests = {p.parent.name: json.loads(p.read_text()) for p in record.glob("guest-*/guest.json")}
    assert Counter(guest["status"] for guest in guests.values()) == {"lost": len(placed), "stopped": 6 - len(placed)}
    for name in lost:
        assert guests[name]["host"]["node"] == node.ip
        assert guests[name]["crash"]["reason"].startswith(f"node {node.ip}: uktrace's actor there died")
    assert _wait_for(0, record, 5) == []
    # what the killed actor could not remove, the next actor on the machine does
    assert scratch.exists()
    assert uktrace("cluster", "check", f"ray:{ray_cluster.address}").returncode == 0
    assert not scratch.exists()


def _nodes(record: Path, count: int, seconds: float) -> dict[str, str]:
    """Each guest's node, once `count` guest.json files name one (the recorder writes them a moment
    after the QEMUs start), or what there is at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        found = {}
        for path in record.glob("guest-*/guest.json"):
            try:
                node = json.loads(path.read_text())["host"]["node"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if node:
                found[path.parent.name] = node
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _owner(directory: Path) -> int | None:
    try:
        return int((directory / "actor.pid").read_text())
    except (OSError, ValueError):
        return None


def test_a_lost_worker_marks_its_guests_lost(ray_cluster: LocalRayCluster, tmp_path: Path) -> None:
    """Its own extra worker (killed: the session's cluster stays whole); its QEMUs are spared by the
    kill, as a machine's would not be, to show they do not outlive their node's Ray."""
    extra = ray_cluster.add_worker()
    record = tmp_path / "run"
    run = _start_hanging_run(ray_cluster.address, record, 8)  # 2 per node, the extra one included
    try:
        assert len(_wait_for(8, record, 60)) == 8
        ray_cluster.kill_node(extra, spare_guests=True)
        lost = _lost_guests(record, 2, 60)
        assert len(lost) == 2
        assert len(_wait_for(6, record, 5)) == 6
        _end_run(run)
    finally:
        if run.poll() is None:
            run.kill()
    guests = {p.parent.name: json.loads(p.read_text()) for p in record.glob("guest-*/guest.json")}
    assert Counter(guest["status"] for guest in guests.values()) == {"lost": 2, "stopped": 6}
    for name in lost:
        assert guests[name]["host"]["node"] == extra.ip
        assert guests[name]["crash"]["reason"].startswith(f"node {extra.ip}: ")
    assert _wait_for(0, record, 5) == []
