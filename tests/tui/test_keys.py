"""Every key a user expects, driven with Pilot over deterministic replays of real recordings."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from textual.notifications import SeverityLevel
from textual.widget import Widget
from textual.widgets import Input

from tests.tui.conftest import (
    RECORDINGS,
    SIZE,
    FakeProcess,
    RecordingFleet,
    many_guests,
    replay_app,
    screen_text,
    settle,
    still,
)
from uktrace.analysis.figures import elapsed
from uktrace.launch.fleet import Fleet
from uktrace.model.console_tail import ConsoleTail
from uktrace.model.guest import FleetView, Stall
from uktrace.model.timeline import Status
from uktrace.tui.app import UktraceApp
from uktrace.tui.screens.fleet import FleetScreen
from uktrace.tui.screens.guest import GuestScreen
from uktrace.tui.screens.help import HelpScreen
from uktrace.tui.screens.sort import SortPicker
from uktrace.tui.screens.summary import SummaryScreen
from uktrace.tui.screenshot import save_svg, screenshot_dirs
from uktrace.tui.widgets.console_view import ConsoleView
from uktrace.tui.widgets.fleet_table import HEADER, FleetTable, SortOrder
from uktrace.tui.widgets.footer import KeyFooter

pytestmark = pytest.mark.anyio


def names(app: UktraceApp) -> list[str]:
    return [guest.name for guest in app.screen.query_one(FleetTable).rows]


def fleet_of(app: UktraceApp) -> RecordingFleet:
    assert isinstance(app.fleet, RecordingFleet)
    return app.fleet


async def wait_for_exit(app: UktraceApp) -> None:
    with anyio.fail_after(10):
        while app.return_code is None:
            await anyio.sleep(0.01)


async def test_filter_narrows_rows_and_escape_clears_it() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(names(app)) == 8
        await pilot.press("slash", *"guest-3")
        assert names(app) == ["guest-3"]
        await pilot.press("enter")  # keeps the filter, back to the table
        assert names(app) == ["guest-3"]
        assert app.focused is app.screen.query_one(FleetTable)
        await pilot.press("escape")
        assert len(names(app)) == 8
        assert not app.screen.query_one("#filter", Input).has_class("-shown")


async def test_a_status_name_filters_by_status() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"crashed")
        assert names(app) == ["guest-1", "guest-2", "guest-3"]
        await pilot.press(*" guest-2")
        assert names(app) == ["guest-2"]
        app.screen.query_one("#filter", Input).value = "exited"
        await pilot.pause()
        assert names(app) == []
        assert "no guest matches 'exited'" in screen_text(app)


async def test_sort_picker_changes_the_order_and_again_reverses_it() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert names(app) == [f"guest-{n}" for n in range(1, 9)]
        await pilot.press("s")
        assert isinstance(app.screen, SortPicker)
        await pilot.press("down", "down", "enter")  # name, status, total
        table = app.screen.query_one(FleetTable)
        assert table.order == SortOrder("total", descending=True)
        now = app.run_view.clock()
        totals = [elapsed(g, now) or 0.0 for g in table.rows]
        assert totals == sorted(totals, reverse=True)
        assert names(app)[:2] == ["guest-4", "guest-8"]  # totals 1.219 s, 1.209 s (the gate wait left out)
        await pilot.press("s", "enter")  # the current key again: ascending
        assert table.order == SortOrder("total", descending=False)
        assert names(app)[0] == "guest-5"  # 1.035 s


async def test_sorting_by_a_phase_shows_its_duration() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one(FleetTable).set_order(SortOrder("mount", descending=True))
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        mounts = [table.phase_seconds(g, "mount") for g in table.rows]
        assert mounts == sorted(mounts, reverse=True)  # type: ignore[type-var]
        assert "mount ▼" in screen_text(app)


async def test_escape_in_the_sort_picker_keeps_the_order() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s", "down", "escape")
        assert isinstance(app.screen, FleetScreen)
        assert app.screen.query_one(FleetTable).order == SortOrder()


async def test_enter_opens_the_guest_view_and_escape_returns() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        assert isinstance(app.screen, GuestScreen)
        assert app.screen.guest.name == "guest-3"
        text = screen_text(app)
        assert "guest-3  exited (0)" in text
        assert "9p_handshake" in text
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)
        assert app.screen.query_one(FleetTable).guest is fleet_of(app).guest("guest-3")


async def test_f_toggles_follow() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        console = app.screen.query_one(ConsoleView)
        assert console.follow and console.scroll_y == console.max_scroll_y > 0
        await pilot.press("f")
        assert not console.follow
        await pilot.press("home")
        assert console.scroll_y == 0
        await pilot.press("f")
        await pilot.pause()
        assert console.follow and console.scroll_y == console.max_scroll_y


async def test_search_highlights_and_steps_through_hits() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "slash", *"crit")
        console = app.screen.query_one(ConsoleView)
        top = round(console.scroll_y)  # the search starts from the first line in view
        await pilot.press("enter")
        hits = [i for i, record in enumerate(console.records) if "crit" in record.text.lower()]
        assert console.matches == hits and len(hits) > 2
        first = next((i for i, hit in enumerate(hits) if hit >= top), 0)
        assert console.current_match == hits[first] and not console.follow
        await pilot.press("n", "n")
        assert console.current_match == hits[(first + 2) % len(hits)]
        await pilot.press("N")
        assert console.current_match == hits[(first + 1) % len(hits)]
        assert f"{len(hits)} hits" in screen_text(app)
        await pilot.press("escape")  # clears the search and closes the prompt
        assert console.search == "" and console.matches == []


async def test_b_shows_raw_bytes_escaped() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "b")
        assert app.screen.query_one(ConsoleView).raw
        assert "Hello world!\\n" in screen_text(app)


async def test_x_stops_the_guest_under_the_cursor() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fleet = fleet_of(app)
        await pilot.press("x")  # guest-1 is over: nothing to stop
        assert fleet.stopped_guests == []
        running = fleet.guest("guest-2")
        running.process = FakeProcess()  # type: ignore[assignment]
        await pilot.press("down", "x")
        assert fleet.stopped_guests == [running]
        await pilot.press("enter", "x")  # and from the guest view
        assert fleet.stopped_guests == [running, running]


async def test_r_relaunches_a_finished_guest() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "r")
        fleet = fleet_of(app)
        assert fleet.relaunched == [fleet.guest("guest-3")]


async def test_typing_reaches_the_guest_console() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        process = FakeProcess()
        fleet_of(app).guest("guest-1").process = process  # type: ignore[assignment]
        await pilot.press("enter", "i", *"ls /", "enter", *"q?", "enter")
        assert process.written == [b"ls /\r", b"q?\r"]
        assert app.return_code is None  # `q` typed into the guest did not quit
        await pilot.press("escape")
        assert isinstance(app.screen, GuestScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_typing_into_a_guest_that_is_not_running_is_refused() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "i")
        assert not app.screen.query_one("#type", Input).has_class("-shown")


async def test_question_mark_opens_help() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "relaunch a finished guest" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, FleetScreen)


async def test_tab_and_numbers_switch_views() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("end")
        assert "crashed: Unhandled Trap 0 (divide error)" in screen_text(app)
        await pilot.press("1")
        assert isinstance(app.screen, FleetScreen)
        await pilot.press("enter", "2")
        assert isinstance(app.screen, SummaryScreen)
        assert len(app.screen_stack) == 3  # default, fleet, summary: views never pile up
        await pilot.press("tab")
        assert isinstance(app.screen, FleetScreen)


async def test_ctrl_s_saves_an_svg(tmp_path: Path) -> None:
    app = replay_app("shared-8", tmp_path / "shots")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.press("enter", "ctrl+s")
        shots = sorted((tmp_path / "shots").glob("*.svg"))
        assert [p.name.split("-")[1] for p in shots] == ["fleet", "guest"]
        assert all(p.read_text().startswith("<svg") for p in shots)


class Noted(UktraceApp):
    """The app, keeping every notification's message as given to `notify` (Textual's own list is private)."""

    def __init__(self, fleet: FleetView, **kwargs: Any) -> None:
        super().__init__(fleet, **kwargs)
        self.toasts: list[str] = []

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        self.toasts.append(message)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)


async def test_ctrl_s_in_a_replay_saves_per_user_never_into_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = tmp_path / "rec"
    shutil.copytree(RECORDINGS / "crash-3", recording)
    before = sorted(path.relative_to(recording) for path in recording.rglob("*"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    app = still(Noted(RecordingFleet(recording), title="uktrace replay rec"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        (shot,) = (tmp_path / "data" / "uktrace" / "screenshots").glob("*.svg")
        assert shot.read_text().startswith("<svg") and not list(Path("screenshots").glob("uktrace-*.svg"))
        assert app.toasts == [f"screenshot saved to {shot}"] and shot.is_absolute()
    assert sorted(path.relative_to(recording) for path in recording.rglob("*")) == before


def test_a_live_runs_screenshots_go_with_its_recording_else_per_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    fleet = Fleet([], record_dir=tmp_path / "rec")
    directories = screenshot_dirs(fleet)
    assert directories == [tmp_path / "rec" / "screenshots", tmp_path / "data" / "uktrace" / "screenshots"]
    (tmp_path / "rec").mkdir()
    (tmp_path / "rec" / "screenshots").write_text("in the way\n")  # the recording cannot take it
    path, problems = save_svg("<svg/>", "shot.svg", directories)
    assert path == tmp_path / "data" / "uktrace" / "screenshots" / "shot.svg" and path.read_text() == "<svg/>"
    assert len(problems) == 1 and problems[0].startswith(str(tmp_path / "rec" / "screenshots"))


async def test_q_stops_the_fleet_and_waits_for_the_run() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_for_exit(app)
        assert fleet_of(app).stopped == 1
        assert app.run_view.over


async def test_ctrl_c_stops_the_fleet_like_q() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await wait_for_exit(app)
        assert fleet_of(app).stop_reasons == ["run stopped by the user"]
        assert app.run_view.over


async def test_an_engine_error_is_shown_not_raised() -> None:
    class Broken(RecordingFleet):
        async def run(self, keep_alive: bool = False) -> None:
            raise RuntimeError("the engine broke")

    app = still(UktraceApp(Broken(RECORDINGS / "crash-3"), title="broken"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        assert any("the engine broke" in error for error in app.errors)
        assert "the engine broke" in screen_text(app)
        await pilot.press("q")
        await wait_for_exit(app)


async def test_a_large_fleet_renders_only_the_rows_in_view_and_scrolls() -> None:
    fleet = await many_guests("crash-3", 160)
    app = still(UktraceApp(fleet, title="160 guests"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        visible = table.scrollable_content_region.height - HEADER  # the caption and the column titles
        assert len(table.rows) == 160 and visible < 40
        assert table.redraws <= 2 * visible  # the Line API: rows out of view are never drawn
        await pilot.press("end")
        assert table.cursor == 159 and round(table.scroll_y) == 160 - visible
        assert "guest-160" in screen_text(app) and "guest-001" not in screen_text(app)
        await pilot.press("pageup", "slash", *"guest-15", "enter")
        assert [g.name for g in table.rows] == [f"guest-15{n}" for n in range(10)]


async def test_a_quiet_running_guest_is_marked_stalled_in_its_row_and_its_view() -> None:
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        quiet = fleet_of(app).guest("guest-1")
        quiet.process = FakeProcess()  # type: ignore[assignment]
        quiet.exit_ns = None
        quiet.timeline.status = Status.RUNNING
        quiet.last_output_ns = app.run_view.clock() - 10_000_000_000  # printed, then nothing for 10 s
        quiet.stall = Stall(0.99, "R")
        quiet.changes += 1
        app.tick()
        await pilot.pause()
        row = next(line for line in screen_text(app).splitlines() if line.startswith("guest-1 "))
        assert "stalled" in row and "no output for 10 s" in row
        await pilot.press("enter")
        assert "no output for 10 s; QEMU busy (99 % CPU): the guest runs and prints nothing" in screen_text(app)


async def test_search_hits_follow_their_lines_when_the_oldest_lines_go() -> None:
    app = replay_app("crash-3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter", "slash", *"crit", "enter")
        console = app.screen.query_one(ConsoleView)
        guest = console.guest
        hits = [console.records[i].seq for i in console.matches]
        kept = ConsoleTail(len(guest.records))  # full: each new line pushes the oldest out
        kept.extend(guest.records)
        guest.records = kept
        last = guest.records[-1]
        more = [last._replace(seq=last.seq + n, text=f"crit {n}", raw=b"crit\n") for n in (1, 2, 3)]
        guest.records.extend(more)
        guest.changes += 1
        console.tick()
        assert [r.seq for r in console.records] == [r.seq for r in guest.records]
        assert [console.records[i].seq for i in console.matches] == [s for s in hits if s > 2] + [m.seq for m in more]
        assert all("crit" in console.records[i].text.lower() for i in console.matches)


def footer_keys(app: UktraceApp) -> list[Widget]:
    """The key widgets of the footer in view (Textual's FooterKey, by its type's name: its module is private)."""
    return list(app.screen.query_one(KeyFooter).query("FooterKey"))


async def test_switching_views_keeps_each_footer_and_shows_each_views_keys() -> None:
    """A view's footer is rebuilt only when its keys change (tui/widgets/footer.py): back on the
    fleet after the summary, the same key widgets; each view still shows its own keys."""
    app = replay_app("shared-8")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fleet_keys = footer_keys(app)
        assert any("Summary" in str(key.render()) for key in fleet_keys)
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert any("Fleet" in str(key.render()) for key in footer_keys(app))
        await pilot.press("1")
        await pilot.pause()
        assert isinstance(app.screen, FleetScreen)
        assert footer_keys(app) == fleet_keys
        assert all(key.is_attached for key in fleet_keys)
