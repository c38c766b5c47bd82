"""A guest whose VMM exited while something else kept its console open: the run waits for the
console's end until the timeout, and says so (`Guest.held`) instead of losing the wait in the run's
length; the guest's own figures and uktrace's booting window are not stretched by it."""

from __future__ import annotations

import shlex
from pathlib import Path

from .conftest import qemu_processes_mentioning, run_json, uktrace

LOG = Path(__file__).resolve().parents[1] / "data" / "logs" / "001-v0.5-kvm-x86-helloworld-fulldebug.log"


def test_a_console_held_open_after_the_exit_is_said_and_stretches_nothing(tmp_path: Path) -> None:
    launcher = tmp_path / "launcher.sh"
    # the launcher prints a whole boot and exits; a child it leaves behind keeps the console open
    launcher.write_text(f"#!/bin/sh\ncat {shlex.quote(str(LOG))}\nsleep 30 &\nexit 0\n")
    launcher.chmod(0o755)
    record = tmp_path / "rec"
    result, _ = run_json("--cmd", str(launcher), "--timeout", "3", "--record", str(record))
    (guest,) = result["guests"]
    assert guest["status"] == "exited", guest["crash"]
    held = guest["host"]["held"]
    assert held is not None and held.startswith("the console's end, "), held
    assert 2.0 <= float(held.split(", ")[1].split(" s ")[0]) <= 3.5
    assert guest["times"]["total"] < 2.0  # the guest's own end, not the wait after it
    assert result["summary"]["tracer"]["booting"]["window_s"] < 2.0
    assert qemu_processes_mentioning(str(record)) == []  # the child that held it is gone too
    # the tables' footer says it, from the recording as live (a second held run cost 4.5 s more)
    shown = uktrace("replay", str(record), "--headless", "--speed", "0")
    assert "guest-1: uktrace waited until the timeout for the console's end, " in shown.stdout + shown.stderr
