"""`uktrace parse`: tables, JSON, and clear errors for bad paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import log, uktrace
from uktrace.cli.main import main


def test_json_shape() -> None:
    result = uktrace("parse", "--json", str(log("001")), str(log("016")))
    assert result.returncode == 1, result.stderr  # 016 crashed
    guests = json.loads(result.stdout)["guests"]
    assert [g["status"] for g in guests] == ["exited", "crashed"]
    first = guests[0]
    assert set(first) == {
        "name",
        "source",
        "unikraft",
        "status",
        "exit_code",
        "crash",
        "phases",
        "guest_clock",
        "calls",
        "lines",
        "unrecognised",
        "ready",
        "times",
    }
    assert first["unikraft"] == {"version": "0.5.0", "codename": "Tethys", "sha": "b8be82b-custom"}
    assert first["phases"][3] == {
        "name": "subsystems",
        "parent": None,
        "start": 0.0,
        "end": 0.101047,
        "bound": False,
        "clock": "guest",
        "guest": {"start": 0.0, "end": 0.101047},
        "host": {"start": None, "end": None},
    }
    assert guests[1]["crash"]["reason"].startswith("Cannot handle write page fault")


def test_standard_input() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "uktrace", "parse", "--json", "-"],
        input=log("016").read_bytes(),
        capture_output=True,
        timeout=60,
    )
    (guest,) = json.loads(result.stdout)["guests"]
    assert (guest["name"], guest["status"], guest["unikraft"]["codename"]) == ("stdin", "crashed", "Calypso")
    assert result.returncode == 1  # `kraft run ... | uktrace parse -` fails the pipeline


def test_exit_status_says_whether_every_log_ended_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    """0 only when every guest exited with code 0, as `uktrace run` counts; 2 for an unreadable log."""
    cases = {
        ("001",): 0,  # exited (0)
        ("016",): 1,  # crashed: write page fault
        ("003",): 1,  # failed: rootfs mount failure
        ("019",): 1,  # running: no exit seen
        ("006",): 1,  # booting: the log was cut short
        ("001", "016"): 1,
    }
    for numbers, expected in cases.items():  # in this process: main's status is the process's (`__main__`)
        assert main(["parse", *(str(log(n)) for n in numbers)]) == expected, numbers
    assert uktrace("parse", str(log("001")), str(log("016"))).returncode == 1  # and as a process
    assert uktrace("parse", str(log("016")), "/nonexistent.log").returncode == 2
    assert "when one did not end cleanly" in " ".join(uktrace("parse", "--help").stdout.split())


def test_table_output() -> None:
    result = uktrace("parse", str(log("001")))
    assert result.returncode == 0
    assert "Unikraft Tethys 0.5.0~b8be82b-custom" in result.stdout
    assert "subsystems" in result.stdout and "101.0 ms" in result.stdout
    assert "status: exited (0)" in result.stdout


def test_missing_and_unreadable_files_are_clear_errors_and_others_still_parse(tmp_path: Path) -> None:
    result = uktrace("parse", "--json", str(tmp_path / "nope.log"), str(tmp_path), str(log("001")))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "nope.log: no such file" in result.stderr
    assert "is a directory" in result.stderr
    assert [g["status"] for g in json.loads(result.stdout)["guests"]] == ["exited"]
