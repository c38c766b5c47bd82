"""The header says what uktrace took from the guests while they booted: a replay, as recorded."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tests.conftest import RECORDINGS, say_in_session, tracer_booting
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.widgets.header import FleetHeader


def details(directory: Path) -> list[str]:
    fleet = ReplayFleet(directory, speed=0)
    return FleetHeader(fleet, time.monotonic_ns, "replay").details(time.monotonic_ns())


def test_a_replay_names_the_recorded_share_and_nothing_when_not_recorded(tmp_path: Path) -> None:
    shutil.copytree(RECORDINGS / "crash-3", tmp_path / "rec")
    assert not any(item.startswith("uktrace ") for item in details(tmp_path / "rec"))  # recorded before it was kept
    say_in_session(tmp_path / "rec", tracer=tracer_booting(0.0337))
    assert "uktrace 3.4 % CPU (recorded)" in details(tmp_path / "rec")
