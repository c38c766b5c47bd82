"""The header says what uktrace took from the guests while they booted: a replay, as recorded."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from tests.conftest import RECORDINGS
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.widgets.header import FleetHeader

BOOTING = {"window_s": 1.2, "cpu_s": 0.08, "cpus": 2, "share": 0.0337, "wait_per_wake_s": None, "wakeups_per_s": 250.0}


def details(directory: Path) -> list[str]:
    fleet = ReplayFleet(directory, speed=0)
    return FleetHeader(fleet, time.monotonic_ns, "replay").details(time.monotonic_ns())


def test_a_replay_names_the_recorded_share_and_nothing_when_not_recorded(tmp_path: Path) -> None:
    shutil.copytree(RECORDINGS / "crash-3", tmp_path / "rec")
    assert not any(item.startswith("uktrace ") for item in details(tmp_path / "rec"))  # recorded before it was kept
    session = json.loads((tmp_path / "rec" / "session.json").read_text())
    (tmp_path / "rec" / "session.json").write_text(json.dumps(session | {"tracer": BOOTING}))
    assert "uktrace 3.4 % CPU (recorded)" in details(tmp_path / "rec")
