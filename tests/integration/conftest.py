"""Real QEMU, real test guest: helpers to run `uktrace` as a user would and inspect what is left."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import uktrace
from uktrace.kernel.find import TEST_GUEST

if shutil.which("qemu-system-x86_64") is None or not TEST_GUEST.is_file():
    pytest.skip("needs qemu-system-x86_64 and the built test guest (make test does both)", allow_module_level=True)


GUEST_CLOCKS = ("guest", "guest (corrected)", "guest (part corrected)")
"""The guest clock's labels: a guest whose TSC calibration the host's load disturbed has its clock's
figures divided by its rate (`uktrace.model.clock_rate`), which on a busy host happens at random."""


def run_json(*args: str, timeout: float = 300) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
    result = uktrace("run", "--json", *args, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout), result


def qemu_processes_mentioning(text: str) -> list[int]:
    """PIDs of live processes a run started (their environment's UKTRACE_RECORDING contains
    `text`, e.g. the recording directory), or QEMUs whose command line mentions it."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        marker = next((v.decode(errors="replace") for v in environ if v.startswith(b"UKTRACE_RECORDING=")), "")
        if state != "Z" and (text in marker or (text in cmdline and "qemu" in cmdline)):
            pids.append(int(entry.name))
    return pids


@pytest.fixture
def share(tmp_path: Path) -> Path:
    directory = tmp_path / "share"
    directory.mkdir()
    (directory / "hello.txt").write_text("Hello from the 9P share!\n")
    return directory
