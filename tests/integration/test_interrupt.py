"""Ending a run early: Ctrl-C, SIGTERM, even SIGKILL of uktrace leave no QEMU behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.integration.conftest import qemu_processes_mentioning
from uktrace.kernel.find import TEST_GUEST
from uktrace.recording.reader import read_guest


def wait_for_guests(directory: Path, count: int, timeout: float = 60) -> None:
    """Until `count` guests have printed something (they are alive, mid-boot)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        consoles = list(directory.glob("guest-*/console.raw"))
        if len(consoles) == count and all(path.stat().st_size > 0 for path in consoles):
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} guests did not start within {timeout} s")


def test_ctrl_c_in_a_20_guest_run(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "uktrace", "run", "--headless", "-n", "20", "--append", "uktrace.fault=hang", "--record", str(record)],
        timeout=120,
        dimensions=(40, 120),
    )
    wait_for_guests(record, 20)
    assert len(qemu_processes_mentioning(str(record))) == 20
    child.sendintr()  # Ctrl-C, as a user at the terminal
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "interrupted by SIGINT; every QEMU stopped" in child.before.decode()
    assert "Traceback" not in child.before.decode()
    assert qemu_processes_mentioning(str(record)) == []
    for index in range(1, 21):
        guest = read_guest(record / f"guest-{index:02d}")
        assert guest.meta["status"] == "stopped"
        assert guest.meta["crash"]["reason"].startswith("run interrupted by SIGINT in ")
        # what arrived before the interrupt is on disk, from the first byte on
        assert b"".join(chunk for _, chunk in guest.chunks).startswith(b"[    0.000000] Info:")


def start_hanging_run(record: Path, count: int, stdout: int | None) -> subprocess.Popen[str]:
    """`uktrace run --json` of `count` guests that hang mid-boot (alive until stopped)."""
    command = ["-m", "uktrace", "run", "--json", "-n", str(count), "--append", "uktrace.fault=hang"]
    return subprocess.Popen(
        [sys.executable, *command, "--record", str(record)], stdout=stdout, stderr=stdout, text=True
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_stops_every_guest_and_none_is_called_exited(tmp_path: Path, signum: signal.Signals) -> None:
    record = tmp_path / "rec"
    process = start_hanging_run(record, 5, subprocess.PIPE)
    wait_for_guests(record, 5)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    output = json.loads(stdout)
    assert output["summary"]["interrupted_by"] == signum
    assert {guest["status"] for guest in output["guests"]} == {"stopped"}
    assert all(guest["crash"]["reason"].startswith(f"run interrupted by {signum.name}") for guest in output["guests"])
    assert "Traceback" not in stderr
    assert qemu_processes_mentioning(str(record)) == []


def test_sigkill_of_uktrace_still_leaves_no_qemu(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    process = start_hanging_run(record, 3, subprocess.DEVNULL)
    wait_for_guests(record, 3)
    process.kill()  # no cleanup code runs: the kernel's parent-death signal must do it
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while qemu_processes_mentioning(str(record)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qemu_processes_mentioning(str(record)) == []
    # what reached uktrace before it died is on disk (flushed every 0.2 s) and replays
    replayed = subprocess.run(
        [sys.executable, "-m", "uktrace", "replay", str(record), "--speed", "0", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in replayed.stderr
    guests = json.loads(replayed.stdout)["guests"]
    assert len(guests) == 3 and all(g["phases"] for g in guests)
    for n in (1, 2, 3):  # written as each guest started: what it was survives uktrace
        meta = read_guest(record / f"guest-{n}").meta
        assert meta["status"] == "booting" and meta["argv"] and meta["host"]["spawn_ns"]


def test_a_terminal_nobody_reads_does_not_stall_the_run(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    # 20 guests, one line each in the live view at 10 Hz: far more than a pty buffers in 10 s
    command = ["-m", "uktrace", "run", "--headless", "-n", "20", "--append", "uktrace.fault=hang"]
    child = pexpect.spawn(sys.executable, [*command, "--record", str(record)], timeout=120, dimensions=(60, 200))
    hung = b"PCI 00:01.00"  # the hanging guest's last line: its boot got as far as it goes
    deadline = time.monotonic() + 60
    consoles: list[Path] = []
    while time.monotonic() < deadline:
        time.sleep(0.2)  # not reading the terminal meanwhile
        consoles = [path for path in record.glob("guest-*/console.raw") if hung in path.read_bytes()]
        if len(consoles) == 20:
            break
    assert len(consoles) == 20, "the run stalled on a terminal nobody read"
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


LAUNCHER = (
    "sh -c 'qemu-system-x86_64 -accel tcg -m 64M -display none -vga none -serial stdio -monitor none"
    f" -kernel {TEST_GUEST} -append uktrace.fault=hang; true'"
)
"""A `--cmd` launcher that forks its QEMU (a shell that waits for it), whose guest hangs."""


def test_a_launchers_qemu_ends_with_its_guest(tmp_path: Path) -> None:
    """`--cmd` runs QEMU under a shell: stopping the guest must stop the QEMU the shell started."""
    record = tmp_path / "rec"
    command = ["-m", "uktrace", "run", "-n", "3", "--timeout", "4", "--headless", "--record", str(record)]
    result = subprocess.run(
        [sys.executable, *command, "--cmd", LAUNCHER],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in result.stderr and result.returncode == 1
    assert qemu_processes_mentioning(str(record)) == []  # not one QEMU left at 65 % CPU
    assert "still run" not in result.stderr


@pytest.mark.parametrize("gap", [0.02, 0.1])
def test_a_second_ctrl_c_during_the_clean_up_loses_nothing(tmp_path: Path, gap: float) -> None:
    record = tmp_path / "rec"
    process = start_hanging_run(record, 10, subprocess.PIPE)
    wait_for_guests(record, 10)
    process.send_signal(signal.SIGINT)
    time.sleep(gap)
    process.send_signal(signal.SIGINT)  # impatient: again, while every QEMU is being stopped
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and process.returncode == 130
    assert {guest["status"] for guest in json.loads(stdout)["guests"]} == {"stopped"}
    assert all(read_guest(record / f"guest-{n:02d}").meta["status"] == "stopped" for n in range(1, 11))
    assert qemu_processes_mentioning(str(record)) == []


def test_sigterm_while_copying_the_share_removes_the_copies(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    source = tmp_path / "share"
    source.mkdir()
    for n in range(2000):
        (source / f"f{n}").write_text("x")
    command = ["-m", "uktrace", "run", "-n", "40", "--fs", str(source), "--fs-mode", "independent", "--headless"]
    process = subprocess.Popen(
        [sys.executable, *command, "--record", str(tmp_path / "rec")],
        env=os.environ | {"TMPDIR": str(scratch)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not list(scratch.glob("uktrace-fs-*/guest-1")) and time.monotonic() < deadline:
        time.sleep(0.02)  # until the copies are being made
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr and "the copies made are removed" in stderr
    assert list(scratch.glob("uktrace-fs-*")) == []


def test_the_tui_ends_when_its_terminal_goes_away(tmp_path: Path) -> None:
    """Closing the terminal (SIGHUP): every guest stopped and recorded, and uktrace itself ends
    instead of waiting forever to restore a terminal that is gone."""
    record = tmp_path / "rec"
    script = Path(sys.executable).with_name("uktrace")  # the console script: the one with the TUI
    command = ["run", "-n", "2", "--append", "uktrace.fault=hang", "--record", str(record)]
    child = pexpect.spawn(str(script), command, timeout=60, dimensions=(30, 120))
    wait_for_guests(record, 2)
    os.close(child.child_fd)  # the terminal window closes: the kernel hangs the session up
    deadline = time.monotonic() + 30
    status = None
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(0.1)
    else:
        child.kill(signal.SIGKILL)
        raise AssertionError("uktrace did not end after its terminal went away")
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGHUP
    assert qemu_processes_mentioning(str(record)) == []
    assert [read_guest(record / f"guest-{n}").meta["status"] for n in (1, 2)] == ["stopped", "stopped"]


def test_sigkill_of_uktrace_leaves_no_qemu_a_launcher_forked(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    command = ["-m", "uktrace", "run", "-n", "3", "--headless", "--record", str(record)]
    process = subprocess.Popen(
        [sys.executable, *command, "--cmd", LAUNCHER],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    wait_for_guests(record, 3)
    assert len(qemu_processes_mentioning(str(record))) >= 3  # the shells and their QEMUs
    process.kill()  # no clean-up runs: the parent-death signal reaches only the shells
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while qemu_processes_mentioning(str(record)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qemu_processes_mentioning(str(record)) == []


def test_ctrl_c_during_the_start_gate_records_every_guest_as_stopped(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    process = start_hanging_run(record, 30, subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(record.glob("guest-*")) and time.monotonic() < deadline:
        time.sleep(0.01)  # the first QEMUs are being spawned: the wave is still held at the gate
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr
    guests = json.loads(stdout)["guests"]
    assert len(guests) == 30 and {guest["status"] for guest in guests} == {"stopped"}
    for directory in record.glob("guest-*"):  # every one started is recorded, files and verdict
        assert (directory / "console.raw").is_file() and (directory / "chunks.tsv").is_file()
        assert read_guest(directory).meta["status"] == "stopped"
    assert qemu_processes_mentioning(str(record)) == []


def test_q_leaves_why_guests_crashed_on_the_terminal(tmp_path: Path) -> None:
    """After `q`, what the TUI leaves on the terminal names each ending that was not clean with its
    reason and where, as the TUI showed them, not only `2 crashed`."""
    record = tmp_path / "rec"
    script = Path(sys.executable).with_name("uktrace")  # the console script: the one with the TUI
    command = ["run", "-n", "2", "--append", "uktrace.fault=crash", "--record", str(record)]
    child = pexpect.spawn(str(script), command, timeout=60, dimensions=(30, 120))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        metas = [read_guest(path).meta for path in sorted(record.glob("guest-*"))]
        if len(metas) == 2 and all(meta.get("status") == "crashed" for meta in metas):
            break
        time.sleep(0.2)
    else:
        child.kill(signal.SIGKILL)
        raise AssertionError("the guests did not crash within 60 s")
    child.send("q")
    child.expect(pexpect.EOF)
    child.wait()
    after_tui = child.before.decode("utf-8", "replace").rsplit("\x1b[?1049l", 1)[-1]
    left = " ".join(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", after_tui).split())  # as read, wrapped lines joined
    assert "2 crashed" in left
    ending = re.search(r"2 crashed: Unhandled Trap 0 \(divide error\), error code=0x0 at (0x[0-9a-f]+ \S+)", left)
    assert ending is not None, left
    assert ending[1].endswith(" app_divide+0x1c")
    assert "(guest-1, guest-2)" in left
    assert child.exitstatus == 1
