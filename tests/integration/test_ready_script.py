"""`--ready`, `--expect/--send` and `--script` on the test guest's server mode (`uktrace.serve=MS`),
under real QEMU: the ready phase on both clocks, conversations that end each guest, wrong scripts
that fail the right step, Ctrl-C mid-script, and a saved console parsed with `--ready`."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import GUEST_CLOCKS, qemu_processes_mentioning, run_json, uktrace
from uktrace.kernel.find import TEST_GUEST

SERVE_MS = 150
SERVER = ("--append", f"uktrace.era=0.10 uktrace.serve={SERVE_MS}")
"""The test guest as a server: `Listening on port 8080` after SERVE_MS ms of main, then commands."""


def phases(guest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {phase["name"]: phase for phase in guest["phases"]}


def test_ready_phase_and_a_conversation_end_every_guest(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json(
        "-n", "3", *SERVER, "--ready", "Listening on",
        "--expect", "Listening", "--send", "hello there",
        "--expect", "echo: hello there", "--send", "quit",
        "--record", str(record),
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
        assert guest["host"]["integrity"] == "ok"  # the echoes and the bye are the guest's bytes too
        ready, main = phases(guest)["ready"], phases(guest)["main"]
        # from main's start to the ready line, inside main, on both clocks
        assert ready["guest"]["start"] == main["guest"]["start"] and ready["host"]["start"] == main["host"]["start"]
        assert ready["guest"]["end"] is not None and ready["host"]["end"] is not None
        assert ready["host"]["end"] <= main["host"]["end"]
        # the guest busy-waits SERVE_MS on its own clock, whose stamp (the `waited` line) ends the phase
        assert ready["clock"] in GUEST_CLOCKS and ready["end"] - ready["start"] >= SERVE_MS / 1000
        # start and end are rounded to the µs in the JSON (a corrected clock's are not whole µs)
        assert guest["times"]["ready"] == pytest.approx(ready["end"] - ready["start"], abs=2e-6)
        assert guest["times"]["clocks"]["ready"] in GUEST_CLOCKS
        assert guest["ready"] == {"regex": "Listening on", "line": "Listening on port 8080", "not_ready": None}
        first, second = guest["script"]
        assert first["outcome"] == second["outcome"] == "matched, sent"
        assert first["matched"] == "Listening" and second["matched"] == "echo: hello there"
        assert first["clock"] == "host" and 0 <= first["start"] <= first["end"] <= second["start"] <= second["end"]
        assert first["wait"] == pytest.approx(first["end"] - first["start"], abs=1e-5)
        console = (record / guest["name"] / "console.raw").read_bytes()
        assert b"echo: hello there\nBye (exit code 0)\n" in console
    summary = result["summary"]["times"]["ready"]
    assert summary["count"] == 3 and summary["clock"] in GUEST_CLOCKS
    assert qemu_processes_mentioning(str(record)) == []
    # a replay makes the same ready phase from the recording (the regex is recorded with each guest)
    replay = uktrace("replay", str(record), "--speed", "0", "--json")
    assert replay.returncode == 0, replay.stderr
    replayed = json.loads(replay.stdout)["guests"]
    assert {g["name"]: phases(g)["ready"] for g in replayed} == {
        g["name"]: phases(g)["ready"] for g in result["guests"]
    }
    for again, live in zip(replayed, result["guests"], strict=True):  # the steps, as they went
        assert [step.pop("wait") for step in again["script"]] == pytest.approx(
            [step.pop("wait") for step in live["script"]], abs=2e-6
        )  # recomputed from the rounded start and end
        assert again["script"] == live["script"]


def test_quit_with_a_code_is_the_guests_exit_code(tmp_path: Path) -> None:
    script = tmp_path / "conversation"
    script.write_text("# a longer conversation, from a file\ntimeout 60\nexpect Listening on port \\d+\nsend quit 3\n")
    result, process = run_json(*SERVER, "--script", str(script))
    assert process.returncode == 1  # exited, but not with 0
    (guest,) = result["guests"]
    assert guest["status"] == "exited" and guest["exit_code"] == 3
    assert guest["script"][0]["timeout"] == 60 and guest["script"][0]["matched"] == "Listening on port 8080"


def test_a_wrong_script_fails_the_step_that_did_not_match(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json(
        *SERVER, "--ready", "Listening on",
        "--expect", "Listening", "--send", "hello",
        "--expect", "no such line", "--send", "quit",
        "--step-timeout", "2", "--record", str(record),
    )  # fmt: skip
    assert process.returncode == 1
    (guest,) = result["guests"]
    assert guest["status"] == "failed"
    assert guest["crash"]["reason"] == "script step 2 (expect 'no such line' → send 'quit'): no match in 2 s"
    assert [step["outcome"] for step in guest["script"]] == ["matched, sent", "timeout"]
    assert guest["script"][1]["wait"] >= 2
    assert guest["ready"]["not_ready"] is None  # it was ready; the script failed later
    assert qemu_processes_mentioning(str(record)) == []


def test_a_guest_that_exits_before_its_ready_line_says_so(tmp_path: Path) -> None:
    result, process = run_json("-n", "2", "--ready", "Listening on", "--record", str(tmp_path / "rec"))
    assert process.returncode == 1  # asked to be ready, never was: not a clean end
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0
        assert guest["ready"]["not_ready"] == "not ready: exited first"
        assert "ready" not in phases(guest) and guest["times"]["ready"] is None
    assert result["summary"]["times"]["ready"] is None
    table = uktrace("replay", str(tmp_path / "rec"), "--speed", "0", "--headless")
    assert "not ready: exited first" in table.stdout


def test_ctrl_c_mid_script_leaves_nothing_behind(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    command = ["-m", "uktrace", "run", "--headless", "-n", "2", *SERVER, "--record", str(record)]
    process = subprocess.Popen(
        [sys.executable, *command, "--expect", "Listening", "--send", "hi", "--expect", "never printed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # both guests answered the first step: mid-script
        consoles = [path.read_bytes() for path in record.glob("guest-*/console.raw")]
        if len(consoles) == 2 and all(b"echo: hi" in console for console in consoles):
            break
        time.sleep(0.1)
    else:
        process.kill()
        raise AssertionError("the guests did not answer the first step")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert "interrupted by SIGINT; every QEMU stopped" in stderr
    assert qemu_processes_mentioning(str(record)) == []
    for name in ("guest-1", "guest-2"):
        meta = json.loads((record / name / "guest.json").read_text())
        assert meta["status"] == "stopped"
        assert [step["outcome"] for step in meta["script"]] == ["matched, sent", "stopped"]


def test_parse_times_the_ready_phase_of_a_saved_console(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    _, process = run_json(*SERVER, "--expect", "Listening", "--send", "quit", "--record", str(record))
    assert process.returncode == 0, process.stderr
    log = tmp_path / "saved.log"  # the console alone, as a user saves it
    log.write_bytes((record / "guest-1" / "console.raw").read_bytes())
    parsed = uktrace("parse", "--json", "--ready", "Listening on", str(log))
    assert parsed.returncode == 0, parsed.stderr
    (guest,) = json.loads(parsed.stdout)["guests"]
    ready = phases(guest)["ready"]
    assert ready["clock"] in GUEST_CLOCKS and ready["end"] - ready["start"] >= SERVE_MS / 1000
    assert ready["host"] == {"start": None, "end": None}  # a saved log has no host clock
    table = uktrace("parse", "--ready", "never", str(log))
    assert table.returncode == 1 and "not ready: exited first" in table.stdout
    # a recording's console.raw beside its chunks.tsv is read at the recorded arrival times
    in_place = uktrace("parse", "--json", "--ready", "Listening on", str(record / "guest-1" / "console.raw"))
    (recorded,) = json.loads(in_place.stdout)["guests"]
    assert phases(recorded)["ready"]["host"]["end"] is not None and recorded["guest_clock"]["fit"] is not None


KRAFTISH = """#!/bin/sh
# a kraft-style launcher: refuses to run unless stdin and stdout are a terminal
if [ ! -t 0 ] || [ ! -t 1 ]; then
    echo "kraftish: needs a terminal" >&2
    exit 1
fi
echo "kraftish: launching $1"
qemu-system-x86_64 -accel tcg -m 64M -display none -vga none -serial stdio -monitor none \\
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel {kernel} -append "uktrace.serve={serve}"
echo "kraftish: done"
"""
"""It forks its QEMU (not `exec`): the process group, not the launcher alone, must end with the guest."""


def kraftish(tmp_path: Path, serve_ms: int = SERVE_MS) -> str:
    launcher = tmp_path / "kraftish"
    launcher.write_text(KRAFTISH.format(kernel=TEST_GUEST, serve=serve_ms))
    launcher.chmod(0o755)
    return f"{launcher} {{name}}"


def test_a_launcher_that_needs_a_terminal_runs_with_tty(tmp_path: Path) -> None:
    command = kraftish(tmp_path)
    refused, process = run_json("--cmd", command, "--record", str(tmp_path / "plain"))
    assert process.returncode == 1
    assert "kraftish: needs a terminal" in refused["guests"][0]["crash"]["reason"]
    record = tmp_path / "rec"
    result, process = run_json(
        "-n", "2", "--cmd", command, "--tty", "--ready", "Listening on",
        "--expect", "Listening", "--send", "quit", "--record", str(record),
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    for guest in result["guests"]:
        assert guest["status"] == "exited" and guest["exit_code"] == 0, guest["crash"]
        assert guest["host"]["integrity"] == "ok"  # no `\r\n` translation: the guest's bytes
        assert phases(guest)["ready"]["clock"] in GUEST_CLOCKS
        assert guest["script"][0]["outcome"] == "matched, sent"
        console = (record / guest["name"] / "console.raw").read_bytes()
        assert console.startswith(f"kraftish: launching {guest['name']}\n".encode())
        assert console.rstrip().endswith(b"kraftish: done")  # the launcher's own bytes, after the guest's
    assert qemu_processes_mentioning(str(record)) == []


def test_a_tty_launchers_whole_group_ends_with_its_guest(tmp_path: Path) -> None:
    record = tmp_path / "rec"
    result, process = run_json(
        "--cmd", kraftish(tmp_path), "--tty", "--expect", "no such line", "--step-timeout", "3",
        "--record", str(record),
    )  # fmt: skip
    assert process.returncode == 1
    assert result["guests"][0]["crash"]["reason"].startswith("script step 1 (expect 'no such line')")
    assert qemu_processes_mentioning(str(record)) == []  # the QEMU the shell forked too
    assert "still run" not in process.stderr


def test_tty_without_cmd_is_refused() -> None:
    result = uktrace("run", "--tty")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "uktrace run: --tty is for --cmd launchers: uktrace's own QEMU already has its console on a terminal"
    )


def test_the_bench_reports_the_ready_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    process = uktrace(
        "bench", "--concurrency", "1,2", "--fs-mode", "shared", "--repeat", "1", "--cooldown", "0", *SERVER,
        "--ready", "Listening on", "--expect", "Listening", "--send", "quit", "--out", str(out), "--headless",
    )  # fmt: skip
    assert process.returncode == 0, process.stderr
    results = json.loads((out / "results.json").read_text())
    for cell in results["summary"]["cells"]:
        assert cell["statuses"] == {"exited": cell["concurrency"]}  # every guest left through its script
        ready = cell["figures"]["ready"]
        assert (
            ready["count"] == cell["concurrency"] and ready["clock"] in GUEST_CLOCKS and ready["p50"] >= SERVE_MS / 1000
        )
        assert cell["phases"]["ready"]["p50"] == ready["p50"]
    report = (out / "report.md").read_text()
    # on the guest clock, corrected where the host's load disturbed a guest's calibration (GUEST_CLOCKS)
    assert re.search(r"^\| 2 shared \| ready \| guest[^|]* \| 2 \|", report, re.MULTILINE)
    guest = r"\(guest(?: \((?:part )?corrected\))?\)"  # `(guest)`, `(guest (corrected))`
    assert re.search(rf"^\| ready \| .* {guest} \| .* {guest} \|$", report, re.MULTILINE)


def test_compare_calls_a_server_that_listens_later_slower_in_ready(tmp_path: Path) -> None:
    # The guest waits SERVE ms by its own clock: where the host's load disturbed its calibration
    # (every guest, on a busy host) it waits SERVE / rate, up to 3x longer, and the figures, corrected,
    # say so. 100 against 1,000 ms keeps the two runs apart whatever the rates: 100 against 400 did
    # not (a run's rates of 0.3-0.9 gave an interval starting at 0.207 s)
    inputs = []
    for serve_ms in (100, 1000):
        result, process = run_json(
            "-n", "6", "--append", f"uktrace.era=0.10 uktrace.serve={serve_ms}", "--ready", "Listening on",
            "--expect", "Listening", "--send", "quit",
        )  # fmt: skip
        assert process.returncode == 0, process.stderr
        path = tmp_path / f"serve-{serve_ms}.json"
        path.write_text(json.dumps(result))
        inputs.append(str(path))
    compared = uktrace("compare", *inputs, "--json")
    assert compared.returncode == 0, compared.stderr
    (cell,) = json.loads(compared.stdout)["comparisons"][0]["cells"]
    ready = next(metric for metric in cell["metrics"] if metric["metric"] == "ready")
    assert ready["clock"] in GUEST_CLOCKS and ready["n_a"] == ready["n_b"] == 6
    assert ready["verdict"] == "slower" and ready["ci95"][0] > 0.2  # 900 ms more busy-waiting, on its own clock
