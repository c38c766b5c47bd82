"""Unobserved runs, the observer check's yardstick: QEMU writes each console into a pipe nobody
reads as it comes (emptied into a file on a timer); the consoles parse afterwards into the same
in-guest phases, every byte there."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import qemu_processes_mentioning
from uktrace.launch.options import RunOptions, prepare
from uktrace.launch.unobserved import Unobserved, run_unobserved
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
        # `total` as a traced run's: the wait at the start gate left out
        assert guest.spawn_ns is not None and guest.exit_ns is not None
        assert guest.spawn_ns <= guest.ready_ns <= guest.released_ns <= guest.exit_ns  # type: ignore[operator]
        waited = guest.released_ns - guest.ready_ns  # type: ignore[operator]
        assert guest.total_s == (guest.exit_ns - guest.spawn_ns - waited) / 1e9
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


def test_total_leaves_the_gate_wait_out() -> None:
    gated = Unobserved("g", Path("c"), spawn_ns=0, ready_ns=100, released_ns=600, exit_ns=1_000)
    assert gated.total_s == 500 / 1e9
    assert Unobserved("g", Path("c"), spawn_ns=0, exit_ns=1_000).total_s == 1_000 / 1e9  # no gate
    assert Unobserved("g", Path("c"), spawn_ns=0, ready_ns=100, exit_ns=1_000).total_s == 100 / 1e9  # never let go
