"""The home screen's launch form over real QEMU guests (the project's test guest, TCG): the run
shows live in the same app, `h` comes back home, and the new run is listed at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from textual.pilot import Pilot

from tests.tui.conftest import RECORDINGS, screen_text, still
from uktrace.kernel.find import TEST_GUEST
from uktrace.launch.fleet import Fleet
from uktrace.model.timeline import Status
from uktrace.recording.inventory import list_recordings
from uktrace.recording.record import recordings_base
from uktrace.tui.home_app import NO_RUN, HomeApp
from uktrace.tui.screens.confirm import Confirm
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.home import HomeScreen
from uktrace.tui.screens.launch_form import LaunchForm
from uktrace.tui.widgets.fleet_table import FleetTable
from uktrace.tui.widgets.run_list import RunList

pytestmark = pytest.mark.anyio


async def until(pilot: Pilot[Any], condition: Any, seconds: float = 60) -> None:
    with anyio.fail_after(seconds):
        while not condition():
            await pilot.pause(0.05)


async def open_form(pilot: Pilot[Any]) -> LaunchForm:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen.kernels is not None)
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, LaunchForm))
    form = app.screen
    assert isinstance(form, LaunchForm)
    await pilot.pause()
    return form


async def test_a_mistake_in_the_form_is_said_in_the_form(tmpdir_env: Path, tmp_path: Path) -> None:
    app = still(HomeApp(where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_form(pilot)
        await pilot.press("end", "backspace", *"two", "enter")
        await until(pilot, lambda: isinstance(app.screen, LaunchForm) and bool(app.screen.problem))
        assert "invalid int value: 'two'" in str(app.screen.problem)
        await pilot.pause(0.2)
        assert "invalid int value" in screen_text(app)
        assert app.fleet is NO_RUN
    assert not list_recordings(recordings_base()).recordings  # nothing was started, nothing recorded


@pytest.mark.qemu
@pytest.mark.skipif(
    shutil.which("qemu-system-x86_64") is None or not TEST_GUEST.is_file(),
    reason="needs qemu-system-x86_64 and the built test guest (make test does both)",
)
async def test_a_run_launched_from_the_form_shows_live_then_is_listed_at_home(tmpdir_env: Path, tmp_path: Path) -> None:
    older = recordings_base() / "crash-3"  # a run from before: the new one goes above it
    shutil.copytree(RECORDINGS / "crash-3", older)
    older.parent.chmod(0o700)
    app = still(HomeApp(where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_form(pilot)
        await pilot.press("end", "backspace", "2")  # guests: 2
        app.screen.query_one("#append").focus()
        await pilot.press(*"uktrace.era=0.17")
        await pilot.pause(0.2)
        line = "uktrace run -n 2 --append uktrace.era=0.17"
        assert f"$ {line}" in screen_text(app)  # the same from a shell
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen))
        fleet = app.fleet
        assert isinstance(fleet, Fleet) and app.title == line

        await until(pilot, lambda: all(g.timeline.status.finished and not g.running for g in fleet.guests))
        await pilot.pause(0.2)
        assert app.screen.query_one(FleetTable).redraws >= 2  # drawn as it went, by the app's live timer
        assert {g.timeline.status for g in fleet.guests} == {Status.EXITED}
        assert app.screen_stack[-1].name == "fleet"  # the run stays in view until the user goes home
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.fleet is NO_RUN)
        runs = app.screen.query_one(RunList)
        await until(pilot, lambda: len(runs.digests) == len(runs.recordings) == 2, 20)
        recording, before = runs.recordings
        session = json.loads((recording.path / "session.json").read_text())
        assert session["command"] == line.split()  # what the form showed is what the recording names
        assert before.path == older
        assert runs.current == recording  # the cursor on the run just left
        assert recording.path == fleet.record_dir and dict(recording.statuses) == {"exited": 2}
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "2 exited" in text and recording.path.name[:16] in text
        # made by this very process, whose pid lives on: once home, its run is over and it may go
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await until(pilot, lambda: not recording.path.exists(), 10)
        assert [r.path for r in runs.recordings] == [older]
    assert all(g.timeline.exit_code == 0 for g in fleet.guests)
    assert not any(g.running for g in fleet.guests)
