"""Unobserved runs, the observer check's yardstick: QEMU writes each console into a pipe nobody
reads as it comes (emptied into a file on a timer); the consoles parse afterwards into the same
in-guest phases, every byte there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import qemu_processes_mentioning
from uktrace.launch.options import RunOptions, prepare
from uktrace.launch.unobserved import run_unobserved
from uktrace.model.integrity import check_integrity
from uktrace.recording.logs import trace_log

pytestmark = pytest.mark.anyio


async def test_consoles_go_to_files_and_parse_into_complete_timelines(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=2, append="uktrace.era=0.10 uktrace.fault=flood=256"))
    try:
        guests = await run_unobserved(specs, tmp_path / "cell")
    finally:
        shares.cleanup()
    assert [guest.name for guest in guests] == ["guest-1", "guest-2"]
    for guest in guests:
        assert guest.error is None and guest.total_s is not None and guest.total_s > 0
        assert guest.console == tmp_path / "cell" / guest.name / "console.raw"
        timeline = trace_log(guest.console, name=guest.name)
        assert timeline.status.value == "exited" and timeline.exit_code == 0
        names = [phase.name for phase in timeline.phases()]
        assert names[0] == "platform_entry" and "main" in names and names[-1] == "exit"
        assert {phase.clock for phase in timeline.phases()} == {"guest"}
        # 256 KiB in main, at full speed: every byte reached the file (the guest's integrity line)
        assert check_integrity(guest.console.read_bytes()) == "ok"
    assert qemu_processes_mentioning(str(tmp_path / "cell")) == []


async def test_a_guest_that_never_ends_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    specs, shares = prepare(RunOptions(count=1, append="uktrace.era=0.10 uktrace.fault=hang"))
    try:
        (guest,) = await run_unobserved(specs, tmp_path / "cell", timeout=3)
    finally:
        shares.cleanup()
    assert guest.error == "no exit after 3 s" and guest.exit_ns is not None
    assert qemu_processes_mentioning(str(tmp_path / "cell")) == []
