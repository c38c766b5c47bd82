"""VirtioFS for real: QEMU's vhost-user-fs device, one virtiofsd per guest, the test guest's FUSE
client reading hello.txt; no daemon outlives its run, however the run ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from tests.conftest import RECORDINGS
from tests.integration.conftest import run_json, uktrace
from tests.integration.test_interrupt import wait_for_guests
from tests.invariant import violations
from uktrace.launch.options import RunOptions, prepare
from uktrace.launch.unobserved import run_unobserved
from uktrace.launch.virtiofsd import candidates
from uktrace.recording.logs import trace_log
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.widgets.header import FleetHeader

DAEMON = next((path for path in candidates("qemu-system-x86_64") if os.access(path, os.X_OK)), None)
if DAEMON is None or os.geteuid() != 0:
    pytest.skip("needs a virtiofsd (Debian: qemu-system-common) and root (QEMU's C daemon)", allow_module_level=True)

GREETING = "Hello over VirtioFS!"


@pytest.fixture
def share(tmp_path: Path) -> Path:
    directory = tmp_path / "share"
    directory.mkdir()
    (directory / "hello.txt").write_text(GREETING + "\n")
    return directory


def daemons_of(record: Path) -> list[int]:
    """Live virtiofsd processes (parent and sandboxed child) of the run recording into `record`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        marker = next((v for v in environ if v.startswith(b"UKTRACE_RECORDING=")), b"")
        if state != "Z" and b"virtiofsd" in cmdline and str(record).encode() in marker:
            pids.append(int(entry.name))
    return pids


def gone(record: Path, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while daemons_of(record) and time.monotonic() < deadline:
        time.sleep(0.1)
    return daemons_of(record) == []


def test_guests_mount_over_virtiofs_and_read_the_file(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json("-n", "2", "--fs", str(share), "--fs-type", "virtiofs", "--record", str(record))
    assert process.returncode == 0, process.stderr
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0
        names = [p["name"] for p in guest["phases"]]
        assert "mount" in names and "fuse_handshake" in names and "9p_handshake" not in names
        handshake = next(p for p in guest["phases"] if p["name"] == "fuse_handshake")
        assert handshake["parent"] == "mount"
        mount = next(p for p in guest["phases"] if p["name"] == "mount")
        assert mount["host"]["start"] is not None and mount["guest"]["start"] is not None  # both clocks
        assert guest["host"]["fs_type"] == "virtiofs" and guest["host"]["virtiofsd_status"] == 0
        assert guest["host"]["virtiofsd_start_s"] > 0
        console = (Path(guest["host"]["recording"]) / "console.raw").read_bytes()
        assert GREETING.encode() in console and b"FUSE_READ reply" in console
        argv = json.loads((Path(guest["host"]["recording"]) / "guest.json").read_text())["argv"]
        assert "vhost-user-fs-pci" in " ".join(argv) and any("memory-backend-memfd" in word for word in argv)
    assert daemons_of(record) == []
    fleet = ReplayFleet(record, speed=0)
    anyio.run(fleet.run)
    assert fleet.fs_mode == "shared virtiofs"  # the views' header names the filesystem as the live run's
    legend = FleetHeader(fleet, time.monotonic_ns, "replay").legend_phases
    assert "fuse_handshake" in legend  # listed only for a fleet with a VirtioFS share
    assert (
        "fuse_handshake" not in FleetHeader(ReplayFleet(RECORDINGS / "shared-8"), time.monotonic_ns, "").legend_phases
    )
    for replayed in fleet.guests:
        assert replayed.timeline.status.finished and violations(replayed.timeline) == []
        assert replayed.virtiofsd_status == 0


def share_mount(pid: int, share: Path) -> list[str] | None:
    """The mount options of `share` as process `pid` sees it, when a mount there is `share` (the
    daemon's sandbox makes it its root: root field `share`, mount point `/`), else None."""
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if str(share.resolve()) in (fields[3], fields[4]):
            return fields[5].split(",")
    return None


@pytest.mark.parametrize("writable", [False, True])
def test_the_share_is_read_only_for_the_daemon_without_fs_rw(tmp_path: Path, share: Path, writable: bool) -> None:
    """QEMU's C daemon has no read-only switch: without --fs-rw it runs where the share is a
    read-only bind mount (its mount namespace, not the host's); with --fs-rw, where it is not."""
    record = tmp_path / "rec"
    process = start_hanging(record, share, 1, "--fs-rw" if writable else None)
    try:
        wait_for_guests(record, 1)
        daemons = daemons_of(record)
        assert daemons
        for pid in daemons:
            options = share_mount(pid, share)
            assert options is not None and ("ro" if not writable else "rw") in options
        assert share_mount(os.getpid(), share) is None  # the host's mounts are untouched
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    (share / "hello.txt").write_text("still the user's\n")  # and the share stays writable here


def start_hanging(record: Path, share: Path, count: int, *more: str | None) -> subprocess.Popen[str]:
    command = ["-m", "uktrace", "run", "--json", "-n", str(count), "--append", "uktrace.fault=hang"]
    command += ["--fs", str(share), "--fs-type", "virtiofs", "--record", str(record), *filter(None, more)]
    return subprocess.Popen([sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigint_leaves_no_daemon(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    process = start_hanging(record, share, 3)
    wait_for_guests(record, 3)
    assert len(daemons_of(record)) >= 3  # one per guest (the C daemon: and its sandboxed child)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert {g["status"] for g in json.loads(stdout)["guests"]} == {"stopped"}
    assert gone(record)


def test_sigkill_of_uktrace_leaves_no_daemon(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    process = start_hanging(record, share, 2)
    wait_for_guests(record, 2)
    assert len(daemons_of(record)) >= 2
    process.kill()  # no clean-up code of uktrace runs: the guests' session leader must do it
    process.communicate(timeout=10)
    assert gone(record)


def test_a_missing_daemon_is_a_clear_error(tmp_path: Path, share: Path) -> None:
    result = uktrace("run", "--fs", str(share), "--fs-type", "virtiofs", "--virtiofsd", str(tmp_path / "nope"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--virtiofsd {tmp_path / 'nope'}: no such executable" in result.stderr


def test_a_daemon_that_refuses_to_start_is_named(tmp_path: Path, share: Path) -> None:
    """A daemon that exits at once (here `false`, which takes any arguments): the guest fails with
    its name and status, and no QEMU is started for it."""
    result, process = run_json("--fs", str(share), "--fs-type", "virtiofs", "--virtiofsd", "false")
    assert process.returncode == 1
    (guest,) = result["guests"]
    assert guest["status"] == "failed"
    assert guest["crash"]["reason"].startswith("false exited with status 1 before it listened")


def test_a_daemon_that_dies_is_named_in_the_guests_reason(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    process = start_hanging(record, share, 1)
    wait_for_guests(record, 1)
    for pid in daemons_of(record):
        os.kill(pid, signal.SIGKILL)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=60)
    (guest,) = json.loads(stdout)["guests"]
    assert "virtiofsd was killed by SIGKILL" in guest["crash"]["reason"]


def test_an_unobserved_cell_runs_its_daemons_too(tmp_path: Path, share: Path) -> None:
    """The observer check's unobserved runs start each guest's daemon as a traced run does."""
    specs, shares = prepare(RunOptions(count=2, fs=share, fs_type="virtiofs"))
    try:
        guests = anyio.run(run_unobserved, specs, tmp_path / "cell")
    finally:
        shares.cleanup()
    for guest in guests:
        assert guest.error is None, guest.error
        assert GREETING.encode() in guest.console.read_bytes()
        timeline = trace_log(guest.console, name=guest.name)
        assert timeline.status.value == "exited" and timeline.phase("fuse_handshake") is not None
    assert daemons_of(tmp_path / "cell") == []


def test_independent_mode_gives_each_daemon_its_own_copy(tmp_path: Path, share: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json(
        "-n", "2", "--fs", str(share), "--fs-type", "virtiofs", "--fs-mode", "independent", "--record", str(record)
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    sources = set()
    for guest in result["guests"]:
        assert GREETING.encode() in (Path(guest["host"]["recording"]) / "console.raw").read_bytes()
        command = (Path(guest["host"]["recording"]) / "virtiofsd.log").read_text().splitlines()[0]
        (source,) = [word for word in command.split() if word.startswith("source=")]
        sources.add(source)
    assert len(sources) == 2 and f"source={share}" not in sources  # a copy each, never the user's directory
