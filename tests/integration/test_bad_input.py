"""Bad input and failing QEMUs: one clear message, a non-zero status, no traceback, no QEMU left."""

from __future__ import annotations

import json
import os
import re
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import qemu_processes_mentioning, run_json, uktrace


def assert_user_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_missing_qemu() -> None:
    assert_user_error(uktrace("run", "--qemu", "qemu-system-nowhere"), "not found", "apt-get install qemu-system-x86")
    assert_user_error(uktrace("run", "--qemu", "/nonexistent/qemu"), "no such executable")


def test_missing_kernel_and_not_a_kernel(tmp_path: Path) -> None:
    assert_user_error(uktrace("run", str(tmp_path / "nope")), "no such kernel file or kraft project directory")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    assert_user_error(uktrace("run", str(text)), "not a bootable x86 kernel")
    empty = tmp_path / "empty"
    empty.touch()
    assert_user_error(uktrace("run", str(empty)), "empty file")
    assert_user_error(uktrace("run", str(tmp_path)), "no built x86_64 QEMU kernel in this directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_kernel(tmp_path: Path) -> None:
    kernel = tmp_path / "kernel"
    kernel.write_bytes(b"\x02\xb0\xad\x1b" * 4)
    kernel.chmod(0)
    assert_user_error(uktrace("run", str(kernel)), "permission denied")


def test_kraft_project_directory_finds_the_kernel(tmp_path: Path) -> None:
    from uktrace.kernel.find import TEST_GUEST

    build = tmp_path / ".unikraft" / "build"
    build.mkdir(parents=True)
    (build / "app_qemu-x86_64").write_bytes(TEST_GUEST.read_bytes())
    (build / "app_qemu-x86_64.dbg").write_bytes(b"symbols")
    result, process = run_json(str(tmp_path), "--record", str(tmp_path / "rec"))
    assert process.returncode == 0, process.stderr
    assert result["guests"][0]["source"] == str(build / "app_qemu-x86_64")


def test_missing_share_and_bad_options(tmp_path: Path) -> None:
    assert_user_error(uktrace("run", "--fs", str(tmp_path / "nope")), "no such directory")
    assert_user_error(uktrace("run", "-n", "0"), "-n must be at least 1")
    assert_user_error(uktrace("run", "--mem", "lots"), "not a size")
    assert_user_error(uktrace("run", "--timeout", "0"), "--timeout 0: must be a positive number of seconds")


def test_kvm_missing_or_denied(tmp_path: Path) -> None:
    from uktrace.launch.accel import AccelError, choose_accel, kvm_problem

    assert "does not exist" in (kvm_problem(str(tmp_path / "kvm")) or "")
    with pytest.raises(AccelError, match="use --accel tcg"):
        choose_accel("kvm", device=str(tmp_path / "kvm"))
    chosen = choose_accel("auto", device=str(tmp_path / "kvm"))
    assert chosen.accel == "tcg" and chosen.reason is not None and "does not exist" in chosen.reason
    denied = tmp_path / "denied"
    denied.touch()
    denied.chmod(0o400)
    if os.geteuid() != 0:
        assert "permission denied" in (kvm_problem(str(denied)) or "")


def test_too_many_guests_for_memory() -> None:
    assert_user_error(uktrace("run", "-n", "1000", "--mem", "64G"), "MiB are available", "lower -j")


def test_open_file_limit_too_low_for_the_fleet() -> None:
    def low_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))

    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "run", "-n", "40"],
        capture_output=True,
        text=True,
        preexec_fn=low_limit,
        timeout=60,
    )
    assert_user_error(result, "open files", "ulimit -n", "lower -j")


def fake_qemu(tmp_path: Path, body: str) -> Path:
    """A QEMU that runs `body` when started, and answers `--version` as QEMU does (the recording
    asks it first: a body that hangs would hold every run for the 10 s that question may take)."""
    script = tmp_path / "fake-qemu"
    script.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && echo 'QEMU emulator version 7.2.0' && exit 0\n{body}\n")
    script.chmod(0o755)
    return script


def test_qemu_aborting_at_start_reports_its_message(tmp_path: Path) -> None:
    qemu = fake_qemu(
        tmp_path,
        'echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000c04" >&2\n'
        "echo 'qemu-system-x86_64: ../target/i386/kvm/kvm.c:3003: kvm_buf_set_msrs: Assertion failed.' >&2\nkill -ABRT $$",
    )
    result, process = run_json("--qemu", str(qemu), "--record", str(tmp_path / "rec"))
    (guest,) = result["guests"]
    assert guest["status"] == "failed"
    assert guest["crash"]["reason"] == (
        "QEMU killed by SIGABRT: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x2000c04"
        " (nested KVM rejects -cpu host: try --cpu qemu64 or --accel tcg)"
    )
    assert "failed to set MSR 0x10a" in guest["host"]["stderr_tail"]
    assert process.returncode == 1


def test_qemu_error_status_gives_its_last_stderr_line(tmp_path: Path) -> None:
    qemu = fake_qemu(tmp_path, 'echo "qemu-system-x86_64: -cpu host: failed to set MSR 0x10a" >&2; exit 1')
    result, _ = run_json("--qemu", str(qemu), "--record", str(tmp_path / "rec"))
    reason = result["guests"][0]["crash"]["reason"]
    assert reason.startswith("QEMU exited with status 1: qemu-system-x86_64: -cpu host: failed to set MSR 0x10a")
    assert "try --cpu qemu64 or --accel tcg" in reason


def test_kvm_internal_error_fails_the_guest_and_kills_the_hung_qemu(tmp_path: Path) -> None:
    # what QEMU does on nested KVM with a real Unikraft image: print the error, then hang
    qemu = fake_qemu(
        tmp_path,
        "printf 'Booting from ROM..'\n"
        "echo 'KVM internal error. Suberror: 1' >&2\necho 'emulation failure' >&2\nexec sleep 600",
    )
    # no timeout could end this run in time: only detecting the error and killing QEMU does
    result, process = run_json("--qemu", str(qemu), "--timeout", "3600", "--record", str(tmp_path / "rec"), timeout=120)
    (guest,) = result["guests"]
    assert guest["status"] == "failed"
    assert guest["crash"]["reason"] == "KVM internal error. Suberror: 1 (try --accel tcg)"
    assert process.returncode == 1
    assert qemu_processes_mentioning(str(tmp_path)) == []


def test_cmd_that_does_not_exist_or_fails() -> None:
    assert_user_error(uktrace("run", "--cmd", "/nonexistent/launcher"), "--cmd: /nonexistent/launcher: no such program")
    result, process = run_json("--cmd", "sh -c 'echo boom >&2; exit 3'")
    assert result["guests"][0]["crash"]["reason"] == "sh exited with status 3: boom"
    assert process.returncode == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--timeout", "nan"], "--timeout nan: must be a positive number of seconds"),
        (["--timeout", "inf"], "--timeout inf: must be a positive number of seconds"),
        (["-n", "100000000"], "-n 100000000: at most 10,000 guests"),  # refused before any memory goes
    ],
)
def test_numbers_no_run_can_use(args: list[str], said: str) -> None:
    result = uktrace("run", "--headless", *args, timeout=30)
    assert result.returncode == 2 and said in result.stderr and "Traceback" not in result.stderr


def test_a_fifo_as_kernel_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "kernel"
    os.mkfifo(fifo)
    result = uktrace("run", str(fifo), "--headless", timeout=30)
    assert result.returncode == 2 and "not a regular file, not a kernel" in result.stderr


def test_output_nobody_can_take_is_said_not_a_traceback() -> None:
    log = Path(__file__).parents[1] / "data" / "logs" / "001-v0.5-kvm-x86-helloworld-fulldebug.log"
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "uktrace", "parse", str(log)], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert result.returncode == 1 and "cannot write the output (No space left on device)" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reader_that_goes_away_ends_parse_as_sigpipe_would() -> None:
    log = Path(__file__).parents[1] / "data" / "logs" / "001-v0.5-kvm-x86-helloworld-fulldebug.log"
    parse = subprocess.Popen(
        [sys.executable, "-m", "uktrace", "parse", *[str(log)] * 8],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert parse.stdout is not None and parse.stderr is not None
    parse.stdout.read(10)
    parse.stdout.close()  # `| head -c 10`
    stderr = parse.stderr.read().decode()
    assert parse.wait(timeout=30) == 141 and "Traceback" not in stderr


def test_a_guest_that_printed_nothing_has_not_exited(tmp_path: Path) -> None:
    """`--mem 1K`: the firmware cannot start the kernel and QEMU exits 0, as after a clean halt (or a
    triple fault before the first line). No console and no exit code is a failure, said as such."""
    record = tmp_path / "rec"
    # SeaBIOS takes seconds to give up on 1K of RAM; at the idle policy a loaded host can starve it past the timeout
    result, process = run_json("--mem", "1K", "--guest-priority", "normal", "--record", str(record))
    (guest,) = result["guests"]
    assert guest["host"]["bytes"] == 0 and guest["host"]["qemu_status"] == 0
    assert guest["status"] == "failed" and guest["exit_code"] is None
    assert re.fullmatch(r"no console output; QEMU exited with status 0 after \d+\.\d s", guest["crash"]["reason"])
    assert process.returncode == 1
    # a recording made before the rule: its guest.json says `exited`; the replay judges it again
    meta_path = record / "guest-1" / "guest.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps(meta | {"status": "exited", "crash": None}))
    replayed = uktrace("replay", str(record), "--json", "--speed", "0")
    assert json.loads(replayed.stdout)["guests"][0]["status"] == "failed"
    assert replayed.returncode == 1


def triple_fault_kernel(directory: Path) -> Path:
    """A multiboot kernel whose first instruction is `ud2`: no IDT yet, so the CPU triple-faults
    before any output, and QEMU (`-no-reboot`) exits 0 as after a clean power-off."""
    load, magic, flags = 0x100000, 0x1BADB002, 1 << 16
    header = struct.pack("<8I", magic, flags, -(magic + flags) & 0xFFFFFFFF, load, load, 0, 0, load + 32)
    kernel = directory / "ud2.bin"
    kernel.write_bytes(header + b"\x0f\x0b")
    return kernel


def test_a_triple_fault_before_the_first_line_has_not_exited(tmp_path: Path) -> None:
    kernel = triple_fault_kernel(tmp_path)
    result, process = run_json(str(kernel), "--guest-priority", "normal", "--record", str(tmp_path / "own"))
    reason = result["guests"][0]["crash"]["reason"]
    assert result["guests"][0]["status"] == "failed" and process.returncode == 1
    assert re.fullmatch(r"no console output; QEMU exited with status 0 after \d+\.\d s", reason)
    # SeaBIOS prints on the serial console with -nographic: bytes, but none of the kernel's
    command = f"qemu-system-x86_64 -nographic -no-reboot -m 64M -accel tcg -kernel {kernel}"
    result, process = run_json("--cmd", command, "--guest-priority", "normal", "--record", str(tmp_path / "cmd"))
    (guest,) = result["guests"]
    assert guest["status"] == "failed" and guest["host"]["bytes"] > 0 and process.returncode == 1
    assert re.fullmatch(
        r"no output from the kernel \(only the firmware's, \d+ bytes\); qemu-system-x86_64 exited with status 0"
        r" after \d+\.\d s",
        guest["crash"]["reason"],
    )
