"""The home screen's launch form over real QEMU guests (the project's test guest, TCG): the run
shows live in the same app, `h` comes back home, and the new run is listed at once."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import anyio
import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from tests.tui.conftest import RECORDINGS, StaticFleet, screen_text, still
from uktrace.kernel.find import TEST_GUEST
from uktrace.launch.fleet import Fleet
from uktrace.model.timeline import Status
from uktrace.recording.inventory import list_recordings
from uktrace.recording.record import recordings_base
from uktrace.recording.replay import ReplayFleet
from uktrace.tui.cli import launch
from uktrace.tui.home_app import HomeApp
from uktrace.tui.launch_line import Launched, RunMade
from uktrace.tui.screens.confirm import Confirm
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.home import HomeScreen
from uktrace.tui.screens.launch_form import ORDER, LaunchForm
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


def field(form: LaunchForm, name: str) -> Widget:
    return form.query_one(f"#{name}")


def error_beside(form: LaunchForm, name: str) -> str:
    """The error shown beside field `name`, checked to be on the field's own line, right of it."""
    label, widget = form.query_one(f"#error-{name}", Label), field(form, name)
    assert label.region.y == widget.region.y and label.region.x >= widget.region.right
    return str(label.render())


async def test_the_form_starts_on_the_first_field_and_tab_visits_every_field_in_order(
    tmpdir_env: Path, tmp_path: Path
) -> None:
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        visited = []
        for _ in range(len(ORDER) + 2):
            assert app.focused is not None
            visited.append(app.focused.id)
            await pilot.press("tab")
        assert visited == [*ORDER, "cancel", "launch"]
        assert app.focused is field(form, "mode")  # round again
        drawn = sorted(ORDER, key=lambda name: (field(form, name).region.y, field(form, name).region.x))
        assert drawn == list(ORDER)  # the order on screen is the order Tab goes


async def test_a_path_typed_after_two_tabs_is_the_kernel(tmpdir_env: Path, tmp_path: Path) -> None:
    kernel = Path("app_qemu-x86_64")  # relative to the repository (none there): typed key by key, short
    assert not kernel.exists()
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        await pilot.press("tab", "tab", *str(kernel))
        assert form.current().kernel == str(kernel) and form.current().timeout == "60"
        assert error_beside(form, "kernel-path") == ""  # a path half typed is not called missing
        await pilot.press("tab")  # left: checked now
        assert error_beside(form, "kernel-path") == f"{kernel}: no such kernel file or kraft project directory"
        await pilot.press("shift+tab", "end", "backspace")
        assert error_beside(form, "kernel-path").startswith(f"{str(kernel)[:-1]}: no such kernel file")  # still wrong
        await pilot.press("ctrl+u")
        assert error_beside(form, "kernel-path") == ""  # emptied (the kernel picked above): right at once
        await pilot.press(*"tests", "tab")  # a directory, but no kraft project
        assert error_beside(form, "kernel-path").startswith("tests: no built x86_64 QEMU kernel in this directory")


async def test_a_bad_value_is_said_beside_its_field_as_it_is_typed(tmpdir_env: Path, tmp_path: Path) -> None:
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#timeout", Input).focus()
        await pilot.press("end", "backspace", "backspace", "-")
        assert error_beside(form, "timeout") == "--timeout -: must be a positive number of seconds"
        assert field(form, "timeout").has_class("-invalid")
        await pilot.press("5")
        assert error_beside(form, "timeout") == "--timeout -5: must be a positive number of seconds"
        await pilot.press("home", "delete")
        assert error_beside(form, "timeout") == ""
        await pilot.pause(0.1)
        assert "--timeout -5" not in screen_text(app)
        # a bench's guests are a list: what run refuses, bench takes, and back
        form.query_one("#guests", Input).focus()
        await pilot.press("end", ",", "4")
        assert error_beside(form, "guests") == "-n 1,4: not a whole number"
        form.query_one("#mode", Select).value = "bench"
        await pilot.pause()
        assert error_beside(form, "guests") == ""
        assert str(form.query_one("#label-guests", Label).render()) == "concurrency"


async def test_enter_with_a_bad_field_launches_nothing_and_puts_the_cursor_there(
    tmpdir_env: Path, tmp_path: Path
) -> None:
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        await pilot.press("tab", "tab", "tab", "end", "backspace", *"two")  # guests
        await pilot.press("tab", "tab", "end", "backspace", "backspace", *"-1")  # timeout
        form.query_one("#more", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is form and app.run_screen is None
        assert app.focused is field(form, "guests")  # the first wrong field, not the first field
        assert error_beside(form, "guests") == "-n two: not a whole number"
        assert error_beside(form, "timeout") == "--timeout -1: must be a positive number of seconds"
        await pilot.press("ctrl+u", "2", "enter")
        await pilot.pause()
        assert app.focused is field(form, "timeout")  # the next one still wrong
        assert app.screen is form and app.run_screen is None
        await pilot.pause(0.2)
        assert "-n two: not a whole number" not in screen_text(app)
        assert "--timeout -1: must be a positive" in screen_text(app)  # (wrapped beside it)
    assert not list_recordings(recordings_base()).recordings  # nothing was started, nothing recorded


async def test_a_mistake_only_the_whole_line_shows_is_said_in_the_form(tmpdir_env: Path, tmp_path: Path) -> None:
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#more", Input).focus()
        await pilot.press(*"--no-such-option", "enter")
        await until(pilot, lambda: isinstance(app.screen, LaunchForm) and bool(app.screen.problem))
        assert "unrecognized arguments: --no-such-option" in str(app.screen.problem)
        await pilot.pause(0.2)
        assert "unrecognized arguments" in screen_text(app)
        assert app.run_screen is None
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
    app = still(HomeApp(launch, where=tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_form(pilot)
        await pilot.press("tab", "tab", "tab", "end", "backspace", "2")  # guests: 2
        app.screen.query_one("#append").focus()
        await pilot.press(*"uktrace.era=0.17")
        await pilot.pause(0.2)
        line = "uktrace run -n 2 --append uktrace.era=0.17"
        assert f"$ {line}" in screen_text(app)  # the same from a shell
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen))
        assert app.run_screen is not None
        fleet = app.run_screen.fleet
        assert isinstance(fleet, Fleet) and app.title == line

        await until(pilot, lambda: all(g.timeline.status.finished and not g.running for g in fleet.guests))
        await pilot.pause(0.2)
        assert app.screen.query_one(FleetTable).redraws >= 2  # drawn as it went, by the app's live timer
        assert {g.timeline.status for g in fleet.guests} == {Status.EXITED}
        assert app.screen_stack[-1].name == "fleet"  # the run stays in view until the user goes home
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.run_screen is None)
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


class EndingRun(StaticFleet):
    """A run that ends by itself as soon as it runs, as the engine's does when a signal cancels it
    (`signum`), or as a run without keep-alive does (None)."""

    def __init__(self, like: ReplayFleet, signum: int | None) -> None:
        super().__init__(like.guests, like)
        self.signum = signum

    async def run(self, keep_alive: bool = False) -> None:
        self.interrupted_by = self.signum


async def launched_at_home(tmp_path: Path, signum: int | None) -> tuple[HomeApp, list[list[str]]]:
    """A home app whose launcher makes an EndingRun, and the command lines it was given; cleaned up
    runs are noted as `["cleanup"]`."""
    like = ReplayFleet(RECORDINGS / "crash-3", speed=0)
    await like.run()
    asked: list[list[str]] = []

    def launcher(argv: list[str]) -> Launched:
        asked.append(argv)
        return RunMade(EndingRun(like, signum), lambda: asked.append(["cleanup"]))

    return still(HomeApp(launcher, where=tmp_path)), asked


async def test_a_run_opened_at_home_that_ends_by_itself_comes_home_cleaned_up(tmpdir_env: Path, tmp_path: Path) -> None:
    app, asked = await launched_at_home(tmp_path, None)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#more", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: asked == [["run"], ["cleanup"]], 10)
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.run_screen is None, 10)
        assert app.return_code is None  # still home, not ended


async def test_a_signal_that_ends_a_run_opened_at_home_ends_the_app_with_its_status(
    tmpdir_env: Path, tmp_path: Path
) -> None:
    app, asked = await launched_at_home(tmp_path, signal.SIGTERM)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#more", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.return_code is not None, 10)
    assert app.return_code == 128 + signal.SIGTERM
    assert asked == [["run"]] and app.cleanup is not None  # owed: the console script runs it on the way out
