"""The TUI's header says which accelerator `--accel auto` chose and why, as the run recorded it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.tui.conftest import RECORDINGS, SIZE, screen_text, settle, still
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.app import UktraceApp

pytestmark = pytest.mark.anyio
REASON = "auto: KVM had not run a probe guest after 1.0 s; TCG ran it in 0.20 s"


async def test_the_header_names_autos_choice_and_why(tmp_path: Path) -> None:
    recording = tmp_path / "crash-3"
    shutil.copytree(RECORDINGS / "crash-3", recording)
    for meta_path in recording.glob("guest-*/guest.json"):  # as a run with `--accel auto` records it
        meta = json.loads(meta_path.read_text())
        meta["host"]["accel_reason"] = REASON
        meta_path.write_text(json.dumps(meta))
    app = still(UktraceApp(ReplayFleet(recording, speed=0), title="uktrace replay", screenshot_dir=tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = " ".join(" ".join(screen_text(app).splitlines()[:4]).split())
    assert f"accelerator tcg ({REASON})" in header


async def test_no_accelerator_line_when_it_was_asked_for_by_name(tmp_path: Path) -> None:
    app = still(
        UktraceApp(ReplayFleet(RECORDINGS / "crash-3", speed=0), title="uktrace replay", screenshot_dir=tmp_path)
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "accelerator" not in " ".join(screen_text(app).splitlines()[:4])
